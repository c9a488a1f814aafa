//! `credguard revoke ...`: the revocation API's routes, signed with the caller's credentials,
//! each POST with an idempotency key (generated and printed, or given to retry). A background
//! bulk job (202) and an emergency rotation are followed with `GET /v1/revocations/{id}`.

use crate::api::{error_of, route, Answer, RevocationApi};
use crate::args::{Revoke, RevokeCommon};
use crate::context::Context;
use crate::exit::{CliError, Exit};
use crate::output;
use crate::progress::Progress;
use credguard::redact::ExposeSecret;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How often a background job is asked how far it got.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// How long a job is followed before the CLI hands back its id (it goes on regardless).
const FOLLOW_AT_MOST: Duration = Duration::from_secs(30 * 60);

fn key(common: &RevokeCommon) -> String {
    let key = common
        .idempotency_key
        .clone()
        .unwrap_or_else(|| format!("credguard-cli-{}", uuid::Uuid::new_v4()));
    output::note(format!(
        "idempotency key {key} (retry with --idempotency-key {key}: never done twice)"
    ));
    key
}

fn body(common: &RevokeCommon, extra: Value) -> Value {
    let mut b = json!({"reason": common.reason, "dryRun": common.dry_run});
    if let (Some(b), Value::Object(extra)) = (b.as_object_mut(), extra) {
        b.extend(extra);
    }
    b
}

fn user_ids(ids: Vec<String>, file: Option<std::path::PathBuf>) -> Result<Vec<String>, CliError> {
    let mut out = ids;
    if let Some(f) = file {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| CliError::usage(format!("{}: {e}", f.display())))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    if out.is_empty() {
        return Err(CliError::usage(
            "no user ids: give them as arguments or --from-file",
        ));
    }
    Ok(out)
}

pub async fn run(ctx: &Context, cmd: Revoke) -> Result<Exit, CliError> {
    let base = ctx.api_url().ok_or_else(|| {
        CliError::config(
            "no revocation API URL: pass --stack or --api-url (the RevocationApiUrl output)",
        )
    })?;
    let api = RevocationApi::new(&ctx.aws, &base)?;
    let json = ctx.global.json;
    match cmd {
        Revoke::User {
            user_id,
            break_glass,
            common,
        } => {
            let k = key(&common);
            let answer = {
                let _p = Progress::spinner(format!("revoking the tokens of user {user_id}"));
                api.call(
                    route("POST", "revokeUserTokens", break_glass),
                    &[&user_id],
                    Some(&body(&common, json!({}))),
                    Some(&k),
                )
                .await?
            };
            done(answer, &k, json)
        }
        Revoke::Users {
            user_ids: ids,
            from_file,
            break_glass,
            no_wait,
            common,
        } => {
            let ids = user_ids(ids, from_file)?;
            let k = key(&common);
            let answer = api
                .call(
                    route("POST", "revokeUserTokensBulk", break_glass),
                    &[],
                    Some(&body(&common, json!({"userIds": ids}))),
                    Some(&k),
                )
                .await?;
            if answer.status == 202 && !no_wait {
                let id = revocation_id(&answer)?;
                let followed = follow(&api, &id, |r| {
                    let p = &r["progress"];
                    let done = p["done"].as_u64().unwrap_or(0);
                    let total = p["total"].as_u64().unwrap_or(0);
                    let over = matches!(
                        r["outcome"].as_str(),
                        Some("completed" | "partial" | "failed")
                    );
                    (over, done, total)
                })
                .await?;
                let mut followed = followed;
                followed.body["results"] = Value::Array(per_user(&api, &id).await?);
                return done(followed, &k, json);
            }
            done(answer, &k, json)
        }
        Revoke::Token { common } => {
            let token = crate::stdin::piped_value(
                "the leaked token",
                "pbpaste | credguard revoke token --reason ...",
            )?;
            let k = key(&common);
            let answer = api
                .call(
                    route("POST", "revokeAccessToken", false),
                    &[],
                    Some(&body(
                        &common,
                        json!({"accessToken": token.expose_secret()}),
                    )),
                    Some(&k),
                )
                .await?;
            done(answer, &k, json)
        }
        Revoke::Client {
            client_id,
            disable,
            enable,
            rotate,
            keep_previous,
            no_wait,
            common,
        } => {
            let (action, extra) = match (disable, enable, rotate) {
                (true, _, _) => ("disableClient", json!({})),
                (_, true, _) => ("enableClient", json!({})),
                _ => (
                    "emergencyRotation",
                    json!({"retirePreviousNow": !keep_previous}),
                ),
            };
            let k = key(&common);
            let answer = api
                .call(
                    route("POST", action, false),
                    &[&client_id],
                    Some(&body(&common, extra)),
                    Some(&k),
                )
                .await?;
            if rotate && answer.status == 202 && !no_wait {
                let id = revocation_id(&answer)?;
                let followed = follow(&api, &id, |r| {
                    let over = matches!(
                        r["rotation"]["outcome"].as_str(),
                        Some("succeeded" | "failed")
                    );
                    (over, u64::from(over), 1)
                })
                .await?;
                let failed = followed.body["rotation"]["outcome"] == "failed";
                let exit = done(followed, &k, json)?;
                return Ok(if failed { Exit::OperationFailed } else { exit });
            }
            done(answer, &k, json)
        }
    }
}

