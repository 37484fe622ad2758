//! Checks against real public files (`tests/fixtures/real`, copied unchanged
//! from `../shared/data` with their licences).

use polars::prelude::*;
use scamtrends::method::regions::{UNKNOWN, region_of};
use scamtrends::model::RegionLevel;

use crate::workdir::{real, strings};

#[test]
fn every_iso_code_maps_to_its_m49_region() {
    let path = real().join("iso3166-m49/all.csv");
    let df = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path))
        .unwrap()
        .finish()
        .unwrap();
    let (a2, a3) = (strings(&df, "alpha-2"), strings(&df, "alpha-3"));
    let (sub, reg) = (strings(&df, "sub-region"), strings(&df, "region"));
    assert_eq!(a2.len(), 249);
    for i in 0..a2.len() {
        let (want_sub, want_reg) = match a2[i].as_str() {
            "TW" => ("Eastern Asia", "Asia"), // METHODOLOGY §5
            _ if sub[i].is_empty() => (UNKNOWN, UNKNOWN),
            _ => (sub[i].as_str(), reg[i].as_str()),
        };
        for code in [&a2[i], &a3[i], &a3[i].to_lowercase()] {
            assert_eq!(
                region_of(Some(code), RegionLevel::Subregion),
                want_sub,
                "{code}"
            );
            assert_eq!(
                region_of(Some(code), RegionLevel::Continent),
                want_reg,
                "{code}"
            );
        }
        let want_country = if want_sub == UNKNOWN {
            UNKNOWN
        } else {
            a2[i].as_str()
        };
        assert_eq!(region_of(Some(&a3[i]), RegionLevel::Country), want_country);
    }
}

/// A mapping shipped in `docs/mappings/`.
fn mapping_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/mappings")
        .join(name)
}

#[test]
fn real_btc_price_history_loads_through_a_mapping_with_zero_prices_missing() {
    let w = crate::workdir::Workdir::new();
    let prices = real().join("prices/btc_daily_close_2011_2018.csv");
    w.write(
        "btc.toml",
        std::fs::read(mapping_file("date-close-btc-prices.toml")).unwrap(),
    );
    w.write("reports.csv", "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\nR1,2011-01-01,bitcoin,bc1qscam,ponzi,US,,t\n");
    // 2011-10-02 has Close = 0.0 (missing): the fallback finds 4.82 on 2011-09-29
    w.write(
        "t.csv",
        "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n\
         bitcoin,a,0,2011-10-02 12:00:00,bc1qv1,bc1qscam,BTC,1,\n\
         bitcoin,b,0,2017-12-17 12:00:00,bc1qv2,bc1qscam,BTC,0.5,\n",
    );
    let args = [
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        "reports.csv",
        "--prices",
        prices.to_str().unwrap(),
        "--mapping",
        "btc.toml",
        "--period",
        "year",
        "--out",
        "out",
    ];
    w.run_ok(&args);
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(strings(&total, "period"), ["2011", "2017"]);
    // 0.5 × 19,075.6475 = 9,537.82375
    assert_eq!(
        crate::workdir::floats(&total, "revenue_usd"),
        [Some(4.82), Some(9537.82)]
    );
    assert_eq!(w.input_total("out", "prices", "rows_read"), 2522);
    assert_eq!(
        w.input_total("out", "prices", "rows_rejected"),
        0,
        "zero closes are missing, not rejects"
    );
}

#[test]
fn real_forta_labels_load_as_reports_through_a_mapping() {
    let w = crate::workdir::Workdir::new();
    let labels = real().join("forta/etherscan_malicious_labels.csv");
    w.write(
        "forta.toml",
        std::fs::read(mapping_file("forta-etherscan-labels.toml")).unwrap(),
    );
    w.write("t.csv", "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\nethereum,0x1,0,1700000000,0x1111,0x80D7BB18521ACBEF32D7906502EBE94928690E93,USDT,25,25\n");
    let args = [
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        labels.to_str().unwrap(),
        "--mapping",
        "forta.toml",
        "--out",
        "out",
    ];
    w.run_ok(&args);
    let addresses = w.table("out/addresses.parquet");
    // 7,780 rows; 7 have no wallet_tag (rejected); 7,252 addresses once checksum case is folded
    assert_eq!(addresses.height(), 7252);
    assert_eq!(w.table("out/rejects.parquet").height(), 7);
    let by_type = w.table("out/revenue_by_type.parquet");
    assert_eq!(
        strings(&by_type, "scam_type"),
        ["phishing"],
        "Fake_Phishing1772 → phishing"
    );
}

#[test]
fn shipped_mappings_all_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mappings");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        scamtrends::readers::mapping::Mapping::load(Some(&path))
            .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    }
}
