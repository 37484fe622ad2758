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

/// `run --store store` on the fixture's reports and prices, into `out`.
fn store_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
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
    args
}

fn store_run(w: &Workdir, out: &str, extra: &[&str]) -> std::process::Output {
    w.run_ok(&store_args(out, extra))
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

/// The first parquet part under `dir`.
fn first_part(dir: &Path) -> std::path::PathBuf {
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let mut entries: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                return path;
            }
        }
    }
    panic!("no part under {}", dir.display());
}

#[test]
fn real_ethereum_exports_round_trip_through_the_stores_byte_encoding() {
    let w = Workdir::new();
    let export =
        crate::workdir::real().join("ethereum-etl/token_transfers_blocks_17173049_17173050.json");
    // three receivers of the real export, reported as scam addresses
    let text = fs::read_to_string(&export).unwrap();
    let mut reports =
        String::from("report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n");
    for (i, line) in text.lines().take(3).enumerate() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let to = row["to_address"].as_str().unwrap();
        reports.push_str(&format!(
            "R{i},2023-01-01,ethereum,{to},phishing,US,,test\n"
        ));
    }
    w.write("reports.csv", reports);
    let export = export.to_str().unwrap();
    w.run_ok(&["ingest", export, "--store", "store"]);
    let part = read_parquet(&first_part(&w.path("store/transfers")));
    for (column, bytes) in [("tx_hash", 33), ("from_address", 21), ("to_address", 21)] {
        let stored = part.column(column).unwrap().binary().unwrap().clone();
        assert_eq!(
            stored.get(0).unwrap().len(),
            bytes,
            "{column}: tag and the bytes of the hex"
        );
    }
    w.run_ok(&[
        "run",
        "--transfers",
        export,
        "--reports",
        "reports.csv",
        "--out",
        "direct",
    ]);
    w.run_ok(&[
        "run",
        "--store",
        "store",
        "--reports",
        "reports.csv",
        "--out",
        "stored",
    ]);
    let direct = w.table("direct/attributed_transfers.parquet");
    assert!(direct.height() >= 3, "{direct}");
    for t in TABLES {
        let (a, b) = (
            w.table(&format!("direct/{t}.parquet")),
            w.table(&format!("stored/{t}.parquet")),
        );
        assert!(a.equals_missing(&b), "{t}:\n{a}\n{b}");
    }
}

#[test]
fn a_store_of_an_older_format_is_refused_with_what_to_do() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    ingested(&w);
    let catalog = fs::read_to_string(w.path("store/catalog.json")).unwrap();
    assert!(catalog.contains("\"store_format\": 2"), "{catalog}");
    w.write(
        "store/catalog.json",
        catalog.replace("\"store_format\": 2", "\"store_format\": 1"),
    );
    let said = w.run_fails(&store_args("out", &[]), 3);
    assert!(
        said.contains("store format 1") && said.contains("ingest the exports again"),
        "{said}"
    );
    assert!(!w.path("out").exists(), "no partial output");
}
