//! SCIM v2 users (`application/scim+json`).

use axum::http::header::ETAG;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::clock::fmt_dt;
use crate::errors::ApiError;
use crate::server::{Reply, Req};
use crate::state::{Caller, State, User};

const SCIM_JSON: &str = "application/scim+json";

fn version(u: &User) -> String {
    format!("W/\"{}\"", u.version)
}

fn scim_user(st: &State, u: &User) -> Value {
    let roles: Vec<Value> = u
        .role_ids
        .iter()
        .filter_map(|r| st.roles.get(r))
        .map(|r| json!({"value": r.name}))
        .collect();
    json!({
        "id": u.id,
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User",
        ],
        "active": u.scim_active && u.state == "active",
        "userName": u.email,
        "displayName": u.name,
        "emails": [{"value": u.email, "type": "work", "primary": true}],
        "roles": roles,
        "meta": {
            "resourceType": "User",
            "lastModified": fmt_dt(&u.date_modified),
            "location": format!("{}/api/v2/scim/v2/users/{}", st.api_url, u.id),
            "version": version(u),
        },
    })
}

fn scim_reply(status: StatusCode, v: &Value) -> Reply {
    let mut r = Reply::json(status, v);
    r.content_type = SCIM_JSON;
    r
}

pub fn get_user(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("userId");
    let u = st
        .users
        .get(id)
        .filter(|u| u.state != "deleted")
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found.")).with_entity(id))?;
    let ver = version(u);
    if req.header("if-none-match") == Some(ver.as_str()) {
        return Ok(Reply::empty(StatusCode::NOT_MODIFIED).with_header(ETAG, ver));
    }
    Ok(scim_reply(StatusCode::OK, &scim_user(st, u)).with_header(ETAG, ver))
}

/// `ScimUserListResponse`; only active users unless `filter=active eq false`.
pub fn list_users(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let start = req.query_usize("startIndex")?.unwrap_or(1);
    let count = req
        .query_first("count")
        .map(|c| {
            c.parse::<usize>()
                .map_err(|_| ApiError::invalid_value("Invalid count").with_field("count"))
        })
        .transpose()?
        .unwrap_or(25);
    let filter = req.query_first("filter").unwrap_or("").to_ascii_lowercase();
    let want_active = !filter.replace(' ', "").contains("activeeqfalse");
    let users: Vec<&User> = st
        .user_order
        .iter()
        .filter_map(|id| st.users.get(id))
        .filter(|u| u.state != "deleted" && (u.scim_active && u.state == "active") == want_active)
        .collect();
    let total = users.len();
    let resources: Vec<Value> = users
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|u| scim_user(st, u))
        .collect();
    Ok(scim_reply(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}
