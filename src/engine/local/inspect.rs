//! What an export holds, for `scamtrends inspect`: its raw schema, detected
//! layout, a streamed row count (Parquet: from metadata), sample rows, and the
//! reject reasons canonical validation gives on its first rows. Materialises
//! only the sample; the command prints what comes back.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use crate::model::{FileFormat, InputFile, InputKind};
use crate::names::{REJECT_COLUMN, REJECT_REASON, ROW};
use crate::readers::convert::{Readable, readable};
use crate::readers::json_exports;
use crate::readers::layout::detect_layout;
use crate::readers::tokens::TokenRegistry;
use crate::readers::validated_frame;

/// One file, described.
pub struct Inspection {
    pub layout: Option<(&'static str, InputKind)>,
    pub schema: Schema,
    /// Rows in the file, as printed.
    pub rows: String,
    pub sample: DataFrame,
    pub validation: Option<SampleValidation>,
}

/// The reject reasons on the first rows of a file read as `kind`.
pub struct SampleValidation {
    pub kind: InputKind,
    /// Rows validated (at most the requested sample).
    pub validated: usize,
    /// `reject_reason, reject_column, rows`, sorted; empty when none.
    pub counts: DataFrame,
}

/// Describe one file (`tmp` holds its converted copy when it needs one).
pub fn inspect_file(
    file: &InputFile,
    tmp: &Path,
    sample: usize,
    sample_rows: usize,
) -> Result<Inspection> {
    let tokens = Arc::new(TokenRegistry::embedded());
    let kind = match file.format {
        FileFormat::Ndjson => match json_exports::sniff(&file.path) {
            Ok((Some(layout), _)) if !layout.reads_as(InputKind::Transfers) => InputKind::Reports,
            _ => InputKind::Transfers,
        },
        _ => InputKind::Transfers,
    };
    let readable = readable(file, kind, tmp, &tokens)?;
    let mut raw = raw_frame(&readable.path, readable.parquet)?;
    let schema = raw.collect_schema()?.as_ref().clone();
    let layout = match readable.layout {
        Some(json) => Some((json.name(), kind)),
        None => detect_layout(&schema, file.format),
    };
    let rows = raw
        .clone()
        .select([len()])
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let rows = rows.column("len")?.get(0)?.to_string();
    let sample = raw.limit(sample.min(20) as IdxSize).collect()?;
    let validation = match layout {
        Some((_, kind)) => Some(validate_head(file, &readable, kind, sample_rows)?),
        None => None,
    };
    Ok(Inspection {
        layout,
        schema,
        rows,
        sample,
        validation,
    })
}

fn raw_frame(path: &Path, parquet: bool) -> Result<LazyFrame> {
    let p = PlRefPath::try_from_path(path)?;
    Ok(match parquet {
        true => LazyFrame::scan_parquet(
            p,
            ScanArgsParquet {
                glob: false,
                ..Default::default()
            },
        )?,
        false => LazyCsvReader::new(p)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_glob(false)
            .finish()?,
    })
}

fn validate_head(
    file: &InputFile,
    readable: &Readable,
    kind: InputKind,
    sample_rows: usize,
) -> Result<SampleValidation> {
    let tokens = Arc::new(TokenRegistry::embedded());
    let head = validated_frame(kind, file, readable, 0, None, &tokens)?
        .limit(sample_rows as IdxSize)
        .select([col(ROW), col(REJECT_REASON), col(REJECT_COLUMN)])
        .collect()?;
    let counts = head
        .clone()
        .lazy()
        .filter(col(REJECT_REASON).is_not_null())
        .group_by([col(REJECT_REASON), col(REJECT_COLUMN)])
        .agg([len().alias("rows")])
        .sort(
            [REJECT_REASON, REJECT_COLUMN],
            SortMultipleOptions::default(),
        )
        .collect()?;
    Ok(SampleValidation {
        kind,
        validated: head.height(),
        counts,
    })
}
