//! `genesys-sim` binary: serves the simulator until SIGTERM/SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;

use genesys_sim::{start, Seed, SimConfig};

const USAGE: &str = "genesys-sim [--seed PATH] [--api-port N] [--login-port N] \
[--propagation-delay-ms N] [--rate-limit N] [--ready-file PATH]";

struct Args {
    seed: Option<PathBuf>,
    ready_file: Option<PathBuf>,
    config: SimConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seed: None,
        ready_file: None,
        config: SimConfig::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        };
        match flag.as_str() {
            "--seed" => args.seed = Some(PathBuf::from(value)),
            "--ready-file" => args.ready_file = Some(PathBuf::from(value)),
            "--api-port" => {
                args.config.api_port = u16::try_from(num(&value)?).map_err(|e| e.to_string())?
            }
            "--login-port" => {
                args.config.login_port = u16::try_from(num(&value)?).map_err(|e| e.to_string())?
            }
            "--propagation-delay-ms" => args.config.propagation_delay_ms = num(&value)?,
            "--rate-limit" => {
                args.config.rate_limit_per_minute =
                    u32::try_from(num(&value)?).map_err(|e| e.to_string())?
            }
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let seed = match &args.seed {
        None => Seed::demo(),
        Some(p) => match Seed::from_file(p) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot load seed");
                return ExitCode::from(2);
            }
        },
    };
    let sim = match start(args.config, seed).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::from(1);
        }
    };
    if let Some(path) = &args.ready_file {
        let doc = serde_json::json!({
            "apiUrl": sim.api_url(),
            "loginUrl": sim.login_url(),
            "pid": std::process::id(),
        });
        // Write then rename, so a watcher never reads a half-written file.
        let tmp = path.with_extension("tmp");
        let written =
            std::fs::write(&tmp, doc.to_string()).and_then(|_| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::error!(error = %e, path = %path.display(), "cannot write ready file");
            sim.shutdown().await;
            return ExitCode::from(1);
        }
    }
    tracing::info!(api_url = %sim.api_url(), login_url = %sim.login_url(), "ready");
    wait_for_signal().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    ExitCode::SUCCESS
}
