//! `scamtrends run`: flags → [`RunConfig`] (with the cross-flag checks), then
//! the job executor on the chosen engine.

use anyhow::Result;

use crate::cli::RunArgs;
use crate::commands::inputs::{check_config, input_spec, parse_day_flag, period, region_level};
use crate::error::usage;
use crate::log::info;
use crate::model::RunConfig;

/// Resolve `run`'s flags; fails on a malformed date or contradictory flags.
pub fn config_from_cli(args: RunArgs) -> Result<RunConfig> {
    let inputs = input_spec(&args.input)?;
    let labels_as_of = parse_day_flag("--labels-as-of", args.labels_as_of.as_deref())?;
    let from = parse_day_flag("--from", args.from.as_deref())?;
    let to = parse_day_flag("--to", args.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(usage(format!("--from {from} is after --to {to}")));
    }
    Ok(RunConfig {
        inputs,
        checks: check_config(&args.input)?,
        out: args.out,
        period: period(args.period),
        region_level: region_level(args.region_level),
        labels_as_of,
        from,
        to,
        taxonomy: args.taxonomy,
        report: args.report,
        no_report: args.no_report,
        recorded: None,
        if_changed: args.if_changed,
    })
}

/// Run the job and publish it.
pub fn run(args: RunArgs) -> Result<()> {
    let engine = crate::commands::engine::engine_of(&args.engine)?;
    let config = config_from_cli(args)?;
    if config.inputs.used_default_data {
        info(format!(
            "no input flags: reading the sample data in sample-data/ and writing {}/",
            config.out.display()
        ));
    }
    crate::job::run(&config, engine.as_ref())
}
