//! Scanning one input file into a typed, normalised lazy frame.
//!
//! CSV is read with every column as text (so that nothing is silently coerced);
//! Parquet keeps its types and each column is converted by its dtype. The frame
//! has `_row` (1-based data row), each canonical column normalised to its
//! type, and `<column>__raw` text twins for reject messages. A missing required
//! column is a bad-input error naming the file, the column and what exists.

use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use crate::error::bad_input;
use crate::method::validate::timestamps::parse_timestamp;
use crate::method::validate::{ColumnKind, ColumnSpec, raw_name};
use crate::model::{InputFile, InputKind};
use crate::names::{PRESET_TOKEN_TRANSFERS, PRESET_TRANSACTIONS, ROW, ROW_NUMBER};
use crate::readers::convert::Readable;
use crate::readers::ethereum_etl;
use crate::readers::mapping::{KindMapping, parse_with_format};
use crate::readers::tokens::TokenRegistry;

/// A typed lazy frame over one file (`readable` is the decompressed path).
pub fn scan_typed(
    file: &InputFile,
    readable: &Readable,
    kind: InputKind,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<LazyFrame> {
    let cannot_read = cannot_read(kind, file);
    let mut lf = scan_raw(file, readable)?;
    if let Some(keep) = &readable.keep {
        lf = lf.filter(keep.clone());
    }
    let mut schema = lf.collect_schema().map_err(cannot_read)?;
    if let Some(projection) = layout_projection(file, kind, &schema, mapping, tokens)? {
        lf = lf.select(projection);
        schema = lf.collect_schema().map_err(cannot_read)?;
    }
    check_columns(file, kind, &schema)?;
    let format = mapping.and_then(|m| m.timestamp_format.clone());
    let mut exprs = vec![col(ROW).cast(DataType::Int64)];
    for c in kind.columns() {
        exprs.extend(typed_column(c, schema.get(c.name), format.as_deref()));
    }
    Ok(lf.select(exprs))
}

/// The error for a file polars cannot read, naming it.
fn cannot_read(
    kind: InputKind,
    file: &InputFile,
) -> impl Fn(PolarsError) -> anyhow::Error + Copy + '_ {
    move |e| {
        bad_input(format!(
            "{} file {}: cannot read: {e}",
            kind.name(),
            file.path.display()
        ))
    }
}

/// The column beside a text timestamp column of a [`canonical_untyped`]
/// frame with the UTC Unix seconds the mapping's `timestamp_format` reads
/// from it (null where it does not parse).
pub fn seconds_name(column: &str) -> String {
    format!("{column}__seconds")
}

