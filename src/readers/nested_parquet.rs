//! BigQuery `crypto_bitcoin.transactions` exported as Parquet: one row per
//! transaction with nested `inputs`/`outputs` lists of records. Each batch
//! is streamed, each row turned into the JSON record `readers::utxo` reads
//! (`NUMERIC` decimals as their exact integer text, the microsecond
//! `TIMESTAMP` as Unix seconds), and written as canonical transfers CSV.
//! The batch-by-batch writer is shared with bitcoin-etl's CSV (`utxo_csv`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use serde_json::{Map, Number, Value};

use crate::readers::json_rows::TRANSFER_HEADER;
use crate::readers::ndjson::write_row;
use crate::readers::utxo::utxo_transfers;

/// The columns a transaction record needs (also bitcoin-etl's CSV, `utxo_csv`).
pub const UTXO_COLUMNS: [&str; 5] = [
    "hash",
    "block_timestamp",
    "is_coinbase",
    "inputs",
    "outputs",
];

/// Whether a Parquet schema is BigQuery's nested transactions layout.
pub fn is_nested_utxo(schema: &Schema) -> bool {
    let list = |name: &str| matches!(schema.get(name), Some(DataType::List(_)));
    schema.get("hash").is_some() && list("inputs") && list("outputs")
}

/// Convert the transactions of `source` into transfers CSV at `target`;
/// returns the rows written.
pub fn nested_utxo_to_csv(source: &Path, target: &Path) -> Result<u64, String> {
    let scan = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(source).map_err(|e| e.to_string())?,
        ScanArgsParquet::default(),
    )
    .map_err(|e| e.to_string())?;
    utxo_records_to_csv(scan, target, |columns, i, _| {
        let mut record = Map::new();
        for (name, c) in UTXO_COLUMNS.iter().zip(columns) {
            record.insert(
                (*name).to_string(),
                json_of(c.get(i).map_err(|e| e.to_string())?),
            );
        }
        Ok(Value::Object(record))
    })
}

/// Builds the transaction record of row `i` of a batch's [`UTXO_COLUMNS`];
/// the third argument is the row's 1-based number in the file.
pub type RecordOf = fn(&[Column], usize, u64) -> Result<Value, String>;

/// Stream `scan`'s [`UTXO_COLUMNS`] batch by batch, in file order, and
/// write each row's transfers (`readers::utxo`) as canonical CSV at
/// `target`; returns the rows written.
pub fn utxo_records_to_csv(
    scan: LazyFrame,
    target: &Path,
    record_of: RecordOf,
) -> Result<u64, String> {
    let file = File::create(target).map_err(|e| e.to_string())?;
    let out = Arc::new(Mutex::new(Sink {
        out: BufWriter::with_capacity(1 << 20, file),
        written: 0,
        read: 0,
    }));
    write_row(&mut lock(&out)?.out, TRANSFER_HEADER.into_iter()).map_err(|e| e.to_string())?;
    let sink = Arc::clone(&out);
    let plan = scan
        .select(UTXO_COLUMNS.map(col))
        .sink_batches(
            PlanCallback::new(move |batch: DataFrame| {
                let mut guard = sink
                    .lock()
                    .map_err(|_| polars_err!(ComputeError: "transfer writer poisoned"))?;
                guard
                    .write_batch(&batch, record_of)
                    .map_err(|e| polars_err!(ComputeError: "{e}"))?;
                Ok(false)
            }),
            true, // file order: row numbers in rejects must not depend on threads
            None,
        )
        .map_err(|e| e.to_string())?;
    plan.collect_with_engine(Engine::Streaming)
        .map_err(|e| e.to_string())?;
    let mut guard = lock(&out)?;
    guard.out.flush().map_err(|e| e.to_string())?;
    Ok(guard.written)
}

struct Sink {
    out: BufWriter<File>,
    /// Transfer rows written.
    written: u64,
    /// Transaction records read.
    read: u64,
}

impl Sink {
    fn write_batch(&mut self, batch: &DataFrame, record_of: RecordOf) -> Result<(), String> {
        let columns: Vec<Column> = UTXO_COLUMNS
            .iter()
            .map(|c| batch.column(c).map(|c| c.rechunk()))
            .collect::<PolarsResult<_>>()
            .map_err(|e| e.to_string())?;
        for i in 0..batch.height() {
            self.read += 1;
            let record = record_of(&columns, i, self.read)?;
            for row in utxo_transfers(&record) {
                write_row(&mut self.out, row.iter().map(String::as_str))
                    .map_err(|e| e.to_string())?;
                self.written += 1;
            }
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, String> {
    m.lock().map_err(|_| "transfer writer poisoned".to_string())
}

/// A Parquet value as the JSON the UTXO reader takes.
fn json_of(v: AnyValue) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Int64(x) => Value::Number(x.into()),
        AnyValue::Int32(x) => Value::Number(x.into()),
        AnyValue::UInt64(x) => Value::Number(x.into()),
        AnyValue::UInt32(x) => Value::Number(x.into()),
        AnyValue::Float64(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
        AnyValue::Decimal(x, _, scale) => Value::String(decimal_text(x, scale)),
        AnyValue::Datetime(t, unit, _) => Value::Number(unix_seconds(t, unit).into()),
        AnyValue::List(s) => Value::Array(s.iter().map(json_of).collect()),
        v @ AnyValue::Struct(_, _, fields) => {
            let names: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
            let values = v._iter_struct_av().map(json_of);
            Value::Object(names.into_iter().zip(values).collect())
        }
        other => Value::String(other.to_string()),
    }
}

/// Exact text of a decimal `x / 10^scale`, without trailing zeros (an
/// integer value is its digits alone: satoshi in `NUMERIC`).
pub fn decimal_text(x: i128, scale: usize) -> String {
    let digits = x.unsigned_abs().to_string();
    let sign = if x < 0 { "-" } else { "" };
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let frac = frac.trim_end_matches('0');
    match frac.is_empty() {
        true => format!("{sign}{int}"),
        false => format!("{sign}{int}.{frac}"),
    }
}

fn unix_seconds(t: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => t.div_euclid(1_000_000_000),
        TimeUnit::Microseconds => t.div_euclid(1_000_000),
        TimeUnit::Milliseconds => t.div_euclid(1_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_exact_text() {
        assert_eq!(decimal_text(5_000_000_000_000_000_000, 9), "5000000000");
        assert_eq!(decimal_text(1_500_000_000, 9), "1.5");
        assert_eq!(decimal_text(-25, 1), "-2.5");
        assert_eq!(decimal_text(7, 0), "7");
    }
}
