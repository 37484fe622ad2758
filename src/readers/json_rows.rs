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

/// A transfer index for exports that give none, from what the transfer
/// moved: the low 31 bits of the 64-bit FNV-1a hash of `parts` (each
/// followed by a 0 byte). Stable across exports and versions.
pub fn derived_index(parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (h & 0x7fff_ffff) as u32
}
