//! Errors of the Genesys client. Messages never contain a token or secret: they are built from
//! status codes, Genesys error codes/messages and our own text only.

use super::ops::Op;
use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum GenesysError {
    /// Genesys answered with a non-success status that is not retried (or retries ran out).
    #[error("{op} answered {status} {code}: {message}")]
    Api {
        op: Op,
        status: u16,
        code: String,
        message: String,
        correlation_id: Option<String>,
    },
    /// 429 whose wait exceeds the policy limit or the remaining time budget, or any 429 of a
    /// call that is never retried automatically. The request was not executed.
    #[error("{op} was rate limited; retry after {}s", retry_after.as_secs())]
    RateLimited {
        op: Op,
        retry_after: Duration,
        correlation_id: Option<String>,
    },
    /// Not sent: an earlier 429 holds every caller of this client back for longer than this
    /// call may wait (its deadline, or the policy's longest wait). Sending earlier would only
    /// draw another 429.
    #[error("{op} not sent: an earlier 429 holds this client back for {}s more", wait.as_secs().max(1))]
    HeldBack { op: Op, wait: Duration },
    /// A non-idempotent call may or may not have been applied (timeout, connection dropped,
    /// 5xx). Callers must reconcile (read the state back) instead of retrying blindly.
    #[error("{op}: outcome unknown ({reason}); reconcile before retrying")]
    OutcomeUnknown { op: Op, reason: String },
    /// The caller's deadline left no time for (another) attempt.
    #[error("{op}: deadline exceeded")]
    DeadlineExceeded { op: Op },
    /// The request did not complete and was not (or could not be) retried.
    #[error("{op}: transport error: {reason}")]
    Transport { op: Op, reason: String },
    /// 2xx with a body we could not read.
    #[error("{op}: unexpected response: {reason}")]
    Decode { op: Op, reason: String },
    /// An asynchronous query (usage) ended `Failed`/`Cancelled` or never finished in time.
    #[error("{op}: query {status}: {message}")]
    QueryFailed {
        op: Op,
        status: String,
        message: String,
    },
    /// A request argument that cannot be sent (for example an id with a `/` in it).
    #[error("{op}: invalid argument: {reason}")]
    InvalidArgument { op: Op, reason: String },
    /// The admin client could not get an access token.
    #[error("token grant failed: {0}")]
    Login(#[from] LoginError),
}

impl GenesysError {
    /// A stable machine-readable name for the kind of failure (used in records and as part of
    /// Lambda `error_type`s).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Api { status: 401, .. } => "GenesysUnauthorized",
            Self::Api { status: 403, .. } => "GenesysForbidden",
            Self::Api { status: 404, .. } => "GenesysNotFound",
            Self::Api {
                status: 400..=499, ..
            } => "GenesysRejected",
            Self::Api { .. } => "GenesysServerError",
            Self::RateLimited { .. } | Self::HeldBack { .. } => "GenesysRateLimited",
            Self::OutcomeUnknown { .. } => "GenesysOutcomeUnknown",
            Self::DeadlineExceeded { .. } => "DeadlineExceeded",
            Self::Transport { .. } => "GenesysUnavailable",
            Self::Decode { .. } => "GenesysBadResponse",
            Self::InvalidArgument { .. } => "InvalidArgument",
            Self::QueryFailed { .. } => "GenesysQueryFailed",
            Self::Login(e) => e.kind(),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::RateLimited { .. } | Self::HeldBack { .. } => Some(429),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Genesys's error code (`not.found`, `missing.any.permissions`, ...), if it answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Api { correlation_id, .. } | Self::RateLimited { correlation_id, .. } => {
                correlation_id.as_deref()
            }
            _ => None,
        }
    }

    /// Worth trying again later (a later invocation, not an immediate loop).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status >= 500,
            Self::RateLimited { .. }
            | Self::HeldBack { .. }
            | Self::DeadlineExceeded { .. }
            | Self::Transport { .. }
            | Self::OutcomeUnknown { .. }
            | Self::QueryFailed { .. } => true,
            Self::Decode { .. } | Self::InvalidArgument { .. } => false,
            Self::Login(e) => e.is_transient(),
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::HeldBack { wait, .. } => Some(*wait),
            Self::Login(LoginError::RateLimited { retry_after, .. }) => Some(*retry_after),
            _ => None,
        }
    }
}

/// Failures of `POST /oauth/token` on the login host.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoginError {
    /// Unknown client, wrong secret, disabled client, or a secret not yet propagated.
    #[error("login rejected the client credentials ({status} {error}: {description})")]
    InvalidClient {
        status: u16,
        error: String,
        description: String,
        correlation_id: Option<String>,
    },
    #[error("login rejected the grant ({status} {error}: {description})")]
    Rejected {
        status: u16,
        error: String,
        description: String,
        correlation_id: Option<String>,
    },
    #[error("login rate limited; retry after {}s", retry_after.as_secs())]
    RateLimited {
        retry_after: Duration,
        correlation_id: Option<String>,
    },
    #[error("login host unavailable ({status})")]
    Unavailable {
        status: u16,
        correlation_id: Option<String>,
    },
    #[error("login transport error: {0}")]
    Transport(String),
    #[error("login response unreadable: {0}")]
    Decode(String),
    #[error("deadline exceeded while getting a token")]
    DeadlineExceeded,
    /// The admin credential could not be loaded: Secrets Manager failed (`transient` as it
    /// says), or the secret is missing, refused or malformed (not transient).
    #[error("admin credential unavailable: {message}")]
    Credentials { message: String, transient: bool },
}

impl LoginError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidClient { .. } => "GenesysLoginInvalidClient",
            Self::Rejected { .. } => "GenesysLoginRejected",
            Self::RateLimited { .. } => "GenesysLoginRateLimited",
            Self::Unavailable { .. } | Self::Transport(_) => "GenesysLoginUnavailable",
            Self::Decode(_) => "GenesysLoginBadResponse",
            Self::DeadlineExceeded => "DeadlineExceeded",
            Self::Credentials { .. } => "AdminCredentialUnavailable",
        }
    }

    /// Retrying the grant may succeed (with backoff).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Credentials { transient, .. } => *transient,
            other => matches!(
                other,
                Self::RateLimited { .. }
                    | Self::Unavailable { .. }
                    | Self::Transport(_)
                    | Self::DeadlineExceeded
            ),
        }
    }
}
