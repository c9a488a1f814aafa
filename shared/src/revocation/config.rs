//! Revocation settings from the environment, with documented defaults.

use crate::config::{ConfigError, EnvSource, Vars};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationConfig {
    /// Role ids or names whose holders need break-glass to be revoked.
    pub protected_roles: Vec<String>,
    pub bulk_max_users: usize,
    /// Bulk requests up to this many users are done within the request; larger ones in the
    /// background.
    pub bulk_sync_max_users: usize,
    /// Users handled at once in a bulk request (the shared pacer keeps it under the rate limit).
    pub bulk_concurrency: usize,
    pub idempotency_ttl: Duration,
    /// An API request's time, below API Gateway's integration timeout (29 s) whatever the
    /// function's timeout (background work uses all of it).
    pub api_time_budget: Duration,
    pub retention_days: u32,
    /// The rotation function emergency rotations are handed to.
    pub rotation_function: Option<String>,
    /// Local development only: the caller to record when the request carries no IAM identity
    /// (`cargo lambda watch` has none). Never set in the template.
    pub local_caller: Option<String>,
}

impl Default for RevocationConfig {
    fn default() -> Self {
        Self {
            protected_roles: vec![],
            bulk_max_users: 500,
            bulk_sync_max_users: 10,
            bulk_concurrency: 8,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            api_time_budget: Duration::from_secs(25),
            retention_days: 400,
            rotation_function: None,
            local_caller: None,
        }
    }
}

impl RevocationConfig {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        let v = Vars(env);
        let d = Self::default();
        let c = Self {
            protected_roles: v.list("PROTECTED_ROLES"),
            bulk_max_users: v.parsed("BULK_MAX_USERS", d.bulk_max_users)?,
            bulk_sync_max_users: v.parsed("BULK_SYNC_MAX_USERS", d.bulk_sync_max_users)?,
            bulk_concurrency: v.parsed("BULK_CONCURRENCY", d.bulk_concurrency)?,
            idempotency_ttl: v.secs("IDEMPOTENCY_TTL_SECONDS", 24 * 3600)?,
            api_time_budget: v.secs("API_TIME_BUDGET_SECONDS", 25)?,
            retention_days: v.parsed("RECORD_RETENTION_DAYS", d.retention_days)?,
            rotation_function: v.optional("ROTATION_FUNCTION_NAME"),
            local_caller: v.optional("LOCAL_CALLER_IDENTITY"),
        };
        if c.bulk_max_users == 0 || c.bulk_concurrency == 0 {
            return Err(ConfigError::Invalid {
                name: "BULK_MAX_USERS",
                reason: "BULK_MAX_USERS and BULK_CONCURRENCY must be at least 1".into(),
            });
        }
        Ok(c)
    }
}
