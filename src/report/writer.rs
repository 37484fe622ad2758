//! The report's one writer: into a run's staging directory during `run`, or
//! into a staged copy of a published run for `scamtrends report --run DIR`
//! (old report files and stale charts removed, the manifest's output list
//! and report record updated last; the caller holds the run's lock and
//! swaps the copy in whole).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::log::info;
use crate::model::ShapingFile;
use crate::publish::manifest::ReportRecord;
use crate::publish::{OutputFile, StagedDir};
use crate::report::render::Rendered;

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

/// Write a rendered report into a run's staging directory.
pub fn write_staged(staged: &mut StagedDir, rendered: &Rendered) -> Result<()> {
    for (name, bytes) in &rendered.files {
        staged.write(name, bytes)?;
    }
    Ok(())
}

/// Replace the report of a staged copy of a published run
/// (`StagedDir::copy_of`): every report file of the previous report goes
/// (stale charts included), the new ones are written, and the manifest's
/// outputs, report record and definition records are updated last. The
/// caller commits the copy, so the run directory changes in one step.
pub fn rewrite_report(
    staged: &mut StagedDir,
    rendered: &Rendered,
    record: &ReportRecord,
    definition: Option<&Path>,
    shaping: &[ShapingFile],
) -> Result<()> {
    let manifest_path = staged.path().join("manifest.json");
    let text = fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let mut manifest: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", manifest_path.display()))?;
    for name in recorded_outputs(&manifest)
        .into_iter()
        .filter(|p| is_report_file(p))
    {
        staged.remove(&name)?;
    }
    remove_unlisted_charts(staged)?;
    write_staged(staged, rendered)?;
    let written = staged.written.clone();
    update_manifest(&mut manifest, &written, record, definition, shaping)?;
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    staged.write("manifest.json", &bytes)
}

fn recorded_outputs(manifest: &serde_json::Value) -> Vec<String> {
    manifest["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["path"].as_str().map(str::to_string))
        .collect()
}

/// Chart files the manifest does not list (left by an older report).
fn remove_unlisted_charts(staged: &mut StagedDir) -> Result<()> {
    let charts = staged.path().join("charts");
    let Ok(entries) = fs::read_dir(&charts) else {
        return Ok(());
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| format!("charts/{}", e.file_name().to_string_lossy()))
        .collect();
    for name in names {
        staged.remove(&name)?;
    }
    Ok(())
}

/// Swap the report entries of a manifest for the new files.
fn update_manifest(
    manifest: &mut serde_json::Value,
    written: &[OutputFile],
    record: &ReportRecord,
    definition: Option<&Path>,
    shaping: &[ShapingFile],
) -> Result<()> {
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
    // the new definition and its queries replace the old ones' records
    let mut files: Vec<serde_json::Value> = manifest["shaping_files"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| !matches!(f["role"].as_str(), Some("report-definition" | "query")))
        .collect();
    for f in shaping {
        files.push(serde_json::to_value(f)?);
    }
    manifest["shaping_files"] = serde_json::Value::Array(files);
    manifest["parameters"]["report"] = serde_json::to_value(definition)?;
    manifest["parameters"]["no_report"] = serde_json::Value::Bool(false);
    Ok(())
}
