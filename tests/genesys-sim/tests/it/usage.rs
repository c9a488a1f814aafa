//! Usage: per-client summary/query, the old org query and the jobs API (async + paging).

use crate::common::*;
use chrono::{Duration, NaiveDate};
use genesys_sim::{SeedUsageRow, SimConfig};
use serde_json::{json, Value};
use std::collections::HashMap;

fn today(sim: &genesys_sim::SimHandle) -> NaiveDate {
    sim.now().date_naive()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Inclusive interval covering the `days` whole UTC days before today.
fn last_days(sim: &genesys_sim::SimHandle, days: i64) -> String {
    let t = today(sim);
    format!(
        "{}T00:00:00/{}T23:59:59",
        day(t - Duration::days(days)),
        day(t - Duration::days(1))
    )
}

/// A simulator whose usage jobs succeed at the first poll, and the admin's token.
async fn sim_with_jobs_done_at_once() -> (genesys_sim::SimHandle, String) {
    let (sim, t) = sim_with_as_admin(SimConfig {
        usage_polls_before_complete: 0,
        ..SimConfig::default()
    })
    .await;
    (sim, t)
}

/// Submits a usage job and reads its first result page (one poll: see `sim_with_jobs_done_at_once`).
async fn job_result(sim: &genesys_sim::SimHandle, t: &str, body: &Value) -> Value {
    let sub = Api(sim, t)
        .post_json("/api/v2/usage/aggregates/query/jobs", body, 200)
        .await;
    let id = sub["id"].as_str().expect("job id");
    Api(sim, t)
        .get_json(&format!("/api/v2/usage/aggregates/query/jobs/{id}"))
        .await
}

async fn poll_until(
    sim: &genesys_sim::SimHandle,
    t: &str,
    path: &str,
    done: &str,
) -> (Value, usize) {
    for polls in 1..20 {
        let v = Api(sim, t).get_json(path).await;
        if v["queryStatus"] == done {
            return (v, polls);
        }
        assert!(v["queryStatus"] == "Running", "unexpected status {v}");
        assert!(
            v.get("results").is_none() && v.get("entities").is_none(),
            "no results while running"
        );
    }
    panic!("query never completed");
}

#[tokio::test]
async fn jobs_api_runs_then_pages_through_grouped_rows() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let body = json!({"interval": last_days(&sim, 30), "granularity": "Day", "groupBy": ["OauthClientId"], "metrics": ["Requests"]});
    let sub = api
        .post_json("/api/v2/usage/aggregates/query/jobs", &body, 200)
        .await;
    let id = sub["id"].as_str().expect("job id").to_string();
    assert!(sub["selfUri"].is_string() && sub["resultsUri"].is_string());
    let first = format!("/api/v2/usage/aggregates/query/jobs/{id}?pageSize=20");
    let (mut page, polls) = poll_until(&sim, &t, &first, "Succeeded").await;
    assert_eq!(polls, 2, "one Running poll by default");
    let mut rows: Vec<Value> = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let e = page["entities"].as_array().expect("entities");
        assert!(e.len() <= 20);
        rows.extend(e.iter().cloned());
        let Some(next) = page["nextUri"].as_str() else {
            break;
        };
        assert!(next.contains("after="));
        page = api.get_json(next).await;
        assert_eq!(page["queryStatus"], "Succeeded");
    }
    assert_eq!(rows.len(), 138);
    assert_eq!(pages, 7);
    let mut per_client: HashMap<String, u64> = HashMap::new();
    for r in &rows {
        assert!(
            NaiveDate::parse_from_str(r["date"].as_str().expect("date"), "%Y-%m-%d").is_ok(),
            "plain date"
        );
        assert!(r.get("status200").is_none(), "only requested metrics");
        assert!(r.get("templateUri").is_none(), "not grouped by template");
        *per_client
            .entry(r["oauthClient"]["id"].as_str().expect("client").to_string())
            .or_default() += r["requestCount"].as_u64().expect("requestCount");
    }
    assert_eq!(per_client[HR_SYNC], 15060);
    assert_eq!(per_client[ADMIN_CLIENT_ID], 360);
    assert!(
        per_client.contains_key(G_WEB),
        "jobs API reports Genesys-owned clients"
    );
    assert!(!per_client.contains_key(LEGACY));
    let sync_row = rows
        .iter()
        .find(|r| r["oauthClient"]["id"] == HR_SYNC)
        .expect("row");
    assert_eq!(sync_row["oauthClient"]["name"], "HR Directory Sync");
}

