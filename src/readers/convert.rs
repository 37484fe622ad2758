//! Making a file scannable: compressed CSV is streamed to a decompressed
//! temporary copy, NDJSON and TagPacks are converted to CSV. The engine calls
//! this explicitly for each file before it builds the file's plan.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::bad_input;
use crate::model::{FileFormat, InputFile};

/// A path polars can scan: the file itself, or a decompressed temporary copy.
pub fn readable_path(file: &InputFile, tmp: &Path) -> Result<PathBuf> {
    let reader: Box<dyn Read> = match file.format {
        FileFormat::Csv | FileFormat::Parquet => return Ok(file.path.clone()),
        FileFormat::Ndjson => {
            let target = tmp.join(format!("{}.csv", file.sha256));
            crate::readers::ndjson::ndjson_to_csv(&file.path, &target).map_err(|e| {
                bad_input(format!(
                    "{}: not NDJSON of flat objects: {e}",
                    file.path.display()
                ))
            })?;
            return Ok(target);
        }
        FileFormat::TagPack => {
            let target = tmp.join(format!("{}.csv", file.sha256));
            crate::readers::tagpack::tagpack_to_csv(&file.path, &target).map_err(|e| {
                bad_input(format!(
                    "{}: not a GraphSense TagPack: {e}",
                    file.path.display()
                ))
            })?;
            return Ok(target);
        }
        FileFormat::CsvGz => Box::new(flate2::read::MultiGzDecoder::new(File::open(&file.path)?)),
        FileFormat::CsvZst => Box::new(zstd::stream::read::Decoder::new(File::open(&file.path)?)?),
    };
    let name = format!("{}.csv", file.sha256);
    let target = tmp.join(name);
    decompress_to(reader, &target)
        .map_err(|e| bad_input(format!("{}: cannot decompress: {e}", file.path.display())))?;
    Ok(target)
}

fn decompress_to(mut reader: Box<dyn Read>, target: &Path) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(target)?);
    io::copy(&mut reader, &mut out)?;
    out.flush()
}
