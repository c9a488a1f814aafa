//! The revocation API's Lambda handler: API Gateway (REST, IAM authorization) or a function URL
//! in, the `credguard::revocation` service, a JSON response out; and the background work the
//! function hands itself (bulk revocations).

pub mod http;

use credguard::config::{CommonConfig, ConfigError, EnvSource};
use credguard::credential::ManagedCredential;
use credguard::deadline::Deadline;
use credguard::ports::secrets::SecretStore;
use credguard::revocation::config::RevocationConfig;
use credguard::revocation::error::ApiError;
use credguard::revocation::request::RawRequest;
use credguard::revocation::service::{RevocationPorts, Revoker};
use credguard::rotation::config::ManagedSelection;
use credguard::secret_cache::CachedSecrets;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct Deps<G, R, E, S, T, J> {
    pub genesys: G,
    pub records: R,
    pub events: E,
    pub secrets: S,
    pub rotation: T,
    pub jobs: J,
    pub config: RevocationConfig,
    /// Who the function acts as in Genesys (it must not disable itself).
    pub identity: SelfIdentity<S>,
    pub managed: ManagedSelection,
    pub deadline_margin: Duration,
    pub function_timeout: Duration,
}

/// The admin client's id, for the refusal to disable it.
pub enum SelfIdentity<S> {
    Known(String),
    /// Read from the admin credential on each request (from the cache, so without I/O while
    /// it is fresh): a rotation that switches the admin client is followed, and a read that
    /// failed once is tried again.
    AdminSecret {
        cache: Arc<CachedSecrets<S>>,
        secret_id: String,
    },
}

impl<S: SecretStore> SelfIdentity<S> {
    async fn client_id(&self) -> Option<String> {
        let (cache, secret_id) = match self {
            Self::Known(id) => return Some(id.clone()),
            Self::AdminSecret { cache, secret_id } => (cache, secret_id),
        };
        let parsed = match cache.current(secret_id).await {
            Ok(v) => ManagedCredential::parse(&v.value).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        parsed
            .map(|doc| doc.client_id)
            .inspect_err(|e| {
                tracing::warn!(error = %e, "admin credential unreadable; cannot refuse disabling the admin client");
            })
            .ok()
    }
}

pub struct Settings {
    pub common: CommonConfig,
    pub revocation: RevocationConfig,
}

impl Settings {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            revocation: RevocationConfig::from_env(env)?,
        })
    }
}

/// What the function answers Lambda with when a background job fails (it is retried).
#[derive(Debug)]
pub struct JobFailed(pub ApiError);

impl From<JobFailed> for lambda_runtime::Diagnostic {
    fn from(e: JobFailed) -> Self {
        lambda_runtime::Diagnostic {
            error_type: format!("BulkRevocation.{}", e.0.code),
            error_message: e.0.message,
        }
    }
}

/// One invocation: an API Gateway request, or a background job the function handed itself.
pub async fn handle<G, R, E, S, T, J>(
    deps: &Deps<G, R, E, S, T, J>,
    event: LambdaEvent<Value>,
) -> Result<Value, JobFailed>
where
    // The identity reads the admin's secret through the same store.
    S: SecretStore,
    (G, R, E, S, T, J):
        RevocationPorts<Genesys = G, Records = R, Events = E, Secrets = S, Rotation = T, Jobs = J>,
{
    let deadline = Deadline::for_invocation(
        event.context.deadline(),
        deps.deadline_margin,
        deps.function_timeout,
    );
    let self_client_id = deps.identity.client_id().await;
    let revoker = Revoker::<(G, R, E, S, T, J)> {
        genesys: &deps.genesys,
        records: &deps.records,
        events: &deps.events,
        secrets: &deps.secrets,
        rotation: &deps.rotation,
        jobs: &deps.jobs,
        config: &deps.config,
        self_client_id: self_client_id.as_deref(),
        managed: &deps.managed,
    };
    let payload = &event.payload;
    if payload.get("action").and_then(Value::as_str) == Some("continueBulkRevocation") {
        let id = payload
            .get("revocationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Box::pin(revoker.continue_bulk(id, &deadline))
            .await
            .map_err(JobFailed);
    }
    let req = match http::decode(payload) {
        Ok(r) => r,
        Err(why) => return Ok(http::unreadable(why, payload)),
    };
    // An API request must answer before API Gateway gives up (29 s), whatever the timeout.
    let api_deadline = deadline.capped(deps.config.api_time_budget);
    let raw = RawRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &req.body,
        caller: req.caller.clone(),
    };
    let answer = Box::pin(revoker.handle(&raw, &api_deadline)).await;
    Ok(http::encode(&answer, req.v2))
}
