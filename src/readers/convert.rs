//! Making a file scannable: compressed CSV is streamed to a decompressed
//! temporary copy (its field counts found on the way), NDJSON, TagPacks,
//! BigQuery's nested Parquet and bitcoin-etl's CSV are converted to
//! canonical CSV. The engine calls this explicitly for each file before it
//! builds the file's plan.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::error::bad_input;
use crate::model::{CsvShape, FileFormat, InputFile, InputKind};
use crate::readers::csv_shape::ShapeCounter;
use crate::readers::json_exports::{self, JsonLayout};
use crate::readers::nested_parquet;
use crate::readers::tokens::TokenRegistry;
use crate::readers::utxo_csv;

/// What a reader scans for one input file.
#[derive(Debug, Clone)]
pub struct Readable {
    /// The file itself, or its decompressed or converted copy.
    pub path: PathBuf,
    /// Field counts of a CSV the user gave (plain or compressed); `None`
    /// for Parquet and for the CSV we write from JSON or a TagPack.
    pub shape: Option<Arc<CsvShape>>,
    /// The JSON export layout it was converted from, if any.
    pub layout: Option<JsonLayout>,
    /// Rows of the converted copy, when we wrote it.
    pub rows: Option<u64>,
    /// `path` is Parquet (every copy we write is CSV).
    pub parquet: bool,
    /// `path` is a copy of some of the file's rows, each numbered by its
    /// first column (`engine::local::prefilter`), not by its position.
    pub numbered: bool,
    /// A row filter the scan applies before any column is typed: the
    /// Parquet fast pass (`engine::local::prefilter`); rows it drops are
    /// still counted by the pass.
    pub keep: Option<polars::prelude::Expr>,
}

impl Readable {
    fn file(path: PathBuf, shape: Option<Arc<CsvShape>>) -> Readable {
        Readable {
            path,
            shape,
            layout: None,
            rows: None,
            parquet: false,
            numbered: false,
            keep: None,
        }
    }
}

/// The file itself, or a decompressed or converted temporary copy.
pub fn readable(
    file: &InputFile,
    kind: InputKind,
    tmp: &Path,
    tokens: &Arc<TokenRegistry>,
) -> Result<Readable> {
    let target = tmp.join(format!("{}.csv", file.sha256));
    let decoder: Box<dyn Read> = match file.format {
        FileFormat::Csv => {
            let plain = Readable::file(file.path.clone(), file.shape.clone());
            return utxo_csv(file, kind, plain, &target);
        }
        FileFormat::Parquet => return parquet(file, kind, &target),
        FileFormat::Ndjson => return json_to_csv(file, kind, &target, tokens),
        FileFormat::TagPack => {
            crate::readers::tagpack::tagpack_to_csv(&file.path, &target).map_err(|e| {
                bad_input(format!(
                    "{}: not a GraphSense TagPack: {e}",
                    file.path.display()
                ))
            })?;
            return Ok(Readable::file(target, None));
        }
        FileFormat::CsvGz => Box::new(flate2::read::MultiGzDecoder::new(File::open(&file.path)?)),
        FileFormat::CsvZst => Box::new(zstd::stream::read::Decoder::new(File::open(&file.path)?)?),
    };
    let shape = decompress_to(decoder, &target)
        .map_err(|e| bad_input(format!("{}: cannot decompress: {e}", file.path.display())))?;
    let plain = Readable::file(target.clone(), Some(Arc::new(shape)));
    utxo_csv(
        file,
        kind,
        plain,
        &tmp.join(format!("{}.utxo.csv", file.sha256)),
    )
}

/// A transfers CSV as it is, unless its header is bitcoin-etl's
/// transactions layout, which becomes canonical transfers at `target`.
fn utxo_csv(file: &InputFile, kind: InputKind, csv: Readable, target: &Path) -> Result<Readable> {
    let bad = |e: String| bad_input(format!("{}: {e}", file.path.display()));
    if kind != InputKind::Transfers {
        return Ok(csv);
    }
    let header = utxo_csv::csv_header(&csv.path).map_err(|e| bad(e.to_string()))?;
    if !utxo_csv::is_bitcoin_etl_csv(&header) {
        return Ok(csv);
    }
    let rows = utxo_csv::bitcoin_etl_csv_to_csv(&csv.path, target).map_err(bad)?;
    Ok(converted(
        file,
        target,
        JsonLayout::BitcoinEtl,
        rows,
        " (CSV)",
    ))
}

/// A Parquet file as it is, unless it is BigQuery's nested Bitcoin
/// transactions layout, which becomes canonical transfers.
fn parquet(file: &InputFile, kind: InputKind, target: &Path) -> Result<Readable> {
    let bad = |e: String| bad_input(format!("{}: {e}", file.path.display()));
    let nested = kind == InputKind::Transfers && {
        use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};
        let path = PlRefPath::try_from_path(&file.path).map_err(|e| bad(e.to_string()))?;
        let schema = LazyFrame::scan_parquet(path, ScanArgsParquet::default())
            .and_then(|mut lf| lf.collect_schema())
            .map_err(|e| bad(e.to_string()))?;
        nested_parquet::is_nested_utxo(&schema)
    };
    if !nested {
        return Ok(Readable {
            parquet: true,
            ..Readable::file(file.path.clone(), None)
        });
    }
    let rows = nested_parquet::nested_utxo_to_csv(&file.path, target).map_err(bad)?;
    Ok(converted(
        file,
        target,
        JsonLayout::BigQueryBitcoin,
        rows,
        " (Parquet)",
    ))
}

/// The canonical transfers CSV written from an export, logged by layout.
fn converted(
    file: &InputFile,
    target: &Path,
    layout: JsonLayout,
    rows: u64,
    from: &str,
) -> Readable {
    crate::log::info(format!(
        "{}: detected format {}{from}",
        file.path.display(),
        layout.name()
    ));
    Readable {
        path: target.to_path_buf(),
        shape: None,
        layout: Some(layout),
        rows: Some(rows),
        parquet: false,
        numbered: false,
        keep: None,
    }
}

/// A `.json`/`.jsonl`/`.ndjson` file: a TronGrid, Tronscan or Bitcoin UTXO
/// export (NDJSON or one document) becomes canonical transfers; any other
/// NDJSON of flat objects is read as it is (`ndjson.rs`).
fn json_to_csv(
    file: &InputFile,
    kind: InputKind,
    target: &Path,
    tokens: &Arc<TokenRegistry>,
) -> Result<Readable> {
    let bad = |e: String| bad_input(format!("{}: {e}", file.path.display()));
    let (layout, rows) =
        match json_exports::convert(&file.path, target, kind, tokens).map_err(bad)? {
            Some(converted) => converted,
            None => {
                crate::readers::ndjson::ndjson_to_csv(&file.path, target)
                    .map_err(|e| bad(format!("not NDJSON of flat objects: {e}")))?;
                return Ok(Readable::file(target.to_path_buf(), None));
            }
        };
    Ok(converted(file, target, layout, rows, ""))
}

/// Stream the decompressed text to `target`, counting its fields.
fn decompress_to(mut reader: Box<dyn Read>, target: &Path) -> io::Result<CsvShape> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(target)?);
    let mut counter = ShapeCounter::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        counter.feed(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    out.flush()?;
    Ok(counter.finish())
}
