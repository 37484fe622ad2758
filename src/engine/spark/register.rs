//! One input file onto the server as a view: the copy it needs first (its
//! canonical projection, a row-numbered Parquet copy, a CSV with its ragged
//! rows blanked) or none, its ragged rows as rejects, its columns checked,
//! and how its rows are numbered.

use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::*;

use crate::engine::spark::canonical::{canonical_copy, is_uri_file};
use crate::engine::spark::session::Server;
use crate::engine::spark::sql::{self, FileView};
use crate::engine::spark::staging::{self, Staging};
use crate::error::bad_input;
use crate::model::{CsvShape, FileFormat, InputFile, InputKind};
use crate::readers::inputs::ResolvedInputs;

/// Register `file`, the `i`-th of its kind, as view `src_<kind>_<i>`.
pub fn register_file(
    server: &Server,
    file: &InputFile,
    kind: InputKind,
    i: usize,
    inputs: &ResolvedInputs,
    staging: Option<&Staging>,
) -> Result<FileView> {
    let view = format!("src_{}_{i}", kind.name());
    let canonical = canonical_copy(file, kind, i, inputs, staging)?;
    let shape = match &canonical {
        Some(c) if c.converted => None,
        _ => csv_shape(file)?,
    };
    let ragged = ragged_rows(file, shape.as_deref())?;
    let (copy, format) = match (canonical, shape.filter(|_| !ragged.is_empty())) {
        (Some(c), _) => (Some(c.path), FileFormat::Parquet),
        (None, None) => (numbered_copy(file, kind, i, staging)?, file.format),
        (None, Some(shape)) => (
            Some(repaired_copy(file, kind, i, staging, &shape)?),
            FileFormat::Csv,
        ),
    };
    let path = copy.as_deref().unwrap_or(&file.path);
    let columns = server.register(&view, path, format)?;
    check_columns(file, kind, &columns)?;
    let parquet = format == FileFormat::Parquet;
    let numbered_there = parquet && is_uri_file(file) && numbered_on_server(server, &view, file)?;
    Ok(FileView {
        file: i,
        view,
        columns,
        numbered: (copy.is_some() && parquet) || numbered_there,
        ragged,
    })
}

/// A Parquet file of more than one row group, copied with its row numbers
/// ([`sql::ROW_COLUMN`]) into the staging directory: the server may read
/// its row groups in any order. `None`: the file is registered as it is.
fn numbered_copy(
    file: &InputFile,
    kind: InputKind,
    i: usize,
    staging: Option<&Staging>,
) -> Result<Option<PathBuf>> {
    // a URI's rows are numbered by the server, when it reads it in order
    // (`check_read_in_order`)
    if file.format != FileFormat::Parquet || is_uri_file(file) || row_groups(&file.path)? <= 1 {
        return Ok(None);
    }
    let Some(dir) = staging.and_then(Staging::local_dir) else {
        return Err(bad_input(format!(
            "{}: a Parquet file of several row groups needs --spark-staging DIR, a directory \
             this machine and the server share: the server numbers such a file's rows in no fixed \
             order, so scamtrends writes a row-numbered copy there (docs/scale-out.md)",
            file.path.display()
        )));
    };
    let target = dir.join(format!("{}-{i}.parquet", kind.name()));
    let started = std::time::Instant::now();
    staging::write_numbered(&file.path, &target, sql::ROW_COLUMN)?;
    crate::log::info(format!(
        "engine spark: {}: row-numbered copy in {} ms",
        file.path.display(),
        started.elapsed().as_millis()
    ));
    Ok(Some(target))
}

/// A CSV with ragged rows, copied into the staging directory with those
/// rows blanked (`staging::write_repaired`) and checked: the server reads
/// the copy, the rejects name the rows of the original.
fn repaired_copy(
    file: &InputFile,
    kind: InputKind,
    i: usize,
    staging: Option<&Staging>,
    shape: &CsvShape,
) -> Result<PathBuf> {
    let Some(dir) = staging.and_then(Staging::local_dir) else {
        return Err(bad_input(format!(
            "{}: rows with more or fewer fields than the header need --spark-staging DIR, \
             a directory this machine and the server share: the server's CSV reader cannot \
             read them, so scamtrends writes a copy with those rows blanked there \
             (docs/scale-out.md)",
            file.path.display()
        )));
    };
    let target = dir.join(format!("{}-{i}-repaired.csv", kind.name()));
    let rows: std::collections::HashSet<u64> = shape.ragged.iter().map(|(r, _)| *r).collect();
    staging::write_repaired(decoded(file)?, &target, &rows, shape.header_fields)?;
    let copy = crate::readers::csv_shape::ShapeCounter::of_reader(std::fs::File::open(&target)?)?;
    if !copy.ragged.is_empty() || copy.rows != shape.rows {
        return Err(bad_input(format!(
            "{}: its rows with the wrong field count could not be blanked for the server \
             (unbalanced quotes?): run it with --engine local",
            file.path.display()
        )));
    }
    crate::log::info(format!(
        "engine spark: {}: {} rows with the wrong field count blanked in a copy",
        file.path.display(),
        rows.len()
    ));
    Ok(target)
}

