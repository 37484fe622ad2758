//! The measuring half of the local engine: scam-bound transfers valued,
//! classified and assigned to periods a chunk group at a time, then the §7
//! rollups (period and yearly), the attributed transfers in identity order,
//! and the revisions table. The rules themselves are `method::measure` and
//! `method::pricing`; this file runs them and decides what is collected when.

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::engine::local::days::{day_number, day_range, in_day_range};
use crate::engine::local::ingest::{GROUP_ROWS, Ingested, first_per_identity};
use crate::engine::local::scam_index::{ScamIndex, with_attribution};
use crate::engine::local::{dedupe, order, senders};
use crate::method::attribute::{attribute_addresses, reports_as_of};
use crate::method::measure::ensure_sums_fit;
use crate::method::measure::{
    attributed_transfers, by_year, classify_flows, internal_aggregates, reported_losses,
    revenue_rows, revision_rows, revisions_table, rollup, with_internal_flows, with_periods,
    with_revenue_share, with_yoy,
};
use crate::method::pricing::{daily_prices, to_micros, usable_prices, value_transfers};
use crate::method::taxonomy::Taxonomy;
use crate::model::{MethodParams, Period};
use crate::names::{ADDRESSES, ATTR, ATTRIBUTED_TRANSFERS, ROLLUPS, YEARLY_ROLLUPS};

/// Compute every §7 table from ingested inputs, the yearly rollups when the
/// period is shorter than a year, the attributed transfers and the
/// attribution (the caller adds the rejects). Takes the
/// scam-bound transfers out of `ingested`: once valued they are not needed,
/// and at 100M input rows they are millions of rows.
pub fn measure(
    ingested: &mut Ingested,
    params: &MethodParams,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let scam_transfers = std::mem::take(&mut ingested.scam_transfers);
    let flows = valued_flows(
        scam_transfers,
        &ingested.addresses,
        &ingested.prices.valid,
        params,
    )?;
    crate::memory::release_free_pages();
    crate::log::memory(&format!(
        "valuing flows ({} MB)",
        flows.estimated_size() >> 20
    ));
    let reports = in_day_range(
        ingested.reports_used.clone().lazy(),
        "reported_day",
        day_range(params),
    );
    let losses = ingested
        .reports_used
        .column("loss_usd")?
        .as_materialized_series()
        .clone()
        .into_column();
    ensure_sums_fit(to_micros(losses)?.i64()?, "the reported losses")?;
    // the rows every revenue table groups, once (a quarter of the flows' bytes)
    let revenue = revenue_rows(flows.clone().lazy()).collect()?;
    crate::log::memory("selecting revenue rows");
    let mut names: Vec<&str> = ROLLUPS.to_vec();
    let mut plans: Vec<LazyFrame> = rollups(
        revenue.clone().lazy(),
        flows.clone().lazy(),
        reports.clone(),
        params.period,
    )
    .into_iter()
    .collect();
    if params.period != Period::Year {
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
    tables.push((ATTRIBUTED_TRANSFERS, order::sorted_by_identity(attributed)?));
    crate::memory::release_free_pages();
    crate::log::memory("sorting attributed transfers");
    tables.push((ADDRESSES, ingested.addresses.clone()));
    Ok(tables)
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
    let total = with_internal_flows(table(&[]), internal_aggregates(flows));
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
const FLOW_COLUMNS: [&str; 17] = [
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
    "label",
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
    params: &MethodParams,
) -> Result<DataFrame> {
    let daily = daily_prices(usable_prices(prices.clone().lazy())).collect()?;
    let scam = ScamIndex::new(addresses)?;
    let flows = dedupe::map_groups(scam_transfers, GROUP_ROWS, |group| {
        let group = with_attribution(group, addresses)?;
        let day = col("block_time").floor_div(lit(86_400i64)).alias("day");
        let transfers = in_day_range(group.lazy().with_column(day), "day", day_range(params));
        let flows = with_periods(
            value_transfers(
                classify_flows(transfers, scam.is_scam_sender()),
                daily.clone().lazy(),
            ),
            params.period,
        )
        .select(FLOW_COLUMNS.map(col));
        anyhow::Context::context(flows.collect(), "valuing scam-bound transfers")
    })?;
    crate::log::memory("valuing chunk groups");
    ensure_sums_fit(
        flows.column("usd_micro")?.i64()?,
        "the USD values of the scam-bound transfers",
    )?;
    Ok(senders::with_sender_ids(flows)?)
}

/// Revenue totals per period (the `revenue_total` table) from valued flows.
pub fn revenue_totals(flows: &DataFrame, period: Period) -> Result<DataFrame> {
    let revenue = revenue_rows(flows.clone().lazy());
    let total = with_yoy(rollup(revenue, &[], period), &[]);
    Ok(with_internal_flows(total, internal_aggregates(flows.clone().lazy())).collect()?)
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

/// Revenue totals per period and label vintage (see `Engine::revisions`).
pub fn revisions(
    ingested: &Ingested,
    params: &MethodParams,
    dates: &[NaiveDate],
    taxonomy: &Taxonomy,
) -> Result<DataFrame> {
    let mut frames = Vec::new();
    for date in dates {
        let (addresses, scam_transfers) = as_of_day(ingested, day_number(*date), taxonomy)?;
        let flows = valued_flows(scam_transfers, &addresses, &ingested.prices.valid, params)?;
        let totals = revenue_totals(&flows, params.period)?;
        crate::log::info(format!(
            "labels as of {date}: {} scam addresses",
            addresses.height()
        ));
        frames.push(revision_rows(totals, *date, addresses.height() as i64));
    }
    Ok(revisions_table(frames)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_that_would_not_fit_are_refused() {
        let half = i64::MAX / 2;
        let fits = Int64Chunked::from_slice("m".into(), &[half, half, 1]);
        assert!(ensure_sums_fit(&fits, "x").is_ok());
        let over = Int64Chunked::from_slice("m".into(), &[half, half, 2]);
        let err = ensure_sums_fit(&over, "the values").unwrap_err();
        assert!(err.to_string().contains("more than a 64-bit"), "{err}");
        assert_eq!(
            crate::error::exit_code_of(&err),
            crate::error::EXIT_BAD_INPUT
        );
    }

    #[test]
    fn a_value_beyond_the_limit_is_an_error_not_a_saturated_integer() {
        let c = Column::new("usd".into(), [Some(1e12), Some(1.5e12), None]);
        assert!(to_micros(c).is_err());
        let c = Column::new("usd".into(), [Some(1e12), None]);
        let m = to_micros(c).unwrap();
        assert_eq!(m.i64().unwrap().get(0), Some(1_000_000_000_000_000_000));
    }
}
