//! The JSON stored in a managed secret (and in the admin credential secret). Documented in
//! README "Managed secret format"; consumers read `clientId` + `clientSecret` (+ region or base
//! URLs), rotation reads `rotation`. Unknown fields are kept untouched across rotations.

use crate::genesys::region::{EndpointError, Endpoints};
use crate::genesys::ClientCredentials;
use crate::redact::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const SCHEMA_VERSION: u32 = 1;

/// Tags on a managed secret. `credguard:managed=true` puts it in the rotation sweep and the
/// audit; rotation keeps the client tags in step with the stored credential, so the audit
/// knows which clients a secret holds without reading any secret value.
pub const TAG_MANAGED: &str = "credguard:managed";
pub const TAG_CLIENT_ID: &str = "credguard:client-id";
pub const TAG_PARTNER_CLIENT_ID: &str = "credguard:partner-client-id";
/// Written at the end of every rotation: when, how, and the secret's own max age (mirrored from
/// `rotation.maxAgeDays`), so the sweep plans from `ListSecrets` alone.
pub const TAG_ROTATED_AT: &str = "credguard:rotated-at";
pub const TAG_STRATEGY: &str = "credguard:strategy";
pub const TAG_MAX_AGE_DAYS: &str = "credguard:max-age-days";
/// When credguard took the secret over (ISO time): its rotation clock starts here, not at
/// whatever age the credential had (see `rotation::schedule`).
pub const TAG_ADOPTED_AT: &str = "credguard:adopted-at";
/// The last attempt that failed for good: `<ISO time>|<error type>|<token>` (empty once a
/// rotation succeeds). The sweep leaves the secret to a human for a day after it.
pub const TAG_LAST_FAILURE: &str = "credguard:last-failure";
/// Alternating: when the previous client gets disabled (ISO time), or `retired`.
pub const TAG_RETIRE_AFTER: &str = "credguard:retire-after";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// One client; its secret is regenerated (short consumer window, see README).
    #[default]
    Regenerate,
    /// Two clients with the same rights; the idle one gets the new secret (zero downtime).
    Alternating,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regenerate => "regenerate",
            Self::Alternating => "alternating",
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "regenerate" => Ok(Self::Regenerate),
            "alternating" => Ok(Self::Alternating),
            other => Err(format!(
                "unknown strategy {other:?} (regenerate or alternating)"
            )),
        }
    }
}

