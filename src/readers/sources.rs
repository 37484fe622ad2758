//! Input discovery: turns the PATH arguments (file, directory or glob) into a
//! sorted list of [`InputFile`]s with their format, size and SHA-256.
//! No parsing of rows happens here.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::error::bad_input;
use crate::model::{FileFormat, InputFile};
use crate::readers::csv_shape::ShapeCounter;

/// Expand PATH arguments into files sorted by path, each listed once.
/// Files are hashed (and CSV fields counted) in parallel, one file per
/// thread: an export of several files reads at the speed of all cores. The
/// list keeps path order whatever finishes first.
///
/// They are hashed last to first: the engine then parses them first to
/// last, so an export larger than the page cache finds its first files
/// still cached from this read rather than evicted by the later ones (read
/// in path order, every file of such an export is read from disk twice).
pub fn resolve_inputs(kind: &str, specs: &[String]) -> Result<Vec<InputFile>> {
    resolve_inputs_on(kind, specs, None)
}

/// Files this machine does not open (URIs: `s3a://`, `hdfs://`, `abfss://`,
/// `file://`), listed and hashed by the engine whose server reads them.
pub trait RemoteFiles {
    /// The input files `uri` names (a file, a directory or a glob), each with
    /// its size, SHA-256 and modification time.
    fn describe(&self, kind: &str, uri: &str) -> Result<Vec<InputFile>>;
}

/// A PATH argument that is a URI (`scheme://…`), not a path on this machine.
pub fn is_uri(spec: &str) -> bool {
    spec.split_once("://").is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// PATH arguments split into `(URIs, local paths)`, each in the given order.
pub fn split_uris(specs: &[String]) -> (Vec<String>, Vec<String>) {
    specs.iter().cloned().partition(|s| is_uri(s))
}

/// [`resolve_inputs`], with URIs described by `remote` (`None`: a URI is
/// refused, naming the flag that reads it).
pub fn resolve_inputs_on(
    kind: &str,
    specs: &[String],
    remote: Option<&dyn RemoteFiles>,
) -> Result<Vec<InputFile>> {
    let (uris, local) = split_uris(specs);
    let mut files = resolve_local(kind, &local)?;
    for uri in &uris {
        let Some(remote) = remote else {
            return Err(bad_input(format!(
                "{kind} input {uri}: a URI is opened by the server of --engine spark; \
                 the local engine reads paths on this machine"
            )));
        };
        files.extend(remote.describe(kind, uri)?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

fn resolve_local(kind: &str, specs: &[String]) -> Result<Vec<InputFile>> {
    use rayon::prelude::*;
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let paths = resolve_paths(kind, specs)?;
    let mut described: Vec<(usize, Result<InputFile>)> = paths
        .into_iter()
        .enumerate()
        .rev()
        .par_bridge()
        .map(|(i, p)| (i, describe_file(kind, p)))
        .collect();
    // path order, and the first failing file's error whichever failed first
    described.sort_by_key(|(i, _)| *i);
    described.into_iter().map(|(_, f)| f).collect()
}

/// Expand PATH arguments into sorted, distinct file paths (nothing is read).
pub fn resolve_paths(kind: &str, specs: &[String]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for spec in specs {
        paths.extend(expand_spec(kind, spec)?);
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Size and modification time (Unix seconds) of a file, for cheap change checks.
pub fn size_and_mtime(path: &Path) -> io::Result<(u64, i64)> {
    let meta = std::fs::metadata(path)?;
    let mtime = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok((meta.len(), mtime))
}

fn expand_spec(kind: &str, spec: &str) -> Result<Vec<PathBuf>> {
    let path = Path::new(spec);
    if path.is_dir() {
        return list_dir(kind, path);
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if spec.contains(['*', '?', '[']) {
        return expand_glob(kind, spec);
    }
    Err(bad_input(format!(
        "{kind} input {spec}: no such file or directory"
    )))
}

fn list_dir(kind: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| bad_input(format!("{kind} directory {}: {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        if path.is_file() && FileFormat::of(&path).is_some() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(bad_input(format!(
            "{kind} directory {}: no .csv, .csv.gz, .csv.zst, .parquet, NDJSON or TagPack files",
            dir.display()
        )));
    }
    Ok(files)
}

fn expand_glob(kind: &str, pattern: &str) -> Result<Vec<PathBuf>> {
    let matches =
        glob::glob(pattern).map_err(|e| bad_input(format!("{kind} glob {pattern}: {e}")))?;
    let mut files = Vec::new();
    for m in matches {
        let path = m.map_err(|e| bad_input(format!("{kind} glob {pattern}: {e}")))?;
        if path.is_file() && FileFormat::of(&path).is_some() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(bad_input(format!(
            "{kind} glob {pattern}: matches no input file"
        )));
    }
    Ok(files)
}

fn describe_file(kind: &str, path: PathBuf) -> Result<InputFile> {
    let format = FileFormat::of(&path).ok_or_else(|| {
        bad_input(format!(
            "{kind} file {}: unknown format (expected .csv, .csv.gz, .csv.zst, .parquet or .json/.jsonl/.ndjson, .yaml)",
            path.display()
        ))
    })?;
    let bad = |e: io::Error| bad_input(format!("{kind} file {}: {e}", path.display()));
    let (bytes, sha256, shape) = match format {
        FileFormat::Csv => {
            let mut counter = ShapeCounter::new();
            let (bytes, sha256) = hash_reading(&path, |chunk| counter.feed(chunk)).map_err(bad)?;
            (bytes, sha256, Some(Arc::new(counter.finish())))
        }
        _ => {
            let (bytes, sha256) = hash_file(&path).map_err(bad)?;
            (bytes, sha256, None)
        }
    };
    let mtime = size_and_mtime(&path).map(|m| m.1).unwrap_or(0);
    Ok(InputFile {
        path,
        format,
        bytes,
        mtime,
        sha256,
        shape,
    })
}

/// Size and lowercase hex SHA-256 of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    hash_reading(path, |_| {})
}

/// Size and SHA-256 of a file, handing each chunk read to `also` (one read
/// serves the hash and, e.g., the CSV field counts).
pub fn hash_reading(path: &Path, mut also: impl FnMut(&[u8])) -> io::Result<(u64, String)> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        also(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_told_from_paths() {
        for uri in [
            "s3a://b/k.csv",
            "hdfs://nn:8020/x",
            "abfss://c@a.dfs.core.windows.net/p",
            "file:///tmp/x",
        ] {
            assert!(is_uri(uri), "{uri}");
        }
        for path in [
            "/tmp/x.csv",
            "data/a://b",
            "C://x",
            "://x",
            "weird name.csv",
        ] {
            assert!(!is_uri(path), "{path}");
        }
    }

    #[test]
    fn directories_are_sorted_by_path_and_missing_paths_fail() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.csv", "notes.txt"] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let spec = vec![dir.path().display().to_string()];
        let files = resolve_inputs("transfers", &spec).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.path.file_name().unwrap()).collect();
        assert_eq!(names, ["a.csv", "b.csv"]);
        assert_eq!(files[0].bytes, 2);
        let err = resolve_inputs("reports", &["/no/such".into()]).unwrap_err();
        assert!(format!("{err}").contains("/no/such"));
    }
}
