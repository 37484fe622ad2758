//! The tables of a Spark run: the exact aggregates the server returns
//! (micro-dollar sums, counts, the two middle values of each median) turned
//! into the published tables by `method::measure`, the code the local
//! engine uses, so both engines publish the same bytes.

use anyhow::Result;
use polars::prelude::*;

use super::{Loaded, sql};
use crate::engine::spark::frames::{Want, to_frame};
use crate::engine::spark::sql::Shape;
use crate::method::measure::{
    LOSS_KEYS, attributed_transfers, ensure_sums_fit, finish_losses, finish_rollup, median_dollars,
    median_of_middles, with_internal_flows, with_periods, with_revenue_share, with_yoy,
};
use crate::method::period::label_expr;
use crate::model::Period;
use crate::names::{ADDRESSES, ATTRIBUTED_TRANSFERS, ROLLUPS, YEARLY_ROLLUPS};

impl Loaded<'_> {
    /// Every table of the run except the rejects, in output order.
    pub(super) fn tables(&self, period: Period) -> Result<Vec<(&'static str, DataFrame)>> {
        let rollups = self.rollup_aggregates(period)?;
        let internal = self.internal_aggregates(period)?;
        let losses = self.loss_aggregates(period)?;
        let mut names: Vec<&'static str> = ROLLUPS.to_vec();
        let mut out = five_tables(&rollups, &internal, &losses, 0, period)?;
        if period != Period::Year {
            names.extend(YEARLY_ROLLUPS);
            out.extend(five_tables(&rollups, &internal, &losses, 1, Period::Year)?);
        }
        let mut tables: Vec<(&'static str, DataFrame)> = names.into_iter().zip(out).collect();
        tables.push((ATTRIBUTED_TRANSFERS, self.attributed(period)?));
        tables.push((ADDRESSES, self.addresses()?));
        Ok(tables)
    }

    fn rollup_aggregates(&self, period: Period) -> Result<DataFrame> {
        to_frame(
            &self
                .server
                .collect("the rollups", &sql::rollups_query(period))?,
            &[
                ("level", Want::Int),
                ("start", Want::Int),
                ("scam_type", Want::Text),
                ("region", Want::Text),
                ("usd_micro_sum", Want::Int),
                ("deposits", Want::Int),
                ("unpriced_deposits", Want::Int),
                ("senders", Want::Int),
                ("median_lo", Want::Int),
                ("median_hi", Want::Int),
            ],
        )
    }

    fn internal_aggregates(&self, period: Period) -> Result<DataFrame> {
        to_frame(
            &self
                .server
                .collect("the internal flows", &sql::internal_query(period))?,
            &[
                ("level", Want::Int),
                ("start", Want::Int),
                ("internal_transfers", Want::Int),
                ("internal_micro", Want::Int),
            ],
        )
    }

    fn loss_aggregates(&self, period: Period) -> Result<DataFrame> {
        let shape = Shape {
            period,
            ..self.shape.clone()
        };
        let df = to_frame(
            &self
                .server
                .collect("the reported losses", &sql::losses_query(&shape))?,
            &[
                ("level", Want::Int),
                ("start", Want::Int),
                ("scam_type", Want::Text),
                ("region", Want::Text),
                ("reports", Want::Int),
                ("addresses", Want::Int),
                ("loss_sum", Want::Int),
                ("median_lo", Want::Int),
                ("median_hi", Want::Int),
            ],
        )?;
        ensure_sums_fit(df.column("loss_sum")?.i64()?, "the reported losses")?;
        Ok(df)
    }

    /// `revenue_total` alone (for `revisions`).
    pub(super) fn revenue_total(&self, period: Period) -> Result<DataFrame> {
        let rollups = self.rollup_aggregates(period)?;
        let internal = self.internal_aggregates(period)?;
        let total = revenue_table(&rollups, 3, &[], period)?;
        Ok(with_internal_flows(total, internal_table(&internal, 0, period)?).collect()?)
    }

    /// `attributed_transfers`, in identity order.
    fn attributed(&self, period: Period) -> Result<DataFrame> {
        let flows = to_frame(
            &self
                .server
                .collect("the attributed transfers", sql::FLOWS_QUERY)?,
            &[
                ("chain", Want::Text),
                ("tx_hash", Want::Text),
                ("transfer_index", Want::Int),
                ("block_time", Want::Int),
                ("day", Want::Int),
                ("from_address", Want::Text),
                ("to_address", Want::Text),
                ("asset", Want::Text),
                ("amount", Want::Float),
                ("scam_type", Want::Text),
                ("region", Want::Text),
                ("label", Want::Text),
                ("flow", Want::Text),
                ("usd_micro", Want::Int),
            ],
        )?;
        ensure_sums_fit(
            flows.column("usd_micro")?.i64()?,
            "the USD values of the scam-bound transfers",
        )?;
        Ok(attributed_transfers(with_periods(flows.lazy(), period)).collect()?)
    }

    /// The attribution table (METHODOLOGY §4).
    fn addresses(&self) -> Result<DataFrame> {
        let df = to_frame(
            &self
                .server
                .collect("the attribution", sql::ADDRESSES_QUERY)?,
            &[
                ("chain", Want::Text),
                ("address", Want::Text),
                ("scam_type", Want::Text),
                ("region", Want::Text),
                ("label", Want::Text),
                ("reports", Want::Int),
                ("first_day", Want::Int),
            ],
        )?;
        Ok(df
            .lazy()
            .with_column(
                col("first_day")
                    .cast(DataType::Int32)
                    .cast(DataType::Date)
                    .alias("first_reported_at"),
            )
            .drop(cols(["first_day"]))
            .collect()?)
    }
}
/// The five §7 tables of one level set (0: the run's period, 1: years).
fn five_tables(
    rollups: &DataFrame,
    internal: &DataFrame,
    losses: &DataFrame,
    set: i64,
    period: Period,
) -> Result<Vec<DataFrame>> {
    let base = set * 4;
    let total = with_internal_flows(
        revenue_table(rollups, base + 3, &[], period)?,
        internal_table(internal, set, period)?,
    );
    let by_type = with_revenue_share(
        revenue_table(rollups, base + 1, &["scam_type"], period)?,
        total.clone(),
    );
    let plans = [
        revenue_table(rollups, base, &["scam_type", "region"], period)?,
        by_type,
        revenue_table(rollups, base + 2, &["region"], period)?,
        total,
        loss_table(losses, set, period)?,
    ];
    Ok(plans
        .into_iter()
        .map(|p| p.collect())
        .collect::<PolarsResult<Vec<_>>>()?)
}

