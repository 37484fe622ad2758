//! The scam-address index: `(chain, address)` of the attribution table →
//! its row. Loading tests every transfer's `(chain, to_address)` against it
//! and keeps only the row number (`_attr`, 4 bytes) on a scam-bound row;
//! the attribution columns (`scam_type`, `region`, two strings) are gathered
//! from the table a chunk group at a time when flows are valued.
//!
//! This is the METHODOLOGY §5 join on exact `(chain, address)` equality
//! (nulls never match), done with an FxHash (rustc-hash) table we probe ourselves instead
//! of polars' hash join: on the CSV path it runs over every input row, and
//! from the store it is the predicate the Parquet reader evaluates before
//! decoding the other columns, over the store's encoded addresses
//! (`store::codec`), so that they are never turned back into text to be tested.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;
use rustc_hash::{FxBuildHasher, FxHasher};

use crate::engine::local::dedupe::PassThrough;
use crate::names::ATTR;

/// The attribution columns [`with_attribution`] adds.
pub const ATTRIBUTION: [&str; 3] = ["scam_type", "region", "label"];

/// `(chain, address)` → row of the attribution table.
#[derive(Default)]
pub struct ScamIndex {
    /// chain → address key → row. The key is the address's UTF-8 bytes, or
    /// its store encoding for an index built by [`ScamIndex::for_store`].
    rows: HashMap<String, HashMap<Box<[u8]>, u32, FxBuildHasher>, FxBuildHasher>,
    /// Hashes of every `(chain, address)`: a table small enough to stay in
    /// cache, so the 97% of transfers that miss are rejected by one probe.
    hashes: HashSet<u64, BuildHasherDefault<PassThrough>>,
    /// Whether keys are store-encoded (probed columns are Binary).
    stored: bool,
}

impl ScamIndex {
    /// Index an attribution table (`chain`, `address` columns).
    pub fn new(addresses: &DataFrame) -> Result<Arc<Self>> {
        Self::build(addresses, false)
    }

    /// Index an attribution table for probing the store's encoded address
    /// columns (Binary, `store::codec`).
    pub fn for_store(addresses: &DataFrame) -> Result<Arc<Self>> {
        Self::build(addresses, true)
    }

    fn build(addresses: &DataFrame, stored: bool) -> Result<Arc<Self>> {
        let mut index = ScamIndex {
            stored,
            ..Default::default()
        };
        let chains = addresses.column("chain")?.str()?;
        let addrs = addresses.column("address")?.str()?;
        for (row, (c, a)) in chains.iter().zip(addrs.iter()).enumerate() {
            if let (Some(c), Some(a)) = (c, a) {
                let row = u32::try_from(row)?;
                let key: Box<[u8]> = if stored {
                    crate::store::codec::encode(a).into()
                } else {
                    a.as_bytes().into()
                };
                index.hashes.insert(key_hash(c, &key));
                index
                    .rows
                    .entry(c.to_string())
                    .or_default()
                    .entry(key)
                    .or_insert(row);
            }
        }
        Ok(Arc::new(index))
    }

    /// The attribution row of `(chain, address)`, if it is a scam address.
    pub fn row(&self, chain: Option<&str>, address: Option<&[u8]>) -> Option<u32> {
        let (chain, address) = (chain?, address?);
        if !self.hashes.contains(&key_hash(chain, address)) {
            return None;
        }
        self.rows.get(chain)?.get(address).copied()
    }

    /// `_attr`: the attribution row of each `(chain, to_address)`, null
    /// when the transfer does not reach a scam address.
    pub fn row_expr(self: &Arc<Self>) -> Expr {
        let index = Arc::clone(self);
        self.probe("to_address", ATTR, DataType::UInt32, move |to, chain| {
            let rows: UInt32Chunked = to
                .iter()
                .zip(chain.iter())
                .map(|(a, c)| index.row(c, a))
                .collect();
            rows.with_name(ATTR.into()).into_column()
        })
        .alias(ATTR)
    }

