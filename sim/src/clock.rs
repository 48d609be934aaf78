//! Timestamps (RFC 3339 with nanoseconds, as clawnode's chrono prints them) and Docker's
//! human status text (`Up 5 minutes`, `Exited (0) 2 hours ago`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// `2026-11-25T19:27:31.669778619+00:00` for a time in milliseconds since the epoch.
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let nanos = (ms % 1000) * 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}+00:00", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// `2026-01-10T08:00:00+00:00`: whole seconds, as chrono's `to_rfc3339` prints a time taken
/// from Docker's list API (`Created` is in seconds).
pub fn rfc3339_secs(ms: u64) -> String {
    let full = rfc3339(ms - ms % 1000);
    full.replace(".000000000+", "+")
}

/// Gregorian date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Docker's `HumanDuration`: `Less than a second`, `5 seconds`, `About a minute`, `3 hours`, `2 days`.
pub fn human_duration(secs: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match secs {
        0 => "Less than a second".to_string(),
        1..=59 => plural(secs, "second"),
        60..=119 => "About a minute".to_string(),
        120..=2699 => plural(secs / 60, "minute"),
        2700..=5399 => "About an hour".to_string(),
        5400..=172_799 => plural((secs + 1800) / 3600, "hour"),
        172_800..=1_209_599 => plural(secs / 86_400, "day"),
        1_209_600..=5_183_999 => plural(secs / 604_800, "week"),
        5_184_000..=63_071_999 => plural(secs / 2_592_000, "month"),
        _ => plural(secs / 31_536_000, "year"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_prints_utc_with_nanoseconds() {
        assert_eq!(rfc3339(1_795_634_851_669), "2026-11-25T19:27:31.669000000+00:00");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000+00:00");
        assert_eq!(rfc3339_secs(1_795_634_851_669), "2026-11-25T19:27:31+00:00");
    }

    #[test]
    fn human_duration_matches_docker() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(59), "59 seconds");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(300), "5 minutes");
        assert_eq!(human_duration(3000), "About an hour");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_duration(3 * 86_400), "3 days");
    }
}
