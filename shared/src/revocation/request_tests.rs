//! Parsing and routing: stable codes for bad input, break-glass as a route, hashing.

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
        query: &[],
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

const LIMITS: Limits<'static> = Limits {
    local_caller: None,
    bulk_max_users: 500,
};

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
        LIMITS,
    )
    .unwrap();
    assert!(
        matches!(p.command, Command::RevokeUser { ref user_id, ref body, break_glass: false } if user_id == USER && body.dry_run)
    );
    assert_eq!(p.idempotency_key.as_deref(), Some("k-1"));
}

#[test]
fn bad_input_gets_stable_codes() {
    let h = json_headers(Some("k"));
    let path = format!("/v1/users/{USER}/revoke-tokens");
    assert_eq!(
        code(parse(&req("POST", "/v2/nothing", &h, b"{}"), LIMITS)),
        (404, "not_found")
    );
    assert_eq!(
        code(parse(&req("GET", &path, &h, b""), LIMITS)),
        (405, "method_not_allowed")
    );
    assert_eq!(
        code(parse(
            &req("POST", "/v1/users/not-a-uuid/revoke-tokens", &h, b"{}"),
            LIMITS
        )),
        (400, "invalid_id")
    );
    assert_eq!(
        code(parse(&req("POST", &path, &h, b"{nope"), LIMITS)),
        (400, "malformed_json")
    );
    assert_eq!(
        code(parse(
            &req("POST", &path, &h, br#"{"reason":"x","extra":1}"#),
            LIMITS
        )),
        (400, "unknown_field")
    );
    assert_eq!(
        code(parse(
            &req("POST", &path, &h, br#"{"reason":"  "}"#),
            LIMITS
        )),
        (400, "reason_required")
    );
    assert_eq!(
        code(parse(&req("POST", &path, &h, br#"{"reason":5}"#), LIMITS)),
        (400, "invalid_body")
    );
    let text = [
        ("Content-Type".to_owned(), "text/plain".to_owned()),
        ("Idempotency-Key".to_owned(), "k".to_owned()),
    ];
    assert_eq!(
        code(parse(
            &req("POST", &path, &text, br#"{"reason":"x"}"#),
            LIMITS
        )),
        (415, "unsupported_media_type")
    );
    let no_key = json_headers(None);
    assert_eq!(
        code(parse(
            &req("POST", &path, &no_key, br#"{"reason":"x"}"#),
            LIMITS
        )),
        (400, "idempotency_key_required")
    );
    let bad_key = json_headers(Some("has space"));
    assert_eq!(
        code(parse(
            &req("POST", &path, &bad_key, br#"{"reason":"x"}"#),
            LIMITS
        )),
        (400, "invalid_idempotency_key")
    );
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        code(parse(&req("POST", &path, &h, &big), LIMITS)),
        (413, "payload_too_large")
    );
    let mut anon = req("POST", &path, &h, br#"{"reason":"x"}"#);
    anon.caller = None;
    assert_eq!(code(parse(&anon, LIMITS)), (401, "unauthenticated"));
    assert!(
        parse(
            &anon,
            Limits {
                local_caller: Some("demo"),
                ..LIMITS
            }
        )
        .is_ok(),
        "local caller for cargo lambda watch"
    );
    let dup = format!(
        r#"{{"reason":"x","userIds":["{USER}","{}"]}}"#,
        USER.to_uppercase()
    );
    assert_eq!(
        code(parse(
            &req("POST", "/v1/users/revoke-tokens", &h, dup.as_bytes()),
            LIMITS
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
            LIMITS
        )),
        (400, "invalid_token")
    );
}

#[test]
fn errors_never_echo_the_token() {
    let h = json_headers(Some("k"));
    let body = br#"{"reason":"x","accessToken":"SECRET-TOKEN-VALUE","surprise":true}"#;
    let e = parse(&req("POST", "/v1/tokens/revoke", &h, body), LIMITS).unwrap_err();
    assert!(!e.message.contains("SECRET-TOKEN-VALUE"), "{e}");
    let body = br#"{"reason":"x","accessToken":"SECRET TOKEN VALUE"}"#;
    let e = parse(&req("POST", "/v1/tokens/revoke", &h, body), LIMITS).unwrap_err();
    assert!(!e.message.contains("SECRET"), "{e}");
}

#[test]
fn break_glass_is_a_route_and_not_a_field() {
    let h = json_headers(Some("k"));
    let path = format!("/v1/break-glass/users/{USER}/revoke-tokens");
    let p = parse(
        &req(
            "POST",
            &path,
            &h,
            br#"{"reason":"on-call admin compromised"}"#,
        ),
        LIMITS,
    )
    .unwrap();
    assert!(matches!(
        p.command,
        Command::RevokeUser {
            break_glass: true,
            ..
        }
    ));
    let path = format!("/v1/users/{USER}/revoke-tokens");
    for body in [
        &br#"{"reason":"x","breakGlass":{"reason":"y"}}"#[..],
        br#"{"reason":"x","breakGlass":null}"#,
    ] {
        assert_eq!(
            code(parse(&req("POST", &path, &h, body), LIMITS)),
            (400, "break_glass_is_a_route")
        );
    }
}

#[test]
fn bulk_size_is_checked_while_parsing() {
    let h = json_headers(Some("k"));
    let ids: Vec<String> = (0..3)
        .map(|i| format!("e5e50000-0001-4f00-9000-00000000000{i}"))
        .collect();
    let body = serde_json::json!({"reason": "x", "userIds": ids}).to_string();
    let two = Limits {
        bulk_max_users: 2,
        ..LIMITS
    };
    assert_eq!(
        code(parse(
            &req("POST", "/v1/users/revoke-tokens", &h, body.as_bytes()),
            two
        )),
        (400, "too_many_users")
    );
}

#[test]
fn request_hash_uses_the_normalized_path() {
    let h = json_headers(Some("k"));
    let body = br#"{"reason":"a"}"#;
    let a = parse(
        &req("POST", &format!("/v1/users/{USER}/revoke-tokens"), &h, body),
        LIMITS,
    )
    .unwrap();
    let b = parse(
        &req(
            "post",
            &format!("//v1/users/{}/revoke-tokens/", USER.to_uppercase()),
            &h,
            body,
        ),
        LIMITS,
    )
    .unwrap();
    assert_eq!(a.request_hash, b.request_hash);
}

#[test]
fn request_hash_depends_on_the_body() {
    let h = json_headers(Some("k"));
    let path = format!("/v1/users/{USER}/revoke-tokens");
    let a = parse(&req("POST", &path, &h, br#"{"reason":"a"}"#), LIMITS).unwrap();
    let b = parse(&req("POST", &path, &h, br#"{"reason":"b"}"#), LIMITS).unwrap();
    let a2 = parse(&req("POST", &path, &h, br#"{"reason":"a"}"#), LIMITS).unwrap();
    assert_ne!(a.request_hash, b.request_hash);
    assert_eq!(a.request_hash, a2.request_hash);
}
