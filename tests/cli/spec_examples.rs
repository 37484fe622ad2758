//! METHODOLOGY v1 worked examples (`tests/fixtures/spec-examples`, a copy of
//! `../shared/spec/examples`): every expected
//! table must match the run's Parquet, money to the cent and ratios to 1e-6.

use polars::prelude::*;

use crate::workdir::{Workdir, fixture, strings};

fn run_examples(w: &Workdir) {
    let input = fixture("spec-examples/input");
    w.copy_dir(&input, "input");
    w.run_ok(&[
        "run",
        "--data",
        "input",
        "--out",
        "out",
        "--max-reject-rate",
        "1",
    ]);
}

fn expected(name: &str) -> DataFrame {
    let path = fixture("spec-examples/expected").join(format!("{name}.csv"));
    CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path))
        .unwrap()
        .finish()
        .unwrap()
}

/// Compare every expected cell with the output table.
fn assert_table_matches(w: &Workdir, name: &str) {
    let want = expected(name);
    let got = w.table(&format!("out/{name}.parquet"));
    assert_eq!(
        got.height(),
        want.height(),
        "{name}: row count\n{got}\n{want}"
    );
    for column in want.get_column_names() {
        let expected_cells = strings(&want, column);
        let actual_cells = strings(&got, column);
        for (row, (e, a)) in expected_cells.iter().zip(&actual_cells).enumerate() {
            assert!(
                cells_agree(column, e, a),
                "{name}.{column} row {row}: expected {e:?}, got {a:?}\n{got}"
            );
        }
    }
}

fn cells_agree(column: &str, expected: &str, actual: &str) -> bool {
    match (expected.parse::<f64>(), actual.parse::<f64>()) {
        (Ok(e), Ok(a)) => {
            let tolerance = if column.ends_with("_usd") {
                0.005
            } else {
                1e-6
            };
            (e - a).abs() <= tolerance
        }
        _ => expected == actual,
    }
}

#[test]
fn every_example_table_matches_to_the_cent() {
    let w = Workdir::new();
    run_examples(&w);
    for name in [
        "revenue",
        "revenue_by_type",
        "revenue_by_region",
        "revenue_total",
        "reported_losses",
        "addresses",
    ] {
        assert_table_matches(&w, name);
    }
}

#[test]
fn example_row_counts_match_counts_json() {
    let w = Workdir::new();
    run_examples(&w);
    let sum = |kind: &str, field: &str| w.input_total("out", kind, field);
    assert_eq!(sum("transfers", "rows_read"), 13);
    assert_eq!(sum("transfers", "rows_rejected"), 2);
    assert_eq!(sum("transfers", "duplicates_dropped"), 1);
    assert_eq!(sum("transfers", "rows_accepted"), 10);
    assert_eq!(sum("reports", "rows_read"), 8);
    assert_eq!(sum("reports", "rows_accepted"), 7);
    assert_eq!(sum("reports", "rows_rejected"), 1);
}

#[test]
fn example_rejects_name_file_row_kind_and_reason() {
    let w = Workdir::new();
    run_examples(&w);
    let rejects = w.table("out/rejects.parquet");
    assert_eq!(
        strings(&rejects, "input"),
        ["reports", "transfers", "transfers"]
    );
    assert_eq!(strings(&rejects, "row"), ["8", "7", "6"]);
    assert_eq!(
        strings(&rejects, "reason"),
        ["invalid_timestamp", "negative", "invalid_timestamp"]
    );
    assert_eq!(
        strings(&rejects, "column"),
        ["reported_at", "amount", "block_time"]
    );
    assert_eq!(
        strings(&rejects, "value"),
        ["not-a-date", "-4", "yesterday"]
    );
    let files = strings(&rejects, "file");
    assert!(
        files[1].ends_with("a_first.csv") && files[2].ends_with("b_second.csv"),
        "{files:?}"
    );
}
