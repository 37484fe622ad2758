//! The report a run ends in (issue #3): figures equal the Parquet values they
//! cite, headline sentences say what the tables say, definitions shape the
//! report, `report --run` re-renders without recomputing, and the synthetic
//! mark appears exactly when the inputs are synthetic.

use std::fs;
use std::path::Path;

use scamtrends::report::format::thousands;

use crate::sample::run_sample;
use crate::workdir::{Workdir, fixture, floats, read_parquet, rows_where};

/// `figures.csv` rows as (id, value, unit, period, definition, table, filter, text).
pub fn figures(dir: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(dir.join("figures.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,value,unit,period,definition,table,filter,text")
    );
    lines.map(csv_fields).collect()
}

fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn figure<'a>(all: &'a [Vec<String>], id: &str) -> &'a Vec<String> {
    all.iter()
        .find(|f| f[0] == id)
        .unwrap_or_else(|| panic!("no figure {id}"))
}

/// The value a figure's table, filter and column give.
fn table_value(dir: &Path, f: &[String]) -> Option<f64> {
    let column = f[4].rsplit_once('(')?.1.trim_end_matches(')').to_string();
    let mut df = read_parquet(&dir.join(&f[5]));
    for condition in f[6].split(" AND ") {
        let (key, value) = condition.split_once(" = ")?;
        if !value.starts_with('\'') || !value.ends_with('\'') {
            return None; // a summed figure: checked by its own test
        }
        df = rows_where(&df, key, value.trim_matches('\''));
    }
    assert_eq!(df.height(), 1, "{}: the filter names one row", f[0]);
    floats(&df, &column)[0]
}

#[test]
fn the_sample_report_tells_the_pig_butchering_story_from_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &[]);
    for f in ["report.html", "report.md", "figures.csv", "figures.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let charts = fs::read_dir(out.join("charts")).unwrap().count();
    assert_eq!(charts, 12, "six charts, PNG and SVG");

    // The headline sentence, rebuilt from the yearly table it cites.
    let by_type = read_parquet(&out.join("yearly_revenue_by_type.parquet"));
    let pb = rows_where(
        &rows_where(&by_type, "period", "2024"),
        "scam_type",
        "pig_butchering",
    );
    let rev = floats(&pb, "revenue_usd")[0].unwrap();
    let rev_yoy = floats(&pb, "revenue_yoy")[0].unwrap();
    let dep_yoy = floats(&pb, "deposits_yoy")[0].unwrap();
    assert!(rev_yoy > 0.0 && dep_yoy > rev_yoy, "the sample's story");
    let expected = format!(
        "Pig-butchering revenue reached at least ${} [F-2024-PB-REV] in 2024, up {:.1}% [F-2024-PB-REV-YOY] on 2023, while the number of deposits rose {:.1}% [F-2024-PB-DEP-YOY]",
        thousands(rev.round() as i64),
        rev_yoy * 100.0,
        dep_yoy * 100.0
    );
    let md = fs::read_to_string(out.join("report.md"))
        .unwrap()
        .replace("**", "");
    assert!(md.contains(&expected), "{expected}\nnot in\n{md}");
    assert!(md.contains("SYNTHETIC SAMPLE DATA"));
    assert!(md.contains("![Revenue and number of deposits, 2024 vs 2023](charts/growth.png)"));
    assert!(md.contains("lower bound"));

    // Every figure with a plain filter equals its Parquet value exactly.
    let all = figures(&out);
    let mut checked = 0;
    for f in &all {
        if let Some(v) = table_value(&out, f) {
            assert_eq!(
                f[1].parse::<f64>().unwrap(),
                v,
                "{} = {} in {}",
                f[0],
                v,
                f[5]
            );
            checked += 1;
        }
        assert!(
            md.contains(&format!("[{}]", f[0])),
            "{} is cited in the text",
            f[0]
        );
    }
    assert!(checked >= 15, "only {checked} figures checked");
    assert_eq!(
        figure(&all, "F-2024-PB-REV")[1].parse::<f64>().unwrap(),
        rev
    );
    assert!(
        fs::read_to_string(out.join("charts/growth.svg"))
            .unwrap()
            .contains("SYNTHETIC SAMPLE DATA")
    );
}

