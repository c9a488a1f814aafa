//! The login host: `POST /oauth/token` with the client-credentials grant.

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Request, State as AxState};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::errors::{ApiError, LoginError};
use crate::ids;
use crate::routes::LOGIN_OPERATION;
use crate::server::{finish, parse_query, run_with_fault, Call, Reply, Shared};
use crate::state::{ClientState, State, Subject};

/// `Authorization: Basic base64(client_id:client_secret)`.
pub fn parse_basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    (!id.is_empty()).then(|| (id.to_string(), secret.to_string()))
}

const BAD_CLIENT: &str = "The client credentials are invalid.";

/// Runs the grant; on success the token response body.
pub fn grant(
    st: &mut State,
    basic: Option<(String, String)>,
    form: &[(String, String)],
) -> Result<Value, LoginError> {
    st.purge_expired_clients();
    let (id, secret) = basic.ok_or_else(|| {
        LoginError::invalid_client(
            "Client authentication failed: missing or malformed HTTP Basic credentials.",
        )
    })?;
    let now = st.now();
    let client = st
        .clients
        .get(&id)
        .ok_or_else(|| LoginError::invalid_client(BAD_CLIENT))?;
    // A new secret that has not propagated yet looks exactly like a wrong one.
    if client.secret_hash != ids::sha256_hex(&secret) || now < client.secret_accepted_at {
        return Err(LoginError::invalid_client(BAD_CLIENT));
    }
    let grant_type = form
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if grant_type != "client_credentials" {
        return Err(LoginError::bad_request(
            "unsupported_grant_type",
            format!("Unsupported grant type '{grant_type}'."),
        ));
    }
    if !client.is_client_credentials() {
        return Err(LoginError::bad_request(
            "unauthorized_client",
            "The client is not authorized to use the client_credentials grant.",
        ));
    }
    match client.state {
        ClientState::Active => {}
        ClientState::Disabled => return Err(LoginError::invalid_client("The client is disabled.")),
        ClientState::Inactive => {
            return Err(LoginError::invalid_client(
                "The client is disabled (inactive, pending deletion).",
            ))
        }
    }
    let validity = client.validity_seconds;
    let token = st.issue_token(Subject::Client(id), validity);
    Ok(json!({"access_token": token, "token_type": "bearer", "expires_in": validity}))
}

/// Entry point of the login listener.
pub async fn login_entry(AxState(shared): AxState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let context_id = ids::uuid();
    if parts.method != Method::POST || parts.uri.path() != "/oauth/token" {
        return finish(
            Reply::error(&ApiError::route_not_found(), &context_id),
            &context_id,
            false,
        );
    }
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        let e = LoginError::bad_request("invalid_request", "The request body could not be read.");
        return finish(Reply::json(e.status, &e.body()), &context_id, false);
    };
    let form = parse_query(std::str::from_utf8(&bytes).ok());
    let basic = parse_basic(&parts.headers);
    let (seq, fault) = {
        let mut st = shared.lock();
        let now = st.now();
        let client_id = basic.as_ref().map(|(id, _)| id.clone());
        let seq = st.calls.record(
            LOGIN_OPERATION,
            "POST",
            "/oauth/token",
            None,
            client_id,
            now,
        );
        let fault = st.faults.take(LOGIN_OPERATION, &[]);
        if let Some(f) = &fault {
            st.calls.set_fault(seq, f.mode);
        }
        (seq, fault)
    };
    let call = Call {
        seq,
        operation: LOGIN_OPERATION,
        context_id: &context_id,
        head: false,
    };
    run_with_fault(&shared, call, fault, || {
        let mut st = shared.lock();
        match grant(&mut st, basic, &form) {
            Ok(v) => Reply::json(StatusCode::OK, &v).with_header(CACHE_CONTROL, "no-store"),
            Err(e) => Reply::json(e.status, &e.body()).with_header(CACHE_CONTROL, "no-store"),
        }
    })
    .await
}
