//! Simulated clock: real UTC time plus an adjustable offset, so tests can jump ahead
//! (token expiry, propagation delay, rate-limit windows, deletion dates, usage days).

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

const MAX_OFFSET_MS: i64 = 100 * 366 * 86_400 * 1000;

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms)
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves the offset, kept within ±100 years so date arithmetic cannot overflow.
    pub fn advance_ms(&mut self, ms: i64) {
        self.offset_ms = self
            .offset_ms
            .saturating_add(ms)
            .clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }
}

/// `dt` plus `ms`, saturating at the representable range (input can be anything).
pub fn plus_ms(dt: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    let delta = Duration::try_milliseconds(ms).unwrap_or(if ms < 0 {
        Duration::MIN
    } else {
        Duration::MAX
    });
    dt.checked_add_signed(delta).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `dt` minus whole days, saturating.
pub fn days_before(dt: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    plus_ms(dt, days.saturating_mul(-86_400_000))
}

/// `d` minus whole days, saturating.
pub fn date_minus_days(d: NaiveDate, days: i64) -> NaiveDate {
    Duration::try_days(days)
        .and_then(|delta| d.checked_sub_signed(delta))
        .unwrap_or(if days < 0 {
            NaiveDate::MAX
        } else {
            NaiveDate::MIN
        })
}

/// Genesys renders date-times as `yyyy-MM-ddTHH:mm:ss.SSSZ`.
pub fn fmt_dt(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn fmt_date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Parses the date-time forms Genesys accepts: RFC 3339, or a naive `yyyy-MM-ddTHH:mm:ss[.fff]`
/// (taken as UTC), or a bare date (midnight UTC).
pub fn parse_dt(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let mut c = Clock::default();
        let before = c.now();
        c.advance_ms(3_600_000);
        assert!(c.now() - before >= Duration::seconds(3599));
    }

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let now = Utc::now();
        assert_eq!(plus_ms(now, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(days_before(now, i64::MAX), DateTime::<Utc>::MIN_UTC);
        assert_eq!(date_minus_days(NaiveDate::MIN, 5), NaiveDate::MIN);
        let mut c = Clock::default();
        c.advance_ms(i64::MAX);
        let _ = c.now();
        c.advance_ms(i64::MIN);
        c.advance_ms(i64::MIN);
        let _ = c.now();
    }

    #[test]
    fn parses_genesys_forms() {
        assert!(parse_dt("2026-01-01T00:00:00").is_some());
        assert!(parse_dt("2026-01-01T00:00:00.123Z").is_some());
        assert!(parse_dt("2026-01-01T00:00:00+02:00").is_some());
        assert!(parse_dt("2026-01-01").is_some());
        assert!(parse_dt("yesterday").is_none());
        let dt = parse_dt("2024-01-02T03:04:05Z").unwrap_or_default();
        assert_eq!(fmt_dt(&dt), "2024-01-02T03:04:05.000Z");
    }
}
