//! The `credguard` CLI: thin. Each command resolves where things are (`context`), calls the
//! shared crate's use cases (`credguard::onboarding`, `credguard::rotation`,
//! `credguard::audit`), and prints (`output`). Every rule lives in the shared crate.

pub mod api;
pub mod args;
pub mod commands;
pub mod context;
pub mod exit;
pub mod logging;
pub mod output;
pub mod progress;
pub mod stdin;

use args::{Cli, Command};
use context::Context;
use exit::{CliError, Exit};

/// Runs one command and returns the exit code; errors are printed (stderr, and stdout as JSON
/// with `--json`).
pub async fn run(cli: Cli) -> Exit {
    let json = cli.global.json;
    match dispatch(cli).await {
        Ok(exit) => exit,
        Err(e) => {
            tracing::debug!(code = %e.code, "command failed");
            if json {
                output::json(&serde_json::json!({"error": {"code": e.code, "message": e.message}}));
            }
            eprintln!("error [{}]: {}", e.code, e.message);
            e.exit
        }
    }
}

async fn dispatch(cli: Cli) -> Result<Exit, CliError> {
    let ctx = Context::load(cli.global).await?;
    match cli.command {
        Command::Adopt(a) => commands::adopt::run(&ctx, a).await,
        Command::Status(a) => commands::status::run(&ctx, a).await,
        Command::Plan => commands::plan::run(&ctx).await,
        Command::Rotate(a) => commands::rotate::run(&ctx, a).await,
        Command::Audit(a) => commands::audit::run(&ctx, a).await,
        Command::Revoke(r) => commands::revoke::run(&ctx, r).await,
    }
}
