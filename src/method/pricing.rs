//! Pricing stage (METHODOLOGY §6): a daily USD price table with the 7-day
//! fallback, and the USD value of each transfer in integer micro-dollars.
//!
//! In: validated price rows (`date` as Unix seconds, `asset`, `price_usd`).
//! A price ≤ 0, NaN or missing is no price. Out: lazy frames; no I/O.

use polars::prelude::*;

/// How many days back a price may be carried forward.
pub const FALLBACK_DAYS: i64 = 7;

/// Micro-dollars per dollar: money is summed as integers (METHODOLOGY §8).
pub const MICROS: f64 = 1_000_000.0;

/// The largest USD value one transfer or one report may carry: above it a
/// value is implausible and rejected (`implausible_usd`), and below it its
/// micro-dollars fit an `i64` with room for millions of them in a sum.
pub const MAX_USD: f64 = 1e12;

/// Usable prices: positive and finite, one per `(asset, day)`: the first by
/// file then row order wins.
pub fn usable_prices(prices: LazyFrame) -> LazyFrame {
    let price = col("price_usd");
    prices
        .filter(price.clone().gt(lit(0.0)).and(price.clone().is_finite()))
        .with_column(col("date").floor_div(lit(86_400i64)).alias("day"))
        .sort(["_file", "_row"], SortMultipleOptions::default())
        .unique_stable(Some(cols(["asset", "day"])), UniqueKeepStrategy::First)
}

/// For every `(asset, day)` that has a price on that day or at most 7 days
/// earlier: the latest such price. Columns `asset, day, price_usd`.
pub fn daily_prices(usable: LazyFrame) -> LazyFrame {
    let shifted: Vec<LazyFrame> = (0..=FALLBACK_DAYS)
        .map(|k| {
            usable.clone().select([
                col("asset"),
                (col("day") + lit(k)).alias("day"),
                col("price_usd"),
                lit(k).alias("age"),
            ])
        })
        .collect();
    concat(shifted, UnionArgs::default())
        .expect("frames of one schema concatenate")
        .group_by([col("asset"), col("day")])
        .agg([col("price_usd")
            .sort_by([col("age")], SortMultipleOptions::default())
            .first()])
}

/// Add `price_usd`: the price of each transfer's asset on its UTC `day`
/// (with the fallback), null when there is none.
pub fn with_prices(transfers: LazyFrame, daily: LazyFrame) -> LazyFrame {
    let keys = [col("asset"), col("day")];
    transfers.join(daily, keys.clone(), keys, JoinArgs::new(JoinType::Left))
}

/// The USD value of a priced transfer, in dollars: `amount_usd` when given,
/// else `amount × price_usd`; null when unpriced.
pub fn usd_value() -> Expr {
    col("amount_usd").fill_null(col("amount") * col("price_usd"))
}

/// Add `usd_micro`: `amount_usd` when given, else `amount × price` of the
/// transfer's UTC day (with fallback); null when unpriced.
pub fn value_transfers(transfers: LazyFrame, daily: LazyFrame) -> LazyFrame {
    with_prices(transfers, daily).with_column(
        usd_value()
            .map(to_micros, |_, f| {
                Ok(Field::new(f.name().clone(), DataType::Int64))
            })
            .alias("usd_micro"),
    )
}

/// Reports whose loss is given in an asset (`loss_amount` of `loss_asset`)
/// and not in USD get `loss_usd` = amount × the asset's price on the UTC day
/// of `reported_at` (with the 7-day fallback); still missing when unpriced.
/// Adds `loss_valued` (true where the loss was computed here).
pub fn value_losses(reports: LazyFrame, daily: LazyFrame) -> LazyFrame {
    let priced = reports
        .with_column(col("reported_at").floor_div(lit(86_400i64)).alias("_day"))
        .join(
            daily.select([
                col("asset").alias("loss_asset"),
                col("day").alias("_day"),
                col("price_usd").alias("_loss_price"),
            ]),
            [col("loss_asset"), col("_day")],
            [col("loss_asset"), col("_day")],
            JoinArgs {
                maintain_order: MaintainOrderJoin::Left,
                ..JoinArgs::new(JoinType::Left)
            },
        );
    let computed = col("loss_amount") * col("_loss_price");
    priced
        .with_columns([
            (col("loss_usd")
                .is_null()
                .and(computed.clone().is_not_null()))
            .alias("loss_valued"),
            col("loss_usd").fill_null(computed),
        ])
        .drop(cols(["_day", "_loss_price"]))
}

/// Dollars → rounded micro-dollars (half away from zero); null stays null.
/// A value beyond [`MAX_USD`] is an error, never a saturated integer:
/// validation rejects such values before they are valued.
pub fn to_micros(c: Column) -> PolarsResult<Column> {
    let out: Int64Chunked = c
        .f64()?
        .iter()
        .map(|v| match v.filter(|x| x.is_finite()) {
            Some(x) if x.abs() > MAX_USD => polars_bail!(
                ComputeError: "a USD value of {x} is beyond {MAX_USD}: it should have been rejected"
            ),
            other => Ok(other.map(|x| (x * MICROS).round() as i64)),
        })
        .collect::<PolarsResult<_>>()?;
    Ok(out.with_name(c.name().clone()).into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_takes_the_latest_valid_price_within_seven_days() {
        // METHODOLOGY example: ETH 06-30 empty, 06-29 zero, 06-28 1800, 06-20 1750.
        let d = |x: i64| x * 86_400;
        let prices = df!(
            "_file" => [0u32, 0, 0, 0],
            "_row" => [1i64, 2, 3, 4],
            "date" => [d(100), d(108), d(109), d(110)],
            "asset" => ["ETH", "ETH", "ETH", "ETH"],
            "price_usd" => [Some(1750.0), Some(1800.0), Some(0.0), None],
        )
        .unwrap();
        let transfers = df!(
            "asset" => ["ETH", "ETH", "ETH"],
            "day" => [110i64, 115, 120],
            "amount" => [1.0, 0.5, 2.0],
            "amount_usd" => [None::<f64>, None, None],
        )
        .unwrap();
        let daily = daily_prices(usable_prices(prices.lazy()));
        let out = value_transfers(transfers.lazy(), daily)
            .sort(["day"], Default::default())
            .collect()
            .unwrap();
        let usd: Vec<_> = out
            .column("usd_micro")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(usd, [Some(1_800_000_000), Some(900_000_000), None]);
    }
}
