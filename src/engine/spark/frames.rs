//! Results from the server (Arrow record batches) as polars frames with the
//! types the publisher expects. Engines return column types that differ
//! (Sail's `EXTRACT` is int32, Spark's int64; counts may be int32), so each
//! column is cast to a fixed type first: the frames are then the same
//! whichever server answered.

use anyhow::{Result, anyhow};
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType as ArrowType, Float64Type, Int64Type};
use arrow::record_batch::RecordBatch;
use polars::prelude::*;

/// The type a result column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Text,
    Int,
    Float,
    Bool,
}

/// Columns of `batches` named in `schema`, concatenated into one frame.
pub fn to_frame(batches: &[RecordBatch], schema: &[(&str, Want)]) -> Result<DataFrame> {
    let mut columns = Vec::with_capacity(schema.len());
    for (name, want) in schema {
        let arrays = batches
            .iter()
            .map(|b| {
                b.column_by_name(name)
                    .cloned()
                    .ok_or_else(|| anyhow!("the server's result has no column {name}"))
            })
            .collect::<Result<Vec<_>>>()?;
        columns.push(column(name, &arrays, *want)?);
    }
    let height = columns.first().map_or(0, |c| c.len());
    Ok(DataFrame::new(height, columns)?)
}

fn cast(array: &ArrayRef, to: &ArrowType) -> Result<ArrayRef> {
    Ok(arrow::compute::cast(array, to)?)
}

fn column(name: &str, arrays: &[ArrayRef], want: Want) -> Result<Column> {
    let name = PlSmallStr::from(name);
    Ok(match want {
        Want::Text => {
            let mut out: Vec<Option<String>> = Vec::new();
            for a in arrays {
                let a = cast(a, &ArrowType::Utf8)?;
                let s = a.as_string::<i32>();
                out.extend((0..s.len()).map(|i| s.is_valid(i).then(|| s.value(i).to_string())));
            }
            Column::new(name, out)
        }
        Want::Int => {
            let mut out: Vec<Option<i64>> = Vec::new();
            for a in arrays {
                let a = cast(a, &ArrowType::Int64)?;
                let v = a.as_primitive::<Int64Type>();
                out.extend((0..v.len()).map(|i| v.is_valid(i).then(|| v.value(i))));
            }
            Column::new(name, out)
        }
        Want::Float => {
            let mut out: Vec<Option<f64>> = Vec::new();
            for a in arrays {
                let a = cast(a, &ArrowType::Float64)?;
                let v = a.as_primitive::<Float64Type>();
                out.extend((0..v.len()).map(|i| v.is_valid(i).then(|| v.value(i))));
            }
            Column::new(name, out)
        }
        Want::Bool => {
            let mut out: Vec<Option<bool>> = Vec::new();
            for a in arrays {
                let a = cast(a, &ArrowType::Boolean)?;
                let v = a.as_boolean();
                out.extend((0..v.len()).map(|i| v.is_valid(i).then(|| v.value(i))));
            }
            Column::new(name, out)
        }
    })
}

/// Every column of `batches` with the type polars gives it (for `query`,
/// where the columns are the user's): text, integers, floats, booleans and
/// dates; anything else as its text.
pub fn to_frame_as_is(batches: &[RecordBatch]) -> Result<DataFrame> {
    let Some(first) = batches.first() else {
        return Ok(DataFrame::empty());
    };
    let schema = first.schema();
    let mut columns = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let arrays: Vec<ArrayRef> = batches.iter().map(|b| b.column(i).clone()).collect();
        if let Some(col) = temporal(field.name(), field.data_type(), &arrays)? {
            columns.push(col);
            continue;
        }
        let want = match field.data_type() {
            t if t.is_integer() => Want::Int,
            t if t.is_floating() || matches!(t, ArrowType::Decimal128(_, _)) => Want::Float,
            ArrowType::Boolean => Want::Bool,
            _ => Want::Text,
        };
        columns.push(column(field.name(), &arrays, want)?);
    }
    let height = columns.first().map_or(0, |c| c.len());
    Ok(DataFrame::new(height, columns)?)
}

/// Dates and timestamps by their stored integers (days; units since the
/// epoch), typed as polars types them: no time-zone database is needed to
/// move a UTC instant.
fn temporal(name: &str, dtype: &ArrowType, arrays: &[ArrayRef]) -> Result<Option<Column>> {
    use arrow::datatypes::TimeUnit as Unit;
    let (storage, target) = match dtype {
        ArrowType::Date32 => (ArrowType::Int32, DataType::Date),
        ArrowType::Timestamp(unit, tz) => {
            let unit = match unit {
                Unit::Millisecond => TimeUnit::Milliseconds,
                Unit::Microsecond => TimeUnit::Microseconds,
                Unit::Nanosecond => TimeUnit::Nanoseconds,
                Unit::Second => return Ok(None),
            };
            let zone = tz.as_deref().map(|z| match z {
                "+00:00" | "Z" | "Etc/UTC" => "UTC",
                z => z,
            });
            let zone = TimeZone::opt_try_new(zone)?;
            (ArrowType::Int64, DataType::Datetime(unit, zone))
        }
        _ => return Ok(None),
    };
    let mut out: Vec<Option<i64>> = Vec::new();
    for a in arrays {
        let data = a
            .to_data()
            .into_builder()
            .data_type(storage.clone())
            .build()?;
        let ints = arrow::array::make_array(data);
        let ints = cast(&ints, &ArrowType::Int64)?;
        let v = ints.as_primitive::<Int64Type>();
        out.extend((0..v.len()).map(|i| v.is_valid(i).then(|| v.value(i))));
    }
    let target = narrowed(target, &mut out);
    let column = Column::new(PlSmallStr::from(name), out).cast(&target)?;
    Ok(Some(column))
}

/// Spark has one timestamp unit (µs), so a published millisecond column
/// comes back widened; every timestamp the method publishes is in
/// milliseconds (`block_time`). A µs column whose values are all whole
/// milliseconds is returned in ms, as polars returns it from the table.
fn narrowed(target: DataType, values: &mut [Option<i64>]) -> DataType {
    let DataType::Datetime(TimeUnit::Microseconds, zone) = target else {
        return target;
    };
    if values.iter().flatten().any(|v| v % 1000 != 0) {
        return DataType::Datetime(TimeUnit::Microseconds, zone);
    }
    for v in values.iter_mut().flatten() {
        *v /= 1000;
    }
    DataType::Datetime(TimeUnit::Milliseconds, zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn columns_are_cast_to_the_wanted_types_and_batches_joined() {
        let batch = |ints: Vec<Option<i32>>, texts: Vec<Option<&str>>| {
            RecordBatch::try_from_iter([
                ("n", Arc::new(Int32Array::from(ints)) as ArrayRef),
                ("s", Arc::new(StringArray::from(texts)) as ArrayRef),
            ])
            .unwrap()
        };
        let batches = [
            batch(vec![Some(1), None], vec![Some("a"), Some("b")]),
            batch(vec![Some(3)], vec![None]),
        ];
        let df = to_frame(&batches, &[("s", Want::Text), ("n", Want::Int)]).unwrap();
        assert_eq!(df.height(), 3);
        let n: Vec<Option<i64>> = df.column("n").unwrap().i64().unwrap().iter().collect();
        assert_eq!(n, [Some(1), None, Some(3)]);
        let s: Vec<Option<&str>> = df.column("s").unwrap().str().unwrap().iter().collect();
        assert_eq!(s, [Some("a"), Some("b"), None]);
        assert!(to_frame(&batches, &[("x", Want::Int)]).is_err());
    }
}
