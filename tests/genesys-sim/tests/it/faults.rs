//! Fault injection: status, latency, drops before/after applying, hangs; call counting.

use crate::common::*;
use genesys_sim::SimHandle;
use genesys_sim::{FaultMode, FaultRule};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LIST: &str = "GET /api/v2/oauth/clients";
const GET_ONE: &str = "GET /api/v2/oauth/clients/{clientId}";
const SECRET: &str = "POST /api/v2/oauth/clients/{clientId}/secret";

#[tokio::test]
async fn status_fault_answers_without_executing_then_expires() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    sim.add_fault(FaultRule::status(LIST, 503).times(2))
        .expect("fault");
    for _ in 0..2 {
        api.get_error("/api/v2/oauth/clients", (503, "service.unavailable"))
            .await;
    }
    api.get_json("/api/v2/oauth/clients").await;
    assert_eq!(sim.call_count(LIST), 3, "faulted calls are counted");
    let calls = sim.calls();
    let statuses: Vec<Option<u16>> = calls
        .calls
        .iter()
        .filter(|c| c.operation == LIST)
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, vec![Some(503), Some(503), Some(200)]);
    assert!(calls
        .calls
        .iter()
        .filter(|c| c.operation == LIST)
        .all(|c| c.client_id.as_deref() == Some(ADMIN_CLIENT_ID)));
    // A 503 on the secret POST does not rotate.
    sim.add_fault(FaultRule::status(SECRET, 503).times(1))
        .expect("fault");
    api.post_error(
        &format!("/api/v2/oauth/clients/{HR_SYNC}/secret"),
        &Value::Null,
        (503, "service.unavailable"),
    )
    .await;
    assert_eq!(sim.regenerations(HR_SYNC), 0);
}

#[tokio::test]
async fn status_429_fault_carries_retry_after_and_path_param_scopes_it() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    sim.add_fault(
        FaultRule::status(GET_ONE, 429)
            .retry_after(7)
            .only_for(HR_SYNC),
    )
    .expect("fault");
    api.get_json(&format!("/api/v2/oauth/clients/{ADMIN_CLIENT_ID}"))
        .await;
    let r = api.get(&format!("/api/v2/oauth/clients/{HR_SYNC}")).await;
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let v = error_body(r, 429, "too.many.requests.retry.after").await;
    assert!(v["message"].as_str().unwrap_or_default().contains("[7]"));
    sim.clear_faults();
    api.get_json(&format!("/api/v2/oauth/clients/{HR_SYNC}"))
        .await;
}

#[tokio::test]
async fn latency_fault_delays_then_executes() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    sim.add_fault(
        FaultRule::new(LIST, FaultMode::Latency)
            .latency_ms(300)
            .times(1),
    )
    .expect("fault");
    let start = Instant::now();
    api.get_json("/api/v2/oauth/clients").await;
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn drop_before_apply_gives_a_connection_error_and_no_change() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    sim.add_fault(FaultRule::new(SECRET, FaultMode::DropBeforeApply).times(1))
        .expect("fault");
    let r = regenerate_unchecked(&sim, &t).await;
    let err = r.expect_err("connection dropped, no response");
    assert!(is_dropped(&err), "{err:?}");
    assert_eq!(sim.regenerations(HR_SYNC), 0);
    assert_eq!(sim.call_count(SECRET), 1);
    // The server keeps serving afterwards.
    api.get_json("/api/v2/oauth/clients").await;
}

#[tokio::test]
async fn drop_after_apply_changes_state_but_sends_nothing() {
    let (sim, t) = sim_as_admin().await;
    sim.add_fault(FaultRule::new(SECRET, FaultMode::DropAfterApply).times(1))
        .expect("fault");
    let r = regenerate_unchecked(&sim, &t).await;
    let err = r.expect_err("connection dropped, no response");
    assert!(is_dropped(&err), "{err:?}");
    let view = sim.client_view(HR_SYNC).expect("view");
    assert_eq!(view.secret_regenerations, 1, "the POST happened");
    assert!(
        !sim.check_secret(HR_SYNC, &secret("hr-sync")).current,
        "old secret replaced"
    );
    let rec = sim
        .calls()
        .calls
        .into_iter()
        .find(|c| c.operation == SECRET)
        .expect("logged");
    assert_eq!(rec.status, Some(200));
    assert_eq!(rec.fault.as_deref(), Some("dropAfterApply"));
}

