//! The rotation function's handler: one binary for the three entry points (Secrets Manager's
//! rotation steps, the scheduled sweep, "rotate now"). The logic lives in `credguard::rotation`.

use credguard::config::{CommonConfig, ConfigError, EnvSource};
use credguard::deadline::Deadline;
use credguard::genesys::region::Endpoints;
use credguard::ports::events::EventPublisher;
use credguard::ports::records::RecordStore;
use credguard::ports::secrets::SecretStore;
use credguard::rotation::event::{parse, Invocation};
use credguard::rotation::protocol::RotationGenesys;
use credguard::rotation::{RotationConfig, RotationError, Rotator, StepResult, Trigger};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use std::time::Duration;

/// Everything the handler borrows; built once per container in `main`.
pub struct Deps<G, S, R, E> {
    pub genesys: G,
    pub secrets: S,
    pub records: R,
    pub events: E,
    pub config: RotationConfig,
    pub endpoints: Endpoints,
    pub deadline_margin: Duration,
    pub function_timeout: Duration,
}

/// The function's own settings: the shared ones plus rotation's.
pub struct Settings {
    pub common: CommonConfig,
    pub rotation: RotationConfig,
}

impl Settings {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            rotation: RotationConfig::from_env(env)?,
        })
    }
}

async fn dispatch<G, S, R, E>(
    deps: &Deps<G, S, R, E>,
    event: LambdaEvent<Value>,
) -> Result<Value, RotationError>
where
    G: RotationGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    let deadline = Deadline::for_invocation(
        event.context.deadline(),
        deps.deadline_margin,
        deps.function_timeout,
    );
    let rotator = Rotator {
        genesys: &deps.genesys,
        secrets: &deps.secrets,
        records: &deps.records,
        events: &deps.events,
        config: &deps.config,
        endpoints: &deps.endpoints,
    };
    match parse(&event.payload)? {
        Invocation::Step(e, step) => {
            let trigger = Trigger::SecretsManager {
                rotation_token: e.rotation_token.as_deref(),
            };
            let result = rotator
                .run_step(
                    &e.secret_id,
                    &e.client_request_token,
                    step,
                    trigger,
                    &deadline,
                )
                .await?;
            Ok(json!({
                "step": step.as_str(),
                "result": match result { StepResult::Done => "done", StepResult::AlreadyCurrent => "alreadyCurrent" },
            }))
        }
        Invocation::Sweep { dry_run } => {
            let report = rotator
                .sweep(dry_run, chrono::Utc::now(), &deadline)
                .await?;
            tracing::info!(
                examined = report.examined,
                rotated = report.rotated,
                retired = report.retired,
                failed = report.failed,
                dry_run,
                "sweep finished"
            );
            Ok(serde_json::to_value(report).expect("report serializes"))
        }
        Invocation::RotateNow(req) => {
            let report = rotator.rotate_now(&req, &deadline).await?;
            Ok(serde_json::to_value(report).expect("report serializes"))
        }
    }
}

/// The function's name in IAM bookkeeping (`credguard::aws::iam`).
pub const FUNCTION: &str = "credguard-rotation";

/// One invocation; its AWS calls are attributed to this function.
pub async fn handle<G, S, R, E>(
    deps: &Deps<G, S, R, E>,
    event: LambdaEvent<Value>,
) -> Result<Value, RotationError>
where
    G: RotationGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    credguard::aws::iam::scope(FUNCTION, dispatch(deps, event)).await
}
