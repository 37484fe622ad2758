//! The synthetic world behind `generate`: chains, prices, scam addresses and
//! their reports, and a calibrated plan of scam deposits per year × type.
//!
//! Calibration (issue #2): 2024 vs 2023 pig-butchering revenue ≈ +40% while
//! its deposits rise ≈ +210% (average deposit ≈ −55%); investment revenue
//! ≈ −37% yet ≈ half of 2024 revenue, pig butchering ≈ a third. Revenue per
//! (year, type) is hit exactly by rescaling each group's draws.

use super::rng::Rng;

/// Years the dataset covers.
pub const YEARS: [i32; 3] = [2022, 2023, 2024];

/// Canonical types the generator uses, with raw label variants (§3 aliases and mess).
pub const TYPES: &[(&str, &[&str])] = &[
    (
        "pig_butchering",
        &[
            "Pig Butchering",
            "pig-butchering",
            "romance scam",
            "Sha Zhu Pan",
            "ROMANCE",
        ],
    ),
    (
        "investment",
        &[
            "Investment Scam",
            "HYIP",
            "ponzi scheme",
            "fake exchange",
            "Rug Pull",
            "hyis",
        ],
    ),
    (
        "impersonation",
        &[
            "Impersonation",
            "giveaway",
            "Celebrity Giveaway",
            "tech support",
        ],
    ),
    (
        "phishing",
        &[
            "Phishing",
            "Fake_Phishing1772",
            "wallet drainer",
            "address poisoning",
        ],
    ),
    ("extortion", &["Sextortion", "blackmail", "ransomware"]),
    ("employment", &["task scam", "Job Scam", "employment"]),
];

/// Revenue weight per year (rows) and type (columns; `COLUMN_TYPE` maps them to `TYPES`).
const REVENUE: [[f64; 6]; 3] = [
    [95.0, 14.0, 5.0, 5.0, 2.5, 1.0], // 2022; columns: investment, pig butchering, impersonation, phishing, extortion, employment
    [79.4, 23.6, 6.0, 5.5, 3.0, 1.5], // 2023
    [50.0, 33.0, 7.0, 5.0, 3.0, 2.0], // 2024
];

/// Average deposit in USD per year and type.
const AVG_DEPOSIT: [[f64; 6]; 3] = [
    [1_600.0, 5_000.0, 800.0, 2_500.0, 600.0, 300.0],
    [1_500.0, 4_000.0, 800.0, 2_500.0, 600.0, 300.0],
    [1_400.0, 1_806.0, 750.0, 2_400.0, 600.0, 280.0],
];

/// Column order of `REVENUE`/`AVG_DEPOSIT` → index into `TYPES`.
const COLUMN_TYPE: [usize; 6] = [1, 0, 2, 3, 4, 5];

/// Deposits per victim by type (pig-butchering victims pay again and again).
const DEPOSITS_PER_SENDER: [f64; 6] = [3.5, 2.0, 1.3, 1.1, 1.2, 2.5];

/// Victims' countries with weights (ISO alpha-2; more than 60 countries).
pub const COUNTRIES: &[(&str, f64)] = &[
    ("US", 30.0),
    ("CA", 4.0),
    ("GB", 5.0),
    ("AU", 4.0),
    ("DE", 3.0),
    ("FR", 2.0),
    ("JP", 3.0),
    ("KR", 2.0),
    ("TW", 2.0),
    ("HK", 2.0),
    ("SG", 1.5),
    ("CN", 3.0),
    ("IN", 3.0),
    ("PH", 1.5),
    ("VN", 1.5),
    ("TH", 1.5),
    ("MY", 1.0),
    ("ID", 1.5),
    ("KH", 0.5),
    ("MM", 0.3),
    ("LA", 0.2),
    ("BR", 2.0),
    ("MX", 1.5),
    ("AR", 0.8),
    ("CO", 0.6),
    ("CL", 0.5),
    ("PE", 0.4),
    ("NG", 1.5),
    ("ZA", 1.0),
    ("KE", 0.6),
    ("GH", 0.4),
    ("NA", 0.2),
    ("EG", 0.4),
    ("MA", 0.3),
    ("TR", 1.0),
    ("AE", 1.0),
    ("SA", 0.6),
    ("IL", 0.5),
    ("RU", 1.0),
    ("UA", 0.6),
    ("PL", 0.8),
    ("NL", 1.0),
    ("BE", 0.5),
    ("ES", 1.2),
    ("IT", 1.2),
    ("PT", 0.4),
    ("CH", 0.6),
    ("AT", 0.4),
    ("SE", 0.6),
    ("NO", 0.4),
    ("DK", 0.4),
    ("FI", 0.3),
    ("IE", 0.4),
    ("NZ", 0.8),
    ("PK", 0.5),
    ("BD", 0.4),
    ("LK", 0.2),
    ("NP", 0.2),
    ("KZ", 0.3),
    ("UZ", 0.2),
    ("GE", 0.2),
    ("RO", 0.4),
    ("CZ", 0.4),
    ("HU", 0.3),
    ("GR", 0.3),
    ("BG", 0.2),
    ("RS", 0.2),
    ("HR", 0.2),
    ("FJ", 0.1),
    ("PG", 0.1),
    ("JM", 0.2),
    ("DO", 0.2),
    ("PR", 0.2),
    ("CR", 0.2),
    ("PA", 0.2),
    ("QA", 0.2),
    ("KW", 0.2),
];

