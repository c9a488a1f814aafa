//! Wiring only: configuration, clients built once per container, then the runtime loop.

use credguard::aws::{
    eventbridge::EventBridgePublisher,
    lambda::{LambdaJobs, LambdaRotationTrigger},
};
use credguard::config::ProcessEnv;
use credguard::ports::events::EVENT_SOURCE;
use credguard::rotation::config::ManagedSelection;
use credguard::wiring::Foundation;
use credguard_revocation::{handle, Deps, SelfIdentity, Settings};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    credguard::telemetry::init();
    let settings = Settings::from_env(&ProcessEnv)?;
    let c = &settings.common;
    let base = Foundation::load(c).await?;
    let aws = &base.aws;
    let deps = Deps {
        events: EventBridgePublisher::new(aws, &c.event_bus, EVENT_SOURCE),
        rotation: LambdaRotationTrigger::new(aws, settings.revocation.rotation_function.clone()),
        // Bulk revocations continue in a fresh invocation of this very function.
        jobs: LambdaJobs::new(aws, std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok()),
        identity: SelfIdentity::AdminSecret {
            cache: base.admin_cache,
            secret_id: c.genesys.admin_secret_id.clone(),
        },
        genesys: base.genesys,
        records: base.records,
        secrets: base.secrets,
        config: settings.revocation,
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
