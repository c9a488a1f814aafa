//! Usage findings: unused and never-used clients, from the org-wide usage window.

use super::Rules;
use crate::audit::findings::{codes, Finding, Subject};
use crate::genesys::models::OAuthClient;
use crate::genesys::UsageSummary;
use serde_json::json;

impl Rules<'_> {
    pub(super) fn usage_finding(
        &self,
        subject: &Subject,
        c: &OAuthClient,
        usage: Option<&UsageSummary>,
    ) -> Option<Finding> {
        let window = &self.inv.window;
        let window_days = self.cfg.usage_window_days;
        match usage.and_then(|u| u.last_used) {
            Some(last) => {
                let idle = (self.today - last).num_days();
                (idle > i64::from(self.cfg.unused_days)).then(|| {
                    self.finding(
                        subject,
                        codes::UNUSED,
                        json!({"lastUsedDate": last.to_string(), "idleDays": idle, "policyDays": self.cfg.unused_days}),
                    )
                })?
            }
            None => {
                let created = c.date_created.map(|t| t.date_naive());
                match created {
                    // The window saw the client's whole life: it was never used.
                    Some(created) if created >= window.first_day => {
                        let age = (self.today - created).num_days();
                        (age >= i64::from(self.cfg.new_client_grace_days)).then(|| {
                            self.finding(
                                subject,
                                codes::NEVER_USED,
                                json!({"dateCreated": created.to_string(), "ageDays": age, "usageWindowDays": window_days}),
                            )
                        })?
                    }
                    // Older than the window: unused for the whole window at least.
                    _ => self.finding(
                        subject,
                        codes::UNUSED,
                        json!({"lastUsedDate": null, "idleDaysAtLeast": window_days, "policyDays": self.cfg.unused_days,
                               "dateCreated": created.map(|d| d.to_string())}),
                    ),
                }
            }
        }
    }
}
