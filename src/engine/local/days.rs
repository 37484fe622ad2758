//! UTC days: `--from`/`--to` as day numbers (days since 1970-01-01) and
//! the filter of a frame to an inclusive day range.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::model::MethodParams;

/// Inclusive UTC day numbers (days since 1970-01-01) of `--from`/`--to`.
pub type DayRange = (Option<i64>, Option<i64>);

/// `--from`/`--to` of a run as day numbers.
pub fn day_range(params: &MethodParams) -> DayRange {
    (params.from.map(day_number), params.to.map(day_number))
}

/// Days since 1970-01-01 of a date.
pub fn day_number(d: NaiveDate) -> i64 {
    d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
        .num_days()
}

/// Rows of `lf` whose `column` (a day number) is within the range.
pub fn in_day_range(lf: LazyFrame, column: &str, (from, to): DayRange) -> LazyFrame {
    let mut lf = lf;
    if let Some(from) = from {
        lf = lf.filter(col(column).gt_eq(lit(from)));
    }
    if let Some(to) = to {
        lf = lf.filter(col(column).lt_eq(lit(to)));
    }
    lf
}
