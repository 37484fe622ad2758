//! The checks that decide whether a run may go on after loading (METHODOLOGY
//! §2): an empty transfers export, and a reject rate above
//! `--max-reject-rate` per input kind. Pure: over the per-file counts and the
//! rejects table (`input, file, row, reason, column, value`).

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use crate::error::{ScamError, bad_input};
use crate::model::{CheckConfig, FileCounts, InputKind};

/// Fail on an empty transfers export or a reject rate above the limit.
pub fn check_inputs(
    counts: &[FileCounts],
    rejects: &DataFrame,
    checks: &CheckConfig,
) -> Result<()> {
    let (read, _) = totals(counts, InputKind::Transfers);
    if read == 0 && !checks.allow_empty {
        let files: Vec<&str> = of_kind(counts, InputKind::Transfers)
            .map(|c| c.path.as_str())
            .collect();
        return Err(bad_input(format!(
            "the transfers export is empty (0 rows in {}); pass --allow-empty to accept it",
            files.join(", ")
        )));
    }
    for kind in [InputKind::Transfers, InputKind::Reports, InputKind::Prices] {
        check_reject_rate(counts, rejects, kind, checks.max_reject_rate)?;
    }
    Ok(())
}

fn of_kind(counts: &[FileCounts], kind: InputKind) -> impl Iterator<Item = &FileCounts> {
    counts.iter().filter(move |c| c.kind == kind)
}

/// Rows read and rejected over every file of one kind.
pub fn totals(counts: &[FileCounts], kind: InputKind) -> (u64, u64) {
    of_kind(counts, kind).fold((0, 0), |(r, j), c| (r + c.rows_read, j + c.rows_rejected))
}

fn check_reject_rate(
    counts: &[FileCounts],
    rejects: &DataFrame,
    kind: InputKind,
    max: f64,
) -> Result<()> {
    let (read, rejected) = totals(counts, kind);
    if read == 0 || (rejected as f64) / (read as f64) <= max {
        return Ok(());
    }
    let top = top_reasons(rejects, kind, 3)?;
    Err(ScamError::RejectRate(format!(
        "{}: {rejected} of {read} rows rejected ({:.1}%), above --max-reject-rate {max} (top reasons: {top})",
        kind.name(),
        100.0 * rejected as f64 / read as f64,
    ))
    .into())
}

/// "reason on column (n), …" for the most frequent reject reasons of a kind.
pub fn top_reasons(rejects: &DataFrame, kind: InputKind, n: usize) -> Result<String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let inputs = rejects.column("input")?.str()?;
    let reasons = rejects.column("reason")?.str()?;
    let columns = rejects.column("column")?.str()?;
    for ((i, r), c) in inputs.iter().zip(reasons.iter()).zip(columns.iter()) {
        if i == Some(kind.name()) {
            *counts
                .entry(format!("{} on {}", r.unwrap_or("?"), c.unwrap_or("?")))
                .or_insert(0) += 1;
        }
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let parts: Vec<String> = sorted
        .into_iter()
        .take(n)
        .map(|(k, v)| format!("{k} ({v})"))
        .collect();
    Ok(if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileFormat;

    fn counts(kind: InputKind, read: u64, rejected: u64) -> FileCounts {
        FileCounts {
            kind,
            path: format!("{}.csv", kind.name()),
            format: FileFormat::Csv,
            bytes: 1,
            sha256: String::new(),
            mtime: 0,
            rows_read: read,
            rows_accepted: read - rejected,
            rows_rejected: rejected,
            duplicates_dropped: 0,
        }
    }

    fn rejects() -> DataFrame {
        df!(
            "input" => ["reports", "reports", "reports", "transfers"],
            "reason" => ["missing_value", "missing_value", "not_a_number", "negative"],
            "column" => ["address", "address", "loss_usd", "amount"],
        )
        .unwrap()
    }

    #[test]
    fn the_rate_is_checked_per_kind_with_its_top_reasons() {
        let checks = CheckConfig {
            max_reject_rate: 0.05,
            allow_empty: false,
        };
        let all = [
            counts(InputKind::Transfers, 100, 1),
            counts(InputKind::Reports, 10, 3),
        ];
        let err = check_inputs(&all, &rejects(), &checks).unwrap_err();
        assert_eq!(
            crate::error::exit_code_of(&err),
            crate::error::EXIT_REJECT_RATE
        );
        assert_eq!(
            err.to_string(),
            "reports: 3 of 10 rows rejected (30.0%), above --max-reject-rate 0.05 \
             (top reasons: missing_value on address (2), not_a_number on loss_usd (1))"
        );
        let empty = [counts(InputKind::Transfers, 0, 0)];
        let err = check_inputs(&empty, &rejects(), &checks).unwrap_err();
        assert!(err.to_string().contains("0 rows in transfers.csv"));
    }
}
