use crate::ports::secrets::{
    NewSecret, SecretCreator, SecretMetadata, SecretStore, SecretVersion, SecretsError,
    VersionInfo, VersionRef, AWSCURRENT, AWSPENDING, AWSPREVIOUS,
};
use crate::redact::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Secret {
    meta: SecretMetadata,
    values: BTreeMap<String, String>,
    created: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
    next_version: u64,
    /// Tokens of the rotations `start_rotation` started, in order.
    started: Vec<String>,
}

/// Secrets Manager's version/stage rules, in memory: a stage is on at most one version,
/// moving `AWSCURRENT` moves `AWSPREVIOUS` to the old current, a reused `ClientRequestToken`
/// is idempotent with the same value and refused with another.
#[derive(Clone, Default)]
pub struct MemorySecrets {
    secrets: Arc<Mutex<BTreeMap<String, Secret>>>,
    reads: Arc<AtomicU64>,
}

impl MemorySecrets {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, Secret>) -> T) -> T {
        f(&mut self.secrets.lock().unwrap())
    }

    pub fn create(&self, name: &str, value: &str) {
        self.with(|m| {
            let mut s = Secret::default();
            s.meta.name = name.to_owned();
            s.meta.arn = format!("arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}");
            m.insert(name.to_owned(), s);
        });
        self.put_current(name, value);
    }

    /// Adds a version and makes it `AWSCURRENT` (like a plain `PutSecretValue`).
    pub fn put_current(&self, name: &str, value: &str) -> String {
        self.with(|m| {
            let s = m.get_mut(name).expect("secret exists");
            s.next_version += 1;
            let id = format!("v{}", s.next_version);
            s.values.insert(id.clone(), value.to_owned());
            s.created.insert(id.clone(), chrono::Utc::now());
            s.meta.versions.insert(id.clone(), vec![]);
            let old = s.meta.version_with_stage(AWSCURRENT).map(str::to_owned);
            attach(&mut s.meta, AWSCURRENT, &id);
            if let Some(old) = old {
                attach(&mut s.meta, AWSPREVIOUS, &old);
            }
            id
        })
    }

    pub fn set_tag(&self, name: &str, key: &str, value: &str) {
        self.with(|m| {
            m.get_mut(name)
                .expect("secret exists")
                .meta
                .tags
                .insert(key.into(), value.into())
        });
    }

    pub fn metadata(&self, name: &str) -> Option<SecretMetadata> {
        self.with(|m| m.get(name).map(|s| s.meta.clone()))
    }

    /// Backdates a version (to make a credential look old to the sweep or the audit).
    pub fn set_version_created(
        &self,
        name: &str,
        version: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        self.with(|m| {
            m.get_mut(name)
                .expect("secret exists")
                .created
                .insert(version.into(), at)
        });
    }

    /// Gives the secret a rotation schedule run by Secrets Manager with `lambda_arn`.
    pub fn enable_rotation(&self, name: &str, lambda_arn: &str) {
        self.with(|m| {
            let s = m.get_mut(name).expect("secret exists");
            s.meta.rotation_enabled = true;
            s.meta.rotation_lambda_arn = Some(lambda_arn.to_owned());
        });
    }

    /// What Secrets Manager stages to test a rotation configuration (`RotateImmediately`
    /// false): a pending version holding a copy of the current value.
    pub fn stage_copy_of_current(&self, name: &str, token: &str) {
        self.with(|m| {
            let s = m.get_mut(name).expect("secret exists");
            let current = s
                .meta
                .version_with_stage(AWSCURRENT)
                .expect("current")
                .to_owned();
            let copy = s.values[&current].clone();
            s.values.insert(token.to_owned(), copy);
            s.created.insert(token.to_owned(), chrono::Utc::now());
            s.meta.versions.insert(token.to_owned(), vec![]);
            attach(&mut s.meta, AWSPENDING, token);
        });
    }

    /// Tokens of the rotations started through `start_rotation`, oldest first.
    pub fn started_rotations(&self, name: &str) -> Vec<String> {
        self.with(|m| m.get(name).map(|s| s.started.clone()).unwrap_or_default())
    }

    /// Value reads made so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

fn attach(meta: &mut SecretMetadata, stage: &str, version: &str) {
    for stages in meta.versions.values_mut() {
        stages.retain(|s| s != stage);
    }
    meta.versions
        .entry(version.to_owned())
        .or_default()
        .push(stage.to_owned());
}

/// Secrets are found by name or by the ARN `create` gave them, as in Secrets Manager.
fn name_of(secret_id: &str) -> &str {
    secret_id
        .strip_prefix("arn:aws:secretsmanager:us-east-1:000000000000:secret:")
        .unwrap_or(secret_id)
}

fn not_found(what: &str) -> SecretsError {
    SecretsError::NotFound(format!("ResourceNotFoundException: {what}"))
}

impl SecretCreator for MemorySecrets {
    async fn create_secret(&self, secret: &NewSecret<'_>) -> Result<String, SecretsError> {
        if self.metadata(secret.name).is_some() {
            return Err(SecretsError::Conflict(format!(
                "ResourceExistsException: {} exists",
                secret.name
            )));
        }
        self.create(secret.name, secret.value.expose_secret());
        for (k, v) in secret.tags {
            self.set_tag(secret.name, k, v);
        }
        Ok(self
            .metadata(secret.name)
            .map(|m| m.arn)
            .unwrap_or_default())
    }
}

impl SecretStore for MemorySecrets {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, SecretsError> {
        self.metadata(name_of(secret_id))
            .ok_or_else(|| not_found(secret_id))
    }

