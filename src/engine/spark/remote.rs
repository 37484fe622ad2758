//! URI inputs (`s3a://`, `hdfs://`, `abfss://`, `file://`…): files this
//! machine does not open. The server lists them and hashes them where they
//! are (`binaryFile`, `sha2`), so the manifest records their SHA-256 as for
//! a local file, and reads them as they are: they must be in the canonical
//! layout (CSV, CSV.gz, CSV.zst or Parquet with the canonical columns),
//! since the client cannot make a copy of them.

use std::path::PathBuf;

use anyhow::Result;

use crate::engine::spark::SparkEngine;
use crate::engine::spark::frames::{Want, to_frame};
use crate::engine::spark::session::Server;
use crate::error::bad_input;
use crate::model::{FileFormat, InputFile};
use crate::readers::sources::RemoteFiles;

impl RemoteFiles for SparkEngine {
    fn describe(&self, kind: &str, uri: &str) -> Result<Vec<InputFile>> {
        let server = Server::connect(&self.remote, self.explain)?;
        let listing = to_frame(
            &server.list(uri)?,
            &[
                ("path", Want::Text),
                ("length", Want::Int),
                ("mtime", Want::Int),
                ("sha256", Want::Text),
            ],
        )?;
        let paths = listing.column("path")?.str()?;
        let lengths = listing.column("length")?.i64()?;
        let mtimes = listing.column("mtime")?.i64()?;
        let hashes = listing.column("sha256")?.str()?;
        let mut files = Vec::new();
        for i in 0..listing.height() {
            let path = listed_uri(uri, paths.get(i).unwrap_or(""));
            let Some(format) = FileFormat::of(std::path::Path::new(&path)) else {
                continue;
            };
            if !matches!(
                format,
                FileFormat::Csv | FileFormat::CsvGz | FileFormat::CsvZst | FileFormat::Parquet
            ) {
                return Err(bad_input(format!(
                    "{kind} file {path}: a URI input is read by the server as it is, so it must \
                     be CSV, CSV.gz, CSV.zst or Parquet in the canonical layout (convert it, or \
                     give a path on this machine)"
                )));
            }
            files.push(InputFile {
                path: PathBuf::from(path),
                format,
                bytes: lengths.get(i).unwrap_or(0).max(0) as u64,
                sha256: hashes.get(i).unwrap_or("").to_string(),
                mtime: mtimes.get(i).unwrap_or(0),
                shape: None,
            });
        }
        if files.is_empty() {
            return Err(bad_input(format!(
                "{kind} input {uri}: the server lists no .csv, .csv.gz, .csv.zst or .parquet file there"
            )));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        distinct(files)
    }
}

/// Each listed file once: Sail 0.7.2 lists a file of a directory twice at
/// times (the same bytes both times; anything else is an error).
fn distinct(files: Vec<InputFile>) -> Result<Vec<InputFile>> {
    let mut out: Vec<InputFile> = Vec::with_capacity(files.len());
    for file in files {
        match out.last() {
            Some(last) if last.path == file.path => {
                if last.sha256 != file.sha256 || last.bytes != file.bytes {
                    return Err(crate::error::engine_error(format!(
                        "the server listed {} twice with different contents",
                        file.path.display()
                    )));
                }
            }
            _ => out.push(file),
        }
    }
    Ok(out)
}

/// A listed file as a URI in the scheme and authority of `given`: Spark
/// lists `s3a://bucket/key` (and `file:/tmp/x`), Sail the path alone
/// (`key`, `tmp/x`).
fn listed_uri(given: &str, listed: &str) -> String {
    let Some((scheme, rest)) = given.split_once("://") else {
        return listed.to_string();
    };
    if listed.contains("://") {
        return listed.to_string();
    }
    if let Some(path) = listed.strip_prefix(&format!("{scheme}:")) {
        // Hadoop's `file:/tmp/x`
        return format!("{scheme}:///{}", path.trim_start_matches('/'));
    }
    let authority = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{authority}/{}", listed.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(path: &str, sha256: &str) -> InputFile {
        InputFile {
            path: PathBuf::from(path),
            format: FileFormat::Csv,
            bytes: 1,
            sha256: sha256.into(),
            mtime: 0,
            shape: None,
        }
    }

    #[test]
    fn a_file_listed_twice_counts_once_unless_its_bytes_differ() {
        let twice = vec![listed("a", "x"), listed("a", "x"), listed("b", "y")];
        let once = distinct(twice).unwrap();
        assert_eq!(once.len(), 2);
        assert!(distinct(vec![listed("a", "x"), listed("a", "z")]).is_err());
    }

    #[test]
    fn listed_paths_become_uris_of_the_given_scheme() {
        let s3 = "s3a://exports/transfers/";
        assert_eq!(
            listed_uri(s3, "transfers/part-0.csv"),
            "s3a://exports/transfers/part-0.csv"
        );
        assert_eq!(
            listed_uri(s3, "s3a://exports/transfers/part-0.csv"),
            "s3a://exports/transfers/part-0.csv"
        );
        let file = "file:///data/exports";
        assert_eq!(
            listed_uri(file, "data/exports/a.csv"),
            "file:///data/exports/a.csv"
        );
        assert_eq!(
            listed_uri(file, "file:/data/exports/a.csv"),
            "file:///data/exports/a.csv"
        );
        assert_eq!(
            listed_uri("hdfs://nn:8020/x/*.csv", "/x/a.csv"),
            "hdfs://nn:8020/x/a.csv"
        );
    }
}
