//! Typed configuration from environment variables, validated once at cold start.
//!
//! Every setting has one name (documented in the README) and either a documented default or a
//! clear error naming the variable. Parsing reads through [`EnvSource`] so tests need not touch
//! the process environment.

use crate::genesys::region::{EndpointError, Endpoints};
use std::time::Duration;

pub trait EnvSource {
    fn var(&self, key: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl EnvSource for [(&str, &str)] {
    fn var(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required setting {name}: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("invalid value for {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Typed accessors over an [`EnvSource`]. Empty strings count as unset.
pub struct Vars<'a, E: ?Sized>(pub &'a E);

impl<E: EnvSource + ?Sized> Vars<'_, E> {
    pub fn optional(&self, name: &str) -> Option<String> {
        self.0
            .var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str, hint: &'static str) -> Result<String, ConfigError> {
        self.optional(name)
            .ok_or(ConfigError::Missing { name, hint })
    }

    pub fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: format!("{raw:?}: {e}"),
            }),
        }
    }

    pub fn secs(&self, name: &'static str, default_secs: u64) -> Result<Duration, ConfigError> {
        self.parsed(name, default_secs).map(Duration::from_secs)
    }

    pub fn millis(&self, name: &'static str, default_ms: u64) -> Result<Duration, ConfigError> {
        self.parsed(name, default_ms).map(Duration::from_millis)
    }

    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(v) => Err(ConfigError::Invalid {
                name,
                reason: format!("{v:?} is not a boolean (true/false)"),
            }),
        }
    }

    /// A comma-separated list; empty when unset.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.optional(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// How to reach Genesys Cloud and as whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesysConfig {
    pub endpoints: Endpoints,
    /// Secrets Manager id of the admin OAuth client's credential (the identity this function acts as).
    pub admin_secret_id: String,
    /// Per-attempt HTTP timeout (the SDKs use 16 s).
    pub http_timeout: Duration,
    /// Refresh the access token this long before `expires_in` runs out.
    pub token_refresh_margin: Duration,
    /// Give up on a 429 whose `Retry-After` exceeds this (the SDKs use 180 s).
    pub max_retry_after: Duration,
}

pub const GENESYS_REGION: &str = "GENESYS_REGION";
pub const GENESYS_API_BASE_URL: &str = "GENESYS_API_BASE_URL";
pub const GENESYS_LOGIN_BASE_URL: &str = "GENESYS_LOGIN_BASE_URL";

impl GenesysConfig {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        let v = Vars(env);
        Ok(Self {
            endpoints: endpoints_from(&v)?,
            admin_secret_id: v.required(
                "GENESYS_ADMIN_SECRET_ID",
                "the Secrets Manager id or ARN of the admin OAuth client credential",
            )?,
            http_timeout: v.millis("GENESYS_HTTP_TIMEOUT_MS", 16_000)?,
            token_refresh_margin: v.secs("GENESYS_TOKEN_REFRESH_MARGIN_SECONDS", 120)?,
            max_retry_after: v.secs("GENESYS_MAX_RETRY_AFTER_SECONDS", 180)?,
        })
    }
}

/// Either a region name or explicit base URLs; both at once is ambiguous and refused.
pub fn endpoints_from<E: EnvSource + ?Sized>(v: &Vars<'_, E>) -> Result<Endpoints, ConfigError> {
    let invalid = |name, e: EndpointError| ConfigError::Invalid {
        name,
        reason: e.to_string(),
    };
    match (v.optional(GENESYS_REGION), v.optional(GENESYS_API_BASE_URL)) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid {
            name: GENESYS_REGION,
            reason: format!("set either {GENESYS_REGION} or {GENESYS_API_BASE_URL}, not both"),
        }),
        (Some(region), None) => Endpoints::for_region(&region).map_err(|e| invalid(GENESYS_REGION, e)),
        (None, Some(api)) => Endpoints::from_urls(&api, v.optional(GENESYS_LOGIN_BASE_URL).as_deref())
            .map_err(|e| invalid(GENESYS_API_BASE_URL, e)),
        (None, None) => Err(ConfigError::Missing {
            name: GENESYS_REGION,
            hint: "a Genesys region such as us-east-1, or GENESYS_API_BASE_URL (+ GENESYS_LOGIN_BASE_URL)",
        }),
    }
}

