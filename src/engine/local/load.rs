//! Loading and validating input files: where input rows are materialised.
//! Each file is first made scannable (`readers::convert`), then its plan
//! (`readers::validated_frame`) runs. Reports and prices are collected whole
//! (they are small); transfers stream file by file through the streaming
//! engine into [`TransferSink`], which counts every row and keeps only
//! rejects and rows bound for a scam address (METHODOLOGY §2: memory is
//! bounded by the scam-related subset, not by the export).

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use polars::prelude::*;

use crate::engine::local::scam_index::{ScamIndex, address_column, share_to_address};
use crate::error::bad_input;
use crate::model::{FileCounts, InputFile, InputKind};
use crate::names::{ATTR, FILE, REJECT_COLUMNS, REJECT_REASON, ROW};
use crate::readers::convert::readable;
use crate::readers::mapping::KindMapping;
use crate::readers::tokens::TokenRegistry;
use crate::readers::{kept_columns, kept_schema, valid_columns, valid_schema, validated_frame};

/// One input kind after loading: valid rows, rejected rows, and counts.
pub struct Loaded {
    pub kind: InputKind,
    pub files: Vec<InputFile>,
    /// Valid rows (all canonical columns plus `_file`, `_row`; reports and
    /// prices also carry the null reject columns). Transfers: only scam-bound
    /// rows, in `(_file, _row)` order from exports, in any order from a store.
    pub valid: DataFrame,
    /// Rejected rows (`_file`, `_row`, `reject_reason`, `reject_column`, `reject_value`).
    pub rejects: DataFrame,
    /// Rows read per file, in file order.
    pub rows_read: Vec<u64>,
}

/// The attribution row of each transfer's `to_address` (null: not scam-bound).
const TRANSFER_EXTRA: [&str; 1] = [ATTR];

/// Collect a small input (reports, prices) whole.
pub fn load_small(
    kind: InputKind,
    files: Vec<InputFile>,
    tmp: &Path,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<Loaded> {
    let mut frames = Vec::new();
    let mut rows_read = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let readable = readable(file, tmp)?;
        let df = validated_frame(kind, file, &readable, i, mapping, tokens)?
            .select(kept_columns(kind, &[]))
            .collect()
            .map_err(|e| read_error(kind, file, e))?;
        rows_read.push(df.height() as u64);
        frames.push(df);
    }
    let all = concat_frames(frames, kept_schema(kind, &[]), kind)?;
    split_rejects(kind, files, all, rows_read)
}

