//! The fast pass over a canonical transfers CSV: the raw bytes are read in
//! parallel chunks (split at the record starts the hashing read left,
//! `readers::csv_shape`) and the rows that may matter are copied out, each
//! with its row number in front (`_scamtrends_row`).
//!
//! It leaves a row out only when it is certain: an ASCII line without
//! quotes or stray `\r`, as many fields as the header, every required field
//! present, numbers in plain digits that cannot break a rule, a timestamp
//! the method's own parser accepts, and a `to_address` whose ASCII-lowercased
//! text is no scam address's. Anything else is copied.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::{Reduced, ScamKeys, certainly_valid, trim};
use crate::method::validate::ColumnKind;
use crate::model::{CsvShape, InputKind};
use crate::names::ROW_NUMBER;
use crate::readers::convert::Readable;

/// Chunks read at once (each up to `CHECKPOINT_BYTES` plus one record).
const CHUNKS_IN_FLIGHT: usize = 8;

/// Where each checked column sits in a row, and how it is checked.
struct Layout {
    fields: usize,
    /// The check of each field (`None`: a column no rule reads).
    by_field: Vec<Option<(ColumnKind, bool)>>,
    to_address: usize,
}

/// Copy the rows of `readable` that may matter into `tmp`; `None` when this
/// file must be read whole (its header is not plainly canonical).
pub fn reduce(
    readable: &Readable,
    keys: &ScamKeys,
    tmp: &Path,
    name: &str,
) -> Result<Option<Reduced>> {
    let Some(shape) = &readable.shape else {
        return Ok(None);
    };
    let Some(&(data_start, 1)) = shape.checkpoints.first() else {
        return Ok(None);
    };
    let file = File::open(&readable.path).with_context(|| readable.path.display().to_string())?;
    let mut header = vec![0u8; data_start as usize];
    file.read_exact_at(&mut header, 0)?;
    let Some(layout) = layout_of(&header, shape) else {
        return Ok(None);
    };
    let target = tmp.join(format!("{name}.reduced.csv"));
    let rows = copy_rows(&file, shape, &layout, keys, &header, &target)?;
    if rows != shape.rows {
        // the hashing read and this pass disagree on where records end:
        // read the file whole rather than trust either
        crate::log::info(format!(
            "{}: fast pass counted {rows} rows, the hashing read {}; reading it whole",
            readable.path.display(),
            shape.rows
        ));
        return Ok(None);
    }
    let readable = Readable {
        path: target,
        numbered: true,
        ..readable.clone()
    };
    Ok(Some(Reduced { readable, rows }))
}

/// The canonical columns' positions in a plain header (ASCII, no quotes,
/// each name once, every required column present).
fn layout_of(header: &[u8], shape: &CsvShape) -> Option<Layout> {
    let line = header.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.is_ascii() || line.contains(&b'"') || line.contains(&b'\r') {
        return None;
    }
    let names: Vec<&[u8]> = line.split(|&b| b == b',').collect();
    if names.len() != shape.header_fields as usize {
        return None;
    }
    let position = |name: &str| {
        let mut found = names
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == name.as_bytes());
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Some(Some(i)),
            (None, _) => Some(None),
            _ => None, // a name twice: leave it to the reader
        }
    };
    let mut by_field = vec![None; names.len()];
    for c in InputKind::Transfers.columns() {
        match position(c.name)? {
            Some(i) => by_field[i] = Some((c.kind, c.required)),
            None if c.required => return None,
            None => {}
        }
    }
    Some(Layout {
        fields: names.len(),
        by_field,
        to_address: position("to_address")??,
    })
}

/// Stream the file's chunks through [`keep_row`], writing the copy; returns
/// the rows read.
fn copy_rows(
    file: &File,
    shape: &CsvShape,
    layout: &Layout,
    keys: &ScamKeys,
    header: &[u8],
    target: &Path,
) -> Result<u64> {
    let size = file.metadata()?.len();
    let mut bounds: Vec<(u64, u64)> = shape.checkpoints.clone();
    bounds.push((size, u64::MAX));
    let chunks: Vec<(u64, u64, u64)> = bounds
        .windows(2)
        .map(|w| (w[0].0, w[1].0, w[0].1))
        .filter(|(start, end, _)| end > start)
        .collect();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(target)?);
    out.write_all(ROW_NUMBER.as_bytes())?;
    out.write_all(b",")?;
    out.write_all(header)?;
    let mut rows = 0u64;
    for group in chunks.chunks(CHUNKS_IN_FLIGHT) {
        let done: Vec<Chunk> = group
            .par_iter()
            .map(|&(start, end, first_row)| read_chunk(file, start, end, first_row, layout, keys))
            .collect::<std::io::Result<_>>()?;
        for chunk in done {
            out.write_all(&chunk.copy)?;
            rows += chunk.rows;
        }
    }
    out.flush()?;
    Ok(rows)
}

