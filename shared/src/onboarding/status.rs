//! `credguard status`: one line per managed secret, from tags, Genesys' view of its clients and
//! its latest rotation record. No secret value is read. What is missing (no records table, no
//! Genesys credential) is left unknown and said once, instead of failing the whole view.

use crate::credential::{
    TAG_CLIENT_ID, TAG_LAST_FAILURE, TAG_PARTNER_CLIENT_ID, TAG_RETIRE_AFTER, TAG_STRATEGY,
};
use crate::deadline::Deadline;
use crate::genesys::models::{ClientState, OAuthClient};
use crate::ports::genesys::ClientDirectory;
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, SecretsError};
use crate::records::iso;
use crate::records::rotation::{Outcome, RotationRecord, RotationRecords};
use crate::rotation::alternating::drift;
use crate::rotation::config::RotationConfig;
use crate::rotation::driver::{owned_by_secrets_manager, pending_version};
use crate::rotation::schedule::{self, Basis};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub id: String,
    /// `active`, `disabled`, `inactive`, `missing` (not in Genesys), or `unknown` (not read).
    pub state: String,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastAttempt {
    pub token: String,
    pub trigger: String,
    pub outcome: Outcome,
    pub at: String,
    pub error_code: Option<String>,
    pub step_reached: String,
    pub dependents_updated: Vec<String>,
    pub dependents_failed: Vec<String>,
}

impl From<RotationRecord> for LastAttempt {
    fn from(r: RotationRecord) -> Self {
        Self {
            at: r.finished_at.clone().unwrap_or(r.updated_at.clone()),
            token: r.token,
            trigger: r.trigger,
            outcome: r.outcome,
            error_code: r.error_code,
            step_reached: r.step_reached,
            dependents_updated: r.dependents_updated,
            dependents_failed: r.dependents_failed,
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    pub name: String,
    pub managed: bool,
    pub strategy: String,
    #[serialize_always]
    pub client: Option<ClientView>,
    pub partner: Option<ClientView>,
    /// `rotated`, `adopted` or `notAdopted`: what the rotation clock counts from.
    pub basis: &'static str,
    pub since: Option<String>,
    pub age_days: Option<i64>,
    pub max_age_days: u32,
    pub due_at: Option<String>,
    pub owned_by_secrets_manager: bool,
    pub last_attempt: Option<LastAttempt>,
    pub last_failure: Option<String>,
    pub pending_version: Option<String>,
    /// Alternating: when the previous client is disabled, or `retired`.
    pub retire_after: Option<String>,
    /// Why a human should look (empty when all is well).
    pub attention: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub at: String,
    pub secrets: Vec<SecretStatus>,
    /// Sources that could not be read (the columns they feed are unknown).
    pub warnings: Vec<String>,
}

impl StatusReport {
    pub fn needs_attention(&self) -> bool {
        self.secrets.iter().any(|s| !s.attention.is_empty())
    }
}

/// What the view reads; the records table and Genesys are optional.
pub struct StatusSources<'a, S, R, G> {
    pub secrets: &'a S,
    pub records: Option<&'a R>,
    pub genesys: Option<&'a G>,
    pub config: &'a RotationConfig,
}

impl<S: SecretStore, R: RecordStore, G: ClientDirectory> StatusSources<'_, S, R, G> {
    /// `names`: these secrets (managed or not); empty: every managed secret.
    pub async fn status(
        &self,
        names: &[String],
        now: DateTime<Utc>,
        d: &Deadline,
    ) -> Result<StatusReport, SecretsError> {
        let mut metas = Vec::new();
        if names.is_empty() {
            metas = self.config.managed.list(self.secrets).await?;
        } else {
            for n in names {
                metas.push(self.secrets.describe(n).await?);
            }
        }
        metas.sort_by(|a, b| a.name.cmp(&b.name));
        let mut warnings = Vec::new();
        let clients: Option<HashMap<String, OAuthClient>> = match self.genesys {
            None => {
                warnings.push("no Genesys credential: client states are unknown".into());
                None
            }
            Some(g) => match g.list_clients(d).await {
                Ok(list) => Some(
                    list.into_iter()
                        .map(|c| (c.id.to_ascii_lowercase(), c))
                        .collect(),
                ),
                Err(e) => {
                    warnings.push(format!(
                        "Genesys clients not read ({e}): client states are unknown"
                    ));
                    None
                }
            },
        };
        let repo = self.records.map(RotationRecords::new);
        if repo.is_none() {
            warnings.push("no records table: last rotation outcomes are unknown".into());
        }
        let mut out = Vec::with_capacity(metas.len());
        for meta in metas {
            let last = match &repo {
                Some(repo) => match repo.latest(&meta.name, 1).await {
                    Ok(l) => l.into_iter().next(),
                    Err(e) => {
                        warnings.push(format!("records of {} not read: {e}", meta.name));
                        None
                    }
                },
                None => None,
            };
            out.push(self.one(meta, last, clients.as_ref(), now));
        }
        Ok(StatusReport {
            at: iso(now),
            secrets: out,
            warnings,
        })
    }

