//! One error type for the API, answered as RFC 9457 problem details
//! (`application/problem+json`) with a stable machine `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pledge_domain::code;
use pledge_domain::{DomainError, Violation};
use pledge_service::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

pub use pledge_service::FieldError;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:pledge:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary, Chinese first.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong here.
    pub detail: String,
    /// Stable machine code.
    pub code: String,
    /// For validation problems: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For version conflicts: the version now stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// Everything a handler can answer besides success.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON, or a parameter cannot be read.
    BadRequest { code: &'static str, detail: String },
    /// 401: no token, or not a live one.
    Unauthorized,
    /// 403: the token may not do this.
    Forbidden { code: &'static str, detail: String },
    /// 404: no such thing (or not one the caller may know of).
    NotFound { detail: String },
    /// 405: the route exists but does not take this method (the router adds `Allow`).
    MethodNotAllowed,
    /// 409: duplicate, stale version, or a required version missing.
    Conflict {
        code: &'static str,
        detail: String,
        current_version: Option<i64>,
    },
    /// 413: the body is larger than allowed.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 422: the body is JSON but a field is invalid.
    Validation(Vec<FieldError>),
    /// 500: logged with its cause, never shown.
    Internal(String),
    /// 503: a dependency (the database) does not answer.
    Unavailable(String),
    /// 408: the request took longer than the server allows.
    Timeout,
}

impl ApiError {
    /// 403 for a token whose role or scope does not cover the request.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    /// 422 for one field.
    pub fn field(field: &str, error: DomainError) -> Self {
        Self::Validation(vec![Violation::new(field, error).into()])
    }

    /// The status and the stable code.
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, code::UNAUTHORIZED),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, code::NOT_FOUND),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, code::METHOD_NOT_ALLOWED),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, code::PAYLOAD_TOO_LARGE),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code::UNSUPPORTED_MEDIA_TYPE,
            ),
            Self::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, code::VALIDATION_FAILED),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE),
            Self::Timeout => (StatusCode::REQUEST_TIMEOUT, code::TIMEOUT),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let (status, code) = self.parts();
        let detail = match self {
            Self::BadRequest { detail, .. } | Self::Forbidden { detail, .. } | Self::NotFound { detail } | Self::Conflict { detail, .. } => detail.clone(),
            Self::MethodNotAllowed => "该地址不支持此方法，可用的方法见Allow头 / this route does not take that method: see the Allow header".into(),
            Self::Unauthorized => "请在Authorization头中提供有效的Bearer令牌 / send a live token as `Authorization: Bearer …`".into(),
            Self::PayloadTooLarge => "请求体超过上限 / the body exceeds the limit".into(),
            Self::UnsupportedMediaType => "Content-Type应为application/json / Content-Type must be application/json".into(),
            Self::Validation(errors) => format!("{}个字段无效 / {} invalid field(s)", errors.len(), errors.len()),
            Self::Internal(_) => "请稍后重试，或凭请求编号联系管理员 / try again later, or report the x-request-id".into(),
            Self::Unavailable(_) => format!("数据库繁忙或暂不可用，请{RETRY_UNAVAILABLE}秒后重试 / the database is busy or does not answer: try again in {RETRY_UNAVAILABLE} s"),
            Self::Timeout => "请求处理超时，未完成的修改已回滚 / the request took too long; nothing it began was kept".into(),
        };
        let errors = match self {
            Self::Validation(e) => e.clone(),
            _ => Vec::new(),
        };
        let mut problem = Problem::of_code(code, detail, errors);
        problem.status = status.as_u16();
        if let Self::Conflict {
            current_version, ..
        } = self
        {
            problem.current_version = *current_version;
        }
        problem
    }
}

