//! A proxy in front of moto's Security Hub that supplies what moto lacks (moto 5.2:
//! `BatchImportFindings` and `GetFindings` only, without filters): `BatchUpdateFindings`
//! (`PATCH /findings/batchupdate`) is answered by setting the findings' `Workflow` (and `Note`)
//! through moto's own import, which merges top-level fields into a finding it holds. Everything
//! else is forwarded, signed again with the caller's credentials (moto checks signatures and
//! authorises the caller). Test support only: product code calls the real operations.

use crate::sigv4::{resign, signed};
use aws_credential_types::provider::SharedCredentialsProvider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

struct Shared {
    upstream: String,
    /// The function under test's credentials: what it sends is authorised as it.
    caller: SharedCredentialsProvider,
    http: reqwest::Client,
}

pub struct SecurityHubGap {
    pub url: String,
}

impl SecurityHubGap {
    /// `caller` is the configuration of the client that will send through the proxy.
    pub async fn start(upstream: &str, caller: &aws_config::SdkConfig) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            caller: caller.credentials_provider().expect("credentials"),
            http: reqwest::Client::new(),
        });
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url }
    }
}

/// A JSON request to moto's Security Hub as the emulator's admin (the service's own doing).
async fn admin_call(
    http: &reqwest::Client,
    method: Method,
    url: String,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    let admin = crate::aws()
        .await
        .credentials_provider()
        .expect("admin credentials");
    let body = serde_json::to_vec(body).expect("serialize");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().expect("header"));
    let headers = signed(
        &admin,
        "us-east-1",
        "securityhub",
        &method,
        &url,
        &headers,
        &body,
    )
    .await
    .expect("signed");
    http.request(method, url)
        .headers(headers)
        .body(body)
        .send()
        .await
}

/// Every finding moto holds (its `GetFindings` ignores filters; pages of 100).
pub async fn all_findings(upstream: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"MaxResults": 100});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let url = format!("{}/findings", upstream.trim_end_matches('/'));
        let page: Value = admin_call(&http, Method::POST, url, &body)
            .await
            .expect("moto reachable")
            .json()
            .await
            .expect("GetFindings JSON");
        out.extend(page["Findings"].as_array().cloned().unwrap_or_default());
        match page["NextToken"].as_str().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_owned()),
            None => return out,
        }
    }
}

async fn batch_update(s: &Shared, body: &[u8]) -> Response {
    let req: Value = serde_json::from_slice(body).unwrap_or_default();
    let ids: Vec<&str> = req["FindingIdentifiers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["Id"].as_str())
        .collect();
    let held = all_findings(&s.upstream).await;
    let mut processed = Vec::new();
    let mut unprocessed = Vec::new();
    let mut updates = Vec::new();
    for id in ids {
        match held.iter().find(|f| f["Id"] == id) {
            Some(f) => {
                let mut u =
                    json!({"Id": id, "Resources": f["Resources"], "Workflow": req["Workflow"]});
                if !req["Note"].is_null() {
                    u["Note"] = req["Note"].clone();
                }
                updates.push(u);
                processed.push(json!({"Id": id, "ProductArn": f["ProductArn"]}));
            }
            None => unprocessed.push(json!({"FindingIdentifier": {"Id": id},
                "ErrorCode": "FindingNotFound", "ErrorMessage": "no such finding"})),
        }
    }
    if !updates.is_empty() {
        let url = format!("{}/findings/import", s.upstream);
        let r = admin_call(&s.http, Method::POST, url, &json!({"Findings": updates})).await;
        if r.as_ref().map_or(true, |r| !r.status().is_success()) {
            return (StatusCode::BAD_GATEWAY, "moto import failed").into_response();
        }
    }
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        json!({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}).to_string(),
    )
        .into_response()
}

async fn handle(
    State(s): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::PATCH && uri.path() == "/findings/batchupdate" {
        return batch_update(&s, &body).await;
    }
    let url = format!("{}{}", s.upstream, uri);
    let headers = match resign(&s.caller, &method, &url, &headers, &body).await {
        Ok(h) => h,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let req = s
        .http
        .request(method, url)
        .headers(headers)
        .body(body.to_vec());
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = resp.headers().get("content-type").cloned();
    let mut r = (status, resp.bytes().await.unwrap_or_default()).into_response();
    if let Some(ct) = content_type {
        r.headers_mut().insert("content-type", ct);
    }
    r
}
