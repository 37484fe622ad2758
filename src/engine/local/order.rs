//! The order of `attributed_transfers`: by `(chain, tx_hash, transfer_index)`,
//! computed without copying the rows. Millions of rows are ordered over a
//! compact key per row (the chain's rank and the first 16 bytes of the
//! hash as an integer), so almost every comparison is two integer compares
//! in one cache line instead of dereferencing two strings at random.

use anyhow::Result;
use polars::prelude::*;

/// A row's sort key: chain rank, hash prefix, row. Full values break ties.
type Key = (u32, u128, IdxSize);

/// `df` reordered by `(chain, tx_hash, transfer_index)` (nulls first), a
/// column at a time: the reordered copy of a column replaces the original
/// at once, so millions of rows are never held twice.
pub fn sorted_by_identity(df: DataFrame) -> Result<DataFrame> {
    let order = identity_order(&df)?;
    let height = df.height();
    let mut columns = df.into_columns();
    for c in columns.iter_mut() {
        // one chunk first: polars gathers a single-chunk string column by
        // its views (sharing the string buffers) but copies every string
        // out of a column of several chunks
        *c = c.rechunk().take(&order)?;
        crate::memory::release_free_pages();
    }
    Ok(DataFrame::new(height, columns)?)
}

/// Row positions of `df` in `(chain, tx_hash, transfer_index)` order.
pub fn identity_order(df: &DataFrame) -> Result<IdxCa> {
    let chain: Vec<Option<&str>> = df.column("chain")?.str()?.iter().collect();
    let tx: Vec<Option<&str>> = df.column("tx_hash")?.str()?.iter().collect();
    let index: Vec<Option<i64>> = df.column("transfer_index")?.i64()?.iter().collect();
    let ranks = chain_ranks(&chain);
    let mut keys: Vec<Key> = (0..df.height())
        .map(|i| (ranks[i], prefix(tx[i]), i as IdxSize))
        .collect();
    let full = |k: &Key| {
        let i = k.2 as usize;
        (chain[i], tx[i], index[i])
    };
    // identities are unique: an unstable sort is deterministic here
    rayon::slice::ParallelSliceMut::par_sort_unstable_by(&mut keys[..], |a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| full(a).cmp(&full(b)))
    });
    Ok(IdxCa::from_vec(
        "order".into(),
        keys.into_iter().map(|k| k.2).collect(),
    ))
}

/// Each row's chain as its rank among the distinct chains (null first).
fn chain_ranks(chain: &[Option<&str>]) -> Vec<u32> {
    let mut distinct: Vec<Option<&str>> = chain.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    chain
        .iter()
        .map(|c| distinct.binary_search(c).map_or(0, |r| r as u32))
        .collect()
}

/// The first 16 bytes of a value as a big-endian integer, zero-padded (null
/// is 0): if `prefix(a) < prefix(b)` then `a < b`; equal prefixes decide
/// nothing and the full values are compared.
fn prefix(value: Option<&str>) -> u128 {
    let mut bytes = [0u8; 16];
    if let Some(v) = value {
        let n = v.len().min(16);
        bytes[..n].copy_from_slice(&v.as_bytes()[..n]);
    }
    u128::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_chain_then_hash_then_index() {
        let long = "0x00000000000000000000000000000001";
        let longer = "0x00000000000000000000000000000001ff";
        let df = df!(
            "chain" => [Some("tron"), Some("ethereum"), Some("ethereum"), Some("ethereum"), None, Some("ethereum"), Some("ethereum")],
            "tx_hash" => [Some("0xa"), Some(longer), Some(long), Some(long), Some("0xz"), None, Some("0x")],
            "transfer_index" => [Some(0i64), Some(0), Some(2), None, Some(0), Some(5), Some(1)],
        )
        .unwrap();
        let order: Vec<IdxSize> = identity_order(&df).unwrap().into_no_null_iter().collect();
        assert_eq!(order, [4, 5, 6, 3, 2, 1, 0]);
    }

    #[test]
    fn shorter_values_sort_before_their_extensions() {
        assert!(prefix(Some("ab")) < prefix(Some("ab\u{1}")));
        assert!(prefix(None) <= prefix(Some("")));
        assert_eq!(
            prefix(Some("0123456789abcdefX")),
            prefix(Some("0123456789abcdefY"))
        );
    }

    #[test]
    fn sorting_moves_every_column() {
        let df = df!(
            "chain" => ["tron", "ethereum"],
            "tx_hash" => ["0x1", "0x2"],
            "transfer_index" => [0i64, 0],
            "amount" => [1.0, 2.0],
        )
        .unwrap();
        let out = sorted_by_identity(df).unwrap();
        let amounts: Vec<_> = out
            .column("amount")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(amounts, [Some(2.0), Some(1.0)]);
    }
}
