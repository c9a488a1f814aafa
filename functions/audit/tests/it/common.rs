//! The audit test org in the simulator (one client per finding code, clean clients), its
//! managed secrets and rotation records in moto, and the real handler wired to both.
#![allow(dead_code)]

use chrono::Utc;
use credguard::audit::findings::codes::*;
use credguard::audit::permissions::AUDIT_NEEDS;
use credguard::audit::AuditConfig;
use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::config::CommonConfig;
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED};
use credguard::ports::records::{Condition, Item, Query, RecordStore};
use credguard::redact::SecretString;
use credguard_audit::{handler, invocation, wire, AwsDeps, EVENT_SOURCE};
use credguard_testkit::stack::FunctionStack;
use credguard_testkit::unique;
use genesys_sim::{RoleDivision, Seed, SeedClient, SeedUsageRow, SimConfig};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

pub const R_AUDIT: &str = "a0d1a000-0000-4000-8000-00000000000a";
pub const R_READ: &str = "a0d1a000-0000-4000-8000-00000000000b";
pub const R_MASTER: &str = "a0d1a000-0000-4000-8000-00000000000c";
pub const R_CLIENTS: &str = "a0d1a000-0000-4000-8000-00000000000d";
pub const R_DIR: &str = "a0d1a000-0000-4000-8000-00000000000e";
pub const R_DOOMED: &str = "a0d1a000-0000-4000-8000-00000000000f";

pub const HOME_DIVISION: &str = "d1000000-0000-4000-8000-000000000001";

pub const ADMIN: &str = "c1000000-0000-4000-8000-000000000001";
pub const CLEAN: &str = "c1000000-0000-4000-8000-000000000002";
pub const CODE_CLEAN: &str = "c1000000-0000-4000-8000-000000000003";
pub const NEW_CLIENT: &str = "c1000000-0000-4000-8000-000000000004";
pub const ADMIN_STAR: &str = "c1000000-0000-4000-8000-000000000005";
pub const CRED: &str = "c1000000-0000-4000-8000-000000000006";
pub const WILD: &str = "c1000000-0000-4000-8000-000000000007";
pub const ALLDIV: &str = "c1000000-0000-4000-8000-000000000008";
pub const ORPHAN: &str = "c1000000-0000-4000-8000-000000000009";
pub const SCOPES: &str = "c1000000-0000-4000-8000-00000000000a";
pub const IDLE: &str = "c1000000-0000-4000-8000-00000000000b";
pub const NEVER: &str = "c1000000-0000-4000-8000-00000000000c";
pub const LONG: &str = "c1000000-0000-4000-8000-00000000000d";
pub const UNMANAGED: &str = "c1000000-0000-4000-8000-00000000000e";
pub const STALE: &str = "c1000000-0000-4000-8000-00000000000f";
pub const FAILING: &str = "c1000000-0000-4000-8000-000000000010";
pub const DISABLED: &str = "c1000000-0000-4000-8000-000000000011";
pub const DELETING: &str = "c1000000-0000-4000-8000-000000000012";
pub const NEWCOMER: &str = "c1000000-0000-4000-8000-000000000013";
/// A client id no org has: the "ghost" managed secret points at it.
pub const GONE: &str = "c1000000-0000-4000-8000-0000000000ff";

pub const CLEAN_CLIENTS: &[&str] = &[ADMIN, CLEAN, CODE_CLEAN, NEW_CLIENT];

pub fn secret_of(id: &str) -> String {
    format!("it-secret-{id}-MUST-NOT-LEAK")
}

/// `"<subject> <code>"` of the events of `detail_type`, sorted.
pub fn announced(events: &[Value], detail_type: &str) -> Vec<String> {
    let mut out: Vec<String> = events
        .iter()
        .filter(|e| e["detail-type"] == detail_type)
        .map(|e| {
            format!(
                "{} {}",
                e["detail"]["subject"].as_str().unwrap_or_default(),
                e["detail"]["code"].as_str().unwrap_or_default()
            )
        })
        .collect();
    out.sort();
    out
}

/// The scheduled event as EventBridge Scheduler delivers it (run id 2026-11-21).
pub fn fixture(name: &str) -> Value {
    credguard_testkit::fixture(env!("CARGO_MANIFEST_DIR"), name)
}

