//! The committed sample data tells the published 2024 story: pig-butchering
//! revenue about +40% on 2023 while its deposits rise about +210%.

use std::path::Path;

use assert_cmd::Command;

use crate::workdir::{describe, floats, read_parquet, rows_where, strings};

/// Run on the committed sample data (no input flag) from the repository root.
pub fn run_sample(out: &Path, extra: &[&str]) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = vec!["run", "--out", out.to_str().unwrap()];
    args.extend(extra);
    let output = Command::cargo_bin("scamtrends")
        .unwrap()
        .current_dir(repo)
        .args(&args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&args, &output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no input flags: reading the sample data"),
        "{stderr}"
    );
}

fn close(value: Option<f64>, target: f64, tolerance: f64) -> bool {
    value.is_some_and(|v| (v - target).abs() <= tolerance)
}

#[test]
fn sample_run_shows_the_2024_pig_butchering_story() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &["--period", "year"]);
    let by_type = read_parquet(&out.join("revenue_by_type.parquet"));
    let y2024 = rows_where(&by_type, "period", "2024");
    let pb = rows_where(&y2024, "scam_type", "pig_butchering");
    let inv = rows_where(&y2024, "scam_type", "investment");
    let revenue_yoy = floats(&pb, "revenue_yoy")[0];
    let deposits_yoy = floats(&pb, "deposits_yoy")[0];
    let avg_yoy = floats(&pb, "avg_deposit_yoy")[0];
    assert!(
        close(revenue_yoy, 0.40, 0.08),
        "pig-butchering revenue YoY {revenue_yoy:?}"
    );
    assert!(
        close(deposits_yoy, 2.10, 0.25),
        "pig-butchering deposits YoY {deposits_yoy:?}"
    );
    assert!(
        close(avg_yoy, -0.55, 0.06),
        "pig-butchering average deposit YoY {avg_yoy:?}"
    );
    assert!(close(floats(&inv, "revenue_yoy")[0], -0.37, 0.08), "{inv}");
    assert!(close(floats(&inv, "revenue_share")[0], 0.50, 0.06), "{inv}");
    assert!(close(floats(&pb, "revenue_share")[0], 0.33, 0.06), "{pb}");
}

#[test]
fn sample_victims_come_from_at_least_sixty_countries() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &["--region-level", "country"]);
    let losses = read_parquet(&out.join("reported_losses.parquet"));
    let mut countries = strings(&losses, "region");
    countries.sort();
    countries.dedup();
    countries.retain(|c| c != "Unknown");
    assert!(
        countries.len() >= 60,
        "{} countries: {countries:?}",
        countries.len()
    );
}

#[test]
fn verify_reproduces_the_sample_run_from_the_repository_root() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &[]);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args = ["verify", out.to_str().unwrap()];
    let output = Command::cargo_bin("scamtrends")
        .unwrap()
        .current_dir(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&args, &output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("reproduced"));
}
