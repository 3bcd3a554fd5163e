//! The console (工作台): server-rendered pages from the same binary and port as the API. Signing
//! in opens a session (cookie `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS); every form
//! carries the session's token, and a POST without it is 403. Pages reach the service layer
//! with the person's own context, under the same access policy as the API: what a person may
//! not know of is the same 404 as what does not exist.

mod applicants;
mod enterprises;
mod figures;
mod home;
mod imports;
mod matches;
mod outcomes;
mod people;
mod products;
mod rounds;
mod sign_in;
mod stats;
mod webhooks;
mod whitelist;

use crate::error::ApiError;
use crate::{AppState, FieldError};
use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use pledge_service::{Context, Role, ServiceError};

const SESSION: &str = "pledge_session";

/// The console's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/assets/console.css", get(stylesheet))
        .route("/assets/console.js", get(script))
        .merge(sign_in::router())
        .merge(home::router())
        .merge(enterprises::router())
        .merge(imports::router())
        .merge(whitelist::router())
        .merge(products::router())
        .merge(people::router())
        .merge(applicants::router())
        .merge(rounds::router())
        .merge(outcomes::router())
        .merge(stats::router())
        .merge(webhooks::router())
        .layer(axum::middleware::map_response(guarded))
}

/// Every console answer: never framed by another site, no script or style but our own, no
/// referrer sent elsewhere, and (pages of a person) not kept by caches.
async fn guarded(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        h.insert(name, header::HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    r
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../assets/console.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/console.js"),
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

/// Whether two form tokens are the same, in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A rendered page, or the error page when the template fails.
fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// What a page handler answers.
type Page = Result<Response, Oops>;

/// A signed-in person: their context and their session's form token.
pub struct Signed {
    pub cx: Context,
    pub csrf: String,
    secret: String,
}

impl Signed {
    fn role(&self) -> Role {
        self.cx.principal.role
    }

    /// What every page of this person shows around its content.
    fn frame(&self, here: &str) -> Frame {
        let p = &self.cx.principal;
        let nav: &[(&str, &str)] = match p.role {
            Role::Park => &[
                ("/", "工作台"),
                ("/enterprises", "企业"),
                ("/imports", "导入台账"),
                ("/whitelist", "白名单"),
                ("/products", "贷款产品"),
                ("/rounds", "对接活动"),
                ("/outcomes", "对接结果"),
                ("/stats", "融资统计"),
            ],
            Role::Office => &[
                ("/", "工作台"),
                ("/review", "待审核"),
                ("/whitelist", "白名单批次"),
                ("/enterprises", "企业"),
                ("/imports", "导入台账"),
                ("/products", "贷款产品"),
                ("/rounds", "对接活动"),
                ("/outcomes", "对接结果"),
                ("/stats", "融资统计"),
                ("/people", "人员与令牌"),
                ("/audit", "审计日志"),
            ],
            Role::Bank => &[
                ("/", "工作台"),
                ("/products", "我的产品"),
                ("/products/new", "新建产品"),
                ("/applicants", "客户核查"),
                ("/rounds", "对接活动"),
                ("/outcomes", "对接结果"),
                ("/stats", "融资统计"),
                ("/webhooks", "推送订阅"),
            ],
        };
        Frame {
            name: p.person_name.clone(),
            role: role_zh(p.role),
            scope: p
                .park
                .as_ref()
                .map(|(_, c)| c.to_string())
                .or(p.bank.as_ref().map(|(_, c)| c.to_string())),
            csrf: self.csrf.clone(),
            nav: nav
                .iter()
                .map(|(href, label)| NavLink {
                    href,
                    label,
                    current: *href == here,
                })
                .collect(),
        }
    }
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
        match s.service.session_context(&secret, s.now()).await {
            Ok(Some((cx, csrf))) => Ok(Self { cx, csrf, secret }),
            _ => Err(SignInFirst),
        }
    }
}

/// The fields of a posted form, in order (a name may repeat: ticked boxes).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed ("" when absent).
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// The words of a list typed into the field `name`: separated by spaces, commas or 、.
    fn words(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The first value of `name` when it is not blank.
    fn some(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`.
    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// Whether the box `name` is ticked.
    fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// The signed-in person of a request (or to the sign-in page), and the request to read on.
async fn signed_request(req: Request, s: &AppState) -> Result<(Signed, Request), Response> {
    let (mut parts, body) = req.into_parts();
    let me = Signed::from_request_parts(&mut parts, s)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((me, Request::from_parts(parts, body)))
}

/// The fields of a form that carries the person's session token; without it, 403.
fn with_token(me: &Signed, fields: Fields) -> Result<Fields, Oops> {
    if same_token(fields.get("csrf"), &me.csrf) {
        Ok(fields)
    } else {
        Err(Oops::expired_form())
    }
}

/// A form posted by a signed-in person with their session's form token; without it, 403.
pub struct Posted {
    pub me: Signed,
    pub fields: Fields,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let (me, req) = signed_request(req, s).await?;
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, s)
            .await
            .map_err(|_| {
                Oops::status(StatusCode::BAD_REQUEST, "无法读取表单 / unreadable form")
                    .into_response()
            })?;
        let fields = with_token(&me, Fields(pairs)).map_err(IntoResponse::into_response)?;
        Ok(Self { me, fields })
    }
}

/// A file uploaded by a signed-in person with their session's form token among the form's
/// other parts (read within the server's upload limit); without the token, 403.
pub struct Uploaded {
    pub me: Signed,
    pub fields: Fields,
    /// The file's name and bytes.
    pub file: (String, Vec<u8>),
}

impl FromRequest<AppState> for Uploaded {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let (me, req) = signed_request(req, s).await?;
        let form = axum::extract::Multipart::from_request(req, s).await;
        let read = async {
            let mut form = crate::upload::multipart(form)?;
            crate::upload::upload_parts(&mut form, s.upload_limit).await
        };
        let (texts, file) = read.await.map_err(|e| Oops::from(e).into_response())?;
        let fields = with_token(&me, Fields(texts)).map_err(IntoResponse::into_response)?;
        Ok(Self { me, fields, file })
    }
}

/// Why a use case refused, in one line: each field with its reason.
fn reasons(e: ServiceError) -> String {
    let p = ApiError::from(e).problem();
    if p.errors.is_empty() {
        return p.detail;
    }
    p.errors
        .iter()
        .map(|e| {
            if e.field.is_empty() {
                e.message.clone()
            } else {
                format!("{}：{}", e.field, e.message)
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// A record's id in an address; one that is not a number is as unknown as a missing one.
fn path_id(raw: &str) -> Result<i64, Oops> {
    raw.parse::<i64>().map_err(|_| Oops::not_found())
}

/// A link of the navigation bar.
pub struct NavLink {
    href: &'static str,
    label: &'static str,
    current: bool,
}

/// Who is signed in, their form token and where they can go: around every signed-in page.
pub struct Frame {
    name: String,
    role: &'static str,
    scope: Option<String>,
    csrf: String,
    nav: Vec<NavLink>,
}

fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Office => "市知识产权局",
        Role::Park => "园区",
        Role::Bank => "银行",
    }
}

/// A page that could not be shown: the same status, title and reasons the API gives.
#[derive(Debug)]
pub struct Oops {
    status: StatusCode,
    title: String,
    detail: String,
    errors: Vec<FieldError>,
}

impl Oops {
    fn status(status: StatusCode, title: &str) -> Self {
        Self {
            status,
            title: title.into(),
            detail: String::new(),
            errors: Vec::new(),
        }
    }

    fn expired_form() -> Self {
        Self::status(
            StatusCode::FORBIDDEN,
            "表单已失效，请返回刷新后重试 / the form expired: reload it",
        )
    }

    fn not_found() -> Self {
        Self::status(StatusCode::NOT_FOUND, "未找到 / not found")
    }

    /// A field of a form or an address that cannot be read: 422 naming it.
    fn invalid(field: &str, message: &str) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            code: pledge_domain::code::FORMAT.into(),
            message: message.into(),
        }])
        .into()
    }
}

impl From<ApiError> for Oops {
    fn from(e: ApiError) -> Self {
        let p = e.problem();
        Self {
            status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            title: p.title,
            detail: p.detail,
            errors: p.errors,
        }
    }
}

impl From<ServiceError> for Oops {
    fn from(e: ServiceError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "oops.html")]
struct OopsPage<'a> {
    oops: &'a Oops,
}

impl IntoResponse for Oops {
    fn into_response(self) -> Response {
        let mut r = page(&OopsPage { oops: &self });
        *r.status_mut() = self.status;
        r
    }
}

/// China's time is UTC+8 all year, as the business day is.
const CHINA: chrono::Duration = chrono::Duration::hours(8);

/// An instant as people in China read it: `2026-12-01 09:30`.
fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + CHINA).format("%Y-%m-%d %H:%M").to_string()
}

/// An amount in 分 as people read it (万元).
fn wan(fen: i64) -> String {
    pledge_domain::fen_for_people(fen)
}

/// An amount in 分 as a number of 万元, exact, for a column headed （万元）.
fn wan_figure(fen: i64) -> String {
    pledge_domain::Money::from_fen(fen).map_or_else(|_| wan(fen), pledge_domain::Money::as_wan)
}

/// A form page: 200, or 422 when it comes back with what was wrong.
fn form_page(t: &impl Template, refused: bool) -> Response {
    let mut r = page(t);
    if refused {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The codes of every park, for the office's choice of one (none for others, who have theirs).
async fn park_choices(s: &AppState, me: &Signed) -> Result<Vec<String>, Oops> {
    if !me.cx.may().choose_park {
        return Ok(Vec::new());
    }
    Ok(s.service
        .parks(&me.cx)
        .await?
        .into_iter()
        .map(|p| p.value.code.to_string())
        .collect())
}

/// The field errors of a refused form, by field, to show beside its inputs.
fn field_errors(e: ServiceError) -> Result<Vec<FieldError>, Oops> {
    match ApiError::from(e) {
        ApiError::Validation(errors) => Ok(errors),
        other => Err(other.into()),
    }
}
