//! HTTP plumbing: the two listeners' entry points, the request pipeline (call log, faults,
//! authentication, rate limit, permissions, body checks) and response building.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State as AxState};
use axum::http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::SimConfig;
use crate::errors::ApiError;
use crate::faults::{FaultMode, FaultRule};
use crate::ids;
use crate::permissions;
use crate::routes::{self, BodyKind, Op};
use crate::seed::Seed;
use crate::state::{Caller, State};

pub const CORRELATION_HEADER: &str = "ININ-Correlation-Id";
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Everything the listeners and the control API share.
pub struct Shared {
    pub state: Mutex<State>,
    pub start_seed: Seed,
    pub start_config: SimConfig,
    pub api_url: String,
    pub login_url: String,
}

impl Shared {
    /// Locks the state; a poisoned lock is still usable (every mutation is a whole step).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A parsed API request as handlers see it.
pub struct Req<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub params: Vec<(&'static str, String)>,
    pub query: Vec<(String, String)>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Req<'_> {
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn query_first(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a multi-valued parameter, repeated (`?a=1&a=2`) or comma-separated.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("A request body is required."));
        }
        serde_json::from_slice(self.body).map_err(|e| {
            ApiError::bad_request(format!("Unable to parse the request body as JSON: {e}"))
        })
    }

    pub fn json_as<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let v = self.json()?;
        serde_json::from_value(v)
            .map_err(|e| ApiError::bad_request(format!("The request body is not valid: {e}")))
    }

    /// An optional positive integer query parameter.
    pub fn query_usize(&self, name: &str) -> Result<Option<usize>, ApiError> {
        match self.query_first(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::invalid_value(format!(
                        "Invalid value '{v}' for query parameter {name}"
                    ))
                    .with_field(name)
                }),
        }
    }
}

/// A response before the common headers are added.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Option<Vec<u8>>,
    pub content_type: &'static str,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reply {
    pub fn json(status: StatusCode, v: &Value) -> Reply {
        Reply {
            status,
            body: Some(serde_json::to_vec(v).unwrap_or_default()),
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    pub fn serialize<T: serde::Serialize>(status: StatusCode, v: &T) -> Reply {
        Reply {
            status,
            body: Some(serde_json::to_vec(v).unwrap_or_default()),
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    pub fn ok(v: &Value) -> Reply {
        Reply::json(StatusCode::OK, v)
    }

    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            body: None,
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    pub fn no_content() -> Reply {
        Reply::empty(StatusCode::NO_CONTENT)
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn error(e: &ApiError, context_id: &str) -> Reply {
        let mut r = Reply::json(e.status, &e.body(context_id));
        if let Some(s) = e.retry_after {
            r.headers.push((RETRY_AFTER, s.to_string()));
        }
        r
    }
}

pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

fn is_json_media_type(ct: &str) -> bool {
    let mt = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"))
}

fn check_body(op: &Op, req: &Req) -> Result<(), ApiError> {
    if op.body != BodyKind::Json {
        return Ok(());
    }
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("A request body is required."));
    }
    match req.header(CONTENT_TYPE.as_str()) {
        Some(ct) if is_json_media_type(ct) => Ok(()),
        Some(ct) => Err(ApiError::unsupported_media_type(ct)),
        None => Err(ApiError::unsupported_media_type("(none)")),
    }
}

/// Ends the connection without a response: unwinding out of the handler aborts hyper's
/// connection task (the panic hook does not run for `resume_unwind`).
fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new("genesys-sim: simulated connection drop"))
}

pub fn finish(reply: Reply, context_id: &str, head: bool) -> Response {
    let mut builder = Response::builder().status(reply.status);
    if let Ok(v) = HeaderValue::from_str(context_id) {
        builder = builder.header(CORRELATION_HEADER, v);
    }
    if reply.body.is_some() {
        builder = builder.header(CONTENT_TYPE, reply.content_type);
    }
    for (k, v) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            builder = builder.header(k, v);
        }
    }
    let body = match reply.body {
        Some(b) if !head => Body::from(b),
        _ => Body::empty(),
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// One logged request on its way through the pipeline.
pub struct Call<'a> {
    /// Index in the call log.
    pub seq: u64,
    pub operation: &'a str,
    pub context_id: &'a str,
    pub head: bool,
}

fn log_reply(call: &Call, status: StatusCode, fault: Option<&FaultRule>) {
    tracing::info!(
        operation = call.operation,
        status = status.as_u16(),
        context_id = call.context_id,
        fault = fault.map(|f| f.mode.as_str()),
        "request"
    );
}

fn log_drop(call: &Call, mode: FaultMode) {
    tracing::info!(
        operation = call.operation,
        context_id = call.context_id,
        fault = mode.as_str(),
        "connection dropped by fault"
    );
}

