//! Inputs the server cannot read as they are: an export in another layout
//! (ethereum-etl, TronGrid/Tronscan, bitcoin-etl, BigQuery's nested Bitcoin
//! Parquet, a GraphSense TagPack, Chainabuse or Ransomwhere reports, flat
//! NDJSON) or a file read through a `--mapping` (its timestamp format
//! included: the copy carries the seconds it reads). The local readers project
//! such a file onto the canonical columns (`readers::scan::canonical_untyped`:
//! renaming, the token registry's decimals, the layout's constants) and this
//! writes that projection, untyped and unchecked, as Parquet into the staging
//! directory with each row's number in the original. The server then types,
//! normalises and checks the copy as it does any canonical file, so every
//! rule and reject still runs there, and the rejects name the original file
//! and row.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use polars::prelude::*;

use crate::engine::spark::sql::ROW_COLUMN;
use crate::engine::spark::staging::{Staging, sink_parquet};
use crate::error::bad_input;
use crate::model::{FileFormat, InputFile, InputKind};
use crate::names::{PRESET_CANONICAL, ROW};
use crate::readers::convert::readable;
use crate::readers::inputs::ResolvedInputs;
use crate::readers::mapping::KindMapping;
use crate::readers::scan::{canonical_untyped, is_converted};
use crate::readers::{ethereum_etl, utxo_csv};

/// A file's canonical copy, as the server reads it.
pub struct CanonicalCopy {
    pub path: PathBuf,
    /// The copy was written from another format: the rows are the
    /// converted ones, so a CSV field-count check of the original does not
    /// apply (as on the local engine).
    pub converted: bool,
}

/// The canonical copy of `file` (the `i`-th of its kind) in the staging
/// directory, or `None` when the server reads the file as it is.
pub fn canonical_copy(
    file: &InputFile,
    kind: InputKind,
    i: usize,
    inputs: &ResolvedInputs,
    staging: Option<&Staging>,
) -> Result<Option<CanonicalCopy>> {
    let mapping = inputs.mapping.of(kind);
    if is_uri_file(file) {
        // read by the server as it is (`remote.rs`): no copy can be made here
        return match mapping.is_none_or(is_plain) {
            true => Ok(None),
            false => Err(bad_input(format!(
                "{}: a URI input is read by the server as it is, not through --mapping or \
                 --transfers-format: convert it to the canonical layout, or give a path on \
                 this machine",
                file.path.display()
            ))),
        };
    }
    if mapping.is_none_or(is_plain) && csv_header_is_canonical(file, kind)? {
        // the common case, decided from the header without decompressing
        return Ok(None);
    }
    let tmp = tempfile::tempdir()?;
    let readable = readable(file, kind, tmp.path(), &inputs.tokens)?;
    let Some(frame) = canonical_untyped(file, &readable, kind, mapping, &inputs.tokens)? else {
        return Ok(None);
    };
    let Some(dir) = staging.and_then(Staging::local_dir) else {
        return Err(bad_input(format!(
            "{}: a file in another layout or read through --mapping needs --spark-staging DIR, \
             a directory this machine and the server share: scamtrends writes its canonical \
             copy there for the server to read (docs/scale-out.md)",
            file.path.display()
        )));
    };
    let target = dir.join(format!("{}-{i}-canonical.parquet", kind.name()));
    let started = std::time::Instant::now();
    sink_parquet(portable(frame)?, &target).map_err(|e| {
        anyhow!(
            "writing the canonical copy of {} to {}: {e}",
            file.path.display(),
            target.display()
        )
    })?;
    crate::log::info(format!(
        "engine spark: {}: canonical copy in {} ms",
        file.path.display(),
        started.elapsed().as_millis()
    ));
    Ok(Some(CanonicalCopy {
        path: target,
        converted: is_converted(file, &readable),
    }))
}

/// An input the server opens and this machine does not (a URI).
pub fn is_uri_file(file: &InputFile) -> bool {
    crate::readers::sources::is_uri(&file.path.display().to_string())
}

/// A mapping that changes nothing: no columns, no constants, no timestamp
/// format, the canonical layout.
fn is_plain(m: &KindMapping) -> bool {
    m.columns.is_empty()
        && m.constants.is_empty()
        && m.timestamp_format.is_none()
        && m.format.as_deref().is_none_or(|f| f == PRESET_CANONICAL)
}

