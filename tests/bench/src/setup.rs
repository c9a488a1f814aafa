//! What the bench sections share: a simulator whose rate limit is out of the way, and the
//! managed secrets the rotation sections bench (one per strategy, in a fleet of their own).

use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::TAG_MANAGED;
use credguard::redact::SecretString;
pub use genesys_sim::demo::{HR_SYNC, LEGACY};
use genesys_sim::{Seed, SimConfig, SimHandle};
use serde_json::{json, Value};

/// Each strategy's label, client, the client's demo secret and its rotation block.
pub fn strategies() -> [(&'static str, &'static str, &'static str, Value); 2] {
    [
        (
            "regenerate",
            HR_SYNC,
            "DEMO-ONLY-not-a-real-secret-hr-sync",
            json!({"strategy": "regenerate", "integrationCredentials": []}),
        ),
        (
            "alternating",
            LEGACY,
            "DEMO-ONLY-not-a-real-secret-legacy",
            json!({"strategy": "alternating", "partnerClientId": HR_SYNC, "integrationCredentials": []}),
        ),
    ]
}

/// Creates `name`, a managed secret of `fleet` holding `client`'s credential.
pub async fn create_managed(
    sm: &SecretsManager,
    sim: &SimHandle,
    fleet: &str,
    name: &str,
    (client, secret, rotation): (&str, &str, Value),
) {
    let doc = json!({"schemaVersion": 1, "clientId": client, "clientSecret": secret,
        "apiBaseUrl": sim.api_url(), "loginBaseUrl": sim.login_url(), "rotation": rotation});
    sm.create(
        name,
        &SecretString::from(doc.to_string()),
        &[(TAG_MANAGED, fleet)],
    )
    .await
    .expect("secret");
}

/// The demo org on a simulator whose rate limit is not what is measured.
pub async fn unthrottled_sim() -> SimHandle {
    let config = SimConfig {
        rate_limit_per_minute: 1_000_000,
        ..SimConfig::default()
    };
    genesys_sim::start(config, Seed::demo())
        .await
        .expect("simulator")
}
