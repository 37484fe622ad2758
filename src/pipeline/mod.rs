//! The run, stage by stage: load → validate → attribute → measure. This is the
//! one place where lazy plans are collected, so the whole plan reads top to
//! bottom here. Publishing (files on disk) is `publish`'s job.

pub mod dedupe;
pub mod ingest;
pub mod order;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::attribute::{attribute_addresses, classify_reports, reports_as_of};
use crate::config::{CheckConfig, InputSpec, Period, RunConfig};
use crate::error::{ScamError, bad_input};
use crate::load::mapping::Mapping;
use crate::load::scam_index::{ATTR, ScamIndex, with_attribution};
use crate::load::sources::resolve_inputs;
use crate::load::{FILE, scan::ROW};
use crate::measure::{
    attributed_transfers, by_year, classify_flows, reported_losses, revenue_rows, rollup,
    with_internal_flows, with_periods, with_revenue_share, with_sender_ids, with_yoy,
};
use crate::pipeline::ingest::{FileCounts, Loaded, load_small, load_transfers, rows_per_file};
use crate::pricing::{daily_prices, usable_prices, value_transfers};
use crate::taxonomy::Taxonomy;
use crate::validate::InputKind;

/// Every loaded input, with duplicates removed and rows accounted for.
pub struct Ingested {
    pub reports: Loaded,
    pub prices: Loaded,
    pub transfers: Loaded,
    /// Scam-bound valid transfers, one per identity (first by file, row).
    pub scam_transfers: DataFrame,
    /// The attribution table (METHODOLOGY §4).
    pub addresses: DataFrame,
    /// Classified reports known as of `--labels-as-of`.
    pub reports_used: DataFrame,
    pub counts: Vec<FileCounts>,
    /// Raw labels that matched no alias, with their report counts.
    pub unmatched_labels: BTreeMap<String, u64>,
}

