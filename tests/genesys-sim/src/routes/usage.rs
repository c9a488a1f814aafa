//! API usage: per-client queries, the old org-wide `/usage/query`, and the jobs API
//! (`/usage/aggregates/query/jobs`) with cursor paging. All are asynchronous: the first
//! `usagePollsBeforeComplete` polls answer `Running`.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::clock::{fmt_date, fmt_dt};
use crate::errors::ApiError;
use crate::ids;
use crate::routes::cursor;
use crate::server::{Reply, Req};
use crate::state::{Caller, State};
use crate::usage::{
    parse_interval, run, Dim, Filters, Granularity, Metric, UsageQuery, UsageResult,
};

/// The kind of the usage jobs' page cursors.
const KIND: &str = "offset";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// `POST /api/v2/usage/aggregates/query/jobs`.
    Aggregates,
    /// `POST /api/v2/usage/query`.
    Organization,
    /// `POST|GET /api/v2/oauth/clients/{clientId}/usage/...`.
    Client(String),
}

#[derive(Debug, Clone)]
pub struct UsageJob {
    pub kind: JobKind,
    pub polls: u32,
    pub polls_before_complete: u32,
    pub metrics: Vec<Metric>,
    pub results: Vec<UsageResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryBody {
    interval: Option<String>,
    granularity: Option<String>,
    metrics: Option<Vec<String>>,
    group_by: Option<Vec<String>>,
    oauth_client_ids: Option<Vec<String>>,
    user_ids: Option<Vec<String>>,
    template_uris: Option<Vec<String>>,
    http_methods: Option<Vec<String>>,
}

const JOBS_GROUP_BY: &[&str] = &[
    "OauthClientName",
    "OauthClientId",
    "UserId",
    "HttpMethod",
    "TemplateUri",
    "Platform",
];
const ORG_GROUP_BY: &[&str] = &[
    "OAuthClientId",
    "OrganizationId",
    "UserId",
    "TemplateUri",
    "HttpMethod",
];
const CLIENT_GROUP_BY: &[&str] = &[
    "OAuthClientId",
    "OrganizationId",
    "TemplateUri",
    "HttpMethod",
];

fn parse_dims(names: &[String], allowed: &[&str]) -> Result<Vec<Dim>, ApiError> {
    names
        .iter()
        .map(|n| {
            let ok = allowed.iter().any(|a| a.eq_ignore_ascii_case(n));
            Dim::parse(n).filter(|_| ok).ok_or_else(|| {
                ApiError::invalid_value(format!(
                    "Invalid groupBy '{n}'; allowed: {}",
                    allowed.join(", ")
                ))
                .with_field("groupBy")
            })
        })
        .collect()
}

fn parse_metrics(names: &Option<Vec<String>>) -> Result<Vec<Metric>, ApiError> {
    match names {
        None => Ok(Metric::ALL.to_vec()),
        Some(v) if v.is_empty() => Ok(Metric::ALL.to_vec()),
        Some(v) => v
            .iter()
            .map(|n| {
                Metric::parse(n).ok_or_else(|| {
                    ApiError::invalid_value(format!(
                        "Invalid metric '{n}'; allowed: Requests, Status200, Status300, Status400, Status429, Status500"
                    ))
                    .with_field("metrics")
                })
            })
            .collect(),
    }
}

fn set(v: &Option<Vec<String>>, upper: bool) -> Option<HashSet<String>> {
    v.as_ref().filter(|v| !v.is_empty()).map(|v| {
        v.iter()
            .map(|s| {
                if upper {
                    s.to_ascii_uppercase()
                } else {
                    s.clone()
                }
            })
            .collect()
    })
}

struct Parsed {
    query: UsageQuery,
    metrics: Vec<Metric>,
}

/// A body's required `interval` (`start/end`), as Genesys checks it for usage and audit queries.
pub(super) fn interval_of(
    interval: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let interval = interval.ok_or_else(|| {
        ApiError::bad_request("The field 'interval' is required.").with_field("interval")
    })?;
    let (start, end) =
        parse_interval(interval).map_err(|m| ApiError::invalid_date(m).with_field("interval"))?;
    if end < start {
        return Err(
            ApiError::bad_request("The interval end is before its start.").with_field("interval"),
        );
    }
    Ok((start, end))
}

fn parse_body(
    req: &Req,
    allowed: &[&str],
    end_inclusive: bool,
    default_group: Option<Vec<Dim>>,
) -> Result<Parsed, ApiError> {
    let b: QueryBody = req.json_as()?;
    let (start, end) = interval_of(b.interval.as_deref())?;
    let granularity = match &b.granularity {
        None => Granularity::Day,
        Some(g) => Granularity::parse(g).ok_or_else(|| {
            ApiError::invalid_value(format!(
                "Invalid granularity '{g}'; allowed: Day, Week, Month"
            ))
            .with_field("granularity")
        })?,
    };
    let group_by = match &b.group_by {
        Some(g) if !g.is_empty() => Some(parse_dims(g, allowed)?),
        _ => default_group,
    };
    Ok(Parsed {
        query: UsageQuery {
            start,
            end,
            end_inclusive,
            granularity,
            group_by,
            filters: Filters {
                client_ids: set(&b.oauth_client_ids, false),
                user_ids: set(&b.user_ids, false),
                template_uris: set(&b.template_uris, false),
                http_methods: set(&b.http_methods, true),
                include_genesys_owned: true,
            },
        },
        metrics: parse_metrics(&b.metrics)?,
    })
}

fn submit(st: &mut State, kind: JobKind, parsed: Parsed) -> String {
    let id = ids::uuid();
    let results = run(&st.usage, &parsed.query);
    st.usage_jobs.insert(
        id.clone(),
        UsageJob {
            kind,
            polls: 0,
            polls_before_complete: st.config.usage_polls_before_complete,
            metrics: parsed.metrics,
            results,
        },
    );
    id
}

/// Counts a poll; `true` once the job is complete.
fn poll(st: &mut State, id: &str, kind: &JobKind) -> Result<bool, ApiError> {
    let job = st
        .usage_jobs
        .get_mut(id)
        .filter(|j| &j.kind == kind)
        .ok_or_else(|| {
            ApiError::not_found(format!("Usage query {id} not found.")).with_entity(id)
        })?;
    job.polls = job.polls.saturating_add(1);
    Ok(job.polls > job.polls_before_complete)
}

fn metric_key(m: Metric, jobs: bool) -> &'static str {
    match m {
        Metric::Requests if jobs => "requestCount",
        Metric::Requests => "requests",
        Metric::Status200 => "status200",
        Metric::Status300 => "status300",
        Metric::Status400 => "status400",
        Metric::Status429 => "status429",
        Metric::Status500 => "status500",
    }
}

