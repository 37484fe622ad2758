//! The ingest store: transfer exports converted once into validated, typed
//! Parquet, hive-partitioned by chain and month, so that repeated runs (a cron
//! job adding a day of exports) pay only for what is new.
//!
//! Layout of `--store DIR`:
//! - `transfers/chain=<chain>/month=<YYYY-MM>/<sha12>-<n>.parquet`: accepted
//!   rows, typed and normalised (block_time in UTC seconds; `tx_hash` and the
//!   addresses as bytes, `codec.rs`), with `_source`
//!   (the export's path) and `_row` so that de-duplication keeps METHODOLOGY
//!   §2's order;
//! - `rejects/<sha12>-<n>.parquet`: rejected rows, with reason, column, value;
//! - `catalog.json`: every ingested export (path, bytes, SHA-256, rows read and
//!   rejected) and its part files (chain, month, rows, SHA-256). Only parts the
//!   catalog lists are ever read: an interrupted ingest leaves no half export.
//!
//! `ingest.rs` writes the store; the local engine reads it for `run --store`
//! (`engine::local::store_scan`).

pub mod codec;
pub mod ingest;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::bad_input;
use crate::model::{FileFormat, InputFile, Period};

/// The catalog file's name inside the store.
pub const CATALOG: &str = "catalog.json";
/// Version of the store layout. 2: hashes and addresses stored as bytes
/// (`codec`); a format-1 store has to be ingested again.
pub const STORE_FORMAT: u32 = 2;

/// Every export in the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    pub store_format: u32,
    /// Sorted by path (METHODOLOGY §2: file path order decides duplicates).
    pub sources: Vec<SourceEntry>,
}

/// One ingested export file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceEntry {
    pub path: String,
    pub format: FileFormat,
    pub bytes: u64,
    pub sha256: String,
    pub mtime: i64,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub parts: Vec<PartEntry>,
}

/// One Parquet file of the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartEntry {
    /// Relative to the store directory.
    pub path: String,
    /// None for a rejects part.
    pub chain: Option<String>,
    pub month: Option<String>,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl PartEntry {
    pub fn is_rejects(&self) -> bool {
        self.chain.is_none()
    }
}

impl Catalog {
    /// The catalog of `store` (an empty one when the store is new).
    pub fn read_or_new(store: &Path) -> Result<Catalog> {
        let path = store.join(CATALOG);
        if !path.exists() {
            return Ok(Catalog {
                store_format: STORE_FORMAT,
                sources: Vec::new(),
            });
        }
        Self::read(store)
    }

    /// The catalog of an existing store.
    pub fn read(store: &Path) -> Result<Catalog> {
        let path = store.join(CATALOG);
        let text = fs::read_to_string(&path).map_err(|e| {
            bad_input(format!(
                "--store {}: {e} (run `scamtrends ingest` first)",
                path.display()
            ))
        })?;
        let catalog: Catalog = serde_json::from_str(&text)
            .map_err(|e| bad_input(format!("--store {}: {e}", path.display())))?;
        if catalog.store_format != STORE_FORMAT {
            return Err(bad_input(format!(
                "--store {}: store format {} (this scamtrends reads {STORE_FORMAT}; \
                 ingest the exports again into a new store directory)",
                path.display(),
                catalog.store_format
            )));
        }
        Ok(catalog)
    }

    /// Replace the catalog atomically (write beside it, then rename).
    pub fn write(&self, store: &Path) -> Result<()> {
        let path = store.join(CATALOG);
        let tmp = store.join(format!("{CATALOG}.tmp"));
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))
    }

    /// Whether an export with this content is already in the store.
    pub fn has(&self, sha256: &str) -> bool {
        self.sources.iter().any(|s| s.sha256 == sha256)
    }
}

/// The exports and parts one run reads from a store, whichever engine.
pub struct Selection<'a> {
    store: PathBuf,
    /// Sorted by path: their place is `_file` (METHODOLOGY §2).
    pub sources: Vec<&'a SourceEntry>,
    /// `YYYY-MM` bounds of `--from`/`--to` (string order is month order).
    months: (Option<String>, Option<String>),
}

impl<'a> Selection<'a> {
    /// All of the catalog's exports, or those named in `only`, with the
    /// months of the day range `days` (inclusive, days since 1970-01-01).
    pub fn of(
        catalog: &'a Catalog,
        only: &[String],
        store: &Path,
        (from, to): (Option<i64>, Option<i64>),
    ) -> Result<Selection<'a>> {
        let month = |d: Option<i64>| d.and_then(|d| crate::method::period::label(d, Period::Month));
        Ok(Selection {
            store: store.to_path_buf(),
            sources: selected_sources(catalog, only, store)?,
            months: (month(from), month(to)),
        })
    }

    /// The paths of the rejects parts, or of the transfers parts in the
    /// months, in catalog order.
    pub fn parts(&self, rejects: bool) -> Vec<PathBuf> {
        self.sources
            .iter()
            .flat_map(|s| s.parts.iter())
            .filter(|p| p.is_rejects() == rejects && (rejects || self.in_months(p)))
            .map(|p| self.store.join(&p.path))
            .collect()
    }

    fn in_months(&self, part: &PartEntry) -> bool {
        let (from, to) = &self.months;
        let Some(m) = &part.month else { return true };
        from.as_ref().is_none_or(|f| m >= f) && to.as_ref().is_none_or(|t| m <= t)
    }
}

fn selected_sources<'a>(
    catalog: &'a Catalog,
    only: &[String],
    store: &Path,
) -> Result<Vec<&'a SourceEntry>> {
    if only.is_empty() {
        return Ok(catalog.sources.iter().collect());
    }
    let mut out = Vec::new();
    for path in only {
        let s = catalog
            .sources
            .iter()
            .find(|s| &s.path == path)
            .ok_or_else(|| {
                bad_input(format!(
                    "--store {}: export {path} is not in the store",
                    store.display()
                ))
            })?;
        out.push(s);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

impl SourceEntry {
    /// The export as an input file of the manifest.
    pub fn input_file(&self) -> InputFile {
        InputFile {
            path: PathBuf::from(&self.path),
            format: self.format,
            bytes: self.bytes,
            sha256: self.sha256.clone(),
            mtime: self.mtime,
            shape: None,
        }
    }
}
