//! Parsing and routing, before any Genesys call: every malformed, oversized, unknown or
//! ambiguous request becomes a 4xx [`ApiError`] with a stable code. Pure (no I/O), so it is
//! property-tested with hundreds of thousands of generated requests.

use super::command::*;
use super::error::ApiError;
use super::routes::{self, Route};
use crate::records::revocation::CallerIdentity;
use serde::de::DeserializeOwned;

/// Bodies are small JSON documents; a 500-user bulk request is about 20 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const MAX_REASON_CHARS: usize = 500;
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Per-user outcomes of a bulk revocation, per page.
pub const MAX_PAGE: usize = 500;

/// What the Lambda adapter hands over: the HTTP request as received.
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
    /// Header names in any case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// From the API Gateway request context (IAM authorization); `None` if absent.
    pub caller: Option<CallerIdentity>,
}

/// Settings parsing depends on.
#[derive(Clone, Copy, Debug)]
pub struct Limits<'a> {
    /// Local development only: the caller recorded when there is no IAM identity.
    pub local_caller: Option<&'a str>,
    pub bulk_max_users: usize,
}

/// Genesys ids are UUIDs (8-4-4-4-12 hex).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn valid_key(k: &str) -> bool {
    (1..=128).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn uuid_param(s: &str, what: &str) -> Result<String, ApiError> {
    if is_uuid(s) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(ApiError::new(
            400,
            "invalid_id",
            format!("{what} must be a UUID"),
        ))
    }
}