fn cc(seed: &Seed, id: &str, name: &str, roles: &[&str], created_days_ago: i64) -> SeedClient {
    let home = seed.home_division_id().expect("home division").to_owned();
    let mut c = SeedClient::client_credentials(Some(id), name, &secret_of(id))
        .created_days_ago(created_days_ago)
        .validity(3600);
    for r in roles {
        c.role_divisions.push(RoleDivision {
            role_id: (*r).into(),
            division_id: home.clone(),
        });
    }
    c
}

fn code(id: &str, name: &str, scopes: &[&str]) -> SeedClient {
    SeedClient::code_grant(Some(id), name, &secret_of(id), scopes)
        .created_days_ago(100)
        .validity(3600)
}

pub fn seed() -> Seed {
    let mut s = Seed::new("Audit Test Org")
        .role(R_AUDIT, "Auditor", AUDIT_NEEDS)
        .role(R_READ, "Reader", &["directory:user:view"])
        .role(R_MASTER, "Master Admin", &["*:*:*"])
        .role(
            R_CLIENTS,
            "Client Manager",
            &["oauth:client:edit", "oauth:client:view"],
        )
        .role(R_DIR, "Directory Admin", &["directory:user:*"])
        .role(R_DOOMED, "Doomed", &["routing:queue:view"])
        .scope("users:readonly", "Read users")
        .scope("users", "Manage users")
        .scope("oauth", "Manage OAuth clients");
    // Fixed, so that a re-seeded org is the same org.
    s.divisions[0].id = HOME_DIVISION.into();
    let clients = vec![
        cc(&s, ADMIN, "credguard audit", &[R_AUDIT], 100),
        cc(&s, CLEAN, "clean", &[R_READ], 100),
        code(CODE_CLEAN, "desktop plugin", &["users:readonly"]),
        cc(&s, NEW_CLIENT, "brand new", &[R_READ], 2),
        cc(&s, ADMIN_STAR, "break glass", &[R_MASTER], 100),
        cc(&s, CRED, "client manager", &[R_CLIENTS], 100),
        cc(&s, WILD, "directory admin", &[R_DIR], 100),
        SeedClient::client_credentials(Some(ALLDIV), "all divisions", &secret_of(ALLDIV))
            .with_role(R_READ)
            .created_days_ago(100)
            .validity(3600),
        cc(&s, ORPHAN, "orphan role", &[R_READ, R_DOOMED], 100),
        code(SCOPES, "legacy app", &["users", "legacy:thing"]),
        cc(&s, IDLE, "idle", &[R_READ], 200),
        cc(&s, NEVER, "never used", &[R_READ], 20),
        cc(&s, LONG, "long tokens", &[R_READ], 100).validity(172_800),
        cc(&s, UNMANAGED, "unmanaged", &[R_READ], 100),
        cc(&s, STALE, "stale secret", &[R_READ], 100),
        cc(&s, FAILING, "failing rotation", &[R_READ], 100),
        cc(&s, DISABLED, "disabled", &[R_READ], 100).state("disabled"),
        cc(&s, DELETING, "being deleted", &[R_MASTER], 100).state("inactive"),
    ];
    for c in clients {
        s = s.client(c);
    }
    for (id, days_ago) in [
        (ADMIN, 1),
        (CLEAN, 1),
        (CODE_CLEAN, 2),
        (ADMIN_STAR, 1),
        (CRED, 1),
        (WILD, 1),
        (ALLDIV, 1),
        (ORPHAN, 1),
        (SCOPES, 3),
        (IDLE, 45),
        (LONG, 1),
        (UNMANAGED, 1),
        (STALE, 1),
        (FAILING, 1),
    ] {
        s = s.usage_row(SeedUsageRow::new(days_ago, id, "x", 25));
    }
    // Genesys's own web app: reported by the jobs API, not in the client list.
    let mut own = SeedUsageRow::new(1, "9e1b0000-0000-4000-8000-00000000beef", "web app", 500);
    own.genesys_owned = true;
    s.usage_row(own)
}

