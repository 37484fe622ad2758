//! Readers: input files → typed, validated lazy frames, and everything that
//! turns what the user named into inputs an engine can read (file lists and
//! hashes, decompressed or converted copies, column mappings, the token
//! registry, the taxonomy file).
//!
//! Every frame carries `_file` (index into the sorted file list), `_row` and
//! the reject columns of `method::validate`. Plans only: nothing here
//! collects a frame; engines decide what is materialised.

pub mod convert;
pub mod ethereum_etl;
pub mod inputs;
pub mod layout;
pub mod mapping;
pub mod ndjson;
pub mod scan;
pub mod sources;
pub mod sql;
pub mod tagpack;
pub mod tokens;

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use crate::method::validate::with_reject_columns;
use crate::model::{InputFile, InputKind};
use crate::names::{ATTR, FILE, REJECT_COLUMNS, ROW};
use crate::readers::mapping::KindMapping;
use crate::readers::tokens::TokenRegistry;

/// The validated lazy frame of one file (`readable`: the file itself or its
/// converted copy, `convert::readable_path`): typed columns plus reject columns.
pub fn validated_frame(
    kind: InputKind,
    file: &InputFile,
    readable: &Path,
    index: usize,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<LazyFrame> {
    let lf = scan::scan_typed(file, readable, kind, mapping, tokens)?;
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
