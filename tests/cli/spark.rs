//! `--engine spark` against the local engine, file for file and byte for
//! byte (issue #16): the spec's worked examples, generated exports with
//! every kind of mess (three timestamp styles, gzip, mixed-case addresses,
//! duplicates across files, unpriced and internal flows, bad rows), the
//! parameters that shape the SQL, every `queries/*.sql`, and the failures
//! (server unreachable, a path it cannot read, SQL it rejects).
//!
//! The server: `SCAMTRENDS_SPARK_REMOTE` when set (`.ci/run` starts Sail
//! and sets it), else a Sail started here when `sail` is on PATH
//! (`pip install pysail==0.7.2 pyspark-client==4.2.0`). Without either the tests print SKIPPED,
//! and fail in CI. `SCAMTRENDS_SPARK4_REMOTE` (opt-in) names an Apache
//! Spark 4 Spark Connect server for the same comparison.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::workdir::{Workdir, fixture, strings};

/// The Sail (or Spark) remote the tests use, started once per test binary.
fn remote() -> Option<String> {
    static REMOTE: OnceLock<Option<String>> = OnceLock::new();
    REMOTE
        .get_or_init(|| {
            if let Ok(r) = std::env::var("SCAMTRENDS_SPARK_REMOTE") {
                return Some(r);
            }
            match start_sail() {
                Some(r) => Some(r),
                None if std::env::var("CI").is_ok() => {
                    panic!(
                        "CI: Sail is needed for the Spark engine tests (pip install pysail==0.7.2 pyspark-client==4.2.0)"
                    )
                }
                None => {
                    eprintln!("SKIPPED: no Sail on PATH and no SCAMTRENDS_SPARK_REMOTE");
                    None
                }
            }
        })
        .clone()
}

/// Start `sail spark server` on a free port: its remote.
fn start_sail() -> Option<String> {
    let port = spawn_listening(
        "sail",
        &["spark", "server", "--ip", "127.0.0.1", "--port"],
        &[],
    )?;
    Some(format!("sc://127.0.0.1:{port}"))
}