#[tokio::test]
async fn hang_after_apply_times_the_client_out_after_the_change() {
    let (sim, t) = sim_as_admin().await;
    sim.add_fault(
        FaultRule::new(
            "DELETE /api/v2/oauth/clients/{clientId}",
            FaultMode::HangAfterApply,
        )
        .latency_ms(3000)
        .times(1),
    )
    .expect("fault");
    let r = http()
        .delete(format!("{}/api/v2/oauth/clients/{REPORTS}", sim.api_url()))
        .bearer_auth(&t)
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(r.expect_err("client times out").is_timeout());
    assert!(
        !sim.client_view(REPORTS).expect("view").exists,
        "the delete happened"
    );
}

#[tokio::test]
async fn login_host_faults() {
    let sim = sim().await;
    sim.add_fault(FaultRule::status("POST /oauth/token", 503).times(1))
        .expect("fault");
    let r = grant(&sim, ADMIN_CLIENT_ID, &secret("admin")).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("inin-correlation-id"));
    json_ok(grant(&sim, ADMIN_CLIENT_ID, &secret("admin")).await, 200).await;
    sim.add_fault(FaultRule::new("POST /oauth/token", FaultMode::DropBeforeApply).times(1))
        .expect("fault");
    let err = http()
        .post(format!("{}/oauth/token", sim.login_url()))
        .basic_auth(ADMIN_CLIENT_ID, Some(secret("admin")))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect_err("dropped");
    assert!(is_dropped(&err), "{err:?}");
    assert_eq!(sim.call_count("POST /oauth/token"), 3);
    assert_eq!(
        sim.calls().calls[0].client_id.as_deref(),
        Some(ADMIN_CLIENT_ID)
    );
}

#[tokio::test]
async fn fault_admin_api_validates_operations() {
    let sim = sim().await;
    assert!(
        sim.add_fault(FaultRule::status("GET /api/v2/oauth/clients/{id}", 500))
            .is_err(),
        "template must match the route"
    );
    let (s, v) = admin_json(
        &sim,
        Method::POST,
        "/__sim/faults",
        Some(&json!({"operation": "GET /nope", "mode": "status"})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(v["message"]
        .as_str()
        .unwrap_or_default()
        .contains("unknown operation"));
    let (s, _) = admin_json(
        &sim,
        Method::POST,
        "/__sim/faults",
        Some(&json!({"operation": LIST, "mode": "explode"})),
    )
    .await;
    assert_eq!(s, 400);
    let rule = json!({"operation": "DELETE /api/v2/tokens/{userId}", "pathParam": SAM, "mode": "status", "status": 500, "count": 2});
    let (s, v) = admin_json(&sim, Method::POST, "/__sim/faults", Some(&rule)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["faults"][0]["count"], 2);
    let t = admin_token(&sim).await;
    let api = Api(&sim, &t);
    api.delete_error(
        &format!("/api/v2/tokens/{SAM}"),
        (500, "internal.server.error"),
    )
    .await;
    let (s, _) = admin_json(&sim, Method::DELETE, "/__sim/faults", None).await;
    assert_eq!(s, 204);
    assert!(sim.faults().is_empty());
    assert_eq!(
        api.delete(&format!("/api/v2/tokens/{SAM}")).await.status(),
        204
    );
}

/// The connection ended without a response (not a timeout, not an HTTP status).
fn is_dropped(err: &reqwest::Error) -> bool {
    !err.is_timeout() && (err.is_request() || err.is_connect())
}

/// `POST …/clients/{HR_SYNC}/secret`, the transport's error kept (a dropped connection).
async fn regenerate_unchecked(sim: &SimHandle, token: &str) -> reqwest::Result<Response> {
    http()
        .post(format!(
            "{}/api/v2/oauth/clients/{HR_SYNC}/secret",
            sim.api_url()
        ))
        .bearer_auth(token)
        .send()
        .await
}
