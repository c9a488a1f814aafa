//! The revocation API's Lambda handler: API Gateway (REST, IAM authorization) or a function URL
//! in, the `credguard::revocation` service, a JSON response out.

use credguard::config::{CommonConfig, ConfigError, EnvSource};
use credguard::credential::ManagedCredential;
use credguard::deadline::Deadline;
use credguard::ports::events::EventPublisher;
use credguard::ports::functions::RotationTrigger;
use credguard::ports::records::RecordStore;
use credguard::ports::secrets::SecretStore;
use credguard::records::revocation::CallerIdentity;
use credguard::revocation::config::RevocationConfig;
use credguard::revocation::request::RawRequest;
use credguard::revocation::service::{RevocationGenesys, Revoker};
use credguard::rotation::config::ManagedSelection;
use credguard::secret_cache::CachedSecrets;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use std::sync::Arc;
use std::time::Duration;

pub struct Deps<G, R, E, S, T> {
    pub genesys: G,
    pub records: R,
    pub events: E,
    pub secrets: S,
    pub rotation: T,
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

/// The IAM principal API Gateway authenticated (REST: `identity.userArn`; HTTP API and function
/// URLs: `authorizer.iam.userArn`).
pub fn caller(req: &Request) -> Option<CallerIdentity> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(c) => {
            let id = &c.identity;
            Some(CallerIdentity {
                arn: id.user_arn.clone().or_else(|| id.caller.clone())?,
                account_id: id.account_id.clone().or_else(|| c.account_id.clone()),
                source_ip: id.source_ip.clone(),
                user_agent: id.user_agent.clone(),
            })
        }
        RequestContext::ApiGatewayV2(c) => {
            let iam = c.authorizer.as_ref()?.iam.as_ref()?;
            Some(CallerIdentity {
                arn: iam.user_arn.clone()?,
                account_id: iam.account_id.clone(),
                source_ip: c.http.source_ip.clone(),
                user_agent: c.http.user_agent.clone(),
            })
        }
        _ => None,
    }
}

async fn serve<G, R, E, S, T>(
    deps: &Deps<G, R, E, S, T>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error>
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
{
    let deadline = match req.lambda_context_ref() {
        Some(ctx) => {
            Deadline::for_invocation(ctx.deadline(), deps.deadline_margin, deps.function_timeout)
        }
        None => Deadline::after(deps.function_timeout.saturating_sub(deps.deadline_margin)),
    };
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let path = req.raw_http_path().to_owned();
    let raw = RawRequest {
        method: req.method().as_str(),
        path: &path,
        headers: &headers,
        body: req.body().as_ref(),
        caller: caller(&req),
    };
    let self_client_id = deps.identity.client_id().await;
    let revoker = Revoker {
        genesys: &deps.genesys,
        records: &deps.records,
        events: &deps.events,
        secrets: &deps.secrets,
        rotation: &deps.rotation,
        config: &deps.config,
        self_client_id: self_client_id.as_deref(),
        managed: &deps.managed,
    };
    let answer = revoker.handle(&raw, &deadline).await;
    let mut resp = Response::builder()
        .status(answer.status)
        .header("content-type", "application/json");
    if let Some(s) = answer.retry_after {
        resp = resp.header("retry-after", s.to_string());
    }
    if answer.replayed {
        resp = resp.header("idempotent-replayed", "true");
    }
    Ok(resp.body(Body::from(answer.body.to_string()))?)
}

/// One request.
pub async fn handle<G, R, E, S, T>(
    deps: &Deps<G, R, E, S, T>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error>
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
{
    serve(deps, req).await
}
