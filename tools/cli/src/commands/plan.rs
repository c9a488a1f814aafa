//! `credguard plan`: the sweep's own dry run (`Rotator::sweep(true, ..)`), run here with the
//! deployment's settings, as a table of what the next sweep would rotate, retire or adopt.

use crate::context::{AdminFor, Context};
use crate::exit::{CliError, Exit};
use crate::output::{self, when};
use crate::progress::Progress;
use credguard::clock::Clock;
use credguard::deadline::Deadline;
use credguard::genesys::region::Endpoints;
use credguard::genesys::token::{BoxFuture, CredentialSource};
use credguard::genesys::{ClientCredentials, ClientOptions, GenesysClient, LoginError};
use credguard::rotation::{Action, Rotator, SecretReport};
use std::sync::Arc;
use std::time::Duration;

/// The dry run makes no Genesys call; without a credential configured, one that says so if a
/// future change ever makes it call.
struct NoCredential;

impl CredentialSource for NoCredential {
    fn load(&self, _fresh: bool) -> BoxFuture<'_, Result<ClientCredentials, LoginError>> {
        Box::pin(async {
            Err(LoginError::Credentials {
                message: "no Genesys admin credential configured".into(),
                transient: false,
            })
        })
    }
}

/// The order a reader wants: what will happen first.
fn rank(a: Action) -> u8 {
    match a {
        Action::WouldRotate => 0,
        Action::WouldRetire => 1,
        Action::WouldRedrive => 2,
        Action::WouldAdopt => 3,
        Action::Deferred => 4,
        Action::Failed | Action::NeedsAttention | Action::Busy => 5,
        Action::OwnedBySecretsManager => 6,
        _ => 7,
    }
}

fn label(a: Action) -> &'static str {
    match a {
        Action::WouldRotate => "rotate",
        Action::WouldRetire => "retire previous",
        Action::WouldRedrive => "re-drive",
        Action::WouldAdopt => "adopt",
        Action::Deferred => "deferred",
        Action::NeedsAttention => "needs attention",
        Action::Busy => "busy",
        Action::Failed => "failed",
        Action::OwnedBySecretsManager => "Secrets Manager",
        Action::NotDue => "nothing",
        _ => "other",
    }
}

pub async fn run(ctx: &Context) -> Result<Exit, CliError> {
    let config = ctx.rotation_config()?;
    let secrets = ctx.secrets();
    let records = ctx.require_records()?;
    let events = ctx.rotation_events();
    let (genesys, endpoints) = match ctx.admin(AdminFor::Rotation).await {
        Ok(a) => (a.client, a.endpoints),
        Err(_) => {
            let endpoints = Endpoints::for_region("us-east-1").expect("a known region");
            let client = GenesysClient::new(
                endpoints.clone(),
                Arc::new(NoCredential),
                ClientOptions::default(),
            )
            .map_err(|e| CliError::config(e.to_string()))?;
            (client, endpoints)
        }
    };
    let clock = Clock::default();
    let rotator = Rotator::new(
        &genesys, &secrets, &records, &events, &config, &endpoints, &clock,
    );
    let mut report = {
        let _p = Progress::spinner("planning the next sweep (dry run)");
        Box::pin(rotator.sweep(true, &Deadline::after(Duration::from_secs(120))))
            .await
            .map_err(|e| CliError::new(Exit::Failure, e.error_type(), e.to_string()))?
    };
    report.secrets.sort_by(|a, b| {
        (rank(a.action), &a.due_at, &a.secret_id).cmp(&(rank(b.action), &b.due_at, &b.secret_id))
    });
    if ctx.global.json {
        output::json(&report);
        return Ok(Exit::Ok);
    }
    let now = clock.now();
    let count = |a: Action| report.secrets.iter().filter(|s| s.action == a).count();
    println!(
        "next sweep, of {} managed secret(s): {} would rotate, {} would retire a previous client, {} would be adopted, {} deferred (at most {} rotations per run)",
        report.examined,
        count(Action::WouldRotate),
        count(Action::WouldRetire),
        count(Action::WouldAdopt),
        count(Action::Deferred),
        config.sweep_max_rotations
    );
    if report.secrets.is_empty() {
        return Ok(Exit::Ok);
    }
    let rows = report
        .secrets
        .iter()
        .map(|s: &SecretReport| {
            vec![
                s.secret_id.clone(),
                label(s.action).to_owned(),
                when(s.due_at.as_deref(), now),
                s.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    println!(
        "{}",
        output::table(&["secret", "next sweep", "due", "detail"], rows)
    );
    Ok(Exit::Ok)
}
