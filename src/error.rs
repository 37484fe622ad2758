//! Errors callers match on, and the exit code each maps to.
//!
//! The app uses `anyhow` for context ("reading transfers file x.csv"); the
//! *kind* of failure travels as a [`ScamError`] at the root of the chain so
//! that `main` can pick the documented exit code. Anything else is an
//! internal error.

use thiserror::Error;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: an internal error (a bug): please report it.
pub const EXIT_INTERNAL: u8 = 1;
/// Exit code: the command line is wrong (unknown flag or value). Set by clap.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: an input is missing, unreadable, malformed or empty.
pub const EXIT_BAD_INPUT: u8 = 3;
/// Exit code: more rows were rejected than `--max-reject-rate` allows.
pub const EXIT_REJECT_RATE: u8 = 4;

/// Exit code: another run holds the lock on the output directory.
pub const EXIT_LOCKED: u8 = 5;
/// Exit code: `verify` could not reproduce the outputs (or an input changed).
pub const EXIT_NOT_REPRODUCED: u8 = 6;
/// Exit code: the cluster engine failed (server unreachable, a version it
/// does not speak, a query it rejected, a path it cannot read).
pub const EXIT_ENGINE: u8 = 7;

/// The exit-code table, as printed in `--help` and the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  internal error (a bug: please report it)
  2  usage error (unknown flag or value, e.g. --period week; SQL the allow-list refuses)
  3  bad input (missing or unreadable file, missing column, empty export)
  4  reject rate above --max-reject-rate
  5  another run holds the lock on the output directory
  6  not reproduced (verify: an output or input differs)
  7  engine error (--engine spark: server unreachable or too old, query or path refused)";

/// Failures a caller (or `main`) distinguishes.
#[derive(Debug, Error)]
pub enum ScamError {
    /// An input the user named is missing, unreadable or malformed.
    #[error("{0}")]
    BadInput(String),
    /// An invalid combination of flags, found after clap parsed them.
    #[error("{0}")]
    Usage(String),
    /// The share of rejected rows is above the configured limit.
    #[error("{0}")]
    RejectRate(String),
    /// Another live process holds the output directory's lock.
    #[error("{0}")]
    Locked(String),
    /// `verify` found a difference.
    #[error("{0}")]
    NotReproduced(String),
    /// The cluster engine could not run the job.
    #[error("{0}")]
    Engine(String),
}

/// A query refused by the SQL allow-list (`readers::sql`), and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {what}")]
pub struct SqlRefusal {
    /// 1-based line of the refused construct in the SQL text.
    pub line: u64,
    pub what: String,
}

/// Shorthand for a bad-input error wrapped in `anyhow`.
pub fn bad_input(msg: impl Into<String>) -> anyhow::Error {
    ScamError::BadInput(msg.into()).into()
}

/// Shorthand for an engine error wrapped in `anyhow`.
pub fn engine_error(msg: impl Into<String>) -> anyhow::Error {
    ScamError::Engine(msg.into()).into()
}

/// Shorthand for a usage error (contradictory flags) wrapped in `anyhow`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    ScamError::Usage(msg.into()).into()
}

/// An error from running the SQL of `file`: a query refused by the
/// allow-list is a usage error naming `file:line` (exit 2); a cluster
/// engine's failure stays an engine error (exit 7); anything else the
/// engine said is bad input naming the file (exit 3).
pub fn sql_error(file: &std::path::Path, err: anyhow::Error) -> anyhow::Error {
    if let Some(r) = err.downcast_ref::<SqlRefusal>() {
        return usage(format!("{}:{}: {}", file.display(), r.line, r.what));
    }
    match err.downcast_ref::<ScamError>() {
        Some(ScamError::Engine(_)) => engine_error(format!("{}: {err}", file.display())),
        _ => bad_input(format!("{}: {err}", file.display())),
    }
}

/// The exit code for an error chain: the first [`ScamError`] in it decides.
pub fn exit_code_of(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ScamError>() {
            return match e {
                ScamError::BadInput(_) => EXIT_BAD_INPUT,
                ScamError::Usage(_) => EXIT_USAGE,
                ScamError::RejectRate(_) => EXIT_REJECT_RATE,
                ScamError::Locked(_) => EXIT_LOCKED,
                ScamError::NotReproduced(_) => EXIT_NOT_REPRODUCED,
                ScamError::Engine(_) => EXIT_ENGINE,
            };
        }
    }
    EXIT_INTERNAL
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn exit_code_follows_the_root_kind_through_context() {
        let err = Err::<(), _>(bad_input("no such file"))
            .context("reading transfers")
            .unwrap_err();
        assert_eq!(exit_code_of(&err), EXIT_BAD_INPUT);
        assert_eq!(exit_code_of(&anyhow::anyhow!("boom")), EXIT_INTERNAL);
    }
}
