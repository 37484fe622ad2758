//! Validation and normalisation (METHODOLOGY §1–2), as lazy expressions.
//!
//! Each input kind has a declarative column table ([`InputKind::columns`]);
//! `readers::scan` uses it to type raw columns, and [`with_reject_columns`] adds
//! `reject_reason`, `reject_column` and `reject_value` (null on a valid row)
//! from an ordered rule list: the first rule a row breaks is its reason.
//! Nothing here reads files or collects frames.

pub mod timestamps;

pub mod checks;

use polars::prelude::*;

use crate::method::pricing::MAX_USD;
use crate::model::InputKind;
use crate::names::{REJECT_COLUMN, REJECT_REASON, REJECT_VALUE};

/// How a column's raw value is typed and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Trimmed text.
    Text,
    /// Trimmed, lowercased (`chain`).
    Lower,
    /// Trimmed, uppercased (`asset`).
    Upper,
    /// Address normalisation: lowercase for EVM and bech32, else as is.
    Address,
    /// Trimmed; lowercased when it starts with `0x` (`tx_hash`).
    Hash,
    /// A float (`amount`, `amount_usd`, `loss_usd`, `price_usd`).
    Float,
    /// An integer (`transfer_index`).
    Integer,
    /// A timestamp → UTC Unix seconds; `true` also accepts a bare date.
    Timestamp(bool),
}

/// One canonical column.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
    pub kind: ColumnKind,
}

const fn spec(name: &'static str, required: bool, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        required,
        kind,
    }
}

use ColumnKind::*;

const TRANSFERS: &[ColumnSpec] = &[
    spec("chain", true, Lower),
    spec("tx_hash", true, Hash),
    spec("transfer_index", false, Integer),
    spec("block_time", true, Timestamp(false)),
    spec("from_address", true, Address),
    spec("to_address", true, Address),
    spec("asset", true, Upper),
    spec("amount", true, Float),
    spec("amount_usd", false, Float),
];

const REPORTS: &[ColumnSpec] = &[
    spec("report_id", true, Text),
    spec("reported_at", true, Timestamp(true)),
    spec("chain", true, Lower),
    spec("address", true, Address),
    spec("scam_type", true, Text),
    spec("country", false, Text),
    spec("loss_usd", false, Float),
    spec("source", false, Text),
    spec("label", false, Text),
    // a loss reported in an asset, valued at the day's price when `loss_usd` is empty
    spec("loss_amount", false, Float),
    spec("loss_asset", false, Upper),
];

const PRICES: &[ColumnSpec] = &[
    spec("date", true, Timestamp(true)),
    spec("asset", true, Upper),
    spec("price_usd", true, Float),
];

impl InputKind {
    /// The canonical columns of this input, in output order.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            InputKind::Transfers => TRANSFERS,
            InputKind::Reports => REPORTS,
            InputKind::Prices => PRICES,
        }
    }
}

/// Name of the raw-text twin of a typed column (kept for reject messages).
pub fn raw_name(column: &str) -> String {
    format!("{column}__raw")
}

/// What breaks a rule, over a column's typed value and its raw text. One
/// declarative list serves every engine: the local engine renders it as
/// polars expressions, the Spark engine as SQL (`engine::spark::sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// No raw text (absent, empty or blank).
    Missing,
    /// Raw text that did not parse as the column's type.
    Unparsed,
    /// NaN or ±infinity.
    NotFinite,
    /// Below zero.
    Negative,
    /// A USD value above [`MAX_USD`].
    AboveMaxUsd,
}

/// A rule: the column it checks, the reason code, and when a row breaks it.
#[derive(Debug, Clone, Copy)]
pub struct RuleSpec {
    pub column: &'static str,
    pub reason: &'static str,
    pub broken: Broken,
    /// How the checked column is typed.
    pub kind: ColumnKind,
}

impl RuleSpec {
    /// The rule as a polars predicate over `column` and its raw twin.
    fn expr(&self) -> Expr {
        let value = col(self.column);
        let raw = col(raw_name(self.column));
        match self.broken {
            Broken::Missing => raw.is_null(),
            Broken::Unparsed => raw.is_not_null().and(value.is_null()),
            Broken::NotFinite => value.clone().is_nan().or(value.is_infinite()),
            Broken::Negative if self.kind == Integer => value.lt(lit(0i64)),
            Broken::Negative => value.lt(lit(0.0)),
            Broken::AboveMaxUsd => value.gt(lit(MAX_USD)),
        }
    }
}

/// Add `reject_reason`, `reject_column` and `reject_value` to a typed frame.
/// The first broken rule is found as a small integer per row (one chain of
/// integer `when`s); reason, column and value are then looked up from it in
/// one pass each, building text only for rejected rows.
pub fn with_reject_columns(lf: LazyFrame, kind: InputKind) -> LazyFrame {
    let rules = rule_specs(kind);
    let first_broken = rules
        .iter()
        .enumerate()
        .rev()
        .fold(lit(NULL).cast(DataType::UInt32), |acc, (k, rule)| {
            when(rule.expr()).then(lit(k as u32)).otherwise(acc)
        });
    let reasons: Vec<&'static str> = rules.iter().map(|r| r.reason).collect();
    let columns: Vec<&'static str> = rules.iter().map(|r| r.column).collect();
    let mut raw_columns: Vec<&'static str> = columns.clone();
    raw_columns.dedup();
    let raw_of: Vec<usize> = columns
        .iter()
        .map(|c| raw_columns.iter().position(|r| r == c).unwrap_or(0))
        .collect();
    lf.with_column(first_broken.alias("_rule"))
        .with_columns([
            rule_label(reasons).alias(REJECT_REASON),
            rule_label(columns).alias(REJECT_COLUMN),
            rule_value(&raw_columns, raw_of).alias(REJECT_VALUE),
        ])
        .drop(cols(["_rule"]))
}

