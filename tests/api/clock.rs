//! The server reads the application's clock, not the machine's: it starts at the pinned
//! instant whatever the day, what a request records happens at the clock's instant, and a
//! step over a day's turn rebuilds what banks are shown for the new day.

use crate::helpers::{TestApp, day, e2e, uscc};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(
    a_request_happens_at_the_application_s_instant,
    a_step_over_an_appraisal_s_end_changes_what_a_bank_sees
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

/// The appraisals of the market's patents end on day +176: through that day a bank sees its
/// two enterprises, from the next one none, each with the reason.
async fn a_step_over_an_appraisal_s_end_changes_what_a_bank_sees(app: TestApp) {
    let (bank, id) = crate::matching::market(&app).await;
    let list = format!("/api/v1/products/{id}/matches");
    let shown = app.get(&list, &bank).await;
    assert_eq!(shown.body["total"], 2, "{}", shown.body);
    step_to(&app, day(176)).await;
    let shown = app.get(&list, &bank).await;
    assert_eq!(
        shown.body["total"], 2,
        "the appraisals' last day: {}",
        shown.body
    );
    step_to(&app, day(177)).await;
    let shown = app.get(&list, &bank).await;
    assert_eq!(shown.body["total"], 0, "the day after: {}", shown.body);
    let why = app.get(&format!("{list}/{}", uscc(1)), &bank).await;
    assert_eq!(why.body["eligible"], false, "{}", why.body);
    let codes: Vec<&str> = why.body["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"no_pledgeable_ip"), "{codes:?}");
}
