//! Wiring only: configuration, clients built once per container, then the runtime loop.

use credguard::aws::eventbridge::EventBridgePublisher;
use credguard::config::ProcessEnv;
use credguard::ports::events::EVENT_SOURCE;
use credguard::wiring::Foundation;
use credguard_rotation::{handle, Deps, Settings};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    credguard::telemetry::init();
    let settings = Settings::from_env(&ProcessEnv)?;
    let c = &settings.common;
    let base = Foundation::load(c).await?;
    let deps = Deps {
        events: EventBridgePublisher::new(&base.aws, &c.event_bus, EVENT_SOURCE),
        genesys: base.genesys,
        secrets: base.secrets,
        records: base.records,
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
