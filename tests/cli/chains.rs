//! Exports where scam-centre money moves (issue #17): TronGrid TRC-20 pages
//! and bitcoin-etl UTXO transactions, real samples read as they are, with
//! hand-checked amounts, senders, change and timestamps.

use crate::workdir::{Workdir, fixture, floats, real, rows_where, strings};

const R_HEADER: &str = "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n";

fn run_with(w: &Workdir, export: &str, reports: &str, prices: &str) {
    w.write("reports.csv", format!("{R_HEADER}{reports}"));
    w.write("prices.csv", format!("date,asset,price_usd\n{prices}"));
    w.run_ok(&[
        "run",
        "--transfers",
        export,
        "--reports",
        "reports.csv",
        "--prices",
        "prices.csv",
        "--out",
        "out",
        "--no-report",
    ]);
}

#[test]
fn a_trongrid_page_loads_with_exact_amounts_and_one_address_form() {
    let w = Workdir::new();
    let page = real().join("tron_trongrid_trc20_ledger/fetchTronAccountTxsTrc20.fixture.json");
    // the account of the page, reported as a pig-butchering address
    let reports = "R1,2022-01-01,tron,TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre,romance,KH,,t\n";
    let prices = "2022-11-24,USDT,1\n2025-01-31,USDT,1\n";
    run_with(&w, page.to_str().unwrap(), reports, prices);
    assert_eq!(w.input_total("out", "transfers", "rows_read"), 14);
    assert_eq!(w.input_total("out", "transfers", "rows_rejected"), 0);
    let t = w.table("out/attributed_transfers.parquet");
    // five transfers into the account: 2 USDT, JST, SUNDOG (spam) and WIN
    let to_account = rows_where(&t, "to_address", "TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre");
    let mut got: Vec<(String, String, String)> = (0..to_account.height())
        .map(|i| {
            let cell = |c: &str| strings(&to_account, c)[i].clone();
            (cell("asset"), cell("amount"), cell("usd_micro"))
        })
        .collect();
    got.sort();
    let row = |a: &str, m: &str, u: &str| (a.to_string(), m.to_string(), u.to_string());
    assert_eq!(
        got,
        [
            // unknown contracts are their own assets (in hex), unpriced: a
            // symbol in the export can be spoofed (hex checked with Python)
            row("4118FD0626DAF3AF02389AEF3ED87DB9C33F638FFA", "1.234", ""),
            row("4174472E7D35395A6B5ADD427EECB7F4B62AD2B071", "1.0", ""),
            row(
                "41EA4E3DFACDF6D5B25F74CE4B689D79105043583C",
                "13.409316",
                ""
            ),
            row("USDT", "1.0", "1000000"),
            row("USDT", "41.499389", "41499389"),
        ]
    );
    // 1738341777000 ms is 2025-01-31 16:42:57 UTC
    let usdt = rows_where(&to_account, "amount", "41.499389");
    assert_eq!(strings(&usdt, "block_time")[0], "2025-01-31 16:42:57 UTC");
    assert_eq!(strings(&usdt, "period")[0], "2025Q1");
    // unpriced deposits count but add no revenue (WIN 2020Q4, SUNDOG 2024Q3)
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(
        strings(&total, "period"),
        ["2020Q4", "2022Q4", "2024Q3", "2025Q1"]
    );
    assert_eq!(
        strings(&total, "revenue_usd"),
        ["0.0", "1.0", "0.0", "41.5"]
    );
    assert_eq!(strings(&total, "unpriced_deposits"), ["1", "1", "1", "0"]);
}

/// The four real transactions of blocks 50001-50002 (two coinbase, two
/// paying 1HaHT…, reported here) in any of their layouts: two transfers
/// from the input address sets, 100 and 50 BTC at $0.1.
fn assert_blocks_50001_50002(export: &std::path::Path) -> Workdir {
    let w = Workdir::new();
    let reports = "R1,2010-04-01,bitcoin,1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ,sextortion,US,,t\n";
    run_with(
        &w,
        export.to_str().unwrap(),
        reports,
        "2010-04-10,BTC,0.1\n",
    );
    assert_eq!(w.input_total("out", "transfers", "rows_read"), 2);
    assert_eq!(w.input_total("out", "transfers", "rows_rejected"), 0);
    let t = w.table("out/attributed_transfers.parquet");
    assert_eq!(
        strings(&t, "from_address"),
        [
            "1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae+1PZMgkF2x161qvfP7dhoWSEEU3SjnQE1m9",
            "18dxbN6m8zxieN8F9BchXmhbeXUdFLr8fD"
        ]
    );
    assert_eq!(strings(&t, "amount"), ["100.0", "50.0"]);
    assert_eq!(strings(&t, "block_time"), ["2010-04-10 16:31:40 UTC"; 2]);
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(strings(&total, "revenue_usd"), ["15.0"]);
    assert_eq!(strings(&total, "senders"), ["2"]);
    w
}