/// `ApiUsageRow` (old and per-client endpoints); `date` is a date-time.
fn api_usage_row(r: &UsageResult, metrics: &[Metric]) -> Value {
    let mut m = Map::new();
    let date = r.bucket.and_time(NaiveTime::MIN).and_utc();
    m.insert("date".into(), json!(fmt_dt(&date)));
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    };
    opt("clientId", &r.client_id);
    opt("clientName", &r.client_name);
    opt("organizationId", &r.organization_id);
    opt("userId", &r.user_id);
    opt("templateUri", &r.template_uri);
    opt("httpMethod", &r.http_method);
    for mt in metrics {
        m.insert(metric_key(*mt, false).into(), json!(mt.value(&r.counts)));
    }
    Value::Object(m)
}

/// `OrganizationPublicApiUsage` (jobs API); `date` is a plain date.
fn org_public_usage(r: &UsageResult, metrics: &[Metric]) -> Value {
    let mut m = Map::new();
    m.insert("date".into(), json!(fmt_date(&r.bucket)));
    if r.client_id.is_some() || r.client_name.is_some() {
        let mut c = Map::new();
        if let Some(id) = &r.client_id {
            c.insert("id".into(), json!(id));
        }
        if let Some(n) = &r.client_name {
            c.insert("name".into(), json!(n));
        }
        if let Some(id) = &r.client_id {
            c.insert(
                "selfUri".into(),
                json!(format!("/api/v2/oauth/clients/{id}")),
            );
        }
        m.insert("oauthClient".into(), Value::Object(c));
    }
    if let Some(u) = &r.user_id {
        m.insert(
            "user".into(),
            json!({"id": u, "selfUri": format!("/api/v2/users/{u}")}),
        );
    }
    for (k, v) in [
        ("templateUri", &r.template_uri),
        ("httpMethod", &r.http_method),
        ("platform", &r.platform),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    for mt in metrics {
        m.insert(metric_key(*mt, true).into(), json!(mt.value(&r.counts)));
    }
    Value::Object(m)
}

fn execution_result(id: &str, results_uri: String) -> Reply {
    Reply::ok(&json!({"executionId": id, "resultsUri": results_uri}))
}

fn old_results(st: &mut State, id: &str, kind: JobKind) -> Result<Reply, ApiError> {
    if !poll(st, id, &kind)? {
        return Ok(Reply::ok(&json!({"queryStatus": "Running"})));
    }
    let job = st
        .usage_jobs
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Usage query {id} not found.")))?;
    let rows: Vec<Value> = job
        .results
        .iter()
        .map(|r| api_usage_row(r, &job.metrics))
        .collect();
    Ok(Reply::ok(
        &json!({"queryStatus": "Complete", "results": rows}),
    ))
}

fn require_client(st: &State, id: &str) -> Result<(), ApiError> {
    if st.clients.contains_key(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("OAuth client {id} not found.")).with_entity(id))
    }
}

