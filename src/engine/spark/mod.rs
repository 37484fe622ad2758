//! The Spark Connect engine (`--engine spark`): METHODOLOGY v1 runs on a
//! Spark Connect server (Sail, or Apache Spark 4 on a cluster) as the SQL
//! of `sql/`; the exact results come back as Arrow and the tables are
//! derived from them by the code the local engine uses (`method::measure`),
//! so the published files are byte-identical to the local engine's.
//!
//! A run reads top to bottom: register the input files (`load`), type and
//! check them and map the labels and countries through the taxonomy and
//! region table (`shape`), summarise what was loaded (`summary`), then
//! collect and finish the tables (`tables.rs`). A store's transfers
//! (`store.rs`) and URI inputs (`remote.rs`) reach the same views.

pub mod canonical;
pub mod frames;
mod register;
pub mod remote;
pub mod session;
pub mod sql;
pub mod staging;
pub mod store;
mod tables;

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::engine::spark::frames::{Want, to_frame, to_frame_as_is};
use crate::engine::spark::register::register_file;
use crate::engine::spark::session::Server;
use crate::engine::spark::sql::{FIELD_COUNT, IMPLAUSIBLE_AMOUNT, IMPLAUSIBLE_LOSS, Shape};
use crate::engine::spark::staging::Staging;
use crate::engine::spark::store::StoreInput;
use crate::engine::{AfterLoad, Computed, Engine, LoadSummary, TableSource};
use crate::error::engine_error;
use crate::method::measure::{revision_rows, revisions_table};
use crate::method::regions::region_of;
use crate::method::validate::rule_specs;
use crate::model::{FileCounts, InputFile, InputKind, MethodParams, Period, RegionLevel};
use crate::names::REJECTS;
use crate::readers::inputs::{ResolvedInputs, TransferSource};
use crate::readers::sources::RemoteFiles;

/// The engine, pointed at one server.
#[derive(Debug, Clone)]
pub struct SparkEngine {
    /// `sc://HOST:PORT`.
    pub remote: String,
    /// Print the SQL as it is sent.
    pub explain: bool,
    /// `--spark-staging`: where the server materialises the scam-bound rows.
    pub staging: Option<String>,
}

/// The kinds in the order the manifest lists their files.
const KINDS: [InputKind; 3] = [InputKind::Reports, InputKind::Prices, InputKind::Transfers];

/// A loaded run on the server: its views exist, the summary is known.
struct Loaded<'a> {
    server: Server,
    inputs: &'a ResolvedInputs,
    shape: Shape,
    unmatched: BTreeMap<String, u64>,
    staging: Option<Staging>,
    /// `--store`: the store's exports, rows read and rejects.
    store: Option<StoreInput>,
}

impl Engine for SparkEngine {
    fn name(&self) -> &'static str {
        "spark"
    }

    fn remote(&self) -> Option<String> {
        Some(self.remote.clone())
    }

    fn remote_files(&self) -> Option<&dyn RemoteFiles> {
        Some(self)
    }

    fn validate(&self, inputs: &ResolvedInputs) -> Result<LoadSummary> {
        let params = MethodParams {
            period: Period::Quarter,
            region_level: RegionLevel::Subregion,
            labels_as_of: None,
            from: None,
            to: None,
        };
        let loaded = self.load(inputs, &params)?;
        loaded.summary()
    }

    fn run(
        &self,
        inputs: &ResolvedInputs,
        params: &MethodParams,
        after_load: AfterLoad,
    ) -> Result<Computed> {
        let loaded = self.load(inputs, params)?;
        let summary = loaded.summary()?;
        after_load(&summary)?;
        let mut tables = loaded.tables(params.period)?;
        tables.push((REJECTS, summary.rejects.clone()));
        Ok(Computed { summary, tables })
    }

    fn revisions(
        &self,
        inputs: &ResolvedInputs,
        params: &MethodParams,
        dates: &[NaiveDate],
        after_load: AfterLoad,
    ) -> Result<(LoadSummary, DataFrame)> {
        let mut loaded = self.load(inputs, params)?;
        let summary = loaded.summary()?;
        after_load(&summary)?;
        let mut frames = Vec::new();
        for date in dates {
            loaded.shape.labels_as_of_day = Some(day_number(*date));
            loaded.create_views(false)?;
            let addresses = loaded.count("SELECT COUNT(*) AS n FROM addresses")?;
            let total = loaded.revenue_total(params.period)?;
            crate::log::info(format!("labels as of {date}: {addresses} scam addresses"));
            frames.push(revision_rows(total, *date, addresses));
        }
        let table = revisions_table(frames)?;
        Ok((summary, table))
    }

    fn query(&self, tables: &[(String, TableSource)], sql: &str) -> Result<DataFrame> {
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        crate::readers::sql::check_query(sql, &names)?;
        let server = Server::connect(&self.remote, self.explain)?;
        for (name, source) in tables {
            let TableSource::Parquet(path) = source else {
                return Err(engine_error(format!(
                    "table {name}: --engine spark queries published tables (a run directory), not tables in memory"
                )));
            };
            server.register(name, path, crate::model::FileFormat::Parquet)?;
        }
        to_frame_as_is(&server.collect("the query", sql)?)
    }
}

