//! Which charts a report has and what each shows, as plain `Chart` data:
//! revenue by type per period, revenue vs deposits growth by type, average
//! deposit by type, revenue by region (latest year and trend), reported
//! losses vs on-chain revenue. Each scam type keeps one colour everywhere
//! (Okabe–Ito, colour-blind safe). Drawing is `chart.rs`'s job.

use plotters::style::RGBColor;

use crate::model::Period;
use crate::report::chart::{Chart, Series, Shape, Unit};
use crate::report::context::losses_by_type;
use crate::report::data::{Rollup, RunData, cents};
use crate::report::definition::ChartKind;
use crate::report::format::type_name;

/// Canonical scam types in METHODOLOGY §3 priority order, with their colours.
const TYPE_COLORS: [(&str, RGBColor); 7] = [
    ("pig_butchering", RGBColor(213, 94, 0)),
    ("investment", RGBColor(0, 114, 178)),
    ("impersonation", RGBColor(0, 158, 115)),
    ("phishing", RGBColor(230, 159, 0)),
    ("extortion", RGBColor(204, 121, 167)),
    ("employment", RGBColor(86, 180, 233)),
    ("other", RGBColor(128, 128, 128)),
];
/// Colours for non-type series (regions), same palette.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// The colour of a scam type (types outside the taxonomy are black).
pub fn type_color(scam_type: &str) -> RGBColor {
    TYPE_COLORS
        .iter()
        .find(|(t, _)| *t == scam_type)
        .map(|(_, c)| *c)
        .unwrap_or(RGBColor(0, 0, 0))
}

/// The inputs every chart builder shares.
pub struct ChartContext<'a> {
    pub data: &'a RunData,
    pub year: i32,
    pub top_regions: usize,
}

impl ChartContext<'_> {
    fn base(&self, kind: ChartKind, title: String, subtitle: String, source: &str) -> Chart {
        Chart {
            id: kind.id().to_string(),
            title,
            subtitle,
            value_axis: "Revenue, USD (lower bound)".into(),
            category_axis: String::new(),
            categories: Vec::new(),
            series: Vec::new(),
            unit: Unit::Usd,
            shape: Shape::Lines,
            value_labels: false,
            footnote: format!(
                "Lower bound: only transfers into addresses reported as scams are counted. Source: {source}. scamtrends"
            ),
            synthetic: self.data.provenance.synthetic_data,
        }
    }

    fn year_rows<'r>(&self, rows: &'r [Rollup]) -> Vec<&'r Rollup> {
        let y = self.year.to_string();
        rows.iter().filter(|r| r.period == y).collect()
    }
}

/// Build one chart.
pub fn build(kind: ChartKind, ctx: &ChartContext) -> Chart {
    match kind {
        ChartKind::RevenueByType => revenue_by_type(ctx),
        ChartKind::Growth => growth(ctx),
        ChartKind::AvgDeposit => avg_deposit(ctx),
        ChartKind::RegionLatest => region_latest(ctx),
        ChartKind::RegionTrend => region_trend(ctx),
        ChartKind::LossesVsRevenue => losses_vs_revenue(ctx),
    }
}

fn period_noun(p: Period) -> &'static str {
    match p {
        Period::Quarter => "quarter",
        Period::Month => "month",
        Period::Year => "year",
    }
}

/// Periods of the run in order (as labels).
fn periods(rows: &[Rollup]) -> Vec<String> {
    let mut out: Vec<String> = rows.iter().map(|r| r.period.clone()).collect();
    out.sort();
    out.dedup();
    out
}

/// Types present in rows, in the taxonomy's order (unknown types last, by name).
fn types_in(rows: &[&Rollup]) -> Vec<String> {
    let mut types: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
    types.sort_by_key(|t| {
        (
            TYPE_COLORS.iter().position(|(c, _)| c == t).unwrap_or(99),
            t.clone(),
        )
    });
    types.dedup();
    types
}

