//! Wiring only: configuration, clients built once per container, then the runtime loop.

use credguard::aws::{
    dynamodb::DynamoRecords, eventbridge::EventBridgePublisher, secretsmanager::SecretsManager,
};
use credguard::config::ProcessEnv;
use credguard::secret_cache::admin_genesys_client;
use credguard_rotation::{handle, Deps, Settings};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    credguard::telemetry::init();
    let settings = Settings::from_env(&ProcessEnv)?;
    let c = &settings.common;
    let aws = credguard::aws::load_config().await;
    let secrets = SecretsManager::new(&aws);
    let (genesys, _) = admin_genesys_client(&secrets, &c.genesys, c.secret_cache_ttl)?;
    let deps = Deps {
        genesys,
        secrets,
        records: DynamoRecords::new(&aws, &c.records_table),
        events: EventBridgePublisher::new(
            &aws,
            &c.event_bus,
            credguard::ports::events::EVENT_SOURCE,
        ),
        config: settings.rotation,
        endpoints: c.genesys.endpoints.clone(),
        deadline_margin: c.deadline_margin,
        function_timeout: c.function_timeout,
        clock: Default::default(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handle(&deps, event)
    }))
    .await
}
