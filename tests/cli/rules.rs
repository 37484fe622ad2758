//! One test per METHODOLOGY rule, on hand-made datasets small enough to check
//! by hand. Each asserts the values the rule implies.

use crate::workdir::{Workdir, floats, rows_where, strings};

pub const T_HEADER: &str =
    "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n";
pub const R_HEADER: &str =
    "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n";
pub const P_HEADER: &str = "date,asset,price_usd\n";

/// Two scam addresses on tron (`TScamA` pig butchering in KH, `TScamB` investment in US).
pub const REPORTS: &str =
    "R1,2023-01-01,tron,TScamA,romance,KH,1000,t\nR2,2023-01-01,tron,TScamB,hyip,US,,t\n";

/// Write a dataset in the standard layout under `data/`.
pub fn dataset(w: &Workdir, transfers: &[(&str, &str)], reports: &str, prices: &str) {
    for (name, body) in transfers {
        w.write(
            &format!("data/transfers/{name}"),
            format!("{T_HEADER}{body}"),
        );
    }
    w.write("data/reports.csv", format!("{R_HEADER}{reports}"));
    w.write("data/prices.csv", format!("{P_HEADER}{prices}"));
}

fn run(w: &Workdir, extra: &[&str]) {
    let mut args = vec![
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--max-reject-rate",
        "1",
    ];
    args.extend(extra);
    w.run_ok(&args);
}

#[test]
fn quarter_boundary_with_offset() {
    let w = Workdir::new();
    let body = "tron,a,0,2024-06-30T22:00:00-03:00,TV1,TScamA,USDT,10,10\n\
                tron,b,0,2024-07-01T05:00:00+08:00,TV2,TScamA,USDT,20,20\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    run(&w, &[]);
    let rev = w.table("out/revenue_by_type.parquet");
    assert_eq!(strings(&rev, "period"), ["2024Q2", "2024Q3"]);
    assert_eq!(floats(&rev, "revenue_usd"), [Some(20.0), Some(10.0)]);
    assert_eq!(strings(&rev, "period_start"), ["2024-04-01", "2024-07-01"]);
}

#[test]
fn namibia_na_is_a_country_not_a_null() {
    let w = Workdir::new();
    let reports =
        "R1,2023-01-01,tron,TScamA,romance,NA,,t\nR2,2023-01-02,tron,TScamB,hyip,nam,,t\n";
    dataset(
        &w,
        &[("t.csv", "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n")],
        reports,
        "",
    );
    run(&w, &[]);
    assert_eq!(
        strings(&w.table("out/addresses.parquet"), "region"),
        ["Sub-Saharan Africa", "Sub-Saharan Africa"]
    );
    run(&w, &["--region-level", "country"]);
    assert_eq!(
        strings(&w.table("out/addresses.parquet"), "region"),
        ["NA", "NA"]
    );
    run(&w, &["--region-level", "continent"]);
    assert_eq!(
        strings(&w.table("out/revenue_by_region.parquet"), "region"),
        ["Africa"]
    );
}

#[test]
fn type_and_region_ties_follow_priority_and_alphabet() {
    let w = Workdir::new();
    // three labels once each: investment comes first in priority order;
    // regions tie 1-1-1 (Northern America, Eastern Asia, Western Europe) → Eastern Asia
    let reports = "R1,2023-01-01,tron,TScamA,phishing,US,,t\nR2,2023-01-01,tron,TScamA,ponzi,JP,,t\n\
                   R3,2023-01-01,tron,TScamA,sextortion,FR,,t\nR4,2023-01-01,tron,TScamA,whatever,,,t\n";
    dataset(
        &w,
        &[("t.csv", "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n")],
        reports,
        "",
    );
    run(&w, &[]);
    let addr = w.table("out/addresses.parquet");
    assert_eq!(strings(&addr, "scam_type"), ["investment"]);
    assert_eq!(strings(&addr, "region"), ["Eastern Asia"]);
    assert_eq!(strings(&addr, "reports"), ["4"]);
}

#[test]
fn internal_and_self_transfers_are_not_revenue() {
    let w = Workdir::new();
    let body = "tron,a,0,1700000000,TV1,TScamA,USDT,100,100\n\
                tron,b,0,1700000000,TScamA,TScamB,USDT,40,40\n\
                tron,c,0,1700000000,TScamB,TScamB,USDT,7,7\n\
                tron,d,0,1700000000,TScamA,TSomeoneElse,USDT,5,5\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    run(&w, &[]);
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(floats(&total, "revenue_usd"), [Some(100.0)]);
    assert_eq!(strings(&total, "deposits"), ["1"]);
    assert_eq!(strings(&total, "internal_transfers"), ["1"]);
    assert_eq!(floats(&total, "internal_usd"), [Some(40.0)]);
}