fn series_over(
    rows: &[Rollup],
    key: &str,
    periods: &[String],
    name: String,
    color: RGBColor,
) -> Series {
    Series {
        name,
        color,
        bar_colors: Vec::new(),
        light: false,
        values: periods
            .iter()
            .map(|p| {
                rows.iter()
                    .find(|r| &r.period == p && r.key == key)
                    .map(|r| r.revenue_usd)
            })
            .collect(),
    }
}

fn revenue_by_type(ctx: &ChartContext) -> Chart {
    let rows = &ctx.data.by_type;
    let noun = period_noun(ctx.data.period);
    let mut chart = ctx.base(
        ChartKind::RevenueByType,
        format!("Scam revenue by type, per {noun}"),
        "USD received by addresses reported as scams (lower bound)".into(),
        "revenue_by_type.parquet",
    );
    chart.categories = periods(rows);
    chart.category_axis = capitalised(noun);
    let all: Vec<&Rollup> = rows.iter().collect();
    chart.series = types_in(&all)
        .into_iter()
        .map(|t| series_over(rows, &t, &chart.categories, type_name(&t), type_color(&t)))
        .collect();
    chart
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// One bar series over scam types, each bar in its type's colour.
fn type_bars(
    types: &[String],
    name: &str,
    light: bool,
    value: impl Fn(&str) -> Option<f64>,
) -> Series {
    Series {
        name: name.to_string(),
        color: RGBColor(60, 60, 60),
        bar_colors: types.iter().map(|t| type_color(t)).collect(),
        light,
        values: types.iter().map(|t| value(t)).collect(),
    }
}

fn growth(ctx: &ChartContext) -> Chart {
    let (y, rows) = (ctx.year, ctx.year_rows(&ctx.data.year_by_type));
    let compared: Vec<&Rollup> = rows
        .into_iter()
        .filter(|r| r.revenue_yoy.is_some())
        .collect();
    let types = types_in(&compared);
    let find = |t: &str| compared.iter().find(|r| r.key == t).copied();
    let mut chart = ctx.base(
        ChartKind::Growth,
        format!("Revenue and number of deposits, {y} vs {}", y - 1),
        "Change on the previous year by scam type: solid bars revenue, light bars deposits".into(),
        "revenue_by_type (yearly), columns revenue_yoy and deposits_yoy",
    );
    chart.shape = Shape::Bars;
    chart.unit = Unit::Percent;
    chart.value_labels = true;
    chart.value_axis = format!("Change on {} (%)", y - 1);
    chart.category_axis = "Scam type".into();
    chart.categories = types.iter().map(|t| type_name(t)).collect();
    chart.series = vec![
        type_bars(&types, "Revenue (lower bound)", false, |t| {
            find(t).and_then(|r| r.revenue_yoy)
        }),
        type_bars(&types, "Number of deposits", true, |t| {
            find(t).and_then(|r| r.deposits_yoy)
        }),
    ];
    chart
}

fn avg_deposit(ctx: &ChartContext) -> Chart {
    let y = ctx.year;
    let current = ctx.year_rows(&ctx.data.year_by_type);
    let prev_label = (y - 1).to_string();
    let previous: Vec<&Rollup> = ctx
        .data
        .year_by_type
        .iter()
        .filter(|r| r.period == prev_label)
        .collect();
    let types = types_in(&current);
    let avg = |rows: &[&Rollup], t: &str| {
        rows.iter()
            .find(|r| r.key == t)
            .and_then(|r| r.avg_deposit_usd)
    };
    let mut chart = ctx.base(
        ChartKind::AvgDeposit,
        format!("Average deposit by scam type, {} and {y}", y - 1),
        format!(
            "USD per priced deposit: light bars {}, solid bars {y}",
            y - 1
        ),
        "revenue_by_type (yearly), column avg_deposit_usd",
    );
    chart.shape = Shape::Bars;
    chart.value_labels = true;
    chart.value_axis = "Average deposit (USD)".into();
    chart.category_axis = "Scam type".into();
    chart.categories = types.iter().map(|t| type_name(t)).collect();
    chart.series = vec![
        type_bars(&types, &(y - 1).to_string(), true, |t| avg(&previous, t)),
        type_bars(&types, &y.to_string(), false, |t| avg(&current, t)),
    ];
    chart
}

/// Regions of the year, largest revenue first (ties by name), at most `n`.
fn top_regions<'r>(ctx: &ChartContext, rows: &'r [Rollup], n: usize) -> Vec<&'r Rollup> {
    let y = ctx.year.to_string();
    let mut rows: Vec<&Rollup> = rows.iter().filter(|r| r.period == y).collect();
    rows.sort_by(|a, b| {
        cents(b.revenue_usd)
            .cmp(&cents(a.revenue_usd))
            .then(a.key.cmp(&b.key))
    });
    rows.truncate(n);
    rows
}