/// Start `program args… PORT` on a free port of 127.0.0.1 with `envs`,
/// from a thread that lives as long as the test binary (the server dies
/// with it: PR_SET_PDEATHSIG); the port once it listens.
fn spawn_listening(program: &str, args: &[&str], envs: &[(&str, String)]) -> Option<u16> {
    Command::new(program).arg("--help").output().ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg(port.to_string())
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::thread::spawn(move || {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; nothing else runs in the child.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd.spawn();
        let _ = tx.send(child.is_ok());
        if let Ok(mut child) = child {
            let _ = child.wait();
        }
    });
    if !rx.recv().ok()? {
        return None;
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(port);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// An S3 endpoint (moto's server, `pip install "moto[server]==5.2.1"`) and
/// a Sail that reads it: `(endpoint, remote)`, started once per test binary.
fn s3() -> Option<(String, String)> {
    static S3: OnceLock<Option<(String, String)>> = OnceLock::new();
    S3.get_or_init(|| {
        let started =
            spawn_listening("moto_server", &["-H", "127.0.0.1", "-p"], &[]).and_then(|p| {
                let endpoint = format!("http://127.0.0.1:{p}");
                let env = [
                    ("AWS_ENDPOINT_URL", endpoint.clone()),
                    ("AWS_ACCESS_KEY_ID", "test".to_string()),
                    ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
                    ("AWS_REGION", "us-east-1".to_string()),
                    ("AWS_ALLOW_HTTP", "true".to_string()),
                ];
                let args = ["spark", "server", "--ip", "127.0.0.1", "--port"];
                let port = spawn_listening("sail", &args, &env)?;
                Some((endpoint, format!("sc://127.0.0.1:{port}")))
            });
        if started.is_none() {
            assert!(
                std::env::var("CI").is_err(),
                "CI: moto_server and sail are needed for the s3a:// test"
            );
            eprintln!("SKIPPED: no moto_server or sail on PATH");
        }
        started
    })
    .clone()
}

/// Put `files` (relative to `w`) into `bucket` at the same keys.
fn upload(w: &Workdir, endpoint: &str, bucket: &str, files: &[&str]) {
    const PUT: &str = "import boto3, sys\n\
        s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='test',\n\
            aws_secret_access_key='test', region_name='us-east-1')\n\
        s3.create_bucket(Bucket=sys.argv[2])\n\
        for f in sys.argv[3:]:\n    s3.upload_file(f, sys.argv[2], f)\n";
    let status = Command::new("python3")
        .current_dir(w.path(""))
        .args(["-c", PUT, endpoint, bucket])
        .args(files)
        .status()
        .expect("python3");
    assert!(status.success(), "uploading to {endpoint}");
}

/// Duplicates dropped over every input of a manifest.
fn duplicates_dropped(manifest: &serde_json::Value) -> u64 {
    manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["duplicates_dropped"].as_u64().unwrap_or(0))
        .sum()
}

/// Output files of a run directory and their SHA-256, from its manifest.
fn outputs(w: &Workdir, out: &str) -> Vec<(String, String)> {
    let manifest = w.manifest(out);
    let mut files: Vec<(String, String)> = manifest["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap_or("").to_string(),
                o["sha256"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Run `args` on both engines (kept as `local/` and `spark/`) and require the
/// same output files with the same bytes; returns the Workdir for more checks.
fn assert_engines_agree(w: &Workdir, remote: &str, args: &[&str]) {
    // both runs write `out/` (the report quotes the command, --out included)
    let mut local = args.to_vec();
    local.extend(["--out", "out"]);
    w.run_ok(&local);
    std::fs::rename(w.path("out"), w.path("local")).expect("rename local");
    let mut spark = args.to_vec();
    spark.extend([
        "--out",
        "out",
        "--engine",
        "spark",
        "--spark-remote",
        remote,
    ]);
    w.run_ok(&spark);
    std::fs::rename(w.path("out"), w.path("spark")).expect("rename spark");
    let (a, b) = (outputs(w, "local"), outputs(w, "spark"));
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the same output files");
    let differ: Vec<&str> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0.as_str())
        .collect();
    for name in &differ {
        if name.ends_with(".parquet") {
            eprintln!(
                "{name}\nlocal:\n{}\nspark:\n{}",
                w.table(&format!("local/{name}")),
                w.table(&format!("spark/{name}"))
            );
        }
    }
    assert!(
        differ.is_empty(),
        "outputs differ between engines: {differ:?}"
    );
    let manifest = w.manifest("spark");
    assert_eq!(manifest["engine"]["name"], "spark");
    assert_eq!(manifest["engine"]["remote"], remote);
    assert_eq!(w.manifest("local")["engine"]["name"], "local");
    // the manifests agree on every input's counts
    assert_eq!(w.manifest("local")["inputs"], manifest["inputs"]);
}

fn examples(w: &Workdir) {
    w.copy_dir(&fixture("spec-examples/input"), "input");
}

/// A fresh Workdir with `setup`'s inputs under `data`, run on both engines
/// with every reject allowed; the Workdir, for more checks.
fn agree_on(remote: &str, setup: fn(&Workdir), data: &str) -> Workdir {
    let w = Workdir::new();
    setup(&w);
    assert_engines_agree(
        &w,
        remote,
        &["run", "--data", data, "--max-reject-rate", "1"],
    );
    w
}

#[test]
fn the_worked_examples_are_byte_identical() {
    let Some(remote) = remote() else { return };
    let w = agree_on(&remote, examples, "input");
    // and they are the expected figures (spec_examples checks the local run)
    let total = w.table("spark/revenue_total.parquet");
    assert!(total.height() > 0);
}

/// A generated CSV export: three timestamp styles across the files,
/// duplicates across files, mixed-case addresses, bad rows, unpriced and
/// internal flows, rows with too few or too many fields; one file gzip-,
/// one zstd-compressed.
fn messy_export(w: &Workdir) {
    generated_export(w, true);
}

/// [`messy_export`] with or without the rows of the wrong field count.
fn generated_export(w: &Workdir, ragged: bool) {
    w.run_ok(&[
        "generate", "--rows", "20000", "--seed", "7", "--files", "3", "--format", "csv", "--out",
        "gen",
    ]);
    copy_scam_rows(
        w,
        "gen/transfers/part-0000.csv",
        "gen/transfers/part-0002.csv",
        25,
    );
    for part in ["part-0000.csv", "part-0002.csv"]
        .into_iter()
        .filter(|_| ragged)
    {
        add_ragged_rows(w, &format!("gen/transfers/{part}"));
    }
    let part = w.path("gen/transfers/part-0001.csv");
    let status = Command::new("gzip").arg(&part).status().expect("gzip");
    assert!(status.success());
    assert!(w.path("gen/transfers/part-0001.csv.gz").exists());
    let part = w.path("gen/transfers/part-0002.csv");
    let zst = w.path("gen/transfers/part-0002.csv.zst");
    let plain = std::fs::read(&part).expect("read part");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).expect("zstd")).expect("write zst");
    std::fs::remove_file(&part).expect("remove plain part");
}

/// Insert, after the file's 10th row, a copy of its 11th with one field
/// more and a row of two fields: `field_count` rejects mid-file.
fn add_ragged_rows(w: &Workdir, path: &str) {
    let text = std::fs::read_to_string(w.path(path)).expect("transfers");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let longer = format!("{},extra", lines[11]);
    lines.insert(11, longer);
    lines.insert(12, "ethereum,0xabc".to_string());
    std::fs::write(w.path(path), lines.join("\n") + "\n").expect("write ragged");
}

/// Append the first `n` rows of `from` that pay a reported address to
/// `to`: duplicates across files that de-duplication must drop.
fn copy_scam_rows(w: &Workdir, from: &str, to: &str, n: usize) {
    let reports = std::fs::read_to_string(w.path("gen/reports.csv")).expect("reports");
    let reported: std::collections::HashSet<String> = reports
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .map(str::to_lowercase)
        .collect();
    let rows = std::fs::read_to_string(w.path(from)).expect("transfers");
    let copies: String = rows
        .lines()
        .skip(1)
        .filter(|l| {
            l.split(',')
                .nth(5)
                .is_some_and(|a| reported.contains(&a.trim().to_lowercase()))
        })
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!copies.is_empty(), "the export pays some reported address");
    let mut target = std::fs::read_to_string(w.path(to)).expect("target");
    target.push_str(&copies);
    std::fs::write(w.path(to), target).expect("write target");
}