fn revocation_id(answer: &Answer) -> Result<String, CliError> {
    answer.body["revocationId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            CliError::new(
                Exit::Failure,
                "api_answer_unreadable",
                "the API accepted the job without an id",
            )
        })
}

/// Follows a job until `over` says so: `GET /v1/revocations/{id}`, with progress.
async fn follow(
    api: &RevocationApi,
    id: &str,
    over: impl Fn(&Value) -> (bool, u64, u64),
) -> Result<Answer, CliError> {
    output::note(format!(
        "accepted as {id}; following it (Ctrl-C stops following, not the job)"
    ));
    let bar = Progress::bar(0, format!("revocation {id}"));
    let started = Instant::now();
    loop {
        let answer = api
            .call(route("GET", "getRevocation", false), &[id], None, None)
            .await?;
        if answer.status != 200 {
            return Err(error_of(&answer));
        }
        let (finished, done, total) = over(&answer.body);
        bar.set(done, total.max(done));
        if finished || started.elapsed() > FOLLOW_AT_MOST {
            return Ok(answer);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A finished background job's per-user outcomes, every page.
async fn per_user(api: &RevocationApi, id: &str) -> Result<Vec<Value>, CliError> {
    let mut users = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("limit", "500")];
        if let Some(a) = &after {
            query.push(("after", a.as_str()));
        }
        let page = api
            .call_with_query(
                route("GET", "getRevocationUsers", false),
                &[id],
                &query,
                None,
                None,
            )
            .await?;
        if page.status != 200 {
            return Err(error_of(&page));
        }
        users.extend(page.body["users"].as_array().cloned().unwrap_or_default());
        match page.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return Ok(users),
        }
    }
}

/// Prints an answer; an error status is the command's error.
fn done(answer: Answer, key: &str, json: bool) -> Result<Exit, CliError> {
    if answer.status >= 400 {
        return Err(error_of(&answer));
    }
    let b = &answer.body;
    if json {
        output::json(
            &json!({"status": answer.status, "idempotencyKey": key, "replayed": answer.replayed, "revocation": b}),
        );
    } else {
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        };
        let mut rows = vec![
            vec!["revocation".to_owned(), text(&b["revocationId"])],
            vec!["action".into(), text(&b["action"])],
            vec!["outcome".into(), text(&b["outcome"])],
            vec!["target".into(), b["target"].to_string()],
        ];
        if answer.replayed {
            rows.push(vec![
                "replayed".into(),
                "yes: the first answer to this key".into(),
            ]);
        }
        if !b["progress"].is_null() {
            rows.push(vec!["progress".into(), b["progress"].to_string()]);
        }
        if !b["rotation"].is_null() {
            rows.push(vec!["rotation".into(), b["rotation"].to_string()]);
        }
        if let Some(results) = b["results"].as_array() {
            for r in results {
                rows.push(vec![text(&r["userId"]), text(&r["outcome"])]);
            }
        }
        println!("{}", output::fields(rows));
    }
    Ok(match b["outcome"].as_str() {
        Some("failed" | "partial") => Exit::OperationFailed,
        Some("refused") => Exit::Refused,
        Some("notFound") => Exit::NotFound,
        _ => Exit::Ok,
    })
}
