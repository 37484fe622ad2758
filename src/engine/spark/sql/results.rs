//! The queries whose results come back as Arrow: rejects, counts, the
//! labels and countries the client maps, addresses, flows and every rollup
//! as exact integers (sums in micro-dollars, counts, the two middle values
//! of each median).

use super::stages::REPORTS_KEPT;
use super::typing::{reject_float, reject_value};
use super::{IMPLAUSIBLE_AMOUNT, IMPLAUSIBLE_LOSS, Shape, checked_view, period_start, quote};
use crate::model::{InputKind, Period};

/// `input, _file, _row, _rule, value, f64, f32, usd` of every rejected
/// row: the value as text, or as the file's float (`f64`, `f32`) for the
/// client to spell.
pub fn rejects_query() -> String {
    let mut parts: Vec<String> = [InputKind::Prices, InputKind::Reports, InputKind::Transfers]
        .iter()
        .map(|k| {
            format!(
                "SELECT {} AS input, _file, _row, CAST(_rule AS BIGINT) AS _rule, {} AS value, \
                 {} AS f64, {} AS f32, CAST(NULL AS DOUBLE) AS usd FROM {} WHERE _rule IS NOT NULL",
                quote(k.name()),
                reject_value(*k),
                reject_float(*k, 64),
                reject_float(*k, 32),
                checked_view(*k)
            )
        })
        .collect();
    let none = "CAST(NULL AS STRING), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE)";
    parts.push(format!(
        "SELECT 'reports', _file, _row, CAST({IMPLAUSIBLE_LOSS} AS BIGINT), {none}, loss_usd_valued \
         FROM reports_valued WHERE loss_valued AND loss_usd_valued > 1.0E12"
    ));
    parts.push(format!(
        "SELECT 'transfers', _file, _row, CAST({IMPLAUSIBLE_AMOUNT} AS BIGINT), {none}, usd \
         FROM scam_bound WHERE usd > 1.0E12"
    ));
    parts.join(" UNION ALL ")
}

/// `input, _file, rows_read, duplicates` per file with rows.
pub fn counts_query() -> String {
    let mut parts: Vec<String> = [InputKind::Prices, InputKind::Reports, InputKind::Transfers]
        .iter()
        .map(|k| {
            format!(
                "SELECT {} AS input, _file, COUNT(*) AS rows_read, CAST(0 AS BIGINT) AS duplicates \
                 FROM {} GROUP BY _file",
                quote(k.name()),
                checked_view(*k)
            )
        })
        .collect();
    parts.push(
        "SELECT 'prices', _file, CAST(0 AS BIGINT), COUNT(*) FROM prices_usable WHERE copy > 1 GROUP BY _file"
            .to_string(),
    );
    parts.push(
        "SELECT 'transfers', _file, CAST(0 AS BIGINT), COUNT(*) FROM ranked WHERE copy > 1 GROUP BY _file"
            .to_string(),
    );
    parts.join(" UNION ALL ")
}

/// Raw labels of the kept reports with their counts (the client maps them
/// through the taxonomy: one implementation of §3 for every engine).
pub fn labels_query() -> String {
    format!("SELECT scam_type, COUNT(*) AS n FROM ({REPORTS_KEPT}) GROUP BY scam_type")
}

/// Distinct country texts of the kept reports ("" for none).
pub fn countries_query() -> String {
    format!("SELECT DISTINCT COALESCE(country, '') AS country FROM ({REPORTS_KEPT})")
}

/// Earliest and latest `reported_day` of the reports used.
pub const REPORTED_DAYS: &str =
    "SELECT MIN(reported_day) AS first_day, MAX(reported_day) AS last_day FROM reports_used";

pub const ADDRESSES_QUERY: &str = "SELECT chain, address, scam_type, region, label, reports, first_day \
     FROM addresses ORDER BY chain, address";

pub const FLOWS_QUERY: &str = "SELECT chain, tx_hash, transfer_index, block_time, day, from_address, \
     to_address, asset, amount, scam_type, region, label, flow, usd_micro FROM flows \
     ORDER BY chain, tx_hash, transfer_index";

/// The middle values of `value` within each group of `long` (which has
/// `level, start, scam_type, region`), as `median_lo`, `median_hi`.
fn middles(long: &str, value: &str, extra: &str) -> String {
    let keys = "level, start, scam_type, region";
    format!(
        "SELECT {keys}, {extra}COALESCE(SUM({value}), 0) AS {value}_sum, \
         MIN(CASE WHEN pos = (priced + 1) DIV 2 THEN {value} END) AS median_lo, \
         MIN(CASE WHEN pos = priced DIV 2 + 1 THEN {value} END) AS median_hi \
         FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {value} ASC NULLS LAST) AS pos, \
         COUNT({value}) OVER (PARTITION BY {keys}) AS priced FROM {long}) GROUP BY {keys}"
    )
}

