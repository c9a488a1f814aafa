//! "Stop the process right after this call": a hook for [`Observed`] ports that panics after a
//! named operation succeeds, once. A handler run under `catch_unwind` then ends exactly as a
//! crashed Lambda would: the call's effect exists, nothing after it happened.

use credguard_testkit::observe::Observed;
use std::sync::{Arc, Mutex};

/// Which call to stop after: `(operation, occurrence)`, 1-based.
#[derive(Clone, Default)]
pub struct Crash {
    armed: Arc<Mutex<Option<(String, u32)>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

pub const CRASH: &str = "injected crash";

pub type Crashing<T> = Observed<T>;

impl Crash {
    pub fn wrap<T>(&self, inner: T) -> Crashing<T> {
        let me = self.clone();
        Observed::new(inner, Arc::new(move |op| me.after(op)))
    }

    pub fn arm(&self, op: &str, occurrence: u32) {
        *self.armed.lock().unwrap() = Some((op.to_owned(), occurrence));
        self.seen.lock().unwrap().clear();
    }

    pub fn disarm(&self) {
        *self.armed.lock().unwrap() = None;
    }

    /// Operations seen since the last `arm`, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn after(&self, op: &str) {
        self.seen.lock().unwrap().push(op.to_owned());
        let mut armed = self.armed.lock().unwrap();
        if let Some((want, n)) = armed.as_mut() {
            if want == op {
                if *n <= 1 {
                    *armed = None;
                    drop(armed);
                    panic!("{CRASH} after {op}");
                }
                *n -= 1;
            }
        }
    }
}

/// Injected crashes panic by design; silence those and keep every other panic loud.
pub fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .unwrap_or_default();
            if !msg.starts_with(CRASH) {
                default(info);
            }
        }));
    });
}
