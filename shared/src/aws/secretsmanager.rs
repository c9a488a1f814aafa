//! Secrets Manager adapter for [`SecretStore`].

use super::{failure, to_chrono, Failure};
use crate::ports::secrets::{
    NewSecret, SecretCreator, SecretMetadata, SecretStore, SecretVersion, SecretsError,
    VersionInfo, VersionRef, AWSPENDING,
};
use crate::redact::{ExposeSecret, SecretString};
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use aws_sdk_secretsmanager::Client;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct SecretsManager {
    pub(crate) client: Client,
}

/// An SDK error of any Secrets Manager operation, as a [`SecretsError`] (setup helpers).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn map_failure<E, R>(e: &aws_sdk_secretsmanager::error::SdkError<E, R>) -> SecretsError
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    map(failure(e))
}

fn map(f: Failure) -> SecretsError {
    let text = format!("{}: {}", f.code, f.message);
    match f.code.as_str() {
        "ResourceNotFoundException" => SecretsError::NotFound(text),
        "InvalidRequestException" | "ResourceExistsException" | "InvalidParameterException" => {
            SecretsError::Conflict(text)
        }
        _ if f.is_throttling() => SecretsError::Throttled(text),
        _ if f.is_access_denied() => SecretsError::AccessDenied(text),
        _ => SecretsError::Unavailable(text),
    }
}

impl SecretsManager {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl SecretStore for SecretsManager {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, SecretsError> {
        let out = self
            .client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(SecretMetadata {
            arn: out.arn().unwrap_or_default().to_owned(),
            name: out.name().unwrap_or_default().to_owned(),
            rotation_enabled: out.rotation_enabled().unwrap_or(false),
            rotation_lambda_arn: out.rotation_lambda_arn().map(str::to_owned),
            versions: out
                .version_ids_to_stages()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            tags: tags(out.tags()),
            created: out.created_date().and_then(to_chrono),
            last_rotated: out.last_rotated_date().and_then(to_chrono),
            last_changed: out.last_changed_date().and_then(to_chrono),
        })
    }

    async fn get_version(
        &self,
        secret_id: &str,
        version: VersionRef<'_>,
    ) -> Result<SecretVersion, SecretsError> {
        let req = self.client.get_secret_value().secret_id(secret_id);
        let req = match version {
            VersionRef::Stage(s) => req.version_stage(s),
            VersionRef::Id(v) => req.version_id(v),
        };
        let out = req.send().await.map_err(|e| map(failure(&e)))?;
        let value = out
            .secret_string()
            .ok_or_else(|| SecretsError::Conflict("secret has no string value".into()))?;
        Ok(SecretVersion {
            version_id: out.version_id().unwrap_or_default().to_owned(),
            stages: out.version_stages().to_vec(),
            value: SecretString::from(value.to_owned()),
            created: out.created_date().and_then(to_chrono),
        })
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        version_id: &str,
        value: &SecretString,
        rotation_token: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.client
            .put_secret_value()
            .secret_id(secret_id)
            .client_request_token(version_id)
            .secret_string(value.expose_secret())
            .version_stages(AWSPENDING)
            .set_rotation_token(rotation_token.map(str::to_owned))
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(())
    }

    async fn move_stage(
        &self,
        secret_id: &str,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.client
            .update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(stage)
            .set_move_to_version_id(to_version.map(str::to_owned))
            .set_remove_from_version_id(from_version.map(str::to_owned))
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(())
    }

    async fn list_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<SecretMetadata>, SecretsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_secrets()
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::TagKey)
                    .values(key)
                    .build(),
            )
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::TagValue)
                    .values(value)
                    .build(),
            )
            .max_results(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| map(failure(&e)))?;
            for s in page.secret_list() {
                let tags = tags(s.tags());
                // The two filters match key and value independently; keep exact pairs only.
                if tags.get(key).map(String::as_str) != Some(value) {
                    continue;
                }
                out.push(SecretMetadata {
                    arn: s.arn().unwrap_or_default().to_owned(),
                    name: s.name().unwrap_or_default().to_owned(),
                    rotation_enabled: s.rotation_enabled().unwrap_or(false),
                    rotation_lambda_arn: s.rotation_lambda_arn().map(str::to_owned),
                    versions: s
                        .secret_versions_to_stages()
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    tags,
                    created: s.created_date().and_then(to_chrono),
                    last_rotated: s.last_rotated_date().and_then(to_chrono),
                    last_changed: s.last_changed_date().and_then(to_chrono),
                });
            }
        }
        Ok(out)
    }

    async fn list_versions(&self, secret_id: &str) -> Result<Vec<VersionInfo>, SecretsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_secret_version_ids()
            .secret_id(secret_id)
            .include_deprecated(false)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| map(failure(&e)))?;
            for v in page.versions() {
                out.push(VersionInfo {
                    version_id: v.version_id().unwrap_or_default().to_owned(),
                    stages: v.version_stages().to_vec(),
                    created: v.created_date().and_then(to_chrono),
                });
            }
        }
        Ok(out)
    }

    async fn tag(&self, secret_id: &str, tags: &[(&str, &str)]) -> Result<(), SecretsError> {
        self.client
            .tag_resource()
            .secret_id(secret_id)
            .set_tags(Some(sdk_tags(tags)))
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(())
    }

    async fn start_rotation(&self, secret_id: &str, token: &str) -> Result<(), SecretsError> {
        self.client
            .rotate_secret()
            .secret_id(secret_id)
            .client_request_token(token)
            .rotate_immediately(true)
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(())
    }
}

impl SecretCreator for SecretsManager {
    async fn create_secret(&self, secret: &NewSecret<'_>) -> Result<String, SecretsError> {
        let out = self
            .client
            .create_secret()
            .name(secret.name)
            .secret_string(secret.value.expose_secret())
            .set_description(secret.description.map(str::to_owned))
            .set_kms_key_id(secret.kms_key_id.map(str::to_owned))
            .set_tags(Some(
                secret
                    .tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(out.arn().unwrap_or(secret.name).to_owned())
    }
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Tags as the SDK takes them.
pub(super) fn sdk_tags(tags: &[(&str, &str)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect()
}
