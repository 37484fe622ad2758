//! `scamtrends generate`: flags → [`GenerateConfig`], then the generator.

use anyhow::Result;

use crate::cli::{FormatArg, GenerateArgs};
use crate::error::usage;
use crate::generate::{GenerateConfig, generate};

/// Resolve `generate`'s flags.
pub fn config_from_cli(args: GenerateArgs) -> Result<GenerateConfig> {
    if args.files == 0 || args.rows == 0 {
        return Err(usage("--rows and --files must be at least 1"));
    }
    Ok(GenerateConfig {
        rows: args.rows,
        seed: args.seed,
        out: args.out,
        parquet: matches!(args.format, FormatArg::Parquet),
        files: args.files,
    })
}

/// Write a synthetic dataset.
pub fn run(args: GenerateArgs) -> Result<()> {
    generate(&config_from_cli(args)?)
}
