//! Consents: who may record and withdraw them, what they must say, and what a bank sees.

use crate::helpers::day;
use crate::helpers::{TestApp, e2e, uscc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(consents_are_the_office_and_the_park_s_to_record);

fn consent(bank: Option<&str>) -> serde_json::Value {
    json!({"bank": bank, "valid_from": day(-340), "evidence_reference": "XX-SQ-0001", "evidence_date": day(-340)})
}

async fn consents_are_the_office_and_the_park_s_to_record(app: TestApp) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz")]).await;
    let own = app.token("park", Some("xxhtz"), None).await;
    let other = app.token("park", Some("hqkfq"), None).await;
    let bank = app.token("bank", None, Some("boc")).await;
    let path = format!("/api/v1/enterprises/{}/consents", uscc(1));
    let before = app.audit_len().await;

    // Another park's enterprise is unknown to a park official; a bank records nothing.
    app.post(&path, &other, consent(None))
        .await
        .problem(404, "not_found");
    app.get(&path, &other).await.problem(404, "not_found");
    assert_eq!(
        app.post(&path, &bank, consent(Some("boc"))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&path, &bank).await.status, StatusCode::FORBIDDEN);

    // What a consent must say.
    let mut unknown_bank = consent(Some("nosuchbank"));
    let a = app.post(&path, &own, unknown_bank.take()).await;
    a.problem(422, "validation_failed");
    assert_eq!(a.field_errors()[0].0, "bank");
    let mut backwards = consent(None);
    backwards["valid_until"] = json!(day(-341));
    let a = app.post(&path, &own, backwards).await;
    assert_eq!(a.field_errors()[0].0, "valid_until");
    let mut future = consent(None);
    future["evidence_date"] = json!("2099-01-01");
    let a = app.post(&path, &own, future).await;
    assert_eq!(a.field_errors()[0].0, "evidence_date");
    // Dates outside the field's window are typing errors, refused like everywhere else.
    let mut ages = consent(None);
    ages["valid_from"] = json!("0000-01-01");
    ages["evidence_date"] = json!("0000-01-01");
    ages["valid_until"] = json!("9999-12-31");
    let a = app.post(&path, &own, ages).await;
    a.problem(422, "validation_failed");
    let mut fields = a.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("evidence_date".to_owned(), "date_range".to_owned()),
            ("valid_from".to_owned(), "date_range".to_owned()),
            ("valid_until".to_owned(), "date_range".to_owned()),
        ],
        "{}",
        a.body
    );
    let mut blank = consent(None);
    blank["evidence_reference"] = json!("");
    assert_eq!(
        app.post(&path, &own, blank).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.audit_len().await,
        before,
        "nothing refused changed anything"
    );

    // Its park records one for every bank and withdraws it; another park cannot withdraw it.
    let c = app.post(&path, &own, consent(None)).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert!(c.body["bank"].is_null());
    let one = format!("{path}/{}", c.body["id"]);
    app.delete(&one, &other).await.problem(404, "not_found");
    assert_eq!(app.delete(&one, &bank).await.status, StatusCode::FORBIDDEN);
    app.delete(&format!("{path}/999999"), &own)
        .await
        .problem(404, "not_found");
    let w = app.delete(&one, &own).await;
    assert_eq!(w.status, StatusCode::OK);
    let again = app.delete(&one, &own).await;
    assert_eq!(
        again.body["withdrawn_at"], w.body["withdrawn_at"],
        "withdrawn once"
    );
    let listed = app.get(&path, &own).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.audit_len().await,
        before + 2,
        "recorded and withdrawn, audited"
    );
}
