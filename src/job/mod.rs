//! The job executor: resolve the inputs → an engine computes the tables →
//! the publisher writes them. Used by `run` (exports or a store), `verify`'s
//! re-run and `revisions`; owns the run log's content and the order in which
//! a run may stop (lock, `--if-changed`, the after-load checks).

pub mod definition;
pub mod unchanged;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::engine::{Engine, LoadSummary, TableSource};
use crate::error::sql_error;
use crate::job::unchanged::{Verdict, compare_with_last_run};
use crate::log::{info, warn};
use crate::method::validate::checks::check_inputs;
use crate::model::{CheckConfig, InputSpec, MethodParams, RunConfig, ShapingFile};
use crate::names::METHODOLOGY_VERSION;
use crate::publish::StagedDir;
use crate::publish::lock::OutputLock;
use crate::publish::manifest::{
    EngineRecord, LabelVintage, Manifest, ReportRecord, Tool, synthetic_inputs,
};
use crate::publish::parquet::encode_parquet;
use crate::readers::inputs::{ResolvedInputs, resolve_on};
use crate::report::data::RunData;
use crate::report::definition::LoadedDefinition;
use crate::report::writer::{log_headlines, write_staged};

/// Run the whole job for a resolved config and publish its outputs.
pub fn run(config: &RunConfig, engine: &dyn Engine) -> Result<()> {
    let _lock = OutputLock::acquire(&config.out)?;
    let definition = definition::for_run(config)?;
    let shaping = shaping_files(config, definition.as_ref())?;
    if config.if_changed && unchanged_since_last_run(config, &shaping, engine)? {
        return Ok(());
    }
    let started = Instant::now();
    let mut inputs = resolve_on(
        &config.inputs,
        config.taxonomy.as_deref(),
        engine.remote_files(),
    )?;
    inputs.max_reject_rate = Some(config.checks.max_reject_rate);
    let mut loaded_at = None;
    let computed = engine.run(&inputs, &MethodParams::of(config), &mut |summary| {
        after_load(summary, &config.checks)?;
        loaded_at = Some(Instant::now());
        Ok(())
    })?;
    let loaded_at = loaded_at.unwrap_or(started);
    let timings = BTreeMap::from([
        (
            "load_validate_attribute".to_string(),
            millis_between(started, loaded_at),
        ),
        ("measure".to_string(), millis(loaded_at)),
    ]);
    log_tables(&computed.tables);
    let published = Published {
        config,
        summary: &computed.summary,
        tables: &computed.tables,
        shaping: &shaping,
    };
    let out = published.write(engine, definition.as_ref(), timings)?;
    crate::log::memory("publishing");
    info(format!("wrote {} ({} ms)", out.display(), millis(started)));
    Ok(())
}

/// Load and validate the inputs without measuring or writing anything.
pub fn validate(
    spec: &InputSpec,
    checks: &CheckConfig,
    engine: &dyn Engine,
) -> Result<(LoadSummary, Result<()>)> {
    let mut inputs = resolve_on(spec, None, engine.remote_files())?;
    inputs.max_reject_rate = Some(checks.max_reject_rate);
    let summary = engine.validate(&inputs)?;
    let verdict = check_inputs(&summary.counts, &summary.rejects, checks);
    Ok((summary, verdict))
}

