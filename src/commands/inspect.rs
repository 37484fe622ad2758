//! `scamtrends inspect PATH`: what an export is before a run reads it: file
//! format, detected layout, schema, row count, sample rows, and the reject
//! reasons the canonical validation would give on a sample of rows. Answers
//! in seconds on large files: the row count is a streamed count (Parquet:
//! from metadata) and validation looks at the first `--sample-rows` rows.

use anyhow::Result;

use crate::cli::InspectArgs;
use crate::engine::local::inspect::{Inspection, inspect_file};
use crate::readers::sources::resolve_inputs;

/// Inspect every file a PATH names.
pub fn run(args: InspectArgs) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    for file in resolve_inputs("input", std::slice::from_ref(&args.path))? {
        println!("== {}", file.path.display());
        println!(
            "format: {:?}, {} bytes, SHA-256 {}",
            file.format, file.bytes, file.sha256
        );
        let found = inspect_file(&file, tmp.path(), args.sample, args.sample_rows)?;
        print_inspection(&found, args.sample_rows);
    }
    Ok(())
}

fn print_inspection(found: &Inspection, sample_rows: usize) {
    println!(
        "layout: {}",
        found
            .layout
            .map_or("unknown (use --mapping)", |(name, _)| name)
    );
    println!(
        "schema: {}",
        found
            .schema
            .iter()
            .map(|(n, d)| format!("{n}: {d}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("rows: {}", found.rows);
    println!("sample:\n{}", found.sample);
    if let Some(v) = &found.validation {
        println!(
            "validation of the first {} of {sample_rows} sampled rows as {}:",
            v.validated,
            v.kind.name()
        );
        if v.counts.height() == 0 {
            println!("  no rejects");
        } else {
            println!("{}", v.counts);
        }
    }
}
