//! Each input file typed on the server as the local reader types it, and
//! checked against the shared rule list (`method::validate::rule_specs`):
//! `_rule` is the first rule a row breaks.

use super::{FIELD_COUNT, FileView, MAX_DOUBLE, ROW_COLUMN, SourceType, ident, quote, values};
use crate::method::validate::{Broken, ColumnKind, RuleSpec, raw_name, rule_specs};
use crate::model::InputKind;
use crate::readers::scan::seconds_name;

/// Whitespace a raw value is trimmed of.
const WHITESPACE: &str = "concat(' ', char(9), char(10), char(13))";

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
        (_, None) => format!("CAST(NULL AS {})", sql_type(kind)),
        (ColumnKind::Text, _) => raw,
        (ColumnKind::Lower, _) => format!("lower({raw})"),
        (ColumnKind::Upper, _) => format!("upper({raw})"),
        (ColumnKind::Hash, _) => lower_when_prefixed(&raw, &["0x"]),
        (ColumnKind::Address, _) => lower_when_prefixed(&raw, &["0x", "bc1", "tb1", "ltc1"]),
        (ColumnKind::Float, Some(t)) if t.is_number() => {
            format!("CAST({src} AS DOUBLE)")
        }
        (ColumnKind::Float, _) => parse_float(&raw),
        (ColumnKind::Integer, Some(t)) if t.is_number() => {
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
        let seconds = seconds_name(c.name);
        let value = match view.source_type(&seconds) {
            // a mapping's timestamp format, parsed by the client
            Some(_) => {
                inner.push(ident(&seconds));
                format!("CAST({} AS BIGINT)", ident(&seconds))
            }
            None => typed(c.kind, c.name, source),
        };
        outer.push(format!("{value} AS {}", ident(c.name)));
        outer.push(raw);
    }
    outer.extend(float_twins(kind, |name, bits| {
        match (view.source_type(name), bits) {
            (Some(SourceType::Double), 64) | (Some(SourceType::Single), 32) => {
                format!("CAST({} AS DOUBLE)", ident(&format!("{name}__src")))
            }
            _ => "CAST(NULL AS DOUBLE)".to_string(),
        }
    }));
    let rows = format!("(SELECT {} FROM {})", inner.join(", "), ident(&view.view));
    if view.ragged.is_empty() {
        outer.push("CAST(NULL AS STRING) AS _ragged".to_string());
        return format!("SELECT {} FROM {rows}", outer.join(", "));
    }
    outer.push("rg._ragged".to_string());
    let ragged: Vec<Vec<String>> = view
        .ragged
        .iter()
        .map(|(row, value)| vec![row.to_string(), quote(value)])
        .collect();
    format!(
        "SELECT {} FROM {rows} LEFT JOIN ({}) rg ON _row = rg._rrow",
        outer.join(", "),
        values(&ragged, &["_rrow", "_ragged"], &["BIGINT", "STRING"])
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
    // a ragged row is rejected before any other rule (its fields are not
    // where the header says)
    let mut cases = vec![format!("WHEN _ragged IS NOT NULL THEN {FIELD_COUNT}")];
    cases.extend(
        rule_specs(kind)
            .iter()
            .enumerate()
            .map(|(k, r)| format!("WHEN {} THEN {k}", broken(r))),
    );
    let rule = format!("CAST(CASE {} END AS INT)", cases.join(" "));
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
    cols.extend(float_twins(kind, |_, _| "CAST(NULL AS DOUBLE)".to_string()));
    cols.push("CAST(NULL AS STRING) AS _ragged".to_string());
    format!("SELECT {} WHERE 1 = 0", cols.join(", "))
}

/// The transfers of an ingest store as the checked view (`store_bound`:
/// rows checked at ingest and decoded by the client, `engine::spark::store`):
/// every row valid, no raw text to reject.
pub fn store_checked(view: &str) -> String {
    let kind = InputKind::Transfers;
    let mut cols = vec![
        "CAST(_file AS INT) AS _file".to_string(),
        "CAST(_row AS BIGINT) AS _row".to_string(),
    ];
    for c in kind.columns() {
        let name = ident(c.name);
        cols.push(format!("CAST({name} AS {}) AS {name}", sql_type(c.kind)));
        cols.push(format!(
            "CAST(NULL AS STRING) AS {}",
            ident(&raw_name(c.name))
        ));
    }
    cols.extend(float_twins(kind, |_, _| "CAST(NULL AS DOUBLE)".to_string()));
    cols.push("CAST(NULL AS STRING) AS _ragged".to_string());
    cols.push("CAST(NULL AS INT) AS _rule".to_string());
    format!("SELECT {} FROM {}", cols.join(", "), ident(view))
}

/// The server type of a typed canonical column.
fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Float => "DOUBLE",
        ColumnKind::Integer | ColumnKind::Timestamp(_) => "BIGINT",
        _ => "STRING",
    }
}

/// The columns a reject can name, each once, in rule order.
fn rule_columns(kind: InputKind) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in rule_specs(kind) {
        if !out.contains(&r.column) {
            out.push(r.column);
        }
    }
    out
}

