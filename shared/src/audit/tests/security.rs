//! Where security teams look: changes made outside credguard (from the audit trail), notices
//! before a rotation goes wrong, dated platform rules, and dependents a rotation would break.

use super::*;
use crate::audit::testing::ACTING_CLIENT;
use crate::credential::{TAG_LAST_FAILURE, TAG_ROTATED_AT, TAG_STRATEGY};
use crate::records::iso;

/// An `AuditLogMessage` about client `id`, `ago` before now.
fn event(w: &World, id: &str, ago: Days, action: &str, props: &[&str], who: Value) -> Value {
    let mut m = json!({
        "id": format!("ev-{id}-{action}-{}", ago.num_minutes()),
        "eventDate": iso(w.now - ago), "serviceName": "PeoplePermissions",
        "entityType": "OAuthClient", "entity": {"id": id, "name": format!("client {id}")},
        "action": action, "status": "SUCCESS",
        "propertyChanges": props.iter().map(|p| json!({"property": p, "oldValues": [], "newValues": []})).collect::<Vec<_>>(),
    });
    m.as_object_mut()
        .unwrap()
        .extend(who.as_object().unwrap().clone());
    m
}

fn person(id: &str, name: &str) -> Value {
    json!({"user": {"id": id, "name": name}, "client": {"id": "web-app"}})
}

/// Mallory resets pay's secret in the Admin UI, `ago`.
fn mallory_resets_pay(w: &World, ago: Days) {
    let who = person("u-mal", "Mallory");
    w.g.trail_event(event(w, "pay", ago, "Update", &["secret"], who));
}

fn credguard() -> Value {
    json!({"client": {"id": ACTING_CLIENT}})
}

impl World {
    /// A rotation record with the given attributes (raw JSON, as rotation writes them).
    async fn rotation_record(&self, secret: &str, token: &str, attrs: Value) {
        let started = attrs["startedAt"].as_str().unwrap_or_default().to_owned();
        let mut item = json!({
            "pk": format!("SECRET#{secret}"), "sk": format!("ROTATION#{token}"),
            "gsi1pk": format!("SECRET#{secret}#ROTATIONS"), "gsi1sk": started,
            "recordType": "rotation", "token": token,
        });
        item.as_object_mut()
            .unwrap()
            .extend(attrs.as_object().unwrap().clone());
        self.r
            .put(item.as_object().cloned().unwrap(), Condition::Always)
            .await
            .unwrap();
    }

    fn finding(&self, run_id: &str, subject: &str, code: &str) -> Option<Item> {
        self.items(run_id, &format!("FINDING#{subject}#{code}"))
            .pop()
    }

    fn evidence(&self, run_id: &str, subject: &str, code: &str) -> Value {
        let f = self.finding(run_id, subject, code).expect("finding");
        serde_json::from_str(f["evidence"].as_str().unwrap()).unwrap()
    }
}

/// A small org: two managed clients, one admin-capable client manager role.
fn org() -> World {
    let w = World::new();
    for id in ["pay", "hr"] {
        w.g.client(w.cc(id, &["r-read"], 100));
        w.used(id, 1);
        w.managed(&format!("team/{id}"), Some(id), 10);
    }
    w
}

