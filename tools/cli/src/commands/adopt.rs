//! `credguard adopt CLIENT_ID --name NAME ...`: the checks and the write are
//! `credguard::onboarding` (the same rules rotation follows); this reads the secret from stdin,
//! shows the plan, and with `--regenerate-now` asks for the first rotation.

use super::rotate;
use crate::args::AdoptArgs;
use crate::context::{AdminFor, Context};
use crate::exit::{CliError, Exit};
use crate::output::{self, when};
use crate::progress::Progress;
use credguard::clock::Clock;
use credguard::credential::Strategy;
use credguard::deadline::Deadline;
use credguard::onboarding::{
    AdoptRequest, AdoptionPlan, Deployment, Onboarding, PartnerChoice, SecretSource,
};
use serde_json::json;
use std::time::Duration;

pub async fn run(ctx: &Context, args: AdoptArgs) -> Result<Exit, CliError> {
    let strategy: Strategy = args.strategy.into();
    let partner = match (strategy, args.partner.clone(), args.create_partner) {
        (Strategy::Regenerate, None, false) => PartnerChoice::None,
        (Strategy::Regenerate, _, _) => {
            return Err(CliError::usage(
                "--partner and --create-partner go with --strategy alternating",
            ))
        }
        (Strategy::Alternating, Some(p), _) => PartnerChoice::Existing(p),
        (Strategy::Alternating, None, true) => PartnerChoice::Create,
        (Strategy::Alternating, None, false) => PartnerChoice::None,
    };
    let secret = if args.secret_from_stdin {
        SecretSource::Provided(crate::stdin::piped_value(
            "the client's secret",
            "your-vault read ... | credguard adopt ...",
        )?)
    } else {
        SecretSource::RegenerateNow
    };
    let integration_credentials = if args.no_integration_credentials {
        Some(vec![])
    } else {
        args.integration_credentials.clone()
    };
    let admin = ctx.admin(AdminFor::Rotation).await?;
    let config = ctx.rotation_config()?;
    let deployment = Deployment {
        managed_prefix: ctx.managed_prefix(),
        admin_client_id: admin.client_id.clone(),
        org: admin.org.clone(),
        kms_key_id: ctx.kms_key(),
    };
    let secrets = ctx.secrets();
    let clock = Clock::default();
    let onboarding = Onboarding {
        genesys: &admin.client,
        secrets: &secrets,
        config: &config,
        deployment: &deployment,
        clock: &clock,
    };
    let req = AdoptRequest {
        client_id: args.client_id.clone(),
        name: args.name.clone(),
        strategy,
        partner,
        max_age_days: args.max_age_days,
        secret,
        integration_credentials,
        skip_role_check: args.skip_role_check,
    };
    let plan = {
        let _p = Progress::spinner(format!("checking client {} and the org", args.client_id));
        onboarding
            .plan(&req, &Deadline::after(Duration::from_secs(120)))
            .await?
    };
    for w in &plan.warnings {
        output::warn(w);
    }
    if args.dry_run {
        if ctx.global.json {
            output::json(&json!({"dryRun": true, "plan": plan}));
        } else {
            println!("dry run: every check passed; nothing was written");
            print_plan(&plan, &clock);
        }
        return Ok(Exit::Ok);
    }
    let adopted = {
        let _p = Progress::spinner(format!("creating {}", plan.name));
        onboarding.create(&plan).await?
    };
    let mut rotation = None;
    if plan.regenerate_now() {
        let request_id = uuid::Uuid::new_v4().to_string();
        output::note(format!(
            "created {} with a placeholder; regenerating its secret now (request id {request_id})",
            adopted.name
        ));
        let report = rotate::rotate(
            ctx,
            &adopted.name,
            "adoption: regenerate now",
            false,
            &request_id,
            args.local,
        )
        .await
        .map_err(|mut e| {
            e.message = format!(
                "{} was created, but its first rotation did not finish: {}. Run `credguard rotate {}` to finish it",
                adopted.name, e.message, adopted.name
            );
            e
        })?;
        rotation = Some(report);
    }
    if ctx.global.json {
        output::json(&json!({"adopted": adopted, "plan": plan, "rotation": rotation}));
    } else {
        println!("adopted {} ({})", adopted.name, adopted.arn);
        print_plan(&plan, &clock);
        if let Some(r) = &rotation {
            rotate::print_report(r);
        }
    }
    Ok(Exit::Ok)
}

fn print_plan(plan: &AdoptionPlan, clock: &Clock) {
    let now = clock.now();
    let client = |c: &credguard::onboarding::checks::ClientSummary| {
        format!("{} \"{}\" ({}, {})", c.id, c.name, c.state, c.grant_type)
    };
    let mut rows = vec![
        vec!["secret".to_owned(), plan.name.clone()],
        vec!["client".into(), client(&plan.client)],
        vec!["strategy".into(), plan.strategy.as_str().into()],
    ];
    if let Some(p) = &plan.partner {
        rows.push(vec!["partner".into(), client(p)]);
    }
    if plan.create_partner {
        rows.push(vec![
            "partner".into(),
            "created by the first rotation".into(),
        ]);
    }
    rows.push(vec![
        "secret value".into(),
        if plan.regenerate_now() {
            "regenerated right after adoption".into()
        } else {
            "from stdin; it obtains a token for the client".into()
        },
    ]);
    rows.push(vec![
        "max age".into(),
        format!("{} days", plan.max_age_days),
    ]);
    rows.push(vec![
        "first rotation".into(),
        match &plan.due_at {
            Some(at) => format!("{} by the sweep", when(Some(at), now)),
            None => "now (regenerate-now)".into(),
        },
    ]);
    let deps = &plan.dependents;
    rows.push(vec![
        "dependents".into(),
        match &deps.declared {
            Some(ids) if ids.is_empty() => "declared: none".into(),
            Some(ids) => format!("declared: {}", ids.join(", ")),
            None if deps.embedding.is_empty() => {
                "none found; discovered again at each rotation".into()
            }
            None => format!(
                "discovered at each rotation (now: {})",
                deps.embedding
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    ]);
    rows.push(vec![
        "tags".into(),
        plan.tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
    ]);
    rows.push(vec!["document".into(), plan.document.to_string()]);
    println!("{}", output::fields(rows));
}
