//! `credguard status [NAME...]`: the status view of `credguard::onboarding::status`, as a table
//! (one line per secret, then what needs attention) or JSON.

use crate::args::StatusArgs;
use crate::context::{AdminFor, Context};
use crate::exit::{CliError, Exit};
use crate::output::{self, short, when};
use crate::progress::Progress;
use credguard::clock::Clock;
use credguard::deadline::Deadline;
use credguard::onboarding::status::{SecretStatus, StatusReport, StatusSources};
use credguard::records::rotation::Outcome;
use std::time::Duration;

pub async fn run(ctx: &Context, args: StatusArgs) -> Result<Exit, CliError> {
    let config = ctx.rotation_config()?;
    let secrets = ctx.secrets();
    let records = ctx.records();
    // Client states need a Genesys credential; without one the view says so and goes on.
    let admin = match ctx.admin(AdminFor::Rotation).await {
        Ok(a) => Some(a),
        Err(e) => {
            output::warn(format!("client states not shown: {}", e.message));
            None
        }
    };
    let sources = StatusSources {
        secrets: &secrets,
        records: records.as_ref(),
        genesys: admin.as_ref().map(|a| &a.client),
        config: &config,
    };
    let now = Clock::default().now();
    let report = {
        let _p = Progress::spinner("reading managed secrets, clients and records");
        sources
            .status(&args.names, now, &Deadline::after(Duration::from_secs(60)))
            .await?
    };
    for w in &report.warnings {
        output::warn(w);
    }
    if ctx.global.json {
        output::json(&report);
    } else {
        print(&report, now);
    }
    Ok(if args.check && report.needs_attention() {
        Exit::Attention
    } else {
        Exit::Ok
    })
}

fn clients(s: &SecretStatus) -> String {
    let one =
        |v: &credguard::onboarding::status::ClientView| format!("{} {}", short(&v.id), v.state);
    match (&s.client, &s.partner) {
        (Some(c), Some(p)) => format!("{} / {}", one(c), one(p)),
        (Some(c), None) => one(c),
        (None, _) => "-".into(),
    }
}

fn last(s: &SecretStatus, now: chrono::DateTime<chrono::Utc>) -> String {
    match &s.last_attempt {
        None => "-".into(),
        Some(l) => {
            let outcome = match l.outcome {
                Outcome::Succeeded => "succeeded".to_owned(),
                Outcome::InProgress => format!("in progress ({})", l.step_reached),
                Outcome::Failed => format!("failed {}", l.error_code.clone().unwrap_or_default()),
            };
            format!("{outcome} {}", when(Some(&l.at), now))
        }
    }
}

fn dependents(s: &SecretStatus) -> String {
    match &s.last_attempt {
        Some(l) if !l.dependents_failed.is_empty() => format!(
            "{} updated, {} failed",
            l.dependents_updated.len(),
            l.dependents_failed.len()
        ),
        Some(l) if !l.dependents_updated.is_empty() => {
            format!("{} updated", l.dependents_updated.len())
        }
        Some(_) => "none".into(),
        None => "-".into(),
    }
}

fn print(report: &StatusReport, now: chrono::DateTime<chrono::Utc>) {
    if report.secrets.is_empty() {
        println!("no managed secrets (adopt one with `credguard adopt`)");
        return;
    }
    let rows = report
        .secrets
        .iter()
        .map(|s| {
            let age = match (&s.age_days, s.basis) {
                (Some(d), basis) => format!("{d}d ({basis})"),
                (None, basis) => basis.to_owned(),
            };
            let due = if s.owned_by_secrets_manager {
                "Secrets Manager".to_owned()
            } else {
                when(s.due_at.as_deref(), now)
            };
            vec![
                s.name.clone(),
                s.strategy.clone(),
                clients(s),
                age,
                due,
                last(s, now),
                s.pending_version
                    .as_deref()
                    .map(short)
                    .unwrap_or_else(|| "-".into()),
                match s.retire_after.as_deref() {
                    None => "-".into(),
                    Some("retired") => "retired".into(),
                    Some(t) => when(Some(t), now),
                },
                dependents(s),
            ]
        })
        .collect();
    println!(
        "{}",
        output::table(
            &[
                "secret",
                "strategy",
                "client(s)",
                "age",
                "next due",
                "last rotation",
                "pending",
                "retire previous",
                "dependents"
            ],
            rows
        )
    );
    let attention: Vec<&SecretStatus> = report
        .secrets
        .iter()
        .filter(|s| !s.attention.is_empty())
        .collect();
    if !attention.is_empty() {
        println!("\nneeds attention:");
        for s in attention {
            for a in &s.attention {
                println!("  {}: {a}", s.name);
            }
        }
    }
}
