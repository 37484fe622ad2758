//! Real ethereum-etl exports (`tests/fixtures/real/ethereum-etl`), read with no
//! preprocessing: detected from the header, raw uint256 values scaled exactly.

use crate::workdir::{Workdir, floats, real, rows_where, strings};

const REPORTS: &str = "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n\
    R1,2023-01-01,ethereum,0x1f87bc6687c52200aad234b7055568e92c943c46,romance,US,,t\n\
    R2,2023-01-01,ethereum,0x3fba61540568e514a78a05a112c583bb40089168,hyip,US,,t\n\
    R3,2023-01-01,ethereum,0x7054B0F980A7EB5B3A6B3446F3C947D80162775C,phishing,US,,t\n";

#[test]
fn ndjson_token_transfers_load_with_exact_amounts() {
    let w = Workdir::new();
    let export = real().join("ethereum-etl/token_transfers_blocks_17173049_17173050.json");
    w.write("reports.csv", REPORTS);
    w.write(
        "prices.csv",
        "date,asset,price_usd\n2023-05-02,USDT,1\n2023-05-02,USDC,1\n2023-05-02,WETH,1900\n",
    );
    let out = w.run_ok(&[
        "run",
        "--transfers",
        export.to_str().unwrap(),
        "--reports",
        "reports.csv",
        "--prices",
        "prices.csv",
        "--out",
        "out",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("detected format ethereum-etl-token-transfers")
    );
    assert_eq!(w.input_total("out", "transfers", "rows_read"), 291);
    assert_eq!(w.input_total("out", "transfers", "rows_accepted"), 291);
    let by_type = w.table("out/revenue_by_type.parquet");
    let revenue = |ty: &str| floats(&rows_where(&by_type, "scam_type", ty), "revenue_usd")[0];
    assert_eq!(
        revenue("pig_butchering"),
        Some(30.0),
        "USDT 30000000 / 10^6"
    );
    assert_eq!(revenue("investment"), Some(220.83), "USDC 220832943 / 10^6");
    // WETH (7056176614974947328 + 7400000000000000000) / 10^18 × 1900 = 27466.7355…
    assert_eq!(revenue("phishing"), Some(27466.74));
    // a 30-digit value of a token not in the registry: kept, counted, unpriced
    let phishing = rows_where(&by_type, "scam_type", "phishing");
    assert_eq!(
        (
            strings(&phishing, "deposits"),
            strings(&phishing, "unpriced_deposits")
        ),
        (vec!["3".to_string()], vec!["1".to_string()])
    );
}

#[test]
fn csv_token_transfers_without_timestamps_are_rejected_with_a_reason() {
    let w = Workdir::new();
    let export = real().join("ethereum-etl/token_transfers_small.csv");
    w.write("reports.csv", REPORTS);
    let args = [
        "run",
        "--transfers",
        export.to_str().unwrap(),
        "--reports",
        "reports.csv",
        "--out",
        "out",
        "--max-reject-rate",
        "1",
    ];
    w.run_ok(&args);
    let rejects = rows_where(&w.table("out/rejects.parquet"), "input", "transfers");
    assert_eq!(
        strings(&rejects, "reason"),
        ["missing_value", "missing_value"]
    );
    assert_eq!(strings(&rejects, "column"), ["block_time", "block_time"]);
}

#[test]
fn transactions_carry_native_eth_in_wei_and_contract_creations_are_not_errors() {
    let w = Workdir::new();
    let export = real().join("ethereum-etl/transactions_with_withdrawals.csv");
    w.write(
        "reports.csv",
        "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\n\
         R1,2023-01-01,ethereum,0xCCA3E571400B299F3E09616721CCD0BE0529226D,pig butchering,SG,,t\n",
    );
    w.write(
        "prices.csv",
        "date,asset,price_usd\n2023-05-02,ETH,1900.25\n",
    );
    let args = [
        "run",
        "--transfers",
        export.to_str().unwrap(),
        "--reports",
        "reports.csv",
        "--prices",
        "prices.csv",
        "--out",
        "out",
    ];
    w.run_ok(&args);
    // 298 transactions, one of them a contract creation (empty to_address): all accepted
    assert_eq!(w.input_total("out", "transfers", "rows_read"), 298);
    assert_eq!(w.input_total("out", "transfers", "rows_rejected"), 0);
    // 14032529640000000000 wei = 14.03252964 ETH × 1900.25 = 26665.3136…
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(26665.31)]
    );
}