/// What one chunk gave.
struct Chunk {
    copy: Vec<u8>,
    rows: u64,
}

fn read_chunk(
    file: &File,
    start: u64,
    end: u64,
    first_row: u64,
    layout: &Layout,
    keys: &ScamKeys,
) -> std::io::Result<Chunk> {
    let mut bytes = vec![0u8; (end - start) as usize];
    file.read_exact_at(&mut bytes, start)?;
    let mut chunk = Chunk {
        copy: Vec::new(),
        rows: 0,
    };
    // Almost every chunk is ASCII without quotes or `\r`: its rows are
    // split in one pass over commas and line feeds.
    let clean = memchr::memchr2(b'"', b'\r', &bytes).is_none() && bytes.is_ascii();
    let mut rest: &[u8] = &bytes;
    let mut scratch = Vec::new();
    while !rest.is_empty() {
        let (len, keep) = if clean {
            clean_record(rest, layout, keys, &mut scratch)
        } else {
            any_record(rest, layout, keys, &mut scratch)
        };
        let record = &rest[..len];
        if keep {
            let row = first_row + chunk.rows;
            chunk.copy.extend_from_slice(row.to_string().as_bytes());
            chunk.copy.push(b',');
            chunk.copy.extend_from_slice(record);
            if !record.ends_with(b"\n") {
                chunk.copy.push(b'\n');
            }
        }
        chunk.rows += 1;
        rest = &rest[len..];
    }
    Ok(chunk)
}

/// The record at the start of `rest`, in any chunk: its length (through
/// its line feed) and whether it must be copied.
fn any_record(
    rest: &[u8],
    layout: &Layout,
    keys: &ScamKeys,
    scratch: &mut Vec<u8>,
) -> (usize, bool) {
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = &rest[..line_end];
    if memchr::memchr(b'"', line).is_some() {
        (quoted_record_end(rest), true)
    } else {
        let len = (line_end + 1).min(rest.len());
        (len, keep_row(line, layout, keys, scratch))
    }
}

/// [`any_record`] in a chunk that is ASCII without quotes or `\r`: fields
/// are checked as the commas are found, and the first that may break a
/// rule settles the row. The same decision as [`keep_row`].
fn clean_record(
    rest: &[u8],
    layout: &Layout,
    keys: &ScamKeys,
    scratch: &mut Vec<u8>,
) -> (usize, bool) {
    let end_of = |at: usize| memchr::memchr(b'\n', &rest[at..]).map_or(rest.len(), |i| at + i + 1);
    let (mut field, mut from) = (0, 0);
    let mut to: &[u8] = &[];
    loop {
        let at = memchr::memchr2(b',', b'\n', &rest[from..]).map(|i| from + i);
        let value = &rest[from..at.unwrap_or(rest.len())];
        let certain = match layout.by_field.get(field) {
            None => false, // more fields than the header
            Some(None) => true,
            Some(&Some((kind, required))) => certainly_valid(trim(value), kind, required),
        };
        if !certain {
            return (at.map_or(rest.len(), end_of), true);
        }
        if field == layout.to_address {
            to = value;
        }
        field += 1;
        match at {
            Some(i) if rest[i] == b',' => from = i + 1,
            _ => {
                let len = at.map_or(rest.len(), |i| i + 1);
                let keep = field != layout.fields || keys.may_hold(trim(to), scratch);
                return (len, keep);
            }
        }
    }
}

/// Length of the record at the start of `bytes` (through its line feed)
/// when it has quotes: a line feed inside a quoted field does not end it.
/// The same rules as `readers::csv_shape`.
fn quoted_record_end(bytes: &[u8]) -> usize {
    let (mut in_quotes, mut after_quote, mut field_start) = (false, false, true);
    for (i, &b) in bytes.iter().enumerate() {
        if in_quotes {
            if b == b'"' {
                in_quotes = false;
                after_quote = true;
            }
            continue;
        }
        match b {
            b'"' => {
                in_quotes = field_start || after_quote;
                field_start = false;
                after_quote = false;
            }
            b',' => {
                field_start = true;
                after_quote = false;
            }
            b'\n' => return i + 1,
            _ => {
                field_start = false;
                after_quote = false;
            }
        }
    }
    bytes.len()
}

