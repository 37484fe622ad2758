//! `scamtrends validate`: load and check the inputs, print rows read /
//! accepted / rejected / duplicate per file and the top reject reasons.
//! Writes nothing.

use anyhow::Result;

use crate::cli::ValidateArgs;
use crate::commands::inputs::{check_config, input_spec};
use crate::engine::LoadSummary;
use crate::method::validate::checks::top_reasons;
use crate::model::{CheckConfig, InputKind, InputSpec};

/// The resolved flags of `validate`.
pub struct ValidateConfig {
    pub inputs: InputSpec,
    pub checks: CheckConfig,
}

/// Resolve `validate`'s flags.
pub fn config_from_cli(args: ValidateArgs) -> Result<ValidateConfig> {
    Ok(ValidateConfig {
        inputs: input_spec(&args.input)?,
        checks: check_config(&args.input)?,
    })
}

/// Validate and print; the exit code follows the checks.
pub fn run(args: ValidateArgs) -> Result<()> {
    let engine = crate::commands::engine::engine_of(&args.engine)?;
    let config = config_from_cli(args)?;
    let (summary, verdict) = crate::job::validate(&config.inputs, &config.checks, engine.as_ref())?;
    print_validation(&summary)?;
    verdict
}

fn print_validation(summary: &LoadSummary) -> Result<()> {
    println!(
        "{:<10} {:>10} {:>10} {:>9} {:>10}  file",
        "input", "read", "accepted", "rejected", "duplicate"
    );
    for c in &summary.counts {
        println!(
            "{:<10} {:>10} {:>10} {:>9} {:>10}  {}",
            c.kind.name(),
            c.rows_read,
            c.rows_accepted,
            c.rows_rejected,
            c.duplicates_dropped,
            c.path
        );
    }
    for kind in [InputKind::Transfers, InputKind::Reports, InputKind::Prices] {
        let rejected: u64 = summary
            .counts
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.rows_rejected)
            .sum();
        if rejected > 0 {
            println!(
                "{} top reject reasons: {}",
                kind.name(),
                top_reasons(&summary.rejects, kind, 5)?
            );
        }
    }
    Ok(())
}
