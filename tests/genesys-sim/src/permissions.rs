//! Genesys permission strings (`domain:entity:action`) and `*` wildcards per segment.

/// Does a granted permission (possibly with `*` segments) cover a required one?
/// A trailing `*` also covers any deeper segments (`oauth:*` covers `oauth:client:view`).
pub fn covers(granted: &str, required: &str) -> bool {
    let g: Vec<&str> = granted.split(':').collect();
    let r: Vec<&str> = required.split(':').collect();
    for (i, req) in r.iter().enumerate() {
        match g.get(i) {
            Some(&"*") if i == g.len() - 1 => return true,
            Some(&"*") => continue,
            Some(seg) if seg == req => continue,
            _ => return false,
        }
    }
    g.len() == r.len()
}

/// ANY-of check, as in `x-inin-requires-permissions` with type ANY. An empty list needs nothing.
pub fn has_any(granted: &[String], required: &[&str]) -> bool {
    required.is_empty()
        || required
            .iter()
            .any(|r| granted.iter().any(|g| covers(g, r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_wildcards() {
        assert!(covers("oauth:client:view", "oauth:client:view"));
        assert!(!covers("oauth:client:view", "oauth:client:edit"));
        assert!(covers("oauth:client:*", "oauth:client:edit"));
        assert!(covers("oauth:*:view", "oauth:client:view"));
        assert!(!covers("oauth:*:view", "oauth:client:edit"));
        assert!(covers("*:*:*", "usage:organization:view"));
        assert!(covers("oauth:*", "oauth:client:delete"));
        assert!(covers("*", "anything:at:all"));
        assert!(!covers("oauth:client", "oauth:client:view"));
        assert!(!covers("oauth:client:view:extra", "oauth:client:view"));
        assert!(!covers("usage:client:view", "usage:organization:view"));
    }

    #[test]
    fn any_of() {
        let g = vec!["usage:client:view".to_string()];
        assert!(has_any(&g, &["oauth:client:view", "usage:client:view"]));
        assert!(!has_any(&g, &["oauth:client:view"]));
        assert!(has_any(&[], &[]));
        assert!(!has_any(&[], &["oauth:client:view"]));
    }
}
