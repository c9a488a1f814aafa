//! The API's error: an HTTP status and `{ "error": { "code", "message" } }` with a stable code.

use crate::genesys::GenesysError;
use crate::ports::records::StoreError;
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for 503 after Genesys rate limiting.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn body(&self) -> Value {
        json!({ "error": { "code": self.code, "message": self.message } })
    }

    /// A Genesys failure, from the API caller's point of view. `missing` names the resource
    /// kind for a 404 (`user`, `client`).
    pub fn from_genesys(e: &GenesysError, missing: &'static str) -> Self {
        let code_404 = match missing {
            "user" => "user_not_found",
            "client" => "client_not_found",
            _ => "not_found",
        };
        match e {
            GenesysError::Api { status: 404, .. } => {
                Self::new(404, code_404, format!("Genesys has no such {missing}"))
            }
            GenesysError::Api {
                status: 403,
                message,
                ..
            } => Self::new(
                502,
                "genesys_permission_missing",
                format!("the admin OAuth client lacks a Genesys permission: {message}"),
            ),
            GenesysError::RateLimited { .. } | GenesysError::HeldBack { .. } => Self {
                retry_after: e.retry_after().map(|w| w.as_secs().max(1)),
                ..Self::new(
                    503,
                    "genesys_rate_limited",
                    "Genesys is rate limiting us; retry after the given delay",
                )
            },
            GenesysError::DeadlineExceeded { .. } => Self::new(
                504,
                "timeout",
                "the time budget ran out before Genesys answered",
            ),
            GenesysError::Login(l) => Self::new(
                502,
                "genesys_login_failed",
                format!("the admin OAuth client could not log in: {l}"),
            ),
            other => Self::new(502, "genesys_unavailable", other.to_string()),
        }
    }

    pub fn from_store(e: &StoreError) -> Self {
        Self::new(
            503,
            "records_unavailable",
            format!("the record store failed: {e}"),
        )
    }
}
