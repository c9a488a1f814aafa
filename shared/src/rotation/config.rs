//! Rotation settings from the environment, with documented defaults. Per-secret settings in the
//! secret's `rotation` object override the defaults where they overlap.

use crate::config::{ConfigError, EnvSource, Vars};
use crate::credential::{RotationSettings, TAG_MANAGED};
use crate::ports::secrets::{SecretMetadata, SecretStore, SecretsError};
use std::time::Duration;

/// Which secrets the sweep manages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManagedSelection {
    /// Secrets carrying this tag (default `credguard:managed=true`).
    Tag { key: String, value: String },
    /// An explicit list of secret ids.
    Ids(Vec<String>),
}

impl Default for ManagedSelection {
    fn default() -> Self {
        Self::Tag {
            key: TAG_MANAGED.into(),
            value: "true".into(),
        }
    }
}

impl ManagedSelection {
    /// `MANAGED_SECRET_IDS` (comma-separated) wins over `MANAGED_SECRET_TAG` (`key=value`).
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        let v = Vars(env);
        let ids = v.list("MANAGED_SECRET_IDS");
        if !ids.is_empty() {
            return Ok(Self::Ids(ids));
        }
        let Some(tag) = v.optional("MANAGED_SECRET_TAG") else {
            return Ok(Self::default());
        };
        let (key, value) = tag.split_once('=').ok_or(ConfigError::Invalid {
            name: "MANAGED_SECRET_TAG",
            reason: "expected key=value".into(),
        })?;
        Ok(Self::Tag {
            key: key.trim().into(),
            value: value.trim().into(),
        })
    }

    /// The managed secrets, as listed (tag) or described one by one (ids).
    pub async fn list<S: SecretStore>(
        &self,
        secrets: &S,
    ) -> Result<Vec<SecretMetadata>, SecretsError> {
        match self {
            Self::Tag { key, value } => secrets.list_tagged(key, value).await,
            Self::Ids(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push(secrets.describe(id).await?);
                }
                Ok(out)
            }
        }
    }

    pub fn includes(&self, meta: &SecretMetadata) -> bool {
        match self {
            Self::Tag { key, value } => meta.tags.get(key) == Some(value),
            Self::Ids(ids) => ids.iter().any(|i| *i == meta.name || *i == meta.arn),
        }
    }
}

/// What to do about `pureCloudOAuthClient` integration credentials whose client cannot be
/// read back (Genesys redacts credential fields; the list can be declared per secret instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnresolvedDependents {
    /// Refuse to rotate until the secret declares `rotation.integrationCredentials`.
    Block,
    /// Rotate anyway and record a finding.
    Warn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationConfig {
    pub max_age_days: u32,
    pub propagation_window: Duration,
    pub retire_after_hours: u32,
    /// How long a secret stays leased to an execution that stopped renewing it (a crash);
    /// live executions renew it every third of this.
    pub lease_ttl: Duration,
    /// A Secrets Manager rotation whose attempt has not moved for this long is re-driven.
    pub stuck_after: Duration,
    pub sweep_max_rotations: usize,
    /// Secrets become due up to this much before their max age, spread by a hash of their
    /// name, so a fleet created together does not rotate in the same minute.
    pub sweep_jitter: Duration,
    pub managed: ManagedSelection,
    pub retention_days: u32,
    pub unresolved_dependents: UnresolvedDependents,
    /// First pause between credential checks while waiting for propagation (then doubling, ≤5 s).
    pub verify_interval: Duration,
}

impl Default for RotationConfig {
    fn default() -> Self {
        Self {
            max_age_days: 30,
            propagation_window: Duration::from_secs(60),
            retire_after_hours: 24,
            lease_ttl: Duration::from_secs(30),
            stuck_after: Duration::from_secs(30 * 60),
            sweep_max_rotations: 10,
            sweep_jitter: Duration::from_secs(6 * 3600),
            managed: ManagedSelection::default(),
            retention_days: 400,
            unresolved_dependents: UnresolvedDependents::Block,
            verify_interval: Duration::from_secs(1),
        }
    }
}