    /// Whether each `(chain, to_address)` reaches a scam address (never
    /// null): a predicate polars can push into a Parquet scan.
    pub fn is_scam_bound(self: &Arc<Self>) -> Expr {
        self.is_scam("to_address")
    }

    /// Whether each transfer's sender is a scam address (never null). A
    /// UTXO sender is its input address set (`A+B`, `readers::utxo`): it is
    /// a scam address when any of its addresses is one.
    pub fn is_scam_sender(self: &Arc<Self>) -> Expr {
        let index = Arc::clone(self);
        self.probe(
            "from_address",
            "scam_sender",
            DataType::Boolean,
            move |from, chain| {
                let hits: Vec<bool> = from
                    .iter()
                    .zip(chain.iter())
                    .map(|(a, c)| match a {
                        Some(a) if a.contains(&b'+') => a
                            .split(|b| *b == b'+')
                            .any(|part| index.row(c, Some(part)).is_some()),
                        a => index.row(c, a).is_some(),
                    })
                    .collect();
                BooleanChunked::from_slice("scam_sender".into(), &hits).into_column()
            },
        )
    }

    /// Whether each `(chain, <address>)` is a scam address (never null).
    pub fn is_scam(self: &Arc<Self>, address: &str) -> Expr {
        let index = Arc::clone(self);
        self.probe(
            address,
            "scam_bound",
            DataType::Boolean,
            move |to, chain| {
                let hits: Vec<bool> = to
                    .iter()
                    .zip(chain.iter())
                    .map(|(a, c)| index.row(c, a).is_some())
                    .collect();
                BooleanChunked::from_slice("scam_bound".into(), &hits).into_column()
            },
        )
    }