#[test]
fn graphsense_tagpacks_load_as_reports_with_inherited_fields() {
    let w = Workdir::new();
    let packs = real().join("graphsense");
    // 0xD0cC… is listed in mixed case by etherscamdb; 1Ee9… in the ponzi pack
    w.write(
        "t.csv",
        "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd\n\
         ethereum,0x1,0,1700000000,0x1111,0xd0cc2b24980cbcca47ef755da88b220a82291407,USDT,25,25\n\
         bitcoin,b1,0,1700000000,1Victim,1Ee9ZiZkmygAXUiyeYKRSA3tLe4vNYEAgA,BTC,0.1,3000\n",
    );
    w.run_ok(&[
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        packs.to_str().unwrap(),
        "--out",
        "out",
    ]);
    let accepted = w.input_total("out", "reports", "rows_accepted");
    assert_eq!(
        accepted,
        3117 + 52 + 12527 + 3,
        "every tag of the four packs"
    );
    let by_type = w.table("out/revenue_by_type.parquet");
    assert_eq!(
        strings(&by_type, "scam_type"),
        ["investment", "phishing"],
        "ponzi_scheme → investment"
    );
    assert_eq!(floats(&by_type, "revenue_usd"), [Some(3000.0), Some(25.0)]);
    let addresses = w.table("out/addresses.parquet");
    // header `abuse: sextortion` is inherited by all 12,527 tags of that pack
    assert_eq!(
        rows_where(&addresses, "scam_type", "extortion").height(),
        12527
    );
    assert_eq!(
        rows_where(&addresses, "region", "Unknown").height(),
        addresses.height(),
        "TagPacks carry no country"
    );
}