    async fn get_version(
        &self,
        secret_id: &str,
        version: VersionRef<'_>,
    ) -> Result<SecretVersion, SecretsError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.with(|m| {
            let s = m
                .get(name_of(secret_id))
                .ok_or_else(|| not_found(secret_id))?;
            let id = match version {
                VersionRef::Stage(stage) => s.meta.version_with_stage(stage).map(str::to_owned),
                VersionRef::Id(v) => s.values.contains_key(v).then(|| v.to_owned()),
            }
            .ok_or_else(|| not_found("version"))?;
            // A version staged by a rotation has no value until createSecret puts one.
            let value = s
                .values
                .get(&id)
                .ok_or_else(|| not_found("version value"))?;
            Ok(SecretVersion {
                stages: s.meta.stages_of(&id).to_vec(),
                value: SecretString::from(value.clone()),
                created: s.created.get(&id).copied(),
                version_id: id,
            })
        })
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        version_id: &str,
        value: &SecretString,
        _rotation_token: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.with(|m| {
            let s = m
                .get_mut(name_of(secret_id))
                .ok_or_else(|| not_found(secret_id))?;
            if let Some(existing) = s.values.get(version_id) {
                return if existing == value.expose_secret() {
                    Ok(())
                } else {
                    Err(SecretsError::Conflict(
                        "ResourceExistsException: version exists with a different value".into(),
                    ))
                };
            }
            s.values
                .insert(version_id.to_owned(), value.expose_secret().to_owned());
            s.created
                .entry(version_id.to_owned())
                .or_insert_with(chrono::Utc::now);
            s.meta.versions.insert(version_id.to_owned(), vec![]);
            attach(&mut s.meta, AWSPENDING, version_id);
            Ok(())
        })
    }

    async fn move_stage(
        &self,
        secret_id: &str,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.with(|m| {
            let s = m.get_mut(name_of(secret_id)).ok_or_else(|| not_found(secret_id))?;
            let holder = s.meta.version_with_stage(stage).map(str::to_owned);
            if let Some(from) = from_version {
                if holder.as_deref() != Some(from) {
                    return Err(SecretsError::Conflict(format!(
                        "InvalidParameterException: {stage} is not attached to {from}"
                    )));
                }
            }
            match to_version {
                Some(to) => {
                    if !s.values.contains_key(to) {
                        return Err(not_found(to));
                    }
                    if holder.is_some() && holder.as_deref() != Some(to) && from_version.is_none() {
                        return Err(SecretsError::Conflict(format!(
                            "InvalidParameterException: {stage} is attached to another version; name it in RemoveFromVersionId"
                        )));
                    }
                    attach(&mut s.meta, stage, to);
                    if stage == AWSCURRENT {
                        if let Some(old) = holder.filter(|h| h != to) {
                            attach(&mut s.meta, AWSPREVIOUS, &old);
                        }
                        s.meta.last_rotated = Some(chrono::Utc::now());
                    }
                }
                None => {
                    for stages in s.meta.versions.values_mut() {
                        stages.retain(|x| x != stage);
                    }
                }
            }
            Ok(())
        })
    }

    async fn list_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<SecretMetadata>, SecretsError> {
        Ok(self.with(|m| {
            m.values()
                .filter(|s| s.meta.tags.get(key).map(String::as_str) == Some(value))
                .map(|s| s.meta.clone())
                .collect()
        }))
    }

    async fn list_versions(&self, secret_id: &str) -> Result<Vec<VersionInfo>, SecretsError> {
        self.with(|m| {
            let s = m
                .get(name_of(secret_id))
                .ok_or_else(|| not_found(secret_id))?;
            Ok(s.meta
                .versions
                .iter()
                .map(|(id, stages)| VersionInfo {
                    version_id: id.clone(),
                    stages: stages.clone(),
                    created: s.created.get(id).copied(),
                })
                .collect())
        })
    }

    async fn tag(&self, secret_id: &str, tags: &[(&str, &str)]) -> Result<(), SecretsError> {
        self.with(|m| {
            let s = m
                .get_mut(name_of(secret_id))
                .ok_or_else(|| not_found(secret_id))?;
            for (k, v) in tags {
                s.meta.tags.insert((*k).into(), (*v).into());
            }
            Ok(())
        })
    }

    async fn start_rotation(&self, secret_id: &str, token: &str) -> Result<(), SecretsError> {
        // What Secrets Manager does before invoking the rotation function's createSecret:
        // the token becomes a version staged AWSPENDING, without a value until createSecret
        // puts one. Invoking the function is the test's job.
        self.with(|m| {
            let s = m
                .get_mut(name_of(secret_id))
                .ok_or_else(|| not_found(secret_id))?;
            if !s.meta.rotation_enabled {
                return Err(SecretsError::Conflict(
                    "InvalidRequestException: no rotation Lambda is configured".into(),
                ));
            }
            let current = s.meta.version_with_stage(AWSCURRENT).map(str::to_owned);
            if let Some(other) = s.meta.version_with_stage(AWSPENDING) {
                if other != token && Some(other) != current.as_deref() {
                    return Err(SecretsError::Conflict(
                        "InvalidRequestException: A previous rotation isn't complete".into(),
                    ));
                }
            }
            if !s.meta.has_version(token) {
                s.created.insert(token.to_owned(), chrono::Utc::now());
                s.meta.versions.insert(token.to_owned(), vec![]);
            }
            attach(&mut s.meta, AWSPENDING, token);
            s.started.push(token.to_owned());
            Ok(())
        })
    }
}
