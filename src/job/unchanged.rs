//! `run --if-changed`: is there anything new since the last published run?
//! The tool (version and git revision) and the parameters must equal the
//! last manifest's; every file that shapes a figure (taxonomy, mapping,
//! tokens, report definition and its SQL) must have the same SHA-256; each
//! input must be the same set of files with the same SHA-256, hashing only
//! files whose size or modification time changed, so the check stays cheap
//! on large exports.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::model::{InputFile, RunConfig, ShapingFile};
use crate::publish::manifest::{InputRecord, ManifestRecord, Tool};
use crate::readers::sources::{RemoteFiles, hash_file, resolve_paths, size_and_mtime, split_uris};

/// The verdict of `--if-changed`, with the reason for the log.
pub enum Verdict {
    Unchanged(String),
    Changed(String),
}

/// Whether the last run in `config.out` already covers these inputs and parameters.
/// URI inputs are listed and hashed by `remote` (the server of the engine
/// that reads them).
pub fn compare_with_last_run(
    config: &RunConfig,
    shaping: &[ShapingFile],
    remote: Option<&dyn RemoteFiles>,
) -> Result<Verdict> {
    let last = match ManifestRecord::read(&config.out) {
        Ok(last) => last,
        Err(e) => {
            return Ok(Verdict::Changed(format!(
                "no usable previous manifest ({e:#})"
            )));
        }
    };
    if last.tool != Tool::default() {
        return Ok(Verdict::Changed(format!(
            "the last run was made by scamtrends {} ({}), this is {} ({})",
            last.tool.version,
            last.tool.git_revision,
            Tool::default().version,
            Tool::default().git_revision
        )));
    }
    if serde_json::to_value(config)? != last.parameters_json {
        return Ok(Verdict::Changed(
            "the parameters differ from the last run's".into(),
        ));
    }
    if let Some(why) = shaping_changed(shaping, &last.shaping_files) {
        return Ok(Verdict::Changed(why));
    }
    let inputs = [
        ("transfers", &config.inputs.transfers),
        ("reports", &config.inputs.reports),
        ("prices", &config.inputs.prices),
    ];
    if let Some(store) = &config.inputs.store
        && let Some(why) = store_changed(store, &last)?
    {
        return Ok(Verdict::Changed(why));
    }
    for (kind, specs) in inputs {
        if kind == "transfers" && config.inputs.store.is_some() {
            continue;
        }
        let recorded: Vec<&InputRecord> = last.inputs.iter().filter(|i| i.kind == kind).collect();
        let files = current_files(kind, specs, remote)?;
        if files.len() != recorded.len() {
            return Ok(Verdict::Changed(format!("the set of {kind} files changed")));
        }
        for (file, record) in files.iter().zip(recorded) {
            if !file.is_recorded(record) {
                return Ok(Verdict::Changed(format!(
                    "{} changed",
                    file.path().display()
                )));
            }
        }
    }
    Ok(Verdict::Unchanged(format!(
        "inputs and parameters unchanged since the run in {}: nothing to do",
        config.out.display()
    )))
}

/// Whether the store's exports differ from the last run's (path and SHA-256).
fn store_changed(store: &Path, last: &ManifestRecord) -> Result<Option<String>> {
    let catalog = crate::store::Catalog::read(store)?;
    let now: Vec<(&str, &str)> = catalog
        .sources
        .iter()
        .map(|s| (s.path.as_str(), s.sha256.as_str()))
        .collect();
    let before: Vec<(&str, &str)> = last
        .inputs
        .iter()
        .filter(|i| i.kind == "transfers")
        .map(|i| (i.path.as_str(), i.sha256.as_str()))
        .collect();
    Ok((now != before).then(|| format!("the exports in the store {} changed", store.display())))
}

/// The first shaping file that differs from the last run's, as a reason.
fn shaping_changed(now: &[ShapingFile], before: &[ShapingFile]) -> Option<String> {
    for file in now {
        match before
            .iter()
            .find(|b| b.role == file.role && b.path == file.path)
        {
            Some(b) if b.sha256 == file.sha256 => {}
            Some(_) => return Some(format!("the {} {} changed", file.role, file.path)),
            None => return Some(format!("the {} {} is new", file.role, file.path)),
        }
    }
    before
        .iter()
        .find(|b| !now.iter().any(|n| n.role == b.role && n.path == b.path))
        .map(|b| format!("the {} {} is no longer used", b.role, b.path))
}

/// An input file as it is now: a local path (hashed only when its size or
/// time changed) or a URI the server listed and hashed.
enum Current {
    Local(PathBuf),
    Remote(InputFile),
}

impl Current {
    fn path(&self) -> &Path {
        match self {
            Current::Local(p) => p,
            Current::Remote(f) => &f.path,
        }
    }

    fn is_recorded(&self, record: &InputRecord) -> bool {
        match self {
            Current::Local(p) => same_file(p, record),
            Current::Remote(f) => {
                f.path.display().to_string() == record.path && f.sha256 == record.sha256
            }
        }
    }
}

/// The files of `specs` in path order, as a run would resolve them.
fn current_files(
    kind: &str,
    specs: &[String],
    remote: Option<&dyn RemoteFiles>,
) -> Result<Vec<Current>> {
    let (uris, local) = split_uris(specs);
    let mut out: Vec<Current> = match local.is_empty() {
        true => Vec::new(),
        false => resolve_paths(kind, &local)?
            .into_iter()
            .map(Current::Local)
            .collect(),
    };
    for uri in &uris {
        // without a server a URI is refused by the run itself
        let Some(remote) = remote else { continue };
        out.extend(remote.describe(kind, uri)?.into_iter().map(Current::Remote));
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(out)
}

fn same_file(path: &Path, record: &InputRecord) -> bool {
    if path.display().to_string() != record.path {
        return false;
    }
    match size_and_mtime(path) {
        Ok((bytes, mtime)) if bytes == record.bytes && mtime == record.mtime => true,
        Ok((bytes, _)) if bytes != record.bytes => false,
        _ => hash_file(path).is_ok_and(|(_, sha)| sha == record.sha256),
    }
}
