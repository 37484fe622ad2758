//! `scamtrends revisions`: how each period's revenue grows as labels
//! accumulate — the reason published estimates are revised upward every year.
//! The engine loads the inputs once (with the latest `--labels-as-of`), then
//! re-attributes and re-measures for each earlier date on the scam-bound
//! subset; the job publishes the table and its chart.

use anyhow::Result;
use chrono::NaiveDate;

use crate::cli::RevisionsArgs;
use crate::commands::inputs::{check_config, input_spec, period, region_level};
use crate::error::ScamError;
use crate::model::RunConfig;

/// The resolved flags of `revisions`: the run it re-attributes and its dates.
pub struct RevisionsConfig {
    pub run: RunConfig,
    /// Label vintages, sorted and distinct; the run uses the latest.
    pub dates: Vec<NaiveDate>,
}

/// Resolve `revisions`' flags.
pub fn config_from_cli(args: RevisionsArgs) -> Result<RevisionsConfig> {
    let dates = parse_dates(&args.labels_as_of)?;
    let run = RunConfig {
        inputs: input_spec(&args.input)?,
        checks: check_config(&args.input)?,
        out: args.out,
        period: period(args.period),
        region_level: region_level(args.region_level),
        labels_as_of: dates.last().copied(),
        from: None,
        to: None,
        taxonomy: args.taxonomy,
        report: None,
        no_report: true,
        recorded: None,
        if_changed: false,
    };
    Ok(RevisionsConfig { run, dates })
}

/// Run `revisions` and publish `revisions.parquet` and its chart.
pub fn run(args: RevisionsArgs) -> Result<()> {
    let engine = crate::commands::engine::engine_of(&args.engine)?;
    let config = config_from_cli(args)?;
    crate::job::revisions(&config.run, &config.dates, engine.as_ref())
}

/// `D1,D2,…` → sorted, distinct dates.
fn parse_dates(list: &str) -> Result<Vec<NaiveDate>> {
    let mut dates = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let date = NaiveDate::parse_from_str(part, "%Y-%m-%d").map_err(|_| {
            ScamError::Usage(format!(
                "--labels-as-of {part:?}: expected dates as YYYY-MM-DD,YYYY-MM-DD"
            ))
        })?;
        dates.push(date);
    }
    dates.sort();
    dates.dedup();
    if dates.is_empty() {
        return Err(ScamError::Usage("--labels-as-of needs at least one date".into()).into());
    }
    Ok(dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_sorted_and_checked() {
        let d = parse_dates("2024-12-31, 2023-12-31,2024-12-31").unwrap();
        assert_eq!(d.len(), 2);
        assert!(d[0] < d[1]);
        assert!(parse_dates("2024-13-01").is_err());
        assert!(parse_dates(" , ").is_err());
    }
}
