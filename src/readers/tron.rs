//! Tron specifics: one spelling per address, and a transfer index where the
//! export gives none.
//!
//! Tron writes an address as Base58Check (`T…`, 34 characters) or as hex
//! with the `41` prefix (42 digits; some APIs give `0x` and 40 digits).
//! All become the Base58Check form, so that a report naming `T…` matches a
//! transfer exported in hex. Anything else is kept as it is.

use crate::readers::base58::base58check;
use crate::readers::json_rows::derived_index;

/// The Base58Check spelling of a Tron address given in hex; other text as it is.
pub fn tron_address(text: &str) -> String {
    let t = text.trim();
    let hex = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) if h.len() == 40 => format!("41{h}"),
        _ if t.len() == 42 && t.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("41")) => {
            t.to_string()
        }
        _ => return t.to_string(),
    };
    match hex_bytes(&hex) {
        Some(bytes) => base58check(&bytes),
        None => t.to_string(),
    }
}

/// An unknown token's asset: its contract in hex (`41…`), because assets
/// are uppercased (METHODOLOGY §1) and base58 is case-sensitive, while hex
/// stays one-to-one under uppercasing. Text that is no Base58Check address
/// is kept as it is.
pub fn contract_asset(contract: &str) -> String {
    let mut bytes = Vec::new();
    let digits_ok = contract
        .bytes()
        .all(|b| crate::readers::base58::base58_digit(b).is_some());
    if contract.len() == 34 && digits_ok {
        crate::readers::base58::push_base58_bytes(contract.as_bytes(), &mut bytes);
        let valid = bytes.len() == 25
            && bytes[0] == 0x41
            && crate::readers::base58::base58check(&bytes[..21]) == contract;
        if valid {
            return bytes[..21].iter().map(|b| format!("{b:02X}")).collect();
        }
    }
    contract.to_string()
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// METHODOLOGY §2 needs `(chain, tx_hash, transfer_index)` to identify a
/// transfer, and TronGrid and Tronscan give no log index. The index of a
/// TRC-20 transfer is therefore derived from what it moved: the low 31
/// bits of the 64-bit FNV-1a hash of `contract`, `from`, `to` and `value`
/// (as normalised, each followed by a 0 byte). The same transfer gets the
/// same index in every export (so duplicates across pages and accounts
/// are found), and two transfers of one transaction differ unless they
/// moved the same value of the same token between the same addresses.
pub fn tron_transfer_index(contract: &str, from: &str, to: &str, value: &str) -> u32 {
    derived_index(&[contract, from, to, value.trim()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_text_is_kept_not_sliced_mid_character() {
        // found by fuzzing: 42 bytes whose second character is two bytes
        let odd = "4\u{35e}614f803b6fd780986a42c78ec9c7f77e6de0000";
        assert_eq!(odd.len(), 42);
        assert_eq!(tron_address(odd), odd);
    }

    #[test]
    fn hex_and_base58_spellings_become_one() {
        let usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
        assert_eq!(
            tron_address("41a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
            usdt
        );
        assert_eq!(
            tron_address("41A614F803B6FD780986A42C78EC9C7F77E6DED13C"),
            usdt
        );
        assert_eq!(
            tron_address("0xa614f803b6fd780986a42c78ec9c7f77e6ded13c"),
            usdt
        );
        assert_eq!(tron_address(usdt), usdt);
        assert_eq!(tron_address(" 41zz "), "41zz");
    }

    #[test]
    fn an_unknown_contract_is_its_hex_form() {
        assert_eq!(
            contract_asset("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            "41A614F803B6FD780986A42C78EC9C7F77E6DED13C"
        );
        assert_eq!(contract_asset("not-an-address"), "not-an-address");
    }

    #[test]
    fn the_index_is_stable_and_tells_transfers_apart() {
        let a = tron_transfer_index("TR7N", "TA", "TB", "100");
        assert_eq!(a, tron_transfer_index("TR7N", "TA", "TB", " 100"));
        assert_ne!(a, tron_transfer_index("TR7N", "TA", "TB", "101"));
        assert_ne!(
            a,
            tron_transfer_index("TR7N", "TAT", "B", "100"),
            "parts are separated"
        );
        assert!(a < 1 << 31);
        // pinned: an index written into a store must never change
        assert_eq!(tron_transfer_index("", "", "", ""), 500_044_789);
    }
}
