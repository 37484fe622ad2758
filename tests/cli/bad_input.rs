//! Every bad input ends in one clear line naming the file (and column), a
//! documented exit code, and no partial output directory.

use crate::rules::{P_HEADER, R_HEADER, REPORTS, T_HEADER, dataset};
use crate::workdir::Workdir;

const BAD_INPUT: i32 = 3;
const REJECT_RATE: i32 = 4;
const USAGE: i32 = 2;

fn good_dataset(w: &Workdir) {
    dataset(
        w,
        &[("t.csv", "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n")],
        REPORTS,
        "",
    );
}

fn fails(w: &Workdir, args: &[&str], code: i32) -> String {
    let stderr = w.run_fails(args, code);
    assert!(
        !w.path("out").exists(),
        "a failed run must not leave an output directory"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn missing_file_is_named() {
    let w = Workdir::new();
    good_dataset(&w);
    let err = fails(
        &w,
        &[
            "run",
            "--transfers",
            "nope.csv",
            "--reports",
            "data/reports.csv",
            "--out",
            "out",
        ],
        BAD_INPUT,
    );
    assert!(err.contains("nope.csv"), "{err}");
}

#[test]
fn missing_column_names_it_and_the_columns_present() {
    let w = Workdir::new();
    good_dataset(&w);
    w.write(
        "data/transfers/t.csv",
        "chain,tx_hash,block_time,from_address,asset,amount\ntron,a,1,x,USDT,1\n",
    );
    let err = fails(&w, &["run", "--data", "data", "--out", "out"], BAD_INPUT);
    assert!(err.contains("t.csv") && err.contains("to_address"), "{err}");
    assert!(
        err.contains("columns present: chain, tx_hash, block_time, from_address, asset, amount"),
        "{err}"
    );
}

#[test]
fn truncated_parquet_is_a_bad_input() {
    let w = Workdir::new();
    good_dataset(&w);
    w.write("data/transfers/t.parquet", b"PAR1\x00\x01\x02garbage");
    let err = fails(&w, &["run", "--data", "data", "--out", "out"], BAD_INPUT);
    assert!(err.contains("t.parquet"), "{err}");
}

#[test]
fn truncated_gzip_is_a_bad_input() {
    use std::io::Write;
    let w = Workdir::new();
    good_dataset(&w);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        format!("{T_HEADER}tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n")
            .repeat(50)
            .as_bytes(),
    )
    .unwrap();
    let bytes = gz.finish().unwrap();
    w.write("data/transfers/t.csv.gz", &bytes[..bytes.len() / 2]);
    std::fs::remove_file(w.path("data/transfers/t.csv")).unwrap();
    let err = fails(&w, &["run", "--data", "data", "--out", "out"], BAD_INPUT);
    assert!(err.contains("t.csv.gz"), "{err}");
}

#[test]
fn empty_transfers_export_fails_unless_allowed() {
    let w = Workdir::new();
    dataset(&w, &[("t.csv", "")], REPORTS, "");
    let err = fails(&w, &["run", "--data", "data", "--out", "out"], BAD_INPUT);
    assert!(
        err.contains("empty") && err.contains("--allow-empty"),
        "{err}"
    );
    w.run_ok(&["run", "--data", "data", "--out", "out", "--allow-empty"]);
    assert_eq!(w.table("out/revenue_total.parquet").height(), 0);
}

#[test]
fn reject_rate_above_the_limit_fails_with_its_own_code() {
    let w = Workdir::new();
    let body = "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\ntron,b,0,never,TV1,TScamA,USDT,10,10\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    let err = fails(&w, &["run", "--data", "data", "--out", "out"], REJECT_RATE);
    assert!(
        err.contains("1 of 2") && err.contains("invalid_timestamp"),
        "{err}"
    );
    w.run_ok(&[
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--max-reject-rate",
        "0.5",
    ]);
}

#[test]
fn unknown_period_is_a_usage_error() {
    let w = Workdir::new();
    good_dataset(&w);
    let err = fails(
        &w,
        &["run", "--data", "data", "--out", "out", "--period", "week"],
        USAGE,
    );
    assert!(err.contains("week"), "{err}");
}

#[test]
fn a_failed_run_leaves_the_previous_output_untouched() {
    let w = Workdir::new();
    good_dataset(&w);
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let before = std::fs::read(w.path("out/revenue.parquet")).unwrap();
    w.write("data/reports.csv", R_HEADER);
    w.write("data/prices.csv", P_HEADER);
    w.write("data/transfers/t.csv", "not,a,transfers,file\n1,2,3,4\n");
    w.run_fails(&["run", "--data", "data", "--out", "out"], BAD_INPUT);
    assert_eq!(
        std::fs::read(w.path("out/revenue.parquet")).unwrap(),
        before
    );
}

#[test]
fn validate_prints_counts_and_fails_over_the_limit() {
    let w = Workdir::new();
    let body = "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\ntron,b,0,never,TV1,TScamA,USDT,10,10\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    let out = w.output(&["validate", "--data", "data"]);
    assert_eq!(out.status.code(), Some(REJECT_RATE));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("transfers") && stdout.contains("invalid_timestamp on block_time (1)"),
        "{stdout}"
    );
    assert!(!w.path("out").exists());
}

#[test]
fn a_wrong_timestamp_format_stops_the_read_once_the_limit_is_certain() {
    let w = Workdir::new();
    let rows = 300_000;
    let mut body = String::with_capacity(rows * 60);
    for i in 0..rows {
        body.push_str(&format!(
            "tron,t{i},0,31/12/2023 10:00,TV1,TScamA,USDT,10,10\n"
        ));
    }
    dataset(&w, &[("t.csv", &body)], REPORTS, "");
    let err = fails(&w, &["run", "--data", "data", "--out", "out"], REJECT_RATE);
    assert!(
        err.contains("of 300000 rows rejected") && err.contains("invalid_timestamp"),
        "{err}"
    );
    let at: u64 = err
        .split("stopped reading at row ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(at < 300_000, "stopped before the end: {err}");
}
