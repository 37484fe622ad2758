//! scamtrends: reproducible scam-revenue trends from crypto transfer exports
//! and scam reports. The pipeline is `load → validate → attribute → measure →
//! publish`; each stage is a module, and `pipeline` executes them in order.

pub mod app;
pub mod attribute;
pub mod cli;
pub mod config;
pub mod error;
pub mod generate;
pub mod inspect;
pub mod load;
pub mod log;
pub mod measure;
pub mod memory;
pub mod period;
pub mod pipeline;
pub mod pricing;
pub mod publish;
pub mod query;
pub mod regions;
pub mod report;
pub mod revisions;
pub mod store;
pub mod taxonomy;
pub mod validate;
pub mod verify;

#[cfg(test)]
mod test_support;
