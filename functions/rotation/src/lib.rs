//! The rotation function's handler: one binary for the three entry points (Secrets Manager's
//! rotation steps, the scheduled sweep, "rotate now"). The logic lives in `credguard::rotation`.

use credguard::clock::Clock;
use credguard::config::{CommonConfig, ConfigError, EnvSource};
use credguard::deadline::Deadline;
use credguard::genesys::region::Endpoints;
use credguard::rotation::event::{parse, Invocation};
use credguard::rotation::ports::RotationPorts;
use credguard::rotation::{RotationConfig, RotationError, Rotator};
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
    pub clock: Clock,
}

impl<G, S, R, E> Deps<G, S, R, E>
where
    (G, S, R, E): RotationPorts<Genesys = G, Secrets = S, Records = R, Events = E>,
{
    pub fn rotator(&self) -> Rotator<'_, (G, S, R, E)> {
        Rotator::new(
            &self.genesys,
            &self.secrets,
            &self.records,
            &self.events,
            &self.config,
            &self.endpoints,
            &self.clock,
        )
    }
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

/// One invocation.
pub async fn handle<G, S, R, E>(
    deps: &Deps<G, S, R, E>,
    event: LambdaEvent<Value>,
) -> Result<Value, RotationError>
where
    (G, S, R, E): RotationPorts<Genesys = G, Secrets = S, Records = R, Events = E>,
{
    let deadline = Deadline::for_invocation(
        event.context.deadline(),
        deps.deadline_margin,
        deps.function_timeout,
    );
    let rotator = deps.rotator();
    match parse(&event.payload)? {
        Invocation::Step(e, step) => {
            let result = Box::pin(rotator.run_step(
                &e.secret_id,
                &e.client_request_token,
                step,
                e.rotation_token.as_deref(),
                &deadline,
            ))
            .await?;
            Ok(json!({"step": step.as_str(), "result": result.as_str()}))
        }
        Invocation::Sweep { dry_run } => {
            let report = Box::pin(rotator.sweep(dry_run, &deadline)).await?;
            tracing::info!(
                examined = report.examined,
                rotated = report.rotated,
                retired = report.retired,
                failed = report.failed,
                dry_run,
                "sweep finished"
            );
            let value = serde_json::to_value(&report).expect("report serializes");
            // Invariant 4: left for later is not done. Failing lets Lambda retry the sweep
            // soon (and the failure queue see it), instead of waiting for the next schedule.
            if let Some(unfinished) = report.unfinished() {
                tracing::warn!(report = %value, "sweep left work unfinished; failing so that it is retried");
                return Err(RotationError::SweepIncomplete(unfinished));
            }
            Ok(value)
        }
        Invocation::RotateNow(req) => {
            let report = Box::pin(rotator.rotate_now(&req, &deadline)).await?;
            Ok(serde_json::to_value(report).expect("report serializes"))
        }
    }
}
