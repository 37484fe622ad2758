//! Where the Spark engine's server writes the scam-bound rows once
//! (`--spark-staging`): a temporary directory of our own when the server
//! runs on this machine, the user's directory or URI otherwise. A local
//! directory is removed when the run ends; a URI (`s3a://…`) is left to
//! the bucket's lifecycle rules, and its path is logged.

use std::cell::Cell;
use std::path::Path;

use anyhow::{Context, Result};
use tempfile::TempDir;

use crate::engine::spark::session::{host_port, server_path};

/// One run's staging location.
pub struct Staging {
    root: String,
    /// Ours to delete when the run ends.
    _owned: Option<TempDir>,
    written: Cell<usize>,
}

impl Staging {
    /// The staging location for a run against `remote`: `flag` when given,
    /// else a temporary directory when the server is on this machine, else
    /// none (the server recomputes the scam-bound rows for each query).
    pub fn choose(flag: Option<&str>, remote: &str) -> Result<Option<Staging>> {
        let own = |dir: TempDir| Staging {
            root: server_path(dir.path()),
            _owned: Some(dir),
            written: Cell::new(0),
        };
        match flag {
            Some(uri) if uri.contains("://") => {
                let root = format!(
                    "{}/scamtrends-{}-{}",
                    uri.trim_end_matches('/'),
                    std::process::id(),
                    unique()
                );
                crate::log::info(format!(
                    "engine spark: staging in {root} (remove it after the run)"
                ));
                Ok(Some(Staging {
                    root,
                    _owned: None,
                    written: Cell::new(0),
                }))
            }
            Some(dir) => {
                let dir = tempfile::Builder::new()
                    .prefix("scamtrends-")
                    .tempdir_in(Path::new(dir))
                    .with_context(|| {
                        format!("--spark-staging {dir}: cannot create a directory in it")
                    })
                    .map_err(|e| crate::error::bad_input(format!("{e:#}")))?;
                Ok(Some(own(dir)))
            }
            None if is_local(remote) => {
                let dir = tempfile::Builder::new()
                    .prefix("scamtrends-spark-")
                    .tempdir()
                    .context("creating a staging directory for the Spark engine")?;
                Ok(Some(own(dir)))
            }
            None => {
                crate::log::info(
                    "engine spark: no --spark-staging: the server re-reads the exports for each query",
                );
                Ok(None)
            }
        }
    }

    /// The staging directory when it is a path on this machine.
    pub fn local_dir(&self) -> Option<std::path::PathBuf> {
        (!self.root.contains("://")).then(|| std::path::PathBuf::from(&self.root))
    }

    /// A fresh location for one written view.
    pub fn next(&self, view: &str) -> String {
        let n = self.written.get();
        self.written.set(n + 1);
        format!("{}/{view}-{n}", self.root)
    }
}

