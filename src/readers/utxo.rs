//! Bitcoin (UTXO) transactions as canonical transfers: one transfer per
//! output, `transfer_index` = the output's index, values in satoshi scaled
//! exactly to BTC.
//!
//! The sender of every output of a transaction is its input address set:
//! the distinct addresses of its inputs, sorted and joined by `+` (one
//! address: the address itself). A transfer is internal when any of those
//! addresses is a scam address (`engine::local::scam_index`). Outputs that
//! are no transfer to someone else give no row:
//! - change: every address of the output is one of the inputs';
//! - a coinbase transaction's outputs (newly minted, no sender);
//! - outputs without an address (`OP_RETURN`, non-standard scripts).
//!
//! An output to several addresses (multisig) goes to their sorted `+`-joined
//! set, as GraphSense writes it. When the inputs are not enriched (bitcoin-etl's
//! batch export: no addresses, no values), no sender address is known: the
//! sender is then the set of outputs spent, `prevhash:index` joined by `+`,
//! which is what the export knows, and change cannot be told apart.

use serde_json::Value;

use crate::readers::ethereum_etl::scale_decimal;
use crate::readers::json_rows::{TransferRow, text};

/// The canonical transfers of one transaction record (bitcoin-etl or
/// BigQuery `crypto_bitcoin.transactions`); none for a record that is not
/// a transaction (the stream export's block items).
pub fn utxo_transfers(tx: &Value) -> Vec<TransferRow> {
    let (Some(inputs), Some(outputs)) = (array(tx, "inputs"), array(tx, "outputs")) else {
        return Vec::new();
    };
    let coinbase =
        tx.get("is_coinbase").and_then(Value::as_bool) == Some(true) || inputs.is_empty();
    if coinbase {
        return Vec::new();
    }
    let input_addresses = addresses_of_all(inputs);
    let sender = match &input_addresses {
        Some(set) => set.join("+"),
        None => spent_outputs(inputs),
    };
    let block_time = block_time(tx.get("block_timestamp"));
    let hash = text(tx.get("hash"));
    let mut rows = Vec::new();
    for (position, output) in outputs.iter().enumerate() {
        let to = addresses(output);
        let change = input_addresses
            .as_ref()
            .is_some_and(|set| to.iter().all(|a| set.contains(a)));
        if to.is_empty() || change {
            continue;
        }
        let index = match output.get("index") {
            Some(i) => text(Some(i)),
            None => position.to_string(),
        };
        let value = text(output.get("value"));
        let amount =
            scale_decimal(value.trim(), 8).unwrap_or_else(|| format!("not satoshi: {value}"));
        rows.push([
            "bitcoin".into(),
            hash.clone(),
            index,
            block_time.clone(),
            sender.clone(),
            to.join("+"),
            "BTC".into(),
            amount,
            String::new(),
        ]);
    }
    rows
}

fn array<'a>(v: &'a Value, key: &str) -> Option<&'a Vec<Value>> {
    v.get(key).and_then(Value::as_array)
}

/// An input's or output's addresses, sorted and distinct.
fn addresses(io: &Value) -> Vec<String> {
    let mut out: Vec<String> = array(io, "addresses")
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The distinct addresses of all inputs, sorted; `None` when an input has
/// none (not enriched).
fn addresses_of_all(inputs: &[Value]) -> Option<Vec<String>> {
    let mut all = Vec::new();
    for input in inputs {
        let a = addresses(input);
        if a.is_empty() {
            return None;
        }
        all.extend(a);
    }
    all.sort();
    all.dedup();
    Some(all)
}

/// `prevhash:index` of every input, joined by `+` (inputs as spent outputs).
fn spent_outputs(inputs: &[Value]) -> String {
    let spent: Vec<String> = inputs
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                text(i.get("spent_transaction_hash")),
                text(i.get("spent_output_index"))
            )
        })
        .collect();
    spent.join("+")
}

