//! Countries → UN M49 regions (METHODOLOGY §5), at three levels.
//!
//! The table below is written from the UN Statistics Division's "Standard
//! country or area codes for statistical use" (M49), with ISO 3166-1 alpha-2
//! and alpha-3 codes. Taiwan, which M49 does not list, counts as Eastern Asia
//! (the spec's rule); Antarctica and codes that are not current ISO 3166-1
//! codes map to `Unknown`. `NA` is Namibia, never a null marker.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::model::RegionLevel;

/// The region of reports with no usable country.
pub const UNKNOWN: &str = "Unknown";

/// (M49 sub-region, M49 region, "alpha2 alpha3 alpha2 alpha3 …").
const M49: &[(&str, &str, &str)] = &[
    (
        "Northern Africa",
        "Africa",
        "DZ DZA EG EGY LY LBY MA MAR SD SDN TN TUN EH ESH",
    ),
    (
        "Sub-Saharan Africa",
        "Africa",
        concat!(
            // Eastern Africa
            "IO IOT BI BDI KM COM DJ DJI ER ERI ET ETH TF ATF KE KEN MG MDG MW MWI MU MUS YT MYT ",
            "MZ MOZ RE REU RW RWA SC SYC SO SOM SS SSD UG UGA TZ TZA ZM ZMB ZW ZWE ",
            // Middle Africa
            "AO AGO CM CMR CF CAF TD TCD CG COG CD COD GQ GNQ GA GAB ST STP ",
            // Southern Africa
            "BW BWA SZ SWZ LS LSO NA NAM ZA ZAF ",
            // Western Africa
            "BJ BEN BF BFA CV CPV CI CIV GM GMB GH GHA GN GIN GW GNB LR LBR ML MLI MR MRT NE NER ",
            "NG NGA SH SHN SN SEN SL SLE TG TGO",
        ),
    ),
    (
        "Latin America and the Caribbean",
        "Americas",
        concat!(
            // Caribbean
            "AI AIA AG ATG AW ABW BS BHS BB BRB BQ BES VG VGB KY CYM CU CUB CW CUW DM DMA DO DOM ",
            "GD GRD GP GLP HT HTI JM JAM MQ MTQ MS MSR PR PRI BL BLM KN KNA LC LCA MF MAF VC VCT ",
            "SX SXM TT TTO TC TCA VI VIR ",
            // Central America
            "BZ BLZ CR CRI SV SLV GT GTM HN HND MX MEX NI NIC PA PAN ",
            // South America
            "AR ARG BO BOL BV BVT BR BRA CL CHL CO COL EC ECU FK FLK GF GUF GY GUY PY PRY PE PER ",
            "GS SGS SR SUR UY URY VE VEN",
        ),
    ),
    (
        "Northern America",
        "Americas",
        "BM BMU CA CAN GL GRL PM SPM US USA",
    ),
    ("Central Asia", "Asia", "KZ KAZ KG KGZ TJ TJK TM TKM UZ UZB"),
    (
        "Eastern Asia",
        "Asia",
        "CN CHN HK HKG MO MAC KP PRK JP JPN MN MNG KR KOR TW TWN",
    ),
    (
        "South-eastern Asia",
        "Asia",
        "BN BRN KH KHM ID IDN LA LAO MY MYS MM MMR PH PHL SG SGP TH THA TL TLS VN VNM",
    ),
    (
        "Southern Asia",
        "Asia",
        "AF AFG BD BGD BT BTN IN IND IR IRN MV MDV NP NPL PK PAK LK LKA",
    ),
    (
        "Western Asia",
        "Asia",
        concat!(
            "AM ARM AZ AZE BH BHR CY CYP GE GEO IQ IRQ IL ISR JO JOR KW KWT LB LBN OM OMN QA QAT ",
            "SA SAU PS PSE SY SYR TR TUR AE ARE YE YEM",
        ),
    ),
    (
        "Eastern Europe",
        "Europe",
        "BY BLR BG BGR CZ CZE HU HUN PL POL MD MDA RO ROU RU RUS SK SVK UA UKR",
    ),
    (
        "Northern Europe",
        "Europe",
        concat!(
            "AX ALA DK DNK EE EST FO FRO FI FIN GG GGY IS ISL IE IRL IM IMN LV LVA LT LTU NO NOR ",
            "SJ SJM SE SWE GB GBR JE JEY",
        ),
    ),
    (
        "Southern Europe",
        "Europe",
        concat!(
            "AL ALB AD AND BA BIH HR HRV GI GIB GR GRC VA VAT IT ITA MT MLT ME MNE MK MKD PT PRT ",
            "SM SMR RS SRB SI SVN ES ESP",
        ),
    ),
    (
        "Western Europe",
        "Europe",
        "AT AUT BE BEL FR FRA DE DEU LI LIE LU LUX MC MCO NL NLD CH CHE",
    ),
    (
        "Australia and New Zealand",
        "Oceania",
        "AU AUS CX CXR CC CCK HM HMD NZ NZL NF NFK",
    ),
    ("Melanesia", "Oceania", "FJ FJI NC NCL PG PNG SB SLB VU VUT"),
    (
        "Micronesia",
        "Oceania",
        "GU GUM KI KIR MH MHL FM FSM NR NRU MP MNP PW PLW UM UMI",
    ),
    (
        "Polynesia",
        "Oceania",
        "AS ASM CK COK PF PYF NU NIU PN PCN WS WSM TK TKL TO TON TV TUV WF WLF",
    ),
];

