//! The fast pass over a canonical transfers Parquet file: a row filter over
//! the file's own typed columns, applied in the scan before any column is
//! normalised (`Readable::keep`), so the 97% of rows that are valid and
//! reach no scam address are decoded once and never typed, trimmed or
//! lowercased. The row count comes from the file's metadata.
//!
//! A row is left out only when it is certain: every checked value of a type
//! this pass knows (text, a number, a date or datetime) passes its column's
//! rules as `readers::scan` would type it, text is ASCII, and `to_address`,
//! trimmed and ASCII-lowercased, is no scam address's. A file with a column
//! of another type (decimal, categorical, a list) is read whole.

use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use super::{Reduced, ScamKeys, certainly_valid, trim};
use crate::method::pricing::MAX_USD;
use crate::method::validate::ColumnKind;
use crate::model::InputKind;
use crate::readers::convert::Readable;
use crate::readers::ethereum_etl;

/// How one column's values are checked.
#[derive(Clone, Copy, Debug)]
enum Check {
    /// Text, checked as the CSV pass checks a field.
    Text(ColumnKind),
    /// A number typed as a float: finite, not negative, at most `max`.
    Float { max: f64 },
    /// An integer typed as Int64: fits, and not negative unless `signed_ok`.
    Integer { signed_ok: bool },
    /// A date or datetime: any value passes.
    Present,
}

