//! `/api/v2/audits/query`: the asynchronous audit query (submit, poll, read results page by
//! page with a cursor) and the service mapping. Results are fixed at submit time; the first
//! `auditPollsBeforeComplete` status polls answer `Running`.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::audits::{matches, service_mapping, Filter};
use crate::clock::fmt_dt;
use crate::errors::ApiError;
use crate::ids;
use crate::routes::cursor;

/// The kind of the audit queries' page cursors.
const KIND: &str = "audit";
use super::usage::interval_of;
use crate::server::{Reply, Req};
use crate::state::{Caller, State};

/// Longest interval one query may span (\[OBS] API-FACTS §6: 30 days per asynchronous query).
pub const MAX_INTERVAL_DAYS: i64 = 30;
const DEFAULT_PAGE_SIZE: usize = 25;
const MAX_PAGE_SIZE: usize = 500;

#[derive(Debug, Clone)]
pub struct AuditQueryJob {
    pub polls: u32,
    pub polls_before_complete: u32,
    /// The request as submitted, echoed by the status.
    pub request: Value,
    pub start_date: String,
    /// The matching events, rendered, in the requested order.
    pub results: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterIn {
    property: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SortIn {
    name: Option<String>,
    sort_order: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryIn {
    interval: Option<String>,
    service_name: Option<String>,
    #[serde(default)]
    filters: Vec<FilterIn>,
    #[serde(default)]
    sort: Vec<SortIn>,
}

const FILTER_PROPERTIES: &[&str] = &[
    "UserId",
    "TrusteeOrganizationId",
    "ClientId",
    "Action",
    "EntityType",
    "EntityId",
];

pub fn submit(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let body: QueryIn = req.json_as()?;
    let (start, end) = interval_of(body.interval.as_deref())?;
    if end - start > Duration::days(MAX_INTERVAL_DAYS) {
        return Err(ApiError::invalid_value(format!(
            "The interval may span at most {MAX_INTERVAL_DAYS} days."
        ))
        .with_field("interval"));
    }
    let mut filters = Vec::new();
    for f in body.filters {
        match (f.property, f.value) {
            (Some(p), Some(v)) if FILTER_PROPERTIES.contains(&p.as_str()) => filters.push(Filter {
                property: p,
                value: v,
            }),
            (Some(p), Some(_)) => {
                return Err(ApiError::invalid_value(format!(
                    "Invalid filter property '{p}'; allowed: {}",
                    FILTER_PROPERTIES.join(", ")
                ))
                .with_field("filters"))
            }
            _ => {
                return Err(
                    ApiError::bad_request("Each filter requires property and value.")
                        .with_field("filters"),
                )
            }
        }
    }
    let mut descending = false;
    for s in &body.sort {
        match (s.name.as_deref(), s.sort_order.as_deref()) {
            (Some("Timestamp"), Some(o)) if o.eq_ignore_ascii_case("descending") => {
                descending = true
            }
            (Some("Timestamp"), Some(o)) if o.eq_ignore_ascii_case("ascending") => {}
            _ => {
                return Err(ApiError::invalid_value(
                    "sort: name must be Timestamp and sortOrder ascending or descending.",
                )
                .with_field("sort"))
            }
        }
    }
    let service = body.service_name.as_deref();
    // An event at the interval's end is outside it (half-open, as the usage query's end) [inferred].
    let mut found: Vec<&crate::audits::AuditEntry> = st
        .audit_log
        .iter()
        .filter(|e| e.event_date >= start && e.event_date < end)
        .filter(|e| matches(e, service, &filters))
        .collect();
    found.sort_by_key(|e| e.event_date);
    if descending {
        found.reverse();
    }
    let results: Vec<Value> = found.into_iter().map(|e| e.json()).collect();
    let id = ids::uuid();
    let request = json!({
        "interval": body.interval,
        "serviceName": body.service_name,
        "filters": filters.iter().map(|f| json!({"property": f.property, "value": f.value})).collect::<Vec<_>>(),
        "sort": body.sort.iter().map(|s| json!({"name": s.name, "sortOrder": s.sort_order})).collect::<Vec<_>>(),
    });
    let job = AuditQueryJob {
        polls: 0,
        polls_before_complete: st.config.audit_polls_before_complete,
        request,
        start_date: fmt_dt(&st.now()),
        results,
    };
    let body = status_json(&id, &job, "Queued");
    st.audit_queries.insert(id, job);
    Ok(Reply::ok(&body))
}

fn status_json(id: &str, job: &AuditQueryJob, state: &str) -> Value {
    let mut v = json!({"id": id, "state": state, "startDate": job.start_date});
    if let (Some(m), Some(r)) = (v.as_object_mut(), job.request.as_object()) {
        for (k, x) in r {
            if !x.is_null() {
                m.insert(k.clone(), x.clone());
            }
        }
    }
    v
}

fn job<'a>(st: &'a mut State, id: &str) -> Result<&'a mut AuditQueryJob, ApiError> {
    st.audit_queries
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("Audit query {id} not found.")).with_entity(id))
}

pub fn status(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("transactionId").to_string();
    let j = job(st, &id)?;
    j.polls = j.polls.saturating_add(1);
    let state = if j.polls > j.polls_before_complete {
        "Succeeded"
    } else {
        "Running"
    };
    Ok(Reply::ok(&status_json(&id, j, state)))
}

pub fn results(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("transactionId").to_string();
    let size = req.query_usize("pageSize")?.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(ApiError::invalid_value(format!(
            "pageSize must be between 1 and {MAX_PAGE_SIZE}."
        ))
        .with_field("pageSize"));
    }
    let offset = match req.query_first("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => cursor::decode(KIND, c).ok_or_else(|| {
            ApiError::invalid_value("The cursor is not one this query returned.")
                .with_field("cursor")
        })?,
    };
    let j = job(st, &id)?;
    // Reading results before the query succeeded is refused [inferred].
    if j.polls <= j.polls_before_complete {
        return Err(ApiError::bad_request(format!(
            "Audit query {id} has not completed; poll its status first."
        )));
    }
    let end = (offset + size).min(j.results.len());
    let page: Vec<Value> = j.results.get(offset..end).unwrap_or_default().to_vec();
    let mut body = json!({"id": id, "pageSize": size, "entities": page});
    if end < j.results.len() {
        body["cursor"] = json!(cursor::encode(KIND, end));
    }
    Ok(Reply::ok(&body))
}

pub fn mapping(_st: &mut State, _req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    Ok(Reply::ok(&service_mapping()))
}
