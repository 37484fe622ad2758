//! What the report reads from a run: the §7 tables (per run period and per
//! year), the attributed address count, rejects by reason and the manifest's
//! provenance, turned into plain rows so that every renderer after this point
//! is ordinary Rust with no dataframe code.
//!
//! In: the run's tables (in memory during `run`, or read back from the run
//! directory's Parquet by `report --run`, `publish::readback`) and its
//! manifest JSON. Out: `RunData`.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Deserialize;

use crate::model::{Period, RunConfig};

/// One row of a revenue rollup; `key` is the scam type or region ("" for totals).
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub period: String,
    pub key: String,
    pub revenue_usd: f64,
    pub deposits: i64,
    pub unpriced_deposits: i64,
    pub senders: i64,
    pub avg_deposit_usd: Option<f64>,
    pub revenue_yoy: Option<f64>,
    pub deposits_yoy: Option<f64>,
    pub avg_deposit_yoy: Option<f64>,
    pub revenue_share: Option<f64>,
}

/// One row of `yearly_reported_losses` (or `reported_losses` for yearly runs).
#[derive(Debug, Clone, PartialEq)]
pub struct LossRow {
    pub period: String,
    pub scam_type: String,
    pub region: String,
    pub reports: i64,
    pub loss_usd: f64,
}

/// Rejected rows per input kind and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectCount {
    pub input: String,
    pub reason: String,
    pub rows: i64,
}

