//! One file per subcommand: each turns its clap Args into a typed config in
//! one place (with the cross-flag checks) and calls the layer that does the
//! work: the job executor, the store's writer, the generator, or an engine.
//! This module dispatches.

pub mod engine;
pub mod generate;
pub mod ingest;
pub mod inputs;
pub mod inspect;
pub mod query;
pub mod report;
pub mod revisions;
pub mod run;
pub mod validate;
pub mod verify;

use anyhow::Result;

use crate::cli::{Cli, Command, LogFormatArg};
use crate::log::LogMode;

/// Run one command.
pub fn run(cli: Cli) -> Result<()> {
    crate::log::init(match (cli.quiet, cli.log_format) {
        (true, _) => LogMode::Quiet,
        (false, LogFormatArg::Json) => LogMode::Json,
        (false, LogFormatArg::Human) => LogMode::Human,
    });
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Query(args) => query::run(args),
        Command::Report(args) => report::run(args),
        Command::Ingest(args) => ingest::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Revisions(args) => revisions::run(args),
        Command::Generate(args) => generate::run(args),
    }
}
