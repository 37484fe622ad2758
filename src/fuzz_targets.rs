//! Fuzz targets: one function per parser of outside input, each taking
//! arbitrary bytes and checking what must hold for any of them (no panic,
//! round trips, agreement with a reference parser). `fuzz/` runs them
//! coverage-guided with cargo-fuzz (libFuzzer); `cargo test` runs each over
//! its seed corpus and every crash ever found (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) and a few thousand pseudo-random inputs.
//! docs/reliability.md records the long runs.

use std::path::Path;

use polars::prelude::*;

use crate::method::taxonomy::Taxonomy;
use crate::method::validate::ColumnKind;
use crate::method::validate::timestamps::parse_timestamp;
use crate::model::InputKind;
use crate::readers::csv_shape::shape_of;
use crate::readers::json_exports::{JsonLayout, write_records, write_report_records};
use crate::readers::mapping::{Mapping, parse_with_format};
use crate::readers::ndjson::parse_flat_object;
use crate::readers::scan::clean_value;
use crate::readers::sql::check_query;
use crate::readers::tagpack::tagpack_rows;
use crate::readers::tokens::TokenRegistry;
use crate::report::definition::LoadedDefinition;
use crate::store::codec::{decode_into, encode};

/// A fuzz target: arbitrary bytes in, a panic when something that must
/// hold does not.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs`.
pub const TARGETS: [(&str, Target); 9] = [
    ("csv_row", csv_row),
    ("timestamp", timestamp),
    ("ndjson", ndjson),
    ("tagpack", tagpack),
    ("toml_configs", toml_configs),
    ("store_codec", store_codec),
    ("sql_allow_list", sql_allow_list),
    ("json_exports", json_exports),
    ("python_literal", python_literal),
];

/// CSV typing and validation: the field counts of a CSV text, and each
/// field cleaned, typed and checked as every canonical column would be.
pub fn csv_row(data: &[u8]) {
    let shape = shape_of(data);
    assert!(shape.ragged.len() as u64 <= shape.rows);
    assert!(
        shape
            .ragged
            .iter()
            .all(|&(r, n)| r >= 1 && r <= shape.rows && n != shape.header_fields)
    );
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fields: Vec<&str> = text.split([',', '\n']).take(64).collect();
    for field in &fields {
        for kind in [InputKind::Transfers, InputKind::Reports, InputKind::Prices] {
            for spec in kind.columns() {
                check_field(spec.kind, field);
            }
        }
    }
    let numbers = StringChunked::from_iter_values("v".into(), fields.iter().copied());
    for dtype in [DataType::Float64, DataType::Int64] {
        let _ = numbers.clone().into_series().cast(&dtype);
    }
}

fn check_field(kind: ColumnKind, field: &str) {
    let cleaned = clean_value(kind, field);
    if let Some(c) = &cleaned {
        assert!(!c.is_empty() && c.trim() == c, "{field:?} → {c:?}");
        if kind == ColumnKind::Address && c.starts_with("0x") {
            assert!(!c.bytes().any(|b| b.is_ascii_uppercase()), "{c:?}");
        }
    } else {
        assert!(field.trim().is_empty());
    }
    if let ColumnKind::Timestamp(date_ok) = kind {
        let _ = parse_timestamp(field, date_ok);
    }
}

/// Timestamps: whatever parses is a UTC second that prints and parses back
/// to itself.
pub fn timestamp(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for date_ok in [false, true] {
        if let Some(t) = parse_timestamp(text, date_ok) {
            // a four-digit year prints as the formats accept it
            let printed = chrono::DateTime::from_timestamp(t, 0)
                .filter(|d| (0..=9999).contains(&chrono::Datelike::year(d)))
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            if let Some(p) = printed {
                assert_eq!(parse_timestamp(&p, false), Some(t), "{text:?} → {p}");
            }
        }
    }
    let _ = parse_with_format(text, "%d/%m/%Y %H:%M");
    let _ = parse_with_format(text, "%Y-%m-%d %H:%M:%S %z");
}

/// The NDJSON scanner agrees with serde_json on flat objects: each accepts
/// what the other accepts, and strings, literals and numbers match.
pub fn ndjson(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if line.contains('\n') {
        return; // one object a line
    }
    let ours = parse_flat_object(line);
    let theirs: Result<serde_json::Value, _> = serde_json::from_str(line);
    match (&ours, &theirs) {
        (Ok(fields), Ok(serde_json::Value::Object(map))) => {
            // serde_json keeps the last of a repeated key
            let mut seen = std::collections::HashSet::new();
            for (k, v) in fields.iter().rev().filter(|(k, _)| seen.insert(k.clone())) {
                let Some(reference) = map.get(k) else {
                    panic!("{line:?}: key {k:?} not in serde_json's object");
                };
                agree(line, v, reference);
            }
        }
        (Ok(fields), Err(e)) => {
            let nested = fields
                .iter()
                .any(|(_, v)| v.starts_with('[') || v.starts_with('{'));
            let numbers_serde_refuses = e.to_string().contains("number out of range");
            assert!(
                nested || numbers_serde_refuses,
                "{line:?}: we accept what serde_json refuses ({e})"
            );
        }
        (Err(e), Ok(serde_json::Value::Object(_))) => {
            panic!("{line:?}: serde_json accepts, we say {e}")
        }
        _ => {}
    }
}

