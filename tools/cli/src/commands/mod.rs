//! One module per command.

pub mod adopt;
pub mod audit;
pub mod plan;
pub mod revoke;
pub mod rotate;
pub mod status;
