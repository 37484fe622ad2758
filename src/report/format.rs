//! How numbers read in charts and sentences: compact dollars for axes
//! (`$1.2M`), exact-enough dollars for prose (`$423,082`, `$1.28 million`),
//! signed percentages (`+39.9%`), scam-type display names and the slugs used
//! in figure IDs. Pure functions.

/// Compact dollars for axis ticks: $950, $12.5K, $1.2M, $3.4B.
pub fn compact_usd(v: f64) -> String {
    let (div, suffix) = match v.abs() {
        a if a >= 1e9 => (1e9, "B"),
        a if a >= 1e6 => (1e6, "M"),
        a if a >= 1e3 => (1e3, "K"),
        _ => (1.0, ""),
    };
    let x = v / div;
    let sign = if x < 0.0 { "-" } else { "" };
    let x = x.abs();
    if suffix.is_empty() {
        format!("{sign}${x:.0}")
    } else if x >= 100.0 || (x - x.round()).abs() < 0.05 {
        format!("{sign}${x:.0}{suffix}")
    } else {
        format!("{sign}${x:.1}{suffix}")
    }
}

/// Dollars in a sentence: whole dollars with separators below a million,
/// three significant digits and a word above (`$1.28 million`).
pub fn prose_usd(v: f64) -> String {
    match v.abs() {
        a if a >= 1e9 => format!("${} billion", three_significant(v / 1e9)),
        a if a >= 1e6 => format!("${} million", three_significant(v / 1e6)),
        _ => format!("${}", thousands(v.round() as i64)),
    }
}

fn three_significant(x: f64) -> String {
    match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 10.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// An integer with comma thousands separators.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A ratio as a signed percentage with one decimal: 0.399 → `+39.9%`.
pub fn signed_percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p.abs() < 0.05 {
        "0.0%".to_string()
    } else {
        format!("{p:+.1}%")
    }
}

/// A ratio as an unsigned percentage with one decimal: 0.496 → `49.6%`.
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// The name a reader sees for a canonical scam type.
pub fn type_name(scam_type: &str) -> String {
    match scam_type {
        "pig_butchering" => "Pig-butchering".to_string(),
        "investment" => "Investment".to_string(),
        "impersonation" => "Impersonation".to_string(),
        "phishing" => "Phishing".to_string(),
        "extortion" => "Extortion".to_string(),
        "employment" => "Employment".to_string(),
        "other" => "Other / unclassified".to_string(),
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    }
}

/// A scam type as the subject of a sentence: "Pig-butchering", "Investment scam".
pub fn type_phrase(scam_type: &str) -> String {
    match scam_type {
        "pig_butchering" => "Pig-butchering".to_string(),
        "other" => "Unclassified scam".to_string(),
        t => format!("{} scam", type_name(t)),
    }
}

/// The short code of a scam type in figure IDs (`F-2024-PB-REV`).
pub fn type_code(scam_type: &str) -> String {
    match scam_type {
        "pig_butchering" => "PB".to_string(),
        "investment" => "INV".to_string(),
        "impersonation" => "IMP".to_string(),
        "phishing" => "PHI".to_string(),
        "extortion" => "EXT".to_string(),
        "employment" => "EMP".to_string(),
        "other" => "OTH".to_string(),
        other => slug(other),
    }
}

/// Upper-case ASCII slug: `South-eastern Asia` → `SOUTH-EASTERN-ASIA`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_dollars() {
        assert_eq!(compact_usd(950.0), "$950");
        assert_eq!(compact_usd(12_500.0), "$12.5K");
        assert_eq!(compact_usd(1_234_567.0), "$1.2M");
        assert_eq!(compact_usd(2_000_000.0), "$2M");
        assert_eq!(compact_usd(9_900_000_000.0), "$9.9B");
        assert_eq!(compact_usd(-250_000.0), "-$250K");
    }

    #[test]
    fn prose_dollars_and_percentages() {
        assert_eq!(prose_usd(423_082.34), "$423,082");
        assert_eq!(prose_usd(1_284_000.0), "$1.28 million");
        assert_eq!(prose_usd(9_900_000_000.0), "$9.90 billion");
        assert_eq!(signed_percent(0.398707), "+39.9%");
        assert_eq!(signed_percent(-0.545719), "-54.6%");
        assert_eq!(percent(0.496035), "49.6%");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }

    #[test]
    fn ids_and_names() {
        assert_eq!(slug("South-eastern Asia"), "SOUTH-EASTERN-ASIA");
        assert_eq!(
            slug("Latin America and the Caribbean"),
            "LATIN-AMERICA-AND-THE-CARIBBEAN"
        );
        assert_eq!(type_code("pig_butchering"), "PB");
        assert_eq!(type_name("other"), "Other / unclassified");
        assert_eq!(type_name("crypto_atm"), "Crypto atm");
    }
}
