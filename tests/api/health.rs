use crate::helpers::{TestApp, e2e};
use reqwest::{Method, StatusCode};

e2e!(
    health_and_readiness_answer,
    openapi_documents_every_route,
    docs_page_is_served,
    unknown_routes_are_problems,
    a_database_that_does_not_answer_is_503
);

async fn a_database_that_does_not_answer_is_503(app: TestApp) {
    // The token is known (cached) before the database goes away, once the server has
    // followed every commit (the admin's token was written beside it).
    app.service
        .live()
        .catch_up(&app.store)
        .await
        .expect("caught up");
    let a = app.get("/api/v1/parks", &app.admin).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    app.store
        .connection()
        .close_by_ref()
        .await
        .expect("close the pool");
    app.get("/api/v1/parks", &app.admin)
        .await
        .problem(503, "unavailable");
    app.call(Method::GET, "/readyz", None, None)
        .await
        .problem(503, "unavailable");
    // Reads the index answers alone still work.
    let a = app.get("/api/v1/products", &app.admin).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

async fn health_and_readiness_answer(app: TestApp) {
    let a = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (a.status, a.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let a = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (a.status, a.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let id = a
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id");
    let b = app.call(Method::GET, "/healthz", None, None).await;
    assert_ne!(
        Some(id),
        b.headers.get("x-request-id").and_then(|v| v.to_str().ok()),
        "each request gets its own id"
    );
}

async fn openapi_documents_every_route(app: TestApp) {
    let a = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let doc = &a.body;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/healthz",
        "/readyz",
        "/api/v1/parks",
        "/api/v1/banks",
        "/api/v1/enterprises",
        "/api/v1/enterprises/{uscc}",
        "/api/v1/enterprises/{uscc}/patents",
        "/api/v1/patents/{number}",
        "/api/v1/patents/{number}/appraisals",
        "/api/v1/trademarks/{number}/{class}",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/audit",
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/products/{id}/publish",
        "/api/v1/products/{id}/withdraw",
        "/api/v1/products/preview",
        "/api/v1/products/{id}/matches",
        "/api/v1/products/{id}/matches/{uscc}",
        "/api/v1/enterprises/{uscc}/matches",
        "/api/v1/templates/{file}",
        "/api/v1/imports",
        "/api/v1/imports/{id}",
        "/api/v1/imports/{id}/annotated.xlsx",
        "/api/v1/exports/{file}",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            if path.starts_with("/api/") {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents no 401"
                );
                let problem =
                    &responses["401"]["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(problem, "#/components/schemas/Problem", "{method} {path}");
                assert_eq!(
                    op["security"][0]["bearer"],
                    serde_json::json!([]),
                    "{method} {path}"
                );
            }
            if method == "post" || method == "put" {
                assert!(
                    responses.contains_key("422") && responses.contains_key("409"),
                    "{method} {path}"
                );
                assert!(
                    op["requestBody"].is_object(),
                    "{method} {path} has no request body"
                );
            }
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // A product is answered with more than its request's fields: its schema says so (the
    // request's schema refuses unknown fields).
    let product = doc["components"]["schemas"]["ProductView"].to_string();
    assert!(product.contains("amount_min_fen") && product.contains("\"status\""));
    assert!(!product.contains("additionalProperties"), "{product}");
    assert_eq!(
        doc["components"]["schemas"]["ProductBody"]["additionalProperties"],
        serde_json::json!(false)
    );
}

async fn docs_page_is_served(app: TestApp) {
    let res = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .expect("docs");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "not the Swagger UI page");
    let res = app
        .client
        .get(format!("{}/docs/swagger-ui.css", app.base))
        .send()
        .await
        .expect("css");
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the UI's assets are served from the binary"
    );
}

async fn unknown_routes_are_problems(app: TestApp) {
    app.call(Method::GET, "/api/v1/nothing-here", None, None)
        .await
        .problem(404, "not_found");
    // A route that does not take the method answers 405 naming those it takes; TRACE too.
    for method in [Method::DELETE, Method::TRACE, Method::PATCH] {
        let a = app
            .call(method.clone(), "/api/v1/parks", Some(&app.admin), None)
            .await;
        let allow = a
            .headers
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        a.problem(405, "method_not_allowed");
        assert!(
            allow.contains("GET") && allow.contains("POST"),
            "{method}: Allow is {allow:?}"
        );
    }
    let a = app.call(Method::TRACE, "/healthz", None, None).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
}

e2e!(metrics_are_scraped);

async fn metrics_are_scraped(app: TestApp) {
    assert_eq!(
        app.get("/api/v1/me", &app.admin).await.status,
        reqwest::StatusCode::OK
    );
    let job = crate::helpers::import(
        &app,
        &app.admin,
        "x.csv",
        "统一社会信用代码,企业名称\n".as_bytes().to_vec(),
        "?dry_run=true",
    )
    .await;
    assert!(job["state"].is_string(), "{job}");
    let res = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let text = res.text().await.expect("text");
    let value = |prefix: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    // Every sample line is a name, labels and a number.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(
            line.rsplit(' ')
                .next()
                .is_some_and(|v| v.parse::<f64>().is_ok()),
            "{line}"
        );
    }
    assert!(
        value(r#"pledge_http_requests_total{route="/api/v1/me",method="GET",status="200"}"#)
            .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        text.contains(r#"pledge_http_request_duration_seconds_bucket{route="/api/v1/me",method="GET",le="0.005"}"#),
        "{text}"
    );
    assert_eq!(value("pledge_index_lag_changes "), Some(0.0), "{text}");
    assert!(value("pledge_index_lag_seconds ").is_some(), "{text}");
    assert!(
        value(r#"pledge_import_jobs{state="#).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        value("pledge_db_pool_connections ").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert_eq!(value("pledge_db_up "), Some(1.0), "{text}");
}
