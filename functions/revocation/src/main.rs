//! Wiring only: configuration, clients built once per container, then the runtime loop.

use credguard::aws::{
    dynamodb::DynamoRecords,
    eventbridge::EventBridgePublisher,
    lambda::{LambdaJobs, LambdaRotationTrigger},
    secretsmanager::SecretsManager,
};
use credguard::config::ProcessEnv;
use credguard::rotation::config::ManagedSelection;
use credguard::secret_cache::admin_genesys_client;
use credguard_revocation::{handle, Deps, SelfIdentity, Settings};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    credguard::telemetry::init();
    let settings = Settings::from_env(&ProcessEnv)?;
    let c = &settings.common;
    let aws = credguard::aws::load_config().await;
    let secrets = SecretsManager::new(&aws);
    let (genesys, cache) = admin_genesys_client(&secrets, &c.genesys, c.secret_cache_ttl)?;
    let deps = Deps {
        genesys,
        records: DynamoRecords::new(&aws, &c.records_table),
        events: EventBridgePublisher::new(
            &aws,
            &c.event_bus,
            credguard::ports::events::EVENT_SOURCE,
        ),
        rotation: LambdaRotationTrigger::new(&aws, settings.revocation.rotation_function.clone()),
        // Bulk revocations continue in a fresh invocation of this very function.
        jobs: LambdaJobs::new(&aws, std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok()),
        secrets,
        config: settings.revocation,
        identity: SelfIdentity::AdminSecret {
            cache,
            secret_id: c.genesys.admin_secret_id.clone(),
        },
        managed: ManagedSelection::from_env(&ProcessEnv)?,
        deadline_margin: c.deadline_margin,
        function_timeout: c.function_timeout,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        // Boxed: the handler's future is deep enough to exceed the compiler's layout limit.
        Box::pin(handle(&deps, event))
    }))
    .await
}
