//! Names every layer shares: internal column names, output table names,
//! layout presets, marker files and versions. The bottom of the crate: it
//! imports nothing of ours, so any module may use it without closing a cycle.

/// Index of a row's file in its input's sorted file list.
pub const FILE: &str = "_file";
/// 1-based data row number (CSV: the header is row 0).
pub const ROW: &str = "_row";
/// Row of a scam-bound transfer's `to_address` in the attribution table.
pub const ATTR: &str = "_attr";
/// First column of a copy of some rows of a CSV: each row's number in the
/// file it was copied from (`engine::local::prefilter`).
pub const ROW_NUMBER: &str = "_scamtrends_row";

/// Why a row was rejected, which column, and its raw value (null on valid rows).
pub const REJECT_REASON: &str = "reject_reason";
pub const REJECT_COLUMN: &str = "reject_column";
pub const REJECT_VALUE: &str = "reject_value";

/// Columns kept from a rejected row.
pub const REJECT_COLUMNS: [&str; 5] = [FILE, ROW, REJECT_REASON, REJECT_COLUMN, REJECT_VALUE];

/// Preset names of transfers layouts (`--transfers-format`).
pub const PRESET_CANONICAL: &str = "canonical";
pub const PRESET_TOKEN_TRANSFERS: &str = "ethereum-etl-token-transfers";
pub const PRESET_TRANSACTIONS: &str = "ethereum-etl-transactions";

/// The marker file `scamtrends generate` writes into a synthetic dataset.
pub const SYNTHETIC_MARKER: &str = "SYNTHETIC";

/// The methodology version every table follows.
pub const METHODOLOGY_VERSION: &str = "1";

/// The dataset read when no input flag is given.
pub const DEFAULT_DATA_DIR: &str = "sample-data";

/// Path of the default report definition, relative to the repository root.
pub const DEFAULT_DEFINITION: &str = "reports/quarterly.toml";

/// The §7 rollup tables, in output order.
pub const ROLLUPS: [&str; 5] = [
    "revenue",
    "revenue_by_type",
    "revenue_by_region",
    "revenue_total",
    "reported_losses",
];

/// The same rollups by calendar year, written beside a quarterly or monthly
/// run so that the report's annual headlines are computed from transfers
/// (§7: never by summing medians or distinct counts of shorter periods).
pub const YEARLY_ROLLUPS: [&str; 5] = [
    "yearly_revenue",
    "yearly_revenue_by_type",
    "yearly_revenue_by_region",
    "yearly_revenue_total",
    "yearly_reported_losses",
];

/// The tables after the rollups, in output order.
pub const ATTRIBUTED_TRANSFERS: &str = "attributed_transfers";
pub const ADDRESSES: &str = "addresses";
pub const REJECTS: &str = "rejects";

/// Every table a run may publish: the relations its SQL may read.
pub fn output_tables() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = ROLLUPS.to_vec();
    all.extend(YEARLY_ROLLUPS);
    all.extend([ATTRIBUTED_TRANSFERS, ADDRESSES, REJECTS]);
    all
}
