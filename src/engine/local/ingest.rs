//! Loading every input of a run in the local engine: reports and prices
//! collected and classified, the attribution table built, transfers streamed
//! (from exports or a store) with only rejects and scam-bound rows kept, then
//! de-duplicated (METHODOLOGY §2) and every row accounted for.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::engine::LoadSummary;
use crate::engine::local::days::{DayRange, day_number, day_range};
use crate::engine::local::load::{Loaded, load_small, load_transfers, rows_per_file};
use crate::engine::local::{dedupe, store_scan};
use crate::method::attribute::{attribute_addresses, classify_reports, reports_as_of};
use crate::method::pricing::{
    MAX_USD, daily_prices, usable_prices, usd_value, value_losses, with_prices,
};
use crate::method::taxonomy::Taxonomy;
use crate::model::{FileCounts, InputFile, InputKind, MethodParams, RegionLevel};
use crate::names::{FILE, REJECT_COLUMN, REJECT_REASON, REJECT_VALUE, ROW};
use crate::readers::inputs::{ResolvedInputs, TransferSource};

/// Every loaded input, with duplicates removed and rows accounted for.
pub struct Ingested {
    pub reports: Loaded,
    pub prices: Loaded,
    pub transfers: Loaded,
    /// Scam-bound valid transfers, one per identity (first by file, row).
    pub scam_transfers: DataFrame,
    /// The attribution table (METHODOLOGY §4).
    pub addresses: DataFrame,
    /// Classified reports known as of `--labels-as-of`.
    pub reports_used: DataFrame,
    pub counts: Vec<FileCounts>,
    /// Raw labels that matched no alias, with their report counts.
    pub unmatched_labels: BTreeMap<String, u64>,
}

/// The parameters that shape attribution (METHODOLOGY §4–5).
pub struct AttributionParams {
    pub region_level: RegionLevel,
    /// `--labels-as-of` as days since 1970-01-01.
    pub labels_as_of_day: Option<i64>,
    /// `--from`/`--to` as days: prunes partitions and row groups of a store
    /// (exports are always read whole: every row is validated and counted).
    pub transfer_days: DayRange,
    /// Keep every scam-bound row before de-duplication in
    /// `transfers.valid` (`revisions` re-attributes from it; `run` does not,
    /// and at 100M rows it is most of a gigabyte).
    pub keep_valid_transfers: bool,
}

impl AttributionParams {
    pub fn of(params: &MethodParams) -> Self {
        AttributionParams {
            region_level: params.region_level,
            labels_as_of_day: params.labels_as_of.map(day_number),
            transfer_days: day_range(params),
            keep_valid_transfers: false,
        }
    }
}

/// Load and validate every input (bad files fail; bad rows are counted).
pub fn ingest(inputs: &ResolvedInputs, params: &AttributionParams) -> Result<Ingested> {
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    crate::log::memory("starting");
    let small = |kind: InputKind, files: &[InputFile]| {
        load_small(
            kind,
            files.to_vec(),
            tmp.path(),
            inputs.mapping.of(kind),
            &inputs.tokens,
        )
    };
    let mut reports = small(InputKind::Reports, &inputs.reports)?;
    let prices = small(InputKind::Prices, &inputs.prices)?;
    value_reported_losses(&mut reports, &prices.valid)?;
    let taxonomy = &inputs.taxonomy;
    let classified = classify_reports(
        reports.valid.clone().lazy(),
        Arc::clone(taxonomy),
        params.region_level,
    );
    let classified = anyhow::Context::context(classified.collect(), "classifying reports")?;
    let unmatched_labels = unmatched_labels(&reports.valid, taxonomy)?;
    let reports_used = reports_as_of(classified.lazy(), params.labels_as_of_day).collect()?;
    let addresses = attribute_addresses(reports_used.clone().lazy(), taxonomy).collect()?;
    let mut transfers = match &inputs.transfers {
        TransferSource::Store { dir, sources } => {
            store_scan::load_from_store(dir, sources, &addresses, params.transfer_days)?
        }
        TransferSource::Files(files) => load_transfers(
            files.clone(),
            &addresses,
            tmp.path(),
            inputs.mapping.of(InputKind::Transfers),
            &inputs.tokens,
            inputs.max_reject_rate,
        )?,
    };
    crate::memory::release_free_pages();
    crate::memory::return_large_blocks_at_once();
    crate::log::memory("loading transfers");
    reject_implausible_values(&mut transfers, &prices.valid)?;
    let (scam_transfers, duplicates) =
        dedupe_transfers(&mut transfers, params.keep_valid_transfers)?;
    crate::memory::release_free_pages();
    crate::log::memory(&format!(
        "de-duplicating ({} MB)",
        scam_transfers.estimated_size() >> 20
    ));
    let price_dups = price_duplicates(&prices)?;
    let mut counts = reports.counts(&[])?;
    counts.extend(prices.counts(&price_dups)?);
    counts.extend(transfers.counts(&duplicates)?);
    Ok(Ingested {
        reports,
        prices,
        transfers,
        scam_transfers,
        addresses,
        reports_used,
        counts,
        unmatched_labels,
    })
}

