//! Parsing and routing, before any Genesys call: every malformed, oversized, unknown or
//! ambiguous request becomes a 4xx [`ApiError`] with a stable code. Pure (no I/O), so it is
//! property-tested with hundreds of thousands of generated requests.

use super::error::ApiError;
use crate::records::revocation::CallerIdentity;
use crate::redact::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Bodies are small JSON documents; a 500-user bulk request is about 20 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const MAX_REASON_CHARS: usize = 500;
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// What the Lambda adapter hands over: the HTTP request as received.
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Header names in any case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// From the API Gateway request context (IAM authorization); `None` if absent.
    pub caller: Option<CallerIdentity>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BreakGlass {
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeUserBody {
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub break_glass: Option<BreakGlass>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkBody {
    pub user_ids: Vec<String>,
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub break_glass: Option<BreakGlass>,
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
    RevokeUser {
        user_id: String,
        body: RevokeUserBody,
    },
    RevokeUsers {
        user_ids: Vec<String>,
        body: BulkBody,
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
}

impl Command {
    pub fn is_mutating(&self) -> bool {
        !matches!(self, Command::GetRevocation { .. })
    }

    pub fn action(&self) -> &'static str {
        match self {
            Command::RevokeUser { .. } => "revokeUserTokens",
            Command::RevokeUsers { .. } => "revokeUserTokensBulk",
            Command::RevokeToken { .. } => "revokeAccessToken",
            Command::DisableClient { .. } => "disableClient",
            Command::EnableClient { .. } => "enableClient",
            Command::RotateClient { .. } => "emergencyRotation",
            Command::GetRevocation { .. } => "getRevocation",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ParsedRequest {
    pub command: Command,
    pub caller: CallerIdentity,
    pub idempotency_key: Option<String>,
    /// SHA-256 of method, path and body: a replayed key must carry the same request.
    pub request_hash: String,
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

fn check_break_glass(b: &Option<BreakGlass>) -> Result<(), ApiError> {
    match b {
        Some(b) if b.reason.trim().is_empty() => Err(ApiError::new(
            400,
            "break_glass_reason_required",
            "breakGlass needs a non-empty reason",
        )),
        Some(b) if b.reason.chars().count() > MAX_REASON_CHARS => Err(ApiError::new(
            400,
            "reason_too_long",
            "breakGlass.reason is too long",
        )),
        _ => Ok(()),
    }
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

fn route<'p>(method: &str, segments: &[&'p str]) -> Result<(&'static str, Vec<&'p str>), ApiError> {
    let (allowed, name, params): (&str, &'static str, Vec<&str>) = match segments {
        ["v1", "users", "revoke-tokens"] => ("POST", "revokeUsers", vec![]),
        ["v1", "users", id, "revoke-tokens"] => ("POST", "revokeUser", vec![*id]),
        ["v1", "tokens", "revoke"] => ("POST", "revokeToken", vec![]),
        ["v1", "clients", id, "disable"] => ("POST", "disableClient", vec![*id]),
        ["v1", "clients", id, "enable"] => ("POST", "enableClient", vec![*id]),
        ["v1", "clients", id, "rotate"] => ("POST", "rotateClient", vec![*id]),
        ["v1", "revocations", id] => ("GET", "getRevocation", vec![*id]),
        _ => {
            return Err(ApiError::new(
                404,
                "not_found",
                "no such endpoint (see the API reference: docs/revocation-api.yaml)",
            ))
        }
    };
    if !method.eq_ignore_ascii_case(allowed) {
        return Err(ApiError::new(
            405,
            "method_not_allowed",
            format!("use {allowed}"),
        ));
    }
    Ok((name, params))
}

/// Routes and validates a request. Never panics, whatever the input.
pub fn parse(raw: &RawRequest<'_>, local_caller: Option<&str>) -> Result<ParsedRequest, ApiError> {
    if raw.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "payload_too_large",
            format!("bodies are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    let path = raw.path.strip_suffix('/').unwrap_or(raw.path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (name, params) = route(raw.method, &segments)?;

    let caller = match (&raw.caller, local_caller) {
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

    let command = match (name, params.as_slice()) {
        ("revokeUser", [id]) => {
            let user_id = uuid_param(id, "userId")?;
            let body: RevokeUserBody = json_body(raw)?;
            check_reason(&body.reason)?;
            check_break_glass(&body.break_glass)?;
            Command::RevokeUser { user_id, body }
        }
        ("revokeUsers", []) => {
            let body: BulkBody = json_body(raw)?;
            check_reason(&body.reason)?;
            check_break_glass(&body.break_glass)?;
            if body.user_ids.is_empty() {
                return Err(ApiError::new(
                    400,
                    "user_ids_required",
                    "userIds must not be empty",
                ));
            }
            let mut user_ids = Vec::with_capacity(body.user_ids.len());
            for (i, id) in body.user_ids.iter().enumerate() {
                let id = uuid_param(id, &format!("userIds[{i}]"))?;
                if user_ids.contains(&id) {
                    return Err(ApiError::new(
                        400,
                        "duplicate_user_id",
                        format!("userIds[{i}] repeats an earlier id"),
                    ));
                }
                user_ids.push(id);
            }
            Command::RevokeUsers { user_ids, body }
        }
        ("revokeToken", []) => {
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
        ("disableClient" | "enableClient", [id]) => {
            let client_id = uuid_param(id, "clientId")?;
            let body: ClientBody = json_body(raw)?;
            check_reason(&body.reason)?;
            if name == "disableClient" {
                Command::DisableClient { client_id, body }
            } else {
                Command::EnableClient { client_id, body }
            }
        }
        ("rotateClient", [id]) => {
            let client_id = uuid_param(id, "clientId")?;
            let body: RotateBody = json_body(raw)?;
            check_reason(&body.reason)?;
            Command::RotateClient { client_id, body }
        }
        ("getRevocation", [id]) => Command::GetRevocation {
            id: uuid_param(id, "revocationId")?,
        },
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

    let mut material = Vec::with_capacity(raw.body.len() + path.len() + 8);
    material.extend_from_slice(raw.method.to_ascii_uppercase().as_bytes());
    material.push(0);
    material.extend_from_slice(path.as_bytes());
    material.push(0);
    material.extend_from_slice(raw.body);
    let request_hash = crate::redact::fingerprint_bytes(&material);
    Ok(ParsedRequest {
        command,
        caller,
        idempotency_key,
        request_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "e5e50000-0001-4f00-9000-000000000001";

    fn req<'a>(
        method: &'a str,
        path: &'a str,
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> RawRequest<'a> {
        RawRequest {
            method,
            path,
            headers,
            body,
            caller: Some(CallerIdentity {
                arn: "arn:aws:iam::123456789012:user/alice".into(),
                ..Default::default()
            }),
        }
    }

    fn json_headers(key: Option<&str>) -> Vec<(String, String)> {
        let mut h = vec![(
            "Content-Type".to_owned(),
            "application/json; charset=utf-8".to_owned(),
        )];
        if let Some(k) = key {
            h.push(("Idempotency-Key".to_owned(), k.to_owned()));
        }
        h
    }

    fn code(r: Result<ParsedRequest, ApiError>) -> (u16, &'static str) {
        let e = r.unwrap_err();
        (e.status, e.code)
    }

    #[test]
    fn routes_and_parses_a_user_revocation() {
        let h = json_headers(Some("k-1"));
        let path = format!("/v1/users/{USER}/revoke-tokens/");
        let p = parse(
            &req(
                "POST",
                &path,
                &h,
                br#"{"reason":"left the company","dryRun":true}"#,
            ),
            None,
        )
        .unwrap();
        assert!(
            matches!(p.command, Command::RevokeUser { ref user_id, ref body } if user_id == USER && body.dry_run)
        );
        assert_eq!(p.idempotency_key.as_deref(), Some("k-1"));
    }

    #[test]
    fn bad_input_gets_stable_codes() {
        let h = json_headers(Some("k"));
        let path = format!("/v1/users/{USER}/revoke-tokens");
        assert_eq!(
            code(parse(&req("POST", "/v2/nothing", &h, b"{}"), None)),
            (404, "not_found")
        );
        assert_eq!(
            code(parse(&req("GET", &path, &h, b""), None)),
            (405, "method_not_allowed")
        );
        assert_eq!(
            code(parse(
                &req("POST", "/v1/users/not-a-uuid/revoke-tokens", &h, b"{}"),
                None
            )),
            (400, "invalid_id")
        );
        assert_eq!(
            code(parse(&req("POST", &path, &h, b"{nope"), None)),
            (400, "malformed_json")
        );
        assert_eq!(
            code(parse(
                &req("POST", &path, &h, br#"{"reason":"x","extra":1}"#),
                None
            )),
            (400, "unknown_field")
        );
        assert_eq!(
            code(parse(&req("POST", &path, &h, br#"{"reason":"  "}"#), None)),
            (400, "reason_required")
        );
        assert_eq!(
            code(parse(&req("POST", &path, &h, br#"{"reason":5}"#), None)),
            (400, "invalid_body")
        );
        let text = [
            ("Content-Type".to_owned(), "text/plain".to_owned()),
            ("Idempotency-Key".to_owned(), "k".to_owned()),
        ];
        assert_eq!(
            code(parse(
                &req("POST", &path, &text, br#"{"reason":"x"}"#),
                None
            )),
            (415, "unsupported_media_type")
        );
        let no_key = json_headers(None);
        assert_eq!(
            code(parse(
                &req("POST", &path, &no_key, br#"{"reason":"x"}"#),
                None
            )),
            (400, "idempotency_key_required")
        );
        let bad_key = json_headers(Some("has space"));
        assert_eq!(
            code(parse(
                &req("POST", &path, &bad_key, br#"{"reason":"x"}"#),
                None
            )),
            (400, "invalid_idempotency_key")
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            code(parse(&req("POST", &path, &h, &big), None)),
            (413, "payload_too_large")
        );
        let mut anon = req("POST", &path, &h, br#"{"reason":"x"}"#);
        anon.caller = None;
        assert_eq!(code(parse(&anon, None)), (401, "unauthenticated"));
        assert!(
            parse(&anon, Some("demo")).is_ok(),
            "local caller for cargo lambda watch"
        );
        let dup = format!(
            r#"{{"reason":"x","userIds":["{USER}","{}"]}}"#,
            USER.to_uppercase()
        );
        assert_eq!(
            code(parse(
                &req("POST", "/v1/users/revoke-tokens", &h, dup.as_bytes()),
                None
            )),
            (400, "duplicate_user_id")
        );
        assert_eq!(
            code(parse(
                &req(
                    "POST",
                    "/v1/tokens/revoke",
                    &h,
                    br#"{"reason":"x","accessToken":"a b"}"#
                ),
                None
            )),
            (400, "invalid_token")
        );
    }

    #[test]
    fn errors_never_echo_the_token() {
        let h = json_headers(Some("k"));
        let body = br#"{"reason":"x","accessToken":"SECRET-TOKEN-VALUE","surprise":true}"#;
        let e = parse(&req("POST", "/v1/tokens/revoke", &h, body), None).unwrap_err();
        assert!(!e.message.contains("SECRET-TOKEN-VALUE"), "{e}");
        let body = br#"{"reason":"x","accessToken":"SECRET TOKEN VALUE"}"#;
        let e = parse(&req("POST", "/v1/tokens/revoke", &h, body), None).unwrap_err();
        assert!(!e.message.contains("SECRET"), "{e}");
    }

    #[test]
    fn request_hash_depends_on_the_body() {
        let h = json_headers(Some("k"));
        let path = format!("/v1/users/{USER}/revoke-tokens");
        let a = parse(&req("POST", &path, &h, br#"{"reason":"a"}"#), None).unwrap();
        let b = parse(&req("POST", &path, &h, br#"{"reason":"b"}"#), None).unwrap();
        let a2 = parse(&req("POST", &path, &h, br#"{"reason":"a"}"#), None).unwrap();
        assert_ne!(a.request_hash, b.request_hash);
        assert_eq!(a.request_hash, a2.request_hash);
    }
}
