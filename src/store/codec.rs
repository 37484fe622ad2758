//! How the store keeps the hash and address columns (`tx_hash`,
//! `from_address`, `to_address`): as the bytes their text spells, not as the
//! text. A tag byte says which spelling to give back:
//!
//! - 0: `0x` and an even number of lowercase hex digits (EVM hashes and
//!   addresses after validation), stored as the bytes the digits spell;
//! - 2: an even number of lowercase hex digits without `0x` (Tron and
//!   Bitcoin transaction ids), the same;
//! - 3: base58 (Tron addresses, 34 characters → 25 bytes), stored as the
//!   number it spells, each leading `1` a leading zero byte;
//! - 1: anything else (bech32, a chain we do not know), its UTF-8 bytes.
//!
//! Each spelling is a bijection, so decoding gives back exactly the text that
//! was encoded, for every string. Fewer bytes are fewer for every transfer a
//! store run reads, and the scam-address test (`engine::local::scam_index`) probes the
//! stored key directly, so only the scam-bound rows are turned back into text.

use polars::prelude::*;

use crate::readers::base58::{base58_digit, push_base58_bytes, push_base58_text};

/// The columns the store keeps encoded.
pub const ENCODED: [&str; 3] = ["tx_hash", "from_address", "to_address"];

const HEX_TAG: u8 = 0;
const TEXT_TAG: u8 = 1;
const BARE_HEX_TAG: u8 = 2;
const BASE58_TAG: u8 = 3;

/// Base58 text longer than this is stored as text (conversion is quadratic).
const MAX_BASE58: usize = 64;

/// Append the stored form of `text` to `out`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    if let Some(digits) = bytes.strip_prefix(b"0x").filter(|d| is_hex(d)) {
        out.push(HEX_TAG);
        push_hex_bytes(digits, out);
    } else if is_hex(bytes) {
        out.push(BARE_HEX_TAG);
        push_hex_bytes(bytes, out);
    } else if bytes.len() <= MAX_BASE58
        && !bytes.is_empty()
        && bytes.iter().all(|b| base58_digit(*b).is_some())
    {
        out.push(BASE58_TAG);
        push_base58_bytes(bytes, out);
    } else {
        out.push(TEXT_TAG);
        out.extend_from_slice(bytes);
    }
}

/// A non-empty, even number of lowercase hex digits.
fn is_hex(digits: &[u8]) -> bool {
    !digits.is_empty()
        && digits.len().is_multiple_of(2)
        && digits
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn push_hex_bytes(digits: &[u8], out: &mut Vec<u8>) {
    out.extend(
        digits
            .chunks_exact(2)
            .map(|p| nibble(p[0]) << 4 | nibble(p[1])),
    );
}

/// The stored form of `text`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 2 + 1);
    encode_into(text, &mut out);
    out
}

/// Append the text of a stored value to `out`; `None` if `stored` was not
/// written by [`encode_into`] (a damaged store).
pub fn decode_into(stored: &[u8], out: &mut String) -> Option<()> {
    let (tag, rest) = stored.split_first()?;
    match *tag {
        HEX_TAG | BARE_HEX_TAG => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            if *tag == HEX_TAG {
                out.push_str("0x");
            }
            for b in rest {
                out.push(DIGITS[usize::from(b >> 4)] as char);
                out.push(DIGITS[usize::from(b & 0xf)] as char);
            }
            Some(())
        }
        BASE58_TAG => {
            push_base58_text(rest, out);
            Some(())
        }
        TEXT_TAG => {
            out.push_str(std::str::from_utf8(rest).ok()?);
            Some(())
        }
        _ => None,
    }
}

fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        _ => digit - b'a' + 10,
    }
}

/// `name` (String) as its stored form (Binary), nulls kept.
pub fn encode_expr(name: &str) -> Expr {
    col(name).map(
        |c: Column| {
            let text = c.str()?;
            let mut out = BinaryChunkedBuilder::new(text.name().clone(), text.len());
            let mut buf = Vec::new();
            for value in text.iter() {
                match value {
                    Some(v) => {
                        buf.clear();
                        encode_into(v, &mut buf);
                        out.append_value(&buf);
                    }
                    None => out.append_null(),
                }
            }
            Ok(out.finish().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Binary)),
    )
}

