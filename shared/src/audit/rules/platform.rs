//! Dated platform rules: the catalogue says which grant type, from which dates, how severe; this
//! code only matches clients against it.

use super::Rules;
use crate::audit::catalogue::{PlatformRule, PLATFORM_RULES};
use crate::audit::findings::{builtin, Finding, Subject};
use crate::genesys::models::{GrantType, OAuthClient};
use crate::ports::events::Severity;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};

/// The severity `rule` has on `today`, and the date it has it since.
fn severity_on(rule: &PlatformRule, today: NaiveDate) -> (Severity, &'static str) {
    let passed = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok_and(|d| d <= today);
    let first = rule.severity_from[0];
    let (since, sev) = rule
        .severity_from
        .iter()
        .rev()
        .find(|(d, _)| passed(d))
        .copied()
        .unwrap_or(first);
    (sev, since)
}

impl Rules<'_> {
    pub(super) fn platform(&self, subject: &Subject, c: &OAuthClient) -> Vec<Finding> {
        PLATFORM_RULES
            .iter()
            .filter(|r| self.cfg.enabled(r.code))
            .filter(|r| GrantType::parse(r.grant_type) == c.authorized_grant_type)
            .map(|r| {
                let (severity, since) = severity_on(r, self.today);
                let mut evidence: Map<String, Value> = r
                    .facts
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                evidence.insert("grantType".into(), json!(c.authorized_grant_type.as_str()));
                evidence.insert("severitySince".into(), json!(since));
                let info = builtin(r.code);
                Finding {
                    subject: subject.clone(),
                    code: r.code.to_owned(),
                    severity: self.cfg.severity_of(r.code, severity),
                    title: info.title.to_owned(),
                    evidence: Value::Object(evidence),
                    remediation: info.remediation.to_owned(),
                    source: info.source,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_implicit_grant_rule_grows_more_severe_as_its_dates_pass() {
        let rule = &PLATFORM_RULES[0];
        let on = |d: &str| severity_on(rule, d.parse().unwrap());
        assert_eq!(
            on("2025-06-01"),
            (Severity::Medium, "2026-03-01"),
            "announced"
        );
        assert_eq!(on("2026-05-01"), (Severity::Medium, "2026-03-01"));
        assert_eq!(on("2026-12-01"), (Severity::High, "2026-12-01"));
        assert_eq!(on("2027-03-01"), (Severity::Critical, "2027-03-01"));
    }
}
