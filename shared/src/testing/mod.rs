//! In-memory stand-ins for the ports, for fast unit tests of domain logic. Integration tests
//! use the real adapters against moto and the Genesys simulator instead.

mod log_buffer;
mod memory_events;
mod memory_records;
mod memory_secrets;
mod queued_jobs;

pub use log_buffer::LogBuffer;
pub use memory_events::MemoryEvents;
pub use memory_records::MemoryRecords;
pub use memory_secrets::MemorySecrets;
pub use queued_jobs::QueuedJobs;