#[test]
fn summed_figures_equal_the_sum_of_their_rows() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let all = figures(&w.path("out"));
    let losses = rows_where(
        &w.table("out/yearly_reported_losses.parquet"),
        "period",
        "2024",
    );
    let cents: i64 = floats(&losses, "loss_usd")
        .iter()
        .map(|v| (v.unwrap() * 100.0).round() as i64)
        .sum();
    let loss = figure(&all, "F-2024-ALL-LOSS");
    assert_eq!(loss[1].parse::<f64>().unwrap(), cents as f64 / 100.0);
    assert_eq!(loss[5], "yearly_reported_losses.parquet");
    // hand-computed in determinism.rs: 2024 revenue 7379.51
    assert_eq!(figure(&all, "F-2024-ALL-REV")[1], "7379.51");
    assert_eq!(figure(&all, "F-2024-ALL-REV")[7], "$7,380");
    let ratio: f64 = figure(&all, "F-2024-ALL-LOSS-RATIO")[1].parse().unwrap();
    assert!((ratio - cents as f64 / 737_951.0).abs() < 1e-12);
}

#[test]
fn real_inputs_carry_no_synthetic_mark() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    assert_eq!(w.manifest("out")["synthetic_data"], false);
    for f in ["report.html", "report.md", "charts/growth.svg"] {
        let text = fs::read_to_string(w.path("out").join(f)).unwrap();
        assert!(!text.contains("SYNTHETIC"), "{f}");
    }
    w.write("data/SYNTHETIC", "made up\n");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    assert_eq!(w.manifest("out")["synthetic_data"], true);
    assert!(
        fs::read_to_string(w.path("out/charts/growth.svg"))
            .unwrap()
            .contains("SYNTHETIC SAMPLE DATA")
    );
}

const CUSTOM: &str = r#"
title = "Scam revenue, 2023 brief"
period = "quarter"
year = 2023
headline_types = ["pig_butchering"]
sections = ["headlines", "charts", "figures"]
charts = ["growth"]
"#;

#[test]
fn report_rerenders_a_run_from_its_tables_and_verify_still_reproduces() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let tables_before = fs::read(w.path("out/revenue.parquet")).unwrap();
    w.write("brief.toml", CUSTOM);
    w.run_ok(&["report", "--run", "out", "--definition", "brief.toml"]);
    let md = fs::read_to_string(w.path("out/report.md")).unwrap();
    assert!(md.starts_with("# Scam revenue, 2023 brief"), "{md}");
    assert!(
        md.contains("[F-2023-PB-REV]") && !md.contains("F-2024-"),
        "{md}"
    );
    let mut charts: Vec<String> = fs::read_dir(w.path("out/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    charts.sort();
    assert_eq!(charts, ["growth.png", "growth.svg"], "stale charts removed");
    assert_eq!(
        fs::read(w.path("out/revenue.parquet")).unwrap(),
        tables_before
    );
    let manifest = w.manifest("out");
    assert_eq!(manifest["report"]["definition"], "brief.toml");
    assert_eq!(manifest["report"]["headline_year"], 2023);
    let outputs: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert!(outputs.contains(&"charts/growth.png") && !outputs.contains(&"charts/avg_deposit.png"));
    let out = w.run_ok(&["verify", "out"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("reproduced"));
}

#[test]
fn a_definition_for_another_period_is_refused_by_name() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.write("brief.toml", CUSTOM);
    let err = w.run_fails(
        &[
            "run",
            "--data",
            "data",
            "--out",
            "out",
            "--period",
            "month",
            "--report",
            "brief.toml",
        ],
        2,
    );
    assert!(
        err.contains("expects --period quarter, the run used --period month"),
        "{err}"
    );
    assert!(!w.path("out").exists(), "nothing published");
    // the default definition follows the run's flags
    w.run_ok(&["run", "--data", "data", "--out", "out", "--period", "month"]);
    let md = fs::read_to_string(w.path("out/report.md")).unwrap();
    assert!(md.contains("All scam types per month"), "{md}");
}

#[test]
fn no_report_writes_tables_only_and_a_bad_query_names_its_file() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out", "--no-report"]);
    assert!(!w.path("out/report.html").exists() && !w.path("out/charts").exists());
    assert!(w.manifest("out")["report"].is_null());
    w.write("bad.sql", "SELECT nonexistent_column FROM revenue_total");
    w.write(
        "bad.toml",
        "title = \"t\"\nsections = [\"queries\"]\n[[queries]]\nfile = \"bad.sql\"\ntitle = \"broken\"\n",
    );
    let err = w.run_fails(&["report", "--run", "out", "--definition", "bad.toml"], 3);
    assert!(err.contains("bad.sql"), "{err}");
    let err = w.run_fails(
        &["report", "--run", "out", "--definition", "missing.toml"],
        3,
    );
    assert!(err.contains("missing.toml"), "{err}");
}
