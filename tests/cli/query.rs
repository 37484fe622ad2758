//! `scamtrends query`: the SQL files in `queries/` run over a run's tables.

use std::path::Path;

use crate::workdir::{Workdir, fixture, floats, strings};

fn query_file(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("queries")
        .join(name)
        .display()
        .to_string()
}

fn fixture_outputs(w: &Workdir) {
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
}

#[test]
fn every_shipped_query_runs() {
    let w = Workdir::new();
    fixture_outputs(&w);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path().display().to_string();
        w.run_ok(&["query", &path, "--run", "out", "--format", "csv"]);
        n += 1;
    }
    assert!(n >= 2);
}

#[test]
fn top_regions_per_type_ranks_by_revenue() {
    let w = Workdir::new();
    fixture_outputs(&w);
    let q = query_file("top_regions_per_type.sql");
    w.run_ok(&[
        "query",
        &q,
        "--run",
        "out",
        "--format",
        "parquet",
        "--output",
        "top.parquet",
    ]);
    let top = w.table("top.parquet");
    assert_eq!(
        strings(&top, "scam_type"),
        ["extortion", "impersonation", "investment", "pig_butchering"]
    );
    assert_eq!(strings(&top, "rank_in_type"), ["1", "1", "1", "1"]);
    // pig butchering, all periods: 1200 + 1425.38 + 1999 + 10.01
    assert_eq!(floats(&top, "revenue_usd")[3], Some(4634.39));
}

#[test]
fn quarter_on_quarter_uses_the_previous_quarter() {
    let w = Workdir::new();
    fixture_outputs(&w);
    let q = query_file("quarter_on_quarter.sql");
    let out = w.run_ok(&["query", &q, "--run", "out", "--format", "csv"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    // pig butchering 2023Q2 (1425.38) after 2023Q1 (1200)
    assert!(
        csv.contains("pig_butchering,2023Q2,2023,2,1425.38,1,1200.0,0.18781"),
        "{csv}"
    );
}

#[test]
fn a_query_error_names_the_file_and_position() {
    let w = Workdir::new();
    fixture_outputs(&w);
    w.write("bad.sql", "SELECT *\nFROM revenue WHERE revenue_usd > )");
    let err = w.run_fails(&["query", "bad.sql", "--run", "out"], 3);
    assert!(
        err.contains("bad.sql") && err.contains("Line: 2, Column: 34"),
        "{err}"
    );
}