/// The text of each row's broken rule (`_rule`) from a table of labels.
fn rule_label(labels: Vec<&'static str>) -> Expr {
    col("_rule").map(
        move |c| {
            let out: StringChunked = c
                .u32()?
                .iter()
                .map(|k| k.and_then(|k| labels.get(k as usize).copied()))
                .collect();
            Ok(out.into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// The raw text of the column each row's broken rule checks.
fn rule_value(raw_columns: &[&'static str], raw_of: Vec<usize>) -> Expr {
    let inputs: Vec<Expr> = raw_columns.iter().map(|c| col(raw_name(c))).collect();
    col("_rule").map_many(
        move |cs: &mut [Column]| {
            let rule = cs[0].u32()?.clone();
            let raws = cs[1..]
                .iter()
                .map(|c| c.str().cloned())
                .collect::<PolarsResult<Vec<_>>>()?;
            let out: StringChunked = rule
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let raw = &raws[*raw_of.get(k? as usize)?];
                    raw.get(i)
                })
                .collect();
            Ok(out.into_column())
        },
        &inputs,
        |_, _| Ok(Field::new(REJECT_VALUE.into(), DataType::String)),
    )
}

/// Every rule of an input kind in the order they are tried: the first a
/// row breaks is its reason.
pub fn rule_specs(kind: InputKind) -> Vec<RuleSpec> {
    let mut rules = Vec::new();
    for c in kind.columns() {
        rules.extend(column_rules(kind, c));
    }
    rules
}

/// The rules one column imposes, most basic first.
fn column_rules(kind: InputKind, c: &ColumnSpec) -> Vec<RuleSpec> {
    let rule = |reason, broken| RuleSpec {
        column: c.name,
        reason,
        broken,
        kind: c.kind,
    };
    let mut rules = Vec::new();
    if c.required && !(kind == InputKind::Prices && c.name == "price_usd") {
        rules.push(rule("missing_value", Broken::Missing));
    }
    match c.kind {
        Float => {
            rules.push(rule("not_a_number", Broken::Unparsed));
            // METHODOLOGY §1: a price ≤ 0 or NaN is missing, not a reject.
            if kind != InputKind::Prices {
                rules.push(rule("not_finite", Broken::NotFinite));
                rules.push(rule("negative", Broken::Negative));
            }
            // a USD value above $10^12 for one transfer or report cannot be
            // real, and its micro-dollars would not fit the sums
            if matches!(c.name, "amount_usd" | "loss_usd") {
                rules.push(rule("implausible_usd", Broken::AboveMaxUsd));
            }
        }
        Integer => {
            rules.push(rule("not_an_integer", Broken::Unparsed));
            rules.push(rule("negative", Broken::Negative));
        }
        Timestamp(_) => {
            rules.push(rule("invalid_timestamp", Broken::Unparsed));
        }
        _ => {}
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfers_frame() -> DataFrame {
        let mut cols = Vec::new();
        let n = 4;
        for c in TRANSFERS {
            let raw: Vec<Option<&str>> = vec![Some("x"); n];
            cols.push(Column::new(raw_name(c.name).into(), raw));
        }
        let mut df = DataFrame::new(n, cols).unwrap();
        df.with_column(Column::new(
            "chain".into(),
            ["tron", "tron", "tron", "tron"],
        ))
        .unwrap();
        df.with_column(Column::new(
            "amount".into(),
            [Some(1.0), Some(-4.0), None, Some(f64::INFINITY)],
        ))
        .unwrap();
        df.with_column(Column::new("amount_usd".into(), [None::<f64>; 4]))
            .unwrap();
        df.with_column(Column::new(
            "transfer_index".into(),
            [Some(0i64), Some(0), Some(0), Some(0)],
        ))
        .unwrap();
        df.with_column(Column::new(
            "block_time".into(),
            [Some(1i64), Some(1), Some(1), Some(1)],
        ))
        .unwrap();
        df.with_column(Column::new("amount_usd__raw".into(), [None::<&str>; 4]))
            .unwrap();
        df
    }

    #[test]
    fn the_first_broken_rule_names_the_reason() {
        let out = with_reject_columns(transfers_frame().lazy(), InputKind::Transfers)
            .select([col("reject_reason"), col("reject_column")])
            .collect()
            .unwrap();
        let reasons: Vec<_> = out
            .column("reject_reason")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            reasons,
            [
                None,
                Some("negative"),
                Some("not_a_number"),
                Some("not_finite")
            ]
        );
        let cols: Vec<_> = out
            .column("reject_column")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(cols[1], Some("amount"));
    }
}
