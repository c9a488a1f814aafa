//! `/api/v2/authorization/roles`: listing with repeated `id` filters and page-number paging.

use crate::errors::ApiError;
use crate::server::{Reply, Req};
use crate::state::{Caller, Role, State};
use crate::views::{listing, role_json, Page};

fn user_count_wanted(req: &Req) -> Result<bool, ApiError> {
    match req.query_first("userCount") {
        None => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(
            ApiError::invalid_value(format!("Invalid value '{v}' for userCount"))
                .with_field("userCount"),
        ),
    }
}

pub fn list(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let size = req.query_usize("pageSize")?.unwrap_or(25);
    let max = st.config.max_roles_page_size;
    if size > max {
        return Err(ApiError::bad_request(format!(
            "The page size must be between 1 and {max}, got {size}."
        ))
        .with_field("pageSize"));
    }
    let number = req.query_usize("pageNumber")?.unwrap_or(1);
    let with_count = user_count_wanted(req)?;
    let ids = req.query_all("id");
    let perms = req.query_all("permission");
    let name = req.query_first("name").map(str::to_ascii_lowercase);
    let mut roles: Vec<&Role> = st
        .role_order
        .iter()
        .filter_map(|id| st.roles.get(id))
        .filter(|r| ids.is_empty() || ids.contains(&r.id))
        .filter(|r| perms.is_empty() || r.permissions.iter().any(|p| perms.contains(p)))
        .filter(|r| {
            name.as_ref()
                .is_none_or(|n| r.name.to_ascii_lowercase().contains(n.as_str()))
        })
        .collect();
    roles.sort_by(|a, b| {
        (a.name.to_ascii_lowercase(), &a.id).cmp(&(b.name.to_ascii_lowercase(), &b.id))
    });
    let page = Page {
        number,
        size,
        total: roles.len(),
    };
    let entities = roles[page.range()]
        .iter()
        .map(|r| role_json(st, r, with_count))
        .collect();
    // Links keep the filters so following nextUri pages through the same selection.
    let mut fixed: Vec<(String, String)> =
        ids.iter().map(|i| ("id".to_string(), i.clone())).collect();
    fixed.extend(perms.iter().map(|p| ("permission".to_string(), p.clone())));
    if let Some(n) = req.query_first("name") {
        fixed.push(("name".into(), n.to_string()));
    }
    if !with_count {
        fixed.push(("userCount".into(), "false".into()));
    }
    Ok(Reply::ok(&listing(
        entities,
        page,
        "/api/v2/authorization/roles",
        &fixed,
        true,
    )))
}

pub fn get(st: &mut State, req: &Req, _c: &Caller) -> Result<Reply, ApiError> {
    let id = req.param("roleId");
    let with_count = user_count_wanted(req)?;
    let r = st
        .roles
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Role {id} not found.")).with_entity(id))?;
    Ok(Reply::ok(&role_json(st, r, with_count)))
}