impl Problem {
    /// The problem of a stable `code`: its status and title from the table, the one place for
    /// every code's words.
    pub fn of_code(code: &str, detail: String, errors: Vec<FieldError>) -> Self {
        let entry = pledge_domain::error_code(code);
        Self {
            kind: format!("urn:pledge:problem:{code}"),
            title: entry.map_or_else(|| code.to_owned(), |c| format!("{} / {}", c.zh, c.en)),
            status: entry.map_or(500, |c| c.status),
            detail,
            code: code.into(),
            errors,
            current_version: None,
        }
    }
}

/// Seconds a client waits before retrying when the database is busy or does not answer.
const RETRY_UNAVAILABLE: u64 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) | Self::Unavailable(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, Self::Unauthorized) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, Self::Unavailable(_)) {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_UNAVAILABLE));
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unauthorized => Self::Unauthorized,
            ServiceError::Forbidden { code, detail } => Self::Forbidden { code, detail },
            ServiceError::NotFound { detail } => Self::NotFound { detail },
            ServiceError::Conflict {
                code,
                detail,
                current_version,
            } => Self::Conflict {
                code,
                detail,
                current_version,
            },
            ServiceError::Invalid(errors) => Self::Validation(errors),
            ServiceError::Unavailable(cause) => Self::Unavailable(cause),
            ServiceError::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;

/// The problems a reading route answers (OpenAPI only).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// 参数无效 / a parameter cannot be read
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// 未认证 / missing or invalid token
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// 无权 / the token's role or scope does not cover this
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// 不存在 / not found
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// 参数校验未通过 / a parameter is invalid
    #[response(status = 422, content_type = "application/problem+json")]
    Validation(Problem),
}

/// The problems a writing route answers (OpenAPI only).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    /// 请求体不是有效JSON / malformed JSON
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// 未认证 / missing or invalid token
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// 无权 / the token's role or scope does not cover this
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// 不存在 / not found
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// 重复或版本冲突 / duplicate, stale or missing version
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// 请求体过大 / body too large
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// 请求体须为JSON / body must be application/json
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// 字段校验未通过 / invalid fields, each named in `errors`
    #[response(status = 422, content_type = "application/problem+json")]
    Validation(Problem),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem the API can answer carries a listed code, with the table's status.
    #[test]
    fn every_problem_code_is_listed_with_its_status() {
        let errors = vec![
            ApiError::BadRequest {
                code: code::MALFORMED_JSON,
                detail: String::new(),
            },
            ApiError::Unauthorized,
            ApiError::forbidden(code::ADMIN_ONLY, ""),
            ApiError::NotFound {
                detail: String::new(),
            },
            ApiError::MethodNotAllowed,
            ApiError::Conflict {
                code: code::VERSION_CONFLICT,
                detail: String::new(),
                current_version: Some(2),
            },
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::Validation(Vec::new()),
            ApiError::Internal(String::new()),
            ApiError::Unavailable(String::new()),
            ApiError::Timeout,
        ];
        for e in errors {
            let p = e.problem();
            let listed = pledge_domain::error_code(&p.code)
                .unwrap_or_else(|| panic!("{} is not in the table", p.code));
            assert_eq!(listed.status, p.status, "{}", p.code);
            assert!(p.title.contains(listed.en), "{}", p.title);
        }
    }

    /// Every problem a use case can answer maps to a listed code with the table's status.
    #[test]
    fn every_service_error_maps_to_a_listed_code() {
        use pledge_service::ServiceError;
        let errors = vec![
            ServiceError::Unauthorized,
            ServiceError::forbidden(code::OUT_OF_SCOPE, ""),
            ServiceError::not_found(""),
            ServiceError::Conflict {
                code: code::DUPLICATE,
                detail: String::new(),
                current_version: None,
            },
            ServiceError::Invalid(Vec::new()),
            ServiceError::Unavailable(String::new()),
            ServiceError::Internal(String::new()),
        ];
        for e in errors {
            let p = ApiError::from(e).problem();
            let listed = pledge_domain::error_code(&p.code).expect("listed");
            assert_eq!(listed.status, p.status, "{}", p.code);
        }
    }
}
