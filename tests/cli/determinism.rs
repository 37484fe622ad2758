//! METHODOLOGY §8: the same inputs give byte-identical tables, figures,
//! charts and report at any thread count. The point of this test is the
//! bytes, so it compares raw files.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use polars::prelude::*;

use crate::workdir::{Workdir, fixture, floats, strings};

/// Run the binary with POLARS_MAX_THREADS set; it must succeed.
fn run_at_threads(w: &Workdir, args: &[&str], threads: &str) {
    let output = w
        .command(args)
        .env("POLARS_MAX_THREADS", threads)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        crate::workdir::describe(args, &output)
    );
}

/// Every output file but the manifest (which holds timings), by relative path.
fn output_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "charts"] {
        for entry in fs::read_dir(dir.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file() && name != "manifest.json" {
                let key = if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                };
                out.insert(key, fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn outputs_are_byte_identical_at_one_and_two_threads() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    let mut outputs = Vec::new();
    // The same --out each time: the report quotes the command, --out included.
    for threads in ["1", "2", "2"] {
        run_at_threads(&w, &["run", "--data", "data", "--out", "out"], threads);
        outputs.push(output_bytes(&w.path("out")));
    }
    let names: Vec<&String> = outputs[0].keys().collect();
    assert_eq!(
        names.len(),
        13 + 12 + 4,
        "tables, charts, report files: {names:?}"
    );
    for name in [
        "figures.csv",
        "figures.json",
        "report.html",
        "report.md",
        "charts/growth.png",
        "charts/growth.svg",
        "revenue.parquet",
    ] {
        assert!(outputs[0].contains_key(name), "{name} in {names:?}");
    }
    for (label, other) in [
        ("1 thread vs 2 threads", &outputs[1]),
        ("two runs at 2 threads", &outputs[2]),
    ] {
        let differing: Vec<&String> = outputs[0]
            .iter()
            .filter(|(name, bytes)| other.get(*name) != Some(*bytes))
            .map(|(name, _)| name)
            .collect();
        assert!(differing.is_empty(), "{label}: {differing:?} differ");
        assert_eq!(outputs[0].len(), other.len(), "{label}: same files");
    }
}

#[test]
fn multi_file_fixture_tables_hold_the_hand_computed_values() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out", "--period", "year"]);
    let total = w.table("out/revenue_total.parquet");
    // 2023: 1200 + 0.75×1900.5 + 299.99 + 10000×0.066 + 0.01×37000 = 3955.365 → 3955.37
    // 2024: 2000×0.9995 + 10×1.0005 + 1×3000 + 450.5 + 0.02×96000.25 = 7379.51
    assert_eq!(
        floats(&total, "revenue_usd"),
        [Some(3955.37), Some(7379.51)]
    );
    assert_eq!(strings(&total, "deposits"), ["5", "5"]);
    assert_eq!(strings(&total, "internal_transfers"), ["1", "0"]);
    let addr = w.table("out/addresses.parquet");
    assert_eq!(
        strings(&addr, "scam_type"),
        ["extortion", "pig_butchering", "investment", "impersonation"]
    );
    assert_eq!(
        strings(&addr, "region"),
        [
            "Eastern Asia",
            "South-eastern Asia",
            "Western Europe",
            "Latin America and the Caribbean"
        ]
    );
    let losses = w.table("out/reported_losses.parquet");
    let imp = crate::workdir::rows_where(&losses, "scam_type", "impersonation");
    assert_eq!(
        (strings(&imp, "reports"), strings(&imp, "addresses")),
        (vec!["1".to_string()], vec!["2".to_string()])
    );
    assert_eq!(floats(&imp, "loss_usd"), [Some(120.5)]);
}

#[test]
fn typed_parquet_columns_are_read_by_type() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    fs::remove_dir_all(w.path("data/transfers")).unwrap();
    let times = [1_706_745_600_000_000i64, 1_714_521_600_000_000];
    let mut df = df!(
        "chain" => ["ethereum", "ethereum"],
        "tx_hash" => ["0xb1", "0xb3"],
        "transfer_index" => [0i64, 0],
        "block_time" => times,
        "from_address" => ["0x1111111111111111111111111111111111111111", "0x4444444444444444444444444444444444444444"],
        "to_address" => ["0xAAAA000000000000000000000000000000000001", "0xbbbb000000000000000000000000000000000002"],
        "asset" => ["usdt", "ETH"],
        "amount" => [2000.0f64, 1.0],
    )
    .unwrap();
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    df.apply("block_time", |c| c.cast(&utc).unwrap()).unwrap();
    fs::create_dir_all(w.path("data/transfers")).unwrap();
    let file = fs::File::create(w.path("data/transfers/t.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let rev = w.table("out/revenue_by_type.parquet");
    assert_eq!(strings(&rev, "period"), ["2024Q1", "2024Q2"]);
    assert_eq!(floats(&rev, "revenue_usd"), [Some(1999.0), Some(3000.0)]);
}

#[test]
fn tables_carry_tool_and_methodology_metadata() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let file = fs::File::open(w.path("out/revenue.parquet")).unwrap();
    let mut reader = ParquetReader::new(file);
    let meta = reader.get_metadata().unwrap().clone();
    let kv: BTreeMap<String, Option<String>> = meta
        .key_value_metadata()
        .clone()
        .unwrap()
        .into_iter()
        .map(|kv| (kv.key, kv.value))
        .collect();
    assert_eq!(kv["scamtrends.methodology"].as_deref(), Some("v1"));
    assert_eq!(kv["scamtrends.table"].as_deref(), Some("revenue"));
    assert_eq!(
        kv["scamtrends.version"].as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let chunk = &meta.row_groups[0].parquet_columns()[0];
    assert_eq!(format!("{:?}", chunk.compression()), "Zstd");
}

#[test]
fn revisions_table_and_chart_are_byte_identical_across_thread_counts() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    let mut outputs = Vec::new();
    for (threads, out) in [("1", "rev1"), ("2", "rev2")] {
        let args = [
            "revisions",
            "--data",
            "data",
            "--labels-as-of",
            "2023-06-30,2024-12-31",
            "--out",
            out,
        ];
        run_at_threads(&w, &args, threads);
        let read = |f: &str| fs::read(w.path(out).join(f)).unwrap();
        outputs.push((
            read("revisions.parquet"),
            read("revisions.svg"),
            read("revisions.png"),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn generate_is_deterministic_for_a_seed() {
    let w = Workdir::new();
    for (seed, out) in [("5", "a"), ("5", "b"), ("6", "c")] {
        w.run_ok(&[
            "generate", "--rows", "3000", "--seed", seed, "--files", "2", "--format", "csv",
            "--out", out,
        ]);
    }
    let read = |dir: &str| -> Vec<Vec<u8>> {
        [
            "transfers/part-0000.csv",
            "transfers/part-0001.csv",
            "reports.csv",
            "prices.csv",
        ]
        .iter()
        .map(|f| fs::read(w.path(dir).join(f)).unwrap())
        .collect()
    };
    assert_eq!(read("a"), read("b"));
    assert_ne!(read("a"), read("c"));
    let readme = fs::read_to_string(w.path("a/README.md")).unwrap();
    assert!(readme.contains("synthetic"));
    // the generated dataset runs clean
    w.run_ok(&["run", "--data", "a", "--out", "out"]);
}
