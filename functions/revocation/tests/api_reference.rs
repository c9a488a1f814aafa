//! The API reference (docs/revocation-api.yaml) names every route and every error code the code
//! can answer with, so the document cannot silently fall behind.

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))).expect(rel)
}

#[test]
fn every_route_and_error_code_is_documented() {
    let doc = read("docs/revocation-api.yaml");
    for route in [
        "/v1/users/{userId}/revoke-tokens:",
        "/v1/users/revoke-tokens:",
        "/v1/tokens/revoke:",
        "/v1/clients/{clientId}/disable:",
        "/v1/clients/{clientId}/enable:",
        "/v1/clients/{clientId}/rotate:",
        "/v1/revocations/{revocationId}:",
    ] {
        assert!(doc.contains(route), "{route} is not documented");
    }
    let mut codes = Vec::new();
    for file in [
        "shared/src/revocation/request.rs",
        "shared/src/revocation/service.rs",
        "shared/src/revocation/error.rs",
    ] {
        let src = read(file);
        // Error codes are the string literal right after a status in `ApiError::new(NNN, "code"`
        // (`Self::new` inside `error.rs`), or the literal given to a `code_404`-style match arm.
        for constructor in ["ApiError::new(", "Self::new("] {
            for part in src.split(constructor).skip(1) {
                // `Self::new(404, code_404, format!(..))` names its code in a variable.
                let code = part.split('"').nth(1).unwrap_or_default();
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
