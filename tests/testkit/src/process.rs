//! Running a command line program the way a person at a terminal would: its output captured,
//! optionally something typed or piped into it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `cmd` to its end with `stdin` written to it (or no input at all) and its output
/// captured.
pub fn run_with_input(cmd: &mut Command, stdin: Option<&str>) -> std::io::Result<Output> {
    let input = if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    let mut child = cmd
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("a piped stdin");
        pipe.write_all(text.as_bytes())?;
    }
    child.wait_with_output()
}
