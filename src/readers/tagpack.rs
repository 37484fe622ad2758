//! GraphSense TagPacks (YAML) as scam reports. Header fields (`abuse`,
//! `category`, `currency`/`network`, `lastmod`, `source`, …) are inherited by
//! every tag and overridden by the tag's own. Each tag becomes one canonical
//! report row, written as CSV for the ordinary loader:
//! `report_id` = `<file stem>#<tag number>`, `reported_at` = `lastmod`,
//! `chain` from `currency`/`network`, `scam_type` from `abuse` (else
//! `category`, mapped through the taxonomy later), no country (→ Unknown).

use std::io::Write;
use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::ndjson::write_row;

/// Canonical report columns written for a TagPack.
const HEADER: &str = "report_id,reported_at,chain,address,scam_type,country,loss_usd,source";

/// Convert a TagPack file into a canonical reports CSV file.
pub fn tagpack_to_csv(source: &Path, target: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(source).map_err(|e| e.to_string())?;
    let pack: Value = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    let header = pack.as_mapping().ok_or("the top level is not a mapping")?;
    let tags = header
        .get("tags")
        .and_then(Value::as_sequence)
        .ok_or("no `tags:` list")?;
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("tagpack");
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(target).map_err(|e| e.to_string())?);
    writeln!(out, "{HEADER}").map_err(|e| e.to_string())?;
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag
            .as_mapping()
            .ok_or(format!("tag {} is not a mapping", i + 1))?;
        let field = |key: &str| inherited(tag, header, key);
        let row = [
            format!("{stem}#{}", i + 1),
            field("lastmod"),
            chain_of(&field("currency"), &field("network")),
            field("address"),
            first_nonempty(&[field("abuse"), field("category"), field("label")]),
            String::new(),
            String::new(),
            field("source"),
        ];
        write_row(&mut out, row.iter().map(String::as_str)).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(tags.len())
}

/// A tag's own value for `key`, else the header's; scalars as text.
fn inherited(tag: &Mapping, header: &Mapping, key: &str) -> String {
    tag.get(key)
        .or_else(|| header.get(key))
        .map(scalar_text)
        .unwrap_or_default()
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn first_nonempty(values: &[String]) -> String {
    values
        .iter()
        .find(|v| !v.trim().is_empty())
        .cloned()
        .unwrap_or_default()
}

/// GraphSense currency / network codes → canonical chain names.
pub fn chain_of(currency: &str, network: &str) -> String {
    let code = if network.trim().is_empty() {
        currency
    } else {
        network
    };
    match code.trim().to_ascii_uppercase().as_str() {
        "BTC" => "bitcoin",
        "ETH" => "ethereum",
        "TRX" => "tron",
        "LTC" => "litecoin",
        "BCH" => "bitcoin_cash",
        "ZEC" => "zcash",
        other => return other.to_ascii_lowercase(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_inherited_and_overridden() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("pack.yaml");
        std::fs::write(&src, "title: t\nabuse: ponzi_scheme\ncurrency: BTC\nlastmod: 2021-11-12\ntags:\n- address: 1Abc\n- address: '0xAB'\n  currency: ETH\n  abuse: phishing\n").unwrap();
        let out = dir.path().join("pack.csv");
        assert_eq!(tagpack_to_csv(&src, &out).unwrap(), 2);
        let text = std::fs::read_to_string(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "pack#1,2021-11-12,bitcoin,1Abc,ponzi_scheme,,,");
        assert_eq!(lines[2], "pack#2,2021-11-12,ethereum,0xAB,phishing,,,");
    }
}
