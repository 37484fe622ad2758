//! Chart rendering: a `Chart` (plain data: categories, series, units, marks)
//! drawn with plotters into SVG text or PNG bytes, 1200×700, with the
//! embedded DejaVu Sans font, so no system font is ever looked up.
//!
//! Pure: a chart in, bytes out. Which charts exist and what data they hold is
//! `charts.rs`'s business; this file only knows how to draw lines and bars.

use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::format::{compact_usd, signed_percent};
use crate::report::png::encode_rgb;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";
/// DejaVu Sans 2.37 (Bitstream Vera licence, see font/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("font/DejaVuSans.ttf");
static REGISTER_FONT: Once = Once::new();

/// What the y (or, for horizontal bars, x) axis measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Usd,
    Percent,
}

/// How the series are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// One line per series over the categories (periods).
    Lines,
    /// Grouped vertical bars, one bar per series within each category.
    Bars,
    /// One horizontal bar per category, largest first (first series only).
    HorizontalBars,
}

/// One named series of values, one value per category (None = no data).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: RGBColor,
    /// Per-category colours for bars (consistent scam-type colours); falls
    /// back to `color`.
    pub bar_colors: Vec<RGBColor>,
    /// Drawn as a light tint of its colour (second metric next to the first).
    pub light: bool,
    pub values: Vec<Option<f64>>,
}

/// Everything needed to draw one chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem under `charts/`.
    pub id: String,
    pub title: String,
    pub subtitle: String,
    pub value_axis: String,
    pub category_axis: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub unit: Unit,
    pub shape: Shape,
    /// Print the values above bars.
    pub value_labels: bool,
    /// Footnote (source table, lower-bound caveat).
    pub footnote: String,
    /// Carry the "SYNTHETIC SAMPLE DATA" mark.
    pub synthetic: bool,
}

impl Chart {
    /// Whether any series has a value to draw.
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.values.iter().any(Option::is_some))
    }
}

/// The chart as SVG text.
pub fn render_svg(chart: &Chart) -> Result<String> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(chart, &root)?;
        root.present()
            .map_err(|e| anyhow!("drawing {}: {e:?}", chart.id))?;
    }
    Ok(svg)
}

/// The chart as PNG bytes.
pub fn render_png(chart: &Chart) -> Result<Vec<u8>> {
    register_font()?;
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(chart, &root)?;
        root.present()
            .map_err(|e| anyhow!("drawing {}: {e:?}", chart.id))?;
    }
    encode_rgb(WIDTH, HEIGHT, &rgb)
}

fn register_font() -> Result<()> {
    let mut failed = false;
    REGISTER_FONT.call_once(|| {
        failed = plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_err();
    });
    if failed {
        return Err(anyhow!("the embedded DejaVu Sans font did not load"));
    }
    Ok(())
}

type Area<DB> = DrawingArea<DB, Shift>;

fn draw<DB: DrawingBackend>(chart: &Chart, root: &Area<DB>) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing {}: {e:?}", chart.id);
    root.fill(&WHITE).map_err(err)?;
    draw_frame(chart, root).map_err(err)?;
    let plot = root.margin(110, 60, 30, 40);
    if !chart.has_data() {
        return draw_no_data(&plot).map_err(err);
    }
    match chart.shape {
        Shape::Lines => draw_lines(chart, root, &plot).map_err(err),
        Shape::Bars => draw_bars(chart, root, &plot).map_err(err),
        Shape::HorizontalBars => draw_horizontal(chart, root, &plot).map_err(err),
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn grey() -> RGBColor {
    RGBColor(90, 90, 90)
}

/// Title, subtitle, footnote and the synthetic-data mark.
fn draw_frame<DB: DrawingBackend>(chart: &Chart, root: &Area<DB>) -> DrawResult<DB> {
    let w = WIDTH as i32;
    let h = HEIGHT as i32;
    root.draw(&Text::new(
        chart.title.clone(),
        (40, 22),
        (FONT, 30).into_font().color(&BLACK),
    ))?;
    root.draw(&Text::new(
        chart.subtitle.clone(),
        (40, 62),
        (FONT, 18).into_font().color(&grey()),
    ))?;
    root.draw(&Text::new(
        chart.footnote.clone(),
        (40, h - 30),
        (FONT, 14).into_font().color(&grey()),
    ))?;
    if chart.synthetic {
        let red = RGBColor(176, 0, 32);
        root.draw(&Rectangle::new(
            [(w - 300, 14), (w - 30, 50)],
            red.stroke_width(2),
        ))?;
        let style = (FONT, 17)
            .into_font()
            .color(&red)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new("SYNTHETIC SAMPLE DATA", (w - 165, 32), style))?;
    }
    Ok(())
}

