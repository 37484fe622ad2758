//! `--engine`, `--spark-remote`, `--spark-staging` and `--explain` → the engine a command runs
//! on. The remote may also come from `SPARK_REMOTE`, as pyspark reads it.

use anyhow::Result;

use crate::cli::{EngineArg, EngineArgs};
use crate::engine::Engine;
use crate::engine::local::LocalEngine;
use crate::error::usage;

/// The environment variable pyspark reads the remote from.
pub const SPARK_REMOTE: &str = "SPARK_REMOTE";

/// The engine the flags choose.
pub fn engine_of(args: &EngineArgs) -> Result<Box<dyn Engine>> {
    match args.engine {
        EngineArg::Local => {
            if args.explain {
                return Err(usage("--explain prints the SQL of --engine spark"));
            }
            if args.spark_remote.is_some() || args.spark_staging.is_some() {
                return Err(usage(
                    "--spark-remote and --spark-staging go with --engine spark",
                ));
            }
            Ok(Box::new(LocalEngine))
        }
        EngineArg::Spark => spark(args),
    }
}

#[cfg(feature = "spark")]
fn spark(args: &EngineArgs) -> Result<Box<dyn Engine>> {
    let remote = match &args.spark_remote {
        Some(r) => r.clone(),
        None => std::env::var(SPARK_REMOTE).map_err(|_| {
            usage("--engine spark needs --spark-remote sc://HOST:PORT (or SPARK_REMOTE)")
        })?,
    };
    if !remote.starts_with("sc://") {
        return Err(usage(format!(
            "--spark-remote {remote}: a Spark Connect URL starts with sc:// (e.g. sc://127.0.0.1:15002)"
        )));
    }
    Ok(Box::new(crate::engine::spark::SparkEngine {
        remote,
        explain: args.explain,
        staging: args.spark_staging.clone(),
    }))
}

#[cfg(not(feature = "spark"))]
fn spark(_: &EngineArgs) -> Result<Box<dyn Engine>> {
    Err(usage(
        "--engine spark: this scamtrends was built without the `spark` feature (build with default features)",
    ))
}
