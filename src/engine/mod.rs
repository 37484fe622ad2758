//! The engine seam: whatever computes METHODOLOGY v1 takes the resolved
//! inputs and the method parameters and returns the tables, the per-file
//! counts and the rejects. `local` is the in-process polars engine; a cluster
//! engine implements the same trait, and the job executor and the publisher
//! do not change.
//!
//! Engines are where input data is materialised (the publisher materialises
//! only encoded output bytes). They log progress and memory, nothing else:
//! the run log's content belongs to the job.

pub mod local;
#[cfg(feature = "spark")]
pub mod spark;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::model::{FileCounts, MethodParams};
use crate::readers::inputs::ResolvedInputs;
use crate::readers::sources::RemoteFiles;

/// What an engine knows once every input is loaded and validated, before
/// anything is measured: enough for the executor to log the inputs and to
/// decide whether the run may go on (`method::validate::checks`).
pub struct LoadSummary {
    /// Row accounting per input file: reports, prices, then transfers.
    pub counts: Vec<FileCounts>,
    /// `rejects`: `input, file, row, reason, column, value`, sorted.
    pub rejects: DataFrame,
    /// Raw labels that matched no alias, with their report counts.
    pub unmatched_labels: BTreeMap<String, u64>,
    /// Rows of the attribution table.
    pub scam_addresses: usize,
    /// Earliest and latest `reported_at` (UTC days since 1970-01-01) of
    /// the reports used (as of `--labels-as-of`).
    pub reported_days: (Option<i64>, Option<i64>),
}

/// The outcome of one run: every output table, by file stem, in output order.
pub struct Computed {
    pub summary: LoadSummary,
    pub tables: Vec<(&'static str, DataFrame)>,
}

/// Called once loading is done; an error stops the run before measuring.
pub type AfterLoad<'a> = &'a mut dyn FnMut(&LoadSummary) -> Result<()>;

/// A table a SQL query may read: one of the run's own, in memory or as
/// published.
pub enum TableSource {
    Frame(DataFrame),
    Parquet(PathBuf),
}

/// What computes the method.
pub trait Engine {
    /// Name recorded in the manifest (`local`, …).
    fn name(&self) -> &'static str;

    /// The server it runs on, recorded in the manifest (`None`: this process).
    fn remote(&self) -> Option<String> {
        None
    }

    /// What lists and hashes the URI inputs its server opens (`None`: this
    /// engine reads paths on this machine only).
    fn remote_files(&self) -> Option<&dyn RemoteFiles> {
        None
    }

    /// Load and validate every input, measure nothing (`scamtrends validate`).
    fn validate(&self, inputs: &ResolvedInputs) -> Result<LoadSummary>;

    /// Every table of a run (METHODOLOGY v1 §2–7).
    fn run(
        &self,
        inputs: &ResolvedInputs,
        params: &MethodParams,
        after_load: AfterLoad,
    ) -> Result<Computed>;

    /// `revenue_total` per label vintage (`scamtrends revisions`):
    /// `labels_as_of, period, period_start, revenue_usd, deposits,
    /// scam_addresses`, sorted by vintage and period. `params.labels_as_of`
    /// is the latest of `dates`.
    fn revisions(
        &self,
        inputs: &ResolvedInputs,
        params: &MethodParams,
        dates: &[NaiveDate],
        after_load: AfterLoad,
    ) -> Result<(LoadSummary, DataFrame)>;

    /// Run one SQL query over named tables. SQL outside the allow-list
    /// (`readers::sql`) fails with a [`crate::error::SqlRefusal`]
    /// before anything runs.
    fn query(&self, tables: &[(String, TableSource)], sql: &str) -> Result<DataFrame>;
}