#[test]
fn a_messy_generated_export_is_byte_identical() {
    let Some(remote) = remote() else { return };
    let w = agree_on(&remote, messy_export, "gen");
    let rejects = w.table("spark/rejects.parquet");
    assert!(
        rejects.height() > 0,
        "the generator's bad rows are rejected"
    );
    use polars::prelude::{IntoLazy, col, lit};
    // the ragged rows of the plain and the zstd file, as the local engine
    // rejects them (the tables are byte-identical above)
    let ragged = rejects
        .lazy()
        .filter(col("reason").eq(lit("field_count")))
        .select([col("file"), col("row"), col("value")])
        .collect()
        .expect("ragged rejects");
    assert_eq!(ragged.height(), 4, "{ragged}");
    let rows: Vec<Option<i64>> = ragged
        .column("row")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(rows, [Some(11), Some(12), Some(11), Some(12)]);
    let values: Vec<Option<&str>> = ragged
        .column("value")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(values[1], Some("2 fields; the header has 9"), "{ragged}");
    let manifest = w.manifest("spark");
    assert!(
        duplicates_dropped(&manifest) > 0,
        "duplicates across files are dropped"
    );
}

/// Parquet files of several row groups: Sail reads their row groups in
/// parallel, so the engine numbers rows from a copy (the duplicates kept and
/// the reject rows depend on that order).
#[test]
fn parquet_of_several_row_groups_is_byte_identical() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    w.run_ok(&[
        "generate", "--rows", "300000", "--seed", "5", "--files", "2", "--format", "parquet",
        "--out", "gen",
    ]);
    assert_engines_agree(
        &w,
        &remote,
        &["run", "--data", "gen", "--max-reject-rate", "1"],
    );
    let rejects = w.table("spark/rejects.parquet");
    assert!(rejects.height() > 0);
    let manifest = w.manifest("spark");
    assert!(
        duplicates_dropped(&manifest) > 0,
        "duplicates across files are dropped"
    );
}

/// Parquet floats whose text engines spell differently (Spark writes
/// `-4.09E-4`, `Infinity`): a double file and a single-precision one, with
/// rows rejected for those values.
fn odd_float_export(w: &Workdir) {
    use polars::prelude::*;
    w.run_ok(&[
        "generate", "--rows", "3000", "--seed", "3", "--files", "1", "--format", "parquet",
        "--out", "gen",
    ]);
    let path = w.path("gen/transfers/part-0000.parquet");
    let mut df = crate::workdir::read_parquet(&path);
    let odd = [
        -4.09e-4,
        -1e-7,
        f64::INFINITY,
        f64::NAN,
        -1.5e300,
        -12345678.5,
    ];
    let amounts: Vec<Option<f64>> = crate::workdir::floats(&df, "amount")
        .into_iter()
        .enumerate()
        .map(|(i, v)| odd.get(i).copied().or(v))
        .collect();
    df.with_column(Column::new("amount".into(), amounts))
        .unwrap();
    let half = df.height() / 2;
    let mut double = df.slice(0, half);
    let mut single = df.slice(half as i64, df.height() - half);
    single
        .apply("amount", |c| {
            let odd = [-4.09e-4f32, -1e-7, f32::NEG_INFINITY, -3.4e38];
            let v: Vec<Option<f32>> = c
                .f64()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, v)| odd.get(i).copied().or(v.map(|v| v as f32)))
                .collect();
            Column::new("amount".into(), v)
        })
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    for (name, frame) in [("a.parquet", &mut double), ("b.parquet", &mut single)] {
        let file = std::fs::File::create(w.path(&format!("gen/transfers/{name}"))).unwrap();
        ParquetWriter::new(file).finish(frame).unwrap();
    }
}

#[test]
fn parquet_floats_are_spelled_alike_in_rejects() {
    let Some(remote) = remote() else { return };
    let w = agree_on(&remote, odd_float_export, "gen");
    let rejects = w.table("spark/rejects.parquet");
    let values = crate::workdir::strings(&rejects, "value");
    for v in ["-0.000409", "inf", "NaN", "-inf"] {
        assert!(values.iter().any(|x| x == v), "{v} in {values:?}");
    }
}

const R_HEADER: &str = "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n";
const T_HEADER: &str =
    "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n";

