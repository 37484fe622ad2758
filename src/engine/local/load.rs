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

use crate::engine::local::prefilter;
use crate::engine::local::scam_index::{ScamIndex, address_column, share_to_address};
use crate::error::{ScamError, bad_input};
use crate::model::{FileCounts, FileFormat, InputFile, InputKind};
use crate::names::{ATTR, FILE, REJECT_COLUMNS, REJECT_REASON, ROW};
use crate::readers::convert::{Readable, readable};
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
        let readable = readable(file, kind, tmp, tokens)?;
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
/// With `max_reject_rate`, reading stops (exit 4) as soon as more rows were
/// rejected than that share of all the export's rows allows: a wrong layout
/// or timestamp format fails after a few percent of the export, not after
/// holding all of it as rejects.
pub fn load_transfers(
    files: Vec<InputFile>,
    addresses: &DataFrame,
    tmp: &Path,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
    max_reject_rate: Option<f64>,
) -> Result<Loaded> {
    let kind = InputKind::Transfers;
    let mut parts = FileParts::new(kind, address_column(addresses)?);
    let index = ScamIndex::new(addresses)?;
    let readables = files
        .iter()
        .map(|f| readable(f, kind, tmp, tokens))
        .collect::<Result<Vec<_>>>()?;
    let budget = reject_budget(&files, &readables, max_reject_rate)?;
    let keys = Arc::new(prefilter::ScamKeys::new(addresses)?);
    let spill = Spill::new(tmp);
    let bar = crate::log::progress(files.iter().map(|f| f.bytes).sum(), "streaming transfers");
    std::thread::scope(|scope| -> Result<()> {
        // The fast pass over the next file runs while this one is planned
        // (bounded: one finished and one in progress).
        let (ahead, reductions) = std::sync::mpsc::sync_channel(1);
        let (to_reduce, keys) = (files.iter().zip(&readables), &keys);
        scope.spawn(move || {
            for (file, readable) in to_reduce {
                let reduced = prefilter::reduce(readable, mapping, keys, tmp, &file.sha256);
                if ahead.send(reduced).is_err() {
                    break; // the load stopped
                }
            }
        });
        for (i, (file, readable)) in files.iter().zip(&readables).enumerate() {
            let reduced = reductions.recv().map_err(|_| {
                anyhow::anyhow!("the fast pass over {} stopped", file.path.display())
            })??;
            let sink = Arc::new(Mutex::new(TransferSink {
                budget: budget.map(|b| Budget {
                    rejected_before: parts.rejected,
                    read_before: parts.rows_read.iter().sum(),
                    ..b
                }),
                spill: spill.clone(),
                ..TransferSink::default()
            }));
            let scanned = reduced.as_ref().map_or(readable, |r| &r.readable);
            let plan = validated_frame(kind, file, scanned, i, mapping, tokens)?
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
            if let Some(r) = &reduced {
                // the rows left out were read (and valid): count them
                crate::log::memory(&format!(
                    "reading {} (the fast pass kept {} of {} rows)",
                    file.path.display(),
                    done.rows_read,
                    r.rows
                ));
                done.rows_read = r.rows;
            }
            if let (true, Some(b)) = (done.over_budget, budget) {
                return Err(early_stop(
                    &parts,
                    &done,
                    file,
                    b,
                    max_reject_rate.unwrap_or(0.0),
                ));
            }
            parts.add_file(&mut done)?;
            crate::memory::release_free_pages();
            if let Some(bar) = &bar {
                bar.inc(file.bytes);
            }
        }
        Ok(())
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    parts.into_loaded(files)
}

/// The rejects `--max-reject-rate` allows over a whole export.
#[derive(Debug, Clone, Copy, Default)]
struct Budget {
    /// Rows rejected beyond this many fail the run.
    allowed: u64,
    /// Rows of the whole export.
    total_rows: u64,
    /// Rows rejected and read in the files before this one.
    rejected_before: u64,
    read_before: u64,
}

/// How many rejected rows `max_reject_rate` allows over the whole export,
/// when every file's row count is known before reading it (CSV from the
/// read that hashed or decompressed it, Parquet from its metadata).
fn reject_budget(
    files: &[InputFile],
    readables: &[Readable],
    max_reject_rate: Option<f64>,
) -> Result<Option<Budget>> {
    let Some(rate) = max_reject_rate else {
        return Ok(None);
    };
    let mut total = 0u64;
    for (file, readable) in files.iter().zip(readables) {
        let rows = match (&readable.shape, readable.rows, file.format) {
            (Some(shape), _, _) => shape.rows,
            (None, Some(rows), _) => rows,
            (None, None, FileFormat::Parquet) => {
                let f = std::fs::File::open(&readable.path)?;
                ParquetReader::new(f)
                    .num_rows()
                    .map_err(|e| read_error(InputKind::Transfers, file, e))? as u64
            }
            _ => return Ok(None),
        };
        total += rows;
    }
    Ok(Some(Budget {
        allowed: (rate * total as f64).floor() as u64,
        total_rows: total,
        ..Budget::default()
    }))
}

/// The error of a read stopped once the reject rate was certain to be
/// above the limit.
fn early_stop(
    parts: &FileParts,
    done: &TransferSink,
    file: &InputFile,
    budget: Budget,
    rate: f64,
) -> anyhow::Error {
    let rejected = parts.rejected + done.rejected;
    let mut top: Vec<(&String, &u64)> = done.reasons.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = top
        .iter()
        .take(3)
        .map(|(r, n)| format!("{r} ({n})"))
        .collect();
    ScamError::RejectRate(format!(
        "transfers: at least {rejected} of {} rows rejected ({:.1}% or more), above --max-reject-rate {rate}; stopped reading at row {} of {} (top reasons: {})",
        budget.total_rows,
        100.0 * rejected as f64 / budget.total_rows.max(1) as f64,
        done.last_row,
        file.path.display(),
        top.join(", ")
    ))
    .into()
}

/// Rejected rows beyond this many in memory go to a temporary Parquet file.
const SPILL_ROWS: usize = 1 << 20;

/// Where rejected rows go when there are many: temporary Parquet files,
/// read back once the transfers are loaded.
#[derive(Clone, Default)]
struct Spill {
    dir: std::path::PathBuf,
    count: Arc<std::sync::atomic::AtomicUsize>,
}

impl Spill {
    fn new(dir: &Path) -> Spill {
        Spill {
            dir: dir.to_path_buf(),
            count: Arc::default(),
        }
    }

    /// Write `df` out; returns its path.
    fn write(&self, mut df: DataFrame) -> PolarsResult<std::path::PathBuf> {
        let n = self
            .count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.dir.join(format!("rejects-{n:06}.parquet"));
        let file = std::fs::File::create(&path)?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Lz4Raw)
            .finish(&mut df)?;
        Ok(path)
    }
}

/// Valid rows and rejects of a transfers export, file by file. Valid rows
/// are sorted by row and stacked as each file finishes, so the whole is in
/// `(_file, _row)` order without a global sort (and without a second copy)
/// and do not carry the three reject columns; rejects are kept apart, as
/// frames or spilled files (their order does not matter: the rejects table
/// is sorted).
struct FileParts {
    kind: InputKind,
    valid: DataFrame,
    rejects: Vec<DataFrame>,
    spilled: Vec<std::path::PathBuf>,
    rejected: u64,
    rows_read: Vec<u64>,
    /// The attribution table's addresses, which valid rows' `to_address` share.
    address: StringChunked,
}

impl FileParts {
    fn new(kind: InputKind, address: StringChunked) -> Self {
        FileParts {
            kind,
            valid: DataFrame::empty_with_schema(&valid_schema(kind, &TRANSFER_EXTRA)),
            rejects: Vec::new(),
            spilled: Vec::new(),
            rejected: 0,
            rows_read: Vec::new(),
            address,
        }
    }

    fn add_file(&mut self, done: &mut TransferSink) -> Result<()> {
        self.rows_read.push(done.rows_read);
        self.rejected += done.rejected;
        self.rejects.append(&mut done.rejects);
        self.spilled.append(&mut done.spilled);
        let Some(kept) = merge_batches(std::mem::take(&mut done.kept))? else {
            return Ok(());
        };
        let kept = kept.sort([ROW], SortMultipleOptions::default())?;
        let valid = kept
            .lazy()
            .select(valid_columns(self.kind, &TRANSFER_EXTRA));
        let valid = share_to_address(valid.collect()?, &self.address)?;
        self.valid.vstack_mut(&valid)?;
        Ok(())
    }

    fn into_loaded(self, files: Vec<InputFile>) -> Result<Loaded> {
        let schema = kept_schema(self.kind, &TRANSFER_EXTRA);
        let mut rejects = DataFrame::empty_with_schema(&schema).select(REJECT_COLUMNS)?;
        for path in &self.spilled {
            let f = std::fs::File::open(path)?;
            rejects.vstack_mut(&ParquetReader::new(f).finish()?)?;
            std::fs::remove_file(path)?;
        }
        for part in &self.rejects {
            rejects.vstack_mut(part)?;
        }
        rejects.rechunk_mut();
        Ok(Loaded {
            kind: self.kind,
            files,
            valid: self.valid,
            rejects,
            rows_read: self.rows_read,
        })
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
    /// The highest row number seen (where an early stop stopped).
    last_row: u64,
    /// Valid rows whose `to_address` is a scam address.
    kept: Vec<DataFrame>,
    /// Rejected rows (`REJECT_COLUMNS` only), in memory and spilled.
    rejects: Vec<DataFrame>,
    rejects_rows: usize,
    spilled: Vec<std::path::PathBuf>,
    spill: Spill,
    /// Rows rejected in this file, and per reason.
    rejected: u64,
    reasons: std::collections::BTreeMap<String, u64>,
    /// What `--max-reject-rate` allows, and what earlier files used.
    budget: Option<Budget>,
    /// More rows were rejected than the budget allows: stop reading.
    over_budget: bool,
}

impl TransferSink {
    /// Count a batch and keep its rejects and scam-bound rows; true when
    /// reading should stop.
    fn absorb(&mut self, batch: DataFrame) -> PolarsResult<bool> {
        self.rows_read += batch.height() as u64;
        if let Some(last) = batch.column(ROW)?.i64()?.max() {
            self.last_row = self.last_row.max(last.max(0) as u64);
        }
        let rejected = batch.column(REJECT_REASON)?.is_not_null();
        let scam_bound = batch.column(ATTR)?.is_not_null() & !rejected.clone();
        if scam_bound.any() {
            self.kept.push(compact_strings(batch.filter(&scam_bound)?)?);
        }
        let n = rejected.sum().unwrap_or(0) as u64;
        if n > 0 {
            let rows = batch.filter(&rejected)?.select(REJECT_COLUMNS)?;
            self.count_reasons(&rows)?;
            self.keep_rejects(compact_strings(rows)?)?;
            self.rejected += n;
        }
        // stop only where it saves reading: with rows still to come (after
        // a fast pass the sink sees only some rows: their numbers say how
        // far the read has got)
        if let Some(b) = self.budget
            && b.rejected_before + self.rejected > b.allowed
            && b.read_before + self.rows_read.max(self.last_row) < b.total_rows
        {
            self.over_budget = true;
        }
        Ok(self.over_budget)
    }

    fn count_reasons(&mut self, rows: &DataFrame) -> PolarsResult<()> {
        let reasons = rows.column(REJECT_REASON)?.str()?;
        let columns = rows.column(crate::names::REJECT_COLUMN)?.str()?;
        for (r, c) in reasons.iter().zip(columns.iter()) {
            let key = format!("{} on {}", r.unwrap_or("?"), c.unwrap_or("?"));
            *self.reasons.entry(key).or_insert(0) += 1;
        }
        Ok(())
    }

    fn keep_rejects(&mut self, rows: DataFrame) -> PolarsResult<()> {
        self.rejects_rows += rows.height();
        self.rejects.push(rows);
        if self.rejects_rows >= SPILL_ROWS {
            let mut all = std::mem::take(&mut self.rejects).into_iter();
            let mut merged = all.next().unwrap_or_default();
            for more in all {
                merged.vstack_mut(&more)?;
            }
            self.spilled.push(self.spill.write(merged)?);
            self.rejects_rows = 0;
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
            guard.absorb(batch) // true stops the stream early
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
