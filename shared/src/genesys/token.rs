//! The admin client's access token: cached for the life of the process, refreshed a margin
//! before it expires, single-flight (one grant in flight however many callers find it stale),
//! and invalidated when the API answers 401.

use super::error::LoginError;
use super::login::{client_credentials_grant, ClientCredentials};
use crate::backoff::{jittered, Backoff};
use crate::deadline::Deadline;
use crate::redact::SecretString;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

pub use futures::future::BoxFuture;

/// Where the admin credential comes from. `fresh` asks to bypass any cache: used once when the
/// login host rejects the cached credential (it may have been rotated since it was read).
pub trait CredentialSource: Send + Sync {
    fn load(&self, fresh: bool) -> BoxFuture<'_, Result<ClientCredentials, LoginError>>;
}

/// A fixed credential (tests, tools).
pub struct StaticCredentials(pub ClientCredentials);

impl CredentialSource for StaticCredentials {
    fn load(&self, _fresh: bool) -> BoxFuture<'_, Result<ClientCredentials, LoginError>> {
        let creds = self.0.clone();
        Box::pin(async move { Ok(creds) })
    }
}

pub struct CachedToken {
    pub(crate) token: SecretString,
    refresh_at: Instant,
    expires_at: Instant,
    pub(crate) generation: u64,
}

impl CachedToken {
    fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }

    fn is_usable(&self, now: Instant) -> bool {
        now < self.expires_at
    }
}

const MAX_GRANT_ATTEMPTS: u32 = 4;

pub struct TokenProvider {
    http: reqwest::Client,
    login: Url,
    source: Arc<dyn CredentialSource>,
    http_timeout: Duration,
    refresh_margin: Duration,
    backoff: Backoff,
    // A std lock: it is never held across an await.
    cache: RwLock<Option<Arc<CachedToken>>>,
    flight: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    grants: AtomicU64,
}

impl TokenProvider {
    pub fn new(
        http: reqwest::Client,
        login: Url,
        source: Arc<dyn CredentialSource>,
        http_timeout: Duration,
        refresh_margin: Duration,
    ) -> Self {
        Self {
            http,
            login,
            source,
            http_timeout,
            refresh_margin,
            backoff: Backoff {
                base: Duration::from_millis(500),
                max: Duration::from_secs(10),
            },
            cache: RwLock::new(None),
            flight: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            grants: AtomicU64::new(0),
        }
    }

    /// The client id of the credential the tokens are granted for (its source's cached copy).
    pub async fn client_id(&self) -> Result<String, LoginError> {
        Ok(self.source.load(false).await?.client_id)
    }

    /// Token grants made so far (figures, tests).
    pub fn grant_count(&self) -> u64 {
        self.grants.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<Arc<CachedToken>> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn fresh_cached(&self) -> Option<Arc<CachedToken>> {
        self.cached().filter(|t| t.is_fresh(Instant::now()))
    }

    /// A valid token, granting one if needed.
    pub async fn token(&self, deadline: &Deadline) -> Result<Arc<CachedToken>, LoginError> {
        if let Some(t) = self.fresh_cached() {
            return Ok(t);
        }
        let _flight = tokio::time::timeout_at(deadline.instant(), self.flight.lock())
            .await
            .map_err(|_| LoginError::DeadlineExceeded)?;
        // Whoever held the lock before us may have refreshed already.
        if let Some(t) = self.fresh_cached() {
            return Ok(t);
        }
        match self.grant(deadline).await {
            Ok(t) => {
                let t = Arc::new(t);
                *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Some(t.clone());
                Ok(t)
            }
            // A proactive refresh failed, but the old token has not expired: keep using it.
            Err(e) => match self.cached().filter(|t| t.is_usable(Instant::now())) {
                Some(old) => {
                    tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                    Ok(old)
                }
                None => Err(e),
            },
        }
    }

    /// Drops the cached token if it is still the one that was rejected (a newer one stays).
    pub fn invalidate(&self, generation: u64) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.as_ref().is_some_and(|t| t.generation == generation) {
            *cache = None;
        }
    }

    async fn grant(&self, deadline: &Deadline) -> Result<CachedToken, LoginError> {
        let mut creds = self.source.load(false).await?;
        let mut reloaded = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if deadline.is_expired() {
                return Err(LoginError::DeadlineExceeded);
            }
            let timeout = self.http_timeout.min(deadline.remaining());
            match client_credentials_grant(&self.http, &self.login, &creds, timeout).await {
                Ok(grant) => {
                    self.grants.fetch_add(1, Ordering::Relaxed);
                    let now = Instant::now();
                    // A margin as long as the token's life would refresh on every call.
                    let margin = if self.refresh_margin >= grant.expires_in {
                        grant.expires_in / 2
                    } else {
                        self.refresh_margin
                    };
                    return Ok(CachedToken {
                        token: grant.access_token,
                        refresh_at: now + grant.expires_in - margin,
                        expires_at: now + grant.expires_in,
                        generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
                    });
                }
                Err(LoginError::InvalidClient { .. }) if !reloaded => {
                    // The admin credential may have been rotated since we read it.
                    reloaded = true;
                    creds = self.source.load(true).await?;
                }
                Err(e) if e.is_transient() && attempt < MAX_GRANT_ATTEMPTS => {
                    let wait = match &e {
                        LoginError::RateLimited { retry_after, .. } => jittered(*retry_after),
                        _ => self.backoff.delay(attempt),
                    };
                    if deadline.cannot_afford(wait, Duration::from_millis(250)) {
                        return Err(e);
                    }
                    tracing::warn!(error = %e, attempt, wait_ms = wait.as_millis() as u64, "token grant failed; backing off");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
