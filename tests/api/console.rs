//! The console over HTTP: sign-in, sessions, their cookie, the form token, signing out; every
//! form refusing a post without its token; pages under the API's access policy, by person.

use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use crate::helpers::{day, form_token, set_cookie};
use pledge_service::Context;
use reqwest::StatusCode;
use serde_json::json;

e2e!(
    a_person_signs_in_and_out,
    guessing_a_password_waits_longer_each_time_for_that_account_only,
    every_console_form_wants_its_token,
    pages_follow_the_api_access_policy_by_person,
    the_park_home_names_what_needs_doing,
    the_office_sets_criteria_and_parks_nominate_from_a_sheet,
    a_bank_checks_its_applicants_in_a_page,
    rounds_are_kept_and_read_in_pages,
    outcomes_and_figures_in_pages,
    a_bank_keeps_its_subscriptions_in_pages,
    templates_and_annotated_copies_download_from_pages,
);

async fn a_person_signs_in_and_out(app: TestApp) {
    app.seed().await;
    app.service
        .set_password(
            &Context::command_line("test", app.clock.now()),
            "nobody.yet",
            "xinxiang-2026",
        )
        .await
        .expect_err("no such person");
    app.park_official("zhang.kz", "张科长", "xxhtz", "xinxiang-2026")
        .await;
    app.service
        .set_password(
            &Context::command_line("test", app.clock.now()),
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

async fn guessing_a_password_waits_longer_each_time_for_that_account_only(app: TestApp) {
    app.seed().await;
    app.park_official("zhang.kz", "张科长", "xxhtz", "xinxiang-2026")
        .await;
    app.park_official("li.kz", "李科员", "xxhtz", "li-password-1")
        .await;
    let guesser = "203.0.113.9";
    for n in 1..=6 {
        let (status, wait, _) = app
            .sign_in_from(guesser, "zhang.kz", &format!("guess-{n}"))
            .await;
        assert_eq!(
            (status, wait),
            (StatusCode::UNAUTHORIZED, None),
            "guess {n}"
        );
    }
    // Past five, each wrong password makes the next try wait twice as long; a try while
    // waiting is not checked, not even the right password, and not recorded.
    let mut waits = Vec::new();
    for n in 7..=9 {
        let before = app.audit_len().await;
        let (status, wait, html) = app
            .sign_in_from(guesser, "ZHANG.KZ ", "xinxiang-2026")
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let wait = wait.expect("Retry-After on the console's 429");
        assert!(html.contains(&format!("请{wait}秒后再试")), "{html}");
        assert_eq!(app.audit_len().await, before, "nothing was checked");
        waits.push(wait);
        app.clock
            .advance(chrono::TimeDelta::seconds(i64::try_from(wait).unwrap_or(0)));
        let (status, _, _) = app
            .sign_in_from(guesser, "zhang.kz", &format!("guess-{n}"))
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "checked once the wait is over"
        );
    }
    assert_eq!(waits, [1, 2, 4]);
    let (status, wait, _) = app.sign_in_from(guesser, "zhang.kz", "xinxiang-2026").await;
    assert_eq!((status, wait), (StatusCode::TOO_MANY_REQUESTS, Some(8)));

    // The guesser's address holds back no other account: a colleague behind the same
    // address signs in.
    let (status, _, _) = app.sign_in_from(guesser, "li.kz", "li-password-1").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a colleague at the same address"
    );
    // One address cannot lock the account: its owner signs in from elsewhere.
    let (status, _, _) = app
        .sign_in_from("198.51.100.20", "zhang.kz", "xinxiang-2026")
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the owner from another address"
    );
    // An API token from the guesser's address is taken.
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("x-forwarded-for", guesser)
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
}

