//! `run --store DIR --engine spark`: the server reads the store's part
//! files where they are and picks out the rows that pay a reported address
//! on the stored bytes; the client turns only those rows' hashes and
//! addresses back into text (`store::codec`, which has no SQL equivalent:
//! Tron addresses are stored as the base58 number) and gives them back as
//! the checked transfers. Everything from there on is the same SQL as for
//! exports. Rows read and the rejects come from the catalog and the
//! rejects parts, as counted at ingest (as the local engine reads them).
//!
//! Both directions go through the staging directory, which this machine
//! and the server share; the store must be readable by the server at the
//! same path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::engine::spark::frames::{Want, to_frame};
use crate::engine::spark::session::Server;
use crate::engine::spark::sql;
use crate::engine::spark::staging::{Staging, sink_parquet};
use crate::error::bad_input;
use crate::model::{FileFormat, InputFile, InputKind};
use crate::names::{REJECT_COLUMN, REJECT_REASON, REJECT_VALUE, ROW};
use crate::store::{Catalog, Selection, codec};

/// What a run reads from a store, known before the server is asked.
pub struct StoreInput {
    /// The exports, in `_file` order.
    pub files: Vec<InputFile>,
    /// Rows each export had, as counted at ingest.
    pub rows_read: Vec<u64>,
    /// The ingest's rejects: `input, file, row, reason, column, value`.
    pub rejects: DataFrame,
    /// What the server registers: whole month directories when every file
    /// in them is a part this run reads, else single part files.
    locations: Vec<PathBuf>,
    /// `--from`/`--to` as days, inclusive.
    days: (Option<i64>, Option<i64>),
}

impl StoreInput {
    /// The exports of `dir` (all, or `only`), their transfers parts in the
    /// day range and their rejects.
    pub fn open(dir: &Path, only: &[String], days: (Option<i64>, Option<i64>)) -> Result<Self> {
        let catalog = Catalog::read(dir)?;
        let selection = Selection::of(&catalog, only, dir, days)?;
        Ok(StoreInput {
            files: selection.sources.iter().map(|s| s.input_file()).collect(),
            rows_read: selection.sources.iter().map(|s| s.rows_read).collect(),
            rejects: rejects(&selection.parts(true))?,
            locations: locations(&selection.parts(false))?,
            days,
        })
    }

    /// Replace the (empty) `checked_transfers` view with the store's rows
    /// that pay a reported address, decoded. Needs the reports' views.
    pub fn stage(&self, server: &Server, staging: Option<&Staging>) -> Result<()> {
        let (staging, dir) = local_staging(staging)?;
        let started = std::time::Instant::now();
        let keys = dir.join("store-keys.parquet");
        write_keys(server, &keys)?;
        server.register("store_keys", &keys, FileFormat::Parquet)?;
        self.register_parts(server)?;
        let sources: Vec<String> = self
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        server.create_view(
            "store_bound_raw",
            &sql::store_bound_raw(&sources, self.days),
        )?;
        let raw = staging.next("store_bound_raw");
        server.materialize("store_bound_raw", &raw)?;
        let decoded = dir.join("store-bound.parquet");
        let rows = decode_rows(Path::new(&raw), &decoded)?;
        server.register("store_bound", &decoded, FileFormat::Parquet)?;
        server.create_view(
            &sql::checked_view(InputKind::Transfers),
            &sql::store_checked("store_bound"),
        )?;
        crate::log::info(format!(
            "engine spark: {rows} scam-bound rows of the store decoded in {} ms",
            started.elapsed().as_millis()
        ));
        Ok(())
    }
}

impl StoreInput {
    /// `store_rows`: every part this run reads, one view per location.
    fn register_parts(&self, server: &Server) -> Result<()> {
        let mut views = Vec::new();
        for (i, location) in self.locations.iter().enumerate() {
            let view = format!("store_part_{i}");
            server.register(&view, location, FileFormat::Parquet)?;
            views.push(view);
        }
        server.create_view("store_rows", &sql::store_rows(&views))
    }
}

/// The staging location and its directory on this machine: the client
/// writes the keys and decodes the rows there.
fn local_staging(staging: Option<&Staging>) -> Result<(&Staging, PathBuf)> {
    let Some(staging) = staging else {
        return Err(bad_input(
            "--store with --engine spark needs --spark-staging DIR, a directory this machine \
             and the server share: the server's scam-bound rows come back there for the \
             client to decode (docs/scale-out.md)",
        ));
    };
    let dir = staging.local_dir().ok_or_else(|| {
        bad_input(
            "--store with --engine spark needs --spark-staging to be a directory this machine \
             can read, not a URI: the client decodes the scam-bound rows there",
        )
    })?;
    Ok((staging, dir))
}

/// The parts grouped by directory: a directory whose every file is one of
/// `parts` is read whole (one view for a month, not one per part).
fn locations(parts: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut by_dir: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for part in parts {
        let dir = part.parent().map(Path::to_path_buf).unwrap_or_default();
        by_dir.entry(dir).or_default().insert(part.clone());
    }
    let mut out = Vec::new();
    for (dir, listed) in by_dir {
        let present = data_files(&dir)?;
        match present == listed {
            true => out.push(dir),
            false => out.extend(listed),
        }
    }
    Ok(out)
}

