//! The scam-type taxonomy (METHODOLOGY §3): canonical types in priority order,
//! their aliases, and the matching of raw labels. A TOML file may extend or
//! replace alias lists and add types (placed before `other`).
//!
//! Matching is pure: `canonical(label)` never fails; unmatched labels map to
//! `other` and are counted by the caller for the run log. Reading the file is
//! the readers' job (`readers::inputs`); this module parses its text.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::error::bad_input;

/// The catch-all type for labels no alias matches.
pub const OTHER: &str = "other";

/// Default canonical types in priority order, with their aliases.
const DEFAULT_TYPES: &[(&str, &[&str])] = &[
    (
        "pig_butchering",
        &[
            "pig butchering",
            "pigbutchering",
            "sha zhu pan",
            "romance",
            "romance scam",
            "relationship investment",
        ],
    ),
    (
        "investment",
        &[
            "investment",
            "investment scam",
            "investment fraud",
            "hyis",
            "hyip",
            "high yield investment",
            "ponzi",
            "ponzi scheme",
            "pyramid scheme",
            "fake exchange",
            "fake returns",
            "fake project",
            "other investment scam",
            "rug pull",
        ],
    ),
    (
        "impersonation",
        &[
            "impersonation",
            "giveaway",
            "airdrop",
            "government impersonation",
            "tech support",
            "celebrity giveaway",
        ],
    ),
    (
        "phishing",
        &[
            "phishing",
            "fake phishing",
            "drainer",
            "wallet drainer",
            "address poisoning",
        ],
    ),
    (
        "extortion",
        &[
            "extortion",
            "sextortion",
            "blackmail",
            "other blackmail",
            "ransomware",
        ],
    ),
    ("employment", &["employment", "job scam", "task scam"]),
];

/// Canonical types (priority order) and the alias lookup.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// Canonical type names, highest priority first; `other` is last.
    types: Vec<String>,
    /// Normalised alias → index into `types`.
    aliases: BTreeMap<String, usize>,
}

/// The `--taxonomy` TOML file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    /// New canonical types, appended in this order before `other`.
    #[serde(default)]
    types: Vec<String>,
    /// Extra aliases per type (added to the defaults).
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    /// Alias lists that replace a type's defaults.
    #[serde(default)]
    replace: BTreeMap<String, Vec<String>>,
}

impl Default for Taxonomy {
    fn default() -> Self {
        let mut taxonomy = Taxonomy {
            types: Vec::new(),
            aliases: BTreeMap::new(),
        };
        for (name, aliases) in DEFAULT_TYPES {
            taxonomy.add_type(name);
            taxonomy.add_aliases(name, aliases.iter().copied());
        }
        taxonomy.add_type(OTHER);
        taxonomy
    }
}

impl Taxonomy {
    /// The defaults extended by a taxonomy file's TOML text; errors name
    /// `source` (e.g. `--taxonomy FILE`).
    pub fn from_file_text(text: &str, source: &str) -> Result<Taxonomy> {
        let file: TaxonomyFile =
            toml::from_str(text).map_err(|e| bad_input(format!("{source}: {e}")))?;
        Taxonomy::default()
            .extended(file)
            .with_context(|| source.to_string())
    }

    /// Parse a taxonomy from TOML text (for tests and embedding).
    pub fn from_toml(text: &str) -> Result<Taxonomy> {
        let file: TaxonomyFile = toml::from_str(text).map_err(|e| bad_input(e.to_string()))?;
        Taxonomy::default().extended(file)
    }

    fn extended(mut self, file: TaxonomyFile) -> Result<Taxonomy> {
        self.types.pop(); // `other` goes back last
        for name in &file.types {
            check_new_type_name(name)?;
            self.add_type(name);
        }
        self.add_type(OTHER);
        for (name, list) in &file.replace {
            self.check_type(name)?;
            let idx = self.index_of(name).unwrap_or(0);
            self.aliases.retain(|_, i| *i != idx);
            self.aliases.insert(normalize_label(name), idx);
            self.add_aliases(name, list.iter().map(String::as_str));
        }
        for (name, list) in &file.aliases {
            self.check_type(name)?;
            self.add_aliases(name, list.iter().map(String::as_str));
        }
        Ok(self)
    }

    fn check_type(&self, name: &str) -> Result<()> {
        match self.index_of(name) {
            Some(_) if name != OTHER => Ok(()),
            _ => Err(bad_input(format!(
                "unknown scam type {name:?} (known: {}; add new ones under `types`)",
                self.types.join(", ")
            ))),
        }
    }

