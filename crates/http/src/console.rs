//! The console (工作台): server-rendered pages from the same binary and port as the API. Signing
//! in opens a session (cookie `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS); every form
//! carries the session's token, and a POST without it is 403. Pages reach the service layer
//! with the person's own context, under the same access policy as the API.

use crate::AppState;
use crate::auth::client_address;
use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pledge_service::{Context, Role};
use serde::Deserialize;

const SESSION: &str = "pledge_session";
const SIGN_IN: &str = "pledge_sign_in";

/// The console's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/assets/console.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/console.css"),
    )
}

/// A cookie's value in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
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

fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A signed-in person: their context and their session's form token.
pub struct Signed {
    pub cx: Context,
    pub csrf: String,
    secret: String,
}

/// Not signed in (or the session ended): to the sign-in page.
pub struct SignInFirst;

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, SignInFirst> {
        let secret = cookie(&parts.headers, SESSION).ok_or(SignInFirst)?;
        match s.service.session_context(&secret, crate::now()).await {
            Ok(Some((cx, csrf))) => Ok(Self { cx, csrf, secret }),
            _ => Err(SignInFirst),
        }
    }
}

fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Admin => "市知识产权局",
        Role::Park => "园区",
        Role::Bank => "银行",
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    name: String,
    role: &'static str,
    scope: Option<String>,
    csrf: String,
}

async fn home(me: Signed) -> Response {
    let p = &me.cx.principal;
    page(&HomePage {
        name: p.person_name.clone(),
        role: role_zh(p.role),
        scope: p
            .park
            .as_ref()
            .map(|(_, c)| c.to_string())
            .or(p.bank.as_ref().map(|(_, c)| c.to_string())),
        csrf: me.csrf,
    })
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
    if cookie(headers, SIGN_IN).as_deref() != Some(f.csrf.as_str()) || f.csrf.is_empty() {
        return (
            StatusCode::FORBIDDEN,
            "表单已失效，请刷新后重试 / the form expired: reload it",
        )
            .into_response();
    }
    let client = client_address(&parts, s.trust_forwarded_for);
    let at = std::time::Instant::now();
    if s.failed_auth.blocked(client, at).is_some() {
        return login_form(
            &s,
            headers,
            StatusCode::TOO_MANY_REQUESTS,
            f.login,
            Some("登录失败次数过多，请稍后再试 / too many failed sign-ins: wait a minute".into()),
        );
    }
    match s
        .service
        .sign_in(f.login.trim(), &f.password, crate::now())
        .await
    {
        Ok(signed) => {
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
        Err(_) => {
            let failures = s.failed_auth.failed(client, at);
            tracing::warn!(%client, failures, "failed console sign-in");
            login_form(
                &s,
                headers,
                StatusCode::UNAUTHORIZED,
                f.login,
                Some("用户名或密码不正确 / wrong login or password".into()),
            )
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(s): State<AppState>, me: Signed, Form(f): Form<CsrfForm>) -> Response {
    if f.csrf != me.csrf {
        return (StatusCode::FORBIDDEN, "表单已失效 / the form expired").into_response();
    }
    if let Err(e) = s.service.sign_out(&me.secret).await {
        tracing::error!(error = ?e, "signing out");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = clear_cookie(SESSION).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