/// `revisions`: revenue per period for each label vintage, published as
/// `revisions.parquet` and its chart.
pub fn revisions(config: &RunConfig, dates: &[NaiveDate], engine: &dyn Engine) -> Result<()> {
    let _lock = OutputLock::acquire(&config.out)?;
    let mut inputs: ResolvedInputs = resolve_on(
        &config.inputs,
        config.taxonomy.as_deref(),
        engine.remote_files(),
    )?;
    inputs.max_reject_rate = Some(config.checks.max_reject_rate);
    let (summary, table) =
        engine.revisions(&inputs, &MethodParams::of(config), dates, &mut |s| {
            check_inputs(&s.counts, &s.rejects, &config.checks)
        })?;
    let mut staged = StagedDir::new(&config.out)?;
    staged.write("revisions.parquet", &encode_parquet("revisions", &table)?)?;
    let chart = crate::report::revisions::chart(&table, synthetic_inputs(&summary.counts))?;
    staged.write(
        "revisions.svg",
        &crate::report::chart::render_svg(&chart)?.into_bytes(),
    )?;
    staged.write("revisions.png", &crate::report::chart::render_png(&chart)?)?;
    let out = staged.commit()?;
    info(format!("wrote {}", out.display()));
    Ok(())
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

fn millis_between(from: Instant, to: Instant) -> u64 {
    to.duration_since(from).as_millis() as u64
}

/// Every file besides the data that shapes this run's figures, hashed: the
/// taxonomy, mapping and token registry, the report definition and its SQL.
pub fn shaping_files(
    config: &RunConfig,
    definition: Option<&LoadedDefinition>,
) -> Result<Vec<ShapingFile>> {
    let mut files =
        crate::readers::inputs::shaping_files(&config.inputs, config.taxonomy.as_deref())?;
    if let Some(d) = definition {
        files.extend(d.shaping_files());
    }
    Ok(files)
}

/// `--if-changed`: log the verdict; true when there is nothing to do.
fn unchanged_since_last_run(
    config: &RunConfig,
    shaping: &[ShapingFile],
    engine: &dyn Engine,
) -> Result<bool> {
    match compare_with_last_run(config, shaping, engine.remote_files())? {
        Verdict::Unchanged(msg) => {
            info(msg);
            Ok(true)
        }
        Verdict::Changed(why) => {
            info(format!("--if-changed: running, {why}"));
            Ok(false)
        }
    }
}

/// Log what was loaded, then stop the run if the inputs fail their checks.
fn after_load(summary: &LoadSummary, checks: &CheckConfig) -> Result<()> {
    log_inputs(summary);
    check_inputs(&summary.counts, &summary.rejects, checks)
}

/// One run's results on their way to `--out`.
struct Published<'a> {
    config: &'a RunConfig,
    summary: &'a LoadSummary,
    tables: &'a [(&'static str, DataFrame)],
    shaping: &'a [ShapingFile],
}

