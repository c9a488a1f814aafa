//! IAM as AWS enforces it, played by moto: `infra/local/up.sh` switches moto's IAM enforcement
//! on, and from then on every request is authorised against the caller's IAM policies.
//!
//! [`function_aws`] gives a function under test credentials of a role that carries exactly its
//! role's actions from the SAM-transformed template (`target/iam-policies/<binary>.json`, written
//! by `infra/checks/deploy_truth.py --policies`; resources are widened to `*` because moto does
//! not match resource ARNs, and resource scoping is a static check there). A call the template
//! does not allow fails the test as it would fail in AWS. Set-up and assertions keep the admin
//! credentials of [`crate::aws`].
//!
//! With `CREDGUARD_IAM_OBSERVED` set, every action a function's clients send is noted in
//! `$CREDGUARD_IAM_OBSERVED/<binary>.txt`; `infra/checks/iam_unused.py` then finds permissions
//! no test used.

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// The SDK configuration of function `binary` (`rotation`, `revocation`, `audit`): admin's
/// endpoint and region, the function's role's credentials, its calls noted.
pub async fn function_aws(admin: &SdkConfig, binary: &'static str) -> SdkConfig {
    static ROLES: Mutex<Option<HashMap<&'static str, Credentials>>> = Mutex::new(None);
    let cached = ROLES
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .get(binary)
        .cloned();
    let creds = match cached {
        Some(c) => c,
        None => {
            let c = role_credentials(admin, binary, &function_policy(binary)).await;
            ROLES
                .lock()
                .unwrap()
                .get_or_insert_with(HashMap::new)
                .insert(binary, c.clone());
            c
        }
    };
    configured(admin, creds, binary)
}

/// `admin` with other credentials, its requests noted under `name`.
fn configured(admin: &SdkConfig, creds: Credentials, name: &str) -> SdkConfig {
    // The SDK's own default client (a loaded configuration leaves the choice to each client).
    let http = admin.http_client().unwrap_or_else(|| {
        aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https()
    });
    admin
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .http_client(Noting {
            inner: http,
            name: name.to_owned(),
        })
        .build()
}

/// An SDK configuration whose calls are authorised by `policy` alone, noted under `name` (for
/// tests showing that enforcement is real).
pub async fn aws_with_policy(admin: &SdkConfig, name: &str, policy: &Value) -> SdkConfig {
    let creds = role_credentials(admin, name, policy).await;
    configured(admin, creds, name)
}

/// The policy of function `binary`'s role, as the tests apply it.
pub fn function_policy(binary: &str) -> Value {
    let path = policies_dir().join(format!("{binary}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("policy JSON")
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(|p| p.parent())
        .expect("tests/testkit is two levels deep")
        .to_path_buf()
}

/// `target/iam-policies`, (re)written from template.yaml when missing or older than it, so that
/// `cargo test` alone never runs against a stale policy.
fn policies_dir() -> PathBuf {
    static WRITTEN: Mutex<bool> = Mutex::new(false);
    let root = workspace_root();
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("iam-policies");
    let mut written = WRITTEN.lock().unwrap_or_else(|p| p.into_inner());
    if *written {
        return dir;
    }
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (
        modified(dir.join("rotation.json")),
        modified(root.join("template.yaml")),
    ) {
        (Some(policy), Some(template)) => policy < template,
        _ => true,
    };
    if stale {
        let status = std::process::Command::new(root.join(".venv/bin/python"))
            .arg(root.join("infra/checks/deploy_truth.py"))
            .arg("--policies")
            .arg(&dir)
            .status()
            .expect("run infra/checks/deploy_truth.py (make setup creates .venv)");
        assert!(
            dir.join("rotation.json").exists(),
            "deploy_truth.py wrote no policies ({status})"
        );
    }
    *written = true;
    dir
}

/// Creates a role carrying `policy` and assumes it through moto's STS.
async fn role_credentials(admin: &SdkConfig, name: &str, policy: &Value) -> Credentials {
    let iam = aws_sdk_iam::Client::new(admin);
    let role = format!("credguard-test-{name}-{:08x}", rand::random::<u32>());
    let trust = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
    let arn = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create role (is moto running with IAM enforcement? make test starts it)")
        .role()
        .expect("role")
        .arn()
        .to_owned();
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("function")
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("put role policy");
    let out = aws_sdk_sts::Client::new(admin)
        .assume_role()
        .role_arn(arn)
        .role_session_name(format!("test-{name}"))
        .send()
        .await
        .expect("assume role");
    let c = out.credentials().expect("credentials");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "moto-assumed-role",
    )
}

/// Notes the IAM action of every request a function's clients send, and says so on stderr
/// when moto refuses one (the SDK cannot read moto's XML error for JSON services: the test only
/// sees an "Unknown" error).
#[derive(Debug)]
struct Noting {
    inner: SharedHttpClient,
    name: String,
}

impl HttpClient for Noting {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(NotingConnector {
            inner: self.inner.http_connector(settings, components),
            name: self.name.clone(),
        })
    }
}

#[derive(Debug)]
struct NotingConnector {
    inner: SharedHttpConnector,
    name: String,
}

impl HttpConnector for NotingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let action = action_of(&request);
        note(&self.name, &action);
        let (name, call) = (self.name.clone(), self.inner.call(request));
        HttpConnectorFuture::new(async move {
            let response = call.await?;
            if response.status().as_u16() == 403 {
                eprintln!("IAM (moto): {name} may not {action} - its role in template.yaml does not allow it");
                DENIED
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert((name, action));
            }
            Ok(response)
        })
    }
}

/// `secretsmanager:GetSecretValue` from the signed request: the service from the credential
/// scope, the operation from `X-Amz-Target` (JSON protocols) or the path (Lambda Invoke).
fn action_of(req: &HttpRequest) -> String {
    let service = req
        .headers()
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unsigned");
    let operation = match req.headers().get("x-amz-target") {
        Some(target) => target.rsplit('.').next().unwrap_or(target).to_owned(),
        None if req.uri().contains("/functions/") && req.uri().contains("/invocations") => {
            "InvokeFunction".to_owned()
        }
        None => format!("{} {}", req.method(), req.uri()),
    };
    format!("{service}:{operation}")
}

static SEEN: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());
static DENIED: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

/// The actions function `name`'s clients have sent in this process so far.
pub fn observed(name: &str) -> BTreeSet<String> {
    of(&SEEN, name)
}

/// The actions moto refused to `name`'s clients in this process so far.
pub fn denied(name: &str) -> BTreeSet<String> {
    of(&DENIED, name)
}

fn of(set: &Mutex<BTreeSet<(String, String)>>, name: &str) -> BTreeSet<String> {
    set.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, a)| a.clone())
        .collect()
}

fn note(binary: &str, action: &str) {
    let first = SEEN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((binary.to_owned(), action.to_owned()));
    let Some(dir) = std::env::var_os("CREDGUARD_IAM_OBSERVED").filter(|_| first) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{binary}.txt")))
    {
        let _ = writeln!(f, "{action}");
    }
}
