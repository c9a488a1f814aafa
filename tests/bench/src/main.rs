//! `make bench`: prints figures that can be rerun, instead of timing assertions in tests.
//!
//! Usage: credguard-bench [genesys] [rotation] [continuity] [revocation] [audit]   (no argument: every section)

mod audit;
mod continuity;
mod genesys;
mod revocation;
mod rotation;
mod setup;
mod stats;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    if wants("genesys") {
        genesys::run().await;
    }
    if wants("rotation") {
        rotation::run().await;
    }
    if wants("continuity") {
        continuity::run().await;
    }
    if wants("revocation") {
        revocation::run().await;
    }
    if wants("audit") {
        audit::run().await;
    }
}
