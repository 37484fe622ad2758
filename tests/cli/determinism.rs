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

/// The fast pass over canonical CSV (`engine::local::prefilter`) leaves out
/// only rows that cannot matter: on an export with every trap it must give
/// the same bytes as reading every row, and it must have run.
#[test]
fn the_fast_pass_gives_the_bytes_of_reading_every_row() {
    let w = Workdir::new();
    let header = "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\r\n";
    let mut body = String::from(header);
    for i in 0..3000 {
        // plain rows to no scam address, left out by the fast pass
        body.push_str(&format!(
            "tron,h{i},0,2024-01-{:02} 10:00:00,TFrom{i},TOther{},USDT,{}.5,\r\n",
            1 + i % 28,
            i % 7,
            i % 90
        ));
    }
    for row in [
        // scam-bound in any case the method folds, and one it does not
        "ethereum,0xA1,1,2024-01-02T00:00:00Z,0xF1,0xABCD,USDT,10,",
        "ethereum,0xA2,1,1704153600,0xF2, 0xabcd ,usdt,20,20",
        "tron,h-case,0,2024-01-03 00:00:00,TV1,tscam,USDT,5,",
        "tron,h-scam,0,2024-01-03 00:00:00,TV1,TScam,USDT,7,",
        // the Kelvin sign lowercases to an ASCII k: the method matches it
        "ethereum,0xA3,2,2024-01-04 00:00:00,0xF3,0xabc\u{212A},USDT,30,",
        // quoted fields, a line feed inside one
        "tron,\"h-q\",0,2024-01-05 00:00:00,\"TV\n2\",TScam,USDT,\"1,5\",",
        // rows that break a rule, or might
        "tron,h-neg,0,2024-01-06 00:00:00,TV1,TOther1,USDT,-1,",
        "tron,h-inf,0,2024-01-06 00:00:00,TV1,TOther1,USDT,1e400,",
        "tron,h-exp,0,2024-01-06 00:00:00,TV1,TOther1,USDT,1e2,",
        "tron,h-usd,0,2024-01-06 00:00:00,TV1,TOther1,USDT,1,2000000000000",
        "tron,h-ts,0,31/12/2023,TV1,TOther1,USDT,1,",
        "tron,,0,2024-01-06 00:00:00,TV1,TOther1,USDT,1,",
        "tron,h-vt,0,2024-01-06 00:00:00,TV1,\u{b}TScam\u{b},USDT,3,",
        "tron,h-ragged,0,2024-01-06 00:00:00,TV1,TScam,USDT,1",
        "",
        "tron,h-idx,x,2024-01-06 00:00:00,TV1,TOther1,USDT,1,",
    ] {
        body.push_str(row);
        body.push_str("\r\n");
    }
    body.push_str("tron,h-last,0,2024-01-07 00:00:00,TV9,TScam,USDT,9,"); // no line feed
    w.write("data/transfers/t.csv", &body);
    assert_fast_pass_changes_nothing(&w, 3017);
    let attributed = w.table("fast/attributed_transfers.parquet");
    let mut hashes = strings(&attributed, "tx_hash");
    hashes.sort();
    assert!(hashes.contains(&"0xa3".to_string()), "{hashes:?}");
    assert!(hashes.contains(&"h-last".to_string()), "{hashes:?}");
    assert!(
        !hashes.contains(&"h-case".to_string()),
        "base58 keeps its case"
    );
}

