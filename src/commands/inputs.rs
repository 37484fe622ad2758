//! The flags every command that reads inputs shares (`InputArgs`), turned
//! into an [`InputSpec`] and a [`CheckConfig`]; and the small flag parsers
//! (dates, periods, region levels) the commands share.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::cli::{InputArgs, PeriodArg, RegionLevelArg};
use crate::error::{bad_input, usage};
use crate::model::{CheckConfig, InputSpec, Period, RegionLevel};
use crate::names::DEFAULT_DATA_DIR;

/// Expand `--data` into the standard layout and merge it with explicit paths.
pub fn input_spec(args: &InputArgs) -> Result<InputSpec> {
    let explicit = !args.transfers.is_empty() || !args.reports.is_empty() || args.store.is_some();
    let used_default_data = args.data.is_none() && !explicit && args.prices.is_empty();
    let data = match (&args.data, used_default_data) {
        (Some(dir), _) => Some(dir.clone()),
        (None, true) => Some(PathBuf::from(DEFAULT_DATA_DIR)),
        (None, false) => None,
    };
    let mut spec = InputSpec {
        transfers: args.transfers.clone(),
        reports: args.reports.clone(),
        prices: args.prices.clone(),
        used_default_data,
        mapping: args.mapping.clone(),
        transfers_format: args.transfers_format.preset().map(str::to_string),
        tokens: args.tokens.clone(),
        store: args.store.clone(),
        store_sources: Vec::new(),
    };
    if let Some(dir) = data {
        add_standard_layout(&mut spec, &dir)?;
    }
    if (spec.transfers.is_empty() && spec.store.is_none()) || spec.reports.is_empty() {
        return Err(usage(
            "need transfers and reports: give --data DIR, or --transfers (or --store) and --reports",
        ));
    }
    Ok(spec)
}

fn add_standard_layout(spec: &mut InputSpec, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(bad_input(format!(
            "--data {}: no such directory",
            dir.display()
        )));
    }
    if spec.transfers.is_empty() && spec.store.is_none() {
        spec.transfers
            .push(dir.join("transfers").display().to_string());
    }
    if spec.reports.is_empty() {
        spec.reports
            .push(pick_layout_file(dir, "reports").context("--data")?);
    }
    if spec.prices.is_empty()
        && let Ok(path) = pick_layout_file(dir, "prices")
    {
        spec.prices.push(path);
    }
    Ok(())
}

/// `DIR/NAME.parquet`, `.csv`, `.csv.gz` or `.csv.zst`, whichever exists first.
fn pick_layout_file(dir: &Path, name: &str) -> Result<String> {
    for ext in ["parquet", "csv", "csv.gz", "csv.zst"] {
        let path = dir.join(format!("{name}.{ext}"));
        if path.is_file() {
            return Ok(path.display().to_string());
        }
    }
    Err(bad_input(format!(
        "{}: no {name}.parquet or {name}.csv in the dataset",
        dir.display()
    )))
}

/// `--max-reject-rate` and `--allow-empty`, checked.
pub fn check_config(args: &InputArgs) -> Result<CheckConfig> {
    let rate = args.max_reject_rate;
    if !(0.0..=1.0).contains(&rate) {
        return Err(usage(format!(
            "--max-reject-rate must be between 0 and 1, got {rate}"
        )));
    }
    Ok(CheckConfig {
        max_reject_rate: rate,
        allow_empty: args.allow_empty,
    })
}

/// Parse a `YYYY-MM-DD` flag value.
pub fn parse_day_flag(flag: &str, value: Option<&str>) -> Result<Option<NaiveDate>> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|_| usage(format!("{flag} {v:?}: expected a date as YYYY-MM-DD")))
        })
        .transpose()
}

/// `--period`.
pub fn period(p: PeriodArg) -> Period {
    match p {
        PeriodArg::Quarter => Period::Quarter,
        PeriodArg::Month => Period::Month,
        PeriodArg::Year => Period::Year,
    }
}

/// `--region-level`.
pub fn region_level(r: RegionLevelArg) -> RegionLevel {
    match r {
        RegionLevelArg::Continent => RegionLevel::Continent,
        RegionLevelArg::Subregion => RegionLevel::Subregion,
        RegionLevelArg::Country => RegionLevel::Country,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_flags_parse_and_reject_garbage() {
        let d = parse_day_flag("--to", Some("2024-12-31")).unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2024, 12, 31));
        let err = parse_day_flag("--to", Some("31/12/2024")).unwrap_err();
        assert!(format!("{err}").contains("--to"));
    }
}
