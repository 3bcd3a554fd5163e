//! The OpenAPI document states every limit a request is held to: a client (or schemathesis)
//! that stays inside the document is never refused for a value's shape.

use crate::helpers::{TestApp, e2e};
use reqwest::Method;
use serde_json::Value;

e2e!(the_document_states_every_request_limit);

/// `doc`'s schema at a `$ref`, or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every value of `schema` (reached at `at`) without a stated limit, into `out`.
fn unbounded(doc: &Value, schema: &Value, at: &str, depth: usize, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if depth > 16 {
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for (i, s) in schema[key].as_array().into_iter().flatten().enumerate() {
            unbounded(doc, s, &format!("{at}/{key}[{i}]"), depth + 1, out);
        }
    }
    let has = |k: &str| !schema[k].is_null();
    for t in types(schema) {
        match t {
            "string" if !(has("maxLength") || has("pattern") || has("enum") || has("format")) => {
                out.push(format!(
                    "{at}: a string without maxLength, pattern, enum or format"
                ));
            }
            "integer" | "number" if !(has("minimum") && has("maximum")) => {
                out.push(format!("{at}: a number without minimum and maximum"));
            }
            "array" => {
                if !has("maxItems") {
                    out.push(format!("{at}: an array without maxItems"));
                }
                unbounded(doc, &schema["items"], &format!("{at}[]"), depth + 1, out);
            }
            _ => {}
        }
    }
    for (name, s) in schema["properties"].as_object().into_iter().flatten() {
        unbounded(doc, s, &format!("{at}.{name}"), depth + 1, out);
    }
}

async fn the_document_states_every_request_limit(app: TestApp) {
    let a = app.call(Method::GET, "/openapi.json", None, None).await;
    let doc = &a.body;
    let mut out = Vec::new();
    let mut requests = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let at = format!("{} {path}", method.to_uppercase());
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                unbounded(doc, &p["schema"], &format!("{at} ?{name}"), 0, &mut out);
            }
            for (kind, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                requests += 1;
                unbounded(
                    doc,
                    &content["schema"],
                    &format!("{at} {kind}"),
                    0,
                    &mut out,
                );
            }
        }
    }
    assert!(
        requests > 20,
        "the document describes {requests} request bodies"
    );
    assert!(
        out.is_empty(),
        "{} unbounded values:\n{}",
        out.len(),
        out.join("\n")
    );
    // The patterns in the document are the shapes the server checks, and each compiles.
    let text = doc.to_string();
    for p in ["^[A-Za-z0-9_-]{2,32}$", "^CN[0-9]{9}[ABUSCYD]$"] {
        assert!(
            text.contains(&serde_json::to_string(p).expect("json")),
            "{p}"
        );
    }
}
