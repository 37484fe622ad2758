//! The shape of `src/` stays one-way: every `crate::` and `super::` path in
//! non-test code is an import from one module file to another; an import
//! that goes up a layer, a `cli` that reaches past the base, clap outside
//! `cli.rs`, or a cycle between module files or between top-level modules
//! fails this test, naming the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, bottom to top (docs/architecture.md shows the same table).
const LAYERS: &[(&str, u8)] = &[
    ("names", 0),
    ("model", 0),
    ("error", 0),
    ("log", 0),
    ("memory", 0),
    ("method", 1),
    ("readers", 2),
    ("store", 2),
    ("publish", 2),
    ("generate", 2),
    ("engine", 3),
    ("report", 4),
    ("job", 5),
    ("cli", 6),
    ("commands", 7),
    ("fuzz_targets", 7),
];

/// One module file: its path in the crate (`report::chart`) and its code.
struct ModuleFile {
    module: Vec<String>,
    file: String,
    code: String,
}

/// An import from one module file to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    from: String,
    to: String,
    file: String,
}

fn layer_of(module: &str) -> Option<u8> {
    let top = module.split("::").next()?;
    LAYERS.iter().find(|(m, _)| *m == top).map(|(_, l)| *l)
}

/// Every module file under `src/` except the crate roots and test helpers.
fn module_files(src: &Path) -> Vec<ModuleFile> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().to_path_buf();
                if let Some(module) = module_of(&rel) {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push(ModuleFile {
                        module,
                        file: format!("src/{}", rel.display()),
                        code: non_test_code(&text),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// `report/chart.rs` → `report::chart`, `report/mod.rs` → `report`.
fn module_of(rel: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [one] if one == "lib" || one == "main" || one == "test_support" => None,
        _ => Some(parts),
    }
}

/// The code before the first `#[cfg(test)]`, without comments.
fn non_test_code(text: &str) -> String {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths `code` names after `crate::` or `super::`; a group
/// (`crate::a::{b, c::d}`) names each of its items.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent_of(module))] {
        for (i, _) in code.match_indices(prefix) {
            if code[..i]
                .chars()
                .last()
                .is_some_and(|c| is_ident(c) || c == ':')
            {
                continue; // `my_crate::` or `a::super::`
            }
            let rest = &code[i + prefix.len()..];
            let (path, after) = leading_path(rest);
            let mut full = base.clone();
            full.extend(path);
            match after.strip_prefix('{') {
                Some(group) => {
                    let items = &group[..group.find('}').unwrap_or(group.len())];
                    for item in items.split(',') {
                        let (sub, _) = leading_path(item.trim_start());
                        out.push(full.iter().cloned().chain(sub).collect());
                    }
                }
                None => out.push(full),
            }
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `a::b::c` at the start of `text`, and what follows it (after a final `::`).
fn leading_path(text: &str) -> (Vec<String>, &str) {
    let mut path = Vec::new();
    let mut rest = text;
    loop {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if end == 0 {
            return (path, rest);
        }
        path.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(more) => rest = more,
            None => return (path, &rest[end..]),
        }
    }
}

/// The module a `super::` path starts from: a file's parent module.
fn parent_of(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// The longest prefix of `path` that is a module file.
fn resolve(path: &[String], modules: &BTreeSet<String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn imports(files: &[ModuleFile]) -> Vec<Import> {
    let modules: BTreeSet<String> = files.iter().map(|f| f.module.join("::")).collect();
    let mut out = BTreeSet::new();
    for f in files {
        let from = f.module.join("::");
        for path in named_paths(&f.module, &f.code) {
            if let Some(to) = resolve(&path, &modules).filter(|to| *to != from) {
                out.insert(Import {
                    from: from.clone(),
                    to,
                    file: f.file.clone(),
                });
            }
        }
    }
    out.into_iter().collect()
}

/// Every rule the imports break, as readable lines.
fn violations(files: &[ModuleFile]) -> Vec<String> {
    let all = imports(files);
    let mut problems = Vec::new();
    for i in &all {
        let (Some(from), Some(to)) = (layer_of(&i.from), layer_of(&i.to)) else {
            problems.push(format!("{}: {} or {} has no layer", i.file, i.from, i.to));
            continue;
        };
        if to > from {
            problems.push(format!(
                "{}: {} (layer {from}) imports {} (layer {to}), a layer above",
                i.file, i.from, i.to
            ));
        }
        if i.from == "cli" && to != 0 {
            problems.push(format!(
                "{}: cli imports {} (cli may use only the base)",
                i.file, i.to
            ));
        }
    }
    for f in files.iter().filter(|f| f.module != ["cli"]) {
        if f.code.contains("clap::") || f.code.contains("use clap") {
            problems.push(format!("{}: uses clap (only src/cli.rs may)", f.file));
        }
    }
    let file_edges: Vec<(String, String)> =
        all.iter().map(|i| (i.from.clone(), i.to.clone())).collect();
    problems.extend(
        cycles(&file_edges)
            .into_iter()
            .map(|c| format!("module files form a cycle: {}", c.join(" → "))),
    );
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let top_edges: Vec<(String, String)> = all
        .iter()
        .map(|i| (top(&i.from), top(&i.to)))
        .filter(|(a, b)| a != b)
        .collect();
    problems.extend(
        cycles(&top_edges)
            .into_iter()
            .map(|c| format!("top-level modules form a cycle: {}", c.join(" → "))),
    );
    problems
}

/// One cycle per strongly connected part of the graph (as a path that
/// returns to its start), found by depth-first search.
fn cycles(edges: &[(String, String)]) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().insert(b);
    }
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut seen_in_cycle: BTreeSet<String> = BTreeSet::new();
    for start in next.keys() {
        if seen_in_cycle.contains(*start) {
            continue;
        }
        if let Some(cycle) = path_back(start, start, &next, &mut BTreeSet::new()) {
            let mut cycle: Vec<String> = std::iter::once(start.to_string()).chain(cycle).collect();
            seen_in_cycle.extend(cycle.iter().cloned());
            cycle.push(start.to_string());
            found.push(cycle);
        }
    }
    found
}

fn path_back<'a>(
    at: &'a str,
    goal: &str,
    next: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    visited: &mut BTreeSet<&'a str>,
) -> Option<Vec<String>> {
    for n in next.get(at).into_iter().flatten() {
        if *n == goal {
            return Some(Vec::new());
        }
        if visited.insert(n)
            && let Some(mut rest) = path_back(n, goal, next, visited)
        {
            rest.insert(0, n.to_string());
            return Some(rest);
        }
    }
    None
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn imports_go_down_the_layers_without_cycles() {
    let files = module_files(&src_dir());
    assert!(files.len() > 60, "found only {} module files", files.len());
    let problems = violations(&files);
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    for f in module_files(&src_dir()) {
        let m = f.module.join("::");
        assert!(
            layer_of(&m).is_some(),
            "{}: add {} to LAYERS (and to docs/architecture.md)",
            f.file,
            f.module[0]
        );
    }
}

fn fake(file: &str, code: &str) -> ModuleFile {
    let rel = Path::new(file).strip_prefix("src").unwrap();
    ModuleFile {
        module: module_of(rel).unwrap(),
        file: file.to_string(),
        code: non_test_code(code),
    }
}

#[test]
fn the_check_catches_an_upward_import_a_cycle_and_stray_clap() {
    let files = [
        fake(
            "src/method/measure.rs",
            "use crate::engine::local::LocalEngine;\n",
        ),
        fake(
            "src/engine/local/mod.rs",
            "pub mod tables;\nfn f() { tables::g() }\n",
        ),
        fake("src/engine/local/tables.rs", "use super::Ingested;\n"),
        fake(
            "src/report/headlines.rs",
            "use crate::report::sections::Context;\n",
        ),
        fake(
            "src/report/sections.rs",
            "use crate::report::{\n    document::Block,\n    headlines::{ranked, period_word},\n};\nuse clap::Args;\n",
        ),
        fake("src/cli.rs", "use crate::job::run;\n"),
        fake(
            "src/job/mod.rs",
            "// use crate::commands::run; in a comment is no import\n",
        ),
        fake(
            "src/commands/run.rs",
            "use crate::job;\n#[cfg(test)]\nmod tests { use crate::cli::Cli; }\n",
        ),
    ];
    let problems = violations(&files);
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(
        has("method::measure (layer 1) imports engine::local (layer 3)"),
        "{problems:#?}"
    );
    assert!(has("cli imports job"), "{problems:#?}");
    assert!(has("src/report/sections.rs: uses clap"), "{problems:#?}");
    assert!(
        has("report::headlines → report::sections → report::headlines"),
        "{problems:#?}"
    );
    // `super::Ingested` in tables.rs is an import of engine::local (mod.rs),
    // which does not import tables by path: no cycle
    assert!(!has("engine::local::tables →"), "{problems:#?}");
    assert!(
        !has("commands"),
        "comments and test modules are not imports: {problems:#?}"
    );
}
