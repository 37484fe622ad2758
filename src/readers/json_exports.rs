//! JSON exports of transfers whose records are not one flat object per
//! transfer, converted to canonical transfers CSV for the ordinary loader:
//!
//! - TronGrid `/v1/accounts/{addr}/transactions/trc20` pages (`{data: […]}`,
//!   a list of pages, or pages keyed by account), and the same rows as NDJSON;
//! - Tronscan `token_trc20/transfers` (`{token_transfers: […]}`);
//! - Bitcoin UTXO transactions: bitcoin-etl NDJSON (enriched or not, the
//!   stream export's block items skipped) and BigQuery
//!   `crypto_bitcoin.transactions` rows exported as NDJSON.
//!
//! Values stay exact: integer strings are scaled by decimals as text. The
//! asset of a token is what the token registry says its contract is (a
//! symbol in the export can be spoofed); an unknown contract is its own asset.
//! What each record becomes is documented in docs/cli.md.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::model::InputKind;
use crate::readers::ethereum_etl::scale_decimal;
use crate::readers::json_rows::{TRANSFER_HEADER, TransferRow, text};
use crate::readers::ndjson::write_row;
use crate::readers::report_exports::{
    REPORT_HEADER, chainabuse_reports, ransomwhere_payments, ransomwhere_report,
};
use crate::readers::tokens::TokenRegistry;
use crate::readers::tron::{contract_asset, tron_address, tron_transfer_index};
use crate::readers::utxo::utxo_transfers;

/// A JSON layout this module converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLayout {
    TronGrid,
    Tronscan,
    BitcoinEtl,
    BigQueryBitcoin,
    /// A Ransomwhere export: addresses with their family and payments —
    /// reports when read as reports, transfers when read as transfers.
    Ransomwhere,
    /// Chainabuse-style reports: one report, many addresses, losses.
    Chainabuse,
}

impl JsonLayout {
    /// How `inspect` and the run log name it.
    pub fn name(self) -> &'static str {
        match self {
            JsonLayout::TronGrid => "TronGrid TRC-20 transfers",
            JsonLayout::Tronscan => "Tronscan TRC-20 transfers",
            JsonLayout::BitcoinEtl => "bitcoin-etl transactions (UTXO)",
            JsonLayout::BigQueryBitcoin => "BigQuery crypto_bitcoin.transactions (UTXO)",
            JsonLayout::Ransomwhere => "Ransomwhere export",
            JsonLayout::Chainabuse => "Chainabuse reports",
        }
    }

    /// Whether records of this layout can be read as `kind`.
    pub fn reads_as(self, kind: InputKind) -> bool {
        match self {
            JsonLayout::Ransomwhere => true,
            JsonLayout::Chainabuse => kind == InputKind::Reports,
            _ => kind == InputKind::Transfers,
        }
    }
}

/// Convert a JSON export at `source` into canonical transfers CSV at
/// `target` when it is one of ours: `(layout, rows written)`, or `None`
/// for any other JSON (read as flat NDJSON). NDJSON is streamed a line at a
/// time; a file whose first line is not a whole JSON value is one document.
pub fn convert(
    source: &Path,
    target: &Path,
    kind: InputKind,
    tokens: &Arc<TokenRegistry>,
) -> Result<Option<(JsonLayout, u64)>, String> {
    let (layout, ndjson) = sniff(source)?;
    let Some(layout) = layout else {
        return Ok(None);
    };
    if !layout.reads_as(kind) {
        return Err(format!(
            "a {} file cannot be read as {}",
            layout.name(),
            kind.name()
        ));
    }
    let mut out =
        BufWriter::with_capacity(1 << 20, File::create(target).map_err(|e| e.to_string())?);
    let header: &[&str] = match kind {
        InputKind::Reports => &REPORT_HEADER,
        _ => &TRANSFER_HEADER,
    };
    write_row(&mut out, header.iter().copied()).map_err(|e| e.to_string())?;
    let write = |records: Vec<&Value>, out: &mut BufWriter<File>| match kind {
        InputKind::Reports => write_report_records(layout, records.into_iter(), out),
        _ => write_records(layout, records.into_iter(), tokens, out),
    };
    let mut rows = 0;
    if ndjson {
        let file = File::open(source).map_err(|e| e.to_string())?;
        for (i, line) in BufReader::with_capacity(1 << 20, file).lines().enumerate() {
            let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
            if line.trim().is_empty() {
                continue;
            }
            let v: Value =
                serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
            rows += write(document_records(&v), &mut out)?;
        }
    } else {
        let text = std::fs::read_to_string(source).map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
        rows = write(document_records(&doc), &mut out)?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(Some((layout, rows)))
}

/// The layout of a JSON file from its first record, and whether it is
/// NDJSON (its first line a whole JSON value) or one document.
pub fn sniff(source: &Path) -> Result<(Option<JsonLayout>, bool), String> {
    let file = File::open(source).map_err(|e| e.to_string())?;
    let first = BufReader::with_capacity(1 << 20, file)
        .lines()
        .map_while(Result::ok)
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let first_layout = |v: &Value| {
        document_records(v)
            .first()
            .and_then(|r| layout_of_record(r))
    };
    match serde_json::from_str::<Value>(&first) {
        Ok(v) => Ok((first_layout(&v), true)),
        Err(_) => {
            let text = std::fs::read_to_string(source).map_err(|e| e.to_string())?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
            Ok((first_layout(&doc), false))
        }
    }
}

/// The layout of one JSON record (a document's first record, or an NDJSON
/// line), if it is one of ours.
pub fn layout_of_record(record: &Value) -> Option<JsonLayout> {
    let has = |k: &str| record.get(k).is_some();
    if has("transaction_id") && has("token_info") && has("from") && has("to") {
        return Some(JsonLayout::TronGrid);
    }
    if has("transaction_id") && has("tokenInfo") && has("quant") {
        return Some(JsonLayout::Tronscan);
    }
    if has("address") && has("family") && has("transactions") {
        return Some(JsonLayout::Ransomwhere);
    }
    let chainabuse_addresses = record
        .get("addresses")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().all(|x| x.get("address").is_some()));
    if chainabuse_addresses && (has("scamCategory") || has("category")) {
        return Some(JsonLayout::Chainabuse);
    }
    if has("hash") && has("outputs") && has("inputs") {
        let bigquery = record.get("block_timestamp").is_some_and(Value::is_string);
        return Some(match bigquery {
            true => JsonLayout::BigQueryBitcoin,
            false => JsonLayout::BitcoinEtl,
        });
    }
    None
}

