//! Column mappings (`--mapping FILE`): read exports whose columns are not the
//! canonical ones. Per input kind: source column → canonical column(s),
//! constant columns (e.g. `chain = "tron"`), and a chrono timestamp format.
//!
//! ```toml
//! [prices]                     # e.g. a `Date,Close` BTC price history
//! columns = { Date = "date", Close = "price_usd" }
//! constants = { asset = "BTC" }
//! timestamp_format = "%Y-%m-%d"
//! ```
//! Pure: parsing, checking and the projection expressions; no file scanning.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use serde::Deserialize;

use crate::error::bad_input;
use crate::model::InputKind;

/// A source column feeding one canonical column or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Targets {
    One(String),
    Many(Vec<String>),
}

impl Targets {
    fn names(&self) -> Vec<&str> {
        match self {
            Targets::One(t) => vec![t.as_str()],
            Targets::Many(ts) => ts.iter().map(String::as_str).collect(),
        }
    }
}

/// The mapping of one input kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindMapping {
    /// Source column → canonical column (or a list of them).
    #[serde(default)]
    pub columns: BTreeMap<String, Targets>,
    /// Canonical column → constant text value.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// chrono format for timestamp columns (`%d/%m/%Y %H:%M`, `%Y-%m-%d`, …).
    pub timestamp_format: Option<String>,
    /// A named layout preset (transfers: `canonical`,
    /// `ethereum-etl-token-transfers`, `ethereum-etl-transactions`).
    pub format: Option<String>,
}

/// The whole `--mapping` file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub transfers: Option<KindMapping>,
    pub reports: Option<KindMapping>,
    pub prices: Option<KindMapping>,
}

impl Mapping {
    /// Read and check a mapping file; no file → the identity mapping.
    pub fn load(path: Option<&Path>) -> Result<Mapping> {
        let Some(path) = path else {
            return Ok(Mapping::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad_input(format!("--mapping {}: {e}", path.display())))?;
        Mapping::parse(&text, &format!("--mapping {}", path.display()))
    }

    /// Parse and check a mapping's TOML text; errors name `source`.
    pub fn parse(text: &str, source: &str) -> Result<Mapping> {
        let mapping: Mapping =
            toml::from_str(text).map_err(|e| bad_input(format!("{source}: {e}")))?;
        for kind in [InputKind::Transfers, InputKind::Reports, InputKind::Prices] {
            if let Some(m) = mapping.of(kind) {
                m.check(kind)
                    .map_err(|e| bad_input(format!("{source}: {e}")))?;
            }
        }
        Ok(mapping)
    }

    /// The mapping of one input kind, if any.
    /// Force the transfers layout (`--transfers-format`).
    pub fn with_transfers_format(mut self, format: Option<&str>) -> Mapping {
        if let Some(f) = format {
            self.transfers
                .get_or_insert_with(KindMapping::default)
                .format = Some(f.to_string());
        }
        self
    }

    pub fn of(&self, kind: InputKind) -> Option<&KindMapping> {
        match kind {
            InputKind::Transfers => self.transfers.as_ref(),
            InputKind::Reports => self.reports.as_ref(),
            InputKind::Prices => self.prices.as_ref(),
        }
    }
}

impl KindMapping {
    fn check(&self, kind: InputKind) -> std::result::Result<(), String> {
        let known: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
        let targets = self
            .columns
            .values()
            .flat_map(Targets::names)
            .chain(self.constants.keys().map(String::as_str));
        for t in targets {
            if !known.contains(&t) {
                return Err(format!(
                    "[{}] maps to unknown column {t:?} (known: {})",
                    kind.name(),
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Project a raw frame (with `schema`) onto canonical column names; other
    /// canonical columns present in the source pass through.
    pub fn project(&self, kind: InputKind, schema: &Schema, row: &str) -> Vec<Expr> {
        let mut exprs = vec![col(row)];
        let mut produced: Vec<String> = Vec::new();
        for (source, targets) in &self.columns {
            if schema.get(source.as_str()).is_some() {
                for t in targets.names() {
                    exprs.push(col(source.as_str()).alias(t));
                    produced.push(t.to_string());
                }
            }
        }
        for (name, value) in &self.constants {
            exprs.push(lit(value.clone()).alias(name.as_str()));
            produced.push(name.clone());
        }
        let mapped_sources: Vec<&str> = self.columns.keys().map(String::as_str).collect();
        for c in kind.columns() {
            let untouched =
                !produced.iter().any(|p| p == c.name) && !mapped_sources.contains(&c.name);
            if untouched && schema.get(c.name).is_some() {
                exprs.push(col(c.name));
            }
        }
        exprs
    }
}

/// Parse text with a chrono format: with an offset, as UTC date-time, or as a date.
pub fn parse_with_format(text: &str, format: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_str(text, format) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
        return Some(t.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(text, format)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_dates_datetimes_and_offsets() {
        assert_eq!(
            parse_with_format("2011-09-13", "%Y-%m-%d"),
            Some(1_315_872_000)
        );
        assert_eq!(
            parse_with_format("13/09/2011 01:00", "%d/%m/%Y %H:%M"),
            Some(1_315_875_600)
        );
        assert_eq!(
            parse_with_format("2011-09-13 09:00 +0800", "%Y-%m-%d %H:%M %z"),
            Some(1_315_875_600)
        );
        assert_eq!(parse_with_format("garbage", "%Y-%m-%d"), None);
    }

    #[test]
    fn unknown_target_columns_are_refused() {
        let m: Mapping = toml::from_str("[prices]\ncolumns = { Close = \"close\" }").unwrap();
        assert!(
            m.prices
                .unwrap()
                .check(InputKind::Prices)
                .unwrap_err()
                .contains("close")
        );
    }
}