/// `name` (stored Binary) back as String, nulls kept; an error names the
/// column if a value is not a stored value.
pub fn decode_expr(name: &str) -> Expr {
    let column = name.to_string();
    col(name).map(
        move |c: Column| {
            let stored = c.binary()?;
            let mut out = StringChunkedBuilder::new(stored.name().clone(), stored.len());
            let mut buf = String::new();
            for value in stored.iter() {
                match value {
                    Some(v) => {
                        buf.clear();
                        decode_into(v, &mut buf).ok_or_else(|| {
                            polars_err!(ComputeError: "store column {column}: a value is not in the store's encoding (damaged part?)")
                        })?;
                        out.append_value(&buf);
                    }
                    None => out.append_null(),
                }
            }
            Ok(out.finish().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::base58::BASE58;

    fn round_trip(text: &str) -> String {
        let mut out = String::new();
        decode_into(&encode(text), &mut out).unwrap();
        out
    }

    #[test]
    fn lowercase_hex_is_stored_as_bytes() {
        assert_eq!(encode("0x00ff1a"), [HEX_TAG, 0x00, 0xff, 0x1a]);
        let address = "0x4838b106fce9647bdf1e7877bf73ce8b0bad5f97";
        assert_eq!(encode(address).len(), 21);
        assert_eq!(round_trip(address), address);
    }

    #[test]
    fn bare_hex_is_stored_as_bytes() {
        let id = "c1cd500f2a938fecd1966137cdf2ec06d46562e6931a80e61d4964c0c02c59ee";
        assert_eq!(encode(id).len(), 33);
        assert_eq!(encode(id)[0], BARE_HEX_TAG);
        assert_eq!(round_trip(id), id);
    }

    #[test]
    fn base58_is_stored_as_the_number_it_spells() {
        // a Tron address: 0x41 and 20 bytes, then a 4-byte checksum
        let address = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf";
        let stored = encode(address);
        assert_eq!((stored[0], stored.len(), stored[1]), (BASE58_TAG, 26, 0x41));
        assert_eq!(round_trip(address), address);
        // leading `1`s are leading zero bytes, and come back
        // (an even number of hex digits, as "11", is bare hex)
        assert_eq!(encode("111"), [BASE58_TAG, 0, 0, 0]);
        assert_eq!(encode("112"), [BASE58_TAG, 0, 0, 1]);
        assert_eq!(encode("z"), [BASE58_TAG, 57]);
        assert_eq!(encode("21z"), [BASE58_TAG, 0x0d, 0x5d]);
        for text in [
            "1",
            "11",
            "1112",
            "T111GyBBF9KztT2NGHfUqtEn3Vv1RxjG5t",
            "zzzzzzzzzz",
            "abc",
        ] {
            assert_eq!(round_trip(text), text);
        }
    }

    #[test]
    fn base58_of_every_length_round_trips_both_ways() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in 0..=MAX_BASE58 {
            for _ in 0..20 {
                let ones = (next() % 4) as usize;
                let text: String = (0..len)
                    .map(|i| match i < ones {
                        true => '1',
                        false => BASE58[(next() % 58) as usize] as char,
                    })
                    .collect();
                let mut bytes = Vec::new();
                push_base58_bytes(text.as_bytes(), &mut bytes);
                let mut back = String::new();
                push_base58_text(&bytes, &mut back);
                assert_eq!(back, text);
            }
        }
        for len in 0..48 {
            for _ in 0..20 {
                let zeros = (next() % 3) as usize;
                let bytes: Vec<u8> = (0..len)
                    .map(|i| if i < zeros { 0 } else { next() as u8 })
                    .collect();
                let mut text = String::new();
                push_base58_text(&bytes, &mut text);
                let mut back = Vec::new();
                push_base58_bytes(text.as_bytes(), &mut back);
                assert_eq!(back, bytes, "{text}");
            }
        }
    }

    #[test]
    fn everything_else_is_stored_as_text() {
        for text in [
            "0xABCD",
            "0xabc",
            "0x",
            "",
            "0xgg",
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
            "T0O",
            &"z".repeat(MAX_BASE58 + 1),
        ] {
            assert_eq!(encode(text)[0], TEXT_TAG, "{text}");
            assert_eq!(round_trip(text), text);
        }
    }

    #[test]
    fn every_short_string_round_trips() {
        // all strings of up to 3 characters over an alphabet that mixes
        // every spelling's digits with characters none of them allow
        let alphabet: Vec<char> = "01xaf9zZIOl. é".chars().collect();
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        for text in &texts {
            assert_eq!(&round_trip(text), text);
        }
        assert_eq!(round_trip("0x0a1b"), "0x0a1b");
    }

    #[test]
    fn damaged_values_are_refused() {
        let mut out = String::new();
        assert!(decode_into(&[], &mut out).is_none());
        assert!(decode_into(&[7, 1], &mut out).is_none());
        assert!(decode_into(&[TEXT_TAG, 0xff], &mut out).is_none());
    }

    #[test]
    fn columns_round_trip_with_nulls() {
        let df = df!("tx_hash" => [Some("0xab"), None, Some("T9yD")]).unwrap();
        let out = df
            .lazy()
            .with_column(encode_expr("tx_hash"))
            .with_column(decode_expr("tx_hash"))
            .collect()
            .unwrap();
        let values: Vec<_> = out
            .column("tx_hash")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(values, [Some("0xab"), None, Some("T9yD")]);
    }
}
