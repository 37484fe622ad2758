//! Reproducibility and scheduled-run safety (issue #5): verify, the output
//! lock, atomic publication under SIGKILL, machine-readable logs.

use std::fs;
use std::time::Duration;

use crate::workdir::{Workdir, fixture};

const LOCKED: i32 = 5;
const NOT_REPRODUCED: i32 = 6;

fn fixture_run(w: &Workdir) {
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
}

#[test]
fn verify_says_reproduced_on_an_untouched_run() {
    let w = Workdir::new();
    fixture_run(&w);
    let out = w.run_ok(&["verify", "out"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("reproduced"), "{stdout}");
}

#[test]
fn verify_names_a_changed_input() {
    let w = Workdir::new();
    fixture_run(&w);
    let prices = fs::read_to_string(w.path("data/prices.csv")).unwrap();
    w.write("data/prices.csv", prices.replace("37000", "38000"));
    let out = w.output(&["verify", "out"]);
    assert_eq!(out.status.code(), Some(NOT_REPRODUCED));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("changed input data/prices.csv"), "{stdout}");
}

#[test]
fn verify_names_a_tampered_output_and_a_missing_input() {
    let w = Workdir::new();
    fixture_run(&w);
    fs::copy(
        w.path("out/revenue_total.parquet"),
        w.path("out/revenue.parquet"),
    )
    .unwrap();
    let out = w.output(&["verify", "out"]);
    assert_eq!(out.status.code(), Some(NOT_REPRODUCED));
    assert!(String::from_utf8_lossy(&out.stdout).contains("revenue.parquet"));
    fs::remove_file(w.path("data/reports.csv")).unwrap();
    let out = w.output(&["verify", "out"]);
    assert_eq!(out.status.code(), Some(NOT_REPRODUCED));
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing input data/reports.csv"));
}

#[test]
fn a_live_lock_refuses_a_second_run_and_a_stale_one_is_replaced() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    // this test process is alive: its pid makes a live lock
    w.write(".out.lock", format!("{}\n", std::process::id()));
    let err = w.run_fails(&["run", "--data", "data", "--out", "out"], LOCKED);
    assert!(err.contains("another run"), "{err}");
    w.write(".out.lock", "4000000000\n");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    assert!(!w.path(".out.lock").exists(), "the lock is released");
}

#[test]
fn a_killed_run_leaves_the_published_output_untouched() {
    let w = Workdir::new();
    fixture_run(&w);
    let before = fs::read(w.path("out/manifest.json")).unwrap();
    w.run_ok(&[
        "generate", "--rows", "1500000", "--seed", "3", "--files", "2", "--format", "csv", "--out",
        "big",
    ]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("scamtrends"))
        .current_dir(w.path("."))
        .args(["run", "--data", "big", "--out", "out"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // kill it while it publishes: once its staging directory exists
    let staging = || {
        fs::read_dir(w.path("."))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".out.tmp-"))
    };
    let started = std::time::Instant::now();
    while !staging() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(fs::read(w.path("out/manifest.json")).unwrap(), before);
    assert_eq!(
        fs::read_dir(w.path("out")).unwrap().count(),
        19,
        "no extra or missing files"
    );
    // the next run replaces the stale lock and cleans the dead run's staging directory
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let leftovers: Vec<_> = fs::read_dir(w.path("."))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn json_logs_are_one_object_per_line_and_quiet_is_quiet() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    let out = w.run_ok(&[
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--log-format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "info" && l["msg"].as_str().unwrap().starts_with("wrote out"))
    );
    let out = w.run_ok(&["run", "--data", "data", "--out", "out", "--quiet"]);
    assert!(out.stderr.is_empty());
    let out = w.output(&[
        "--log-format",
        "json",
        "run",
        "--transfers",
        "nope.csv",
        "--reports",
        "x.csv",
    ]);
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["level"], "error");
}

#[test]
fn if_changed_skips_a_run_whose_inputs_and_parameters_are_the_same() {
    let w = Workdir::new();
    fixture_run(&w);
    let manifest = || fs::read(w.path("out/manifest.json")).unwrap();
    let before = manifest();
    let args = ["run", "--data", "data", "--out", "out", "--if-changed"];
    let out = w.run_ok(&args);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to do"));
    assert_eq!(manifest(), before, "nothing was rewritten");
    // same bytes, new mtime: re-hashed, still unchanged
    let reports = fs::read(w.path("data/reports.csv")).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    w.write("data/reports.csv", &reports);
    assert!(String::from_utf8_lossy(&w.run_ok(&args).stderr).contains("nothing to do"));
    // a different parameter or a changed input runs again
    let yearly = [
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--if-changed",
        "--period",
        "year",
    ];
    let out = w.run_ok(&yearly);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("nothing to do"));
    w.write(
        "data/reports.csv",
        [
            reports.as_slice(),
            b"F7,2024-05-01,tron,TNew,phishing,US,,x\n",
        ]
        .concat(),
    );
    let out = w.run_ok(&yearly);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("nothing to do"));
}

#[test]
fn revisions_show_revenue_growing_as_labels_accumulate() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    let args = [
        "revisions",
        "--data",
        "data",
        "--labels-as-of",
        "2024-12-31,2023-03-31",
        "--out",
        "rev",
    ];
    w.run_ok(&args);
    let table = w.table("rev/revisions.parquet");
    let early = crate::workdir::rows_where(&table, "labels_as_of", "2023-03-31");
    let late = crate::workdir::rows_where(&table, "labels_as_of", "2024-12-31");
    // only the pig-butchering address was known by 2023-03-31
    assert_eq!(crate::workdir::strings(&early, "scam_addresses")[0], "1");
    assert_eq!(crate::workdir::strings(&late, "scam_addresses")[0], "4");
    let revenue = |df| crate::workdir::floats(df, "revenue_usd");
    // 2023: 1200 USDT + 0.75 ETH × 1900.5; 2024: 2000 × 0.9995 + 10 × 1.0005
    assert_eq!(revenue(&early), [Some(2625.38), Some(2009.01)]);
    assert_eq!(
        revenue(&late)[0],
        Some(3955.37),
        "matches the full run's 2023 total"
    );
    // drawn by the report's plotters code: one thick line per vintage
    let svg = fs::read_to_string(w.path("rev/revisions.svg")).unwrap();
    let lines = svg
        .matches("<polyline")
        .zip(svg.split("<polyline").skip(1))
        .filter(|(_, rest)| {
            rest.split('>')
                .next()
                .unwrap()
                .contains("stroke-width=\"3\"")
        })
        .count();
    assert_eq!(lines, 2, "{svg}");
    assert!(svg.contains("labels as of 2023-03-31") && svg.contains("labels as of 2024-12-31"));
    let png = fs::read(w.path("rev/revisions.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (1200, 700), "IHDR width and height");
}
