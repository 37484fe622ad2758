//! `manifest.json`: what a run read, with which parameters, and what it wrote,
//! so that a reader can re-derive and verify every figure (METHODOLOGY §7).
//! Pure rendering: the struct and its JSON bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{FileCounts, RunConfig, ShapingFile};
use crate::names::SYNTHETIC_MARKER;
use crate::publish::OutputFile;

/// What the manifest records about the report of a run.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRecord {
    pub definition: String,
    pub definition_sha256: String,
    pub headline_year: i32,
}

/// Whether any input file sits in (or one level below) a directory holding
/// the synthetic-data marker.
pub fn synthetic_inputs(inputs: &[FileCounts]) -> bool {
    inputs.iter().any(|i| {
        std::path::Path::new(&i.path)
            .ancestors()
            .skip(1)
            .take(2)
            .any(|dir| dir.join(SYNTHETIC_MARKER).is_file())
    })
}

/// The manifest of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest<'a> {
    pub tool: Tool,
    /// Where the method ran.
    pub engine: EngineRecord,
    pub methodology_version: &'static str,
    pub parameters: &'a RunConfig,
    pub inputs: &'a [FileCounts],
    /// Taxonomy, mapping, token registry, report definition and its SQL
    /// files, with their SHA-256: everything besides the data that shapes
    /// a figure.
    pub shaping_files: &'a [ShapingFile],
    /// True when an input lies in a directory `scamtrends generate` marked
    /// as synthetic: charts and report then carry a "synthetic" mark.
    pub synthetic_data: bool,
    pub label_vintage: LabelVintage,
    /// Raw report labels no alias matched (counted as `other`).
    pub unmatched_labels: &'a BTreeMap<String, u64>,
    /// The report definition used (None with `--no-report`).
    pub report: Option<ReportRecord>,
    /// Output files (everything but the manifest itself), sorted by name.
    pub outputs: Vec<OutputFile>,
    /// Stage durations in milliseconds (the only non-reproducible field).
    pub timings_ms: BTreeMap<String, u64>,
}

/// The engine of a run: `local`, or `spark` and its Spark Connect remote.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EngineRecord {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

/// Tool name, version and the git revision it was built from (`unknown`
/// outside a git checkout).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub git_revision: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_revision: env!("SCAMTRENDS_GIT_REV").into(),
        }
    }
}

/// Earliest and latest `reported_at` (UTC day) among the reports used.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LabelVintage {
    pub earliest_reported_at: Option<String>,
    pub latest_reported_at: Option<String>,
    pub labels_as_of: Option<String>,
}

impl Manifest<'_> {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// The parts of a written manifest that `verify` and `--if-changed` read back.
#[derive(Debug, Deserialize)]
pub struct ManifestRecord {
    pub tool: Tool,
    pub parameters: RunConfig,
    /// The same parameters as raw JSON, for exact comparison.
    #[serde(skip)]
    pub parameters_json: serde_json::Value,
    pub inputs: Vec<InputRecord>,
    #[serde(default)]
    pub shaping_files: Vec<ShapingFile>,
    pub outputs: Vec<OutputRecord>,
}

/// One input as recorded.
#[derive(Debug, Deserialize)]
pub struct InputRecord {
    pub kind: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    #[serde(default)]
    pub mtime: i64,
}

/// One output as recorded.
#[derive(Debug, Deserialize)]
pub struct OutputRecord {
    pub path: String,
    pub sha256: String,
}

impl ManifestRecord {
    /// Read `DIR/manifest.json`.
    pub fn read(dir: &std::path::Path) -> anyhow::Result<ManifestRecord> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| crate::error::bad_input(format!("{}: {e}", path.display())))?;
        let bad =
            |e: serde_json::Error| crate::error::bad_input(format!("{}: {e}", path.display()));
        let mut record: ManifestRecord = serde_json::from_str(&text).map_err(bad)?;
        let raw: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
        record.parameters_json = raw["parameters"].clone();
        Ok(record)
    }
}
