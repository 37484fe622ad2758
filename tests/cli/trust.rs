//! The trust boundary (issue #14): user SQL and report definitions reach only
//! the run's own tables and the files named on the command line.

use std::fs;

use crate::workdir::{Workdir, fixture};

fn published(w: &Workdir) {
    w.copy_dir(&fixture("multi_file"), "data");
    w.run_ok(&["run", "--data", "data", "--out", "out", "--no-report"]);
}

#[test]
fn query_table_functions_are_refused_before_running() {
    let w = Workdir::new();
    published(&w);
    w.write("secret.csv", "token\nhunter2\n");
    for (sql, function) in [
        ("SELECT *\n  FROM read_csv('secret.csv')", "read_csv"),
        (
            "SELECT * FROM revenue\nUNION ALL\nSELECT * FROM read_parquet('/etc/x.parquet')",
            "read_parquet",
        ),
        (
            "-- one line of comment\nSELECT * FROM read_json('http://example.com/x.json')",
            "read_json",
        ),
    ] {
        w.write("q.sql", sql);
        let out = w.output(&["query", "q.sql", "--run", "out", "--format", "csv"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sql}: {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
        let line = sql.lines().position(|l| l.contains(function)).unwrap() + 1;
        assert!(
            err.contains(&format!("q.sql:{line}:")) && err.contains(function),
            "{err}"
        );
    }
    w.write("q.sql", "SELECT * FROM secret");
    let err = w.run_fails(&["query", "q.sql", "--run", "out"], 2);
    assert!(
        err.contains("relation secret is not one of the run's tables"),
        "{err}"
    );
    w.write("q.sql", "DROP TABLE revenue");
    let err = w.run_fails(&["query", "q.sql", "--run", "out"], 2);
    assert!(err.contains("only a SELECT query is allowed"), "{err}");
}

const EVIL_DEFINITION: &str = r#"
title = "Planted"
sections = ["queries"]
[[queries]]
file = "steal.sql"
title = "stolen"
"#;

#[test]
fn a_definition_in_the_working_directory_is_never_picked_up() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.write("secret.csv", "token\nhunter2\n");
    w.write("reports/quarterly.toml", EVIL_DEFINITION);
    w.write("reports/steal.sql", "SELECT * FROM revenue");
    w.run_ok(&["run", "--data", "data", "--out", "out"]);
    let html = fs::read_to_string(w.path("out/report.html")).unwrap();
    assert!(!html.contains("Planted") && html.contains("Crypto scam revenue"));
    assert_eq!(
        w.manifest("out")["report"]["definition"],
        "built-in reports/quarterly.toml"
    );
}

#[test]
fn a_definition_named_on_the_command_line_reads_its_queries_beside_it() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.write("defs/brief.toml", EVIL_DEFINITION);
    w.write(
        "defs/steal.sql",
        "SELECT period, revenue_usd FROM revenue_total",
    );
    w.write("steal.sql", "SELECT 'the wrong file' AS x");
    w.run_ok(&[
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--report",
        "defs/brief.toml",
    ]);
    let md = fs::read_to_string(w.path("out/report.md")).unwrap();
    assert!(
        md.contains("defs/steal.sql") && !md.contains("the wrong file"),
        "{md}"
    );
    // a refused query stops the run before any work: nothing is published
    w.write("defs/steal.sql", "SELECT *\nFROM read_csv('../secret.csv')");
    let err = w.run_fails(
        &[
            "run",
            "--data",
            "data",
            "--out",
            "out2",
            "--report",
            "defs/brief.toml",
        ],
        2,
    );
    assert!(
        err.contains("defs/steal.sql:2:") && err.contains("read_csv"),
        "{err}"
    );
    assert!(!w.path("out2").exists());
}

#[test]
fn every_file_that_shapes_a_figure_is_an_input() {
    let w = Workdir::new();
    w.copy_dir(&fixture("multi_file"), "data");
    w.write("tax.toml", "[aliases]\npig_butchering = [\"love trap\"]\n");
    w.write(
        "tokens.toml",
        "[[token]]\nchain = \"tron\"\ncontract = \"TMine\"\nsymbol = \"MINE\"\ndecimals = 2\n",
    );
    let args = [
        "run",
        "--data",
        "data",
        "--taxonomy",
        "tax.toml",
        "--tokens",
        "tokens.toml",
        "--out",
        "out",
        "--if-changed",
    ];
    w.run_ok(&args);
    let manifest = w.manifest("out");
    assert_eq!(
        manifest["tool"]["git_revision"].as_str().map(str::len),
        Some(40)
    );
    let roles: Vec<&str> = manifest["shaping_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "taxonomy",
            "tokens",
            "report-definition",
            "query",
            "query",
            "query"
        ]
    );
    let again = w.output(&args);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to do"));
    // the same path with other content: a new run, not "nothing to do"
    for (role, file, text) in [
        (
            "taxonomy",
            "tax.toml",
            "[aliases]\npig_butchering = [\"love trap\", \"honey\"]\n",
        ),
        (
            "tokens",
            "tokens.toml",
            "[[token]]\nchain = \"tron\"\ncontract = \"TMine\"\nsymbol = \"MINE\"\ndecimals = 3\n",
        ),
    ] {
        w.write(file, text);
        let out = w.output(&args);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{log}");
        assert!(
            log.contains(&format!("running, the {role} {file} changed")),
            "{log}"
        );
    }
    // verify names a changed shaping file like a changed export (exit 6)
    w.write(
        "tax.toml",
        "[aliases]\npig_butchering = [\"something else\"]\n",
    );
    let out = w.output(&["verify", "out"]);
    assert_eq!(out.status.code(), Some(6));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("changed taxonomy tax.toml"), "{said}");
}

