//! Calendar periods (METHODOLOGY §6): the UTC quarter, month or year of a
//! day, its label (`2024Q3`, `2024-07`, `2024`), its first day, and the first
//! day of the same period one year earlier (the YoY comparison key).
//! Pure functions, plus polars column wrappers used by the measure stage.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::model::Period;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date")
}

fn date_of(day: i64) -> Option<NaiveDate> {
    epoch().checked_add_signed(chrono::Duration::try_days(day)?)
}

fn day_of(date: NaiveDate) -> i32 {
    (date - epoch()).num_days() as i32
}

/// The first day of the period containing `date`.
fn start_date(date: NaiveDate, period: Period) -> Option<NaiveDate> {
    let month = match period {
        Period::Quarter => (date.month0() / 3) * 3 + 1,
        Period::Month => date.month(),
        Period::Year => 1,
    };
    NaiveDate::from_ymd_opt(date.year(), month, 1)
}

/// `YYYY-MM-DD` of a day number.
pub fn date_string(day: i64) -> Option<String> {
    date_of(day).map(|d| d.format("%Y-%m-%d").to_string())
}

/// Label of the period containing day `day` (days since 1970-01-01).
pub fn label(day: i64, period: Period) -> Option<String> {
    let d = date_of(day)?;
    Some(match period {
        Period::Quarter => format!("{}Q{}", d.year(), d.month0() / 3 + 1),
        Period::Month => format!("{}-{:02}", d.year(), d.month()),
        Period::Year => format!("{}", d.year()),
    })
}

/// First day (days since epoch) of the period containing `day`.
pub fn start(day: i64, period: Period) -> Option<i32> {
    start_date(date_of(day)?, period).map(day_of)
}

/// First day of the same period one year before the period starting at `start_day`.
pub fn previous_year_start(start_day: i64) -> Option<i32> {
    let d = date_of(start_day)?;
    NaiveDate::from_ymd_opt(d.year() - 1, d.month(), d.day()).map(day_of)
}

/// Expression: period label of a column of days.
pub fn label_expr(days: Expr, period: Period) -> Expr {
    days.map(
        move |c| {
            let out: StringChunked = c
                .i64()?
                .iter()
                .map(|d| d.and_then(|d| label(d, period)))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// Expression: period start (a Date) of a column of days.
pub fn start_expr(days: Expr, period: Period) -> Expr {
    map_days(days, move |d| start(d, period))
}

/// Expression: previous-year start (a Date) of a Date column of period starts.
pub fn previous_year_start_expr(starts: Expr) -> Expr {
    map_days(
        starts.cast(DataType::Int32).cast(DataType::Int64),
        previous_year_start,
    )
}

fn map_days(days: Expr, f: impl Fn(i64) -> Option<i32> + Send + Sync + 'static) -> Expr {
    days.map(
        move |c| {
            let out: Int32Chunked = c.i64()?.iter().map(|d| d.and_then(&f)).collect();
            out.with_name(c.name().clone())
                .into_date()
                .into_column()
                .cast(&DataType::Date)
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Date)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i64 {
        i64::from(day_of(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
    }

    #[test]
    fn labels_and_starts() {
        let d = day(2024, 8, 31);
        assert_eq!(label(d, Period::Quarter).unwrap(), "2024Q3");
        assert_eq!(label(d, Period::Month).unwrap(), "2024-08");
        assert_eq!(label(d, Period::Year).unwrap(), "2024");
        assert_eq!(
            i64::from(start(d, Period::Quarter).unwrap()),
            day(2024, 7, 1)
        );
        assert_eq!(
            i64::from(start(day(2023, 4, 1), Period::Quarter).unwrap()),
            day(2023, 4, 1)
        );
        assert_eq!(
            i64::from(previous_year_start(day(2024, 4, 1)).unwrap()),
            day(2023, 4, 1)
        );
    }
}
