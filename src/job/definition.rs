//! Which report definition a run or a re-render uses: the file named by
//! `--report`/`--definition`, else the built-in copy of
//! `reports/quarterly.toml` — never a file that happens to lie in the working
//! directory. Query files resolve against the definition's directory, and
//! every query is checked against the SQL allow-list here, before any work.

use std::path::Path;

use anyhow::Result;

use crate::error::{bad_input, usage};
use crate::model::RunConfig;
use crate::names::{DEFAULT_DEFINITION, output_tables};
use crate::readers::sql::check_query;
use crate::report::definition::{BUILT_IN, LoadedDefinition, built_in_query};

/// `path` when given, else the built-in definition.
pub fn load(path: Option<&Path>) -> Result<LoadedDefinition> {
    let loaded = match path {
        Some(p) => from_file(p)?,
        None => LoadedDefinition::parse(
            BUILT_IN,
            format!("built-in {DEFAULT_DEFINITION}"),
            Path::new(DEFAULT_DEFINITION)
                .parent()
                .unwrap_or(Path::new("")),
            |file| {
                built_in_query(file)
                    .map(str::to_string)
                    .ok_or_else(|| "not a built-in query".to_string())
            },
        )?,
    };
    check_queries(&loaded)?;
    Ok(loaded)
}

fn from_file(path: &Path) -> Result<LoadedDefinition> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("report definition {}: {e}", path.display())))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    LoadedDefinition::parse(&text, path.display().to_string(), dir, |file| {
        std::fs::read_to_string(file).map_err(|e| e.to_string())
    })
}

/// Refuse a definition whose SQL the allow-list refuses (exit 2, naming
/// the query file and line).
fn check_queries(loaded: &LoadedDefinition) -> Result<()> {
    let tables = output_tables();
    for q in &loaded.definition.queries {
        check_query(&q.sql, &tables).map_err(|r| {
            usage(format!(
                "{}:{}: {} (report definition {})",
                q.path.display(),
                r.line,
                r.what,
                loaded.source
            ))
        })?;
    }
    Ok(())
}

/// The definition a run uses: `--report FILE` must fit the run's flags; the
/// built-in one adapts to them.
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
