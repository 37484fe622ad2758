//! `scamtrends ingest`: flags → [`IngestConfig`], then the store's writer.

use anyhow::Result;

use crate::cli::IngestArgs;
use crate::store::ingest::{IngestConfig, ingest};

/// Resolve `ingest`'s flags.
pub fn config_from_cli(args: IngestArgs) -> IngestConfig {
    IngestConfig {
        paths: args.paths,
        store: args.store,
        transfers_format: args.transfers_format.preset().map(str::to_string),
        mapping: args.mapping,
        tokens: args.tokens,
    }
}

/// Convert exports into the store.
pub fn run(args: IngestArgs) -> Result<()> {
    ingest(&config_from_cli(args))
}
