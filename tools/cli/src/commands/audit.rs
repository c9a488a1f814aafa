//! `credguard audit [--no-record]`: built last, against the audit module as merged on main.

use crate::args::AuditArgs;
use crate::context::Context;
use crate::exit::{CliError, Exit};

pub async fn run(_ctx: &Context, _args: AuditArgs) -> Result<Exit, CliError> {
    Err(CliError::new(
        Exit::Failure,
        "not_built_yet",
        "credguard audit is not built yet",
    ))
}
