//! Rotation of Genesys OAuth client secrets, safely: the Secrets Manager four-step protocol
//! ([`protocol`]) with two strategies ([`regenerate`], [`alternating`]), integration-credential
//! dependents ([`dependents`]), and the scheduled sweep / "rotate now" that drive the same steps
//! ([`sweep`]).

pub mod alternating;
pub mod config;
mod dependents;
pub mod error;
pub mod event;
pub mod events;
pub mod protocol;
pub mod regenerate;
pub mod sweep;
mod verify;

pub use config::RotationConfig;
pub use error::RotationError;
pub use protocol::{Rotator, StepResult, Trigger};
