//! Report sources as canonical reports (and, for Ransomwhere, payments as
//! canonical transfers):
//!
//! - a Ransomwhere export (`{result: [{address, blockchain, family,
//!   createdAt, transactions: [{hash, time, amount, amountUSD}]}]}`): one
//!   report per address (type `ransomware`, the family as its `label`),
//!   and one transfer per payment (amount in satoshi; the export names no
//!   sender);
//! - Chainabuse-style reports (`{id, createdAt, scamCategory, addresses:
//!   [{address, chain}], losses: [{amount, asset}], …}`, one or many, or
//!   NDJSON): one report row per address, the loss in USD when it is in a
//!   dollar asset, else as `loss_amount` of `loss_asset` (valued at the day's
//!   price by the engine).

use serde_json::Value;

use crate::readers::ethereum_etl::scale_decimal;
use crate::readers::json_rows::{TransferRow, derived_index, text};
use crate::readers::tagpack::chain_of;

/// The canonical report columns the converters write.
pub const REPORT_HEADER: [&str; 11] = [
    "report_id",
    "reported_at",
    "chain",
    "address",
    "scam_type",
    "country",
    "loss_usd",
    "source",
    "label",
    "loss_amount",
    "loss_asset",
];

/// One canonical report row as text cells, in [`REPORT_HEADER`] order.
pub type ReportRow = [String; 11];

/// What Ransomwhere's payments come from: it names the receiving address
/// only. Never a scam address, and counted as one sender.
pub const UNKNOWN_SENDER: &str = "(sender not in the export)";

fn chain_name(v: Option<&Value>) -> String {
    let c = text(v);
    chain_of(&c, "")
}

/// A Ransomwhere address as a report.
pub fn ransomwhere_report(r: &Value) -> ReportRow {
    let address = text(r.get("address"));
    let reported_at = match text(r.get("createdAt")) {
        t if t.is_empty() => text(r.get("updatedAt")),
        t => t,
    };
    [
        format!("ransomwhere:{address}"),
        reported_at,
        chain_name(r.get("blockchain")),
        address,
        "ransomware".into(),
        String::new(),
        String::new(),
        "ransomwhere".into(),
        text(r.get("family")),
        String::new(),
        String::new(),
    ]
}

/// A Ransomwhere address's payments as transfers (satoshi → BTC exactly,
/// the USD value as Ransomwhere gives it). The export gives no output index:
/// `transfer_index` is derived from the address and amount (`derived_index`).
pub fn ransomwhere_payments(r: &Value) -> Vec<TransferRow> {
    let address = text(r.get("address"));
    let chain = chain_name(r.get("blockchain"));
    let asset = match chain.as_str() {
        "bitcoin" => "BTC".to_string(),
        other => other.to_ascii_uppercase(),
    };
    let payments = r.get("transactions").and_then(Value::as_array);
    payments
        .into_iter()
        .flatten()
        .map(|p| {
            let amount = text(p.get("amount"));
            [
                chain.clone(),
                text(p.get("hash")),
                derived_index(&[&address, &amount]).to_string(),
                text(p.get("time")),
                UNKNOWN_SENDER.into(),
                address.clone(),
                asset.clone(),
                scale_decimal(amount.trim(), 8).unwrap_or_else(|| format!("not satoshi: {amount}")),
                text(p.get("amountUSD")),
            ]
        })
        .collect()
}

/// Assets whose amounts are dollars.
const DOLLARS: [&str; 6] = ["USD", "USDT", "USDC", "DAI", "BUSD", "TUSD"];

/// A Chainabuse-style report as one row per address.
pub fn chainabuse_reports(r: &Value) -> Vec<ReportRow> {
    let id = text(r.get("id"));
    let category = match text(r.get("scamCategory")) {
        c if c.is_empty() => text(r.get("category")),
        c => c,
    };
    let (loss_usd, loss_amount, loss_asset) = losses(r.get("losses"));
    let country = text(r.get("victimCountry").or_else(|| r.get("country")));
    let label = text(r.get("subCategory").or_else(|| r.get("scamSubCategory")));
    let addresses = r.get("addresses").and_then(Value::as_array);
    addresses
        .into_iter()
        .flatten()
        .map(|a| {
            [
                id.clone(),
                text(r.get("createdAt")),
                chain_name(a.get("chain")),
                text(a.get("address")),
                category.clone(),
                country.clone(),
                loss_usd.clone(),
                "chainabuse".into(),
                label.clone(),
                loss_amount.clone(),
                loss_asset.clone(),
            ]
        })
        .collect()
}

/// A report's losses: the dollar amounts summed, else the first loss in
/// another asset as amount and asset. Losses in several other assets keep
/// the first (docs/cli.md).
fn losses(v: Option<&Value>) -> (String, String, String) {
    let list = v.and_then(Value::as_array).cloned().unwrap_or_default();
    let is_dollar = |l: &Value| {
        let asset = text(l.get("asset")).to_ascii_uppercase();
        DOLLARS.contains(&asset.as_str())
    };
    let dollars: Vec<f64> = list
        .iter()
        .filter(|l| is_dollar(l))
        .filter_map(|l| text(l.get("amount")).parse::<f64>().ok())
        .collect();
    if !dollars.is_empty() {
        // to the micro-dollar, as every loss is summed
        let sum = (dollars.iter().sum::<f64>() * 1e6).round() / 1e6;
        return (sum.to_string(), String::new(), String::new());
    }
    match list.first() {
        Some(l) => (String::new(), text(l.get("amount")), text(l.get("asset"))),
        None => Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_ransomwhere_address_is_a_report_and_its_payments_transfers() {
        let r = json(
            r#"{"address": "1Ransom", "blockchain": "bitcoin", "family": "Locky", "createdAt": "2021-07-26T17:52:14.811Z",
                "transactions": [{"hash": "tx1", "time": 1493809838, "amount": 15000000, "amountUSD": 203.4}]}"#,
        );
        let report = ransomwhere_report(&r);
        assert_eq!(report[0], "ransomwhere:1Ransom");
        assert_eq!(
            (report[2].as_str(), report[4].as_str(), report[8].as_str()),
            ("bitcoin", "ransomware", "Locky")
        );
        let pay = ransomwhere_payments(&r);
        assert_eq!(pay[0][7], "0.15");
        assert_eq!(pay[0][8], "203.4");
        assert_eq!(pay[0][4], UNKNOWN_SENDER);
    }

    #[test]
    fn a_chainabuse_report_names_each_address_with_its_loss() {
        let r = json(
            r#"{"id": "ca-1", "createdAt": "2024-05-01T10:00:00Z", "scamCategory": "PIG_BUTCHERING",
                "addresses": [{"address": "TScam", "chain": "TRX"}, {"address": "0xAbC", "chain": "ETH"}],
                "losses": [{"amount": 2.5, "asset": "ETH"}], "victimCountry": "US"}"#,
        );
        let rows = chainabuse_reports(&r);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0][2].as_str(), rows[1][2].as_str()),
            ("tron", "ethereum")
        );
        assert_eq!(
            (
                rows[0][9].as_str(),
                rows[0][10].as_str(),
                rows[0][6].as_str()
            ),
            ("2.5", "ETH", "")
        );
        let usd = json(
            r#"{"id": "x", "category": "phishing", "addresses": [{"address": "a", "chain": "BTC"}], "losses": [{"amount": 100, "asset": "USDT"}, {"amount": 50, "asset": "usd"}]}"#,
        );
        assert_eq!(chainabuse_reports(&usd)[0][6], "150");
    }
}