/// subject → finding codes the seeded org must raise, nothing more.
pub fn expected_findings(prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
    let c = |id: &str| format!("client:{id}");
    let s = |name: &str| format!("secret:{prefix}{name}");
    [
        (
            c(ADMIN_STAR),
            vec![ADMIN_PERMISSION, CREDENTIAL_ADMIN_PERMISSION],
        ),
        (c(CRED), vec![CREDENTIAL_ADMIN_PERMISSION]),
        (c(WILD), vec![WILDCARD_PERMISSION]),
        (c(ALLDIV), vec![ALL_DIVISIONS]),
        (c(ORPHAN), vec![ORPHANED_ROLE]),
        (c(SCOPES), vec![ORPHANED_SCOPE]),
        (c(IDLE), vec![UNUSED]),
        (c(NEVER), vec![NEVER_USED]),
        (c(LONG), vec![TOKEN_VALIDITY_TOO_LONG]),
        (c(UNMANAGED), vec![UNMANAGED_SECRET]),
        (c(DISABLED), vec![CLIENT_DISABLED]),
        (c(DELETING), vec![CLIENT_PENDING_DELETION]),
        (s("stale"), vec![MANAGED_SECRET_STALE]),
        (s("failing"), vec![ROTATION_FAILED]),
        (s("ghost"), vec![MANAGED_SECRET_MISSING_CLIENT]),
        (s("untagged"), vec![MANAGED_SECRET_UNTAGGED]),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.into_iter().map(str::to_owned).collect()))
    .collect()
}

/// The audit function's stack (simulator, moto as admin and as the function's role, table,
/// event tap; `org.sim`, `org.tap`) and what the test set up in it.
pub struct Org {
    pub stack: FunctionStack,
    pub deps: AwsDeps,
    /// The records table with admin credentials, for set-up and assertions.
    pub records: DynamoRecords,
    /// Managed secret names start with it (the audit only looks at these).
    pub prefix: String,
    /// Every secret value the test created, to scan outputs for.
    pub secret_values: Vec<String>,
}

impl std::ops::Deref for Org {
    type Target = FunctionStack;
    fn deref(&self) -> &FunctionStack {
        &self.stack
    }
}

pub struct Options {
    /// Days the audit's clock and the simulator's clock are moved forward.
    pub days_later: i64,
    pub clients_page_size: Option<usize>,
    /// The org, when not [`seed`].
    pub seed: Option<Seed>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            days_later: 2,
            clients_page_size: Some(7),
            seed: None,
        }
    }
}

async fn create_secret(
    sm: &SecretsManager,
    name: &str,
    client: Option<&str>,
    extra_tags: &[(&str, &str)],
    value: &str,
) {
    let mut tags: Vec<(&str, &str)> = vec![(TAG_MANAGED, "true")];
    if let Some(c) = client {
        tags.push((TAG_CLIENT_ID, c));
    }
    tags.extend_from_slice(extra_tags);
    sm.create(name, &SecretString::from(value.to_owned()), &tags)
        .await
        .expect("create secret");
}

pub async fn rotation_record(store: &impl RecordStore, secret: &str, token: &str, outcome: &str) {
    let started = credguard::records::iso(Utc::now() - chrono::Duration::hours(6));
    let item = json!({
        "pk": format!("SECRET#{secret}"), "sk": format!("ROTATION#{token}"),
        "gsi1pk": format!("SECRET#{secret}#ROTATIONS"), "gsi1sk": started,
        "recordType": "rotation", "outcome": outcome, "startedAt": started,
        "errorCode": if outcome == "failed" { "GenesysForbidden" } else { "" },
    });
    store
        .put(
            item.as_object().cloned().expect("object"),
            Condition::Always,
        )
        .await
        .expect("rotation record");
}

