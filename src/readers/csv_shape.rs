//! The shape of a CSV file: how many fields each record has, counted in the
//! same read that hashes the file (or decompresses it), so that a row with
//! more or fewer fields than the header is rejected with its own reason
//! instead of being truncated or padded by the CSV reader.
//!
//! Records are counted the way polars' CSV reader counts rows: every line
//! feed outside quotes ends one (a blank line is a record of one field), a
//! quoted field may hold line feeds and `""` escapes, `\r\n` ends a line
//! like `\n`, and text after the last line feed is a last record. Record 0 is
//! the header; record `n` is the data row polars numbers `n` (`_row`).
//!
//! The same read leaves checkpoints: where the first data row starts, and
//! then a record start about every [`CHECKPOINT_BYTES`], with its row
//! number, so that a later pass can split the file into chunks at record
//! boundaries and read them in parallel (`engine::local::prefilter`).

pub use crate::model::CsvShape;

/// Bytes between two checkpoints (at least; they sit at record starts).
pub const CHECKPOINT_BYTES: u64 = 8 << 20;

/// Counts fields while bytes stream past (feed chunks in order).
#[derive(Debug, Default)]
pub struct ShapeCounter {
    in_quotes: bool,
    /// The previous byte closed a quoted section (`""` re-opens it).
    after_quote: bool,
    /// At the first byte of a field (a quote here opens a quoted field).
    field_start: bool,
    /// Fields of the current record so far (commas + 1).
    fields: u32,
    /// Bytes seen since the last record ended.
    pending: bool,
    /// The current record has a quote: count it byte by byte.
    slow: bool,
    /// Index of the current record (0: the header).
    record: u64,
    /// Bytes fed before the current chunk.
    offset: u64,
    /// Bytes between checkpoints ([`CHECKPOINT_BYTES`]; smaller in tests).
    every: u64,
    shape: CsvShape,
}

impl ShapeCounter {
    pub fn new() -> ShapeCounter {
        ShapeCounter {
            field_start: true,
            fields: 1,
            every: CHECKPOINT_BYTES,
            ..ShapeCounter::default()
        }
    }

