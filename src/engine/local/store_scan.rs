//! `run --store DIR`: the transfers of a run read from the ingest store
//! (layout and catalog: `store`). Only
//! the parts the catalog lists are read; `--from`/`--to` prune whole month
//! partitions from the catalog and row groups by `block_time` statistics;
//! the scam-address test (`scam_index.rs`) runs in the scan on the stored
//! bytes, so only scam-bound rows are collected and turned back into text. Rows read and rejects come from the catalog and the rejects
//! parts, as they were counted at ingest.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use polars::prelude::*;

use crate::engine::local::days::DayRange;
use crate::engine::local::load::{Loaded, compact_strings};
use crate::engine::local::scam_index::{ScamIndex, address_column, share_to_address};
use crate::model::InputKind;
use crate::names::{ATTR, FILE, REJECT_COLUMNS};
use crate::readers::{kept_schema, valid_columns, valid_schema};
use crate::store::{Catalog, Selection, codec};

/// Load scam-bound transfers and rejects of the store's exports (all of
/// them, or only `only` when it is not empty).
pub fn load_from_store(
    store: &Path,
    only: &[String],
    addresses: &DataFrame,
    days: DayRange,
) -> Result<Loaded> {
    let catalog = Catalog::read(store)?;
    let selection = Selection::of(&catalog, only, store, days)?;
    let sources = &selection.sources;
    let index = df!(
        "_source" => sources.iter().map(|s| s.path.clone()).collect::<Vec<_>>(),
        FILE => (0..sources.len() as u32).collect::<Vec<_>>()
    )?;
    let transfer_parts = selection.parts(false);
    let valid = scam_bound(&transfer_parts, addresses, &index, days)?;
    let rejects = rejects_of(&selection.parts(true), &index)?;
    Ok(Loaded {
        kind: InputKind::Transfers,
        files: sources.iter().map(|s| s.input_file()).collect(),
        valid,
        rejects,
        rows_read: sources.iter().map(|s| s.rows_read).collect(),
    })
}

fn scan(paths: &[PathBuf]) -> Result<LazyFrame> {
    let refs = paths
        .iter()
        .map(|p| PlRefPath::try_from_path(p))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok(LazyFrame::scan_parquet_files(
        refs.into(),
        ScanArgsParquet::default(),
    )?)
}

/// Scam-bound transfer rows of `paths` with `_file` and their attribution row (`_attr`).
fn scam_bound(
    paths: &[PathBuf],
    addresses: &DataFrame,
    index: &DataFrame,
    (from, to): DayRange,
) -> Result<DataFrame> {
    let extra = [ATTR];
    if paths.is_empty() {
        return Ok(DataFrame::empty_with_schema(&valid_schema(
            InputKind::Transfers,
            &extra,
        )));
    }
    let mut lf = scan(paths)?;
    if let Some(from) = from {
        lf = lf.filter(col("block_time").gt_eq(lit(from * 86_400)));
    }
    if let Some(to) = to {
        lf = lf.filter(col("block_time").lt(lit((to + 1) * 86_400)));
    }
    // The scam-address test as a predicate the Parquet reader evaluates
    // first: it decodes `chain` and `to_address` (bytes, probed as stored),
    // then every other column only for the rows that pass (prefiltered
    // decoding), instead of decoding whole row groups only to discard 97% of
    // them. Only those rows' hashes and addresses are turned back into text.
    // `to_address` is not decoded at all: it becomes the attribution table's
    // own copy of the address (`share_to_address`) once the rows are in.
    let scam_index = ScamIndex::for_store(addresses)?;
    lf = lf.filter(scam_index.is_scam_bound());
    let joined = lf
        .with_column(scam_index.row_expr())
        .with_columns([
            codec::decode_expr("tx_hash"),
            codec::decode_expr("from_address"),
            lit(NULL).cast(DataType::String).alias("to_address"),
        ])
        .join(
            index.clone().lazy(),
            [col("_source")],
            [col("_source")],
            JoinArgs::new(JoinType::Inner),
        )
        .select(valid_columns(InputKind::Transfers, &extra));
    let batches: Arc<Mutex<Chunks>> = Arc::default();
    let sink = Arc::clone(&batches);
    let plan = joined.sink_batches(
        PlanCallback::new(move |batch: DataFrame| {
            sink.lock()
                .map_err(|_| polars_err!(ComputeError: "store batches poisoned"))?
                .push(batch)?;
            Ok(false)
        }),
        false,
        None,
    )?;
    anyhow::Context::context(
        plan.collect_with_engine(Engine::Streaming),
        "reading transfers from the store",
    )?;
    let mut chunks = std::mem::take(
        &mut *batches
            .lock()
            .map_err(|_| anyhow::anyhow!("store batches poisoned"))?,
    );
    chunks.flush()?;
    // chunks stay separate: later stages work a group of chunks at a time
    // and free each as they go
    let schema = valid_schema(InputKind::Transfers, &extra);
    let mut out = DataFrame::empty_with_schema(&schema);
    let address = address_column(addresses)?;
    for f in chunks.done {
        out.vstack_mut(&share_to_address(f, &address)?)?;
    }
    Ok(out)
}

/// Rows per chunk of the scam-bound rows read from a store.
const CHUNK_ROWS: usize = 1 << 16;

/// The scan's batches (a few hundred rows from each part file) merged into
/// chunks of at least [`CHUNK_ROWS`]: at 100M rows a store has thousands of
/// parts, and thousands of tiny chunks slow every later kernel.
#[derive(Default)]
struct Chunks {
    pending: Vec<DataFrame>,
    pending_rows: usize,
    done: Vec<DataFrame>,
}

impl Chunks {
    fn push(&mut self, batch: DataFrame) -> PolarsResult<()> {
        if batch.height() == 0 {
            return Ok(());
        }
        self.pending_rows += batch.height();
        // a string column decoded under the filter mask can still point
        // into buffers shared with the rows it dropped
        self.pending.push(compact_strings(batch)?);
        if self.pending_rows >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Merge the pending batches into one chunk.
    fn flush(&mut self) -> PolarsResult<()> {
        let mut pending = std::mem::take(&mut self.pending).into_iter();
        self.pending_rows = 0;
        let Some(mut merged) = pending.next() else {
            return Ok(());
        };
        for b in pending {
            merged.vstack_mut(&b)?;
        }
        merged.rechunk_mut();
        self.done.push(merged);
        Ok(())
    }
}

fn rejects_of(paths: &[PathBuf], index: &DataFrame) -> Result<DataFrame> {
    let schema = kept_schema(InputKind::Transfers, &[]);
    if paths.is_empty() {
        let cols: Vec<PlSmallStr> = REJECT_COLUMNS
            .iter()
            .map(|c| PlSmallStr::from(*c))
            .collect();
        return Ok(DataFrame::empty_with_schema(&schema).select(cols)?);
    }
    let rejects = scan(paths)?
        .join(
            index.clone().lazy(),
            [col("_source")],
            [col("_source")],
            JoinArgs::new(JoinType::Inner),
        )
        .select(REJECT_COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .collect();
    anyhow::Context::context(rejects, "reading rejects from the store")
}
