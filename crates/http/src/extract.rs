//! Extractors whose rejections are problem documents.

use crate::error::{ApiError, FieldError};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use pledge_domain::code;
use serde::de::DeserializeOwned;
use validator::Validate;

/// A JSON body: not JSON → 400, wrong content type → 415, too large → 413, a field of the
/// wrong type or missing, or out of its declared shape (see [`crate::shape`]) → 422 naming
/// the field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest {
                    code: code::BODY_UNREADABLE,
                    detail: e.body_text(),
                }
            }
        })?;
        let malformed = |e: serde_json::Error| ApiError::BadRequest {
            code: code::MALFORMED_JSON,
            detail: format!("请求体不是有效的JSON / malformed JSON: {e}"),
        };
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        // The whole body is one JSON value: anything after it is refused, not ignored.
        let mut value = serde::Deserialize::deserialize(&mut *de).map_err(malformed)?;
        de.end().map_err(malformed)?;
        let mut controls = Vec::new();
        control_characters(&value, "", &mut controls);
        if !controls.is_empty() {
            return Err(ApiError::Validation(controls));
        }
        whole_numbers(&mut value);
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => match v.validate() {
                Ok(()) => Ok(Self(v)),
                Err(e) => Err(ApiError::Validation(crate::shape::field_errors(&e))),
            },
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    Err(ApiError::BadRequest {
                        code: code::MALFORMED_JSON,
                        detail: format!("请求体不是有效的JSON / malformed JSON: {inner}"),
                    })
                } else {
                    let field = if path == "." { String::new() } else { path };
                    Err(ApiError::Validation(vec![FieldError {
                        field,
                        code: code::INVALID_TYPE.into(),
                        message: format!("字段缺失或类型错误 / missing or wrong type: {inner}"),
                    }]))
                }
            }
        }
    }
}

/// JSON has one kind of number: `3.0` is the integer 3 (as JSON Schema counts it), so it is
/// read as one, within the integers a double holds exactly (±2^53 − 1: the document bounds ids
/// and versions there).
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() <= 9_007_199_254_740_991.0
            {
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *n = serde_json::Number::from(whole);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Every string of `value` (keys too) holding a control character other than a line break or
/// a tab, as field errors: no stored text carries a NUL or an escape sequence.
fn control_characters(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    let bad = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    };
    let error = |field: String| FieldError {
        field,
        code: code::FORMAT.into(),
        message: "不能含控制字符 / control characters are not allowed".into(),
    };
    match value {
        serde_json::Value::String(s) if bad(s) => out.push(error(path.to_owned())),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_characters(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if bad(key) {
                    out.push(error(at.clone()));
                }
                control_characters(item, &at, out);
            }
        }
        _ => {}
    }
}

/// Query parameters: a value that cannot be read, or out of its declared shape → 422 naming
/// the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // A parameter sent empty (`park=`) is a value like any other: held to its shape.
        let query: Vec<&str> = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .collect();
        let value: T = serde_urlencoded_de(&query.join("&"))?;
        value
            .validate()
            .map_err(|e| ApiError::Validation(crate::shape::field_errors(&e)))?;
        Ok(Self(value))
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().map_err(|_| {
        ApiError::BadRequest {
            code: code::BAD_QUERY,
            detail: "查询参数无效 / unreadable query".into(),
        }
    })?)
    .map(|q| q.0)
    .map_err(|e| {
        let text = e.body_text();
        let field = text
            .split(':')
            .nth(1)
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        ApiError::Validation(vec![FieldError {
            field,
            code: code::INVALID_QUERY.into(),
            message: format!("查询参数无效 / invalid query parameter: {text}"),
        }])
    })
}
