//! Helpers shared by the integration tests: demo ids, a started simulator, HTTP shortcuts.

#![allow(dead_code)]

pub use genesys_sim::demo::*;
use genesys_sim::{start, Seed, SimConfig, SimHandle};
use reqwest::{Client, Response};
use serde_json::Value;

pub const G_WEB: &str = "9e1b0000-0000-4000-8000-00000000beef";
pub const CRED_IMAP: &str = "1c3d5e7f-0002-4a2b-8c9d-00000000da02";

pub fn secret(name: &str) -> String {
    format!("DEMO-ONLY-not-a-real-secret-{name}")
}

pub async fn sim() -> SimHandle {
    sim_with(SimConfig::default()).await
}

/// A started simulator and the demo admin's token: where most tests begin.
pub async fn sim_as_admin() -> (SimHandle, String) {
    sim_with_as_admin(SimConfig::default()).await
}

/// A simulator started with `config`, and the demo admin's token.
pub async fn sim_with_as_admin(config: SimConfig) -> (SimHandle, String) {
    let sim = sim_with(config).await;
    let token = admin_token(&sim).await;
    (sim, token)
}

pub async fn sim_with(config: SimConfig) -> SimHandle {
    start(config, Seed::demo()).await.expect("simulator starts")
}

pub fn http() -> Client {
    Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("http client")
}

pub async fn grant(sim: &SimHandle, id: &str, secret: &str) -> Response {
    http()
        .post(format!("{}/oauth/token", sim.login_url()))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("login reachable")
}

/// A client-credentials token; panics if the grant fails.
pub async fn token(sim: &SimHandle, id: &str, secret: &str) -> String {
    let r = grant(sim, id, secret).await;
    assert_eq!(r.status(), 200, "grant for {id}");
    let v: Value = r.json().await.expect("json");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

pub async fn admin_token(sim: &SimHandle) -> String {
    token(sim, ADMIN_CLIENT_ID, &secret("admin")).await
}

/// Body as JSON, after checking the status.
pub async fn json_ok(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts an ErrorBody with the given status and code, and the correlation header.
pub async fn error_body(r: Response, status: u16, code: &str) -> Value {
    let corr = r
        .headers()
        .get("inin-correlation-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("ININ-Correlation-Id on errors");
    let v = json_ok(r, status).await;
    assert_eq!(v["code"], code, "error code; body {v}");
    assert_eq!(v["status"], status);
    assert_eq!(v["contextId"], corr.as_str(), "contextId = correlation id");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(v["details"].is_array() && v["errors"].is_array());
    v
}

pub async fn admin_json(
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut rb = http().request(method, format!("{}{path}", sim.api_url()));
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let r = rb.send().await.expect("admin reachable");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An expected ErrorBody: its status and code.
pub type Expected<'a> = (u16, &'a str);
pub const NOT_FOUND: Expected = (404, "not.found");
pub const BAD_CREDENTIALS: Expected = (401, "bad.credentials");
pub const MISSING_PERMISSIONS: Expected = (403, "missing.any.permissions");
pub const BAD_REQUEST: Expected = (400, "bad.request");
pub const INVALID_VALUE: Expected = (400, "invalid.value");

/// Calls to the API host with a bearer token: `Api(&sim, &token).get_json(path)`.
#[derive(Clone, Copy)]
pub struct Api<'a>(pub &'a SimHandle, pub &'a str);

impl Api<'_> {
    fn request(self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        http()
            .request(method, format!("{}{path}", self.0.api_url()))
            .bearer_auth(self.1)
    }

    pub async fn get(self, path: &str) -> Response {
        let r = self.request(reqwest::Method::GET, path).send().await;
        r.expect("api reachable")
    }

    pub async fn delete(self, path: &str) -> Response {
        let r = self.request(reqwest::Method::DELETE, path).send().await;
        r.expect("api reachable")
    }

    pub async fn send_json(self, method: reqwest::Method, path: &str, body: &Value) -> Response {
        let r = self.request(method, path).json(body).send().await;
        r.expect("api reachable")
    }

    pub async fn post(self, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn put(self, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::PUT, path, body).await
    }

    /// `GET path` answered 200, as JSON.
    pub async fn get_json(self, path: &str) -> Value {
        json_ok(self.get(path).await, 200).await
    }

    /// `POST path` answered `status`, as JSON.
    pub async fn post_json(self, path: &str, body: &Value, status: u16) -> Value {
        json_ok(self.post(path, body).await, status).await
    }

    /// `PUT path` answered `status`, as JSON.
    pub async fn put_json(self, path: &str, body: &Value, status: u16) -> Value {
        json_ok(self.put(path, body).await, status).await
    }

    /// `GET path` answered the expected ErrorBody.
    pub async fn get_error(self, path: &str, expected: Expected<'_>) -> Value {
        error_body(self.get(path).await, expected.0, expected.1).await
    }

    /// `POST path` answered the expected ErrorBody.
    pub async fn post_error(self, path: &str, body: &Value, expected: Expected<'_>) -> Value {
        error_body(self.post(path, body).await, expected.0, expected.1).await
    }

    /// `PUT path` answered the expected ErrorBody.
    pub async fn put_error(self, path: &str, body: &Value, expected: Expected<'_>) -> Value {
        error_body(self.put(path, body).await, expected.0, expected.1).await
    }

    /// `DELETE path` answered the expected ErrorBody.
    pub async fn delete_error(self, path: &str, expected: Expected<'_>) -> Value {
        error_body(self.delete(path).await, expected.0, expected.1).await
    }
}

/// The error's message names `what` (a permission, a role, the reason).
pub fn assert_message_names(e: &Value, what: &str) {
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains(what), "{what} not in {e}");
}
