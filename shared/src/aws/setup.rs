//! Setup helpers for tests, the demo and the bench: the functions never create secrets, so
//! these are compiled only with the `testing` feature (and carry no IAM bookkeeping).

use super::secretsmanager::{map_failure, SecretsManager};
use crate::ports::secrets::SecretsError;
use crate::redact::{ExposeSecret, SecretString};

impl SecretsManager {
    /// Creates a secret (setup, demo and tests; the functions never create secrets).
    pub async fn create(
        &self,
        name: &str,
        value: &SecretString,
        tags: &[(&str, &str)],
    ) -> Result<String, SecretsError> {
        let out = self
            .client
            .create_secret()
            .name(name)
            .secret_string(value.expose_secret())
            .set_tags(Some(super::secretsmanager::sdk_tags(tags)))
            .send()
            .await
            .map_err(|e| map_failure(&e))?;
        Ok(out.arn().unwrap_or(name).to_owned())
    }

    /// Writes a new current version (setup, demo and tests).
    pub async fn put_current(
        &self,
        name: &str,
        value: &SecretString,
    ) -> Result<String, SecretsError> {
        let out = self
            .client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value.expose_secret())
            .send()
            .await
            .map_err(|e| map_failure(&e))?;
        Ok(out.version_id().unwrap_or_default().to_owned())
    }
}
