//! Load stage: input files → typed, validated lazy frames.
//!
//! Every frame carries `_file` (index into the sorted file list), `_row` and
//! the reject columns of `validate`. Reports and prices are small and are
//! collected whole by the pipeline; transfers are never collected whole: the
//! pipeline streams them through [`TransferSink`], which keeps only rejects and
//! rows that reach a scam address, and counts every row it sees.

pub mod ethereum_etl;
pub mod mapping;
pub mod ndjson;
pub mod scam_index;
pub mod scan;
pub mod sources;
pub mod tagpack;

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use polars::prelude::*;

use crate::load::mapping::KindMapping;
use crate::load::sources::{InputFile, readable_path};
use crate::validate::{InputKind, with_reject_columns};

/// Name of the file-index column.
pub const FILE: &str = "_file";

/// Columns kept from a rejected row.
pub const REJECT_COLUMNS: [&str; 5] = [
    FILE,
    scan::ROW,
    "reject_reason",
    "reject_column",
    "reject_value",
];

/// The validated lazy frame of one file: typed columns plus reject columns.
pub fn validated_frame(
    kind: InputKind,
    file: &InputFile,
    index: usize,
    tmp: &Path,
    mapping: Option<&KindMapping>,
) -> Result<LazyFrame> {
    let readable = readable_path(file, tmp)?;
    let lf = scan::scan_typed(file, &readable, kind, mapping)?;
    let lf = lf.with_column(lit(index as u32).cast(DataType::UInt32).alias(FILE));
    Ok(with_reject_columns(lf, kind))
}

/// The canonical columns of a kind plus `_file`, `_row` and the reject columns.
pub fn kept_columns(kind: InputKind, extra: &[&str]) -> Vec<Expr> {
    let mut names: Vec<&str> = REJECT_COLUMNS.to_vec();
    names.extend(kind.columns().iter().map(|c| c.name));
    names.extend(extra);
    names.into_iter().map(col).collect()
}

/// The columns of valid rows: `_file`, `_row`, the canonical columns and `extra`
/// (the reject columns, null on every valid row, are dropped).
pub fn valid_columns(kind: InputKind, extra: &[&str]) -> Vec<Expr> {
    let mut names: Vec<&str> = REJECT_COLUMNS[..2].to_vec();
    names.extend(kind.columns().iter().map(|c| c.name));
    names.extend(extra);
    names.into_iter().map(col).collect()
}

/// The schema of [`valid_columns`].
pub fn valid_schema(kind: InputKind, extra: &[&str]) -> Schema {
    let mut schema = kept_schema(kind, extra);
    for name in &REJECT_COLUMNS[2..] {
        schema.shift_remove(name);
    }
    schema
}

/// The schema of [`kept_columns`], known without reading any file.
pub fn kept_schema(kind: InputKind, extra: &[&str]) -> Schema {
    let mut schema = Schema::default();
    schema.with_column(FILE.into(), DataType::UInt32);
    schema.with_column(scan::ROW.into(), DataType::Int64);
    for name in &REJECT_COLUMNS[2..] {
        schema.with_column((*name).into(), DataType::String);
    }
    for c in kind.columns() {
        schema.with_column(c.name.into(), scan::output_dtype(c.kind));
    }
    for name in extra {
        let dtype = if *name == scam_index::ATTR {
            DataType::UInt32
        } else {
            DataType::String
        };
        schema.with_column((*name).into(), dtype);
    }
    schema
}

/// Copy string columns into fresh buffers. A filtered string column still
/// points into the whole batch's buffers; keeping 3% of the rows must not
/// keep 100% of the bytes alive.
pub(crate) fn compact_strings(df: DataFrame) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String => {
                let fresh: StringChunked = c.str()?.iter().collect();
                Ok(fresh.with_name(c.name().clone()).into_column())
            }
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(df.height(), columns)
}

/// What the streaming pass over one transfers file keeps and counts.
#[derive(Default)]
pub struct TransferSink {
    /// Rows seen (= rows read from the file).
    pub rows_read: u64,
    /// Rejected rows and valid rows whose `to_address` is a scam address.
    pub kept: Vec<DataFrame>,
}

impl TransferSink {
    /// Count a batch and keep its rejects and scam-bound rows.
    fn absorb(&mut self, batch: DataFrame) -> PolarsResult<()> {
        self.rows_read += batch.height() as u64;
        let keep = batch.column("reject_reason")?.is_not_null()
            | batch.column(scam_index::ATTR)?.is_not_null();
        if keep.any() {
            self.kept.push(compact_strings(batch.filter(&keep)?)?);
        }
        Ok(())
    }

    /// A plan callback feeding a shared sink (`sink_batches`).
    pub fn callback(sink: &Arc<Mutex<TransferSink>>) -> PlanCallback<DataFrame, bool> {
        let sink = Arc::clone(sink);
        PlanCallback::new(move |batch: DataFrame| {
            let mut guard = sink
                .lock()
                .map_err(|_| polars_err!(ComputeError: "transfer sink poisoned by a panic"))?;
            guard.absorb(batch)?;
            Ok(false) // never stop early
        })
    }
}
