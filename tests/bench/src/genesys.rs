//! Genesys client figures against the simulator: token grants per 1,000 warm calls, latency
//! of a cached authenticated GET, cold construction time of the client.

use crate::stats::{ms, percentile};
use credguard::deadline::Deadline;
use credguard::ports::genesys::ClientDirectory;
use credguard_testkit::{admin_client, fast_options, sim};
use genesys_sim::demo::HR_SYNC;
use genesys_sim::SimConfig;
use std::time::{Duration, Instant};

pub async fn run() {
    let sim = sim(SimConfig {
        // The bench measures the client, not the limiter.
        rate_limit_per_minute: 1_000_000,
        ..SimConfig::default()
    })
    .await;
    let d = Deadline::after(Duration::from_secs(300));

    let mut constructions = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let c = admin_client(&sim, fast_options());
        constructions.push(started.elapsed());
        drop(c);
    }
    constructions.sort();

    let client = admin_client(&sim, fast_options());
    client.get_client(HR_SYNC, &d).await.expect("warm-up call");
    let grants_before = client.stats().token_grants;
    let mut latencies = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let started = Instant::now();
        client.get_client(HR_SYNC, &d).await.expect("warm call");
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let grants = client.stats().token_grants - grants_before;

    println!("== genesys client (against the simulator on loopback)");
    println!("token grants per 1,000 warm calls : {grants}");
    println!(
        "cached authenticated GET          : p50 {}  p99 {}  (1,000 sequential calls)",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0))
    );
    println!(
        "client cold construction          : p50 {}  p99 {}  (200 constructions)",
        ms(percentile(&constructions, 50.0)),
        ms(percentile(&constructions, 99.0))
    );
    sim.shutdown().await;
}
