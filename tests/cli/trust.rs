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
