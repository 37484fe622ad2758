//! What the JSON export converters share: the canonical transfer row they
//! write, and the text of a JSON value.

use serde_json::Value;

/// The canonical transfer columns the converters write.
pub const TRANSFER_HEADER: [&str; 9] = [
    "chain",
    "tx_hash",
    "transfer_index",
    "block_time",
    "from_address",
    "to_address",
    "asset",
    "amount",
    "amount_usd",
];

/// One canonical transfer as text cells, in [`TRANSFER_HEADER`] order.
pub type TransferRow = [String; 9];

/// Text of a JSON value: a string as it is, a number as written, else empty.
pub fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}