fn check_reason(reason: &str) -> Result<(), ApiError> {
    let n = reason.trim().chars().count();
    if n == 0 {
        return Err(ApiError::new(
            400,
            "reason_required",
            "a non-empty reason is required",
        ));
    }
    if n > MAX_REASON_CHARS {
        return Err(ApiError::new(
            400,
            "reason_too_long",
            format!("reason is limited to {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Reads a JSON body strictly: the right content type, JSON, the expected fields and no others.
fn json_body<T: DeserializeOwned>(raw: &RawRequest<'_>) -> Result<T, ApiError> {
    let ct = header(raw.headers, "content-type").unwrap_or_default();
    let media = ct.split(';').next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "send Content-Type: application/json",
        ));
    }
    if raw.body.is_empty() {
        return Err(ApiError::new(
            400,
            "malformed_json",
            "the request needs a JSON body",
        ));
    }
    serde_json::from_slice(raw.body).map_err(|e| {
        let text = e.to_string();
        // serde names unknown fields; nothing else of the body is echoed.
        if text.starts_with("unknown field") {
            let field = text.split('`').nth(1).unwrap_or("?");
            if field == "breakGlass" {
                return ApiError::new(
                    400,
                    "break_glass_is_a_route",
                    "break-glass is a permission, not a field: POST /v1/break-glass/users/{userId}/revoke-tokens (or /v1/break-glass/users/revoke-tokens), with the reason in `reason`",
                );
            }
            ApiError::new(400, "unknown_field", format!("unknown field `{field}`"))
        } else if e.is_data() {
            ApiError::new(
                400,
                "invalid_body",
                format!(
                    "the body does not match the expected shape (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        } else {
            ApiError::new(
                400,
                "malformed_json",
                format!(
                    "the body is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        }
    })
}

/// The route for `method` at `segments`, and its path parameters.
fn route<'p>(
    method: &str,
    segments: &[&'p str],
) -> Result<(&'static Route, Vec<&'p str>), ApiError> {
    let found = routes::at(segments);
    if found.is_empty() {
        return Err(ApiError::new(
            404,
            "not_found",
            "no such endpoint (see the API reference: docs/revocation-api.yaml)",
        ));
    }
    let allowed: Vec<&str> = found.iter().map(|(r, _)| r.method).collect();
    found
        .into_iter()
        .find(|(r, _)| method.eq_ignore_ascii_case(r.method))
        .ok_or_else(|| {
            ApiError::new(
                405,
                "method_not_allowed",
                format!("use {}", allowed.join(" or ")),
            )
        })
}

fn query<'a>(raw: &'a RawRequest<'_>, name: &str) -> Option<&'a str> {
    raw.query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Routes and validates a request. Never panics, whatever the input.
pub fn parse(raw: &RawRequest<'_>, limits: Limits<'_>) -> Result<ParsedRequest, ApiError> {
    if raw.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "payload_too_large",
            format!("bodies are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    let segments: Vec<&str> = raw.path.split('/').filter(|s| !s.is_empty()).collect();
    let (route, params) = route(raw.method, &segments)?;

    let caller = match (&raw.caller, limits.local_caller) {
        (Some(c), _) if !c.arn.is_empty() => c.clone(),
        (_, Some(local)) => CallerIdentity {
            arn: format!("local:{local}"),
            ..Default::default()
        },
        _ => {
            return Err(ApiError::new(
                401,
                "unauthenticated",
                "the request carries no IAM identity",
            ))
        }
    };

    let break_glass = route.is_break_glass();
    // Path parameters, normalized: the same request always hashes the same.
    let mut normalized: Vec<String> = Vec::new();
    let command = match (route.action, params.as_slice()) {
        ("revokeUserTokens", [id]) => {
            let user_id = uuid_param(id, "userId")?;
            normalized.push(user_id.clone());
            let body: RevokeUserBody = json_body(raw)?;
            check_reason(&body.reason)?;
            Command::RevokeUser {
                user_id,
                body,
                break_glass,
            }
        }
        ("revokeUserTokensBulk", []) => {
            let body: BulkBody = json_body(raw)?;
            check_reason(&body.reason)?;
            if body.user_ids.is_empty() {
                return Err(ApiError::new(
                    400,
                    "user_ids_required",
                    "userIds must not be empty",
                ));
            }
            if body.user_ids.len() > limits.bulk_max_users {
                return Err(ApiError::new(
                    400,
                    "too_many_users",
                    format!("at most {} users per request", limits.bulk_max_users),
                ));
            }
            let mut user_ids = Vec::with_capacity(body.user_ids.len());
            let mut seen = std::collections::BTreeSet::new();
            for (i, id) in body.user_ids.iter().enumerate() {
                let id = uuid_param(id, &format!("userIds[{i}]"))?;
                if !seen.insert(id.clone()) {
                    return Err(ApiError::new(
                        400,
                        "duplicate_user_id",
                        format!("userIds[{i}] repeats an earlier id"),
                    ));
                }
                user_ids.push(id);
            }
            Command::RevokeUsers {
                user_ids,
                body,
                break_glass,
            }
        }
        ("revokeAccessToken", []) => {
            let body: TokenBody = json_body(raw)?;
            check_reason(&body.reason)?;
            use crate::redact::ExposeSecret;
            let t = body.access_token.expose_secret();
            if t.is_empty()
                || t.len() > 4096
                || t.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(ApiError::new(
                    400,
                    "invalid_token",
                    "accessToken must be a bearer token (no whitespace, at most 4096 bytes)",
                ));
            }
            Command::RevokeToken { body }
        }
        (action @ ("disableClient" | "enableClient"), [id]) => {
            let client_id = uuid_param(id, "clientId")?;
            normalized.push(client_id.clone());
            let body: ClientBody = json_body(raw)?;
            check_reason(&body.reason)?;
            if action == "disableClient" {
                Command::DisableClient { client_id, body }
            } else {
                Command::EnableClient { client_id, body }
            }
        }
        ("emergencyRotation", [id]) => {
            let client_id = uuid_param(id, "clientId")?;
            normalized.push(client_id.clone());
            let body: RotateBody = json_body(raw)?;
            check_reason(&body.reason)?;
            Command::RotateClient { client_id, body }
        }
        ("getRevocation", [id]) => Command::GetRevocation {
            id: uuid_param(id, "revocationId")?,
        },
        ("getRevocationUsers", [id]) => {
            let after = match query(raw, "after") {
                Some(a) => Some(uuid_param(a, "after")?),
                None => None,
            };
            let limit = match query(raw, "limit") {
                None => 100,
                Some(l) => l
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        ApiError::new(
                            400,
                            "invalid_limit",
                            format!("limit must be 1 to {MAX_PAGE}"),
                        )
                    })?,
            };
            Command::GetRevocationUsers {
                id: uuid_param(id, "revocationId")?,
                after,
                limit,
            }
        }
        _ => return Err(ApiError::new(404, "not_found", "no such endpoint")),
    };

    let idempotency_key = match header(raw.headers, IDEMPOTENCY_HEADER) {
        Some(k) if valid_key(k) => Some(k.to_owned()),
        Some(_) => {
            return Err(ApiError::new(
                400,
                "invalid_idempotency_key",
                "Idempotency-Key: 1 to 128 characters of A-Z a-z 0-9 - _ . :",
            ))
        }
        None if command.is_mutating() => {
            return Err(ApiError::new(
                400,
                "idempotency_key_required",
                "changing requests need an Idempotency-Key header",
            ))
        }
        None => None,
    };

    let mut params = normalized.into_iter();
    let canonical: String = route
        .path
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                params.next().unwrap_or_default()
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut material = Vec::with_capacity(raw.body.len() + canonical.len() + 8);
    material.extend_from_slice(route.method.as_bytes());
    material.push(0);
    material.extend_from_slice(canonical.as_bytes());
    material.push(0);
    material.extend_from_slice(raw.body);
    let request_hash = crate::redact::fingerprint_bytes(&material);
    Ok(ParsedRequest {
        route,
        command,
        caller,
        idempotency_key,
        request_hash,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