/// A checked column: name, check, required.
type Checked = (&'static str, Check, bool);

/// The row filter for a canonical transfers Parquet file; `None` when it
/// must be read whole (another layout, an unknown column type, unreadable:
/// the ordinary read then reports it).
pub fn reduce(readable: &Readable, keys: &Arc<ScamKeys>) -> Result<Option<Reduced>> {
    let Ok(path) = PlRefPath::try_from_path(&readable.path) else {
        return Ok(None);
    };
    let args = ScanArgsParquet {
        glob: false,
        ..Default::default()
    };
    let Ok(mut lf) = LazyFrame::scan_parquet(path, args) else {
        return Ok(None);
    };
    let Ok(schema) = lf.collect_schema() else {
        return Ok(None);
    };
    if ethereum_etl::is_token_transfers(&schema) || ethereum_etl::is_transactions(&schema) {
        return Ok(None);
    }
    let Some(checks) = checks_of(&schema) else {
        return Ok(None);
    };
    let Some(rows) = row_count(lf) else {
        return Ok(None);
    };
    let readable = Readable {
        keep: Some(keep_expr(checks, keys.clone())),
        ..readable.clone()
    };
    Ok(Some(Reduced { readable, rows }))
}

/// Rows of the file, from its metadata.
fn row_count(lf: LazyFrame) -> Option<u64> {
    let df = lf.select([len().alias("n")]).collect().ok()?;
    let n = df.column("n").ok()?.get(0).ok()?;
    n.extract::<u64>()
}

/// Each canonical column present with its check; `None` when a required
/// column is missing or a column's type is not one this pass knows.
fn checks_of(schema: &Schema) -> Option<Vec<Checked>> {
    let mut checks = Vec::new();
    for c in InputKind::Transfers.columns() {
        let Some(dtype) = schema.get(c.name) else {
            if c.required {
                return None;
            }
            continue;
        };
        checks.push((c.name, check_of(c.name, c.kind, dtype)?, c.required));
    }
    Some(checks)
}

fn check_of(name: &str, kind: ColumnKind, dtype: &DataType) -> Option<Check> {
    Some(match (kind, dtype) {
        (k, DataType::String) => Check::Text(k),
        (ColumnKind::Float, d) if d.is_primitive_numeric() => Check::Float {
            max: if name == "amount_usd" {
                MAX_USD
            } else {
                f64::INFINITY
            },
        },
        (ColumnKind::Integer, d) if d.is_integer() => Check::Integer { signed_ok: false },
        (ColumnKind::Timestamp(_), d) if d.is_integer() => Check::Integer { signed_ok: true },
        (ColumnKind::Timestamp(_), DataType::Datetime(_, _) | DataType::Date) => Check::Present,
        _ => return None,
    })
}

/// The filter: a row is kept unless every check is certain and its
/// `to_address` is certainly no scam address.
fn keep_expr(checks: Vec<Checked>, keys: Arc<ScamKeys>) -> Expr {
    let mut inputs: Vec<Expr> = checks.iter().map(|(name, _, _)| col(*name)).collect();
    let first = inputs.remove(0);
    first.map_many(
        move |cs: &mut [Column]| {
            let n = cs.first().map_or(0, Column::len);
            let mut keep = vec![false; n];
            for ((name, check, required), c) in checks.iter().zip(cs.iter()) {
                mark_uncertain(c, *check, *required, &mut keep)?;
                if *name == "to_address" {
                    mark_scam_bound(c, &keys, &mut keep)?;
                }
            }
            let out: BooleanChunked = keep.into_iter().map(Some).collect();
            Ok(out.with_name("_keep".into()).into_column())
        },
        &inputs,
        |_, _| Ok(Field::new("_keep".into(), DataType::Boolean)),
    )
}

/// Set `keep` for every row whose value in `c` may break a rule.
fn mark_uncertain(c: &Column, check: Check, required: bool, keep: &mut [bool]) -> PolarsResult<()> {
    let missing_ok = !required;
    match check {
        Check::Text(kind) => {
            for (k, v) in keep.iter_mut().zip(c.str()?.iter()) {
                *k |= !match v {
                    None => missing_ok,
                    Some(s) => s.is_ascii() && certainly_valid(trim(s.as_bytes()), kind, required),
                };
            }
        }
        Check::Float { max } => {
            let typed = c.cast(&DataType::Float64)?;
            for (k, v) in keep.iter_mut().zip(typed.f64()?.iter()) {
                *k |= !v.map_or(missing_ok, |v| v.is_finite() && v >= 0.0 && v <= max);
            }
        }
        Check::Integer { signed_ok } => {
            // a value that does not fit Int64 becomes null in the cast:
            // compare with the column's own nulls
            let typed = c.cast(&DataType::Int64)?;
            let nulls = c.is_null();
            for ((k, v), was_null) in keep.iter_mut().zip(typed.i64()?.iter()).zip(nulls.iter()) {
                *k |= !match (v, was_null) {
                    (Some(v), _) => signed_ok || v >= 0,
                    (None, Some(true)) => missing_ok,
                    (None, _) => false,
                };
            }
        }
        Check::Present => {
            for (k, was_null) in keep.iter_mut().zip(c.is_null().iter()) {
                *k |= was_null == Some(true) && !missing_ok;
            }
        }
    }
    Ok(())
}

/// Set `keep` for every row whose `to_address` may be a scam address.
fn mark_scam_bound(c: &Column, keys: &ScamKeys, keep: &mut [bool]) -> PolarsResult<()> {
    let mut scratch = Vec::new();
    for (k, v) in keep.iter_mut().zip(c.str()?.iter()) {
        if !*k && let Some(s) = v {
            *k = keys.may_hold(trim(s.as_bytes()), &mut scratch);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Arc<ScamKeys> {
        let df = df!("chain" => ["tron"], "address" => ["TScam"]).unwrap();
        Arc::new(ScamKeys::new(&df).unwrap())
    }

    fn kept(df: DataFrame) -> Vec<bool> {
        let checks = checks_of(df.schema()).expect("canonical");
        let out = df
            .lazy()
            .select([keep_expr(checks, keys()).alias("k")])
            .collect()
            .unwrap();
        out.column("k")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect()
    }

    fn frame(to: [&str; 4], amount: [Option<f64>; 4], index: [Option<u64>; 4]) -> DataFrame {
        df!(
            "chain" => ["tron"; 4],
            "tx_hash" => ["h1", "h2", "h3", "h4"],
            "transfer_index" => index,
            "block_time" => [1_704_067_200i64; 4],
            "from_address" => ["TFrom"; 4],
            "to_address" => to,
            "asset" => ["USDT"; 4],
            "amount" => amount,
        )
        .unwrap()
    }

    #[test]
    fn valid_rows_to_no_scam_address_are_left_out() {
        let df = frame(
            ["TOther", " tscam ", "TScam", "TÖther"],
            [Some(1.0); 4],
            [Some(0); 4],
        );
        assert_eq!(kept(df), [false, true, true, true]);
    }

    #[test]
    fn rows_that_may_break_a_rule_are_kept() {
        let amounts = [Some(-1.0), Some(f64::NAN), None, Some(-0.0)];
        let df = frame(["TOther"; 4], amounts, [Some(0); 4]);
        assert_eq!(kept(df), [true, true, true, false]);
        let index = [Some(u64::MAX), None, Some(1), Some(i64::MAX as u64)];
        let df = frame(["TOther"; 4], [Some(1.0); 4], index);
        assert_eq!(kept(df), [true, false, false, false]);
    }

    #[test]
    fn an_unknown_column_type_reads_the_file_whole() {
        let mut df = frame(["TOther"; 4], [Some(1.0); 4], [Some(0); 4]);
        assert!(checks_of(df.schema()).is_some());
        df.with_column(Column::new("amount".into(), [true; 4]))
            .unwrap();
        assert!(checks_of(df.schema()).is_none());
    }
}
