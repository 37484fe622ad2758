//! Helpers shared by the unit tests beside each stage (compiled for tests only).

use polars::prelude::*;

/// A string column's non-null values.
pub fn texts(df: &DataFrame, column: &str) -> Vec<String> {
    let c = df
        .column(column)
        .unwrap_or_else(|_| panic!("no column {column}"));
    c.str()
        .unwrap_or_else(|_| panic!("column {column} is not text"))
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}
