//! No token or secret value in logs (TRACE, production subscriber), records or events, across
//! every endpoint including failures. Its own test binary: it owns the global subscriber.

mod support;

use credguard::redact::ExposeSecret;
use credguard_testkit::{logs, ADMIN_CLIENT_SECRET};
use serde_json::json;
use support::*;

#[tokio::test]
async fn no_token_or_secret_value_anywhere() {
    let captured = logs::capture();
    let env = env().await;
    let leaked = env.user_token(ROBIN);
    let user_tokens = [env.user_token(SAM), env.user_token(ALEX_ADMIN)];
    env.post_reason(&format!("/v1/users/{SAM}/revoke-tokens"))
        .await;
    env.post_reason(&format!("/v1/users/{ALEX_ADMIN}/revoke-tokens"))
        .await;
    env.post(
        "/v1/tokens/revoke",
        json!({"reason": "leak", "accessToken": leaked.expose_secret()}),
        &key(),
    )
    .await;
    // A malformed request carrying the token must not echo it either.
    env.post(
        "/v1/tokens/revoke",
        json!({"reason": "leak", "accessToken": leaked.expose_secret(), "x": 1}),
        &key(),
    )
    .await;
    env.post_reason(&format!("/v1/clients/{HR_SYNC}/disable"))
        .await;

    let mut needles: Vec<String> = vec![
        ADMIN_CLIENT_SECRET.into(),
        HR_SYNC_SECRET.into(),
        leaked.expose_secret().to_owned(),
    ];
    needles.extend(user_tokens.iter().map(|t| t.expose_secret().to_owned()));
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    captured.assert_absent(&needles);
    assert!(captured.text().contains("revocation request handled"));
    let records = serde_json::to_string(&env.records().await).unwrap();
    let events = serde_json::to_string(&env.tap.drain().await).unwrap();
    assert!(records.contains("tokenSha256"));
    for n in &needles {
        assert!(!records.contains(n), "a secret value in the records");
        assert!(!events.contains(n), "a secret value in the events");
    }
}
