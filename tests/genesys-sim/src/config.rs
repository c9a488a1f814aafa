//! Runtime configuration of the simulator (the `/__sim/config` document).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Runtime switches. JSON names are camelCase, as served by `GET /__sim/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SimConfig {
    /// Delay after `POST .../secret` before the login host accepts the new secret.
    pub propagation_delay_ms: u64,
    /// Requests per token per window on the API host.
    pub rate_limit_per_minute: u32,
    /// Length of the rate-limit window (Genesys: 60 s; shorter makes pacing tests fast).
    pub rate_limit_window_seconds: u32,
    /// Refuse to give a client a role the caller does not hold (inferred behaviour).
    pub enforce_role_grant: bool,
    /// Whether tokens issued before a secret regeneration die with it (undocumented upstream).
    pub revoke_tokens_on_secret_reset: bool,
    /// Polls of a usage query answered `Running` before the final status.
    pub usage_polls_before_complete: u32,
    /// `None`: `GET /api/v2/oauth/clients` returns one page; `Some(n)`: pages of n linked by `nextUri`.
    pub clients_list_page_size: Option<usize>,
    /// Largest `pageSize` accepted by `GET /api/v2/authorization/roles`.
    pub max_roles_page_size: usize,
    /// Addition: also apply the propagation delay to the secret of a newly created client.
    pub propagation_delay_on_create: bool,
    /// Inferred alternative: `GET` of an integration credential returns no field at all (not
    /// even `clientId`), so nobody can tell which client an OAuth credential embeds.
    pub redact_all_credential_fields: bool,
    /// Status polls of an audit query answered `Running` before `Succeeded`.
    pub audit_polls_before_complete: u32,
    /// How a secret regeneration is logged: `Update` (a `secret` property change) or `Rotate`
    /// (undocumented upstream; API-FACTS §2.5 says to accept both).
    pub audit_secret_reset_action: String,
    /// Listener ports for `start` (0 = ephemeral); not part of the runtime document.
    #[serde(skip)]
    pub api_port: u16,
    #[serde(skip)]
    pub login_port: u16,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            propagation_delay_ms: 0,
            rate_limit_per_minute: 300,
            rate_limit_window_seconds: 60,
            enforce_role_grant: true,
            revoke_tokens_on_secret_reset: false,
            usage_polls_before_complete: 1,
            clients_list_page_size: None,
            max_roles_page_size: 500,
            propagation_delay_on_create: false,
            redact_all_credential_fields: false,
            audit_polls_before_complete: 1,
            audit_secret_reset_action: "Update".into(),
            api_port: 0,
            login_port: 0,
        }
    }
}

impl SimConfig {
    /// Applies a partial JSON document (`PATCH /__sim/config`); unknown keys and bad values are refused.
    pub fn patched(&self, patch: &Value) -> Result<SimConfig, String> {
        let Some(changes) = patch.as_object() else {
            return Err("config patch must be a JSON object".into());
        };
        let mut doc = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let Some(obj) = doc.as_object_mut() else {
            return Err("config is not an object".into());
        };
        for (k, v) in changes {
            if !obj.contains_key(k) {
                return Err(format!("unknown config key '{k}'"));
            }
            obj.insert(k.clone(), v.clone());
        }
        let mut next: SimConfig = serde_json::from_value(doc).map_err(|e| e.to_string())?;
        next.api_port = self.api_port;
        next.login_port = self.login_port;
        next.validate()?;
        Ok(next)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.rate_limit_per_minute == 0 {
            return Err("rateLimitPerMinute must be at least 1".into());
        }
        if self.rate_limit_window_seconds == 0 {
            return Err("rateLimitWindowSeconds must be at least 1".into());
        }
        if self.propagation_delay_ms > 365 * 86_400_000 {
            return Err("propagationDelayMs must be at most one year".into());
        }
        if self.max_roles_page_size == 0 {
            return Err("maxRolesPageSize must be at least 1".into());
        }
        if crate::audits::ResetAs::parse(&self.audit_secret_reset_action).is_none() {
            return Err("auditSecretResetAction must be Update or Rotate".into());
        }
        if self.clients_list_page_size == Some(0) {
            return Err("clientsListPageSize must be at least 1 (or null)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patch_changes_only_given_keys() {
        let c = SimConfig::default();
        let p = c
            .patched(&json!({"propagationDelayMs": 1500, "clientsListPageSize": 10}))
            .unwrap_or_default();
        assert_eq!(p.propagation_delay_ms, 1500);
        assert_eq!(p.clients_list_page_size, Some(10));
        assert_eq!(p.rate_limit_per_minute, 300);
        let back = p
            .patched(&json!({"clientsListPageSize": null}))
            .unwrap_or_default();
        assert_eq!(back.clients_list_page_size, None);
    }

    #[test]
    fn patch_refuses_unknown_and_bad_values() {
        let c = SimConfig::default();
        assert!(c.patched(&json!({"nope": 1})).is_err());
        assert!(c.patched(&json!({"rateLimitPerMinute": 0})).is_err());
        assert!(c.patched(&json!({"enforceRoleGrant": "yes"})).is_err());
        assert!(c.patched(&json!([1])).is_err());
    }
}
