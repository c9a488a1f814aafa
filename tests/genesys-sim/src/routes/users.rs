//! `/api/v2/users/{userId}` (with `expand`) and `/api/v2/users/{subjectId}/roles`.

use serde_json::{json, Value};

use crate::clock::fmt_dt;
use crate::errors::ApiError;
use crate::server::{Reply, Req};
use crate::state::{Caller, State, User};

/// `UserAuthorization`: roles, unusedRoles, permissions, permissionPolicies.
pub fn authorization_json(st: &State, u: &User) -> Value {
    let roles: Vec<Value> = u
        .role_ids
        .iter()
        .filter_map(|r| st.roles.get(r))
        .map(|r| json!({"id": r.id, "name": r.name}))
        .collect();
    json!({
        "roles": roles,
        "unusedRoles": [],
        "permissions": st.permissions_of_roles(u.role_ids.iter()),
        "permissionPolicies": [],
    })
}

fn find_user<'a>(st: &'a State, id: &str, deleted: bool) -> Result<&'a User, ApiError> {
    st.users
        .get(id)
        .filter(|u| (u.state == "deleted") == deleted)
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found.")).with_entity(id))
}

pub fn get(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("userId");
    let deleted = match req.query_first("state").unwrap_or("active") {
        s if s.eq_ignore_ascii_case("active") => false,
        s if s.eq_ignore_ascii_case("deleted") => true,
        s => {
            return Err(ApiError::invalid_value(format!(
                "Invalid state '{s}'; expected active or deleted."
            ))
            .with_field("state"))
        }
    };
    let u = find_user(st, id, deleted)?;
    let expand: Vec<String> = req.query_all("expand");
    let wants = |name: &str| expand.iter().any(|e| e.eq_ignore_ascii_case(name));
    let division = st
        .divisions
        .iter()
        .find(|d| d.id == u.division_id)
        .map(|d| json!({"id": d.id, "name": d.name, "selfUri": format!("/api/v2/authorization/divisions/{}", d.id)}));
    let mut v = json!({
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "username": u.email,
        "state": u.state,
        "version": u.version,
        "acdAutoAnswer": false,
        "selfUri": format!("/api/v2/users/{}", u.id),
    });
    let Some(m) = v.as_object_mut() else {
        return Ok(Reply::ok(&v));
    };
    if let Some(d) = division {
        m.insert("division".into(), d);
    }
    if let Some(t) = &u.title {
        m.insert("title".into(), json!(t));
    }
    if let Some(d) = &u.department {
        m.insert("department".into(), json!(d));
    }
    if wants("authorization") || wants("authorization.unusedRoles") {
        m.insert("authorization".into(), authorization_json(st, u));
    }
    if wants("lasttokenissued") {
        if let Some(d) = &u.last_token_issued {
            m.insert("lastTokenIssued".into(), json!({"dateIssued": fmt_dt(d)}));
        }
    }
    if wants("dateLastLogin") {
        if let Some(d) = &u.date_last_login {
            m.insert("dateLastLogin".into(), json!(fmt_dt(d)));
        }
    }
    Ok(Reply::ok(&v))
}

pub fn roles(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let u = find_user(st, req.param("subjectId"), false)?;
    Ok(Reply::ok(&authorization_json(st, u)))
}
