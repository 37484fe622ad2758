//! bitcoin-etl's CSV transactions export (`export_blocks_and_transactions
//! --transactions-output transactions.csv`): one row per transaction, whose
//! `inputs` and `outputs` cells are what bitcoin-etl's `CsvItemExporter`
//! makes of a list of dicts: Python's `str()` of each dict, joined by `,`
//! (`{'index': 0, 'addresses': ['1Dn…'], 'value': 5000000000},{…}`; an empty
//! list is an empty cell), and `is_coinbase` is `True`/`False`. Each row
//! becomes the JSON record `readers::utxo` reads, so the CSV export gives
//! exactly the transfers of the NDJSON export.
//!
//! The cells are parsed as Python literals (dicts, lists, tuples, strings
//! in either quote with their escapes, numbers, `None`, `True`, `False`,
//! `Decimal('…')`), never evaluated. Numbers are kept as their text, so
//! satoshi values stay exact at any size. A cell that is not such a literal
//! fails the file with its row and column: the export is corrupt.

use std::path::Path;

use polars::prelude::*;
use serde_json::{Map, Value};

use crate::readers::nested_parquet::{UTXO_COLUMNS, utxo_records_to_csv};

/// Whether a CSV header is bitcoin-etl's transactions layout.
pub fn is_bitcoin_etl_csv(header: &[String]) -> bool {
    UTXO_COLUMNS
        .iter()
        .all(|c| header.iter().any(|h| h.as_str() == *c))
}

/// The header fields of a CSV file (its first line, unquoted).
pub fn csv_header(path: &Path) -> std::io::Result<Vec<String>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(1 << 16);
    std::fs::File::open(path)?
        .take(1 << 16)
        .read_to_end(&mut head)?;
    let end = memchr::memchr(b'\n', &head).unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..end]);
    Ok(line
        .trim_end_matches('\r')
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect())
}

/// Convert the transactions of the CSV at `source` into canonical
/// transfers CSV at `target`; returns the rows written.
pub fn bitcoin_etl_csv_to_csv(source: &Path, target: &Path) -> Result<u64, String> {
    let path = PlRefPath::try_from_path(source).map_err(|e| e.to_string())?;
    let scan = LazyCsvReader::new(path)
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .finish()
        .map_err(|e| e.to_string())?;
    utxo_records_to_csv(scan, target, record_of)
}

/// The JSON record of CSV row `row` (1-based), at `i` in its batch.
fn record_of(columns: &[Column], i: usize, row: u64) -> Result<Value, String> {
    let mut record = Map::new();
    for (name, c) in UTXO_COLUMNS.iter().zip(columns) {
        let cell = match c.get(i).map_err(|e| e.to_string())? {
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            _ => String::new(),
        };
        let value = match *name {
            "inputs" | "outputs" => Value::Array(
                python_items(&cell).map_err(|e| format!("row {row}, column {name}: {e}"))?,
            ),
            "is_coinbase" => match cell.trim() {
                "True" | "true" => Value::Bool(true),
                _ => Value::Bool(false),
            },
            _ => Value::String(cell),
        };
        record.insert((*name).to_string(), value);
    }
    Ok(Value::Object(record))
}

/// The comma-separated Python literals of one cell (empty: none).
pub fn python_items(cell: &str) -> Result<Vec<Value>, String> {
    let mut p = Parser {
        s: cell.as_bytes(),
        at: 0,
        depth: 0,
    };
    let items = p.sequence(None)?;
    p.blank();
    match p.at == p.s.len() {
        true => Ok(items),
        false => Err(p.error("expected `,` or the end of the cell")),
    }
}

