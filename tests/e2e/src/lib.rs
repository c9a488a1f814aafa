//! Shared pieces of the demo and the end-to-end tests.

pub mod demo_audit;
