//! The audit: a nightly inventory of every OAuth client, what it can do, whether it is used,
//! whether its credential is managed and fresh, who changed it, and what changed since the
//! previous run. Findings are recorded in DynamoDB for auditors (`docs/audit.md`,
//! `infra/DATA-MODEL.md`) and optionally imported into Security Hub.
//!
//! - [`collect`]: clients, roles (in batches), scopes, org-wide usage, the audit trail, OAuth
//!   integration credentials, managed secrets and their recent rotation records; never a
//!   secret value;
//! - [`rules`] raise [`findings`] (stable codes, texts and dated platform rules in the
//!   [`catalogue`]) under [`config`] (thresholds, patterns); [`trail`]: who made a change;
//! - [`changes`]: comparison with the previous complete run;
//! - [`run`]: one idempotent run (records, events, partial failures), taking [`request`]s and
//!   returning a [`summary`]; inside it a pass (`produce`) evaluates and writes through the
//!   batch `writer`, counting in a `tally`, with items shaped by `mapping`; [`error`].

pub mod catalogue;
pub mod changes;
pub mod collect;
pub mod config;
pub mod error;
pub mod events;
pub mod findings;
pub mod hub;
mod mapping;
pub mod permissions;
mod produce;
pub mod request;
pub mod rules;
pub mod run;
pub mod summary;
mod tally;
pub mod trail;
mod writer;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;

pub use config::AuditConfig;
pub use error::AuditError;
pub use findings::{Finding, Source, Subject};
pub use run::{
    run_audit, AuditGenesys, AuditRequest, Hub, Ports, RequestMeter, RunId, RunSummary, RunTrigger,
};
