//! `/api/v2/oauth/clients`: list, get, create, full replace, delete, secret regeneration.

use std::collections::HashSet;

use axum::http::StatusCode;
use chrono::Duration;
use serde::Deserialize;

use crate::audits;
use crate::errors::ApiError;
use crate::ids;
use crate::seed::RoleDivision;
use crate::server::{Reply, Req};
use crate::state::{normalize_grant, Caller, Client, ClientState, State};
use crate::views::{client_json, listing_meta, ClientOut, ListingOut, Page};

/// `OAuthClientRequest`; unknown fields (id, secret, selfUri... of a GET echoed back) are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientRequest {
    name: Option<String>,
    access_token_validity_seconds: Option<i64>,
    description: Option<String>,
    registered_redirect_uri: Option<Vec<String>>,
    role_ids: Option<Vec<String>>,
    authorized_grant_type: Option<String>,
    scope: Option<Vec<String>>,
    role_divisions: Option<Vec<RoleDivisionIn>>,
    state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleDivisionIn {
    role_id: Option<String>,
    division_id: Option<String>,
}

struct Validated {
    name: String,
    grant: String,
    validity: i64,
    description: Option<String>,
    redirect_uris: Vec<String>,
    scope: Vec<String>,
    role_divisions: Vec<RoleDivision>,
    state: Option<ClientState>,
}

pub const MIN_VALIDITY: i64 = 300;
pub const MAX_VALIDITY: i64 = 172_800;
pub const DEFAULT_VALIDITY: i64 = 86_400;

