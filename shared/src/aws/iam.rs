//! The IAM action behind every AWS call an adapter makes, recorded as it happens.
//!
//! Each adapter names the action next to its SDK call. Calls are attributed to the function
//! whose code makes them: handlers run inside [`scope`], and a function's `main` sets
//! [`set_process_scope`]; calls outside any scope (test setup, assertions) are not recorded.
//! With `CREDGUARD_IAM_LOG` set, what each function used is appended to
//! `$CREDGUARD_IAM_LOG/<function>.txt`; `infra/checks/iam_coverage.py` compares it with the
//! function's policy in `template.yaml`, so a call cannot ship without its permission and no
//! permission stays unused.

use std::collections::BTreeSet;
use std::future::Future;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

tokio::task_local! {
    static SCOPE: &'static str;
}

static PROCESS_SCOPE: OnceLock<&'static str> = OnceLock::new();
static USED: Mutex<BTreeSet<(&'static str, &'static str)>> = Mutex::new(BTreeSet::new());

/// Runs `fut` with its AWS calls attributed to `function` (e.g. `credguard-rotation`).
pub async fn scope<F: Future>(function: &'static str, fut: F) -> F::Output {
    SCOPE.scope(function, fut).await
}

/// Attributes every call of this process that runs outside a [`scope`] to `function`.
pub fn set_process_scope(function: &'static str) {
    let _ = PROCESS_SCOPE.set(function);
}

fn current() -> Option<&'static str> {
    SCOPE
        .try_with(|s| *s)
        .ok()
        .or_else(|| PROCESS_SCOPE.get().copied())
}

/// Notes that the current function is about to call `action` (e.g. `secretsmanager:GetSecretValue`).
pub fn used(action: &'static str) {
    let Some(function) = current() else {
        return;
    };
    let first = USED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((function, action));
    if !first {
        return;
    }
    let Ok(dir) = std::env::var("CREDGUARD_IAM_LOG") else {
        return;
    };
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::path::Path::new(&dir).join(format!("{function}.txt")))
    {
        let _ = writeln!(f, "{action}");
    }
}

/// The actions `function` has used in this process so far.
pub fn observed(function: &str) -> BTreeSet<&'static str> {
    USED.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(f, _)| *f == function)
        .map(|(_, a)| *a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_attributed_to_their_scope_only() {
        used("test:Unscoped");
        scope("unit-a", async { used("test:A") }).await;
        scope("unit-b", async {
            used("test:B");
            used("test:B");
        })
        .await;
        assert_eq!(observed("unit-a"), BTreeSet::from(["test:A"]));
        assert_eq!(observed("unit-b"), BTreeSet::from(["test:B"]));
        assert!(!observed("unit-a").contains("test:Unscoped"));
    }
}
