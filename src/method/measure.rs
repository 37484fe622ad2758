//! Measure stage (METHODOLOGY §6–7): classify scam-bound transfers as revenue,
//! internal flow or self-transfer, assign periods, and roll revenue up by
//! period × type × region, with YoY growth and revenue share; plus the
//! reported-losses table from the reports themselves.
//!
//! In: de-duplicated, valued transfers that reach a scam address, each with
//! a `sender_id` (one number per distinct `(chain, from_address)`, assigned
//! by the engine). Out: lazy frames of the §7 tables, sorted by their keys.
//! No I/O, no collect.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::method::period::{label_expr, previous_year_start_expr, start_expr};
use crate::method::pricing::{MICROS, to_micros};
use crate::model::Period;

/// Add `flow` (`revenue`, `internal` or `self`); `sender_is_scam` tells
/// whether `(chain, from_address)` is a scam address (never null).
/// METHODOLOGY §6: scam → scam is internal, an address to itself is neither.
pub fn classify_flows(transfers: LazyFrame, sender_is_scam: Expr) -> LazyFrame {
    let flow = when(col("from_address").eq(col("to_address")))
        .then(lit("self"))
        .when(sender_is_scam)
        .then(lit("internal"))
        .otherwise(lit("revenue"));
    transfers.with_column(flow.alias("flow"))
}

/// Add `period`, `period_start` and `prev_start` from the UTC `day`.
pub fn with_periods(lf: LazyFrame, period: Period) -> LazyFrame {
    lf.with_columns([
        label_expr(col("day"), period).alias("period"),
        start_expr(col("day"), period).alias("period_start"),
    ])
    .with_column(previous_year_start_expr(col("period_start")).alias("prev_start"))
}

/// Column expressions for names.
fn exprs(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|n| col(*n)).collect()
}

/// Whole cents of a micro-dollar sum, as dollars (half up; sums are ≥ 0).
/// The division happens in Rust so that each value is the double nearest to
/// its cents (an engine may turn `/ 100` into `* 0.01`, which is not).
fn micros_to_dollars(micros: Expr) -> Expr {
    (micros + lit(5_000i64)).floor_div(lit(10_000i64)).map(
        |c| {
            let out: Float64Chunked = c
                .i64()?
                .iter()
                .map(|v| v.map(|cents| cents as f64 / 100.0))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Float64)),
    )
}

/// The §7 metrics of revenue rows (see [`revenue_rows`]) grouped by
/// `period_start` and `keys`; the period label and the previous-year start
/// are added to the groups afterwards, so millions of rows are grouped on
/// one integer key instead of three.
pub fn rollup(revenue: LazyFrame, keys: &[&str], period: Period) -> LazyFrame {
    finish_rollup(revenue_aggregates(revenue, keys), period)
}

/// The exact aggregates of a rollup, as every engine returns them:
/// `period_start, keys…, revenue_micro, deposits, unpriced_deposits,
/// senders, median_deposit_usd`.
pub fn revenue_aggregates(revenue: LazyFrame, keys: &[&str]) -> LazyFrame {
    let mut group: Vec<Expr> = vec![col("period_start")];
    group.extend(keys.iter().map(|k| col(*k)));
    revenue.group_by(group).agg([
        col("usd_micro").sum().alias("revenue_micro"),
        len().cast(DataType::Int64).alias("deposits"),
        col("usd_micro")
            .null_count()
            .cast(DataType::Int64)
            .alias("unpriced_deposits"),
        col("sender_id")
            .n_unique()
            .cast(DataType::Int64)
            .alias("senders"),
        median_dollars(col("usd_micro").median()).alias("median_deposit_usd"),
    ])
}

/// A median of micro-dollars in dollars. One expression for every engine:
/// polars turns the division by a literal into a multiplication by its
/// reciprocal (974351295 µ$ → 974.3512949999999), so an engine that
/// divided in Rust would differ in the last bit.
pub fn median_dollars(median_micros: Expr) -> Expr {
    median_micros / lit(MICROS)
}

/// The median of integer values from its two middle values (equal for an
/// odd count), exactly as polars' linear-interpolation median computes it
/// in `f64`: an engine that returns the middle values gets the same bits.
pub fn median_of_middles(lo: i64, hi: i64) -> f64 {
    let (lo, hi) = (lo as f64, hi as f64);
    if lo == hi { lo } else { 0.5 * (hi - lo) + lo }
}