impl RotationConfig {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        let v = Vars(env);
        let d = Self::default();
        let managed = ManagedSelection::from_env(env)?;
        let unresolved = match v.optional("ROTATION_UNRESOLVED_DEPENDENTS").as_deref() {
            None | Some("block") => UnresolvedDependents::Block,
            Some("warn") => UnresolvedDependents::Warn,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "ROTATION_UNRESOLVED_DEPENDENTS",
                    reason: format!("{other:?}: expected block or warn"),
                })
            }
        };
        let c = Self {
            max_age_days: v.parsed("ROTATION_MAX_AGE_DAYS", d.max_age_days)?,
            propagation_window: v.secs("ROTATION_PROPAGATION_WINDOW_SECONDS", 60)?,
            retire_after_hours: v.parsed("ROTATION_RETIRE_AFTER_HOURS", d.retire_after_hours)?,
            lease_ttl: v.secs("ROTATION_LEASE_SECONDS", 30)?,
            stuck_after: v.secs("ROTATION_STUCK_AFTER_MINUTES", 30).map(|m| m * 60)?,
            sweep_max_rotations: v.parsed("SWEEP_MAX_ROTATIONS", d.sweep_max_rotations)?,
            sweep_jitter: v.secs("SWEEP_JITTER_MINUTES", 360).map(|m| m * 60)?,
            managed,
            retention_days: v.parsed("RECORD_RETENTION_DAYS", d.retention_days)?,
            unresolved_dependents: unresolved,
            verify_interval: d.verify_interval,
        };
        if c.lease_ttl < Duration::from_secs(3) {
            return Err(ConfigError::Invalid {
                name: "ROTATION_LEASE_SECONDS",
                reason: "must be at least 3 (it is renewed every third)".into(),
            });
        }
        if c.max_age_days == 0 {
            return Err(ConfigError::Invalid {
                name: "ROTATION_MAX_AGE_DAYS",
                reason: "must be at least 1".into(),
            });
        }
        Ok(c)
    }

    pub fn max_age_days(&self, s: &RotationSettings) -> u32 {
        s.max_age_days
            .filter(|d| *d > 0)
            .unwrap_or(self.max_age_days)
    }

    pub fn propagation_window(&self, s: &RotationSettings) -> Duration {
        s.propagation_window_seconds
            .map(|x| Duration::from_secs(u64::from(x)))
            .unwrap_or(self.propagation_window)
    }

    pub fn retire_after_hours(&self, s: &RotationSettings) -> u32 {
        s.retire_after_hours.unwrap_or(self.retire_after_hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = RotationConfig::from_env([].as_slice()).unwrap();
        assert_eq!(c, RotationConfig::default());
        let env: &[(&str, &str)] = &[
            ("MANAGED_SECRET_TAG", "team = payments"),
            ("ROTATION_MAX_AGE_DAYS", "7"),
            ("ROTATION_UNRESOLVED_DEPENDENTS", "warn"),
        ];
        let c = RotationConfig::from_env(env).unwrap();
        assert_eq!(
            c.managed,
            ManagedSelection::Tag {
                key: "team".into(),
                value: "payments".into()
            }
        );
        assert_eq!(c.max_age_days, 7);
        assert_eq!(c.unresolved_dependents, UnresolvedDependents::Warn);
        let s = RotationSettings {
            max_age_days: Some(3),
            ..Default::default()
        };
        assert_eq!(c.max_age_days(&s), 3);
        assert!(RotationConfig::from_env([("ROTATION_MAX_AGE_DAYS", "0")].as_slice()).is_err());
        assert!(RotationConfig::from_env([("MANAGED_SECRET_TAG", "novalue")].as_slice()).is_err());
    }

    #[tokio::test]
    async fn managed_ids_win_over_the_tag_and_are_listed_by_id() {
        let env = [
            ("MANAGED_SECRET_IDS", "credguard/a, credguard/b"),
            ("MANAGED_SECRET_TAG", "team=payments"),
        ];
        let sel = ManagedSelection::from_env(env.as_slice()).unwrap();
        assert_eq!(
            sel,
            ManagedSelection::Ids(vec!["credguard/a".into(), "credguard/b".into()])
        );
        let secrets = crate::testing::MemorySecrets::default();
        for name in ["credguard/a", "credguard/b", "credguard/untagged-other"] {
            secrets.create(name, "{}");
        }
        let listed = sel.list(&secrets).await.unwrap();
        let names: Vec<_> = listed.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["credguard/a", "credguard/b"]);
        assert!(sel.includes(&listed[0]));
        let other = secrets.metadata("credguard/untagged-other").unwrap();
        assert!(!sel.includes(&other));
        assert!(!ManagedSelection::default().includes(&other), "untagged");
    }
}
