//! Runs the real `credguard` binary against the Genesys simulator (in-process) and moto (the
//! local stack `make test` starts), with the caller's own (admin) AWS credentials, as an
//! engineer would; each test in its own table, fleet tag and simulator.

#![allow(dead_code)]

pub mod recorder;

use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::TAG_MANAGED;
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::redact::{ExposeSecret, SecretString};
use credguard_testkit::process::run_with_input;
use credguard_testkit::{aws, create_records_table, unique, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET};
/// The demo org's names (one home: `genesys_sim::demo`).
pub use genesys_sim::demo::*;
use genesys_sim::{Seed, SimConfig, SimHandle};
use serde_json::{json, Value};
use std::process::Command;

pub struct Env {
    pub sim: SimHandle,
    pub aws: aws_config::SdkConfig,
    pub sm: SecretsManager,
    pub table: String,
    pub fleet: String,
    pub admin_secret: String,
    /// Unique per test: names under it are this test's.
    pub prefix: String,
    pub extra: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Exit 8 (something to look at) when `attention`, else 0.
    pub fn ok_or_attention(&self, attention: bool) {
        let want = if attention { 8 } else { 0 };
        assert_eq!(
            self.code, want,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
    }

    /// Exit code and the `[code]` printed with the error.
    pub fn refused_with(&self, exit: i32, code: &str) {
        assert_eq!(
            self.code, exit,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(&format!("[{code}]")),
            "expected [{code}] in:\n{}",
            self.stderr
        );
    }
}

impl Env {
    pub async fn new(config: SimConfig) -> Self {
        let sim = genesys_sim::start(config, Seed::demo())
            .await
            .expect("simulator");
        let aws = aws().await;
        let sm = SecretsManager::new(&aws);
        let table = unique("credguard-cli");
        create_records_table(&aws, &table).await;
        let prefix = format!("{}/", unique("credguard"));
        let admin_secret = format!("{prefix}admin");
        let doc = json!({"schemaVersion": 1, "clientId": ADMIN_CLIENT_ID, "clientSecret": ADMIN_CLIENT_SECRET,
            "apiBaseUrl": sim.api_url(), "loginBaseUrl": sim.login_url()});
        sm.create(&admin_secret, &SecretString::from(doc.to_string()), &[])
            .await
            .expect("admin secret");
        Self {
            fleet: unique("fleet"),
            sim,
            aws,
            sm,
            table,
            admin_secret,
            prefix,
            extra: vec![],
        }
    }

    pub fn name(&self, short: &str) -> String {
        format!("{}{short}", self.prefix)
    }

    /// The environment an engineer's shell would have for this deployment.
    pub fn vars(&self) -> Vec<(String, String)> {
        let mut v = vec![
            (
                "CREDGUARD_ADMIN_SECRET".to_owned(),
                self.admin_secret.clone(),
            ),
            ("CREDGUARD_RECORDS_TABLE".into(), self.table.clone()),
            ("CREDGUARD_MANAGED_PREFIX".into(), self.prefix.clone()),
            (
                "MANAGED_SECRET_TAG".into(),
                format!("{TAG_MANAGED}={}", self.fleet),
            ),
            ("GENESYS_API_BASE_URL".into(), self.sim.api_url()),
            ("GENESYS_LOGIN_BASE_URL".into(), self.sim.login_url()),
            ("SWEEP_JITTER_MINUTES".into(), "0".into()),
        ];
        v.extend(self.extra.iter().cloned());
        v
    }

    /// Runs `credguard args... -vvv` (every log line) with `stdin`, waiting for it (on a
    /// blocking thread), and asserts that no secret value appears in anything it printed.
    /// `credguard adopt <client> --name <name>` with the secret piped in and no integration
    /// credentials to declare: how most tests get a managed secret.
    pub async fn adopt(&self, client: &str, name: &str, secret: &str) -> Run {
        let args = [
            "adopt",
            client,
            "--name",
            name,
            "--secret-from-stdin",
            "--no-integration-credentials",
        ];
        self.run(&args, Some(secret)).await
    }

    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_with(self.vars(), args, stdin).await
    }

    /// [`Self::run`] with these environment variables instead of [`Self::vars`].
    pub async fn run_with(
        &self,
        vars: Vec<(String, String)>,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Run {
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push("-vvv".into());
        let input = stdin.map(str::to_owned);
        let run = tokio::task::spawn_blocking(move || run_blocking(&args, input.as_deref(), &vars))
            .await
            .expect("the CLI ran");
        let printed = format!("{}\n{}", run.stdout, run.stderr);
        for secret in self.secret_values(stdin).await {
            assert!(
                !printed.contains(&secret),
                "a secret value was printed:\n{printed}"
            );
        }
        run
    }

    /// Every secret value this test can know of: the org's seeded secrets, what was piped in,
    /// and every version of the admin secret and of this test's managed secrets (rotations
    /// included).
    async fn secret_values(&self, stdin: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = Seed::demo()
            .clients
            .into_iter()
            .filter_map(|c| c.secret)
            .collect();
        out.push(ADMIN_CLIENT_SECRET.to_owned());
        out.extend(stdin.map(|s| s.trim().to_owned()).filter(|s| s.len() >= 16));
        let mut names = vec![self.admin_secret.clone()];
        names.extend(
            self.sm
                .list_tagged(TAG_MANAGED, &self.fleet)
                .await
                .expect("list managed secrets")
                .into_iter()
                .map(|m| m.name),
        );
        for name in names {
            for v in self.sm.list_versions(&name).await.expect("versions") {
                let value = self
                    .sm
                    .get_version(&name, VersionRef::Id(&v.version_id))
                    .await
                    .expect("version");
                let doc: Value =
                    serde_json::from_str(value.value.expose_secret()).unwrap_or_default();
                out.extend(doc["clientSecret"].as_str().map(str::to_owned));
            }
        }
        // Too short to mean anything (an empty seed secret would match everything).
        out.retain(|s| s.len() >= 8);
        out
    }

    pub async fn current_doc(&self, name: &str) -> Value {
        let v = self
            .sm
            .get_version(name, VersionRef::Stage(AWSCURRENT))
            .await
            .expect("current version");
        serde_json::from_str(v.value.expose_secret()).expect("JSON document")
    }

    pub async fn exists(&self, name: &str) -> bool {
        self.sm.describe(name).await.is_ok()
    }
}

pub fn run_blocking(args: &[String], stdin: Option<&str>, vars: &[(String, String)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_credguard"));
    cmd.args(args)
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("RUST_LOG")
        .env_remove("CREDGUARD_STACK");
    let out = run_with_input(&mut cmd, stdin).expect("credguard runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
