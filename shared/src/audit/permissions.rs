//! Genesys permission strings (`domain:entity:action`) and their `*` wildcards, matched the way
//! Genesys checks them: a configured pattern fires when a client's roles grant it.

/// The Genesys permissions the audit's admin client needs, all read-only: the client listing,
/// roles, the org-wide usage jobs, the audit trail and integration credentials (dependents).
/// docs/deploying.md lists them; a test keeps it so.
pub const AUDIT_NEEDS: &[&str] = &[
    "oauth:client:view",
    "authorization:role:view",
    "usage:organization:view",
    "audits:audit:view",
    "integrations:integration:view",
];

/// Does `granted` (possibly with `*` segments) cover `required`? A `*` segment covers any value;
/// a trailing `*` also covers deeper segments (`oauth:*` covers `oauth:client:view`). A `*` in
/// `required` is covered only by a `*`: `*:*:*` is granted only by `*:*:*` (or `*`).
pub fn covers(granted: &str, required: &str) -> bool {
    let g: Vec<&str> = granted.split(':').collect();
    let r: Vec<&str> = required.split(':').collect();
    for (i, req) in r.iter().enumerate() {
        match g.get(i) {
            Some(&"*") if i + 1 == g.len() => return true,
            Some(&"*") => continue,
            Some(seg) if seg == req => continue,
            _ => return false,
        }
    }
    g.len() == r.len()
}

/// The granted permissions that cover any of `patterns` (sorted, deduplicated).
pub fn granting<'a>(granted: &'a [String], patterns: &[String]) -> Vec<&'a str> {
    let mut hits: Vec<&str> = granted
        .iter()
        .filter(|g| patterns.iter().any(|p| covers(g, p)))
        .map(String::as_str)
        .collect();
    hits.sort_unstable();
    hits.dedup();
    hits
}

pub fn is_wildcard(permission: &str) -> bool {
    permission.split(':').any(|s| s == "*")
}

/// A usable pattern: non-empty segments of `[A-Za-z0-9_.*-]`.
pub fn valid_pattern(p: &str) -> bool {
    !p.is_empty()
        && p.split(':').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'*'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_follows_genesys_wildcards() {
        assert!(covers("oauth:client:view", "oauth:client:view"));
        assert!(!covers("oauth:client:view", "oauth:client:edit"));
        assert!(covers("oauth:client:*", "oauth:client:edit"));
        assert!(covers("oauth:*:edit", "oauth:client:edit"));
        assert!(covers("*:*:*", "oauth:client:edit"));
        assert!(covers("oauth:*", "oauth:client:delete"));
        assert!(covers("*", "directory:organization:admin"));
        assert!(!covers("oauth:client", "oauth:client:view"));
        assert!(!covers("oauth:client:view:x", "oauth:client:view"));
        // A wildcard pattern is only granted by an equally broad grant.
        assert!(covers("*:*:*", "*:*:*"));
        assert!(!covers("oauth:client:*", "*:*:*"));
        assert!(!covers("directory:user:*", "directory:*:*"));
    }

    #[test]
    fn granting_lists_the_grants_behind_a_hit() {
        let granted = vec![
            "oauth:client:*".to_owned(),
            "routing:queue:view".to_owned(),
            "*:*:*".to_owned(),
        ];
        let hits = granting(&granted, &["oauth:client:edit".to_owned()]);
        assert_eq!(hits, vec!["*:*:*", "oauth:client:*"]);
        assert!(granting(&granted[1..2], &["oauth:client:edit".to_owned()]).is_empty());
        assert!(is_wildcard("analytics:*:view"));
        assert!(!is_wildcard("analytics:report:view"));
        assert!(valid_pattern("*:*:*") && valid_pattern("oauth:client:edit"));
        assert!(
            !valid_pattern("oauth::edit") && !valid_pattern("oauth client") && !valid_pattern("")
        );
    }
}
