//! `scamtrends inspect PATH`: what an export is before a run reads it: file
//! format, detected layout, schema, row count, sample rows, and the reject
//! reasons the canonical validation would give on a sample of rows. Answers
//! in seconds on large files: the row count is a streamed count (Parquet:
//! from metadata) and validation looks at the first `--sample-rows` rows.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use crate::cli::InspectArgs;
use crate::load::sources::{FileFormat, resolve_inputs};
use crate::load::{ethereum_etl, scan::ROW, validated_frame};
use crate::validate::InputKind;

/// Inspect every file a PATH names.
pub fn inspect(args: &InspectArgs) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    for file in resolve_inputs("input", std::slice::from_ref(&args.path))? {
        println!("== {}", file.path.display());
        println!(
            "format: {:?}, {} bytes, SHA-256 {}",
            file.format, file.bytes, file.sha256
        );
        let readable = crate::load::sources::readable_path(&file, tmp.path())?;
        let mut raw = raw_frame(&readable, file.format)?;
        let schema = raw.collect_schema()?;
        let layout = detect_layout(&schema, file.format);
        println!(
            "layout: {}",
            layout.map_or("unknown (use --mapping)", |(name, _)| name)
        );
        println!(
            "schema: {}",
            schema
                .iter()
                .map(|(n, d)| format!("{n}: {d}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = raw
            .clone()
            .select([len()])
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        println!("rows: {}", rows.column("len")?.get(0)?);
        println!(
            "sample:\n{}",
            raw.limit(args.sample.min(20) as IdxSize).collect()?
        );
        if let Some((_, kind)) = layout {
            let head = validated_frame(kind, &file, 0, tmp.path(), None)?
                .limit(args.sample_rows as IdxSize);
            print_reject_summary(head, kind, args.sample_rows)?;
        }
    }
    Ok(())
}

fn raw_frame(path: &Path, format: FileFormat) -> Result<LazyFrame> {
    let p = PlRefPath::try_from_path(path)?;
    Ok(match format {
        FileFormat::Parquet => LazyFrame::scan_parquet(
            p,
            ScanArgsParquet {
                glob: false,
                ..Default::default()
            },
        )?,
        _ => LazyCsvReader::new(p)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_glob(false)
            .finish()?,
    })
}

/// The layout a header matches, and the input kind it reads as.
pub fn detect_layout(schema: &Schema, format: FileFormat) -> Option<(&'static str, InputKind)> {
    let has_all = |kind: InputKind| {
        kind.columns()
            .iter()
            .filter(|c| c.required)
            .all(|c| schema.get(c.name).is_some())
    };
    if format == FileFormat::TagPack {
        return Some(("GraphSense TagPack (reports)", InputKind::Reports));
    }
    if ethereum_etl::is_token_transfers(schema) {
        return Some(("ethereum-etl token_transfers", InputKind::Transfers));
    }
    if ethereum_etl::is_transactions(schema) {
        return Some(("ethereum-etl transactions", InputKind::Transfers));
    }
    [
        (InputKind::Transfers, "canonical transfers"),
        (InputKind::Reports, "canonical reports"),
        (InputKind::Prices, "canonical prices"),
    ]
    .into_iter()
    .find(|(k, _)| has_all(*k))
    .map(|(k, name)| (name, k))
}

fn print_reject_summary(head: LazyFrame, kind: InputKind, sample_rows: usize) -> Result<()> {
    let df = head
        .select([col(ROW), col("reject_reason"), col("reject_column")])
        .collect()?;
    let rejected = df.clone().lazy().filter(col("reject_reason").is_not_null());
    let counts = rejected
        .group_by([col("reject_reason"), col("reject_column")])
        .agg([len().alias("rows")])
        .sort(
            ["reject_reason", "reject_column"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    println!(
        "validation of the first {} of {sample_rows} sampled rows as {}:",
        df.height(),
        kind.name()
    );
    if counts.height() == 0 {
        println!("  no rejects");
    } else {
        println!("{counts}");
    }
    Ok(())
}
