//! Test environment for the revocation API: the Genesys simulator, moto through the real
//! adapters, and API Gateway REST events built from the checked-in fixtures.

#![allow(dead_code)]

use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::eventbridge::EventBridgePublisher;
use credguard::aws::lambda::LambdaRotationTrigger;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::TAG_MANAGED;
use credguard::genesys::GenesysClient;
use credguard::ports::events::EVENT_SOURCE;
use credguard::revocation::config::RevocationConfig;
use credguard::rotation::config::ManagedSelection;
use credguard::testing::QueuedJobs;
use credguard_revocation::{handle, Deps, SelfIdentity};
use credguard_testkit::stack::FunctionStack;
use credguard_testkit::{admin_client, fast_options, unique, ADMIN_CLIENT_ID};
/// The demo org's names (one home: `genesys_sim::demo`).
pub use genesys_sim::demo::*;
use genesys_sim::{Seed, SimConfig};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::Duration;

pub const UNKNOWN: &str = "00000000-0000-4000-8000-00000000dead";

pub type RealDeps = Deps<
    GenesysClient,
    DynamoRecords,
    EventBridgePublisher,
    SecretsManager,
    LambdaRotationTrigger,
    QueuedJobs,
>;

/// The function's stack (simulator, moto, table, event tap; `env.sim`, `env.tap`) and the
/// handler's dependencies.
pub struct Env {
    pub stack: FunctionStack,
    pub deps: RealDeps,
    /// A separate client for checking outcomes at Genesys (so checks do not use the API's token).
    pub checker: GenesysClient,
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

pub async fn env_with(sim_config: SimConfig, seed: Seed) -> Env {
    let stack = FunctionStack::start("revocation", EVENT_SOURCE, sim_config, seed).await;
    let (sim, fn_aws, table, bus) = (&stack.sim, &stack.fn_aws, &stack.table, &stack.bus);
    let deps = Deps {
        genesys: admin_client(sim, fast_options()),
        records: DynamoRecords::new(fn_aws, table),
        events: EventBridgePublisher::new(fn_aws, bus, EVENT_SOURCE),
        secrets: SecretsManager::new(fn_aws),
        rotation: LambdaRotationTrigger::new(fn_aws, None),
        jobs: QueuedJobs::default(),
        config: RevocationConfig {
            protected_roles: vec!["Master Admin".into()],
            ..RevocationConfig::default()
        },
        identity: SelfIdentity::Known(ADMIN_CLIENT_ID.into()),
        managed: ManagedSelection::Tag {
            key: TAG_MANAGED.into(),
            value: unique("fleet"),
        },
        deadline_margin: Duration::from_secs(2),
        function_timeout: Duration::from_secs(60),
    };
    Env {
        checker: admin_client(sim, fast_options()),
        stack,
        deps,
    }
}

/// The demo org plus `n` ordinary users (bulk revocations), and their ids.
pub fn demo_with_users(n: usize) -> (Seed, Vec<String>) {
    let mut seed = Seed::demo();
    let ids: Vec<String> = (0..n)
        .map(|i| format!("b0b00000-0000-4000-8000-{i:012}"))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        seed = seed.user(genesys_sim::SeedUser::new(
            id,
            &format!("Bulk {i}"),
            &format!("bulk{i}@demo.invalid"),
        ));
    }
    (seed, ids)
}

pub async fn env() -> Env {
    env_with(SimConfig::default(), Seed::demo()).await
}

/// A REST API event from the checked-in fixture, re-aimed at `method path` with `body`.
pub fn rest_event(method: &str, path: &str, body: Option<&Value>, key: Option<&str>) -> Value {
    let mut e = fixture("apigw-rest-revoke-user.json");
    e["httpMethod"] = method.into();
    e["path"] = path.into();
    e["requestContext"]["httpMethod"] = method.into();
    e["requestContext"]["path"] = format!("/prod{path}").into();
    e["pathParameters"] = Value::Null;
    e["body"] = body
        .map(|b| Value::String(b.to_string()))
        .unwrap_or(Value::Null);
    for h in ["headers", "multiValueHeaders"] {
        let headers = e[h].as_object_mut().expect("headers");
        headers.remove("Idempotency-Key");
        if let Some(k) = key {
            let v = if h == "headers" {
                Value::from(k)
            } else {
                Value::from(vec![k])
            };
            headers.insert("Idempotency-Key".into(), v);
        }
    }
    e
}

pub struct Answer {
    pub status: u16,
    pub headers: Value,
    pub body: Value,
}

impl Answer {
    /// The status and the error body's stable code (empty when there is none).
    pub fn error(&self) -> (u16, &str) {
        let code = self.body["error"]["code"].as_str().unwrap_or_default();
        (self.status, code)
    }
}

/// An invocation with a minute to run.
pub fn invocation(payload: Value) -> LambdaEvent<Value> {
    credguard_testkit::invocation(payload, Duration::from_secs(60))
}

impl Env {
    /// Sends an API Gateway event through the real handler.
    pub async fn call(&self, event: &Value) -> Answer {
        let resp = handle(&self.deps, invocation(event.clone()))
            .await
            .expect("the handler answers");
        Answer {
            status: resp["statusCode"].as_u64().expect("statusCode") as u16,
            headers: resp["headers"].clone(),
            body: serde_json::from_str(resp["body"].as_str().expect("body")).expect("JSON body"),
        }
    }

    /// Runs the background jobs the API handed itself, as Lambda's asynchronous invocations
    /// would, until none is left. Returns how many invocations it took.
    pub async fn run_jobs(&self) -> usize {
        let mut invocations = 0;
        loop {
            let queued = self.deps.jobs.take();
            if queued.is_empty() {
                return invocations;
            }
            for id in queued {
                invocations += 1;
                let event = credguard::aws::lambda::bulk_job_event(&id);
                handle(&self.deps, invocation(event))
                    .await
                    .expect("the job runs");
            }
        }
    }

    /// `POST path` with only a reason, under a fresh idempotency key.
    pub async fn post_reason(&self, path: &str) -> Answer {
        self.post(path, serde_json::json!({"reason": "x"}), &key())
            .await
    }

    /// `GET /v1/revocations/{id}`: a revocation's record as the API shows it.
    pub async fn revocation(&self, id: &str) -> Answer {
        let path = format!("/v1/revocations/{id}");
        self.call(&rest_event("GET", &path, None, None)).await
    }

    pub async fn post(&self, path: &str, body: Value, key: &str) -> Answer {
        self.call(&rest_event("POST", path, Some(&body), Some(key)))
            .await
    }

    pub fn user_token(&self, user: &str) -> credguard::redact::SecretString {
        credguard::redact::SecretString::from(
            self.sim
                .control()
                .mint_user_token(user)
                .expect("mint")
                .access_token,
        )
    }

    pub async fn token_valid(&self, token: &credguard::redact::SecretString) -> bool {
        use credguard::ports::genesys::TokenAdmin;
        let d = credguard::deadline::Deadline::after(Duration::from_secs(10));
        self.checker.token_info(token, &d).await.is_ok()
    }

    pub async fn records(&self) -> Vec<Value> {
        credguard_testkit::scan_table(&self.aws, &self.table).await
    }

    /// Genesys calls made so far, excluding token grants.
    pub fn genesys_calls(&self) -> usize {
        self.sim
            .control()
            .calls()
            .calls
            .iter()
            .filter(|c| c.operation != "POST /oauth/token")
            .count()
    }

    pub fn calls_to(&self, op: &str) -> u64 {
        self.sim.control().call_count(op)
    }
}

pub fn key() -> String {
    unique("key")
}
