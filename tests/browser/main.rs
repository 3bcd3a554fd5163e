//! Journeys through the console in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver` on a free port), against the real server on 127.0.0.1 with a fresh
//! database. Each journey saves a screenshot of its pages under `target/screenshots/`.
//! They need `chromium`, `chromium-driver` and `fonts-noto-cjk` (`.ci/run` installs them), so
//! they are ignored unless run with `--include-ignored`.

#[path = "../api/helpers.rs"]
#[allow(dead_code, unused_macros, unused_imports)]
mod helpers;

use fantoccini::{Client, ClientBuilder, Locator};
use helpers::TestApp;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::process::{Child, Command, Stdio};

macro_rules! journeys {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs chromium and chromedriver: run with --include-ignored (.ci/run installs them)"]
                async fn sqlite() {
                    super::$name(crate::helpers::spawn_app(pledge_store::testing::Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs chromium, chromedriver and PostgreSQL: run with --include-ignored"]
                async fn postgres() {
                    super::$name(crate::helpers::spawn_app(pledge_store::testing::Backend::Postgres).await).await;
                }
            }
        )*
    };
}

journeys!(a_person_signs_in_and_out);

/// A headless Chromium at 1366×768 behind its own chromedriver, ended with the test.
struct Browser {
    driver: Child,
    client: Option<Client>,
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium chromium-driver fonts-noto-cjk)");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=zh-CN"]}),
        );
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver answers once it listens: a bounded number of tries, not a clock.
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        Self {
            driver,
            client: Some(client.expect("a browser session")),
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("open")
    }

    /// Saves the page as `target/screenshots/{name}.png`.
    async fn screenshot(&self, name: &str) {
        let png = self.client().screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    /// Waits (a bounded number of tries) until the first element `css` finds holds `want`:
    /// a click returns before the next page is there.
    async fn shows(&self, css: &str, want: &str) {
        let mut seen = String::new();
        for _ in 0..50 {
            if let Ok(e) = self.client().find(Locator::Css(css)).await {
                seen = e.text().await.unwrap_or_default();
                if seen.contains(want) {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{css} shows {seen:?}, not {want:?}");
    }

    /// Opens the home page and finds the sign-in page instead.
    async fn home_asks_to_sign_in(&self, app: &TestApp, why: &str) {
        let c = self.client();
        c.goto(&format!("{}/", app.base)).await.expect("home");
        let at = c.current_url().await.expect("url");
        assert!(at.path().ends_with("/login"), "{why}: at {at}");
    }

    /// Types `text` into the field with id `id`.
    async fn type_into(&self, id: &str, text: &str) {
        self.client()
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no field {id}: {e}"))
            .send_keys(text)
            .await
            .expect("typed");
    }

    /// Clicks the first element `css` finds.
    async fn click(&self, css: &str) {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css}: {e}"))
            .click()
            .await
            .expect("clicked");
    }

    async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn a_person_signs_in_and_out(app: TestApp) {
    app.seed().await;
    app.park_official("zhang.kz", "张科长", "xxhtz", "xinxiang-2026")
        .await;
    let b = Browser::start().await;
    b.home_asks_to_sign_in(&app, "not signed in: to the sign-in page")
        .await;
    b.shows("h1", "登录").await;
    b.screenshot("sign-in").await;
    b.type_into("login", "zhang.kz").await;
    b.type_into("password", "wrong-password").await;
    b.click("form button[type=submit]").await;
    b.shows(".problem", "用户名或密码不正确").await;
    b.type_into("password", "xinxiang-2026").await;
    b.click("form button[type=submit]").await;
    b.shows("main h1", "你好，张科长").await;
    b.screenshot("home-park").await;
    b.click(".account button").await;
    b.shows("main h1", "登录").await;
    b.home_asks_to_sign_in(&app, "the session ended").await;
    b.close().await;
}