fn draw_no_data<DB: DrawingBackend>(plot: &Area<DB>) -> DrawResult<DB> {
    let (w, h) = plot.dim_in_pixel();
    let style = (FONT, 22)
        .into_font()
        .color(&grey())
        .pos(Pos::new(HPos::Center, VPos::Center));
    plot.draw(&Text::new(
        "No data for this chart in this run",
        (w as i32 / 2, h as i32 / 2),
        style,
    ))
}

/// Axis range padded to round numbers, always including zero.
pub fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0f64, 0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let step = nice_step((hi - lo) / 6.0);
    let lo = if lo < 0.0 {
        (lo / step).floor() * step
    } else {
        0.0
    };
    ((lo), ((hi * 1.08) / step).ceil() * step)
}

/// The smallest 1, 2 or 5 × 10^k at or above `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * 0.999_999)
        .unwrap_or(10.0 * magnitude)
}

fn format_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Usd => compact_usd(v),
        Unit::Percent => signed_percent(v),
    }
}

/// Axis ticks: round percentages without decimals (`+50%`), compact dollars.
fn tick_label(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Percent if (v * 100.0).abs() < 0.5 => "0%".to_string(),
        Unit::Percent => format!("{:+.0}%", v * 100.0),
        Unit::Usd => compact_usd(v),
    }
}

fn all_values(chart: &Chart) -> impl Iterator<Item = f64> + '_ {
    chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
}

fn label_style() -> TextStyle<'static> {
    (FONT, 15).into_font().color(&BLACK)
}

/// Category labels under the x axis, thinned so that they never overlap.
fn draw_category_labels<DB: DrawingBackend>(
    root: &Area<DB>,
    labels: &[String],
    position: impl Fn(usize) -> (i32, i32),
) -> DrawResult<DB> {
    let every = labels.len().div_ceil(16).max(1);
    let style = label_style().pos(Pos::new(HPos::Center, VPos::Top));
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let (x, y) = position(i);
        root.draw(&Text::new(label.clone(), (x, y + 8), style.clone()))?;
    }
    Ok(())
}

fn draw_lines<DB: DrawingBackend>(
    chart: &Chart,
    root: &Area<DB>,
    plot: &Area<DB>,
) -> DrawResult<DB> {
    let n = chart.categories.len();
    let (lo, hi) = value_range(all_values(chart));
    let mut cc = vertical_chart(chart, plot, lo, hi)?;
    for s in &chart.series {
        let color = s.color;
        let points: Vec<(f64, f64)> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
            .collect();
        cc.draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(4))
            });
        cc.draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
    }
    let positions: Vec<(i32, i32)> = (0..n).map(|i| cc.backend_coord(&(i as f64, lo))).collect();
    draw_legend(&mut cc)?;
    draw_category_labels(root, &chart.categories, |i| positions[i])
}

/// Categories along x (one unit each), values up the y axis, mesh drawn.
fn vertical_chart<'a, DB: DrawingBackend>(
    chart: &Chart,
    plot: &'a Area<DB>,
    lo: f64,
    hi: f64,
) -> Result<F64Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let n = chart.categories.len() as f64;
    let mut cc = ChartBuilder::on(plot)
        .x_label_area_size(50)
        .y_label_area_size(100)
        .margin_right(20)
        .build_cartesian_2d(-0.5f64..(n - 0.5), lo..hi)?;
    configure_value_mesh(chart, &mut cc, true)?;
    Ok(cc)
}

/// The value axis: round ticks with units, a light grid, axis titles.
fn configure_value_mesh<DB: DrawingBackend>(
    chart: &Chart,
    cc: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    vertical_values: bool,
) -> DrawResult<DB> {
    let unit = chart.unit;
    let formatter = move |v: &f64| tick_label(unit, *v);
    let blank = |_: &f64| String::new();
    let mut mesh = cc.configure_mesh();
    mesh.light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_desc_style((FONT, 18))
        .label_style(label_style());
    if vertical_values {
        mesh.disable_x_mesh()
            .y_labels(8)
            .y_label_formatter(&formatter)
            .x_label_formatter(&blank)
            .y_desc(chart.value_axis.as_str())
            .x_desc(chart.category_axis.as_str());
    } else {
        mesh.disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&formatter)
            .y_label_formatter(&blank)
            .x_desc(chart.value_axis.as_str());
    }
    mesh.draw()
}

fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    cc: &mut ChartContext<'a, DB, CT>,
) -> DrawResult<DB> {
    cc.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 16))
        .draw()
}

/// A light tint of a colour (mixed with white).
fn tint(c: RGBColor) -> RGBColor {
    let mix = |v: u8| (v as u16 + (255 - v as u16) * 55 / 100) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

fn bar_color(s: &Series, category: usize) -> RGBColor {
    let base = s.bar_colors.get(category).copied().unwrap_or(s.color);
    if s.light { tint(base) } else { base }
}

fn draw_bars<DB: DrawingBackend>(
    chart: &Chart,
    root: &Area<DB>,
    plot: &Area<DB>,
) -> DrawResult<DB> {
    let n = chart.categories.len();
    let m = chart.series.len().max(1);
    let (lo, hi) = value_range(all_values(chart));
    let mut cc = vertical_chart(chart, plot, lo, hi)?;
    let width = 0.8 / m as f64;
    for (j, s) in chart.series.iter().enumerate() {
        let left = |i: usize| i as f64 - 0.4 + j as f64 * width;
        let bars = s.values.iter().enumerate().filter_map(|(i, v)| {
            v.map(|v| {
                Rectangle::new(
                    [(left(i), 0.0), (left(i) + width * 0.92, v)],
                    bar_color(s, i).filled(),
                )
            })
        });
        let legend_color = if s.light {
            tint(RGBColor(60, 60, 60))
        } else {
            RGBColor(60, 60, 60)
        };
        let legend_color = if s.bar_colors.is_empty() {
            bar_color(s, 0)
        } else {
            legend_color
        };
        cc.draw_series(bars)?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 7), (x + 18, y + 7)], legend_color.filled())
            });
        if chart.value_labels {
            draw_bar_values(chart, root, &cc, s, |i| left(i) + width * 0.46)?;
        }
    }
    let zero = cc.backend_coord(&(0.0, 0.0)).1;
    let positions: Vec<(i32, i32)> = (0..n).map(|i| cc.backend_coord(&(i as f64, lo))).collect();
    cc.plotting_area().draw(&PathElement::new(
        vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
        BLACK,
    ))?;
    let _ = zero;
    draw_legend(&mut cc)?;
    draw_category_labels(root, &chart.categories, |i| positions[i])
}

type F64Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Value labels just outside the end of each bar.
fn draw_bar_values<DB: DrawingBackend>(
    chart: &Chart,
    root: &Area<DB>,
    cc: &F64Chart<'_, DB>,
    s: &Series,
    center: impl Fn(usize) -> f64,
) -> DrawResult<DB> {
    for (i, v) in s.values.iter().enumerate() {
        let Some(v) = v else { continue };
        let (x, y) = cc.backend_coord(&(center(i), *v));
        let (vpos, dy) = if *v >= 0.0 {
            (VPos::Bottom, -4)
        } else {
            (VPos::Top, 4)
        };
        let style = (FONT, 14)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, vpos));
        root.draw(&Text::new(format_value(chart.unit, *v), (x, y + dy), style))?;
    }
    Ok(())
}