/// What the executor sees after loading. The per-kind rejects move into the
/// one rejects table (they are not needed apart again).
pub fn summarise(ingested: &mut Ingested) -> Result<LoadSummary> {
    let rejects = rejects_table(ingested)?;
    for loaded in [
        &mut ingested.prices,
        &mut ingested.reports,
        &mut ingested.transfers,
    ] {
        loaded.rejects = loaded.rejects.clear();
    }
    let days = ingested.reports_used.column("reported_day")?.i64()?;
    Ok(LoadSummary {
        counts: ingested.counts.clone(),
        rejects,
        unmatched_labels: ingested.unmatched_labels.clone(),
        scam_addresses: ingested.addresses.height(),
        reported_days: (days.min(), days.max()),
    })
}

/// Losses reported in an asset, valued at the report day's price; a value
/// above [`MAX_USD`] is rejected (`implausible_usd` on `loss_amount`).
fn value_reported_losses(reports: &mut Loaded, prices: &DataFrame) -> Result<()> {
    let daily = daily_prices(usable_prices(prices.clone().lazy()));
    let valued = value_losses(reports.valid.clone().lazy(), daily).collect()?;
    let implausible = valued.column("loss_valued")?.bool()?.clone()
        & valued.column("loss_usd")?.f64()?.gt(MAX_USD);
    if implausible.any() {
        let rejects = valued
            .filter(&implausible)?
            .lazy()
            .select([
                col(FILE),
                col(ROW),
                lit("implausible_usd").alias(REJECT_REASON),
                lit("loss_amount").alias(REJECT_COLUMN),
                (col("loss_usd").cast(DataType::String) + lit(" USD")).alias(REJECT_VALUE),
            ])
            .collect()?;
        reports.rejects.vstack_mut(&rejects)?;
        reports.rejects = reports
            .rejects
            .sort([FILE, ROW], SortMultipleOptions::default())?;
    }
    reports.valid = valued.filter(&!implausible)?.drop("loss_valued")?;
    Ok(())
}

/// Scam-bound transfers whose USD value (given, or amount × the day's
/// price) is above [`MAX_USD`] become rejects (`implausible_usd` on
/// `amount`): such a value cannot be real, and it must never be saturated
/// into a sum. A chunk group at a time; the rows found are few.
fn reject_implausible_values(transfers: &mut Loaded, prices: &DataFrame) -> Result<()> {
    let daily = daily_prices(usable_prices(prices.clone().lazy())).collect()?;
    let mut found: Vec<DataFrame> = Vec::new();
    for group in dedupe::chunk_groups(transfers.valid.clone(), GROUP_ROWS) {
        let slim = group.lazy().select([
            col(FILE),
            col(ROW),
            col("asset"),
            col("block_time").floor_div(lit(86_400i64)).alias("day"),
            col("amount"),
            col("amount_usd"),
        ]);
        let hits = with_prices(slim, daily.clone().lazy())
            .with_column(usd_value().alias("usd"))
            .filter(col("usd").gt(lit(MAX_USD)))
            .select([col(FILE), col(ROW), col("usd")])
            .collect()?;
        if hits.height() > 0 {
            found.push(hits);
        }
    }
    let mut found = found.into_iter();
    let Some(mut hits) = found.next() else {
        return Ok(());
    };
    for more in found {
        hits.vstack_mut(&more)?;
    }
    let rows: HashSet<(u32, i64)> = hits
        .column(FILE)?
        .u32()?
        .iter()
        .zip(hits.column(ROW)?.i64()?.iter())
        .filter_map(|(f, r)| Some((f?, r?)))
        .collect();
    let keep: BooleanChunked = transfers
        .valid
        .column(FILE)?
        .u32()?
        .iter()
        .zip(transfers.valid.column(ROW)?.i64()?.iter())
        .map(|(f, r)| Some(!matches!((f, r), (Some(f), Some(r)) if rows.contains(&(f, r)))))
        .collect();
    transfers.valid = transfers.valid.filter(&keep)?;
    let rejects = hits
        .lazy()
        .select([
            col(FILE),
            col(ROW),
            lit("implausible_usd").alias(REJECT_REASON),
            lit("amount").alias(REJECT_COLUMN),
            (col("usd").cast(DataType::String) + lit(" USD")).alias(REJECT_VALUE),
        ])
        .collect()?;
    transfers.rejects.vstack_mut(&rejects)?;
    Ok(())
}

