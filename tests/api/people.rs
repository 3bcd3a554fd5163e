//! People, not labels: four-eyes compares accounts, and an account the nominator created
//! (directly or through others) is not a second pair of eyes; a disabled person's tokens
//! stop working; audit records name the person.

use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(four_eyes_compares_people_not_labels);

async fn person(app: &TestApp, token: &str, login: &str, role: &str) -> crate::helpers::Answer {
    app.post(
        "/api/v1/people",
        token,
        json!({"login": login, "name": format!("{login}的名字"), "role": role}),
    )
    .await
}

async fn token_for(app: &TestApp, token: &str, body: Value) -> Option<String> {
    let a = app.post("/api/v1/tokens", token, body).await;
    (a.status == StatusCode::CREATED).then(|| a.body["token"].as_str().unwrap_or("").to_owned())
}

async fn four_eyes_compares_people_not_labels(app: TestApp) {
    app.seed().await;
    let e = app
        .post(
            "/api/v1/enterprises",
            &app.admin,
            enterprise_body(1, "xxhtz"),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
    let p = app
        .put("/api/v1/patents/201710601862.3", &app.admin, patent_body(1))
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    let batch = app
        .post(
            "/api/v1/whitelist/batches",
            &app.admin,
            json!({"name": "2026年第一批", "valid_until": day(389)}),
        )
        .await;
    assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);

    // admin-one, created by the office's first admin, nominates.
    let created = person(&app, &app.admin, "admin-one", "admin").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let one = token_for(
        &app,
        &app.admin,
        json!({"person": "admin-one", "name": "办公电脑"}),
    )
    .await
    .expect("a token for admin-one");
    let me = app.get("/api/v1/me", &one).await;
    assert_eq!(me.body["person"], "admin-one", "{}", me.body);
    let entry = app
        .post(
            &format!("/api/v1/whitelist/batches/{}/entries", batch.body["id"]),
            &one,
            json!({"uscc": crate::helpers::uscc(1)}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{}", entry.body);
    let approve = format!("/api/v1/whitelist/entries/{}/approve", entry.body["id"]);
    let decision =
        json!({"version": 1, "reason_code": "meets_criteria", "reason": "经复核符合条件"});

    // Labels that look like someone else are refused or are admin-one's own creations.
    assert!(
        token_for(
            &app,
            &one,
            json!({"role": "admin", "name": "admin-one\u{200b}"})
        )
        .await
        .is_none(),
        "an invisible character is refused"
    );
    let mut minted = Vec::new();
    for name in ["ａｄｍｉｎ－ｏｎｅ", "admin\u{2010}one", "admin-one"] {
        minted.push(
            token_for(&app, &one, json!({"role": "admin", "name": name}))
                .await
                .expect("minted"),
        );
    }
    minted.push(
        token_for(&app, &one, json!({"person": "admin-one", "name": "手机"}))
            .await
            .expect("a second token of admin-one"),
    );
    // A person admin-one created, and one that person created in turn.
    assert_eq!(
        person(&app, &one, "helper", "admin").await.status,
        StatusCode::CREATED
    );
    let helper = token_for(&app, &one, json!({"person": "helper", "name": "x"}))
        .await
        .expect("helper's token");
    assert_eq!(
        person(&app, &helper, "helper2", "admin").await.status,
        StatusCode::CREATED
    );
    minted.push(
        token_for(&app, &helper, json!({"person": "helper2", "name": "x"}))
            .await
            .expect("helper2's token"),
    );
    for token in &minted {
        app.post(&approve, token, decision.clone())
            .await
            .problem(403, "four_eyes");
    }
    // Logins are plain ASCII: one cannot be written to look like another.
    let lookalike = person(&app, &app.admin, "ａｄｍｉｎ－ｏｎｅ", "admin").await;
    lookalike.problem(422, "validation_failed");
    assert_eq!(
        lookalike.field_errors(),
        vec![("login".to_owned(), "format".to_owned())]
    );
    assert_eq!(
        person(&app, &app.admin, "admin-one", "admin").await.status,
        StatusCode::CONFLICT
    );
    // A park official manages no one.
    let park = app.token("park", Some("xxhtz"), None).await;
    person(&app, &park, "someone", "park")
        .await
        .problem(403, "admin_only");

    // Another person, created by someone else, approves; the audit record names them.
    assert_eq!(
        person(&app, &app.admin, "admin-two", "admin").await.status,
        StatusCode::CREATED
    );
    let two = token_for(
        &app,
        &app.admin,
        json!({"person": "admin-two", "name": "x"}),
    )
    .await
    .expect("admin-two's token");
    let approved = app.post(&approve, &two, decision.clone()).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let me_two = app.get("/api/v1/me", &two).await;
    let log = app
        .get("/api/v1/audit?entity=whitelist_entry", &app.admin)
        .await;
    let last = log.body["items"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["action"], "approve", "{last}");
    assert_eq!(last["actor_person_id"], me_two.body["person_id"], "{last}");
    assert!(
        last["actor"].as_str().unwrap_or("").contains("admin-two"),
        "{last}"
    );

    // Disabled: every token of theirs stops working at once.
    let disabled = app
        .post("/api/v1/people/admin-two/disable", &app.admin, json!({}))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert!(disabled.body["disabled_at"].is_string());
    assert_eq!(
        app.get("/api/v1/me", &two).await.status,
        StatusCode::UNAUTHORIZED
    );
    let people = app.get("/api/v1/people", &app.admin).await;
    let helper2 = people.body.as_array().and_then(|a| {
        a.iter()
            .find(|p| p["login"] == "helper2")
            .map(|p| p["created_by"].clone())
    });
    assert_eq!(helper2, Some(json!("helper")));
}
