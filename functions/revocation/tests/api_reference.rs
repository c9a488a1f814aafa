//! The API reference (docs/revocation-api.yaml) names every route of the router with exactly
//! the statuses the route table says it answers (the service checks, in every test, that it
//! never answers another), and every error code the code can answer with, so the document
//! cannot silently fall behind.

use credguard::revocation::routes::{Route, COMMON_STATUSES, MUTATING_STATUSES, ROUTES};
use std::collections::{BTreeMap, BTreeSet};

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))).expect(rel)
}

/// `(METHOD, path)` → documented statuses, from the reference's `paths` section.
fn documented(doc: &str) -> BTreeMap<(String, String), BTreeSet<u16>> {
    let mut out = BTreeMap::new();
    let (mut path, mut method) = (String::new(), String::new());
    let paths = doc.split("\npaths:\n").nth(1).expect("a paths section");
    for line in paths.lines() {
        if !line.starts_with(' ') {
            break;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match indent {
            2 => path = trimmed.trim_end_matches(':').to_owned(),
            4 => method = trimmed.trim_end_matches(':').to_ascii_uppercase(),
            8 if trimmed.starts_with('"') => {
                let status: u16 = trimmed[1..4].parse().expect("a status");
                out.entry((method.clone(), path.clone()))
                    .or_insert_with(BTreeSet::new)
                    .insert(status);
            }
            _ => {}
        }
    }
    out
}

fn declared(r: &Route) -> BTreeSet<u16> {
    let mut s: BTreeSet<u16> = r.statuses.iter().copied().collect();
    s.extend(COMMON_STATUSES);
    if r.method == "POST" {
        s.extend(MUTATING_STATUSES);
    }
    s
}

#[test]
fn every_route_is_documented_with_exactly_its_statuses() {
    let docs = documented(&read("docs/revocation-api.yaml"));
    for r in ROUTES {
        let key = (r.method.to_owned(), r.path.to_owned());
        let listed = docs
            .get(&key)
            .unwrap_or_else(|| panic!("{} {} is not documented", r.method, r.path));
        assert_eq!(listed, &declared(r), "{} {}", r.method, r.path);
    }
    assert_eq!(
        docs.len(),
        ROUTES.len(),
        "the reference documents a route the router lacks"
    );
}

#[test]
fn every_error_code_is_documented() {
    let doc = read("docs/revocation-api.yaml");
    let mut codes = Vec::new();
    let files = [
        "shared/src/revocation/request.rs",
        "shared/src/revocation/service.rs",
        "shared/src/revocation/actions.rs",
        "shared/src/revocation/bulk.rs",
        "shared/src/revocation/error.rs",
        "functions/revocation/src/http.rs",
    ];
    for file in files {
        let src = read(file);
        // Error codes are the string literal right after a status in `ApiError::new(NNN, "code"`
        // (`Self::new` inside `error.rs`), or the literal given to a `code_404`-style match arm.
        for constructor in ["ApiError::new(", "Self::new(", "\"code\": \""] {
            for part in src.split(constructor).skip(1) {
                let code = if constructor.ends_with('"') {
                    part.split('"').next().unwrap_or_default()
                } else {
                    part.split('"').nth(1).unwrap_or_default()
                };
                if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    codes.push(code.to_owned());
                }
            }
        }
        for part in src.split("=> \"").skip(1) {
            let code = part.split('"').next().unwrap_or_default();
            if code.ends_with("_not_found") {
                codes.push(code.to_owned());
            }
        }
    }
    codes.sort();
    codes.dedup();
    assert!(codes.len() > 25, "found the codes: {codes:?}");
    for code in &codes {
        assert!(
            doc.contains(code.as_str()),
            "error code {code} is not documented"
        );
    }
}