/// The transfer records of a JSON document: a TronGrid page, a list of
/// pages, pages keyed by account, or a Tronscan response.
pub fn document_records(doc: &Value) -> Vec<&Value> {
    if layout_of_record(doc).is_some() {
        return vec![doc];
    }
    for key in ["data", "token_transfers", "result", "reports"] {
        if let Some(rows) = doc.get(key).and_then(Value::as_array) {
            return rows.iter().collect();
        }
    }
    match doc {
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let pages: Vec<&Value> = items.iter().flat_map(document_records).collect();
            if pages.is_empty() {
                items.iter().collect()
            } else {
                pages
            }
        }
        Value::Object(map) => map.values().flat_map(document_records).collect(),
        _ => Vec::new(),
    }
}

/// Write the canonical reports of `records` (all of one layout) as CSV
/// rows; returns how many were written.
pub fn write_report_records<'a>(
    layout: JsonLayout,
    records: impl Iterator<Item = &'a Value>,
    out: &mut impl Write,
) -> Result<u64, String> {
    let mut n = 0u64;
    for record in records {
        let rows = match layout {
            JsonLayout::Ransomwhere => vec![ransomwhere_report(record)],
            _ => chainabuse_reports(record),
        };
        for row in &rows {
            write_row(out, row.iter().map(String::as_str)).map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    Ok(n)
}

/// Write the canonical transfers of `records` (all of one layout) as CSV
/// rows; returns how many were written.
pub fn write_records<'a>(
    layout: JsonLayout,
    records: impl Iterator<Item = &'a Value>,
    tokens: &Arc<TokenRegistry>,
    out: &mut impl Write,
) -> Result<u64, String> {
    let mut n = 0u64;
    for record in records {
        if !record.is_object() {
            return Err("a record that is not an object".into());
        }
        let rows: Vec<TransferRow> = match layout {
            JsonLayout::TronGrid => trongrid_row(record, tokens).into_iter().collect(),
            JsonLayout::Tronscan => tronscan_row(record, tokens).into_iter().collect(),
            JsonLayout::BitcoinEtl | JsonLayout::BigQueryBitcoin => utxo_transfers(record),
            JsonLayout::Ransomwhere => ransomwhere_payments(record),
            JsonLayout::Chainabuse => Vec::new(),
        };
        for row in &rows {
            write_row(out, row.iter().map(String::as_str)).map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    Ok(n)
}

/// Milliseconds since 1970 (as TronGrid and Tronscan give them) → Unix
/// seconds as text; anything else is kept for validation to reject.
fn seconds_of_millis(v: Option<&Value>) -> String {
    let raw = text(v);
    match raw.parse::<i64>() {
        Ok(ms) => ms.div_euclid(1000).to_string(),
        Err(_) => raw,
    }
}

/// A TronGrid row: `type` other than `Transfer` (e.g. an approval) is no
/// value transfer and gives nothing.
fn trongrid_row(r: &Value, tokens: &TokenRegistry) -> Option<TransferRow> {
    if r.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "Transfer")
    {
        return None;
    }
    let info = r.get("token_info");
    let contract = tron_address(&text(info.and_then(|i| i.get("address"))));
    let decimals = text(info.and_then(|i| i.get("decimals")));
    Some(token_row(
        TokenTransfer {
            tx_hash: text(r.get("transaction_id")),
            block_time: seconds_of_millis(r.get("block_timestamp")),
            from: tron_address(&text(r.get("from"))),
            to: tron_address(&text(r.get("to"))),
            contract,
            value: text(r.get("value")),
            export_decimals: decimals,
        },
        tokens,
    ))
}

/// A Tronscan row: a reverted or failed transfer moved nothing and gives
/// nothing.
fn tronscan_row(r: &Value, tokens: &TokenRegistry) -> Option<TransferRow> {
    let failed = r.get("revert").and_then(Value::as_bool) == Some(true)
        || ["contractRet", "finalResult"].iter().any(|k| {
            r.get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| s != "SUCCESS")
        });
    if failed {
        return None;
    }
    let info = r.get("tokenInfo");
    let contract = match text(r.get("contract_address")) {
        c if c.is_empty() => text(info.and_then(|i| i.get("tokenId"))),
        c => c,
    };
    Some(token_row(
        TokenTransfer {
            tx_hash: text(r.get("transaction_id")),
            block_time: seconds_of_millis(r.get("block_ts")),
            from: tron_address(&text(r.get("from_address"))),
            to: tron_address(&text(r.get("to_address"))),
            contract: tron_address(&contract),
            value: text(r.get("quant")),
            export_decimals: text(info.and_then(|i| i.get("tokenDecimal"))),
        },
        tokens,
    ))
}

/// A TRC-20 transfer as an export gives it.
struct TokenTransfer {
    tx_hash: String,
    block_time: String,
    from: String,
    to: String,
    contract: String,
    value: String,
    export_decimals: String,
}

/// The canonical row: asset and decimals from the registry by contract;
/// an unknown contract is its own asset, scaled by the export's decimals.
fn token_row(t: TokenTransfer, tokens: &TokenRegistry) -> TransferRow {
    let (asset, decimals) = match tokens.lookup("tron", &t.contract) {
        Some((symbol, d)) => (symbol, Some(d)),
        None => (
            contract_asset(&t.contract),
            t.export_decimals.parse::<u32>().ok().filter(|d| *d <= 77),
        ),
    };
    let amount = decimals
        .and_then(|d| scale_decimal(t.value.trim(), d))
        .unwrap_or_else(|| t.value.clone());
    let index = tron_transfer_index(&t.contract, &t.from, &t.to, &t.value);
    [
        "tron".into(),
        t.tx_hash,
        index.to_string(),
        t.block_time,
        t.from,
        t.to,
        asset,
        amount,
        String::new(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Arc<TokenRegistry> {
        Arc::new(TokenRegistry::embedded())
    }

    #[test]
    fn a_trongrid_row_is_keyed_on_its_contract_not_its_symbol() {
        let row: Value = serde_json::from_str(
            r#"{"transaction_id": "ab", "token_info": {"symbol": "USDT", "address": "TFakeFakeFakeFakeFakeFakeFakeFake1", "decimals": 6},
                "block_timestamp": 1738601505999, "from": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c", "to": "TXVj38D1XR3TPgSHTCZGC8wkLDAGqF1oqx",
                "type": "Transfer", "value": "41677389"}"#,
        )
        .unwrap();
        let r = trongrid_row(&row, &tokens()).unwrap();
        assert_eq!(r[3], "1738601505", "milliseconds floored to seconds");
        assert_eq!(
            r[4], "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "hex 41… in base58"
        );
        assert_eq!(
            r[6], "TFakeFakeFakeFakeFakeFakeFakeFake1",
            "a spoofed symbol is not USDT"
        );
        let usdt = r#"{"transaction_id": "ab", "token_info": {"symbol": "X", "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "decimals": 2}, "from": "a", "to": "b", "value": "5"}"#;
        let known = trongrid_row(&serde_json::from_str(usdt).unwrap(), &tokens()).unwrap();
        assert_eq!(
            (known[6].as_str(), known[7].as_str()),
            ("USDT", "0.000005"),
            "the registry's symbol and decimals"
        );
        assert_eq!(r[7], "41.677389");
    }

    #[test]
    fn approvals_and_failed_transfers_move_nothing() {
        let approval: Value =
            serde_json::from_str(r#"{"transaction_id": "a", "token_info": {}, "from": "", "to": "", "type": "Approval"}"#)
                .unwrap();
        assert!(trongrid_row(&approval, &tokens()).is_none());
        let failed: Value = serde_json::from_str(
            r#"{"transaction_id": "a", "tokenInfo": {}, "quant": "1", "contractRet": "REVERT"}"#,
        )
        .unwrap();
        assert!(tronscan_row(&failed, &tokens()).is_none());
    }

    #[test]
    fn documents_give_their_records_in_order() {
        let doc: Value = serde_json::from_str(
            r#"{"TAcc": {"data": [{"n": 1}, {"n": 2}], "success": true}, "TOther": {"data": [{"n": 3}]}}"#,
        )
        .unwrap();
        let n: Vec<String> = document_records(&doc)
            .iter()
            .map(|r| text(r.get("n")))
            .collect();
        assert_eq!(n, ["1", "2", "3"]);
        let list: Value =
            serde_json::from_str(r#"[{"data": [{"n": 1}]}, {"data": [{"n": 2}]}]"#).unwrap();
        assert_eq!(document_records(&list).len(), 2);
    }
}
