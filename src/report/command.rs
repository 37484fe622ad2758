//! The `scamtrends run` command line that reproduces a run, rebuilt from the
//! parameters recorded in its manifest (shell-quoted where needed).

use crate::model::RunConfig;

/// One `scamtrends run …` line, flags in a fixed order.
pub fn run_command(p: &RunConfig) -> String {
    let mut args: Vec<String> = vec!["scamtrends".into(), "run".into()];
    let mut flag = |name: &str, value: String| {
        args.push(name.to_string());
        args.push(quote(&value));
    };
    for t in &p.inputs.transfers {
        flag("--transfers", t.clone());
    }
    if let Some(store) = &p.inputs.store {
        flag("--store", store.display().to_string());
    }
    for r in &p.inputs.reports {
        flag("--reports", r.clone());
    }
    for pr in &p.inputs.prices {
        flag("--prices", pr.clone());
    }
    if let Some(f) = &p.inputs.transfers_format {
        flag("--transfers-format", f.clone());
    }
    if let Some(m) = &p.inputs.mapping {
        flag("--mapping", m.display().to_string());
    }
    if let Some(t) = &p.inputs.tokens {
        flag("--tokens", t.display().to_string());
    }
    if let Some(t) = &p.taxonomy {
        flag("--taxonomy", t.display().to_string());
    }
    flag("--period", lowercase(&p.period));
    flag("--region-level", lowercase(&p.region_level));
    for (name, day) in [
        ("--labels-as-of", p.labels_as_of),
        ("--from", p.from),
        ("--to", p.to),
    ] {
        if let Some(d) = day {
            flag(name, d.to_string());
        }
    }
    if let Some(r) = &p.report {
        flag("--report", r.display().to_string());
    }
    flag("--max-reject-rate", p.checks.max_reject_rate.to_string());
    if p.no_report {
        args.push("--no-report".into());
    }
    if p.checks.allow_empty {
        args.push("--allow-empty".into());
    }
    args.push("--out".into());
    args.push(quote(&p.out.display().to_string()));
    args.join(" ")
}

fn lowercase<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// POSIX shell quoting: bare when safe, else single quotes.
fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_the_shell_would_split() {
        assert_eq!(quote("sample-data/transfers"), "sample-data/transfers");
        assert_eq!(quote("my exports/*.csv"), "'my exports/*.csv'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
