//! Request parsing and routing never panic: 100,000+ generated requests (a mix of near-valid
//! and arbitrary ones), plus a small checked-in corpus of nasty inputs. Every answer is either a
//! parsed command or a 4xx error with a stable code.

use credguard::records::revocation::CallerIdentity;
use credguard::revocation::command::Command;
use credguard::revocation::request::{parse, Limits, RawRequest};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

const UUIDS: [&str; 3] = [
    "e5e50000-0002-4f00-9000-000000000002",
    "C0FFEE00-0002-4A5B-8C6D-000000000002",
    "00000000-0000-4000-8000-00000000dead",
];

fn check(method: &str, path: &str, headers: &[(String, String)], body: &[u8], with_caller: bool) {
    let raw = RawRequest {
        method,
        path,
        query: &[],
        headers,
        body,
        caller: with_caller.then(|| CallerIdentity {
            arn: "arn:aws:iam::123456789012:user/fuzz".into(),
            ..Default::default()
        }),
    };
    let limits = Limits {
        local_caller: None,
        bulk_max_users: 500,
    };
    match parse(&raw, limits) {
        Ok(p) => {
            assert!(with_caller, "no identity must never parse");
            assert!(!p.request_hash.is_empty());
            if p.command.is_mutating() {
                assert!(p.idempotency_key.is_some(), "mutating without a key");
            }
            if let Command::RevokeUsers { user_ids, .. } = &p.command {
                assert!(!user_ids.is_empty());
            }
        }
        Err(e) => {
            assert!((400..500).contains(&e.status), "{e}");
            assert!(
                !e.code.is_empty() && e.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{e}"
            );
            let body = e.body();
            assert_eq!(body["error"]["code"], e.code);
        }
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v1".to_owned()),
        Just("users".to_owned()),
        Just("clients".to_owned()),
        Just("tokens".to_owned()),
        Just("revocations".to_owned()),
        Just("revoke-tokens".to_owned()),
        Just("revoke".to_owned()),
        Just("disable".to_owned()),
        Just("enable".to_owned()),
        Just("rotate".to_owned()),
        Just("break-glass".to_owned()),
        proptest::sample::select(UUIDS.to_vec()).prop_map(str::to_owned),
        "[a-zA-Z0-9%._~:-]{0,40}",
        ".{0,12}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..6).prop_map(|s| format!("/{}", s.join("/")))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("\"reason\":\"left\"".to_owned()),
        Just("\"reason\":\"\"".to_owned()),
        Just("\"dryRun\":true".to_owned()),
        Just("\"dryRun\":\"yes\"".to_owned()),
        Just("\"breakGlass\":{\"reason\":\"ok\"}".to_owned()),
        Just("\"breakGlass\":null".to_owned()),
        Just("\"accessToken\":\"abc.def\"".to_owned()),
        Just("\"accessToken\":\"a b\"".to_owned()),
        Just("\"retirePreviousNow\":false".to_owned()),
        Just(format!("\"userIds\":[\"{}\",\"{}\"]", UUIDS[0], UUIDS[2])),
        Just("\"userIds\":[]".to_owned()),
        Just("\"userIds\":[1,2]".to_owned()),
        "\"[a-zA-Z]{1,8}\":[0-9]{1,3}",
    ];
    prop_oneof![
        4 => prop::collection::vec(field, 0..5).prop_map(|f| format!("{{{}}}", f.join(",")).into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => ".{0,200}".prop_map(String::into_bytes),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let content_type = prop_oneof![
        Just(Some("application/json".to_owned())),
        Just(Some("Application/JSON; charset=utf-8".to_owned())),
        Just(Some("text/plain".to_owned())),
        Just(None),
        ".{0,20}".prop_map(Some),
    ];
    let key = prop_oneof![
        Just(Some("inc-1".to_owned())),
        Just(None),
        ".{0,140}".prop_map(Some)
    ];
    (content_type, key).prop_map(|(ct, k)| {
        let mut h = Vec::new();
        if let Some(ct) = ct {
            h.push(("content-type".to_owned(), ct));
        }
        if let Some(k) = k {
            h.push(("Idempotency-Key".to_owned(), k));
        }
        h
    })
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("POST".to_owned()),
        Just("GET".to_owned()),
        Just("post".to_owned()),
        Just("DELETE".to_owned()),
        "[A-Z]{0,8}",
    ]
}

proptest! {
    #![proptest_config(Config {
        cases: 100_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    })]

    #[test]
    fn parsing_never_panics(m in method(), p in path(), h in headers(), b in body(), with_caller in prop::bool::weighted(0.95)) {
        check(&m, &p, &h, &b, with_caller);
    }
}

#[test]
fn the_corpus_of_nasty_inputs() {
    let dir = format!("{}/tests/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let headers: Vec<(String, String)> = case["headers"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        check(
            case["method"].as_str().unwrap_or_default(),
            case["path"].as_str().unwrap_or_default(),
            &headers,
            case["body"].as_str().unwrap_or_default().as_bytes(),
            true,
        );
        n += 1;
    }
    assert!(n >= 10, "the corpus is there: {n} cases");
}
