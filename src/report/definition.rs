//! Report definitions (`reports/*.toml`): title, the run period and region
//! level the report expects, the headline year, which scam types get a
//! headline, the sections and charts in order, and extra SQL tables.
//!
//! `reports/quarterly.toml` is compiled in as the built-in default, so a run
//! from any directory gets the same report. Parsing and checking only: the
//! job reads definition and query files (`job::definition`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::error::{bad_input, usage};
use crate::model::{Period, RegionLevel};

/// The built-in definition's text (`reports/quarterly.toml`).
pub const BUILT_IN: &str = include_str!("../../reports/quarterly.toml");
/// The query files the built-in definition names, compiled in beside it.
const BUILT_IN_QUERIES: [(&str, &str); 3] = [
    (
        "queries/top_regions_per_type.sql",
        include_str!("../../queries/top_regions_per_type.sql"),
    ),
    (
        "queries/quarter_on_quarter.sql",
        include_str!("../../queries/quarter_on_quarter.sql"),
    ),
    (
        "queries/largest_deposits.sql",
        include_str!("../../queries/largest_deposits.sql"),
    ),
];

/// A report section, in the order the definition lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Headlines,
    Types,
    Regions,
    Trend,
    Charts,
    Losses,
    Queries,
    Methodology,
    Provenance,
    Reproduce,
    Figures,
}

/// A chart the report can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    RevenueByType,
    Growth,
    AvgDeposit,
    RegionLatest,
    RegionTrend,
    LossesVsRevenue,
}

impl ChartKind {
    /// File stem under `charts/`.
    pub fn id(self) -> &'static str {
        match self {
            ChartKind::RevenueByType => "revenue_by_type",
            ChartKind::Growth => "growth",
            ChartKind::AvgDeposit => "avg_deposit",
            ChartKind::RegionLatest => "region_latest",
            ChartKind::RegionTrend => "region_trend",
            ChartKind::LossesVsRevenue => "losses_vs_revenue",
        }
    }
}

/// One extra SQL table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// As written in the definition: relative to the definition's directory.
    pub file: PathBuf,
    pub title: String,
    /// Rows shown in the report (the query's full result is one command away).
    #[serde(default = "default_max_rows")]
    pub max_rows: usize,
    /// `file` resolved against the definition's directory (what the report
    /// and errors show), filled in when the definition is loaded.
    #[serde(skip)]
    pub path: PathBuf,
    /// The SQL text and its SHA-256, filled in when the definition is loaded.
    #[serde(skip)]
    pub sql: String,
    #[serde(skip)]
    pub sha256: String,
}

fn default_max_rows() -> usize {
    20
}

fn default_top_regions() -> usize {
    10
}

fn default_year() -> YearChoice {
    YearChoice::Latest
}

/// `year = "latest"` or `year = 2024`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum YearChoice {
    Year(i32),
    #[serde(deserialize_with = "latest")]
    Latest,
}

fn latest<'de, D: serde::Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    let s = String::deserialize(d)?;
    if s == "latest" {
        Ok(())
    } else {
        Err(serde::de::Error::custom(format!(
            "year must be \"latest\" or a year such as 2024, not {s:?}"
        )))
    }
}

/// A parsed report definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDefinition {
    pub title: String,
    pub period: Option<Period>,
    pub region_level: Option<RegionLevel>,
    #[serde(default = "default_year")]
    pub year: YearChoice,
    #[serde(default)]
    pub headline_types: Vec<String>,
    #[serde(default = "default_top_regions")]
    pub top_regions: usize,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub charts: Vec<ChartKind>,
    #[serde(default)]
    pub queries: Vec<QuerySpec>,
}

/// A definition with where it came from (for the manifest and the log).
#[derive(Debug, Clone)]
pub struct LoadedDefinition {
    pub definition: ReportDefinition,
    /// The file read, or `built-in reports/quarterly.toml`.
    pub source: String,
    pub sha256: String,
    /// Size of the definition's text.
    pub text_bytes: u64,
}

impl LoadedDefinition {
    /// Parse a definition's text (read from `dir`, whose query files are
    /// named relative to it); `query_text` reads each resolved query path.
    pub fn parse(
        text: &str,
        source: String,
        dir: &Path,
        query_text: impl Fn(&Path) -> std::result::Result<String, String>,
    ) -> Result<LoadedDefinition> {
        let mut definition: ReportDefinition = toml::from_str(text)
            .map_err(|e| bad_input(format!("report definition {source}: {e}")))?;
        for q in &mut definition.queries {
            q.path = relative_to(dir, &q.file);
            q.sql = query_text(&q.path).map_err(|e| {
                bad_input(format!(
                    "report definition {source}: query {}: {e}",
                    q.path.display()
                ))
            })?;
            q.sha256 = sha256_hex(q.sql.as_bytes());
        }
        let sha256 = sha256_hex(text.as_bytes());
        Ok(LoadedDefinition {
            definition,
            source,
            sha256,
            text_bytes: text.len() as u64,
        })
    }

