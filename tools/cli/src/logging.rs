//! Logs go to stderr, human-readable, through the same filter as the functions'
//! (`credguard::telemetry::filter_for`): dependencies never log below INFO, whatever is asked,
//! and nothing of ours logs a secret at any level.

/// `-v` info, `-vv` debug, `-vvv` trace; quiet (warnings only) by default. `RUST_LOG` wins.
pub fn level(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

pub fn init(verbose: u8) {
    let requested = std::env::var("RUST_LOG").unwrap_or_else(|_| level(verbose).to_owned());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(credguard::telemetry::filter_for(&requested))
        .with_target(verbose >= 2)
        .compact()
        .try_init();
}
