//! The vocabulary every layer shares: the input kinds and file formats, the
//! period and region level of a run, the resolved parameters of a run (as the
//! manifest records them) and the row accounting of one input file. Plain
//! data: nothing here parses flags, reads files or touches a frame. Flags
//! become these values in `commands/`, one place per subcommand.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Calendar period of the output tables (METHODOLOGY §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Quarter,
    Month,
    Year,
}

/// Region level of the output tables (METHODOLOGY §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Continent,
    Subregion,
    Country,
}

/// The input files of one run, as the user named them (resolved later).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputSpec {
    pub transfers: Vec<String>,
    pub reports: Vec<String>,
    pub prices: Vec<String>,
    /// True when no input flag was given and the sample data is used.
    pub used_default_data: bool,
    /// `--mapping`: column mapping for non-canonical exports.
    #[serde(default)]
    pub mapping: Option<PathBuf>,
    /// `--transfers-format`: a forced transfers layout (`None`: detected).
    #[serde(default)]
    pub transfers_format: Option<String>,
    /// `--tokens`: a token registry extending the embedded one.
    #[serde(default)]
    pub tokens: Option<PathBuf>,
    /// `--store`: transfers come from this ingest store.
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Only these exports of the store (empty: all); `verify` pins them.
    #[serde(default)]
    pub store_sources: Vec<String>,
}

/// Checks on the inputs shared by `run` and `validate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckConfig {
    pub max_reject_rate: f64,
    pub allow_empty: bool,
}

/// Everything `run` needs, resolved and checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    pub inputs: InputSpec,
    pub checks: CheckConfig,
    pub out: PathBuf,
    pub period: Period,
    pub region_level: RegionLevel,
    pub labels_as_of: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub taxonomy: Option<PathBuf>,
    /// `--report FILE`: the report definition (None: the built-in copy of
    /// `reports/quarterly.toml`; a file in the working directory is never
    /// picked up implicitly).
    #[serde(default)]
    pub report: Option<PathBuf>,
    /// `--no-report`: write the tables and manifest only.
    #[serde(default)]
    pub no_report: bool,
    /// The parameters as recorded by the run being re-run: `verify` reads
    /// the exact input files into a temporary directory, but the report it
    /// re-renders must show the command of the original run.
    #[serde(skip)]
    pub recorded: Option<Box<RunConfig>>,
    /// `--if-changed`: an execution switch, not a parameter of the figures.
    #[serde(skip)]
    pub if_changed: bool,
}

/// The parameters that shape the figures (METHODOLOGY §4–7): what an engine
/// needs besides the inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodParams {
    pub period: Period,
    pub region_level: RegionLevel,
    /// `--labels-as-of`: only reports known on or before this day count.
    pub labels_as_of: Option<NaiveDate>,
    /// `--from`/`--to`: inclusive UTC days of the transfers (and reports)
    /// that count.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl MethodParams {
    /// The method parameters of a run.
    pub fn of(config: &RunConfig) -> Self {
        MethodParams {
            period: config.period,
            region_level: config.region_level,
            labels_as_of: config.labels_as_of,
            from: config.from,
            to: config.to,
        }
    }
}

/// The three canonical inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Transfers,
    Reports,
    Prices,
}

impl InputKind {
    /// Lowercase name, as used in rejects and the manifest.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Transfers => "transfers",
            InputKind::Reports => "reports",
            InputKind::Prices => "prices",
        }
    }
}

/// Physical format of an input file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    Csv,
    CsvGz,
    CsvZst,
    Parquet,
    /// Newline-delimited JSON (`.json`, `.jsonl`, `.ndjson`), one flat object a line.
    Ndjson,
    /// A GraphSense TagPack (`.yaml`, `.yml`): scam reports.
    TagPack,
}

impl FileFormat {
    /// The format a file name implies, if it is one we read.
    pub fn of(path: &Path) -> Option<FileFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".parquet") {
            Some(FileFormat::Parquet)
        } else if name.ends_with(".csv.gz") {
            Some(FileFormat::CsvGz)
        } else if name.ends_with(".csv.zst") {
            Some(FileFormat::CsvZst)
        } else if name.ends_with(".csv") {
            Some(FileFormat::Csv)
        } else if name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".ndjson") {
            Some(FileFormat::Ndjson)
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Some(FileFormat::TagPack)
        } else {
            None
        }
    }
}

/// One input file as named on the command line (after expansion).
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// The path as the user gave it (or as found in a directory).
    pub path: PathBuf,
    pub format: FileFormat,
    pub bytes: u64,
    pub sha256: String,
    /// Modification time, Unix seconds (lets `--if-changed` skip re-hashing).
    pub mtime: i64,
    /// A plain CSV file's field counts, found while hashing it.
    #[serde(skip)]
    pub shape: Option<std::sync::Arc<CsvShape>>,
}

/// Field counts of a CSV file's records (`readers::csv_shape`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvShape {
    /// Fields of the header (record 0).
    pub header_fields: u32,
    /// Data records (rows after the header).
    pub rows: u64,
    /// Data rows whose field count differs from the header's: (row, fields).
    pub ragged: Vec<(u64, u32)>,
    /// Record starts as (byte offset, data row), in file order: the first
    /// data row, then one about every `csv_shape::CHECKPOINT_BYTES`.
    pub checkpoints: Vec<(u64, u64)>,
}

/// Row accounting of one input file (METHODOLOGY §2:
/// `rows_read = rows_accepted + rows_rejected + duplicates_dropped`).
#[derive(Debug, Clone, Serialize)]
pub struct FileCounts {
    pub kind: InputKind,
    pub path: String,
    pub format: FileFormat,
    pub bytes: u64,
    pub sha256: String,
    pub mtime: i64,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub duplicates_dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_name() {
        assert_eq!(
            FileFormat::of(Path::new("a/B.CSV.GZ")),
            Some(FileFormat::CsvGz)
        );
        assert_eq!(
            FileFormat::of(Path::new("x.parquet")),
            Some(FileFormat::Parquet)
        );
        assert_eq!(
            FileFormat::of(Path::new("x.json")),
            Some(FileFormat::Ndjson)
        );
        assert_eq!(
            FileFormat::of(Path::new("p.YAML")),
            Some(FileFormat::TagPack)
        );
        assert_eq!(FileFormat::of(Path::new("x.txt")), None);
    }
}

/// A file that shapes the figures without being data: the taxonomy, the
/// column mapping, the token registry, the report definition and each of its
/// SQL files. The manifest records each with its SHA-256; `--if-changed`
/// and `verify` compare them like the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapingFile {
    /// `taxonomy`, `mapping`, `tokens`, `report-definition` or `query`.
    pub role: String,
    /// The path as named (a query: resolved against its definition), or
    /// `built-in …` for a copy compiled into the binary.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl ShapingFile {
    /// The record of a file's bytes.
    pub fn of(role: &str, path: &str, bytes: &[u8], sha256: String) -> ShapingFile {
        ShapingFile {
            role: role.to_string(),
            path: path.to_string(),
            bytes: bytes.len() as u64,
            sha256,
        }
    }

    /// Whether this is a copy compiled into the binary (not a file on disk).
    pub fn is_built_in(&self) -> bool {
        self.path.starts_with("built-in ")
    }
}
