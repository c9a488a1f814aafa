//! `/api/v2/integrations/credentials`: integration credentials, including the
//! `pureCloudOAuthClient` type whose `clientSecret` the rotation tool must update.
//! See `INTEGRATION-CREDENTIALS.md` for sources and what is inferred.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clock::fmt_dt;
use crate::errors::ApiError;
use crate::ids;
use crate::seed::CredentialTypeRef;
use crate::server::{Reply, Req};
use crate::state::{Caller, IntegrationCredential, State};
use crate::views::{listing, Page};

/// Known credential types: name, required fields, fields whose values GET never returns.
pub const CREDENTIAL_TYPES: &[(&str, &[&str], &[&str])] = &[
    (
        "pureCloudOAuthClient",
        &["clientId", "clientSecret"],
        &["clientSecret"],
    ),
    ("basicAuth", &["userName", "password"], &["password"]),
    ("userDefined", &[], &[]),
    ("userDefinedOAuth", &[], &[]),
];

fn type_info(
    name: &str,
) -> Option<&'static (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
)> {
    CREDENTIAL_TYPES.iter().find(|(n, _, _)| *n == name)
}

/// Sensitive = declared so by the type, or named like a secret (user-defined types).
pub fn is_sensitive(type_name: &str, field: &str) -> bool {
    if type_info(type_name).is_some_and(|(_, _, s)| s.contains(&field)) {
        return true;
    }
    let f = field.to_ascii_lowercase();
    ["secret", "password", "token", "key"]
        .iter()
        .any(|w| f.contains(w))
}

fn type_json(name: &str) -> Value {
    json!({"name": name})
}

/// `CredentialInfo`: no field values at all.
fn info_json(c: &IntegrationCredential) -> Value {
    let mut v = json!({
        "id": c.id,
        "createdDate": fmt_dt(&c.created),
        "modifiedDate": fmt_dt(&c.modified),
        "type": type_json(&c.type_name),
        "selfUri": format!("/api/v2/integrations/credentials/{}", c.id),
    });
    if let Some(n) = &c.name {
        v["name"] = json!(n);
    }
    v
}

/// `Credential` "with sensitive fields redacted": sensitive fields are left out (inferred form),
/// or every field with `redactAllCredentialFields` (the other form the real API may have).
fn credential_json(c: &IntegrationCredential, redact_all: bool) -> Value {
    let fields: BTreeMap<&String, &String> = c
        .fields
        .iter()
        .filter(|(k, _)| !redact_all && !is_sensitive(&c.type_name, k))
        .collect();
    let mut v = json!({
        "id": c.id,
        "type": type_json(&c.type_name),
        "credentialFields": fields,
        "selfUri": format!("/api/v2/integrations/credentials/{}", c.id),
    });
    if let Some(n) = &c.name {
        v["name"] = json!(n);
    }
    v
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialBody {
    name: Option<String>,
    #[serde(rename = "type")]
    credential_type: Option<CredentialTypeRef>,
    credential_fields: Option<BTreeMap<String, String>>,
}

struct Input {
    name: Option<String>,
    type_name: String,
    fields: BTreeMap<String, String>,
}

fn validate(req: &Req) -> Result<Input, ApiError> {
    let b: CredentialBody = req.json_as()?;
    let type_name = b
        .credential_type
        .map(|t| t.name().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("The credential type is required.").with_field("type")
        })?;
    let Some((_, required, _)) = type_info(&type_name) else {
        let known: Vec<&str> = CREDENTIAL_TYPES.iter().map(|(n, _, _)| *n).collect();
        return Err(ApiError::invalid_value(format!(
            "Unknown credential type '{type_name}'; known: {}",
            known.join(", ")
        ))
        .with_field("type"));
    };
    let fields = b.credential_fields.unwrap_or_default();
    let missing: Vec<&str> = required
        .iter()
        .filter(|f| fields.get(**f).is_none_or(|v| v.is_empty()))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Credential type '{type_name}' requires the fields: {}",
            missing.join(", ")
        ))
        .with_field("credentialFields"));
    }
    Ok(Input {
        name: b.name,
        type_name,
        fields,
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Credential {id} not found.")).with_entity(id)
}

pub fn list(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let size = req.query_usize("pageSize")?.unwrap_or(25);
    if size > 500 {
        return Err(
            ApiError::bad_request("pageSize cannot be greater than 500.").with_field("pageSize"),
        );
    }
    let page = Page {
        number: req.query_usize("pageNumber")?.unwrap_or(1),
        size,
        total: st.credential_order.len(),
    };
    let entities = st.credential_order[page.range()]
        .iter()
        .filter_map(|id| st.credentials.get(id))
        .map(info_json)
        .collect();
    Ok(Reply::ok(&listing(
        entities,
        page,
        "/api/v2/integrations/credentials",
        &[],
        true,
    )))
}

pub fn get(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("credentialId");
    let c = st.credentials.get(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::ok(&credential_json(
        c,
        st.config.redact_all_credential_fields,
    )))
}

pub fn create(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let input = validate(req)?;
    let now = st.now();
    let c = IntegrationCredential {
        id: ids::uuid(),
        name: input.name,
        type_name: input.type_name,
        fields: input.fields,
        created: now,
        modified: now,
    };
    let body = info_json(&c);
    st.credential_order.push(c.id.clone());
    st.credentials.insert(c.id.clone(), c);
    Ok(Reply::ok(&body))
}

pub fn update(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("credentialId").to_string();
    if !st.credentials.contains_key(&id) {
        return Err(not_found(&id));
    }
    let input = validate(req)?;
    let now = st.now();
    let c = st.credentials.get_mut(&id).ok_or_else(|| not_found(&id))?;
    // Full replace of name, type and fields (what the terraform provider sends).
    c.name = input.name;
    c.type_name = input.type_name;
    c.fields = input.fields;
    c.modified = now;
    Ok(Reply::ok(&info_json(c)))
}

pub fn delete(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("credentialId").to_string();
    if st.credentials.remove(&id).is_none() {
        return Err(not_found(&id));
    }
    st.credential_order.retain(|x| x != &id);
    Ok(Reply::no_content())
}

pub fn types(_st: &mut State, _req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let entities: Vec<Value> = CREDENTIAL_TYPES
        .iter()
        .map(|(name, required, _)| {
            let props: serde_json::Map<String, Value> = required
                .iter()
                .map(|f| ((*f).to_string(), json!({"type": "string", "title": f})))
                .collect();
            json!({
                "name": name,
                "properties": props,
                "displayOrder": required,
                "required": required,
            })
        })
        .collect();
    let total = entities.len();
    let page = Page {
        number: 1,
        size: total.max(1),
        total,
    };
    Ok(Reply::ok(&listing(
        entities,
        page,
        "/api/v2/integrations/credentials/types",
        &[],
        false,
    )))
}