/// METHODOLOGY §2: among scam-bound transfers keep one per
/// `(chain, tx_hash, transfer_index)`, the first by file then row. Takes the
/// rows out of `transfers.valid` unless `keep` is set.
fn dedupe_transfers(transfers: &mut Loaded, keep: bool) -> Result<(DataFrame, Vec<u64>)> {
    let valid = if keep {
        transfers.valid.clone()
    } else {
        std::mem::take(&mut transfers.valid)
    };
    first_per_identity(valid, transfers.files.len())
}

/// Rows per chunk group when a stage transforms scam-bound rows a group at a time.
pub const GROUP_ROWS: usize = 1 << 19;

/// One row per `(chain, tx_hash, transfer_index)`, the first by file then
/// row (a null `transfer_index` is 0), and the duplicates dropped per file.
/// Filtered a chunk group at a time, so the input is freed as the output grows.
pub fn first_per_identity(valid: DataFrame, n_files: usize) -> Result<(DataFrame, Vec<u64>)> {
    let (first, duplicates) = dedupe::first_of_identity(&valid, n_files)?;
    let mut offset = 0usize;
    let kept = dedupe::map_groups(valid, GROUP_ROWS, |group| {
        let mask = first.slice(offset as i64, group.height());
        offset += group.height();
        Ok(group
            .filter(&mask)?
            .lazy()
            .with_column(col("transfer_index").fill_null(lit(0i64)))
            .collect()?)
    })?;
    Ok((kept, duplicates))
}

/// Usable price rows that repeat an `(asset, day)` already priced earlier.
fn price_duplicates(prices: &Loaded) -> Result<Vec<u64>> {
    let n = prices.files.len();
    let usable_all = prices
        .valid
        .clone()
        .lazy()
        .filter(
            col("price_usd")
                .gt(lit(0.0))
                .and(col("price_usd").is_finite()),
        )
        .collect()?;
    let kept = usable_prices(prices.valid.clone().lazy()).collect()?;
    let (all, kept) = (rows_per_file(&usable_all, n)?, rows_per_file(&kept, n)?);
    Ok(all.iter().zip(&kept).map(|(a, k)| a - k).collect())
}

fn unmatched_labels(reports: &DataFrame, taxonomy: &Taxonomy) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for label in reports.column("scam_type")?.str()?.iter().flatten() {
        if !taxonomy.classify(label).1 {
            *out.entry(label.to_string()).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// `rejects.parquet`: `input, file, row, reason, column, value`, sorted.
fn rejects_table(ingested: &Ingested) -> Result<DataFrame> {
    let mut frames = Vec::new();
    for loaded in [&ingested.prices, &ingested.reports, &ingested.transfers] {
        let paths: Vec<String> = loaded
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        let file = col(FILE).map(
            move |c| {
                let out: StringChunked = c
                    .u32()?
                    .iter()
                    .map(|i| i.and_then(|i| paths.get(i as usize).cloned()))
                    .collect();
                Ok(out.with_name(c.name().clone()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
        );
        frames.push(loaded.rejects.clone().lazy().select([
            lit(loaded.kind.name()).alias("input"),
            file.alias("file"),
            col(ROW).alias("row"),
            col("reject_reason").alias("reason"),
            col("reject_column").alias("column"),
            col("reject_value").alias("value"),
        ]));
    }
    Ok(concat(frames, UnionArgs::default())?
        .sort(["input", "file", "row"], SortMultipleOptions::default())
        .collect()?)
}
