//! Synthetic daily USD prices with realistic mess: missing days (carried by
//! the 7-day fallback), zero and empty prices (both "missing"), and one long
//! TRX gap (deposits then stay unpriced).

use std::collections::HashMap;

use super::rng::Rng;

/// First and last day (days since 1970-01-01) with prices: 2021-12-01 … 2024-12-31.
pub const FIRST_DAY: i64 = 18_962;
pub const LAST_DAY: i64 = 20_088;

/// TRX has no price for these days (2023-09-10 … 2023-09-24): longer than the fallback.
const TRX_GAP: (i64, i64) = (19_610, 19_624);

/// One row of the prices file.
pub struct PriceRow {
    pub day: i64,
    pub asset: &'static str,
    /// `None` is an empty cell.
    pub price: Option<f64>,
}

/// The true price series and the (messy) rows written to the prices file.
pub struct Prices {
    truth: HashMap<(&'static str, i64), f64>,
    pub rows: Vec<PriceRow>,
}

impl Prices {
    pub fn generate(rng: &mut Rng) -> Prices {
        let mut truth = HashMap::new();
        let mut rows = Vec::new();
        for (asset, start, vol) in [
            ("BTC", 57_000.0, 0.03),
            ("ETH", 4_600.0, 0.04),
            ("TRX", 0.08, 0.03),
            ("USDT", 1.0, 0.0),
            ("USDC", 1.0, 0.0),
        ] {
            let mut price: f64 = start;
            for day in FIRST_DAY..=LAST_DAY {
                price *= (vol * rng.normal()).exp();
                let p = if vol == 0.0 {
                    1.0 + 0.001 * rng.normal()
                } else {
                    price
                };
                let p = (p * 1e6).round() / 1e6;
                truth.insert((asset, day), p);
                if let Some(row) = messy_row(rng, asset, day, p) {
                    rows.push(row);
                }
            }
        }
        Prices { truth, rows }
    }

    /// The true price of an asset on a day (what deposits were sized with).
    pub fn on(&self, asset: &str, day: i64) -> f64 {
        *self.truth.get(&(static_asset(asset), day)).unwrap_or(&1.0)
    }
}

fn static_asset(asset: &str) -> &'static str {
    match asset {
        "BTC" => "BTC",
        "ETH" => "ETH",
        "TRX" => "TRX",
        "USDC" => "USDC",
        _ => "USDT",
    }
}

fn messy_row(rng: &mut Rng, asset: &'static str, day: i64, p: f64) -> Option<PriceRow> {
    if asset == "TRX" && (TRX_GAP.0..=TRX_GAP.1).contains(&day) {
        return None;
    }
    let x = rng.unit();
    let price = if x < 0.03 {
        return None; // a missing day
    } else if x < 0.035 {
        Some(0.0)
    } else if x < 0.04 {
        None
    } else {
        Some(p)
    };
    Some(PriceRow { day, asset, price })
}
