//! The revocation API's domain: routes ([`routes`]), request parsing ([`request`]) into a [`command`], the request
//! lifecycle with idempotency and records ([`service`]), the actions ([`actions`], [`bulk`]), the
//! error shape ([`error`]), events and settings.

pub mod actions;
pub mod bulk;
pub mod command;
pub mod config;
pub mod error;
pub mod events;
pub mod request;
pub mod routes;
pub mod service;