    /// Count the fields in the next bytes of the file. A line without a
    /// quote (almost every line) is counted by its commas in one vectorised
    /// pass; a line with quotes goes through the byte-by-byte state machine
    /// up to the end of its record.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.feed_chunk(bytes);
        self.offset += bytes.len() as u64;
    }

    fn feed_chunk(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        let base = self.offset;
        let at = |rest: &[u8]| base + (bytes.len() - rest.len()) as u64;
        // where the next quote is, searched once for all the lines before it
        let mut next_quote = memchr::memchr(b'"', bytes).unwrap_or(usize::MAX);
        while !rest.is_empty() {
            if self.in_quotes || self.slow {
                let before = self.record;
                rest = self.feed_slow(rest);
                if self.record != before {
                    self.checkpoint(at(rest));
                }
                continue;
            }
            let pos = bytes.len() - rest.len();
            if next_quote < pos {
                next_quote = memchr::memchr(b'"', rest).map_or(usize::MAX, |i| pos + i);
            }
            let end = memchr::memchr(b'\n', rest);
            let line = &rest[..end.unwrap_or(rest.len())];
            if next_quote < pos + line.len() {
                self.slow = true;
                continue;
            }
            if let Some(&last) = line.last() {
                self.fields += memchr::memchr_iter(b',', line).count() as u32;
                self.pending = true;
                self.field_start = last == b',';
                self.after_quote = false;
            }
            match end {
                Some(i) => {
                    self.end_record();
                    rest = &rest[i + 1..];
                    self.checkpoint(at(rest));
                }
                None => return,
            }
        }
    }

    /// A record starts at byte `at`: the first data row always, later ones
    /// every [`CHECKPOINT_BYTES`].
    fn checkpoint(&mut self, at: u64) {
        let last = self.shape.checkpoints.last().map(|&(b, _)| b);
        if last.is_none_or(|b| at - b >= self.every) {
            self.shape.checkpoints.push((at, self.record));
        }
    }

    /// The state machine, up to and including the end of the current
    /// record (or of `bytes`); returns what is left.
    fn feed_slow<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.in_quotes {
                // only a quote can end a quoted section
                match memchr::memchr(b'"', rest) {
                    Some(i) => {
                        self.in_quotes = false;
                        self.after_quote = true;
                        self.field_start = false;
                        self.pending = true;
                        rest = &rest[i + 1..];
                    }
                    None => return &[],
                }
                continue;
            }
            let Some(i) = memchr::memchr3(b',', b'"', b'\n', rest) else {
                self.plain(rest.len());
                return &[];
            };
            self.plain(i);
            let byte = rest[i];
            self.special(byte);
            rest = &rest[i + 1..];
            if byte == b'\n' {
                self.slow = false; // the record ended outside quotes
                return rest;
            }
        }
        rest
    }

    /// `n` ordinary bytes.
    fn plain(&mut self, n: usize) {
        if n > 0 {
            self.pending = true;
            self.field_start = false;
            self.after_quote = false;
        }
    }

    fn special(&mut self, byte: u8) {
        match byte {
            b',' => {
                self.fields += 1;
                self.field_start = true;
                self.after_quote = false;
                self.pending = true;
            }
            b'"' => {
                if self.field_start || self.after_quote {
                    self.in_quotes = true;
                }
                self.field_start = false;
                self.after_quote = false;
                self.pending = true;
            }
            _ => self.end_record(),
        }
    }

    fn end_record(&mut self) {
        if self.record == 0 {
            self.shape.header_fields = self.fields;
        } else {
            self.shape.rows += 1;
            if self.fields != self.shape.header_fields {
                self.shape.ragged.push((self.record, self.fields));
            }
        }
        self.record += 1;
        self.fields = 1;
        self.field_start = true;
        self.after_quote = false;
        self.pending = false;
    }

    /// The shape, once every byte was fed.
    /// The shape of everything `reader` yields (a decompressed CSV).
    pub fn of_reader(mut reader: impl std::io::Read) -> std::io::Result<CsvShape> {
        let mut counter = ShapeCounter::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(counter.finish()),
                Ok(n) => counter.feed(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    pub fn finish(mut self) -> CsvShape {
        if self.pending || self.in_quotes {
            self.end_record();
        }
        self.shape
    }
}

/// The shape of a whole CSV text (for tests and small inputs).
pub fn shape_of(bytes: &[u8]) -> CsvShape {
    let mut counter = ShapeCounter::new();
    counter.feed(bytes);
    counter.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_more_or_fewer_fields_are_found() {
        let s = shape_of(b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n\n10,11,12");
        assert_eq!(s.header_fields, 3);
        assert_eq!(s.rows, 5);
        assert_eq!(s.ragged, [(2, 2), (3, 4), (4, 1)]);
    }

    #[test]
    fn quotes_hold_commas_line_feeds_and_escaped_quotes() {
        let s = shape_of(b"a,b,c\r\n\"x,\ny\",2,3\r\n1,\"a\"\"b,c\",3\n1,\"\",3\n\n\n");
        assert_eq!(
            s.rows, 5,
            "two trailing blank lines are rows, as polars reads them"
        );
        assert_eq!(s.ragged, [(4, 1), (5, 1)]);
    }

    /// The byte-by-byte state machine alone, as the fast path must count.
    fn slow_shape(bytes: &[u8]) -> CsvShape {
        let mut c = ShapeCounter::new();
        c.slow = true;
        let mut rest = bytes;
        while !rest.is_empty() {
            c.slow = true;
            rest = c.feed_slow(rest);
        }
        c.finish()
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_counts_as_the_state_machine(
            cells in proptest::collection::vec("[a-c,\"\n\r]{0,6}", 0..40),
            split in 0usize..200,
        ) {
            let text = cells.concat();
            let bytes = text.as_bytes();
            let split = split.min(bytes.len());
            let mut c = ShapeCounter::new();
            c.feed(&bytes[..split]);
            c.feed(&bytes[split..]);
            let mut fast = c.finish();
            fast.checkpoints.clear(); // the state machine alone leaves none
            proptest::prop_assert_eq!(fast, slow_shape(bytes));
        }
    }

    #[test]
    fn checkpoints_are_record_starts_with_their_rows() {
        let text = b"h1,h2\n1,a\n\"x\ny\",b\n22,c\r\n3,d\n";
        let mut c = ShapeCounter::new();
        c.every = 1;
        for piece in text.chunks(3) {
            c.feed(piece);
        }
        let shape = c.finish();
        let starts: Vec<(usize, u64)> = shape
            .checkpoints
            .iter()
            .map(|&(b, r)| (b as usize, r))
            .collect();
        // every record start, the quoted line feed inside row 2 not one
        assert_eq!(starts, [(6, 1), (10, 2), (18, 3), (24, 4), (28, 5)]);
        assert_eq!(&text[18..24], b"22,c\r\n");
        let mut sparse = ShapeCounter::new();
        sparse.every = 10;
        sparse.feed(text);
        assert_eq!(sparse.finish().checkpoints, [(6, 1), (18, 3), (28, 5)]);
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        let text = b"h1,h2\n\"a\"\"\",b\n\"q,\nq\",z,extra\nlast,row";
        let whole = shape_of(text);
        for split in 0..text.len() {
            let mut c = ShapeCounter::new();
            c.feed(&text[..split]);
            c.feed(&text[split..]);
            assert_eq!(c.finish(), whole, "split at {split}");
        }
        assert_eq!(whole.ragged, [(2, 3)]);
        assert_eq!(whole.rows, 3);
    }
}