/// `inspect` names the layout of `export`.
fn assert_inspect_layout(w: &Workdir, export: &std::path::Path, layout: &str) {
    let out = w.run_ok(&["inspect", export.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("layout: {layout}")), "{stdout}");
}

#[test]
fn bitcoin_outputs_are_transfers_from_the_input_address_set() {
    assert_blocks_50001_50002(
        &real().join("bitcoin_etl_stream_50001_50002/expected_transactions.json"),
    );
}

#[test]
fn bigquery_nested_parquet_gives_the_same_transfers_as_bitcoin_etl() {
    // the same transactions in BigQuery's nested Parquet layout
    // (DECIMAL(38,9) satoshi, microsecond TIMESTAMP)
    let parquet = fixture("bigquery_bitcoin/transactions.parquet");
    let w = assert_blocks_50001_50002(&parquet);
    assert_inspect_layout(&w, &parquet, "BigQuery crypto_bitcoin.transactions (UTXO)");
}

#[test]
fn bitcoin_etl_csv_gives_the_same_transfers_as_its_ndjson() {
    // the same four transactions as bitcoin-etl's CSV exporter writes them
    // (inputs/outputs as Python dicts joined by `,`, CRLF), plain and gzipped
    let csv = fixture("bitcoin_etl_csv/stream_50001_50002_transactions.csv");
    let w = assert_blocks_50001_50002(&csv);
    assert_inspect_layout(&w, &csv, "bitcoin-etl transactions (UTXO)");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &std::fs::read(&csv).unwrap()).unwrap();
    let gz_path = w.write("stream.csv.gz", gz.finish().unwrap());
    assert_blocks_50001_50002(&gz_path);
}

#[test]
fn bitcoin_etl_csv_without_enrichment_names_the_outputs_spent() {
    let w = Workdir::new();
    let csv = fixture("bitcoin_etl_csv/block_50001_transactions.csv");
    let reports = "R1,2010-04-01,bitcoin,1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ,sextortion,US,,t\n";
    run_with(&w, csv.to_str().unwrap(), reports, "2010-04-10,BTC,0.1\n");
    let t = w.table("out/attributed_transfers.parquet");
    assert_eq!(
        strings(&t, "from_address"),
        [
            "76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea:0+0dd0394c6240355f4e4b3c88028f678ed746cebee3b3e8509620733f018914c9:0",
            "0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216:0",
        ]
    );
    assert_eq!(strings(&t, "amount"), ["100.0", "50.0"]);
}

#[test]
fn a_corrupt_bitcoin_etl_cell_fails_the_run_naming_row_and_column() {
    let w = Workdir::new();
    let csv = std::fs::read_to_string(fixture(
        "bitcoin_etl_csv/stream_50001_50002_transactions.csv",
    ))
    .unwrap();
    // the second transaction's output address loses its opening quote
    let cut = csv.replacen("'addresses': ['1HaHT", "'addresses': [1HaHT", 1);
    assert_ne!(cut, csv);
    w.write("cut.csv", cut);
    w.write("reports.csv", R_HEADER);
    w.write("prices.csv", "date,asset,price_usd\n");
    let err = w.run_fails(
        &[
            "run",
            "--transfers",
            "cut.csv",
            "--reports",
            "reports.csv",
            "--prices",
            "prices.csv",
            "--out",
            "out",
        ],
        3,
    );
    assert!(
        err.contains("cut.csv") && err.contains("row 2, column outputs: not a Python literal"),
        "{err}"
    );
    assert!(!w.path("out").exists());
}

