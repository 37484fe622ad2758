//! METHODOLOGY §2 de-duplication of scam-bound transfers: one row per
//! `(chain, tx_hash, transfer_index)`, the first by file then row, found in
//! one pass over the rows with a hash table of row positions (8 bytes per
//! identity, not a sorted copy of the keys) and exact key comparison, so the
//! result never depends on the hash. Also the chunk-group helpers that let
//! later stages transform millions of rows a slice at a time, freeing each
//! input slice as its output is built.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use anyhow::Result;
use polars::prelude::*;
use rustc_hash::FxHasher;

use crate::names::{FILE, ROW};

/// The identity of a transfer, borrowed from the frame.
type Identity<'a> = (Option<&'a str>, Option<&'a str>, i64);

/// Which rows of `df` are the first of their identity (in `df`'s row order),
/// and how many later copies each file (`_file` index) had.
pub fn first_of_identity(df: &DataFrame, n_files: usize) -> Result<(BooleanChunked, Vec<u64>)> {
    first_rows(df, n_files, hash_of)
}

/// [`first_of_identity`] with a given hash function (tests pass a colliding one).
fn first_rows(
    df: &DataFrame,
    n_files: usize,
    hash: fn(&Identity) -> u64,
) -> Result<(BooleanChunked, Vec<u64>)> {
    let chain: Vec<Option<&str>> = df.column("chain")?.str()?.iter().collect();
    let tx: Vec<Option<&str>> = df.column("tx_hash")?.str()?.iter().collect();
    let index: Vec<i64> = df
        .column("transfer_index")?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let files: Vec<u32> = df
        .column(FILE)?
        .u32()?
        .iter()
        .map(|f| f.unwrap_or(0))
        .collect();
    let identity = |i: usize| -> Identity { (chain[i], tx[i], index[i]) };
    let mut first = vec![false; df.height()];
    let mut duplicates = vec![0u64; n_files];
    let mut seen: HashMap<u64, u32, BuildHasherDefault<PassThrough>> =
        HashMap::with_capacity_and_hasher(df.height(), Default::default());
    // identities whose hash collided with a different identity's
    let mut collided: HashSet<Identity> = HashSet::new();
    for i in file_row_order(df)? {
        let key = identity(i);
        let h = hash(&key);
        let new = match seen.get(&h) {
            None => {
                seen.insert(h, i as u32);
                true
            }
            Some(&j) if identity(j as usize) == key => false,
            Some(_) => collided.insert(key),
        };
        first[i] = new;
        if !new && let Some(d) = duplicates.get_mut(files[i] as usize) {
            *d += 1;
        }
    }
    Ok((
        BooleanChunked::from_slice("first".into(), &first),
        duplicates,
    ))
}

fn hash_of(key: &Identity) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// Row positions in `(_file, _row)` order: the frame's own order when it is
/// already sorted (exports are loaded file by file), else an argsort.
fn file_row_order(df: &DataFrame) -> Result<Vec<usize>> {
    let files = df.column(FILE)?.u32()?;
    let rows = df.column(ROW)?.i64()?;
    let keys: Vec<(Option<u32>, Option<i64>)> = files.iter().zip(rows.iter()).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if !keys.is_sorted() {
        order.sort_by_key(|&i| keys[i]);
    }
    Ok(order)
}

/// A hasher for keys that are already hashes (FxHash of an identity), so
/// the table of row positions does not hash them again.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Split `df` into slices of whole chunks, each at least `min_rows` long
/// (the last may be shorter). Slices share the chunks' buffers; once `df`
/// is dropped, dropping a slice frees its chunks.
pub fn chunk_groups(mut df: DataFrame, min_rows: usize) -> Vec<DataFrame> {
    let lengths = aligned_chunk_lengths(&mut df);
    let mut out = Vec::new();
    let (mut start, mut len) = (0usize, 0usize);
    for l in lengths {
        len += l;
        if len >= min_rows {
            out.push(df.slice(start as i64, len));
            start += len;
            len = 0;
        }
    }
    if len > 0 || out.is_empty() {
        out.push(df.slice(start as i64, len));
    }
    out
}

/// The chunk lengths shared by every column (rechunked when they differ).
fn aligned_chunk_lengths(df: &mut DataFrame) -> Vec<usize> {
    let lengths =
        |c: &Column| -> Vec<usize> { c.as_materialized_series().chunk_lengths().collect() };
    let Some(first) = df.columns().first().map(lengths) else {
        return Vec::new();
    };
    if df.columns().iter().all(|c| lengths(c) == first) {
        return first;
    }
    df.rechunk_mut();
    vec![df.height()]
}

/// Apply `f` to each chunk group of `df` and stack the results, so that at
/// most one group's input and output are alive beside the finished part.
pub fn map_groups(
    df: DataFrame,
    min_rows: usize,
    mut f: impl FnMut(DataFrame) -> Result<DataFrame>,
) -> Result<DataFrame> {
    let mut out: Option<DataFrame> = None;
    for group in chunk_groups(df, min_rows) {
        let done = f(group)?;
        crate::memory::release_free_pages();
        match &mut out {
            None => out = Some(done),
            Some(acc) => {
                acc.vstack_mut(&done)?;
            }
        }
    }
    Ok(out.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> DataFrame {
        df!(
            FILE => [1u32, 0, 0, 1, 0],
            ROW => [0i64, 2, 1, 1, 3],
            "chain" => ["tron"; 5],
            "tx_hash" => ["0xb", "0xa", "0xa", "0xa", "0xa"],
            "transfer_index" => [None, Some(0i64), Some(0), Some(0), Some(1)],
        )
        .unwrap()
    }

    #[test]
    fn the_first_by_file_then_row_is_kept() {
        let (first, dups) = first_of_identity(&rows(), 2).unwrap();
        let got: Vec<_> = first.iter().map(|b| b.unwrap()).collect();
        // 0xa/0 first at file 0 row 1 (position 2); null index counts as 0
        assert_eq!(got, [true, false, true, false, true]);
        assert_eq!(dups, [1, 1]);
    }

    #[test]
    fn colliding_hashes_still_compare_identities() {
        // every identity hashes alike: the answer must not change
        let (a, dups) = first_rows(&rows(), 2, |_| 42).unwrap();
        let (b, _) = first_of_identity(&rows(), 2).unwrap();
        assert!(a.equal_missing(&b).all());
        assert_eq!(dups, [1, 1]);
    }

    #[test]
    fn groups_follow_chunks_and_keep_every_row() {
        let mut df = rows();
        df.vstack_mut(&rows()).unwrap();
        df.vstack_mut(&rows()).unwrap();
        let groups = chunk_groups(df.clone(), 6);
        assert_eq!(
            groups.iter().map(|g| g.height()).collect::<Vec<_>>(),
            [10, 5]
        );
        let back = map_groups(df.clone(), 6, Ok).unwrap();
        assert!(back.equals_missing(&df));
    }
}