/// A rollup's table from its aggregates: dollars from micro-dollars, the
/// period label, the previous-year start and the average deposit.
pub fn finish_rollup(aggregates: LazyFrame, period: Period) -> LazyFrame {
    let day = col("period_start")
        .cast(DataType::Int32)
        .cast(DataType::Int64);
    aggregates
        .with_column(micros_to_dollars(col("revenue_micro")).alias("revenue_usd"))
        .drop(cols(["revenue_micro"]))
        .with_columns([
            label_expr(day, period).alias("period"),
            previous_year_start_expr(col("period_start")).alias("prev_start"),
            when((col("deposits") - col("unpriced_deposits")).gt(lit(0i64)))
                .then(
                    col("revenue_usd")
                        / (col("deposits") - col("unpriced_deposits")).cast(DataType::Float64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("avg_deposit_usd"),
        ])
}

/// The columns the rollups read from revenue flows: `period_start`, the
/// attribution keys, `usd_micro` and `sender_id`.
pub fn revenue_rows(flows: LazyFrame) -> LazyFrame {
    revenue_transfers(flows).select([
        col("period_start"),
        col("scam_type"),
        col("region"),
        col("usd_micro"),
        col("sender_id"),
    ])
}

/// Revenue rows of quarters or months keyed by the start of their year.
pub fn by_year(revenue: LazyFrame) -> LazyFrame {
    let day = col("period_start")
        .cast(DataType::Int32)
        .cast(DataType::Int64);
    revenue.with_column(start_expr(day, Period::Year).alias("period_start"))
}

/// Revenue rows (they carry `sender_id`).
pub fn revenue_transfers(flows: LazyFrame) -> LazyFrame {
    flows.filter(col("flow").eq(lit("revenue")))
}

/// The order of `attributed_transfers` (its identity).
pub const ATTRIBUTED_KEYS: [&str; 3] = ["chain", "tx_hash", "transfer_index"];

/// Add `revenue_yoy`, `deposits_yoy`, `avg_deposit_yoy` against the same keys
/// one year earlier, then order the columns as §7 lists them.
pub fn with_yoy(table: LazyFrame, keys: &[&str]) -> LazyFrame {
    let mut prev_cols: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    prev_cols.extend([
        col("period_start").alias("prev_start"),
        col("revenue_usd").alias("prev_revenue"),
        col("deposits")
            .cast(DataType::Float64)
            .alias("prev_deposits"),
        col("avg_deposit_usd").alias("prev_avg"),
    ]);
    let previous = table.clone().select(prev_cols);
    let mut join_keys: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    join_keys.push(col("prev_start"));
    table
        .join(
            previous,
            join_keys.clone(),
            join_keys,
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            growth(col("revenue_usd"), col("prev_revenue")).alias("revenue_yoy"),
            growth(
                col("deposits").cast(DataType::Float64),
                col("prev_deposits"),
            )
            .alias("deposits_yoy"),
            growth(col("avg_deposit_usd"), col("prev_avg")).alias("avg_deposit_yoy"),
        ])
        .select(table_columns(keys))
        .sort_by_exprs(sort_keys(keys), SortMultipleOptions::default())
}

/// value / previous − 1; null when previous is missing or 0.
fn growth(value: Expr, previous: Expr) -> Expr {
    when(previous.clone().is_null().or(previous.clone().eq(lit(0.0))))
        .then(lit(NULL).cast(DataType::Float64))
        .otherwise(value / previous - lit(1.0))
}

fn sort_keys(keys: &[&str]) -> Vec<Expr> {
    let mut all = vec![col("period"), col("period_start")];
    all.extend(keys.iter().map(|k| col(*k)));
    all
}

/// The §7 column order of a revenue table with these keys.
fn table_columns(keys: &[&str]) -> Vec<Expr> {
    let mut cols = sort_keys(keys);
    for name in [
        "revenue_usd",
        "deposits",
        "unpriced_deposits",
        "senders",
        "avg_deposit_usd",
        "median_deposit_usd",
        "revenue_yoy",
        "deposits_yoy",
        "avg_deposit_yoy",
    ] {
        cols.push(col(name));
    }
    cols
}

/// `revenue_by_type` gains `revenue_share`: revenue / the period's total (null when 0).
pub fn with_revenue_share(by_type: LazyFrame, total: LazyFrame) -> LazyFrame {
    let totals = total.select([col("period"), col("revenue_usd").alias("period_revenue")]);
    by_type
        .join(
            totals,
            [col("period")],
            [col("period")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(share_of_period().alias("revenue_share"))
        .drop(cols(["period_revenue"]))
        .sort_by_exprs(sort_keys(&["scam_type"]), SortMultipleOptions::default())
}

fn share_of_period() -> Expr {
    when(col("period_revenue").eq(lit(0.0)))
        .then(lit(NULL).cast(DataType::Float64))
        .otherwise(col("revenue_usd") / col("period_revenue"))
}

/// Internal flows per period: `period, internal_transfers, internal_micro`.
pub fn internal_aggregates(flows: LazyFrame) -> LazyFrame {
    flows
        .filter(col("flow").eq(lit("internal")))
        .group_by([col("period")])
        .agg([
            len().cast(DataType::Int64).alias("internal_transfers"),
            col("usd_micro").sum().alias("internal_micro"),
        ])
}

/// `revenue_total` gains `internal_transfers` and `internal_usd` per period
/// (from [`internal_aggregates`]).
pub fn with_internal_flows(total: LazyFrame, internal: LazyFrame) -> LazyFrame {
    let internal = internal.select([
        col("period"),
        col("internal_transfers"),
        micros_to_dollars(col("internal_micro")).alias("internal_usd"),
    ]);
    total
        .join(
            internal,
            [col("period")],
            [col("period")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("internal_transfers").fill_null(lit(0i64)),
            col("internal_usd").fill_null(lit(0.0)),
        ])
        .sort_by_exprs(sort_keys(&[]), SortMultipleOptions::default())
}

/// `attributed_transfers`: every scam-bound transfer in range with its
/// attribution, flow class (`revenue`, `internal`, `self`) and USD value, so
/// that a published figure can be traced to the transfers behind it (and
/// queried with SQL). The caller sorts it by [`ATTRIBUTED_KEYS`] (a
/// column at a time: it is millions of rows).
pub fn attributed_transfers(flows: LazyFrame) -> LazyFrame {
    flows.select([
        col("chain"),
        col("tx_hash"),
        col("transfer_index"),
        (col("block_time") * lit(1000i64))
            .cast(DataType::Datetime(
                TimeUnit::Milliseconds,
                Some(TimeZone::UTC),
            ))
            .alias("block_time"),
        col("period"),
        col("from_address"),
        col("to_address"),
        col("scam_type"),
        col("region"),
        col("label"),
        col("flow"),
        col("asset"),
        col("amount"),
        col("usd_micro"),
    ])
}

/// The keys of `reported_losses`.
pub const LOSS_KEYS: [&str; 4] = ["period", "period_start", "scam_type", "region"];

/// §7 `reported_losses`: per period of `reported_at` × the report's own type
/// and region; a report's loss counts once per report_id.
pub fn reported_losses(reports: LazyFrame, period: Period) -> LazyFrame {
    finish_losses(loss_aggregates(reports, period))
}

/// The exact aggregates of `reported_losses`: its keys, `reports`,
/// `addresses`, `loss_micro` and `median_loss_usd`.
pub fn loss_aggregates(reports: LazyFrame, period: Period) -> LazyFrame {
    let keys = LOSS_KEYS;
    let rows = with_periods(
        reports.with_column(col("reported_day").alias("day")),
        period,
    )
    .with_column(concat_str([col("chain"), col("address")], "\u{1f}", false).alias("addr_key"));
    let counts = rows.clone().group_by(exprs(&keys)).agg([
        col("report_id")
            .n_unique()
            .cast(DataType::Int64)
            .alias("reports"),
        col("addr_key")
            .n_unique()
            .cast(DataType::Int64)
            .alias("addresses"),
    ]);
    let per_report = rows
        .group_by(exprs(&[&keys[..], &["report_id"]].concat()))
        .agg([col("loss_usd").max().map(to_micros, |_, f| {
            Ok(Field::new(f.name().clone(), DataType::Int64))
        })]);
    let losses = per_report.group_by(exprs(&keys)).agg([
        col("loss_usd").sum().alias("loss_micro"),
        median_dollars(col("loss_usd").median()).alias("median_loss_usd"),
    ]);
    counts.join(
        losses,
        exprs(&keys),
        exprs(&keys),
        JoinArgs::new(JoinType::Left),
    )
}

/// `reported_losses` from its aggregates, sorted by its keys.
pub fn finish_losses(aggregates: LazyFrame) -> LazyFrame {
    aggregates
        .select([
            col("period"),
            col("period_start"),
            col("scam_type"),
            col("region"),
            col("reports"),
            col("addresses"),
            micros_to_dollars(col("loss_micro")).alias("loss_usd"),
            col("median_loss_usd"),
        ])
        .sort(LOSS_KEYS, SortMultipleOptions::default())
}

/// Money is summed in `i64` micro-dollars: refuse, rather than wrap or
/// saturate, values whose total (every group sums a part of it; values are
/// never negative) would not fit.
pub fn ensure_sums_fit(micros: &Int64Chunked, what: &str) -> anyhow::Result<()> {
    let total: i128 = micros.iter().flatten().map(i128::from).sum();
    if total > i128::from(i64::MAX) {
        return Err(crate::error::bad_input(format!(
            "{what} add up to {} USD, more than a 64-bit micro-dollar sum holds",
            total / 1_000_000
        )));
    }
    Ok(())
}

/// One label vintage's rows of the revisions table from its
/// `revenue_total`: `labels_as_of, period, period_start, revenue_usd,
/// deposits, scam_addresses` (every engine builds them here).
pub fn revision_rows(total: DataFrame, date: NaiveDate, addresses: i64) -> LazyFrame {
    total.lazy().select([
        lit(date.to_string())
            .str()
            .to_date(StrptimeOptions::default())
            .alias("labels_as_of"),
        col("period"),
        col("period_start"),
        col("revenue_usd"),
        col("deposits"),
        lit(addresses).cast(DataType::Int64).alias("scam_addresses"),
    ])
}

/// The revisions table from every vintage's rows, sorted.
pub fn revisions_table(frames: Vec<LazyFrame>) -> PolarsResult<DataFrame> {
    concat(frames, UnionArgs::default())?
        .sort(["labels_as_of", "period"], SortMultipleOptions::default())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::texts;

    fn flows() -> LazyFrame {
        df!(
            "chain" => ["tron", "tron", "tron"],
            "from_address" => ["TV1", "TScamA", "TScamB"],
            "to_address" => ["TScamA", "TScamB", "TScamB"],
        )
        .unwrap()
        .lazy()
    }

    #[test]
    fn flows_are_revenue_internal_or_self() {
        let scam = col("from_address")
            .eq(lit("TScamA"))
            .or(col("from_address").eq(lit("TScamB")));
        let out = classify_flows(flows(), scam)
            .sort(["from_address"], Default::default())
            .collect()
            .unwrap();
        let got = texts(&out, "flow");
        assert_eq!(got, ["internal", "self", "revenue"]);
    }

    fn revenue_rows_2023_2024() -> LazyFrame {
        // 2023-07-15 and 2024-07-15/16 (days since epoch)
        df!(
            "day" => [19_553i64, 19_919, 19_920, 19_920],
            "chain" => ["tron"; 4],
            "from_address" => ["TV1", "TV1", "TV2", "TV2"],
            "scam_type" => ["pig_butchering"; 4],
            "usd_micro" => [Some(100_000_000i64), Some(150_000_000), Some(150_000_005), None],
        )
        .unwrap()
        .lazy()
        .with_column(lit("revenue").alias("flow"))
    }

    #[test]
    fn rollup_counts_unpriced_and_yoy_compares_a_year_back() {
        let rows = with_periods(revenue_rows_2023_2024(), Period::Quarter)
            .with_column(lit("none").alias("region"))
            .collect()
            .unwrap();
        let senders = UInt32Chunked::from_slice("sender_id".into(), &[0, 0, 1, 1]);
        let rows = rows.hstack(&[senders.into_column()]).unwrap();
        let rows = revenue_rows(rows.lazy());
        let out = with_yoy(
            rollup(rows, &["scam_type"], Period::Quarter),
            &["scam_type"],
        )
        .collect()
        .unwrap();
        let f = |c: &str| {
            out.column(c)
                .unwrap()
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(f("revenue_usd"), [Some(100.0), Some(300.0)]);
        assert_eq!(f("deposits"), [Some(1.0), Some(3.0)]);
        assert_eq!(f("unpriced_deposits"), [Some(0.0), Some(1.0)]);
        assert_eq!(f("senders"), [Some(1.0), Some(2.0)]);
        assert_eq!(f("avg_deposit_usd"), [Some(100.0), Some(150.0)]);
        assert_eq!(f("median_deposit_usd")[1], Some(150.0000025));
        assert_eq!(f("revenue_yoy"), [None, Some(2.0)]);
        assert_eq!(f("deposits_yoy"), [None, Some(2.0)]);
        assert_eq!(f("avg_deposit_yoy"), [None, Some(0.5)]);
    }

    #[test]
    fn money_rounds_half_up_to_cents_from_micros() {
        let df = df!("m" => [1_235_000i64, 1_234_999]).unwrap();
        let out = df
            .lazy()
            .select([micros_to_dollars(col("m"))])
            .collect()
            .unwrap();
        let got: Vec<_> = out
            .column("m")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(got, [1.24, 1.23]);
        let exact = df!("m" => [4_763_690_000i64])
            .unwrap()
            .lazy()
            .select([micros_to_dollars(col("m"))])
            .collect()
            .unwrap();
        assert_eq!(
            exact.column("m").unwrap().f64().unwrap().get(0),
            Some(4763.69)
        );
    }
}
