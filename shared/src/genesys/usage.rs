//! API usage per client over a window of UTC days (API-FACTS §2.3, §2.4).
//!
//! Preferred: the org-wide jobs API (one job per ≤90 days, pages of up to 1,000 rows, grouped by
//! `OauthClientId`). Fallback when the admin role lacks `usage:organization:view`: the older
//! `POST /api/v2/usage/query` (grouped by `OAuthClientId`, ≤30 days per query since its results
//! cannot be paged). Rows are folded into per-client summaries as pages arrive, so memory stays
//! proportional to the number of clients, not of rows.

use super::client::GenesysClient;
use super::error::GenesysError;
use super::models::{
    ApiUsageQueryResult, Granularity, UsageDay, UsageExecutionResult, UsageJob, UsageJobRequest,
    UsageJobResults, UsageJobStatus, UsageQuery, UsageQueryStatus,
};
use super::ops::{
    segment, Op, ORG_USAGE_QUERY, ORG_USAGE_RESULTS, USAGE_JOB_RESULTS, USAGE_JOB_SUBMIT,
};
use crate::deadline::Deadline;
use crate::ports::genesys::UsageReports;
use chrono::{Duration as Days, NaiveDate};
use std::collections::HashMap;

/// Which org-wide usage API to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageApi {
    /// The jobs API, falling back to the older query on 403.
    Auto,
    Jobs,
    Legacy,
}

impl std::str::FromStr for UsageApi {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "jobs" => Ok(Self::Jobs),
            "legacy" => Ok(Self::Legacy),
            _ => Err("expected auto, jobs or legacy".into()),
        }
    }
}

/// Inclusive range of UTC days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageWindow {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub api: UsageApi,
}

impl UsageWindow {
    /// The `days` full UTC days before `today` (usage data never includes the current day).
    pub fn last_days(days: u32, today: NaiveDate, api: UsageApi) -> Self {
        let last_day = today - Days::days(1);
        Self {
            first_day: last_day - Days::days(i64::from(days.max(1)) - 1),
            last_day,
            api,
        }
    }

    /// Consecutive sub-windows of at most `max_days` days.
    pub fn chunks(&self, max_days: i64) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut start = self.first_day;
        while start <= self.last_day {
            let end = (start + Days::days(max_days - 1)).min(self.last_day);
            out.push((start, end));
            start = end + Days::days(1);
        }
        out
    }
}

/// Both usage APIs take `start/end` with inclusive ends.
fn interval(first: NaiveDate, last: NaiveDate) -> String {
    format!("{first}T00:00:00/{last}T23:59:59")
}

/// One client's usage over the window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageSummary {
    pub requests: u64,
    pub status400: u64,
    pub status429: u64,
    pub status500: u64,
    pub days_with_requests: u32,
    /// Latest UTC day with at least one request.
    pub last_used: Option<NaiveDate>,
}

impl UsageSummary {
    pub fn add(&mut self, day: &UsageDay) {
        self.requests += day.requests;
        self.status400 += day.status400;
        self.status429 += day.status429;
        self.status500 += day.status500;
        if day.requests > 0 {
            self.days_with_requests += 1;
            self.last_used = self.last_used.max(Some(day.date));
        }
    }
}

fn fold(into: &mut HashMap<String, UsageSummary>, day: UsageDay) {
    into.entry(day.client_id.clone()).or_default().add(&day);
}

const METRICS: [&str; 4] = ["Requests", "Status400", "Status429", "Status500"];

impl GenesysClient {
    /// Sleeps between polls, or fails if the deadline does not allow another poll.
    pub(super) async fn poll_pause(&self, op: Op, d: &Deadline) -> Result<(), GenesysError> {
        if d.cannot_afford(self.usage_poll_interval, std::time::Duration::from_secs(1)) {
            return Err(GenesysError::QueryFailed {
                op,
                status: "Running".into(),
                message: "still running when the time budget ran out".into(),
            });
        }
        tokio::time::sleep(self.usage_poll_interval).await;
        Ok(())
    }

    async fn usage_by_jobs(
        &self,
        w: &UsageWindow,
        d: &Deadline,
    ) -> Result<HashMap<String, UsageSummary>, GenesysError> {
        let mut out = HashMap::new();
        for (first, last) in w.chunks(90) {
            let body = UsageJobRequest {
                interval: interval(first, last),
                granularity: Granularity::Day,
                group_by: vec!["OauthClientId".into()],
                metrics: METRICS.iter().map(|m| (*m).to_owned()).collect(),
                oauth_client_ids: vec![],
            };
            let body = serde_json::to_vec(&body)
                .expect("plain struct serializes")
                .into();
            let job: UsageJob = self
                .send(
                    self.admin(
                        USAGE_JOB_SUBMIT,
                        "/api/v2/usage/aggregates/query/jobs",
                        &[],
                        Some(body),
                    ),
                    d,
                )
                .await?
                .json(USAGE_JOB_SUBMIT)?;
            let path = format!(
                "/api/v2/usage/aggregates/query/jobs/{}",
                segment(USAGE_JOB_RESULTS, &job.id)?
            );
            let mut req = self.admin(
                USAGE_JOB_RESULTS,
                &path,
                &[("pageSize", "1000".into())],
                None,
            );
            loop {
                let page: UsageJobResults = self.send(req, d).await?.json(USAGE_JOB_RESULTS)?;
                match page.query_status {
                    UsageJobStatus::Succeeded => {
                        page.entities
                            .into_iter()
                            .filter_map(|r| r.into_day())
                            .for_each(|day| fold(&mut out, day));
                        match page.next_uri.filter(|u| !u.is_empty()) {
                            Some(next) => {
                                req = self.admin(USAGE_JOB_RESULTS, "/", &[], None);
                                req.url = self.next_url(USAGE_JOB_RESULTS, &next)?;
                            }
                            None => break,
                        }
                    }
                    UsageJobStatus::Failed | UsageJobStatus::Cancelled => {
                        return Err(GenesysError::QueryFailed {
                            op: USAGE_JOB_RESULTS,
                            status: page.query_status.to_string(),
                            message: page.error_body.and_then(|e| e.message).unwrap_or_default(),
                        })
                    }
                    // Queued, Running, or a status newer than this code: keep polling.
                    _ => {
                        self.poll_pause(USAGE_JOB_RESULTS, d).await?;
                        req = self.admin(
                            USAGE_JOB_RESULTS,
                            &path,
                            &[("pageSize", "1000".into())],
                            None,
                        );
                    }
                }
            }
        }
        Ok(out)
    }

