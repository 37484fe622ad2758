//! The fast pass over canonical transfers (issue #15): most rows of an
//! export are valid and reach no scam address, and all they contribute is
//! their count. A fast pass decides, without the method's normalisation,
//! which rows *may* matter (every row that might be rejected and every row
//! whose `to_address` might be a scam address) and the ordinary plan
//! (`readers::validated_frame`) reads only those, each with its row number
//! in the file. Every value, rule and reject reason still comes from the
//! one implementation of the method; a fast pass only decides what it can
//! leave out, and leaves a row out only when it is certain.
//!
//! - CSV (`csv`): the raw bytes are read in parallel chunks and the rows
//!   that may matter copied to a small CSV.
//! - Parquet (`parquet`): a row filter over the file's own typed columns
//!   runs in the scan, before any column is normalised.
//!
//! Both compare `to_address` after ASCII lowercasing, a superset of the
//! method's case rule (which lowercases some addresses and keeps others).
//! A file whose columns are not plainly the canonical layout, or a run with
//! a column mapping, is read whole. `SCAMTRENDS_NO_PREFILTER=1` turns both
//! off (the benchmark and the tests compare both paths).

mod csv;
mod parquet;

use std::collections::HashSet;
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use rustc_hash::FxBuildHasher;

use crate::method::validate::ColumnKind;
use crate::method::validate::timestamps::parse_timestamp;
use crate::names::PRESET_CANONICAL;
use crate::readers::convert::Readable;
use crate::readers::mapping::KindMapping;

const OFF: &str = "SCAMTRENDS_NO_PREFILTER";

/// The ASCII-lowercased scam addresses, of every chain.
pub struct ScamKeys(HashSet<Box<[u8]>, FxBuildHasher>);

impl ScamKeys {
    /// From the attribution table's `address` column.
    pub fn new(addresses: &DataFrame) -> Result<ScamKeys> {
        let mut keys = HashSet::with_hasher(FxBuildHasher);
        for a in addresses.column("address")?.str()?.iter().flatten() {
            keys.insert(a.as_bytes().to_ascii_lowercase().into_boxed_slice());
        }
        Ok(ScamKeys(keys))
    }

    /// Whether trimmed ASCII `v`, lowercased, is some scam address's.
    fn may_hold(&self, v: &[u8], scratch: &mut Vec<u8>) -> bool {
        scratch.clear();
        scratch.extend(v.iter().map(u8::to_ascii_lowercase));
        self.0.contains(scratch.as_slice())
    }
}

/// What the plan reads instead of a file, and what the pass counted.
pub struct Reduced {
    /// The CSV copy (its `_row` from `names::ROW_NUMBER`), or the Parquet
    /// file with its row filter (`Readable::keep`).
    pub readable: Readable,
    /// Data rows of the whole file.
    pub rows: u64,
}

/// The reduced read of `readable`; `None` when this file must be read whole
/// (not plainly canonical, a reshaping mapping, turned off).
pub fn reduce(
    readable: &Readable,
    mapping: Option<&KindMapping>,
    keys: &Arc<ScamKeys>,
    tmp: &Path,
    name: &str,
) -> Result<Option<Reduced>> {
    if std::env::var_os(OFF).is_some() || mapping.is_some_and(reshapes) {
        return Ok(None);
    }
    match (readable.parquet, readable.layout) {
        (true, _) => parquet::reduce(readable, keys),
        (false, None) => csv::reduce(readable, keys, tmp, name),
        (false, Some(_)) => Ok(None),
    }
}

/// A mapping that changes columns, constants, timestamps or the layout.
fn reshapes(m: &KindMapping) -> bool {
    !m.columns.is_empty()
        || !m.constants.is_empty()
        || m.timestamp_format.is_some()
        || m.format.as_deref().is_some_and(|f| f != PRESET_CANONICAL)
}

/// `str::trim` of ASCII text, on the bytes: on ASCII it removes exactly
/// tab, line feed, vertical tab, form feed, carriage return and space.
/// Callers pass ASCII only (a non-ASCII row is always kept).
fn trim(field: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, 0x09..=0x0D | b' ');
    let start = field.iter().position(|b| !space(b)).unwrap_or(field.len());
    let end = field
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |e| e + 1);
    &field[start..end]
}

/// Whether a trimmed ASCII text value certainly passes every rule of its
/// column (`v` empty: the value is missing).
fn certainly_valid(v: &[u8], kind: ColumnKind, required: bool) -> bool {
    if v.is_empty() {
        return !required;
    }
    match kind {
        // below 10^12: finite, and no USD value above MAX_USD (10^12) either
        ColumnKind::Float => plain_decimal(v, 12),
        ColumnKind::Integer => v.len() <= 18 && v.iter().all(u8::is_ascii_digit),
        ColumnKind::Timestamp(date_ok) => std::str::from_utf8(v)
            .ok()
            .and_then(|s| parse_timestamp(s, date_ok))
            .is_some(),
        _ => true,
    }
}

/// Digits, optionally `.` and more digits: at most `int_digits` before the
/// point and 30 after it (no sign, exponent or spelling the cast could read
/// differently).
fn plain_decimal(v: &[u8], int_digits: usize) -> bool {
    let (int, frac) = match memchr::memchr(b'.', v) {
        Some(p) => (&v[..p], Some(&v[p + 1..])),
        None => (v, None),
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    !int.is_empty()
        && int.len() <= int_digits
        && digits(int)
        && frac.is_none_or(|f| !f.is_empty() && f.len() <= 30 && digits(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_certain_only_in_plain_digits() {
        assert!(plain_decimal(b"0", 12));
        assert!(plain_decimal(b"123.456", 12));
        assert!(!plain_decimal(b"1.", 12));
        assert!(!plain_decimal(b"+1", 12));
        assert!(!plain_decimal(b"1_0", 12));
        assert!(!plain_decimal(b"NaN", 12));
        assert!(!plain_decimal(b"1234567890123", 12));
    }

    #[test]
    fn trimming_bytes_is_str_trim_on_every_ascii_text() {
        for b in 0u8..128 {
            for text in [vec![b], vec![b, b'x', b], vec![b'x', b, b'y'], vec![b, b]] {
                let expected = std::str::from_utf8(&text).unwrap().trim().as_bytes();
                assert_eq!(trim(&text), expected, "{text:?}");
            }
        }
        assert_eq!(trim(b""), b"");
    }

    #[test]
    fn a_missing_value_is_certain_only_where_optional() {
        assert!(certainly_valid(b"", ColumnKind::Float, false));
        assert!(!certainly_valid(b"", ColumnKind::Text, true));
        assert!(certainly_valid(
            b"1704067200",
            ColumnKind::Timestamp(false),
            true
        ));
        assert!(!certainly_valid(
            b"2024-13-01",
            ColumnKind::Timestamp(true),
            true
        ));
    }
}