impl Published<'_> {
    /// Write the tables, the report and the manifest into a staging
    /// directory and swap it in.
    fn write(
        &self,
        engine: &dyn Engine,
        definition: Option<&LoadedDefinition>,
        mut timings_ms: BTreeMap<String, u64>,
    ) -> Result<PathBuf> {
        let mut staged = StagedDir::new(&self.config.out)?;
        for (name, df) in self.tables {
            staged.write(&format!("{name}.parquet"), &encode_parquet(name, df)?)?;
        }
        crate::log::memory("writing tables");
        let mut manifest = self.manifest(&staged, &timings_ms, engine);
        if let Some(definition) = definition {
            let started = Instant::now();
            manifest.report =
                Some(self.write_report(engine, definition, &manifest, &mut staged)?);
            timings_ms.insert("report".to_string(), millis(started));
        }
        manifest.outputs = staged.written.clone();
        manifest.outputs.sort_by(|a, b| a.path.cmp(&b.path));
        manifest.timings_ms = timings_ms;
        staged.write("manifest.json", &manifest.to_json()?)?;
        staged.commit()
    }

    fn manifest(
        &self,
        staged: &StagedDir,
        timings_ms: &BTreeMap<String, u64>,
        engine: &dyn Engine,
    ) -> Manifest<'_> {
        let counts = &self.summary.counts;
        Manifest {
            tool: Tool::default(),
            engine: EngineRecord {
                name: engine.name().to_string(),
                remote: engine.remote(),
            },
            methodology_version: METHODOLOGY_VERSION,
            parameters: self.config,
            inputs: counts,
            shaping_files: self.shaping,
            synthetic_data: synthetic_inputs(counts),
            label_vintage: self.label_vintage(),
            unmatched_labels: &self.summary.unmatched_labels,
            report: None,
            outputs: staged.written.clone(),
            timings_ms: timings_ms.clone(),
        }
    }

    /// Render the report from the tables (its SQL run over the tables just
    /// written) and write its files; the manifest shows the parameters of
    /// the run being reproduced when this is `verify`'s re-run.
    fn write_report(
        &self,
        engine: &dyn Engine,
        definition: &LoadedDefinition,
        manifest: &Manifest,
        staged: &mut StagedDir,
    ) -> Result<ReportRecord> {
        let by_name = self
            .tables
            .iter()
            .map(|(n, df)| (n.to_string(), df.clone()))
            .collect();
        let shown = self.config.recorded.as_deref().unwrap_or(self.config);
        let shown_manifest = Manifest {
            parameters: shown,
            ..manifest.clone()
        };
        let data = RunData::from_tables(&by_name, &shown_manifest.to_json()?)?;
        let published: Vec<(String, TableSource)> = self
            .tables
            .iter()
            .map(|(n, _)| {
                let path = staged.path().join(format!("{n}.parquet"));
                (n.to_string(), TableSource::Parquet(path))
            })
            .collect();
        let results = run_queries(engine, definition, &published)?;
        let rendered = crate::report::render::render(&data, definition, &results)?;
        write_staged(staged, &rendered)?;
        log_headlines(&rendered);
        Ok(ReportRecord {
            definition: definition.source.clone(),
            definition_sha256: definition.sha256.clone(),
            headline_year: rendered.year,
        })
    }

    fn label_vintage(&self) -> LabelVintage {
        let to_date = |d: Option<i64>| d.and_then(crate::method::period::date_string);
        let (earliest, latest) = self.summary.reported_days;
        LabelVintage {
            earliest_reported_at: to_date(earliest),
            latest_reported_at: to_date(latest),
            labels_as_of: self.config.labels_as_of.map(|d| d.to_string()),
        }
    }
}

/// The definition's extra SQL tables, computed before rendering.
pub fn run_queries(
    engine: &dyn Engine,
    definition: &LoadedDefinition,
    tables: &[(String, TableSource)],
) -> Result<Vec<DataFrame>> {
    let mut out = Vec::new();
    for q in &definition.definition.queries {
        let df = engine
            .query(tables, &q.sql)
            .map_err(|e| sql_error(&q.path, e))?;
        out.push(df);
    }
    Ok(out)
}

fn log_inputs(summary: &LoadSummary) {
    for c in &summary.counts {
        info(format!(
            "{} {}: {} read, {} accepted, {} rejected, {} duplicate",
            c.kind.name(),
            c.path,
            c.rows_read,
            c.rows_accepted,
            c.rows_rejected,
            c.duplicates_dropped
        ));
    }
    log_unmatched_labels(&summary.unmatched_labels);
    info(format!(
        "{} scam addresses attributed",
        summary.scam_addresses
    ));
}

/// The most frequent unmatched labels (all of them are in the manifest).
fn log_unmatched_labels(labels: &BTreeMap<String, u64>) {
    const SHOWN: usize = 10;
    let mut by_count: Vec<(&String, &u64)> = labels.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (label, n) in by_count.iter().take(SHOWN) {
        warn(format!(
            "scam_type label {label:?} matches no alias: counted as other ({n} reports)"
        ));
    }
    if by_count.len() > SHOWN {
        let rest: u64 = by_count[SHOWN..].iter().map(|(_, n)| **n).sum();
        warn(format!(
            "{} more unmatched labels ({rest} reports) counted as other; all are listed in manifest.json",
            by_count.len() - SHOWN
        ));
    }
}

fn log_tables(tables: &[(&str, DataFrame)]) {
    let sizes: Vec<String> = tables
        .iter()
        .map(|(n, df)| format!("{n} {}", df.height()))
        .collect();
    info(format!("rows per table: {}", sizes.join(", ")));
}
