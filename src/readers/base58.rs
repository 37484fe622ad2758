//! Base58 (the Bitcoin alphabet): the number a text spells and back, and
//! Base58Check (Tron addresses). Shared by the readers (Tron addresses) and
//! the store's codec.

/// The base58 alphabet.
pub const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Each byte's base58 digit value, or 0xff.
const BASE58_DIGITS: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 58 {
        table[BASE58[i] as usize] = i as u8;
        i += 1;
    }
    table
};

pub fn base58_digit(c: u8) -> Option<u8> {
    match BASE58_DIGITS[usize::from(c)] {
        0xff => None,
        d => Some(d),
    }
}

/// 58⁵: base58 digits are converted five at a time.
const B58_5: u64 = 656_356_768;

/// The bytes base58 `text` spells (checked digits): one zero byte per
/// leading `1`, then the number the rest spells, big-endian, no leading zero.
pub fn push_base58_bytes(text: &[u8], out: &mut Vec<u8>) {
    let zeros = text.iter().take_while(|c| **c == b'1').count();
    // the number, in little-endian 32-bit limbs, five digits at a time
    let mut limbs: Vec<u32> = Vec::with_capacity(text.len() / 5 + 2);
    for group in text[zeros..].chunks(5) {
        let (mut value, mut scale) = (0u64, 1u64);
        for c in group {
            value = value * 58 + u64::from(base58_digit(*c).unwrap_or(0));
            scale *= 58;
        }
        let mut carry = value;
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * scale + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        while carry > 0 {
            limbs.push(carry as u32);
            carry >>= 32;
        }
    }
    out.extend(std::iter::repeat_n(0u8, zeros));
    let be: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    out.extend_from_slice(&be[first..]);
}

/// The base58 text of `bytes` (inverse of [`push_base58_bytes`]).
pub fn push_base58_text(bytes: &[u8], out: &mut String) {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    // the number in little-endian base-58⁵ limbs
    let mut limbs: Vec<u32> = Vec::with_capacity(bytes.len() / 3 + 1);
    for b in &bytes[zeros..] {
        let mut carry = u64::from(*b);
        for limb in limbs.iter_mut() {
            let v = (u64::from(*limb) << 8) | carry;
            *limb = (v % B58_5) as u32;
            carry = v / B58_5;
        }
        while carry > 0 {
            limbs.push((carry % B58_5) as u32);
            carry /= B58_5;
        }
    }
    // base-58 digits, least significant first, without leading zeros
    let mut digits: Vec<u8> = Vec::with_capacity(limbs.len() * 5);
    for limb in &limbs {
        let mut l = *limb;
        for _ in 0..5 {
            digits.push((l % 58) as u8);
            l /= 58;
        }
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(digits.iter().rev().map(|d| BASE58[usize::from(*d)] as char));
}

/// Base58Check of a payload: the payload and the first four bytes of its
/// double SHA-256, in base58 (how Tron and Bitcoin write addresses).
pub fn base58check(payload: &[u8]) -> String {
    use sha2::Digest;
    let checksum = sha2::Sha256::digest(sha2::Sha256::digest(payload));
    let mut bytes = payload.to_vec();
    bytes.extend_from_slice(&checksum[..4]);
    let mut out = String::new();
    push_base58_text(&bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tron_hex_address_spells_its_base58check_form() {
        // USDT's contract: hex 41a614f803b6fd780986a42c78ec9c7f77e6ded13c
        let hex = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(base58check(&bytes), "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
    }
}