/// Whether a quote-free line must be copied: it may break a rule, or it may
/// reach a scam address.
fn keep_row(line: &[u8], layout: &Layout, keys: &ScamKeys, scratch: &mut Vec<u8>) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.is_ascii() || line.contains(&b'\r') {
        return true;
    }
    clean_record(line, layout, keys, scratch).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::df;

    fn layout() -> Layout {
        let header = b"chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n";
        let shape = CsvShape {
            header_fields: 9,
            ..CsvShape::default()
        };
        layout_of(header, &shape).unwrap()
    }

    fn keys() -> ScamKeys {
        let df = df!("chain" => ["ethereum", "tron"], "address" => ["0xabc", "TScam"]).unwrap();
        ScamKeys::new(&df).unwrap()
    }

    fn keep(line: &str) -> bool {
        keep_row(line.as_bytes(), &layout(), &keys(), &mut Vec::new())
    }

    const OK: &str = "tron,h1,0,2024-01-01 00:00:00,TFrom,TOther,USDT,10.5,10.5";

    #[test]
    fn a_plain_valid_row_to_no_scam_address_is_left_out() {
        assert!(!keep(OK));
        assert!(!keep(&format!("{OK}\r")));
        assert!(!keep("tron,h1,,1704067200, TFrom ,TOther,usdt,0,"));
    }

    #[test]
    fn rows_to_a_scam_address_are_copied_whatever_their_case() {
        assert!(keep("tron,h1,0,1704067200,TFrom,TScam,USDT,1,"));
        assert!(keep("ethereum,h1,0,1704067200,0xF,0xABC,USDT,1,"));
        // base58 is case-sensitive, but the superset copies it anyway
        assert!(keep("tron,h1,0,1704067200,TFrom, tscam ,USDT,1,"));
    }

    #[test]
    fn rows_that_may_break_a_rule_are_copied() {
        for bad in [
            "tron,,0,1704067200,TFrom,TOther,USDT,1,",
            "tron,h1,0,31/12/2023,TFrom,TOther,USDT,1,",
            "tron,h1,-1,1704067200,TFrom,TOther,USDT,1,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,-1,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1e400,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1000000000000000000,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1,1000000000000",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,.5,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1,,extra",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1",
            "tron,h1,0,1704067200,TFrom,TÖther,USDT,1,",
            "tron,h1,0,1704067200,TFrom,TOther\rx,USDT,1,",
            "",
        ] {
            assert!(keep(bad), "{bad:?}");
        }
    }

    /// The rows `read_chunk` copies from `text`, by row number.
    fn copied(text: &str) -> Vec<u64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chunk.csv");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let chunk = read_chunk(&file, 0, text.len() as u64, 1, &layout(), &keys()).unwrap();
        let copy = String::from_utf8(chunk.copy).unwrap();
        copy.lines()
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn a_clean_chunk_copies_exactly_the_rows_a_line_by_line_read_copies() {
        let bad = [
            "tron,,0,1704067200,TFrom,TOther,USDT,1,",
            "tron,h1,0,31/12/2023,TFrom,TOther,USDT,1,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1,,extra",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,1",
            "",
            "tron,h1,0,1704067200,TFrom,TScam,USDT,1,",
            "tron,h1,0,1704067200,TFrom,TOther,USDT,.5,",
        ];
        let mut lines = Vec::new();
        let mut expected = Vec::new();
        for (i, b) in bad.iter().enumerate() {
            lines.extend([OK, b]);
            expected.push(2 * i as u64 + 2);
        }
        // a last record without its line feed, kept and not
        for (last, kept) in [
            (OK, false),
            ("tron,h1,0,1704067200,TFrom,TOther,USDT", true),
        ] {
            let text = format!("{}\n{last}", lines.join("\n"));
            assert!(memchr::memchr2(b'"', b'\r', text.as_bytes()).is_none());
            let mut want = expected.clone();
            if kept {
                want.push(lines.len() as u64 + 1);
            }
            assert_eq!(copied(&text), want, "{last}");
            // the same rows through the line-by-line path (a `\r` anywhere)
            let crlf = text.replace('\n', "\r\n");
            assert_eq!(copied(&crlf), want, "{last} with CRLF");
        }
    }

    #[test]
    fn a_quoted_record_ends_at_its_first_line_feed_outside_quotes() {
        let text = b"a,\"x\ny\",\"q\"\"\n\",b\nnext\n";
        assert_eq!(quoted_record_end(text), 17);
        assert_eq!(&text[17..], b"next\n");
        assert_eq!(
            quoted_record_end(b"a,b\"c\nd"),
            6,
            "a quote mid-field is text"
        );
    }

    #[test]
    fn a_header_that_is_not_plainly_canonical_is_read_whole() {
        let shape = |n| CsvShape {
            header_fields: n,
            ..CsvShape::default()
        };
        assert!(layout_of(b"\"chain\",tx_hash\n", &shape(2)).is_none());
        assert!(
            layout_of(
                b"chain,tx_hash,block_time,from_address,asset,amount\n",
                &shape(6)
            )
            .is_none()
        );
        assert!(
            layout_of(
                b"chain,tx_hash,block_time,from_address,to_address,asset,amount,amount\n",
                &shape(8)
            )
            .is_none()
        );
        let ok = layout_of(
            b"amount,asset,to_address,from_address,block_time,tx_hash,chain,memo\r\n",
            &shape(8),
        )
        .unwrap();
        assert_eq!(ok.to_address, 2);
        assert_eq!(ok.fields, 8);
    }
}
