//! What a run is asked to do: which run (its id), why (the trigger), and whether to record.

use super::error::AuditError;
use chrono::{DateTime, NaiveDate, Utc};

/// `YYYY-MM-DD`, optionally followed by a suffix of `[A-Za-z0-9._:-]`: run ids sort in date
/// order (the previous run is the one sorting just before).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunId(String);

impl RunId {
    pub fn for_date(d: NaiveDate) -> Self {
        Self(d.format("%Y-%m-%d").to_string())
    }

    pub fn parse(raw: &str) -> Result<Self, AuditError> {
        let bad = |why: &str| AuditError::InvalidInput(format!("runId {raw:?}: {why}"));
        if raw.len() > 64 {
            return Err(bad("longer than 64 characters"));
        }
        let date = raw
            .get(..10)
            .ok_or_else(|| bad("must start with a YYYY-MM-DD date"))?;
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| bad("must start with a YYYY-MM-DD date"))?;
        if !raw[10..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
        {
            return Err(bad(
                "may only contain letters, digits and . _ : - after the date",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn date(&self) -> &str {
        &self.0[..10]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunTrigger {
    Schedule,
    Manual,
    /// `credguard audit` from an engineer's terminal.
    Cli,
}

impl RunTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
            Self::Cli => "cli",
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuditRequest {
    pub run_id: RunId,
    pub trigger: RunTrigger,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Collect and evaluate only: nothing written, nothing published.
    pub dry_run: bool,
    /// Return every finding with the summary (the CLI prints them; the function returns
    /// counts only, whatever the org's size).
    pub keep_findings: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_start_with_a_date() {
        assert_eq!(RunId::parse("2026-11-21").unwrap().date(), "2026-11-21");
        assert_eq!(
            RunId::parse("2026-11-21T10:00:00Z-manual").unwrap().date(),
            "2026-11-21"
        );
        for bad in [
            "",
            "2026-13-01",
            "yesterday",
            "2026-11-21/../x",
            "2026-11-21 x",
            &"2026-11-21".repeat(7),
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RunId::for_date(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()).as_str(),
            "2026-01-02"
        );
    }
}