    /// An elementwise expression over `address` (as bytes) and `chain`
    /// whose output column is `name` of type `dtype`.
    fn probe<F>(&self, address: &str, name: &'static str, dtype: DataType, f: F) -> Expr
    where
        F: Fn(&BinaryChunked, &StringChunked) -> Column + Send + Sync + 'static,
    {
        let stored = self.stored;
        col(address).map_many(
            move |columns: &mut [Column]| {
                let keys = match (stored, columns[0].dtype()) {
                    (false, DataType::String) => columns[0].str()?.as_binary(),
                    (true, DataType::Binary) => columns[0].binary()?.clone(),
                    (_, dtype) => polars_bail!(
                        SchemaMismatch: "scam-address test over {} of type {dtype}: the index was built for {}",
                        columns[0].name(),
                        if stored { "the store's encoded addresses" } else { "text addresses" }
                    ),
                };
                Ok(f(&keys, columns[1].str()?))
            },
            &[col("chain")],
            move |_, _| Ok(Field::new(name.into(), dtype.clone())),
        )
    }
}

/// FxHash of a `(chain, address key)`.
fn key_hash(chain: &str, address: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(chain.as_bytes());
    h.write_u8(0xff);
    h.write(address);
    h.finish()
}

/// The attribution table's `address` column as one chunk, for
/// [`share_to_address`] (views into one buffer can be shared; gathering from
/// several chunks would copy every string).
pub fn address_column(addresses: &DataFrame) -> Result<StringChunked> {
    Ok(addresses.column("address")?.str()?.rechunk().into_owned())
}

/// Replace `to_address` of scam-bound rows by `address` (from
/// [`address_column`]) of their row `_attr`: the same text, since the index
/// matches exactly, but held once per scam address instead of once per
/// transfer (at 100M input rows, 3.45M transfers reach 224k addresses).
pub fn share_to_address(mut df: DataFrame, address: &StringChunked) -> Result<DataFrame> {
    let rows = df.column(ATTR)?.u32()?;
    let shared = address.take(rows)?.with_name("to_address".into());
    df.with_column(shared.into_column())?;
    Ok(df)
}

/// Replace `_attr` by the attribution columns of those rows of `addresses`.
pub fn with_attribution(df: DataFrame, addresses: &DataFrame) -> Result<DataFrame> {
    let rows = df.column(ATTR)?.u32()?.clone();
    let mut out = df.drop(ATTR)?;
    for name in ATTRIBUTION {
        let column = addresses.column(name)?.take(&rows)?;
        out.with_column(column)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses() -> DataFrame {
        df!(
            "chain" => ["ethereum", "ethereum", "tron"],
            "address" => ["0xa", "0xb", "0xa"],
            "scam_type" => ["pig_butchering", "phishing", "investment"],
            "region" => ["southeast_asia", "unknown", "west_africa"],
            "label" => [None, Some("drainer kit"), None::<&str>],
        )
        .unwrap()
    }

    #[test]
    fn rows_match_on_chain_and_address_exactly() {
        let index = ScamIndex::new(&addresses()).unwrap();
        let transfers = df!(
            "chain" => [Some("tron"), Some("ethereum"), Some("ethereum"), None, Some("ethereum")],
            "to_address" => [Some("0xa"), Some("0xb"), Some("0xB"), Some("0xa"), None],
        )
        .unwrap();
        let out = transfers
            .lazy()
            .with_columns([index.row_expr(), index.is_scam_bound().alias("hit")])
            .collect()
            .unwrap();
        let rows: Vec<Option<u32>> = out.column(ATTR).unwrap().u32().unwrap().iter().collect();
        assert_eq!(rows, [Some(2), Some(1), None, None, None]);
        let hits: Vec<Option<bool>> = out.column("hit").unwrap().bool().unwrap().iter().collect();
        assert_eq!(
            hits,
            [
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(false)
            ]
        );
    }

    #[test]
    fn a_store_index_probes_encoded_addresses() {
        let addresses = df!(
            "chain" => ["ethereum", "tron"],
            "address" => ["0x00ff", "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"],
        )
        .unwrap();
        let index = ScamIndex::for_store(&addresses).unwrap();
        let transfers = df!(
            "chain" => ["tron", "ethereum", "ethereum"],
            "to_address" => ["TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf", "0x00ff", "0x00fe"],
        )
        .unwrap();
        let encoded = transfers
            .clone()
            .lazy()
            .with_column(crate::store::codec::encode_expr("to_address"));
        let out = encoded.with_column(index.row_expr()).collect().unwrap();
        let rows: Vec<Option<u32>> = out.column(ATTR).unwrap().u32().unwrap().iter().collect();
        assert_eq!(rows, [Some(1), Some(0), None]);
        // text addresses against a store index are an error, not a miss
        let wrong = transfers.lazy().with_column(index.row_expr()).collect();
        assert!(wrong.unwrap_err().to_string().contains("encoded addresses"));
    }

    #[test]
    fn to_address_is_shared_with_the_attribution_table() {
        let addresses = addresses();
        let address = address_column(&addresses).unwrap();
        let df = df!(
            "to_address" => [Some("0xa"), None, Some("0xa")],
            ATTR => [2u32, 1, 0],
        )
        .unwrap();
        let out = share_to_address(df, &address).unwrap();
        let to: Vec<_> = out
            .column("to_address")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(to, [Some("0xa"), Some("0xb"), Some("0xa")]);
        let names: Vec<&str> = out.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["to_address", ATTR], "in place");
    }

    #[test]
    fn attribution_is_gathered_by_row() {
        let df = df!("tx_hash" => ["t1", "t2"], ATTR => [2u32, 0]).unwrap();
        let out = with_attribution(df, &addresses()).unwrap();
        let names: Vec<&str> = out.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["tx_hash", "scam_type", "region", "label"]);
        let types: Vec<_> = out
            .column("scam_type")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(types, [Some("investment"), Some("pig_butchering")]);
        let regions: Vec<_> = out
            .column("region")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(regions, [Some("west_africa"), Some("southeast_asia")]);
    }
}