/// The manifest fields a report shows (provenance, parameters, vintage).
#[derive(Debug, Clone, Deserialize)]
pub struct Provenance {
    pub tool: ToolView,
    pub methodology_version: String,
    pub parameters: RunConfig,
    pub inputs: Vec<InputView>,
    pub label_vintage: VintageView,
    #[serde(default)]
    pub synthetic_data: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ToolView {
    pub version: String,
    #[serde(default)]
    pub git_revision: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InputView {
    pub kind: String,
    pub path: String,
    pub format: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub duplicates_dropped: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VintageView {
    pub earliest_reported_at: Option<String>,
    pub latest_reported_at: Option<String>,
    pub labels_as_of: Option<String>,
}

/// Everything a report is made from.
#[derive(Debug, Clone)]
pub struct RunData {
    pub period: Period,
    /// Rollups per run period (`revenue_by_type`, `revenue_by_region`, `revenue_total`).
    pub by_type: Vec<Rollup>,
    pub by_region: Vec<Rollup>,
    pub total: Vec<Rollup>,
    /// The same per calendar year.
    pub year_by_type: Vec<Rollup>,
    pub year_by_region: Vec<Rollup>,
    pub year_total: Vec<Rollup>,
    pub year_losses: Vec<LossRow>,
    /// Rows of `addresses.parquet`.
    pub addresses: usize,
    pub rejects: Vec<RejectCount>,
    pub provenance: Provenance,
}

/// Table file stems the report reads, per run period and per year.
pub struct TableNames {
    pub by_type: &'static str,
    pub by_region: &'static str,
    pub total: &'static str,
    pub losses: &'static str,
}

/// Where the yearly figures come from: the main tables of a yearly run, else
/// the `yearly_*` companions.
pub fn yearly_tables(period: Period) -> TableNames {
    match period {
        Period::Year => TableNames {
            by_type: "revenue_by_type",
            by_region: "revenue_by_region",
            total: "revenue_total",
            losses: "reported_losses",
        },
        _ => TableNames {
            by_type: "yearly_revenue_by_type",
            by_region: "yearly_revenue_by_region",
            total: "yearly_revenue_total",
            losses: "yearly_reported_losses",
        },
    }
}

impl RunData {
    /// From the run's tables by file stem and its manifest JSON.
    pub fn from_tables(tables: &BTreeMap<String, DataFrame>, manifest_json: &[u8]) -> Result<Self> {
        let provenance: Provenance =
            serde_json::from_slice(manifest_json).context("reading the manifest for the report")?;
        let period = provenance.parameters.period;
        let table = |name: &str| {
            tables
                .get(name)
                .with_context(|| format!("the run has no {name}.parquet (re-run `scamtrends run`)"))
        };
        let yearly = yearly_tables(period);
        Ok(RunData {
            period,
            by_type: rollups(table("revenue_by_type")?, "scam_type")?,
            by_region: rollups(table("revenue_by_region")?, "region")?,
            total: rollups(table("revenue_total")?, "")?,
            year_by_type: rollups(table(yearly.by_type)?, "scam_type")?,
            year_by_region: rollups(table(yearly.by_region)?, "region")?,
            year_total: rollups(table(yearly.total)?, "")?,
            year_losses: losses(table(yearly.losses)?)?,
            addresses: table("addresses")?.height(),
            rejects: reject_counts(table("rejects")?)?,
            provenance,
        })
    }
}

/// Every table a report may read.
pub const REPORT_TABLES: [&str; 10] = [
    "revenue_by_type",
    "revenue_by_region",
    "revenue_total",
    "reported_losses",
    "yearly_revenue_by_type",
    "yearly_revenue_by_region",
    "yearly_revenue_total",
    "yearly_reported_losses",
    "addresses",
    "rejects",
];

fn strings(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let c = df.column(name)?.str()?;
    Ok(c.iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

fn ints(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

fn rollups(df: &DataFrame, key: &str) -> Result<Vec<Rollup>> {
    let n = df.height();
    let keys = if key.is_empty() {
        vec![String::new(); n]
    } else {
        strings(df, key)?
    };
    let share = if df.schema().contains("revenue_share") {
        floats(df, "revenue_share")?
    } else {
        vec![None; n]
    };
    let (period, revenue) = (strings(df, "period")?, floats(df, "revenue_usd")?);
    let (deposits, unpriced, senders) = (
        ints(df, "deposits")?,
        ints(df, "unpriced_deposits")?,
        ints(df, "senders")?,
    );
    let avg = floats(df, "avg_deposit_usd")?;
    let (rev_yoy, dep_yoy, avg_yoy) = (
        floats(df, "revenue_yoy")?,
        floats(df, "deposits_yoy")?,
        floats(df, "avg_deposit_yoy")?,
    );
    Ok((0..n)
        .map(|i| Rollup {
            period: period[i].clone(),
            key: keys[i].clone(),
            revenue_usd: revenue[i].unwrap_or(0.0),
            deposits: deposits[i],
            unpriced_deposits: unpriced[i],
            senders: senders[i],
            avg_deposit_usd: avg[i],
            revenue_yoy: rev_yoy[i],
            deposits_yoy: dep_yoy[i],
            avg_deposit_yoy: avg_yoy[i],
            revenue_share: share[i],
        })
        .collect())
}

fn losses(df: &DataFrame) -> Result<Vec<LossRow>> {
    let (period, scam_type, region) = (
        strings(df, "period")?,
        strings(df, "scam_type")?,
        strings(df, "region")?,
    );
    let (reports, loss) = (ints(df, "reports")?, floats(df, "loss_usd")?);
    Ok((0..df.height())
        .map(|i| LossRow {
            period: period[i].clone(),
            scam_type: scam_type[i].clone(),
            region: region[i].clone(),
            reports: reports[i],
            loss_usd: loss[i].unwrap_or(0.0),
        })
        .collect())
}

fn reject_counts(df: &DataFrame) -> Result<Vec<RejectCount>> {
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (input, reason) in strings(df, "input")?
        .into_iter()
        .zip(strings(df, "reason")?)
    {
        *counts.entry((input, reason)).or_default() += 1;
    }
    Ok(counts
        .into_iter()
        .map(|((input, reason), rows)| RejectCount {
            input,
            reason,
            rows,
        })
        .collect())
}

/// Whole cents of a dollar amount read back from a table (exact for the
/// cent-rounded values the tables hold).
pub fn cents(usd: f64) -> i64 {
    (usd * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_rows_keep_nulls_and_keys() {
        let df = df!(
            "period" => ["2024"],
            "period_start" => [0i32],
            "scam_type" => ["pig_butchering"],
            "revenue_usd" => [423082.34],
            "deposits" => [117i64],
            "unpriced_deposits" => [0i64],
            "senders" => [90i64],
            "avg_deposit_usd" => [3616.09],
            "median_deposit_usd" => [1000.0],
            "revenue_yoy" => [Some(0.398707)],
            "deposits_yoy" => [Some(2.078947)],
            "avg_deposit_yoy" => [None::<f64>],
            "revenue_share" => [0.33],
        )
        .unwrap();
        let rows = rollups(&df, "scam_type").unwrap();
        assert_eq!(rows[0].key, "pig_butchering");
        assert_eq!(rows[0].deposits, 117);
        assert_eq!(rows[0].avg_deposit_yoy, None);
        assert_eq!(rows[0].revenue_share, Some(0.33));
        assert_eq!(cents(rows[0].revenue_usd), 42_308_234);
    }
}
