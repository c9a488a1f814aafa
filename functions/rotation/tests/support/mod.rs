//! Test environment for the rotation function: the Genesys simulator, moto through the real
//! adapters, and decorators that stop the "process" (panic) right after a chosen external call.

#![allow(dead_code)]

pub mod crash;
pub mod memory;

use crash::{Crash, Crashing};
use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::eventbridge::EventBridgePublisher;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED};
use credguard::genesys::GenesysClient;
use credguard::ports::events::EVENT_SOURCE;
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::redact::{ExposeSecret, SecretString};
use credguard::rotation::config::ManagedSelection;
use credguard::rotation::RotationConfig;
use credguard_rotation::Deps;
use credguard_testkit::stack::FunctionStack;
use credguard_testkit::{admin_client, endpoints, fast_options, unique};
/// The demo org's names (one home: `genesys_sim::demo`).
pub use genesys_sim::demo::*;
use genesys_sim::{Seed, SimConfig};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::Duration;

pub type RealDeps = Deps<
    Crashing<GenesysClient>,
    Crashing<SecretsManager>,
    Crashing<DynamoRecords>,
    Crashing<EventBridgePublisher>,
>;

/// The function's stack (simulator, moto, table, event tap; `env.sim`, `env.tap`) and the
/// handler's dependencies.
pub struct Env {
    pub stack: FunctionStack,
    pub deps: RealDeps,
    pub crash: Crash,
    /// The value of the `credguard:managed` tag that marks this test's secrets.
    pub fleet: String,
    pub sm: SecretsManager,
}

impl std::ops::Deref for Env {
    type Target = FunctionStack;
    fn deref(&self) -> &FunctionStack {
        &self.stack
    }
}

pub fn fixture(name: &str) -> Value {
    credguard_testkit::fixture(env!("CARGO_MANIFEST_DIR"), name)
}

/// The `rotate-now.json` fixture for `secret_id`.
pub fn rotate_now_event(secret_id: &str) -> Value {
    let mut event = fixture("rotate-now.json");
    event["secretId"] = secret_id.into();
    event
}

/// A Lambda invocation with two minutes to run.
pub fn invocation(payload: Value) -> LambdaEvent<Value> {
    invocation_ending_in(payload, Duration::from_secs(120))
}

/// An invocation Lambda stops `ends_in` from now.
pub fn invocation_ending_in(payload: Value, ends_in: Duration) -> LambdaEvent<Value> {
    credguard_testkit::invocation(payload, ends_in)
}

pub async fn env_with(sim_config: SimConfig, seed: Seed) -> Env {
    let stack = FunctionStack::start("rotation", EVENT_SOURCE, sim_config, seed).await;
    let (sim, fn_aws, table, bus) = (&stack.sim, &stack.fn_aws, &stack.table, &stack.bus);
    let fleet = unique("fleet");
    let crash = Crash::default();
    let config = RotationConfig {
        propagation_window: Duration::from_secs(10),
        verify_interval: Duration::from_millis(100),
        managed: ManagedSelection::Tag {
            key: TAG_MANAGED.into(),
            value: fleet.clone(),
        },
        ..RotationConfig::default()
    };
    let deps = Deps {
        genesys: crash.wrap(admin_client(sim, fast_options())),
        secrets: crash.wrap(SecretsManager::new(fn_aws)),
        records: crash.wrap(DynamoRecords::new(fn_aws, table)),
        events: crash.wrap(EventBridgePublisher::new(fn_aws, bus, EVENT_SOURCE)),
        config,
        endpoints: endpoints(sim),
        deadline_margin: Duration::from_secs(2),
        function_timeout: Duration::from_secs(300),
        clock: Default::default(),
    };
    Env {
        sm: SecretsManager::new(&stack.aws),
        stack,
        deps,
        crash,
        fleet,
    }
}

/// An environment whose simulator takes `ms` to propagate a new secret.
pub async fn env_with_propagation_delay(ms: u64) -> Env {
    let sim = SimConfig {
        propagation_delay_ms: ms,
        ..SimConfig::default()
    };
    env_with(sim, Seed::demo()).await
}

pub async fn env() -> Env {
    env_with(SimConfig::default(), Seed::demo()).await
}

impl Env {
    /// Creates a managed secret for `client_id` in this test's fleet.
    pub async fn managed_secret(&self, client_id: &str, secret: &str, rotation: Value) -> String {
        let name = unique("credguard/managed");
        let mut doc = serde_json::json!({
            "schemaVersion": 1,
            "clientId": client_id,
            "clientSecret": secret,
            "apiBaseUrl": self.sim.api_url(),
            "loginBaseUrl": self.sim.login_url(),
            "owner": "team-integrations",
        });
        if !rotation.is_null() {
            doc["rotation"] = rotation;
        }
        self.sm
            .create(
                &name,
                &SecretString::from(doc.to_string()),
                &[(TAG_MANAGED, &self.fleet), (TAG_CLIENT_ID, client_id)],
            )
            .await
            .expect("create managed secret");
        name
    }

    /// A managed secret holding HR sync's credential.
    pub async fn managed_hr(&self, rotation: Value) -> String {
        self.managed_secret(HR_SYNC, HR_SYNC_SECRET, rotation).await
    }

    /// A managed secret holding the data actions client's credential.
    pub async fn managed_data_actions(&self, rotation: Value) -> String {
        self.managed_secret(DATA_ACTIONS, DATA_ACTIONS_SECRET, rotation)
            .await
    }

    pub async fn current(&self, name: &str) -> Value {
        let v = self
            .sm
            .get_version(name, VersionRef::Stage(AWSCURRENT))
            .await
            .expect("current");
        serde_json::from_str(v.value.expose_secret()).expect("JSON")
    }

