//! credguard: keeps Genesys Cloud OAuth credentials healthy.
//!
//! The three Lambda functions (rotation, revocation, audit) are thin wiring around this crate:
//! the Genesys Cloud client, the AWS adapters (Secrets Manager, DynamoDB, EventBridge) and the
//! domain logic. Domain modules see only the narrow traits in [`ports`], never an SDK type.

pub mod config;
pub mod deadline;
pub mod genesys;
pub mod ports;
pub mod redact;
pub mod telemetry;