pub async fn org(options: Options) -> Org {
    let sim_config = SimConfig {
        usage_polls_before_complete: 0,
        audit_polls_before_complete: 0,
        clients_list_page_size: options.clients_page_size,
        ..SimConfig::default()
    };
    let seed = options.seed.unwrap_or_else(seed);
    let stack = FunctionStack::start("audit", EVENT_SOURCE, sim_config, seed).await;
    let FunctionStack {
        sim,
        aws,
        fn_aws,
        table,
        bus,
        ..
    } = &stack;
    sim.remove_role(R_DOOMED).expect("doomed role");
    let prefix = format!("{}/", unique("audit-it"));

    let sm = SecretsManager::new(aws);
    let admin_secret = format!("{prefix}admin");
    let mut secret_values = Vec::new();
    let admin_doc = json!({
        "schemaVersion": 1, "clientId": ADMIN, "clientSecret": secret_of(ADMIN),
        "apiBaseUrl": sim.api_url(), "loginBaseUrl": sim.login_url(),
    })
    .to_string();
    create_secret(&sm, &admin_secret, Some(ADMIN), &[], &admin_doc).await;
    for (name, client, tags) in [
        ("clean", Some(CLEAN), vec![]),
        ("new", Some(NEW_CLIENT), vec![]),
        ("admin-star", Some(ADMIN_STAR), vec![]),
        ("cred", Some(CRED), vec![]),
        ("wild", Some(WILD), vec![]),
        ("alldiv", Some(ALLDIV), vec![]),
        ("orphan", Some(ORPHAN), vec![]),
        ("idle", Some(IDLE), vec![]),
        ("never", Some(NEVER), vec![]),
        ("long", Some(LONG), vec![]),
        ("stale", Some(STALE), vec![("credguard:max-age-days", "1")]),
        ("failing", Some(FAILING), vec![]),
        ("ghost", Some(GONE), vec![]),
        ("untagged", None, vec![]),
    ] {
        let value = json!({"schemaVersion": 1, "clientId": client.unwrap_or(CLEAN),
            "clientSecret": secret_of(client.unwrap_or(CLEAN)), "region": "eu-west-1"})
        .to_string();
        create_secret(&sm, &format!("{prefix}{name}"), client, &tags, &value).await;
    }
    for id in [
        ADMIN, CLEAN, CODE_CLEAN, NEW_CLIENT, ADMIN_STAR, CRED, WILD, ALLDIV, ORPHAN, SCOPES, IDLE,
        NEVER, LONG, UNMANAGED, STALE, FAILING, DISABLED, DELETING, NEWCOMER,
    ] {
        secret_values.push(secret_of(id));
    }

    let common = CommonConfig::from_env(
        &[
            ("GENESYS_API_BASE_URL", sim.api_url().as_str()),
            ("GENESYS_LOGIN_BASE_URL", sim.login_url().as_str()),
            ("GENESYS_ADMIN_SECRET_ID", admin_secret.as_str()),
            ("RECORDS_TABLE_NAME", table.as_str()),
            ("EVENT_BUS_NAME", bus.as_str()),
        ][..],
    )
    .expect("common config");
    let audit = AuditConfig::from_env(
        &[
            ("AUDIT_SECRET_NAME_PREFIX", prefix.as_str()),
            // The "stale" secret has a 1-day maximum and is 2 days old: no grace.
            ("AUDIT_SECRET_AGE_GRACE_DAYS", "0"),
        ][..],
    )
    .expect("audit config");
    let mut deps = wire(fn_aws, &common, audit).expect("wiring");
    let records = DynamoRecords::new(aws, table);
    rotation_record(&records, &format!("{prefix}clean"), "t-ok", "succeeded").await;
    rotation_record(&records, &format!("{prefix}failing"), "t-old", "succeeded").await;
    rotation_record(&records, &format!("{prefix}failing"), "t-new", "failed").await;

    // Move both clocks: the "stale" secret (max age 1 day) is then 2 days old.
    let days = options.days_later;
    if days != 0 {
        sim.advance_clock(days * 86_400);
        deps.clock = Arc::new(move || Utc::now() + chrono::Duration::days(days));
    }
    Org {
        stack,
        deps,
        records,
        prefix,
        secret_values,
    }
}

impl Org {
    pub async fn invoke(&self, payload: Value) -> Result<Value, credguard::audit::AuditError> {
        handler(&self.deps, invocation(payload, Duration::from_secs(120))).await
    }

    /// Every item of a run.
    pub async fn items(&self, run_id: &str) -> Vec<Item> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .records
                .query(Query {
                    pk: format!("AUDIT#{run_id}"),
                    cursor,
                    ..Query::default()
                })
                .await
                .expect("query");
            out.extend(page.items);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    pub async fn findings(&self, run_id: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for i in self.items(run_id).await {
            if i["recordType"] == "auditFinding" {
                out.entry(i["subject"].as_str().expect("subject").to_owned())
                    .or_default()
                    .insert(i["code"].as_str().expect("code").to_owned());
            }
        }
        out
    }

    pub async fn run_record(&self, run_id: &str) -> Item {
        self.records
            .get(&format!("AUDIT#{run_id}"), "RUN")
            .await
            .expect("get")
            .expect("run record")
    }

    /// Panics if any secret value the test created appears in `text`.
    pub fn assert_no_secret(&self, what: &str, text: &str) {
        for v in &self.secret_values {
            assert!(
                !text.contains(v.as_str()),
                "a secret value appears in the {what}"
            );
        }
        assert!(
            !text.contains("MUST-NOT-LEAK"),
            "a secret value appears in the {what}"
        );
    }
}
