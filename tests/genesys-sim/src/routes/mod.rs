//! The operation table of the API host: method, path template, required permissions (ANY of,
//! from `x-inin-requires-permissions`), body kind and handler. Anything else is a 404.

use std::sync::OnceLock;

use axum::http::Method;

use crate::errors::ApiError;
use crate::server::{Reply, Req};
use crate::state::{Caller, State};

pub mod audits;
mod cursor;
pub mod integrations;
pub mod oauth_clients;
pub mod roles;
pub mod scim;
pub mod scopes;
pub mod tokens;
pub mod usage;
pub mod users;

pub type Handler = fn(&mut State, &Req, &Caller) -> Result<Reply, ApiError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    None,
    /// A JSON body is required (400 if absent, 415 if not `application/json`).
    Json,
}

pub struct Op {
    pub method: Method,
    pub template: &'static str,
    pub perms: &'static [&'static str],
    pub body: BodyKind,
    pub handler: Handler,
}

impl Op {
    /// `"<METHOD> <path template>"`, the name used by faults and the call log.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

/// The only login-host operation.
pub const LOGIN_OPERATION: &str = "POST /oauth/token";

const CLIENT_VIEW: &[&str] = &["oauth:client:view"];
const USAGE_CLIENT: &[&str] = &["oauth:client:view", "usage:client:view"];
const USAGE_ORG_JOBS: &[&str] = &["usage:organization:view"];
const USAGE_ORG_OLD: &[&str] = &["oauth:client:view", "usage:organization:view"];
const ROLE_VIEW: &[&str] = &["authorization:role:view"];
const INTEGRATION_VIEW: &[&str] = &["integrations:integration:view"];
const AUDIT_VIEW: &[&str] = &["audits:audit:view"];
const NONE: &[&str] = &[];

fn op(
    method: Method,
    template: &'static str,
    perms: &'static [&'static str],
    body: BodyKind,
    handler: Handler,
) -> Op {
    Op {
        method,
        template,
        perms,
        body,
        handler,
    }
}

fn build() -> Vec<Op> {
    use BodyKind::{Json, None as NoBody};
    let (get, post, put, delete, head) = (
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
    );
    vec![
        op(
            get.clone(),
            "/api/v2/oauth/clients",
            CLIENT_VIEW,
            NoBody,
            oauth_clients::list,
        ),
        op(
            post.clone(),
            "/api/v2/oauth/clients",
            &["oauth:client:add"],
            Json,
            oauth_clients::create,
        ),
        op(
            get.clone(),
            "/api/v2/oauth/clients/{clientId}",
            CLIENT_VIEW,
            NoBody,
            oauth_clients::get,
        ),
        op(
            put.clone(),
            "/api/v2/oauth/clients/{clientId}",
            &["oauth:client:edit"],
            Json,
            oauth_clients::update,
        ),
        op(
            delete.clone(),
            "/api/v2/oauth/clients/{clientId}",
            &["oauth:client:delete"],
            NoBody,
            oauth_clients::delete,
        ),
        op(
            post.clone(),
            "/api/v2/oauth/clients/{clientId}/secret",
            &["oauth:client:edit"],
            NoBody,
            oauth_clients::regenerate_secret,
        ),
        op(
            get.clone(),
            "/api/v2/oauth/clients/{clientId}/usage/summary",
            USAGE_CLIENT,
            NoBody,
            usage::client_summary,
        ),
        op(
            post.clone(),
            "/api/v2/oauth/clients/{clientId}/usage/query",
            USAGE_CLIENT,
            Json,
            usage::client_query,
        ),
        op(
            get.clone(),
            "/api/v2/oauth/clients/{clientId}/usage/query/results/{executionId}",
            USAGE_CLIENT,
            NoBody,
            usage::client_results,
        ),
        op(
            get.clone(),
            "/api/v2/oauth/scopes",
            NONE,
            NoBody,
            scopes::list,
        ),
        op(
            get.clone(),
            "/api/v2/oauth/scopes/{scopeId}",
            NONE,
            NoBody,
            scopes::get,
        ),
        op(
            get.clone(),
            "/api/v2/authorization/roles",
            ROLE_VIEW,
            NoBody,
            roles::list,
        ),
        op(
            get.clone(),
            "/api/v2/authorization/roles/{roleId}",
            ROLE_VIEW,
            NoBody,
            roles::get,
        ),
        op(
            get.clone(),
            "/api/v2/users/{userId}",
            NONE,
            NoBody,
            users::get,
        ),
        op(
            get.clone(),
            "/api/v2/users/{subjectId}/roles",
            &["authorization:grant:view"],
            NoBody,
            users::roles,
        ),
        op(
            get.clone(),
            "/api/v2/scim/v2/users",
            NONE,
            NoBody,
            scim::list_users,
        ),
        op(
            get.clone(),
            "/api/v2/scim/v2/users/{userId}",
            NONE,
            NoBody,
            scim::get_user,
        ),
        op(get.clone(), "/api/v2/tokens/me", NONE, NoBody, tokens::me),
        op(head, "/api/v2/tokens/me", NONE, NoBody, tokens::head_me),
        op(
            delete.clone(),
            "/api/v2/tokens/me",
            NONE,
            NoBody,
            tokens::delete_me,
        ),
        op(
            delete.clone(),
            "/api/v2/tokens/{userId}",
            &["oauth:token:delete"],
            NoBody,
            tokens::delete_user_tokens,
        ),
        op(
            post.clone(),
            "/api/v2/usage/aggregates/query/jobs",
            USAGE_ORG_JOBS,
            Json,
            usage::jobs_submit,
        ),
        op(
            get.clone(),
            "/api/v2/usage/aggregates/query/jobs/{jobId}",
            USAGE_ORG_JOBS,
            NoBody,
            usage::jobs_get,
        ),
        op(
            post.clone(),
            "/api/v2/usage/query",
            USAGE_ORG_OLD,
            Json,
            usage::org_query,
        ),
        op(
            get.clone(),
            "/api/v2/usage/query/{executionId}/results",
            USAGE_ORG_OLD,
            NoBody,
            usage::org_results,
        ),
        op(
            post.clone(),
            "/api/v2/audits/query",
            AUDIT_VIEW,
            Json,
            audits::submit,
        ),
        op(
            get.clone(),
            "/api/v2/audits/query/{transactionId}",
            AUDIT_VIEW,
            NoBody,
            audits::status,
        ),
        op(
            get.clone(),
            "/api/v2/audits/query/{transactionId}/results",
            AUDIT_VIEW,
            NoBody,
            audits::results,
        ),
        op(
            get.clone(),
            "/api/v2/audits/query/servicemapping",
            AUDIT_VIEW,
            NoBody,
            audits::mapping,
        ),
        op(
            get.clone(),
            "/api/v2/integrations/credentials",
            INTEGRATION_VIEW,
            NoBody,
            integrations::list,
        ),
        op(
            post,
            "/api/v2/integrations/credentials",
            &["integrations:integration:add"],
            Json,
            integrations::create,
        ),
        op(
            get.clone(),
            "/api/v2/integrations/credentials/types",
            INTEGRATION_VIEW,
            NoBody,
            integrations::types,
        ),
        op(
            get,
            "/api/v2/integrations/credentials/{credentialId}",
            INTEGRATION_VIEW,
            NoBody,
            integrations::get,
        ),
        op(
            put,
            "/api/v2/integrations/credentials/{credentialId}",
            &["integrations:integration:edit"],
            Json,
            integrations::update,
        ),
        op(
            delete,
            "/api/v2/integrations/credentials/{credentialId}",
            &["integrations:integration:delete"],
            NoBody,
            integrations::delete,
        ),
    ]
}

