//! The report's one writer: into a run's staging directory during `run`, or
//! over the report files of a published run for `scamtrends report --run DIR`
//! (each file replaced by rename, stale charts removed, the manifest's output
//! list and report record updated last; the caller holds the run's lock).

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

/// Write each file beside its target and rename it into place; remove chart
/// files of the previous report that this one does not have.
pub fn replace_report_files(dir: &Path, rendered: &Rendered) -> Result<Vec<OutputFile>> {
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
pub fn update_manifest(
    dir: &Path,
    written: &[OutputFile],
    record: &ReportRecord,
    definition: Option<&Path>,
    shaping: &[ShapingFile],
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
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
