//! Synthetic scam reports: 1–3 rows per scam address, labels in many spellings
//! (with a rare conflicting or unknown label), victims' countries as alpha-2
//! or alpha-3 in mixed case or missing, some multi-address reports, a few
//! reports filed after the period (label vintage), and a few bad rows.

use super::rng::Rng;
use super::world::{COUNTRIES, ScamAddress, TYPES};

/// One row of `reports.csv`, already as text cells.
pub struct ReportRow {
    pub report_id: String,
    pub reported_at: String,
    pub chain: String,
    pub address: String,
    pub scam_type: String,
    pub country: String,
    pub loss_usd: String,
}

/// Report rows for the scam addresses; `first_year[i]` is address i's first active year.
pub fn reports(rng: &mut Rng, addresses: &[ScamAddress], first_year: &[i32]) -> Vec<ReportRow> {
    let mut rows = Vec::new();
    for (i, a) in addresses.iter().enumerate() {
        let n = 1 + rng.below(3);
        for k in 0..n {
            let id = format!("SR-{:06}-{k}", i);
            let conflicting = n == 3 && k == 2 && rng.chance(0.15);
            let row = report_row(rng, a, first_year[i], id.clone(), conflicting);
            // about one report in ten names a second address of the same type
            if k == 0
                && rng.chance(0.1)
                && let Some(b) = addresses.get(i + 1).filter(|b| b.type_idx == a.type_idx)
            {
                rows.push(ReportRow {
                    chain: b.chain.to_string(),
                    address: b.address.clone(),
                    ..clone_row(&row)
                });
            }
            rows.push(row);
        }
    }
    rows
}

fn clone_row(r: &ReportRow) -> ReportRow {
    ReportRow {
        report_id: r.report_id.clone(),
        reported_at: r.reported_at.clone(),
        chain: r.chain.clone(),
        address: r.address.clone(),
        scam_type: r.scam_type.clone(),
        country: r.country.clone(),
        loss_usd: r.loss_usd.clone(),
    }
}

fn report_row(
    rng: &mut Rng,
    a: &ScamAddress,
    year: i32,
    report_id: String,
    conflicting: bool,
) -> ReportRow {
    ReportRow {
        report_id,
        reported_at: reported_at(rng, year),
        chain: if rng.chance(0.05) {
            a.chain.to_uppercase()
        } else {
            a.chain.to_string()
        },
        address: messy_address(rng, &a.address),
        scam_type: label(rng, a.type_idx, conflicting),
        country: country(rng, a.country),
        loss_usd: if rng.chance(0.6) {
            format!("{:.2}", 2_000.0 * rng.lognormal_unit_mean(1.0))
        } else {
            String::new()
        },
    }
}

fn reported_at(rng: &mut Rng, year: i32) -> String {
    if rng.chance(0.002) {
        return "unknown".to_string(); // a bad row
    }
    // from 20 days into the first active year to ~7 months after its end
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 21).unwrap_or_default();
    let day = start + chrono::Duration::days(rng.below(540) as i64);
    if rng.chance(0.2) {
        format!(
            "{}T{:02}:{:02}:00+08:00",
            day.format("%Y-%m-%d"),
            rng.below(24),
            rng.below(60)
        )
    } else {
        day.format("%Y-%m-%d").to_string()
    }
}

fn messy_address(rng: &mut Rng, address: &str) -> String {
    if address.starts_with("0x") && rng.chance(0.3) {
        format!("0x{}", address[2..].to_uppercase())
    } else if rng.chance(0.02) {
        format!(" {address} ")
    } else {
        address.to_string()
    }
}

fn label(rng: &mut Rng, type_idx: usize, conflicting: bool) -> String {
    if rng.chance(0.01) {
        return "crypto scam (unverified)".to_string(); // matches no alias → other
    }
    let t = if conflicting {
        (type_idx + 1 + rng.below(TYPES.len() as u64 - 1) as usize) % TYPES.len()
    } else {
        type_idx
    };
    let variants = TYPES[t].1;
    variants[rng.below(variants.len() as u64) as usize].to_string()
}

fn country(rng: &mut Rng, home: &str) -> String {
    let code = if rng.chance(0.75) {
        home
    } else {
        COUNTRIES[rng.weighted(&COUNTRIES.iter().map(|c| c.1).collect::<Vec<_>>())].0
    };
    let x = rng.unit();
    if x < 0.08 {
        String::new()
    } else if x < 0.12 {
        match code {
            "US" => "USA".into(),
            "GB" => "gbr".into(),
            "PH" => "PHL".into(),
            other => other.to_lowercase(),
        }
    } else {
        code.to_string()
    }
}
