//! NDJSON → CSV, streamed, keeping every value's exact text. Exports such as
//! ethereum-etl's write uint256 token values as bare JSON numbers beyond any
//! machine integer; a general JSON parser would fail or round them, so this
//! reads objects (one per line) with a small scanner and copies number tokens
//! verbatim. Nested values are kept as their raw JSON text.
//!
//! Nothing is lost: the CSV's columns are the union of the keys of every
//! object (in order of first appearance, so an object that lacks a key does
//! not drop it for the whole file), and strings decode exactly as JSON says
//! (`\b`, `\f`, `\uXXXX` with surrogate pairs). What is not JSON is an
//! error naming the line, as serde_json would refuse it (the property test
//! below checks the scanner against serde_json).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

/// Convert an NDJSON file of objects into a CSV file whose header is the
/// union of their keys (two passes over the file). Errors name the 1-based
/// line.
pub fn ndjson_to_csv(source: &Path, target: &Path) -> Result<(), String> {
    let header = union_of_keys(source)?;
    let mut out =
        BufWriter::with_capacity(1 << 20, File::create(target).map_err(|e| e.to_string())?);
    write_row(&mut out, header.iter().map(String::as_str)).map_err(|e| e.to_string())?;
    each_object(source, |fields| {
        let row = header.iter().map(|k| {
            // a repeated key: the last value counts, as in serde_json
            fields
                .iter()
                .rev()
                .find(|(fk, _)| fk == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        });
        write_row(&mut out, row).map_err(|e| e.to_string())
    })?;
    out.flush().map_err(|e| e.to_string())
}

/// Every key of every object, in order of first appearance.
fn union_of_keys(source: &Path) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    each_object(source, |fields| {
        for (k, _) in fields {
            if seen.insert(k.clone()) {
                keys.push(k.clone());
            }
        }
        Ok(())
    })?;
    Ok(keys)
}

/// Call `f` with the fields of each non-blank line's object.
fn each_object(
    source: &Path,
    mut f: impl FnMut(&[(String, String)]) -> Result<(), String>,
) -> Result<(), String> {
    let reader = BufReader::with_capacity(1 << 20, File::open(source).map_err(|e| e.to_string())?);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields = parse_flat_object(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
        f(&fields).map_err(|e| format!("line {}: {e}", i + 1))?;
    }
    Ok(())
}

