//! GIVEN the audit's org in the simulator, WHEN a person resets a managed client's secret and
//! gives another admin-level access between two nightly runs, THEN the second run names them
//! (CRITICAL and HIGH findings, attributed changes, the trail recorded with the run); rotation
//! notices go out in every run; the implicit-grant client gets its dated finding.

use crate::common::*;
use chrono::{Duration, Utc};
use credguard::audit::findings::codes::*;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::{TAG_LAST_FAILURE, TAG_ROTATED_AT};
use credguard::ports::secrets::SecretStore;
use credguard::records::iso;
use genesys_sim::{SeedClient, SeedUser};
use serde_json::{json, Value};

const MALLORY: &str = "u1000000-0000-4000-8000-00000000ma11";
const SPA: &str = "c1000000-0000-4000-8000-000000000020";

fn finding<'a>(
    items: &'a [serde_json::Map<String, Value>],
    subject: &str,
    code: &str,
) -> Option<&'a serde_json::Map<String, Value>> {
    items
        .iter()
        .find(|i| i["recordType"] == "auditFinding" && i["subject"] == subject && i["code"] == code)
}

fn evidence(i: &serde_json::Map<String, Value>) -> Value {
    serde_json::from_str(i["evidence"].as_str().expect("evidence")).expect("JSON")
}