fn agree(line: &str, ours: &str, reference: &serde_json::Value) {
    match reference {
        serde_json::Value::String(s) => assert_eq!(ours, s, "{line:?}"),
        serde_json::Value::Null => assert_eq!(ours, "", "{line:?}"),
        serde_json::Value::Bool(b) => assert_eq!(ours, b.to_string(), "{line:?}"),
        serde_json::Value::Number(n) => {
            let (a, b) = (ours.parse::<f64>().ok(), n.as_f64());
            if let (Some(a), Some(b)) = (a, b) {
                let ulps = (a.to_bits() as i64).abs_diff(b.to_bits() as i64);
                assert!(ulps <= 4 || a == b, "{line:?}: {a} vs {b}");
            }
        }
        _ => {}
    }
}

/// JSON exports (TronGrid, Tronscan, Bitcoin UTXO, Ransomwhere,
/// Chainabuse): any JSON value converts to canonical rows of the right
/// width, never a panic; every Tron address comes out in one form.
pub fn json_exports(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let tokens = std::sync::Arc::new(TokenRegistry::embedded());
    let records = crate::readers::json_exports::document_records(&value);
    for layout in [
        JsonLayout::TronGrid,
        JsonLayout::Tronscan,
        JsonLayout::BitcoinEtl,
        JsonLayout::Ransomwhere,
    ] {
        let mut out = Vec::new();
        let _ = write_records(layout, records.iter().copied(), &tokens, &mut out);
        let text = String::from_utf8(out).unwrap_or_default();
        for line in text.lines().filter(|l| l.starts_with("tron,")) {
            let cells: Vec<&str> = line.split(',').collect();
            if let Some(from) = cells.get(4) {
                let hex = from.len() == 42 && from.bytes().all(|b| b.is_ascii_hexdigit());
                assert!(
                    !(hex && from.starts_with("41")),
                    "a hex Tron address left: {line}"
                );
            }
        }
    }
    for layout in [JsonLayout::Ransomwhere, JsonLayout::Chainabuse] {
        let _ = write_report_records(layout, records.iter().copied(), &mut Vec::new());
    }
}

/// bitcoin-etl CSV cells (Python literals): any text parses or gives an
/// error naming a position inside it, never a panic; what parses, read as
/// a transaction's inputs and outputs, gives transfers without a panic.
pub fn python_literal(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::readers::utxo_csv::python_items(text) {
        Ok(items) => {
            let items = serde_json::Value::Array(items);
            let tx = serde_json::json!({"hash": "h", "block_timestamp": "1",
                "is_coinbase": false, "inputs": items, "outputs": items});
            for row in crate::readers::utxo::utxo_transfers(&tx) {
                assert_eq!(row[0], "bitcoin");
            }
        }
        Err(e) => {
            let at: usize = e
                .rsplit("at character ")
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no position in {e:?}"));
            assert!(
                at >= 1 && at <= text.len() + 1,
                "{e} for {} bytes",
                text.len()
            );
        }
    }
}

/// TagPacks: any YAML text gives rows of eight cells or an error, never a panic.
pub fn tagpack(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = tagpack_rows(text, "fuzz") {
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row[0], format!("fuzz#{}", i + 1));
        }
    }
}

/// The TOML files a run reads: column mapping, token registry, taxonomy,
/// report definition. Errors, never panics; a taxonomy that parses keeps
/// `other` last and classifies any label.
pub fn toml_configs(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Mapping::parse(text, "fuzz");
    if let Ok(registry) = TokenRegistry::parse(text, "fuzz") {
        let _ = registry.lookup("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7");
    }
    if let Ok(t) = Taxonomy::from_file_text(text, "fuzz") {
        assert_eq!(t.types().last().map(String::as_str), Some("other"));
        let _ = t.classify(text);
    }
    let _ = LoadedDefinition::parse(text, "fuzz".into(), Path::new(""), |_| Ok(String::new()));
}

/// The store codec: any text decodes back to itself; any bytes decode
/// without a panic.
pub fn store_codec(data: &[u8]) {
    let mut out = String::new();
    let _ = decode_into(data, &mut out);
    if let Ok(text) = std::str::from_utf8(data) {
        let mut back = String::new();
        assert!(decode_into(&encode(text), &mut back).is_some());
        assert_eq!(back, text);
    }
}

/// The SQL allow-list: never a panic; what it accepts, polars-sql plans
/// without a panic over the run's (empty) tables.
pub fn sql_allow_list(data: &[u8]) {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let tables = ["revenue", "revenue_by_type", "attributed_transfers"];
    if check_query(sql, &tables).is_err() {
        return;
    }
    let mut ctx = polars::sql::SQLContext::new();
    for name in tables {
        let df = df!("period" => Vec::<String>::new(), "revenue_usd" => Vec::<f64>::new())
            .unwrap_or_default();
        ctx.register(name, df.lazy());
    }
    let _ = ctx.execute(sql);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed corpus and every kept crash of a target, from `fuzz/`.
    fn kept_inputs(target: &str) -> Vec<Vec<u8>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut out = Vec::new();
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            for e in entries.flatten() {
                out.push(std::fs::read(e.path()).unwrap());
            }
        }
        out
    }

    /// A few thousand inputs from a fixed-seed generator, biased towards
    /// the characters the parsers care about.
    fn random_inputs(seed: u64) -> Vec<Vec<u8>> {
        const ALPHABET: &[u8] =
            b"0123456789abcdefxABCDEF ,.\"\\\n\r\t{}[]:;-+TZ/#*'()=<>_~&|!?eE\x00\xc3\xa9";
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..3000)
            .map(|_| {
                let len = (next() % 96) as usize;
                (0..len)
                    .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_target_survives_its_corpus_its_crashes_and_random_input() {
        for (name, target) in TARGETS {
            let kept = kept_inputs(name);
            assert!(!kept.is_empty(), "fuzz/corpus/{name}/ has no seed inputs");
            for input in kept.iter().chain(&random_inputs(name.len() as u64 * 7919)) {
                target(input);
            }
        }
    }
}
