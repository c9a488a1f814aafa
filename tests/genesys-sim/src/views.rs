//! JSON renderings shared by several endpoints: OAuth clients, entity refs, roles, paging.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::clock::fmt_dt;
use crate::seed::{EntityRef, RoleDivision};
use crate::state::{Client, Role, State};

/// `DomainEntityRef` with a `selfUri` pointing at a client or a user.
#[serde_with::skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefOut<'a> {
    id: &'a str,
    name: Option<&'a str>,
    self_uri: String,
}

impl<'a> RefOut<'a> {
    pub fn new(st: &State, r: &'a EntityRef) -> RefOut<'a> {
        let self_uri = if st.clients.contains_key(&r.id) {
            format!("/api/v2/oauth/clients/{}", r.id)
        } else {
            format!("/api/v2/users/{}", r.id)
        };
        RefOut {
            id: &r.id,
            name: r.name.as_deref(),
            self_uri,
        }
    }
}

pub fn entity_ref(st: &State, r: &EntityRef) -> Value {
    serde_json::to_value(RefOut::new(st, r)).unwrap_or(Value::Null)
}

/// An `OAuthClient`, serialized directly (the 10,000-client listing stays fast).
#[serde_with::skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientOut<'a> {
    id: &'a str,
    name: &'a str,
    access_token_validity_seconds: i64,
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    registered_redirect_uri: &'a [String],
    secret: Option<&'a str>,
    date_created: String,
    date_modified: Option<String>,
    created_by: Option<RefOut<'a>>,
    modified_by: Option<RefOut<'a>>,
    authorized_grant_type: &'a str,
    scope: Option<&'a [String]>,
    role_divisions: &'a [RoleDivision],
    state: &'static str,
    date_to_delete: Option<String>,
    self_uri: String,
}

impl<'a> ClientOut<'a> {
    /// `secret` is only passed by create and secret regeneration.
    pub fn new(st: &State, c: &'a Client, secret: Option<&'a str>) -> ClientOut<'a> {
        ClientOut {
            id: &c.id,
            name: &c.name,
            access_token_validity_seconds: c.validity_seconds,
            description: c.description.as_deref(),
            registered_redirect_uri: &c.redirect_uris,
            secret,
            date_created: fmt_dt(&c.date_created),
            date_modified: c.date_modified.as_ref().map(fmt_dt),
            created_by: c.created_by.as_ref().map(|r| RefOut::new(st, r)),
            modified_by: c.modified_by.as_ref().map(|r| RefOut::new(st, r)),
            authorized_grant_type: &c.grant,
            scope: (!c.scope.is_empty() || !c.is_client_credentials())
                .then_some(c.scope.as_slice()),
            role_divisions: &c.role_divisions,
            state: c.state.as_str(),
            date_to_delete: c.date_to_delete.as_ref().map(fmt_dt),
            self_uri: format!("/api/v2/oauth/clients/{}", c.id),
        }
    }
}

pub fn client_json(st: &State, c: &Client, secret: Option<&str>) -> Value {
    serde_json::to_value(ClientOut::new(st, c, secret)).unwrap_or(Value::Null)
}

/// `permissionPolicies` derived from permission strings, one per domain:entity.
pub fn permission_policies(perms: &[String]) -> Vec<Value> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut actions: std::collections::HashMap<(String, String), Vec<String>> = Default::default();
    for p in perms {
        let mut parts = p.splitn(3, ':');
        let (d, e, a) = (
            parts.next().unwrap_or("*").to_string(),
            parts.next().unwrap_or("*").to_string(),
            parts.next().unwrap_or("*").to_string(),
        );
        let key = (d, e);
        if !actions.contains_key(&key) {
            order.push(key.clone());
        }
        actions.entry(key).or_default().push(a);
    }
    order
        .into_iter()
        .map(|k| {
            let acts = actions.remove(&k).unwrap_or_default();
            json!({
                "domain": k.0,
                "entityName": k.1,
                "actionSet": acts,
                "allowConditions": false,
            })
        })
        .collect()
}

