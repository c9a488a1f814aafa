//! Findings into a findings hub (AWS Security Hub), when one is configured. Every finding of a
//! run has an id stable per subject and code; it is imported when new, changed (its digest), or
//! due for a refresh (Security Hub drops findings not updated for 90 days). Findings the run
//! resolved are archived and marked resolved. A failure makes the run partial, so the retry
//! imports again.

use super::changes::{HubState, PrevFinding};
use super::findings::{Finding, Subject};
use crate::ports::events::Severity;
use crate::ports::security_hub::{
    FindingsHub, HubFinding, HubRejection, HubResource, ResourceKind,
};
use crate::records::audit::{run_pk, FindingRecord};
use crate::records::iso;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

use crate::ports::security_hub::FINDINGS_PER_CALL as BATCH;
/// Evidence that moves every day without the finding changing: left out of the digest, so a
/// finding is not imported again for it (the refresh brings it up to date).
const VOLATILE: [&str; 5] = [
    "idleDays",
    "idleDaysAtLeast",
    "ageDays",
    "dueInHours",
    "overdueHours",
];

/// A configured hub: the port, and how this deployment names its findings there.
pub struct Hub<'a> {
    pub port: &'a dyn FindingsHub,
    /// Ids are `<id_prefix>/<subject>/<code>` (the records table makes them unique per stack).
    pub id_prefix: String,
    pub records_table: String,
}

impl Hub<'_> {
    pub fn finding_id(&self, subject: &str, code: &str) -> String {
        format!("{}/{subject}/{code}", self.id_prefix)
    }
}

/// The managed secrets (name, ARN) holding each client: resources of its findings.
pub type SecretsByClient = HashMap<String, Vec<(String, String)>>;

fn client_resource(id: &str, name: Option<&str>) -> HubResource {
    let mut details = BTreeMap::from([("clientId".to_owned(), id.to_owned())]);
    if let Some(n) = name {
        details.insert("clientName".into(), n.to_owned());
    }
    HubResource {
        kind: ResourceKind::Other,
        id: format!("genesys:oauth-client:{id}"),
        details,
    }
}

fn secret_resource(name: &str, arn: Option<&str>) -> HubResource {
    let details = BTreeMap::from([("secretName".to_owned(), name.to_owned())]);
    match arn.filter(|a| a.starts_with("arn:")) {
        Some(arn) => HubResource {
            kind: ResourceKind::SecretsManagerSecret,
            id: arn.to_owned(),
            details,
        },
        None => HubResource {
            kind: ResourceKind::Other,
            id: format!("secretsmanager:secret:{name}"),
            details,
        },
    }
}

fn credential_resource(id: &str, name: &str) -> HubResource {
    HubResource {
        kind: ResourceKind::Other,
        id: format!("genesys:integration-credential:{id}"),
        details: BTreeMap::from([
            ("credentialId".to_owned(), id.to_owned()),
            ("credentialName".to_owned(), name.to_owned()),
        ]),
    }
}

/// The resources a finding names: its subject, the client it concerns, the managed secrets.
fn resources(subject: &Subject, secrets: &SecretsByClient) -> Vec<HubResource> {
    let mut out = match subject {
        Subject::Client { id, name } => vec![client_resource(id, Some(name))],
        Subject::Secret { name, arn, .. } => vec![secret_resource(name, Some(arn))],
        Subject::Credential { id, name, .. } => vec![credential_resource(id, name)],
    };
    if let Some(client) = subject.client_id() {
        if !matches!(subject, Subject::Client { .. }) {
            out.push(client_resource(client, None));
        }
        for (name, arn) in secrets.get(client).into_iter().flatten() {
            if !matches!(subject, Subject::Secret { name: n, .. } if n == name) {
                out.push(secret_resource(name, Some(arn)));
            }
        }
    }
    // The service takes at most 32 resources.
    out.truncate(32);
    out
}

/// The day a run id names, as the time an issue was first seen.
fn run_day(run_id: &str) -> DateTime<Utc> {
    run_id
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.and_utc())
}

fn types(code: &str) -> Vec<String> {
    vec![format!(
        "Software and Configuration Checks/Genesys Cloud OAuth/{code}"
    )]
}

/// What a finding record says about the hub.
pub struct HubFields {
    pub id: String,
    pub digest: String,
    pub imported_at: String,
}

pub(super) struct HubSync<'a> {
    hub: Option<&'a Hub<'a>>,
    secrets: SecretsByClient,
    run_id: String,
    now: DateTime<Utc>,
    refresh: Duration,
    pending: Vec<HubFinding>,
    to_resolve: Vec<String>,
    pub imported: u64,
    pub unchanged: u64,
    pub archived: u64,
    /// What went wrong (for the run's `missing`).
    pub failures: Vec<String>,
}

