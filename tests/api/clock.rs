//! The server reads the application's clock, not the machine's: it starts at the pinned
//! instant whatever the day, what a request records happens at the clock's instant, and a
//! step over a day's turn rebuilds what banks are shown for the new day.

use crate::helpers::{TestApp, day, e2e, enterprise_body, patent_body, uscc};
use crate::matching::{appraise_until, publish_list, publish_zhihuidai, put_patent};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(
    a_request_happens_at_the_application_s_instant,
    a_step_over_an_appraisal_s_end_changes_what_a_bank_sees,
    steps_over_a_fee_s_due_date_and_a_list_s_end_change_what_a_bank_sees
);

async fn a_request_happens_at_the_application_s_instant(app: TestApp) {
    let before = app.clock.now();
    let since_pin = before - crate::helpers::pinned_instant();
    assert!(
        since_pin >= TimeDelta::zero() && since_pin < TimeDelta::minutes(5),
        "the server started at the pinned instant, {since_pin} ago"
    );
    app.clock.advance(TimeDelta::days(400));
    let made = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"role": "admin", "name": "made later"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let listed = app.get("/api/v1/tokens", &app.admin).await;
    let made_at = listed.body.as_array().and_then(|all| {
        all.iter()
            .find(|t| t["name"] == "made later")
            .and_then(|t| t["created_at"].as_str())
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
    });
    let made_at = made_at.expect("the token is listed with its instant");
    let ahead = made_at.with_timezone(&Utc) - before;
    assert!(
        ahead >= TimeDelta::days(400) && ahead < TimeDelta::days(401),
        "recorded {made_at}, {ahead} after the server's {before}"
    );
}

/// Sets the server's clock to 10:00 (Beijing) on `to` and waits for the day's rebuild, which
/// the step sets off at once (never a sleep: the index says when it answers for the day).
async fn step_to(app: &TestApp, to: chrono::NaiveDate) {
    let at = to.and_hms_opt(2, 0, 0).expect("an instant").and_utc();
    app.clock.set(at);
    // A guard, not a measure: the day's own check comes only every minute.
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.service.live().rolled_over_to(to),
    )
    .await
    .unwrap_or_else(|_| panic!("the index was not rebuilt for {to}"));
}

/// What `bank` is shown of `list` once the clock is stepped to `on`.
async fn shown_on(app: &TestApp, on: chrono::NaiveDate, list: &str, bank: &str) -> Value {
    step_to(app, on).await;
    app.get(list, bank).await.body
}

/// The appraisals of the market's patents end on day +176: through that day a bank sees its
/// two enterprises, from the next one none, each with the reason.
async fn a_step_over_an_appraisal_s_end_changes_what_a_bank_sees(app: TestApp) {
    let (bank, id) = crate::matching::market(&app).await;
    let list = format!("/api/v1/products/{id}/matches");
    let shown = app.get(&list, &bank).await;
    assert_eq!(shown.body["total"], 2, "{}", shown.body);
    let shown = shown_on(&app, day(176), &list, &bank).await;
    assert_eq!(shown["total"], 2, "the appraisals' last day: {shown}");
    let shown = shown_on(&app, day(177), &list, &bank).await;
    assert_eq!(shown["total"], 0, "the day after: {shown}");
    let why = app.get(&format!("{list}/{}", uscc(1)), &bank).await;
    assert_eq!(why.body["eligible"], false, "{}", why.body);
    let codes = reason_codes(&why.body);
    assert!(codes.contains(&"no_pledgeable_ip"), "{codes:?}");
}

/// The stable codes of an explanation's reasons.
fn reason_codes(why: &Value) -> Vec<&str> {
    why["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default()
}

/// Two listed enterprises whose qualifications and appraisals outlast the test, each with one
/// good invention patent; enterprise 1's annual fee is paid to day +30, the batch that lists
/// both ends on day +389. A bank sees both until the fee falls due, then enterprise 2 only
/// (enterprise 1's patent is in its grace, which cannot be pledged), and from the day after
/// the batch's end neither: what it was shown of enterprise 2 is no longer its to see.
async fn steps_over_a_fee_s_due_date_and_a_list_s_end_change_what_a_bank_sees(app: TestApp) {
    app.seed().await;
    for i in [1, 2] {
        let mut e = enterprise_body(i, "xxhtz");
        e["qualifications"][0]["valid_until"] = json!(day(1000));
        let a = app.post("/api/v1/enterprises", &app.admin, e).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    let mut due = patent_body(1);
    due["annual_fee_paid_until"] = json!(day(30));
    put_patent(&app, "201710601862.3", due).await;
    let mut second = patent_body(2);
    second["filing_date"] = json!("2018-03-05");
    put_patent(&app, "201810601862.8", second).await;
    for number in ["201710601862.3", "201810601862.8"] {
        appraise_until(&app, number, 1_000_000_000, day(1000)).await;
    }
    publish_list(&app, &[1, 2]).await;
    let (bank, id) = publish_zhihuidai(&app).await;
    let list = format!("/api/v1/products/{id}/matches");
    let shown = app.get(&list, &bank).await;
    assert_eq!(shown.body["total"], 2, "{}", shown.body);

    let shown = shown_on(&app, day(30), &list, &bank).await;
    assert_eq!(shown["total"], 2, "the fee's last day: {shown}");
    let shown = shown_on(&app, day(31), &list, &bank).await;
    assert_eq!(shown["total"], 1, "the fee overdue: {shown}");
    assert_eq!(shown["items"][0]["uscc"], uscc(2), "{shown}");
    let why = app.get(&format!("{list}/{}", uscc(1)), &bank).await;
    assert_eq!(why.body["eligible"], false, "{}", why.body);
    assert!(
        reason_codes(&why.body).contains(&"no_pledgeable_ip"),
        "{}",
        why.body
    );
    let patent = app.get("/api/v1/patents/201710601862.3", &app.admin).await;
    assert!(
        patent.body.to_string().contains("annual_fee_grace"),
        "the patent's own status says why: {}",
        patent.body
    );

    let shown = shown_on(&app, day(389), &list, &bank).await;
    assert_eq!(shown["total"], 1, "the batch's last day: {shown}");
    let shown = shown_on(&app, day(390), &list, &bank).await;
    assert_eq!(shown["total"], 0, "the batch ended: {shown}");
    let why = app.get(&format!("{list}/{}", uscc(2)), &bank).await;
    why.problem(403, "not_published");
}