/// A `DomainOrganizationRole`.
pub fn role_json(st: &State, r: &Role, with_user_count: bool) -> Value {
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "permissions": r.permissions,
        "unusedPermissions": [],
        "permissionPolicies": permission_policies(&r.permissions),
        "roleNeedsUpdate": false,
        "base": false,
        "default": false,
        "selfUri": format!("/api/v2/authorization/roles/{}", r.id),
    });
    if let Some(m) = v.as_object_mut() {
        if let Some(d) = &r.description {
            m.insert("description".into(), json!(d));
        }
        if let Some(d) = &r.default_role_id {
            m.insert("defaultRoleId".into(), json!(d));
        }
        if with_user_count {
            m.insert("userCount".into(), json!(st.user_count_of_role(&r.id)));
        }
    }
    v
}

/// Page-number paging as in `*EntityListing` models.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub number: usize,
    pub size: usize,
    pub total: usize,
}

impl Page {
    pub fn count(&self) -> usize {
        if self.size == 0 {
            return 1;
        }
        self.total.div_ceil(self.size).max(1)
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        let start = (self.number.saturating_sub(1))
            .saturating_mul(self.size)
            .min(self.total);
        let end = start.saturating_add(self.size).min(self.total);
        start..end
    }
}

fn uri(
    base: &str,
    fixed: &[(String, String)],
    page: Option<(usize, usize)>,
    with_size: bool,
) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fixed {
        ser.append_pair(k, v);
    }
    if let Some((number, size)) = page {
        if with_size {
            ser.append_pair("pageSize", &size.to_string());
        }
        ser.append_pair("pageNumber", &number.to_string());
    }
    let q = ser.finish();
    if q.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{q}")
    }
}

/// An entity listing with `firstUri`/`lastUri`/`selfUri`, and `nextUri`/`previousUri` only
/// when such a page exists.
pub fn listing(
    entities: Vec<Value>,
    page: Page,
    base: &str,
    fixed: &[(String, String)],
    with_size: bool,
) -> Value {
    let mut m = listing_meta(page, base, fixed, with_size);
    m.insert("entities".into(), Value::Array(entities));
    Value::Object(m)
}

/// A listing whose entities serialize straight to bytes.
#[derive(Serialize)]
pub struct ListingOut<'a, T: Serialize> {
    pub entities: &'a [T],
    #[serde(flatten)]
    pub meta: Map<String, Value>,
}

/// The paging fields of a listing.
pub fn listing_meta(
    page: Page,
    base: &str,
    fixed: &[(String, String)],
    with_size: bool,
) -> Map<String, Value> {
    let count = page.count();
    let link = |n: usize| Value::String(uri(base, fixed, Some((n, page.size)), with_size));
    let mut m = Map::new();
    m.insert("pageSize".into(), json!(page.size));
    m.insert("pageNumber".into(), json!(page.number));
    m.insert("total".into(), json!(page.total));
    m.insert("pageCount".into(), json!(count));
    m.insert("firstUri".into(), link(1));
    m.insert("selfUri".into(), link(page.number));
    m.insert("lastUri".into(), link(count));
    if page.number < count {
        m.insert("nextUri".into(), link(page.number + 1));
    }
    if page.number > 1 {
        m.insert("previousUri".into(), link((page.number - 1).min(count)));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_math() {
        let p = Page {
            number: 2,
            size: 25,
            total: 60,
        };
        assert_eq!(p.count(), 3);
        assert_eq!(p.range(), 25..50);
        let last = Page {
            number: 3,
            size: 25,
            total: 60,
        };
        assert_eq!(last.range(), 50..60);
        let beyond = Page {
            number: 9,
            size: 25,
            total: 60,
        };
        assert!(beyond.range().is_empty());
        assert_eq!(
            Page {
                number: 1,
                size: 25,
                total: 0
            }
            .count(),
            1
        );
    }

    #[test]
    fn listing_links() {
        let fixed = vec![("id".to_string(), "a".to_string())];
        let v = listing(
            vec![],
            Page {
                number: 1,
                size: 1,
                total: 2,
            },
            "/x",
            &fixed,
            true,
        );
        assert_eq!(v["nextUri"], "/x?id=a&pageSize=1&pageNumber=2");
        assert!(v.get("previousUri").is_none());
        let v = listing(
            vec![],
            Page {
                number: 2,
                size: 1,
                total: 2,
            },
            "/x",
            &[],
            false,
        );
        assert!(v.get("nextUri").is_none());
        assert_eq!(v["previousUri"], "/x?pageNumber=1");
    }

    #[test]
    fn policies_group_actions() {
        let p = permission_policies(&[
            "oauth:client:view".into(),
            "oauth:client:edit".into(),
            "usage:*:view".into(),
        ]);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0]["actionSet"], json!(["view", "edit"]));
    }
}
