//! The `genesys-sim` binary: ready file, serving, clean exit on SIGTERM; shutdown of the lib.

use crate::common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn binary_writes_ready_file_serves_and_exits_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("genesys-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-sim"))
        .args([
            "--ready-file",
            ready.to_str().expect("path"),
            "--propagation-delay-ms",
            "1500",
            "--rate-limit",
            "50",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while !ready.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "ready file never appeared"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ready).expect("read")).expect("json");
    assert_eq!(doc["pid"], child.id());
    let api = doc["apiUrl"].as_str().expect("apiUrl").to_string();
    let login = doc["loginUrl"].as_str().expect("loginUrl").to_string();
    let cfg: serde_json::Value = http()
        .get(format!("{api}/__sim/config"))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(cfg["propagationDelayMs"], 1500);
    assert_eq!(cfg["rateLimitPerMinute"], 50);
    let r = http()
        .post(format!("{login}/oauth/token"))
        .basic_auth(ADMIN_CLIENT_ID, Some(secret("admin")))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "did not exit on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "clean exit: {exit:?}");
    let mut logs = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut logs);
    }
    let first = logs.lines().next().unwrap_or_default();
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "JSON log lines: {first}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn shutdown_stops_serving_and_control_outlives_nothing() {
    let sim = sim().await;
    let ctl = sim.control();
    ctl.advance_clock(10);
    let api = sim.api_url();
    assert_eq!(ctl.api_url(), api);
    sim.shutdown().await;
    let r = http().get(format!("{api}/__sim/config")).send().await;
    assert!(r.is_err(), "listener closed after shutdown");
}
