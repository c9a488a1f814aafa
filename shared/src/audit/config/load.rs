//! Reading the audit policy from the environment: one variable per setting, or one JSON
//! document in `AUDIT_CONFIG_JSON` (every field optional, unknown fields refused); checked
//! before a run starts.

use super::{default_rules, parse_severity, AuditConfig, PermissionRule};
use crate::audit::findings::codes;
use crate::audit::permissions::valid_pattern;
use crate::config::{ConfigError, EnvSource, Vars};
use crate::ports::events::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const AUDIT_CONFIG_JSON: &str = "AUDIT_CONFIG_JSON";
pub const AUDIT_USAGE_WINDOW_DAYS: &str = "AUDIT_USAGE_WINDOW_DAYS";
pub const AUDIT_USAGE_API: &str = "AUDIT_USAGE_API";
pub const AUDIT_UNUSED_DAYS: &str = "AUDIT_UNUSED_DAYS";
pub const AUDIT_NEW_CLIENT_GRACE_DAYS: &str = "AUDIT_NEW_CLIENT_GRACE_DAYS";
pub const AUDIT_MAX_TOKEN_VALIDITY_SECONDS: &str = "AUDIT_MAX_TOKEN_VALIDITY_SECONDS";
pub const AUDIT_SECRET_MAX_AGE_DAYS: &str = "AUDIT_SECRET_MAX_AGE_DAYS";
pub const AUDIT_SECRET_AGE_GRACE_DAYS: &str = "AUDIT_SECRET_AGE_GRACE_DAYS";
pub const AUDIT_SECRET_NAME_PREFIX: &str = "AUDIT_SECRET_NAME_PREFIX";
pub const AUDIT_RETENTION_DAYS: &str = "AUDIT_RETENTION_DAYS";
pub const AUDIT_MAX_FINDING_EVENTS: &str = "AUDIT_MAX_FINDING_EVENTS";
pub const AUDIT_ADMIN_PERMISSIONS: &str = "AUDIT_ADMIN_PERMISSIONS";
pub const AUDIT_CREDENTIAL_ADMIN_PERMISSIONS: &str = "AUDIT_CREDENTIAL_ADMIN_PERMISSIONS";
pub const AUDIT_CREDENTIAL_ADMIN_SCOPES: &str = "AUDIT_CREDENTIAL_ADMIN_SCOPES";
pub const AUDIT_SEVERITY_OVERRIDES: &str = "AUDIT_SEVERITY_OVERRIDES";
pub const AUDIT_DISABLED_CODES: &str = "AUDIT_DISABLED_CODES";
pub const AUDIT_TRAIL_SERVICE_NAME: &str = "AUDIT_TRAIL_SERVICE_NAME";
pub const AUDIT_TRAIL_FIRST_RUN_DAYS: &str = "AUDIT_TRAIL_FIRST_RUN_DAYS";
pub const AUDIT_CREDGUARD_CLIENT_IDS: &str = "AUDIT_CREDGUARD_CLIENT_IDS";
pub const AUDIT_ROTATION_ADMIN_CLIENT_ID: &str = "AUDIT_ROTATION_ADMIN_CLIENT_ID";
pub const AUDIT_DUE_SOON_DAYS: &str = "AUDIT_DUE_SOON_DAYS";
pub const AUDIT_ROTATION_STUCK_HOURS: &str = "AUDIT_ROTATION_STUCK_HOURS";
pub const AUDIT_MAX_CREDENTIAL_READS: &str = "AUDIT_MAX_CREDENTIAL_READS";
pub const AUDIT_SECURITY_HUB_REFRESH_DAYS: &str = "AUDIT_SECURITY_HUB_REFRESH_DAYS";
pub const AUDIT_OWNER_TAG: &str = "AUDIT_OWNER_TAG";
/// Set (by the template, when `SecurityHubFindings` is on) to the account's default Security Hub
/// product ARN: findings are imported there too.
pub const SECURITY_HUB_PRODUCT_ARN: &str = "SECURITY_HUB_PRODUCT_ARN";

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `AUDIT_CONFIG_JSON`: every field optional, unknown fields refused (a typo must not silently
/// fall back to a default).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Document {
    usage_window_days: Option<u32>,
    usage_api: Option<String>,
    unused_days: Option<u32>,
    new_client_grace_days: Option<u32>,
    max_token_validity_seconds: Option<i64>,
    secret_max_age_days: Option<u32>,
    secret_age_grace_days: Option<u32>,
    secret_name_prefix: Option<String>,
    retention_days: Option<u32>,
    max_finding_events: Option<usize>,
    permission_rules: Option<Vec<RuleDocument>>,
    severities: Option<BTreeMap<String, String>>,
    disabled_codes: Option<Vec<String>>,
    trail_service_name: Option<String>,
    trail_first_run_days: Option<u32>,
    credguard_client_ids: Option<Vec<String>>,
    rotation_admin_client_id: Option<String>,
    due_soon_days: Option<u32>,
    rotation_stuck_after_hours: Option<u32>,
    max_credential_reads: Option<usize>,
    security_hub_refresh_days: Option<u32>,
    owner_tag: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RuleDocument {
    code: String,
    severity: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    title: Option<String>,
    remediation: Option<String>,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

impl AuditConfig {
    pub fn from_env<E: EnvSource + ?Sized>(env: &E) -> Result<Self, ConfigError> {
        let v = Vars(env);
        let mut c = Self::default();
        if let Some(raw) = v.optional(AUDIT_CONFIG_JSON) {
            let doc: Document = serde_json::from_str(&raw)
                .map_err(|e| invalid(AUDIT_CONFIG_JSON, e.to_string()))?;
            c.apply(doc)?;
        }
        c.usage_window_days = v.parsed(AUDIT_USAGE_WINDOW_DAYS, c.usage_window_days)?;
        c.usage_api = v.parsed(AUDIT_USAGE_API, c.usage_api)?;
        c.unused_days = v.parsed(AUDIT_UNUSED_DAYS, c.unused_days)?;
        c.new_client_grace_days = v.parsed(AUDIT_NEW_CLIENT_GRACE_DAYS, c.new_client_grace_days)?;
        c.max_token_validity_seconds = v.parsed(
            AUDIT_MAX_TOKEN_VALIDITY_SECONDS,
            c.max_token_validity_seconds,
        )?;
        c.secret_max_age_days = v.parsed(AUDIT_SECRET_MAX_AGE_DAYS, c.secret_max_age_days)?;
        c.secret_age_grace_days = v.parsed(AUDIT_SECRET_AGE_GRACE_DAYS, c.secret_age_grace_days)?;
        if let Some(prefix) = v.optional(AUDIT_SECRET_NAME_PREFIX) {
            c.secret_name_prefix = Some(prefix);
        }
        c.retention_days = v.parsed(AUDIT_RETENTION_DAYS, c.retention_days)?;
        c.max_finding_events = v.parsed(AUDIT_MAX_FINDING_EVENTS, c.max_finding_events)?;
        if v.optional(AUDIT_ADMIN_PERMISSIONS).is_some() {
            c.rule_mut(codes::ADMIN_PERMISSION).permissions = v.list(AUDIT_ADMIN_PERMISSIONS);
        }
        if v.optional(AUDIT_CREDENTIAL_ADMIN_PERMISSIONS).is_some() {
            c.rule_mut(codes::CREDENTIAL_ADMIN_PERMISSION).permissions =
                v.list(AUDIT_CREDENTIAL_ADMIN_PERMISSIONS);
        }
        if v.optional(AUDIT_CREDENTIAL_ADMIN_SCOPES).is_some() {
            c.rule_mut(codes::CREDENTIAL_ADMIN_PERMISSION).scopes =
                v.list(AUDIT_CREDENTIAL_ADMIN_SCOPES);
        }
        for pair in v.list(AUDIT_SEVERITY_OVERRIDES) {
            let (code, sev) = pair.split_once('=').ok_or_else(|| {
                invalid(
                    AUDIT_SEVERITY_OVERRIDES,
                    format!("{pair:?} is not CODE=SEVERITY"),
                )
            })?;
            let sev = parse_severity(sev).map_err(|e| invalid(AUDIT_SEVERITY_OVERRIDES, e))?;
            c.severity_overrides.insert(code.trim().to_owned(), sev);
        }
        c.disabled_codes.extend(v.list(AUDIT_DISABLED_CODES));
        if let Some(name) = v.optional(AUDIT_TRAIL_SERVICE_NAME) {
            c.trail_service_name = name;
        }
        c.trail_first_run_days = v.parsed(AUDIT_TRAIL_FIRST_RUN_DAYS, c.trail_first_run_days)?;
        c.credguard_client_ids
            .extend(v.list(AUDIT_CREDGUARD_CLIENT_IDS));
        if let Some(id) = v.optional(AUDIT_ROTATION_ADMIN_CLIENT_ID) {
            c.rotation_admin_client_id = Some(id);
        }
        c.due_soon_days = v.parsed(AUDIT_DUE_SOON_DAYS, c.due_soon_days)?;
        c.rotation_stuck_after_hours =
            v.parsed(AUDIT_ROTATION_STUCK_HOURS, c.rotation_stuck_after_hours)?;
        c.max_credential_reads = v.parsed(AUDIT_MAX_CREDENTIAL_READS, c.max_credential_reads)?;
        c.security_hub_refresh_days =
            v.parsed(AUDIT_SECURITY_HUB_REFRESH_DAYS, c.security_hub_refresh_days)?;
        if let Some(tag) = v.optional(AUDIT_OWNER_TAG) {
            c.owner_tag = tag;
        }
        c.security_hub_product_arn = v.optional(SECURITY_HUB_PRODUCT_ARN);
        c.managed = crate::rotation::config::ManagedSelection::from_env(env)?;
        c.validate()?;
        Ok(c)
    }

    /// The rule for `code`, created empty (and therefore inert) if a document removed it.
    fn rule_mut(&mut self, code: &str) -> &mut PermissionRule {
        if let Some(i) = self.permission_rules.iter().position(|r| r.code == code) {
            return &mut self.permission_rules[i];
        }
        let default = default_rules()
            .into_iter()
            .find(|r| r.code == code)
            .map(|r| PermissionRule {
                permissions: vec![],
                scopes: vec![],
                ..r
            });
        self.permission_rules
            .push(default.unwrap_or_else(|| PermissionRule {
                code: code.to_owned(),
                severity: Severity::High,
                permissions: vec![],
                scopes: vec![],
                title: String::new(),
                remediation: String::new(),
            }));
        let last = self.permission_rules.len() - 1;
        &mut self.permission_rules[last]
    }

    fn apply(&mut self, d: Document) -> Result<(), ConfigError> {
        let name = AUDIT_CONFIG_JSON;
        overlay(&mut self.usage_window_days, d.usage_window_days);
        if let Some(x) = d.usage_api {
            self.usage_api = x.parse().map_err(|e: String| invalid(name, e))?;
        }
        overlay(&mut self.unused_days, d.unused_days);
        overlay(&mut self.new_client_grace_days, d.new_client_grace_days);
        overlay(
            &mut self.max_token_validity_seconds,
            d.max_token_validity_seconds,
        );
        overlay(&mut self.secret_max_age_days, d.secret_max_age_days);
        overlay(&mut self.secret_age_grace_days, d.secret_age_grace_days);
        if let Some(x) = d.secret_name_prefix {
            self.secret_name_prefix = Some(x).filter(|p| !p.is_empty());
        }
        overlay(&mut self.retention_days, d.retention_days);
        overlay(&mut self.max_finding_events, d.max_finding_events);
        // A listed rule replaces the default rule with the same code; other codes are added.
        for r in d.permission_rules.unwrap_or_default() {
            let severity = parse_severity(&r.severity).map_err(|e| invalid(name, e))?;
            let fallback = default_rules().into_iter().find(|x| x.code == r.code);
            let rule = PermissionRule {
                title: r
                    .title
                    .or_else(|| fallback.as_ref().map(|f| f.title.clone()))
                    .unwrap_or_else(|| format!("Client holds permissions of rule {}", r.code)),
                remediation: r
                    .remediation
                    .or_else(|| fallback.as_ref().map(|f| f.remediation.clone()))
                    .unwrap_or_else(|| {
                        "Remove the listed permissions or scopes unless the integration needs them."
                            .into()
                    }),
                code: r.code,
                severity,
                permissions: r.permissions,
                scopes: r.scopes,
            };
            match self
                .permission_rules
                .iter()
                .position(|x| x.code == rule.code)
            {
                Some(i) => self.permission_rules[i] = rule,
                None => self.permission_rules.push(rule),
            }
        }
        for (code, sev) in d.severities.unwrap_or_default() {
            let sev = parse_severity(&sev).map_err(|e| invalid(name, e))?;
            self.severity_overrides.insert(code, sev);
        }
        self.disabled_codes
            .extend(d.disabled_codes.unwrap_or_default());
        overlay(&mut self.trail_service_name, d.trail_service_name);
        overlay(&mut self.trail_first_run_days, d.trail_first_run_days);
        self.credguard_client_ids
            .extend(d.credguard_client_ids.unwrap_or_default());
        if let Some(x) = d.rotation_admin_client_id {
            self.rotation_admin_client_id = Some(x).filter(|x| !x.is_empty());
        }
        overlay(
            &mut self.rotation_stuck_after_hours,
            d.rotation_stuck_after_hours,
        );
        overlay(&mut self.due_soon_days, d.due_soon_days);
        overlay(&mut self.max_credential_reads, d.max_credential_reads);
        overlay(
            &mut self.security_hub_refresh_days,
            d.security_hub_refresh_days,
        );
        overlay(&mut self.owner_tag, d.owner_tag);
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=365).contains(&self.usage_window_days) {
            return Err(invalid(
                AUDIT_USAGE_WINDOW_DAYS,
                "must be 1..=365 (the usage API looks back one year at most)",
            ));
        }
        if self.unused_days == 0 || self.unused_days > self.usage_window_days {
            return Err(invalid(
                AUDIT_UNUSED_DAYS,
                format!(
                    "must be 1..={} (the usage window): a longer idle period cannot be seen",
                    self.usage_window_days
                ),
            ));
        }
        if self.new_client_grace_days > self.usage_window_days {
            return Err(invalid(
                AUDIT_NEW_CLIENT_GRACE_DAYS,
                "must not exceed the usage window",
            ));
        }
        if self.max_token_validity_seconds <= 0 {
            return Err(invalid(
                AUDIT_MAX_TOKEN_VALIDITY_SECONDS,
                "must be positive",
            ));
        }
        if self.retention_days == 0 {
            return Err(invalid(AUDIT_RETENTION_DAYS, "must be at least 1"));
        }
        if !(1..=30).contains(&self.trail_first_run_days) {
            return Err(invalid(
                AUDIT_TRAIL_FIRST_RUN_DAYS,
                "must be 1..=30 (one audit query spans 30 days at most)",
            ));
        }
        if self.trail_service_name.trim().is_empty() {
            return Err(invalid(AUDIT_TRAIL_SERVICE_NAME, "must not be empty"));
        }
        if !(1..=89).contains(&self.security_hub_refresh_days) {
            return Err(invalid(
                AUDIT_SECURITY_HUB_REFRESH_DAYS,
                "must be 1..=89 (Security Hub drops findings not updated for 90 days)",
            ));
        }
        for r in &self.permission_rules {
            if !valid_code(&r.code) {
                return Err(invalid(
                    AUDIT_CONFIG_JSON,
                    format!("rule code {:?} must be UPPER_SNAKE_CASE", r.code),
                ));
            }
            if let Some(p) = r.permissions.iter().find(|p| !valid_pattern(p)) {
                return Err(invalid(
                    AUDIT_CONFIG_JSON,
                    format!(
                        "rule {}: {p:?} is not a permission (domain:entity:action)",
                        r.code
                    ),
                ));
            }
        }
        for code in self.severity_overrides.keys().chain(&self.disabled_codes) {
            if !valid_code(code) {
                return Err(invalid(
                    AUDIT_SEVERITY_OVERRIDES,
                    format!("{code:?} is not a finding code"),
                ));
            }
        }
        Ok(())
    }
}

/// A document's setting replaces the current one when present.
fn overlay<T>(setting: &mut T, from_document: Option<T>) {
    if let Some(v) = from_document {
        *setting = v;
    }
}
