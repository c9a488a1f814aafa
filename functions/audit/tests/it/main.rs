//! The audit function through its real handler, against the Genesys simulator and moto.
//! Run with the local stack up (`make test`, or `infra/local/up.sh && source .local/env`).

mod changes;
mod common;
mod faults;
mod org;
mod security;
mod security_hub;