    fn one(
        &self,
        meta: SecretMetadata,
        last: Option<RotationRecord>,
        clients: Option<&HashMap<String, OAuthClient>>,
        now: DateTime<Utc>,
    ) -> SecretStatus {
        let config = self.config;
        let mut attention = Vec::new();
        let managed = config.managed.includes(&meta);
        if !managed {
            attention.push("not managed (no managed tag)".to_owned());
        }
        let due = schedule::due(&meta.name, &meta.tags, config);
        let (basis, since) = match due.basis {
            Basis::Rotated(t) => ("rotated", Some(t)),
            Basis::Adopted(t) => ("adopted", Some(t)),
            Basis::NotAdopted => ("notAdopted", None),
        };
        let sm = owned_by_secrets_manager(&meta);
        if let Some(at) = due.at.filter(|at| *at < now && !sm) {
            attention.push(format!("overdue since {}", iso(at)));
        }
        let view = |id: &str| -> (ClientView, Option<&OAuthClient>) {
            let found = clients.and_then(|m| m.get(&id.to_ascii_lowercase()));
            let state = match (clients, found) {
                (None, _) => "unknown".to_owned(),
                (Some(_), None) => "missing".to_owned(),
                (Some(_), Some(c)) => c.state().to_string(),
            };
            (
                ClientView {
                    id: id.to_owned(),
                    state,
                },
                found,
            )
        };
        let client = meta.tags.get(TAG_CLIENT_ID).map(|id| view(id));
        let partner = meta.tags.get(TAG_PARTNER_CLIENT_ID).map(|id| view(id));
        match &client {
            None => attention.push(format!("no {TAG_CLIENT_ID} tag")),
            Some((v, _)) if v.state == "missing" => {
                attention.push(format!("client {} does not exist in Genesys", v.id))
            }
            Some((v, Some(c))) if c.state() != ClientState::Active => {
                attention.push(format!("client {} is {}", v.id, v.state))
            }
            _ => {}
        }
        if let Some((v, p)) = &partner {
            match (p, &client) {
                (None, _) if v.state == "missing" => {
                    attention.push(format!("partner {} does not exist in Genesys", v.id))
                }
                (Some(p), _) if p.state() == ClientState::Inactive => {
                    attention.push(format!("partner {} is being deleted", v.id))
                }
                (Some(p), Some((_, Some(c)))) => {
                    if let Some(why) = drift(c, p) {
                        attention.push(format!("partner drift: {why}"));
                    }
                }
                _ => {}
            }
        }
        let pending = pending_version(&meta).map(str::to_owned);
        let last = last.map(LastAttempt::from);
        if let Some(l) = &last {
            if l.outcome == Outcome::Failed {
                attention.push(format!(
                    "last attempt failed: {}",
                    l.error_code.clone().unwrap_or_default()
                ));
            }
            if !l.dependents_failed.is_empty() {
                attention.push(format!(
                    "dependents not updated: {}",
                    l.dependents_failed.join(", ")
                ));
            }
            let stalled = chrono::Duration::from_std(config.stuck_after).unwrap_or_default();
            if l.outcome == Outcome::InProgress
                && schedule::parse_time(&l.at).is_some_and(|t| now - t > stalled)
            {
                attention.push(format!("attempt {} has not moved since {}", l.token, l.at));
            }
        }
        SecretStatus {
            strategy: meta
                .tags
                .get(TAG_STRATEGY)
                .cloned()
                .unwrap_or_else(|| "-".into()),
            client: client.map(|(v, _)| v),
            partner: partner.map(|(v, _)| v),
            basis,
            since: since.map(iso),
            age_days: since.map(|t| (now - t).num_days()),
            max_age_days: due.max_age_days,
            due_at: due.at.map(iso),
            owned_by_secrets_manager: sm,
            last_attempt: last,
            last_failure: meta
                .tags
                .get(TAG_LAST_FAILURE)
                .filter(|v| !v.is_empty())
                .cloned(),
            pending_version: pending,
            retire_after: meta
                .tags
                .get(TAG_RETIRE_AFTER)
                .filter(|v| !v.is_empty())
                .cloned(),
            attention,
            managed,
            name: meta.name,
        }
    }
}
