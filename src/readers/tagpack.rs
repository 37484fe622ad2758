//! GraphSense TagPacks (YAML) as scam reports. Header fields (`abuse`,
//! `category`, `currency`/`network`, `lastmod`, `source`, …) are inherited by
//! every tag and overridden by the tag's own. Each tag becomes one canonical
//! report row, written as CSV for the ordinary loader:
//! `report_id` = `<file stem>#<tag number>`, `reported_at` = `lastmod`,
//! `chain` from `currency`/`network`, `scam_type` from `abuse` (else
//! `category`, mapped through the taxonomy later), `label` from `label`
//! (the tag's own name, kept to break a type down), no country (→ Unknown).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use yaml_rust2::parser::{Event, EventReceiver, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::readers::ndjson::write_row;

/// Canonical report columns written for a TagPack.
const HEADER: &str = "report_id,reported_at,chain,address,scam_type,country,loss_usd,source,label";

/// Convert a TagPack file into a canonical reports CSV file.
pub fn tagpack_to_csv(source: &Path, target: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(source).map_err(|e| e.to_string())?;
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("tagpack");
    let rows = tagpack_rows(&text, stem)?;
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(target).map_err(|e| e.to_string())?);
    writeln!(out, "{HEADER}").map_err(|e| e.to_string())?;
    for row in &rows {
        write_row(&mut out, row.iter().map(String::as_str)).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(rows.len())
}

/// The canonical report rows of a TagPack's text (`stem` names the pack in
/// each `report_id`), one per tag, in the columns of [`HEADER`].
pub fn tagpack_rows(text: &str, stem: &str) -> Result<Vec<[String; 9]>, String> {
    let pack = parse_yaml(text)?;
    let header = pack.as_mapping().ok_or("the top level is not a mapping")?;
    let tags = get(header, "tags")
        .and_then(Node::as_sequence)
        .ok_or("no `tags:` list")?;
    let mut rows = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag
            .as_mapping()
            .ok_or(format!("tag {} is not a mapping", i + 1))?;
        let field = |key: &str| inherited(tag, header, key);
        rows.push([
            format!("{stem}#{}", i + 1),
            field("lastmod"),
            chain_of(&field("currency"), &field("network")),
            field("address"),
            first_nonempty(&[field("abuse"), field("category"), field("label")]),
            String::new(),
            String::new(),
            field("source"),
            field("label"),
        ]);
    }
    Ok(rows)
}

/// A tag's own value for `key`, else the header's; scalars as text.
fn inherited(tag: &[(Node, Node)], header: &[(Node, Node)], key: &str) -> String {
    get(tag, key)
        .or_else(|| get(header, key))
        .and_then(Node::as_text)
        .unwrap_or_default()
        .to_string()
}

/// A YAML document as text: every scalar keeps the text it was written
/// with (an unquoted `0xAB…` address or `1.50` stays as written, never a
/// number), and a plain `null`, `~` or empty scalar is missing.
#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Null,
    Mapping(Vec<(Node, Node)>),
    Sequence(Vec<Node>),
}

impl Node {
    fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match self {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }

    fn as_sequence(&self) -> Option<&[Node]> {
        match self {
            Node::Sequence(s) => Some(s),
            _ => None,
        }
    }

    fn as_text(&self) -> Option<&str> {
        match self {
            Node::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// The value of `key` in a mapping.
fn get<'a>(mapping: &'a [(Node, Node)], key: &str) -> Option<&'a Node> {
    mapping
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// Parse the first document of a YAML text.
fn parse_yaml(text: &str) -> Result<Node, String> {
    let mut builder = TreeBuilder::default();
    Parser::new_from_str(text)
        .load(&mut builder, false)
        .map_err(|e| e.to_string())?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    builder.root.ok_or_else(|| "an empty document".to_string())
}

/// Builds a [`Node`] tree from parser events.
#[derive(Default)]
struct TreeBuilder {
    open: Vec<(usize, Node, Option<Node>)>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<String>,
}

impl TreeBuilder {
    fn finish(&mut self, anchor: usize, node: Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some((_, parent, key)) = self.open.last_mut() else {
            self.root.get_or_insert(node);
            return;
        };
        match parent {
            Node::Sequence(items) => items.push(node),
            Node::Mapping(entries) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
            _ => {}
        }
    }
}

impl EventReceiver for TreeBuilder {
    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let null = style == TScalarStyle::Plain
                    && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                self.finish(anchor, if null { Node::Null } else { Node::Text(text) });
            }
            Event::SequenceStart(anchor, _) => {
                self.open.push((anchor, Node::Sequence(Vec::new()), None));
            }
            Event::MappingStart(anchor, _) => {
                self.open.push((anchor, Node::Mapping(Vec::new()), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, node, _)) = self.open.pop() {
                    self.finish(anchor, node);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.finish(0, node),
                None => self.error = Some(format!("unknown alias {id}")),
            },
            _ => {}
        }
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
    fn scalars_keep_the_text_they_were_written_with() {
        let doc = parse_yaml("a: 0xAB01\nb: 1.50\nc: ~\nd: 'null'\ne: &x [1, 2]\nf: *x\n").unwrap();
        let m = doc.as_mapping().unwrap();
        let text = |k: &str| get(m, k).and_then(Node::as_text);
        assert_eq!(text("a"), Some("0xAB01"));
        assert_eq!(text("b"), Some("1.50"));
        assert_eq!(text("c"), None);
        assert_eq!(text("d"), Some("null"));
        assert_eq!(
            get(m, "f").and_then(Node::as_sequence).map(<[Node]>::len),
            Some(2)
        );
        assert!(parse_yaml("a: [1, 2\n").is_err());
        assert!(parse_yaml("a: *nope\n").is_err());
    }

    #[test]
    fn header_fields_are_inherited_and_overridden() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("pack.yaml");
        std::fs::write(&src, "title: t\nabuse: ponzi_scheme\ncurrency: BTC\nlastmod: 2021-11-12\ntags:\n- address: 1Abc\n- address: '0xAB'\n  currency: ETH\n  abuse: phishing\n").unwrap();
        let out = dir.path().join("pack.csv");
        assert_eq!(tagpack_to_csv(&src, &out).unwrap(), 2);
        let text = std::fs::read_to_string(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "pack#1,2021-11-12,bitcoin,1Abc,ponzi_scheme,,,,");
        assert_eq!(lines[2], "pack#2,2021-11-12,ethereum,0xAB,phishing,,,,");
    }
}
