//! credguard: keeps Genesys Cloud OAuth credentials healthy.
//!
//! The three Lambda functions (rotation, revocation, audit) are thin wiring around this crate:
//! the Genesys Cloud client, the AWS adapters (Secrets Manager, DynamoDB, EventBridge) and the
//! domain logic. Domain modules see only the narrow traits in [`ports`], never an SDK type.
//! The `credguard` CLI (`tools/cli`) is a fourth front end on the same use cases.
//!
//! One job per module:
//!
//! | module | its job |
//! |---|---|
//! | [`rotation`] | the rotation state machine: its invariants, strategies, the sweep, rotate now |
//! | [`revocation`] | the revocation API: routes, request parsing, checks, actions, background bulk |
//! | [`audit`] | the nightly audit: collect, rules, compare with the previous run, record, announce |
//! | [`onboarding`] | adopting a client as a managed secret, and the status view (the CLI's use cases) |
//! | [`genesys`] | the Genesys Cloud client: regions, tokens, request policy, pacer, operations, models |
//! | [`ports`] | the narrow traits the use cases reach the outside world through |
//! | [`aws`] | the AWS adapters behind those traits (Secrets Manager, DynamoDB, EventBridge, Lambda, Security Hub, CloudFormation) |
//! | [`records`] | the DynamoDB items (rotation attempts, revocations, audit runs, leases, idempotency keys) |
//! | [`credential`] | the managed secret's JSON document and its tags |
//! | [`secret_cache`] | `AWSCURRENT` values cached across warm invocations; the admin credential source |
//! | [`config`] | reading settings from the environment, with typed errors |
//! | [`wiring`] | what every function's `main` builds first: SDK configuration, Secrets Manager, records, the admin's Genesys client |
//! | [`telemetry`], [`metrics`] | logs (dependencies capped at INFO) and CloudWatch metrics as log lines |
//! | [`clock`], [`deadline`], [`backoff`] | time: a clock tests can move, invocation budgets, retry delays |
//! | [`redact`] | secret values that cannot be printed |

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
pub mod wiring;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
