//! Captures everything the process logs, through the production JSON subscriber at TRACE, so a
//! test can assert that no secret value was ever written.

use credguard::testing::LogBuffer;
use std::sync::OnceLock;

static SINK: OnceLock<LogBuffer> = OnceLock::new();

/// Installs the capturing subscriber for the whole test binary (once) and returns a handle.
pub fn capture() -> Captured {
    let sink = SINK.get_or_init(|| {
        let sink = LogBuffer::default();
        let writer = sink.clone();
        let subscriber =
            // The production filter at the most verbose setting.
            credguard::telemetry::json_subscriber(
                move || writer.clone(),
                credguard::telemetry::filter_for("trace"),
            );
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        sink
    });
    Captured(sink.clone())
}

pub struct Captured(LogBuffer);

impl Captured {
    pub fn text(&self) -> String {
        self.0.text()
    }

    /// Panics naming the first needle found in the logs.
    pub fn assert_absent(&self, needles: &[&str]) {
        let text = self.text();
        assert!(
            !text.is_empty(),
            "nothing was logged: the capture is not working"
        );
        for n in needles {
            assert!(!n.is_empty());
            if let Some(pos) = text.find(n) {
                let line_start = text[..pos].rfind('\n').map_or(0, |p| p + 1);
                panic!("a secret value appears in the logs at byte {pos} (line starting at {line_start})");
            }
        }
    }
}