/// Stream transfers, keeping rejects and rows whose `(chain, to_address)` is
/// in the attribution table `addresses`, with their row in it (`_attr`).
pub fn load_transfers(
    files: Vec<InputFile>,
    addresses: &DataFrame,
    tmp: &Path,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<Loaded> {
    let kind = InputKind::Transfers;
    let mut parts = FileParts::new(kind, address_column(addresses)?);
    let index = ScamIndex::new(addresses)?;
    let bar = crate::log::progress(files.iter().map(|f| f.bytes).sum(), "streaming transfers");
    for (i, file) in files.iter().enumerate() {
        let sink = Arc::new(Mutex::new(TransferSink::default()));
        let readable = readable(file, tmp)?;
        let plan = validated_frame(kind, file, &readable, i, mapping, tokens)?
            .with_column(index.row_expr())
            .select(kept_columns(kind, &TRANSFER_EXTRA))
            .sink_batches(TransferSink::callback(&sink), false, None)
            .map_err(|e| read_error(kind, file, e))?;
        plan.collect_with_engine(Engine::Streaming)
            .map_err(|e| read_error(kind, file, e))?;
        let mut done = std::mem::take(
            &mut *sink
                .lock()
                .map_err(|_| anyhow::anyhow!("transfer sink poisoned"))?,
        );
        parts.rows_read.push(done.rows_read);
        if let Some(kept) = merge_batches(std::mem::take(&mut done.kept))? {
            parts.add(kept)?;
        }
        crate::memory::release_free_pages();
        if let Some(bar) = &bar {
            bar.inc(file.bytes);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(parts.into_loaded(files))
}

/// Valid rows and rejects of a transfers export, file by file. Each file's
/// part is sorted by row and split when it arrives, so the whole is in
/// `(_file, _row)` order without a sort (and without a second copy) and
/// valid rows do not carry the three reject columns.
struct FileParts {
    kind: InputKind,
    valid: DataFrame,
    rejects: DataFrame,
    rows_read: Vec<u64>,
    /// The attribution table's addresses, which valid rows' `to_address` share.
    address: StringChunked,
}

impl FileParts {
    fn new(kind: InputKind, address: StringChunked) -> Self {
        let kept = DataFrame::empty_with_schema(&kept_schema(kind, &TRANSFER_EXTRA));
        FileParts {
            kind,
            valid: DataFrame::empty_with_schema(&valid_schema(kind, &TRANSFER_EXTRA)),
            rejects: kept.select(REJECT_COLUMNS).unwrap_or_default(),
            rows_read: Vec::new(),
            address,
        }
    }

    fn add(&mut self, kept: DataFrame) -> Result<()> {
        let kept = kept.sort([ROW], SortMultipleOptions::default())?;
        let rejected = kept.column(REJECT_REASON)?.is_not_null();
        self.rejects
            .vstack_mut(&kept.filter(&rejected)?.select(REJECT_COLUMNS)?)?;
        let valid = kept
            .filter(&!rejected)?
            .lazy()
            .select(valid_columns(self.kind, &TRANSFER_EXTRA));
        let valid = share_to_address(valid.collect()?, &self.address)?;
        self.valid.vstack_mut(&valid)?;
        Ok(())
    }

    fn into_loaded(self, files: Vec<InputFile>) -> Loaded {
        Loaded {
            kind: self.kind,
            files,
            valid: self.valid,
            rejects: self.rejects,
            rows_read: self.rows_read,
        }
    }
}

/// One compact frame for a file's kept batches: hundreds of small batch
/// frames each carry their own string buffers, which at 100M rows cost
/// more memory than the rows themselves.
fn merge_batches(batches: Vec<DataFrame>) -> Result<Option<DataFrame>> {
    let mut iter = batches.into_iter();
    let Some(mut merged) = iter.next() else {
        return Ok(None);
    };
    for b in iter {
        merged.vstack_mut(&b)?;
    }
    merged.rechunk_mut();
    Ok(Some(compact_strings(merged)?))
}

fn read_error(kind: InputKind, file: &InputFile, e: PolarsError) -> anyhow::Error {
    bad_input(format!("{} file {}: {e}", kind.name(), file.path.display()))
}

fn concat_frames(frames: Vec<DataFrame>, schema: Schema, kind: InputKind) -> Result<DataFrame> {
    let mut all = DataFrame::empty_with_schema(&schema);
    for df in &frames {
        anyhow::Context::with_context(all.vstack_mut(df), || {
            format!("stacking {} rows", kind.name())
        })?;
    }
    Ok(all.sort([FILE, ROW], SortMultipleOptions::default())?)
}

fn split_rejects(
    kind: InputKind,
    files: Vec<InputFile>,
    all: DataFrame,
    rows_read: Vec<u64>,
) -> Result<Loaded> {
    let rejected = all.column(REJECT_REASON)?.is_not_null();
    let rejects = all.filter(&rejected)?.select(REJECT_COLUMNS)?;
    let valid = all.filter(&!rejected)?;
    Ok(Loaded {
        kind,
        files,
        valid,
        rejects,
        rows_read,
    })
}

/// Copy string columns into fresh buffers. A filtered string column still
/// points into the whole batch's buffers; keeping 3% of the rows must not
/// keep 100% of the bytes alive.
pub(crate) fn compact_strings(df: DataFrame) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String => {
                let fresh: StringChunked = c.str()?.iter().collect();
                Ok(fresh.with_name(c.name().clone()).into_column())
            }
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(df.height(), columns)
}

/// What the streaming pass over one transfers file keeps and counts.
#[derive(Default)]
pub struct TransferSink {
    /// Rows seen (= rows read from the file).
    pub rows_read: u64,
    /// Rejected rows and valid rows whose `to_address` is a scam address.
    pub kept: Vec<DataFrame>,
}

impl TransferSink {
    /// Count a batch and keep its rejects and scam-bound rows.
    fn absorb(&mut self, batch: DataFrame) -> PolarsResult<()> {
        self.rows_read += batch.height() as u64;
        let keep = batch.column(REJECT_REASON)?.is_not_null() | batch.column(ATTR)?.is_not_null();
        if keep.any() {
            self.kept.push(compact_strings(batch.filter(&keep)?)?);
        }
        Ok(())
    }

    /// A plan callback feeding a shared sink (`sink_batches`).
    pub fn callback(sink: &Arc<Mutex<TransferSink>>) -> PlanCallback<DataFrame, bool> {
        let sink = Arc::clone(sink);
        PlanCallback::new(move |batch: DataFrame| {
            let mut guard = sink
                .lock()
                .map_err(|_| polars_err!(ComputeError: "transfer sink poisoned by a panic"))?;
            guard.absorb(batch)?;
            Ok(false) // never stop early
        })
    }
}

/// Rows of a frame per `_file` index (length `n_files`).
pub fn rows_per_file(df: &DataFrame, n_files: usize) -> Result<Vec<u64>> {
    let mut counts = vec![0u64; n_files];
    if df.height() == 0 {
        return Ok(counts);
    }
    for f in df.column(FILE)?.u32()?.iter().flatten() {
        if let Some(c) = counts.get_mut(f as usize) {
            *c += 1;
        }
    }
    Ok(counts)
}

impl Loaded {
    /// Per-file counts, given the duplicates dropped per file.
    pub fn counts(&self, duplicates: &[u64]) -> Result<Vec<FileCounts>> {
        let rejected = rows_per_file(&self.rejects, self.files.len())?;
        let mut out = Vec::new();
        for (i, file) in self.files.iter().enumerate() {
            let dup = duplicates.get(i).copied().unwrap_or(0);
            let read = self.rows_read[i];
            out.push(FileCounts {
                kind: self.kind,
                path: file.path.display().to_string(),
                format: file.format,
                bytes: file.bytes,
                sha256: file.sha256.clone(),
                mtime: file.mtime,
                rows_read: read,
                rows_accepted: read.saturating_sub(rejected[i] + dup),
                rows_rejected: rejected[i],
                duplicates_dropped: dup,
            });
        }
        Ok(out)
    }
}
