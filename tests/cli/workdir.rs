//! `Workdir`: a temporary directory with fixture files, the real binary run in
//! it, and readers for what the binary wrote. On failure it shows the command,
//! its stdout and stderr.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use polars::prelude::*;

pub struct Workdir {
    dir: tempfile::TempDir,
}

/// Real public files, copied unchanged with their licences (`tests/fixtures/real`).
pub fn real() -> PathBuf {
    fixture("real")
}

/// A fixture under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file (parents created).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        path
    }

    /// Copy a directory tree into the workdir.
    pub fn copy_dir(&self, from: &Path, rel: &str) -> PathBuf {
        let to = self.path(rel);
        copy_tree(from, &to);
        to
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("scamtrends").unwrap();
        cmd.current_dir(self.dir.path()).args(args);
        cmd
    }

    /// Run and return the output, whatever the exit code.
    pub fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Run, asserting success.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.output(args);
        assert!(out.status.success(), "{}", describe(args, &out));
        out
    }

    /// Run, asserting the exit code; returns stderr.
    pub fn run_fails(&self, args: &[&str], code: i32) -> String {
        let out = self.output(args);
        assert_eq!(out.status.code(), Some(code), "{}", describe(args, &out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The manifest of the run in `out`.
    pub fn manifest(&self, out: &str) -> serde_json::Value {
        let bytes = fs::read(self.path(out).join("manifest.json")).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// A row count (`rows_read`, `rows_accepted`, …) summed over the inputs of
    /// one kind in the manifest of the run in `out`.
    pub fn input_total(&self, out: &str, kind: &str, field: &str) -> u64 {
        let manifest = self.manifest(out);
        let inputs = manifest["inputs"].as_array().unwrap();
        inputs
            .iter()
            .filter(|i| i["kind"] == kind)
            .map(|i| i[field].as_u64().unwrap())
            .sum()
    }

    /// Read an output table.
    pub fn table(&self, rel: &str) -> DataFrame {
        read_parquet(&self.path(rel))
    }
}

pub fn read_parquet(path: &Path) -> DataFrame {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

pub fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "command: scamtrends {}\nstatus: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Values of a column as display strings ("" for null), for compact asserts.
pub fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    let c = df
        .column(column)
        .unwrap_or_else(|_| panic!("no column {column}"));
    (0..c.len())
        .map(|i| match c.get(i).unwrap() {
            AnyValue::Null => String::new(),
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            v => v.to_string(),
        })
        .collect()
}

/// A float column as options.
pub fn floats(df: &DataFrame, column: &str) -> Vec<Option<f64>> {
    df.column(column)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

/// Rows matching `column == value`.
pub fn rows_where(df: &DataFrame, column: &str, value: &str) -> DataFrame {
    df.clone()
        .lazy()
        .filter(col(column).cast(DataType::String).eq(lit(value)))
        .collect()
        .unwrap()
}
