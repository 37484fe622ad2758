//! The revisions chart: revenue per period, one line per label vintage, as a
//! [`Chart`] drawn by `chart.rs` (the same plotters code and embedded font as
//! the report's charts). Pure: the revisions table in, chart data out.

use anyhow::Result;
use polars::prelude::*;

use crate::report::chart::{Chart, Series, Shape, Unit};
use crate::report::charts::PALETTE;

/// The chart of `labels_as_of, period, revenue_usd`; `synthetic` marks a
/// run over `scamtrends generate` data.
pub fn chart(table: &DataFrame, synthetic: bool) -> Result<Chart> {
    let vintages = unique_strings(table, "labels_as_of")?;
    let periods = unique_strings(table, "period")?;
    let mut series = Vec::new();
    for (k, vintage) in vintages.iter().enumerate() {
        series.push(Series {
            name: format!("labels as of {vintage}"),
            color: PALETTE[k % PALETTE.len()],
            bar_colors: Vec::new(),
            light: false,
            values: values_of(table, vintage, &periods)?,
        });
    }
    Ok(Chart {
        id: "revisions".into(),
        title: "Scam revenue by period as labels accumulate".into(),
        subtitle: "Each line uses only the reports known on its date (--labels-as-of)".into(),
        value_axis: "Revenue, USD (lower bound)".into(),
        category_axis: "Period".into(),
        categories: periods,
        series,
        unit: Unit::Usd,
        shape: Shape::Lines,
        value_labels: false,
        footnote: "Lower bound: only transfers into addresses reported as scams are counted. \
                   Source: revisions.parquet. scamtrends"
            .into(),
        synthetic,
    })
}

fn unique_strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    let c = df.column(column)?.cast(&DataType::String)?;
    let mut out: Vec<String> = c.str()?.iter().flatten().map(str::to_string).collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Revenue of one vintage per period (None where it has no row).
fn values_of(df: &DataFrame, vintage: &str, periods: &[String]) -> Result<Vec<Option<f64>>> {
    let v = df.column("labels_as_of")?.cast(&DataType::String)?;
    let p = df.column("period")?.cast(&DataType::String)?;
    let r = df.column("revenue_usd")?.f64()?.clone();
    let mut values = vec![None; periods.len()];
    for ((vv, pp), rr) in v.str()?.iter().zip(p.str()?.iter()).zip(r.iter()) {
        if vv == Some(vintage)
            && let Some(i) = pp.and_then(|pp| periods.iter().position(|x| x == pp))
        {
            values[i] = rr;
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_vintage_with_a_legend() {
        let df = df!(
            "labels_as_of" => ["2023-12-31", "2024-12-31", "2024-12-31"],
            "period" => ["2023", "2023", "2024"],
            "revenue_usd" => [10.0, 20.0, 30.0],
        )
        .unwrap();
        let chart = chart(&df, false).unwrap();
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[0].values, [Some(10.0), None]);
        assert_eq!(chart.series[1].values, [Some(20.0), Some(30.0)]);
        let svg = crate::report::chart::render_svg(&chart).unwrap();
        assert!(svg.contains("labels as of 2023-12-31") && svg.contains("lower bound"));
        assert!(svg.contains("$30"), "a compact dollar tick");
        let png = crate::report::chart::render_png(&chart).unwrap();
        let image = crate::report::png::decoder::decode_rgb(&png).unwrap();
        assert_eq!((image.width, image.height), (1200, 700));
    }

    #[test]
    fn text_is_escaped_in_the_svg() {
        let df = df!(
            "labels_as_of" => ["2024-12-31"],
            "period" => ["<2024&>"],
            "revenue_usd" => [10.0],
        )
        .unwrap();
        let svg = crate::report::chart::render_svg(&chart(&df, false).unwrap()).unwrap();
        assert!(!svg.contains("<2024&>") && svg.contains("&lt;2024&amp;&gt;"));
    }
}
