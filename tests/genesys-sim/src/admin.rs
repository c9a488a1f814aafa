//! The admin API under `/__sim` on the API listener: no auth, JSON in and out.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{SimControl, SimError};
use crate::errors::ApiError;
use crate::faults::FaultRule;
use crate::ids;
use crate::routes;
use crate::seed::{Seed, SeedUsageRow};
use crate::server::{finish, Reply, Shared};

const MAX_ADMIN_BODY: usize = 512 * 1024 * 1024;

type AdminResult = Result<Reply, ApiError>;

fn sim_err(e: SimError) -> ApiError {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let code = if status == StatusCode::NOT_FOUND {
        "not.found"
    } else {
        "bad.request"
    };
    ApiError::new(status, code, e.message)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckSecret {
    client_id: String,
    secret: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MintBody {
    client_id: Option<String>,
}

fn route(ctl: &SimControl, method: &Method, segs: &[&str], body: &[u8]) -> AdminResult {
    let ok = |v: Value| Ok(Reply::ok(&v));
    match (method.as_str(), segs) {
        ("POST", ["reset"]) => {
            let seed = if is_blank(body) {
                None
            } else {
                Some(
                    Seed::from_value(parse(body)?)
                        .map_err(|e| ApiError::bad_request(e.to_string()))?,
                )
            };
            ctl.reset(seed).map_err(sim_err)?;
            ok(json!({"reset": true, "now": crate::clock::fmt_dt(&ctl.now())}))
        }
        ("GET", ["config"]) => ok(json!(ctl.config())),
        ("PATCH", ["config"]) | ("PUT", ["config"]) => {
            let patch: Value = parse(body)?;
            ok(json!(ctl.patch_config(&patch).map_err(sim_err)?))
        }
        ("GET", ["clock"]) => ok(json!({"now": crate::clock::fmt_dt(&ctl.now())})),
        ("POST", ["clock", "advance"]) => {
            let a: Advance = parse(body)?;
            if !a.seconds.is_finite() {
                return Err(ApiError::bad_request("seconds must be a finite number"));
            }
            let now = ctl.advance_clock_ms((a.seconds * 1000.0).round() as i64);
            ok(json!({"now": crate::clock::fmt_dt(&now)}))
        }
        ("GET", ["faults"]) => ok(json!({"faults": ctl.faults()})),
        ("POST", ["faults"]) => {
            let rule: FaultRule = parse(body)?;
            ctl.add_fault(rule.clone()).map_err(sim_err)?;
            ok(json!({"added": rule, "faults": ctl.faults()}))
        }
        ("DELETE", ["faults"]) => {
            ctl.clear_faults();
            Ok(Reply::no_content())
        }
        ("GET", ["operations"]) => ok(json!({"operations": routes::operation_names()})),
        ("GET", ["calls"]) => ok(json!(ctl.calls())),
        ("DELETE", ["calls"]) => {
            ctl.clear_calls();
            Ok(Reply::no_content())
        }
        ("GET", ["clients", id]) => ctl
            .client_view(id)
            .map(|v| Reply::ok(&json!(v)))
            .ok_or_else(|| ApiError::not_found(format!("client {id} never existed"))),
        ("POST", ["check-secret"]) => {
            let c: CheckSecret = parse(body)?;
            ok(json!(ctl.check_secret(&c.client_id, &c.secret)))
        }
        ("POST", ["users", id, "tokens"]) => {
            let m: MintBody = if is_blank(body) {
                MintBody::default()
            } else {
                parse(body)?
            };
            let t = ctl
                .mint_user_token_via(id, m.client_id.as_deref())
                .map_err(sim_err)?;
            ok(json!(t))
        }
        ("POST", ["usage"]) => {
            let rows: Vec<SeedUsageRow> = parse(body)?;
            let n = ctl.add_usage(rows).map_err(sim_err)?;
            ok(json!({"added": n}))
        }
        ("GET", ["state"]) => ok(ctl.state_dump()),
        ("GET", ["audits"]) => ok(json!({"entities": ctl.audit_log()})),
        ("GET", ["integrations", "credentials", id]) => ctl
            .credential_view(id)
            .map(|v| Reply::ok(&v))
            .ok_or_else(|| ApiError::not_found(format!("credential {id} not found"))),
        _ => Err(ApiError::route_not_found()),
    }
}

pub async fn handle(shared: &Arc<Shared>, parts: Parts, body: Body) -> Response {
    let context_id = ids::uuid();
    let Ok(bytes) = to_bytes(body, MAX_ADMIN_BODY).await else {
        let e = ApiError::bad_request("body too large or unreadable");
        return finish(Reply::error(&e, &context_id), &context_id, false);
    };
    let path = parts.uri.path().trim_start_matches("/__sim");
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let ctl = SimControl {
        shared: shared.clone(),
    };
    let reply =
        route(&ctl, &parts.method, &segs, &bytes).unwrap_or_else(|e| Reply::error(&e, &context_id));
    finish(reply, &context_id, false)
}