/// Most ragged rows a file may have on this engine: they reach the server
/// as a list in the SQL.
const MAX_RAGGED_ROWS: usize = 100_000;

/// The CSV rows of `file` whose field count differs from the header's, with
/// their reject value (METHODOLOGY §2 `field_count`). A plain CSV's were
/// counted when it was hashed; a compressed one is decompressed here.
fn ragged_rows(file: &InputFile, shape: Option<&CsvShape>) -> Result<Vec<(u64, String)>> {
    let Some(shape) = shape else {
        return Ok(Vec::new());
    };
    if shape.ragged.len() > MAX_RAGGED_ROWS {
        return Err(bad_input(format!(
            "{}: {} rows have more or fewer fields than the header; the spark engine \
             sends such rows to the server as a list of at most {MAX_RAGGED_ROWS}: repair \
             the export or run it with --engine local",
            file.path.display(),
            shape.ragged.len()
        )));
    }
    let header = shape.header_fields;
    Ok(shape
        .ragged
        .iter()
        .map(|&(row, n)| (row, crate::readers::field_count_value(n, header)))
        .collect())
}

/// Field counts of a CSV (`None`: not a CSV): a plain one's were counted
/// when it was hashed, a gzip or zstd one is read through its decoder.
fn csv_shape(file: &InputFile) -> Result<Option<std::sync::Arc<CsvShape>>> {
    if let Some(shape) = &file.shape {
        return Ok(Some(std::sync::Arc::clone(shape)));
    }
    // a URI is not read here: the server fails on a ragged row (FAILFAST)
    if is_uri_file(file) || !matches!(file.format, FileFormat::CsvGz | FileFormat::CsvZst) {
        return Ok(None);
    }
    let shape = crate::readers::csv_shape::ShapeCounter::of_reader(decoded(file)?)
        .map_err(|e| bad_input(format!("{}: cannot read it: {e}", file.path.display())))?;
    Ok(Some(std::sync::Arc::new(shape)))
}

/// A CSV's text, decompressed when it is gzip or zstd.
fn decoded(file: &InputFile) -> Result<Box<dyn std::io::Read>> {
    let open = std::fs::File::open(&file.path)?;
    Ok(match file.format {
        FileFormat::CsvGz => Box::new(flate2::read::MultiGzDecoder::new(open)),
        FileFormat::CsvZst => Box::new(zstd::stream::read::Decoder::new(open)?),
        _ => Box::new(open),
    })
}

/// A Parquet URI is numbered by the server (no row-numbered copy can be
/// made here): by the row index Spark gives each row of a file
/// (`_metadata.row_index`; `true`: the view now carries [`sql::ROW_COLUMN`]),
/// else in read order, which is exact only when the server reads the file
/// as one stream (Sail has no `_metadata`): refused when it splits it.
fn numbered_on_server(server: &Server, view: &str, file: &InputFile) -> Result<bool> {
    if server.number_rows(view, &file.path.display().to_string()) {
        return Ok(true);
    }
    let parts = server.read_parts(view)?;
    if parts <= 1 {
        return Ok(false);
    }
    Err(bad_input(format!(
        "{}: the server reads this Parquet file in {parts} parallel parts and gives no row \
         index, so it cannot number its rows in file order (METHODOLOGY §2 keeps the first \
         copy by row): write it as files of one row group each, or give a path on this machine",
        file.path.display()
    )))
}

fn row_groups(path: &std::path::Path) -> Result<usize> {
    let cannot = |e: &dyn std::fmt::Display| {
        bad_input(format!(
            "{}: cannot read its Parquet footer: {e}",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader.get_metadata().map_err(|e| cannot(&e))?;
    Ok(metadata.row_groups.len())
}

/// The required columns, as the local reader demands them.
fn check_columns(
    file: &InputFile,
    kind: InputKind,
    columns: &[(String, sql::SourceType)],
) -> Result<()> {
    let present: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let missing: Vec<&str> = kind
        .columns()
        .iter()
        .filter(|c| c.required && !present.contains(&c.name))
        .map(|c| c.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(bad_input(format!(
        "{} file {}: missing required column{} {} (columns present: {})",
        kind.name(),
        file.path.display(),
        if missing.len() > 1 { "s" } else { "" },
        missing.join(", "),
        present.join(", ")
    )))
}
