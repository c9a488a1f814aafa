//! Wiring only: configuration, AWS and Genesys clients once per container, then the runtime.
// The handler's future nests deeply (generic ports, scoped IAM bookkeeping); the release
// build needs more than the default query depth to compute its layout.
#![recursion_limit = "256"]

use credguard::audit::AuditConfig;
use credguard::config::{CommonConfig, ProcessEnv};
use lambda_runtime::{service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    credguard::telemetry::init();
    let common = CommonConfig::from_env(&ProcessEnv)?;
    let audit = AuditConfig::from_env(&ProcessEnv)?;
    let aws = credguard::aws::load_config().await;
    let deps = credguard_audit::wire(&aws, &common, audit)?;
    lambda_runtime::run(service_fn(|event| credguard_audit::handler(&deps, event))).await
}