/// The name of a column's float twin: the file's own float of `bits`
/// bits (as a double), NULL when the file does not type it so.
fn twin_name(column: &str, bits: u8) -> String {
    format!("{column}__f{bits}")
}

/// `expr AS twin` for both float twins of every column a reject can name.
fn float_twins(kind: InputKind, expr: impl Fn(&str, u8) -> String) -> Vec<String> {
    rule_columns(kind)
        .into_iter()
        .flat_map(|c| [64, 32].map(|bits| (c, bits)))
        .map(|(c, bits)| format!("{} AS {}", expr(c, bits), ident(&twin_name(c, bits))))
        .collect()
}

/// The float a rejected row's first broken rule checked, when its file
/// types that column as a float of `bits` bits: the client spells it, as
/// the local reader does (engines spell doubles differently).
pub(super) fn reject_float(kind: InputKind, bits: u8) -> String {
    let cases: Vec<String> = rule_specs(kind)
        .iter()
        .enumerate()
        .map(|(k, r)| format!("WHEN {k} THEN {}", ident(&twin_name(r.column, bits))))
        .collect();
    format!("CASE _rule {} END", cases.join(" "))
}

/// The raw value a rejected row's first broken rule checked.
pub(super) fn reject_value(kind: InputKind) -> String {
    let mut cases = vec![format!("WHEN {FIELD_COUNT} THEN _ragged")];
    cases.extend(
        rule_specs(kind)
            .iter()
            .enumerate()
            .map(|(k, r)| format!("WHEN {k} THEN {}", ident(&raw_name(r.column)))),
    );
    format!("CASE _rule {} END", cases.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_tried_in_the_shared_order() {
        let sql = checked(InputKind::Prices, &[]);
        // prices: a ragged row first, then date missing, date invalid,
        // asset missing, price not a number
        let whens: Vec<&str> = sql.split("WHEN ").skip(1).collect();
        assert!(whens[0].starts_with("_ragged IS NOT NULL THEN -3"), "{sql}");
        assert!(whens[1].starts_with("`date__raw` IS NULL THEN 0"), "{sql}");
        assert!(whens.iter().any(|w| w.contains("THEN 3")));
        assert!(sql.contains("WHERE 1 = 0"), "no files: an empty relation");
    }

    #[test]
    fn a_timestamp_the_client_parsed_is_taken_as_it_is() {
        let view = FileView {
            file: 0,
            view: "src_transfers_0".into(),
            columns: vec![
                ("block_time".into(), SourceType::Text),
                ("block_time__seconds".into(), SourceType::Integer),
            ],
            numbered: true,
            ragged: Vec::new(),
        };
        let sql = typed_file(InputKind::Transfers, &view);
        assert!(
            sql.contains("CAST(`block_time__seconds` AS BIGINT) AS `block_time`"),
            "{sql}"
        );
        // the raw text stays for the missing rule and the reject value
        assert!(sql.contains("AS `block_time__raw`"), "{sql}");
        assert!(!sql.contains("regexp_extract"), "not parsed again: {sql}");
    }

    #[test]
    fn typed_parquet_columns_are_cast_not_parsed() {
        let view = FileView {
            file: 2,
            view: "src_transfers_2".into(),
            columns: vec![
                ("amount".into(), SourceType::Double),
                ("block_time".into(), SourceType::Timestamp),
            ],
            numbered: false,
            ragged: Vec::new(),
        };
        let sql = typed_file(InputKind::Transfers, &view);
        assert!(
            sql.contains("CAST(`amount__src` AS DOUBLE) AS `amount`"),
            "{sql}"
        );
        assert!(sql.contains("unix_seconds(`block_time__src`)"));
        // a double's reject value goes back as the number (the client
        // spells it); a file without that float type sends NULL
        assert!(
            sql.contains("CAST(`amount__src` AS DOUBLE) AS `amount__f64`"),
            "{sql}"
        );
        assert!(sql.contains("CAST(NULL AS DOUBLE) AS `amount__f32`"));
        assert!(reject_float(InputKind::Transfers, 64).contains("THEN `amount__f64`"));
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

    #[test]
    fn ragged_rows_are_joined_in_and_rejected_before_any_rule() {
        let view = FileView {
            file: 0,
            view: "src_transfers_0".into(),
            columns: vec![("amount".into(), SourceType::Text)],
            numbered: false,
            ragged: vec![(7, "2 fields; the header has 9".into())],
        };
        let sql = typed_file(InputKind::Transfers, &view);
        assert!(sql.contains("LEFT JOIN"), "{sql}");
        assert!(sql.contains("(7, '2 fields; the header has 9')"), "{sql}");
        let checked = checked(InputKind::Transfers, &[view]);
        assert!(
            checked.contains(&format!(
                "CASE WHEN _ragged IS NOT NULL THEN {FIELD_COUNT} WHEN"
            )),
            "{checked}"
        );
        assert!(
            reject_value(InputKind::Transfers)
                .contains(&format!("WHEN {FIELD_COUNT} THEN _ragged"))
        );
    }
}
