//! Query parameters a route does not take are refused (400 naming them), not ignored: a filter
//! spelled wrong must not answer the unfiltered list. What each route takes is read from the
//! OpenAPI document, so the two cannot drift apart.

use crate::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pledge_domain::code;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The query parameters of every documented operation, by method and path template.
#[derive(Debug, Default)]
pub struct QueryNames {
    by_route: HashMap<(String, String), BTreeSet<String>>,
}

impl QueryNames {
    /// Reads the document's `paths`.
    pub fn from_document(doc: &serde_json::Value) -> Self {
        let mut by_route = HashMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let names = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                by_route.insert((method.to_ascii_uppercase(), path.clone()), names);
            }
        }
        Self { by_route }
    }

    /// The parameters of `query` that the route does not take, or `None` for an undocumented
    /// route.
    fn unknown(&self, method: &str, path: &str, query: &str) -> Option<Vec<String>> {
        let known = self.by_route.get(&(method.to_owned(), path.to_owned()))?;
        let mut unknown: Vec<String> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split('=').next().unwrap_or_default())
            .map(|name| percent_decoded(name).unwrap_or_else(|| name.to_owned()))
            .filter(|name| !known.contains(name))
            .collect();
        unknown.sort();
        unknown.dedup();
        Some(unknown)
    }

    fn known(&self, method: &str, path: &str) -> Vec<String> {
        self.by_route
            .get(&(method.to_owned(), path.to_owned()))
            .map(|k| k.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn percent_decoded(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Answers 400 `unknown_parameter` when the request names a query parameter its route does not
/// take.
pub async fn refuse_unknown(
    State(names): State<Arc<QueryNames>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    if let (Some(path), Some(query)) = (path, request.uri().query()) {
        let method = request.method().as_str();
        if let Some(unknown) = names.unknown(method, &path, query)
            && !unknown.is_empty()
        {
            let takes = names.known(method, &path);
            let takes = if takes.is_empty() {
                "无 / none".to_owned()
            } else {
                takes.join(", ")
            };
            return ApiError::BadRequest {
                code: code::UNKNOWN_PARAMETER,
                detail: format!(
                    "未知的查询参数：{0}（可用：{1}） / unknown query parameter(s): {0} (this route takes: {1})",
                    unknown.join(", "),
                    takes
                ),
            }
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_what_a_route_does_not_take() {
        let doc = json!({"paths": {"/api/v1/x": {"get": {"parameters": [
            {"name": "park", "in": "query"}, {"name": "id", "in": "path"}
        ]}}}});
        let names = QueryNames::from_document(&doc);
        assert_eq!(
            names.unknown("GET", "/api/v1/x", "park=a&min%5Fcredit=5&id=3&park=b"),
            Some(vec!["id".to_owned(), "min_credit".to_owned()])
        );
        assert_eq!(names.unknown("GET", "/api/v1/x", "park=a"), Some(vec![]));
        assert_eq!(names.unknown("POST", "/api/v1/x", "a=1"), None);
    }
}
