//! Numbering the senders of valued flows: one `sender_id` per distinct
//! `(chain, from_address)`, so that every rollup counts distinct senders over
//! integers (METHODOLOGY §7 `senders`), and each sender's address held once.
//! Eager: it runs over the collected flows.

use std::collections::HashMap;

use polars::prelude::*;
use rustc_hash::FxBuildHasher;

/// Add `sender_id` (UInt32): one number per distinct `(chain, from_address)`,
/// so that the distinct senders of every group are counted over integers
/// instead of re-hashing millions of address strings for each table; and
/// hold each sender's address once (`from_address` rows point at it).
pub fn with_sender_ids(mut flows: DataFrame) -> PolarsResult<DataFrame> {
    let chain = flows.column("chain")?.str()?.clone();
    let from = flows.column("from_address")?.str()?.clone();
    let mut ids: HashMap<(Option<&str>, Option<&str>), u32, FxBuildHasher> =
        HashMap::with_capacity_and_hasher(flows.height() / 2, FxBuildHasher);
    let mut senders: Vec<Option<&str>> = Vec::new();
    let numbered: UInt32Chunked = chain
        .iter()
        .zip(from.iter())
        .map(|key| {
            let next = ids.len() as u32;
            Some(*ids.entry(key).or_insert_with(|| {
                senders.push(key.1);
                next
            }))
        })
        .collect();
    drop(ids);
    // each sender's address once, which every row of that sender points at
    // (at 100M input rows, 1.17M senders for 3.45M scam-bound transfers)
    let distinct: StringChunked = senders.into_iter().collect();
    let shared = distinct.take(&numbered)?.with_name("from_address".into());
    flows.with_column(shared.into_column())?;
    flows.with_column(numbered.with_name("sender_id".into()).into_column())?;
    Ok(flows)
}
