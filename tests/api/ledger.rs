use crate::helpers::{TestApp, e2e};
use reqwest::StatusCode;

e2e!(templates_come_from_the_importer_definitions);

async fn templates_come_from_the_importer_definitions(app: TestApp) {
    app.seed().await;
    let bank = app.token("bank", None, Some("boc")).await;
    let res = app
        .client
        .get(format!("{}/api/v1/templates/enterprises.xlsx", app.base))
        .bearer_auth(&bank)
        .send()
        .await
        .expect("template");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.contains("enterprises-template.xlsx"))
    );
    let bytes = res.bytes().await.expect("bytes");
    let tables = pledge_ledger::read_xlsx(&bytes).expect("workbook");
    let layout = pledge_ledger::layout(&tables[0], pledge_ledger::SheetKind::Enterprises);
    assert!(
        layout.missing.is_empty() && layout.unknown.is_empty(),
        "{layout:?}"
    );
    assert_eq!(tables[1].sheet, "填写说明");
    app.get("/api/v1/templates/loans.xlsx", &bank)
        .await
        .problem(404, "not_found");
    app.call(
        reqwest::Method::GET,
        "/api/v1/templates/patents.xlsx",
        None,
        None,
    )
    .await
    .problem(401, "unauthorized");
}