/// A CSV (plain, gzip or zstd) whose header names every required
/// canonical column of `kind`: the readers take it as it is.
fn csv_header_is_canonical(file: &InputFile, kind: InputKind) -> Result<bool> {
    use std::io::{BufRead, Read};
    let open = || std::fs::File::open(&file.path);
    let reader: Box<dyn std::io::Read> = match file.format {
        FileFormat::Csv => Box::new(open()?),
        FileFormat::CsvGz => Box::new(flate2::read::MultiGzDecoder::new(open()?)),
        FileFormat::CsvZst => Box::new(zstd::stream::read::Decoder::new(open()?)?),
        _ => return Ok(false),
    };
    let mut header = String::new();
    // a header that is not text falls through to the readers, which say why
    if std::io::BufReader::new(reader)
        .take(1 << 20)
        .read_line(&mut header)
        .is_err()
    {
        return Ok(false);
    }
    let names: Vec<&str> = header
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .collect();
    let schema = Schema::from_iter(
        names
            .iter()
            .map(|n| Field::new((*n).into(), DataType::String)),
    );
    let owned: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let other_layout = kind == InputKind::Transfers
        && (ethereum_etl::is_token_transfers(&schema)
            || ethereum_etl::is_transactions(&schema)
            || utxo_csv::is_bitcoin_etl_csv(&owned));
    Ok(!other_layout
        && kind
            .columns()
            .iter()
            .filter(|c| c.required)
            .all(|c| names.contains(&c.name)))
}

/// The frame with its row numbers named as the server expects, and every
/// column in a type both engines read alike from Parquet: nanosecond
/// timestamps (which Spark refuses) as microseconds, unsigned integers as
/// signed ones where they fit.
fn portable(mut frame: LazyFrame) -> Result<LazyFrame> {
    let schema = frame.collect_schema()?;
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(name, dtype)| {
            let c = col(name.clone());
            let c = match dtype {
                DataType::Datetime(TimeUnit::Nanoseconds, zone) => {
                    c.cast(DataType::Datetime(TimeUnit::Microseconds, zone.clone()))
                }
                DataType::UInt8 | DataType::UInt16 => c.cast(DataType::Int32),
                DataType::UInt32 => c.cast(DataType::Int64),
                _ => c,
            };
            match name.as_str() == ROW {
                true => c.alias(ROW_COLUMN),
                false => c,
            }
        })
        .collect();
    Ok(frame.select(exprs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_names_its_rows_for_the_server_and_keeps_types_spark_reads() {
        let frame = df!(
            ROW => [1u32, 2],
            "block_time" => [1_700_000_000_000_000_000i64, 0],
            "amount" => [1.5f64, -2.0],
        )
        .unwrap()
        .lazy()
        .with_column(col("block_time").cast(DataType::Datetime(
            TimeUnit::Nanoseconds,
            Some(TimeZone::UTC),
        )));
        let out = portable(frame).unwrap().collect().unwrap();
        let schema = out.schema();
        assert_eq!(schema.get(ROW_COLUMN), Some(&DataType::Int64));
        assert!(schema.get(ROW).is_none());
        assert_eq!(
            schema.get("block_time"),
            Some(&DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC)
            ))
        );
        assert_eq!(schema.get("amount"), Some(&DataType::Float64));
        let seconds = out
            .column("block_time")
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap();
        assert_eq!(seconds.i64().unwrap().get(0), Some(1_700_000_000_000_000));
    }

    #[test]
    fn a_canonical_header_is_read_as_it_is_and_other_layouts_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            InputFile {
                path,
                format: FileFormat::Csv,
                bytes: text.len() as u64,
                sha256: String::new(),
                mtime: 0,
                shape: None,
            }
        };
        let canonical = file(
            "t.csv",
            "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount\r\n",
        );
        assert!(csv_header_is_canonical(&canonical, InputKind::Transfers).unwrap());
        let etl = file(
            "e.csv",
            "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n",
        );
        assert!(!csv_header_is_canonical(&etl, InputKind::Transfers).unwrap());
        let quoted = file(
            "q.csv.txt",
            "\"chain\",\"tx_hash\",\"transfer_index\",\"block_time\",\"from_address\",\
             \"to_address\",\"asset\",\"amount\"\n",
        );
        assert!(csv_header_is_canonical(&quoted, InputKind::Transfers).unwrap());
        let short = file("s.csv", "chain,tx_hash,amount\n");
        assert!(!csv_header_is_canonical(&short, InputKind::Transfers).unwrap());
    }
}
