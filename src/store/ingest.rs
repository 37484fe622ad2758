//! `scamtrends ingest PATH... --store DIR`: validate and type each transfers
//! export once and write it into the store, partitioned by chain and month,
//! in one streaming pass (polars' keyed partitioned sink). Exports already in
//! the store (same SHA-256) are skipped; an export whose content changed at
//! the same path replaces its old parts. The catalog is rewritten after each
//! export, so an interrupted ingest keeps every export it finished.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use polars::prelude::file_provider::{FileProviderArgs, FileProviderReturn, FileProviderType};
use polars::prelude::*;

use crate::log::info;
use crate::method::period::label_expr;
use crate::model::{InputFile, InputKind, Period};
use crate::names::{REJECT_COLUMNS, ROW};
use crate::publish::lock::OutputLock;
use crate::readers::convert::readable;
use crate::readers::mapping::{KindMapping, Mapping};
use crate::readers::sources::{hash_file, resolve_inputs};
use crate::readers::tokens::TokenRegistry;
use crate::readers::validated_frame;
use crate::store::{Catalog, PartEntry, SourceEntry, codec};

/// What `ingest` reads and where it writes.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Transfers exports: files, directories or globs.
    pub paths: Vec<String>,
    /// The store directory (created when missing).
    pub store: PathBuf,
    /// A forced transfers layout (`None`: detected).
    pub transfers_format: Option<String>,
    /// Column mapping for other layouts.
    pub mapping: Option<PathBuf>,
    /// Token registry extending the embedded one.
    pub tokens: Option<PathBuf>,
}

/// Columns of a store part: the typed transfer (hashes and addresses in the
/// store's encoding, `store::codec`), where it came from, and the reject
/// columns (null in transfers parts).
pub fn store_columns() -> Vec<Expr> {
    let mut exprs: Vec<Expr> = InputKind::Transfers
        .columns()
        .iter()
        .map(|c| match codec::ENCODED.contains(&c.name) {
            true => codec::encode_expr(c.name),
            false => col(c.name),
        })
        .collect();
    exprs.push(col(ROW));
    exprs.extend(REJECT_COLUMNS[2..].iter().map(|c| col(*c)));
    exprs
}

/// Run `ingest`.
pub fn ingest(args: &IngestConfig) -> Result<()> {
    fs::create_dir_all(&args.store)
        .with_context(|| format!("--store: creating {}", args.store.display()))?;
    let _lock = OutputLock::acquire(&args.store)?;
    let mut catalog = Catalog::read_or_new(&args.store)?;
    remove_unlisted_parts(&args.store, &catalog)?;
    let tokens = Arc::new(TokenRegistry::with_user_file(args.tokens.as_deref())?);
    let mapping = Mapping::load(args.mapping.as_deref())?
        .with_transfers_format(args.transfers_format.as_deref());
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let (mut added, mut skipped) = (0, 0);
    for file in resolve_inputs("transfers", &args.paths)? {
        if catalog.has(&file.sha256) {
            skipped += 1;
            continue;
        }
        let entry = ingest_file(
            &args.store,
            &file,
            tmp.path(),
            mapping.of(InputKind::Transfers),
            &tokens,
        )?;
        info(format!(
            "ingested {}: {} rows, {} rejected, {} parts",
            entry.path,
            entry.rows_read,
            entry.rows_rejected,
            entry.parts.len()
        ));
        let replaced = replace_source(&mut catalog, entry);
        catalog.write(&args.store)?;
        remove_parts(&args.store, &replaced)?;
        added += 1;
    }
    info(format!(
        "store {}: {added} exports added, {skipped} already there, {} in all",
        args.store.display(),
        catalog.sources.len()
    ));
    Ok(())
}

/// Put `entry` in the catalog (path order); returns parts of an older version.
fn replace_source(catalog: &mut Catalog, entry: SourceEntry) -> Vec<PartEntry> {
    let mut replaced = Vec::new();
    if let Some(i) = catalog.sources.iter().position(|s| s.path == entry.path) {
        replaced = catalog.sources.remove(i).parts;
    }
    catalog.sources.push(entry);
    catalog.sources.sort_by(|a, b| a.path.cmp(&b.path));
    replaced
}

fn remove_parts(store: &Path, parts: &[PartEntry]) -> Result<()> {
    for p in parts {
        let path = store.join(&p.path);
        fs::remove_file(&path)
            .with_context(|| format!("removing the replaced part {}", path.display()))?;
    }
    Ok(())
}