#[tokio::test]
async fn jobs_api_filters_raw_rows_and_groupings() {
    let (sim, t) = sim_with_jobs_done_at_once().await;
    let yesterday = day(today(&sim) - Duration::days(1));
    let interval = format!("{yesterday}T00:00:00/{yesterday}T23:59:59");
    // No groupBy: rows come back as stored.
    let v = job_result(
        &sim,
        &t,
        &json!({"interval": interval, "oauthClientIds": [HR_SYNC]}),
    )
    .await;
    assert_eq!(
        v["queryStatus"], "Succeeded",
        "no Running poll when configured to 0"
    );
    let e = v["entities"].as_array().expect("entities");
    assert_eq!(e.len(), 2);
    assert!(e.iter().all(|r| r["templateUri"].is_string()
        && r["httpMethod"].is_string()
        && r["status200"].is_u64()));
    // Group by template and method across clients, filtered by method.
    let body = json!({"interval": interval, "groupBy": ["TemplateUri", "HttpMethod"], "httpMethods": ["PATCH"]});
    let v = job_result(&sim, &t, &body).await;
    let e = v["entities"].as_array().expect("entities");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["templateUri"], "api/v2/users/{userId}");
    assert_eq!(e[0]["requestCount"], 41);
    assert_eq!(e[0]["status400"], 2);
    assert!(e[0].get("oauthClient").is_none());
    // UserId grouping.
    let body = json!({"interval": last_days(&sim, 30), "groupBy": ["UserId"], "oauthClientIds": [AGENT_DESKTOP]});
    let v = job_result(&sim, &t, &body).await;
    assert_eq!(v["entities"][0]["user"]["id"], SAM);
}

#[tokio::test]
async fn jobs_api_validates_interval_and_page_size() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let now = today(&sim);
    let interval = |from: i64, to: i64| {
        format!(
            "{}T00:00:00/{}T00:00:00",
            day(now - Duration::days(from)),
            day(now - Duration::days(to))
        )
    };
    let jobs = "/api/v2/usage/aggregates/query/jobs";
    for (what, body, code) in [
        (
            "too old",
            json!({"interval": interval(400, 380)}),
            "bad.request",
        ),
        (
            "too long",
            json!({"interval": interval(120, 29)}),
            "bad.request",
        ),
        (
            "end before start",
            json!({"interval": interval(10, 20)}),
            "bad.request",
        ),
        (
            "unparsable",
            json!({"interval": "yesterday"}),
            "invalid.date",
        ),
        ("no interval", json!({"granularity": "Day"}), "bad.request"),
        (
            "unknown groupBy",
            json!({"interval": last_days(&sim, 5), "groupBy": ["Nope"]}),
            "invalid.value",
        ),
        (
            "unknown metric",
            json!({"interval": last_days(&sim, 5), "metrics": ["Bytes"]}),
            "invalid.value",
        ),
    ] {
        let e = api.post_error(jobs, &body, (400, code)).await;
        assert!(e["message"].is_string(), "{what}: {e}");
    }
    api.post_json(jobs, &json!({"interval": interval(100, 10)}), 200)
        .await;
    let sub = api
        .post_json(
            "/api/v2/usage/aggregates/query/jobs",
            &json!({"interval": last_days(&sim, 5)}),
            200,
        )
        .await;
    let id = sub["id"].as_str().expect("id");
    api.get_error(
        &format!("/api/v2/usage/aggregates/query/jobs/{id}?pageSize=1001"),
        BAD_REQUEST,
    )
    .await;
    api.get_error(
        &format!("/api/v2/usage/aggregates/query/jobs/{id}?after=garbage"),
        BAD_REQUEST,
    )
    .await;
    api.get_error("/api/v2/usage/aggregates/query/jobs/unknown-job", NOT_FOUND)
        .await;
}

