//! When a managed secret is due, from its tags alone (no secret value): the rule the sweep
//! plans by, its dry run shows, and the audit and the CLI read.
//!
//! - Rotated by credguard: due `credguard:rotated-at` + max age.
//! - Adopted (by `credguard adopt`, or by the sweep the first time it sees the secret): due
//!   `credguard:adopted-at` + max age. The clock starts at adoption, never earlier, so a secret
//!   newly tagged as managed is not regenerated under its consumers' feet; rotate it now
//!   explicitly when that is wanted.
//! - Neither: not adopted yet. The sweep adopts it (writes the tags below) and rotates it no
//!   earlier than its declared policy allows.
//!
//! Max age: `credguard:max-age-days` (written at adoption and by every rotation, from
//! `rotation.maxAgeDays`), else the function's default. The sweep's jitter makes a secret due
//! up to `SWEEP_JITTER_MINUTES` early, spread by a hash of its name, so a fleet adopted
//! together does not rotate in the same minute.

use super::config::RotationConfig;
use crate::credential::{
    ManagedCredential, Strategy, TAG_ADOPTED_AT, TAG_CLIENT_ID, TAG_MAX_AGE_DAYS,
    TAG_PARTNER_CLIENT_ID, TAG_ROTATED_AT, TAG_STRATEGY,
};
use crate::records::iso;
use chrono::{DateTime, Duration as Days, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a secret's rotation clock counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    Rotated(DateTime<Utc>),
    Adopted(DateTime<Utc>),
    NotAdopted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub basis: Basis,
    pub max_age_days: u32,
    /// `None` until the secret is adopted.
    pub at: Option<DateTime<Utc>>,
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The secret's max age: its tag, else the default.
pub fn max_age_days(tags: &BTreeMap<String, String>, default: u32) -> u32 {
    tags.get(TAG_MAX_AGE_DAYS)
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|d| *d > 0)
        .unwrap_or(default)
}

/// When the secret named `name` with these tags is due.
pub fn due(name: &str, tags: &BTreeMap<String, String>, config: &RotationConfig) -> Due {
    let basis = match (
        tags.get(TAG_ROTATED_AT).and_then(|s| parse_time(s)),
        tags.get(TAG_ADOPTED_AT).and_then(|s| parse_time(s)),
    ) {
        (Some(t), _) => Basis::Rotated(t),
        (None, Some(t)) => Basis::Adopted(t),
        (None, None) => Basis::NotAdopted,
    };
    let max_age = max_age_days(tags, config.max_age_days);
    let at = match basis {
        Basis::Rotated(t) | Basis::Adopted(t) => {
            Some(t + Days::days(i64::from(max_age)) - jitter_offset(name, config.sweep_jitter))
        }
        Basis::NotAdopted => None,
    };
    Due {
        basis,
        max_age_days: max_age,
        at,
    }
}

/// The tags that adopt a secret holding `doc` at `now`: what the sweep plans from, without
/// reading the value again.
pub fn adoption_tags(
    doc: &ManagedCredential,
    now: DateTime<Utc>,
    config: &RotationConfig,
) -> Vec<(&'static str, String)> {
    let settings = doc.settings();
    let mut tags = vec![
        (TAG_ADOPTED_AT, iso(now)),
        (TAG_CLIENT_ID, doc.client_id.clone()),
        (TAG_STRATEGY, settings.strategy.as_str().to_owned()),
        (TAG_MAX_AGE_DAYS, config.max_age_days(&settings).to_string()),
    ];
    if settings.strategy == Strategy::Alternating {
        if let Some(partner) = settings.partner_client_id {
            tags.push((TAG_PARTNER_CLIENT_ID, partner));
        }
    }
    tags
}

/// A deterministic offset in `[0, jitter)` from the secret's name.
pub fn jitter_offset(name: &str, jitter: Duration) -> Days {
    let secs = jitter.as_secs();
    if secs == 0 {
        return Days::zero();
    }
    let h = Sha256::digest(name.as_bytes());
    let n = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
    Days::seconds((n % secs) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::SecretString;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn jitter_is_deterministic_and_bounded() {
        let j = Duration::from_secs(6 * 3600);
        let a = jitter_offset("credguard/a", j);
        assert_eq!(a, jitter_offset("credguard/a", j));
        let offsets: Vec<_> = (0..200)
            .map(|i| jitter_offset(&format!("s{i}"), j))
            .collect();
        assert!(offsets
            .iter()
            .all(|o| *o >= Days::zero() && *o < Days::hours(6)));
        let distinct: std::collections::BTreeSet<_> =
            offsets.iter().map(|o| o.num_minutes()).collect();
        // 200 uniform picks among 360 minutes give ~153 distinct values on average.
        assert!(
            distinct.len() > 120,
            "a fleet spreads out: {} distinct minutes",
            distinct.len()
        );
        assert_eq!(jitter_offset("x", Duration::ZERO), Days::zero());
    }

    #[test]
    fn the_clock_counts_from_the_last_rotation_else_from_adoption() {
        let config = RotationConfig {
            sweep_jitter: Duration::ZERO,
            ..RotationConfig::default()
        };
        let t = "2026-03-01T00:00:00.000Z";
        let at = parse_time(t).unwrap();
        let rotated = due("s", &tags(&[(TAG_ROTATED_AT, t)]), &config);
        assert_eq!(rotated.basis, Basis::Rotated(at));
        assert_eq!(rotated.at, Some(at + Days::days(30)), "the default max age");

        let adopted = due(
            "s",
            &tags(&[(TAG_ADOPTED_AT, t), (TAG_MAX_AGE_DAYS, "90")]),
            &config,
        );
        assert_eq!(adopted.basis, Basis::Adopted(at));
        assert_eq!(adopted.at, Some(at + Days::days(90)), "its own max age");

        let newer = "2026-04-01T00:00:00.000Z";
        let both = due(
            "s",
            &tags(&[(TAG_ADOPTED_AT, t), (TAG_ROTATED_AT, newer)]),
            &config,
        );
        assert_eq!(both.basis, Basis::Rotated(parse_time(newer).unwrap()));

        let new = due("s", &tags(&[(TAG_CLIENT_ID, "c")]), &config);
        assert_eq!((new.basis, new.at), (Basis::NotAdopted, None));
    }

    #[test]
    fn adoption_records_the_declared_policy() {
        let doc = ManagedCredential::parse(&SecretString::from(
            r#"{"clientId":"a","clientSecret":"x","rotation":{"strategy":"alternating","partnerClientId":"b","maxAgeDays":90}}"#,
        ))
        .unwrap();
        let now = Utc::now();
        let written: BTreeMap<_, _> = adoption_tags(&doc, now, &RotationConfig::default())
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(written[TAG_MAX_AGE_DAYS], "90");
        assert_eq!(written[TAG_STRATEGY], "alternating");
        assert_eq!(written[TAG_PARTNER_CLIENT_ID], "b");
        assert_eq!(written[TAG_ADOPTED_AT], iso(now));
        let d = due("s", &written, &RotationConfig::default());
        assert_eq!(d.max_age_days, 90);
        assert!(
            d.at.unwrap() > now + Days::days(89),
            "not before its policy allows"
        );
    }
}
