//! `scamtrends report --run DIR [--definition FILE]`: re-render the charts,
//! report and figures of a published run from its Parquet tables (nothing is
//! recomputed), its SQL run over those tables, under the run's lock; the run
//! directory is replaced in one step by a staged copy.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::ReportArgs;
use crate::engine::TableSource;
use crate::engine::local::LocalEngine;
use crate::log::info;
use crate::publish::StagedDir;
use crate::publish::lock::OutputLock;
use crate::publish::manifest::ReportRecord;
use crate::publish::readback::{read_run, table_files};
use crate::report::data::{REPORT_TABLES, RunData};
use crate::report::render::render;
use crate::report::writer::{log_headlines, rewrite_report};

/// The resolved flags of `report`.
pub struct ReportConfig {
    pub run: PathBuf,
    pub definition: Option<PathBuf>,
}

/// Resolve `report`'s flags.
pub fn config_from_cli(args: ReportArgs) -> ReportConfig {
    ReportConfig {
        run: args.run,
        definition: args.definition,
    }
}

/// Re-render the report of a run.
pub fn run(args: ReportArgs) -> Result<()> {
    let config = config_from_cli(args);
    let _lock = OutputLock::acquire(&config.run)?;
    let (tables, manifest) = read_run(&config.run, &REPORT_TABLES)?;
    let data = RunData::from_tables(&tables, &manifest)?;
    let params = &data.provenance.parameters;
    let loaded = crate::job::definition::load(config.definition.as_deref())?;
    let loaded = match config.definition {
        Some(_) => {
            loaded.check_run(params.period, params.region_level)?;
            loaded
        }
        None => loaded.adapted_to(params.period, params.region_level),
    };
    let published: Vec<(String, TableSource)> = table_files(&config.run)?
        .into_iter()
        .map(|(name, path)| (name, TableSource::Parquet(path)))
        .collect();
    let results = crate::job::run_queries(&LocalEngine, &loaded, &published)?;
    let rendered = render(&data, &loaded, &results)?;
    let record = ReportRecord {
        definition: loaded.source.clone(),
        definition_sha256: loaded.sha256.clone(),
        headline_year: rendered.year,
    };
    let mut staged = StagedDir::copy_of(&config.run)?;
    rewrite_report(
        &mut staged,
        &rendered,
        &record,
        config.definition.as_deref(),
        &loaded.shaping_files(),
    )?;
    let written = rendered.files.len();
    staged.commit()?;
    log_headlines(&rendered);
    info(format!(
        "wrote {written} report files into {} ({})",
        config.run.display(),
        loaded.source
    ));
    Ok(())
}
