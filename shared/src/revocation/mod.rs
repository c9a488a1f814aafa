//! The revocation API's domain: request parsing ([`request`]), identity checks and actions
//! ([`service`]), the error shape ([`error`]), events and settings.

pub mod config;
pub mod error;
pub mod events;
pub mod request;
pub mod service;
