//! METHODOLOGY v1 as Spark SQL: the text the Spark engine sends, built from
//! the same column table and rule list as the local engine
//! (`method::validate`). Pure: strings in, strings out, no connection.
//!
//! The script is a chain of temporary views, one per stage, then the
//! queries whose results come back. Every result is exact: integers
//! (micro-dollar sums, counts, the two middle values of each median), text
//! and the transfers' own values; dollars, averages, YoY, shares and
//! rounding are derived from them by `method::measure`, the code the local
//! engine uses. The SQL is portable between Sail and Apache Spark 4 (see
//! docs/scale-out.md for the forms avoided and why).
//!
//! - `typing`: each input file typed and checked against the shared rules.
//! - `stages`: the views from prices and reports to the flows.
//! - `results`: the queries whose results come back.
//! - `store`: the transfers of an ingest store (`--store`).

mod results;
mod stages;
mod store;
mod typing;

pub use results::*;
use stages::{
    addresses, country_map, flows, label_map, prices_daily, prices_usable, ranked, reports_used,
    reports_valued, scam_bound, scam_senders, type_priority,
};
pub use store::{store_addresses_query, store_bound_raw, store_rows};
pub use typing::{checked, store_checked};

use crate::model::{InputKind, Period};

/// The view written out once and read back when a staging location is
/// known: everything after it (de-duplication, flows, every rollup, the
/// attributed transfers) reads the few scam-bound rows instead of
/// re-reading and re-validating every export (Sail has no `CACHE TABLE`).
pub const MATERIALIZED: &str = "scam_bound";

/// How a column of an input file is typed on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    Text,
    Integer,
    /// A decimal: the server's text of it is plain digits, as polars'.
    Decimal,
    /// A 32-bit float: its text is spelled by the client (see `Double`).
    Single,
    /// A 64-bit float. Engines spell a double differently (Spark writes
    /// `-4.09E-4` where polars and Sail write `-0.000409`), so a reject's
    /// value is sent back as the number and spelled by the client.
    Double,
    Timestamp,
    Date,
}

impl SourceType {
    /// A number the server casts rather than parses.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Self::Integer | Self::Decimal | Self::Single | Self::Double
        )
    }
}

/// One input file registered as a view on the server.
#[derive(Debug, Clone)]
pub struct FileView {
    /// Position of the file among the files of its kind (`_file`).
    pub file: usize,
    pub view: String,
    /// Columns present, with their server types.
    pub columns: Vec<(String, SourceType)>,
    /// The file is a row-numbered copy: its rows carry [`ROW_COLUMN`].
    pub numbered: bool,
    /// CSV rows with more or fewer fields than the header, with their
    /// reject value (the client counts fields as it hashes the file; the
    /// server's CSV reader pads or truncates such rows).
    pub ragged: Vec<(u64, String)>,
}

/// The row number a row-numbered copy of a Parquet file carries (1-based,
/// in file order): Sail reads a file of several row groups in parallel and
/// numbers its rows in no fixed order.
pub const ROW_COLUMN: &str = "_scamtrends_row";

impl FileView {
    fn source_type(&self, name: &str) -> Option<SourceType> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }
}

/// What shapes the SQL of a run besides the inputs.
#[derive(Debug, Clone)]
pub struct Shape {
    pub period: Period,
    /// `--labels-as-of` as days since 1970-01-01.
    pub labels_as_of_day: Option<i64>,
    /// `--from`/`--to` as days, inclusive.
    pub days: (Option<i64>, Option<i64>),
    /// Canonical types in priority order (`taxonomy.types()`).
    pub types: Vec<String>,
    /// Each distinct raw label → its canonical type.
    pub labels: Vec<(String, String)>,
    /// Each distinct country text ("" for none) → its region.
    pub countries: Vec<(String, String)>,
}

