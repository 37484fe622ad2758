//! The revisions chart as a self-contained SVG: revenue per period, one line
//! per label vintage. Pure: a table in, SVG text out.

use std::fmt::Write;

use anyhow::Result;

use crate::report::chart::nice_step;
use crate::report::format::compact_usd;
use polars::prelude::*;

const W: f64 = 1200.0;
const H: f64 = 700.0;
const LEFT: f64 = 110.0;
const RIGHT: f64 = 220.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 80.0;
/// Okabe–Ito colour-blind-safe palette.
const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000",
];

/// Render `labels_as_of, period, revenue_usd` as an SVG line chart.
pub fn render_svg(table: &DataFrame) -> Result<String> {
    let vintages: Vec<String> = unique_strings(table, "labels_as_of")?;
    let periods: Vec<String> = unique_strings(table, "period")?;
    let top = table
        .column("revenue_usd")?
        .f64()?
        .max()
        .unwrap_or(0.0)
        .max(1.0);
    let max = 4.0 * nice_step(top / 4.0);
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / periods.len().max(1) as f64;
    let y = |v: f64| H - BOTTOM - (H - TOP - BOTTOM) * v / max;
    let mut svg = String::new();
    write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">"#
    )?;
    write!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
    write!(
        svg,
        r#"<text x="{LEFT}" y="32" font-size="22">Scam revenue by period as labels accumulate (lower bound)</text>"#
    )?;
    write!(
        svg,
        r##"<text x="{LEFT}" y="54" font-size="14" fill="#555">Each line uses only the reports known on its date (--labels-as-of)</text>"##
    )?;
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let (x2, yv, label) = (W - RIGHT, y(v), compact_usd(v));
        write!(
            svg,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{yv:.1}" y2="{yv:.1}" stroke="#ddd"/>"##
        )?;
        write!(
            svg,
            r#"<text x="{}" y="{:.1}" font-size="13" text-anchor="end">{label}</text>"#,
            LEFT - 8.0,
            yv + 4.0
        )?;
    }
    for (i, p) in periods.iter().enumerate() {
        write!(
            svg,
            r#"<text x="{:.1}" y="{}" font-size="13" text-anchor="middle">{p}</text>"#,
            x(i),
            H - BOTTOM + 22.0
        )?;
    }
    write!(
        svg,
        r#"<text x="{}" y="{}" font-size="14" text-anchor="middle">period</text>"#,
        (LEFT + W - RIGHT) / 2.0,
        H - 25.0
    )?;
    write!(
        svg,
        r#"<text transform="translate(24 {}) rotate(-90)" font-size="14" text-anchor="middle">revenue (USD, lower bound)</text>"#,
        (TOP + H - BOTTOM) / 2.0
    )?;
    for (k, vintage) in vintages.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points = line_points(table, vintage, &periods)?;
        let path: Vec<String> = points
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
            .collect();
        write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="3" points="{}"/>"#,
            path.join(" ")
        )?;
        for (i, v) in &points {
            write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"/>"#,
                x(*i),
                y(*v)
            )?;
        }
        let ly = TOP + 24.0 * k as f64;
        write!(
            svg,
            r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}" font-size="13">labels as of {vintage}</text>"#,
            W - RIGHT + 20.0,
            W - RIGHT + 44.0,
            W - RIGHT + 50.0,
            ly + 4.0
        )?;
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

fn unique_strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    let c = df.column(column)?.cast(&DataType::String)?;
    let mut out: Vec<String> = c.str()?.iter().flatten().map(str::to_string).collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// (period index, revenue) for one vintage.
fn line_points(df: &DataFrame, vintage: &str, periods: &[String]) -> Result<Vec<(usize, f64)>> {
    let v = df.column("labels_as_of")?.cast(&DataType::String)?;
    let p = df.column("period")?.cast(&DataType::String)?;
    let r = df.column("revenue_usd")?.f64()?.clone();
    let mut points = Vec::new();
    for ((vv, pp), rr) in v.str()?.iter().zip(p.str()?.iter()).zip(r.iter()) {
        if vv == Some(vintage)
            && let (Some(i), Some(rev)) =
                (pp.and_then(|pp| periods.iter().position(|x| x == pp)), rr)
        {
            points.push((i, rev));
        }
    }
    points.sort_by_key(|(i, _)| *i);
    Ok(points)
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
        let svg = render_svg(&df).unwrap();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("labels as of 2023-12-31") && svg.contains("lower bound"));
        assert!(svg.contains("$40"), "top axis label on a round tick");
    }
}
