//! `scamtrends query FILE.sql`: portable SQL over a run's output tables,
//! each registered under its file stem (`revenue`, `revenue_by_type`, …).
//! Prints a table or CSV, or writes CSV/Parquet. A query error names the file
//! and what the parser said (with its position).

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::*;

use crate::cli::{QueryArgs, QueryFormat};
use crate::engine::TableSource;
use crate::error::{ScamError, bad_input, sql_error};
use crate::publish::readback::table_files;

/// The resolved flags of `query`.
pub struct QueryConfig {
    pub file: PathBuf,
    pub run: PathBuf,
    pub format: QueryFormat,
    pub output: Option<PathBuf>,
}

/// Resolve `query`'s flags (`--format parquet` needs `--output`, a printed
/// table cannot go to a file).
pub fn config_from_cli(args: QueryArgs) -> Result<QueryConfig> {
    match (args.format, &args.output) {
        (QueryFormat::Parquet, None) => {
            Err(ScamError::Usage("--format parquet needs --output FILE".into()).into())
        }
        (QueryFormat::Table, Some(_)) => {
            Err(ScamError::Usage("--output goes with --format csv or parquet".into()).into())
        }
        _ => Ok(QueryConfig {
            file: args.file,
            run: args.run,
            format: args.format,
            output: args.output,
        }),
    }
}

/// Run one SQL file against the tables in `--run`.
pub fn run(args: QueryArgs) -> Result<()> {
    let engine = crate::commands::engine::engine_of(&args.engine)?;
    let config = config_from_cli(args)?;
    let sql = fs::read_to_string(&config.file)
        .map_err(|e| bad_input(format!("{}: {e}", config.file.display())))?;
    let named = |e: anyhow::Error| sql_error(&config.file, e);
    let tables: Vec<(String, TableSource)> = table_files(&config.run)
        .map_err(named)?
        .into_iter()
        .map(|(name, path)| (name, TableSource::Parquet(path)))
        .collect();
    let mut df = engine.query(&tables, &sql).map_err(named)?;
    match (config.format, &config.output) {
        (QueryFormat::Table, _) => {
            println!("{df}");
            Ok(())
        }
        (QueryFormat::Csv, None) => write_csv(&mut df, &mut std::io::stdout().lock()),
        (QueryFormat::Csv, Some(path)) => write_csv(&mut df, &mut fs::File::create(path)?),
        (QueryFormat::Parquet, Some(path)) => {
            fs::write(path, crate::publish::parquet::encode_parquet("query", &df)?)?;
            Ok(())
        }
        (QueryFormat::Parquet, None) => Ok(()),
    }
}

fn write_csv(df: &mut DataFrame, out: &mut impl Write) -> Result<()> {
    CsvWriter::new(out).include_header(true).finish(df)?;
    Ok(())
}
