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

use crate::method::pricing::FALLBACK_DAYS;
use crate::method::validate::{Broken, ColumnKind, RuleSpec, raw_name, rule_specs};
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
    Float,
    Timestamp,
    Date,
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

/// Whitespace a raw value is trimmed of.
const WHITESPACE: &str = "concat(' ', char(9), char(10), char(13))";

/// The largest finite double: `isfinite` is not portable.
const MAX_DOUBLE: &str = "1.7976931348623157E308";

/// The trimmed text of a column, empty → NULL.
fn raw_text(column: &str) -> String {
    format!(
        "NULLIF(TRIM(BOTH {WHITESPACE} FROM CAST({} AS STRING)), '')",
        ident(column)
    )
}

/// A float from text, as the local reader parses it (decimal or
/// exponent notation, `inf`, `infinity`, `nan`, optionally signed).
fn parse_float(raw: &str) -> String {
    format!(
        "CASE WHEN {raw} RLIKE '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' \
         THEN TRY_CAST({raw} AS DOUBLE) \
         WHEN lower({raw}) IN ('inf', '+inf', 'infinity', '+infinity') THEN CAST('Infinity' AS DOUBLE) \
         WHEN lower({raw}) IN ('-inf', '-infinity') THEN CAST('-Infinity' AS DOUBLE) \
         WHEN lower({raw}) IN ('nan', '+nan', '-nan') THEN CAST('NaN' AS DOUBLE) END"
    )
}