/// The files a Spark reader would read in `dir` (it skips names that start
/// with `.` or `_`).
fn data_files(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut out = BTreeSet::new();
    let listing = || format!("listing {}", dir.display());
    for entry in std::fs::read_dir(dir).with_context(listing)? {
        let entry = entry.with_context(listing)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with('.') && !name.starts_with('_') {
            out.insert(entry.path());
        }
    }
    Ok(out)
}

/// The kept reports' addresses in the store's encoding, as `chain,
/// address, key`, written to `target` for the server to join on.
fn write_keys(server: &Server, target: &Path) -> Result<()> {
    let addresses = to_frame(
        &server.collect(
            "reading the reported addresses",
            &sql::store_addresses_query(),
        )?,
        &[("chain", Want::Text), ("address", Want::Text)],
    )?;
    let keys: Vec<Option<Vec<u8>>> = addresses
        .column("address")?
        .str()?
        .iter()
        .map(|a| a.map(codec::encode))
        .collect();
    let frame = addresses
        .lazy()
        .with_column(lit(Series::new("key".into(), keys)).alias("key"))
        .sort(["chain", "address"], SortMultipleOptions::default());
    sink_parquet(frame, target).map_err(|e| anyhow::anyhow!("writing {}: {e}", target.display()))
}

/// The server's scam-bound rows at `raw` (a directory of Parquet files)
/// with their hashes and addresses decoded, written to `target`; their
/// number.
fn decode_rows(raw: &Path, target: &Path) -> Result<u64> {
    // a server writes no file (Sail: not even the directory) for a view
    // without rows
    let written = match raw.exists() {
        true => data_files(raw)?,
        false => BTreeSet::new(),
    };
    let files: Vec<PathBuf> = written
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    let frame = match files.is_empty() {
        true => DataFrame::empty_with_schema(&decoded_schema()).lazy(),
        false => {
            let refs = files
                .iter()
                .map(|p| PlRefPath::try_from_path(p))
                .collect::<PolarsResult<Vec<_>>>()?;
            LazyFrame::scan_parquet_files(refs.into(), ScanArgsParquet::default())?
                .with_columns(codec::ENCODED.map(codec::decode_expr))
        }
    };
    sink_parquet(frame, target)
        .map_err(|e| anyhow::anyhow!("decoding the store's rows from {}: {e}", raw.display()))?;
    let rows = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(target)?,
        ScanArgsParquet::default(),
    )?
    .select([len()])
    .collect()?;
    Ok(rows.column("len")?.u32()?.get(0).unwrap_or(0) as u64)
}

/// The decoded rows' columns when there are none.
fn decoded_schema() -> Schema {
    let mut schema = Schema::default();
    schema.with_column("_file".into(), DataType::Int32);
    schema.with_column(ROW.into(), DataType::Int64);
    for c in InputKind::Transfers.columns() {
        let dtype = match c.name {
            "amount" | "amount_usd" => DataType::Float64,
            "transfer_index" | "block_time" => DataType::Int64,
            _ => DataType::String,
        };
        schema.with_column(c.name.into(), dtype);
    }
    schema
}

/// The ingest's rejects of the selected exports, as the rejects table
/// names them.
fn rejects(parts: &[PathBuf]) -> Result<DataFrame> {
    let names = ["input", "file", "row", "reason", "column", "value"];
    if parts.is_empty() {
        let mut schema = Schema::default();
        for name in names {
            let dtype = match name {
                "row" => DataType::Int64,
                _ => DataType::String,
            };
            schema.with_column(name.into(), dtype);
        }
        return Ok(DataFrame::empty_with_schema(&schema));
    }
    let refs = parts
        .iter()
        .map(|p| PlRefPath::try_from_path(p))
        .collect::<PolarsResult<Vec<_>>>()?;
    let frame = LazyFrame::scan_parquet_files(refs.into(), ScanArgsParquet::default())?
        .select([
            lit(InputKind::Transfers.name()).alias("input"),
            col("_source").alias("file"),
            col(ROW).cast(DataType::Int64).alias("row"),
            col(REJECT_REASON).alias("reason"),
            col(REJECT_COLUMN).alias("column"),
            col(REJECT_VALUE).alias("value"),
        ])
        .collect();
    anyhow::Context::context(frame, "reading rejects from the store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_read_whole_only_when_every_file_in_it_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let (whole, mixed) = (dir.path().join("month=1"), dir.path().join("month=2"));
        for d in [&whole, &mixed] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("a-0.parquet"), "x").unwrap();
        }
        std::fs::write(whole.join(".a-0.parquet.crc"), "hidden").unwrap();
        std::fs::write(mixed.join("leftover-0.parquet"), "x").unwrap();
        let parts = [whole.join("a-0.parquet"), mixed.join("a-0.parquet")];
        assert_eq!(
            locations(&parts).unwrap(),
            vec![whole.clone(), mixed.join("a-0.parquet")]
        );
    }

    #[test]
    fn a_store_run_without_a_local_staging_directory_says_what_to_give() {
        let Err(err) = local_staging(None) else {
            panic!("a store run needs a staging directory")
        };
        let err = err.to_string();
        assert!(err.contains("--spark-staging DIR"), "{err}");
    }
}
