//! A high-fidelity simulator of the Genesys Cloud Platform API for tests and demos of the
//! OAuth credential rotation/revocation/audit tool.
//!
//! Two listeners, as in production: the **login host** (`POST /oauth/token`) and the
//! **API host** (`/api/v2/...` plus the admin API under `/__sim`). Behaviour follows
//! `shared/genesys/API-FACTS.md`; see this crate's README for what is inferred.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = genesys_sim::start(genesys_sim::SimConfig::default(), genesys_sim::Seed::demo()).await?;
//! println!("api {} login {}", sim.api_url(), sim.login_url());
//! sim.advance_clock(3600);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod audits;
pub mod auth;
pub mod clock;
pub mod config;
pub mod control;
pub mod demo;
pub mod errors;
pub mod faults;
pub mod handle;
pub mod ids;
pub mod permissions;
pub mod ratelimit;
pub mod routes;
pub mod seed;
pub mod server;
pub mod state;
pub mod usage;
pub mod views;

pub use config::SimConfig;
pub use control::{CallsView, ClientView, MintedToken, SecretCheck, SimControl, SimError};
pub use faults::{CallRecord, FaultMode, FaultRule};
pub use handle::{start, SimHandle};
pub use seed::{
    CredentialTypeRef, EntityRef, RoleDivision, Seed, SeedClient, SeedCredential, SeedError,
    SeedRole, SeedUsageRow, SeedUser,
};
pub use server::CORRELATION_HEADER;
