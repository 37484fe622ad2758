//! Reading a published run back: its Parquet tables (for `report --run` and
//! `verify`'s comparison) and the list of tables SQL may read (`query`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::error::bad_input;

/// One Parquet table, whole.
pub fn read_table(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    anyhow::Context::with_context(ParquetReader::new(file).finish(), || {
        format!("reading {}", path.display())
    })
}

/// `DIR/manifest.json` and those of `names` that `DIR` has as Parquet.
pub fn read_run(dir: &Path, names: &[&str]) -> Result<(BTreeMap<String, DataFrame>, Vec<u8>)> {
    let manifest_path = dir.join("manifest.json");
    let manifest = std::fs::read(&manifest_path)
        .map_err(|e| bad_input(format!("--run {}: {e}", manifest_path.display())))?;
    let mut tables = BTreeMap::new();
    for name in names {
        let path = dir.join(format!("{name}.parquet"));
        if path.exists() {
            tables.insert(name.to_string(), read_table(&path)?);
        }
    }
    Ok((tables, manifest))
}

/// Every `*.parquet` of a run directory by file stem, sorted.
pub fn table_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| bad_input(format!("--run {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            (name, p)
        })
        .collect())
}