/// Settings every function shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommonConfig {
    pub genesys: GenesysConfig,
    /// DynamoDB table holding every record (see infra/DATA-MODEL.md).
    pub records_table: String,
    /// EventBridge bus for security events.
    pub event_bus: String,
    /// Time kept back from the Lambda deadline to record the outcome after calls give up.
    pub deadline_margin: Duration,
    /// How long warm invocations may reuse a secret read (admin credential).
    pub secret_cache_ttl: Duration,
    /// The function's timeout (set by the template); stands in for a missing or bogus
    /// invocation deadline.
    pub function_timeout: Duration,
}

impl CommonConfig {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        let v = Vars(env);
        Ok(Self {
            genesys: GenesysConfig::from_env(env)?,
            records_table: v.required("RECORDS_TABLE_NAME", "the DynamoDB table for records")?,
            event_bus: v
                .optional("EVENT_BUS_NAME")
                .unwrap_or_else(|| "default".to_owned()),
            deadline_margin: v.millis("DEADLINE_MARGIN_MS", 5_000)?,
            secret_cache_ttl: v.secs("SECRET_CACHE_TTL_SECONDS", 300)?,
            function_timeout: v.secs("FUNCTION_TIMEOUT_SECONDS", 300)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &[(&str, &str)] = &[
        ("GENESYS_REGION", "eu-west-1"),
        ("GENESYS_ADMIN_SECRET_ID", "credguard/admin"),
        ("RECORDS_TABLE_NAME", "credguard-records"),
    ];

    fn with(
        extra: &[(&'static str, &'static str)],
        drop: &[&str],
    ) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = BASE
            .iter()
            .copied()
            .filter(|(k, _)| !drop.contains(k))
            .collect();
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn defaults_are_documented_values() {
        let c = CommonConfig::from_env(BASE).unwrap();
        assert_eq!(
            c.genesys.endpoints.login.host_str(),
            Some("login.mypurecloud.ie")
        );
        assert_eq!(c.genesys.http_timeout, Duration::from_secs(16));
        assert_eq!(c.genesys.max_retry_after, Duration::from_secs(180));
        assert_eq!(c.event_bus, "default");
        assert_eq!(c.deadline_margin, Duration::from_secs(5));
    }

    #[test]
    fn missing_settings_name_the_variable() {
        let env = with(&[], &["RECORDS_TABLE_NAME"]);
        let err = CommonConfig::from_env(env.as_slice()).unwrap_err();
        assert!(err.to_string().contains("RECORDS_TABLE_NAME"), "{err}");
        let env = with(&[], &["GENESYS_REGION"]);
        assert!(matches!(
            CommonConfig::from_env(env.as_slice()),
            Err(ConfigError::Missing {
                name: "GENESYS_REGION",
                ..
            })
        ));
    }

    #[test]
    fn region_and_urls_together_are_refused() {
        let env = with(
            &[("GENESYS_API_BASE_URL", "https://api.mypurecloud.com")],
            &[],
        );
        let err = CommonConfig::from_env(env.as_slice()).unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn explicit_urls_work_and_bad_numbers_fail() {
        let env = with(
            &[
                ("GENESYS_API_BASE_URL", "http://127.0.0.1:9"),
                ("GENESYS_LOGIN_BASE_URL", "http://127.0.0.1:10"),
                ("GENESYS_HTTP_TIMEOUT_MS", "2500"),
            ],
            &["GENESYS_REGION"],
        );
        let c = CommonConfig::from_env(env.as_slice()).unwrap();
        assert_eq!(c.genesys.endpoints.api.port(), Some(9));
        assert_eq!(c.genesys.http_timeout, Duration::from_millis(2500));

        let env = with(&[("DEADLINE_MARGIN_MS", "soon")], &[]);
        let err = CommonConfig::from_env(env.as_slice()).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: "DEADLINE_MARGIN_MS",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn flags_and_lists() {
        let env: &[(&str, &str)] = &[("A", "yes"), ("B", "maybe"), ("L", " x, ,y ")];
        let v = Vars(env);
        assert!(v.flag("A", false).unwrap());
        assert!(v.flag("B", false).is_err());
        assert!(!v.flag("C", false).unwrap());
        assert_eq!(v.list("L"), vec!["x", "y"]);
    }
}