/// Files to write into a Workdir: `(name, text)`.
type Files = Vec<(&'static str, String)>;

/// The real exports (`tests/fixtures/real`) in the layouts they come in,
/// each run as `tests/cli/chains.rs`, `ethereum_etl.rs` and `shared_data.rs`
/// run it: `(files to write, run arguments)`.
fn real_cases() -> Vec<(Files, Vec<String>)> {
    use crate::workdir::{fixture, real};
    let path = |p: std::path::PathBuf| p.to_str().unwrap().to_string();
    let mapping = |name: &str| {
        path(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/mappings/{name}")))
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let eth_reports = format!(
        "{R_HEADER}R1,2023-01-01,ethereum,0x1f87bc6687c52200aad234b7055568e92c943c46,romance,US,,t\n\
         R2,2023-01-01,ethereum,0x3fba61540568e514a78a05a112c583bb40089168,hyip,US,,t\n\
         R3,2023-01-01,ethereum,0x7054B0F980A7EB5B3A6B3446F3C947D80162775C,phishing,US,,t\n\
         R4,2023-01-01,ethereum,0xCCA3E571400B299F3E09616721CCD0BE0529226D,pig butchering,SG,,t\n"
    );
    let eth_prices = "date,asset,price_usd\n2023-05-02,USDT,1\n2023-05-02,USDC,1\n\
                      2023-05-02,WETH,1900\n2023-05-02,ETH,1900.25\n"
        .to_string();
    let btc_reports = format!(
        "{R_HEADER}R1,2010-04-01,bitcoin,1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ,sextortion,US,,t\n"
    );
    let btc_prices = "date,asset,price_usd\n2010-04-10,BTC,0.1\n".to_string();
    let eth = [("reports.csv", eth_reports), ("prices.csv", eth_prices)];
    let btc = [("reports.csv", btc_reports), ("prices.csv", btc_prices)];
    let with_files = |files: &[(&'static str, String)], export: String| {
        (
            files.to_vec(),
            args(&[
                "run",
                "--transfers",
                &export,
                "--reports",
                "reports.csv",
                "--prices",
                "prices.csv",
                "--max-reject-rate",
                "1",
            ]),
        )
    };
    let exports = [
        (
            &eth,
            real().join("ethereum-etl/token_transfers_blocks_17173049_17173050.json"),
        ),
        (
            &eth,
            real().join("ethereum-etl/transactions_blocks_17173049_17173050.json"),
        ),
        (
            &eth,
            real().join("ethereum-etl/transactions_with_withdrawals.csv"),
        ),
        (&eth, real().join("ethereum-etl/token_transfers_small.csv")),
        (
            &btc,
            real().join("bitcoin_etl_stream_50001_50002/expected_transactions.json"),
        ),
        (
            &btc,
            real().join("bitcoin_etl_block_50001/expected_transactions.json"),
        ),
        (
            &btc,
            fixture("bitcoin_etl_csv/stream_50001_50002_transactions.csv"),
        ),
        (&btc, fixture("bigquery_bitcoin/transactions.parquet")),
    ];
    let mut cases: Vec<_> = exports
        .into_iter()
        .map(|(files, export)| with_files(files, path(export)))
        .collect();
    let tron_reports =
        format!("{R_HEADER}R1,2022-01-01,tron,TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre,romance,KH,,t\n");
    let tron_prices = "date,asset,price_usd\n2022-11-24,USDT,1\n2025-01-31,USDT,1\n".to_string();
    cases.push(with_files(
        &[("reports.csv", tron_reports), ("prices.csv", tron_prices)],
        path(real().join("tron_trongrid_trc20_ledger/fetchTronAccountTxsTrc20.fixture.json")),
    ));
    // reports in their own layouts: TagPacks, and lists read through the
    // mappings shipped in docs/mappings/
    let t = format!(
        "{T_HEADER}ethereum,0x1,0,1700000000,0x1111,0xd0cc2b24980cbcca47ef755da88b220a82291407,USDT,25,25\n\
         ethereum,0x2,0,1700000000,0x1111,0x80D7BB18521ACBEF32D7906502EBE94928690E93,USDT,25,25\n\
         bitcoin,b1,0,1700000000,1Victim,1Ee9ZiZkmygAXUiyeYKRSA3tLe4vNYEAgA,BTC,0.1,3000\n\
         bitcoin,tx1,0,1600000000,1Victim,34YmbPSXRjewgcqVRcrryUtYqzM25VXrNt,BTC,0.5,5000\n"
    );
    let reports_as = |reports: String, extra: &[&str]| {
        let mut a = args(&[
            "run",
            "--transfers",
            "t.csv",
            "--reports",
            &reports,
            "--max-reject-rate",
            "1",
        ]);
        a.extend(extra.iter().map(|s| s.to_string()));
        (vec![("t.csv", t.clone())], a)
    };
    cases.push(reports_as(path(real().join("graphsense")), &[]));
    cases.push(reports_as(
        path(real().join("forta/etherscan_malicious_labels.csv")),
        &["--mapping", &mapping("forta-etherscan-labels.toml")],
    ));
    cases.push(reports_as(
        path(real().join("ransomware_receipts_labels/addresses.csv")),
        &["--mapping", &mapping("ransomware-receipts-addresses.toml")],
    ));
    cases
}

/// Every real export, in the layout it comes in, gives the same bytes on
/// both engines: the client writes the readers' canonical projection for
/// the server (`engine::spark::canonical`), the server checks and measures.
#[test]
fn the_real_exports_are_byte_identical() {
    let Some(remote) = remote() else { return };
    real_exports_agree(&remote, false);
}

fn real_exports_agree(remote: &str, through_store: bool) {
    for (files, args) in real_cases() {
        let w = Workdir::new();
        for (name, text) in &files {
            w.write(name, text);
        }
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        if through_store {
            let at = args
                .iter()
                .position(|a| *a == "--transfers")
                .expect("--transfers");
            w.run_ok(&["ingest", args[at + 1], "--store", "store"]);
            args.splice(at..at + 2, ["--store", "store"]);
        }
        eprintln!("case: {args:?}");
        assert_engines_agree(&w, remote, &args);
    }
}

/// The same real exports ingested into a store first: the store's byte
/// encoding (Tron base58, bitcoin transaction ids, UTXO senders) decoded by
/// the client for the server gives the local engine's bytes.
#[test]
fn the_real_exports_through_a_store_are_byte_identical() {
    let Some(remote) = remote() else { return };
    real_exports_agree(&remote, true);
}

/// A mapping's own timestamp formats (chrono's, which no SQL engine parses
/// alike): the client parses them into the canonical copy beside the raw
/// text, the server checks them, and the rows that do not parse are the
/// same `block_time`/`reported_at` rejects as on the local engine.
fn custom_timestamps(w: &Workdir) {
    let scam = "TMd9iN3XRaeuhWCyFn6j7ybSMQeygRZbo1";
    let rows = [
        ("a1", "13/09/2024 01:00"),
        ("a2", " 01/10/2024 23:59 "),
        ("a3", "2024-09-13T01:00:00Z"),
        ("a4", ""),
        ("a5", "31/02/2024 10:00"),
        ("a6", "14/09/2024 02:30 +0800"),
        ("a7", "1726189200"),
    ];
    let mut t = String::from(T_HEADER);
    for (i, (hash, time)) in rows.iter().enumerate() {
        t.push_str(&format!(
            "tron,{hash},0,{time},TVictim{i},{scam},USDT,{},\n",
            10 * (i + 1)
        ));
    }
    w.write("t.csv", t);
    w.write(
        "r.csv",
        format!(
            "{R_HEADER}R1,2024/09/01,tron,{scam},romance,KH,,t\nR2,2024-09-02,tron,{scam},hyip,KH,,t\n"
        ),
    );
    w.write("p.csv", "date,asset,price_usd\n2024-09-01,USDT,1\n");
    w.write(
        "m.toml",
        "[transfers]\ntimestamp_format = \"%d/%m/%Y %H:%M\"\n[reports]\ntimestamp_format = \"%Y/%m/%d\"\n",
    );
}

#[test]
fn a_mappings_timestamp_formats_are_byte_identical() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    custom_timestamps(&w);
    let args = [
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        "r.csv",
        "--prices",
        "p.csv",
    ];
    let mut args = args.to_vec();
    args.extend(["--mapping", "m.toml", "--max-reject-rate", "1"]);
    assert_engines_agree(&w, &remote, &args);
    let rejects = w.table("spark/rejects.parquet");
    let columns = strings(&rejects, "column");
    let count = |c: &str| columns.iter().filter(|x| *x == c).count();
    assert_eq!(count("reported_at"), 1, "the report dated in another style");
    assert!(count("block_time") >= 4, "{rejects}");
    assert_eq!(w.table("spark/attributed_transfers.parquet").height(), 2);
}

#[test]
fn the_sample_data_agrees_under_every_parameter() {
    let Some(remote) = remote() else { return };
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    for extra in [
        &["--period", "month", "--region-level", "continent"][..],
        &[
            "--period",
            "year",
            "--region-level",
            "country",
            "--labels-as-of",
            "2024-06-30",
        ][..],
        &["--from", "2023-04-01", "--to", "2024-09-30"][..],
    ] {
        let w = Workdir::new();
        w.copy_dir(&sample, "data");
        let mut args = vec!["run", "--data", "data"];
        args.extend(extra);
        assert_engines_agree(&w, &remote, &args);
    }
}

/// `run --store` on both engines: the server reads the store's parts where
/// they are and picks the scam-bound rows on the stored bytes, the client
/// decodes those rows (EVM hex, Tron base58, bitcoin) and the rest is the
/// SQL of a run on exports; rows read and rejects come from the store.
fn store_agrees(remote: &str, extra: &[&str], after_ingest: fn(&Workdir)) -> Workdir {
    let w = Workdir::new();
    messy_export(&w);
    w.run_ok(&["ingest", "gen/transfers", "--store", "store"]);
    after_ingest(&w);
    let mut args = vec![
        "run",
        "--store",
        "store",
        "--reports",
        "gen/reports.csv",
        "--prices",
        "gen/prices.csv",
        "--max-reject-rate",
        "1",
    ];
    args.extend(extra);
    assert_engines_agree(&w, remote, &args);
    w
}

/// A copy of a part beside it that the catalog does not list, as an
/// interrupted ingest leaves one: no engine reads it (the server reads the
/// listed files of that month one by one, not the directory).
fn leftover_part(w: &Workdir) {
    let month = std::fs::read_dir(w.path("store/transfers/chain=tron"))
        .expect("tron months")
        .flatten()
        .map(|e| e.path())
        .min()
        .expect("a tron month");
    let part = std::fs::read_dir(&month)
        .expect("parts")
        .flatten()
        .map(|e| e.path())
        .min()
        .expect("a part");
    std::fs::copy(&part, month.join("leftover-0.parquet")).expect("copy a part");
}

#[test]
fn a_store_is_byte_identical() {
    let Some(remote) = remote() else { return };
    let w = store_agrees(&remote, &[], leftover_part);
    let manifest = w.manifest("spark");
    assert!(duplicates_dropped(&manifest) >= 25, "the copied rows");
    let rejects = w.table("spark/rejects.parquet");
    let reasons = strings(&rejects, "reason");
    assert!(
        reasons.iter().any(|r| r == "field_count"),
        "ingest's rejects"
    );
    let attributed = w.table("spark/attributed_transfers.parquet");
    let to = strings(&attributed, "to_address");
    assert!(
        to.iter().any(|a| a.starts_with('T')),
        "Tron addresses decoded"
    );
    assert!(
        to.iter().any(|a| a.starts_with("0x")),
        "EVM addresses decoded"
    );
}

#[test]
fn a_store_agrees_under_a_day_range_and_a_label_vintage() {
    let Some(remote) = remote() else { return };
    let range = ["--from", "2023-04-01", "--to", "2024-09-30"];
    store_agrees(&remote, &range, |_| {});
    let vintage = ["--labels-as-of", "2024-06-30", "--period", "month"];
    store_agrees(&remote, &vintage, |_| {});
}

/// Sail writes no file for a view without rows: a store whose rows pay no
/// reported address still gives the local engine's (empty) tables.
#[test]
fn a_store_with_no_scam_bound_rows_is_byte_identical() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    messy_export(&w);
    w.run_ok(&["ingest", "gen/transfers", "--store", "store"]);
    w.write(
        "reports.csv",
        format!("{R_HEADER}R1,2023-01-01,ethereum,0x00000000000000000000000000000000000000aa,romance,US,,t\n"),
    );
    assert_engines_agree(
        &w,
        &remote,
        &[
            "run",
            "--store",
            "store",
            "--reports",
            "reports.csv",
            "--prices",
            "gen/prices.csv",
            "--max-reject-rate",
            "1",
        ],
    );
    assert_eq!(w.table("spark/attributed_transfers.parquet").height(), 0);
}

/// A run on `local` paths and one on the `remote` URIs of the same files
/// (the server lists, hashes and reads them) publish the same tables byte
/// for byte; the rejects and the manifest's inputs name the files as given.
fn uris_agree(w: &Workdir, remote: &str, local: &[&str], uris: &[&str], prefix: &str) {
    let mut args = vec!["run", "--max-reject-rate", "1", "--no-report"];
    args.extend(local);
    args.extend(["--out", "local"]);
    w.run_ok(&args);
    let mut args = vec!["run", "--max-reject-rate", "1", "--no-report"];
    args.extend(uris);
    args.extend([
        "--out",
        "spark",
        "--engine",
        "spark",
        "--spark-remote",
        remote,
    ]);
    w.run_ok(&args);
    let (a, b) = (outputs(w, "local"), outputs(w, "spark"));
    assert_eq!(a.len(), b.len(), "the same output files");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name.ends_with(".parquet") && name != "rejects.parquet" {
            assert_eq!(x, y, "{name} differs between the paths and the URIs");
        }
    }
    let unprefixed = |df: polars::prelude::DataFrame| {
        let files: Vec<String> = strings(&df, "file")
            .into_iter()
            .map(|f| f.strip_prefix(prefix).unwrap_or(&f).to_string())
            .collect();
        let mut df = df;
        df.replace("file", polars::prelude::Column::new("file".into(), files))
            .expect("file column");
        df
    };
    let rejects = w.table("spark/rejects.parquet");
    assert!(rejects.height() > 0, "the export has bad rows");
    assert!(
        strings(&rejects, "file")
            .iter()
            .any(|f| f.starts_with(prefix)),
        "rejects name the URI"
    );
    assert!(unprefixed(w.table("local/rejects.parquet")).equals_missing(&unprefixed(rejects)));
    let inputs = |out: &str| {
        let manifest = w.manifest(out);
        manifest["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .map(|i| {
                let path = i["path"].as_str().unwrap_or("");
                let mut i = i.clone();
                i["path"] = path.strip_prefix(prefix).unwrap_or(path).into();
                i.as_object_mut().expect("an input").remove("mtime");
                i
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(inputs("local"), inputs("spark"), "paths, hashes and counts");
}

/// `file://` and the Workdir's path, with one `/` after it.
fn file_prefix(w: &Workdir) -> String {
    let dir = w.path("").display().to_string();
    format!("file://{}/", dir.trim_end_matches('/'))
}

/// A generated CSV export (plain, gzip and zstd files, duplicates, bad
/// rows) given as `file://` URIs: the server lists, hashes and reads it.
#[test]
fn uri_inputs_give_the_tables_of_local_paths() {
    let Some(remote) = remote() else { return };
    file_uris_agree(&remote);
}

fn file_uris_agree(remote: &str) {
    let w = Workdir::new();
    generated_export(&w, false);
    let prefix = file_prefix(&w);
    let uri = |rel: &str| format!("{prefix}{rel}");
    let (transfers, reports) = (uri("gen/transfers"), uri("gen/reports.csv"));
    let local = [
        "--transfers",
        "gen/transfers",
        "--reports",
        "gen/reports.csv",
    ];
    let prices = ["--prices", "gen/prices.csv"];
    let uris = [
        &["--transfers", &transfers, "--reports", &reports][..],
        &prices[..],
    ]
    .concat();
    uris_agree(
        &w,
        remote,
        &[&local[..], &prices[..]].concat(),
        &uris,
        &prefix,
    );
    // verify re-hashes the URIs on the server and re-runs there; the local
    // engine cannot read them and says how to verify
    let verify = [
        "verify",
        "spark",
        "--engine",
        "spark",
        "--spark-remote",
        remote,
    ];
    let out = w.run_ok(&verify);
    assert!(String::from_utf8_lossy(&out.stdout).contains("reproduced"));
    let out = w.output(&["verify", "spark"]);
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stdout).contains("verify with --engine spark"));
    // --if-changed compares the server's hashes with the last manifest's
    let mut again = vec!["run", "--if-changed", "--out", "again"];
    again.extend(&uris);
    again.extend(["--engine", "spark", "--spark-remote", remote]);
    let said = |out: std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!said(w.run_ok(&again)).contains("nothing to do"));
    let log = said(w.run_ok(&again));
    assert!(log.contains("nothing to do"), "{log}");
    let reports = std::fs::read_to_string(w.path("gen/reports.csv")).expect("reports");
    w.write("gen/reports.csv", format!("{reports}\n"));
    let log = said(w.run_ok(&again));
    assert!(
        log.contains("--if-changed: running") && log.contains("reports.csv changed"),
        "{log}"
    );
}