/// The median column from the two middle values (`median_lo`, `median_hi`).
fn with_median(df: DataFrame, name: &str) -> Result<DataFrame> {
    let lo = df.column("median_lo")?.i64()?;
    let hi = df.column("median_hi")?.i64()?;
    let median: Float64Chunked = lo
        .iter()
        .zip(hi.iter())
        .map(|(l, h)| Some(median_of_middles(l?, h?)))
        .collect();
    let mut df = df.drop_many(["median_lo", "median_hi"]);
    df.with_column(median.with_name(name.into()).into_column())?;
    Ok(df
        .lazy()
        .with_column(median_dollars(col(name)).alias(name))
        .collect()?)
}

/// Rows of one level, `start` as the `period_start` date.
fn level_rows(df: &DataFrame, level: i64) -> Result<LazyFrame> {
    Ok(df
        .clone()
        .lazy()
        .filter(col("level").eq(lit(level)))
        .with_column(
            col("start")
                .cast(DataType::Int32)
                .cast(DataType::Date)
                .alias("period_start"),
        ))
}

fn revenue_table(
    rollups: &DataFrame,
    level: i64,
    keys: &[&str],
    period: Period,
) -> Result<LazyFrame> {
    let mut select = vec![col("period_start")];
    select.extend(keys.iter().map(|k| col(*k)));
    select.extend([
        col("usd_micro_sum").alias("revenue_micro"),
        col("deposits"),
        col("unpriced_deposits"),
        col("senders"),
        col("median_lo"),
        col("median_hi"),
    ]);
    let rows = level_rows(rollups, level)?.select(select).collect()?;
    let aggregates = with_median(rows, "median_deposit_usd")?;
    Ok(with_yoy(finish_rollup(aggregates.lazy(), period), keys))
}

fn internal_table(internal: &DataFrame, level: i64, period: Period) -> Result<LazyFrame> {
    Ok(level_rows(internal, level)?.select([
        label_expr(col("start"), period).alias("period"),
        col("internal_transfers"),
        col("internal_micro"),
    ]))
}

fn loss_table(losses: &DataFrame, level: i64, period: Period) -> Result<LazyFrame> {
    let rows = level_rows(losses, level)?
        .select([
            label_expr(col("start"), period).alias("period"),
            col("period_start"),
            col("scam_type"),
            col("region"),
            col("reports"),
            col("addresses"),
            col("loss_sum").alias("loss_micro"),
            col("median_lo"),
            col("median_hi"),
        ])
        .collect()?;
    debug_assert_eq!(&LOSS_KEYS[..2], &["period", "period_start"]);
    Ok(finish_losses(with_median(rows, "median_loss_usd")?.lazy()))
}
