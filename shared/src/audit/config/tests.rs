//! The audit policy as read from the environment.

use super::*;
use crate::config::ConfigError;

fn env(pairs: &[(&str, &str)]) -> Result<AuditConfig, ConfigError> {
    AuditConfig::from_env(pairs)
}

#[test]
fn defaults_are_the_documented_values() {
    let c = env(&[]).unwrap();
    assert_eq!(c, AuditConfig::default());
    assert_eq!(c.usage_window_days, 90);
    assert_eq!(c.unused_days, 30);
    assert_eq!(c.max_token_validity_seconds, 86_400);
    assert_eq!(c.secret_max_age_days, 30);
    assert_eq!(c.secret_age_grace_days, 2);
    assert_eq!(c.retention_days, 400);
    assert_eq!(c.permission_rules[0].code, "ADMIN_PERMISSION");
    assert_eq!(c.permission_rules[0].severity, Severity::Critical);
    assert_eq!(c.permission_rules[1].severity, Severity::High);
}

#[test]
fn variables_override_the_document() {
    let doc = r#"{"unusedDays": 20, "usageWindowDays": 60, "severities": {"UNUSED": "low"},
        "permissionRules": [{"code": "PII_EXPORT", "severity": "high", "permissions": ["analytics:conversationDetail:view"]},
                            {"code": "ADMIN_PERMISSION", "severity": "HIGH", "permissions": ["*:*:*"]}],
        "disabledCodes": ["ALL_DIVISIONS"]}"#;
    let c = env(&[
        (AUDIT_CONFIG_JSON, doc),
        (AUDIT_UNUSED_DAYS, "45"),
        (AUDIT_SEVERITY_OVERRIDES, "NEVER_USED=info"),
        (AUDIT_CREDENTIAL_ADMIN_PERMISSIONS, "oauth:client:edit"),
    ])
    .unwrap();
    assert_eq!(c.unused_days, 45);
    assert_eq!(c.usage_window_days, 60);
    assert_eq!(c.severity_of("UNUSED", Severity::Medium), Severity::Low);
    assert_eq!(
        c.severity_of("NEVER_USED", Severity::Medium),
        Severity::Info
    );
    let admin = &c.permission_rules[0];
    assert_eq!(
        (admin.severity, admin.permissions.len()),
        (Severity::High, 1)
    );
    assert_eq!(c.permission_rules[1].permissions, vec!["oauth:client:edit"]);
    assert_eq!(c.permission_rules[2].code, "PII_EXPORT");
    assert!(!c.enabled("ALL_DIVISIONS"));
}

#[test]
fn bad_values_name_the_setting() {
    for (pairs, name) in [
        (vec![(AUDIT_UNUSED_DAYS, "120")], AUDIT_UNUSED_DAYS),
        (
            vec![(AUDIT_USAGE_WINDOW_DAYS, "400")],
            AUDIT_USAGE_WINDOW_DAYS,
        ),
        (
            vec![(AUDIT_CONFIG_JSON, r#"{"unusedDay": 3}"#)],
            AUDIT_CONFIG_JSON,
        ),
        (
            vec![(
                AUDIT_CONFIG_JSON,
                r#"{"permissionRules": [{"code": "x", "severity": "HIGH"}]}"#,
            )],
            AUDIT_CONFIG_JSON,
        ),
        (
            vec![(AUDIT_SEVERITY_OVERRIDES, "UNUSED=urgent")],
            AUDIT_SEVERITY_OVERRIDES,
        ),
        (vec![(AUDIT_USAGE_API, "fast")], AUDIT_USAGE_API),
    ] {
        match env(&pairs) {
            Err(ConfigError::Invalid { name: got, .. }) => assert_eq!(got, name, "{pairs:?}"),
            other => panic!("{pairs:?}: {other:?}"),
        }
    }
}

#[test]
fn sources_no_enabled_code_needs_are_not_read() {
    let c = env(&[]).unwrap();
    assert!(c.needs(Source::Trail) && c.needs(Source::Credentials));
    let c = env(&[(
        AUDIT_DISABLED_CODES,
        "SECRET_RESET_OUTSIDE_CREDGUARD,ADMIN_ACCESS_GRANTED",
    )])
    .unwrap();
    assert!(!c.needs(Source::Trail) && c.needs(Source::Credentials));
    let c = env(&[
        (AUDIT_CREDGUARD_CLIENT_IDS, "a, b"),
        (
            AUDIT_CONFIG_JSON,
            r#"{"credguardClientIds": ["c"], "dueSoonDays": 14}"#,
        ),
    ])
    .unwrap();
    assert_eq!(c.credguard_client_ids.len(), 3);
    assert_eq!(c.due_soon_days, 14);
    for (name, bad) in [
        (AUDIT_TRAIL_FIRST_RUN_DAYS, "31"),
        (AUDIT_SECURITY_HUB_REFRESH_DAYS, "90"),
    ] {
        assert!(
            matches!(env(&[(name, bad)]), Err(ConfigError::Invalid { name: n, .. }) if n == name)
        );
    }
}

#[test]
fn an_emptied_rule_list_disables_the_rule() {
    let c = env(&[(AUDIT_ADMIN_PERMISSIONS, " ")]).unwrap();
    // Blank counts as unset: the default stays.
    assert_eq!(c.permission_rules[0].permissions.len(), 2);
    let c = env(&[(AUDIT_ADMIN_PERMISSIONS, "*:*:*")]).unwrap();
    assert_eq!(c.permission_rules[0].permissions, vec!["*:*:*"]);
}
