//! Runs the real function binaries under `cargo lambda watch` (a local Lambda Runtime API),
//! in their own process group so that dropping the handle stops everything it started.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LambdaWatch {
    child: Child,
    pub url: String,
    pub log_path: std::path::PathBuf,
    _env_file: tempfile_path::TempPath,
}

/// Root of the workspace (where `cargo lambda watch` must run).
fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|p| p.parent())
        .expect("tests/testkit is two levels deep")
        .to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

mod tempfile_path {
    /// A file removed when dropped.
    pub struct TempPath(pub std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

impl LambdaWatch {
    /// Starts `cargo lambda watch` with the functions' environment and waits until it answers.
    /// The first invocation of a function runs `cargo run` for it (fast if already built).
    /// `extra` adds variables that depend on the watch's own URL (e.g.
    /// `AWS_ENDPOINT_URL_LAMBDA`, so one function can invoke another through it).
    pub fn start_with<'a>(
        env: &mut Vec<(&'a str, String)>,
        extra: impl FnOnce(&str) -> Vec<(&'a str, String)>,
    ) -> std::io::Result<Self> {
        Self::start_concurrent(env, extra, 1)
    }

    /// As [`Self::start_with`], with up to `instances` instances of each function at once (a
    /// function that invokes itself, like the revocation function's background bulk jobs,
    /// needs a second one while the first waits for the call).
    pub fn start_concurrent<'a>(
        env: &mut Vec<(&'a str, String)>,
        extra: impl FnOnce(&str) -> Vec<(&'a str, String)>,
        instances: u32,
    ) -> std::io::Result<Self> {
        let root = workspace_root();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        env.extend(extra(&url));
        let dir = std::env::temp_dir();
        let env_path = dir.join(format!("credguard-fn-{port}.env"));
        let mut f = std::fs::File::create(&env_path)?;
        for (k, v) in env.iter() {
            // Quoted: values such as `credguard:managed=x` would not parse bare.
            writeln!(
                f,
                "{k}=\"{}\"",
                v.replace('\\', "\\\\").replace('"', "\\\"")
            )?;
        }
        let log_path = dir.join(format!("credguard-watch-{port}.log"));
        let log = std::fs::File::create(&log_path)?;
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&root)
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
            ])
            .arg(port.to_string())
            .arg("--env-file")
            .arg(&env_path)
            // As the SAM template's function timeouts (rotation must outlast propagation).
            .args(["--timeout", "900"])
            .args(["--concurrency", &instances.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        // cargo-lambda finds zig through the venv's python; keep the venv first on PATH.
        let venv_bin = root.join(".venv/bin");
        if venv_bin.exists() {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", venv_bin.display()));
        }
        let child = cmd.spawn()?;
        let me = Self {
            child,
            url,
            log_path,
            _env_file: tempfile_path::TempPath(env_path),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                return Err(std::io::Error::other(format!(
                    "cargo lambda watch did not start; see {}",
                    me.log_path.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(me)
    }

    /// `POST /2015-03-31/functions/{name}/invocations` (the Lambda Invoke API).
    pub async fn invoke(
        &self,
        function: &str,
        payload: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let resp = reqwest::Client::new()
            .post(format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.url
            ))
            .json(payload)
            .timeout(Duration::from_secs(300))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        if status.is_success() && body.get("errorType").is_none() {
            Ok(body)
        } else {
            Err(body.to_string())
        }
    }

    /// The function URL base for HTTP functions: `{url}/lambda-url/{function}`.
    pub fn function_url(&self, function: &str) -> String {
        format!("{}/lambda-url/{function}", self.url)
    }
}

impl Drop for LambdaWatch {
    fn drop(&mut self) {
        // The whole group: cargo-lambda, `cargo run` and the function processes.
        // `--` matters: without it `kill` may read the negative group id as an option.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &group])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.wait();
    }
}
