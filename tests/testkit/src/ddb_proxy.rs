//! A proxy in front of the DynamoDB emulator that answers some `BatchWriteItem` calls with
//! half of the items unprocessed (as DynamoDB does under throttling), forwarding the other
//! half. moto never leaves items unprocessed, so this is how the adapter's retry loop is
//! exercised over the real protocol. moto checks signatures (IAM is enforced), so a request
//! the proxy changed is signed again with the caller's credentials.

use aws_credential_types::provider::SharedCredentialsProvider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

struct Shared {
    upstream: String,
    credentials: SharedCredentialsProvider,
    http: reqwest::Client,
    remaining_faults: AtomicU32,
    faults_served: AtomicU32,
}

pub struct UnprocessedProxy {
    pub url: String,
    shared: Arc<Shared>,
}

impl UnprocessedProxy {
    /// The next `faults` batch writes each leave half their items unprocessed. `caller` is the
    /// configuration of the client that will send through the proxy (its credentials sign).
    pub async fn start(upstream: &str, faults: u32, caller: &aws_config::SdkConfig) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            credentials: caller.credentials_provider().expect("credentials"),
            http: reqwest::Client::new(),
            remaining_faults: AtomicU32::new(faults),
            faults_served: AtomicU32::new(0),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    pub fn faults_served(&self) -> u32 {
        self.shared.faults_served.load(Ordering::Relaxed)
    }
}

async fn forward(
    State(s): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut body = body.to_vec();
    let mut held_back: Option<Value> = None;
    if target.ends_with(".BatchWriteItem")
        && s.remaining_faults
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        let mut req: Value = serde_json::from_slice(&body).expect("batch JSON");
        let mut unprocessed = serde_json::Map::new();
        if let Some(tables) = req["RequestItems"].as_object_mut() {
            for (table, writes) in tables.iter_mut() {
                let all = writes.as_array().cloned().unwrap_or_default();
                let keep = all.len().div_ceil(2);
                *writes = Value::Array(all[..keep].to_vec());
                unprocessed.insert(table.clone(), Value::Array(all[keep..].to_vec()));
            }
        }
        held_back = Some(Value::Object(unprocessed));
        body = serde_json::to_vec(&req).expect("serialize");
        s.faults_served.fetch_add(1, Ordering::Relaxed);
    }
    let url = format!("{}{}", s.upstream, uri);
    let headers = match resign(&s, &method, &url, &headers, &body).await {
        Ok(h) => h,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let resp = match s
        .http
        .request(method, url)
        .headers(headers)
        .body(body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = resp.headers().get("content-type").cloned();
    let mut out = resp.bytes().await.unwrap_or_default().to_vec();
    if let (Some(held), true) = (held_back, status.is_success()) {
        let mut v: Value = serde_json::from_slice(&out).unwrap_or_else(|_| json!({}));
        v["UnprocessedItems"] = held;
        out = serde_json::to_vec(&v).expect("serialize");
    }
    let mut r = (status, out).into_response();
    if let Some(ct) = content_type {
        r.headers_mut().insert("content-type", ct);
    }
    r
}

/// The request's headers signed again with the caller's credentials for `url` and `body`.
async fn resign(
    s: &Shared,
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HeaderMap, String> {
    crate::sigv4::resign(&s.credentials, method, url, headers, body).await
}
