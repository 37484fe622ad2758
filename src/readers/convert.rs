//! Making a file scannable: compressed CSV is streamed to a decompressed
//! temporary copy (its field counts found on the way), NDJSON and TagPacks
//! are converted to CSV. The engine calls this explicitly for each file
//! before it builds the file's plan.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::error::bad_input;
use crate::model::{CsvShape, FileFormat, InputFile};
use crate::readers::csv_shape::ShapeCounter;

/// What a reader scans for one input file.
#[derive(Debug, Clone)]
pub struct Readable {
    /// The file itself, or its decompressed or converted copy.
    pub path: PathBuf,
    /// Field counts of a CSV the user gave (plain or compressed); `None`
    /// for Parquet and for the CSV we write from NDJSON or a TagPack.
    pub shape: Option<Arc<CsvShape>>,
}

/// The file itself, or a decompressed or converted temporary copy.
pub fn readable(file: &InputFile, tmp: &Path) -> Result<Readable> {
    let target = tmp.join(format!("{}.csv", file.sha256));
    let decoder: Box<dyn Read> = match file.format {
        FileFormat::Csv => {
            return Ok(Readable {
                path: file.path.clone(),
                shape: file.shape.clone(),
            });
        }
        FileFormat::Parquet => {
            return Ok(Readable {
                path: file.path.clone(),
                shape: None,
            });
        }
        FileFormat::Ndjson => {
            crate::readers::ndjson::ndjson_to_csv(&file.path, &target).map_err(|e| {
                bad_input(format!(
                    "{}: not NDJSON of flat objects: {e}",
                    file.path.display()
                ))
            })?;
            return Ok(Readable {
                path: target,
                shape: None,
            });
        }
        FileFormat::TagPack => {
            crate::readers::tagpack::tagpack_to_csv(&file.path, &target).map_err(|e| {
                bad_input(format!(
                    "{}: not a GraphSense TagPack: {e}",
                    file.path.display()
                ))
            })?;
            return Ok(Readable {
                path: target,
                shape: None,
            });
        }
        FileFormat::CsvGz => Box::new(flate2::read::MultiGzDecoder::new(File::open(&file.path)?)),
        FileFormat::CsvZst => Box::new(zstd::stream::read::Decoder::new(File::open(&file.path)?)?),
    };
    let shape = decompress_to(decoder, &target)
        .map_err(|e| bad_input(format!("{}: cannot decompress: {e}", file.path.display())))?;
    Ok(Readable {
        path: target,
        shape: Some(Arc::new(shape)),
    })
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
