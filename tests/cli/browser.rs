//! The report in a real browser: headless Chromium (Debian `chromium`,
//! installed by `.ci/run`) driven by playwright-core (`tests/browser/`) loads
//! report.html from disk with the network off. Asserts no failed or external
//! request, the headline text, every inline chart rendered with a size, every
//! chart PNG decoded by Chromium at 1200×700, and every figure citation
//! pointing at a figure row. Keeps a full-page screenshot as an artefact.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::sample::run_sample;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Chromium and the driver: the driver (playwright-core, pinned in
/// `tests/browser/package-lock.json`) is installed here when npm can; with
/// no Chromium the test says so in one line and is skipped, except in CI
/// (`CI=true`, as `.ci/run` sets it), where a missing browser is a failure.
fn browser_ready() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let driver = repo().join("tests/browser/node_modules/playwright-core");
    if Path::new(&chromium).exists() && !driver.exists() {
        install_driver();
    }
    if Path::new(&chromium).exists() && driver.exists() {
        return true;
    }
    let missing = format!(
        "the browser test needs {chromium} and {} (apt-get install chromium; npm ci --prefix tests/browser)",
        driver.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{missing}: in CI a missing browser is a failure");
    }
    eprintln!("SKIPPED browser test: {missing}");
    false
}

/// `npm ci` for the pinned driver (no browser download: Chromium is Debian's).
fn install_driver() {
    let status = Command::new("npm")
        .args(["ci", "--prefix", "tests/browser", "--no-audit", "--no-fund"])
        .current_dir(repo())
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("npm ci --prefix tests/browser failed: {status:?}");
    }
}

#[test]
fn report_html_renders_offline_in_headless_chromium() {
    if !browser_ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &[]);
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let output = Command::new("node")
        .arg(repo().join("tests/browser/check_report.mjs"))
        .arg(out.join("report.html"))
        .arg(&screenshot)
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("JSON from check_report.mjs");
    assert_eq!(r["failed"], serde_json::json!([]), "failed requests");
    assert_eq!(
        r["external"],
        serde_json::json!([]),
        "requests off the file system"
    );
    assert_eq!(r["consoleErrors"], serde_json::json!([]));

    let md = std::fs::read_to_string(out.join("report.md"))
        .unwrap()
        .replace("**", "");
    let headlines: Vec<&str> = r["headlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let pb = headlines
        .iter()
        .find(|h| h.starts_with("Pig-butchering revenue reached at least $"))
        .unwrap_or_else(|| panic!("no pig-butchering headline in {headlines:?}"));
    assert!(md.contains(pb), "the page says what report.md says: {pb}");

    let charts = r["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 6);
    for c in charts {
        assert!(c["width"].as_f64().unwrap() > 600.0, "{c}");
        assert!(c["height"].as_f64().unwrap() > 300.0, "{c}");
        assert!(c["elements"].as_u64().unwrap() > 50, "{c}");
    }
    for png in r["pngs"].as_array().unwrap() {
        assert_eq!(
            (png["width"].as_u64(), png["height"].as_u64()),
            (Some(1200), Some(700)),
            "{png}"
        );
    }
    let anchors = r["figureAnchors"].as_array().unwrap();
    for link in r["figureLinks"].as_array().unwrap() {
        let id = link.as_str().unwrap().trim_start_matches('#');
        assert!(
            anchors.iter().any(|a| a == id),
            "{id} has a row under Figures"
        );
    }
    let shot = std::fs::metadata(&screenshot).unwrap().len();
    assert!(
        shot > 50_000,
        "screenshot {} is {shot} bytes",
        screenshot.display()
    );
    eprintln!("screenshot: {}", screenshot.display());
}