#[tokio::test]
async fn a_reset_outside_credguard_is_critical_names_who_and_stays_until_a_rotation_heals_it() {
    let mut w = org();
    // Mallory resets pay's secret in the Admin UI; credguard's own rotation resets hr's.
    mallory_resets_pay(&w, Days::hours(3));
    w.g.trail_event(event(&w, "hr", Days::hours(2), "Rotate", &[], credguard()));
    w.rotation_record("team/hr", "t-hr", json!({
        "clientId": "hr", "outcome": "succeeded", "startedAt": iso(w.now - Days::hours(2) - Days::minutes(1)),
        "finishedAt": iso(w.now - Days::hours(2) + Days::minutes(1))})).await;
    let s = w.run("2026-11-20").await.unwrap();
    assert_eq!(s.outcome, "complete", "{s:?}");
    let f = w
        .finding(
            "2026-11-20",
            "secret:team/pay",
            SECRET_RESET_OUTSIDE_CREDGUARD,
        )
        .expect("raised");
    assert_eq!(f["severity"], "CRITICAL");
    let e = w.evidence(
        "2026-11-20",
        "secret:team/pay",
        SECRET_RESET_OUTSIDE_CREDGUARD,
    );
    assert_eq!(e["resetBy"]["userId"], "u-mal");
    assert_eq!(e["resetBy"]["userName"], "Mallory");
    assert_eq!(e["resetAt"], iso(w.now - Days::hours(3)));
    assert_eq!(e["rotatedSince"], false);
    assert!(
        w.finding(
            "2026-11-20",
            "secret:team/hr",
            SECRET_RESET_OUTSIDE_CREDGUARD
        )
        .is_none(),
        "explained by its rotation record"
    );
    // It is announced at once, and the trail is recorded with the run.
    assert!(w
        .e
        .of_type("Audit Finding")
        .iter()
        .any(|e| e.detail["code"] == SECRET_RESET_OUTSIDE_CREDGUARD));
    let trail = w.items("2026-11-20", "TRAIL#");
    assert_eq!(trail.len(), 2);
    let by_credguard: BTreeMap<String, bool> = trail
        .iter()
        .map(|t| {
            (
                t["entityId"].as_str().unwrap().to_owned(),
                t["byCredguard"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_credguard,
        BTreeMap::from([("hr".into(), true), ("pay".into(), false)])
    );
    assert_eq!(
        trail.iter().find(|t| t["entityId"] == "hr").unwrap()["rotationToken"],
        "t-hr"
    );
    assert!(trail
        .iter()
        .all(|t| t["managedSecretNames"].as_array().unwrap().len() == 1));

    // The next day the reset is outside the trail's window, but consumers still hold a dead
    // secret: the finding stays, first seen the day before.
    let first_run_at = w.now;
    w.now += Days::days(1);
    w.g.usage(
        "pay",
        UsageSummary {
            requests: 1,
            days_with_requests: 1,
            last_used: Some(w.now.date_naive()),
            ..UsageSummary::default()
        },
    );
    let queries_before = w.g.trail_queries().len();
    w.run("2026-11-21").await.unwrap();
    let window = &w.g.trail_queries()[queries_before].interval;
    assert!(
        window.starts_with(&iso(first_run_at - Days::hours(1))),
        "from an hour before the previous run: {window}"
    );
    let kept = w
        .finding(
            "2026-11-21",
            "secret:team/pay",
            SECRET_RESET_OUTSIDE_CREDGUARD,
        )
        .expect("kept");
    assert_eq!(kept["firstSeenRunId"], "2026-11-20");

    // A successful rotation after the reset heals it.
    w.now += Days::days(1);
    w.rotation_record(
        "team/pay",
        "t-pay",
        json!({
        "clientId": "pay", "outcome": "succeeded", "startedAt": iso(w.now - Days::hours(1)),
        "finishedAt": iso(w.now - Days::minutes(50))}),
    )
    .await;
    w.run("2026-11-22").await.unwrap();
    assert!(w
        .finding(
            "2026-11-22",
            "secret:team/pay",
            SECRET_RESET_OUTSIDE_CREDGUARD
        )
        .is_none());
    assert!(w
        .changes("2026-11-22")
        .contains("CHANGE#FINDING_RESOLVED#secret:team/pay#SECRET_RESET_OUTSIDE_CREDGUARD"));
    // No secret value was read for any of it.
    assert_eq!(w.s.reads(), 0);
}

#[tokio::test]
async fn admin_access_granted_by_a_person_is_attributed_and_by_credguard_is_not_a_finding() {
    let mut w = org();
    w.run("2026-11-20").await.unwrap();
    w.now += Days::days(1);
    // Overnight: Mallory gives pay the client-management role; credguard creates an admin
    // partner for hr (an alternating rotation does that).
    w.g.client(w.cc("pay", &["r-read", "r-clients"], 100));
    w.g.trail_event(event(
        &w,
        "pay",
        Days::hours(1),
        "Update",
        &["roleDivisions"],
        person("u-mal", "Mallory"),
    ));
    w.g.client(w.cc("hr-partner", &["r-clients"], 0));
    w.used("hr-partner", 0);
    w.g.trail_event(event(
        &w,
        "hr-partner",
        Days::hours(1),
        "Create",
        &["roleDivisions"],
        credguard(),
    ));
    w.run("2026-11-21").await.unwrap();

    let e = w.evidence("2026-11-21", "client:pay", ADMIN_ACCESS_GRANTED);
    assert_eq!(
        (e["how"].as_str(), e["roles"].clone()),
        (Some("granted"), json!(["Client Manager"]))
    );
    assert_eq!(e["changedBy"]["userName"], "Mallory");
    assert_eq!(e["changedBy"]["byCredguard"], false);
    assert!(w
        .finding("2026-11-21", "client:hr-partner", ADMIN_ACCESS_GRANTED)
        .is_none());
    // Each client change names who made it.
    let access = w
        .items("2026-11-21", "CHANGE#ACCESS_CHANGED#client:pay")
        .pop()
        .unwrap();
    assert_eq!(access["changedByUserId"], "u-mal");
    assert_eq!(access["changedByCredguard"], false);
    let added = w
        .items("2026-11-21", "CHANGE#CLIENT_ADDED#client:hr-partner")
        .pop()
        .unwrap();
    assert_eq!(added["changedByClientId"], ACTING_CLIENT);
    assert_eq!(added["changedByCredguard"], true);
    let detail: Value = serde_json::from_str(added["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["changedBy"]["action"], "Create");

    // It stays while pay keeps the role, and goes when the role does.
    w.run("2026-11-22").await.unwrap();
    assert!(w
        .finding("2026-11-22", "client:pay", ADMIN_ACCESS_GRANTED)
        .is_some());
    w.g.client(w.cc("pay", &["r-read"], 100));
    w.run("2026-11-23").await.unwrap();
    assert!(w
        .finding("2026-11-23", "client:pay", ADMIN_ACCESS_GRANTED)
        .is_none());
}

#[tokio::test]
async fn without_the_trail_the_run_is_partial_and_resolves_no_trail_finding() {
    let w = org();
    mallory_resets_pay(&w, Days::hours(3));
    w.run("2026-11-20").await.unwrap();
    w.g.fail("trail", 403, 2);
    let s = w.run("2026-11-21").await.unwrap();
    assert_eq!(s.outcome, "partial");
    assert!(
        s.missing
            .iter()
            .any(|m| m.starts_with("trail: ") && m.contains("audits:audit:view")),
        "{:?}",
        s.missing
    );
    assert!(!w
        .changes("2026-11-21")
        .iter()
        .any(|c| c.contains("FINDING_RESOLVED")));
}

#[tokio::test]
async fn notices_name_what_blocks_a_rotation_due_soon_and_overdue_replaces_stale() {
    let mut w = org();
    // The rotation admin holds the client-management role only.
    w.g.client(w.cc(ACTING_CLIENT, &["r-clients"], 100));
    w.used(ACTING_CLIENT, 1);
    w.cfg.secret_age_grace_days = 2;
    let rotated = |days: i64| iso(w.now - Days::days(days));
    // pay: due in 3 days, alternating, its partner has drifted (other roles).
    w.g.client(w.cc("pay-b", &["r-dir"], 100));
    w.used("pay-b", 1);
    for (k, v) in [
        (TAG_ROTATED_AT, rotated(27)),
        (TAG_STRATEGY, "alternating".into()),
    ] {
        w.s.set_tag("team/pay", k, &v);
    }
    w.s.set_tag(
        "team/pay",
        crate::credential::TAG_PARTNER_CLIENT_ID,
        "pay-b",
    );
    // hr: 40 days since its last rotation (30 + 2 days of grace passed), held after a failure.
    w.s.set_tag("team/hr", TAG_ROTATED_AT, &rotated(40));
    w.s.set_tag(
        "team/hr",
        TAG_LAST_FAILURE,
        &format!("{}|Fatal.GenesysForbidden|t9", rotated(1)),
    );
    w.s.set_version_created("team/hr", "v1", w.now - Days::days(40));
    // ok: due in 3 days, nothing in the way.
    w.g.client(w.cc("ok", &["r-read"], 100));
    w.used("ok", 1);
    w.managed("team/ok", Some("ok"), 27);
    w.s.set_tag("team/ok", TAG_ROTATED_AT, &rotated(27));
    w.s.set_tag("team/pay", "owner", "payments-oncall@example.com");
    w.run("2026-11-21").await.unwrap();

    let e = w.evidence("2026-11-21", "secret:team/pay", ROTATION_DUE_BLOCKED);
    // Notices are sent in every run while they hold, to whoever the owner tag names.
    let notices = |run: &str| -> Vec<(String, String)> {
        w.e.of_type("Audit Rotation Notice")
            .iter()
            .filter(|n| n.detail["runId"] == run)
            .map(|n| {
                (
                    n.detail["secretName"].as_str().unwrap().to_owned(),
                    n.detail["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let mut sent = notices("2026-11-21");
    sent.sort();
    assert_eq!(
        sent,
        [
            ("team/hr".into(), ROTATION_OVERDUE.into()),
            ("team/pay".into(), ROTATION_DUE_BLOCKED.into())
        ]
    );
    let pay =
        w.e.of_type("Audit Rotation Notice")
            .into_iter()
            .find(|n| n.detail["secretName"] == "team/pay")
            .unwrap();
    assert_eq!(pay.detail["owner"], "payments-oncall@example.com");
    assert_eq!(pay.detail["blockers"][0]["blocker"], "partnerDrift");
    assert!(
        !w.e.of_type("Audit Finding")
            .iter()
            .any(|e| e.detail["code"] == ROTATION_OVERDUE),
        "announced as a notice"
    );
    let kinds: Vec<&str> = e["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["blocker"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["partnerDrift", "adminLacksRoles"]);
    assert_eq!(e["blockers"][1]["roles"], json!(["Reader"]));
    assert!(
        (60..=72).contains(&e["dueInHours"].as_i64().unwrap()),
        "{e}"
    );
    let hr = w.evidence("2026-11-21", "secret:team/hr", ROTATION_OVERDUE);
    assert_eq!(hr["blockers"][0]["blocker"], "rotationHeld");
    assert_eq!(hr["blockers"][0]["errorType"], "Fatal.GenesysForbidden");
    assert!(hr["overdueHours"].as_i64().unwrap() >= 10 * 24);
    let f = w.findings("2026-11-21");
    assert!(
        !f["secret:team/hr"].contains(MANAGED_SECRET_STALE),
        "overdue says it once"
    );
    assert!(!f.contains_key("secret:team/ok"));
    assert_eq!(
        w.finding("2026-11-21", "secret:team/hr", ROTATION_OVERDUE)
            .unwrap()["severity"],
        "HIGH"
    );
    w.run("2026-11-22").await.unwrap();
    assert_eq!(notices("2026-11-22").len(), 2, "again the next day");
}

#[tokio::test]
async fn implicit_grant_clients_get_the_dated_platform_finding() {
    let mut w = World::new();
    w.now = "2026-12-15T06:00:00Z".parse().unwrap();
    w.g.client(json!({"id": "spa", "name": "Old SPA", "authorizedGrantType": "TOKEN",
        "accessTokenValiditySeconds": 3600, "scope": ["users:readonly"], "dateCreated": ago(w.now, 100)}));
    w.used("spa", 1);
    w.run("2026-12-15").await.unwrap();
    let f = w
        .finding("2026-12-15", "client:spa", IMPLICIT_GRANT_RETIRING)
        .unwrap();
    assert_eq!(
        f["severity"], "HIGH",
        "less than three months before March 2027"
    );
    let e = w.evidence("2026-12-15", "client:spa", IMPLICIT_GRANT_RETIRING);
    assert_eq!(e["stopsWorking"], "2027-03");
    assert_eq!(e["migrateTo"], "authorization code grant with PKCE");
    assert_eq!(e["severitySince"], "2026-12-01");
    assert!(f["remediation"].as_str().unwrap().contains("PKCE"));
}

#[tokio::test]
async fn dependents_a_rotation_would_break_and_credentials_whose_client_is_unknown() {
    let w = org();
    let oauth = |id: &str, client: Option<&str>| {
        let mut c = json!({"id": id, "name": format!("cred {id}"), "type": {"name": "pureCloudOAuthClient"}});
        if let Some(cl) = client {
            c["credentialFields"] = json!({"clientId": cl});
        }
        c
    };
    w.g.credential(oauth("k-undeclared", Some("pay")))
        .credential(oauth("k-redacted", None))
        .credential(oauth("k-declared", Some("hr")))
        .credential(oauth("k-other-client", Some("someone-else")))
        .credential(json!({"id": "k-basic", "name": "basic", "type": {"name": "basicAuth"}}));
    w.rotation_record(
        "team/hr",
        "t1",
        json!({"clientId": "hr", "outcome": "succeeded",
        "startedAt": iso(w.now - Days::days(3)), "dependentsUpdated": ["k-declared"]}),
    )
    .await;
    w.run("2026-11-21").await.unwrap();
    let f = w.findings("2026-11-21");
    assert_eq!(f["credential:k-undeclared"], set(&[UNDECLARED_DEPENDENT]));
    assert_eq!(f["credential:k-redacted"], set(&[DEPENDENT_UNRESOLVED]));
    for quiet in [
        "credential:k-declared",
        "credential:k-other-client",
        "credential:k-basic",
    ] {
        assert!(!f.contains_key(quiet), "{quiet}");
    }
    let e = w.evidence(
        "2026-11-21",
        "credential:k-undeclared",
        UNDECLARED_DEPENDENT,
    );
    assert_eq!(e["managedSecretNames"], json!(["team/pay"]));
    let rec = w
        .finding(
            "2026-11-21",
            "credential:k-undeclared",
            UNDECLARED_DEPENDENT,
        )
        .unwrap();
    assert_eq!(
        (rec["credentialName"].as_str(), rec["clientId"].as_str()),
        (Some("cred k-undeclared"), Some("pay"))
    );
    // A credential a rotation record names is not read again.
    assert_eq!(w.g.calls("credential reads"), 3);
}

#[tokio::test]
async fn genesys_calls_do_not_grow_with_the_clients() {
    for n in [10, 400] {
        let w = World::new();
        for i in 0..n {
            w.g.client(w.cc(&format!("c{i}"), &["r-read"], 100));
            w.g.trail_event(event(
                &w,
                &format!("c{i}"),
                Days::hours(1),
                "Update",
                &["description"],
                credguard(),
            ));
        }
        w.run("2026-11-21").await.unwrap();
        let calls: Vec<u64> = [
            "clients",
            "roles",
            "scopes",
            "usage",
            "trail",
            "credentials",
        ]
        .iter()
        .map(|s| w.g.calls(s))
        .collect();
        assert_eq!(calls, [1, 1, 1, 1, 2, 1], "{n} clients");
        assert_eq!(w.items("2026-11-21", "TRAIL#").len(), n);
    }
}

#[tokio::test]
async fn security_hub_import_update_and_resolve_across_runs() {
    let mut w = org();
    w.hub_on = true;
    w.g.client(w.cc("admin", &["r-master"], 100));
    w.used("admin", 1);
    w.managed("team/admin", Some("admin"), 10);
    w.g.client(w.cc("wild", &["r-dir"], 100));
    w.used("wild", 1);
    let s = w.run("2026-11-20").await.unwrap();
    assert_eq!(s.outcome, "complete", "{s:?}");
    let id = |subject: &str, code: &str| format!("credguard/test-table/{subject}/{code}");
    let hub = w.h.findings();
    let admin = &hub[&id("client:admin", ADMIN_PERMISSION)];
    assert!(admin.active);
    assert_eq!(admin.severity, crate::ports::events::Severity::Critical);
    assert_eq!(admin.generator_id, "credguard-audit/ADMIN_PERMISSION");
    let resources: Vec<&str> = admin.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        resources,
        [
            "genesys:oauth-client:admin",
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/admin"
        ],
        "the client and its managed secret"
    );
    assert_eq!(admin.source["credguard/recordsTable"], "test-table");
    assert_eq!(
        admin.source["credguard/sk"],
        "FINDING#client:admin#ADMIN_PERMISSION"
    );
    assert!(admin.remediation.contains("role"));
    assert_eq!(
        admin.first_seen_at.to_rfc3339(),
        "2026-11-20T00:00:00+00:00"
    );
    let first_import = w.h.imported();
    assert_eq!(first_import as usize, hub.len());
    let run = w.items("2026-11-20", "RUN").pop().unwrap();
    assert_eq!(run["securityHubImported"], first_import);
    let rec = w
        .finding("2026-11-20", "client:admin", ADMIN_PERMISSION)
        .unwrap();
    assert_eq!(
        rec["securityHubId"],
        id("client:admin", ADMIN_PERMISSION).as_str()
    );

    // Next day: wild loses its wildcard role (resolved), admin's evidence changes (another
    // admin role: updated), the rest is as it was (not imported again).
    w.now += Days::days(1);
    w.g.role("r-root", "Root", &["*:*:*"]);
    w.g.client(w.cc("admin", &["r-master", "r-root"], 100));
    w.g.client(w.cc("wild", &["r-read"], 100));
    w.run("2026-11-21").await.unwrap();
    let hub2 = w.h.findings();
    let wildcard = id("client:wild", WILDCARD_PERMISSION);
    assert!(!hub2[&wildcard].active, "archived");
    assert_eq!(
        w.h.resolved(),
        [wildcard.clone()].into(),
        "workflow resolved"
    );
    let admin2 = &hub2[&id("client:admin", ADMIN_PERMISSION)];
    assert!(admin2.updated_at > admin.updated_at && admin2.description.contains("Root"));
    assert_eq!(
        admin2.first_seen_at, admin.first_seen_at,
        "first seen stays"
    );
    let run = w.items("2026-11-21", "RUN").pop().unwrap();
    // admin's two permission findings changed (new role) and it has a new one (admin access
    // granted, by nobody the trail names); wild's wildcard is archived; nothing else.
    assert_eq!(
        (
            run["securityHubImported"].as_u64(),
            run["securityHubArchived"].as_u64()
        ),
        (Some(3), Some(1)),
        "{run:?}"
    );
    assert_eq!(run["securityHubUnchanged"].as_u64(), Some(first_import - 3));

    // A finding that comes back is reopened (active, no longer resolved).
    w.now += Days::days(1);
    w.g.client(w.cc("wild", &["r-dir"], 100));
    w.run("2026-11-22").await.unwrap();
    assert!(w.h.findings()[&wildcard].active);
    assert!(w.h.resolved().is_empty());
}

#[tokio::test]
async fn unchanged_findings_are_refreshed_and_a_failed_import_makes_the_run_partial() {
    let mut w = org();
    w.hub_on = true;
    w.cfg.security_hub_refresh_days = 5;
    w.g.client(w.cc("wild", &["r-dir"], 100));
    w.used("wild", 1);
    w.run("2026-11-20").await.unwrap();
    let n = w.h.imported();
    assert!(n > 0);
    w.now += Days::days(1);
    w.run("2026-11-21").await.unwrap();
    assert_eq!(w.h.imported(), n, "nothing changed: nothing imported");
    w.now += Days::days(5);
    w.run("2026-11-26").await.unwrap();
    assert_eq!(w.h.imported(), 2 * n, "refreshed after 5 days");
    w.now += Days::days(1);
    w.h.fail_imports(1);
    w.g.client(w.cc("pay", &["r-master"], 100));
    let s = w.run("2026-11-27").await.unwrap();
    assert_eq!(s.outcome, "partial");
    assert!(
        s.missing
            .iter()
            .any(|m| m.starts_with("securityHub: import failed")),
        "{:?}",
        s.missing
    );
    let s = w.run("2026-11-27").await.unwrap();
    assert_eq!(s.outcome, "complete", "the retry imports again");
    assert!(w
        .h
        .findings()
        .contains_key("credguard/test-table/client:pay/ADMIN_PERMISSION"));
}