/// Write one CSV record, quoting cells that need it.
pub fn write_row<'a>(
    out: &mut impl Write,
    cells: impl Iterator<Item = &'a str>,
) -> std::io::Result<()> {
    let mut first = true;
    for cell in cells {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        if cell.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", cell.replace('"', "\"\""))?;
        } else {
            out.write_all(cell.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

/// Key → value text of one JSON object: strings decoded, numbers and
/// `true`/`false` verbatim, `null` as an empty cell, arrays and objects as
/// their raw JSON.
pub fn parse_flat_object(line: &str) -> Result<Vec<(String, String)>, String> {
    // JSON's whitespace only (not every Unicode space `str::trim` knows)
    let s = line.trim_matches([' ', '\t', '\n', '\r']).as_bytes();
    let mut p = Scanner { s, i: 0 };
    p.expect(b'{')?;
    let mut fields = Vec::new();
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
        return p.end(fields);
    }
    loop {
        p.ws();
        let key = p.string()?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        let value = p.value()?;
        fields.push((key, value));
        p.ws();
        match p.next() {
            Some(b',') => continue,
            Some(b'}') => return p.end(fields),
            _ => return Err("expected ',' or '}'".into()),
        }
    }
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        self.i += 1;
        b
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            Err(format!("expected '{}'", b as char))
        }
    }

    /// Nothing but whitespace may follow the object.
    fn end(mut self, fields: Vec<(String, String)>) -> Result<Vec<(String, String)>, String> {
        self.ws();
        match self.peek() {
            None => Ok(fields),
            Some(_) => Err("text after the object".into()),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next().ok_or("unterminated string")? {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => self.escape(&mut out)?,
                b if b < 0x20 => return Err("a control character inside a string".into()),
                b => out.push(b),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let decoded = match self.next().ok_or("unterminated escape")? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            other => return Err(format!("invalid escape \\{}", other as char)),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(decoded.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// After `\u`: one code point, a surrogate pair counting as one.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                    return Err("a lone leading surrogate in a \\u escape".into());
                }
                self.i += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err("a leading surrogate without its trailing one".into());
                }
                0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err("a lone trailing surrogate in a \\u escape".into()),
            c => c,
        };
        char::from_u32(code).ok_or_else(|| format!("no character U+{code:X}"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err("a \\u escape needs four hex digits".into());
        }
        self.i += 4;
        let text = std::str::from_utf8(hex).map_err(|e| e.to_string())?;
        u32::from_str_radix(text, 16).map_err(|e| e.to_string())
    }

    /// A value as text: strings unescaped, numbers and literals verbatim,
    /// arrays and objects as their raw JSON.
    fn value(&mut self) -> Result<String, String> {
        match self.peek().ok_or("missing value")? {
            b'"' => self.string(),
            b'{' | b'[' => self.raw_nested(),
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
                }) {
                    self.i += 1;
                }
                let token =
                    std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                match token {
                    "null" => Ok(String::new()),
                    "true" | "false" => Ok(token.to_string()),
                    t if is_json_number(t) => Ok(t.to_string()),
                    t => Err(format!("not a JSON value: {t:?}")),
                }
            }
        }
    }

    fn raw_nested(&mut self) -> Result<String, String> {
        let start = self.i;
        let mut depth = 0i32;
        let mut in_string = false;
        while let Some(b) = self.next() {
            match (in_string, b) {
                (true, b'\\') => self.i += 1,
                (true, b'"') => in_string = false,
                (false, b'"') => in_string = true,
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
                    }
                }
                _ => {}
            }
        }
        Err("unterminated array or object".into())
    }
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn huge_numbers_keep_their_exact_text() {
        let f = parse_flat_object(r#"{"value": 150188698577042438264952193024, "to": "0xAb", "n": null, "x": [1, {"a": "]"}], "e": "q\"\u00e9"}"#).unwrap();
        assert_eq!(
            f[0],
            (
                "value".to_string(),
                "150188698577042438264952193024".to_string()
            )
        );
        assert_eq!(f[1].1, "0xAb");
        assert_eq!(f[2].1, "");
        assert_eq!(f[3].1, r#"[1, {"a": "]"}]"#);
        assert_eq!(f[4].1, "q\"é");
        assert!(parse_flat_object("{\"a\": 1").is_err());
    }

    #[test]
    fn escapes_decode_exactly() {
        let f = parse_flat_object(r#"{"s": "a\bb\fc\/d\ud83d\ude00e\u0041"}"#).unwrap();
        assert_eq!(f[0].1, "a\u{8}b\u{c}c/d😀eA");
        for bad in [
            r#"{"s": "\ud83d"}"#,
            r#"{"s": "\ude00"}"#,
            r#"{"s": "\x"}"#,
            "{\"s\": \"tab\there\"}",
            r#"{"n": 01}"#,
            r#"{"n": tru}"#,
            r#"{"a": 1} x"#,
        ] {
            assert!(parse_flat_object(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_is_the_union_of_every_objects_keys() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.json");
        std::fs::write(
            &src,
            "{\"hash\": \"0x1\", \"value\": 5}\n\n{\"hash\": \"0x2\", \"block_timestamp\": 17, \"value\": 6}\n",
        )
        .unwrap();
        let out = dir.path().join("a.csv");
        ndjson_to_csv(&src, &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out).unwrap(),
            "hash,value,block_timestamp\n0x1,5,\n0x2,6,17\n"
        );
    }

    /// A JSON scalar as a test case: its JSON text and what the scanner
    /// should make of it.
    fn scalar() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            any::<i64>().prop_map(|n| (n.to_string(), n.to_string())),
            any::<u64>().prop_map(|n| (n.to_string(), n.to_string())),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| {
                    let text = serde_json::Number::from_f64(x)
                        .map(|n| n.to_string())
                        .unwrap();
                    (text.clone(), text)
                }),
            any::<bool>().prop_map(|b| (b.to_string(), b.to_string())),
            Just(("null".to_string(), String::new())),
            (any::<String>(), any::<u64>()).prop_map(|(s, seed)| (escape_randomly(&s, seed), s)),
        ]
    }

    /// `s` as a JSON string, each character written plainly or as a `\u`
    /// escape (a surrogate pair beyond the BMP) as `seed` decides.
    fn escape_randomly(s: &str, seed: u64) -> String {
        let mut out = String::from("\"");
        for (i, c) in s.chars().enumerate() {
            let escape = c < ' ' || c == '"' || c == '\\' || (seed >> (i % 64)) & 1 == 1;
            if !escape {
                out.push(c);
                continue;
            }
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
        out.push('"');
        out
    }

    proptest! {
        #[test]
        fn the_scanner_agrees_with_serde_json(
            fields in proptest::collection::vec(("[a-z_]{1,8}", scalar()), 0..8)
        ) {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, (json, _))| format!("\"{k}\": {json}"))
                .collect();
            let line = format!("{{{}}}", body.join(", "));
            let ours = parse_flat_object(&line).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(ours.len(), fields.len());
            for ((key, value), (k, (_, expected))) in ours.iter().zip(&fields) {
                prop_assert_eq!(key, k);
                prop_assert_eq!(value, expected);
                // serde_json keeps the last of repeated keys, as the CSV does
                let last = fields.iter().rev().find(|(kk, _)| kk == k).unwrap();
                match &theirs[k.as_str()] {
                    serde_json::Value::String(s) => prop_assert_eq!(s, &last.1.1),
                    serde_json::Value::Null => prop_assert_eq!("", &last.1.1),
                    // serde_json parses some floats one ulp off (no
                    // float_roundtrip); ours keeps the text, so compare values
                    serde_json::Value::Number(n) if n.is_f64() => {
                        let (a, b) = (n.as_f64().unwrap(), last.1.1.parse::<f64>().unwrap());
                        let ulps = (a.to_bits() as i64).abs_diff(b.to_bits() as i64);
                        prop_assert!(ulps <= 4 || a == b, "{a} vs {b}");
                    }
                    other => prop_assert_eq!(&other.to_string(), &last.1.1),
                }
            }
        }
    }
}