/// Applies a fault (if any) around `exec`, records the status, and builds the response.
pub async fn run_with_fault<F>(
    shared: &Shared,
    call: Call<'_>,
    fault: Option<FaultRule>,
    exec: F,
) -> Response
where
    F: FnOnce() -> Reply,
{
    if let Some(f) = &fault {
        match f.mode {
            FaultMode::Status => {
                let status = StatusCode::from_u16(f.status.unwrap_or(503))
                    .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let reply = Reply::error(
                    &ApiError::for_status(status, f.retry_after_seconds),
                    call.context_id,
                );
                shared
                    .lock()
                    .calls
                    .set_status(call.seq, Some(reply.status.as_u16()));
                log_reply(&call, reply.status, Some(f));
                return finish(reply, call.context_id, call.head);
            }
            FaultMode::DropBeforeApply => {
                log_drop(&call, f.mode);
                drop_connection()
            }
            FaultMode::Latency => {
                tokio::time::sleep(StdDuration::from_millis(f.latency_ms.unwrap_or(0))).await;
            }
            FaultMode::DropAfterApply | FaultMode::HangAfterApply => {}
        }
    }
    let reply = exec();
    shared
        .lock()
        .calls
        .set_status(call.seq, Some(reply.status.as_u16()));
    if let Some(f) = &fault {
        match f.mode {
            FaultMode::DropAfterApply => {
                log_drop(&call, f.mode);
                drop_connection()
            }
            FaultMode::HangAfterApply => {
                tokio::time::sleep(StdDuration::from_millis(f.latency_ms.unwrap_or(60_000))).await;
            }
            _ => {}
        }
    }
    log_reply(&call, reply.status, fault.as_ref());
    finish(reply, call.context_id, call.head)
}

/// Authentication, rate limit, permission and body checks, then the operation itself.
fn execute(st: &mut State, op: &Op, req: &Req, token: Option<&str>, context_id: &str) -> Reply {
    st.purge_expired_clients();
    let Some(token) = token else {
        return Reply::error(&ApiError::authentication_required(), context_id);
    };
    let Some(caller) = st.resolve_token(token) else {
        return Reply::error(&ApiError::bad_credentials(), context_id);
    };
    let now = st.now();
    let limit = st.config.rate_limit_per_minute;
    let window = i64::from(st.config.rate_limit_window_seconds);
    let verdict = st.rate.hit(&caller.token_hash, now, limit, window);
    let reply = if verdict.exceeded {
        Reply::error(
            &ApiError::too_many_requests(verdict.reset_seconds),
            context_id,
        )
    } else if !permissions::has_any(&caller.permissions, op.perms) {
        Reply::error(&ApiError::missing_any_permissions(op.perms), context_id)
    } else if let Err(e) = check_body(op, req) {
        Reply::error(&e, context_id)
    } else {
        run_handler(st, op, req, &caller, context_id)
    };
    reply
        .with_header(
            HeaderName::from_static("inin-ratelimit-count"),
            verdict.count.to_string(),
        )
        .with_header(
            HeaderName::from_static("inin-ratelimit-allowed"),
            verdict.allowed.to_string(),
        )
        .with_header(
            HeaderName::from_static("inin-ratelimit-reset"),
            verdict.reset_seconds.to_string(),
        )
}

fn run_handler(st: &mut State, op: &Op, req: &Req, caller: &Caller, context_id: &str) -> Reply {
    match (op.handler)(st, req, caller) {
        Ok(r) => r,
        Err(e) => Reply::error(&e, context_id),
    }
}

/// Entry point of the API listener (`/api/v2/...` and the admin API under `/__sim`).
pub async fn api_entry(AxState(shared): AxState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    if path == "/__sim" || path.starts_with("/__sim/") {
        return crate::admin::handle(&shared, parts, body).await;
    }
    let context_id = ids::uuid();
    let head = parts.method == Method::HEAD;
    let Some((op, params)) = routes::find(&parts.method, &path) else {
        return finish(
            Reply::error(&ApiError::route_not_found(), &context_id),
            &context_id,
            head,
        );
    };
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        let e = ApiError::bad_request("The request body could not be read.");
        return finish(Reply::error(&e, &context_id), &context_id, head);
    };
    let op_name = op.name();
    let req = Req {
        method: &parts.method,
        path: &path,
        params,
        query: parse_query(parts.uri.query()),
        headers: &parts.headers,
        body: &bytes,
    };
    let token = bearer_token(&parts.headers);
    let (seq, fault) = {
        let mut st = shared.lock();
        let client_id = token.and_then(|t| st.token_client_id(t));
        let now = st.now();
        let seq = st.calls.record(
            &op_name,
            parts.method.as_str(),
            &path,
            parts.uri.query(),
            client_id,
            now,
        );
        let fault = st.faults.take(&op_name, &req.params);
        if let Some(f) = &fault {
            st.calls.set_fault(seq, f.mode);
        }
        (seq, fault)
    };
    let call = Call {
        seq,
        operation: &op_name,
        context_id: &context_id,
        head,
    };
    run_with_fault(&shared, call, fault, || {
        let mut st = shared.lock();
        execute(&mut st, op, &req, token, &context_id)
    })
    .await
}