/// A generated Parquet export of `rows` rows in two files given as a
/// `file://` URI: numbered by the row index the server gives (Spark), or in
/// read order when it reads each file as one stream (Sail, small files).
fn parquet_uris_agree(remote: &str, rows: &str) {
    let w = Workdir::new();
    w.run_ok(&[
        "generate", "--rows", rows, "--seed", "5", "--files", "2", "--format", "parquet", "--out",
        "gen",
    ]);
    let prefix = file_prefix(&w);
    let transfers = format!("{prefix}gen/transfers");
    let rest = ["--reports", "gen/reports.csv", "--prices", "gen/prices.csv"];
    let local = [&["--transfers", "gen/transfers"][..], &rest[..]].concat();
    let uris = [&["--transfers", &transfers][..], &rest[..]].concat();
    uris_agree(&w, remote, &local, &uris, &prefix);
}

#[test]
fn parquet_uris_give_the_tables_of_local_paths() {
    let Some(remote) = remote() else { return };
    parquet_uris_agree(&remote, "20000");
}

/// The same export in an S3 bucket, as `s3a://` URIs and a glob: the
/// server lists, hashes and reads it where it is.
#[test]
fn s3a_inputs_give_the_tables_of_local_paths() {
    let Some((endpoint, remote)) = s3() else {
        return;
    };
    let w = Workdir::new();
    generated_export(&w, false);
    let mut files = vec!["gen/reports.csv", "gen/prices.csv"];
    files.extend([
        "gen/transfers/part-0000.csv",
        "gen/transfers/part-0001.csv.gz",
        "gen/transfers/part-0002.csv.zst",
    ]);
    upload(&w, &endpoint, "exports", &files);
    let local = [
        "--transfers",
        "gen/transfers",
        "--reports",
        "gen/reports.csv",
    ];
    let uris = [
        "--transfers",
        "s3a://exports/gen/transfers/part-*",
        "--reports",
        "s3a://exports/gen/reports.csv",
    ];
    let prices = ["--prices", "gen/prices.csv"];
    uris_agree(
        &w,
        &remote,
        &[&local[..], &prices[..]].concat(),
        &[&uris[..], &prices[..]].concat(),
        "s3a://exports/",
    );
}

