//! `GenesysClient`: one HTTP client, one token cache and one pacer for the life of the process.
//! Every call goes through [`GenesysClient::send`], which applies the request policy.

use super::error::GenesysError;
use super::login::{correlation_id, retry_after};
use super::models::ErrorBody;
use super::ops::Op;
use super::pacer::{parse_headers, Pacer};
use super::policy::{RetryPolicy, TransportFailure, Verdict};
use super::region::Endpoints;
use super::token::{CredentialSource, TokenProvider};
use crate::config::GenesysConfig;
use crate::deadline::Deadline;
use crate::redact::{ExposeSecret, SecretString};
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// Tunables of the client; `From<&GenesysConfig>` gives the production values.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub http_timeout: Duration,
    pub token_refresh_margin: Duration,
    pub policy: RetryPolicy,
    /// Pause between polls of an asynchronous usage query.
    pub usage_poll_interval: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            http_timeout: Duration::from_secs(16),
            token_refresh_margin: Duration::from_secs(120),
            policy: RetryPolicy::default(),
            usage_poll_interval: Duration::from_secs(2),
        }
    }
}

impl From<&GenesysConfig> for ClientOptions {
    fn from(c: &GenesysConfig) -> Self {
        let mut o = Self {
            http_timeout: c.http_timeout,
            token_refresh_margin: c.token_refresh_margin,
            ..Self::default()
        };
        o.policy.max_retry_after = c.max_retry_after;
        o
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the Genesys HTTP client: {0}")]
pub struct ClientInitError(String);

/// Whose token a request carries.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// The admin client's cached token (paced, refreshed on 401).
    Admin,
    /// A token supplied by the caller, e.g. a leaked token to revoke. Not paced (its limits are
    /// not ours) and never refreshed.
    Bearer(&'a SecretString),
}

/// A request ready to send: the operation plus its concrete URL and body.
pub struct Request<'a> {
    pub op: Op,
    pub url: Url,
    pub body: Option<Bytes>,
    pub auth: Auth<'a>,
}

pub struct Response {
    pub status: u16,
    pub body: Bytes,
    pub correlation_id: Option<String>,
}

impl Response {
    pub fn json<T: serde::de::DeserializeOwned>(&self, op: Op) -> Result<T, GenesysError> {
        serde_json::from_slice(&self.body).map_err(|e| GenesysError::Decode {
            op,
            reason: e.to_string(),
        })
    }
}

/// Counters for figures and tests.
#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    pub token_grants: u64,
    pub attempts: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub paced_waits: u64,
}

pub struct GenesysClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    pub(crate) tokens: TokenProvider,
    policy: RetryPolicy,
    pacer: Pacer,
    http_timeout: Duration,
    pub(crate) usage_poll_interval: Duration,
    counters: Counters,
}

