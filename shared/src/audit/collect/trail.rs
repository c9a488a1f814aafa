//! Genesys's audit trail since the previous complete run: OAuth client events and token
//! deletions, two asynchronous queries whatever the number of clients.

use super::Missing;
use crate::audit::config::AuditConfig;
use crate::audit::findings::Source;
use crate::audit::trail::{Trail, TrailEvent};
use crate::deadline::Deadline;
use crate::genesys::models::{AuditQueryFilter, AuditQueryRequest, AuditQuerySort};
use crate::genesys::GenesysError;
use crate::ports::audit_trail::AuditTrail;
use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// Longest interval one asynchronous audit query may span (\[OBS] API-FACTS §6).
pub const MAX_TRAIL_DAYS: i64 = 30;

/// How far each window reaches back before the previous run's collection: Genesys may log an
/// event a while after it happened, and an event read twice is harmless (findings are keyed by
/// subject and code).
pub const OVERLAP: Duration = Duration::hours(1);

/// The window read: from the previous complete run's collection less [`OVERLAP`] (or
/// `trailFirstRunDays` back), at most 30 days, to now (rounded up: an event of this very
/// moment is in it).
pub fn window(
    cfg: &AuditConfig,
    now: DateTime<Utc>,
    previous_run_at: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = now + Duration::seconds(1);
    let from = previous_run_at
        .map(|t| t - OVERLAP)
        .unwrap_or(now - Duration::days(i64::from(cfg.trail_first_run_days)))
        .max(to - Duration::days(MAX_TRAIL_DAYS))
        .min(now);
    (from, to)
}

fn filter(property: &str, value: &str) -> AuditQueryFilter {
    AuditQueryFilter {
        property: property.into(),
        value: value.into(),
    }
}

fn query(
    cfg: &AuditConfig,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    filters: Vec<AuditQueryFilter>,
) -> AuditQueryRequest {
    let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    AuditQueryRequest {
        interval: format!("{}/{}", iso(from), iso(to)),
        service_name: Some(cfg.trail_service_name.clone()),
        filters,
        sort: vec![AuditQuerySort {
            name: "Timestamp".into(),
            sort_order: "ascending".into(),
        }],
    }
}

fn missing(e: &GenesysError) -> Missing {
    let hint = if e.status() == Some(403) {
        " (the audit's Genesys role needs audits:audit:view)"
    } else {
        ""
    };
    Missing {
        source: Source::Trail,
        detail: format!(
            "audit trail query failed, changes not attributed and trail findings not evaluated{hint}: {} ({e})",
            e.kind()
        ),
    }
}

/// The trail of the window, or what is missing.
pub(super) async fn trail<G: AuditTrail>(
    genesys: &G,
    cfg: &AuditConfig,
    window: (DateTime<Utc>, DateTime<Utc>),
    d: &Deadline,
) -> (Option<Trail>, Vec<Missing>) {
    let clients = query(cfg, window, vec![filter("EntityType", "OAuthClient")]);
    let tokens = query(
        cfg,
        window,
        vec![
            filter("EntityType", "AccessToken"),
            filter("Action", "Delete"),
        ],
    );
    let (clients, tokens) = tokio::join!(
        genesys.audit_messages(&clients, d),
        genesys.audit_messages(&tokens, d)
    );
    match (clients, tokens) {
        (Ok(c), Ok(t)) => {
            let mut events: Vec<TrailEvent> = c
                .iter()
                .chain(t.iter())
                .filter_map(TrailEvent::from_message)
                .collect();
            events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            events.dedup_by(|a, b| a.id == b.id);
            (
                Some(Trail {
                    from: window.0,
                    to: window.1,
                    events,
                }),
                vec![],
            )
        }
        (Err(e), _) | (_, Err(e)) => (None, vec![missing(&e)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_overlap_the_previous_run_and_span_thirty_days_at_most() {
        let cfg = AuditConfig::default();
        let now: DateTime<Utc> = "2026-11-21T02:00:00Z".parse().unwrap();
        let (from, to) = window(&cfg, now, Some(now - Duration::days(1)));
        assert_eq!(from, now - Duration::days(1) - OVERLAP);
        assert!(to > now);
        let (from, _) = window(&cfg, now, None);
        assert_eq!(from, now - Duration::days(7), "first run");
        let (from, to) = window(&cfg, now, Some(now - Duration::days(90)));
        assert_eq!(to - from, Duration::days(MAX_TRAIL_DAYS), "capped");
    }
}
