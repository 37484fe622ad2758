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
    use polars::prelude::{
        Engine, FileWriteFormat, LazyFrame, ParquetCompression, ParquetWriteOptions, PlRefPath,
        RowIndex, ScanArgsParquet, SinkDestination, SinkTarget, UnifiedSinkArgs,
    };
    let args = ScanArgsParquet {
        row_index: Some(RowIndex {
            name: row.into(),
            offset: 1,
        }),
        glob: false,
        ..Default::default()
    };
    let source = PlRefPath::try_from_path(from)?;
    let target = PlRefPath::try_from_path(to)?;
    LazyFrame::scan_parquet(source, args)?
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
        .collect_with_engine(Engine::Streaming)
        .map_err(|e| {
            anyhow::anyhow!(
                "writing a row-numbered copy of {} to {}: {e}",
                from.display(),
                to.display()
            )
        })?;
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
}
