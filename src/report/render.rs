//! Rendering one report: the definition's sections and charts, in order,
//! from `RunData` and the results of its queries, into the files of the
//! report (HTML, Markdown, figures, chart SVG/PNG). Pure: bytes out.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use polars::prelude::{AnyValue, DataFrame};

use crate::model::Period;
use crate::report::charts::{self, ChartContext};
use crate::report::context::Context;
use crate::report::data::RunData;
use crate::report::definition::{
    LoadedDefinition, QuerySpec, ReportDefinition, Section, YearChoice,
};
use crate::report::document::{Block, Part, Table, heading, plain, text};
use crate::report::{chart, figures, headlines, html, markdown, sections};

/// The files of a report, by path relative to the run directory.
pub struct Rendered {
    pub files: Vec<(String, Vec<u8>)>,
    /// The headline sentences as plain text (for the run log).
    pub headlines: Vec<String>,
    pub year: i32,
}

/// Render every report file for `data`; `query_results` holds the result of
/// each of the definition's queries, in its order.
pub fn render(
    data: &RunData,
    loaded: &LoadedDefinition,
    query_results: &[DataFrame],
) -> Result<Rendered> {
    let def = &loaded.definition;
    let (year, complete) = choose_year(data, def);
    let mut ctx = Context::new(data, def, year, complete);
    let chart_ctx = ChartContext {
        data,
        year,
        top_regions: def.top_regions,
    };
    let mut files = Vec::new();
    let mut svgs = BTreeMap::new();
    let mut chart_blocks = vec![heading(2, "Charts", "charts")];
    for kind in &def.charts {
        let chart = charts::build(*kind, &chart_ctx);
        let svg = chart::render_svg(&chart)?;
        files.push((
            format!("charts/{}.png", chart.id),
            chart::render_png(&chart)?,
        ));
        files.push((format!("charts/{}.svg", chart.id), svg.clone().into_bytes()));
        svgs.insert(chart.id.clone(), svg);
        chart_blocks.push(Block::Chart {
            id: chart.id.clone(),
            title: chart.title.clone(),
        });
    }
    let mut blocks = Vec::new();
    let mut headlines = Vec::new();
    let mut figures_at = None;
    for section in &def.sections {
        match section {
            Section::Headlines => {
                let built = headlines::headlines(&mut ctx);
                headlines = headline_texts(&built);
                blocks.extend(built);
            }
            Section::Types => blocks.extend(sections::types_table(&mut ctx)),
            Section::Regions => blocks.extend(sections::regions_table(&mut ctx)),
            Section::Trend => blocks.extend(sections::trend_table(&mut ctx)),
            Section::Charts => blocks.extend(chart_blocks.clone()),
            Section::Losses => blocks.extend(sections::losses_table(&mut ctx)),
            Section::Queries => blocks.extend(query_blocks(&def.queries, query_results)),
            Section::Methodology => blocks.extend(sections::methodology(&mut ctx)),
            Section::Provenance => blocks.extend(sections::provenance(&mut ctx)),
            Section::Reproduce => blocks.extend(sections::reproduce(&mut ctx)),
            Section::Figures => figures_at = Some(blocks.len()),
        }
    }
    if let Some(at) = figures_at {
        blocks.splice(at..at, figures_blocks(&ctx.book.figures));
    }
    let subtitle = subtitle(data, year, complete);
    let synthetic = data.provenance.synthetic_data;
    files.push((
        "report.html".into(),
        html::render(&def.title, &subtitle, synthetic, &blocks, &svgs).into_bytes(),
    ));
    files.push((
        "report.md".into(),
        markdown::render(&def.title, &subtitle, synthetic, &blocks).into_bytes(),
    ));
    files.push(("figures.csv".into(), ctx.book.to_csv()));
    files.push(("figures.json".into(), ctx.book.to_json()?));
    Ok(Rendered {
        files,
        headlines,
        year,
    })
}

/// The headline year and whether the run covers all of it.
pub fn choose_year(data: &RunData, def: &ReportDefinition) -> (i32, bool) {
    let mut years: Vec<i32> = data
        .year_total
        .iter()
        .filter_map(|r| r.period.parse().ok())
        .collect();
    years.sort();
    years.dedup();
    match def.year {
        YearChoice::Year(y) => (y, is_complete(data, y)),
        YearChoice::Latest => match years.iter().rev().find(|y| is_complete(data, **y)) {
            Some(y) => (*y, true),
            None => (
                years.last().copied().unwrap_or_else(|| fallback_year(data)),
                false,
            ),
        },
    }
}

