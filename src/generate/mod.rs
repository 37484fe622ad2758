//! `scamtrends generate`: a synthetic canonical dataset in the standard layout
//! (`transfers/`, `reports.csv`, `prices.csv`, `README.md`, `SYNTHETIC`), deterministic for
//! a seed and streamed to disk so that 100 million rows fit in bounded memory.

mod prices;
mod reports;
mod rng;
mod transfers;
mod world;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::log::info;
use crate::names::SYNTHETIC_MARKER;
use rng::Rng;
use transfers::{RowSource, Transfer};

/// Share of rows that are scam deposits (real exports: about 1–5%).
const SCAM_SHARE: f64 = 0.03;

/// Rows per written batch: bounds memory whatever the total.
const BATCH_ROWS: usize = 65_536;

/// Resolved `generate` flags.
#[derive(Debug, Clone)]
pub struct GenerateConfig {
    pub rows: u64,
    pub seed: u64,
    pub out: PathBuf,
    pub parquet: bool,
    pub files: u32,
}

/// Write the dataset.
pub fn generate(config: &GenerateConfig) -> Result<()> {
    let root = Rng::new(config.seed);
    let dir = config.out.join("transfers");
    fs::create_dir_all(&dir).with_context(|| format!("--out: creating {}", dir.display()))?;
    let prices = prices::Prices::generate(&mut root.fork(1));
    let scam_deposits = ((config.rows as f64) * SCAM_SHARE).round().max(60.0) as u64;
    let (addresses, groups) = world::plan(&mut root.fork(2), scam_deposits);
    let first_year = first_years(addresses.len(), &groups);
    write_reports(
        &config.out.join("reports.csv"),
        &reports::reports(&mut root.fork(3), &addresses, &first_year),
    )?;
    write_prices(&config.out.join("prices.csv"), &prices.rows)?;
    let mut source = RowSource::new(root.fork(4), &addresses, &groups, &prices, config.rows);
    for k in 0..config.files {
        let share = config.rows / u64::from(config.files)
            + u64::from(u64::from(k) < config.rows % u64::from(config.files));
        write_transfer_file(config, &dir, k, share, &mut source)?;
    }
    write_readme(config)?;
    info(format!(
        "wrote a synthetic dataset of {} transfers ({} scam deposits) to {}",
        config.rows,
        scam_deposits,
        config.out.display()
    ));
    Ok(())
}

fn first_years(n: usize, groups: &[world::Group]) -> Vec<i32> {
    let mut years = vec![world::YEARS[0]; n];
    for g in groups {
        for &a in &g.addresses {
            years[a] = g.year;
        }
    }
    years
}

/// Time-column style of a transfers file (one format per file, METHODOLOGY §1).
#[derive(Clone, Copy)]
enum TimeStyle {
    Offset,
    PlainUtc,
    UnixSeconds,
}

fn write_transfer_file(
    config: &GenerateConfig,
    dir: &Path,
    k: u32,
    rows: u64,
    source: &mut RowSource,
) -> Result<()> {
    let repeats = std::mem::take(&mut source.duplicates);
    let style = [
        TimeStyle::Offset,
        TimeStyle::PlainUtc,
        TimeStyle::UnixSeconds,
    ][k as usize % 3];
    let ext = if config.parquet { "parquet" } else { "csv" };
    let path = dir.join(format!("part-{k:04}.{ext}"));
    let mut sink = TransferSinkFile::create(&path, config.parquet, style)?;
    for t in repeats {
        sink.push(t)?;
    }
    for _ in 0..rows {
        match source.next_row() {
            Some(t) => sink.push(t)?,
            None => break,
        }
    }
    sink.finish()
        .with_context(|| format!("writing {}", path.display()))
}

/// A transfers file being written batch by batch.
struct TransferSinkFile {
    path: PathBuf,
    style: TimeStyle,
    buffer: Vec<Transfer>,
    csv: Option<BufWriter<File>>,
    parquet: Option<polars::io::parquet::write::BatchedWriter<File>>,
}

impl TransferSinkFile {
    fn create(path: &Path, parquet: bool, style: TimeStyle) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut sink = TransferSinkFile {
            path: path.to_path_buf(),
            style,
            buffer: Vec::with_capacity(BATCH_ROWS),
            csv: None,
            parquet: None,
        };
        if parquet {
            let schema = batch_frame(&[], style)?.schema().as_ref().clone();
            let writer = ParquetWriter::new(file)
                .with_compression(ParquetCompression::Zstd(None))
                .batched(&schema)?;
            sink.parquet = Some(writer);
        } else {
            let mut w = BufWriter::with_capacity(1 << 20, file);
            writeln!(
                w,
                "chain,tx_hash,transfer_index,block_time,from_address,to_address,asset,amount,amount_usd"
            )?;
            sink.csv = Some(w);
        }
        Ok(sink)
    }

    fn push(&mut self, t: Transfer) -> Result<()> {
        self.buffer.push(t);
        if self.buffer.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.buffer);
        if let Some(w) = self.csv.as_mut() {
            for t in &rows {
                write_csv_row(w, t, self.style)?;
            }
        }
        if let Some(w) = self.parquet.as_mut() {
            w.write_batch(&batch_frame(&rows, self.style)?)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.flush()?;
        if let Some(mut w) = self.csv.take() {
            w.flush()
                .with_context(|| format!("writing {}", self.path.display()))?;
        }
        if let Some(w) = self.parquet.take() {
            w.finish()?;
        }
        Ok(())
    }
}

