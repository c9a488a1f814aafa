//! JSON logs for Lambda. The runtime wraps each invocation in a span carrying `requestId`;
//! including the current span puts the request id on every line logged during an invocation.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Level precedence as in Lambda's advanced logging controls: `AWS_LAMBDA_LOG_LEVEL`, then
/// `RUST_LOG`, then `info`.
fn filter_from_env() -> EnvFilter {
    let directive = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    EnvFilter::try_new(directive.to_ascii_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"))
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
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_in_an_invocation_carries_the_request_id() {
        let buf = Buf::default();
        let writer = buf.clone();
        let sub = json_subscriber(move || writer.clone(), EnvFilter::new("info"));
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-123");
            let _g = span.enter();
            tracing::info!(answer = 42, "first");
            tracing::warn!("second");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
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
