//! Several `pledge serve` processes on one PostgreSQL behind a real load balancer (haproxy):
//! a write on one server reaches the other's matches; import jobs and the limits on failed
//! authentication answer the same whichever server is asked; `kill -9` of one server under
//! a stream of writes loses no write that was answered as committed, and the other keeps
//! answering.

use crate::server::free_port;
use pledge_service::testing::{Backend, TestDatabase};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Child processes, killed when the test ends however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn pledge(url: &str, args: &[&str]) -> String {
    let (ok, out, err) = crate::server::pledge(url, args);
    assert!(ok, "pledge {args:?}: {err}");
    out
}

fn serve(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pledge"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("PLEDGE_DATABASE_URL", url)
        .env("PLEDGE_TOKEN_KEY", "test-key")
        .env("PLEDGE_TRUST_FORWARDED_FOR", "true")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start pledge serve")
}

/// haproxy in front of the servers: round robin, health checks every 200 ms, the client's
/// address written over whatever the client claims, a refused connection retried on the
/// other server.
fn balancer(dir: &std::path::Path, port: u16, servers: &[u16]) -> Child {
    let mut config = format!(
        "global\n  maxconn 512\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  retries 2\n  option redispatch\nfrontend api\n  bind 127.0.0.1:{port}\n  default_backend pledge\nbackend pledge\n  balance roundrobin\n  option httpchk GET /healthz\n  http-request set-header X-Forwarded-For %[src]\n"
    );
    for (i, s) in servers.iter().enumerate() {
        config.push_str(&format!(
            "  server s{i} 127.0.0.1:{s} check inter 200ms fall 2 rise 1\n"
        ));
    }
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).expect("haproxy config");
    Command::new("haproxy")
        .args(["-db", "-f"])
        .arg(&path)
        .stdout(Stdio::null())
        .spawn()
        .expect("haproxy (apt-get install haproxy)")
}

/// Asks until `base` answers (a bounded number of tries, 100 ms apart).
async fn until_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..1200 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    unreachable!("{base} did not become ready");
}

async fn get(client: &reqwest::Client, url: String, token: &str) -> (StatusCode, Value) {
    let r = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (PLEDGE_TEST_POSTGRES_URL) and haproxy; run with --include-ignored"]
async fn two_servers_behind_a_balancer_on_one_postgres() {
    let db = TestDatabase::create(Backend::Postgres).await;
    pledge(&db.url, &["demo"]);
    let admin = pledge(
        &db.url,
        &["token", "create", "--role", "admin", "--name", "运维"],
    )
    .lines()
    .last()
    .expect("token")
    .to_owned();
    let dir = tempfile::tempdir().expect("dir");
    let (p1, p2, lb) = (free_port(), free_port(), free_port());
    let mut children = Processes(vec![serve(&db.url, p1), serve(&db.url, p2)]);
    children.0.push(balancer(dir.path(), lb, &[p1, p2]));
    let client = reqwest::Client::new();
    let (one, two, front) = (
        format!("http://127.0.0.1:{p1}"),
        format!("http://127.0.0.1:{p2}"),
        format!("http://127.0.0.1:{lb}"),
    );
    for base in [&one, &two, &front] {
        until_ready(&client, base).await;
    }

    // A write on server one reaches server two's matches.
    let (_, products) = get(&client, format!("{two}/api/v1/products"), &admin).await;
    let product = products
        .as_array()
        .and_then(|a| a.iter().find(|p| p["status"] == "published"))
        .and_then(|p| p["id"].as_i64())
        .expect("a published demo product");
    let matches = format!("{two}/api/v1/products/{product}/matches?limit=200");
    let (_, page) = get(&client, matches.clone(), &admin).await;
    let uscc = page["items"][0]["uscc"]
        .as_str()
        .expect("a match")
        .to_owned();
    let (_, entries) = get(
        &client,
        format!("{one}/api/v1/whitelist/entries?status=published&limit=500"),
        &admin,
    )
    .await;
    let entry = entries["items"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["uscc"] == uscc.as_str()))
        .cloned()
        .expect("the listed entry");
    let suspended = client
        .post(format!("{one}/api/v1/whitelist/entries/{}/suspend", entry["id"]))
        .bearer_auth(&admin)
        .json(&json!({"version": entry["version"], "reason_code": "risk_flag", "reason": "多服务器测试"}))
        .send()
        .await
        .expect("suspend");
    assert_eq!(suspended.status(), StatusCode::OK);
    let mut followed = false;
    for _ in 0..500 {
        let (_, page) = get(&client, matches.clone(), &admin).await;
        followed = !page["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|m| m["uscc"] == uscc.as_str()));
        if followed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(followed, "server two never followed the write");

    // An import started on one server is read on the other.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes("统一社会信用代码,企业名称\n".as_bytes().to_vec())
            .file_name("x.csv"),
    );
    let started = client
        .post(format!("{one}/api/v1/imports?dry_run=true"))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let job: Value = started.json().await.expect("job");
    let (status, seen) = get(
        &client,
        format!("{two}/api/v1/imports/{}", job["id"]),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["id"], job["id"]);

    // kill -9 of server one under a stream of writes: every write answered 201 is kept,
    // and the balancer's server two keeps answering.
    let mut answered = Vec::new();
    let mut after_kill = Vec::new();
    let mut killed = false;
    for i in 0..400 {
        if i == 100 {
            let _ = children.0[0].kill();
            killed = true;
        }
        let code = format!("kill{i}");
        let r = client
            .post(format!("{front}/api/v1/parks"))
            .bearer_auth(&admin)
            .json(&json!({"code": code, "name": format!("压测园区{i}"), "region": "410702"}))
            .send()
            .await;
        let status = r.map(|r| r.status()).ok();
        if status == Some(StatusCode::CREATED) {
            answered.push(code.clone());
        }
        if killed {
            after_kill.push(status);
        }
    }
    let (_, parks) = get(&client, format!("{two}/api/v1/parks"), &admin).await;
    let kept: Vec<&str> = parks
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["code"].as_str()).collect())
        .unwrap_or_default();
    for code in &answered {
        assert!(kept.contains(&code.as_str()), "committed write {code} lost");
    }
    let tail = &after_kill[after_kill.len().saturating_sub(20)..];
    assert!(
        !tail.is_empty() && tail.iter().all(|s| *s == Some(StatusCode::CREATED)),
        "server two did not take over: {tail:?}"
    );
    eprintln!(
        "{} writes answered 201, all kept; {} after the kill",
        answered.len(),
        after_kill.len()
    );

    // Failed authentication is counted the same way by whichever server answers: bad tokens
    // are 401, the valid one from the same address is taken, and past the limit on each
    // server the address's sign-ins wait.
    for i in 0..80 {
        let status = client
            .get(format!("{front}/api/v1/me"))
            .bearer_auth(format!("plg_00000000_{i:048}"))
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = get(&client, format!("{front}/api/v1/me"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..2 {
        let form = client
            .get(format!("{front}/login"))
            .send()
            .await
            .expect("login page");
        let cookie = form
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("pledge_sign_in="))
            .and_then(|v| v.split(';').next())
            .expect("form cookie")
            .to_owned();
        let csrf = cookie.trim_start_matches("pledge_sign_in=").to_owned();
        let signed = client
            .post(format!("{front}/login"))
            .header("cookie", cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", "anyone"),
                ("password", "x"),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(signed.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(signed.headers().contains_key("retry-after"));
    }
}