/// A country's place in M49.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryRegion {
    pub alpha2: &'static str,
    pub subregion: &'static str,
    pub region: &'static str,
}

static BY_CODE: LazyLock<HashMap<&'static str, CountryRegion>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for &(subregion, region, codes) in M49 {
        let codes: Vec<&'static str> = codes.split_whitespace().collect();
        for pair in codes.chunks(2) {
            let entry = CountryRegion {
                alpha2: pair[0],
                subregion,
                region,
            };
            map.insert(pair[0], entry);
            if let Some(alpha3) = pair.get(1) {
                map.insert(*alpha3, entry);
            }
        }
    }
    map
});

/// Look up an ISO 3166-1 alpha-2 or alpha-3 code, case-insensitively.
pub fn lookup(code: &str) -> Option<CountryRegion> {
    let code = code.trim().to_ascii_uppercase();
    BY_CODE.get(code.as_str()).copied()
}

/// The region name of a country code at a level; `Unknown` when unmapped.
pub fn region_of(code: Option<&str>, level: RegionLevel) -> &'static str {
    match code.and_then(lookup) {
        None => UNKNOWN,
        Some(c) => match level {
            RegionLevel::Continent => c.region,
            RegionLevel::Subregion => c.subregion,
            RegionLevel::Country => c.alpha2,
        },
    }
}

/// Every alpha-2 code in the table (for tests and the generator).
pub fn all_alpha2() -> Vec<&'static str> {
    let mut codes: Vec<_> = BY_CODE.values().map(|c| c.alpha2).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_traps_hold() {
        assert_eq!(
            region_of(Some("NA"), RegionLevel::Subregion),
            "Sub-Saharan Africa"
        );
        assert_eq!(region_of(Some("na"), RegionLevel::Country), "NA");
        assert_eq!(
            region_of(Some("twn"), RegionLevel::Subregion),
            "Eastern Asia"
        );
        assert_eq!(region_of(Some("TW"), RegionLevel::Continent), "Asia");
        assert_eq!(region_of(Some("AQ"), RegionLevel::Subregion), UNKNOWN);
        assert_eq!(region_of(Some("XK"), RegionLevel::Subregion), UNKNOWN);
        assert_eq!(region_of(None, RegionLevel::Continent), UNKNOWN);
        assert_eq!(
            region_of(Some("USA"), RegionLevel::Subregion),
            "Northern America"
        );
        assert_eq!(
            region_of(Some("kh"), RegionLevel::Subregion),
            "South-eastern Asia"
        );
    }

    #[test]
    fn every_current_code_but_antarctica_is_listed() {
        // 249 ISO 3166-1 codes, Antarctica has no M49 region.
        assert_eq!(all_alpha2().len(), 248);
    }
}
