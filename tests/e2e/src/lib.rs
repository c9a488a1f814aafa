//! `make demo` (and end-to-end scenarios): the local stack as the functions see it in
//! production — resources created through the SDK, the function binaries run by
//! `cargo lambda watch`, Genesys played by the simulator binary.

pub mod demo_audit;
pub mod demo_cli;
pub mod demo_revocation;
pub mod demo_rotation;

use credguard::aws::secretsmanager::SecretsManager;
use credguard::genesys::region::Endpoints;
use credguard::redact::SecretString;
use credguard_testkit::events::EventTap;
use credguard_testkit::lambda_watch::LambdaWatch;
use credguard_testkit::{create_records_table, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET};

pub const ADMIN_SECRET: &str = "credguard/admin";
pub const TABLE: &str = "credguard-records";
pub const BUS: &str = "credguard-events";

pub struct DemoStack {
    pub aws: aws_config::SdkConfig,
    pub endpoints: Endpoints,
    pub sm: SecretsManager,
    pub tap: EventTap,
    pub functions: LambdaWatch,
    /// Admin API of the simulator (`/__sim`).
    pub sim_admin: String,
}

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run this through `make demo`"))
}

impl DemoStack {
    /// Creates what a deployment has (admin credential secret, records table, event bus) and
    /// starts the functions with the environment the SAM template gives them.
    pub async fn up() -> Self {
        let endpoints = Endpoints::from_urls(
            &env("GENESYS_API_BASE_URL"),
            Some(&env("GENESYS_LOGIN_BASE_URL")),
        )
        .expect("simulator URLs");
        let aws = credguard_testkit::aws().await;
        let sm = SecretsManager::new(&aws);
        let admin_doc = serde_json::json!({
            "schemaVersion": 1,
            "clientId": ADMIN_CLIENT_ID,
            "clientSecret": ADMIN_CLIENT_SECRET,
            "apiBaseUrl": endpoints.api.as_str(),
            "loginBaseUrl": endpoints.login.as_str(),
        });
        sm.create(
            ADMIN_SECRET,
            &SecretString::from(admin_doc.to_string()),
            &[],
        )
        .await
        .expect("create the admin secret");
        create_records_table(&aws, TABLE).await;
        let tap = EventTap::new(&aws, BUS, credguard::ports::events::EVENT_SOURCE).await;
        let fn_env: Vec<(&str, String)> = vec![
            ("GENESYS_API_BASE_URL", endpoints.api.to_string()),
            ("GENESYS_LOGIN_BASE_URL", endpoints.login.to_string()),
            ("GENESYS_ADMIN_SECRET_ID", ADMIN_SECRET.into()),
            ("RECORDS_TABLE_NAME", TABLE.into()),
            ("EVENT_BUS_NAME", BUS.into()),
            ("AWS_ENDPOINT_URL", env("AWS_ENDPOINT_URL")),
            ("AWS_REGION", "us-east-1".into()),
            ("RUST_LOG", "info".into()),
            // Revocation: who to protect, where emergency rotations go, and (local only) the
            // caller to record, since function URLs under cargo lambda watch carry no IAM identity.
            ("PROTECTED_ROLES", "Master Admin".into()),
            ("ROTATION_FUNCTION_NAME", "rotation".into()),
            ("LOCAL_CALLER_IDENTITY", "demo-operator".into()),
        ];
        let mut fn_env = fn_env;
        // One watch serves both functions with one environment: the admin key (the function
        // tests run each function under its own role).
        fn_env.extend(credguard_testkit::admin_credentials_env());
        let functions = LambdaWatch::start_with(&mut fn_env, |url| {
            vec![("AWS_ENDPOINT_URL_LAMBDA", url.to_owned())]
        })
        .expect("cargo lambda watch starts");
        println!("genesys (simulator): {endpoints}");
        println!("aws (moto):          {}", env("AWS_ENDPOINT_URL"));
        println!(
            "functions:           cargo lambda watch at {} (logs: {})",
            functions.url,
            functions.log_path.display()
        );
        Self {
            sim_admin: format!("{}/__sim", endpoints.api.as_str().trim_end_matches('/')),
            aws,
            endpoints,
            sm,
            tap,
            functions,
        }
    }
}