/// Nesting deeper than this is refused (a stack guard, far above any export).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("not a Python literal: {what} at character {}", self.at + 1)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn blank(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.blank();
        let found = self.peek() == Some(b);
        self.at += usize::from(found);
        found
    }

    /// Values separated by `,` up to `close` (or the end of the cell when
    /// `None`); a trailing comma is allowed, as in Python.
    fn sequence(&mut self, close: Option<u8>) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        loop {
            self.blank();
            if self.peek() == close {
                break; // the closing bracket, or the end of the cell
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                break;
            }
        }
        if let Some(c) = close
            && !self.eat(c)
        {
            return Err(self.error(&format!("expected `{}`", c as char)));
        }
        Ok(items)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.blank();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        let v = match self.peek() {
            Some(b'{') => {
                self.at += 1;
                self.dict()
            }
            Some(b'[') => {
                self.at += 1;
                self.sequence(Some(b']')).map(Value::Array)
            }
            Some(b'(') => {
                self.at += 1;
                self.sequence(Some(b')')).map(Value::Array)
            }
            Some(b'\'' | b'"') => self.string().map(Value::String),
            Some(b) if b == b'-' || b == b'+' || b == b'.' || b.is_ascii_digit() => {
                self.number().map(Value::String)
            }
            Some(b) if b.is_ascii_alphabetic() => self.word(),
            _ => Err(self.error("expected a value")),
        };
        self.depth -= 1;
        v
    }

    fn dict(&mut self) -> Result<Value, String> {
        let mut map = Map::new();
        loop {
            if self.eat(b'}') {
                return Ok(Value::Object(map));
            }
            let key = match self.value()? {
                Value::String(k) => k,
                other => other.to_string(),
            };
            if !self.eat(b':') {
                return Err(self.error("expected `:`"));
            }
            let value = self.value()?;
            map.insert(key, value);
            if !self.eat(b',') {
                return match self.eat(b'}') {
                    true => Ok(Value::Object(map)),
                    false => Err(self.error("expected `,` or `}`")),
                };
            }
        }
    }

    /// `None`, `True`, `False`, or `Decimal('…')` (its digits).
    fn word(&mut self) -> Result<Value, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.at += 1;
        }
        match &self.s[start..self.at] {
            b"None" => Ok(Value::Null),
            b"True" => Ok(Value::Bool(true)),
            b"False" => Ok(Value::Bool(false)),
            b"Decimal" if self.eat(b'(') => {
                self.blank();
                let digits = self.string()?;
                if !self.eat(b')') || !is_number(&digits) {
                    return Err(self.error("expected Decimal('<number>')"));
                }
                Ok(Value::String(digits))
            }
            _ => {
                self.at = start;
                Err(self.error("expected None, True, False or Decimal"))
            }
        }
    }

    /// A number's text as written (sign, digits, `.`, exponent).
    fn number(&mut self) -> Result<String, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'))
        {
            self.at += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
        match is_number(&text) {
            true => Ok(text),
            false => {
                self.at = start;
                Err(self.error("expected a number"))
            }
        }
    }

    /// A quoted string (either quote) with Python's escapes decoded.
    fn string(&mut self) -> Result<String, String> {
        let Some(quote @ (b'\'' | b'"')) = self.peek() else {
            return Err(self.error("expected a string"));
        };
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b) if b == quote => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => {
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                Some(b) => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.error("a string that is not UTF-8"))
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(b) = self.peek() else {
            return Err(self.error("unterminated escape"));
        };
        self.at += 1;
        let simple = match b {
            b'\\' | b'\'' | b'"' => Some(b),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'0' => Some(0),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            return Ok(());
        }
        let width = match b {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => return Err(self.error("an unknown escape")),
        };
        let hex = self
            .s
            .get(self.at..self.at + width)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            .ok_or_else(|| self.error("a bad hex escape"))?;
        self.at += width;
        let mut buf = [0u8; 4];
        out.extend_from_slice(hex.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }
}

/// A decimal number as Python writes one: sign, digits with one optional
/// point, optional exponent (`1e-05`); not `inf`/`nan`.
fn is_number(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => (&t[..at], Some(&t[at + 1..])),
        None => (t, None),
    };
    let digits = mantissa.replace('_', "");
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = (!int.is_empty() || !frac.is_empty()) && all_digits(int) && all_digits(frac);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(cell: &str) -> Value {
        Value::Array(python_items(cell).unwrap())
    }

    #[test]
    fn a_joined_list_of_dicts_becomes_json_with_numbers_as_their_text() {
        let cell = "{'index': 0, 'addresses': ['1Dn'], 'value': 5000000000, \
                    'required_signatures': None, 'coinjoin': False},{'index': 1, 'addresses': [], 'value': None}";
        assert_eq!(
            items(cell),
            serde_json::json!([
                {"index": "0", "addresses": ["1Dn"], "value": "5000000000",
                 "required_signatures": null, "coinjoin": false},
                {"index": "1", "addresses": [], "value": null}
            ])
        );
    }

    #[test]
    fn an_empty_cell_is_no_items() {
        assert_eq!(python_items("").unwrap(), Vec::<Value>::new());
        assert_eq!(python_items("  ").unwrap(), Vec::<Value>::new());
    }

    #[test]
    fn strings_take_either_quote_and_python_escapes() {
        assert_eq!(
            items(r#""it's", 'a\'b', 'tab\there', '\x41\u00e9', ('t', 1,)"#),
            serde_json::json!(["it's", "a'b", "tab\there", "Aé", ["t", "1"]])
        );
    }

    #[test]
    fn decimals_and_exponents_keep_their_digits() {
        assert_eq!(
            items("Decimal('1.50000000'), 2.526e-05, -3"),
            serde_json::json!(["1.50000000", "2.526e-05", "-3"])
        );
    }

    #[test]
    fn what_is_not_a_literal_is_refused_with_its_position() {
        for bad in [
            "{'a': 1",
            "{'a' 1}",
            "'open",
            "__import__('os')",
            "inf",
            "1.2.3",
            "[1, 2",
            "{'a': 1} junk",
            "'\\q'",
        ] {
            let e = python_items(bad).unwrap_err();
            assert!(e.starts_with("not a Python literal"), "{bad}: {e}");
        }
        let deep = "[".repeat(100);
        assert!(python_items(&deep).unwrap_err().contains("too deep"));
    }

    #[test]
    fn the_header_names_the_layout() {
        let header: Vec<String> = "hash,size,block_timestamp,is_coinbase,index,inputs,outputs"
            .split(',')
            .map(String::from)
            .collect();
        assert!(is_bitcoin_etl_csv(&header));
        assert!(!is_bitcoin_etl_csv(&header[..5]));
    }
}