/// What the server cannot read as it is fails with one line and nothing
/// published: a row of the wrong field count (exit 7: the client did not
/// count the fields of a file it cannot open), a Parquet file the server
/// reads in parallel parts (exit 3: its rows cannot be numbered in order),
/// a layout other than the canonical one (exit 3); the local engine refuses
/// a URI (exit 3).
#[test]
fn uri_inputs_the_server_cannot_read_as_they_are_are_refused() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    messy_export(&w);
    let prefix = file_prefix(&w);
    let spark = [
        "--engine",
        "spark",
        "--spark-remote",
        &remote,
        "--out",
        "out",
    ];
    let run = |transfers: &str, code: i32| {
        let mut args = vec![
            "run",
            "--transfers",
            transfers,
            "--reports",
            "gen/reports.csv",
        ];
        args.extend(["--prices", "gen/prices.csv", "--max-reject-rate", "1"]);
        args.extend(spark);
        let err = w.run_fails(&args, code);
        assert!(!w.path("out").exists(), "nothing published");
        err
    };
    let err = run(&format!("{prefix}gen/transfers/part-0000.csv"), 7);
    let line = err.lines().last().unwrap_or("");
    assert!(line.contains(&remote) && line.contains("fields"), "{err}");
    w.run_ok(&[
        "generate", "--rows", "300000", "--seed", "5", "--files", "1", "--format", "parquet",
        "--out", "big",
    ]);
    let err = run(&format!("{prefix}big/transfers/part-0000.parquet"), 3);
    assert!(err.contains("parallel parts"), "{err}");
    w.write("t.json", "{}\n");
    let err = run(&format!("{prefix}t.json"), 3);
    assert!(err.contains("canonical layout"), "{err}");
    let err = w.run_fails(
        &[
            "run",
            "--transfers",
            "s3a://bucket/t.csv",
            "--data",
            "gen",
            "--out",
            "out",
        ],
        3,
    );
    assert!(
        err.contains("s3a://bucket/t.csv") && err.contains("--engine spark"),
        "{err}"
    );
}

