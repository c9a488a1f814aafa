//! Error shapes: the Platform API `ErrorBody` and the login host's OAuth error.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

/// An API-host error, rendered as `ErrorBody`. The body parts are boxed to keep
/// `Result<_, ApiError>` small.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    body: Box<ErrorParts>,
}

#[derive(Debug, Clone)]
struct ErrorParts {
    code: String,
    message: String,
    message_with_params: Option<String>,
    message_params: Option<Map<String, Value>>,
    entity_id: Option<String>,
    details: Vec<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            retry_after: None,
            body: Box::new(ErrorParts {
                code: code.to_string(),
                message: message.into(),
                message_with_params: None,
                message_params: None,
                entity_id: None,
                details: Vec::new(),
            }),
        }
    }

    pub fn with_params(mut self, template: &str, params: &[(&str, String)]) -> Self {
        self.body.message_with_params = Some(template.to_string());
        let mut m = Map::new();
        for (k, v) in params {
            m.insert((*k).to_string(), Value::String(v.clone()));
        }
        self.body.message_params = Some(m);
        self
    }

    pub fn with_field(mut self, field: &str) -> Self {
        let code = self.body.code.clone();
        self.body
            .details
            .push(json!({"errorCode": code, "fieldName": field}));
        self
    }

    pub fn with_entity(mut self, id: &str) -> Self {
        self.body.entity_id = Some(id.to_string());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad.request", message)
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid.value", message)
    }

    pub fn invalid_date(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid.date", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not.found", message)
    }

    pub fn route_not_found() -> Self {
        Self::not_found("HTTP 404 Not Found")
    }

    pub fn authentication_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    pub fn bad_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            "Invalid login credentials.",
        )
    }

    pub fn missing_any_permissions(perms: &[&str]) -> Self {
        let list = perms.join(", ");
        Self::new(
            StatusCode::FORBIDDEN,
            "missing.any.permissions",
            format!(
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [{list}]"
            ),
        )
        .with_params(
            "Unable to perform the requested action. You must have at least one of the following permissions assigned: [{permissions}]",
            &[("permissions", list)],
        )
    }

    pub fn unsupported_media_type(got: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported.media.type",
            format!(
                "Unsupported Media Type: '{got}'. The request entity must be application/json."
            ),
        )
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests.retry.after",
            format!(
                "Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
            ),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// The error a `status` fault answers with: the documented code for that status.
    pub fn for_status(status: StatusCode, retry_after: Option<u64>) -> Self {
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Self::too_many_requests(retry_after.unwrap_or(1));
        }
        let (code, msg) = match status.as_u16() {
            400 => ("bad.request", "The request could not be understood by the server due to malformed syntax."),
            401 => ("bad.credentials", "Invalid login credentials."),
            403 => ("not.authorized", "You are not authorized to perform the requested action."),
            404 => ("not.found", "The requested resource was not found."),
            409 => ("conflict", "The request conflicts with the current state of the resource."),
            415 => ("unsupported.media.type", "Unsupported Media Type"),
            500 => ("internal.server.error", "The server encountered an unexpected condition which prevented it from fulfilling the request."),
            502 => ("bad.gateway", "The server received an invalid response from an upstream server."),
            503 => ("service.unavailable", "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance)."),
            504 => ("request.timeout", "The request timed out."),
            _ => ("error", "Simulated failure."),
        };
        let mut e = Self::new(status, code, msg);
        e.retry_after = retry_after;
        e
    }

    pub fn body(&self, context_id: &str) -> Value {
        let p = &self.body;
        let mut b = json!({
            "message": p.message,
            "code": p.code,
            "status": self.status.as_u16(),
            "contextId": context_id,
            "details": p.details,
            "errors": [],
        });
        if let Some(obj) = b.as_object_mut() {
            if let Some(t) = &p.message_with_params {
                obj.insert("messageWithParams".into(), Value::String(t.clone()));
            }
            if let Some(m) = &p.message_params {
                obj.insert("messageParams".into(), Value::Object(m.clone()));
            }
            if let Some(id) = &p.entity_id {
                obj.insert("entityId".into(), Value::String(id.clone()));
            }
        }
        b
    }
}

/// A login-host error: `{"error","description","error_description"}` (Go SDK `AuthErrorResponse`).
#[derive(Debug, Clone)]
pub struct LoginError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl LoginError {
    pub fn invalid_client(description: impl Into<String>) -> Self {
        LoginError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }

    pub fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        LoginError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    pub fn body(&self) -> Value {
        json!({
            "error": self.error,
            "description": self.description,
            "error_description": self.description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_required_fields() {
        let b = ApiError::missing_any_permissions(&["oauth:client:view"]).body("ctx-1");
        assert_eq!(b["status"], 403);
        assert_eq!(b["code"], "missing.any.permissions");
        assert_eq!(b["contextId"], "ctx-1");
        assert!(b["details"].as_array().is_some());
        assert!(b["errors"].as_array().is_some());
        assert!(b["message"]
            .as_str()
            .unwrap_or_default()
            .contains("oauth:client:view"));
        assert_eq!(b["messageParams"]["permissions"], "oauth:client:view");
    }

    #[test]
    fn rate_limit_message_matches_genesys() {
        let b = ApiError::too_many_requests(42).body("c");
        assert_eq!(
            b["message"],
            "Rate limit exceeded the maximum. Retry the request in [42] seconds"
        );
        assert_eq!(b["code"], "too.many.requests.retry.after");
    }
}
