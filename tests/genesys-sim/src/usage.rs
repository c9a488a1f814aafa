//! API-usage data and the aggregation behind both usage query families.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::clock::parse_dt;
use crate::seed::{SeedError, SeedUsageRow};

/// One stored day of traffic for one client (and optionally one endpoint/user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub date: NaiveDate,
    pub client_id: String,
    pub client_name: Option<String>,
    pub organization_id: Option<String>,
    pub user_id: Option<String>,
    pub template_uri: Option<String>,
    pub http_method: Option<String>,
    pub platform: Option<String>,
    pub counts: Counts,
    pub genesys_owned: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub status200: u64,
    pub status300: u64,
    pub status400: u64,
    pub status429: u64,
    pub status500: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.requests += o.requests;
        self.status200 += o.status200;
        self.status300 += o.status300;
        self.status400 += o.status400;
        self.status429 += o.status429;
        self.status500 += o.status500;
    }
}

impl UsageRow {
    pub fn from_seed(r: &SeedUsageRow, today: NaiveDate) -> Result<UsageRow, SeedError> {
        let date = match (&r.date, r.days_ago) {
            (Some(d), _) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| SeedError(format!("usage row: bad date {d} (want yyyy-MM-dd)")))?,
            (None, Some(n)) => crate::clock::date_minus_days(today, n),
            (None, None) => return Err(SeedError("usage row needs date or daysAgo".into())),
        };
        let requests = r
            .requests
            .unwrap_or(r.status200 + r.status300 + r.status400 + r.status500);
        Ok(UsageRow {
            date,
            client_id: r.client_id.clone(),
            client_name: r.client_name.clone(),
            organization_id: r.organization_id.clone(),
            user_id: r.user_id.clone(),
            template_uri: r.template_uri.clone(),
            http_method: r.http_method.as_ref().map(|m| m.to_ascii_uppercase()),
            platform: r.platform.clone(),
            counts: Counts {
                requests,
                status200: r.status200,
                status300: r.status300,
                status400: r.status400,
                status429: r.status429,
                status500: r.status500,
            },
            genesys_owned: r.genesys_owned,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dim {
    ClientId,
    ClientName,
    OrganizationId,
    UserId,
    TemplateUri,
    HttpMethod,
    Platform,
}

impl Dim {
    /// Accepts both `OauthClientId` (jobs API) and `OAuthClientId` (old API), any case.
    pub fn parse(s: &str) -> Option<Dim> {
        match s.to_ascii_lowercase().as_str() {
            "oauthclientid" => Some(Dim::ClientId),
            "oauthclientname" => Some(Dim::ClientName),
            "organizationid" => Some(Dim::OrganizationId),
            "userid" => Some(Dim::UserId),
            "templateuri" => Some(Dim::TemplateUri),
            "httpmethod" => Some(Dim::HttpMethod),
            "platform" => Some(Dim::Platform),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Requests,
    Status200,
    Status300,
    Status400,
    Status429,
    Status500,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::Requests,
        Metric::Status200,
        Metric::Status300,
        Metric::Status400,
        Metric::Status429,
        Metric::Status500,
    ];

    pub fn parse(s: &str) -> Option<Metric> {
        match s.to_ascii_lowercase().as_str() {
            "requests" => Some(Metric::Requests),
            "status200" => Some(Metric::Status200),
            "status300" => Some(Metric::Status300),
            "status400" => Some(Metric::Status400),
            "status429" => Some(Metric::Status429),
            "status500" => Some(Metric::Status500),
            _ => None,
        }
    }

    pub fn value(&self, c: &Counts) -> u64 {
        match self {
            Metric::Requests => c.requests,
            Metric::Status200 => c.status200,
            Metric::Status300 => c.status300,
            Metric::Status400 => c.status400,
            Metric::Status429 => c.status429,
            Metric::Status500 => c.status500,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Granularity> {
        match s.to_ascii_lowercase().as_str() {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    pub fn bucket(&self, d: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => d,
            Granularity::Week => {
                crate::clock::date_minus_days(d, i64::from(d.weekday().num_days_from_monday()))
            }
            Granularity::Month => d.with_day(1).unwrap_or(d),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub client_ids: Option<HashSet<String>>,
    pub user_ids: Option<HashSet<String>>,
    pub template_uris: Option<HashSet<String>>,
    pub http_methods: Option<HashSet<String>>,
    pub include_genesys_owned: bool,
}

#[derive(Debug, Clone)]
pub struct UsageQuery {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Jobs API: both ends inclusive. Old API: end exclusive (inferred).
    pub end_inclusive: bool,
    pub granularity: Granularity,
    /// `None`: rows are returned as stored, not aggregated.
    pub group_by: Option<Vec<Dim>>,
    pub filters: Filters,
}

/// One result row; dimensions not grouped by are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageResult {
    pub bucket: NaiveDate,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub organization_id: Option<String>,
    pub user_id: Option<String>,
    pub template_uri: Option<String>,
    pub http_method: Option<String>,
    pub platform: Option<String>,
    pub counts: Counts,
}

/// Parses `start/end` ISO intervals (`YYYY-MM-DDThh:mm:ss/YYYY-MM-DDThh:mm:ss`, zone optional).
/// Only the syntax (`invalid.date`); the order of the two is the caller's `bad.request`.
pub fn parse_interval(s: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let (a, b) = s
        .split_once('/')
        .ok_or_else(|| format!("interval '{s}' is not of the form start/end"))?;
    let start =
        parse_dt(a).ok_or_else(|| format!("interval start '{a}' is not an ISO-8601 date-time"))?;
    let end =
        parse_dt(b).ok_or_else(|| format!("interval end '{b}' is not an ISO-8601 date-time"))?;
    Ok((start, end))
}

fn day_in(q: &UsageQuery, d: NaiveDate) -> bool {
    let Some(day_start) = d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()) else {
        return false;
    };
    let day_end = crate::clock::plus_ms(day_start, 86_400_000);
    let before_end = if q.end_inclusive {
        day_start <= q.end
    } else {
        day_start < q.end
    };
    before_end && day_end > q.start
}

fn passes(f: &Filters, r: &UsageRow) -> bool {
    let inset = |set: &Option<HashSet<String>>, v: Option<&String>| {
        set.as_ref()
            .is_none_or(|s| v.is_some_and(|v| s.contains(v)))
    };
    (f.include_genesys_owned || !r.genesys_owned)
        && inset(&f.client_ids, Some(&r.client_id))
        && inset(&f.user_ids, r.user_id.as_ref())
        && inset(&f.template_uris, r.template_uri.as_ref())
        && f.http_methods.as_ref().is_none_or(|s| {
            r.http_method
                .as_ref()
                .is_some_and(|m| s.contains(&m.to_ascii_uppercase()))
        })
}

type Key = (NaiveDate, [Option<String>; 7]);

/// Filters rows to the interval and aggregates them by bucket and the grouped dimensions,
/// sorted by date, then dimensions.
pub fn run(rows: &[UsageRow], q: &UsageQuery) -> Vec<UsageResult> {
    let selected = rows
        .iter()
        .filter(|r| day_in(q, r.date) && passes(&q.filters, r));
    let Some(dims) = &q.group_by else {
        let mut out: Vec<UsageResult> = selected
            .map(|r| UsageResult {
                bucket: q.granularity.bucket(r.date),
                client_id: Some(r.client_id.clone()),
                client_name: r.client_name.clone(),
                organization_id: r.organization_id.clone(),
                user_id: r.user_id.clone(),
                template_uri: r.template_uri.clone(),
                http_method: r.http_method.clone(),
                platform: r.platform.clone(),
                counts: r.counts,
            })
            .collect();
        out.sort_by(|a, b| (a.bucket, &a.client_id).cmp(&(b.bucket, &b.client_id)));
        return out;
    };
    let has = |d: Dim| dims.contains(&d);
    let mut groups: BTreeMap<Key, (Option<String>, Counts)> = BTreeMap::new();
    for r in selected {
        let pick = |d: Dim, v: Option<&String>| if has(d) { v.cloned() } else { None };
        let key: Key = (
            q.granularity.bucket(r.date),
            [
                pick(Dim::ClientId, Some(&r.client_id)),
                pick(Dim::ClientName, r.client_name.as_ref()),
                pick(Dim::OrganizationId, r.organization_id.as_ref()),
                pick(Dim::UserId, r.user_id.as_ref()),
                pick(Dim::TemplateUri, r.template_uri.as_ref()),
                pick(Dim::HttpMethod, r.http_method.as_ref()),
                pick(Dim::Platform, r.platform.as_ref()),
            ],
        );
        let entry = groups.entry(key).or_insert((None, Counts::default()));
        if entry.0.is_none() {
            // Carry the client's name along with its id (inferred: the real API's fill is undocumented).
            entry.0 = r.client_name.clone();
        }
        entry.1.add(&r.counts);
    }
    groups
        .into_iter()
        .map(|((bucket, k), (name, counts))| {
            let [client_id, client_name, organization_id, user_id, template_uri, http_method, platform] = k;
            let client_name = client_name.or(if client_id.is_some() { name } else { None });
            UsageResult {
                bucket,
                client_id,
                client_name,
                organization_id,
                user_id,
                template_uri,
                http_method,
                platform,
                counts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(date: &str, client: &str, uri: &str, method: &str, req: u64, owned: bool) -> UsageRow {
        UsageRow {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date"),
            client_id: client.into(),
            client_name: Some(format!("{client}-name")),
            organization_id: None,
            user_id: None,
            template_uri: Some(uri.into()),
            http_method: Some(method.into()),
            platform: None,
            counts: Counts {
                requests: req,
                status200: req,
                ..Counts::default()
            },
            genesys_owned: owned,
        }
    }

    /// From 2026-05-01 to 2026-05-02 (whether the end counts is the query's choice).
    const FIRST_DAY: &str = "2026-05-01T00:00:00/2026-05-02T00:00:00";

    fn query(interval: &str, inclusive: bool, group_by: Option<Vec<Dim>>) -> UsageQuery {
        let (start, end) = parse_interval(interval).expect("interval");
        UsageQuery {
            start,
            end,
            end_inclusive: inclusive,
            granularity: Granularity::Day,
            group_by,
            filters: Filters {
                include_genesys_owned: true,
                ..Filters::default()
            },
        }
    }

    fn rows() -> Vec<UsageRow> {
        vec![
            row("2026-05-01", "a", "/u", "GET", 10, false),
            row("2026-05-01", "a", "/v", "POST", 5, false),
            row("2026-05-01", "b", "/u", "GET", 7, false),
            row("2026-05-02", "a", "/u", "GET", 1, false),
            row("2026-05-03", "g", "/u", "GET", 100, true),
        ]
    }

    #[test]
    fn groups_by_client_per_day() {
        let q = query(
            "2026-05-01T00:00:00/2026-05-03T23:59:59",
            true,
            Some(vec![Dim::ClientId]),
        );
        let out = run(&rows(), &q);
        let got: Vec<(String, String, u64)> = out
            .iter()
            .map(|r| {
                (
                    r.bucket.to_string(),
                    r.client_id.clone().unwrap_or_default(),
                    r.counts.requests,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-05-01".into(), "a".into(), 15),
                ("2026-05-01".into(), "b".into(), 7),
                ("2026-05-02".into(), "a".into(), 1),
                ("2026-05-03".into(), "g".into(), 100),
            ]
        );
        assert_eq!(out[0].client_name.as_deref(), Some("a-name"));
        assert!(out[0].template_uri.is_none());
    }

    #[test]
    fn groups_by_template_and_method() {
        let q = query(
            FIRST_DAY,
            false,
            Some(vec![Dim::TemplateUri, Dim::HttpMethod]),
        );
        let out = run(&rows(), &q);
        assert_eq!(out.len(), 2, "only 2026-05-01 with an exclusive end");
        assert_eq!(out[0].template_uri.as_deref(), Some("/u"));
        assert_eq!(out[0].counts.requests, 17);
        assert_eq!(out[1].http_method.as_deref(), Some("POST"));
        assert!(out[0].client_id.is_none());
    }

    #[test]
    fn inclusive_end_includes_the_last_day() {
        let q = query(FIRST_DAY, true, Some(vec![Dim::ClientId]));
        assert_eq!(run(&rows(), &q).len(), 3);
    }

    #[test]
    fn genesys_owned_rows_can_be_filtered_and_filters_apply() {
        let mut q = query(
            "2026-05-01T00:00:00/2026-05-31T00:00:00",
            true,
            Some(vec![Dim::ClientId]),
        );
        q.filters.include_genesys_owned = false;
        assert!(run(&rows(), &q)
            .iter()
            .all(|r| r.client_id.as_deref() != Some("g")));
        q.filters.client_ids = Some(["b".to_string()].into_iter().collect());
        let out = run(&rows(), &q);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].counts.requests, 7);
    }

    #[test]
    fn ungrouped_rows_are_not_aggregated_and_month_buckets() {
        let q = query("2026-05-01T00:00:00/2026-05-31T00:00:00", true, None);
        assert_eq!(run(&rows(), &q).len(), 5);
        let mut q = query(
            "2026-05-01T00:00:00/2026-05-31T00:00:00",
            true,
            Some(vec![]),
        );
        q.granularity = Granularity::Month;
        let out = run(&rows(), &q);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].counts.requests, 123);
        assert_eq!(out[0].bucket.to_string(), "2026-05-01");
    }

    #[test]
    fn interval_parsing() {
        assert!(parse_interval("2026-01-01T00:00:00/2026-02-01T00:00:00").is_ok());
        assert!(parse_interval("2026-01-01T00:00:00Z/2026-02-01T00:00:00.000Z").is_ok());
        assert!(parse_interval("last week").is_err());
        assert_eq!(Dim::parse("OAuthClientId"), Dim::parse("OauthClientId"));
        assert_eq!(
            Granularity::Week
                .bucket(NaiveDate::from_ymd_opt(2026, 5, 14).unwrap_or_default())
                .to_string(),
            "2026-05-11"
        );
    }
}
