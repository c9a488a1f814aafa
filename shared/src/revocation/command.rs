//! What a revocation request asks for once parsed: the bodies the routes accept, the
//! [`Command`] they make, and how a command is recorded.

use super::routes::Route;
use crate::records::revocation::CallerIdentity;
use crate::redact::{fingerprint, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeUserBody {
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkBody {
    pub user_ids: Vec<String>,
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenBody {
    pub access_token: SecretString,
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientBody {
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateBody {
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
    /// Alternating secrets: disable the previous client right away (default: a leak).
    #[serde(default = "yes")]
    pub retire_previous_now: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug)]
pub enum Command {
    /// `break_glass`: on the break-glass route (holders of protected roles may be revoked).
    RevokeUser {
        user_id: String,
        body: RevokeUserBody,
        break_glass: bool,
    },
    RevokeUsers {
        user_ids: Vec<String>,
        body: BulkBody,
        break_glass: bool,
    },
    RevokeToken {
        body: TokenBody,
    },
    DisableClient {
        client_id: String,
        body: ClientBody,
    },
    EnableClient {
        client_id: String,
        body: ClientBody,
    },
    RotateClient {
        client_id: String,
        body: RotateBody,
    },
    GetRevocation {
        id: String,
    },
    /// A bulk revocation's per-user outcomes, by user id, after `after`.
    GetRevocationUsers {
        id: String,
        after: Option<String>,
        limit: usize,
    },
}

impl Command {
    pub fn is_mutating(&self) -> bool {
        !matches!(
            self,
            Command::GetRevocation { .. } | Command::GetRevocationUsers { .. }
        )
    }

    /// How a mutating command is recorded (`None` for the reads).
    pub fn recorded_as(&self) -> Option<Recorded<'_>> {
        let (target, reason, dry_run, break_glass) = match self {
            Command::RevokeUser {
                user_id,
                body,
                break_glass,
            } => (
                json!({"userId": user_id}),
                &body.reason,
                body.dry_run,
                *break_glass,
            ),
            Command::RevokeUsers {
                user_ids,
                body,
                break_glass,
            } => (
                json!({"userIds": user_ids}),
                &body.reason,
                body.dry_run,
                *break_glass,
            ),
            // The token itself is never recorded: its fingerprint identifies it.
            Command::RevokeToken { body } => (
                json!({"tokenSha256": fingerprint(&body.access_token)}),
                &body.reason,
                body.dry_run,
                false,
            ),
            Command::DisableClient { client_id, body }
            | Command::EnableClient { client_id, body } => (
                json!({"clientId": client_id}),
                &body.reason,
                body.dry_run,
                false,
            ),
            Command::RotateClient { client_id, body } => (
                json!({"clientId": client_id}),
                &body.reason,
                body.dry_run,
                false,
            ),
            Command::GetRevocation { .. } | Command::GetRevocationUsers { .. } => return None,
        };
        Some(Recorded {
            target,
            reason,
            dry_run,
            break_glass,
        })
    }
}

/// What the revocation record says of the request that started it.
pub struct Recorded<'a> {
    /// Ids, or a token's fingerprint.
    pub target: Value,
    pub reason: &'a str,
    pub dry_run: bool,
    /// On the break-glass route.
    pub break_glass: bool,
}

#[derive(Clone, Debug)]
pub struct ParsedRequest {
    pub route: &'static Route,
    pub command: Command,
    pub caller: CallerIdentity,
    pub idempotency_key: Option<String>,
    /// SHA-256 of method, normalized path and body: a replayed key must carry the same request.
    pub request_hash: String,
}
