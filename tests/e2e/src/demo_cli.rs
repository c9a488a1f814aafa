//! Demo: an engineer's terminal. `credguard adopt` brings a client under management (and
//! refuses a disabled one, writing nothing), `credguard plan` shows what the next sweep will do,
//! `credguard status` where every managed secret stands. The real binary, as installed.

use crate::{DemoStack, ADMIN_SECRET, BUS, TABLE};
use credguard_testkit::process::run_with_input;
use genesys_sim::demo::{AUDIT_READER, AUDIT_READER_SECRET, OLD_MIDDLEWARE};
use std::process::Command;

/// `target/<profile>/credguard`, next to this demo binary (`make demo` builds both).
fn binary() -> std::path::PathBuf {
    let me = std::env::current_exe().expect("the demo's path");
    me.with_file_name("credguard")
}

/// Runs `credguard args...` as an engineer would (the stack's resources in the environment),
/// prints the command and what it printed, and returns its exit code.
fn credguard(stack: &DemoStack, args: &[&str], stdin: Option<&str>) -> i32 {
    let shown: Vec<&str> = args.to_vec();
    println!(
        "\n$ {}credguard {}",
        if stdin.is_some() { "<secret> | " } else { "" },
        shown.join(" ")
    );
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env("CREDGUARD_ADMIN_SECRET", ADMIN_SECRET)
        .env("CREDGUARD_RECORDS_TABLE", TABLE)
        .env("CREDGUARD_EVENT_BUS", BUS)
        .env("CREDGUARD_ROTATION_FUNCTION", "rotation")
        .env("AWS_ENDPOINT_URL_LAMBDA", &stack.functions.url)
        .env("GENESYS_API_BASE_URL", stack.endpoints.api.as_str())
        .env("GENESYS_LOGIN_BASE_URL", stack.endpoints.login.as_str());
    let out = run_with_input(&mut cmd, stdin).unwrap_or_else(|e| {
        panic!(
            "{} runs ({e}): run this through `make demo`",
            binary().display()
        )
    });
    for text in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(text);
        for line in text.lines() {
            println!("  {line}");
        }
    }
    out.status.code().unwrap_or(-1)
}

/// Before the sweep: adoption (one refused, one done) and the plan.
pub fn adopt_and_plan(stack: &DemoStack) {
    println!("\n== the credguard CLI: bring a client under management");
    let refused = credguard(
        stack,
        &[
            "adopt",
            OLD_MIDDLEWARE,
            "--name",
            "credguard/old-middleware",
            "--secret-from-stdin",
        ],
        Some("DEMO-ONLY-not-a-real-secret-middleware"),
    );
    assert_eq!(refused, 3, "a disabled client is refused");
    let adopted = credguard(
        stack,
        &[
            "adopt",
            AUDIT_READER,
            "--name",
            "credguard/audit-reader",
            "--secret-from-stdin",
            "--no-integration-credentials",
        ],
        Some(AUDIT_READER_SECRET),
    );
    assert_eq!(adopted, 0, "the audit reader is adopted");
    assert_eq!(credguard(stack, &["plan"], None), 0);
}

/// After the sweep: where every managed secret stands.
pub fn status(stack: &DemoStack) {
    println!("\n== the credguard CLI: status after the sweep");
    assert_eq!(credguard(stack, &["status"], None), 0);
}