/// The levels a rollup groups: `(level, start column, keeps type, keeps region)`.
fn levels(period: Period) -> Vec<(usize, &'static str, bool, bool)> {
    let mut out = Vec::new();
    let starts: &[&str] = match period {
        Period::Year => &["period_start"],
        _ => &["period_start", "year_start"],
    };
    for (s, start) in starts.iter().enumerate() {
        for (k, (t, r)) in [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .enumerate()
        {
            out.push((s * 4 + k, *start, t, r));
        }
    }
    out
}

/// Every revenue rollup in one query: `level` (0–3: type × region, type,
/// region, total per period; 4–7 the same per year), `start`, the keys,
/// `usd_micro_sum`, `deposits`, `unpriced_deposits`, `senders` and the
/// two middle values of the priced deposits.
pub fn rollups_query(period: Period) -> String {
    let rows: Vec<String> = levels(period)
        .into_iter()
        .map(|(level, start, t, r)| format!("({level}, {}, {t}, {r})", start == "year_start"))
        .collect();
    // one pass over the flows, each row repeated once per level (a UNION
    // of eight SELECTs would compute the flows eight times)
    let long = format!(
        "(SELECT l.level, CASE WHEN l.yearly THEN f.year_start ELSE f.period_start END AS start, \
         CASE WHEN l.by_type THEN f.scam_type END AS scam_type, \
         CASE WHEN l.by_region THEN f.region END AS region, f.usd_micro, \
         concat(f.chain, char(31), f.from_address) AS sender \
         FROM (SELECT * FROM flows WHERE flow = 'revenue') f \
         CROSS JOIN (VALUES {}) AS l(level, yearly, by_type, by_region))",
        rows.join(", ")
    );
    format!(
        "{} ORDER BY level, start, scam_type, region",
        middles(
            &long,
            "usd_micro",
            "COUNT(*) AS deposits, COUNT(*) - COUNT(usd_micro) AS unpriced_deposits, \
             COUNT(DISTINCT sender) AS senders, "
        )
    )
}

/// Internal flows per period (level 0) and per year (level 1).
pub fn internal_query(period: Period) -> String {
    let levels = match period {
        Period::Year => "(0, false)",
        _ => "(0, false), (1, true)",
    };
    format!(
        "SELECT level, start, COUNT(*) AS internal_transfers, \
         COALESCE(SUM(usd_micro), 0) AS internal_micro FROM \
         (SELECT l.level, CASE WHEN l.yearly THEN f.year_start ELSE f.period_start END AS start, \
         f.usd_micro FROM (SELECT * FROM flows WHERE flow = 'internal') f \
         CROSS JOIN (VALUES {levels}) AS l(level, yearly)) GROUP BY level, start"
    )
}

/// `reported_losses` aggregates per period (level 0) and year (level 1).
pub fn losses_query(shape: &Shape) -> String {
    let mut range = Vec::new();
    if let Some(from) = shape.days.0 {
        range.push(format!("reported_day >= {from}"));
    }
    if let Some(to) = shape.days.1 {
        range.push(format!("reported_day <= {to}"));
    }
    let filter = match range.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", range.join(" AND ")),
    };
    let levels = match shape.period {
        Period::Year => "(0, false)",
        _ => "(0, false), (1, true)",
    };
    let long = format!(
        "(SELECT l.level, CASE WHEN l.yearly THEN {} ELSE {} END AS start, \
         r.scam_type, r.region, r.report_id, concat(r.chain, char(31), r.address) AS addr, r.loss_usd \
         FROM (SELECT * FROM reports_used{filter}) r CROSS JOIN (VALUES {levels}) AS l(level, yearly))",
        period_start("r.reported_day", Period::Year),
        period_start("r.reported_day", shape.period)
    );
    let keys = "level, start, scam_type, region";
    let per_report = format!(
        "(SELECT {keys}, report_id, CAST(round(MAX(loss_usd) * CAST(1000000 AS DOUBLE)) AS BIGINT) AS loss \
         FROM {long} GROUP BY {keys}, report_id)"
    );
    format!(
        "SELECT c.level, c.start, c.scam_type, c.region, c.reports, c.addresses, l.loss_sum, \
         l.median_lo, l.median_hi FROM (SELECT {keys}, COUNT(DISTINCT report_id) AS reports, \
         COUNT(DISTINCT addr) AS addresses FROM {long} GROUP BY {keys}) c JOIN ({}) l \
         ON l.level = c.level AND l.start = c.start AND l.scam_type = c.scam_type AND l.region = c.region \
         ORDER BY c.level, c.start, c.scam_type, c.region",
        middles(&per_report, "loss", "")
    )
}
