//! Command dispatch: turns a parsed command line into resolved configs and
//! drives the pipeline and the publisher. Owns the run log's content.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use polars::prelude::{ChunkAgg, DataFrame};

use crate::cli::{Cli, Command, LogFormatArg, RunArgs, ValidateArgs};
use crate::config::{CheckConfig, InputSpec, RegionLevel, RunConfig};
use crate::log::{LogMode, info, warn};
use crate::pipeline::{AttributionParams, Ingested, check_inputs, ingest, measure, top_reasons};
use crate::publish::StagedDir;
use crate::publish::lock::OutputLock;
use crate::publish::manifest::{LabelVintage, Manifest, Tool, synthetic_inputs};
use crate::publish::parquet::{METHODOLOGY_VERSION, encode_parquet};
use crate::publish::unchanged::{Verdict, compare_with_last_run};
use crate::report::data::RunData;
use crate::report::definition::LoadedDefinition;
use crate::report::publish::{ReportRecord, definition_for_run, log_headlines};
use crate::taxonomy::Taxonomy;

/// Run one command.
pub fn run(cli: Cli) -> Result<()> {
    crate::log::init(match (cli.quiet, cli.log_format) {
        (true, _) => LogMode::Quiet,
        (false, LogFormatArg::Json) => LogMode::Json,
        (false, LogFormatArg::Human) => LogMode::Human,
    });
    match cli.command {
        Command::Run(args) => run_job(args),
        Command::Validate(args) => validate(args),
        Command::Verify(args) => crate::verify::verify(&args.dir),
        Command::Query(args) => crate::query::query(&args),
        Command::Report(args) => crate::report::publish::report_command(&args),
        Command::Ingest(args) => crate::store::ingest::ingest(&args),
        Command::Inspect(args) => crate::inspect::inspect(&args),
        Command::Revisions(args) => crate::revisions::revisions(args),
        Command::Generate(args) => {
            crate::generate::generate(&crate::generate::GenerateConfig::from_args(args)?)
        }
    }
}

fn run_job(args: RunArgs) -> Result<()> {
    let config = RunConfig::from_args(args)?;
    if config.inputs.used_default_data {
        info(format!(
            "no input flags: reading the sample data in sample-data/ and writing {}/",
            config.out.display()
        ));
    }
    execute(&config)
}

