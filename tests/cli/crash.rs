//! Crash-safe publishing (issue #14): a run killed at any step of publishing
//! leaves `--out` as the complete old run or the complete new one, and the
//! next run succeeds and cleans up after it.

use std::fs;
use std::path::Path;

use crate::workdir::{Workdir, fixture};

/// Every output the manifest lists is there with its SHA-256: a complete run.
/// Returns the run's period parameter, to tell the old run from the new.
fn complete_run(dir: &Path) -> String {
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    for o in manifest["outputs"].as_array().unwrap() {
        let path = dir.join(o["path"].as_str().unwrap());
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let sha = sha256_hex(&bytes);
        assert_eq!(o["sha256"].as_str().unwrap(), sha, "{}", path.display());
    }
    manifest["parameters"]["period"]
        .as_str()
        .unwrap()
        .to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn leftovers(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(w.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out"))
        .collect();
    names.sort();
    names
}

fn killed_at(w: &Workdir, point: &str, args: &[&str]) {
    let out = w
        .command(args)
        .env("SCAMTRENDS_FAILPOINT", point)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        None,
        "{point}: killed by a signal, {out:?}"
    );
}

#[test]
fn a_run_killed_at_any_step_of_publishing_leaves_a_complete_run() {
    let old = [
        "run", "--data", "data", "--out", "out", "--period", "quarter",
    ];
    let new = ["run", "--data", "data", "--out", "out", "--period", "month"];
    for (point, expect) in [
        ("publish:before-rename", "quarter"),
        ("publish:after-exchange", "month"),
        ("publish:during-cleanup", "month"),
        ("publish:two-renames,publish:between-renames", "quarter"),
        ("publish:two-renames,publish:during-cleanup", "month"),
    ] {
        let w = Workdir::new();
        w.copy_dir(&fixture("multi_file"), "data");
        w.run_ok(&old);
        killed_at(&w, point, &new);
        if point.contains("between-renames") {
            // the one window where --out is missing: the old run waits aside
            assert!(!w.path("out").exists() && w.path(".out.old/manifest.json").exists());
        } else {
            assert_eq!(complete_run(&w.path("out")), expect, "{point}");
        }
        // the next run restores or cleans up, and succeeds
        w.run_ok(&new);
        assert_eq!(complete_run(&w.path("out")), "month", "{point}");
        assert_eq!(leftovers(&w), Vec::<String>::new(), "{point}");
    }
}

#[test]
fn report_rerender_killed_mid_publish_leaves_a_complete_run() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    w.write(
        "brief.toml",
        "title = \"Brief\"\nsections = [\"headlines\"]\ncharts = [\"growth\"]\n",
    );
    let args = ["report", "--run", "out", "--definition", "brief.toml"];
    for point in ["publish:before-rename", "publish:during-cleanup"] {
        killed_at(&w, point, &args);
        complete_run(&w.path("out"));
    }
    w.run_ok(&args);
    complete_run(&w.path("out"));
    let md = fs::read_to_string(w.path("out/report.md")).unwrap();
    assert!(md.starts_with("# Brief"), "{md}");
    assert_eq!(leftovers(&w), Vec::<String>::new());
    w.run_ok(&["verify", "out"]);
}
