//! Rotation of Genesys OAuth client secrets, safely. Module map:
//!
//! - [`protocol`]: the four-step protocol's entry (`Rotator::run_step`), its guard, and where
//!   each step's outcome is recorded; `attempt`: what an execution knows of one attempt;
//!   `finish`: the switch of `AWSCURRENT`;
//! - [`regenerate`], [`alternating`]: the two strategies; `dependents`: integration credentials
//!   that follow a rotation; `verify`: proving a credential works; `clients`: Genesys client calls
//!   both use;
//! - [`driver`]: our own drivers of the steps ("rotate now" and the sweep's work on one secret);
//!   [`sweep`]: the schedule; [`schedule`]: when a secret is due; `retire`: the previous client
//!   of a pair; `lease`: one execution per secret;
//! - [`event`]: what invokes the function; [`report`]: what it answers; [`events`]: security
//!   events; [`ports`]: what a rotation works through (Genesys operations, the ports as one
//!   bundle); [`error`], [`config`].
//!
//! # Invariants
//!
//! Whatever the interleaving of triggers (schedule, Secrets Manager, rotate now, the
//! revocation API's emergency rotation), crashes and Genesys faults, these hold. Each is
//! enforced in one place, and `functions/rotation/tests/interleavings.rs` checks them after
//! every operation of generated sequences.
//!
//! 1. **The live client is never disabled by retirement.** The client named by the
//!    `AWSCURRENT` document is never the target of a retirement; `retire::disable_previous`,
//!    the only code that retires, refuses it, reading that document under the lease. An
//!    alternating rotation never regenerates the live client (`alternating::regenerate_idle`).
//! 2. **Alternating is zero-downtime.** `AWSCURRENT` moves only to a credential proven to
//!    obtain a token (`finish`), and the previous client keeps working until
//!    retired; so at every instant the credential in `AWSCURRENT` obtains a token.
//! 3. **Nothing is lost.** A regenerated secret is stored as `AWSPENDING` before anything
//!    else happens, and the intent is recorded before the call; at most a bounded number of
//!    `POST …/secret` (or partner creates) are made per attempt, counted in its record and
//!    never reset (`attempt::StepCtx::counted_secret_call`). A regeneration whose answer was
//!    lost left a secret nobody received; past the bound the attempt stops
//!    (`Fatal.RegenerationLimit`, a CRITICAL event, the secret tagged) for a person's rotate now.
//! 4. **Every request gets an outcome.** Each step's outcome is recorded with its attempt
//!    (`Rotator::conclude`); "rotate now" fails its invocation unless it rotated; the sweep's
//!    invocation fails while a retryable failure or an unfinished attempt remains, so Lambda
//!    retries it; a Secrets Manager rotation that stops moving is re-driven with an event.
//! 5. **One owner per secret at a time.** Every execution that changes a secret holds its
//!    lease (`lease`), renewed while it lives, lapsing soon after a crash; a secret whose
//!    rotation Secrets Manager runs is never driven by us (`driver`), and Secrets Manager's
//!    steps are refused for a secret without rotation enabled (`protocol`'s guard).

pub mod alternating;
mod attempt;
mod clients;
pub mod config;
pub mod dependents;
pub mod driver;
pub mod error;
pub mod event;
pub mod events;
mod finish;
mod lease;
pub mod ports;
pub mod protocol;
pub mod regenerate;
pub mod report;
mod retire;
pub mod schedule;
pub mod sweep;
mod verify;

pub use config::RotationConfig;
pub use error::RotationError;
pub use protocol::{Intent, Rotator, StepResult, Trigger};
pub use report::{Action, SecretReport, SweepReport};
