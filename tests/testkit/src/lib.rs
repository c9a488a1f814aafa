//! Test and demo support. Integration tests reach AWS only through the real SDK pointed at the
//! local emulator (`AWS_ENDPOINT_URL`, set by `make test`), and Genesys only through the
//! simulator started in-process.

pub mod ddb_proxy;
pub mod events;
pub mod iam;
pub mod lambda_watch;
pub mod logs;
pub mod observe;
pub mod process;
pub mod securityhub_gap;
pub mod sigv4;
pub mod stack;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use credguard::genesys::region::Endpoints;
use credguard::genesys::{ClientCredentials, ClientOptions, GenesysClient, StaticCredentials};
use credguard::ports::records::{GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, PK, SK, TTL};
/// The demo org's admin client, as every test acts (`genesys_sim::demo`).
pub use genesys_sim::demo::{ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET};
use genesys_sim::{Seed, SimConfig, SimHandle};
use std::sync::Arc;
use std::time::Duration;

/// The AWS SDK configuration for the local emulator. Panics with directions when the emulator
/// is not configured, so a missing stack fails loudly instead of skipping tests.
pub async fn aws() -> aws_config::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: run the tests with `make test` (it starts moto), \
         or `make local-up && source .local/env` first"
    );
    credguard::aws::load_config().await
}

/// The admin credentials of the local emulator (`.local/env`), for processes the tests start
/// (moto enforces IAM, so the access key must be one it issued).
pub fn admin_credentials_env() -> Vec<(&'static str, String)> {
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .into_iter()
        .map(|k| {
            let v = std::env::var(k)
                .unwrap_or_else(|_| panic!("{k} is not set: start the local stack"));
            (k, v)
        })
        .collect()
}

/// The JSON fixture `tests/fixtures/<name>` of the crate at `manifest_dir`
/// (`env!("CARGO_MANIFEST_DIR")`); panics naming the file.
pub fn fixture(manifest_dir: &str, name: &str) -> serde_json::Value {
    let path = format!("{manifest_dir}/tests/fixtures/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A Lambda invocation of `payload` that Lambda would stop `ends_in` from now.
pub fn invocation(
    payload: serde_json::Value,
    ends_in: Duration,
) -> lambda_runtime::LambdaEvent<serde_json::Value> {
    let mut ctx = lambda_runtime::Context::default();
    ctx.request_id = format!("{:032x}", rand::random::<u128>());
    ctx.deadline = (std::time::SystemTime::now() + ends_in)
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_millis() as u64;
    lambda_runtime::LambdaEvent::new(payload, ctx)
}

/// `prefix-<8 hex>`: lets tests share one emulator without seeing each other's data.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

/// Creates the records table as the SAM template does (keys, GSI1, TTL). moto creates it
/// active at once, so there is nothing to wait for.
pub async fn create_records_table(cfg: &aws_config::SdkConfig, name: &str) {
    let ddb = aws_sdk_dynamodb::Client::new(cfg);
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete")
    };
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(PK))
        .attribute_definitions(attr(SK))
        .attribute_definitions(attr(GSI1_PK))
        .attribute_definitions(attr(GSI1_SK))
        .attribute_definitions(attr(GSI2_PK))
        .attribute_definitions(attr(GSI2_SK))
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .global_secondary_indexes(gsi(GSI1, GSI1_PK, GSI1_SK, ProjectionType::All))
        .global_secondary_indexes(gsi(GSI2, GSI2_PK, GSI2_SK, ProjectionType::KeysOnly))
        .send()
        .await
        .expect("create table");
    ddb.update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .expect("enable TTL");
}

/// Starts the simulator with the demo org.
pub async fn sim(config: SimConfig) -> SimHandle {
    genesys_sim::start(config, Seed::demo())
        .await
        .expect("simulator starts")
}

pub fn endpoints(sim: &SimHandle) -> Endpoints {
    Endpoints::from_urls(&sim.api_url(), Some(&sim.login_url())).expect("simulator URLs are valid")
}

/// Client options for tests: short polls, same policy otherwise.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        usage_poll_interval: Duration::from_millis(20),
        ..ClientOptions::default()
    }
}

/// A Genesys client acting as the demo org's admin client.
pub fn admin_client(sim: &SimHandle, options: ClientOptions) -> GenesysClient {
    client_as(sim, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, options)
}

pub fn client_as(sim: &SimHandle, id: &str, secret: &str, options: ClientOptions) -> GenesysClient {
    GenesysClient::new(
        endpoints(sim),
        Arc::new(StaticCredentials(ClientCredentials::new(id, secret))),
        options,
    )
    .expect("client builds")
}

/// Every item of a table, as JSON (tests scan the whole table for what was recorded).
pub async fn scan_table(cfg: &aws_config::SdkConfig, table: &str) -> Vec<serde_json::Value> {
    let ddb = aws_sdk_dynamodb::Client::new(cfg);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = ddb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        items.extend(out.items().iter().map(|i| {
            serde_json::Value::Object(
                i.iter()
                    .map(|(k, v)| (k.clone(), credguard::aws::dynamodb::from_attr(v)))
                    .collect(),
            )
        }));
        match out.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => return items,
        }
    }
}

/// A global secondary index of the records table, as the template declares it.
fn gsi(name: &str, pk: &str, sk: &str, projection: ProjectionType) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(pk, KeyType::Hash))
        .key_schema(key(sk, KeyType::Range))
        .projection(Projection::builder().projection_type(projection).build())
        .build()
        .expect("complete")
}

fn key(attribute: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(attribute)
        .key_type(key_type)
        .build()
        .expect("complete")
}
