//! The console's sign-in: sessions, their cookie, the form token, signing out.

use crate::helpers::{TestApp, e2e};
use pledge_service::Context;
use reqwest::StatusCode;
use serde_json::json;

e2e!(a_person_signs_in_and_out);

/// The hidden form token of a page.
fn form_token(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// The `name=value` of a cookie the answer sets, and the whole header.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            (
                v.split(';').next().unwrap_or_default().to_owned(),
                v.to_owned(),
            )
        })
}

async fn a_person_signs_in_and_out(app: TestApp) {
    app.seed().await;
    app.service
        .set_password(
            &Context::command_line("test", chrono::Utc::now()),
            "nobody.yet",
            "xinxiang-2026",
        )
        .await
        .expect_err("no such person");
    app.park_official("zhang.kz", "张科长", "xxhtz", "xinxiang-2026")
        .await;
    app.service
        .set_password(
            &Context::command_line("test", chrono::Utc::now()),
            "zhang.kz",
            "short",
        )
        .await
        .expect_err("a password has at least 10 characters");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = |p: &str| format!("{}{p}", app.base);

    // Not signed in: to the sign-in page.
    let home = client.get(url("/")).send().await.expect("home");
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(home.headers()["location"], "/login");

    let form = client.get(url("/login")).send().await.expect("login page");
    assert_eq!(form.status(), StatusCode::OK);
    let (sign_in_cookie, _) = set_cookie(&form, "pledge_sign_in").expect("a form cookie");
    let html = form.text().await.expect("html");
    assert!(
        html.contains("<label for=\"password\">密码</label>"),
        "{html}"
    );
    let token = form_token(&html);
    assert!(!token.is_empty());
    let post = |login: &str, password: &str, token: &str, cookie: &str| {
        client
            .post(url("/login"))
            .header("cookie", cookie.to_owned())
            .form(&[("csrf", token), ("login", login), ("password", password)])
            .send()
    };

    // A form without its token is refused; a wrong password is said, and recorded.
    let forged = post("zhang.kz", "xinxiang-2026", "forged", &sign_in_cookie)
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let before = app.audit_len().await;
    let wrong = post("zhang.kz", "wrong-password", &token, &sign_in_cookie)
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("用户名或密码不正确")
    );
    assert_eq!(
        app.audit_len().await,
        before + 1,
        "a failed sign-in is audited"
    );
    let unknown = post("nobody", "xinxiang-2026", &token, &sign_in_cookie)
        .await
        .expect("post");
    assert_eq!(
        unknown.status(),
        StatusCode::UNAUTHORIZED,
        "the same answer"
    );

    // Signed in: a session cookie scripts and other sites cannot use.
    let ok = post("zhang.kz", "xinxiang-2026", &token, &sign_in_cookie)
        .await
        .expect("post");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let (session, header) = set_cookie(&ok, "pledge_session").expect("a session");
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Strict"),
        "{header}"
    );
    let home = client
        .get(url("/"))
        .header("cookie", session.clone())
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.expect("html");
    assert!(
        html.contains("你好，张科长") && html.contains("园区"),
        "{html}"
    );
    let csrf = form_token(&html);

    // Signing out takes the session's token; then the session is gone.
    let refused = client
        .post(url("/logout"))
        .header("cookie", session.clone())
        .form(&[("other", "x")])
        .send()
        .await
        .expect("logout");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let out = client
        .post(url("/logout"))
        .header("cookie", session.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client
        .get(url("/"))
        .header("cookie", session)
        .send()
        .await
        .expect("home");
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session ended");

    // A disabled person's session stops at once.
    let again = post("zhang.kz", "xinxiang-2026", &token, &sign_in_cookie)
        .await
        .expect("post");
    let (session, _) = set_cookie(&again, "pledge_session").expect("a session");
    let disabled = app
        .post("/api/v1/people/zhang.kz/disable", &app.admin, json!({}))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    let home = client
        .get(url("/"))
        .header("cookie", session)
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
}
