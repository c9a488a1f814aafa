//! The rotation function over the in-memory ports and the Genesys simulator: fast and fully
//! controllable (the clock, Secrets Manager's rotation calls), for invariant and interleaving
//! tests. The real adapters are exercised against moto by the other suites.

use super::crash::{Crash, Crashing, CRASH};
use super::invocation;
use credguard::clock::Clock;
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED};
use credguard::genesys::{ClientOptions, GenesysClient};
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::redact::ExposeSecret;
use credguard::rotation::RotationConfig;
use credguard::testing::{MemoryEvents, MemoryRecords, MemorySecrets};
use credguard_rotation::{handle, Deps};
use credguard_testkit::{admin_client, endpoints, fast_options};
use futures::FutureExt;
use genesys_sim::{Seed, SimConfig, SimHandle};
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

pub type MemDeps = Deps<
    Crashing<GenesysClient>,
    Crashing<MemorySecrets>,
    Crashing<MemoryRecords>,
    Crashing<MemoryEvents>,
>;

pub const ROTATION_LAMBDA: &str =
    "arn:aws:lambda:us-east-1:000000000000:function:credguard-rotation";

pub struct MemEnv {
    pub sim: SimHandle,
    pub secrets: MemorySecrets,
    pub records: MemoryRecords,
    pub events: MemoryEvents,
    pub crash: Crash,
    pub deps: MemDeps,
}

/// What one invocation ended with: its answer, its error type, or the injected crash.
#[derive(Clone, Debug, PartialEq)]
pub enum Ended {
    Answered(Value),
    Failed(String),
    Crashed,
}

impl MemEnv {
    pub async fn new(sim_config: SimConfig, seed: Seed) -> Self {
        Self::with_options(sim_config, seed, fast_options()).await
    }

    pub async fn with_options(sim_config: SimConfig, seed: Seed, options: ClientOptions) -> Self {
        let sim = genesys_sim::start(sim_config, seed)
            .await
            .expect("simulator");
        let (secrets, records, events) = Default::default();
        let crash = Crash::default();
        let config = RotationConfig {
            propagation_window: Duration::from_secs(10),
            verify_interval: Duration::from_millis(50),
            sweep_jitter: Duration::ZERO,
            ..RotationConfig::default()
        };
        let deps = Deps {
            genesys: crash.wrap(admin_client(&sim, options)),
            secrets: crash.wrap(MemorySecrets::clone(&secrets)),
            records: crash.wrap(MemoryRecords::clone(&records)),
            events: crash.wrap(MemoryEvents::clone(&events)),
            config,
            endpoints: endpoints(&sim),
            deadline_margin: Duration::from_secs(2),
            function_timeout: Duration::from_secs(300),
            clock: Clock::default(),
        };
        Self {
            sim,
            secrets,
            records,
            events,
            crash,
            deps,
        }
    }

    /// A managed secret holding `client_id`'s credential.
    pub fn managed(&self, name: &str, client_id: &str, secret: &str, rotation: Value) -> String {
        let mut doc = json!({
            "schemaVersion": 1,
            "clientId": client_id,
            "clientSecret": secret,
            "apiBaseUrl": self.sim.api_url(),
            "loginBaseUrl": self.sim.login_url(),
        });
        if !rotation.is_null() {
            doc["rotation"] = rotation;
        }
        self.secrets.create(name, &doc.to_string());
        self.secrets.set_tag(name, TAG_MANAGED, "true");
        self.secrets.set_tag(name, TAG_CLIENT_ID, client_id);
        name.to_owned()
    }

    /// Hands the secret's rotation to Secrets Manager.
    pub fn own_by_secrets_manager(&self, name: &str) {
        self.secrets.enable_rotation(name, ROTATION_LAMBDA);
    }

    pub async fn current(&self, name: &str) -> Value {
        let v = self
            .secrets
            .get_version(name, VersionRef::Stage(AWSCURRENT))
            .await
            .expect("current");
        serde_json::from_str(v.value.expose_secret()).expect("JSON")
    }

    /// Runs one invocation the way Lambda would, catching the injected crash.
    pub async fn invoke(&self, payload: Value) -> Ended {
        match AssertUnwindSafe(handle(&self.deps, invocation(payload)))
            .catch_unwind()
            .await
        {
            Ok(Ok(v)) => Ended::Answered(v),
            Ok(Err(e)) => Ended::Failed(e.error_type()),
            Err(p) => {
                let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
                assert!(msg.starts_with(CRASH), "unexpected panic: {msg}");
                Ended::Crashed
            }
        }
    }

    pub async fn sweep(&self) -> Ended {
        self.invoke(json!({"action": "sweep"})).await
    }

    pub async fn rotate_now(
        &self,
        name: &str,
        retire_now: bool,
        request_id: Option<&str>,
    ) -> Ended {
        let mut req = json!({"action": "rotateNow", "secretId": name, "reason": "test", "retirePreviousNow": retire_now});
        if let Some(id) = request_id {
            req["requestId"] = id.into();
        }
        self.invoke(req).await
    }

    /// One Secrets Manager step invocation.
    pub async fn sm_step(&self, name: &str, step: &str, token: &str) -> Ended {
        self.invoke(json!({"Step": step, "SecretId": name, "ClientRequestToken": token}))
            .await
    }

    /// Time passes (ours and the simulator's).
    pub fn advance(&self, by: chrono::Duration) {
        self.deps.clock.advance(by);
        self.sim.control().advance_clock(by.num_seconds());
    }

    /// Enough time for any crashed execution's lease to lapse.
    pub fn lapse_leases(&self) {
        let ttl = chrono::Duration::from_std(self.deps.config.lease_ttl).unwrap();
        self.deps.clock.advance(ttl + chrono::Duration::seconds(3));
    }

    /// Every rotation record of `name`, oldest first.
    pub fn rotation_records(&self, name: &str) -> Vec<Value> {
        let mut mine: Vec<Value> = self
            .records
            .all()
            .into_iter()
            .map(Value::Object)
            .filter(|r| r["recordType"] == "rotation" && r["secretId"] == name)
            .collect();
        mine.sort_by_key(|r| r["startedAt"].as_str().unwrap_or_default().to_owned());
        mine
    }

    pub fn client_state(&self, id: &str) -> String {
        self.sim.control().client_view(id).expect("client").state
    }

    /// The stored credential is the client's current secret and Genesys accepts it.
    pub async fn current_works(&self, name: &str) -> bool {
        let doc = self.current(name).await;
        let check = self.sim.control().check_secret(
            doc["clientId"].as_str().unwrap(),
            doc["clientSecret"].as_str().unwrap(),
        );
        check.current && check.accepted
    }
}