/// A chain and the assets deposits on it use, with weights.
pub struct Chain {
    pub name: &'static str,
    pub weight: f64,
    pub assets: &'static [(&'static str, f64)],
}

pub const CHAINS: &[Chain] = &[
    Chain {
        name: "tron",
        weight: 0.65,
        assets: &[("USDT", 0.95), ("TRX", 0.05)],
    },
    Chain {
        name: "ethereum",
        weight: 0.28,
        assets: &[("USDT", 0.55), ("USDC", 0.25), ("ETH", 0.20)],
    },
    Chain {
        name: "bitcoin",
        weight: 0.07,
        assets: &[("BTC", 1.0)],
    },
];

/// A new address on a chain.
pub fn address(rng: &mut Rng, chain: &str) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    const BECH: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    match chain {
        "tron" => format!("T{}", rng.chars(B58, 33)),
        "bitcoin" => format!("bc1q{}", rng.chars(BECH, 38)),
        _ => format!("0x{}", rng.chars(HEX, 40)),
    }
}

/// A transaction hash on a chain.
pub fn tx_hash(rng: &mut Rng, chain: &str) -> String {
    let body = format!(
        "{:016x}{:016x}{:016x}{:016x}",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64()
    );
    if chain == "ethereum" {
        format!("0x{body}")
    } else {
        body
    }
}

/// One scam address with the reports that name it.
pub struct ScamAddress {
    pub chain: &'static str,
    pub address: String,
    pub type_idx: usize,
    pub country: &'static str,
}

/// The deposits one (year, type) group receives.
pub struct Group {
    pub year: i32,
    pub type_idx: usize,
    pub deposits: u64,
    pub revenue_usd: f64,
    pub senders: u64,
    /// Indices into the scam-address list receiving this group's deposits.
    pub addresses: Vec<usize>,
}

/// Scam addresses and deposit groups for `scam_deposits` deposits in total.
pub fn plan(rng: &mut Rng, scam_deposits: u64) -> (Vec<ScamAddress>, Vec<Group>) {
    let weights: Vec<(usize, usize, f64)> = (0..3)
        .flat_map(|y| (0..6).map(move |c| (y, c, REVENUE[y][c] / AVG_DEPOSIT[y][c])))
        .collect();
    let total_w: f64 = weights.iter().map(|w| w.2).sum();
    let usd_per_unit = scam_deposits as f64 / total_w; // deposits per revenue-unit ÷ avg
    let mut addresses = Vec::new();
    let mut groups = Vec::new();
    for (y, c, w) in weights {
        let deposits = ((w / total_w) * scam_deposits as f64).round().max(1.0) as u64;
        let type_idx = COLUMN_TYPE[c];
        let n_addr = (deposits / 6).clamp(2, 20_000);
        let first = addresses.len();
        for _ in 0..n_addr {
            addresses.push(new_scam_address(rng, type_idx));
        }
        groups.push(Group {
            year: YEARS[y],
            type_idx,
            deposits,
            revenue_usd: REVENUE[y][c] * usd_per_unit,
            senders: ((deposits as f64 / DEPOSITS_PER_SENDER[c]).ceil() as u64).max(1),
            addresses: (first..addresses.len()).collect(),
        });
    }
    (addresses, groups)
}

fn new_scam_address(rng: &mut Rng, type_idx: usize) -> ScamAddress {
    let chain = CHAINS[rng.weighted(&CHAINS.iter().map(|c| c.weight).collect::<Vec<_>>())].name;
    let country = COUNTRIES[rng.weighted(&COUNTRIES.iter().map(|c| c.1).collect::<Vec<_>>())].0;
    ScamAddress {
        chain,
        address: address(rng, chain),
        type_idx,
        country,
    }
}

/// Pick an asset for a deposit on a chain.
pub fn asset_for(rng: &mut Rng, chain: &str) -> &'static str {
    let c = CHAINS
        .iter()
        .find(|c| c.name == chain)
        .unwrap_or(&CHAINS[0]);
    c.assets[rng.weighted(&c.assets.iter().map(|a| a.1).collect::<Vec<_>>())].0
}