fn day_number(date: NaiveDate) -> i64 {
    crate::engine::local::days::day_number(date)
}

impl SparkEngine {
    /// Connect, register every input and create the views up to the
    /// attribution.
    fn load<'a>(&self, inputs: &'a ResolvedInputs, params: &MethodParams) -> Result<Loaded<'a>> {
        let files = canonical_files(inputs)?;
        let days = crate::engine::local::days::day_range(params);
        let store = match &inputs.transfers {
            TransferSource::Store { dir, sources } => Some(StoreInput::open(dir, sources, days)?),
            TransferSource::Files(_) => None,
        };
        let server = Server::connect(&self.remote, self.explain)?;
        crate::log::info(format!(
            "engine spark: {} (Spark {})",
            server.remote, server.version
        ));
        let staging = Staging::choose(self.staging.as_deref(), &self.remote)?;
        let mut views = Vec::new();
        for kind in KINDS {
            let mut of_kind = Vec::new();
            for (i, file) in files_of(&files, kind).iter().enumerate() {
                of_kind.push(register_file(
                    &server,
                    file,
                    kind,
                    i,
                    inputs,
                    staging.as_ref(),
                )?);
            }
            views.push((kind, of_kind));
        }
        let (from, to) = days;
        let mut loaded = Loaded {
            server,
            inputs,
            shape: Shape {
                period: params.period,
                labels_as_of_day: params.labels_as_of.map(day_number),
                days: (from, to),
                types: inputs.taxonomy.types().to_vec(),
                labels: Vec::new(),
                countries: Vec::new(),
            },
            unmatched: BTreeMap::new(),
            staging,
            store,
        };
        let script = sql::views(&views, &loaded.shape);
        // the views up to the valued reports do not depend on the label map
        for (name, select) in script.iter().take(6) {
            loaded.server.create_view(name, select)?;
        }
        if let Some(store) = &loaded.store {
            store.stage(&loaded.server, loaded.staging.as_ref())?;
        }
        loaded.map_labels(params.region_level)?;
        loaded.create_views(true)?;
        Ok(loaded)
    }
}

/// The files of each kind the server reads as they are (a store's
/// transfers are read by `store.rs`).
fn canonical_files(inputs: &ResolvedInputs) -> Result<Vec<(InputKind, &InputFile)>> {
    let transfers = match &inputs.transfers {
        TransferSource::Files(files) => files.as_slice(),
        TransferSource::Store { .. } => &[],
    };
    let mut out = Vec::new();
    for (kind, files) in [
        (InputKind::Reports, inputs.reports.as_slice()),
        (InputKind::Prices, inputs.prices.as_slice()),
        (InputKind::Transfers, transfers),
    ] {
        out.extend(files.iter().map(|f| (kind, f)));
    }
    Ok(out)
}

fn files_of<'a>(files: &[(InputKind, &'a InputFile)], kind: InputKind) -> Vec<&'a InputFile> {
    files
        .iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, f)| *f)
        .collect()
}

