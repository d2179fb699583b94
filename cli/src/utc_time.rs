//! Wall-clock times for output, in UTC, without a time-zone database.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment as `(RFC 3339, HH:MM:SS.mmm)`.
pub fn now() -> (String, String) {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_at(since.as_secs(), since.subsec_millis())
}

fn format_at(secs: u64, millis: u32) -> (String, String) {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let clock = format!(
        "{:02}:{:02}:{:02}.{millis:03}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    );
    let (y, m, d) = civil_from_days(days);
    (format!("{y:04}-{m:02}-{d:02}T{clock}Z"), clock)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_at(0, 0).0, "1970-01-01T00:00:00.000Z");
        assert_eq!(format_at(951_782_400, 5).0, "2000-02-29T00:00:00.005Z");
        assert_eq!(format_at(1_796_653_861, 250).0, "2026-12-07T14:31:01.250Z");
    }
}