/// Parts on disk that the catalog does not list are leftovers of an
/// interrupted ingest: remove them so they can never be read.
fn remove_unlisted_parts(store: &Path, catalog: &Catalog) -> Result<()> {
    let listed: BTreeSet<PathBuf> = catalog
        .sources
        .iter()
        .flat_map(|s| s.parts.iter().map(|p| store.join(&p.path)))
        .collect();
    for dir in ["transfers", "rejects"] {
        for path in parquet_files_under(&store.join(dir))? {
            if !listed.contains(&path) {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn parquet_files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(parquet_files_under(&path)?);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    Ok(out)
}

/// A written part before it is hashed: path relative to the store, keys.
type Written = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

/// Validate one export and write its parts in one streaming pass.
fn ingest_file(
    store: &Path,
    file: &InputFile,
    tmp: &Path,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<SourceEntry> {
    let rejected = col("reject_reason").is_not_null();
    let month = label_expr(col("block_time").floor_div(lit(86_400i64)), Period::Month);
    let keys = vec![
        when(rejected.clone())
            .then(lit(NULL).cast(DataType::String))
            .otherwise(col("chain"))
            .alias("_chain"),
        when(rejected)
            .then(lit(NULL).cast(DataType::String))
            .otherwise(month)
            .alias("_month"),
    ];
    let mut columns = store_columns();
    columns.push(lit(file.path.display().to_string()).alias("_source"));
    columns.extend([col("_chain"), col("_month")]);
    let written: Written = Arc::default();
    let readable = readable(file, InputKind::Transfers, tmp, tokens)?;
    let plan = validated_frame(InputKind::Transfers, file, &readable, 0, mapping, tokens)?
        .with_columns(keys)
        .select(columns)
        .sink(
            SinkDestination::Partitioned {
                base_path: PlRefPath::try_from_path(store)?,
                file_path_provider: Some(FileProviderType::Function(part_namer(
                    &file.sha256,
                    &written,
                ))),
                partition_strategy: PartitionStrategy::Keyed {
                    keys: vec![col("_chain"), col("_month")],
                    include_keys: false,
                    keys_pre_grouped: false,
                },
                max_rows_per_file: 262_144,
                approximate_bytes_per_file: u64::MAX,
            },
            FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions {
                // The store is a cache read on every run: LZ4 decodes faster
                // than zstd (10M-row store run 9.4 s → 7.3 s) for 1.7× the disk.
                compression: ParquetCompression::Lz4Raw,
                statistics: StatisticsOptions::full(),
                row_group_size: Some(32 * 1024),
                ..Default::default()
            })),
            UnifiedSinkArgs {
                mkdir: true,
                ..Default::default()
            },
        )?;
    plan.collect_with_engine(Engine::Streaming).map_err(|e| {
        crate::error::bad_input(format!("transfers file {}: {e}", file.path.display()))
    })?;
    let parts = describe_parts(store, &written)?;
    let rows_read = parts.iter().map(|p| p.rows).sum();
    let rows_rejected = parts
        .iter()
        .filter(|p| p.is_rejects())
        .map(|p| p.rows)
        .sum();
    Ok(SourceEntry {
        path: file.path.display().to_string(),
        format: file.format,
        bytes: file.bytes,
        sha256: file.sha256.clone(),
        mtime: file.mtime,
        rows_read,
        rows_rejected,
        parts,
    })
}

/// Names each part `transfers/chain=C/month=M/<sha12>-<n>.parquet` (or
/// `rejects/<sha12>-<n>.parquet`) and records it.
fn part_namer(
    sha256: &str,
    written: &Written,
) -> PlanCallback<FileProviderArgs, FileProviderReturn> {
    let prefix = sha256.chars().take(12).collect::<String>();
    let written = Arc::clone(written);
    PlanCallback::new(move |args: FileProviderArgs| {
        let value = |i: usize| -> Option<String> {
            let c = args.partition_keys.columns().get(i)?;
            c.str().ok()?.get(0).map(str::to_string)
        };
        let (chain, month) = (value(0), value(1));
        let n = args.index_in_partition;
        let path = match (&chain, &month) {
            (Some(c), Some(m)) => format!(
                "transfers/chain={}/month={m}/{prefix}-{n:04}.parquet",
                path_safe(c)
            ),
            _ => format!("rejects/{prefix}-{n:04}.parquet"),
        };
        let mut list = written
            .lock()
            .map_err(|_| polars_err!(ComputeError: "part list poisoned"))?;
        let recorded = if path.starts_with("rejects/") {
            (None, None)
        } else {
            (chain, month)
        };
        list.push((path.clone(), recorded.0, recorded.1));
        Ok(FileProviderReturn::Path(path))
    })
}

/// A chain name as a directory name: anything but `[a-z0-9_.-]` percent-encoded.
fn path_safe(chain: &str) -> String {
    chain
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn describe_parts(store: &Path, written: &Written) -> Result<Vec<PartEntry>> {
    let list = written
        .lock()
        .map_err(|_| anyhow::anyhow!("part list poisoned"))?
        .clone();
    let mut parts = Vec::new();
    for (rel, chain, month) in list {
        let path = store.join(&rel);
        let (bytes, sha256) =
            hash_file(&path).with_context(|| format!("hashing {}", path.display()))?;
        let rows = ParquetReader::new(fs::File::open(&path)?).num_rows()? as u64;
        parts.push(PartEntry {
            path: rel,
            chain,
            month,
            rows,
            bytes,
            sha256,
        });
    }
    parts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_cannot_escape_the_store() {
        assert_eq!(path_safe("ethereum"), "ethereum");
        assert_eq!(path_safe("../x"), "..%2Fx");
        assert_eq!(path_safe("bnb chain"), "bnb%20chain");
    }
}
