//! The local engine: METHODOLOGY v1 in this process with polars. Reports and
//! prices are collected whole (they are small); transfers stream file by file
//! and only rejects and scam-bound rows are kept (`load.rs`), so memory is
//! bounded by the scam-related subset, not by the export (§2). A run reads
//! top to bottom here: `ingest.rs` (load → attribute → load transfers →
//! de-duplicate), the after-load checks, then `tables.rs` (value → roll up).

pub mod days;
pub mod dedupe;
pub mod ingest;
pub mod inspect;
pub mod load;
pub mod order;
pub mod prefilter;
pub mod scam_index;
pub mod senders;
pub mod sql;
pub mod store_scan;
pub mod tables;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::engine::local::ingest::{AttributionParams, ingest, summarise};
use crate::engine::{AfterLoad, Computed, Engine, LoadSummary, TableSource};
use crate::model::{MethodParams, RegionLevel};
use crate::readers::inputs::ResolvedInputs;

/// The in-process polars engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalEngine;

impl Engine for LocalEngine {
    fn name(&self) -> &'static str {
        "local"
    }

    fn validate(&self, inputs: &ResolvedInputs) -> Result<LoadSummary> {
        let params = AttributionParams {
            region_level: RegionLevel::Subregion,
            labels_as_of_day: None,
            transfer_days: (None, None),
            keep_valid_transfers: false,
        };
        let mut ingested = ingest(inputs, &params)?;
        summarise(&mut ingested)
    }

    fn run(
        &self,
        inputs: &ResolvedInputs,
        params: &MethodParams,
        after_load: AfterLoad,
    ) -> Result<Computed> {
        let mut ingested = ingest(inputs, &AttributionParams::of(params))?;
        let summary = summarise(&mut ingested)?;
        after_load(&summary)?;
        let mut tables = tables::measure(&mut ingested, params)?;
        tables.push((crate::names::REJECTS, summary.rejects.clone()));
        Ok(Computed { summary, tables })
    }

    fn revisions(
        &self,
        inputs: &ResolvedInputs,
        params: &MethodParams,
        dates: &[NaiveDate],
        after_load: AfterLoad,
    ) -> Result<(LoadSummary, DataFrame)> {
        let attribution = AttributionParams {
            keep_valid_transfers: true,
            ..AttributionParams::of(params)
        };
        let mut ingested = ingest(inputs, &attribution)?;
        let summary = summarise(&mut ingested)?;
        after_load(&summary)?;
        let table = tables::revisions(&ingested, params, dates, &inputs.taxonomy)?;
        Ok((summary, table))
    }

    fn query(&self, tables: &[(String, TableSource)], sql: &str) -> Result<DataFrame> {
        sql::execute(tables, sql)
    }
}
