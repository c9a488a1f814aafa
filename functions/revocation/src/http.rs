//! API Gateway's HTTP events in, proxy responses out: REST API events (format 1.0) and function
//! URL / HTTP API events (2.0). Read leniently, so that anything API Gateway may hand over (an
//! invalid base64 body, control characters in a header) becomes a 400 JSON answer rather than a
//! failed invocation; the service validates what matters.

use base64::Engine;
use credguard::records::revocation::CallerIdentity;
use credguard::revocation::service::ApiResponse;
use serde_json::{json, Map, Value};

/// The HTTP request as the service reads it, owned.
#[derive(Debug, Default, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub caller: Option<CallerIdentity>,
    /// Format 2.0 (function URL, HTTP API): its response carries `cookies`.
    pub v2: bool,
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads an HTTP event. `Err` says what is wrong with it (no secret is ever quoted).
pub fn decode(event: &Value) -> Result<HttpRequest, &'static str> {
    let v2 = event.get("version").and_then(Value::as_str) == Some("2.0");
    let (method, path, caller) = if v2 {
        let iam = event.pointer("/requestContext/authorizer/iam");
        let caller = iam.and_then(|i| {
            Some(CallerIdentity {
                arn: text(i, "/userArn")?,
                account_id: text(i, "/accountId"),
                source_ip: text(event, "/requestContext/http/sourceIp"),
                user_agent: text(event, "/requestContext/http/userAgent"),
            })
        });
        (
            text(event, "/requestContext/http/method"),
            text(event, "/rawPath"),
            caller,
        )
    } else {
        let caller = event.pointer("/requestContext/identity").and_then(|id| {
            Some(CallerIdentity {
                arn: text(id, "/userArn").or_else(|| text(id, "/caller"))?,
                account_id: text(id, "/accountId")
                    .or_else(|| text(event, "/requestContext/accountId")),
                source_ip: text(id, "/sourceIp"),
                user_agent: text(id, "/userAgent"),
            })
        });
        (text(event, "/httpMethod"), text(event, "/path"), caller)
    };
    let (Some(method), Some(path)) = (method, path) else {
        return Err("not an API Gateway HTTP event (no method or path)");
    };
    let mut headers = pairs(event.get("headers"));
    // REST events repeat headers as lists; a value only there still counts.
    for (k, list) in event
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)) {
            if let Some(first) = list.get(0).and_then(Value::as_str) {
                headers.push((k.clone(), first.to_owned()));
            }
        }
    }
    let body = match event.get("body").and_then(Value::as_str) {
        None => Vec::new(),
        Some(b) if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => {
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|_| "the body is marked base64 but is not valid base64")?
        }
        Some(b) => b.as_bytes().to_vec(),
    };
    Ok(HttpRequest {
        method,
        path,
        query: pairs(event.get("queryStringParameters")),
        headers,
        body,
        caller,
        v2,
    })
}

/// The proxy response of the event's format.
pub fn encode(answer: &ApiResponse, v2: bool) -> Value {
    let mut headers = Map::new();
    headers.insert("content-type".into(), json!("application/json"));
    if let Some(s) = answer.retry_after {
        headers.insert("retry-after".into(), json!(s.to_string()));
    }
    if answer.replayed {
        headers.insert("idempotent-replayed".into(), json!("true"));
    }
    let mut out = json!({
        "statusCode": answer.status,
        "headers": headers,
        "body": answer.body.to_string(),
        "isBase64Encoded": false,
    });
    if v2 {
        out["cookies"] = json!([]);
    }
    out
}

/// A request we could not read at all.
pub fn unreadable(why: &str, event: &Value) -> Value {
    let v2 = event.get("version").and_then(Value::as_str) == Some("2.0");
    encode(
        &ApiResponse {
            status: 400,
            body: json!({"error": {"code": "invalid_request", "message": why}}),
            retry_after: None,
            replayed: false,
        },
        v2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        credguard_testkit::fixture(env!("CARGO_MANIFEST_DIR"), name)
    }

    #[test]
    fn reads_a_rest_event_with_its_iam_caller() {
        let r = decode(&fixture("apigw-rest-revoke-user.json")).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.path,
            "/v1/users/e5e50000-0002-4f00-9000-000000000002/revoke-tokens"
        );
        let caller = r.caller.unwrap();
        assert_eq!(
            caller.arn,
            "arn:aws:sts::123456789012:assumed-role/SecurityResponder/alice"
        );
        assert_eq!(caller.account_id.as_deref(), Some("123456789012"));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Idempotency-Key" && v == "incident-4711-sam"));
        assert!(String::from_utf8(r.body).unwrap().contains("incident 4711"));
    }

    #[test]
    fn what_lambda_http_would_fail_on_is_read_or_refused_cleanly() {
        let mut e = fixture("apigw-rest-revoke-user.json");
        e["headers"]["Idempotency-Key"] = json!("bad\r\nkey");
        e["headers"]["X-Unicode"] = json!("clé-ü");
        let r = decode(&e).unwrap();
        assert!(r.headers.iter().any(|(_, v)| v == "bad\r\nkey"));
        e["isBase64Encoded"] = json!(true);
        e["body"] = json!("%%% not base64 %%%");
        assert!(decode(&e).is_err());
        assert!(decode(&json!({"hello": "world"})).is_err());
        let out = unreadable("x", &json!({}));
        assert_eq!(out["statusCode"], 400);
        let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "invalid_request");
    }

    #[test]
    fn reads_a_function_url_event() {
        let e = json!({
            "version": "2.0", "rawPath": "/v1/revocations/x", "rawQueryString": "limit=5",
            "queryStringParameters": {"limit": "5"},
            "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": "GET", "sourceIp": "10.0.0.1", "userAgent": "t"},
                "authorizer": {"iam": {"userArn": "arn:aws:iam::1:user/a", "accountId": "1"}}},
            "body": "eyJhIjoxfQ==", "isBase64Encoded": true
        });
        let r = decode(&e).unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/v1/revocations/x")
        );
        assert_eq!(r.query, vec![("limit".to_owned(), "5".to_owned())]);
        assert_eq!(r.body, br#"{"a":1}"#);
        assert_eq!(r.caller.unwrap().arn, "arn:aws:iam::1:user/a");
    }
}
