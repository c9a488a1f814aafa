//! Request counts for the run summary and `make bench`. The adapters already count their
//! requests; these impls only read the counters (the adapters stay unaware of the audit).

use crate::aws::dynamodb::DynamoRecords;
use crate::genesys::GenesysClient;

/// Requests made so far by an adapter (figures in the run summary). `()` counts nothing.
pub trait RequestMeter: Send + Sync {
    fn requests(&self) -> u64;
}

impl RequestMeter for () {
    fn requests(&self) -> u64 {
        0
    }
}

impl RequestMeter for GenesysClient {
    fn requests(&self) -> u64 {
        self.stats().attempts
    }
}

impl RequestMeter for DynamoRecords {
    fn requests(&self) -> u64 {
        self.request_count()
    }
}
