//! Resolved configuration: the one place where flags become domain values
//! (`RunConfig::from_args`) and cross-flag checks happen (`validate`).
//! Nothing here reads input data.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cli::{InputArgs, PeriodArg, RegionLevelArg, RunArgs};
use crate::error::usage;

/// Calendar period of the output tables (METHODOLOGY §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Quarter,
    Month,
    Year,
}

/// Region level of the output tables (METHODOLOGY §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Continent,
    Subregion,
    Country,
}

/// The input files of one run, as the user named them (resolved later).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputSpec {
    pub transfers: Vec<String>,
    pub reports: Vec<String>,
    pub prices: Vec<String>,
    /// True when no input flag was given and the sample data is used.
    pub used_default_data: bool,
    /// `--mapping`: column mapping for non-canonical exports.
    #[serde(default)]
    pub mapping: Option<PathBuf>,
    /// `--transfers-format`: a forced transfers layout (`None`: detected).
    #[serde(default)]
    pub transfers_format: Option<String>,
    /// `--tokens`: a token registry extending the embedded one.
    #[serde(default)]
    pub tokens: Option<PathBuf>,
    /// `--store`: transfers come from this ingest store.
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Only these exports of the store (empty: all); `verify` pins them.
    #[serde(default)]
    pub store_sources: Vec<String>,
}

/// Checks on the inputs shared by `run` and `validate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckConfig {
    pub max_reject_rate: f64,
    pub allow_empty: bool,
}

/// Everything `run` needs, resolved and checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    pub inputs: InputSpec,
    pub checks: CheckConfig,
    pub out: PathBuf,
    pub period: Period,
    pub region_level: RegionLevel,
    pub labels_as_of: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub taxonomy: Option<PathBuf>,
    /// `--report FILE`: the report definition (None: `reports/quarterly.toml`
    /// when present in the working directory, else its built-in copy).
    #[serde(default)]
    pub report: Option<PathBuf>,
    /// `--no-report`: write the tables and manifest only.
    #[serde(default)]
    pub no_report: bool,
    /// The parameters as recorded by the run being re-run: `verify` reads
    /// the exact input files into a temporary directory, but the report it
    /// re-renders must show the command of the original run.
    #[serde(skip)]
    pub recorded: Option<Box<RunConfig>>,
    /// `--if-changed`: an execution switch, not a parameter of the figures.
    #[serde(skip)]
    pub if_changed: bool,
}

/// The dataset read when no input flag is given.
pub const DEFAULT_DATA_DIR: &str = "sample-data";

impl RunConfig {
    /// Resolve `run`'s flags; fails on a malformed date or contradictory flags.
    pub fn from_args(args: RunArgs) -> Result<Self> {
        let config = RunConfig {
            inputs: InputSpec::from_args(&args.input)?,
            checks: CheckConfig::from_args(&args.input),
            out: args.out,
            period: args.period.into(),
            region_level: args.region_level.into(),
            labels_as_of: parse_day_flag("--labels-as-of", args.labels_as_of.as_deref())?,
            from: parse_day_flag("--from", args.from.as_deref())?,
            to: parse_day_flag("--to", args.to.as_deref())?,
            taxonomy: args.taxonomy,
            report: args.report,
            no_report: args.no_report,
            recorded: None,
            if_changed: args.if_changed,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(usage(format!("--from {from} is after --to {to}")));
        }
        self.checks.validate()
    }
}

impl CheckConfig {
    pub fn from_args(args: &InputArgs) -> Self {
        CheckConfig {
            max_reject_rate: args.max_reject_rate,
            allow_empty: args.allow_empty,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let rate = self.max_reject_rate;
        if !(0.0..=1.0).contains(&rate) {
            return Err(usage(format!(
                "--max-reject-rate must be between 0 and 1, got {rate}"
            )));
        }
        Ok(())
    }
}

impl InputSpec {
    /// Expand `--data` into the standard layout and merge it with explicit paths.
    pub fn from_args(args: &InputArgs) -> Result<Self> {
        let explicit =
            !args.transfers.is_empty() || !args.reports.is_empty() || args.store.is_some();
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
            spec.add_standard_layout(&dir)?;
        }
        if (spec.transfers.is_empty() && spec.store.is_none()) || spec.reports.is_empty() {
            return Err(usage(
                "need transfers and reports: give --data DIR, or --transfers (or --store) and --reports",
            ));
        }
        Ok(spec)
    }

    fn add_standard_layout(&mut self, dir: &Path) -> Result<()> {
        if !dir.is_dir() {
            return Err(crate::error::bad_input(format!(
                "--data {}: no such directory",
                dir.display()
            )));
        }
        if self.transfers.is_empty() && self.store.is_none() {
            self.transfers
                .push(dir.join("transfers").display().to_string());
        }
        if self.reports.is_empty() {
            self.reports
                .push(pick_layout_file(dir, "reports").context("--data")?);
        }
        if self.prices.is_empty()
            && let Ok(path) = pick_layout_file(dir, "prices")
        {
            self.prices.push(path);
        }
        Ok(())
    }
}

/// `DIR/NAME.parquet`, `.csv`, `.csv.gz` or `.csv.zst`, whichever exists first.
fn pick_layout_file(dir: &Path, name: &str) -> Result<String> {
    for ext in ["parquet", "csv", "csv.gz", "csv.zst"] {
        let path = dir.join(format!("{name}.{ext}"));
        if path.is_file() {
            return Ok(path.display().to_string());
        }
    }
    Err(crate::error::bad_input(format!(
        "{}: no {name}.parquet or {name}.csv in the dataset",
        dir.display()
    )))
}

/// Parse a `YYYY-MM-DD` flag value.
fn parse_day_flag(flag: &str, value: Option<&str>) -> Result<Option<NaiveDate>> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|_| usage(format!("{flag} {v:?}: expected a date as YYYY-MM-DD")))
        })
        .transpose()
}

impl From<PeriodArg> for Period {
    fn from(p: PeriodArg) -> Self {
        match p {
            PeriodArg::Quarter => Period::Quarter,
            PeriodArg::Month => Period::Month,
            PeriodArg::Year => Period::Year,
        }
    }
}

impl From<RegionLevelArg> for RegionLevel {
    fn from(r: RegionLevelArg) -> Self {
        match r {
            RegionLevelArg::Continent => RegionLevel::Continent,
            RegionLevelArg::Subregion => RegionLevel::Subregion,
            RegionLevelArg::Country => RegionLevel::Country,
        }
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