/// One file projected onto the canonical columns it has, with `_row`, before
/// any column is typed, trimmed or checked: what [`scan_typed`] types. For an
/// engine that reads files itself (the Spark engine writes this as its copy
/// of the file). A mapping's `timestamp_format` is a chrono format no SQL
/// engine parses alike, so each text timestamp column also comes parsed,
/// as [`seconds_name`]. `None`: the file is read as it is (canonical layout,
/// no column mapping or timestamp format, not converted from another format).
pub fn canonical_untyped(
    file: &InputFile,
    readable: &Readable,
    kind: InputKind,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<Option<LazyFrame>> {
    let cannot_read = cannot_read(kind, file);
    let mut lf = scan_raw(file, readable)?;
    let schema = lf.collect_schema().map_err(cannot_read)?;
    let projection = layout_projection(file, kind, &schema, mapping, tokens)?;
    let format = mapping.and_then(|m| m.timestamp_format.clone());
    if projection.is_none() && !is_converted(file, readable) && format.is_none() {
        return Ok(None);
    }
    if let Some(projection) = projection {
        lf = lf.select(projection);
    }
    let schema = lf.collect_schema().map_err(cannot_read)?;
    check_columns(file, kind, &schema)?;
    let mut exprs = vec![col(ROW)];
    for c in kind.columns() {
        let Some(dtype) = schema.get(c.name) else {
            continue;
        };
        exprs.push(col(c.name));
        if let (ColumnKind::Timestamp(date_ok), Some(format), DataType::String) =
            (c.kind, &format, dtype)
        {
            let format = format.clone();
            let seconds = col(c.name).map(
                move |v| parse_timestamp_column(&v, date_ok, Some(&format)),
                |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
            );
            exprs.push(seconds.alias(seconds_name(c.name)));
        }
    }
    Ok(Some(lf.select(exprs)))
}

/// The reader scans a canonical CSV written from another format (JSON,
/// a TagPack, bitcoin-etl's CSV, BigQuery's nested Parquet), not the file.
pub fn is_converted(file: &InputFile, readable: &Readable) -> bool {
    use crate::model::FileFormat;
    readable.layout.is_some()
        || !matches!(
            file.format,
            FileFormat::Csv | FileFormat::CsvGz | FileFormat::CsvZst | FileFormat::Parquet
        )
}

/// The projection onto canonical columns: a forced preset, a column mapping,
/// or a layout detected from the header (logged); `None` for canonical files.
fn layout_projection(
    file: &InputFile,
    kind: InputKind,
    schema: &Schema,
    mapping: Option<&KindMapping>,
    tokens: &Arc<TokenRegistry>,
) -> Result<Option<Vec<Expr>>> {
    let forced = mapping.and_then(|m| m.format.as_deref());
    let name = file.path.display();
    let token_transfers = ethereum_etl::is_token_transfers(schema);
    let transactions = ethereum_etl::is_transactions(schema);
    let wrong = |preset: &str, needs: &str| {
        bad_input(format!(
            "{} file {name}: --transfers-format {preset} needs the columns {needs}",
            kind.name()
        ))
    };
    Ok(match forced {
        Some(PRESET_TOKEN_TRANSFERS) if !token_transfers => {
            return Err(wrong(
                PRESET_TOKEN_TRANSFERS,
                "token_address, from_address, to_address, value, transaction_hash, log_index",
            ));
        }
        Some(PRESET_TRANSACTIONS) if !transactions => {
            return Err(wrong(
                PRESET_TRANSACTIONS,
                "hash, nonce, from_address, to_address, value",
            ));
        }
        Some(PRESET_TOKEN_TRANSFERS) => {
            Some(ethereum_etl::project(schema, ROW, "ethereum", tokens))
        }
        Some(PRESET_TRANSACTIONS) => Some(ethereum_etl::project_transactions(schema, ROW)),
        _ if mapping.is_some_and(|m| !m.columns.is_empty() || !m.constants.is_empty()) => {
            mapping.map(|m| m.project(kind, schema, ROW))
        }
        Some(_) => None, // canonical
        None if kind == InputKind::Transfers && token_transfers => {
            crate::log::info(format!(
                "{name}: detected format {PRESET_TOKEN_TRANSFERS} (chain ethereum)"
            ));
            Some(ethereum_etl::project(schema, ROW, "ethereum", tokens))
        }
        None if kind == InputKind::Transfers && transactions => {
            crate::log::info(format!(
                "{name}: detected format {PRESET_TRANSACTIONS} (native ETH)"
            ));
            Some(ethereum_etl::project_transactions(schema, ROW))
        }
        None => None,
    })
}

fn scan_raw(file: &InputFile, readable: &Readable) -> Result<LazyFrame> {
    let path = PlRefPath::try_from_path(&readable.path)?;
    let row_index = Some(RowIndex {
        name: ROW.into(),
        offset: 1,
    });
    let lf = match readable.parquet {
        true => {
            let args = ScanArgsParquet {
                row_index,
                glob: false,
                ..Default::default()
            };
            LazyFrame::scan_parquet(path, args)
        }
        false => LazyCsvReader::new(path)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_row_index(row_index.filter(|_| !readable.numbered))
            .with_glob(false)
            .with_truncate_ragged_lines(true)
            .finish(),
    };
    let lf = lf.map_err(|e| bad_input(format!("{}: cannot read: {e}", file.path.display())))?;
    Ok(match readable.numbered {
        // the rows' numbers in the file this copy was taken from
        true => lf.rename([ROW_NUMBER], [ROW], true),
        false => lf,
    })
}

fn check_columns(file: &InputFile, kind: InputKind, schema: &Schema) -> Result<()> {
    let missing: Vec<&str> = kind
        .columns()
        .iter()
        .filter(|c| c.required && schema.get(c.name).is_none())
        .map(|c| c.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let present: Vec<&str> = schema
        .iter_names()
        .map(|n| n.as_str())
        .filter(|n| *n != ROW)
        .collect();
    Err(bad_input(format!(
        "{} file {}: missing required column{} {} (columns present: {})",
        kind.name(),
        file.path.display(),
        if missing.len() > 1 { "s" } else { "" },
        missing.join(", "),
        present.join(", ")
    )))
}

/// The typed column and its raw-text twin; nulls when the column is absent.
fn typed_column(c: &ColumnSpec, dtype: Option<&DataType>, format: Option<&str>) -> [Expr; 2] {
    let Some(dtype) = dtype else {
        let null_typed = lit(NULL).cast(output_dtype(c.kind));
        return [
            null_typed.alias(c.name),
            lit(NULL).cast(DataType::String).alias(raw_name(c.name)),
        ];
    };
    let text = col(c.name).cast(DataType::String);
    let raw = normalized_text(text.clone(), TextRule::Trim);
    let typed = match c.kind {
        ColumnKind::Text => raw.clone(),
        k @ (ColumnKind::Lower | ColumnKind::Upper | ColumnKind::Address | ColumnKind::Hash) => {
            normalized_text(text, text_rule(k))
        }
        ColumnKind::Float => number(c.name, dtype, raw.clone(), DataType::Float64),
        ColumnKind::Integer => number(c.name, dtype, raw.clone(), DataType::Int64),
        ColumnKind::Timestamp(date_ok) => timestamp(c.name, dtype, raw.clone(), date_ok, format),
    };
    [typed.alias(c.name), raw.alias(raw_name(c.name))]
}

/// The cleaned value of one text field as a column of `kind` is cleaned
/// (trimmed, empty → missing, then the column's case rule): what the
/// vectorised kernels compute, for one value (fuzzing, tests).
pub fn clean_value(kind: ColumnKind, raw: &str) -> Option<String> {
    let rule = text_rule(kind);
    let mut buf = String::new();
    let t = raw.trim();
    (!t.is_empty()).then(|| rule.apply(t, &mut buf).to_string())
}

/// METHODOLOGY §2: EVM (`0x`) and bech32 addresses are lowercased; base58
/// and others are case-sensitive and kept as they are.
const ADDRESS_PREFIXES: &[&str] = &["0x", "bc1", "tb1", "ltc1"];

/// How a column of `kind` is cleaned (numbers and timestamps: trimmed).
fn text_rule(kind: ColumnKind) -> TextRule {
    match kind {
        ColumnKind::Lower => TextRule::Lower,
        ColumnKind::Upper => TextRule::Upper,
        ColumnKind::Address => TextRule::LowerWhenPrefixed(ADDRESS_PREFIXES),
        ColumnKind::Hash => TextRule::LowerWhenPrefixed(&["0x"]),
        _ => TextRule::Trim,
    }
}

/// The dtype a column of this kind has after typing.
pub fn output_dtype(kind: ColumnKind) -> DataType {
    match kind {
        ColumnKind::Float => DataType::Float64,
        ColumnKind::Integer | ColumnKind::Timestamp(_) => DataType::Int64,
        _ => DataType::String,
    }
}

/// How a text column is cleaned. Every rule trims whitespace and turns an
/// empty string into a missing value first.
#[derive(Clone, Copy)]
enum TextRule {
    Trim,
    Lower,
    Upper,
    /// Lowercase only values that start (case-insensitively) with a prefix.
    LowerWhenPrefixed(&'static [&'static str]),
}

impl TextRule {
    /// The cleaned value of a trimmed, non-empty `s`, built in `buf` when it changes.
    fn apply<'a>(self, s: &'a str, buf: &'a mut String) -> &'a str {
        let lower = |buf: &'a mut String| -> &'a str {
            buf.clear();
            if s.is_ascii() {
                buf.extend(s.bytes().map(|b| b.to_ascii_lowercase() as char));
            } else {
                buf.push_str(&s.to_lowercase());
            }
            buf
        };
        match self {
            TextRule::Trim => s,
            TextRule::Lower if s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii() => {
                lower(buf)
            }
            TextRule::Lower => s,
            TextRule::Upper if s.bytes().any(|b| b.is_ascii_lowercase()) || !s.is_ascii() => {
                buf.clear();
                buf.push_str(&s.to_uppercase());
                buf
            }
            TextRule::Upper => s,
            TextRule::LowerWhenPrefixed(prefixes) => {
                let prefixed = prefixes.iter().any(|p| {
                    s.get(..p.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(p))
                });
                if prefixed { lower(buf) } else { s }
            }
        }
    }
}

/// One pass over a text column: trim, empty → null, then the rule. Fused
/// into a single kernel because this runs on every row of every transfers
/// export (the separate strip/compare/lowercase/starts_with/when kernels
/// each materialised a new string column).
fn normalized_text(e: Expr, rule: TextRule) -> Expr {
    e.map(
        move |c| {
            let ca = c.str()?;
            let mut out = StringChunkedBuilder::new(c.name().clone(), ca.len());
            let mut buf = String::new();
            for v in ca.iter() {
                match v.map(str::trim).filter(|t| !t.is_empty()) {
                    Some(t) => out.append_value(rule.apply(t, &mut buf)),
                    None => out.append_null(),
                }
            }
            Ok(out.finish().into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// METHODOLOGY §2: lowercase EVM (`0x`) and bech32 (`bc1`, `tb1`, `ltc1`)
/// addresses; base58 and others are case-sensitive and kept as they are.
/// Also trims and turns empty text into a missing value.
pub fn normalize_address(e: Expr) -> Expr {
    normalized_text(e, text_rule(ColumnKind::Address))
}

fn number(name: &str, dtype: &DataType, raw: Expr, target: DataType) -> Expr {
    if dtype.is_primitive_numeric() {
        col(name).cast(target)
    } else {
        raw.cast(target)
    }
}

fn timestamp(name: &str, dtype: &DataType, raw: Expr, date_ok: bool, format: Option<&str>) -> Expr {
    match dtype {
        DataType::Datetime(_, _) => col(name)
            .dt()
            .timestamp(TimeUnit::Milliseconds)
            .floor_div(lit(1000i64)),
        DataType::Date => col(name).cast(DataType::Int32).cast(DataType::Int64) * lit(86_400i64),
        d if d.is_integer() => col(name).cast(DataType::Int64),
        _ => {
            let format = format.map(str::to_string);
            raw.map(
                move |c| parse_timestamp_column(&c, date_ok, format.as_deref()),
                |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
            )
        }
    }
}

/// Parse a text column of timestamps into UTC Unix seconds (null when invalid).
fn parse_timestamp_column(c: &Column, date_ok: bool, format: Option<&str>) -> PolarsResult<Column> {
    let parsed: Int64Chunked = c
        .str()?
        .iter()
        .map(|v| {
            v.and_then(|s| match format {
                Some(f) => parse_with_format(s, f),
                None => parse_timestamp(s, date_ok),
            })
        })
        .collect();
    Ok(parsed.with_name(c.name().clone()).into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lowercase_only_for_evm_and_bech32() {
        let df = df!("a" => [Some(" 0xAbC "), Some("BC1QXY"), Some("TScamABC"), Some("1BoatSLRHt"), Some("  "), None, Some("0XÄb")]).unwrap();
        let out = df
            .lazy()
            .select([normalize_address(col("a"))])
            .collect()
            .unwrap();
        let got: Vec<Option<&str>> = out.column("a").unwrap().str().unwrap().iter().collect();
        assert_eq!(
            got,
            [
                Some("0xabc"),
                Some("bc1qxy"),
                Some("TScamABC"),
                Some("1BoatSLRHt"),
                None,
                None,
                Some("0xäb")
            ]
        );
    }

    #[test]
    fn text_rules_trim_and_case() {
        let df =
            df!("a" => [Some(" Ethereum "), Some("tron"), Some(""), Some("usdt "), Some("Ärger")])
                .unwrap();
        let out = df
            .lazy()
            .select([
                normalized_text(col("a"), TextRule::Lower).alias("lower"),
                normalized_text(col("a"), TextRule::Upper).alias("upper"),
                normalized_text(col("a"), TextRule::Trim).alias("trim"),
            ])
            .collect()
            .unwrap();
        let get = |n: &str| -> Vec<Option<String>> {
            out.column(n)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        };
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            get("lower"),
            [s("ethereum"), s("tron"), None, s("usdt"), s("ärger")]
        );
        assert_eq!(
            get("upper"),
            [s("ETHEREUM"), s("TRON"), None, s("USDT"), s("ÄRGER")]
        );
        assert_eq!(
            get("trim"),
            [s("Ethereum"), s("tron"), None, s("usdt"), s("Ärger")]
        );
    }

    #[test]
    fn text_timestamps_become_utc_seconds() {
        let df = df!("t" => [Some("2024-02-01T08:00:00+08:00"), Some("nope"), None]).unwrap();
        let expr = timestamp("t", &DataType::String, col("t"), false, None);
        let out = df.lazy().select([expr]).collect().unwrap();
        let got: Vec<_> = out.column("t").unwrap().i64().unwrap().iter().collect();
        assert_eq!(got, [Some(1_706_745_600), None, None]);
    }
}
