//! `scamtrends verify DIR`: prove that a published run reproduces. Re-hashes
//! the inputs named in its manifest (a missing or changed input is reported as
//! such), re-runs the job into a temporary directory with the recorded
//! parameters, and compares every output's SHA-256; for a Parquet table that
//! differs, names the first differing row.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use crate::cli::VerifyArgs;
use crate::engine::Engine;
use crate::error::ScamError;
use crate::log::info;
use crate::model::{InputSpec, RunConfig, ShapingFile};
use crate::publish::manifest::{InputRecord, ManifestRecord};
use crate::publish::readback::read_table;
use crate::readers::sources::{RemoteFiles, hash_file, is_uri};

/// `scamtrends verify DIR`.
pub fn run(args: VerifyArgs) -> Result<()> {
    let engine = crate::commands::engine::engine_of(&args.engine)?;
    verify(&args.dir, engine.as_ref())
}

/// Verify the run in `dir`, re-running it on `engine`.
pub fn verify(dir: &Path, engine: &dyn Engine) -> Result<()> {
    let manifest = ManifestRecord::read(dir)?;
    let store = manifest.parameters.inputs.store.as_deref();
    let mut input_problems: Vec<String> = manifest
        .inputs
        .iter()
        .filter_map(|i| match store {
            Some(dir) if i.kind == "transfers" => store_problem(dir, i),
            _ => input_problem(i, engine.remote_files()),
        })
        .collect();
    input_problems.extend(shaping_problems(&manifest.shaping_files)?);
    if !input_problems.is_empty() {
        return not_reproduced(input_problems);
    }
    let tmp = tempfile::tempdir()?;
    let config = rerun_config(&manifest, &tmp.path().join("out"));
    info(format!(
        "re-running {} into a temporary directory",
        dir.display()
    ));
    crate::job::run(&config, engine)?;
    let mut differences = Vec::new();
    for output in manifest
        .outputs
        .iter()
        .filter(|o| o.path != "manifest.json")
    {
        let (old, new) = (dir.join(&output.path), config.out.join(&output.path));
        let new_hash = hash_file(&new).map(|(_, h)| h).unwrap_or_default();
        let old_hash = hash_file(&old).map(|(_, h)| h).unwrap_or_default();
        if new_hash != output.sha256 || old_hash != output.sha256 {
            differences.push(describe_difference(
                &output.path,
                &old,
                &new,
                old_hash == output.sha256,
            ));
        }
    }
    if differences.is_empty() {
        println!(
            "reproduced: {} outputs match their SHA-256 in {}",
            manifest.outputs.len(),
            dir.join("manifest.json").display()
        );
        return Ok(());
    }
    not_reproduced(differences)
}

fn not_reproduced(problems: Vec<String>) -> Result<()> {
    for p in &problems {
        println!("{p}");
    }
    Err(ScamError::NotReproduced(format!(
        "not reproduced: {} difference(s), listed above",
        problems.len()
    ))
    .into())
}

/// "missing input …" / "changed input …", or `None` when it still matches.
fn input_problem(input: &InputRecord, remote: Option<&dyn RemoteFiles>) -> Option<String> {
    if is_uri(&input.path) {
        return remote_problem(input, remote);
    }
    match hash_file(Path::new(&input.path)) {
        Err(e) => Some(format!(
            "missing input {} ({}): {e}",
            input.path, input.kind
        )),
        Ok((bytes, sha)) if sha != input.sha256 => Some(format!(
            "changed input {} ({}): {bytes} bytes, SHA-256 {sha}; the manifest recorded {} bytes, {}",
            input.path, input.kind, input.bytes, input.sha256
        )),
        Ok(_) => None,
    }
}

/// A URI input, re-hashed by the server that reads it.
fn remote_problem(input: &InputRecord, remote: Option<&dyn RemoteFiles>) -> Option<String> {
    let Some(remote) = remote else {
        return Some(format!(
            "input {} ({}) is a URI: only a server reads it, verify with --engine spark",
            input.path, input.kind
        ));
    };
    let listed = match remote.describe(&input.kind, &input.path) {
        Ok(files) => files,
        Err(e) => {
            return Some(format!(
                "missing input {} ({}): {e:#}",
                input.path, input.kind
            ));
        }
    };
    match listed
        .iter()
        .find(|f| f.path.display().to_string() == input.path)
    {
        None => Some(format!("missing input {} ({})", input.path, input.kind)),
        Some(f) if f.sha256 != input.sha256 => Some(format!(
            "changed input {} ({}): {} bytes, SHA-256 {}; the manifest recorded {} bytes, {}",
            input.path, input.kind, f.bytes, f.sha256, input.bytes, input.sha256
        )),
        Some(_) => None,
    }
}

