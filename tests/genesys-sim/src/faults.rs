//! Fault rules (`/__sim/faults`) and the call log (`/__sim/calls`).

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultMode {
    /// Answer `status` with an ErrorBody without executing.
    Status,
    /// Sleep `latencyMs`, then execute normally.
    Latency,
    /// Drop the TCP connection without executing.
    DropBeforeApply,
    /// Execute (state changes happen), then drop the connection without a response.
    DropAfterApply,
    /// Execute, then sleep `latencyMs` before responding.
    HangAfterApply,
}

impl FaultMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            FaultMode::Status => "status",
            FaultMode::Latency => "latency",
            FaultMode::DropBeforeApply => "dropBeforeApply",
            FaultMode::DropAfterApply => "dropAfterApply",
            FaultMode::HangAfterApply => "hangAfterApply",
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// `"<METHOD> <path template>"` exactly as routed, e.g. `"POST /api/v2/oauth/clients/{clientId}/secret"`.
    pub operation: String,
    /// Only when one of the path's parameters equals this value.
    pub path_param: Option<String>,
    pub mode: FaultMode,
    /// For `status` mode (default 503).
    pub status: Option<u16>,
    /// Adds `Retry-After` (429 always has one; default 1 s).
    pub retry_after_seconds: Option<u64>,
    /// For `latency` (default 0) and `hangAfterApply` (default 60000).
    pub latency_ms: Option<u64>,
    /// How many matching requests it affects; omitted = until cleared.
    pub count: Option<u32>,
}

impl FaultRule {
    pub fn new(operation: &str, mode: FaultMode) -> FaultRule {
        FaultRule {
            operation: operation.to_string(),
            path_param: None,
            mode,
            status: None,
            retry_after_seconds: None,
            latency_ms: None,
            count: None,
        }
    }

    pub fn status(operation: &str, status: u16) -> FaultRule {
        let mut f = FaultRule::new(operation, FaultMode::Status);
        f.status = Some(status);
        f
    }

    pub fn times(mut self, count: u32) -> FaultRule {
        self.count = Some(count);
        self
    }

    pub fn only_for(mut self, path_param: &str) -> FaultRule {
        self.path_param = Some(path_param.to_string());
        self
    }

    pub fn latency_ms(mut self, ms: u64) -> FaultRule {
        self.latency_ms = Some(ms);
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> FaultRule {
        self.retry_after_seconds = Some(seconds);
        self
    }

    pub fn validate(&self, known_operations: &[String]) -> Result<(), String> {
        if !known_operations.iter().any(|o| o == &self.operation) {
            return Err(format!(
                "unknown operation '{}'; use \"<METHOD> <path template>\" as routed, one of: {}",
                self.operation,
                known_operations.join(", ")
            ));
        }
        if let Some(s) = self.status {
            if !(400..=599).contains(&s) {
                return Err("status must be between 400 and 599".into());
            }
        }
        if self.count == Some(0) {
            return Err("count must be at least 1 (omit it for 'until cleared')".into());
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct FaultStore {
    rules: Vec<(FaultRule, Option<u32>)>,
}

impl FaultStore {
    pub fn add(&mut self, rule: FaultRule) {
        let remaining = rule.count;
        self.rules.push((rule, remaining));
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules
            .iter()
            .map(|(r, left)| {
                let mut r = r.clone();
                r.count = *left;
                r
            })
            .collect()
    }

    /// The first rule matching this request, consuming one of its uses.
    pub fn take(
        &mut self,
        operation: &str,
        params: &[(&'static str, String)],
    ) -> Option<FaultRule> {
        let idx = self.rules.iter().position(|(r, _)| {
            r.operation == operation
                && r.path_param
                    .as_ref()
                    .is_none_or(|want| params.iter().any(|(_, v)| v == want))
        })?;
        let (rule, remaining) = &mut self.rules[idx];
        let fired = rule.clone();
        if let Some(n) = remaining {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.rules.remove(idx);
            }
        }
        Some(fired)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    pub operation: String,
    pub method: String,
    pub path: String,
    /// Addition: the query string as sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Status sent (or, for `dropAfterApply`, produced but never sent); null when dropped before.
    pub status: Option<u16>,
    pub client_id: Option<String>,
    pub at: String,
    /// Addition: the fault mode applied, if any.
    pub fault: Option<String>,
}

const MAX_CALLS: usize = 50_000;

/// Every request that reached an operation, including faulted ones. Counts are exact; the
/// list keeps the latest 50,000 calls.
#[derive(Debug, Default)]
pub struct CallLog {
    counts: BTreeMap<String, u64>,
    calls: VecDeque<CallRecord>,
    first_seq: u64,
}

impl CallLog {
    pub fn record(
        &mut self,
        operation: &str,
        method: &str,
        path: &str,
        query: Option<&str>,
        client_id: Option<String>,
        at: DateTime<Utc>,
    ) -> u64 {
        *self.counts.entry(operation.to_string()).or_insert(0) += 1;
        if self.calls.len() >= MAX_CALLS {
            self.calls.pop_front();
            self.first_seq += 1;
        }
        self.calls.push_back(CallRecord {
            operation: operation.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.map(str::to_owned),
            status: None,
            client_id,
            at: crate::clock::fmt_dt(&at),
            fault: None,
        });
        self.first_seq + self.calls.len() as u64 - 1
    }

    fn get_mut(&mut self, seq: u64) -> Option<&mut CallRecord> {
        let idx = seq.checked_sub(self.first_seq)?;
        self.calls.get_mut(usize::try_from(idx).ok()?)
    }

    pub fn set_status(&mut self, seq: u64, status: Option<u16>) {
        if let Some(c) = self.get_mut(seq) {
            c.status = status;
        }
    }

    pub fn set_fault(&mut self, seq: u64, mode: FaultMode) {
        if let Some(c) = self.get_mut(seq) {
            c.fault = Some(mode.as_str().to_string());
        }
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.counts.get(operation).copied().unwrap_or(0)
    }

    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.counts.clear();
        self.calls.clear();
        self.first_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_count_and_path_param() {
        let mut fs = FaultStore::default();
        fs.add(FaultRule::status("GET /x/{id}", 503).times(2).only_for("a"));
        let p_a = vec![("id", "a".to_string())];
        let p_b = vec![("id", "b".to_string())];
        assert!(fs.take("GET /x/{id}", &p_b).is_none());
        assert!(fs.take("GET /x/{id}", &p_a).is_some());
        assert_eq!(fs.list()[0].count, Some(1));
        assert!(fs.take("GET /x/{id}", &p_a).is_some());
        assert!(fs.take("GET /x/{id}", &p_a).is_none());
    }

    #[test]
    fn call_log_counts_and_updates() {
        let mut log = CallLog::default();
        let s = log.record("GET /a", "GET", "/a", None, None, Utc::now());
        log.set_status(s, Some(200));
        log.record("GET /a", "GET", "/a", None, Some("c".into()), Utc::now());
        assert_eq!(log.count("GET /a"), 2);
        assert_eq!(log.calls()[0].status, Some(200));
        assert_eq!(log.calls()[1].client_id.as_deref(), Some("c"));
    }
}
