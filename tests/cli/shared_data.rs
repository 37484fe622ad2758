//! Checks against the real public files in `../shared/data`.

use polars::prelude::*;
use scamtrends::config::RegionLevel;
use scamtrends::regions::{UNKNOWN, region_of};

use crate::workdir::{shared, strings};

#[test]
fn every_iso_code_maps_to_its_m49_region() {
    let path = shared().join("data/iso3166-m49/all.csv");
    let df = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path))
        .unwrap()
        .finish()
        .unwrap();
    let (a2, a3) = (strings(&df, "alpha-2"), strings(&df, "alpha-3"));
    let (sub, reg) = (strings(&df, "sub-region"), strings(&df, "region"));
    assert_eq!(a2.len(), 249);
    for i in 0..a2.len() {
        let (want_sub, want_reg) = match a2[i].as_str() {
            "TW" => ("Eastern Asia", "Asia"), // METHODOLOGY §5
            _ if sub[i].is_empty() => (UNKNOWN, UNKNOWN),
            _ => (sub[i].as_str(), reg[i].as_str()),
        };
        for code in [&a2[i], &a3[i], &a3[i].to_lowercase()] {
            assert_eq!(
                region_of(Some(code), RegionLevel::Subregion),
                want_sub,
                "{code}"
            );
            assert_eq!(
                region_of(Some(code), RegionLevel::Continent),
                want_reg,
                "{code}"
            );
        }
        let want_country = if want_sub == UNKNOWN {
            UNKNOWN
        } else {
            a2[i].as_str()
        };
        assert_eq!(region_of(Some(&a3[i]), RegionLevel::Country), want_country);
    }
}