impl Loaded<'_> {
    /// Map the distinct raw labels and countries of the kept reports on the
    /// client, with the taxonomy and region table every engine shares.
    fn map_labels(&mut self, level: RegionLevel) -> Result<()> {
        let labels = to_frame(
            &self
                .server
                .collect("reading the labels", &sql::labels_query())?,
            &[("scam_type", Want::Text), ("n", Want::Int)],
        )?;
        let taxonomy = &self.inputs.taxonomy;
        let raw = labels.column("scam_type")?.str()?;
        let n = labels.column("n")?.i64()?;
        for (label, count) in raw.iter().zip(n.iter()) {
            let Some(label) = label else { continue };
            let (canonical, matched) = taxonomy.classify(label);
            if !matched {
                *self.unmatched.entry(label.to_string()).or_insert(0) += count.unwrap_or(0) as u64;
            }
            self.shape
                .labels
                .push((label.to_string(), canonical.to_string()));
        }
        let countries = to_frame(
            &self
                .server
                .collect("reading the countries", &sql::countries_query())?,
            &[("country", Want::Text)],
        )?;
        for country in countries.column("country")?.str()?.iter().flatten() {
            let code = (!country.is_empty()).then_some(country);
            let region = region_of(code, level);
            self.shape
                .countries
                .push((country.to_string(), region.to_string()));
        }
        self.shape.labels.sort();
        self.shape.countries.sort();
        Ok(())
    }

    /// Create the views from the label map on (or every view from the
    /// reports used on, for another label vintage).
    fn create_views(&self, with_maps: bool) -> Result<()> {
        let script = sql::views(&[], &self.shape);
        let first = match with_maps {
            true => "label_map",
            false => "reports_used",
        };
        let start = script.iter().position(|(n, _)| n == first).unwrap_or(0);
        for (name, select) in &script[start..] {
            self.server.create_view(name, select)?;
            if name == sql::MATERIALIZED
                && let Some(staging) = &self.staging
            {
                self.server.materialize(name, &staging.next(name))?;
            }
        }
        Ok(())
    }

    fn count(&self, query: &str) -> Result<i64> {
        let df = to_frame(
            &self.server.collect("counting", query)?,
            &[("n", Want::Int)],
        )?;
        Ok(df.column("n")?.i64()?.get(0).unwrap_or(0))
    }

    /// Rows per file, rejects and the reports' span: the load summary.
    fn summary(&self) -> Result<LoadSummary> {
        let rejects = self.rejects()?;
        let counts = self.counts(&rejects)?;
        let days = to_frame(
            &self.server.collect("summarising", sql::REPORTED_DAYS)?,
            &[("first_day", Want::Int), ("last_day", Want::Int)],
        )?;
        let scam_addresses = self.count("SELECT COUNT(*) AS n FROM addresses")? as usize;
        Ok(LoadSummary {
            counts,
            rejects,
            unmatched_labels: self.unmatched.clone(),
            scam_addresses,
            reported_days: (
                days.column("first_day")?.i64()?.get(0),
                days.column("last_day")?.i64()?.get(0),
            ),
        })
    }

    fn files(&self, kind: InputKind) -> Vec<&InputFile> {
        match kind {
            InputKind::Reports => self.inputs.reports.iter().collect(),
            InputKind::Prices => self.inputs.prices.iter().collect(),
            InputKind::Transfers => match (&self.inputs.transfers, &self.store) {
                (_, Some(store)) => store.files.iter().collect(),
                (TransferSource::Files(files), None) => files.iter().collect(),
                (TransferSource::Store { .. }, None) => Vec::new(),
            },
        }
    }

    /// `rejects`: `input, file, row, reason, column, value`, sorted, as
    /// the local engine writes it.
    fn rejects(&self) -> Result<DataFrame> {
        let raw = to_frame(
            &self
                .server
                .collect("collecting the rejects", &sql::rejects_query())?,
            &[
                ("input", Want::Text),
                ("_file", Want::Int),
                ("_row", Want::Int),
                ("_rule", Want::Int),
                ("value", Want::Text),
                ("f64", Want::Float),
                ("f32", Want::Float),
                ("usd", Want::Float),
            ],
        )?;
        let (mut files, mut reasons, mut columns) = (Vec::new(), Vec::new(), Vec::new());
        let inputs = raw.column("input")?.str()?;
        let file_no = raw.column("_file")?.i64()?;
        let rules = raw.column("_rule")?.i64()?;
        for i in 0..raw.height() {
            let kind = kind_named(inputs.get(i).unwrap_or(""))?;
            let path = usize::try_from(file_no.get(i).unwrap_or(-1))
                .ok()
                .and_then(|f| {
                    self.files(kind)
                        .get(f)
                        .map(|f| f.path.display().to_string())
                });
            files.push(path);
            let (reason, column) = match rules.get(i).unwrap_or(i64::MIN) {
                IMPLAUSIBLE_LOSS => ("implausible_usd", "loss_amount"),
                IMPLAUSIBLE_AMOUNT => ("implausible_usd", "amount"),
                FIELD_COUNT => ("field_count", "row"),
                k => {
                    let specs = rule_specs(kind);
                    let rule = usize::try_from(k)
                        .ok()
                        .and_then(|k| specs.get(k).copied())
                        .ok_or_else(|| {
                            anyhow::anyhow!("the server returned rule {k} for {kind:?}")
                        })?;
                    (rule.reason, rule.column)
                }
            };
            reasons.push(reason);
            columns.push(column);
        }
        let usd_text = (col("usd").cast(DataType::String) + lit(" USD")).alias("usd_text");
        // a file's float, spelled as the local reader spells its raw text
        let float_text = col("f64")
            .cast(DataType::String)
            .fill_null(col("f32").cast(DataType::Float32).cast(DataType::String));
        let on_server = raw
            .lazy()
            .with_columns([
                lit(Series::new("file".into(), files)),
                lit(Series::new("reason".into(), reasons)),
                lit(Series::new("column".into(), columns)),
                usd_text,
            ])
            .select([
                col("input"),
                col("file"),
                col("_row").alias("row"),
                col("reason"),
                col("column"),
                float_text
                    .fill_null(col("value"))
                    .fill_null(col("usd_text"))
                    .alias("value"),
            ]);
        let mut all = vec![on_server];
        if let Some(store) = &self.store {
            all.push(store.rejects.clone().lazy());
        }
        Ok(concat(all, UnionArgs::default())?
            .sort(["input", "file", "row"], SortMultipleOptions::default())
            .collect()?)
    }

    /// Row accounting per input file, in the manifest's order.
    fn counts(&self, rejects: &DataFrame) -> Result<Vec<FileCounts>> {
        let raw = to_frame(
            &self.server.collect("counting rows", &sql::counts_query())?,
            &[
                ("input", Want::Text),
                ("_file", Want::Int),
                ("rows_read", Want::Int),
                ("duplicates", Want::Int),
            ],
        )?;
        let mut per: BTreeMap<(String, i64), (u64, u64)> = BTreeMap::new();
        let input = raw.column("input")?.str()?;
        let file = raw.column("_file")?.i64()?;
        let read = raw.column("rows_read")?.i64()?;
        let dups = raw.column("duplicates")?.i64()?;
        for i in 0..raw.height() {
            let key = (
                input.get(i).unwrap_or("").to_string(),
                file.get(i).unwrap_or(-1),
            );
            let entry = per.entry(key).or_insert((0, 0));
            entry.0 += read.get(i).unwrap_or(0) as u64;
            entry.1 += dups.get(i).unwrap_or(0) as u64;
        }
        let mut rejected: BTreeMap<(String, String), u64> = BTreeMap::new();
        let r_input = rejects.column("input")?.str()?;
        let r_file = rejects.column("file")?.str()?;
        for (i, f) in r_input.iter().zip(r_file.iter()) {
            let key = (i.unwrap_or("").to_string(), f.unwrap_or("").to_string());
            *rejected.entry(key).or_insert(0) += 1;
        }
        let mut out = Vec::new();
        for kind in KINDS {
            for (i, f) in self.files(kind).iter().enumerate() {
                let path = f.path.display().to_string();
                let (mut read, dup) = per
                    .get(&(kind.name().to_string(), i as i64))
                    .copied()
                    .unwrap_or((0, 0));
                if let (InputKind::Transfers, Some(store)) = (kind, &self.store) {
                    // the server saw only the scam-bound rows
                    read = store.rows_read[i];
                }
                let rej = rejected
                    .get(&(kind.name().to_string(), path.clone()))
                    .copied()
                    .unwrap_or(0);
                out.push(FileCounts {
                    kind,
                    path,
                    format: f.format,
                    bytes: f.bytes,
                    sha256: f.sha256.clone(),
                    mtime: f.mtime,
                    rows_read: read,
                    rows_accepted: read.saturating_sub(rej + dup),
                    rows_rejected: rej,
                    duplicates_dropped: dup,
                });
            }
        }
        Ok(out)
    }
}

fn kind_named(name: &str) -> Result<InputKind> {
    KINDS
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| anyhow::anyhow!("the server returned an unknown input {name:?}"))
}
