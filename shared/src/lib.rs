//! credguard: keeps Genesys Cloud OAuth credentials healthy.
//!
//! The three Lambda functions (rotation, revocation, audit) are thin wiring around this crate:
//! the Genesys Cloud client, the AWS adapters (Secrets Manager, DynamoDB, EventBridge) and the
//! domain logic. Domain modules see only the narrow traits in [`ports`], never an SDK type.

pub mod audit;
pub mod aws;
pub mod backoff;
pub mod clock;
pub mod config;
pub mod credential;
pub mod deadline;
pub mod genesys;
pub mod metrics;
pub mod onboarding;
pub mod ports;
pub mod records;
pub mod redact;
pub mod revocation;
pub mod rotation;
pub mod secret_cache;
pub mod telemetry;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