#[test]
fn price_fallback_reaches_seven_days_and_no_further() {
    let w = Workdir::new();
    // TRX priced on 2024-01-01 only; 01-08 is 7 days later, 01-09 is 8.
    let body = "tron,a,0,2024-01-08 12:00:00,TV1,TScamA,TRX,100,\n\
                tron,b,0,2024-01-09 12:00:00,TV2,TScamA,TRX,100,\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "2024-01-01,TRX,0.1\n");
    run(&w, &[]);
    let rev = w.table("out/revenue.parquet");
    assert_eq!(floats(&rev, "revenue_usd"), [Some(10.0)]);
    assert_eq!(strings(&rev, "deposits"), ["2"]);
    assert_eq!(strings(&rev, "unpriced_deposits"), ["1"]);
    assert_eq!(floats(&rev, "avg_deposit_usd"), [Some(10.0)]);
}

#[test]
fn zero_nan_and_empty_prices_are_ignored() {
    let w = Workdir::new();
    let body = "tron,a,0,2024-01-05 00:00:00,TV1,TScamA,TRX,100,\n";
    let prices = "2024-01-02,TRX,0.2\n2024-01-03,TRX,0\n2024-01-04,TRX,NaN\n2024-01-05,TRX,\n2024-01-05,TRX,-1\n";
    dataset(&w, &[("t.csv", body)], REPORTS, prices);
    run(&w, &[]);
    assert_eq!(
        floats(&w.table("out/revenue.parquet"), "revenue_usd"),
        [Some(20.0)]
    );
}

#[test]
fn duplicates_across_files_keep_the_first_by_path() {
    let w = Workdir::new();
    // same identity after normalisation; b.csv's copy (999) must lose to a.csv's (100)
    let a = "ethereum,0xABC,1,1700000000,0x1111,0xDEAD,USDT,100,100\n";
    let b = "ethereum,0xabc,1,1700000000,0x1111,0xdead,USDT,999,999\nethereum,0xfff,0,1700000000,0x1,0x2,USDT,1,1\nethereum,0xfff,0,1700000000,0x1,0x2,USDT,1,1\n";
    let reports = "R1,2023-01-01,ethereum,0xdEaD,romance,US,,t\n";
    dataset(&w, &[("b.csv", b), ("a.csv", a)], reports, "");
    run(&w, &[]);
    assert_eq!(
        floats(&w.table("out/revenue.parquet"), "revenue_usd"),
        [Some(100.0)]
    );
    let m = w.manifest("out");
    let b_counts = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("b.csv"))
        .unwrap();
    // only the scam-bound duplicate counts; the non-scam repeat is not de-duplicated
    assert_eq!(b_counts["duplicates_dropped"], 1);
    assert_eq!(b_counts["rows_accepted"], 2);
}

#[test]
fn rejects_are_accounted_for_per_file() {
    let w = Workdir::new();
    let body = "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n\
                ,b,0,1700000000,TV1,TScamA,USDT,10,10\n\
                tron,c,x,1700000000,TV1,TScamA,USDT,10,10\n\
                tron,d,0,1700000000,TV1,TScamA,USDT,abc,\n\
                tron,e,0,1700000000,TV1,TScamA,USDT,10,-1\n\
                tron,f,0,1700000000,TV1,TScamA,USDT,inf,\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    run(&w, &[]);
    let rejects = rows_where(&w.table("out/rejects.parquet"), "input", "transfers");
    assert_eq!(strings(&rejects, "row"), ["2", "3", "4", "5", "6"]);
    assert_eq!(
        strings(&rejects, "reason"),
        [
            "missing_value",
            "not_an_integer",
            "not_a_number",
            "negative",
            "not_finite"
        ]
    );
    assert_eq!(
        strings(&rejects, "column"),
        ["chain", "transfer_index", "amount", "amount_usd", "amount"]
    );
    let total = |field| w.input_total("out", "transfers", field);
    assert_eq!(
        (
            total("rows_read"),
            total("rows_accepted"),
            total("rows_rejected")
        ),
        (6, 1, 5)
    );
}

#[test]
fn labels_as_of_ignores_later_reports() {
    let w = Workdir::new();
    let reports =
        "R1,2023-01-01,tron,TScamA,romance,KH,100,t\nR2,2024-06-01,tron,TScamB,hyip,US,50,t\n";
    let body =
        "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\ntron,b,0,1700000000,TV1,TScamB,USDT,30,30\n";
    dataset(&w, &[("t.csv", body)], reports, "");
    run(&w, &[]);
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(40.0)]
    );
    run(&w, &["--labels-as-of", "2024-05-31"]);
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(10.0)]
    );
    assert_eq!(
        strings(&w.table("out/reported_losses.parquet"), "period"),
        ["2023Q1"]
    );
    assert_eq!(w.table("out/addresses.parquet").height(), 1);
}

