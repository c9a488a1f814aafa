//! Wiring only: configuration, clients built once per container, then the HTTP runtime loop.

use credguard::aws::{
    dynamodb::DynamoRecords, eventbridge::EventBridgePublisher, lambda::LambdaRotationTrigger,
    secretsmanager::SecretsManager,
};
use credguard::config::ProcessEnv;
use credguard::credential::{ManagedCredential, TAG_MANAGED};
use credguard::rotation::config::{ManagedSelection, RotationConfig};
use credguard::secret_cache::admin_genesys_client;
use credguard_revocation::{handle, Deps, Settings};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    credguard::telemetry::init();
    credguard::aws::iam::set_process_scope(credguard_revocation::FUNCTION);
    let settings = Settings::from_env(&ProcessEnv)?;
    let c = &settings.common;
    let aws = credguard::aws::load_config().await;
    let secrets = SecretsManager::new(&aws);
    let (genesys, cache) = admin_genesys_client(&secrets, &c.genesys, c.secret_cache_ttl)?;
    // Read once at cold start (and cached for the token grant): who this function acts as.
    let self_client_id = match cache.current(&c.genesys.admin_secret_id).await {
        Ok(v) => ManagedCredential::parse(&v.value).ok().map(|d| d.client_id),
        Err(e) => {
            tracing::warn!(error = %e, "admin credential not readable at start; self-protection off until it is");
            None
        }
    };
    let deps = Deps {
        genesys,
        records: DynamoRecords::new(&aws, &c.records_table),
        events: EventBridgePublisher::new(&aws, &c.event_bus, "credguard"),
        rotation: LambdaRotationTrigger::new(&aws, settings.revocation.rotation_function.clone()),
        secrets,
        config: settings.revocation,
        self_client_id,
        managed_tag: match RotationConfig::from_env(&ProcessEnv)?.managed {
            ManagedSelection::Tag { key, value } => (key, value),
            ManagedSelection::Ids(_) => (TAG_MANAGED.into(), "true".into()),
        },
        deadline_margin: c.deadline_margin,
        function_timeout: c.function_timeout,
    };
    lambda_http::run(service_fn(|req: Request| handle(&deps, req))).await
}
