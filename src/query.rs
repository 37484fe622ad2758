//! `scamtrends query FILE.sql`: run portable SQL (polars-sql) over a run's
//! output tables, each registered under its file stem (`revenue`,
//! `revenue_by_type`, …). Prints a table or CSV, or writes CSV/Parquet.
//! A query error names the file and what the parser said (with its position).

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use polars::sql::SQLContext;

use crate::cli::{QueryArgs, QueryFormat};
use crate::error::{ScamError, bad_input};

/// Run one SQL file against the tables in `args.run`.
pub fn query(args: &QueryArgs) -> Result<()> {
    let sql = fs::read_to_string(&args.file)
        .map_err(|e| bad_input(format!("{}: {e}", args.file.display())))?;
    let mut df = execute_sql(&sql, &args.run)
        .map_err(|e| bad_input(format!("{}: {e}", args.file.display())))?;
    match (args.format, &args.output) {
        (QueryFormat::Table, None) => {
            println!("{df}");
            Ok(())
        }
        (QueryFormat::Csv, None) => write_csv(&mut df, &mut std::io::stdout().lock()),
        (QueryFormat::Csv, Some(path)) => write_csv(&mut df, &mut fs::File::create(path)?),
        (QueryFormat::Parquet, Some(path)) => {
            fs::write(path, crate::publish::parquet::encode_parquet("query", &df)?)?;
            Ok(())
        }
        (QueryFormat::Parquet, None) => {
            Err(ScamError::Usage("--format parquet needs --output FILE".into()).into())
        }
        (QueryFormat::Table, Some(_)) => {
            Err(ScamError::Usage("--output goes with --format csv or parquet".into()).into())
        }
    }
}

/// Execute SQL with every `*.parquet` in `run_dir` registered by its stem.
pub fn execute_sql(sql: &str, run_dir: &Path) -> PolarsResult<DataFrame> {
    let mut ctx = SQLContext::new();
    let entries = fs::read_dir(run_dir)
        .map_err(|e| polars_err!(ComputeError: "--run {}: {e}", run_dir.display()))?;
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let lf =
            LazyFrame::scan_parquet(PlRefPath::try_from_path(&path)?, ScanArgsParquet::default())?;
        ctx.register(&name, lf);
    }
    ctx.execute(sql)?.collect()
}

fn write_csv(df: &mut DataFrame, out: &mut impl Write) -> Result<()> {
    CsvWriter::new(out).include_header(true).finish(df)?;
    Ok(())
}
