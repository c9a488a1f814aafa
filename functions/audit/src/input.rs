//! What may trigger a run, and the run id each trigger means.
//!
//! - EventBridge Scheduler, with the target input `{"scheduledTime":
//!   "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>",
//!   "executionId": "<aws.scheduler.execution-id>", "attemptNumber":
//!   "<aws.scheduler.attempt-number>"}`: run id = the UTC date of `scheduledTime`;
//! - an EventBridge rule's `Scheduled Event`: run id = the UTC date of `time`;
//! - a manual invocation `{"runId": "...", "dryRun": true}` (both optional; run id defaults to
//!   today's date, so a manual run the same day is the nightly run).
//!
//! Retries of one trigger carry the same time, hence the same run id: idempotent by design.

use chrono::{DateTime, Utc};
use credguard::audit::{AuditError, AuditRequest, RunId, RunTrigger};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SchedulerInput {
    scheduled_time: DateTime<Utc>,
    #[serde(default)]
    #[allow(dead_code)]
    schedule_arn: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    execution_id: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    attempt_number: Option<Value>,
}

/// The EventBridge envelope (`aws_lambda_events` would add a dependency for three fields).
#[derive(Deserialize)]
struct ScheduledEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    time: DateTime<Utc>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualInput {
    run_id: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> AuditError {
    AuditError::InvalidInput(format!("{what}: {e}"))
}

pub fn parse(payload: &Value, now: DateTime<Utc>) -> Result<AuditRequest, AuditError> {
    let empty = serde_json::Map::new();
    let obj = match payload {
        Value::Object(o) => o,
        Value::Null => &empty,
        _ => {
            return Err(AuditError::InvalidInput(
                "the event is not a JSON object".into(),
            ))
        }
    };
    if obj.contains_key("detail-type") {
        let e: ScheduledEvent =
            serde_json::from_value(payload.clone()).map_err(|e| invalid("EventBridge event", e))?;
        if e.detail_type != "Scheduled Event" || e.source != "aws.events" {
            return Err(AuditError::InvalidInput(format!(
                "unexpected EventBridge event {:?} from {:?}",
                e.detail_type, e.source
            )));
        }
        return Ok(scheduled(e.time));
    }
    if obj.contains_key("scheduledTime") {
        let s: SchedulerInput = serde_json::from_value(payload.clone())
            .map_err(|e| invalid("EventBridge Scheduler input", e))?;
        return Ok(scheduled(s.scheduled_time));
    }
    let m: ManualInput = serde_json::from_value(Value::Object(obj.clone()))
        .map_err(|e| invalid("manual input (runId, dryRun)", e))?;
    Ok(AuditRequest {
        run_id: match m.run_id {
            Some(id) => RunId::parse(&id)?,
            None => RunId::for_date(now.date_naive()),
        },
        trigger: RunTrigger::Manual,
        scheduled_at: None,
        dry_run: m.dry_run,
        keep_findings: false,
    })
}

fn scheduled(at: DateTime<Utc>) -> AuditRequest {
    AuditRequest {
        run_id: RunId::for_date(at.date_naive()),
        trigger: RunTrigger::Schedule,
        scheduled_at: Some(at),
        dry_run: false,
        keep_findings: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        credguard_testkit::fixture(env!("CARGO_MANIFEST_DIR"), name)
    }

    fn now() -> DateTime<Utc> {
        "2026-11-21T13:00:00Z".parse().unwrap()
    }

    #[test]
    fn scheduler_input_names_the_run_after_the_scheduled_day() {
        let r = parse(&fixture("scheduler-event.json"), now()).unwrap();
        assert_eq!(r.run_id.as_str(), "2026-11-21");
        assert_eq!(r.trigger, RunTrigger::Schedule);
        assert_eq!(
            r.scheduled_at.map(|t| t.to_rfc3339()),
            Some("2026-11-21T02:00:00+00:00".into())
        );
        assert!(!r.dry_run);
    }

    #[test]
    fn eventbridge_scheduled_event_is_accepted() {
        let r = parse(&fixture("eventbridge-scheduled-event.json"), now()).unwrap();
        assert_eq!(r.run_id.as_str(), "2026-11-21");
        assert_eq!(r.trigger, RunTrigger::Schedule);
    }

    #[test]
    fn manual_runs_default_to_today() {
        let r = parse(&fixture("manual-run.json"), now()).unwrap();
        assert_eq!(r.run_id.as_str(), "2026-11-21T13-manual");
        let r = parse(&fixture("manual-dry-run.json"), now()).unwrap();
        assert!(r.dry_run);
        assert_eq!(r.run_id.as_str(), "2026-11-21");
        let r = parse(&serde_json::json!({}), now()).unwrap();
        assert_eq!(
            (r.run_id.as_str(), r.trigger),
            ("2026-11-21", RunTrigger::Manual)
        );
    }

    #[test]
    fn typos_and_foreign_events_are_refused() {
        for bad in [
            serde_json::json!({"dryrun": true}),
            serde_json::json!({"runId": "yesterday"}),
            serde_json::json!({"detail-type": "Object Created", "source": "aws.s3", "time": "2026-11-21T00:00:00Z"}),
            serde_json::json!({"scheduledTime": "<aws.scheduler.scheduled-time>"}),
            serde_json::json!([1, 2]),
        ] {
            let err = parse(&bad, now()).unwrap_err();
            assert_eq!(err.error_type(), "AuditInvalidInput", "{bad}");
        }
    }
}
