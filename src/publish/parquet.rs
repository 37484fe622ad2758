//! Parquet encoding of output tables: zstd, full statistics, bounded row
//! groups, and key-value metadata naming the tool and methodology version.
//! Pure: returns bytes; the writer in `publish` owns paths.

use anyhow::Result;
use polars::prelude::*;

/// The methodology version every table follows.
pub const METHODOLOGY_VERSION: &str = "1";

/// Rows per row group: bounded so readers can skip by statistics.
const ROW_GROUP_ROWS: usize = 65_536;

/// Encode a table as Parquet bytes.
pub fn encode_parquet(name: &str, df: &DataFrame) -> Result<Vec<u8>> {
    let mut df = df.clone();
    let mut buf = Vec::new();
    let metadata = KeyValueMetadata::from_static(vec![
        (
            "scamtrends.version".into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
        (
            "scamtrends.methodology".into(),
            format!("v{METHODOLOGY_VERSION}"),
        ),
        ("scamtrends.table".into(), name.into()),
    ]);
    let written = ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .with_row_group_size(Some(ROW_GROUP_ROWS))
        .with_key_value_metadata(Some(metadata))
        .set_parallel(true)
        .finish(&mut df);
    anyhow::Context::with_context(written, || format!("encoding {name}.parquet"))?;
    Ok(buf)
}
