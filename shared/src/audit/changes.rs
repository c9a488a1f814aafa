//! Change detection against the previous complete run: clients added and removed, access
//! changed (roles, divisions or scopes), findings new and resolved, severities changed.
//!
//! The previous run is loaded as a compact snapshot (ids, access lists, finding keys, and the
//! evidence of the findings a rule carries forward); entries are crossed off as the current run
//! observes them, and what is left at the end was removed or resolved. A finding is only
//! reported resolved when the current run had the data behind it.

use super::catalogue::codes;
use super::findings::{Finding, Source};
use crate::ports::events::Severity;
use crate::ports::records::{RecordStore, StoreError};
use crate::records::audit::{
    AuditRecords, ClientRecord, FindingRecord, CLIENT_PREFIX, FINDING_PREFIX,
};
use crate::records::from_item;
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    ClientAdded,
    ClientRemoved,
    AccessChanged,
    FindingNew,
    FindingResolved,
    SeverityChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientAdded => "CLIENT_ADDED",
            Self::ClientRemoved => "CLIENT_REMOVED",
            Self::AccessChanged => "ACCESS_CHANGED",
            Self::FindingNew => "FINDING_NEW",
            Self::FindingResolved => "FINDING_RESOLVED",
            Self::SeverityChanged => "SEVERITY_CHANGED",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    /// `client:<id>` or `secret:<name>`.
    pub subject: String,
    pub subject_type: String,
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub code: Option<String>,
    pub severity: Option<Severity>,
    pub previous_severity: Option<Severity>,
    pub detail: Value,
    /// Who made it, from Genesys's audit trail (client changes, when the trail names someone).
    pub actor: Option<Actor>,
}

/// Who made a change, as the audit trail tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub event_id: String,
    pub at: String,
    pub action: String,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub client_id: Option<String>,
    pub by_credguard: bool,
}

/// Codes whose findings a rule may carry forward from the previous run (their evidence is
/// loaded with the baseline).
pub const CARRIED_CODES: [&str; 2] = [
    codes::SECRET_RESET_OUTSIDE_CREDGUARD,
    codes::ADMIN_ACCESS_GRANTED,
];

/// What the previous complete run leaves the rules: whether there was one, and the evidence of
/// its findings of [`CARRIED_CODES`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Carried {
    pub baseline: bool,
    /// Keyed by `<subject>#<code>`.
    evidence: HashMap<String, Value>,
}

impl Carried {
    pub fn evidence(&self, subject: &str, code: &str) -> Option<&Value> {
        self.evidence.get(&format!("{subject}#{code}"))
    }
}

/// What the previous run did with a finding in Security Hub.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HubState {
    pub digest: Option<String>,
    pub imported_at: Option<String>,
}

/// What a client could do, as comparable strings: `role:<roleId>@<divisionId>`, `scope:<id>`.
pub fn access_of(client: &crate::genesys::models::OAuthClient) -> Vec<String> {
    let mut access: Vec<String> = client
        .role_divisions
        .iter()
        .map(|rd| format!("role:{}@{}", rd.role_id, rd.division_id))
        .chain(client.role_ids.iter().map(|r| format!("role:{r}")))
        .chain(client.scope.iter().map(|s| format!("scope:{s}")))
        .collect();
    access.sort();
    access.dedup();
    access
}

struct PrevClient {
    name: String,
    access: Vec<String>,
}

pub struct PrevFinding {
    pub subject: String,
    pub subject_type: String,
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub secret_arn: Option<String>,
    pub code: String,
    pub title: String,
    pub severity: Option<Severity>,
    source: Option<Source>,
    pub first_seen_run_id: String,
    pub hub: HubState,
}

/// The previous complete run, reduced to what comparison needs.
pub struct Baseline {
    pub run_id: String,
    clients: HashMap<String, PrevClient>,
    /// Keyed by `<subject>#<code>`.
    findings: HashMap<String, PrevFinding>,
    carried: Carried,
}

fn severity(raw: &str) -> Option<Severity> {
    super::config::parse_severity(raw).ok()
}

impl Baseline {
    pub async fn load<S: RecordStore>(
        repo: &AuditRecords<'_, S>,
        run_id: &str,
    ) -> Result<Self, StoreError> {
        let mut clients = HashMap::new();
        repo.for_each(run_id, CLIENT_PREFIX, |item| {
            let c: ClientRecord = from_item(item)?;
            let mut access: Vec<String> = c
                .role_divisions
                .iter()
                .map(|r| format!("role:{r}"))
                .collect();
            access.extend(c.scopes.iter().map(|s| format!("scope:{s}")));
            access.sort();
            access.dedup();
            clients.insert(
                c.client_id,
                PrevClient {
                    name: c.name,
                    access,
                },
            );
            Ok(())
        })
        .await?;
        let mut findings = HashMap::new();
        let mut carried = HashMap::new();
        repo.for_each(run_id, FINDING_PREFIX, |item| {
            let f: FindingRecord = from_item(item)?;
            let key = format!("{}#{}", f.subject, f.code);
            if CARRIED_CODES.contains(&f.code.as_str()) {
                if let Ok(e) = serde_json::from_str(&f.evidence) {
                    carried.insert(key.clone(), e);
                }
            }
            findings.insert(
                key,
                PrevFinding {
                    severity: severity(&f.severity),
                    source: Source::parse(&f.source),
                    name: f.client_name.or(f.secret_name).or(f.credential_name),
                    subject: f.subject,
                    subject_type: f.subject_type,
                    client_id: f.client_id,
                    secret_arn: f.secret_arn,
                    code: f.code,
                    title: f.title,
                    first_seen_run_id: f.first_seen_run_id,
                    hub: HubState {
                        digest: f.hub_digest,
                        imported_at: f.hub_imported_at,
                    },
                },
            );
            Ok(())
        })
        .await?;
        Ok(Self {
            run_id: run_id.to_owned(),
            clients,
            findings,
            carried: Carried {
                baseline: true,
                evidence: carried,
            },
        })
    }