#[test]
fn periods_by_month_and_year_and_yoy() {
    let w = Workdir::new();
    let body = "tron,a,0,2023-07-15 00:00:00,TV1,TScamA,USDT,100,100\n\
                tron,b,0,2024-07-15 00:00:00,TV1,TScamA,USDT,150,150\n\
                tron,c,0,2024-07-16 00:00:00,TV2,TScamA,USDT,150,150\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    run(&w, &["--period", "month"]);
    let rev = w.table("out/revenue_by_type.parquet");
    assert_eq!(strings(&rev, "period"), ["2023-07", "2024-07"]);
    assert_eq!(floats(&rev, "revenue_yoy")[1], Some(2.0));
    assert_eq!(floats(&rev, "deposits_yoy")[1], Some(1.0));
    assert_eq!(floats(&rev, "avg_deposit_yoy")[1], Some(0.5));
    assert_eq!(strings(&rev, "senders"), ["1", "2"]);
    run(&w, &["--period", "year"]);
    assert_eq!(
        strings(&w.table("out/revenue_total.parquet"), "period"),
        ["2023", "2024"]
    );
}

#[test]
fn from_and_to_bound_the_transfers() {
    let w = Workdir::new();
    let body = "tron,a,0,2023-12-31 23:59:59,TV1,TScamA,USDT,1,1\ntron,b,0,2024-01-01 00:00:00,TV1,TScamA,USDT,2,2\n\
                tron,c,0,2024-12-31 23:00:00,TV1,TScamA,USDT,4,4\ntron,d,0,2025-01-01 00:00:00,TV1,TScamA,USDT,8,8\n";
    dataset(&w, &[("t.csv", body)], REPORTS, "");
    run(
        &w,
        &[
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--period",
            "year",
        ],
    );
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(6.0)]
    );
}

#[test]
fn compressed_and_parquet_inputs_give_the_same_tables() {
    use std::io::Write;
    let w = Workdir::new();
    let body = format!(
        "{T_HEADER}tron,a,0,1700000000,TV1,TScamA,USDT,10,10\ntron,b,0,1700000000,TV1,TScamB,USDT,5,\n"
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    w.write("gz/t.csv.gz", gz.finish().unwrap());
    w.write(
        "zst/t.csv.zst",
        zstd::encode_all(body.as_bytes(), 3).unwrap(),
    );
    w.write("reports.csv", format!("{R_HEADER}{REPORTS}"));
    w.write("prices.csv", format!("{P_HEADER}2023-11-14,USDT,1.0\n"));
    let mut totals = Vec::new();
    for dir in ["gz", "zst"] {
        w.run_ok(&[
            "run",
            "--transfers",
            dir,
            "--reports",
            "reports.csv",
            "--prices",
            "prices.csv",
            "--out",
            dir,
        ]);
        totals.push(floats(
            &w.table(&format!("{dir}/revenue_total.parquet")),
            "revenue_usd",
        ));
    }
    assert_eq!(totals, [[Some(15.0)], [Some(15.0)]]);
}

#[test]
fn globs_and_the_transactions_alias_select_files() {
    let w = Workdir::new();
    let a = "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n";
    let b = "tron,b,0,1700000000,TV1,TScamA,USDT,5,5\n";
    dataset(&w, &[("x_1.csv", a), ("y_1.csv", b)], REPORTS, "");
    let args = [
        "run",
        "--transactions",
        "data/transfers/x_*.csv",
        "--reports",
        "data/reports.csv",
        "--out",
        "out",
    ];
    w.run_ok(&args);
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(10.0)]
    );
    let err = w.run_fails(
        &[
            "run",
            "--transfers",
            "data/transfers/z_*.csv",
            "--reports",
            "data/reports.csv",
        ],
        3,
    );
    assert!(err.contains("matches no input file"), "{err}");
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_read() {
    let w = Workdir::new();
    let transfers = format!("\u{feff}{T_HEADER}tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n")
        .replace('\n', "\r\n");
    w.write("data/transfers/t.csv", transfers);
    w.write(
        "data/reports.csv",
        format!("{R_HEADER}{REPORTS}").replace('\n', "\r\n"),
    );
    run(&w, &[]);
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(10.0)]
    );
    assert_eq!(w.table("out/rejects.parquet").height(), 0);
}
