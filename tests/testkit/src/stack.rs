//! What a function's integration tests run against: the Genesys simulator, moto twice (as the
//! administrator for set-up and checks, and as the function's own role for the code under
//! test, IAM enforced), a fresh records table and an event bus with a tap on it.

use crate::events::EventTap;
use crate::iam::function_aws;
use crate::{aws, create_records_table, unique};
use aws_config::SdkConfig;
use genesys_sim::{Seed, SimConfig, SimHandle};

pub struct FunctionStack {
    pub sim: SimHandle,
    /// The administrator: set-up and checks.
    pub aws: SdkConfig,
    /// The function's role (`binary` as named in the template's policies).
    pub fn_aws: SdkConfig,
    pub table: String,
    pub bus: String,
    /// Everything published on `bus` with the events' `source`.
    pub tap: EventTap,
}

impl FunctionStack {
    pub async fn start(binary: &'static str, source: &str, sim: SimConfig, seed: Seed) -> Self {
        let sim = genesys_sim::start(sim, seed).await.expect("simulator");
        let aws = aws().await;
        let fn_aws = function_aws(&aws, binary).await;
        let table = unique(&format!("credguard-{binary}"));
        create_records_table(&aws, &table).await;
        let bus = unique("credguard-bus");
        let tap = EventTap::new(&aws, &bus, source).await;
        Self {
            sim,
            aws,
            fn_aws,
            table,
            bus,
            tap,
        }
    }
}