#[test]
fn inspect_tells_format_layout_rows_and_rejects() {
    let w = Workdir::new();
    let export = real().join("ethereum-etl/token_transfers_blocks_17173049_17173050.json");
    let out = w.run_ok(&["inspect", export.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("format: Ndjson")
            && stdout.contains("layout: ethereum-etl token_transfers"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rows: 291") && stdout.contains("no rejects"),
        "{stdout}"
    );
    let inspect = |rel: &str| {
        let path = real().join(rel);
        String::from_utf8_lossy(&w.run_ok(&["inspect", path.to_str().unwrap()]).stdout).into_owned()
    };
    let stdout = inspect("ethereum-etl/token_transfers_small.csv");
    assert!(
        stdout.contains("missing_value") && stdout.contains("block_time"),
        "{stdout}"
    );
    let stdout = inspect("prices/btc_daily_close_2011_2018.csv");
    assert!(
        stdout.contains("layout: unknown (use --mapping)") && stdout.contains("rows: 2522"),
        "{stdout}"
    );
}

#[test]
fn nft_token_ids_are_rejected_as_amounts() {
    let w = Workdir::new();
    w.write(
        "t.csv",
        "token_address,from_address,to_address,value,transaction_hash,log_index,block_timestamp\n\
         0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d,0x1,0x1f87bc6687c52200aad234b7055568e92c943c46,8817,0xaa,0,1683029999\n\
         0xdac17f958d2ee523a2206206994597c13d831ec7,0x1,0x1f87bc6687c52200aad234b7055568e92c943c46,5000000,0xab,0,1683029999\n",
    );
    w.write("reports.csv", REPORTS);
    w.run_ok(&[
        "run",
        "--transfers",
        "t.csv",
        "--reports",
        "reports.csv",
        "--out",
        "out",
        "--max-reject-rate",
        "1",
    ]);
    let rejects = rows_where(&w.table("out/rejects.parquet"), "input", "transfers");
    assert_eq!(strings(&rejects, "value"), ["ERC-721 token id 8817"]);
    assert_eq!(strings(&rejects, "column"), ["amount"]);
    assert_eq!(
        floats(&w.table("out/revenue_total.parquet"), "revenue_usd"),
        [Some(0.0)],
        "USDT 5 without prices: unpriced"
    );
}

#[test]
fn a_forced_transfers_format_checks_the_header() {
    let w = Workdir::new();
    let export = real().join("ethereum-etl/transactions_with_withdrawals.csv");
    w.write("reports.csv", REPORTS);
    let path = export.to_str().unwrap();
    let err = w.run_fails(
        &[
            "run",
            "--transfers",
            path,
            "--reports",
            "reports.csv",
            "--out",
            "out",
            "--transfers-format",
            "ethereum-etl-token-transfers",
        ],
        3,
    );
    assert!(
        err.contains("transactions_with_withdrawals.csv") && err.contains("token_address"),
        "{err}"
    );
    let err = w.run_fails(
        &[
            "run",
            "--transfers",
            path,
            "--reports",
            "reports.csv",
            "--out",
            "out",
            "--transfers-format",
            "canonical",
        ],
        3,
    );
    assert!(err.contains("missing required columns"), "{err}");
    w.run_ok(&[
        "run",
        "--transfers",
        path,
        "--reports",
        "reports.csv",
        "--out",
        "out",
        "--transfers-format",
        "ethereum-etl-transactions",
    ]);
}

#[test]
fn end_to_end_real_exports_with_a_real_tagpack() {
    let w = Workdir::new();
    let etl = real().join("ethereum-etl");
    let transfers = [
        etl.join("token_transfers_blocks_17173049_17173050.json"),
        etl.join("transactions_blocks_17173049_17173050.json"),
    ];
    let pack = real().join("graphsense/etherscamdb_tagpack.yaml");
    let mut args = vec!["run", "--reports", pack.to_str().unwrap(), "--out", "out"];
    for t in &transfers {
        args.extend(["--transfers", t.to_str().unwrap()]);
    }
    w.run_ok(&args);
    assert_eq!(
        w.input_total("out", "transfers", "rows_accepted"),
        291 + 298
    );
    // 3,117 tags name 2,282 distinct (chain, address) pairs once checksum case
    // is folded: 2,039 on ethereum, 226 bitcoin, 13 litecoin, 2 bitcoin_cash, 2 zcash
    let addresses = w.table("out/addresses.parquet");
    assert_eq!(addresses.height(), 2282);
    assert_eq!(rows_where(&addresses, "chain", "ethereum").height(), 2039);
    assert_eq!(rows_where(&addresses, "chain", "litecoin").height(), 13);
    // none of them received anything in these two blocks: every revenue table is empty
    for table in [
        "revenue",
        "revenue_by_type",
        "revenue_by_region",
        "revenue_total",
    ] {
        assert_eq!(
            w.table(&format!("out/{table}.parquet")).height(),
            0,
            "{table}"
        );
    }
    assert!(w.table("out/reported_losses.parquet").height() > 0);
}

#[test]
fn a_user_token_registry_prices_an_unknown_token() {
    let w = Workdir::new();
    let export = real().join("ethereum-etl/token_transfers_blocks_17173049_17173050.json");
    w.write("reports.csv", REPORTS);
    w.write("tokens.toml", "[[token]]\nchain = \"ethereum\"\ncontract = \"0x1CE270557C1F68CFB577B856766310BF8B47FD9C\"\nsymbol = \"MEME\"\ndecimals = 18\n");
    w.write(
        "prices.csv",
        "date,asset,price_usd\n2023-05-02,MEME,0.000001\n2023-05-02,WETH,1900\n",
    );
    let args = [
        "run",
        "--transfers",
        export.to_str().unwrap(),
        "--reports",
        "reports.csv",
        "--prices",
        "prices.csv",
        "--tokens",
        "tokens.toml",
        "--out",
        "out",
    ];
    w.run_ok(&args);
    let phishing = rows_where(
        &w.table("out/revenue_by_type.parquet"),
        "scam_type",
        "phishing",
    );
    // 150188698577042438264952193024 / 10^18 × 0.000001 = 150188.698577… plus the WETH $27,466.7355…
    assert_eq!(floats(&phishing, "revenue_usd"), [Some(177655.43)]);
    assert_eq!(strings(&phishing, "unpriced_deposits"), ["0"]);
}
