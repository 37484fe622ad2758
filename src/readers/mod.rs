//! Readers: input files → typed, validated lazy frames, and everything that
//! turns what the user named into inputs an engine can read (file lists and
//! hashes, decompressed or converted copies, column mappings, the token
//! registry, the taxonomy file).
//!
//! Every frame carries `_file` (index into the sorted file list), `_row` and
//! the reject columns of `method::validate`. Plans only: nothing here
//! collects a frame; engines decide what is materialised.

pub mod base58;
pub mod convert;
pub mod csv_shape;
pub mod ethereum_etl;
pub mod inputs;
pub mod json_exports;
pub mod json_rows;
pub mod layout;
pub mod mapping;
pub mod ndjson;
pub mod nested_parquet;
pub mod report_exports;
pub mod scan;
pub mod sources;
pub mod sql;
pub mod tagpack;
pub mod tokens;
pub mod tron;
pub mod utxo;
pub mod utxo_csv;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use crate::method::validate::with_reject_columns;
use crate::model::{CsvShape, InputFile, InputKind};
use crate::names::{ATTR, FILE, REJECT_COLUMN, REJECT_COLUMNS, REJECT_REASON, REJECT_VALUE, ROW};
use crate::readers::convert::Readable;
use crate::readers::mapping::KindMapping;
use crate::readers::tokens::TokenRegistry;

/// The validated lazy frame of one file (`readable`: the file itself or its
/// converted copy, `convert::readable`): typed columns plus reject columns.
pub fn validated_frame(
    kind: InputKind,
    file: &InputFile,
    readable: &Readable,
    index: usize,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<LazyFrame> {
    let lf = scan::scan_typed(file, readable, kind, mapping, tokens)?;
    let lf = lf.with_column(lit(index as u32).cast(DataType::UInt32).alias(FILE));
    let lf = with_reject_columns(lf, kind);
    Ok(match readable.shape.as_deref() {
        Some(shape) if !shape.ragged.is_empty() => with_field_count_rejects(lf, shape),
        _ => lf,
    })
}

/// METHODOLOGY §2 (nothing silently dropped): a CSV row with more or fewer
/// fields than the header is rejected as `field_count`, before any other
/// rule (its fields are not where the header says), never truncated or
/// padded.
fn with_field_count_rejects(lf: LazyFrame, shape: &CsvShape) -> LazyFrame {
    let ragged: HashMap<i64, u32> = shape.ragged.iter().map(|&(r, n)| (r as i64, n)).collect();
    let header = shape.header_fields;
    let value = col(ROW).map(
        move |c| {
            let out: StringChunked = c
                .i64()?
                .iter()
                .map(|r| {
                    r.and_then(|r| ragged.get(&r))
                        .map(|&n| field_count_value(n, header))
                })
                .collect();
            Ok(out.with_name(REJECT_VALUE.into()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    );
    lf.with_column(value.alias("_field_count"))
        .with_columns([
            when(col("_field_count").is_not_null())
                .then(lit("field_count"))
                .otherwise(col(REJECT_REASON))
                .alias(REJECT_REASON),
            when(col("_field_count").is_not_null())
                .then(lit("row"))
                .otherwise(col(REJECT_COLUMN))
                .alias(REJECT_COLUMN),
            when(col("_field_count").is_not_null())
                .then(col("_field_count"))
                .otherwise(col(REJECT_VALUE))
                .alias(REJECT_VALUE),
        ])
        .drop(cols(["_field_count"]))
}

/// The reject value of a `field_count` row (every engine writes this text).
pub fn field_count_value(fields: u32, header_fields: u32) -> String {
    format!("{fields} fields; the header has {header_fields}")
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
    schema.with_column(ROW.into(), DataType::Int64);
    for name in &REJECT_COLUMNS[2..] {
        schema.with_column((*name).into(), DataType::String);
    }
    for c in kind.columns() {
        schema.with_column(c.name.into(), scan::output_dtype(c.kind));
    }
    for name in extra {
        let dtype = if *name == ATTR {
            DataType::UInt32
        } else {
            DataType::String
        };
        schema.with_column((*name).into(), dtype);
    }
    schema
}
