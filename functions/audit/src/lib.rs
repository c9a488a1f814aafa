//! The audit Lambda: the handler (event → use case → JSON summary) and the wiring `main` does
//! once per container. Tests call [`handler`] with real adapters (moto, the simulator) or with
//! fakes; the use case itself is `credguard::audit`.

pub mod input;

use chrono::{DateTime, Utc};
use credguard::audit::{
    run_audit, AuditConfig, AuditError, AuditGenesys, Hub, Ports, RequestMeter,
};
use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::eventbridge::EventBridgePublisher;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::aws::securityhub::{ProductArn, SecurityHub};
use credguard::config::CommonConfig;
use credguard::deadline::Deadline;
use credguard::genesys::client::ClientInitError;
use credguard::genesys::GenesysClient;
use credguard::ports::events::EventPublisher;
use credguard::ports::records::RecordStore;
use credguard::ports::secrets::SecretStore;
use credguard::ports::security_hub::FindingsHub;
use credguard::wiring::Foundation;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub use credguard::audit::events::EVENT_SOURCE;

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything an invocation needs, built once per container.
pub struct Deps<G, S, R, E> {
    pub genesys: G,
    pub secrets: S,
    pub records: R,
    pub events: E,
    pub config: AuditConfig,
    /// Kept back from the Lambda deadline to record the outcome.
    pub deadline_margin: Duration,
    /// Stands in for a missing or bogus invocation deadline (local emulators).
    pub function_timeout: Duration,
    pub clock: Clock,
    /// AWS Security Hub, when findings go there too (`SECURITY_HUB_PRODUCT_ARN`).
    pub hub: Option<HubTarget>,
}

/// Where findings go in a findings hub, and the records table they come from (it names them).
pub struct HubTarget {
    pub port: Arc<dyn FindingsHub>,
    pub records_table: String,
}

/// Why the function cannot be wired.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error(transparent)]
    Genesys(#[from] ClientInitError),
    #[error("SECURITY_HUB_PRODUCT_ARN: {0}")]
    SecurityHub(String),
}

/// An invocation as the runtime delivers it, `budget` before its deadline (tests, bench, demo).
pub fn invocation(payload: Value, budget: Duration) -> LambdaEvent<Value> {
    let mut context = lambda_runtime::Context::default();
    context.request_id = "local-invocation".into();
    let deadline = std::time::SystemTime::now() + budget;
    context.deadline = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    LambdaEvent::new(payload, context)
}

pub type AwsDeps = Deps<GenesysClient, SecretsManager, DynamoRecords, EventBridgePublisher>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// The production adapters. The Genesys client acts as the admin OAuth client whose
/// credential it reads from Secrets Manager (cached, re-read when the login host refuses it).
pub fn wire(
    aws: &aws_config::SdkConfig,
    common: &CommonConfig,
    config: AuditConfig,
) -> Result<AwsDeps, WireError> {
    let base = Foundation::with_aws(aws.clone(), common)?;
    let hub = match config.security_hub_product_arn.as_deref() {
        None => None,
        Some(arn) => {
            let product = ProductArn::parse(arn).map_err(WireError::SecurityHub)?;
            Some(HubTarget {
                port: Arc::new(SecurityHub::new(aws, product)),
                records_table: common.records_table.clone(),
            })
        }
    };
    Ok(Deps {
        events: EventBridgePublisher::new(aws, &common.event_bus, EVENT_SOURCE),
        genesys: base.genesys,
        secrets: base.secrets,
        records: base.records,
        config,
        deadline_margin: common.deadline_margin,
        function_timeout: common.function_timeout,
        clock: system_clock(),
        hub,
    })
}

/// One invocation: the run the event names, bounded by the Lambda deadline. A partial run is
/// returned as an error (`AuditRunPartial`) so the asynchronous retry completes it.
pub async fn handler<G, S, R, E>(
    deps: &Deps<G, S, R, E>,
    event: LambdaEvent<Value>,
) -> Result<Value, AuditError>
where
    G: AuditGenesys + RequestMeter,
    S: SecretStore,
    R: RecordStore + RequestMeter,
    E: EventPublisher,
{
    let invocation = async move {
        let (payload, context) = event.into_parts();
        let deadline = Deadline::for_invocation(
            context.deadline(),
            deps.deadline_margin,
            deps.function_timeout,
        );
        let now = (deps.clock)();
        let request = input::parse(&payload, now)?;
        tracing::info!(
            run_id = request.run_id.as_str(),
            trigger = request.trigger.as_str(),
            dry_run = request.dry_run,
            budget_ms = deadline.remaining().as_millis() as u64,
            "audit invocation"
        );
        let hub = deps.hub.as_ref().map(|h| Hub {
            port: h.port.as_ref(),
            id_prefix: format!("credguard/{}", h.records_table),
            records_table: h.records_table.clone(),
        });
        let ports = Ports {
            genesys: &deps.genesys,
            secrets: &deps.secrets,
            records: &deps.records,
            events: &deps.events,
            genesys_meter: &deps.genesys,
            records_meter: &deps.records,
            hub: hub.as_ref(),
        };
        let summary = run_audit(&ports, &deps.config, &request, now, &deadline)
            .await
            .inspect_err(|e| {
                credguard::metrics::emit("audit", &[("AuditRunFailed", 1.0)], &[]);
                tracing::error!(error_type = e.error_type(), error = %e, "audit run failed")
            })?;
        // Alarms watch these: a dry run or a replay of a finished run must not move them.
        if !summary.dry_run && !summary.already_complete {
            let count = |s: &str| summary.findings_by_severity.get(s).copied().unwrap_or(0) as f64;
            let partial = summary.outcome == credguard::records::audit::outcome::PARTIAL;
            credguard::metrics::emit(
                "audit",
                &[
                    ("AuditRunPartial", if partial { 1.0 } else { 0.0 }),
                    ("AuditFindingsCritical", count("CRITICAL")),
                    ("AuditFindingsHigh", count("HIGH")),
                ],
                &[],
            );
        }
        let summary = summary.into_result().inspect_err(
            |e| tracing::warn!(error = %e, "audit run partial; a retry completes it"),
        )?;
        Ok::<_, AuditError>(serde_json::to_value(&summary).unwrap_or_default())
    };
    invocation.await
}