/// Run `w`'s dataset with the fast pass and without it (the reports know
/// `0xabcd`, `TScam` and `0xabck`); the tables must be the same bytes, the
/// pass must have run and every row must be counted.
fn assert_fast_pass_changes_nothing(w: &Workdir, rows: u64) {
    w.write(
        "data/reports.csv",
        "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n\
         R1,2023-12-01,ethereum,0xabcd,phishing,US,,t\n\
         R2,2023-12-01,tron,TScam,pig_butchering,KH,,t\n\
         R3,2023-12-01,ethereum,0xabck,impersonation,GB,,t\n",
    );
    w.write(
        "data/prices.csv",
        "date,asset,price_usd\n2024-01-02,USDT,1\n",
    );
    let args = |out: &'static str| {
        [
            "run",
            "--data",
            "data",
            "--out",
            out,
            "--max-reject-rate",
            "1",
            "--no-report",
        ]
    };
    let fast = w
        .command(&args("fast"))
        .env("SCAMTRENDS_TRACE_MEMORY", "1")
        .output()
        .unwrap();
    assert!(
        fast.status.success(),
        "{}",
        String::from_utf8_lossy(&fast.stderr)
    );
    let log = String::from_utf8_lossy(&fast.stderr);
    assert!(log.contains("the fast pass kept"), "{log}");
    let whole = w
        .command(&args("whole"))
        .env("SCAMTRENDS_NO_PREFILTER", "1")
        .output()
        .unwrap();
    assert!(whole.status.success());
    let tables = |out: &str| -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(w.path(out))
            .unwrap_or_else(|e| panic!("{out}: {e}"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    let fast_tables = tables("fast");
    assert!(fast_tables.len() > 10, "{:?}", fast_tables.keys());
    let whole_tables = tables("whole");
    let changed: Vec<&String> = fast_tables
        .iter()
        .filter(|(name, bytes)| whole_tables.get(*name) != Some(bytes))
        .map(|(name, _)| name)
        .collect();
    assert!(changed.is_empty(), "the fast pass changed {changed:?}");
    assert_eq!(fast_tables.len(), whole_tables.len());
    assert_eq!(w.input_total("fast", "transfers", "rows_read"), rows);
    assert_eq!(w.input_total("whole", "transfers", "rows_read"), rows);
}

/// One trap row: chain, tx_hash, transfer_index, block_time, to_address,
/// amount, amount_usd.
type Trap = (
    &'static str,
    &'static str,
    Option<u64>,
    Option<i64>,
    Option<&'static str>,
    Option<f64>,
    Option<f64>,
);

/// The Parquet fast pass (a row filter over the file's typed columns) on a
/// file with every trap a typed column can hold.
#[test]
fn the_parquet_fast_pass_gives_the_bytes_of_reading_every_row() {
    let w = Workdir::new();
    let n = 3000;
    let mut chain = vec!["tron"; n];
    let mut hash: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    let mut index: Vec<Option<u64>> = vec![Some(0); n];
    let mut time: Vec<Option<i64>> = (0..n as i64)
        .map(|i| Some(1_704_067_200 + 3600 * i))
        .collect();
    let mut to: Vec<Option<String>> = (0..n).map(|i| Some(format!("TOther{}", i % 7))).collect();
    let mut amount: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64 + 0.5)).collect();
    let mut usd: Vec<Option<f64>> = vec![None; n];
    let traps: [Trap; 13] = [
        (
            "ethereum",
            "0xA1",
            Some(1),
            Some(1_704_153_600),
            Some("0xABCD"),
            Some(10.0),
            None,
        ),
        (
            "ethereum",
            "0xA2",
            Some(1),
            Some(1_704_153_600),
            Some(" 0xabcd "),
            Some(20.0),
            Some(20.0),
        ),
        (
            "tron",
            "h-case",
            Some(0),
            Some(1_704_240_000),
            Some("tscam"),
            Some(5.0),
            None,
        ),
        (
            "tron",
            "h-scam",
            Some(0),
            Some(1_704_240_000),
            Some("TScam"),
            Some(7.0),
            None,
        ),
        (
            "ethereum",
            "0xA3",
            Some(2),
            Some(1_704_326_400),
            Some("0xabc\u{212A}"),
            Some(30.0),
            None,
        ),
        (
            "tron",
            "h-neg",
            Some(0),
            Some(1_704_499_200),
            Some("TOther1"),
            Some(-1.0),
            None,
        ),
        (
            "tron",
            "h-nan",
            Some(0),
            Some(1_704_499_200),
            Some("TOther1"),
            Some(f64::NAN),
            None,
        ),
        (
            "tron",
            "h-inf",
            Some(0),
            Some(1_704_499_200),
            Some("TOther1"),
            Some(f64::INFINITY),
            None,
        ),
        (
            "tron",
            "h-usd",
            Some(0),
            Some(1_704_499_200),
            Some("TOther1"),
            Some(1.0),
            Some(2e12),
        ),
        (
            "tron",
            "h-idx",
            Some(u64::MAX),
            Some(1_704_499_200),
            Some("TOther1"),
            Some(1.0),
            None,
        ),
        (
            "tron",
            "h-ts",
            Some(0),
            None,
            Some("TOther1"),
            Some(1.0),
            None,
        ),
        (
            "tron",
            "h-to",
            Some(0),
            Some(1_704_499_200),
            Some("  "),
            Some(1.0),
            None,
        ),
        (
            "tron",
            "h-vt",
            Some(0),
            Some(1_704_499_200),
            Some("\u{b}TScam\u{b}"),
            Some(3.0),
            None,
        ),
    ];
    for (c, h, i, t, a, v, u) in traps {
        chain.push(c);
        hash.push(h.into());
        index.push(i);
        time.push(t);
        to.push(a.map(str::to_string));
        amount.push(v);
        usd.push(u);
    }
    hash[7] = String::new(); // a missing required value among the plain rows
    let rows = chain.len();
    let mut df = df!(
        "chain" => chain,
        "tx_hash" => hash,
        "transfer_index" => index,
        "block_time" => time,
        "from_address" => vec!["TFrom"; rows],
        "to_address" => to,
        "asset" => vec!["USDT"; rows],
        "amount" => amount,
        "amount_usd" => usd,
    )
    .unwrap();
    fs::create_dir_all(w.path("data/transfers")).unwrap();
    let file = fs::File::create(w.path("data/transfers/t.parquet")).unwrap();
    ParquetWriter::new(file)
        .with_row_group_size(Some(1000))
        .finish(&mut df)
        .unwrap();
    assert_fast_pass_changes_nothing(&w, rows as u64);
    let mut hashes = strings(&w.table("fast/attributed_transfers.parquet"), "tx_hash");
    hashes.sort();
    assert_eq!(hashes, ["0xa1", "0xa2", "0xa3", "h-scam", "h-vt"]);
    let rejects = strings(&w.table("fast/rejects.parquet"), "reason");
    assert_eq!(rejects.len(), 8, "{rejects:?}");
}