impl GenesysClient {
    /// Builds the client. No network traffic happens here: the first call grants a token.
    pub fn new(
        endpoints: Endpoints,
        credentials: Arc<dyn CredentialSource>,
        options: ClientOptions,
    ) -> Result<Self, ClientInitError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("credguard/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_keepalive(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClientInitError(e.to_string()))?;
        let tokens = TokenProvider::new(
            http.clone(),
            endpoints.login.clone(),
            credentials,
            options.http_timeout,
            options.token_refresh_margin,
        );
        Ok(Self {
            http,
            endpoints,
            tokens,
            policy: options.policy,
            pacer: Pacer::default(),
            http_timeout: options.http_timeout,
            usage_poll_interval: options.usage_poll_interval,
            counters: Counters::default(),
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn http_timeout(&self) -> Duration {
        self.http_timeout
    }

    pub fn stats(&self) -> ClientStats {
        ClientStats {
            token_grants: self.tokens.grant_count(),
            attempts: self.counters.attempts.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            rate_limited: self.counters.rate_limited.load(Ordering::Relaxed),
            paced_waits: self.pacer.waits(),
        }
    }

    /// `{api}{path}?{query}`, keeping any path prefix of the API base URL (proxies).
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = super::region::with_path(&self.endpoints.api, path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// Resolves a `nextUri` against the API host. An absolute URI on another origin is refused:
    /// our token must never be sent anywhere but the configured API host.
    pub(crate) fn next_url(&self, op: Op, next: &str) -> Result<Url, GenesysError> {
        let api = &self.endpoints.api;
        if next.starts_with("http://") || next.starts_with("https://") {
            let url = Url::parse(next).map_err(|e| GenesysError::Decode {
                op,
                reason: format!("bad nextUri: {e}"),
            })?;
            if url.origin() != api.origin() {
                return Err(GenesysError::Decode {
                    op,
                    reason: "nextUri points to another host; not following it".into(),
                });
            }
            return Ok(url);
        }
        let (path, query) = next.split_once('?').unwrap_or((next, ""));
        let mut url = self.url(path, &[]);
        url.set_query((!query.is_empty()).then_some(query));
        Ok(url)
    }

    /// Sends one logical call: paces, authenticates, retries per policy, refreshes once on 401.
    pub async fn send(
        &self,
        req: Request<'_>,
        deadline: &Deadline,
    ) -> Result<Response, GenesysError> {
        let op = req.op;
        let admin = matches!(req.auth, Auth::Admin);
        let mut attempt = 0u32;
        let mut reauthenticated = false;
        loop {
            attempt += 1;
            if deadline.is_expired() {
                return Err(GenesysError::DeadlineExceeded { op });
            }
            let permit = if admin {
                Some(
                    self.pacer
                        .acquire(deadline, self.policy.max_retry_after)
                        .await
                        .map_err(|wait| GenesysError::HeldBack { op, wait })?,
                )
            } else {
                None
            };
            let (bearer, generation) = match req.auth {
                Auth::Admin => {
                    let t = self.tokens.token(deadline).await?;
                    (t.token.clone(), Some(t.generation))
                }
                Auth::Bearer(t) => (t.clone(), None),
            };
            let mut builder = self
                .http
                .request(op.http_method(), req.url.clone())
                .bearer_auth(bearer.expose_secret())
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(self.http_timeout.min(deadline.remaining()));
            if let Some(body) = &req.body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            self.counters.attempts.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                method = op.method,
                path = op.template,
                attempt,
                "sending genesys request"
            );
            let started = Instant::now();
            let outcome = async {
                let r = builder.send().await?;
                let status = r.status().as_u16();
                let headers = r.headers().clone();
                let body = r.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            }
            .await;
            let latency_ms = started.elapsed().as_millis() as u64;

            let (status, headers, body) = match outcome {
                Ok(parts) => parts,
                Err(e) => {
                    drop(permit);
                    let failure = if e.is_connect() {
                        TransportFailure::NotSent
                    } else {
                        TransportFailure::MaybeSent
                    };
                    let reason = e.without_url().to_string();
                    tracing::warn!(
                        method = op.method,
                        path = op.template,
                        attempt,
                        latency_ms,
                        error = %reason,
                        "genesys call failed in transport"
                    );
                    match self
                        .policy
                        .after_transport(op.class, failure, attempt, deadline)
                    {
                        Verdict::Retry(wait) => {
                            self.counters.retries.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        Verdict::OutcomeUnknown => {
                            return Err(GenesysError::OutcomeUnknown { op, reason })
                        }
                        Verdict::OutOfTime => return Err(GenesysError::DeadlineExceeded { op }),
                        _ => return Err(GenesysError::Transport { op, reason }),
                    }
                }
            };

            if let (Some(_), Some((count, allowed, reset))) = (&permit, parse_headers(&headers)) {
                self.pacer.observe(count, allowed, reset);
            }
            drop(permit);
            let correlation = correlation_id(&headers);
            tracing::info!(
                method = op.method,
                path = op.template,
                status,
                latency_ms,
                attempt,
                correlation_id = correlation.as_deref().unwrap_or(""),
                "genesys call"
            );
            if (200..300).contains(&status) {
                return Ok(Response {
                    status,
                    body,
                    correlation_id: correlation,
                });
            }
            if status == 401 && admin && !reauthenticated {
                // The token may have been revoked or expired early: refresh once and resend.
                reauthenticated = true;
                attempt -= 1;
                if let Some(g) = generation {
                    self.tokens.invalidate(g);
                }
                continue;
            }
            if status == 429 {
                self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            match self.policy.after_status(
                op.class,
                status,
                retry_after(&headers),
                attempt,
                deadline,
            ) {
                Verdict::Retry(wait) => {
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    if status == 429 && admin {
                        // Everyone sharing this client waits, not just this task.
                        self.pacer.block_for(wait);
                    } else {
                        tokio::time::sleep(wait).await;
                    }
                }
                Verdict::RateLimited(wait) => {
                    if admin {
                        // The whole wait: sending before it has passed only draws another 429.
                        self.pacer.block_for(wait);
                    }
                    return Err(GenesysError::RateLimited {
                        op,
                        retry_after: wait,
                        correlation_id: correlation,
                    });
                }
                Verdict::OutcomeUnknown => {
                    return Err(GenesysError::OutcomeUnknown {
                        op,
                        reason: format!("answered {status}"),
                    })
                }
                Verdict::OutOfTime => return Err(GenesysError::DeadlineExceeded { op }),
                Verdict::Fail => return Err(api_error(op, status, &body, correlation)),
            }
        }
    }
}

/// Attempts (retries included) count as requests in run summaries and `make bench`.
impl crate::ports::meter::RequestMeter for GenesysClient {
    fn requests(&self) -> u64 {
        self.stats().attempts
    }
}

fn api_error(op: Op, status: u16, body: &[u8], correlation_id: Option<String>) -> GenesysError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    GenesysError::Api {
        op,
        status,
        code: parsed.code.unwrap_or_else(|| format!("http.{status}")),
        message: parsed.message.unwrap_or_default(),
        correlation_id: correlation_id.or(parsed.context_id),
    }
}
