//! The API's routes, in one table: the router, the API reference test, the IAM policies in the
//! docs and the template checks all read it. Every action has its own method + path, so each
//! is granted separately with ordinary IAM on `execute-api` resources; break-glass is a path
//! prefix (`/v1/break-glass/`), a permission a role must be given explicitly.

/// Who the documented policies (docs/revocation.md) grant a route to. Each role also has what
/// the ones before it have, but for the auditor, who only reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads records only.
    Auditor,
    /// Incident response: revoke users' and leaked tokens, shut a client off.
    Responder,
    /// Everything, including break-glass, re-enabling a client and emergency rotation.
    SecurityEngineer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// With `{param}` segments.
    pub path: &'static str,
    /// The action recorded (`revocation.action`), or what a read is.
    pub action: &'static str,
    /// The least role the documented policies grant it to.
    pub role: Role,
    /// Every status this route answers with, beyond the ones every route may give
    /// ([`COMMON_STATUSES`], and [`MUTATING_STATUSES`] for POSTs).
    pub statuses: &'static [u16],
}

/// Any request: bad input, no identity, the record store failing.
pub const COMMON_STATUSES: &[u16] = &[400, 401, 503];
/// Any POST: bodies (413, 415), idempotency (409 in progress, 422 key reused), Genesys
/// (502 permission or login, 503 rate limited, 504 out of time).
pub const MUTATING_STATUSES: &[u16] = &[409, 413, 415, 422, 502, 504];

pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/v1/users/{userId}/revoke-tokens",
        action: "revokeUserTokens",
        role: Role::Responder,
        statuses: &[200, 403, 404],
    },
    Route {
        method: "POST",
        path: "/v1/break-glass/users/{userId}/revoke-tokens",
        action: "revokeUserTokens",
        role: Role::SecurityEngineer,
        statuses: &[200, 404],
    },
    Route {
        method: "POST",
        path: "/v1/users/revoke-tokens",
        action: "revokeUserTokensBulk",
        role: Role::Responder,
        statuses: &[200, 202],
    },
    Route {
        method: "POST",
        path: "/v1/break-glass/users/revoke-tokens",
        action: "revokeUserTokensBulk",
        role: Role::SecurityEngineer,
        statuses: &[200, 202],
    },
    Route {
        method: "POST",
        path: "/v1/tokens/revoke",
        action: "revokeAccessToken",
        role: Role::Responder,
        statuses: &[200],
    },
    Route {
        method: "POST",
        path: "/v1/clients/{clientId}/disable",
        action: "disableClient",
        role: Role::Responder,
        statuses: &[200, 404],
    },
    Route {
        method: "POST",
        path: "/v1/clients/{clientId}/enable",
        action: "enableClient",
        role: Role::SecurityEngineer,
        statuses: &[200, 404],
    },
    Route {
        method: "POST",
        path: "/v1/clients/{clientId}/rotate",
        action: "emergencyRotation",
        role: Role::SecurityEngineer,
        statuses: &[200, 202, 404, 501],
    },
    Route {
        method: "GET",
        path: "/v1/revocations/{revocationId}",
        action: "getRevocation",
        role: Role::Auditor,
        statuses: &[200, 404],
    },
    Route {
        method: "GET",
        path: "/v1/revocations/{revocationId}/users",
        action: "getRevocationUsers",
        role: Role::Auditor,
        statuses: &[200, 404],
    },
];

impl Route {
    pub fn is_break_glass(&self) -> bool {
        self.path.starts_with("/v1/break-glass/")
    }

    /// Whether this route may answer `status`.
    pub fn answers(&self, status: u16) -> bool {
        self.statuses.contains(&status)
            || COMMON_STATUSES.contains(&status)
            || (self.method == "POST" && MUTATING_STATUSES.contains(&status))
    }

    /// The path parameters of `segments` if they match this route's path.
    pub fn matches<'p>(&self, segments: &[&'p str]) -> Option<Vec<&'p str>> {
        let pattern: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty()).collect();
        if pattern.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (p, s) in pattern.iter().zip(segments) {
            if p.starts_with('{') {
                params.push(*s);
            } else if p != s {
                return None;
            }
        }
        Some(params)
    }
}

/// The routes at `segments` (one per method at most), with their parameters.
pub fn at<'p>(segments: &[&'p str]) -> Vec<(&'static Route, Vec<&'p str>)> {
    ROUTES
        .iter()
        .filter_map(|r| r.matches(segments).map(|p| (r, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_has_one_route_per_method_and_literal_segments_win() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.path == b.path && a.method == b.method),
                    "{} {} twice",
                    a.method,
                    a.path
                );
            }
        }
        // `/v1/users/revoke-tokens` is the bulk route, not a user called "revoke-tokens".
        let segs = ["v1", "users", "revoke-tokens"];
        let found = at(&segs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.action, "revokeUserTokensBulk");
        let segs = ["v1", "break-glass", "users", "u1", "revoke-tokens"];
        let found = at(&segs);
        assert_eq!(found[0].0.role, Role::SecurityEngineer);
        assert_eq!(found[0].1, vec!["u1"]);
        assert!(found[0].0.is_break_glass());
    }
}