/// Per-secret rotation settings; absent fields take the function's defaults.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationSettings {
    #[serde(default)]
    pub strategy: Strategy,
    /// Alternating: the other client of the pair (idle after a rotation).
    pub partner_client_id: Option<String>,
    pub max_age_days: Option<u32>,
    pub propagation_window_seconds: Option<u32>,
    /// Alternating: retire the previous client this long after a rotation.
    pub retire_after_hours: Option<u32>,
    /// Alternating: create the partner client on first rotation if none is named.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_partner: bool,
    /// Integration credentials (`pureCloudOAuthClient`) that embed this credential. When set
    /// (even empty) it is the complete list; when absent, rotation discovers them.
    pub integration_credentials: Option<Vec<String>>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedCredential {
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    pub client_id: String,
    #[serde(with = "crate::redact::expose")]
    pub client_secret: SecretString,
    pub region: Option<String>,
    pub api_base_url: Option<String>,
    pub login_base_url: Option<String>,
    pub rotation: Option<RotationSettings>,
    /// Fields this tool does not own (consumer metadata): preserved as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialFormatError {
    /// The message names the problem, never the content.
    #[error("secret value is not a valid credential document: {0}")]
    Invalid(String),
    #[error("unsupported schemaVersion {0} (this build understands {SCHEMA_VERSION})")]
    UnsupportedVersion(u32),
    #[error(transparent)]
    Endpoints(#[from] EndpointError),
}

impl ManagedCredential {
    pub fn parse(raw: &SecretString) -> Result<Self, CredentialFormatError> {
        use crate::redact::ExposeSecret;
        let c: Self = serde_json::from_str(raw.expose_secret()).map_err(|e| {
            // serde_json errors quote no input for these types, but keep only position info.
            CredentialFormatError::Invalid(format!(
                "line {} column {}: {}",
                e.line(),
                e.column(),
                category(&e)
            ))
        })?;
        if c.schema_version != SCHEMA_VERSION {
            return Err(CredentialFormatError::UnsupportedVersion(c.schema_version));
        }
        if c.client_id.trim().is_empty() {
            return Err(CredentialFormatError::Invalid("clientId is empty".into()));
        }
        Ok(c)
    }

    pub fn to_secret_string(&self) -> SecretString {
        SecretString::from(serde_json::to_string(self).expect("credential serializes"))
    }

    pub fn credentials(&self) -> ClientCredentials {
        ClientCredentials {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
        }
    }

    /// The Genesys endpoints the credential declares, if it declares any.
    pub fn endpoints(&self) -> Result<Option<Endpoints>, CredentialFormatError> {
        Ok(match (&self.region, &self.api_base_url) {
            (Some(r), _) => Some(Endpoints::for_region(r)?),
            (None, Some(api)) => Some(Endpoints::from_urls(api, self.login_base_url.as_deref())?),
            (None, None) => None,
        })
    }

    pub fn settings(&self) -> RotationSettings {
        self.rotation.clone().unwrap_or_default()
    }

    /// The same document for another client/secret (rotation output): every other field kept.
    pub fn with_client(
        &self,
        client_id: &str,
        secret: SecretString,
        partner: Option<String>,
    ) -> Self {
        let mut next = self.clone();
        next.client_id = client_id.to_owned();
        next.client_secret = secret;
        let mut settings = self.settings();
        if settings.strategy == Strategy::Alternating {
            settings.partner_client_id = partner;
        }
        if self.rotation.is_some() || settings != RotationSettings::default() {
            next.rotation = Some(settings);
        }
        next
    }
}

fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not JSON",
        serde_json::error::Category::Data => {
            "missing or mistyped field (clientId, clientSecret are required)"
        }
        serde_json::error::Category::Io => "read error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::ExposeSecret;

    #[test]
    fn round_trip_keeps_consumer_fields() {
        let raw = SecretString::from(
            r#"{"clientId":"c1","clientSecret":"s3cr3t-value","region":"eu-west-1","owner":"team-x",
               "rotation":{"strategy":"alternating","partnerClientId":"c2","maxAgeDays":7}}"#,
        );
        let c = ManagedCredential::parse(&raw).unwrap();
        assert_eq!(c.settings().strategy, Strategy::Alternating);
        let next = c.with_client("c2", SecretString::from("new-value"), Some("c1".into()));
        let v: Value = serde_json::from_str(next.to_secret_string().expose_secret()).unwrap();
        assert_eq!(v["clientId"], "c2");
        assert_eq!(v["clientSecret"], "new-value");
        assert_eq!(v["owner"], "team-x");
        assert_eq!(v["rotation"]["partnerClientId"], "c1");
        assert_eq!(v["rotation"]["maxAgeDays"], 7);
        assert_eq!(v["schemaVersion"], 1);
    }

    #[test]
    fn errors_never_echo_the_value() {
        for bad in [
            r#"{"clientId": "c", "clientSecret": 12345678}"#,
            "hunter2-not-json",
            r#"{"clientId":"c"}"#,
        ] {
            let err = ManagedCredential::parse(&SecretString::from(bad))
                .unwrap_err()
                .to_string();
            assert!(
                !err.contains("12345678") && !err.contains("hunter2"),
                "{err}"
            );
        }
        let err = ManagedCredential::parse(&SecretString::from(
            r#"{"schemaVersion":2,"clientId":"c","clientSecret":"x"}"#,
        ));
        assert_eq!(
            err.unwrap_err(),
            CredentialFormatError::UnsupportedVersion(2)
        );
    }

    #[test]
    fn endpoints_from_region_or_urls() {
        let c = ManagedCredential::parse(&SecretString::from(
            r#"{"clientId":"c","clientSecret":"x","apiBaseUrl":"https://api.mypurecloud.de"}"#,
        ))
        .unwrap();
        assert_eq!(
            c.endpoints().unwrap().unwrap().login.host_str(),
            Some("login.mypurecloud.de")
        );
        assert_eq!(c.settings().strategy, Strategy::Regenerate);
    }
}