/// A person signed in to the console over HTTP, without a browser.
struct Session {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Session {
    async fn open(app: &TestApp, login: &str, password: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let signed = app.post_sign_in(None, login, password).await;
        assert_eq!(signed.status(), StatusCode::SEE_OTHER, "{login} signs in");
        let (cookie, _) = set_cookie(&signed, "pledge_session").expect("session cookie");
        let mut s = Self {
            client,
            base: app.base.clone(),
            cookie,
            csrf: String::new(),
        };
        let (_, home) = s.get("/").await;
        s.csrf = form_token(&home);
        assert!(!s.csrf.is_empty(), "the home page carries the form token");
        s
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("page");
        (res.status(), res.text().await.unwrap_or_default())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("post");
        (res.status(), res.text().await.unwrap_or_default())
    }
}

async fn every_console_form_wants_its_token(app: TestApp) {
    let (_, product) = crate::matching::market(&app).await;
    app.officer().await;
    let office = Session::open(&app, "zhao.office", "office-one-pw").await;
    let product = product.to_string();
    // A batch valid a year on; rounds, contacts and steps a few days back.
    let (valid_until, lately) = (day(389).to_string(), day(-6).to_string());
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/logout".into(), vec![]),
        (
            "/whitelist/batches".into(),
            vec![("name", "第九批"), ("valid_until", valid_until.as_str())],
        ),
        (
            "/whitelist/batches/1/nominations".into(),
            vec![("usccs", "91410702MA44XXXX1A")],
        ),
        (
            "/whitelist/batches/1/publish".into(),
            vec![("version", "2")],
        ),
        (
            "/review".into(),
            vec![("action", "approve"), ("entry", "1:2")],
        ),
        (
            "/products".into(),
            vec![("name", "新产品"), ("amount_min", "10")],
        ),
        ("/products/preview".into(), vec![("name", "新产品")]),
        (
            format!("/products/{product}"),
            vec![("name", "改名"), ("version", "2")],
        ),
        (
            format!("/products/{product}/publish"),
            vec![("version", "2")],
        ),
        (
            format!("/products/{product}/withdraw"),
            vec![("version", "2")],
        ),
        (
            "/people".into(),
            vec![("login", "x.y"), ("name", "某某"), ("role", "admin")],
        ),
        (
            "/people/password".into(),
            vec![("login", "zhao.office"), ("password", "0123456789ab")],
        ),
        ("/people/disable".into(), vec![("login", "zhao.office")]),
        ("/people/tokens".into(), vec![("login", "zhao.office")]),
        ("/people/tokens/revoke".into(), vec![("id", "1")]),
        (
            "/rounds".into(),
            vec![
                ("name", "周对接"),
                ("kind", "weekly"),
                ("held_on", lately.as_str()),
            ],
        ),
        (
            "/outcomes".into(),
            vec![
                ("product_id", "1"),
                ("uscc", "91410702MA0000001R"),
                ("contacted_on", lately.as_str()),
            ],
        ),
        (
            "/webhooks".into(),
            vec![
                ("url", "https://bank.example/hook"),
                ("events", "match.gained"),
                ("secret", "0123456789abcdef-secret"),
            ],
        ),
        ("/webhooks/1/remove".into(), vec![]),
        (
            "/outcomes/1/steps".into(),
            vec![
                ("version", "1"),
                ("step", "applied"),
                ("on", lately.as_str()),
            ],
        ),
    ];
    let before = app.audit_len().await;
    for (path, fields) in &forms {
        let (status, body) = office.post(path, fields).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{path} without a token: {body}"
        );
        let mut forged = fields.clone();
        forged.push(("csrf", "0123456789abcdef0123456789abcdef"));
        let (status, _) = office.post(path, &forged).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} with another token");
    }
    // The upload form is multipart: its token is one of its parts.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(crate::helpers::fixture()).file_name("台账.xlsx"),
    );
    let upload = office
        .client
        .post(format!("{}/imports", app.base))
        .header("cookie", &office.cookie)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audit_len().await, before, "nothing changed");
    // With its token, a form does what it says.
    let (status, _) = office
        .post(
            "/whitelist/batches",
            &[
                ("csrf", office.csrf.as_str()),
                ("name", "第九批"),
                ("valid_until", valid_until.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_len().await, before + 1);

    // A token issued on the people page works once copied, until it is revoked there.
    let (status, page) = office
        .post(
            "/people/tokens",
            &[("csrf", office.csrf.as_str()), ("login", "zhao.office")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret: String = page
        .split("plg_")
        .nth(1)
        .map(|rest| {
            let tail: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            format!("plg_{tail}")
        })
        .expect("the secret, shown once");
    assert_eq!(app.get("/api/v1/me", &secret).await.status, StatusCode::OK);
    let id = app.get("/api/v1/me", &secret).await.body["token_id"].to_string();
    let (status, _) = office
        .post(
            "/people/tokens/revoke",
            &[("csrf", office.csrf.as_str()), ("id", id.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn pages_follow_the_api_access_policy_by_person(app: TestApp) {
    let since = day(-340).to_string();
    let (_, product) = crate::matching::market(&app).await;
    for (login, name, scope) in [
        (
            "zhang.xx",
            "张科长",
            json!({"role": "park", "park": "xxhtz"}),
        ),
        (
            "wang.hq",
            "王主任",
            json!({"role": "park", "park": "hqkfq"}),
        ),
        ("sun.boc", "孙经理", json!({"role": "bank", "bank": "boc"})),
        ("li.icbc", "李经理", json!({"role": "bank", "bank": "icbc"})),
    ] {
        app.person(login, name, scope, "console-password").await;
    }
    let own_park = Session::open(&app, "zhang.xx", "console-password").await;
    // Pages are never framed by another site, run no script but ours, and are not cached.
    let home = own_park
        .client
        .get(format!("{}/", app.base))
        .header("cookie", &own_park.cookie)
        .send()
        .await
        .expect("home");
    let h = home.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().unwrap_or("");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let other_park = Session::open(&app, "wang.hq", "console-password").await;
    let own_bank = Session::open(&app, "sun.boc", "console-password").await;
    let other_bank = Session::open(&app, "li.icbc", "console-password").await;

    // An enterprise of another park is the same 404 as one nobody registered.
    let (status, page) = own_park.get(&format!("/enterprises/{}", uscc(1))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("知惠贷") && page.contains("符合"), "{page}");
    let (hidden, hidden_page) = other_park.get(&format!("/enterprises/{}", uscc(1))).await;
    let (unknown, unknown_page) = other_park.get(&format!("/enterprises/{}", uscc(999))).await;
    assert_eq!(
        (hidden, unknown),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        hidden_page.replace(&uscc(1), "X"),
        unknown_page.replace(&uscc(999), "X")
    );
    let (status, _) = other_park.get("/enterprises/not-a-code").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A bank sees its own product and its matches; another bank, nothing of them.
    let p = format!("/products/{product}");
    for path in [
        p.clone(),
        format!("{p}/matches"),
        format!("{p}/matches/{}", uscc(1)),
    ] {
        let (status, body) = own_bank.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let (status, _) = other_bank.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} of another bank");
    }
    let (status, _) = other_bank.get(&format!("{p}/matches.xlsx")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, home) = other_bank.get("/").await;
    assert!(
        !home.contains("知惠贷"),
        "another bank's home lists nothing of it"
    );
    let (_, matches) = own_bank.get(&format!("{p}/matches")).await;
    assert!(matches.contains(&uscc(1)), "{matches}");
    assert!(
        !matches.contains(&uscc(3)),
        "an unlisted enterprise is no bank's match"
    );

    // The contact: masked to banks until the park records a consent for one of them, and
    // masked again once it is withdrawn.
    let e = format!("/enterprises/{}", uscc(1));
    for bank in [&own_bank, &other_bank] {
        let (_, page) = bank.get(&e).await;
        assert!(page.contains("王**") && !page.contains("王经理"), "{page}");
    }
    let (status, _) = own_park
        .post(
            &format!("{e}/consents"),
            &[
                ("csrf", own_park.csrf.as_str()),
                ("bank", "boc"),
                ("valid_from", since.as_str()),
                ("evidence_reference", "XX-SQ-0001"),
                ("evidence_date", since.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = own_bank.get(&e).await;
    assert!(page.contains("王经理"), "{page}");
    let (_, page) = other_bank.get(&e).await;
    assert!(
        page.contains("王**"),
        "a consent for boc opens nothing to icbc"
    );
    let (status, _) = own_bank
        .post(
            &format!("{e}/consents"),
            &[
                ("csrf", own_bank.csrf.as_str()),
                ("valid_from", since.as_str()),
                ("evidence_reference", "forged"),
                ("evidence_date", since.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a bank records no consent");
    let consents = app.get(&format!("/api/v1{e}/consents"), &app.admin).await;
    let id = consents.body[0]["id"].to_string();
    let (status, _) = own_park
        .post(
            &format!("{e}/consents/{id}/withdraw"),
            &[("csrf", own_park.csrf.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = own_bank.get(&e).await;
    assert!(
        page.contains("王**") && !page.contains("王经理"),
        "withdrawn at once"
    );

    // What a role may not open is refused, not shown.
    for path in ["/enterprises", "/imports", "/review", "/people", "/audit"] {
        let (status, _) = own_bank.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a bank opens {path}");
    }
    for path in ["/review", "/people"] {
        let (status, _) = own_park.get(path).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a park official opens {path}"
        );
    }
    let (status, _) = own_park.get("/imports").await;
    assert_eq!(status, StatusCode::OK);
}

async fn the_park_home_names_what_needs_doing(app: TestApp) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz"), (2, "xxhtz"), (3, "hqkfq"), (4, "xxhtz")])
        .await;
    let today = crate::helpers::today();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    // (number, owner, fee paid until)
    let patents = [
        ("201710601862.3", 1, day(30)),  // fee within 60 days: named
        ("201610601862.9", 1, day(400)), // appraisal ends within 60 days: named
        ("201510601862.4", 1, day(400)), // appraisal ends, a later one outlasts it: not
        ("201410601862.X", 3, day(10)),  // another park's: not
        ("201810601862.8", 1, day(90)),  // fee beyond 60 days: not
        ("201720601862.9", 4, day(400)), // a utility model: enterprise 4 has no invention
    ];
    for (number, owner, paid) in &patents {
        let mut body = patent_body(*owner);
        body["annual_fee_paid_until"] = json!(paid);
        body["filing_date"] = json!(format!("20{}-03-05", &number[2..4]));
        let a = app
            .put(&format!("/api/v1/patents/{number}"), &app.admin, body)
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{number}: {}", a.body);
    }
    let appraise = |number: &'static str, on: String, until: String| {
        let app = &app;
        async move {
            let a = app
                .post(
                    &format!("/api/v1/patents/{number}/appraisals"),
                    &app.admin,
                    json!({"amount_fen": 100_000_000, "appraised_on": on, "valid_until": until, "appraiser": "河南中原资产评估有限公司"}),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        }
    };
    appraise("201610601862.9", day(-340), day(20)).await;
    appraise("201510601862.4", day(-340), day(20)).await;
    appraise("201510601862.4", day(-10), day(350)).await;
    app.park_official("zhang.xx", "张科长", "xxhtz", "console-password")
        .await;
    let park = Session::open(&app, "zhang.xx", "console-password").await;
    let (status, home) = park.get("/").await;
    assert_eq!(status, StatusCode::OK);
    let table = home
        .split("<table id=\"lapsing\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("a table of what lapses: {home}"));
    assert!(table.contains("201710601862.3") && table.contains(&format!("年费缴至{}", day(30))));
    assert!(
        table.contains("201610601862.9") && table.contains(&format!("评估有效期至{}", day(20)))
    );
    for not in ["201510601862.4", "201410601862.X", "201810601862.8"] {
        assert!(!table.contains(not), "{not} is not named: {table}");
    }
    // Enterprise 4 lacks only an invention patent; 2 lacks two things, 1 meets the criteria.
    let one_short = home
        .split("<table id=\"one-short\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("a table of enterprises one criterion short: {home}"));
    assert!(
        one_short.contains(&uscc(4)) && one_short.contains("发明专利"),
        "{one_short}"
    );
    for not in [uscc(1), uscc(2), uscc(3)] {
        assert!(!one_short.contains(&not), "{not}: {one_short}");
    }
}

async fn the_office_sets_criteria_and_parks_nominate_from_a_sheet(app: TestApp) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz"), (3, "hqkfq")]).await;
    let mut other_trade = enterprise_body(2, "xxhtz");
    other_trade["industry"] = json!("I6510");
    let a = app
        .post("/api/v1/enterprises", &app.admin, other_trade)
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    app.officer().await;
    app.park_official("zhang.xx", "张科长", "xxhtz", "console-password")
        .await;
    let office = Session::open(&app, "zhao.office", "office-one-pw").await;
    let park = Session::open(&app, "zhang.xx", "console-password").await;

    // The office changes the entry criteria; a park official reads them and cannot.
    let fields = [
        ("csrf", office.csrf.as_str()),
        ("version", "0"),
        ("min_valid_invention_patents", "0"),
        ("min_valid_patents", "0"),
        ("min_years_in_operation", "3"),
        ("excluded_risk_flags", "dishonest_debtor"),
    ];
    let (status, body) = office.post("/whitelist/criteria", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let criteria = app.get("/api/v1/whitelist/criteria", &app.admin).await;
    assert_eq!(criteria.body["min_years_in_operation"], 3);
    assert_eq!(
        criteria.body["excluded_risk_flags"],
        json!(["dishonest_debtor"])
    );
    let (status, body) = office
        .post(
            "/whitelist/criteria",
            &[
                ("csrf", office.csrf.as_str()),
                ("version", "1"),
                ("min_valid_patents", "many"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("value=\"many\""),
        "a refused form comes back as typed"
    );
    // The audit log finds the change by person and day, and nothing for another person or day.
    let tomorrow = crate::helpers::today() + chrono::Days::new(1);
    let rows = |page: &str| page.matches("<td><code>").count();
    let (_, by_him) = office.get("/audit?person=zhao.office").await;
    // His sign-in and the change.
    assert_eq!(rows(&by_him), 2, "{by_him}");
    assert!(by_him.contains("<td>criteria</td>") && by_him.contains("<td>sign_in</td>"));
    let (_, by_nobody) = office.get("/audit?person=nobody.here").await;
    assert_eq!(rows(&by_nobody), 0);
    let (_, later) = office
        .get(&format!("/audit?person=zhao.office&from={tomorrow}"))
        .await;
    assert_eq!(rows(&later), 0);
    let (status, _) = office.get("/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, page) = park.get("/whitelist/criteria").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("readonly") && !page.contains("保存条件"));
    let mut as_park = fields.to_vec();
    as_park[0] = ("csrf", park.csrf.as_str());
    as_park[1] = ("version", "1");
    let (status, _) = park.post("/whitelist/criteria", &as_park).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Enterprises filter by industry.
    let (_, list) = park.get("/enterprises?industry=c34").await;
    assert!(
        list.contains(&uscc(1)) && !list.contains(&uscc(2)),
        "{list}"
    );
    let (status, _) = park.get("/enterprises?industry=%3Cb%3E").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A park official nominates from a sheet: their own enterprise is nominated, another
    // park's is refused, and an unreadable code is named.
    let id = app.draft_batch("第一批").await;
    let sheet = format!(
        "企业名称,统一社会信用代码\n甲,{}\n乙,{}\n丙,91410702XXXX\n",
        uscc(1),
        uscc(3)
    );
    let upload = |token: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", token.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(sheet.clone().into_bytes()).file_name("名单.csv"),
            )
    };
    let url = format!("{}/whitelist/batches/{id}/nominations/upload", app.base);
    let forged = park
        .client
        .post(&url)
        .header("cookie", &park.cookie)
        .multipart(upload("forged"))
        .send()
        .await
        .expect("upload");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let done = park
        .client
        .post(&url)
        .header("cookie", &park.cookie)
        .multipart(upload(&park.csrf))
        .send()
        .await
        .expect("upload");
    assert_eq!(done.status(), StatusCode::OK);
    let page = done.text().await.expect("page");
    let outcomes = page
        .split("id=\"outcomes\"")
        .nth(1)
        .and_then(|t| t.split("</section>").next())
        .unwrap_or_else(|| panic!("outcomes: {page}"));
    assert_eq!(outcomes.matches("class=\"good\"").count(), 1, "{outcomes}");
    assert_eq!(outcomes.matches("class=\"bad\"").count(), 2, "{outcomes}");
    let entries = app
        .get(&format!("/api/v1/whitelist/entries?batch={id}"), &app.admin)
        .await;
    let items = entries.body["items"].as_array().expect("entries");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["uscc"], uscc(1));
}

async fn a_bank_checks_its_applicants_in_a_page(app: TestApp) {
    crate::matching::market(&app).await;
    app.person(
        "sun.boc",
        "孙经理",
        json!({"role": "bank", "bank": "boc"}),
        "console-password",
    )
    .await;
    app.park_official("zhang.xx", "张科长", "xxhtz", "console-password")
        .await;
    let bank = Session::open(&app, "sun.boc", "console-password").await;
    let park = Session::open(&app, "zhang.xx", "console-password").await;
    let sheet = format!("统一社会信用代码\n{}\n{}\n", uscc(1), uscc(3));
    let upload = |s: &Session, token: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(sheet.clone().into_bytes()).file_name("客户.csv"),
            );
        s.client
            .post(format!("{}/applicants", app.base))
            .header("cookie", &s.cookie)
            .multipart(form)
            .send()
    };
    let res = upload(&bank, &bank.csrf).await.expect("check");
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    let rows: Vec<&str> = page.split("<tr><td><code>").skip(1).collect();
    assert_eq!(rows.len(), 2, "{page}");
    assert!(
        rows[0].contains(&uscc(1))
            && rows[0].contains("在白名单")
            && rows[0].contains("知惠贷：符合")
    );
    assert!(rows[1].contains(&uscc(3)) && rows[1].contains("不在白名单"));
    let forged = upload(&bank, "forged").await.expect("check");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (status, _) = park.get("/applicants").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refused = upload(&park, &park.csrf).await.expect("check");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn rounds_are_kept_and_read_in_pages(app: TestApp) {
    let (_, product) = crate::matching::market(&app).await;
    app.officer().await;
    for (login, bank) in [("sun.boc", "boc"), ("li.icbc", "icbc")] {
        app.person(
            login,
            "经理",
            json!({"role": "bank", "bank": bank}),
            "console-password",
        )
        .await;
    }
    let office = Session::open(&app, "zhao.office", "office-one-pw").await;
    let boc = Session::open(&app, "sun.boc", "console-password").await;
    let icbc = Session::open(&app, "li.icbc", "console-password").await;
    let today = crate::helpers::today().to_string();
    let product = product.to_string();
    let mut fields = vec![
        ("csrf", office.csrf.as_str()),
        ("name", "第48周周对接"),
        ("kind", "weekly"),
        ("held_on", today.as_str()),
        ("banks", "boc nosuchbank"),
        ("products", product.as_str()),
        ("parks", "xxhtz"),
    ];
    let (status, page) = office.post("/rounds", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("banks[1]"), "the wrong bank is named: {page}");
    fields[4] = ("banks", "boc");
    let (status, _) = office.post("/rounds", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = boc.get("/rounds").await;
    assert!(
        page.contains("第48周周对接") && page.contains("周对接"),
        "{page}"
    );
    let (_, page) = icbc.get("/rounds").await;
    assert!(!page.contains("第48周周对接") && page.contains("没有对接活动"));
    let (status, _) = boc
        .post(
            "/rounds",
            &[
                ("csrf", boc.csrf.as_str()),
                ("name", "私设"),
                ("kind", "weekly"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a bank keeps no round");
}

async fn outcomes_and_figures_in_pages(app: TestApp) {
    let (_, product) = crate::matching::market(&app).await;
    app.officer().await;
    for (login, bank) in [("sun.boc", "boc"), ("li.icbc", "icbc")] {
        app.person(
            login,
            "经理",
            json!({"role": "bank", "bank": bank}),
            "console-password",
        )
        .await;
    }
    app.park_official("wang.xxhtz", "王", "xxhtz", "park-one-pw")
        .await;
    app.park_official("li.hqkfq", "李", "hqkfq", "park-two-pw")
        .await;
    let boc = Session::open(&app, "sun.boc", "console-password").await;
    let icbc = Session::open(&app, "li.icbc", "console-password").await;
    let own_park = Session::open(&app, "wang.xxhtz", "park-one-pw").await;
    let other_park = Session::open(&app, "li.hqkfq", "park-two-pw").await;
    let office = Session::open(&app, "zhao.office", "office-one-pw").await;
    let day = |n| crate::outcomes::days_ago(n);
    let product = product.to_string();
    let enterprise = uscc(1);

    // What happened since the last visit (signing in was a visit): a list published, once.
    let batch = app.draft_batch("2026年第二批").await;
    let published = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/publish"),
            &app.admin,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let (_, home) = boc.get("/").await;
    assert!(
        home.contains("2026年第二批") && !home.contains("2026年第一批"),
        "{home}"
    );
    let (_, home) = boc.get("/").await;
    assert!(home.contains("没有新动态"), "seen once");

    // The bank records a contact and its steps in 万元 and %.
    let opened = day(10);
    let (status, _) = boc
        .post(
            "/outcomes",
            &[
                ("csrf", boc.csrf.as_str()),
                ("product_id", product.as_str()),
                ("uscc", enterprise.as_str()),
                ("contacted_on", opened.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let listed = app.get("/api/v1/outcomes", &app.admin).await;
    let id = listed.body["items"][0]["id"].as_i64().expect("an outcome");
    let steps = format!("/outcomes/{id}/steps");
    let (on_applied, on_approved, on_paid) = (day(9), day(8), day(7));
    for (fields, expected) in [
        (
            vec![
                ("version", "1"),
                ("step", "applied"),
                ("on", on_applied.as_str()),
            ],
            StatusCode::SEE_OTHER,
        ),
        (
            vec![
                ("version", "2"),
                ("step", "approved"),
                ("on", on_approved.as_str()),
                ("amount_wan", "500"),
                ("term_months", "12"),
                ("rate_percent", "3.85"),
            ],
            StatusCode::SEE_OTHER,
        ),
        (
            vec![
                ("version", "3"),
                ("step", "disbursed"),
                ("on", on_paid.as_str()),
                ("amount_wan", "500.01"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let mut with_token = vec![("csrf", boc.csrf.as_str())];
        with_token.extend(fields.iter().copied());
        let (status, page) = boc.post(&steps, &with_token).await;
        assert_eq!(status, expected, "{fields:?}: {page}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(
                page.contains("amount_fen") && page.contains("审批金额"),
                "{page}"
            );
        }
    }
    let (status, _) = boc
        .post(
            &steps,
            &[
                ("csrf", boc.csrf.as_str()),
                ("version", "3"),
                ("step", "disbursed"),
                ("on", on_paid.as_str()),
                ("amount_wan", "500"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = boc.get(&format!("/outcomes/{id}")).await;
    assert!(page.contains("id=\"stage\">已放款<"), "{page}");
    assert!(
        page.contains("3.85%") && page.contains("500.00万元"),
        "{page}"
    );

    // Nobody else changes it; another bank and another park do not see it.
    let (status, _) = own_park
        .post(
            &steps,
            &[
                ("csrf", own_park.csrf.as_str()),
                ("version", "4"),
                ("step", "repaid"),
                ("on", on_paid.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = own_park.get(&format!("/outcomes/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("填写下一步"),
        "a park reads, it does not report"
    );
    for other in [&icbc, &other_park] {
        let (status, _) = other.get(&format!("/outcomes/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, page) = other.get("/outcomes").await;
        assert!(page.contains("尚无对接结果"), "{page}");
    }

    // The figures: the office and the park see the loan, the other bank and park do not.
    for (who, disbursed) in [
        (&office, "500"),
        (&own_park, "500"),
        (&icbc, "0"),
        (&other_park, "0"),
    ] {
        let (status, page) = who.get("/stats?by=bank").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains(&format!("id=\"total-disbursed\">{disbursed}<")),
            "{disbursed}: {page}"
        );
    }
    let (status, _) = other_park.get("/stats?park=xxhtz").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = icbc.get("/stats?bank=boc").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The bank's own sheet, uploaded in the page: each row recorded or refused with why; a
    // forged form token changes nothing.
    let bytes = crate::outcomes::outcome_sheet(&[
        vec![
            ("产品编号", product.clone()),
            ("统一社会信用代码", uscc(2)),
            ("对接日期", day(5)),
            ("申请日期", day(4)),
        ],
        vec![
            ("产品编号", product.clone()),
            ("统一社会信用代码", uscc(3)),
            ("对接日期", day(5)),
        ],
    ]);
    let upload = |csrf: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name("对接结果.xlsx"),
            )
    };
    let before = app.audit_len().await;
    let forged = boc
        .client
        .post(format!("{}/outcomes/import", app.base))
        .header("cookie", &boc.cookie)
        .multipart(upload("0123456789abcdef0123456789abcdef"))
        .send()
        .await
        .expect("upload");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.audit_len().await,
        before,
        "a forged upload changes nothing"
    );
    let page = boc
        .client
        .post(format!("{}/outcomes/import", app.base))
        .header("cookie", &boc.cookie)
        .multipart(upload(&boc.csrf))
        .send()
        .await
        .expect("upload")
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("已记录") && page.contains("已申请"), "{page}");
    assert!(page.contains("白名单"), "the unlisted row says why: {page}");

    let sheet = office
        .client
        .get(format!("{}/stats.xlsx?by=park", app.base))
        .header("cookie", &office.cookie)
        .send()
        .await
        .expect("sheet");
    assert_eq!(sheet.status(), StatusCode::OK);
    assert!(
        sheet
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("spreadsheetml")),
        "a workbook"
    );
}

async fn a_bank_keeps_its_subscriptions_in_pages(app: TestApp) {
    app.seed().await;
    for (login, bank) in [("sun.boc", "boc"), ("li.icbc", "icbc")] {
        app.person(
            login,
            "经理",
            json!({"role": "bank", "bank": bank}),
            "console-password",
        )
        .await;
    }
    let boc = Session::open(&app, "sun.boc", "console-password").await;
    let icbc = Session::open(&app, "li.icbc", "console-password").await;
    let subscribe = |url: &'static str, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("url", url.to_owned()),
            ("events", "match.gained".to_owned()),
            ("events", "batch.published".to_owned()),
            ("secret", "0123456789abcdef-secret".to_owned()),
        ]
    };
    let fields = subscribe("ftp://bank.example/hook", &boc.csrf);
    let as_ref: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = boc.post("/webhooks", &as_ref).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("<code>url</code>"), "{page}");
    let fields = subscribe("http://127.0.0.1:9/hook", &boc.csrf);
    let as_ref: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = boc.post("/webhooks", &as_ref).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = boc.get("/webhooks").await;
    assert!(
        page.contains("http://127.0.0.1:9/hook") && page.contains("新匹配企业、白名单发布"),
        "{page}"
    );
    assert!(
        !page.contains("0123456789abcdef-secret"),
        "the secret is never shown"
    );
    let id = app
        .get(
            "/api/v1/webhooks",
            &app.token("bank", None, Some("boc")).await,
        )
        .await
        .body[0]["id"]
        .as_i64()
        .expect("a subscription");
    // Another bank neither sees nor ends it.
    let (_, page) = icbc.get("/webhooks").await;
    assert!(page.contains("没有订阅"), "{page}");
    let (status, _) = icbc.get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = icbc
        .post(
            &format!("/webhooks/{id}/remove"),
            &[("csrf", icbc.csrf.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = boc.get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("推送记录"), "{page}");
    let (status, _) = boc
        .post(
            &format!("/webhooks/{id}/remove"),
            &[("csrf", boc.csrf.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = boc.get("/webhooks").await;
    assert!(page.contains("已取消"), "{page}");
}

/// A park official downloads a template and an import's annotated copy from the pages, as
/// the API hands them out; an unknown template is 404, another park's job is not theirs.
async fn templates_and_annotated_copies_download_from_pages(app: TestApp) {
    app.seed().await;
    app.person(
        "zhang.xx",
        "张科长",
        json!({"role": "park", "park": "xxhtz"}),
        "console-password",
    )
    .await;
    app.person(
        "wang.hq",
        "王科长",
        json!({"role": "park", "park": "hqkfq"}),
        "console-password",
    )
    .await;
    let own = Session::open(&app, "zhang.xx", "console-password").await;
    let download = |s: &Session, path: String| {
        let req = s
            .client
            .get(format!("{}{path}", s.base))
            .header("cookie", &s.cookie);
        async move {
            let res = req.send().await.expect("download");
            let status = res.status();
            let disposition = res
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let bytes = res.bytes().await.unwrap_or_default().to_vec();
            (status, disposition, bytes)
        }
    };
    let (status, disposition, bytes) =
        download(&own, "/imports/templates/patents.xlsx".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        disposition.contains("patents-template.xlsx"),
        "{disposition}"
    );
    let tables =
        pledge_ledger::read_xlsx(&bytes, &pledge_ledger::Limits::default()).expect("a workbook");
    assert_eq!(tables[0].sheet, "专利清单");
    let (status, _, _) = download(&own, "/imports/templates/nonsense.xlsx".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An import with a bad row, started by the park: its annotated copy marks it.
    let park = app.token("park", Some("xxhtz"), None).await;
    let csv = "申请号,专利名称,专利权人,申请日,法律状态\n201710601862.3,一种装置,无名公司,2017-03-05,有效\n";
    let job = crate::helpers::import(&app, &park, "台账.csv", csv.as_bytes().to_vec(), "").await;
    let id = job["id"].as_i64().expect("job id");
    let (status, disposition, bytes) =
        download(&own, format!("/imports/{id}/annotated.xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        disposition.contains(&format!("import-{id}-annotated.xlsx")),
        "{disposition}"
    );
    let tables =
        pledge_ledger::read_xlsx(&bytes, &pledge_ledger::Limits::default()).expect("a workbook");
    assert!(
        tables[0]
            .headers
            .iter()
            .any(|h| h == pledge_ledger::REASON_HEADER),
        "{:?}",
        tables[0].headers
    );
    let other = Session::open(&app, "wang.hq", "console-password").await;
    let (status, _, _) = download(&other, format!("/imports/{id}/annotated.xlsx")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