/// A SQL string literal (Spark reads backslash escapes inside quotes).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A quoted identifier.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The view of one input kind after typing and checking.
pub fn checked_view(kind: InputKind) -> String {
    format!("checked_{}", kind.name())
}

/// UTC day of Unix seconds (floor division, also below zero).
fn day_of(seconds: &str) -> String {
    format!("(({seconds} - pmod({seconds}, 86400)) DIV 86400)")
}

/// Days since 1970-01-01 of the start of the period containing `day`.
fn period_start(day: &str, period: Period) -> String {
    let date = format!("date_add(DATE '1970-01-01', CAST({day} AS INT))");
    let start = match period {
        Period::Quarter => {
            format!("make_date(year({date}), (quarter({date}) - 1) * 3 + 1, 1)")
        }
        Period::Month => format!("make_date(year({date}), month({date}), 1)"),
        Period::Year => format!("make_date(year({date}), 1, 1)"),
    };
    format!("datediff({start}, DATE '1970-01-01')")
}

/// The largest finite double: `isfinite` is not portable.
const MAX_DOUBLE: &str = "1.7976931348623157E308";

/// `VALUES` rows, or a typed empty relation when there are none.
fn values(rows: &[Vec<String>], names: &[&str], types: &[&str]) -> String {
    if rows.is_empty() {
        let cols: Vec<String> = names
            .iter()
            .zip(types)
            .map(|(n, t)| format!("CAST(NULL AS {t}) AS {n}"))
            .collect();
        return format!("SELECT {} WHERE 1 = 0", cols.join(", "));
    }
    let rows: Vec<String> = rows.iter().map(|r| format!("({})", r.join(", "))).collect();
    format!(
        "SELECT * FROM VALUES {} AS t({})",
        rows.join(", "),
        names.join(", ")
    )
}

/// Rejected rule indexes beyond the column rules: a valued loss or a
/// transfer's USD value above $10^12.
pub const IMPLAUSIBLE_LOSS: i64 = -1;
pub const IMPLAUSIBLE_AMOUNT: i64 = -2;
/// `_rule` of a CSV row whose field count differs from the header's.
pub const FIELD_COUNT: i64 = -3;

/// The whole script: `(view name, SELECT)` in dependency order.
pub fn views(files: &[(InputKind, Vec<FileView>)], shape: &Shape) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (kind, views) in files {
        out.push((checked_view(*kind), checked(*kind, views)));
    }
    let mut add = |name: &str, sql: String| out.push((name.to_string(), sql));
    add("prices_usable", prices_usable());
    add("prices_daily", prices_daily());
    add("reports_valued", reports_valued());
    add("label_map", label_map(shape));
    add("country_map", country_map(shape));
    add("type_priority", type_priority(shape));
    add("reports_used", reports_used(shape));
    add("addresses", addresses());
    add("scam_bound", scam_bound());
    add("ranked", ranked());
    add("scam_senders", scam_senders());
    add("flows", flows(shape));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape {
            period: Period::Quarter,
            labels_as_of_day: Some(19_900),
            days: (Some(19_000), None),
            types: vec!["pig_butchering".into(), "other".into()],
            labels: vec![("Romance".into(), "pig_butchering".into())],
            countries: vec![("".into(), "Unknown".into())],
        }
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(quote(r"it's a\b"), r"'it\'s a\\b'");
        assert_eq!(ident("we`ird"), "`we``ird`");
    }

    #[test]
    fn parameters_reach_the_sql() {
        let views = views(&[], &shape());
        let text: String = views.iter().map(|(_, s)| s.as_str()).collect();
        assert!(text.contains("r.reported_day <= 19900"));
        assert!(text.contains("t.day >= 19000"));
        assert!(text.contains("('Romance', 'pig_butchering')"));
        assert!(text.contains("('pig_butchering', 0), ('other', 1)"));
        assert!(rollups_query(Period::Quarter).contains("(7, true, false, false)"));
        assert!(!rollups_query(Period::Year).contains("(4, "));
    }
}
