//! Signing in and out: a login name and password open a session; the sign-in form's token is
//! doubled in a cookie, as no session exists yet to keep it.

use super::{Posted, SESSION, cookie, page, same_token};
use crate::AppState;
use crate::auth::client_address;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pledge_service::ServiceError;
use serde::Deserialize;

const SIGN_IN: &str = "pledge_sign_in";

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// A cookie the browser keeps from scripts and other sites; `Secure` when the request came
/// over TLS (as a trusted load balancer says).
fn set_cookie(name: &str, value: &str, headers: &HeaderMap, trust_forwarded: bool) -> String {
    let tls = trust_forwarded
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let secure = if tls { "; Secure" } else { "" };
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/{secure}")
}

fn clear_cookie(name: &str) -> String {
    format!("{name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    login: String,
    message: Option<String>,
}

/// A fresh form token for the sign-in form (its double: a cookie).
fn sign_in_token() -> String {
    let mut buf = [0u8; 16];
    // The operating system's generator failing is not recoverable for a server.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random generator");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn login_form(
    s: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    login: String,
    message: Option<String>,
) -> Response {
    let csrf = sign_in_token();
    let mut r = page(&LoginPage {
        csrf: csrf.clone(),
        login,
        message,
    });
    *r.status_mut() = status;
    if let Ok(v) = set_cookie(SIGN_IN, &csrf, headers, s.trust_forwarded_for).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&s, &headers, StatusCode::OK, String::new(), None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(s): State<AppState>,
    parts: axum::http::request::Parts,
    Form(f): Form<LoginForm>,
) -> Response {
    let headers = &parts.headers;
    if !same_token(&cookie(headers, SIGN_IN).unwrap_or_default(), &f.csrf) {
        return super::Oops::expired_form().into_response();
    }
    let client = client_address(&parts, s.trust_forwarded_for);
    let now = s.now();
    if let Some(wait) = s.failed_auth.sign_in_wait(client, &f.login, now) {
        let mut r = login_form(
            &s,
            headers,
            StatusCode::TOO_MANY_REQUESTS,
            f.login,
            Some(format!(
                "登录失败次数过多，请{wait}秒后再试 / too many failed sign-ins: try again in {wait} s"
            )),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return r;
    }
    match s.service.sign_in(f.login.trim(), &f.password, now).await {
        Ok(signed) => {
            s.failed_auth.password_succeeded(client, &f.login, now);
            let mut r = Redirect::to("/").into_response();
            for c in [
                set_cookie(SESSION, &signed.secret, headers, s.trust_forwarded_for),
                clear_cookie(SIGN_IN),
            ] {
                if let Ok(v) = c.parse() {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Err(ServiceError::Unauthorized) => {
            let failures = s.failed_auth.password_failed(client, &f.login, now);
            tracing::warn!(%client, failures, "failed console sign-in");
            login_form(
                &s,
                headers,
                StatusCode::UNAUTHORIZED,
                f.login,
                Some("用户名或密码不正确 / wrong login or password".into()),
            )
        }
        Err(e) => super::Oops::from(e).into_response(),
    }
}

async fn logout(State(s): State<AppState>, posted: Posted) -> Response {
    if let Err(e) = s.service.sign_out(&posted.me.secret).await {
        tracing::error!(error = ?e, "signing out");
        return super::Oops::from(e).into_response();
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = clear_cookie(SESSION).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
