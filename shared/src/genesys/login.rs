//! The client-credentials grant against the login host (API-FACTS §1.1).

use super::error::LoginError;
use super::models::{LoginErrorBody, TokenResponse};
use crate::redact::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// An OAuth client id and its secret. `Debug` redacts the secret.
#[derive(Clone, Debug, Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl ClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }
}

/// A granted access token. `expires_in` is what the server said, never assumed.
pub struct Grant {
    pub access_token: SecretString,
    pub expires_in: Duration,
    pub correlation_id: Option<String>,
}

pub(crate) const CORRELATION_HEADER: &str = "ININ-Correlation-Id";

pub(crate) fn correlation_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// `POST {login}/oauth/token` with HTTP Basic and `grant_type=client_credentials`. One attempt;
/// callers decide about retries.
pub async fn client_credentials_grant(
    http: &reqwest::Client,
    login: &Url,
    creds: &ClientCredentials,
    timeout: Duration,
) -> Result<Grant, LoginError> {
    let url = super::region::with_path(login, "oauth/token");
    let started = Instant::now();
    let response = http
        .post(url)
        .basic_auth(&creds.client_id, Some(creds.client_secret.expose_secret()))
        .form(&[("grant_type", "client_credentials")])
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| LoginError::Transport(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    let correlation_id = correlation_id(response.headers());
    let retry_after = retry_after(response.headers());
    let body = response
        .bytes()
        .await
        .map_err(|e| LoginError::Transport(e.without_url().to_string()))?;
    tracing::info!(
        method = "POST",
        path = "/oauth/token",
        client_id = %creds.client_id,
        status,
        latency_ms = started.elapsed().as_millis() as u64,
        correlation_id = correlation_id.as_deref().unwrap_or(""),
        "genesys token grant"
    );
    if (200..300).contains(&status) {
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| LoginError::Decode(e.to_string()))?;
        if parsed
            .token_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(LoginError::Decode("token_type is not bearer".into()));
        }
        return Ok(Grant {
            access_token: parsed.access_token,
            expires_in: Duration::from_secs(parsed.expires_in),
            correlation_id,
        });
    }
    let err: LoginErrorBody = serde_json::from_slice(&body).unwrap_or_default();
    let error = err.error.unwrap_or_default();
    let description = err
        .error_description
        .or(err.description)
        .unwrap_or_default();
    Err(match status {
        429 => LoginError::RateLimited {
            retry_after: retry_after.unwrap_or(Duration::from_secs(3)),
            correlation_id,
        },
        500..=599 => LoginError::Unavailable {
            status,
            correlation_id,
        },
        _ if status == 401 || error == "invalid_client" => LoginError::InvalidClient {
            status,
            error,
            description,
            correlation_id,
        },
        _ => LoginError::Rejected {
            status,
            error,
            description,
            correlation_id,
        },
    })
}