    /// The definition and each query file, as the manifest records them.
    pub fn shaping_files(&self) -> Vec<crate::model::ShapingFile> {
        let built_in = self.source.starts_with("built-in ");
        let mut out = vec![crate::model::ShapingFile {
            role: "report-definition".into(),
            path: self.source.clone(),
            bytes: self.text_bytes,
            sha256: self.sha256.clone(),
        }];
        for q in &self.definition.queries {
            let path = q.path.display().to_string();
            out.push(crate::model::ShapingFile {
                role: "query".into(),
                path: if built_in {
                    format!("built-in {path}")
                } else {
                    path
                },
                bytes: q.sql.len() as u64,
                sha256: q.sha256.clone(),
            });
        }
        out
    }

    /// Refuse a run whose period or region level is not the one the report expects.
    pub fn check_run(&self, period: Period, region_level: RegionLevel) -> Result<()> {
        let d = &self.definition;
        if let Some(p) = d.period.filter(|p| *p != period) {
            return Err(usage(format!(
                "report definition {} expects --period {}, the run used --period {}",
                self.source,
                name(&p),
                name(&period)
            )));
        }
        if let Some(l) = d.region_level.filter(|l| *l != region_level) {
            return Err(usage(format!(
                "report definition {} expects --region-level {}, the run used --region-level {}",
                self.source,
                name(&l),
                name(&region_level)
            )));
        }
        Ok(())
    }

    /// The default definition adapted to a run made with other flags: the
    /// run's period and region level replace the definition's.
    pub fn adapted_to(mut self, period: Period, region_level: RegionLevel) -> LoadedDefinition {
        self.definition.period = Some(period);
        self.definition.region_level = Some(region_level);
        self
    }
}

/// A serde enum's lowercase name.
fn name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::readers::sources::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// `file` (as a definition names it) against the definition's directory,
/// with `.` and `..` folded lexically (`reports/../queries/a.sql` →
/// `queries/a.sql`); an absolute `file` stays as it is.
pub fn relative_to(dir: &Path, file: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in dir.join(file).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The text of a query file the built-in definition names (by its path
/// resolved against `reports/`).
pub fn built_in_query(file: &Path) -> Option<&'static str> {
    BUILT_IN_QUERIES
        .iter()
        .find(|(name, _)| Path::new(name) == file)
        .map(|(_, sql)| *sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in(file: &Path) -> std::result::Result<String, String> {
        built_in_query(file)
            .map(str::to_string)
            .ok_or_else(|| "not built in".to_string())
    }

    #[test]
    fn the_built_in_definition_parses_with_its_queries() {
        let d =
            LoadedDefinition::parse(BUILT_IN, "built-in".into(), Path::new("reports"), built_in)
                .unwrap();
        assert_eq!(d.definition.year, YearChoice::Latest);
        assert_eq!(d.definition.period, Some(Period::Quarter));
        assert_eq!(d.definition.charts.len(), 6);
        assert_eq!(d.definition.queries.len(), 3);
        assert!(
            d.definition
                .queries
                .iter()
                .all(|q| q.sql.contains("SELECT"))
        );
    }

    #[test]
    fn query_files_resolve_against_the_definitions_directory() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            relative_to(&p("reports"), &p("../queries/a.sql")),
            p("queries/a.sql")
        );
        assert_eq!(relative_to(&p(""), &p("a.sql")), p("a.sql"));
        assert_eq!(
            relative_to(&p("/x/defs"), &p("./q/a.sql")),
            p("/x/defs/q/a.sql")
        );
        assert_eq!(relative_to(&p("defs"), &p("/abs/a.sql")), p("/abs/a.sql"));
        assert_eq!(relative_to(&p("."), &p("../a.sql")), p("../a.sql"));
    }

    #[test]
    fn a_year_and_unknown_keys() {
        let text = "title = \"t\"\nyear = 2023\nsections = [\"headlines\"]\n";
        let d = LoadedDefinition::parse(text, "t.toml".into(), Path::new(""), built_in).unwrap();
        assert_eq!(d.definition.year, YearChoice::Year(2023));
        let bad = LoadedDefinition::parse(
            "title = \"t\"\nsections = []\ncolour = 1\n",
            "t.toml".into(),
            Path::new(""),
            built_in,
        );
        assert!(format!("{:#}", bad.unwrap_err()).contains("unknown field `colour`"));
        let bad = LoadedDefinition::parse(
            "title = \"t\"\nyear = \"last\"\nsections = []\n",
            "t.toml".into(),
            Path::new(""),
            built_in,
        );
        assert!(format!("{:#}", bad.unwrap_err()).contains("t.toml"));
    }

    #[test]
    fn a_run_with_another_period_is_refused_by_name() {
        let d = LoadedDefinition::parse(
            BUILT_IN,
            "reports/quarterly.toml".into(),
            Path::new("reports"),
            built_in,
        )
        .unwrap();
        let err = d
            .check_run(Period::Month, RegionLevel::Subregion)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("expects --period quarter, the run used --period month")
        );
        assert!(d.check_run(Period::Quarter, RegionLevel::Subregion).is_ok());
    }
}
