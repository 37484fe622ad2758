//! Which report definition a run or a re-render uses, read from disk: the
//! named file, else `reports/quarterly.toml` when the working directory has
//! one, else the built-in copy; query files are read as the definition names
//! them (the built-in copy falls back to its compiled-in queries).

use std::path::Path;

use anyhow::Result;

use crate::error::bad_input;
use crate::model::RunConfig;
use crate::names::DEFAULT_DEFINITION;
use crate::report::definition::{BUILT_IN, LoadedDefinition, built_in_query};

/// `path` when given; else `reports/quarterly.toml` when present; else the built-in copy.
pub fn load(path: Option<&Path>) -> Result<LoadedDefinition> {
    let default = Path::new(DEFAULT_DEFINITION);
    match path {
        Some(p) => from_file(p),
        None if default.exists() => from_file(default),
        None => {
            LoadedDefinition::parse(BUILT_IN, format!("built-in {DEFAULT_DEFINITION}"), |file| {
                query_text(file, true)
            })
        }
    }
}

fn from_file(path: &Path) -> Result<LoadedDefinition> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("report definition {}: {e}", path.display())))?;
    LoadedDefinition::parse(&text, path.display().to_string(), |file| {
        query_text(file, false)
    })
}

fn query_text(file: &Path, built_in: bool) -> std::result::Result<String, String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(text),
        Err(e) if built_in => built_in_query(file)
            .map(str::to_string)
            .ok_or_else(|| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The definition a run uses: `--report FILE` must fit the run's flags; the
/// default adapts to them.
pub fn for_run(config: &RunConfig) -> Result<Option<LoadedDefinition>> {
    if config.no_report {
        return Ok(None);
    }
    let loaded = load(config.report.as_deref())?;
    if config.report.is_some() {
        loaded.check_run(config.period, config.region_level)?;
        return Ok(Some(loaded));
    }
    Ok(Some(loaded.adapted_to(config.period, config.region_level)))
}
