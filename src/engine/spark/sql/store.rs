//! The SQL of a run on an ingest store (`--store`): the store's part files
//! as one relation, and the rows that pay a reported address picked out on
//! the stored bytes (the client encodes the reported addresses with
//! `store::codec` into `store_keys`), each numbered by its export.

use super::{ident, quote, values};
use crate::model::InputKind;

/// The columns every store part keeps besides the transfer's own.
const PART_COLUMNS: [&str; 2] = ["_source", "_row"];

/// The server types of a part's columns, in part order.
fn part_columns() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("_source", "STRING"), ("_row", "BIGINT")];
    for c in InputKind::Transfers.columns() {
        let t = match c.name {
            "tx_hash" | "from_address" | "to_address" => "BINARY",
            "amount" | "amount_usd" => "DOUBLE",
            "transfer_index" | "block_time" => "BIGINT",
            _ => "STRING",
        };
        out.push((c.name, t));
    }
    out
}

/// Every transfer row of the registered part views.
pub fn store_rows(views: &[String]) -> String {
    let columns = part_columns();
    if views.is_empty() {
        let nulls: Vec<String> = columns
            .iter()
            .map(|(n, t)| format!("CAST(NULL AS {t}) AS {}", ident(n)))
            .collect();
        return format!("SELECT {} WHERE 1 = 0", nulls.join(", "));
    }
    let names: Vec<String> = columns.iter().map(|(n, _)| ident(n)).collect();
    views
        .iter()
        .map(|v| format!("SELECT {} FROM {}", names.join(", "), ident(v)))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// `SELECT DISTINCT chain, address` of the kept reports of every vintage:
/// the addresses the client encodes into `store_keys`.
pub fn store_addresses_query() -> String {
    format!(
        "SELECT DISTINCT chain, address FROM ({}) WHERE address IS NOT NULL",
        super::stages::REPORTS_KEPT
    )
}

/// The rows of `store_rows` paying an address of `store_keys`, within
/// `days` (inclusive), with `_file`: their export's place in `sources`.
pub fn store_bound_raw(sources: &[String], days: (Option<i64>, Option<i64>)) -> String {
    let index: Vec<Vec<String>> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| vec![quote(s), i.to_string()])
        .collect();
    let mut range = String::new();
    if let Some(from) = days.0 {
        range.push_str(&format!(" AND p.block_time >= {}", from * 86_400));
    }
    if let Some(to) = days.1 {
        range.push_str(&format!(" AND p.block_time < {}", (to + 1) * 86_400));
    }
    let columns: Vec<String> = part_columns()
        .iter()
        .filter(|(n, _)| !PART_COLUMNS.contains(n))
        .map(|(n, _)| format!("p.{}", ident(n)))
        .collect();
    format!(
        "SELECT i._file, p._row, {} FROM store_rows p \
         JOIN ({}) i ON i._source = p._source \
         JOIN store_keys k ON k.chain = p.chain AND k.key = p.to_address WHERE true{range}",
        columns.join(", "),
        values(&index, &["_source", "_file"], &["STRING", "INT"])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_and_the_exports_reach_the_sql() {
        let sql = store_bound_raw(&["a/b.csv".into(), "it's.csv".into()], (Some(1), Some(2)));
        assert!(sql.contains("('a/b.csv', 0), ('it\\'s.csv', 1)"), "{sql}");
        assert!(sql.contains("p.block_time >= 86400 AND p.block_time < 259200"));
        assert!(sql.contains("k.key = p.to_address"));
        assert!(!store_bound_raw(&[], (None, None)).contains("block_time >="));
    }

    #[test]
    fn an_empty_store_is_a_typed_empty_relation() {
        let sql = store_rows(&[]);
        assert!(sql.contains("CAST(NULL AS BINARY) AS `tx_hash`"));
        assert!(sql.ends_with("WHERE 1 = 0"));
        let two = store_rows(&["p0".into(), "p1".into()]);
        assert_eq!(two.matches(" UNION ALL ").count(), 1);
        assert!(two.contains("`_source`, `_row`, `chain`"));
    }
}
