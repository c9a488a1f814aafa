//! A read-through cache of `AWSCURRENT` secret values for warm invocations (the idea of
//! aws_secretsmanager_caching), and the admin credential source built on it.

use crate::credential::ManagedCredential;
use crate::genesys::token::CredentialSource;
use crate::genesys::{ClientCredentials, LoginError};
use crate::ports::secrets::{SecretStore, SecretVersion, SecretsError, VersionRef, AWSCURRENT};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

pub struct CachedSecrets<S> {
    inner: S,
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, SecretVersion)>>,
}

impl<S: SecretStore> CachedSecrets<S> {
    pub fn new(inner: S, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, SecretVersion)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `AWSCURRENT`, from the cache while it is younger than the TTL.
    pub async fn current(&self, secret_id: &str) -> Result<SecretVersion, SecretsError> {
        if let Some((at, v)) = self.lock().get(secret_id) {
            if at.elapsed() < self.ttl {
                return Ok(v.clone());
            }
        }
        self.current_fresh(secret_id).await
    }

    /// `AWSCURRENT` read from Secrets Manager now (the cache is refreshed with it).
    pub async fn current_fresh(&self, secret_id: &str) -> Result<SecretVersion, SecretsError> {
        let v = self
            .inner
            .get_version(secret_id, VersionRef::Stage(AWSCURRENT))
            .await?;
        self.lock()
            .insert(secret_id.to_owned(), (Instant::now(), v.clone()));
        Ok(v)
    }
}

/// The admin OAuth client's credential, read from its own secret (same JSON format as a
/// managed secret). A fresh read is forced when the login host rejects the cached one.
pub struct SecretCredentialSource<S> {
    secrets: Arc<CachedSecrets<S>>,
    secret_id: String,
}

impl<S> SecretCredentialSource<S> {
    pub fn new(secrets: Arc<CachedSecrets<S>>, secret_id: impl Into<String>) -> Self {
        Self {
            secrets,
            secret_id: secret_id.into(),
        }
    }
}

impl<S: SecretStore + 'static> CredentialSource for SecretCredentialSource<S> {
    fn load(&self, fresh: bool) -> BoxFuture<'_, Result<ClientCredentials, LoginError>> {
        Box::pin(async move {
            let version = if fresh {
                self.secrets.current_fresh(&self.secret_id).await
            } else {
                self.secrets.current(&self.secret_id).await
            }
            .map_err(|e| LoginError::Credentials {
                message: e.to_string(),
                transient: e.is_transient(),
            })?;
            let doc =
                ManagedCredential::parse(&version.value).map_err(|e| LoginError::Credentials {
                    message: format!("{}: {e}", self.secret_id),
                    transient: false,
                })?;
            Ok(doc.credentials())
        })
    }
}

/// The Genesys client every function's `main` builds: it acts as the admin OAuth client whose
/// credential it reads from `genesys.admin_secret_id` through a cache of `ttl` (re-read when the
/// login host refuses it). The cache is returned for other reads of the same secret.
pub fn admin_genesys_client<S: SecretStore + Clone + 'static>(
    secrets: &S,
    genesys: &crate::config::GenesysConfig,
    ttl: Duration,
) -> Result<
    (crate::genesys::GenesysClient, Arc<CachedSecrets<S>>),
    crate::genesys::client::ClientInitError,
> {
    let cache = Arc::new(CachedSecrets::new(secrets.clone(), ttl));
    let source = SecretCredentialSource::new(cache.clone(), genesys.admin_secret_id.clone());
    let client = crate::genesys::GenesysClient::new(
        genesys.endpoints.clone(),
        Arc::new(source),
        crate::genesys::ClientOptions::from(genesys),
    )?;
    Ok((client, cache))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::ExposeSecret;
    use crate::testing::MemorySecrets;

    async fn secret_of<S: SecretStore + 'static>(
        source: &SecretCredentialSource<S>,
        fresh: bool,
    ) -> String {
        let loaded = source.load(fresh).await.unwrap();
        loaded.client_secret.expose_secret().to_owned()
    }

    #[tokio::test]
    async fn serves_from_cache_within_ttl_and_refreshes_on_demand() {
        let store = MemorySecrets::default();
        store.create("admin", r#"{"clientId":"a","clientSecret":"one"}"#);
        let cache = Arc::new(CachedSecrets::new(store.clone(), Duration::from_secs(60)));
        let source = SecretCredentialSource::new(cache.clone(), "admin");
        assert_eq!(secret_of(&source, false).await, "one");
        store.put_current("admin", r#"{"clientId":"a","clientSecret":"two"}"#);
        // Within the TTL the cached value is served without a read.
        let reads = store.reads();
        assert_eq!(secret_of(&source, false).await, "one");
        assert_eq!(store.reads(), reads);
        // A fresh load bypasses the cache, and refreshes it.
        assert_eq!(secret_of(&source, true).await, "two");
        assert_eq!(secret_of(&source, false).await, "two");
    }

    #[tokio::test]
    async fn a_missing_or_malformed_admin_credential_is_not_worth_retrying() {
        let store = MemorySecrets::default();
        store.create("malformed", "not json");
        let cache = Arc::new(CachedSecrets::new(store, Duration::from_secs(60)));
        for id in ["absent", "malformed"] {
            let e = SecretCredentialSource::new(cache.clone(), id)
                .load(false)
                .await
                .unwrap_err();
            assert!(matches!(e, LoginError::Credentials { .. }), "{id}: {e}");
            assert!(!e.is_transient(), "{id}: {e}");
        }
    }

    #[tokio::test]
    async fn expired_entries_are_reread() {
        let store = MemorySecrets::default();
        store.create("s", r#"{"clientId":"a","clientSecret":"one"}"#);
        let cache = CachedSecrets::new(store.clone(), Duration::from_millis(20));
        cache.current("s").await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let before = store.reads();
        cache.current("s").await.unwrap();
        assert_eq!(store.reads(), before + 1);
    }
}