fn format_time(secs: i64, style: TimeStyle) -> String {
    let utc = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    match style {
        TimeStyle::Offset => (utc + chrono::Duration::hours(8))
            .format("%Y-%m-%dT%H:%M:%S+08:00")
            .to_string(),
        TimeStyle::PlainUtc => utc.format("%Y-%m-%d %H:%M:%S").to_string(),
        TimeStyle::UnixSeconds => secs.to_string(),
    }
}

fn time_text(t: &Transfer, style: TimeStyle) -> String {
    if t.bad_time {
        "not-a-time".to_string()
    } else {
        format_time(t.block_time, style)
    }
}

fn write_csv_row(w: &mut impl Write, t: &Transfer, style: TimeStyle) -> std::io::Result<()> {
    let usd = t.amount_usd.map(|u| format!("{u:.2}")).unwrap_or_default();
    writeln!(
        w,
        "{},{},{},{},{},{},{},{},{}",
        t.chain,
        t.tx_hash,
        t.transfer_index,
        time_text(t, style),
        t.from_address,
        t.to_address,
        t.asset,
        t.amount,
        usd
    )
}

/// A batch as a frame; Parquet files with Unix-second style store an integer column.
fn batch_frame(rows: &[Transfer], style: TimeStyle) -> Result<DataFrame> {
    let time: Column = match style {
        TimeStyle::UnixSeconds => Column::new(
            "block_time".into(),
            rows.iter().map(|t| t.block_time).collect::<Vec<_>>(),
        ),
        _ => Column::new(
            "block_time".into(),
            rows.iter().map(|t| time_text(t, style)).collect::<Vec<_>>(),
        ),
    };
    let df = DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "chain".into(),
                rows.iter().map(|t| t.chain).collect::<Vec<_>>(),
            ),
            Column::new(
                "tx_hash".into(),
                rows.iter().map(|t| t.tx_hash.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "transfer_index".into(),
                rows.iter().map(|t| t.transfer_index).collect::<Vec<_>>(),
            ),
            time,
            Column::new(
                "from_address".into(),
                rows.iter()
                    .map(|t| t.from_address.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "to_address".into(),
                rows.iter()
                    .map(|t| t.to_address.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "asset".into(),
                rows.iter().map(|t| t.asset).collect::<Vec<_>>(),
            ),
            Column::new(
                "amount".into(),
                rows.iter().map(|t| t.amount).collect::<Vec<_>>(),
            ),
            Column::new(
                "amount_usd".into(),
                rows.iter().map(|t| t.amount_usd).collect::<Vec<_>>(),
            ),
        ],
    )?;
    Ok(df)
}

fn write_reports(path: &Path, rows: &[reports::ReportRow]) -> Result<()> {
    let mut w =
        BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
    writeln!(
        w,
        "report_id,reported_at,chain,address,scam_type,country,loss_usd,source"
    )?;
    for r in rows {
        writeln!(
            w,
            "{},{},{},{},{},{},{},synthetic",
            r.report_id, r.reported_at, r.chain, r.address, r.scam_type, r.country, r.loss_usd
        )?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

fn write_prices(path: &Path, rows: &[prices::PriceRow]) -> Result<()> {
    let mut w =
        BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
    writeln!(w, "date,asset,price_usd")?;
    for r in rows {
        let date = crate::method::period::date_string(r.day).unwrap_or_default();
        let price = r.price.map(|p| p.to_string()).unwrap_or_default();
        writeln!(w, "{date},{},{price}", r.asset)?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

fn write_readme(config: &GenerateConfig) -> Result<()> {
    let format = if config.parquet { "parquet" } else { "csv" };
    let text = format!(
        "# Synthetic sample data — not real\n\n\
         Every address, transaction, report and price in this directory is **synthetic**:\n\
         made up by `scamtrends generate`, with no link to real people, wallets or scams.\n\
         Use it to try the tool and to test it, never as evidence.\n\n\
         Regenerate it, byte for byte:\n\n\
         ```\nscamtrends generate --rows {} --seed {} --files {} --format {format} --out {}\n```\n\n\
         It is calibrated to the shape of published 2024 estimates (pig-butchering revenue\n\
         about +40% on 2023 while its deposits rise about +210%; investment scams about half\n\
         of 2024 revenue) and carries realistic mess: duplicate transfers across files,\n\
         mixed-case EVM addresses, a few invalid rows, price gaps, zero prices, labels in\n\
         many spellings and victims' countries as alpha-2 or alpha-3 codes.\n",
        config.rows,
        config.seed,
        config.files,
        config.out.display()
    );
    fs::write(config.out.join("README.md"), text).context("writing the dataset README")?;
    // The marker `run` looks for to stamp "synthetic sample data" on charts and reports.
    let marker = format!(
        "synthetic data written by scamtrends generate --rows {} --seed {}; not real\n",
        config.rows, config.seed
    );
    fs::write(config.out.join(SYNTHETIC_MARKER), marker)
        .context("writing the synthetic-data marker")
}