#[test]
fn every_shipped_query_gives_the_same_csv_on_both_engines() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    messy_export(&w);
    w.run_ok(&[
        "run",
        "--data",
        "gen",
        "--max-reject-rate",
        "1",
        "--out",
        "out",
        "--no-report",
    ]);
    let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut files: Vec<_> = std::fs::read_dir(&queries)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let file = file.display().to_string();
        let local = w.run_ok(&["query", &file, "--run", "out", "--format", "csv"]);
        let spark = w.run_ok(&[
            "query",
            &file,
            "--run",
            "out",
            "--format",
            "csv",
            "--engine",
            "spark",
            "--spark-remote",
            &remote,
        ]);
        assert_eq!(
            String::from_utf8_lossy(&local.stdout),
            String::from_utf8_lossy(&spark.stdout),
            "{file}"
        );
    }
}

#[test]
fn explain_prints_the_sql_it_sends() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    examples(&w);
    let out = w.run_ok(&[
        "run",
        "--data",
        "input",
        "--max-reject-rate",
        "1",
        "--out",
        "out",
        "--engine",
        "spark",
        "--spark-remote",
        &remote,
        "--explain",
    ]);
    let sql = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "CREATE OR REPLACE TEMPORARY VIEW `checked_transfers`",
        "CREATE OR REPLACE TEMPORARY VIEW `addresses`",
        "ROW_NUMBER() OVER (PARTITION BY chain, tx_hash, transfer_index ORDER BY _file, _row)",
        "COUNT(DISTINCT sender) AS senders",
    ] {
        assert!(sql.contains(needle), "missing {needle:?} in\n{sql}");
    }
}

