//! Integration tests: the simulator over HTTP, pinned to API-FACTS.

mod common;

mod admin;
mod audits;
mod binary;
mod clients;
mod errors;
mod faults;
mod integrations;
mod login;
mod ratelimit;
mod roles_users;
mod scale;
mod tokens;
mod usage;
