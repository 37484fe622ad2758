//! Integration tests: the real `scamtrends` binary on small fixtures.

mod bad_input;
mod browser;
mod chains;
mod crash;
mod determinism;
mod ethereum_etl;
mod layering;
mod query;
mod report;
mod rules;
mod sample;
mod scheduled;
mod shared_data;
#[cfg(feature = "spark")]
mod spark;
mod spec_examples;
mod store;
mod trust;
mod workdir;
