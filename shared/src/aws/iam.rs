//! The IAM action behind every AWS call an adapter makes, recorded as it happens.
//!
//! Each adapter names the action next to its SDK call. Test runs (of each function's suite, and
//! of the function binaries under `cargo lambda watch`) write what they used to
//! `$CREDGUARD_IAM_LOG/<package>.txt`; `infra/checks/iam_coverage.py` compares that with each
//! function's policy in `template.yaml`, so a new call cannot ship without its permission and no
//! permission stays unused.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Mutex;

static USED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Notes that this process is about to call `action` (e.g. `secretsmanager:GetSecretValue`).
pub fn used(action: &'static str) {
    let first = USED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(action);
    if !first {
        return;
    }
    let Ok(dir) = std::env::var("CREDGUARD_IAM_LOG") else {
        return;
    };
    // Cargo sets the package name for the processes it runs (tests, `cargo run`).
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "unknown".into());
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::path::Path::new(&dir).join(format!("{package}.txt")))
    {
        let _ = writeln!(f, "{action}");
    }
}

/// The actions this process has used so far.
pub fn observed() -> BTreeSet<&'static str> {
    USED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
