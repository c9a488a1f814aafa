//! The Genesys Cloud Platform API client (see ../shared/genesys/API-FACTS.md).
//!
//! - [`region`]: region names and the two base URLs (API and login host);
//! - [`login`], [`token`]: the client-credentials grant and the cached, single-flight token;
//! - [`policy`], [`pacer`]: what is retried and how requests are paced (one place);
//! - [`client`]: the one send loop; [`ops`]: every operation with its call class;
//! - [`usage`]: the asynchronous usage queries; [`audits`]: the asynchronous audit query;
//!   [`models`]: the API's JSON.

pub mod audits;
pub mod client;
pub mod error;
pub mod login;
pub mod models;
pub mod ops;
pub mod pacer;
pub mod policy;
pub mod region;
pub mod token;
pub mod usage;

pub use client::{ClientOptions, ClientStats, GenesysClient};
pub use error::{GenesysError, LoginError};
pub use login::ClientCredentials;
pub use token::{CredentialSource, StaticCredentials};
pub use usage::{UsageApi, UsageSummary, UsageWindow};

#[cfg(test)]
mod log_redaction_tests;
