//! `/api/v2/oauth/scopes`: a plain, unpaged `OAuthScopeListing` (no permission needed).

use serde_json::{json, Value};

use crate::errors::ApiError;
use crate::server::{Reply, Req};
use crate::state::{Caller, Scope, State};

fn scope_json(s: &Scope) -> Value {
    json!({
        "id": s.id,
        "description": s.description,
        "selfUri": format!("/api/v2/oauth/scopes/{}", s.id),
    })
}

pub fn list(st: &mut State, _req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let entities: Vec<Value> = st.scopes.iter().map(scope_json).collect();
    Ok(Reply::ok(&json!({
        "total": entities.len(),
        "entities": entities,
        "selfUri": "/api/v2/oauth/scopes",
    })))
}

pub fn get(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("scopeId");
    st.scopes
        .iter()
        .find(|s| s.id == id)
        .map(|s| Reply::ok(&scope_json(s)))
        .ok_or_else(|| ApiError::not_found(format!("Scope {id} not found.")).with_entity(id))
}
