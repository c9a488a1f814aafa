//! Per-token rate limit: inin-ratelimit-* headers, 429 with Retry-After, no execution.

use crate::common::*;
use genesys_sim::SimConfig;
use serde_json::json;

fn header(r: &reqwest::Response, name: &str) -> u64 {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("header {name}"))
}

#[tokio::test]
async fn limit_per_token_with_retry_after_and_reset() {
    let (sim, t) = sim_with_as_admin(SimConfig {
        rate_limit_per_minute: 5,
        ..SimConfig::default()
    })
    .await;
    let api = Api(&sim, &t);
    for i in 1..=4 {
        let r = api.get("/api/v2/oauth/clients").await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "inin-ratelimit-count"), i);
        assert_eq!(header(&r, "inin-ratelimit-allowed"), 5);
        let reset = header(&r, "inin-ratelimit-reset");
        assert!((1..=60).contains(&reset));
    }
    let before = sim.calls().calls.len();
    // The 5th request is allowed; the 6th (a create) is refused and does not execute.
    assert_eq!(api.get("/api/v2/oauth/scopes").await.status(), 200);
    let r = api
        .post(
            "/api/v2/oauth/clients",
            &json!({"name": "blocked", "authorizedGrantType": "CLIENT-CREDENTIALS"}),
        )
        .await;
    let retry = header(&r, "retry-after");
    assert!((1..=60).contains(&retry));
    let v = error_body(r, 429, "too.many.requests.retry.after").await;
    assert_eq!(
        v["message"],
        format!("Rate limit exceeded the maximum. Retry the request in [{retry}] seconds")
    );
    assert_eq!(sim.calls().calls.len(), before + 2, "429s are still logged");
    // Another token has its own budget; the created client never appeared.
    let other = admin_token(&sim).await;
    let list = Api(&sim, &other).get_json("/api/v2/oauth/clients").await;
    assert!(list["entities"]
        .as_array()
        .expect("e")
        .iter()
        .all(|c| c["name"] != "blocked"));
    // After the window, the first token works again.
    sim.advance_clock(61);
    let r = api.get("/api/v2/oauth/clients").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "inin-ratelimit-count"), 1);
}

#[tokio::test]
async fn limit_changes_at_runtime() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let r = api.get("/api/v2/oauth/scopes").await;
    assert_eq!(header(&r, "inin-ratelimit-allowed"), 300);
    sim.patch_config(&json!({"rateLimitPerMinute": 1}))
        .expect("patch");
    let r = api.get("/api/v2/oauth/scopes").await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn window_length_is_configurable() {
    let (sim, t) = sim_with_as_admin(SimConfig {
        rate_limit_per_minute: 2,
        rate_limit_window_seconds: 5,
        ..SimConfig::default()
    })
    .await;
    let api = Api(&sim, &t);
    let r = api.get("/api/v2/oauth/scopes").await;
    assert!((1..=5).contains(&header(&r, "inin-ratelimit-reset")));
    assert_eq!(api.get("/api/v2/oauth/scopes").await.status(), 200);
    let r = api.get("/api/v2/oauth/scopes").await;
    assert_eq!(r.status(), 429);
    assert!((1..=5).contains(&header(&r, "retry-after")));
    sim.advance_clock(5);
    assert_eq!(api.get("/api/v2/oauth/scopes").await.status(), 200);
}
