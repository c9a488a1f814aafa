//! `/api/v2/tokens`: the calling token's info, validity check and revocation; a user's tokens.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::audits::ENTITY_TOKEN;
use crate::clock::fmt_dt;
use crate::errors::ApiError;
use crate::seed::EntityRef;
use crate::server::{Reply, Req};
use crate::state::{Caller, State, Subject};
use crate::views::entity_ref;

/// Stand-in for the Genesys web app that issues interactive sessions minted without a client.
pub const WEB_APP_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000a11e";
pub const WEB_APP_CLIENT_NAME: &str = "Genesys Cloud Web App (simulated)";

fn org(st: &State) -> Value {
    json!({"id": st.org_id, "name": st.org_name})
}

/// `OrgOAuthClient` of the token.
fn org_oauth_client(st: &State, client_id: Option<&str>) -> Value {
    let Some(c) = client_id.and_then(|id| st.clients.get(id)) else {
        return json!({
            "id": WEB_APP_CLIENT_ID,
            "name": WEB_APP_CLIENT_NAME,
            "authorizedGrantType": "TOKEN",
            "scope": ["*"],
            "roleDivisions": [],
            "state": "active",
            "organization": org(st),
        });
    };
    let mut v = json!({
        "id": c.id,
        "name": c.name,
        "dateCreated": fmt_dt(&c.date_created),
        "authorizedGrantType": c.grant,
        "scope": c.scope,
        "roleDivisions": c.role_divisions,
        "state": c.state.as_str(),
        "organization": org(st),
    });
    if let Some(m) = v.as_object_mut() {
        if let Some(d) = &c.date_modified {
            m.insert("dateModified".into(), json!(fmt_dt(d)));
        }
        if let Some(r) = &c.created_by {
            m.insert("createdBy".into(), entity_ref(st, r));
        }
        if let Some(r) = &c.modified_by {
            m.insert("modifiedBy".into(), entity_ref(st, r));
        }
    }
    v
}

pub fn me(st: &mut State, _req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    let client_id = caller.client_id();
    let scope: Vec<String> = match (&caller.subject, client_id.and_then(|id| st.clients.get(id))) {
        (Subject::User { .. }, None) => vec!["*".into()],
        (_, Some(c)) => c.scope.clone(),
        (Subject::Client(_), None) => Vec::new(),
    };
    Ok(Reply::ok(&json!({
        "organization": org(st),
        "homeOrganization": org(st),
        "authorizedScope": scope,
        "OAuthClient": org_oauth_client(st, client_id),
    })))
}

/// Reaching the handler means the token is valid; invalid ones got 401 already.
pub fn head_me(_st: &mut State, _req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    Ok(Reply::empty(StatusCode::OK))
}

pub fn delete_me(st: &mut State, _req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    st.tokens.remove(&caller.token_hash);
    // The entity is whoever the token belonged to (the token itself is never named) [inferred].
    let owner = st.caller_ref(caller);
    st.audit(caller, ENTITY_TOKEN, owner, "Delete", vec![]);
    Ok(Reply::no_content())
}

pub fn delete_user_tokens(st: &mut State, req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("userId");
    if !st.users.contains_key(id) {
        return Err(ApiError::not_found(format!("User {id} not found.")).with_entity(id));
    }
    st.kill_user_tokens(id);
    let user = EntityRef {
        id: id.to_string(),
        name: st.users.get(id).map(|u| u.name.clone()),
    };
    st.audit(caller, ENTITY_TOKEN, user, "Delete", vec![]);
    Ok(Reply::no_content())
}