/// Unix seconds (bitcoin-etl) as they are; a BigQuery TIMESTAMP text
/// (`2010-04-10 16:31:40 UTC`) without its ` UTC`, which the timestamp
/// rules read as UTC.
fn block_time(v: Option<&Value>) -> String {
    let t = text(v);
    match t.strip_suffix(" UTC") {
        Some(stripped) => stripped.to_string(),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(json: &str) -> Vec<TransferRow> {
        utxo_transfers(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn one_transfer_per_output_from_the_input_set_without_change() {
        let rows = tx(
            r#"{"hash": "t", "block_timestamp": 1231466400, "is_coinbase": false,
            "inputs": [{"addresses": ["1B"], "value": 5}, {"addresses": ["1A"], "value": 7}],
            "outputs": [{"index": 0, "addresses": ["1C"], "value": 150000000},
                        {"index": 1, "addresses": ["1A"], "value": 2},
                        {"index": 2, "addresses": [], "value": 0},
                        {"index": 3, "addresses": ["1E", "1D"], "value": 1}]}"#,
        );
        let got: Vec<(&str, &str, &str, &str)> = rows
            .iter()
            .map(|r| (r[2].as_str(), r[4].as_str(), r[5].as_str(), r[7].as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("0", "1A+1B", "1C", "1.5"),
                ("3", "1A+1B", "1D+1E", "0.00000001")
            ]
        );
    }

    #[test]
    fn a_bigquery_row_reads_like_bitcoin_etl() {
        // crypto_bitcoin.transactions as BigQuery exports NDJSON: NUMERIC
        // values as strings, TIMESTAMP as text in UTC
        let row: Value = serde_json::from_str(
            r#"{"hash": "bq", "block_timestamp": "2024-03-01 12:00:00 UTC", "is_coinbase": false,
                "inputs": [{"index": 0, "addresses": ["bc1qvictim"], "value": "200000000"}],
                "outputs": [{"index": 0, "addresses": ["bc1qscam"], "value": "150000000"},
                            {"index": 1, "addresses": ["bc1qvictim"], "value": "49990000"}]}"#,
        )
        .unwrap();
        assert_eq!(
            crate::readers::json_exports::layout_of_record(&row),
            Some(crate::readers::json_exports::JsonLayout::BigQueryBitcoin)
        );
        let rows = utxo_transfers(&row);
        assert_eq!(rows.len(), 1, "output 1 is change");
        assert_eq!(
            (
                rows[0][3].as_str(),
                rows[0][4].as_str(),
                rows[0][7].as_str()
            ),
            ("2024-03-01 12:00:00", "bc1qvictim", "1.5")
        );
    }

    #[test]
    fn coinbase_gives_nothing_and_unenriched_inputs_name_the_outputs_spent() {
        assert!(tx(r#"{"hash": "c", "is_coinbase": true, "inputs": [], "outputs": [{"index": 0, "addresses": ["1M"], "value": 50}]}"#).is_empty());
        let rows = tx(
            r#"{"hash": "t", "block_timestamp": "2010-04-10 16:31:40 UTC",
            "inputs": [{"spent_transaction_hash": "p", "spent_output_index": 1, "addresses": [], "value": null}],
            "outputs": [{"index": 0, "addresses": ["1X"], "value": 5000000000}]}"#,
        );
        assert_eq!(rows[0][4], "p:1");
        assert_eq!(rows[0][3], "2010-04-10 16:31:40");
        assert_eq!(rows[0][7], "50");
    }
}

#[cfg(test)]
mod graphsense_convention {
    use super::*;
    use std::collections::BTreeSet;

    fn fixture(rel: &str) -> Vec<Value> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real/graphsense_utxo_convention_SYNTHETIC")
            .join(rel);
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// GraphSense's test transaction in bitcoin-etl's shape.
    fn as_bitcoin_etl(tx: &Value) -> Value {
        let io = |list: &Value, with_index: bool| -> Vec<Value> {
            list.as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let mut o = serde_json::json!({"addresses": x["address"], "value": x["value"]});
                    if with_index {
                        o["index"] = serde_json::json!(i);
                    }
                    o
                })
                .collect()
        };
        serde_json::json!({
            "hash": tx["txHash"], "block_timestamp": tx["timestamp"], "is_coinbase": tx["coinbase"],
            "inputs": io(&tx["inputs"], false), "outputs": io(&tx["outputs"], true),
        })
    }

    /// Our transfers are GraphSense's regular outputs of each non-coinbase
    /// transaction, less the change back to an input address; and the
    /// multisig outputs GraphSense leaves out of its regular outputs, named
    /// as it names them elsewhere (`A+B`, as an input of its Tx 8).
    #[test]
    fn outputs_match_graphsense_less_coinbase_and_change() {
        let txs = fixture("test_txs.json");
        let outputs = fixture("reference/regular_outputs.json");
        for tx in &txs {
            let ours: BTreeSet<(String, String)> = utxo_transfers(&as_bitcoin_etl(tx))
                .into_iter()
                .map(|r| (r[5].clone(), r[2].clone()))
                .collect();
            let inputs: BTreeSet<String> = tx["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let mut a: Vec<&str> = i["address"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    a.sort();
                    a.join("+")
                })
                .collect();
            let mut theirs: BTreeSet<(String, String)> = outputs
                .iter()
                .filter(|o| o["txId"] == tx["txId"] && tx["coinbase"] != serde_json::json!(true))
                .filter(|o| !inputs.contains(o["address"].as_str().unwrap()))
                .map(|o| {
                    (
                        o["address"].as_str().unwrap().to_string(),
                        o["n"].to_string(),
                    )
                })
                .collect();
            if tx["coinbase"] != serde_json::json!(true) {
                for (n, o) in tx["outputs"].as_array().unwrap().iter().enumerate() {
                    let mut a: Vec<&str> = o["address"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    if a.len() > 1 {
                        a.sort();
                        theirs.insert((a.join("+"), n.to_string()));
                    }
                }
            }
            assert_eq!(ours, theirs, "tx {}", tx["txId"]);
        }
    }
}
