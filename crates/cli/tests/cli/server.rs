//! `pledge serve` as a child process, probed from outside as a client would: started on a free
//! port of 127.0.0.1 (optionally under an address-space limit), killed when dropped, its peak
//! resident memory read from `/proc`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A server process, killed when the test ends however it ends.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The most resident memory the process has had (`VmHWM`), in KiB.
    pub fn peak_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Whether the process is still running (not ended, for instance by its memory limit).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The `pledge` command on `url` with `args`: whether it succeeded, its stdout and stderr.
pub fn pledge(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pledge"))
        .args(args)
        .env("PLEDGE_DATABASE_URL", url)
        .env("PLEDGE_TOKEN_KEY", "test-key")
        .env_remove("RUST_LOG")
        .output()
        .expect("run pledge");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pledge serve` on `url` with `args`, once `/healthz` answers.
pub async fn serve(url: &str, args: &[&str]) -> Server {
    serve_within(url, args, None).await
}

/// `pledge serve` on `url` with `args`, with at most `address_space` bytes of address space
/// when given (through `prlimit`, which becomes the server), once `/healthz` answers.
pub async fn serve_within(url: &str, args: &[&str], address_space: Option<u64>) -> Server {
    let port = free_port();
    let mut command = match address_space {
        Some(bytes) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--as={bytes}"))
                .arg("--")
                .arg(env!("CARGO_BIN_EXE_pledge"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_pledge")),
    };
    let child = command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(args)
        .env("PLEDGE_DATABASE_URL", url)
        .env("PLEDGE_TOKEN_KEY", "test-key")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start pledge serve");
    let server = Server { child, port };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/healthz", server.base()))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer /healthz");
}

/// An office token on the (migrated) database `url`.
pub fn office_token(url: &str) -> String {
    let (ok, out, err) = pledge(url, &["migrate"]);
    assert!(ok, "migrate: {err}");
    let (ok, out2, err) = pledge(
        url,
        &["token", "create", "--role", "admin", "--name", "office"],
    );
    assert!(ok, "token: {out}{err}");
    out2.lines().last().unwrap_or_default().trim().to_owned()
}

/// Uploads `bytes` as `file_name` to `/api/v1/imports?{query}` and waits for the job to end:
/// the job as it ended.
pub async fn import(
    server: &Server,
    token: &str,
    file_name: &str,
    bytes: Vec<u8>,
    query: &str,
) -> serde_json::Value {
    let client = reqwest::Client::new();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
    );
    let started = client
        .post(format!("{}/api/v1/imports?{query}", server.base()))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("the upload is answered");
    assert_eq!(started.status().as_u16(), 202, "the upload is taken");
    let location = started
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("the job's location")
        .to_owned();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let job: serde_json::Value = client
            .get(format!("{}{location}", server.base()))
            .bearer_auth(token)
            .send()
            .await
            .expect("the job is answered")
            .json()
            .await
            .expect("the job as JSON");
        if job["state"] != "running" {
            return job;
        }
    }
}
