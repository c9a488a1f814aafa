//! JSON logs for Lambda. The runtime wraps each invocation in a span carrying `requestId`;
//! including the current span puts the request id on every line logged during an invocation.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Our crates: the only ones that log at the requested level when it is below INFO.
const OURS: [&str; 5] = [
    "credguard",
    "credguard_rotation",
    "credguard_revocation",
    "credguard_audit",
    "credguard_cli",
];

/// The filter for a requested level or directive list (`RUST_LOG` syntax). Every other crate is
/// capped at INFO whatever is asked: some log whole payloads below it (`lambda_runtime` logs
/// each raw event at TRACE, a leaked token in a revocation request included), and we cannot
/// vouch for what a dependency prints. Directives for other crates are dropped.
pub fn filter_for(requested: &str) -> EnvFilter {
    let requested = requested.to_ascii_lowercase();
    let mut default = "info".to_owned();
    let mut ours: Vec<String> = Vec::new();
    for part in requested
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once('=') {
            Some((target, _))
                if OURS
                    .iter()
                    .any(|o| target == *o || target.starts_with(&format!("{o}::"))) =>
            {
                ours.push(part.to_owned())
            }
            Some(_) => {}
            None => default = part.to_owned(),
        }
    }
    // Below INFO applies to our crates only; above it (warn, error, off) to everything.
    let quieter = matches!(default.as_str(), "warn" | "error" | "off");
    let mut directives = vec![if quieter {
        default.clone()
    } else {
        "info".to_owned()
    }];
    if !quieter {
        directives.extend(OURS.iter().map(|o| format!("{o}={default}")));
    }
    directives.extend(ours);
    EnvFilter::try_new(directives.join(",")).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Level precedence as in Lambda's advanced logging controls: `AWS_LAMBDA_LOG_LEVEL`, then
/// `RUST_LOG`, then `info`.
fn filter_from_env() -> EnvFilter {
    let requested = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    filter_for(&requested)
}

/// The production subscriber, writing JSON lines to `writer` with the given filter. Tests use
/// it with an in-memory writer so that what they scan is exactly what production prints.
pub fn json_subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// Installs the JSON subscriber on stdout. Call once at the top of a function's `main`.
pub fn init() {
    // A second init (tests, or a host that already set one) is harmless.
    let _ = tracing::subscriber::set_global_default(json_subscriber(
        std::io::stdout,
        filter_from_env(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::LogBuffer;

    fn logged_with(requested: &str) -> String {
        let buf = LogBuffer::default();
        let writer = buf.clone();
        let sub = json_subscriber(move || writer.clone(), filter_for(requested));
        tracing::subscriber::with_default(sub, || {
            tracing::trace!(target: "lambda_runtime", "raw event PAYLOAD-OF-THE-RUNTIME");
            tracing::debug!(target: "aws_smithy_runtime", "PAYLOAD-OF-THE-SDK");
            tracing::info!(target: "lambda_runtime", "runtime-info");
            tracing::trace!(target: "credguard::genesys", "ours-trace");
            tracing::warn!(target: "hyper", "dependency-warning");
        });
        buf.text()
    }

    #[test]
    fn dependencies_never_log_below_info_whatever_is_asked() {
        for asked in [
            "TRACE",
            "trace",
            "debug",
            "trace,lambda_runtime=trace,hyper=trace",
            "lambda_runtime=trace",
        ] {
            let out = logged_with(asked);
            assert!(!out.contains("PAYLOAD"), "{asked}: {out}");
            assert!(out.contains("runtime-info"), "{asked}");
            assert!(out.contains("dependency-warning"), "{asked}");
        }
        assert!(logged_with("trace").contains("ours-trace"));
        assert!(logged_with("info,credguard=trace").contains("ours-trace"));
        assert!(!logged_with("info").contains("ours-trace"));
        let quiet = logged_with("warn");
        assert!(!quiet.contains("runtime-info") && quiet.contains("dependency-warning"));
        assert!(
            logged_with("nonsense===").contains("runtime-info"),
            "falls back to info"
        );
    }

    #[test]
    fn every_line_in_an_invocation_carries_the_request_id() {
        let buf = LogBuffer::default();
        let writer = buf.clone();
        let sub = json_subscriber(move || writer.clone(), EnvFilter::new("info"));
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-123");
            let _g = span.enter();
            tracing::info!(answer = 42, "first");
            tracing::warn!("second");
        });
        let out = buf.text();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        for l in &lines {
            assert_eq!(l["span"]["requestId"], "req-123", "{l}");
        }
        assert_eq!(lines[0]["answer"], 42);
        assert_eq!(lines[0]["message"], "first");
    }
}