/// The §7 tables of one run, by output file stem.
pub struct Tables {
    pub tables: Vec<(&'static str, DataFrame)>,
}

/// Load and validate every input (bad files fail; bad rows are counted).
pub fn ingest(
    spec: &InputSpec,
    taxonomy: &Arc<Taxonomy>,
    params: &AttributionParams,
) -> Result<Ingested> {
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    crate::log::memory("starting");
    if let Some(tokens) = &spec.tokens {
        crate::load::ethereum_etl::load_user_tokens(tokens)?;
    }
    let mapping = Mapping::load(spec.mapping.as_deref())?
        .with_transfers_format(spec.transfers_format.as_deref());
    let reports = load_small(
        InputKind::Reports,
        resolve_inputs("reports", &spec.reports)?,
        tmp.path(),
        mapping.of(InputKind::Reports),
    )?;
    let prices = load_small(
        InputKind::Prices,
        resolve_inputs("prices", &spec.prices)?,
        tmp.path(),
        mapping.of(InputKind::Prices),
    )?;
    let classified = classify_reports(
        reports.valid.clone().lazy(),
        Arc::clone(taxonomy),
        params.region_level,
    );
    let classified = anyhow::Context::context(classified.collect(), "classifying reports")?;
    let unmatched_labels = unmatched_labels(&reports.valid, taxonomy)?;
    let reports_used = reports_as_of(classified.lazy(), params.labels_as_of_day).collect()?;
    let addresses = attribute_addresses(reports_used.clone().lazy(), taxonomy).collect()?;
    let mut transfers = match &spec.store {
        Some(store) => crate::store::load::load_from_store(
            store,
            &spec.store_sources,
            &addresses,
            params.transfer_days,
        )?,
        None => load_transfers(
            resolve_inputs("transfers", &spec.transfers)?,
            &addresses,
            tmp.path(),
            mapping.of(InputKind::Transfers),
        )?,
    };
    crate::memory::release_free_pages();
    crate::memory::return_large_blocks_at_once();
    crate::log::memory("loading transfers");
    let (scam_transfers, duplicates) =
        dedupe_transfers(&mut transfers, params.keep_valid_transfers)?;
    crate::memory::release_free_pages();
    crate::log::memory(&format!(
        "de-duplicating ({} MB)",
        scam_transfers.estimated_size() >> 20
    ));
    let price_dups = price_duplicates(&prices)?;
    let mut counts = reports.counts(&[])?;
    counts.extend(prices.counts(&price_dups)?);
    counts.extend(transfers.counts(&duplicates)?);
    Ok(Ingested {
        reports,
        prices,
        transfers,
        scam_transfers,
        addresses,
        reports_used,
        counts,
        unmatched_labels,
    })
}

/// The parameters that shape attribution (METHODOLOGY §4–5).
pub struct AttributionParams {
    pub region_level: crate::config::RegionLevel,
    /// `--labels-as-of` as days since 1970-01-01.
    pub labels_as_of_day: Option<i64>,
    /// `--from`/`--to` as days: prunes partitions and row groups of a store
    /// (exports are always read whole: every row is validated and counted).
    pub transfer_days: DayRange,
    /// Keep every scam-bound row before de-duplication in
    /// `transfers.valid` (`revisions` re-attributes from it; `run` does not,
    /// and at 100M rows it is most of a gigabyte).
    pub keep_valid_transfers: bool,
}

impl AttributionParams {
    pub fn of(config: &RunConfig) -> Self {
        AttributionParams {
            region_level: config.region_level,
            labels_as_of_day: config.labels_as_of.map(day_number),
            transfer_days: day_range(config),
            keep_valid_transfers: false,
        }
    }
}

/// METHODOLOGY §2: among scam-bound transfers keep one per
/// `(chain, tx_hash, transfer_index)`, the first by file then row. Takes the
/// rows out of `transfers.valid` unless `keep` is set.
fn dedupe_transfers(transfers: &mut Loaded, keep: bool) -> Result<(DataFrame, Vec<u64>)> {
    let valid = if keep {
        transfers.valid.clone()
    } else {
        std::mem::take(&mut transfers.valid)
    };
    first_per_identity(valid, transfers.files.len())
}

/// Rows per chunk group when a stage transforms scam-bound rows a group at a time.
const GROUP_ROWS: usize = 1 << 19;

/// One row per `(chain, tx_hash, transfer_index)`, the first by file then
/// row (a null `transfer_index` is 0), and the duplicates dropped per file.
/// Filtered a chunk group at a time, so the input is freed as the output grows.
fn first_per_identity(valid: DataFrame, n_files: usize) -> Result<(DataFrame, Vec<u64>)> {
    let (first, duplicates) = dedupe::first_of_identity(&valid, n_files)?;
    let mut offset = 0usize;
    let kept = dedupe::map_groups(valid, GROUP_ROWS, |group| {
        let mask = first.slice(offset as i64, group.height());
        offset += group.height();
        Ok(group
            .filter(&mask)?
            .lazy()
            .with_column(col("transfer_index").fill_null(lit(0i64)))
            .collect()?)
    })?;
    Ok((kept, duplicates))
}

/// Usable price rows that repeat an `(asset, day)` already priced earlier.
fn price_duplicates(prices: &Loaded) -> Result<Vec<u64>> {
    let n = prices.files.len();
    let usable_all = prices
        .valid
        .clone()
        .lazy()
        .filter(
            col("price_usd")
                .gt(lit(0.0))
                .and(col("price_usd").is_finite()),
        )
        .collect()?;
    let kept = usable_prices(prices.valid.clone().lazy()).collect()?;
    let (all, kept) = (rows_per_file(&usable_all, n)?, rows_per_file(&kept, n)?);
    Ok(all.iter().zip(&kept).map(|(a, k)| a - k).collect())
}

fn unmatched_labels(reports: &DataFrame, taxonomy: &Taxonomy) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for label in reports.column("scam_type")?.str()?.iter().flatten() {
        if !taxonomy.classify(label).1 {
            *out.entry(label.to_string()).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// Fail on an empty transfers export or a reject rate above the limit.
pub fn check_inputs(ingested: &Ingested, checks: &CheckConfig) -> Result<()> {
    let (read, _) = ingested.transfers.totals();
    if read == 0 && !checks.allow_empty {
        let files: Vec<_> = ingested
            .transfers
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        return Err(bad_input(format!(
            "the transfers export is empty (0 rows in {}); pass --allow-empty to accept it",
            files.join(", ")
        )));
    }
    for loaded in [&ingested.transfers, &ingested.reports, &ingested.prices] {
        check_reject_rate(loaded, checks.max_reject_rate)?;
    }
    Ok(())
}

fn check_reject_rate(loaded: &Loaded, max: f64) -> Result<()> {
    let (read, rejected) = loaded.totals();
    if read == 0 || (rejected as f64) / (read as f64) <= max {
        return Ok(());
    }
    let top = top_reasons(&loaded.rejects, 3)?;
    Err(ScamError::RejectRate(format!(
        "{}: {rejected} of {read} rows rejected ({:.1}%), above --max-reject-rate {max} (top reasons: {top})",
        loaded.kind.name(),
        100.0 * rejected as f64 / read as f64,
    ))
    .into())
}

/// "reason on column (n), …" for the most frequent reject reasons.
pub fn top_reasons(rejects: &DataFrame, n: usize) -> Result<String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let reasons = rejects.column("reject_reason")?.str()?.clone();
    let columns = rejects.column("reject_column")?.str()?.clone();
    for (r, c) in reasons.iter().zip(columns.iter()) {
        *counts
            .entry(format!("{} on {}", r.unwrap_or("?"), c.unwrap_or("?")))
            .or_insert(0) += 1;
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let parts: Vec<String> = sorted
        .into_iter()
        .take(n)
        .map(|(k, v)| format!("{k} ({v})"))
        .collect();
    Ok(if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    })
}

/// The §7 rollup tables, in output order.
const ROLLUPS: [&str; 5] = [
    "revenue",
    "revenue_by_type",
    "revenue_by_region",
    "revenue_total",
    "reported_losses",
];

/// The same rollups by calendar year, written beside a quarterly or monthly
/// run so that the report's annual headlines are computed from transfers
/// (§7: never by summing medians or distinct counts of shorter periods).
const YEARLY_ROLLUPS: [&str; 5] = [
    "yearly_revenue",
    "yearly_revenue_by_type",
    "yearly_revenue_by_region",
    "yearly_revenue_total",
    "yearly_reported_losses",
];

/// Compute every §7 table from ingested inputs, the yearly rollups when the
/// period is shorter than a year, and the attributed transfers. Takes the
/// scam-bound transfers out of `ingested`: once valued they are not needed,
/// and at 100M input rows they are millions of rows.
pub fn measure(ingested: &mut Ingested, config: &RunConfig) -> Result<Tables> {
    let scam_transfers = std::mem::take(&mut ingested.scam_transfers);
    let flows = valued_flows(
        scam_transfers,
        &ingested.addresses,
        &ingested.prices.valid,
        config,
    )?;
    crate::memory::release_free_pages();
    crate::log::memory(&format!(
        "valuing flows ({} MB)",
        flows.estimated_size() >> 20
    ));
    let reports = in_day_range(
        ingested.reports_used.clone().lazy(),
        "reported_day",
        day_range(config),
    );
    // the rows every revenue table groups, once (a quarter of the flows' bytes)
    let revenue = revenue_rows(flows.clone().lazy()).collect()?;
    crate::log::memory("selecting revenue rows");
    let mut names: Vec<&str> = ROLLUPS.to_vec();
    let mut plans: Vec<LazyFrame> = rollups(
        revenue.clone().lazy(),
        flows.clone().lazy(),
        reports.clone(),
        config.period,
    )
    .into_iter()
    .collect();
    if config.period != Period::Year {
        let yearly = with_periods(flows.clone().lazy(), Period::Year);
        names.extend(YEARLY_ROLLUPS);
        plans.extend(rollups(
            by_year(revenue.clone().lazy()),
            yearly,
            reports,
            Period::Year,
        ));
    }
    let results = collect_rollups(plans, revenue.height())?;
    let mut tables: Vec<(&str, DataFrame)> = names.into_iter().zip(results).collect();
    crate::log::memory("rollups (period and yearly)");
    drop(revenue);
    crate::memory::release_free_pages();
    crate::log::memory("freeing the revenue rows");
    let attributed = attributed_transfers(flows.lazy()).collect()?;
    crate::log::memory("selecting attributed transfers");
    tables.push((
        "attributed_transfers",
        order::sorted_by_identity(attributed)?,
    ));
    crate::memory::release_free_pages();
    crate::log::memory("sorting attributed transfers");
    tables.push(("addresses", ingested.addresses.clone()));
    tables.push(("rejects", rejects_table(ingested)?));
    Ok(Tables { tables })
}

/// Revenue rows up to which the rollups run as one query.
const ROLLUPS_TOGETHER_ROWS: usize = 1_000_000;

/// Collect the rollup plans: as one query (ten sinks, run side by side) when
/// the revenue frame is small, where each plan's fixed cost dominates (10M
/// input rows: 0.5-0.7 s -> 0.4 s); one after another, handing freed memory
/// back between them, when it is large, where running them side by side
/// would add their transients (100M rows: +110 MB at the peak).
fn collect_rollups(plans: Vec<LazyFrame>, revenue_rows: usize) -> Result<Vec<DataFrame>> {
    if revenue_rows <= ROLLUPS_TOGETHER_ROWS {
        let plans = plans.into_iter().map(|lf| lf.logical_plan).collect();
        return Ok(LazyFrame::collect_all_with_engine(
            plans,
            Engine::Auto,
            OptFlags::default(),
        )?);
    }
    let mut out = Vec::with_capacity(plans.len());
    for lf in plans {
        out.push(lf.collect()?);
        crate::memory::release_free_pages();
    }
    Ok(out)
}

/// The five §7 rollups of valued flows (periods already assigned) and reports.
fn rollups(
    revenue: LazyFrame,
    flows: LazyFrame,
    reports: LazyFrame,
    period: Period,
) -> [LazyFrame; 5] {
    let table = |keys: &[&str]| with_yoy(rollup(revenue.clone(), keys, period), keys);
    let total = with_internal_flows(table(&[]), flows);
    let by_type = with_revenue_share(table(&["scam_type"]), total.clone());
    [
        table(&["scam_type", "region"]),
        by_type,
        table(&["region"]),
        total,
        reported_losses(reports, period),
    ]
}

/// The columns measuring and `attributed_transfers` read (file, row, reject
/// and price columns are dropped: they would be carried for millions of rows).
const FLOW_COLUMNS: [&str; 16] = [
    "chain",
    "tx_hash",
    "transfer_index",
    "block_time",
    "day",
    "from_address",
    "to_address",
    "asset",
    "amount",
    "scam_type",
    "region",
    "flow",
    "usd_micro",
    "period",
    "period_start",
    "prev_start",
];

/// Scam-bound transfers classified (revenue / internal / self), valued in
/// micro-dollars, assigned to periods, within `--from`/`--to`, with a
/// `sender_id` per `(chain, from_address)`. A chunk group at a time: the
/// input is freed as the flows are built.
pub fn valued_flows(
    scam_transfers: DataFrame,
    addresses: &DataFrame,
    prices: &DataFrame,
    config: &RunConfig,
) -> Result<DataFrame> {
    let daily = daily_prices(usable_prices(prices.clone().lazy())).collect()?;
    let scam = ScamIndex::new(addresses)?;
    let flows = dedupe::map_groups(scam_transfers, GROUP_ROWS, |group| {
        let group = with_attribution(group, addresses)?;
        let day = col("block_time").floor_div(lit(86_400i64)).alias("day");
        let transfers = in_day_range(group.lazy().with_column(day), "day", day_range(config));
        let flows = with_periods(
            value_transfers(classify_flows(transfers, &scam), daily.clone().lazy()),
            config.period,
        )
        .select(FLOW_COLUMNS.map(col));
        anyhow::Context::context(flows.collect(), "valuing scam-bound transfers")
    })?;
    crate::log::memory("valuing chunk groups");
    Ok(with_sender_ids(flows)?)
}

/// Revenue totals per period (the `revenue_total` table) from valued flows.
pub fn revenue_totals(flows: &DataFrame, period: Period) -> Result<DataFrame> {
    let revenue = revenue_rows(flows.clone().lazy());
    let total = with_yoy(rollup(revenue, &[], period), &[]);
    Ok(with_internal_flows(total, flows.clone().lazy()).collect()?)
}

/// Attribution and scam-bound transfers with only the reports known on `day`.
/// `ingested` must have been loaded with labels as of `day` or later.
pub fn as_of_day(
    ingested: &Ingested,
    day: i64,
    taxonomy: &Taxonomy,
) -> Result<(DataFrame, DataFrame)> {
    let reports = reports_as_of(ingested.reports_used.clone().lazy(), Some(day));
    let addresses = attribute_addresses(reports, taxonomy).collect()?;
    // re-point `_attr` at this attribution table (the loaded rows point into
    // the latest one) and keep only the addresses known on `day`
    let index = ScamIndex::new(&addresses)?;
    let valid = ingested
        .transfers
        .valid
        .clone()
        .lazy()
        .with_column(index.row_expr())
        .filter(col(ATTR).is_not_null())
        .collect()?;
    let (scam_transfers, _) = first_per_identity(valid, ingested.transfers.files.len())?;
    Ok((addresses, scam_transfers))
}

type DayRange = (Option<i64>, Option<i64>);

fn day_range(config: &RunConfig) -> DayRange {
    (config.from.map(day_number), config.to.map(day_number))
}

/// Days since 1970-01-01 of a date.
pub fn day_number(d: chrono::NaiveDate) -> i64 {
    d.signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
        .num_days()
}

fn in_day_range(lf: LazyFrame, column: &str, (from, to): DayRange) -> LazyFrame {
    let mut lf = lf;
    if let Some(from) = from {
        lf = lf.filter(col(column).gt_eq(lit(from)));
    }
    if let Some(to) = to {
        lf = lf.filter(col(column).lt_eq(lit(to)));
    }
    lf
}

/// `rejects.parquet`: `input, file, row, reason, column, value`, sorted.
fn rejects_table(ingested: &Ingested) -> Result<DataFrame> {
    let mut frames = Vec::new();
    for loaded in [&ingested.prices, &ingested.reports, &ingested.transfers] {
        let paths: Vec<String> = loaded
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        let file = col(FILE).map(
            move |c| {
                let out: StringChunked = c
                    .u32()?
                    .iter()
                    .map(|i| i.and_then(|i| paths.get(i as usize).cloned()))
                    .collect();
                Ok(out.with_name(c.name().clone()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
        );
        frames.push(loaded.rejects.clone().lazy().select([
            lit(loaded.kind.name()).alias("input"),
            file.alias("file"),
            col(ROW).alias("row"),
            col("reject_reason").alias("reason"),
            col("reject_column").alias("column"),
            col("reject_value").alias("value"),
        ]));
    }
    Ok(concat(frames, UnionArgs::default())?
        .sort(["input", "file", "row"], SortMultipleOptions::default())
        .collect()?)
}