fn region_latest(ctx: &ChartContext) -> Chart {
    let top = top_regions(ctx, &ctx.data.year_by_region, ctx.top_regions);
    let mut chart = ctx.base(
        ChartKind::RegionLatest,
        format!("Scam revenue by region, {}", ctx.year),
        "Region from the country of the reports naming each address; largest first".into(),
        "revenue_by_region (yearly)",
    );
    chart.shape = Shape::HorizontalBars;
    chart.categories = top.iter().map(|r| r.key.clone()).collect();
    chart.series = vec![Series {
        name: "Revenue".into(),
        color: PALETTE[0],
        bar_colors: Vec::new(),
        light: false,
        values: top.iter().map(|r| Some(r.revenue_usd)).collect(),
    }];
    chart
}

fn region_trend(ctx: &ChartContext) -> Chart {
    let top = top_regions(ctx, &ctx.data.year_by_region, 5);
    let rows = &ctx.data.by_region;
    let noun = period_noun(ctx.data.period);
    let mut chart = ctx.base(
        ChartKind::RegionTrend,
        format!(
            "Scam revenue per {noun}, the five largest regions of {}",
            ctx.year
        ),
        "USD received by addresses reported as scams (lower bound)".into(),
        "revenue_by_region.parquet",
    );
    chart.categories = periods(rows);
    chart.category_axis = capitalised(noun);
    chart.series = top
        .iter()
        .enumerate()
        .map(|(i, r)| {
            series_over(
                rows,
                &r.key,
                &chart.categories,
                r.key.clone(),
                PALETTE[i % PALETTE.len()],
            )
        })
        .collect();
    chart
}

fn losses_vs_revenue(ctx: &ChartContext) -> Chart {
    let y = ctx.year;
    let revenue = ctx.year_rows(&ctx.data.year_by_type);
    let losses = losses_by_type(ctx.data, &y.to_string());
    let mut types: Vec<String> = types_in(&revenue);
    for (t, _, _) in &losses {
        if !types.contains(t) {
            types.push(t.clone());
        }
    }
    let mut chart = ctx.base(
        ChartKind::LossesVsRevenue,
        format!("Reported losses and on-chain revenue by scam type, {y}"),
        "Solid bars: on-chain revenue (lower bound); light bars: losses victims reported".into(),
        "revenue_by_type and reported_losses (yearly)",
    );
    chart.shape = Shape::Bars;
    chart.value_labels = true;
    chart.value_axis = "USD".into();
    chart.category_axis = "Scam type".into();
    chart.categories = types.iter().map(|t| type_name(t)).collect();
    chart.series = vec![
        type_bars(&types, "On-chain revenue (lower bound)", false, |t| {
            revenue.iter().find(|r| r.key == t).map(|r| r.revenue_usd)
        }),
        type_bars(&types, "Reported losses", true, |t| {
            losses
                .iter()
                .find(|(k, _, _)| k == t)
                .map(|(_, _, c)| *c as f64 / 100.0)
        }),
    ];
    chart
}
