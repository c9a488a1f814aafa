//! Decorators over every port that report each successful call (by operation name) to a
//! hook: the crash matrix stops the "process" right after a chosen call, the bench counts calls.

use credguard::deadline::Deadline;
use credguard::genesys::models::{
    Credential, CredentialInfo, OAuthClient, OAuthClientRequest, Receipt,
};
use credguard::genesys::{ClientCredentials, GenesysError};
use credguard::ports::events::{EventError, EventPublisher, SecurityEvent};
use credguard::ports::genesys::{
    ClientAdmin, ClientDirectory, CredentialProof, CredentialVerifier, IntegrationCredentials,
    VerifyError,
};
use credguard::ports::records::{
    BatchStats, Condition, Item, Page, Query, RecordStore, StoreError,
};
use credguard::ports::secrets::{
    SecretMetadata, SecretStore, SecretVersion, SecretsError, VersionInfo, VersionRef,
};
use credguard::redact::SecretString;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Called with the operation name (`secrets.put_pending`, `genesys.regenerate_secret`, ...)
/// after each successful call.
pub type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// Counts calls per operation.
#[derive(Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    pub fn hook(&self) -> Hook {
        let counts = self.0.clone();
        Arc::new(move |op| *counts.lock().unwrap().entry(op.to_owned()).or_default() += 1)
    }

    /// Total calls whose operation starts with `prefix` (`secrets.`, `records.`, ...).
    pub fn total(&self, prefix: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    }

    pub fn reset(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// A port implementation wrapped so that every successful call is reported to a hook.
pub struct Observed<T> {
    pub inner: T,
    hook: Hook,
}

impl<T> Observed<T> {
    pub fn new(inner: T, hook: Hook) -> Self {
        Self { inner, hook }
    }

    fn ok<V, E>(&self, op: &str, r: Result<V, E>) -> Result<V, E> {
        if r.is_ok() {
            (self.hook)(op);
        }
        r
    }
}

impl<T: SecretStore> SecretStore for Observed<T> {
    async fn describe(&self, id: &str) -> Result<SecretMetadata, SecretsError> {
        let r = self.inner.describe(id).await;
        self.ok("secrets.describe", r)
    }
    async fn get_version(
        &self,
        id: &str,
        v: VersionRef<'_>,
    ) -> Result<SecretVersion, SecretsError> {
        let r = self.inner.get_version(id, v).await;
        self.ok("secrets.get_version", r)
    }
    async fn put_pending(
        &self,
        id: &str,
        token: &str,
        value: &SecretString,
        rt: Option<&str>,
    ) -> Result<(), SecretsError> {
        let r = self.inner.put_pending(id, token, value, rt).await;
        self.ok("secrets.put_pending", r)
    }
    async fn move_stage(
        &self,
        id: &str,
        stage: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), SecretsError> {
        let r = self.inner.move_stage(id, stage, to, from).await;
        self.ok(&format!("secrets.move_stage.{stage}"), r)
    }
    async fn list_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<SecretMetadata>, SecretsError> {
        let r = self.inner.list_tagged(key, value).await;
        self.ok("secrets.list_tagged", r)
    }
    async fn list_versions(&self, id: &str) -> Result<Vec<VersionInfo>, SecretsError> {
        let r = self.inner.list_versions(id).await;
        self.ok("secrets.list_versions", r)
    }
    async fn tag(&self, id: &str, tags: &[(&str, &str)]) -> Result<(), SecretsError> {
        let r = self.inner.tag(id, tags).await;
        self.ok("secrets.tag", r)
    }
    async fn start_rotation(&self, id: &str, token: &str) -> Result<(), SecretsError> {
        let r = self.inner.start_rotation(id, token).await;
        self.ok("secrets.start_rotation", r)
    }
}

impl<T: RecordStore> RecordStore for Observed<T> {
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let r = self.inner.put(item, condition).await;
        self.ok("records.put", r)
    }
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let r = self.inner.get(pk, sk).await;
        self.ok("records.get", r)
    }
    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        let r = self.inner.query(q).await;
        self.ok("records.query", r)
    }
    async fn put_batch(&self, items: Vec<Item>) -> Result<BatchStats, StoreError> {
        let r = self.inner.put_batch(items).await;
        self.ok("records.put_batch", r)
    }
    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> Result<(), StoreError> {
        let r = self.inner.delete(pk, sk, condition).await;
        self.ok("records.delete", r)
    }
}

impl<T: EventPublisher> EventPublisher for Observed<T> {
    async fn publish(&self, events: Vec<SecurityEvent>) -> Result<(), EventError> {
        let r = self.inner.publish(events).await;
        self.ok("events.publish", r)
    }
}

impl<T: ClientDirectory> ClientDirectory for Observed<T> {
    async fn list_clients(&self, d: &Deadline) -> Result<Vec<OAuthClient>, GenesysError> {
        let r = self.inner.list_clients(d).await;
        self.ok("genesys.list_clients", r)
    }
    async fn get_client(&self, id: &str, d: &Deadline) -> Result<OAuthClient, GenesysError> {
        let r = self.inner.get_client(id, d).await;
        self.ok("genesys.get_client", r)
    }
}

impl<T: ClientAdmin> ClientAdmin for Observed<T> {
    async fn create_client(
        &self,
        req: &OAuthClientRequest,
        d: &Deadline,
    ) -> Result<OAuthClient, GenesysError> {
        let r = self.inner.create_client(req, d).await;
        self.ok("genesys.create_client", r)
    }
    async fn update_client(
        &self,
        id: &str,
        req: &OAuthClientRequest,
        d: &Deadline,
    ) -> Result<OAuthClient, GenesysError> {
        let r = self.inner.update_client(id, req, d).await;
        self.ok("genesys.update_client", r)
    }
    async fn regenerate_secret(&self, id: &str, d: &Deadline) -> Result<OAuthClient, GenesysError> {
        let r = self.inner.regenerate_secret(id, d).await;
        self.ok("genesys.regenerate_secret", r)
    }
}

impl<T: CredentialVerifier> CredentialVerifier for Observed<T> {
    async fn verify_credentials(
        &self,
        creds: &ClientCredentials,
        d: &Deadline,
    ) -> Result<CredentialProof, VerifyError> {
        let r = self.inner.verify_credentials(creds, d).await;
        self.ok("genesys.verify_credentials", r)
    }
}

impl<T: IntegrationCredentials> IntegrationCredentials for Observed<T> {
    async fn list_credentials(&self, d: &Deadline) -> Result<Vec<CredentialInfo>, GenesysError> {
        let r = self.inner.list_credentials(d).await;
        self.ok("genesys.list_credentials", r)
    }
    async fn get_credential(&self, id: &str, d: &Deadline) -> Result<Credential, GenesysError> {
        let r = self.inner.get_credential(id, d).await;
        self.ok("genesys.get_credential", r)
    }
    async fn update_oauth_credential(
        &self,
        id: &str,
        name: &str,
        client_id: &str,
        secret: &SecretString,
        d: &Deadline,
    ) -> Result<Receipt, GenesysError> {
        let r = self
            .inner
            .update_oauth_credential(id, name, client_id, secret, d)
            .await;
        self.ok("genesys.update_oauth_credential", r)
    }
}
