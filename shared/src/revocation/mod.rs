//! The revocation API's domain: request parsing ([`request`]), identity checks and actions
//! ([`service`]), the error shape ([`error`]) and settings ([`config`]).

pub mod config;
pub mod error;
pub mod request;
