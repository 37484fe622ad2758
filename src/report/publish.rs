//! Writing a report: into a run's staging directory during `run`, or over the
//! report files of a published run for `scamtrends report --run DIR` (each
//! file replaced by rename, stale charts removed, the manifest's output list
//! and report record updated last, all under the run directory's lock).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::ReportArgs;
use crate::config::RunConfig;
use crate::log::info;
use crate::publish::OutputFile;
use crate::publish::lock::OutputLock;
use crate::report::data::RunData;
use crate::report::definition::LoadedDefinition;
use crate::report::{Rendered, render};

/// What the manifest records about the report of a run.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRecord {
    pub definition: String,
    pub definition_sha256: String,
    pub headline_year: i32,
}

/// The definition a run uses: `--report FILE` must fit the run's flags; the
/// default adapts to them.
pub fn definition_for_run(config: &RunConfig) -> Result<Option<LoadedDefinition>> {
    if config.no_report {
        return Ok(None);
    }
    let loaded = LoadedDefinition::load(config.report.as_deref())?;
    if config.report.is_some() {
        loaded.check_run(config.period, config.region_level)?;
        return Ok(Some(loaded));
    }
    Ok(Some(loaded.adapted_to(config.period, config.region_level)))
}

/// Is `path` (relative to a run directory) a report file?
pub fn is_report_file(path: &str) -> bool {
    path.starts_with("charts/")
        || matches!(
            path,
            "report.html" | "report.md" | "figures.csv" | "figures.json"
        )
}

/// Log the headline sentences (what a journalist would quote).
pub fn log_headlines(rendered: &Rendered) {
    for h in &rendered.headlines {
        info(format!("headline: {h}"));
    }
}

/// `scamtrends report --run DIR [--definition FILE]`.
pub fn report_command(args: &ReportArgs) -> Result<()> {
    let _lock = OutputLock::acquire(&args.run)?;
    let data = RunData::read(&args.run)?;
    let params = &data.provenance.parameters;
    let loaded = LoadedDefinition::load(args.definition.as_deref())?;
    let loaded = match args.definition {
        Some(_) => {
            loaded.check_run(params.period, params.region_level)?;
            loaded
        }
        None => loaded.adapted_to(params.period, params.region_level),
    };
    let rendered = render(&data, &loaded, &args.run)?;
    let written = replace_report_files(&args.run, &rendered)?;
    let record = ReportRecord {
        definition: loaded.source.clone(),
        definition_sha256: loaded.sha256.clone(),
        headline_year: rendered.year,
    };
    update_manifest(&args.run, &written, &record, args.definition.as_deref())?;
    log_headlines(&rendered);
    info(format!(
        "wrote {} report files into {} ({})",
        written.len(),
        args.run.display(),
        loaded.source
    ));
    Ok(())
}

/// Write each file beside its target and rename it into place; remove chart
/// files of the previous report that this one does not have.
fn replace_report_files(dir: &Path, rendered: &Rendered) -> Result<Vec<OutputFile>> {
    let mut written = Vec::new();
    for (name, bytes) in &rendered.files {
        let target = dir.join(name);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let tmp = target.with_extension("tmp-report");
        fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, &target).with_context(|| format!("replacing {}", target.display()))?;
        written.push(OutputFile::of(name, bytes));
    }
    let charts = dir.join("charts");
    if let Ok(entries) = fs::read_dir(&charts) {
        for entry in entries.flatten() {
            let name = format!("charts/{}", entry.file_name().to_string_lossy());
            if !written.iter().any(|w| w.path == name) {
                fs::remove_file(entry.path()).with_context(|| {
                    format!("removing the stale chart {}", entry.path().display())
                })?;
            }
        }
    }
    Ok(written)
}

/// Swap the report entries of `manifest.json` for the new files.
fn update_manifest(
    dir: &Path,
    written: &[OutputFile],
    record: &ReportRecord,
    definition: Option<&Path>,
) -> Result<()> {
    let path = dir.join("manifest.json");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut outputs: Vec<serde_json::Value> = manifest["outputs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|o| !o["path"].as_str().is_some_and(is_report_file))
        .collect();
    for w in written {
        outputs.push(serde_json::to_value(w)?);
    }
    outputs.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    manifest["outputs"] = serde_json::Value::Array(outputs);
    manifest["report"] = serde_json::to_value(record)?;
    manifest["parameters"]["report"] = serde_json::to_value(definition)?;
    manifest["parameters"]["no_report"] = serde_json::Value::Bool(false);
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
