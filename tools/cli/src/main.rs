//! `credguard`: wiring only. Parsing (clap exits 2 on bad usage), logging, the runtime, the
//! exit code; each command lives in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = credguard_cli::args::Cli::parse();
    credguard_cli::logging::init(cli.global.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let exit = runtime.block_on(credguard_cli::run(cli));
    ExitCode::from(exit as u8)
}
