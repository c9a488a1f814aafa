//! The ready-to-use IAM policies (docs/iam/revocation-*.json) grant each role exactly the routes
//! the route table says it has: evaluated as IAM evaluates `execute-api:Invoke` resources
//! (`*` matches any run of characters, `/` included), for every route of the router.

use credguard::revocation::routes::{Role, ROUTES};
use serde_json::Value;

fn policy(role: &str) -> Value {
    let path = format!(
        "{}/../../docs/iam/revocation-{role}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("JSON")
}

/// IAM's wildcard match: `*` any run of characters, `?` one character.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn allows(policy: &Value, arn: &str) -> bool {
    let resources = |st: &Value| -> Vec<String> {
        match &st["Resource"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        }
    };
    let matches = |st: &Value| {
        st["Action"] == "execute-api:Invoke"
            && resources(st).iter().any(|r| {
                let r = r
                    .replace("${Region}", "eu-west-1")
                    .replace("${Account}", "123456789012")
                    .replace("${ApiId}", "a1b2c3d4e5")
                    .replace("${Stage}", "prod");
                glob(r.as_bytes(), arn.as_bytes())
            })
    };
    let statements = policy["Statement"].as_array().expect("statements");
    let allowed = statements
        .iter()
        .any(|st| st["Effect"] == "Allow" && matches(st));
    let denied = statements
        .iter()
        .any(|st| st["Effect"] == "Deny" && matches(st));
    allowed && !denied
}

#[test]
fn each_role_is_granted_exactly_its_routes() {
    let roles = [
        (Role::Auditor, "auditor"),
        (Role::Responder, "responder"),
        (Role::SecurityEngineer, "security-engineer"),
    ];
    for (role, file) in roles {
        let p = policy(file);
        for r in ROUTES {
            let path = r
                .path
                .replace("{userId}", "e5e50000-0002-4f00-9000-000000000002")
                .replace("{clientId}", "c0ffee00-0002-4a5b-8c6d-000000000002")
                .replace("{revocationId}", "0e4f9a57-5c1d-4b8e-9d8e-2b2b2b2b2b2b");
            let arn = format!(
                "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/{}{path}",
                r.method
            );
            // Reads are everyone's; changes go to the roles at or above the route's.
            let expected = r.role == Role::Auditor || (role != Role::Auditor && role >= r.role);
            assert_eq!(
                allows(&p, &arn),
                expected,
                "{file}: {} {}",
                r.method,
                r.path
            );
        }
    }
}

#[test]
fn the_matcher_is_iams() {
    assert!(glob(b"a/*/c", b"a/b/x/c"), "* crosses /");
    assert!(!glob(b"a/*/c", b"a/c"));
    assert!(glob(b"a?c", b"abc"));
    assert!(!glob(
        b"POST/v1/users/*/revoke-tokens",
        b"POST/v1/break-glass/users/u/revoke-tokens"
    ));
}