/// A year is complete when every period of it has a row and --from/--to
/// do not cut it.
fn is_complete(data: &RunData, year: i32) -> bool {
    let p = &data.provenance.parameters;
    let (Some(first), Some(last)) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return false;
    };
    let inside = p.from.is_none_or(|d| d <= first) && p.to.is_none_or(|d| d >= last);
    let prefix = year.to_string();
    let periods = data
        .total
        .iter()
        .filter(|r| r.period.starts_with(&prefix))
        .count();
    let needed = match data.period {
        Period::Quarter => 4,
        Period::Month => 12,
        Period::Year => 1,
    };
    inside && periods == needed
}

fn fallback_year(data: &RunData) -> i32 {
    use chrono::Datelike;
    let p = &data.provenance.parameters;
    p.to.or(p.from).map(|d| d.year()).unwrap_or(1970)
}

fn subtitle(data: &RunData, year: i32, complete: bool) -> String {
    let first = data
        .total
        .first()
        .map(|r| r.period.clone())
        .unwrap_or_default();
    let last = data
        .total
        .last()
        .map(|r| r.period.clone())
        .unwrap_or_default();
    let partial = if complete { "" } else { " (partial year)" };
    format!(
        "Headline year {year}{partial}; periods {first} to {last}; scamtrends {}, methodology v{}. Every revenue figure is a lower bound.",
        data.provenance.tool.version, data.provenance.methodology_version
    )
}

fn headline_texts(blocks: &[Block]) -> Vec<String> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::List(items) => Some(items.iter().map(|i| plain(i)).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The appendix listing every cited figure with its source.
fn figures_blocks(figures: &[figures::Figure]) -> Vec<Block> {
    let rows = figures
        .iter()
        .map(|f| {
            vec![
                f.id.clone(),
                f.text.clone(),
                f.period.clone(),
                f.table.clone(),
                f.filter.clone(),
                f.definition.clone(),
            ]
        })
        .collect();
    vec![
        heading(2, "Figures", "figures"),
        Block::Paragraph(vec![
            text(
                "Every number quoted in the text, with the table and filter it comes from. Exact values are in ",
            ),
            Part::Code("figures.csv".into()),
            text(" and "),
            Part::Code("figures.json".into()),
            text("."),
        ]),
        Block::Table(Table {
            caption: "IDs are stable across runs: F-<period>-<scope>-<metric>.".into(),
            columns: [
                "ID",
                "As printed",
                "Period",
                "Table",
                "Filter",
                "Definition",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, false, false, false, false],
            rows,
            anchor_rows: true,
        }),
    ]
}

/// The definition's extra SQL tables.
fn query_blocks(queries: &[QuerySpec], results: &[DataFrame]) -> Vec<Block> {
    if queries.is_empty() {
        return Vec::new();
    }
    let mut blocks = vec![heading(2, "Additional tables", "queries")];
    for (q, df) in queries.iter().zip(results) {
        blocks.push(heading(
            3,
            &q.title,
            &format!("query-{}", anchor_of(&q.path)),
        ));
        blocks.push(Block::Table(frame_table(df, q)));
    }
    blocks
}

fn anchor_of(file: &Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("query")
        .replace('_', "-")
}

fn frame_table(df: &DataFrame, q: &QuerySpec) -> Table {
    let shown = df.height().min(q.max_rows);
    let columns: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let numeric = df
        .dtypes()
        .iter()
        .map(|d| d.is_primitive_numeric())
        .collect();
    let rows = (0..shown)
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| cell_text(c.get(i).unwrap_or(AnyValue::Null)))
                .collect()
        })
        .collect();
    let more = if shown < df.height() {
        format!("first {shown} of {} rows; ", df.height())
    } else {
        String::new()
    };
    Table {
        caption: format!(
            "Source: {} over the run's tables ({more}all rows: scamtrends query {} --run DIR).",
            q.path.display(),
            q.path.display()
        ),
        columns,
        numeric,
        rows,
        anchor_rows: false,
    }
}

fn cell_text(v: AnyValue) -> String {
    match v {
        AnyValue::Null => "–".into(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(x) => float_text(x),
        AnyValue::Float32(x) => float_text(x as f64),
        other => other.to_string(),
    }
}

fn float_text(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.6}")
    }
}