    /// What the rules may carry forward (taken out; the comparison does not need it).
    pub fn take_carried(&mut self) -> Carried {
        std::mem::take(&mut self.carried)
    }
}

/// What the current run learns about a finding from the previous one.
pub struct FindingHistory {
    pub first_seen_run_id: String,
    pub is_new: bool,
    pub change: Option<Change>,
    /// What the previous run did with it in Security Hub.
    pub hub: HubState,
}

/// What [`Differ::finish`] leaves: the changes, and the findings that were resolved (for
/// Security Hub to archive).
pub struct Finished {
    pub changes: Vec<Change>,
    pub resolved: Vec<PrevFinding>,
}

pub struct Differ {
    baseline: Option<Baseline>,
}

impl Differ {
    pub fn new(baseline: Option<Baseline>) -> Self {
        Self { baseline }
    }

    /// A client of the current run: added, or its access changed.
    pub fn client(&mut self, id: &str, name: &str, access: &[String]) -> Option<Change> {
        let b = self.baseline.as_mut()?;
        let change = |kind, detail| Change {
            kind,
            subject: format!("client:{id}"),
            subject_type: "client".into(),
            client_id: Some(id.to_owned()),
            name: Some(name.to_owned()),
            code: None,
            severity: None,
            previous_severity: None,
            detail,
            actor: None,
        };
        match b.clients.remove(id) {
            None => Some(change(ChangeKind::ClientAdded, json!({"access": access}))),
            Some(prev) if prev.access != access => {
                let added: Vec<&String> =
                    access.iter().filter(|a| !prev.access.contains(a)).collect();
                let removed: Vec<&String> =
                    prev.access.iter().filter(|a| !access.contains(a)).collect();
                Some(change(
                    ChangeKind::AccessChanged,
                    json!({"added": added, "removed": removed, "previousName": prev.name}),
                ))
            }
            Some(_) => None,
        }
    }

    pub fn finding(&mut self, f: &Finding, run_id: &str) -> FindingHistory {
        let Some(b) = self.baseline.as_mut() else {
            return FindingHistory {
                first_seen_run_id: run_id.to_owned(),
                is_new: true,
                change: None,
                hub: HubState::default(),
            };
        };
        let subject = f.subject.key();
        let change = |kind, previous_severity, detail| Change {
            kind,
            subject: subject.clone(),
            subject_type: f.subject.kind().into(),
            client_id: f.subject.client_id().map(str::to_owned),
            name: Some(f.subject.name().to_owned()),
            code: Some(f.code.clone()),
            severity: Some(f.severity),
            previous_severity,
            detail,
            actor: None,
        };
        match b.findings.remove(&format!("{subject}#{}", f.code)) {
            None => FindingHistory {
                first_seen_run_id: run_id.to_owned(),
                is_new: true,
                change: Some(change(
                    ChangeKind::FindingNew,
                    None,
                    json!({"title": f.title, "evidence": f.evidence}),
                )),
                hub: HubState::default(),
            },
            Some(prev) => FindingHistory {
                change: (prev.severity != Some(f.severity)).then(|| {
                    change(
                        ChangeKind::SeverityChanged,
                        prev.severity,
                        json!({"title": f.title}),
                    )
                }),
                first_seen_run_id: if prev.first_seen_run_id.is_empty() {
                    b.run_id.clone()
                } else {
                    prev.first_seen_run_id
                },
                is_new: false,
                hub: prev.hub,
            },
        }
    }

    /// Clients and findings of the previous run the current one did not see. `complete` says
    /// whether the current run had a source: without it, absence proves nothing.
    pub fn finish(self, complete: impl Fn(Source) -> bool) -> Finished {
        let Some(b) = self.baseline else {
            return Finished {
                changes: vec![],
                resolved: vec![],
            };
        };
        let mut resolved = Vec::new();
        let mut out = Vec::new();
        let removed: std::collections::HashSet<String> = b.clients.keys().cloned().collect();
        for (id, prev) in b.clients {
            out.push(Change {
                kind: ChangeKind::ClientRemoved,
                subject: format!("client:{id}"),
                subject_type: "client".into(),
                client_id: Some(id),
                name: Some(prev.name),
                code: None,
                severity: None,
                previous_severity: None,
                detail: json!({"access": prev.access}),
                actor: None,
            });
        }
        for (_, prev) in b.findings {
            let subject_gone = prev.subject_type == "client"
                && prev
                    .client_id
                    .as_ref()
                    .is_some_and(|id| removed.contains(id));
            if !subject_gone && !prev.source.is_none_or(&complete) {
                continue;
            }
            out.push(Change {
                kind: ChangeKind::FindingResolved,
                subject: prev.subject.clone(),
                subject_type: prev.subject_type.clone(),
                client_id: prev.client_id.clone(),
                name: prev.name.clone(),
                code: Some(prev.code.clone()),
                severity: None,
                previous_severity: prev.severity,
                detail: json!({"firstSeenRunId": prev.first_seen_run_id, "clientRemoved": subject_gone}),
                actor: None,
            });
            resolved.push(prev);
        }
        out.sort_by(|a, b| {
            (a.kind.as_str(), &a.subject, &a.code).cmp(&(b.kind.as_str(), &b.subject, &b.code))
        });
        Finished {
            changes: out,
            resolved,
        }
    }
}
