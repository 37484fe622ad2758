//! The views between the checked inputs and the flows: prices with the
//! 7-day fallback, valued reports, the taxonomy and region maps, the
//! attribution votes (METHODOLOGY §3–§4), scam-bound transfers, their
//! de-duplication and flow classes.

use super::{MAX_DOUBLE, Shape, day_of, period_start, quote, values};
use crate::method::pricing::FALLBACK_DAYS;
use crate::model::Period;

pub(super) fn prices_usable() -> String {
    let day = day_of("date");
    format!(
        "SELECT _file, asset, day, price_usd, ROW_NUMBER() OVER (PARTITION BY asset, day ORDER BY _file, _row) AS copy \
         FROM (SELECT _file, _row, asset, {day} AS day, price_usd FROM checked_prices \
         WHERE _rule IS NULL AND price_usd > 0 AND NOT isnan(price_usd) AND price_usd <= {MAX_DOUBLE})"
    )
}

/// For every `(asset, day)` priced on that day or up to 7 days before, the
/// latest such price: each price repeated for days d..d+7, the nearest kept.
pub(super) fn prices_daily() -> String {
    let ages: Vec<String> = (0..=FALLBACK_DAYS).map(|k| format!("({k})")).collect();
    format!(
        "SELECT asset, day, price_usd FROM (SELECT asset, day + k AS day, price_usd, \
         ROW_NUMBER() OVER (PARTITION BY asset, day + k ORDER BY k) AS nearest \
         FROM (SELECT * FROM prices_usable WHERE copy = 1) CROSS JOIN (SELECT * FROM VALUES {} AS a(k))) \
         WHERE nearest = 1",
        ages.join(", ")
    )
}

/// Valid reports; a loss given in an asset is valued at the report day's price.
pub(super) fn reports_valued() -> String {
    let day = day_of("r.reported_at");
    "SELECT r.*, {day} AS reported_day, \
     (r.loss_usd IS NULL AND r.loss_amount * p.price_usd IS NOT NULL) AS loss_valued, \
     COALESCE(r.loss_usd, r.loss_amount * p.price_usd) AS loss_usd_valued \
     FROM (SELECT * FROM checked_reports WHERE _rule IS NULL) r \
     LEFT JOIN prices_daily p ON p.asset = r.loss_asset AND p.day = {day}"
        .replace("{day}", &day)
}

/// Reports kept: valid, with a plausible valued loss.
pub const REPORTS_KEPT: &str =
    "SELECT * FROM reports_valued WHERE NOT (loss_valued AND loss_usd_valued > 1.0E12)";

pub(super) fn label_map(shape: &Shape) -> String {
    let rows: Vec<Vec<String>> = shape
        .labels
        .iter()
        .map(|(raw, canonical)| vec![quote(raw), quote(canonical)])
        .collect();
    values(&rows, &["raw", "canonical"], &["STRING", "STRING"])
}

pub(super) fn country_map(shape: &Shape) -> String {
    let rows: Vec<Vec<String>> = shape
        .countries
        .iter()
        .map(|(raw, region)| vec![quote(raw), quote(region)])
        .collect();
    values(&rows, &["raw", "region"], &["STRING", "STRING"])
}

pub(super) fn type_priority(shape: &Shape) -> String {
    let rows: Vec<Vec<String>> = shape
        .types
        .iter()
        .enumerate()
        .map(|(k, t)| vec![quote(t), k.to_string()])
        .collect();
    values(&rows, &["scam_type", "priority"], &["STRING", "INT"])
}

/// Classified reports known as of `--labels-as-of`.
pub(super) fn reports_used(shape: &Shape) -> String {
    let as_of = match shape.labels_as_of_day {
        Some(day) => format!(" WHERE r.reported_day <= {day}"),
        None => String::new(),
    };
    format!(
        "SELECT r.report_id, r.chain, r.address, l.canonical AS scam_type, \
         COALESCE(c.region, 'Unknown') AS region, r.label, r.loss_usd_valued AS loss_usd, r.reported_day \
         FROM ({REPORTS_KEPT}) r \
         LEFT JOIN label_map l ON l.raw = r.scam_type \
         LEFT JOIN country_map c ON c.raw = COALESCE(r.country, ''){as_of}"
    )
}

