//! Starting and stopping a simulator in-process.

use std::io;
use std::net::Ipv4Addr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::login_entry;
use crate::clock::Clock;
use crate::config::SimConfig;
use crate::control::SimControl;
use crate::seed::Seed;
use crate::server::{api_entry, Shared};
use crate::state::State;

/// A running simulator. Dereferences to [`SimControl`] for the admin operations.
pub struct SimHandle {
    control: SimControl,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Deref for SimHandle {
    type Target = SimControl;
    fn deref(&self) -> &SimControl {
        &self.control
    }
}

fn invalid(e: impl ToString) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

/// Binds both listeners on 127.0.0.1 (ports from `config`, 0 = ephemeral) and serves.
pub async fn start(config: SimConfig, seed: Seed) -> io::Result<SimHandle> {
    config.validate().map_err(invalid)?;
    let api = TcpListener::bind((Ipv4Addr::LOCALHOST, config.api_port)).await?;
    let login = TcpListener::bind((Ipv4Addr::LOCALHOST, config.login_port)).await?;
    let api_addr = api.local_addr()?;
    let login_addr = login.local_addr()?;
    let api_url = format!("http://{api_addr}");
    let login_url = format!("http://{login_addr}");
    let state = State::build(&seed, config.clone(), Clock::default(), &api_url).map_err(invalid)?;
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        start_seed: seed,
        start_config: config,
        api_url,
        login_url,
    });
    let (stop, stopped) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let api_app = Router::new().fallback(api_entry).with_state(shared.clone());
    let login_app = Router::new()
        .fallback(login_entry)
        .with_state(shared.clone());
    let api_task = tokio::spawn({
        let signal = wait(stopped.clone());
        async move {
            if let Err(e) = axum::serve(api, api_app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(error = %e, "api listener failed");
            }
        }
    });
    let login_task = tokio::spawn({
        let signal = wait(stopped);
        async move {
            if let Err(e) = axum::serve(login, login_app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(error = %e, "login listener failed");
            }
        }
    });
    tracing::info!(api = %api_addr, login = %login_addr, "genesys-sim listening");
    Ok(SimHandle {
        control: SimControl { shared },
        stop,
        tasks: vec![api_task, login_task],
    })
}

impl SimHandle {
    /// A cloneable control handle (same operations as the handle itself).
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// Stops accepting, lets in-flight requests finish (2 s at most in total), then stops.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}
