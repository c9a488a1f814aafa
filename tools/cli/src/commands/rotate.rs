//! `credguard rotate NAME`: "rotate now", waiting for the outcome. By default the deployed
//! rotation function does it (a synchronous Invoke: it fails unless it rotated); `--local` runs
//! the same code in this process with the CLI's credentials.

use crate::args::RotateArgs;
use crate::context::{AdminFor, Context};
use crate::exit::{CliError, Exit};
use crate::output;
use crate::progress::Progress;
use credguard::aws::lambda::LambdaRotationCall;
use credguard::clock::Clock;
use credguard::deadline::Deadline;
use credguard::ports::functions::{RotationCall, RotationCallError};
use credguard::rotation::event::{valid_request_id, RotateNowRequest};
use credguard::rotation::Rotator;
use serde_json::Value;
use std::time::Duration;

/// The rotation function's timeout (template: 900 s), and a margin for the call.
const FUNCTION_WAIT: Duration = Duration::from_secs(960);

pub async fn run(ctx: &Context, args: RotateArgs) -> Result<Exit, CliError> {
    let request_id = args
        .request_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if !valid_request_id(&request_id) {
        return Err(CliError::usage(
            "--request-id must be 32 to 64 letters, digits or '-' (it becomes the attempt's version id)",
        ));
    }
    output::note(format!(
        "request id {request_id} (a retry with --request-id {request_id} never rotates twice)"
    ));
    let report = rotate(
        ctx,
        &args.name,
        &args.reason,
        args.retire_previous_now,
        &request_id,
        args.local,
    )
    .await?;
    if ctx.global.json {
        output::json(&report);
    } else {
        print_report(&report);
    }
    Ok(Exit::Ok)
}

pub fn print_report(report: &Value) {
    let text = |k: &str| report.get(k).and_then(Value::as_str).unwrap_or("-");
    let secret = text("secretId");
    match text("action") {
        "rotated" => println!(
            "rotated {secret}: version {} -> {}{}",
            text("versionBefore"),
            text("versionAfter"),
            report
                .get("detail")
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        "startedBySecretsManager" => println!(
            "{secret} is rotated by Secrets Manager: rotation {} started there (follow it with `credguard status {secret}`)",
            text("token")
        ),
        other => println!("{secret}: {other} {}", text("detail")),
    }
}

/// Who asks: the caller's IAM identity, recorded with the attempt.
async fn requested_by(ctx: &Context) -> String {
    match aws_sdk_sts::Client::new(&ctx.aws)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(out) => out.arn().unwrap_or("unknown").to_owned(),
        Err(_) => "credguard-cli".to_owned(),
    }
}

/// Rotates `name` now and returns the report; an error when it did not rotate.
pub async fn rotate(
    ctx: &Context,
    name: &str,
    reason: &str,
    retire_previous_now: bool,
    request_id: &str,
    local: bool,
) -> Result<Value, CliError> {
    let req = RotateNowRequest {
        action: "rotateNow".into(),
        secret_id: name.to_owned(),
        reason: Some(reason.to_owned()),
        requested_by: Some(requested_by(ctx).await),
        retire_previous_now,
        request_id: Some(request_id.to_owned()),
    };
    if local {
        return rotate_here(ctx, &req).await;
    }
    let function = ctx.rotation_function().ok_or_else(|| {
        CliError::config(
            "no rotation function: pass --stack or --rotation-function (or --local to rotate in this process)",
        )
    })?;
    let _p = Progress::spinner(format!(
        "rotating {name} (the rotation function is working)"
    ));
    LambdaRotationCall::new(&ctx.aws, Some(function), FUNCTION_WAIT)
        .rotate_now(&req)
        .await
        .map_err(|e| match e {
            RotationCallError::Failed {
                error_type,
                message,
            } => failed(name, &error_type, &message),
            RotationCallError::NotConfigured => CliError::config(e.to_string()),
            RotationCallError::Unavailable(m) => CliError::new(
                Exit::Unavailable,
                "rotation_function_unavailable",
                format!("{m} (outcome unknown: retry with --request-id {request_id})"),
            ),
        })
}

/// Not rotated: retryable failures (busy, throttled) are worth another try later.
fn failed(name: &str, error_type: &str, message: &str) -> CliError {
    let exit = if error_type.starts_with("Retryable.") {
        Exit::Unavailable
    } else {
        Exit::OperationFailed
    };
    CliError::new(
        exit,
        error_type,
        format!("{name} was not rotated: {error_type}: {message}"),
    )
}

async fn rotate_here(ctx: &Context, req: &RotateNowRequest) -> Result<Value, CliError> {
    let admin = ctx.admin(AdminFor::Rotation).await?;
    let secrets = ctx.secrets();
    let records = ctx.require_records()?;
    let events = ctx.rotation_events();
    let config = ctx.rotation_config()?;
    let clock = Clock::default();
    let rotator = Rotator::new(
        &admin.client,
        &secrets,
        &records,
        &events,
        &config,
        &admin.endpoints,
        &clock,
    );
    let _p = Progress::spinner(format!("rotating {} in this process", req.secret_id));
    let deadline = Deadline::after(FUNCTION_WAIT);
    match Box::pin(rotator.rotate_now(req, &deadline)).await {
        Ok(report) => Ok(serde_json::to_value(report).expect("report serializes")),
        Err(e) => Err(failed(&req.secret_id, &e.error_type(), &e.to_string())),
    }
}
