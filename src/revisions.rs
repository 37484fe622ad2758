//! `scamtrends revisions`: how each period's revenue grows as labels
//! accumulate — the reason published estimates are revised upward every year.
//! Loads the inputs once (with the latest `--labels-as-of`), then re-attributes
//! and re-measures for each earlier date on the scam-bound subset.

use std::sync::Arc;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::cli::RevisionsArgs;
use crate::config::{CheckConfig, InputSpec, RunConfig};
use crate::error::ScamError;
use crate::log::info;
use crate::pipeline::{
    AttributionParams, as_of_day, check_inputs, day_number, ingest, revenue_totals, valued_flows,
};
use crate::publish::StagedDir;
use crate::publish::lock::OutputLock;
use crate::publish::parquet::encode_parquet;
use crate::taxonomy::Taxonomy;

/// Run `revisions` and publish `revisions.parquet` and `revisions.svg`.
pub fn revisions(args: RevisionsArgs) -> Result<()> {
    let dates = parse_dates(&args.labels_as_of)?;
    let config = RunConfig {
        inputs: InputSpec::from_args(&args.input)?,
        checks: CheckConfig::from_args(&args.input),
        out: args.out.clone(),
        period: args.period.into(),
        region_level: args.region_level.into(),
        labels_as_of: dates.last().copied(),
        from: None,
        to: None,
        taxonomy: args.taxonomy.clone(),
        report: None,
        no_report: true,
        recorded: None,
        if_changed: false,
    };
    config.checks.validate()?;
    let _lock = OutputLock::acquire(&config.out)?;
    let taxonomy = Arc::new(Taxonomy::load(config.taxonomy.as_deref())?);
    let params = AttributionParams {
        keep_valid_transfers: true,
        ..AttributionParams::of(&config)
    };
    let ingested = ingest(&config.inputs, &taxonomy, &params)?;
    check_inputs(&ingested, &config.checks)?;
    let mut frames = Vec::new();
    for date in &dates {
        let (addresses, scam_transfers) = as_of_day(&ingested, day_number(*date), &taxonomy)?;
        let flows = valued_flows(scam_transfers, &addresses, &ingested.prices.valid, &config)?;
        let totals = revenue_totals(&flows, config.period)?;
        info(format!(
            "labels as of {date}: {} scam addresses",
            addresses.height()
        ));
        frames.push(
            totals.lazy().select([
                lit(date.to_string())
                    .str()
                    .to_date(StrptimeOptions::default())
                    .alias("labels_as_of"),
                col("period"),
                col("period_start"),
                col("revenue_usd"),
                col("deposits"),
                lit(addresses.height() as i64)
                    .cast(DataType::Int64)
                    .alias("scam_addresses"),
            ]),
        );
    }
    let table = concat(frames, UnionArgs::default())?
        .sort(["labels_as_of", "period"], SortMultipleOptions::default())
        .collect()?;
    let mut staged = StagedDir::new(&config.out)?;
    staged.write("revisions.parquet", &encode_parquet("revisions", &table)?)?;
    staged.write(
        "revisions.svg",
        crate::publish::revisions_chart::render_svg(&table)?.as_bytes(),
    )?;
    let out = staged.commit()?;
    info(format!("wrote {}", out.display()));
    Ok(())
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
