//! Request counts an adapter keeps about itself, read by use cases that report their cost (the
//! audit's run summary, `make bench`). The adapters implement it beside their own counters.

/// Requests made so far through an adapter. `()` counts nothing.
pub trait RequestMeter: Send + Sync {
    fn requests(&self) -> u64;
}

impl RequestMeter for () {
    fn requests(&self) -> u64 {
        0
    }
}
