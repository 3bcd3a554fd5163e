//! The server reads the application's clock, not the machine's: it starts at the pinned
//! instant whatever the day, and what a request records happens at the clock's instant.

use crate::helpers::{TestApp, e2e};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(a_request_happens_at_the_application_s_instant);

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
