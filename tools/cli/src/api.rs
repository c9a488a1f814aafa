//! The deployed revocation API, called with SigV4 (service `execute-api`) and the caller's own
//! AWS credentials. Paths come from the API's route table (`credguard::revocation::routes`),
//! never spelled here.

use crate::exit::{CliError, Exit};
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use credguard::revocation::routes::{Route, ROUTES};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// The route doing `action` (the break-glass variant when asked).
pub fn route(method: &str, action: &str, break_glass: bool) -> &'static Route {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.action == action && r.is_break_glass() == break_glass)
        .unwrap_or_else(|| {
            panic!("the route table has {method} {action} (break-glass {break_glass})")
        })
}

/// `route`'s path with its `{param}` segments filled in order (each percent-encoded).
pub fn path(route: &Route, params: &[&str]) -> String {
    let mut values = params.iter();
    let mut url = url::Url::parse("http://path.invalid/").expect("a valid URL");
    {
        let mut segments = url.path_segments_mut().expect("a base URL");
        segments.clear();
        for seg in route.path.split('/').filter(|s| !s.is_empty()) {
            if seg.starts_with('{') {
                segments.push(values.next().expect("a value for every path parameter"));
            } else {
                segments.push(seg);
            }
        }
    }
    url.path().to_owned()
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

pub struct RevocationApi {
    base: String,
    region: String,
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    http: reqwest::Client,
}

/// The region of an `execute-api` URL (`https://{id}.execute-api.{region}.amazonaws.com/...`).
pub fn region_of(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
    let mut parts = host.split('.');
    parts.next()?;
    (parts.next()? == "execute-api").then(|| parts.next().map(str::to_owned))?
}

impl RevocationApi {
    pub fn new(aws: &aws_config::SdkConfig, base: &str) -> Result<Self, CliError> {
        let credentials = aws
            .credentials_provider()
            .ok_or_else(|| CliError::config("no AWS credentials to sign the request with"))?;
        let region = region_of(base)
            .or_else(|| aws.region().map(|r| r.to_string()))
            .unwrap_or_else(|| "us-east-1".into());
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            region,
            credentials,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .map_err(|e| CliError::config(e.to_string()))?,
        })
    }

    /// One signed request. The body (which may hold a leaked token) is sent, never logged.
    pub async fn call(
        &self,
        route: &Route,
        params: &[&str],
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, CliError> {
        self.call_with_query(route, params, &[], body, idempotency_key)
            .await
    }

    pub async fn call_with_query(
        &self,
        route: &Route,
        params: &[&str],
        query: &[(&str, &str)],
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, CliError> {
        let mut url = format!("{}{}", self.base, path(route, params));
        if !query.is_empty() {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            url = format!("{url}?{q}");
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers: Vec<(&str, String)> = vec![];
        if route.method == "POST" {
            headers.push(("content-type", "application/json".into()));
        }
        if let Some(k) = idempotency_key {
            headers.push(("idempotency-key", k.to_owned()));
        }
        let identity = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| CliError::config(format!("AWS credentials: {e}")))?
            .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| CliError::config(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            route.method,
            &url,
            headers.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| CliError::usage(format!("request to {url}: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| CliError::config(format!("signing: {e}")))?
            .into_parts();
        let mut req = http::Request::builder()
            .method(route.method)
            .uri(&url)
            .body(body)
            .map_err(|e| CliError::usage(format!("request to {url}: {e}")))?;
        for (k, v) in &headers {
            req.headers_mut().insert(
                http::HeaderName::from_static(k),
                http::HeaderValue::from_str(v)
                    .map_err(|_| CliError::usage(format!("invalid {k}")))?,
            );
        }
        instructions.apply_to_request_http1x(&mut req);
        let req = reqwest::Request::try_from(req).map_err(|e| CliError::usage(e.to_string()))?;
        tracing::debug!(
            method = route.method,
            path = route.path,
            "calling the revocation API"
        );
        let resp = self.http.execute(req).await.map_err(|e| {
            CliError::new(
                Exit::Unavailable,
                "api_unreachable",
                format!("the revocation API at {}: {e}", self.base),
            )
        })?;
        let status = resp.status().as_u16();
        let replayed = resp
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true");
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Answer {
            status,
            body,
            replayed,
        })
    }
}

/// An error answer as a CLI error: its stable code, and an exit code by status.
pub fn error_of(answer: &Answer) -> CliError {
    let code = answer.body["error"]["code"]
        .as_str()
        .unwrap_or("api_error")
        .to_owned();
    let message = answer.body["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("the API answered {}", answer.status));
    let exit = match (answer.status, code.as_str()) {
        (403, "break_glass_required") => Exit::Refused,
        (401 | 403, _) => Exit::Config,
        (404, _) => Exit::NotFound,
        (409 | 503 | 504, _) => Exit::Unavailable,
        (501, _) => Exit::Config,
        (400..=499, _) => Exit::Usage,
        _ => Exit::OperationFailed,
    };
    CliError::new(exit, code, format!("{message} (HTTP {})", answer.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_from_the_route_table() {
        let r = route("POST", "revokeUserTokens", true);
        assert_eq!(path(r, &["u-1"]), "/v1/break-glass/users/u-1/revoke-tokens");
        let r = route("GET", "getRevocation", false);
        assert_eq!(path(r, &["a b/c"]), "/v1/revocations/a%20b%2Fc");
        assert_eq!(
            region_of("https://abc123.execute-api.eu-west-1.amazonaws.com/prod").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of("http://127.0.0.1:9000/lambda-url/revocation"),
            None
        );
    }
}