fn draw_horizontal<DB: DrawingBackend>(
    chart: &Chart,
    root: &Area<DB>,
    plot: &Area<DB>,
) -> DrawResult<DB> {
    let n = chart.categories.len();
    let (lo, hi) = value_range(all_values(chart));
    let mut cc = ChartBuilder::on(plot)
        .x_label_area_size(50)
        .y_label_area_size(260)
        .margin_right(40)
        .build_cartesian_2d(lo..hi, -0.5f64..(n as f64 - 0.5))?;
    configure_value_mesh(chart, &mut cc, false)?;
    let Some(s) = chart.series.first() else {
        return Ok(());
    };
    // The first category is drawn at the top.
    let row = |i: usize| (n - 1 - i) as f64;
    let bars = s.values.iter().enumerate().filter_map(|(i, v)| {
        v.map(|v| {
            Rectangle::new(
                [(0.0, row(i) - 0.36), (v, row(i) + 0.36)],
                bar_color(s, i).filled(),
            )
        })
    });
    cc.draw_series(bars)?;
    let label = label_style().pos(Pos::new(HPos::Right, VPos::Center));
    let value = (FONT, 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, name) in chart.categories.iter().enumerate() {
        let (x, y) = cc.backend_coord(&(lo, row(i)));
        root.draw(&Text::new(name.clone(), (x - 10, y), label.clone()))?;
        if let Some(Some(v)) = s.values.get(i) {
            let (vx, vy) = cc.backend_coord(&(*v, row(i)));
            root.draw(&Text::new(
                format_value(chart.unit, *v),
                (vx + 6, vy),
                value.clone(),
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample_chart(shape: Shape) -> Chart {
        Chart {
            id: "test".into(),
            title: "Scam revenue by type (lower bound)".into(),
            subtitle: "USD received by reported scam addresses, per quarter".into(),
            value_axis: "Revenue (USD)".into(),
            category_axis: "Quarter".into(),
            categories: vec!["2024Q1".into(), "2024Q2".into(), "2024Q3".into()],
            series: vec![
                Series {
                    name: "Pig-butchering".into(),
                    color: RGBColor(213, 94, 0),
                    bar_colors: vec![],
                    light: false,
                    values: vec![Some(120_000.0), Some(250_000.0), None],
                },
                Series {
                    name: "Investment".into(),
                    color: RGBColor(0, 114, 178),
                    bar_colors: vec![],
                    light: true,
                    values: vec![Some(900_000.0), Some(1_200_000.0), Some(1_500_000.0)],
                },
            ],
            unit: Unit::Usd,
            shape,
            value_labels: shape == Shape::Bars,
            footnote: "Lower bound. Source: revenue_by_type.parquet".into(),
            synthetic: true,
        }
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_step(397_000.0), 500_000.0);
        assert_eq!(nice_step(7.5), 10.0);
        assert_eq!(nice_step(2.0), 2.0);
    }

    #[test]
    fn value_range_is_round_and_includes_zero() {
        assert_eq!(value_range([3.0, 9.5].into_iter()), (0.0, 12.0));
        assert_eq!(value_range([-0.37, 2.1].into_iter()), (-0.5, 2.5));
        let (lo, hi) = value_range(std::iter::empty());
        assert_eq!(lo, 0.0);
        assert!((hi - 1.2).abs() < 1e-9, "{hi}");
    }

    #[test]
    fn svg_carries_title_units_legend_and_marks() {
        for shape in [Shape::Lines, Shape::Bars, Shape::HorizontalBars] {
            let svg = render_svg(&sample_chart(shape)).unwrap();
            assert!(
                svg.contains("Scam revenue by type (lower bound)"),
                "{shape:?}"
            );
            assert!(svg.contains("SYNTHETIC SAMPLE DATA"), "{shape:?}");
            let millions = ["$1M", "$1.2M", "$1.5M"].iter().any(|t| svg.contains(t));
            assert!(millions, "{shape:?}: compact dollar ticks");
            assert!(!svg.contains("000000<"), "{shape:?}: no raw dollar ticks");
            assert!(svg.contains(r#"width="1200" height="700""#), "{shape:?}");
        }
        let lines = render_svg(&sample_chart(Shape::Lines)).unwrap();
        assert!(lines.contains("Pig-butchering") && lines.contains("2024Q3"));
    }

    #[test]
    fn svg_snapshots() {
        insta::assert_snapshot!("lines", render_svg(&sample_chart(Shape::Lines)).unwrap());
        insta::assert_snapshot!("bars", render_svg(&sample_chart(Shape::Bars)).unwrap());
        insta::assert_snapshot!(
            "horizontal_bars",
            render_svg(&sample_chart(Shape::HorizontalBars)).unwrap()
        );
    }

    #[test]
    fn png_decodes_to_1200_by_700_and_is_not_blank() {
        let png = render_png(&sample_chart(Shape::Bars)).unwrap();
        let image = crate::report::png::decoder::decode_rgb(&png).unwrap();
        assert_eq!((image.width, image.height), (1200, 700));
        let colours: std::collections::BTreeSet<&[u8]> = image.pixels.chunks(3).collect();
        assert!(colours.len() > 20, "only {} colours", colours.len());
        let non_white = image
            .pixels
            .chunks(3)
            .filter(|p| *p != [255, 255, 255])
            .count();
        assert!(non_white > 20_000, "{non_white} non-white pixels");
        let vermilion = image
            .pixels
            .chunks(3)
            .filter(|p| *p == [213, 94, 0])
            .count();
        assert!(
            vermilion > 1_000,
            "pig-butchering bars drawn in their colour"
        );
    }

    #[test]
    fn a_chart_without_values_says_so() {
        let mut chart = sample_chart(Shape::Lines);
        for s in &mut chart.series {
            s.values = vec![None; 3];
        }
        assert!(
            render_svg(&chart)
                .unwrap()
                .contains("No data for this chart")
        );
    }
}