#[test]
fn unenriched_bitcoin_inputs_name_the_outputs_they_spend() {
    let w = Workdir::new();
    let batch = real().join("bitcoin_etl_block_50001/expected_transactions.json");
    let reports = "R1,2010-04-01,bitcoin,1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ,sextortion,US,,t\n";
    run_with(&w, batch.to_str().unwrap(), reports, "2010-04-10,BTC,0.1\n");
    let t = w.table("out/attributed_transfers.parquet");
    let senders = strings(&t, "from_address");
    assert_eq!(
        senders,
        [
            "76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea:0+0dd0394c6240355f4e4b3c88028f678ed746cebee3b3e8509620733f018914c9:0",
            "0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216:0",
        ]
    );
    assert_eq!(strings(&t, "amount"), ["100.0", "50.0"]);
}

#[test]
fn a_utxo_sender_set_with_a_scam_address_is_an_internal_flow_and_change_is_dropped() {
    let w = Workdir::new();
    // one scam address pays a victim-free output and its own change
    w.write(
        "tx.json",
        "{\"hash\": \"aa\", \"block_timestamp\": 1700000000, \"is_coinbase\": false, \
          \"inputs\": [{\"addresses\": [\"1Scam\"], \"value\": 300}, {\"addresses\": [\"1Other\"], \"value\": 100}], \
          \"outputs\": [{\"index\": 0, \"addresses\": [\"1Scam2\"], \"value\": 250}, {\"index\": 1, \"addresses\": [\"1Scam\"], \"value\": 140}]}\n",
    );
    let reports =
        "R1,2023-01-01,bitcoin,1Scam,ransomware,,,t\nR2,2023-01-01,bitcoin,1Scam2,ransomware,,,t\n";
    run_with(&w, "tx.json", reports, "2023-11-14,BTC,40000\n");
    let t = w.table("out/attributed_transfers.parquet");
    assert_eq!(
        strings(&t, "transfer_index"),
        ["0"],
        "the change output 1 is no transfer"
    );
    assert_eq!(strings(&t, "flow"), ["internal"]);
    assert_eq!(
        w.table("out/revenue_total.parquet").height(),
        0,
        "no revenue"
    );
}

#[test]
fn inspect_names_the_new_layouts() {
    let w = Workdir::new();
    for (rel, name) in [
        (
            "tron_trongrid_trc20_ledger/fetchTronAccountTxsTrc20.fixture.json",
            "TronGrid TRC-20 transfers",
        ),
        (
            "bitcoin_etl_stream_50001_50002/expected_transactions.json",
            "bitcoin-etl transactions (UTXO)",
        ),
    ] {
        let out = w.run_ok(&["inspect", real().join(rel).to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&format!("layout: {name}")), "{stdout}");
    }
    w.write("ransomwhere.json", RANSOMWHERE);
    let out = w.run_ok(&["inspect", "ransomwhere.json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("layout: Ransomwhere export"), "{stdout}");
    assert!(
        stdout.contains("as transfers") && stdout.contains("no rejects"),
        "{stdout}"
    );
}

const RANSOMWHERE: &str = r#"{"result": [
  {"address": "1RansomA", "blockchain": "bitcoin", "family": "Locky", "createdAt": "2017-05-03T10:00:00.000Z",
   "balance": 15000000, "balanceUSD": 203.4,
   "transactions": [{"hash": "aa11", "time": 1493809838, "amount": 15000000, "amountUSD": 203.4}]},
  {"address": "bc1qransomb", "blockchain": "bitcoin", "family": "Ryuk", "createdAt": "2019-01-02T00:00:00.000Z",
   "transactions": [{"hash": "bb22", "time": 1546400000, "amount": 250000000, "amountUSD": 9150.75},
                    {"hash": "bb33", "time": 1546500000, "amount": 1, "amountUSD": 0.0}]}
]}"#;

