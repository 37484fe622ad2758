//! scamtrends: reproducible scam-revenue trends from crypto transfer exports
//! and scam reports. The layers, bottom to top (an import may only go down;
//! `tests/cli/layering.rs` checks it):
//!
//! - base: `names` (shared column/table names and constants), `model`
//!   (shared data types), `error`, `log`, `memory`;
//! - `method`: METHODOLOGY v1 as pure stages, frames in, frames out;
//! - I/O: `readers` (exports, mappings, tokens), `store` (the ingest store),
//!   `publish` (staging, lock, manifest, Parquet), `generate` (synthetic data);
//! - `engine`: what computes the method (`engine::local`: polars in process);
//! - `report`: pure renderers of a run's tables and the report's writer;
//! - `job`: resolve inputs → engine → publish;
//! - `cli` (clap only), then `commands` (one file per subcommand) and
//!   `fuzz_targets` (every parser of outside input, for `fuzz/`).

pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod fuzz_targets;
pub mod generate;
pub mod job;
pub mod log;
pub mod memory;
pub mod method;
pub mod model;
pub mod names;
pub mod publish;
pub mod readers;
pub mod report;
pub mod store;

#[cfg(test)]
mod test_support;