/// Run the whole job for a resolved config and publish its outputs.
pub fn execute(config: &RunConfig) -> Result<()> {
    let _lock = OutputLock::acquire(&config.out)?;
    if config.if_changed && unchanged_since_last_run(config)? {
        return Ok(());
    }
    let definition = definition_for_run(config)?;
    let started = Instant::now();
    let taxonomy = Arc::new(Taxonomy::load(config.taxonomy.as_deref())?);
    let mut ingested = ingest(&config.inputs, &taxonomy, &AttributionParams::of(config))?;
    log_ingest(&ingested);
    check_inputs(&ingested, &config.checks)?;
    let mut timings = BTreeMap::from([("load_validate_attribute".to_string(), millis(started))]);
    let measured_at = Instant::now();
    let tables = measure(&mut ingested, config)?;
    timings.insert("measure".to_string(), millis(measured_at));
    log_tables(&tables.tables);
    let out = publish(
        config,
        &ingested,
        &tables.tables,
        definition.as_ref(),
        timings,
    )?;
    crate::log::memory("publishing");
    info(format!("wrote {} ({} ms)", out.display(), millis(started)));
    Ok(())
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// `--if-changed`: log the verdict; true when there is nothing to do.
fn unchanged_since_last_run(config: &RunConfig) -> Result<bool> {
    match compare_with_last_run(config)? {
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

/// Write the tables, the report and the manifest into a staging directory
/// and swap it in.
fn publish(
    config: &RunConfig,
    ingested: &Ingested,
    tables: &[(&str, DataFrame)],
    definition: Option<&LoadedDefinition>,
    mut timings_ms: BTreeMap<String, u64>,
) -> Result<std::path::PathBuf> {
    let mut staged = StagedDir::new(&config.out)?;
    for (name, df) in tables {
        staged.write(&format!("{name}.parquet"), &encode_parquet(name, df)?)?;
    }
    crate::log::memory("writing tables");
    let mut manifest = Manifest {
        tool: Tool::default(),
        methodology_version: METHODOLOGY_VERSION,
        parameters: config,
        inputs: &ingested.counts,
        synthetic_data: synthetic_inputs(&ingested.counts),
        label_vintage: label_vintage(ingested, config)?,
        unmatched_labels: &ingested.unmatched_labels,
        report: None,
        outputs: staged.written.clone(),
        timings_ms: timings_ms.clone(),
    };
    if let Some(definition) = definition {
        let started = Instant::now();
        let by_name = tables
            .iter()
            .map(|(n, df)| (n.to_string(), df.clone()))
            .collect();
        let shown = config.recorded.as_deref().unwrap_or(config);
        let shown_manifest = Manifest {
            parameters: shown,
            ..manifest.clone()
        };
        let data = RunData::from_tables(&by_name, &shown_manifest.to_json()?)?;
        let rendered = crate::report::render(&data, definition, staged.path())?;
        for (name, bytes) in &rendered.files {
            staged.write(name, bytes)?;
        }
        log_headlines(&rendered);
        manifest.report = Some(ReportRecord {
            definition: definition.source.clone(),
            definition_sha256: definition.sha256.clone(),
            headline_year: rendered.year,
        });
        timings_ms.insert("report".to_string(), millis(started));
    }
    manifest.outputs = staged.written.clone();
    manifest.outputs.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.timings_ms = timings_ms;
    staged.write("manifest.json", &manifest.to_json()?)?;
    staged.commit()
}

fn validate(args: ValidateArgs) -> Result<()> {
    let inputs = InputSpec::from_args(&args.input)?;
    let checks = CheckConfig::from_args(&args.input);
    checks.validate()?;
    let params = AttributionParams {
        region_level: RegionLevel::Subregion,
        labels_as_of_day: None,
        transfer_days: (None, None),
        keep_valid_transfers: false,
    };
    let ingested = ingest(&inputs, &Arc::new(Taxonomy::default()), &params)?;
    print_validation(&ingested)?;
    check_inputs(&ingested, &checks)
}

fn print_validation(ingested: &Ingested) -> Result<()> {
    println!(
        "{:<10} {:>10} {:>10} {:>9} {:>10}  file",
        "input", "read", "accepted", "rejected", "duplicate"
    );
    for c in &ingested.counts {
        println!(
            "{:<10} {:>10} {:>10} {:>9} {:>10}  {}",
            c.kind.name(),
            c.rows_read,
            c.rows_accepted,
            c.rows_rejected,
            c.duplicates_dropped,
            c.path
        );
    }
    for loaded in [&ingested.transfers, &ingested.reports, &ingested.prices] {
        if loaded.rejects.height() > 0 {
            println!(
                "{} top reject reasons: {}",
                loaded.kind.name(),
                top_reasons(&loaded.rejects, 5)?
            );
        }
    }
    Ok(())
}

fn log_ingest(ingested: &Ingested) {
    for c in &ingested.counts {
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
    log_unmatched_labels(&ingested.unmatched_labels);
    info(format!(
        "{} scam addresses attributed",
        ingested.addresses.height()
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

fn label_vintage(ingested: &Ingested, config: &RunConfig) -> Result<LabelVintage> {
    let days = ingested.reports_used.column("reported_day")?.i64()?;
    let to_date = |d: Option<i64>| d.and_then(crate::period::date_string);
    Ok(LabelVintage {
        earliest_reported_at: to_date(days.min()),
        latest_reported_at: to_date(days.max()),
        labels_as_of: config.labels_as_of.map(|d| d.to_string()),
    })
}