fn parse_integer(raw: &str) -> String {
    format!("CASE WHEN {raw} RLIKE '^[+-]?[0-9]{{1,18}}$' THEN TRY_CAST({raw} AS BIGINT) END")
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±HH[:MM]]`; group 2 is the zone.
const DATETIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$";

/// Unix seconds from text, as `method::validate::timestamps` parses it:
/// integer seconds (|n| < 2^40), RFC 3339 with `Z` or an offset, plain UTC
/// `YYYY-MM-DD HH:MM:SS[.fff]`, and where allowed a bare date. Every part
/// is read with `TRY_CAST`: `AND`/`OR` do not short-circuit on Sail, and in
/// ANSI mode a `CAST` of the empty zone would fail the whole query.
fn parse_timestamp(raw: &str, date_ok: bool) -> String {
    let days = |text: &str| format!("datediff(TRY_CAST({text} AS DATE), DATE '1970-01-01')");
    let part = |from: usize| format!("TRY_CAST(substr({raw}, {from}, 2) AS INT)");
    let zone = format!("regexp_extract({raw}, '{DATETIME}', 2)");
    let zone_hours = format!("TRY_CAST(substr({zone}, 2, 2) AS INT)");
    let zone_minutes = format!(
        "CASE WHEN length({zone}) = 3 THEN 0 ELSE TRY_CAST(substr({zone}, length({zone}) - 1, 2) AS INT) END"
    );
    let offset = format!(
        "CASE WHEN {zone} IN ('', 'Z', 'z') THEN 0 \
         WHEN substr({zone}, 1, 1) = '-' THEN -({zone_hours} * 3600 + {zone_minutes} * 60) \
         ELSE {zone_hours} * 3600 + {zone_minutes} * 60 END"
    );
    let valid_zone =
        format!("({zone} IN ('', 'Z', 'z') OR ({zone_hours} <= 23 AND {zone_minutes} <= 59))");
    let (h, m, s) = (part(12), part(15), part(18));
    let bare_date = match date_ok {
        true => format!("CAST({} AS BIGINT) * 86400", days(raw)),
        false => "CAST(NULL AS BIGINT)".to_string(),
    };
    format!(
        "CASE WHEN {raw} RLIKE '^-?0*[0-9]{{1,13}}$' THEN \
         (CASE WHEN abs(TRY_CAST({raw} AS BIGINT)) < 1099511627776 THEN TRY_CAST({raw} AS BIGINT) END) \
         WHEN {raw} RLIKE '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN {bare_date} \
         WHEN {raw} RLIKE '{DATETIME}' THEN \
         (CASE WHEN {h} <= 23 AND {m} <= 59 AND {s} <= 59 AND {valid_zone} THEN \
         CAST({} AS BIGINT) * 86400 + {h} * 3600 + {m} * 60 + {s} - ({offset}) END) END",
        days(&format!("substr({raw}, 1, 10)"))
    )
}

/// Lowercase the value when it starts (in any case) with one of `prefixes`.
fn lower_when_prefixed(raw: &str, prefixes: &[&str]) -> String {
    let tests: Vec<String> = prefixes
        .iter()
        .map(|p| format!("lower(substr({raw}, 1, {})) = {}", p.len(), quote(p)))
        .collect();
    format!(
        "CASE WHEN {} THEN lower({raw}) ELSE {raw} END",
        tests.join(" OR ")
    )
}

/// The typed value of a canonical column from its raw twin (and its source
/// column when the file types it, as Parquet does).
fn typed(kind: ColumnKind, name: &str, source: Option<SourceType>) -> String {
    let raw = ident(&raw_name(name));
    let src = ident(&format!("{name}__src"));
    match (kind, source) {
        (_, None) => match kind {
            ColumnKind::Float => "CAST(NULL AS DOUBLE)".to_string(),
            ColumnKind::Integer | ColumnKind::Timestamp(_) => "CAST(NULL AS BIGINT)".to_string(),
            _ => "CAST(NULL AS STRING)".to_string(),
        },
        (ColumnKind::Text, _) => raw,
        (ColumnKind::Lower, _) => format!("lower({raw})"),
        (ColumnKind::Upper, _) => format!("upper({raw})"),
        (ColumnKind::Hash, _) => lower_when_prefixed(&raw, &["0x"]),
        (ColumnKind::Address, _) => lower_when_prefixed(&raw, &["0x", "bc1", "tb1", "ltc1"]),
        (ColumnKind::Float, Some(SourceType::Integer | SourceType::Float)) => {
            format!("CAST({src} AS DOUBLE)")
        }
        (ColumnKind::Float, _) => parse_float(&raw),
        (ColumnKind::Integer, Some(SourceType::Integer | SourceType::Float)) => {
            format!("CAST({src} AS BIGINT)")
        }
        (ColumnKind::Integer, _) => parse_integer(&raw),
        (ColumnKind::Timestamp(_), Some(SourceType::Timestamp)) => {
            format!("unix_seconds({src})")
        }
        (ColumnKind::Timestamp(_), Some(SourceType::Date)) => {
            format!("CAST(datediff({src}, DATE '1970-01-01') AS BIGINT) * 86400")
        }
        (ColumnKind::Timestamp(_), Some(SourceType::Integer)) => format!("CAST({src} AS BIGINT)"),
        (ColumnKind::Timestamp(date_ok), _) => parse_timestamp(&raw, date_ok),
    }
}

/// One file's rows typed: `_file`, `_row` (1-based, in file order), each
/// canonical column and its raw twin.
fn typed_file(kind: InputKind, view: &FileView) -> String {
    let row = match view.numbered {
        true => format!("CAST({} AS INT) AS _row", ident(ROW_COLUMN)),
        false => "ROW_NUMBER() OVER (ORDER BY monotonically_increasing_id()) AS _row".to_string(),
    };
    let mut inner = vec![format!("{} AS _file", view.file), row];
    let mut outer = vec!["_file".to_string(), "_row".to_string()];
    for c in kind.columns() {
        let raw = ident(&raw_name(c.name));
        let source = view.source_type(c.name);
        match source {
            Some(t) => {
                inner.push(format!("{} AS {raw}", raw_text(c.name)));
                if t != SourceType::Text {
                    inner.push(format!(
                        "{} AS {}",
                        ident(c.name),
                        ident(&format!("{}__src", c.name))
                    ));
                }
            }
            None => inner.push(format!("CAST(NULL AS STRING) AS {raw}")),
        }
        outer.push(format!(
            "{} AS {}",
            typed(c.kind, c.name, source),
            ident(c.name)
        ));
        outer.push(raw);
    }
    format!(
        "SELECT {} FROM (SELECT {} FROM {})",
        outer.join(", "),
        inner.join(", "),
        ident(&view.view)
    )
}

/// A rule as a SQL predicate.
fn broken(rule: &RuleSpec) -> String {
    let value = ident(rule.column);
    let raw = ident(&raw_name(rule.column));
    match rule.broken {
        Broken::Missing => format!("{raw} IS NULL"),
        Broken::Unparsed => format!("{raw} IS NOT NULL AND {value} IS NULL"),
        Broken::NotFinite => {
            format!("(isnan({value}) OR {value} > {MAX_DOUBLE} OR {value} < -{MAX_DOUBLE})")
        }
        Broken::Negative => format!("{value} < 0"),
        Broken::AboveMaxUsd => format!("{value} > 1.0E12"),
    }
}

/// Every file of a kind typed, with `_rule`: the index in
/// [`rule_specs`] of the first rule the row breaks (NULL: valid).
pub fn checked(kind: InputKind, files: &[FileView]) -> String {
    let rules = rule_specs(kind);
    let cases: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(k, r)| format!("WHEN {} THEN {k}", broken(r)))
        .collect();
    let rule = match cases.is_empty() {
        true => "CAST(NULL AS INT)".to_string(),
        false => format!("CASE {} END", cases.join(" ")),
    };
    let union = match files.is_empty() {
        true => empty_typed(kind),
        false => files
            .iter()
            .map(|f| typed_file(kind, f))
            .collect::<Vec<_>>()
            .join(" UNION ALL "),
    };
    format!("SELECT *, {rule} AS _rule FROM ({union})")
}

/// A typed frame with no rows (a kind with no files).
fn empty_typed(kind: InputKind) -> String {
    let mut cols = vec![
        "CAST(NULL AS INT) AS _file".to_string(),
        "CAST(NULL AS INT) AS _row".to_string(),
    ];
    for c in kind.columns() {
        cols.push(format!(
            "{} AS {}",
            typed(c.kind, c.name, None),
            ident(c.name)
        ));
        cols.push(format!(
            "CAST(NULL AS STRING) AS {}",
            ident(&raw_name(c.name))
        ));
    }
    format!("SELECT {} WHERE 1 = 0", cols.join(", "))
}

/// The raw value a rejected row's first broken rule checked.
fn reject_value(kind: InputKind) -> String {
    let cases: Vec<String> = rule_specs(kind)
        .iter()
        .enumerate()
        .map(|(k, r)| format!("WHEN {k} THEN {}", ident(&raw_name(r.column))))
        .collect();
    format!("CASE _rule {} END", cases.join(" "))
}

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

fn prices_usable() -> String {
    let day = day_of("date");
    format!(
        "SELECT _file, asset, day, price_usd, ROW_NUMBER() OVER (PARTITION BY asset, day ORDER BY _file, _row) AS copy \
         FROM (SELECT _file, _row, asset, {day} AS day, price_usd FROM checked_prices \
         WHERE _rule IS NULL AND price_usd > 0 AND NOT isnan(price_usd) AND price_usd <= {MAX_DOUBLE})"
    )
}

/// For every `(asset, day)` priced on that day or up to 7 days before, the
/// latest such price: each price repeated for days d..d+7, the nearest kept.
fn prices_daily() -> String {
    let ages: Vec<String> = (0..=FALLBACK_DAYS).map(|k| format!("({k})")).collect();
    format!(
        "SELECT asset, day, price_usd FROM (SELECT asset, day + k AS day, price_usd, \
         ROW_NUMBER() OVER (PARTITION BY asset, day + k ORDER BY k) AS nearest \
         FROM (SELECT * FROM prices_usable WHERE copy = 1) CROSS JOIN (SELECT * FROM VALUES {} AS a(k))) \
         WHERE nearest = 1",
        ages.join(", ")
    )
}

/// Valid reports; a loss given in an asset is valued at the report day's price.
fn reports_valued() -> String {
    let day = day_of("r.reported_at");
    "SELECT r.*, {day} AS reported_day, \
     (r.loss_usd IS NULL AND r.loss_amount * p.price_usd IS NOT NULL) AS loss_valued, \
     COALESCE(r.loss_usd, r.loss_amount * p.price_usd) AS loss_usd_valued \
     FROM (SELECT * FROM checked_reports WHERE _rule IS NULL) r \
     LEFT JOIN prices_daily p ON p.asset = r.loss_asset AND p.day = {day}"
        .replace("{day}", &day)
}

/// Reports kept: valid, with a plausible valued loss.
pub const REPORTS_KEPT: &str =
    "SELECT * FROM reports_valued WHERE NOT (loss_valued AND loss_usd_valued > 1.0E12)";

fn label_map(shape: &Shape) -> String {
    let rows: Vec<Vec<String>> = shape
        .labels
        .iter()
        .map(|(raw, canonical)| vec![quote(raw), quote(canonical)])
        .collect();
    values(&rows, &["raw", "canonical"], &["STRING", "STRING"])
}

fn country_map(shape: &Shape) -> String {
    let rows: Vec<Vec<String>> = shape
        .countries
        .iter()
        .map(|(raw, region)| vec![quote(raw), quote(region)])
        .collect();
    values(&rows, &["raw", "region"], &["STRING", "STRING"])
}

fn type_priority(shape: &Shape) -> String {
    let rows: Vec<Vec<String>> = shape
        .types
        .iter()
        .enumerate()
        .map(|(k, t)| vec![quote(t), k.to_string()])
        .collect();
    values(&rows, &["scam_type", "priority"], &["STRING", "INT"])
}

/// Classified reports known as of `--labels-as-of`.
fn reports_used(shape: &Shape) -> String {
    let as_of = match shape.labels_as_of_day {
        Some(day) => format!(" WHERE r.reported_day <= {day}"),
        None => String::new(),
    };
    format!(
        "SELECT r.report_id, r.chain, r.address, l.canonical AS scam_type, \
         COALESCE(c.region, 'Unknown') AS region, r.label, r.loss_usd_valued AS loss_usd, r.reported_day \
         FROM ({REPORTS_KEPT}) r \
         LEFT JOIN label_map l ON l.raw = r.scam_type \
         LEFT JOIN country_map c ON c.raw = COALESCE(r.country, ''){as_of}"
    )
}

/// The vote winner per address: most reports, ties by `order`.
fn majority(what: &str, filter: &str, join: &str, order: &str) -> String {
    format!(
        "SELECT chain, address, {what} FROM (SELECT v.chain, v.address, v.{what}, \
         ROW_NUMBER() OVER (PARTITION BY v.chain, v.address ORDER BY v.votes DESC, {order}) AS pick \
         FROM (SELECT chain, address, {what}, COUNT(*) AS votes FROM reports_used {filter} \
         GROUP BY chain, address, {what}) v {join}) WHERE pick = 1"
    )
}

/// METHODOLOGY §4: one row per scam address.
fn addresses() -> String {
    let types = majority(
        "scam_type",
        "",
        "LEFT JOIN type_priority p ON p.scam_type = v.scam_type",
        "p.priority ASC",
    );
    let regions = majority("region", "WHERE region <> 'Unknown'", "", "v.region ASC");
    let labels = majority("label", "WHERE label IS NOT NULL", "", "v.label ASC");
    format!(
        "SELECT b.chain, b.address, t.scam_type, COALESCE(g.region, 'Unknown') AS region, l.label, \
         b.reports, b.first_day FROM (SELECT chain, address, COUNT(*) AS reports, \
         MIN(reported_day) AS first_day FROM reports_used GROUP BY chain, address) b \
         LEFT JOIN ({types}) t ON t.chain = b.chain AND t.address = b.address \
         LEFT JOIN ({regions}) g ON g.chain = b.chain AND g.address = b.address \
         LEFT JOIN ({labels}) l ON l.chain = b.chain AND l.address = b.address"
    )
}

/// Valid transfers into a scam address, valued (before de-duplication).
fn scam_bound() -> String {
    let day = day_of("t.block_time");
    format!(
        "SELECT t._file, t._row, t.chain, t.tx_hash, COALESCE(t.transfer_index, 0) AS transfer_index, \
         t.block_time, {day} AS day, t.from_address, t.to_address, t.asset, t.amount, \
         COALESCE(t.amount_usd, t.amount * p.price_usd) AS usd \
         FROM (SELECT * FROM checked_transfers WHERE _rule IS NULL) t \
         JOIN addresses a ON a.chain = t.chain AND a.address = t.to_address \
         LEFT JOIN prices_daily p ON p.asset = t.asset AND p.day = {day}"
    )
}

/// METHODOLOGY §2: copies of one identity numbered by file, then row order
/// (a USD value above $10^12 is a reject, not a copy).
fn ranked() -> String {
    "SELECT *, ROW_NUMBER() OVER (PARTITION BY chain, tx_hash, transfer_index ORDER BY _file, _row) AS copy \
     FROM scam_bound WHERE usd IS NULL OR usd <= 1.0E12"
        .to_string()
}

/// Senders that are scam addresses; a UTXO sender `A+B` is one when any
/// of its addresses is.
fn scam_senders() -> String {
    "SELECT DISTINCT t.chain, t.from_address FROM (SELECT chain, from_address, \
     explode(split(from_address, '[+]')) AS part FROM ranked WHERE copy = 1) t \
     JOIN addresses s ON s.chain = t.chain AND s.address = t.part"
        .to_string()
}

/// One row per kept scam-bound transfer in `--from`/`--to`: attribution,
/// flow class and value in micro-dollars (half away from zero).
fn flows(shape: &Shape) -> String {
    let mut range = String::new();
    if let Some(from) = shape.days.0 {
        range.push_str(&format!(" AND t.day >= {from}"));
    }
    if let Some(to) = shape.days.1 {
        range.push_str(&format!(" AND t.day <= {to}"));
    }
    format!(
        "SELECT t.chain, t.tx_hash, t.transfer_index, t.block_time, t.day, t.from_address, \
         t.to_address, t.asset, t.amount, a.scam_type, a.region, a.label, \
         CASE WHEN t.from_address = t.to_address THEN 'self' \
         WHEN s.from_address IS NOT NULL THEN 'internal' ELSE 'revenue' END AS flow, \
         CAST(round(t.usd * CAST(1000000 AS DOUBLE)) AS BIGINT) AS usd_micro, \
         {} AS period_start, {} AS year_start \
         FROM ranked t JOIN addresses a ON a.chain = t.chain AND a.address = t.to_address \
         LEFT JOIN scam_senders s ON s.chain = t.chain AND s.from_address = t.from_address \
         WHERE t.copy = 1{range}",
        period_start("t.day", shape.period),
        period_start("t.day", Period::Year)
    )
}

/// `input, _file, _row, _rule, value, usd` of every rejected row.
pub fn rejects_query() -> String {
    let mut parts: Vec<String> = [InputKind::Prices, InputKind::Reports, InputKind::Transfers]
        .iter()
        .map(|k| {
            format!(
                "SELECT {} AS input, _file, _row, CAST(_rule AS BIGINT) AS _rule, {} AS value, \
                 CAST(NULL AS DOUBLE) AS usd FROM {} WHERE _rule IS NOT NULL",
                quote(k.name()),
                reject_value(*k),
                checked_view(*k)
            )
        })
        .collect();
    parts.push(format!(
        "SELECT 'reports', _file, _row, CAST({IMPLAUSIBLE_LOSS} AS BIGINT), CAST(NULL AS STRING), loss_usd_valued \
         FROM reports_valued WHERE loss_valued AND loss_usd_valued > 1.0E12"
    ));
    parts.push(format!(
        "SELECT 'transfers', _file, _row, CAST({IMPLAUSIBLE_AMOUNT} AS BIGINT), CAST(NULL AS STRING), usd \
         FROM scam_bound WHERE usd > 1.0E12"
    ));
    parts.join(" UNION ALL ")
}

/// `input, _file, rows_read, duplicates` per file with rows.
pub fn counts_query() -> String {
    let mut parts: Vec<String> = [InputKind::Prices, InputKind::Reports, InputKind::Transfers]
        .iter()
        .map(|k| {
            format!(
                "SELECT {} AS input, _file, COUNT(*) AS rows_read, CAST(0 AS BIGINT) AS duplicates \
                 FROM {} GROUP BY _file",
                quote(k.name()),
                checked_view(*k)
            )
        })
        .collect();
    parts.push(
        "SELECT 'prices', _file, CAST(0 AS BIGINT), COUNT(*) FROM prices_usable WHERE copy > 1 GROUP BY _file"
            .to_string(),
    );
    parts.push(
        "SELECT 'transfers', _file, CAST(0 AS BIGINT), COUNT(*) FROM ranked WHERE copy > 1 GROUP BY _file"
            .to_string(),
    );
    parts.join(" UNION ALL ")
}

/// Raw labels of the kept reports with their counts (the client maps them
/// through the taxonomy: one implementation of §3 for every engine).
pub fn labels_query() -> String {
    format!("SELECT scam_type, COUNT(*) AS n FROM ({REPORTS_KEPT}) GROUP BY scam_type")
}

/// Distinct country texts of the kept reports ("" for none).
pub fn countries_query() -> String {
    format!("SELECT DISTINCT COALESCE(country, '') AS country FROM ({REPORTS_KEPT})")
}

/// Earliest and latest `reported_day` of the reports used.
pub const REPORTED_DAYS: &str =
    "SELECT MIN(reported_day) AS first_day, MAX(reported_day) AS last_day FROM reports_used";

pub const ADDRESSES_QUERY: &str = "SELECT chain, address, scam_type, region, label, reports, first_day \
     FROM addresses ORDER BY chain, address";

pub const FLOWS_QUERY: &str = "SELECT chain, tx_hash, transfer_index, block_time, day, from_address, \
     to_address, asset, amount, scam_type, region, label, flow, usd_micro FROM flows \
     ORDER BY chain, tx_hash, transfer_index";

/// The middle values of `value` within each group of `long` (which has
/// `level, start, scam_type, region`), as `median_lo`, `median_hi`.
fn middles(long: &str, value: &str, extra: &str) -> String {
    let keys = "level, start, scam_type, region";
    format!(
        "SELECT {keys}, {extra}COALESCE(SUM({value}), 0) AS {value}_sum, \
         MIN(CASE WHEN pos = (priced + 1) DIV 2 THEN {value} END) AS median_lo, \
         MIN(CASE WHEN pos = priced DIV 2 + 1 THEN {value} END) AS median_hi \
         FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {value} ASC NULLS LAST) AS pos, \
         COUNT({value}) OVER (PARTITION BY {keys}) AS priced FROM {long}) GROUP BY {keys}"
    )
}

/// The levels a rollup groups: `(level, start column, keeps type, keeps region)`.
fn levels(period: Period) -> Vec<(usize, &'static str, bool, bool)> {
    let mut out = Vec::new();
    let starts: &[&str] = match period {
        Period::Year => &["period_start"],
        _ => &["period_start", "year_start"],
    };
    for (s, start) in starts.iter().enumerate() {
        for (k, (t, r)) in [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .enumerate()
        {
            out.push((s * 4 + k, *start, t, r));
        }
    }
    out
}

/// Every revenue rollup in one query: `level` (0–3: type × region, type,
/// region, total per period; 4–7 the same per year), `start`, the keys,
/// `usd_micro_sum`, `deposits`, `unpriced_deposits`, `senders` and the
/// two middle values of the priced deposits.
pub fn rollups_query(period: Period) -> String {
    let rows: Vec<String> = levels(period)
        .into_iter()
        .map(|(level, start, t, r)| format!("({level}, {}, {t}, {r})", start == "year_start"))
        .collect();
    // one pass over the flows, each row repeated once per level (a UNION
    // of eight SELECTs would compute the flows eight times)
    let long = format!(
        "(SELECT l.level, CASE WHEN l.yearly THEN f.year_start ELSE f.period_start END AS start, \
         CASE WHEN l.by_type THEN f.scam_type END AS scam_type, \
         CASE WHEN l.by_region THEN f.region END AS region, f.usd_micro, \
         concat(f.chain, char(31), f.from_address) AS sender \
         FROM (SELECT * FROM flows WHERE flow = 'revenue') f \
         CROSS JOIN (VALUES {}) AS l(level, yearly, by_type, by_region))",
        rows.join(", ")
    );
    format!(
        "{} ORDER BY level, start, scam_type, region",
        middles(
            &long,
            "usd_micro",
            "COUNT(*) AS deposits, COUNT(*) - COUNT(usd_micro) AS unpriced_deposits, \
             COUNT(DISTINCT sender) AS senders, "
        )
    )
}

/// Internal flows per period (level 0) and per year (level 1).
pub fn internal_query(period: Period) -> String {
    let levels = match period {
        Period::Year => "(0, false)",
        _ => "(0, false), (1, true)",
    };
    format!(
        "SELECT level, start, COUNT(*) AS internal_transfers, \
         COALESCE(SUM(usd_micro), 0) AS internal_micro FROM \
         (SELECT l.level, CASE WHEN l.yearly THEN f.year_start ELSE f.period_start END AS start, \
         f.usd_micro FROM (SELECT * FROM flows WHERE flow = 'internal') f \
         CROSS JOIN (VALUES {levels}) AS l(level, yearly)) GROUP BY level, start"
    )
}

/// `reported_losses` aggregates per period (level 0) and year (level 1).
pub fn losses_query(shape: &Shape) -> String {
    let mut range = Vec::new();
    if let Some(from) = shape.days.0 {
        range.push(format!("reported_day >= {from}"));
    }
    if let Some(to) = shape.days.1 {
        range.push(format!("reported_day <= {to}"));
    }
    let filter = match range.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", range.join(" AND ")),
    };
    let levels = match shape.period {
        Period::Year => "(0, false)",
        _ => "(0, false), (1, true)",
    };
    let long = format!(
        "(SELECT l.level, CASE WHEN l.yearly THEN {} ELSE {} END AS start, \
         r.scam_type, r.region, r.report_id, concat(r.chain, char(31), r.address) AS addr, r.loss_usd \
         FROM (SELECT * FROM reports_used{filter}) r CROSS JOIN (VALUES {levels}) AS l(level, yearly))",
        period_start("r.reported_day", Period::Year),
        period_start("r.reported_day", shape.period)
    );
    let keys = "level, start, scam_type, region";
    let per_report = format!(
        "(SELECT {keys}, report_id, CAST(round(MAX(loss_usd) * CAST(1000000 AS DOUBLE)) AS BIGINT) AS loss \
         FROM {long} GROUP BY {keys}, report_id)"
    );
    format!(
        "SELECT c.level, c.start, c.scam_type, c.region, c.reports, c.addresses, l.loss_sum, \
         l.median_lo, l.median_hi FROM (SELECT {keys}, COUNT(DISTINCT report_id) AS reports, \
         COUNT(DISTINCT addr) AS addresses FROM {long} GROUP BY {keys}) c JOIN ({}) l \
         ON l.level = c.level AND l.start = c.start AND l.scam_type = c.scam_type AND l.region = c.region \
         ORDER BY c.level, c.start, c.scam_type, c.region",
        middles(&per_report, "loss", "")
    )
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
    fn rules_are_tried_in_the_shared_order() {
        let sql = checked(InputKind::Prices, &[]);
        // prices: date missing, date invalid, asset missing, price not a number
        let whens: Vec<&str> = sql.split("WHEN ").skip(1).collect();
        assert!(whens[0].starts_with("`date__raw` IS NULL THEN 0"), "{sql}");
        assert!(whens.iter().any(|w| w.contains("THEN 3")));
        assert!(sql.contains("WHERE 1 = 0"), "no files: an empty relation");
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

    #[test]
    fn typed_parquet_columns_are_cast_not_parsed() {
        let view = FileView {
            file: 2,
            view: "src_transfers_2".into(),
            columns: vec![
                ("amount".into(), SourceType::Float),
                ("block_time".into(), SourceType::Timestamp),
            ],
            numbered: false,
        };
        let sql = typed_file(InputKind::Transfers, &view);
        assert!(
            sql.contains("CAST(`amount__src` AS DOUBLE) AS `amount`"),
            "{sql}"
        );
        assert!(sql.contains("unix_seconds(`block_time__src`)"));
        assert!(sql.contains("CAST(NULL AS STRING) AS `chain__raw`"));
        assert!(sql.starts_with("SELECT _file, _row"));
        assert!(sql.contains("2 AS _file"));
        assert!(sql.contains("ROW_NUMBER() OVER (ORDER BY monotonically_increasing_id())"));
        let numbered = typed_file(
            InputKind::Transfers,
            &FileView {
                numbered: true,
                ..view
            },
        );
        assert!(
            numbered.contains("CAST(`_scamtrends_row` AS INT) AS _row"),
            "{numbered}"
        );
        assert!(!numbered.contains("monotonically_increasing_id"));
    }
}