#[tokio::test]
async fn old_org_query_filters_genesys_owned_clients() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let now = today(&sim);
    let interval = format!(
        "{}T00:00:00/{}T00:00:00",
        day(now - Duration::days(30)),
        day(now)
    );
    let body = json!({"interval": interval, "granularity": "Day", "metrics": ["Requests"], "groupBy": ["OAuthClientId"]});
    let sub = api.post_json("/api/v2/usage/query", &body, 200).await;
    let exec = sub["executionId"].as_str().expect("executionId");
    assert!(sub["resultsUri"]
        .as_str()
        .unwrap_or_default()
        .contains(exec));
    let (v, polls) = poll_until(
        &sim,
        &t,
        &format!("/api/v2/usage/query/{exec}/results"),
        "Complete",
    )
    .await;
    assert_eq!(polls, 2);
    let rows = v["results"].as_array().expect("results");
    assert_eq!(rows.len(), 108);
    assert!(
        rows.iter().all(|r| r["clientId"] != G_WEB),
        "Genesys-owned rows filtered out"
    );
    let total: u64 = rows
        .iter()
        .filter(|r| r["clientId"] == HR_SYNC)
        .map(|r| r["requests"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 15060);
    let r0 = &rows[0];
    assert!(
        chrono::DateTime::parse_from_rfc3339(r0["date"].as_str().expect("date")).is_ok(),
        "date-time in ApiUsageRow"
    );
    assert!(r0["clientName"].is_string());
    // oauth:client:view is enough for the old endpoint, not for the jobs API.
    let reader = token(&sim, AUDIT_READER, &secret("audit-reader")).await;
    Api(&sim, &reader)
        .post_json("/api/v2/usage/query", &body, 200)
        .await;
    let e = Api(&sim, &reader)
        .post_error(
            "/api/v2/usage/aggregates/query/jobs",
            &json!({"interval": interval}),
            MISSING_PERMISSIONS,
        )
        .await;
    assert_message_names(&e, "usage:organization:view");
}

#[tokio::test]
async fn per_client_summary_and_query() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let sub = api
        .get_json(&format!(
            "/api/v2/oauth/clients/{HR_SYNC}/usage/summary?days=7"
        ))
        .await;
    let exec = sub["executionId"]
        .as_str()
        .expect("executionId")
        .to_string();
    let path = format!("/api/v2/oauth/clients/{HR_SYNC}/usage/query/results/{exec}");
    assert_eq!(sub["resultsUri"], path.as_str());
    let (v, _) = poll_until(&sim, &t, &path, "Complete").await;
    let rows = v["results"].as_array().expect("results");
    assert_eq!(rows.len(), 7);
    assert!(rows
        .iter()
        .all(|r| r["clientId"] == HR_SYNC && r["requests"].as_u64().is_some()));
    // Results of one client are not reachable through another.
    api.get_error(
        &format!("/api/v2/oauth/clients/{ADMIN_CLIENT_ID}/usage/query/results/{exec}"),
        NOT_FOUND,
    )
    .await;
    let body = json!({"interval": last_days(&sim, 3), "groupBy": ["TemplateUri"], "metrics": ["Requests", "Status400"]});
    let sub = api
        .post_json(
            &format!("/api/v2/oauth/clients/{HR_SYNC}/usage/query"),
            &body,
            200,
        )
        .await;
    let path = format!(
        "/api/v2/oauth/clients/{HR_SYNC}/usage/query/results/{}",
        sub["executionId"].as_str().expect("id")
    );
    let (v, _) = poll_until(&sim, &t, &path, "Complete").await;
    let rows = v["results"].as_array().expect("results");
    assert_eq!(rows.len(), 6, "3 days x 2 templates");
    assert!(rows
        .iter()
        .all(|r| r["templateUri"].is_string() && r.get("status200").is_none()));
    api.get_error("/api/v2/oauth/clients/nope/usage/summary", NOT_FOUND)
        .await;
    api.get_error(
        &format!("/api/v2/oauth/clients/{HR_SYNC}/usage/summary?days=zero"),
        INVALID_VALUE,
    )
    .await;
}

#[tokio::test]
async fn appended_usage_rows_show_up_and_idle_clients_have_none() {
    let (sim, t) = sim_with_jobs_done_at_once().await;
    let q = json!({"interval": last_days(&sim, 30), "groupBy": ["OauthClientId"], "oauthClientIds": [LEGACY]});
    let v = job_result(&sim, &t, &q).await;
    assert_eq!(v["entities"].as_array().map(Vec::len), Some(0));
    sim.add_usage(vec![SeedUsageRow::new(
        3,
        LEGACY,
        "Legacy Export (unused)",
        9,
    )
    .endpoint("GET", "api/v2/users")])
        .expect("add");
    let v = job_result(&sim, &t, &q).await;
    assert_eq!(v["entities"][0]["requestCount"], 9);
    assert_eq!(
        v["entities"][0]["date"],
        day(today(&sim) - Duration::days(3))
    );
}
