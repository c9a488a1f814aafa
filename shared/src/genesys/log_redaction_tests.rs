//! Runs the client at TRACE through the production JSON subscriber and asserts that no secret
//! or token value reaches the logs. Lives inside the crate to read the admin's cached token.

use super::*;
use crate::deadline::Deadline;
use crate::ports::genesys::{ClientAdmin, ClientDirectory, CredentialVerifier, TokenAdmin};
use crate::redact::{ExposeSecret, SecretString};
use genesys_sim::demo::{
    ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, ALEX_ADMIN, HR_SYNC, HR_SYNC_SECRET,
};

use crate::testing::LogBuffer;
use std::sync::Arc;
use std::time::Duration;

/// The simulator runs on its own runtime thread so that only the client's logs are captured.
fn start_sim() -> (String, String, genesys_sim::SimControl) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let sim =
                genesys_sim::start(genesys_sim::SimConfig::default(), genesys_sim::Seed::demo())
                    .await
                    .unwrap();
            tx.send((sim.api_url(), sim.login_url(), sim.control()))
                .unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_or_token_value_is_logged_at_trace() {
    let (api, login, control) = start_sim();
    let buf = LogBuffer::default();
    let writer = buf.clone();
    let subscriber = crate::telemetry::json_subscriber(
        move || writer.clone(),
        tracing_subscriber::EnvFilter::new("trace"),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = GenesysClient::new(
        region::Endpoints::from_urls(&api, Some(&login)).unwrap(),
        Arc::new(StaticCredentials(ClientCredentials::new(
            ADMIN_CLIENT_ID,
            ADMIN_CLIENT_SECRET,
        ))),
        ClientOptions::default(),
    )
    .unwrap();
    let d = Deadline::after(Duration::from_secs(30));

    client.get_client(HR_SYNC, &d).await.unwrap();
    // The client handles the old secret too: proving it before it is replaced.
    client
        .verify_credentials(&ClientCredentials::new(HR_SYNC, HR_SYNC_SECRET), &d)
        .await
        .unwrap();
    let admin_token = client.tokens.token(&d).await.unwrap().token.clone();
    let rotated = client.regenerate_secret(HR_SYNC, &d).await.unwrap();
    let new_secret = rotated.secret.clone().unwrap();
    let proof = client
        .verify_credentials(
            &ClientCredentials {
                client_id: HR_SYNC.into(),
                client_secret: new_secret.clone(),
            },
            &d,
        )
        .await
        .unwrap();
    assert_eq!(proof.client_id.as_deref(), Some(HR_SYNC));
    // A failed grant with a wrong secret must not echo it either.
    let wrong = ClientCredentials::new(HR_SYNC, "WRONG-secret-value-for-log-test");
    assert!(client.verify_credentials(&wrong, &d).await.is_err());
    let user_token = SecretString::from(control.mint_user_token(ALEX_ADMIN).unwrap().access_token);
    client.token_info(&user_token, &d).await.unwrap();
    client.revoke_token(&user_token, &d).await.unwrap();
    // Errors carry no secret either.
    let err = client
        .revoke_token(&admin_token, &Deadline::after(Duration::ZERO))
        .await
        .unwrap_err();
    tracing::error!(error = %err, debug = ?err, "error rendering");
    tracing::debug!(client = ?rotated, "debug rendering of a secret-bearing model");

    let logs = buf.text();
    assert!(
        logs.contains("genesys call") && logs.contains("correlation_id"),
        "capture works"
    );
    assert!(
        logs.contains("\"level\":\"TRACE\""),
        "TRACE events were captured"
    );
    for (what, value) in [
        ("admin secret", ADMIN_CLIENT_SECRET.to_owned()),
        ("old client secret", HR_SYNC_SECRET.to_owned()),
        ("regenerated secret", new_secret.expose_secret().to_owned()),
        ("wrong secret", "WRONG-secret-value-for-log-test".to_owned()),
        ("admin token", admin_token.expose_secret().to_owned()),
        ("user token", user_token.expose_secret().to_owned()),
    ] {
        assert!(!logs.contains(&value), "{what} appears in the logs");
    }
    // Basic auth header value (base64 of id:secret) must not appear either.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{ADMIN_CLIENT_ID}:{ADMIN_CLIENT_SECRET}"));
    assert!(
        !logs.contains(&basic),
        "basic auth header appears in the logs"
    );
}
