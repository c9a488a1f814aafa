//! The narrow interfaces between domain logic and the outside world. Each external system has
//! one real adapter (`genesys::GenesysClient`, `aws::*`) and in-memory fakes for unit tests
//! (`testing`). Domain code takes the narrowest trait it needs, which also keeps each
//! function's permissions (IAM and Genesys) obvious.

pub mod audit_trail;
pub mod events;
pub mod functions;
pub mod genesys;
pub mod meter;
pub mod records;
pub mod secrets;
pub mod security_hub;
pub mod stacks;
