//! The ingest store (issue #6): `ingest` converts exports once, skips what it
//! has, replaces a changed export; `run --store` gives the same tables as a
//! run on the exports, prunes months with --from/--to, and verifies.

use std::fs;
use std::path::Path;

use crate::workdir::{Workdir, fixture, read_parquet, strings};

const TABLES: [&str; 8] = [
    "revenue",
    "revenue_by_type",
    "revenue_by_region",
    "revenue_total",
    "reported_losses",
    "attributed_transfers",
    "addresses",
    "rejects",
];

fn store_run(w: &Workdir, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--store",
        "store",
        "--reports",
        "data/reports.csv",
        "--prices",
        "data/prices.csv",
        "--out",
        out,
    ];
    args.extend(extra);
    w.run_ok(&args)
}

fn parquet_parts(dir: &Path) -> usize {
    let mut n = 0;
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            n += parquet_parts(&path);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            n += 1;
        }
    }
    n
}

fn ingested(w: &Workdir) -> String {
    let out = w.run_ok(&["ingest", "data/transfers", "--store", "store"]);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_store_run_gives_the_tables_of_a_run_on_the_exports() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    let log = ingested(&w);
    assert!(log.contains("2 exports added, 0 already there"), "{log}");
    assert!(
        w.path("store/transfers/chain=tron/month=2024-08").is_dir(),
        "hive layout"
    );
    w.run_ok(&["run", "--data", "data", "--out", "direct"]);
    store_run(&w, "stored", &[]);
    for t in TABLES {
        let (a, b) = (
            w.table(&format!("direct/{t}.parquet")),
            w.table(&format!("stored/{t}.parquet")),
        );
        assert!(a.equals_missing(&b), "{t}:\n{a}\n{b}");
    }
    let (direct, stored) = (w.manifest("direct"), w.manifest("stored"));
    assert_eq!(
        direct["inputs"], stored["inputs"],
        "same files, hashes and row counts"
    );
    let md = fs::read_to_string(w.path("stored/report.md")).unwrap();
    assert!(
        md.contains("--store store"),
        "the reproducing command names the store"
    );
}

#[test]
fn ingest_skips_what_it_has_and_replaces_a_changed_export() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    ingested(&w);
    let parts = parquet_parts(&w.path("store"));
    let log = ingested(&w);
    assert!(log.contains("0 exports added, 2 already there"), "{log}");
    assert_eq!(parquet_parts(&w.path("store")), parts);
    // a leftover of an interrupted ingest is never read, and is cleaned up
    w.write(
        "store/transfers/chain=tron/month=2099-01/stray.parquet",
        "not parquet",
    );
    let mut csv = fs::read_to_string(w.path("data/transfers/2024.csv")).unwrap();
    csv.push_str("tron,b10,0,1723161601,TVictim9,TScamB,USDT,1000,\n");
    w.write("data/transfers/2024.csv", csv);
    let log = ingested(&w);
    assert!(
        log.contains("1 exports added, 1 already there, 2 in all"),
        "{log}"
    );
    assert!(
        !w.path("store/transfers/chain=tron/month=2099-01/stray.parquet")
            .exists()
    );
    assert_eq!(
        parquet_parts(&w.path("store")),
        parts,
        "the old version's parts are gone"
    );
    store_run(&w, "out", &["--period", "year"]);
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(
        strings(&total, "deposits"),
        ["5", "6"],
        "the new 2024 row counts"
    );
}

#[test]
fn from_and_to_prune_months_and_give_the_same_figures() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    ingested(&w);
    let range = ["--from", "2024-01-01", "--to", "2024-06-30"];
    let mut direct = vec!["run", "--data", "data", "--out", "direct"];
    direct.extend(range);
    w.run_ok(&direct);
    store_run(&w, "stored", &range);
    for t in ["revenue_by_type", "revenue_total"] {
        let (a, b) = (
            w.table(&format!("direct/{t}.parquet")),
            w.table(&format!("stored/{t}.parquet")),
        );
        assert!(a.equals_missing(&b), "{t}:\n{a}\n{b}");
    }
    let periods = read_parquet(&w.path("stored/revenue_total.parquet"));
    let labels: Vec<&str> = periods
        .column("period")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(labels, ["2024Q1", "2024Q2"]);
}

#[test]
fn verify_checks_the_store_and_if_changed_follows_it() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    ingested(&w);
    store_run(&w, "out", &[]);
    // the exports themselves are no longer needed once ingested
    fs::remove_dir_all(w.path("data/transfers")).unwrap();
    let out = w.run_ok(&["verify", "out"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("reproduced"));
    let out = store_run(&w, "out", &["--if-changed"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to do"));
    let part = fs::read_dir(w.path("store/transfers/chain=tron/month=2024-08"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::write(&part, b"tampered").unwrap();
    let out = w.output(&["verify", "out"]);
    assert_eq!(out.status.code(), Some(6));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("changed store part") && said.contains("chain=tron"),
        "{said}"
    );
}