#[tokio::test]
async fn changes_made_outside_credguard_are_found_and_attributed() {
    let s = seed()
        .user(
            SeedUser::new(MALLORY, "Mallory Admin", "mallory@example.com")
                .with_role(R_MASTER)
                .with_role(R_READ),
        )
        .client({
            let mut c = SeedClient::code_grant(
                Some(SPA),
                "old single-page app",
                &secret_of(SPA),
                &["users:readonly"],
            )
            .created_days_ago(100);
            c.authorized_grant_type = "TOKEN".into();
            c
        });
    let org = org(Options {
        days_later: 0,
        clients_page_size: None,
        seed: Some(s),
    })
    .await;
    let p = org.prefix.clone();
    // Rotation notices: "long" is 40 days past its last rotation; "alldiv" is due in 3 days but
    // held after a fatal failure.
    let sm = SecretsManager::new(&org.aws);
    let ago = |d: i64| iso(Utc::now() - Duration::days(d));
    sm.tag(&format!("{p}long"), &[(TAG_ROTATED_AT, &ago(40))])
        .await
        .expect("tag");
    sm.tag(
        &format!("{p}alldiv"),
        &[
            (TAG_ROTATED_AT, &ago(27)),
            (
                TAG_LAST_FAILURE,
                &format!("{}|Fatal.GenesysForbidden|t1", ago(1)),
            ),
            ("owner", "team-a@example.com"),
        ],
    )
    .await
    .expect("tag");

    let first = org
        .invoke(json!({"runId": "2026-11-20"}))
        .await
        .expect("first run");
    assert_eq!(first["outcome"], "complete", "{first}");
    let events = org.tap.drain().await;
    let notices = announced(&events, "Audit Rotation Notice");
    assert_eq!(
        notices,
        [
            format!("secret:{p}alldiv ROTATION_DUE_BLOCKED"),
            format!("secret:{p}long ROTATION_OVERDUE")
        ]
    );
    let held = events
        .iter()
        .find(|e| {
            e["detail-type"] == "Audit Rotation Notice"
                && e["detail"]["code"] == ROTATION_DUE_BLOCKED
        })
        .unwrap();
    assert_eq!(held["detail"]["owner"], "team-a@example.com");
    assert_eq!(held["detail"]["blockers"][0]["blocker"], "rotationHeld");

    // Between the runs Mallory resets CLEAN's secret in the Admin UI and gives it Master Admin;
    // with the other logging form, she also resets CRED's.
    let mallory = org
        .sim
        .mint_user_token(MALLORY)
        .expect("session")
        .access_token;
    let http = reqwest::Client::new();
    let api = org.sim.api_url();
    let r = http
        .post(format!("{api}/api/v2/oauth/clients/{CLEAN}/secret"))
        .bearer_auth(&mallory)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = json!({"name": "clean", "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 3600,
        "roleDivisions": [{"roleId": R_READ, "divisionId": HOME_DIVISION}, {"roleId": R_MASTER, "divisionId": HOME_DIVISION}]});
    let r = http
        .put(format!("{api}/api/v2/oauth/clients/{CLEAN}"))
        .bearer_auth(&mallory)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    org.sim
        .patch_config(&json!({"auditSecretResetAction": "Rotate"}))
        .expect("config");
    let r = http
        .post(format!("{api}/api/v2/oauth/clients/{CRED}/secret"))
        .bearer_auth(&mallory)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let second = org
        .invoke(json!({"runId": "2026-11-21"}))
        .await
        .expect("second run");
    assert_eq!(second["outcome"], "complete", "{second}");
    let items = org.items("2026-11-21").await;
    for (secret, action) in [("clean", "Update"), ("cred", "Rotate")] {
        let f = finding(
            &items,
            &format!("secret:{p}{secret}"),
            SECRET_RESET_OUTSIDE_CREDGUARD,
        )
        .expect(secret);
        assert_eq!(f["severity"], "CRITICAL");
        let e = evidence(f);
        assert_eq!(e["resetBy"]["userId"], MALLORY, "{e}");
        assert_eq!(e["resetBy"]["userName"], "Mallory Admin");
        assert_eq!(e["resetBy"]["action"], action);
        assert_eq!(e["resetBy"]["byCredguard"], false);
    }
    let grant =
        finding(&items, &format!("client:{CLEAN}"), ADMIN_ACCESS_GRANTED).expect("admin grant");
    let e = evidence(grant);
    assert_eq!(
        (e["how"].as_str(), e["roles"].clone()),
        (Some("granted"), json!(["Master Admin"]))
    );
    assert_eq!(e["changedBy"]["userName"], "Mallory Admin");
    let change = items
        .iter()
        .find(|i| i["sk"] == format!("CHANGE#ACCESS_CHANGED#client:{CLEAN}").as_str())
        .expect("access change");
    assert_eq!(change["changedByUserId"], MALLORY);
    assert_eq!(change["changedByCredguard"], false);
    // Every trail event of the window is recorded with the run: two resets, one update.
    let trail: Vec<&serde_json::Map<String, Value>> = items
        .iter()
        .filter(|i| i["recordType"] == "auditTrailEvent")
        .collect();
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert_eq!(trail.iter().filter(|t| t["secretReset"] == true).count(), 2);
    assert!(trail
        .iter()
        .all(|t| t["userId"] == MALLORY && t["byCredguard"] == false));
    let run = org.run_record("2026-11-21").await;
    assert_eq!(run["trailEvents"], 3);
    assert!(run["trailFrom"].as_str().unwrap() < run["trailTo"].as_str().unwrap());

    // The implicit-grant client, at the severity of today's date.
    let spa = finding(&items, &format!("client:{SPA}"), IMPLICIT_GRANT_RETIRING).expect("implicit");
    assert_eq!(evidence(spa)["stopsWorking"], "2027-03");

    // Announced: the resets (CRITICAL) and the grant (HIGH); the notices again.
    let events = org.tap.drain().await;
    let found = announced(&events, "Audit Finding");
    for want in [
        format!("secret:{p}clean SECRET_RESET_OUTSIDE_CREDGUARD"),
        format!("secret:{p}cred SECRET_RESET_OUTSIDE_CREDGUARD"),
        format!("client:{CLEAN} ADMIN_ACCESS_GRANTED"),
    ] {
        assert!(found.contains(&want), "{want} in {found:?}");
    }
    assert_eq!(announced(&events, "Audit Rotation Notice").len(), 2);
    let all = serde_json::to_string(&events).unwrap() + &serde_json::to_string(&items).unwrap();
    org.assert_no_secret("records and events", &all);
    // The audit read no managed secret's value (only its own admin credential).
    assert!(sm.list_versions(&format!("{p}clean")).await.is_ok());
    org.stack.sim.shutdown().await;
}