    pub async fn current_version(&self, name: &str) -> String {
        self.sm
            .describe(name)
            .await
            .expect("describe")
            .version_with_stage(AWSCURRENT)
            .expect("current")
            .to_owned()
    }

    /// The stored credential is the client's current secret and Genesys accepts it.
    pub async fn assert_current_works(&self, name: &str) {
        let doc = self.current(name).await;
        let check = self.sim.control().check_secret(
            doc["clientId"].as_str().expect("clientId"),
            doc["clientSecret"].as_str().expect("clientSecret"),
        );
        assert!(
            check.current && check.accepted,
            "AWSCURRENT of {name} does not work: {check:?}"
        );
    }

    /// Every item this test wrote to the table.
    pub async fn all_records(&self) -> Vec<Value> {
        credguard_testkit::scan_table(&self.aws, &self.table).await
    }

    /// Time passes until a crashed invocation has certainly ended: its lease on `name` (if
    /// it took one) lapses. The lapse itself, in real time, has its own test.
    pub async fn lapse_lease(&self, name: &str) {
        use aws_sdk_dynamodb::types::AttributeValue;
        let past = (chrono::Utc::now().timestamp() - 1).to_string();
        let r = aws_sdk_dynamodb::Client::new(&self.aws)
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("LEASE#{name}")))
            .key("sk", AttributeValue::S("LEASE".into()))
            .update_expression("SET expiresAt = :past")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":past", AttributeValue::N(past))
            .send()
            .await;
        if let Err(e) = r {
            assert!(
                e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()),
                "lapse lease: {e:?}"
            );
        }
    }

    /// Secrets Manager's four step invocations for `token`, each expected to do its work.
    pub async fn run_sm_steps(&self, arn: &str, token: &str) {
        for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            let out =
                credguard_rotation::handle(&self.deps, invocation(self.sm_event(step, arn, token)))
                    .await
                    .unwrap();
            assert_eq!(out["result"], "done", "{step}: {out}");
        }
    }

    /// The partner clients the alternating strategy created at the simulator.
    pub fn partner_clients(&self) -> Vec<Value> {
        let state = self.sim.control().state_dump();
        state["clients"]
            .as_array()
            .expect("clients")
            .iter()
            .filter(|c| {
                c["name"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("credguard partner")
            })
            .cloned()
            .collect()
    }

    pub async fn rotation_record(&self, name: &str) -> Value {
        let records = self.all_records().await;
        let mut mine: Vec<Value> = records
            .into_iter()
            .filter(|r| r["recordType"] == "rotation" && r["secretId"] == name)
            .collect();
        mine.sort_by_key(|r| r["startedAt"].as_str().unwrap_or_default().to_owned());
        mine.pop().expect("a rotation record")
    }
}

impl Env {
    /// What Secrets Manager does when a rotation starts: rotation enabled, the token staged as
    /// `AWSPENDING`. moto then fails to find our Lambda (there is none) but keeps that state.
    pub async fn start_sm_rotation(&self, name: &str, token: &str) {
        let sm = aws_sdk_secretsmanager::Client::new(&self.aws);
        let _ = sm
            .rotate_secret()
            .secret_id(name)
            .rotation_lambda_arn(
                "arn:aws:lambda:us-east-1:123456789012:function:credguard-rotation",
            )
            .client_request_token(token)
            .rotation_rules(
                aws_sdk_secretsmanager::types::RotationRulesType::builder()
                    .automatically_after_days(30)
                    .build(),
            )
            .rotate_immediately(false)
            .send()
            .await;
        let meta = self.sm.describe(name).await.expect("describe");
        assert!(meta.rotation_enabled, "rotation enabled");
        assert!(
            meta.stages_of(token).iter().any(|s| s == "AWSPENDING"),
            "the emulator staged the token as AWSPENDING: {:?}",
            meta.versions
        );
    }

    /// The fixture for `step`, pointed at this secret and token.
    pub fn sm_event(&self, step: &str, secret_arn: &str, token: &str) -> Value {
        let mut e = fixture(&format!("sm-{step}.json"));
        e["SecretId"] = secret_arn.into();
        e["ClientRequestToken"] = token.into();
        e
    }

    pub async fn arn(&self, name: &str) -> String {
        self.sm.describe(name).await.expect("describe").arn
    }
}

impl Env {
    /// The scheduler's sweep event (`scheduler-sweep.json`) through the real handler.
    pub async fn scheduled_sweep(&self) -> Result<Value, credguard::rotation::RotationError> {
        credguard_rotation::handle(&self.deps, invocation(fixture("scheduler-sweep.json"))).await
    }

    /// One sweep, as the handler runs it, with its whole report: the handler fails the
    /// invocation when work is left unfinished (`unfinished` names it), which hides the report.
    pub async fn sweep(&self) -> Value {
        let d = credguard::deadline::Deadline::after(Duration::from_secs(120));
        let report = self
            .deps
            .rotator()
            .sweep(false, &d)
            .await
            .expect("sweep runs");
        let mut v = serde_json::to_value(&report).unwrap();
        v["unfinished"] = report.unfinished().into();
        v
    }

    /// Marks a managed secret as last rotated long ago, so the sweep finds it due.
    pub async fn sm_tag_old(&self, name: &str) {
        self.sm_tag_past(name, "credguard:rotated-at").await;
    }

    /// Sets the date tag `key` to a day long past (due, or a grace period over).
    pub async fn sm_tag_past(&self, name: &str, key: &str) {
        use credguard::ports::secrets::SecretStore;
        let past = "2026-01-01T00:00:00.000Z";
        self.sm.tag(name, &[(key, past)]).await.expect("tag");
    }
}