    fn add_type(&mut self, name: &str) {
        if self.index_of(name).is_none() {
            self.types.push(name.to_string());
            let idx = self.types.len() - 1;
            self.aliases.entry(normalize_label(name)).or_insert(idx);
        }
    }

    fn add_aliases<'a>(&mut self, name: &str, aliases: impl Iterator<Item = &'a str>) {
        if let Some(idx) = self.index_of(name) {
            for alias in aliases {
                self.aliases.insert(normalize_label(alias), idx);
            }
        }
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.types.iter().position(|t| t == name)
    }

    /// Canonical types in priority order (`other` last).
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// Priority of a canonical type: 0 is the highest.
    pub fn priority(&self, canonical: &str) -> usize {
        self.index_of(canonical).unwrap_or(self.types.len())
    }

    /// The canonical type of a raw label and whether an alias matched.
    pub fn classify(&self, raw: &str) -> (&str, bool) {
        let norm = normalize_label(raw);
        let hit = self.aliases.get(&norm).or_else(|| {
            let stripped = norm
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .trim_end();
            self.aliases.get(stripped)
        });
        match hit {
            Some(&i) => (&self.types[i], true),
            None => (OTHER, false),
        }
    }

    /// The canonical type of a raw label (`other` when nothing matches).
    pub fn canonical(&self, raw: &str) -> &str {
        self.classify(raw).0
    }
}

/// Lowercase; every run of non-alphanumeric characters becomes one space; trim.
/// A type added under `types` becomes a value in every output table and a
/// row label in the report: a short lowercase identifier, never `other`
/// (built in, always last).
fn check_new_type_name(name: &str) -> Result<()> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if name == OTHER {
        return Err(bad_input(
            "`other` is built in and always last: remove it from `types`".to_string(),
        ));
    }
    if !well_formed {
        return Err(bad_input(format!(
            "scam type {name:?} under `types` must be 1-64 characters of a-z, 0-9 and _"
        )));
    }
    Ok(())
}

pub fn normalize_label(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut gap = false;
    for c in raw.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_after_normalisation_and_digit_stripping() {
        let t = Taxonomy::default();
        assert_eq!(t.canonical("Pig Butchering"), "pig_butchering");
        assert_eq!(t.canonical("  ROMANCE--scam "), "pig_butchering");
        assert_eq!(t.canonical("HYIP"), "investment");
        assert_eq!(t.canonical("Fake_Phishing1772"), "phishing");
        assert_eq!(t.canonical("SEXTORTION"), "extortion");
        assert_eq!(t.canonical("pig_butchering"), "pig_butchering");
        assert_eq!(t.canonical("brand new label"), "other");
        assert_eq!(t.classify("brand new label"), ("other", false));
    }

    #[test]
    fn priority_follows_the_spec_order() {
        let t = Taxonomy::default();
        assert!(t.priority("pig_butchering") < t.priority("investment"));
        assert!(t.priority("extortion") < t.priority("other"));
        assert_eq!(t.types().last().map(String::as_str), Some("other"));
    }

    #[test]
    fn a_file_extends_replaces_and_adds_types() {
        let t = Taxonomy::from_toml(
            "types = [\"sim_swap\"]\n[aliases]\npig_butchering = [\"love trap\"]\nsim_swap = [\"sim swap\"]\n[replace]\nphishing = [\"drainer\"]\n",
        )
        .unwrap();
        assert_eq!(t.canonical("Love-Trap"), "pig_butchering");
        assert_eq!(t.canonical("SIM swap"), "sim_swap");
        assert_eq!(t.canonical("address poisoning"), "other");
        assert_eq!(t.canonical("drainer"), "phishing");
        assert_eq!(t.types().last().map(String::as_str), Some("other"));
        assert!(Taxonomy::from_toml("[aliases]\nnope = [\"x\"]\n").is_err());
    }

    #[test]
    fn added_types_are_identifiers_and_other_stays_last() {
        // found by fuzzing: `other` listed mid-list used to land before the
        // added types after it
        let err = Taxonomy::from_toml("types = [\"other\", \"sim_swap\"]\n").unwrap_err();
        assert!(err.to_string().contains("`other` is built in"), "{err}");
        for bad in ["", "Sim Swap", "a|b", "x\n"] {
            let text = format!("types = [{bad:?}]\n");
            assert!(Taxonomy::from_toml(&text).is_err(), "{bad:?} accepted");
        }
        let t = Taxonomy::from_toml("types = [\"sim_swap\", \"phishing\"]\n").unwrap();
        assert_eq!(t.types().last().map(String::as_str), Some("other"));
        assert!(t.priority("phishing") < t.priority("sim_swap"));
    }
}