/// A server on this machine reads and writes our temporary directory.
fn is_local(remote: &str) -> bool {
    host_port(remote)
        .is_some_and(|(host, _)| matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1"))
}

/// Nanoseconds of the clock: a name no earlier run used (never in data).
fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Copy the Parquet file `from` to `to` with a 1-based row number column
/// `row` in file order, streaming (the copy is written by polars, whose
/// reader keeps file order).
pub fn write_numbered(from: &Path, to: &Path, row: &str) -> Result<()> {
    use polars::prelude::{LazyFrame, PlRefPath, RowIndex, ScanArgsParquet};
    let args = ScanArgsParquet {
        row_index: Some(RowIndex {
            name: row.into(),
            offset: 1,
        }),
        glob: false,
        ..Default::default()
    };
    let source = PlRefPath::try_from_path(from)?;
    let write = LazyFrame::scan_parquet(source, args).and_then(|lf| sink_parquet(lf, to));
    write.map_err(|e| {
        anyhow::anyhow!(
            "writing a row-numbered copy of {} to {}: {e}",
            from.display(),
            to.display()
        )
    })?;
    Ok(())
}

/// Stream `frame` into the Parquet file `target` (LZ4): the copies the
/// server reads instead of an input.
pub fn sink_parquet(
    frame: polars::prelude::LazyFrame,
    target: &Path,
) -> polars::prelude::PolarsResult<()> {
    use polars::prelude::{
        Engine, FileWriteFormat, ParquetCompression, ParquetWriteOptions, PlRefPath,
        SinkDestination, SinkTarget, UnifiedSinkArgs,
    };
    let target = PlRefPath::try_from_path(target)?;
    frame
        .sink(
            SinkDestination::File {
                target: SinkTarget::Path(target),
            },
            FileWriteFormat::Parquet(std::sync::Arc::new(ParquetWriteOptions {
                compression: ParquetCompression::Lz4Raw,
                ..Default::default()
            })),
            UnifiedSinkArgs::default(),
        )?
        .collect_with_engine(Engine::Streaming)?;
    Ok(())
}

/// Copy the CSV text `from` (already decoded) to `to` with each record
/// listed in `ragged` (1-based data rows) replaced by a record of
/// `header_fields` empty fields: Sail's CSV reader fails on such a row and
/// Spark's pads or truncates it, while the method rejects it as
/// `field_count` and keeps counting rows. Records end at a line feed
/// outside quotes. The copy is checked with the same field counter as the
/// original: every row there, none ragged, or the run stops.
pub fn write_repaired(
    from: impl std::io::Read,
    to: &Path,
    ragged: &std::collections::HashSet<u64>,
    header_fields: u32,
) -> Result<()> {
    use std::io::{BufRead, BufReader, BufWriter, Write};
    let writing = || format!("writing a repaired copy to {}", to.display());
    let mut reader = BufReader::with_capacity(1 << 20, from);
    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(to).with_context(writing)?);
    let blank = vec![b','; header_fields.saturating_sub(1) as usize];
    let (mut record, mut in_quotes, mut line) = (0u64, false, Vec::new());
    let mut pending: Vec<u8> = Vec::new();
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .context("reading a CSV to repair")?
            == 0
        {
            break;
        }
        in_quotes ^= line.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        pending.extend_from_slice(&line);
        if in_quotes && line.ends_with(b"\n") {
            continue; // a quoted line feed: the record goes on
        }
        match ragged.contains(&record) {
            true => {
                out.write_all(&blank).with_context(writing)?;
                out.write_all(b"\n").with_context(writing)?;
            }
            false => out.write_all(&pending).with_context(writing)?,
        }
        pending.clear();
        record += 1;
    }
    out.write_all(&pending).with_context(writing)?;
    out.flush().with_context(writing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_server_gets_a_temporary_directory_that_is_removed() {
        let staging = Staging::choose(None, "sc://127.0.0.1:15002")
            .unwrap()
            .unwrap();
        let root = staging.root.clone();
        assert!(Path::new(&root).is_dir());
        assert_eq!(staging.next("scam_bound"), format!("{root}/scam_bound-0"));
        assert_eq!(staging.next("scam_bound"), format!("{root}/scam_bound-1"));
        drop(staging);
        assert!(!Path::new(&root).exists());
    }

    #[test]
    fn a_remote_server_stages_only_where_told() {
        assert!(
            Staging::choose(None, "sc://spark.example.org:15002")
                .unwrap()
                .is_none()
        );
        let s3 = Staging::choose(Some("s3a://bucket/tmp/"), "sc://h:1")
            .unwrap()
            .unwrap();
        assert!(
            s3.root.starts_with("s3a://bucket/tmp/scamtrends-"),
            "{}",
            s3.root
        );
        let parent = tempfile::tempdir().unwrap();
        let dir = Staging::choose(Some(parent.path().to_str().unwrap()), "sc://h:1")
            .unwrap()
            .unwrap();
        assert!(dir.root.starts_with(parent.path().to_str().unwrap()));
        assert!(Staging::choose(Some("/no/such/dir"), "sc://h:1").is_err());
    }

    #[test]
    fn a_repaired_copy_blanks_only_the_ragged_records() {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("r.csv");
        // record 2 spans two lines inside quotes; records 3 and 4 are ragged
        let text = "a,b,c\n1,2,3\n\"x\ny\",5,6\n7,8\n9,10,11,12\n13,14,15";
        let ragged = [3u64, 4].into_iter().collect();
        write_repaired(text.as_bytes(), &to, &ragged, 3).unwrap();
        let copy = std::fs::read_to_string(&to).unwrap();
        assert_eq!(copy, "a,b,c\n1,2,3\n\"x\ny\",5,6\n,,\n,,\n13,14,15");
        let shape = crate::readers::csv_shape::ShapeCounter::of_reader(copy.as_bytes()).unwrap();
        assert_eq!((shape.rows, shape.ragged.len()), (5, 0));
    }
}