    async fn usage_by_legacy_query(
        &self,
        w: &UsageWindow,
        d: &Deadline,
    ) -> Result<HashMap<String, UsageSummary>, GenesysError> {
        let mut out = HashMap::new();
        for (first, last) in w.chunks(30) {
            let body = UsageQuery {
                interval: interval(first, last),
                granularity: Granularity::Day,
                metrics: METRICS.iter().map(|m| (*m).to_owned()).collect(),
                group_by: vec!["OAuthClientId".into()],
            };
            let body = serde_json::to_vec(&body)
                .expect("plain struct serializes")
                .into();
            let exec: UsageExecutionResult = self
                .send(
                    self.admin(ORG_USAGE_QUERY, "/api/v2/usage/query", &[], Some(body)),
                    d,
                )
                .await?
                .json(ORG_USAGE_QUERY)?;
            let path = format!(
                "/api/v2/usage/query/{}/results",
                segment(ORG_USAGE_RESULTS, &exec.execution_id)?
            );
            let result = self.poll_query(ORG_USAGE_RESULTS, &path, d).await?;
            result
                .results
                .into_iter()
                .filter_map(|r| r.into_day(None))
                .for_each(|day| fold(&mut out, day));
        }
        Ok(out)
    }

    async fn poll_query(
        &self,
        op: Op,
        path: &str,
        d: &Deadline,
    ) -> Result<ApiUsageQueryResult, GenesysError> {
        loop {
            let r: ApiUsageQueryResult = self
                .send(self.admin(op, path, &[], None), d)
                .await?
                .json(op)?;
            match r.query_status {
                Some(UsageQueryStatus::Complete) => return Ok(r),
                Some(UsageQueryStatus::Failed) => {
                    return Err(GenesysError::QueryFailed {
                        op,
                        status: "Failed".into(),
                        message: String::new(),
                    })
                }
                _ => self.poll_pause(op, d).await?,
            }
        }
    }
}

impl UsageReports for GenesysClient {
    async fn org_usage(
        &self,
        w: &UsageWindow,
        d: &Deadline,
    ) -> Result<HashMap<String, UsageSummary>, GenesysError> {
        match w.api {
            UsageApi::Jobs => self.usage_by_jobs(w, d).await,
            UsageApi::Legacy => self.usage_by_legacy_query(w, d).await,
            UsageApi::Auto => match self.usage_by_jobs(w, d).await {
                Err(e) if e.status() == Some(403) => {
                    tracing::warn!(error = %e, "usage jobs API forbidden; falling back to POST /api/v2/usage/query");
                    self.usage_by_legacy_query(w, d).await
                }
                other => other,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn last_days_excludes_today() {
        let w = UsageWindow::last_days(30, day("2026-11-21"), UsageApi::Auto);
        assert_eq!(w.last_day, day("2026-11-20"));
        assert_eq!(w.first_day, day("2026-10-22"));
        assert_eq!(
            interval(w.first_day, w.last_day),
            "2026-10-22T00:00:00/2026-11-20T23:59:59"
        );
    }

    #[test]
    fn chunks_cover_the_window_without_overlap() {
        let w = UsageWindow::last_days(365, day("2026-11-21"), UsageApi::Jobs);
        let c = w.chunks(90);
        assert_eq!(c.len(), 5);
        assert_eq!(c[0].0, w.first_day);
        assert_eq!(c.last().unwrap().1, w.last_day);
        for pair in c.windows(2) {
            assert_eq!(pair[0].1 + Days::days(1), pair[1].0);
            assert!((pair[0].1 - pair[0].0).num_days() < 90);
        }
    }

    #[test]
    fn summary_tracks_last_day_with_requests() {
        let mut s = UsageSummary::default();
        for (d, n) in [("2026-11-01", 5), ("2026-11-09", 0), ("2026-11-03", 2)] {
            s.add(&UsageDay {
                client_id: "c".into(),
                date: day(d),
                requests: n,
                ..Default::default()
            });
        }
        assert_eq!(s.requests, 7);
        assert_eq!(s.days_with_requests, 2);
        assert_eq!(s.last_used, Some(day("2026-11-03")));
    }
}