/// The vote winner per address: most reports, ties by `order`.
fn majority(what: &str, filter: &str, join: &str, order: &str) -> String {
    format!(
        "SELECT chain, address, {what} FROM (SELECT v.chain, v.address, v.{what}, \
         ROW_NUMBER() OVER (PARTITION BY v.chain, v.address ORDER BY v.votes DESC, {order}) AS pick \
         FROM (SELECT chain, address, {what}, COUNT(*) AS votes FROM reports_used {filter} \
         GROUP BY chain, address, {what}) v {join}) WHERE pick = 1"
    )
}

/// METHODOLOGY §4: one row per scam address.
pub(super) fn addresses() -> String {
    let types = majority(
        "scam_type",
        "",
        "LEFT JOIN type_priority p ON p.scam_type = v.scam_type",
        "p.priority ASC",
    );
    let regions = majority("region", "WHERE region <> 'Unknown'", "", "v.region ASC");
    let labels = majority("label", "WHERE label IS NOT NULL", "", "v.label ASC");
    format!(
        "SELECT b.chain, b.address, t.scam_type, COALESCE(g.region, 'Unknown') AS region, l.label, \
         b.reports, b.first_day FROM (SELECT chain, address, COUNT(*) AS reports, \
         MIN(reported_day) AS first_day FROM reports_used GROUP BY chain, address) b \
         LEFT JOIN ({types}) t ON t.chain = b.chain AND t.address = b.address \
         LEFT JOIN ({regions}) g ON g.chain = b.chain AND g.address = b.address \
         LEFT JOIN ({labels}) l ON l.chain = b.chain AND l.address = b.address"
    )
}

/// Valid transfers into a scam address, valued (before de-duplication).
pub(super) fn scam_bound() -> String {
    let day = day_of("t.block_time");
    format!(
        "SELECT t._file, t._row, t.chain, t.tx_hash, COALESCE(t.transfer_index, 0) AS transfer_index, \
         t.block_time, {day} AS day, t.from_address, t.to_address, t.asset, t.amount, \
         COALESCE(t.amount_usd, t.amount * p.price_usd) AS usd \
         FROM (SELECT * FROM checked_transfers WHERE _rule IS NULL) t \
         JOIN addresses a ON a.chain = t.chain AND a.address = t.to_address \
         LEFT JOIN prices_daily p ON p.asset = t.asset AND p.day = {day}"
    )
}

/// METHODOLOGY §2: copies of one identity numbered by file, then row order
/// (a USD value above $10^12 is a reject, not a copy).
pub(super) fn ranked() -> String {
    "SELECT *, ROW_NUMBER() OVER (PARTITION BY chain, tx_hash, transfer_index ORDER BY _file, _row) AS copy \
     FROM scam_bound WHERE usd IS NULL OR usd <= 1.0E12"
        .to_string()
}

/// Senders that are scam addresses; a UTXO sender `A+B` is one when any
/// of its addresses is.
pub(super) fn scam_senders() -> String {
    "SELECT DISTINCT t.chain, t.from_address FROM (SELECT chain, from_address, \
     explode(split(from_address, '[+]')) AS part FROM ranked WHERE copy = 1) t \
     JOIN addresses s ON s.chain = t.chain AND s.address = t.part"
        .to_string()
}

/// One row per kept scam-bound transfer in `--from`/`--to`: attribution,
/// flow class and value in micro-dollars (half away from zero).
pub(super) fn flows(shape: &Shape) -> String {
    let mut range = String::new();
    if let Some(from) = shape.days.0 {
        range.push_str(&format!(" AND t.day >= {from}"));
    }
    if let Some(to) = shape.days.1 {
        range.push_str(&format!(" AND t.day <= {to}"));
    }
    format!(
        "SELECT t.chain, t.tx_hash, t.transfer_index, t.block_time, t.day, t.from_address, \
         t.to_address, t.asset, t.amount, a.scam_type, a.region, a.label, \
         CASE WHEN t.from_address = t.to_address THEN 'self' \
         WHEN s.from_address IS NOT NULL THEN 'internal' ELSE 'revenue' END AS flow, \
         CAST(round(t.usd * CAST(1000000 AS DOUBLE)) AS BIGINT) AS usd_micro, \
         {} AS period_start, {} AS year_start \
         FROM ranked t JOIN addresses a ON a.chain = t.chain AND a.address = t.to_address \
         LEFT JOIN scam_senders s ON s.chain = t.chain AND s.from_address = t.from_address \
         WHERE t.copy = 1{range}",
        period_start("t.day", shape.period),
        period_start("t.day", Period::Year)
    )
}
