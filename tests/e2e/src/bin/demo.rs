//! `make demo`: the main job end to end on the local stack (Genesys simulator + moto).
//! Run through `make demo`, which starts both and exports their URLs.

use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::ManagedCredential;
use credguard::deadline::Deadline;
use credguard::genesys::region::Endpoints;
use credguard::genesys::{ClientOptions, GenesysClient};
use credguard::ports::genesys::ClientDirectory;
use credguard::ports::secrets::SecretStore;
use credguard::redact::SecretString;
use credguard::secret_cache::{CachedSecrets, SecretCredentialSource};
use credguard_testkit::{create_records_table, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET};
use std::sync::Arc;
use std::time::Duration;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run this through `make demo`"))
}

#[tokio::main]
async fn main() {
    let endpoints = Endpoints::from_urls(
        &env("GENESYS_API_BASE_URL"),
        Some(&env("GENESYS_LOGIN_BASE_URL")),
    )
    .expect("simulator URLs");
    let aws = credguard_testkit::aws().await;
    let d = Deadline::after(Duration::from_secs(120));

    println!("== credguard demo on the local stack");
    println!("genesys (simulator): {endpoints}");
    println!("aws (moto):          {}", env("AWS_ENDPOINT_URL"));

    // The admin credential lives in Secrets Manager, as in production.
    let sm = SecretsManager::new(&aws);
    let admin_doc = serde_json::json!({
        "schemaVersion": 1,
        "clientId": ADMIN_CLIENT_ID,
        "clientSecret": ADMIN_CLIENT_SECRET,
        "apiBaseUrl": endpoints.api.as_str(),
        "loginBaseUrl": endpoints.login.as_str(),
    });
    sm.create(
        "credguard/admin",
        &SecretString::from(admin_doc.to_string()),
        &[],
    )
    .await
    .expect("create admin secret");
    let table = "credguard-records";
    create_records_table(&aws, table).await;
    println!("created secret credguard/admin and table {table}");

    let secrets = Arc::new(CachedSecrets::new(sm.clone(), Duration::from_secs(300)));
    let source = Arc::new(SecretCredentialSource::new(secrets, "credguard/admin"));
    let genesys = GenesysClient::new(endpoints, source, ClientOptions::default()).expect("client");
    let clients = genesys.list_clients(&d).await.expect("list clients");
    println!(
        "\n{:<38} {:<36} {:<20} {:<8}",
        "client id", "name", "grant", "state"
    );
    for c in &clients {
        println!(
            "{:<38} {:<36} {:<20} {:<8}",
            c.id,
            c.name.chars().take(35).collect::<String>(),
            c.authorized_grant_type.as_str(),
            c.state().as_str()
        );
    }
    let meta = sm.describe("credguard/admin").await.expect("describe");
    let doc = ManagedCredential::parse(
        &sm.get_version(
            "credguard/admin",
            credguard::ports::secrets::VersionRef::Stage("AWSCURRENT"),
        )
        .await
        .expect("read")
        .value,
    )
    .expect("parse");
    let stats = genesys.stats();
    println!(
        "\nsummary: {} OAuth clients listed as {} (credential read from {}), {} token grant(s), {} API attempt(s)",
        clients.len(),
        doc.client_id,
        meta.name,
        stats.token_grants,
        stats.attempts
    );
    credguard_e2e::demo_audit::run(genesys.endpoints(), "credguard/admin", table).await;
}