impl<'a> HubSync<'a> {
    pub fn new(
        hub: Option<&'a Hub<'a>>,
        secrets: SecretsByClient,
        run_id: &str,
        now: DateTime<Utc>,
        refresh_days: u32,
    ) -> Self {
        Self {
            hub,
            secrets,
            run_id: run_id.to_owned(),
            now,
            refresh: Duration::days(i64::from(refresh_days)),
            pending: Vec::new(),
            to_resolve: Vec::new(),
            imported: 0,
            unchanged: 0,
            archived: 0,
            failures: Vec::new(),
        }
    }

    fn source(
        &self,
        hub: &Hub<'_>,
        sk: &str,
        code: &str,
        first_seen: &str,
    ) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "credguard/recordsTable".to_owned(),
                hub.records_table.clone(),
            ),
            ("credguard/runId".to_owned(), self.run_id.clone()),
            ("credguard/pk".to_owned(), run_pk(&self.run_id)),
            ("credguard/sk".to_owned(), sk.to_owned()),
            ("credguard/code".to_owned(), code.to_owned()),
            ("credguard/firstSeenRunId".to_owned(), first_seen.to_owned()),
        ])
    }

    /// Queues `f` when new, changed or due for a refresh; says what its record keeps.
    pub async fn finding(
        &mut self,
        f: &Finding,
        rec: &FindingRecord,
        before: &HubState,
    ) -> Option<HubFields> {
        let hub = self.hub?;
        let resources = resources(&f.subject, &self.secrets);
        let description = format!("{}. Evidence: {}", f.title, f.evidence);
        let digest: String = {
            let mut stable = f.evidence.clone();
            if let Some(e) = stable.as_object_mut() {
                e.retain(|k, _| !VOLATILE.contains(&k.as_str()));
            }
            let content = json!([
                f.title,
                f.severity.as_str(),
                stable,
                f.remediation,
                resources.iter().map(|r| &r.id).collect::<Vec<_>>()
            ]);
            Sha256::digest(content.to_string().as_bytes())[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let id = hub.finding_id(&rec.subject, &f.code);
        let recent = before.imported_at.as_deref().filter(|t| {
            DateTime::parse_from_rfc3339(t)
                .is_ok_and(|t| self.now - t.with_timezone(&Utc) < self.refresh)
        });
        if let (Some(d), Some(at)) = (&before.digest, recent) {
            if *d == digest {
                self.unchanged += 1;
                return Some(HubFields {
                    id,
                    digest,
                    imported_at: at.to_owned(),
                });
            }
        }
        let fields = HubFields {
            id,
            digest,
            imported_at: iso(self.now),
        };
        self.pending.push(HubFinding {
            id: fields.id.clone(),
            generator_id: format!("credguard-audit/{}", f.code),
            types: types(&f.code),
            title: f.title.clone(),
            description,
            severity: f.severity,
            remediation: f.remediation.clone(),
            first_seen_at: run_day(&rec.first_seen_run_id),
            updated_at: self.now,
            resources,
            source: self.source(hub, &rec.item.sk, &f.code, &rec.first_seen_run_id),
            active: true,
        });
        self.imported += 1;
        if self.pending.len() >= BATCH {
            self.flush().await;
        }
        Some(fields)
    }

    /// Archives and resolves a finding the previous run raised and this one does not, if it
    /// was imported.
    pub async fn resolved(&mut self, prev: &PrevFinding) {
        let Some(hub) = self.hub else { return };
        if prev.hub.imported_at.is_none() {
            return;
        }
        let subject = match prev.subject_type.as_str() {
            "secret" => Subject::Secret {
                name: prev.name.clone().unwrap_or_default(),
                arn: prev.secret_arn.clone().unwrap_or_default(),
                client_id: prev.client_id.clone(),
            },
            "credential" => Subject::Credential {
                id: prev.subject.trim_start_matches("credential:").to_owned(),
                name: prev.name.clone().unwrap_or_default(),
                client_id: prev.client_id.clone(),
            },
            _ => Subject::Client {
                id: prev.client_id.clone().unwrap_or_default(),
                name: prev.name.clone().unwrap_or_default(),
            },
        };
        let id = hub.finding_id(&prev.subject, &prev.code);
        let sk = crate::records::audit::finding_sk(&prev.subject, &prev.code);
        self.pending.push(HubFinding {
            id: id.clone(),
            generator_id: format!("credguard-audit/{}", prev.code),
            types: types(&prev.code),
            title: prev.title.clone(),
            description: format!(
                "{}. Resolved: the audit run {} no longer raises it.",
                prev.title, self.run_id
            ),
            severity: prev.severity.unwrap_or(Severity::Info),
            remediation: "None: resolved.".into(),
            first_seen_at: run_day(&prev.first_seen_run_id),
            updated_at: self.now,
            resources: resources(&subject, &self.secrets),
            source: self.source(hub, &sk, &prev.code, &prev.first_seen_run_id),
            active: false,
        });
        self.to_resolve.push(id);
        self.archived += 1;
        if self.pending.len() >= BATCH {
            self.flush().await;
        }
    }

    fn rejected(&mut self, what: &str, r: Vec<HubRejection>) {
        if let Some(first) = r.first() {
            self.failures.push(format!(
                "securityHub: {} findings not {what} (e.g. {}: {} {})",
                r.len(),
                first.id,
                first.code,
                first.message
            ));
        }
    }

    async fn flush(&mut self) {
        let Some(hub) = self.hub else { return };
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.pending);
        match hub.port.import(batch).await {
            Ok(r) => self.rejected("imported", r),
            Err(e) => self
                .failures
                .push(format!("securityHub: import failed ({e})")),
        }
    }

    /// Imports what is queued, then resolves the archived findings' workflow.
    pub async fn finish(&mut self) {
        self.flush().await;
        let Some(hub) = self.hub else { return };
        if self.to_resolve.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.to_resolve);
        match hub.port.resolve(ids).await {
            Ok(r) => self.rejected("resolved", r),
            Err(e) => self
                .failures
                .push(format!("securityHub: resolving failed ({e})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(evidence: serde_json::Value) -> Finding {
        Finding {
            subject: Subject::Client {
                id: "c1".into(),
                name: "idle".into(),
            },
            code: "UNUSED".into(),
            severity: Severity::Medium,
            title: "Client unused".into(),
            evidence,
            remediation: "Disable it.".into(),
            source: super::super::findings::Source::Usage,
        }
    }

    #[tokio::test]
    async fn a_finding_whose_counters_moved_is_not_imported_again() {
        let memory = super::super::testing::MemoryHub::default();
        let hub = Hub {
            port: &memory,
            id_prefix: "p".into(),
            records_table: "t".into(),
        };
        let now = Utc::now();
        let rec = FindingRecord {
            subject: "client:c1".into(),
            first_seen_run_id: "2026-11-20".into(),
            ..FindingRecord::default()
        };
        let mut day1 = HubSync::new(Some(&hub), SecretsByClient::new(), "2026-11-20", now, 30);
        let first = day1
            .finding(
                &finding(json!({"idleDays": 40, "lastUsedDate": "2026-10-01"})),
                &rec,
                &HubState::default(),
            )
            .await
            .unwrap();
        let before = HubState {
            digest: Some(first.digest.clone()),
            imported_at: Some(first.imported_at.clone()),
        };
        let mut day2 = HubSync::new(
            Some(&hub),
            SecretsByClient::new(),
            "2026-11-21",
            now + Duration::days(1),
            30,
        );
        let second = day2
            .finding(
                &finding(json!({"idleDays": 41, "lastUsedDate": "2026-10-01"})),
                &rec,
                &before,
            )
            .await
            .unwrap();
        assert_eq!(
            (second.digest, second.imported_at, day2.unchanged),
            (first.digest.clone(), first.imported_at, 1)
        );
        let third = day2
            .finding(
                &finding(json!({"idleDays": 41, "lastUsedDate": "2026-10-02"})),
                &rec,
                &before,
            )
            .await
            .unwrap();
        assert_ne!(third.digest, first.digest, "a real change");
    }

    #[test]
    fn findings_name_the_client_and_the_managed_secret() {
        let secrets: SecretsByClient = HashMap::from([(
            "c1".to_owned(),
            vec![(
                "team/a".to_owned(),
                "arn:aws:secretsmanager:eu-west-1:1:secret:team/a".to_owned(),
            )],
        )]);
        let client = Subject::Client {
            id: "c1".into(),
            name: "payments".into(),
        };
        let r = resources(&client, &secrets);
        assert_eq!(r[0].id, "genesys:oauth-client:c1");
        assert_eq!(r[0].details["clientName"], "payments");
        assert_eq!(r[1].kind, ResourceKind::SecretsManagerSecret);
        let secret = Subject::Secret {
            name: "team/a".into(),
            arn: "arn:aws:secretsmanager:eu-west-1:1:secret:team/a".into(),
            client_id: Some("c1".into()),
        };
        let r = resources(&secret, &secrets);
        assert_eq!(r.len(), 2, "the secret once, and its client: {r:?}");
        assert_eq!(
            run_day("2026-11-21T13-manual").to_rfc3339(),
            "2026-11-21T00:00:00+00:00"
        );
    }
}
