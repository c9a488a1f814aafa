//! Secrets and tokens come in through stdin, never as arguments (shell history, `ps`), and
//! only from a pipe: a terminal would echo them.

use crate::exit::CliError;
use credguard::redact::SecretString;
use std::io::{IsTerminal, Read};

/// The one value piped into stdin (`what` names it in errors, e.g. "the client's secret").
pub fn piped_value(what: &str, example: &str) -> Result<SecretString, CliError> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CliError::usage(format!(
            "pipe {what} into stdin (a terminal would show it): e.g. `{example}`"
        )));
    }
    let mut raw = String::new();
    stdin
        .read_to_string(&mut raw)
        .map_err(|e| CliError::usage(format!("reading {what} from stdin: {e}")))?;
    let value = raw.trim().to_owned();
    if value.is_empty() || value.contains(char::is_whitespace) {
        return Err(CliError::usage(format!(
            "stdin must hold {what} alone, on one line"
        )));
    }
    Ok(SecretString::from(value))
}
