//! Figures: every number the report's text quotes, with a stable ID
//! (`F-2024-PB-REV`), its exact value, unit, period, definition, and the table
//! and filter it comes from, so that a reader can re-derive it from the
//! Parquet files. Written as `figures.csv` and `figures.json`.

use anyhow::Result;
use serde::Serialize;

use crate::report::document::Part;
use crate::report::format::{percent, prose_usd, thousands};

/// The unit of a figure's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// US dollars, cent-rounded.
    Usd,
    /// A number of things (deposits, senders, reports, addresses).
    Count,
    /// A ratio (0.399 = 39.9%); growth rates and shares.
    Ratio,
}

/// One quoted number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub id: String,
    pub value: f64,
    pub unit: Unit,
    pub period: String,
    pub definition: String,
    pub table: String,
    pub filter: String,
    /// How the report prints it.
    pub text: String,
}

impl Figure {
    /// A figure whose printed text follows its unit (ratios unsigned: the
    /// sentence says "up" or "down").
    pub fn new(id: String, value: f64, unit: Unit, period: &str) -> Figure {
        let text = match unit {
            Unit::Usd => prose_usd(value),
            Unit::Count => thousands(value.round() as i64),
            Unit::Ratio => percent(value.abs()),
        };
        Figure {
            id,
            value,
            unit,
            period: period.to_string(),
            definition: String::new(),
            table: String::new(),
            filter: String::new(),
            text,
        }
    }

    /// Where the value comes from.
    pub fn from_table(mut self, table: &str, filter: String, definition: String) -> Figure {
        self.table = format!("{table}.parquet");
        self.filter = filter;
        self.definition = definition;
        self
    }
}

/// The figures cited so far, in order of first citation.
#[derive(Debug, Default)]
pub struct FigureBook {
    pub figures: Vec<Figure>,
}

impl FigureBook {
    /// Record a figure (once per ID) and return its citation.
    pub fn cite(&mut self, figure: Figure) -> Part {
        let part = Part::Figure {
            id: figure.id.clone(),
            text: figure.text.clone(),
        };
        if !self.figures.iter().any(|f| f.id == figure.id) {
            self.figures.push(figure);
        }
        part
    }

    /// `figures.csv`: RFC 4180, one row per figure, values at full precision.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = String::from("id,value,unit,period,definition,table,filter,text\n");
        for f in &self.figures {
            let unit = match f.unit {
                Unit::Usd => "usd",
                Unit::Count => "count",
                Unit::Ratio => "ratio",
            };
            let fields = [
                f.id.clone(),
                value_text(f),
                unit.to_string(),
                f.period.clone(),
                f.definition.clone(),
                f.table.clone(),
                f.filter.clone(),
                f.text.clone(),
            ];
            let row: Vec<String> = fields.iter().map(|s| csv_field(s)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out.into_bytes()
    }

    /// `figures.json`: the same rows as an array of objects.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(&self.figures)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// Counts as integers; dollars and ratios as the shortest text that reads
/// back to the same double the table holds (`423082.34`, `1808.0441880341882`).
fn value_text(f: &Figure) -> String {
    match f.unit {
        Unit::Count => format!("{}", f.value.round() as i64),
        Unit::Usd | Unit::Ratio => format!("{}", f.value),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cites_once_and_writes_exact_values() {
        let mut book = FigureBook::default();
        let rev = Figure::new("F-2024-PB-REV".into(), 423082.34, Unit::Usd, "2024").from_table(
            "yearly_revenue_by_type",
            "period = '2024' AND scam_type = 'pig_butchering'".into(),
            "revenue, lower bound".into(),
        );
        let part = book.cite(rev.clone());
        book.cite(rev);
        book.cite(Figure::new(
            "F-2024-PB-REV-YOY".into(),
            -0.375664,
            Unit::Ratio,
            "2024",
        ));
        assert_eq!(
            part,
            Part::Figure {
                id: "F-2024-PB-REV".into(),
                text: "$423,082".into()
            }
        );
        let csv = String::from_utf8(book.to_csv()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert_eq!(
            lines[1],
            "F-2024-PB-REV,423082.34,usd,2024,\"revenue, lower bound\",yearly_revenue_by_type.parquet,period = '2024' AND scam_type = 'pig_butchering',\"$423,082\""
        );
        assert!(lines[2].starts_with("F-2024-PB-REV-YOY,-0.375664,ratio,2024,"));
        assert!(
            lines[2].ends_with(",37.6%"),
            "ratios print unsigned: {}",
            lines[2]
        );
    }
}
