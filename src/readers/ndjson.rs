//! NDJSON → CSV, streamed, keeping every value's exact text. Exports such as
//! ethereum-etl's write uint256 token values as bare JSON numbers beyond any
//! machine integer; a general JSON parser would fail or round them, so this
//! reads flat objects (one per line) with a small scanner and copies number
//! tokens verbatim. Nested values are kept as their raw JSON text.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

/// Convert an NDJSON file of flat objects into a CSV file (header from the
/// first object's keys). Errors name the 1-based line.
pub fn ndjson_to_csv(source: &Path, target: &Path) -> Result<(), String> {
    let reader = BufReader::with_capacity(1 << 20, File::open(source).map_err(|e| e.to_string())?);
    let mut out =
        BufWriter::with_capacity(1 << 20, File::create(target).map_err(|e| e.to_string())?);
    let mut header: Option<Vec<String>> = None;
    let mut wrote_header = false;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields = parse_flat_object(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let keys = header.get_or_insert_with(|| fields.iter().map(|(k, _)| k.clone()).collect());
        if !wrote_header {
            write_row(&mut out, keys.iter().map(String::as_str)).map_err(|e| e.to_string())?;
            wrote_header = true;
        }
        let row = keys.iter().map(|k| {
            fields
                .iter()
                .find(|(fk, _)| fk == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        });
        write_row(&mut out, row).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
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

/// Key → value text of one flat JSON object; `null` becomes an empty cell.
pub fn parse_flat_object(line: &str) -> Result<Vec<(String, String)>, String> {
    let s = line.trim().as_bytes();
    let mut p = Scanner { s, i: 0 };
    p.expect(b'{')?;
    let mut fields = Vec::new();
    p.ws();
    if p.peek() == Some(b'}') {
        return Ok(fields);
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
            Some(b'}') => return Ok(fields),
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
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
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

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next().ok_or("unterminated string")? {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let c = self.next().ok_or("unterminated escape")?;
                    match c {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' | b'f' => {}
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
                            self.i += 4;
                            let code = u32::from_str_radix(
                                std::str::from_utf8(hex).map_err(|e| e.to_string())?,
                                16,
                            )
                            .map_err(|e| e.to_string())?;
                            let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                            out.extend(ch.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                b => out.push(b),
            }
        }
    }

    /// A value as text: strings unescaped, numbers and literals verbatim,
    /// arrays and objects as their raw JSON.
    fn value(&mut self) -> Result<String, String> {
        match self.peek().ok_or("missing value")? {
            b'"' => self.string(),
            b'{' | b'[' => self.raw_nested(),
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b' ' | b'\t'))
                {
                    self.i += 1;
                }
                let token =
                    std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                Ok(if token == "null" {
                    String::new()
                } else {
                    token.to_string()
                })
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
