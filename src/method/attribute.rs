//! Attribute stage (METHODOLOGY §3–4): raw report labels → canonical scam
//! types and report countries → regions, then one attribution row per scam
//! address `(chain, address)` with its majority type and region.
//!
//! In: validated report rows (`chain, address, scam_type, country,
//! reported_at` as Unix seconds). Out: lazy frames; no I/O, no collect.

use std::sync::Arc;

use polars::prelude::*;

use crate::method::regions::{UNKNOWN, region_of};
use crate::method::taxonomy::Taxonomy;
use crate::model::RegionLevel;

/// Replace `scam_type` by its canonical type and add `region` and
/// `reported_day` (days since 1970-01-01, UTC).
pub fn classify_reports(lf: LazyFrame, taxonomy: Arc<Taxonomy>, level: RegionLevel) -> LazyFrame {
    let canonical = col("scam_type").map(
        move |c| map_text(&c, |label| taxonomy.canonical(label).to_string()),
        |_, f| Ok(f.clone()),
    );
    let region = col("country").map(
        move |c| {
            let ca = c.str()?;
            let out: StringChunked = ca.iter().map(|v| Some(region_of(v, level))).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    );
    lf.with_columns([
        canonical.alias("scam_type"),
        region.alias("region"),
        col("reported_at")
            .floor_div(lit(86_400i64))
            .alias("reported_day"),
    ])
}

fn map_text(c: &Column, f: impl Fn(&str) -> String) -> PolarsResult<Column> {
    let out: StringChunked = c.str()?.iter().map(|v| v.map(&f)).collect();
    Ok(out.with_name(c.name().clone()).into_column())
}

/// Keep reports known on or before a day (`--labels-as-of`).
pub fn reports_as_of(lf: LazyFrame, as_of_day: Option<i64>) -> LazyFrame {
    match as_of_day {
        Some(day) => lf.filter(col("reported_day").lt_eq(lit(day))),
        None => lf,
    }
}

/// The attribution table: `chain, address, scam_type, region, label,
/// reports, first_reported_at`, sorted by chain and address.
pub fn attribute_addresses(reports: LazyFrame, taxonomy: &Taxonomy) -> LazyFrame {
    let key = [col("chain"), col("address")];
    let base = reports.clone().group_by(key.clone()).agg([
        len().cast(DataType::Int64).alias("reports"),
        col("reported_day").min().alias("first_day"),
    ]);
    base.join(
        majority_type(reports.clone(), taxonomy),
        key.clone(),
        key.clone(),
        JoinArgs::new(JoinType::Left),
    )
    .join(
        majority_region(reports.clone()),
        key.clone(),
        key.clone(),
        JoinArgs::new(JoinType::Left),
    )
    .join(
        majority_label(reports),
        key.clone(),
        key,
        JoinArgs::new(JoinType::Left),
    )
    .select([
        col("chain"),
        col("address"),
        col("scam_type"),
        col("region").fill_null(lit(UNKNOWN)),
        col("label"),
        col("reports"),
        col("first_day")
            .cast(DataType::Int32)
            .cast(DataType::Date)
            .alias("first_reported_at"),
    ])
    .sort(["chain", "address"], SortMultipleOptions::default())
}

/// METHODOLOGY §4: the type named by most reports; ties → earliest in priority.
fn majority_type(reports: LazyFrame, taxonomy: &Taxonomy) -> LazyFrame {
    let types = taxonomy.types();
    let priority = df!(
        "scam_type" => types.to_vec(),
        "priority" => (0..types.len() as i64).collect::<Vec<_>>(),
    )
    .expect("two equal-length columns make a frame");
    votes(reports, "scam_type")
        .join(
            priority.lazy(),
            [col("scam_type")],
            [col("scam_type")],
            JoinArgs::new(JoinType::Left),
        )
        .group_by([col("chain"), col("address")])
        .agg([col("scam_type")
            .sort_by([col("votes"), col("priority")], descending(&[true, false]))
            .first()])
}

/// METHODOLOGY §4: the region named by most reports with a known country;
/// ties → alphabetically smallest.
fn majority_region(reports: LazyFrame) -> LazyFrame {
    votes(reports.filter(col("region").neq(lit(UNKNOWN))), "region")
        .group_by([col("chain"), col("address")])
        .agg([col("region")
            .sort_by([col("votes"), col("region")], descending(&[true, false]))
            .first()])
}

/// The family or sub-type label named by most reports that give one (a
/// ransomware family, a TagPack label), ties → alphabetically smallest;
/// null when no report gives one. It breaks a type down; it never changes
/// the type.
fn majority_label(reports: LazyFrame) -> LazyFrame {
    votes(reports.filter(col("label").is_not_null()), "label")
        .group_by([col("chain"), col("address")])
        .agg([col("label")
            .sort_by([col("votes"), col("label")], descending(&[true, false]))
            .first()])
}

fn votes(reports: LazyFrame, what: &str) -> LazyFrame {
    reports
        .group_by([col("chain"), col("address"), col(what)])
        .agg([len().cast(DataType::Int64).alias("votes")])
}

fn descending(flags: &[bool]) -> SortMultipleOptions {
    SortMultipleOptions::default().with_order_descending_multi(flags.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::texts;

    fn reports() -> LazyFrame {
        df!(
            "chain" => ["ethereum", "ethereum", "ethereum", "ethereum", "tron", "tron"],
            "address" => ["0xa", "0xa", "0xd", "0xd", "T4", "T4"],
            "scam_type" => ["Pig Butchering", "romance", "HYIP", "phishing", "SEXTORTION", "brand new label"],
            "country" => [Some("US"), Some("kh"), Some("NA"), Some("USA"), Some("GB"), None],
            "reported_at" => [1_677_628_800i64, 1_681_084_800, 1_682_899_200, 1_682_985_600, 1_722_470_400, 1_722_556_800],
            "label" => [Some("Romance B"), Some("Romance A"), None, None, Some("Excello"), None],
        )
        .unwrap()
        .lazy()
    }

    #[test]
    fn ties_go_to_priority_and_to_the_smallest_region() {
        let t = Taxonomy::default();
        let classified = classify_reports(reports(), Arc::new(t.clone()), RegionLevel::Subregion);
        let out = attribute_addresses(classified, &t).collect().unwrap();
        let types = texts(&out, "scam_type");
        assert_eq!(types, ["pig_butchering", "investment", "extortion"]);
        let regions = texts(&out, "region");
        assert_eq!(
            regions,
            ["Northern America", "Northern America", "Northern Europe"]
        );
        let n: Vec<_> = out
            .column("reports")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(n, [2, 2, 2]);
        // a 1–1 tie → the smaller label; no label → null
        let labels: Vec<Option<&str>> =
            out.column("label").unwrap().str().unwrap().iter().collect();
        assert_eq!(labels, [Some("Romance A"), None, Some("Excello")]);
    }

    #[test]
    fn labels_as_of_drops_later_reports() {
        let t = Taxonomy::default();
        let classified = classify_reports(reports(), Arc::new(t.clone()), RegionLevel::Subregion);
        // 2023-04-30: only the first two reports of 0xa are known
        let out = attribute_addresses(reports_as_of(classified, Some(19_477)), &t)
            .collect()
            .unwrap();
        assert_eq!(out.height(), 1);
    }
}