fn validate(st: &State, caller: &Caller, req: &Req) -> Result<Validated, ApiError> {
    let body: ClientRequest = req.json_as()?;
    let name = body
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("The field 'name' is required.").with_field("name"))?;
    let grant = body
        .authorized_grant_type
        .filter(|g| !g.trim().is_empty())
        .map(|g| normalize_grant(g.trim()))
        .ok_or_else(|| {
            ApiError::bad_request("The field 'authorizedGrantType' is required.")
                .with_field("authorizedGrantType")
        })?;
    let validity = body
        .access_token_validity_seconds
        .unwrap_or(DEFAULT_VALIDITY);
    if !(MIN_VALIDITY..=MAX_VALIDITY).contains(&validity) {
        return Err(ApiError::invalid_value(format!(
            "accessTokenValiditySeconds must be between {MIN_VALIDITY} and {MAX_VALIDITY} seconds (5 minutes to 48 hours), got {validity}"
        ))
        .with_field("accessTokenValiditySeconds"));
    }
    let home = st.home_division().id.clone();
    let role_divisions: Vec<RoleDivision> = match (body.role_divisions, body.role_ids) {
        (Some(rds), _) => rds
            .into_iter()
            .map(|rd| match (rd.role_id, rd.division_id) {
                (Some(r), Some(d)) if !r.is_empty() && !d.is_empty() => Ok(RoleDivision {
                    role_id: r,
                    division_id: d,
                }),
                _ => Err(ApiError::bad_request(
                    "Each roleDivisions entry requires roleId and divisionId.",
                )
                .with_field("roleDivisions")),
            })
            .collect::<Result<_, _>>()?,
        // Deprecated roleIds: granted in the home division (inferred).
        (None, Some(ids)) => ids
            .into_iter()
            .map(|r| RoleDivision {
                role_id: r,
                division_id: home.clone(),
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    for rd in &role_divisions {
        if !st.roles.contains_key(&rd.role_id) {
            return Err(
                ApiError::invalid_value(format!("Role {} does not exist.", rd.role_id))
                    .with_field("roleDivisions")
                    .with_entity(&rd.role_id),
            );
        }
        if rd.division_id != "*" && !st.divisions.iter().any(|d| d.id == rd.division_id) {
            return Err(ApiError::invalid_value(format!(
                "Division {} does not exist.",
                rd.division_id
            ))
            .with_field("roleDivisions")
            .with_entity(&rd.division_id));
        }
    }
    if st.config.enforce_role_grant {
        let mut seen = HashSet::new();
        let missing: Vec<&RoleDivision> = role_divisions
            .iter()
            .filter(|rd| !caller.role_ids.contains(&rd.role_id) && seen.insert(rd.role_id.clone()))
            .collect();
        if let Some(first) = missing.first() {
            let names: Vec<String> = missing
                .iter()
                .map(|rd| {
                    st.roles
                        .get(&rd.role_id)
                        .map_or(rd.role_id.clone(), |r| r.name.clone())
                })
                .collect();
            return Err(ApiError::bad_request(format!(
                "Unable to grant role(s) [{}]: the caller cannot grant a role it does not hold itself.",
                names.join(", ")
            ))
            .with_params(
                "Unable to grant role(s) [{roles}]: the caller cannot grant a role it does not hold itself.",
                &[("roles", names.join(", "))],
            )
            .with_field("roleDivisions")
            .with_entity(&first.role_id));
        }
    }
    let state = match body.state {
        None => None,
        Some(s) => Some(ClientState::parse(&s).ok_or_else(|| {
            ApiError::invalid_value(format!(
                "Invalid state '{s}'; expected active, disabled or inactive."
            ))
            .with_field("state")
        })?),
    };
    Ok(Validated {
        name,
        grant,
        validity,
        description: body.description,
        redirect_uris: body.registered_redirect_uri.unwrap_or_default(),
        scope: body.scope.unwrap_or_default(),
        role_divisions,
        state,
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("OAuth client {id} not found.")).with_entity(id)
}

fn inactive_refused() -> ApiError {
    ApiError::invalid_value("A client can only become inactive by being deleted.")
        .with_field("state")
}

pub fn list(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let total = st.client_order.len();
    let page = match st.config.clients_list_page_size {
        // The real operation takes no parameters and answers one page.
        None => Page {
            number: 1,
            size: total,
            total,
        },
        Some(size) => Page {
            number: req.query_usize("pageNumber")?.unwrap_or(1),
            size,
            total,
        },
    };
    let st_ref: &State = st;
    let entities: Vec<ClientOut> = st_ref.client_order[page.range()]
        .iter()
        .filter_map(|id| st_ref.clients.get(id))
        .map(|c| ClientOut::new(st_ref, c, None))
        .collect();
    let body = ListingOut {
        entities: &entities,
        meta: listing_meta(page, "/api/v2/oauth/clients", &[], false),
    };
    Ok(Reply::serialize(StatusCode::OK, &body))
}

pub fn get(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId");
    let c = st.clients.get(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::ok(&client_json(st, c, None)))
}

pub fn create(st: &mut State, req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    let v = validate(st, caller, req)?;
    let state = match v.state {
        Some(ClientState::Inactive) => return Err(inactive_refused()),
        Some(s) => s,
        None => ClientState::Active,
    };
    let now = st.now();
    let secret = ids::new_secret();
    let delay = if st.config.propagation_delay_on_create {
        Duration::milliseconds(i64::try_from(st.config.propagation_delay_ms).unwrap_or(i64::MAX))
    } else {
        Duration::zero()
    };
    let who = st.caller_ref(caller);
    let client = Client {
        id: ids::uuid(),
        name: v.name,
        description: v.description,
        grant: v.grant,
        validity_seconds: v.validity,
        role_divisions: v.role_divisions,
        scope: v.scope,
        redirect_uris: v.redirect_uris,
        state,
        date_created: now,
        date_modified: Some(now),
        created_by: Some(who.clone()),
        modified_by: Some(who),
        date_to_delete: None,
        secret_hash: ids::sha256_hex(&secret),
        secret_accepted_at: now + delay,
        secret_regenerations: 0,
    };
    let body = client_json(st, &client, Some(&secret));
    st.audit_client(caller, &client, "Create", audits::created(&client));
    st.client_order.push(client.id.clone());
    st.clients.insert(client.id.clone(), client);
    Ok(Reply::ok(&body))
}

pub fn update(st: &mut State, req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId").to_string();
    let current_state = st.clients.get(&id).ok_or_else(|| not_found(&id))?.state;
    let v = validate(st, caller, req)?;
    // An omitted state keeps the current one (inferred); `active` restores an inactive client.
    let next_state = match (current_state, v.state) {
        (cur, None) => cur,
        (ClientState::Inactive, Some(ClientState::Inactive)) => ClientState::Inactive,
        (_, Some(ClientState::Inactive)) => return Err(inactive_refused()),
        (_, Some(s)) => s,
    };
    let now = st.now();
    let who = st.caller_ref(caller);
    if next_state != ClientState::Active && current_state == ClientState::Active {
        // "Access tokens created by the client are invalid and new ones cannot be created."
        st.kill_client_tokens(&id);
    }
    let before = st.clients.get(&id).ok_or_else(|| not_found(&id))?.clone();
    let c = st.clients.get_mut(&id).ok_or_else(|| not_found(&id))?;
    c.name = v.name;
    c.grant = v.grant;
    c.validity_seconds = v.validity;
    c.description = v.description;
    c.redirect_uris = v.redirect_uris;
    c.scope = v.scope;
    c.role_divisions = v.role_divisions;
    c.state = next_state;
    if next_state != ClientState::Inactive {
        c.date_to_delete = None;
    }
    c.date_modified = Some(now);
    c.modified_by = Some(who);
    let after = c.clone();
    st.audit_client(caller, &after, "Update", audits::diff(&before, &after));
    Ok(Reply::ok(&client_json(st, &after, None)))
}

pub fn delete(st: &mut State, req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId").to_string();
    let c = st.clients.get(&id).ok_or_else(|| not_found(&id))?;
    if c.state == ClientState::Inactive {
        return Ok(Reply::no_content());
    }
    let deleted = c.clone();
    st.audit_client(caller, &deleted, "Delete", vec![]);
    let now = st.now();
    if now - deleted.date_created < Duration::days(30) {
        st.remove_client(&id);
    } else {
        let who = st.caller_ref(caller);
        st.kill_client_tokens(&id);
        if let Some(c) = st.clients.get_mut(&id) {
            c.state = ClientState::Inactive;
            c.date_to_delete = Some(now + Duration::days(7));
            c.date_modified = Some(now);
            c.modified_by = Some(who);
        }
    }
    Ok(Reply::no_content())
}

pub fn regenerate_secret(st: &mut State, req: &Req, caller: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("clientId").to_string();
    if !st.clients.contains_key(&id) {
        return Err(not_found(&id));
    }
    let now = st.now();
    let delay =
        Duration::milliseconds(i64::try_from(st.config.propagation_delay_ms).unwrap_or(i64::MAX));
    let who = st.caller_ref(caller);
    let secret = ids::new_secret();
    let c = st.clients.get_mut(&id).ok_or_else(|| not_found(&id))?;
    c.secret_hash = ids::sha256_hex(&secret);
    c.secret_accepted_at = now + delay;
    c.secret_regenerations += 1;
    c.date_modified = Some(now);
    c.modified_by = Some(who);
    let after = c.clone();
    st.audit_secret_reset(caller, &after);
    Ok(Reply::ok(&client_json(st, &after, Some(&secret))))
}