#[test]
fn an_unreachable_server_is_one_line_exit_7_and_nothing_published() {
    let w = Workdir::new();
    examples(&w);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let remote = format!("sc://127.0.0.1:{port}");
    let err = w.run_fails(
        &[
            "run",
            "--data",
            "input",
            "--out",
            "out",
            "--engine",
            "spark",
            "--spark-remote",
            &remote,
        ],
        7,
    );
    assert!(err.contains(&remote), "{err}");
    assert!(!w.path("out").exists(), "nothing published");
    // a remote that is not a Spark Connect URL is a usage error
    w.run_fails(
        &[
            "run",
            "--data",
            "input",
            "--engine",
            "spark",
            "--spark-remote",
            "http://x",
        ],
        2,
    );
    // and --engine spark without a remote names the flag
    let err = w.run_fails(&["run", "--data", "input", "--engine", "spark"], 2);
    assert!(err.contains("--spark-remote"), "{err}");
}

#[test]
fn refusals_name_the_path_or_the_query() {
    let Some(remote) = remote() else { return };
    let w = Workdir::new();
    examples(&w);
    w.run_ok(&[
        "run",
        "--data",
        "input",
        "--max-reject-rate",
        "1",
        "--out",
        "out",
        "--no-report",
    ]);
    // SQL the server rejects (past the allow-list): exit 7 naming the file
    w.write("bad.sql", "SELECT no_such_column FROM revenue");
    let err = w.run_fails(
        &[
            "query",
            "bad.sql",
            "--run",
            "out",
            "--engine",
            "spark",
            "--spark-remote",
            &remote,
        ],
        7,
    );
    assert!(err.contains("bad.sql") && err.contains(&remote), "{err}");
    // SQL the allow-list refuses never reaches the server
    w.write("evil.sql", "SELECT * FROM read_parquet('/etc/passwd')");
    w.run_fails(
        &[
            "query",
            "evil.sql",
            "--run",
            "out",
            "--engine",
            "spark",
            "--spark-remote",
            &remote,
        ],
        2,
    );
}

/// Opt-in: the same comparison against Apache Spark 4
/// (`SCAMTRENDS_SPARK4_REMOTE=sc://127.0.0.1:15003`; docs/scale-out.md).
#[test]
fn apache_spark_4_agrees_when_asked() {
    let Ok(remote) = std::env::var("SCAMTRENDS_SPARK4_REMOTE") else {
        return;
    };
    agree_on(&remote, examples, "input");
    agree_on(&remote, messy_export, "gen");
    agree_on(&remote, odd_float_export, "gen");
    real_exports_agree(&remote, false);
    store_agrees(&remote, &[], leftover_part);
    real_exports_agree(&remote, true);
    file_uris_agree(&remote);
    // several row groups, numbered by `_metadata.row_index`
    parquet_uris_agree(&remote, "300000");
    // Spark pads or cuts a row of the wrong field count unless FAILFAST
    let w = Workdir::new();
    messy_export(&w);
    let uri = format!("{}gen/transfers/part-0000.csv", file_prefix(&w));
    let mut args = vec!["run", "--transfers", &uri, "--data", "gen", "--out", "out"];
    args.extend([
        "--max-reject-rate",
        "1",
        "--engine",
        "spark",
        "--spark-remote",
        &remote,
    ]);
    let err = w.run_fails(&args, 7);
    assert!(err.contains(&remote), "{err}");
}
