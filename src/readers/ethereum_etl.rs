//! ethereum-etl `token_transfers` exports (CSV, NDJSON, BigQuery
//! `crypto_ethereum.token_transfers`): detected from the header and projected
//! onto canonical transfers. `value` is a raw uint256 integer, scaled exactly
//! from its text by the token's decimals (embedded registry, `tokens.toml`);
//! a token not in the registry keeps its contract as its asset (unpriced).

use std::sync::Arc;

use polars::prelude::*;

use crate::readers::tokens::{TokenRegistry, normalize_contract};

/// True when a header is ethereum-etl's token_transfers layout.
pub fn is_token_transfers(schema: &Schema) -> bool {
    [
        "token_address",
        "from_address",
        "to_address",
        "value",
        "transaction_hash",
        "log_index",
    ]
    .iter()
    .all(|c| schema.get(c).is_some())
}

/// True when a header is ethereum-etl's transactions layout (native ETH in wei).
pub fn is_transactions(schema: &Schema) -> bool {
    ["hash", "nonce", "from_address", "to_address", "value"]
        .iter()
        .all(|c| schema.get(c).is_some())
        && schema.get("token_address").is_none()
}

/// `transfer_index` of a transaction's native value: outside the range of log
/// indexes, so that a native transfer and a token transfer of the same
/// transaction keep distinct identities.
pub const NATIVE_TRANSFER_INDEX: &str = "4294967295";

/// Shown as the recipient of a contract creation (empty `to_address`): not an
/// error, and never a scam address.
pub const CONTRACT_CREATION: &str = "(contract creation)";

/// Canonical transfer columns from a transactions frame: ETH = wei / 10^18.
pub fn project_transactions(schema: &Schema, row: &str) -> Vec<Expr> {
    let to = col("to_address").cast(DataType::String);
    let empty = to
        .clone()
        .is_null()
        .or(to.clone().str().strip_chars(lit(NULL)).eq(lit("")));
    let wei = col("value").cast(DataType::String).map(
        |c| {
            let out: StringChunked = c
                .str()?
                .iter()
                .map(|v| v.map(|v| scale_decimal(v.trim(), 18).unwrap_or_else(|| v.to_string())))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    );
    vec![
        col(row),
        lit("ethereum").alias("chain"),
        col("hash").cast(DataType::String).alias("tx_hash"),
        lit(NATIVE_TRANSFER_INDEX).alias("transfer_index"),
        time_column(schema).alias("block_time"),
        col("from_address").cast(DataType::String),
        when(empty)
            .then(lit(CONTRACT_CREATION))
            .otherwise(to)
            .alias("to_address"),
        lit("ETH").alias("asset"),
        wei.alias("amount"),
    ]
}

fn time_column(schema: &Schema) -> Expr {
    if schema.get("block_timestamp").is_some() {
        col("block_timestamp").cast(DataType::String)
    } else {
        lit(NULL).cast(DataType::String) // block_number only: no time, rejected
    }
}

/// Canonical transfer columns from a token_transfers frame (all text columns).
pub fn project(
    schema: &Schema,
    row: &str,
    chain: &'static str,
    tokens: &Arc<TokenRegistry>,
) -> Vec<Expr> {
    let time = time_column(schema);
    vec![
        col(row),
        lit(chain).alias("chain"),
        col("transaction_hash")
            .cast(DataType::String)
            .alias("tx_hash"),
        col("log_index")
            .cast(DataType::String)
            .alias("transfer_index"),
        time.alias("block_time"),
        col("from_address").cast(DataType::String),
        col("to_address").cast(DataType::String),
        token_column(chain, Arc::clone(tokens)).alias("asset"),
        token_amount(chain, Arc::clone(tokens)).alias("amount"),
    ]
}

/// The symbol of each row's token, or its contract when unknown.
fn token_column(chain: &'static str, tokens: Arc<TokenRegistry>) -> Expr {
    col("token_address").cast(DataType::String).map(
        move |c| {
            let out: StringChunked = c
                .str()?
                .iter()
                .map(|t| {
                    t.map(|t| {
                        tokens
                            .lookup(chain, t)
                            .map(|(s, _)| s)
                            .unwrap_or_else(|| normalize_contract(t))
                    })
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// `value / 10^decimals` as text (kept as text so validation can reject
/// what is not an amount); unknown tokens keep the raw integer.
fn token_amount(chain: &'static str, registry: Arc<TokenRegistry>) -> Expr {
    col("token_address").cast(DataType::String).map_many(
        move |cols: &mut [Column]| {
            let contracts = cols[0].str()?.clone();
            let values = cols[1].cast(&DataType::String)?;
            let tokens = &registry;
            let out: StringChunked = contracts
                .iter()
                .zip(values.str()?.iter())
                .map(|(t, v)| {
                    let decimals = t
                        .and_then(|t| tokens.lookup(chain, t))
                        .map_or(0, |(_, d)| d);
                    let nft = t.is_some_and(|t| tokens.is_nft(chain, t));
                    v.map(|v| match nft {
                        // METHODOLOGY §1: an amount must be a number; a token id is not one
                        true => format!("ERC-721 token id {}", v.trim()),
                        false => scale_decimal(v.trim(), decimals).unwrap_or_else(|| v.to_string()),
                    })
                })
                .collect();
            Ok(out.with_name("amount".into()).into_column())
        },
        &[col("value")],
        |_, _| Ok(Field::new("amount".into(), DataType::String)),
    )
}

/// Exact decimal text of `digits / 10^decimals`; `None` unless `digits` is
/// a non-negative integer.
pub fn scale_decimal(digits: &str, decimals: u32) -> Option<String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = decimals as usize;
    let padded = format!("{digits:0>width$}", width = d + 1);
    let (int, frac) = padded.split_at(padded.len() - d);
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_is_exact_text_arithmetic() {
        assert_eq!(scale_decimal("30000000", 6).as_deref(), Some("30"));
        assert_eq!(scale_decimal("220832943", 6).as_deref(), Some("220.832943"));
        assert_eq!(
            scale_decimal("7056176614974947328", 18).as_deref(),
            Some("7.056176614974947328")
        );
        assert_eq!(
            scale_decimal("150188698577042438264952193024", 18).as_deref(),
            Some("150188698577.042438264952193024")
        );
        assert_eq!(
            scale_decimal("5", 18).as_deref(),
            Some("0.000000000000000005")
        );
        assert_eq!(scale_decimal("-5", 6), None);
        assert_eq!(scale_decimal("1e5", 6), None);
    }

    #[test]
    fn transactions_are_told_apart_from_token_transfers() {
        let tx = Schema::from_iter(
            ["hash", "nonce", "from_address", "to_address", "value"]
                .map(|n| Field::new(n.into(), DataType::String)),
        );
        assert!(is_transactions(&tx) && !is_token_transfers(&tx));
    }
}