fn only_client(q: &mut UsageQuery, id: &str) {
    q.filters.client_ids = Some(std::iter::once(id.to_string()).collect());
    // Per-client rows always name the client (inferred).
    if let Some(g) = &mut q.group_by {
        if !g.contains(&Dim::ClientId) {
            g.insert(0, Dim::ClientId);
        }
    }
}

pub fn client_summary(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId").to_string();
    require_client(st, &id)?;
    let raw = req.query_first("days").unwrap_or("7");
    let days: i64 = raw
        .parse()
        .ok()
        .filter(|d| (1..=366).contains(d))
        .ok_or_else(|| {
            ApiError::invalid_value(format!("Invalid days '{raw}'")).with_field("days")
        })?;
    let now = st.now();
    let start = (st.today() - Duration::days(days))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let mut query = UsageQuery {
        start,
        end: now,
        end_inclusive: true,
        granularity: Granularity::Day,
        group_by: Some(vec![Dim::ClientId]),
        filters: Filters {
            include_genesys_owned: true,
            ..Filters::default()
        },
    };
    only_client(&mut query, &id);
    let exec = submit(
        st,
        JobKind::Client(id.clone()),
        Parsed {
            query,
            metrics: Metric::ALL.to_vec(),
        },
    );
    Ok(execution_result(
        &exec,
        format!("/api/v2/oauth/clients/{id}/usage/query/results/{exec}"),
    ))
}

pub fn client_query(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId").to_string();
    require_client(st, &id)?;
    let mut parsed = parse_body(req, CLIENT_GROUP_BY, false, Some(vec![]))?;
    only_client(&mut parsed.query, &id);
    let exec = submit(st, JobKind::Client(id.clone()), parsed);
    Ok(execution_result(
        &exec,
        format!("/api/v2/oauth/clients/{id}/usage/query/results/{exec}"),
    ))
}

pub fn client_results(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId").to_string();
    let exec = req.param("executionId").to_string();
    old_results(st, &exec, JobKind::Client(id))
}

pub fn org_query(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let mut parsed = parse_body(req, ORG_GROUP_BY, false, Some(vec![]))?;
    // The old endpoint filters out Genesys-owned clients.
    parsed.query.filters.include_genesys_owned = false;
    let exec = submit(st, JobKind::Organization, parsed);
    Ok(execution_result(
        &exec,
        format!("/api/v2/usage/query/{exec}/results"),
    ))
}

pub fn org_results(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let exec = req.param("executionId").to_string();
    old_results(st, &exec, JobKind::Organization)
}

pub fn jobs_submit(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let parsed = parse_body(req, JOBS_GROUP_BY, true, None)?;
    let now = st.now();
    if parsed.query.start < crate::clock::days_before(now, 365) {
        return Err(
            ApiError::bad_request("The interval start cannot be more than one year ago.")
                .with_field("interval"),
        );
    }
    if parsed.query.end > crate::clock::plus_ms(parsed.query.start, 90 * 86_400_000) {
        return Err(
            ApiError::bad_request("The interval cannot be longer than 90 days.")
                .with_field("interval"),
        );
    }
    let id = submit(st, JobKind::Aggregates, parsed);
    let uri = format!("/api/v2/usage/aggregates/query/jobs/{id}");
    Ok(Reply::ok(
        &json!({"id": id, "resultsUri": uri, "selfUri": uri}),
    ))
}

pub fn jobs_get(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("jobId").to_string();
    let size = req.query_usize("pageSize")?.unwrap_or(100);
    if size > 1000 {
        return Err(
            ApiError::bad_request("pageSize cannot be greater than 1000.").with_field("pageSize"),
        );
    }
    let offset = match req.query_first("after") {
        None | Some("") => 0,
        Some(c) => cursor::decode(KIND, c).ok_or_else(|| {
            ApiError::bad_request(format!("Invalid cursor '{c}'.")).with_field("after")
        })?,
    };
    let self_uri = format!("/api/v2/usage/aggregates/query/jobs/{id}");
    if !poll(st, &id, &JobKind::Aggregates)? {
        return Ok(Reply::ok(
            &json!({"queryStatus": "Running", "selfUri": self_uri}),
        ));
    }
    let job = st
        .usage_jobs
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Usage query job {id} not found.")))?;
    let total = job.results.len();
    let start = offset.min(total);
    let end = start.saturating_add(size).min(total);
    let entities: Vec<Value> = job.results[start..end]
        .iter()
        .map(|r| org_public_usage(r, &job.metrics))
        .collect();
    let mut body = json!({"queryStatus": "Succeeded", "entities": entities, "selfUri": self_uri});
    if end < total {
        body["nextUri"] = json!(format!(
            "{self_uri}?pageSize={size}&after={}",
            cursor::encode(KIND, end)
        ));
    }
    Ok(Reply::ok(&body))
}