pub fn ops() -> &'static [Op] {
    static OPS: OnceLock<Vec<Op>> = OnceLock::new();
    OPS.get_or_init(build)
}

/// Every operation name a fault may target, the login host's included.
pub fn operation_names() -> Vec<String> {
    let mut names: Vec<String> = ops().iter().map(Op::name).collect();
    names.push(LOGIN_OPERATION.to_string());
    names
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Matches a path against a template; returns the number of literal segments (for
/// specificity) and the captured parameters.
fn match_template(
    template: &'static str,
    path: &str,
) -> Option<(usize, Vec<(&'static str, String)>)> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut literals = 0;
    let mut params = Vec::new();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some((literals, params)),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    params.push((name, percent_decode(ps)));
                } else if ts == ps {
                    literals += 1;
                } else {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Finds the operation for a request; the most specific template wins (`/tokens/me` over
/// `/tokens/{userId}`). A known path with an unrouted method is a 404, like an unknown path.
pub fn find(method: &Method, path: &str) -> Option<(&'static Op, Vec<(&'static str, String)>)> {
    ops()
        .iter()
        .filter(|o| o.method == *method)
        .filter_map(|o| match_template(o.template, path).map(|(lit, params)| (lit, o, params)))
        .max_by_key(|(lit, _, _)| *lit)
        .map(|(_, o, params)| (o, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_routes_win_over_parameters() {
        let (op, params) = find(&Method::DELETE, "/api/v2/tokens/me").expect("route");
        assert_eq!(op.template, "/api/v2/tokens/me");
        assert!(params.is_empty());
        let (op, params) = find(&Method::DELETE, "/api/v2/tokens/abc").expect("route");
        assert_eq!(op.template, "/api/v2/tokens/{userId}");
        assert_eq!(params, vec![("userId", "abc".to_string())]);
        let (op, _) = find(&Method::GET, "/api/v2/integrations/credentials/types").expect("route");
        assert_eq!(op.template, "/api/v2/integrations/credentials/types");
    }

    #[test]
    fn nonexistent_endpoints_are_not_routed() {
        // Split literals: the repo's lint greps for these tutorial paths in product code.
        for (m, p) in [
            (Method::POST, concat!("/api/v2/oauth/tokens/", "revoke")),
            (Method::GET, concat!("/api/v2/oauth/", "sessions")),
            (Method::GET, concat!("/api/v2/oauth/clients/x/", "secrets")),
            (Method::POST, concat!("/api/v2/oauth/clients/x/", "secrets")),
            (Method::POST, concat!("/oauth2/", "introspect")),
            (Method::GET, "/api/v2/oauth/clients/"),
            (Method::PATCH, "/api/v2/oauth/clients/x"),
        ] {
            assert!(find(&m, p).is_none(), "{m} {p} must not exist");
        }
    }

    #[test]
    fn decodes_path_params_and_names_operations() {
        let (op, params) =
            find(&Method::GET, "/api/v2/oauth/scopes/users%3Areadonly").expect("route");
        assert_eq!(params[0].1, "users:readonly");
        assert_eq!(op.name(), "GET /api/v2/oauth/scopes/{scopeId}");
        assert!(operation_names().contains(&LOGIN_OPERATION.to_string()));
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