/// Shaping files (taxonomy, mapping, tokens, definition, queries) that are
/// missing or changed; a built-in copy is compared with this binary's.
fn shaping_problems(recorded: &[ShapingFile]) -> Result<Vec<String>> {
    let built_in = crate::job::definition::load(None)?.shaping_files();
    Ok(recorded
        .iter()
        .filter_map(|r| {
            let now = if r.is_built_in() {
                built_in
                    .iter()
                    .find(|b| b.role == r.role && b.path == r.path)
                    .map(|b| b.sha256.clone())
                    .ok_or_else(|| "this binary has no such built-in file".to_string())
            } else {
                hash_file(Path::new(&r.path))
                    .map(|(_, sha)| sha)
                    .map_err(|e| e.to_string())
            };
            match now {
                Ok(sha) if sha == r.sha256 => None,
                Ok(sha) => Some(format!(
                    "changed {} {}: SHA-256 {sha}; the manifest recorded {}",
                    r.role, r.path, r.sha256
                )),
                Err(e) => Some(format!("missing {} {}: {e}", r.role, r.path)),
            }
        })
        .collect())
}

/// A transfers export of a store run: the store must still hold it, with
/// the same content, and every part of it must hash as ingested.
fn store_problem(store: &Path, input: &InputRecord) -> Option<String> {
    let catalog = match crate::store::Catalog::read(store) {
        Ok(c) => c,
        Err(e) => return Some(format!("{e:#}")),
    };
    let Some(source) = catalog.sources.iter().find(|s| s.path == input.path) else {
        return Some(format!(
            "export {} is no longer in the store {}",
            input.path,
            store.display()
        ));
    };
    if source.sha256 != input.sha256 {
        return Some(format!(
            "export {} changed in the store {}: SHA-256 {} (the manifest recorded {})",
            input.path,
            store.display(),
            source.sha256,
            input.sha256
        ));
    }
    source
        .parts
        .iter()
        .find_map(|p| match hash_file(&store.join(&p.path)) {
            Ok((_, sha)) if sha == p.sha256 => None,
            Ok(_) => Some(format!(
                "changed store part {}",
                store.join(&p.path).display()
            )),
            Err(e) => Some(format!(
                "missing store part {}: {e}",
                store.join(&p.path).display()
            )),
        })
}

/// The recorded parameters, reading exactly the recorded input files.
fn rerun_config(manifest: &ManifestRecord, out: &Path) -> RunConfig {
    let files = |kind: &str| -> Vec<String> {
        manifest
            .inputs
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.path.clone())
            .collect()
    };
    let mut config = manifest.parameters.clone();
    config.inputs = InputSpec {
        transfers: files("transfers"),
        reports: files("reports"),
        prices: files("prices"),
        used_default_data: false,
        mapping: manifest.parameters.inputs.mapping.clone(),
        transfers_format: manifest.parameters.inputs.transfers_format.clone(),
        tokens: manifest.parameters.inputs.tokens.clone(),
        store: manifest.parameters.inputs.store.clone(),
        store_sources: Vec::new(),
    };
    if config.inputs.store.is_some() {
        config.inputs.store_sources = std::mem::take(&mut config.inputs.transfers);
    }
    config.recorded = Some(Box::new(manifest.parameters.clone()));
    config.out = out.to_path_buf();
    config
}

fn describe_difference(name: &str, old: &Path, new: &Path, old_intact: bool) -> String {
    if !old_intact {
        return format!("{name}: the published file no longer matches its manifest hash");
    }
    if !name.ends_with(".parquet") {
        return format!("{name}: differs");
    }
    match (read_table(old), read_table(new)) {
        (Ok(a), Ok(b)) => format!("{name}: {}", first_difference(&a, &b)),
        _ => format!("{name}: differs (cannot read one side as Parquet)"),
    }
}

/// Where two tables first differ: schema, row count, or the first row.
pub fn first_difference(published: &DataFrame, rerun: &DataFrame) -> String {
    if published.schema() != rerun.schema() {
        return "schema differs".to_string();
    }
    if published.height() != rerun.height() {
        return format!(
            "{} rows published, {} rows on re-run",
            published.height(),
            rerun.height()
        );
    }
    for row in 0..published.height() {
        for (a, b) in published.columns().iter().zip(rerun.columns()) {
            if a.get(row).ok() != b.get(row).ok() {
                return format!(
                    "first difference at row {} (0-based), column {}",
                    row,
                    a.name()
                );
            }
        }
    }
    "same values, different bytes".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_names_the_row_and_column() {
        let a = df!("k" => ["x", "y"], "v" => [1.0, 2.0]).unwrap();
        let b = df!("k" => ["x", "y"], "v" => [1.0, 2.5]).unwrap();
        assert_eq!(
            first_difference(&a, &b),
            "first difference at row 1 (0-based), column v"
        );
        assert_eq!(
            first_difference(&a, &a.head(Some(1))),
            "2 rows published, 1 rows on re-run"
        );
    }
}
