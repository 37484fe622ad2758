//! Naming the layout of an export from its header (for `inspect`): which
//! reader preset or canonical input kind a schema matches. Pure.

use polars::prelude::Schema;

use crate::model::{FileFormat, InputKind};
use crate::readers::ethereum_etl;

/// The layout a header matches, and the input kind it reads as.
pub fn detect_layout(schema: &Schema, format: FileFormat) -> Option<(&'static str, InputKind)> {
    let has_all = |kind: InputKind| {
        kind.columns()
            .iter()
            .filter(|c| c.required)
            .all(|c| schema.get(c.name).is_some())
    };
    if format == FileFormat::TagPack {
        return Some(("GraphSense TagPack (reports)", InputKind::Reports));
    }
    if ethereum_etl::is_token_transfers(schema) {
        return Some(("ethereum-etl token_transfers", InputKind::Transfers));
    }
    if ethereum_etl::is_transactions(schema) {
        return Some(("ethereum-etl transactions", InputKind::Transfers));
    }
    [
        (InputKind::Transfers, "canonical transfers"),
        (InputKind::Reports, "canonical reports"),
        (InputKind::Prices, "canonical prices"),
    ]
    .into_iter()
    .find(|(k, _)| has_all(*k))
    .map(|(k, name)| (name, k))
}