/// Rejects of a run as `(file name, row, reason, value)`.
fn rejects(w: &Workdir) -> Vec<(String, String, String, String)> {
    let df = w.table("out/rejects.parquet");
    let col = |c| crate::workdir::strings(&df, c);
    let (file, row, reason, value) = (col("file"), col("row"), col("reason"), col("value"));
    (0..df.height())
        .map(|i| {
            let name = file[i].rsplit('/').next().unwrap_or_default().to_string();
            (name, row[i].clone(), reason[i].clone(), value[i].clone())
        })
        .collect()
}

#[test]
fn csv_rows_with_more_or_fewer_fields_than_the_header_are_rejected() {
    use crate::rules::{REPORTS, dataset};
    // rows 2 and 3 have one field too many and one too few; row 4 holds a
    // comma and a line feed inside quotes
    let rows = |p: &str| {
        format!(
            "tron,{p}a,0,1700000000,TV1,TScamA,USDT,10,10\n\
             tron,{p}b,0,1700000000,TV1,TScamA,USDT,10,10,999\n\
             tron,{p}c,0,1700000000,TV1,TScamA,USDT,10\n\
             tron,\"{p}d,\n\",0,1700000000,TV1,TScamA,USDT,10,10\n"
        )
    };
    let w = Workdir::new();
    dataset(&w, &[("t.csv", &rows("t"))], REPORTS, "");
    // the same rows gzip-compressed count the same way
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let text = format!("{}{}", crate::rules::T_HEADER, rows("u"));
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    w.write("data/transfers/u.csv.gz", gz.finish().unwrap());
    w.run_ok(&[
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--max-reject-rate",
        "0.6",
        "--no-report",
    ]);
    let found = rejects(&w);
    let expect = |f: &str, row: &str, n: u32| {
        (
            f.to_string(),
            row.to_string(),
            "field_count".to_string(),
            format!("{n} fields; the header has 9"),
        )
    };
    assert_eq!(
        found,
        [
            expect("t.csv", "2", 10),
            expect("t.csv", "3", 8),
            expect("u.csv.gz", "2", 10),
            expect("u.csv.gz", "3", 8)
        ]
    );
    // only the well-formed rows count: 10 USD each from two files, twice
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(crate::workdir::floats(&total, "revenue_usd"), [Some(40.0)]);
}

#[test]
fn an_ndjson_key_missing_from_the_first_object_is_kept() {
    let w = Workdir::new();
    w.write(
        "t.json",
        "{\"hash\": \"0x01\", \"nonce\": 1, \"from_address\": \"0xv1\", \"to_address\": \"0xscam\", \"value\": 1000000000000000000}\n\
         {\"hash\": \"0x02\", \"nonce\": 2, \"from_address\": \"0xv1\", \"to_address\": \"0xscam\", \"value\": 2000000000000000000, \"block_timestamp\": 1700000000}\n",
    );
    w.write(
        "reports.csv",
        "report_id,reported_at,chain,address,scam_type,country,loss_usd,source\nR1,2023-01-01,ethereum,0xscam,romance,KH,,t\n",
    );
    w.write("prices.csv", "date,asset,price_usd\n2023-11-14,ETH,2000\n");
    let out = w.output(&[
        "run",
        "--transfers",
        "t.json",
        "--reports",
        "reports.csv",
        "--prices",
        "prices.csv",
        "--out",
        "out",
        "--no-report",
        "--max-reject-rate",
        "0.5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the first object has no timestamp: only it is rejected
    let found = rejects(&w);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].1.as_str(), found[0].2.as_str()),
        ("1", "missing_value")
    );
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(
        crate::workdir::floats(&total, "revenue_usd"),
        [Some(4000.0)]
    );
}

#[test]
fn implausible_money_is_rejected_never_saturated() {
    use crate::rules::dataset;
    let w = Workdir::new();
    let transfers = "tron,a,0,1700000000,TV1,TScamA,USDT,10,10\n\
                     tron,b,0,1700000000,TV1,TScamA,USDT,1,2000000000000\n\
                     tron,c,0,1700000000,TV1,TScamA,ETH,1000000000,\n\
                     tron,d,0,1700000000,TV1,TScamA,ETH,1e308,\n\
                     tron,e,0,1700000000,TV1,TScamA,ETH,2,\n";
    let reports = "R1,2023-01-01,tron,TScamA,romance,KH,1000,t\n\
                   R2,2023-01-01,tron,TScamA,romance,KH,5000000000000,t\n";
    dataset(
        &w,
        &[("t.csv", transfers)],
        reports,
        "2023-11-14,ETH,2000\n",
    );
    w.run_ok(&[
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--no-report",
        "--max-reject-rate",
        "0.7",
    ]);
    let found: Vec<(String, String, String)> = rejects(&w)
        .into_iter()
        .map(|(f, row, reason, _)| (f, row, reason))
        .collect();
    let r = |f: &str, row: &str| {
        (
            f.to_string(),
            row.to_string(),
            "implausible_usd".to_string(),
        )
    };
    assert_eq!(
        found,
        [
            r("reports.csv", "2"),
            r("t.csv", "2"),
            r("t.csv", "3"),
            r("t.csv", "4")
        ]
    );
    // 10 USDT given in USD, plus 2 ETH × 2,000
    let total = w.table("out/revenue_total.parquet");
    assert_eq!(
        crate::workdir::floats(&total, "revenue_usd"),
        [Some(4010.0)]
    );
}
