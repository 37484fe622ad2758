//! Timestamp parsing for `block_time` and `reported_at` (METHODOLOGY §1):
//! RFC 3339 with `Z` or an offset (converted to UTC), `YYYY-MM-DD HH:MM:SS[.fff]`
//! in UTC, integer Unix seconds and, where allowed, a bare `YYYY-MM-DD`.
//! Pure functions over text; the result is UTC Unix seconds (fractions dropped).

/// Seconds in one day.
pub const DAY_SECONDS: i64 = 86_400;

/// Parse one timestamp; `None` when the text matches no accepted format.
pub fn parse_timestamp(text: &str, allow_date_only: bool) -> Option<i64> {
    let s = text.trim().as_bytes();
    if s.is_empty() {
        return None;
    }
    if s.iter().all(u8::is_ascii_digit)
        || (s[0] == b'-' && s.len() > 1 && s[1..].iter().all(u8::is_ascii_digit))
    {
        return std::str::from_utf8(s)
            .ok()?
            .parse::<i64>()
            .ok()
            // unsigned_abs: `abs` of i64::MIN overflows (found by fuzzing)
            .filter(|v| v.unsigned_abs() < 1 << 40);
    }
    let days = parse_date(s.get(..10)?)?;
    if s.len() == 10 {
        return allow_date_only.then_some(days * DAY_SECONDS);
    }
    if !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    let (clock, rest) = parse_clock(&s[11..])?;
    let offset = parse_offset(rest)?;
    Some(days * DAY_SECONDS + clock - offset)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` slice (proleptic Gregorian,
/// years 0000-9999; tested equal to chrono's `NaiveDate` on every date).
fn parse_date(s: &[u8]) -> Option<i64> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a valid
/// date, with March as the first month of a 400-year era.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM:SS[.fff…]`: seconds of the day and the remaining bytes.
fn parse_clock(s: &[u8]) -> Option<(i64, &[u8])> {
    if s.len() < 8 || s[2] != b':' || s[5] != b':' {
        return None;
    }
    let (h, m, sec) = (digits(&s[0..2])?, digits(&s[3..5])?, digits(&s[6..8])?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    Some((h * 3600 + m * 60 + sec, rest))
}

/// Zone suffix in seconds east of UTC: none or `Z` is 0, else `±HH:MM`, `±HHMM`, `±HH`.
fn parse_offset(s: &[u8]) -> Option<i64> {
    let sign = match s.first() {
        None => return Some(0),
        Some(b'Z' | b'z') if s.len() == 1 => return Some(0),
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let body = &s[1..];
    let (h, m) = match body.len() {
        2 => (digits(body)?, 0),
        4 => (digits(&body[0..2])?, digits(&body[2..4])?),
        5 if body[2] == b':' => (digits(&body[0..2])?, digits(&body[3..5])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter()
        .try_fold(0i64, |acc, b| Some(acc * 10 + i64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<i64> {
        parse_timestamp(s, false)
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        // 2023-03-31T23:30:00-02:00 is 2023-04-01T01:30:00Z
        assert_eq!(ts("2023-03-31T23:30:00-02:00"), ts("2023-04-01 01:30:00"));
        assert_eq!(ts("2024-04-01T10:00:00+08:00"), Some(1_711_936_800));
        assert_eq!(ts("2024-04-01T02:00:00Z"), Some(1_711_936_800));
        assert_eq!(ts("2024-04-01T02:00:00.123456Z"), Some(1_711_936_800));
        assert_eq!(ts("2024-04-01T04:00:00+0200"), Some(1_711_936_800));
    }

    #[test]
    fn unix_seconds_and_plain_utc() {
        assert_eq!(ts("1706745600"), Some(1_706_745_600));
        assert_eq!(ts("2024-02-01 00:00:00"), Some(1_706_745_600));
        assert_eq!(ts(" 2024-02-01 00:00:00.5 "), Some(1_706_745_600));
    }

    #[test]
    fn dates_are_chronos_on_every_day_of_ten_thousand_years() {
        use chrono::NaiveDate;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for year in 0..=9999i32 {
            for month in 0..=13u32 {
                for day in 0..=32u32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let expected =
                        NaiveDate::from_ymd_opt(year, month, day).map(|d| (d - epoch).num_days());
                    assert_eq!(parse_date(text.as_bytes()), expected, "{text}");
                }
            }
        }
    }

    #[test]
    fn garbage_and_impossible_dates_fail() {
        for bad in [
            "yesterday",
            "",
            "2023-02-30 00:00:00",
            "2023-01-01 24:00:00",
            "2023-01-01T00:00:00+25:00",
            "1e9",
            "2023-01-01",
            "-9223372036854775808",
            "1099511627776",
        ] {
            assert_eq!(ts(bad), None, "{bad}");
        }
        assert_eq!(parse_timestamp("2023-01-02", true), Some(1_672_617_600));
    }
}