#[test]
fn a_ransomwhere_export_gives_reports_with_families_and_payments() {
    let w = Workdir::new();
    w.write("ransomwhere.json", RANSOMWHERE);
    w.run_ok(&[
        "run",
        "--transfers",
        "ransomwhere.json",
        "--reports",
        "ransomwhere.json",
        "--out",
        "out",
        "--no-report",
        "--period",
        "year",
    ]);
    let addresses = w.table("out/addresses.parquet");
    assert_eq!(strings(&addresses, "address"), ["1RansomA", "bc1qransomb"]);
    assert_eq!(strings(&addresses, "scam_type"), ["extortion", "extortion"]);
    assert_eq!(strings(&addresses, "label"), ["Locky", "Ryuk"]);
    let t = w.table("out/attributed_transfers.parquet");
    assert_eq!(
        floats(&t, "amount"),
        [Some(0.15), Some(2.5), Some(1e-8)],
        "satoshi in BTC"
    );
    assert_eq!(strings(&t, "label"), ["Locky", "Ryuk", "Ryuk"]);
    let by_type = w.table("out/revenue_by_type.parquet");
    assert_eq!(strings(&by_type, "period"), ["2017", "2019"]);
    assert_eq!(strings(&by_type, "revenue_usd"), ["203.4", "9150.75"]);
}

#[test]
fn chainabuse_reports_give_one_row_per_address_and_value_losses_in_an_asset() {
    let w = Workdir::new();
    w.write(
        "chainabuse.json",
        r#"[{"id": "ca-1", "createdAt": "2024-05-01T10:00:00Z", "scamCategory": "PIG_BUTCHERING", "subCategory": "romance app",
             "addresses": [{"address": "TScamA", "chain": "TRX"}, {"address": "0xAbC", "chain": "ETH"}],
             "losses": [{"amount": 2.5, "asset": "ETH"}], "victimCountry": "US"},
            {"id": "ca-2", "createdAt": "2024-06-01T10:00:00Z", "scamCategory": "PHISHING",
             "addresses": [{"address": "0xDEF", "chain": "ETH"}], "losses": [{"amount": 900, "asset": "USDT"}]}]"#,
    );
    w.write(
        "t.csv",
        "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n\
         ethereum,0x1,0,1714600000,0xv1,0xabc,USDT,100,100\n",
    );
    w.write("prices.csv", "date,asset,price_usd\n2024-04-30,ETH,3000\n");
    w.run_ok(&[
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        "chainabuse.json",
        "--prices",
        "prices.csv",
        "--out",
        "out",
        "--no-report",
    ]);
    let addresses = w.table("out/addresses.parquet");
    assert_eq!(strings(&addresses, "address"), ["0xabc", "0xdef", "TScamA"]);
    assert_eq!(
        strings(&addresses, "scam_type"),
        ["pig_butchering", "phishing", "pig_butchering"]
    );
    assert_eq!(
        strings(&addresses, "label"),
        ["romance app", "", "romance app"]
    );
    // 2.5 ETH at the price of 2024-04-30 (the report day has none): 7,500 USD, once per report
    let losses = w.table("out/reported_losses.parquet");
    let pb = rows_where(&losses, "scam_type", "pig_butchering");
    assert_eq!(strings(&pb, "loss_usd"), ["7500.0"]);
    assert_eq!(strings(&pb, "reports"), ["1"]);
    assert_eq!(strings(&pb, "addresses"), ["2"]);
    let ph = rows_where(&losses, "scam_type", "phishing");
    assert_eq!(strings(&ph, "loss_usd"), ["900.0"]);
}

#[test]
fn the_ransomware_address_list_loads_through_its_ready_made_mapping() {
    let w = Workdir::new();
    let list = real().join("ransomware_receipts_labels/addresses.csv");
    let mapping = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/mappings/ransomware-receipts-addresses.toml");
    w.write(
        "t.csv",
        "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n\
         bitcoin,tx1,0,1600000000,1Victim,34YmbPSXRjewgcqVRcrryUtYqzM25VXrNt,BTC,0.5,5000\n",
    );
    w.run_ok(&[
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        list.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--out",
        "out",
        "--no-report",
    ]);
    assert_eq!(w.input_total("out", "reports", "rows_accepted"), 1013);
    let addresses = w.table("out/addresses.parquet");
    assert_eq!(addresses.height(), 1013);
    let a = rows_where(&addresses, "address", "34YmbPSXRjewgcqVRcrryUtYqzM25VXrNt");
    assert_eq!(strings(&a, "label"), ["origCluster"]);
    assert_eq!(strings(&a, "scam_type"), ["extortion"]);
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(strings(&total, "revenue_usd"), ["5000.0"]);
}
