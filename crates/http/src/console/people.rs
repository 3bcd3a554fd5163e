//! The office's pages of people: everyone with a sign-in, creating a person, setting or
//! resetting a password, disabling; the API tokens; and the audit log searched by enterprise
//! (or any key), person and date.

use super::{Frame, Oops, Page, Posted, Signed, page};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::NaiveDate;
use pledge_domain::{BankCode, ParkCode};
use pledge_service::{AuditFilter, Role};
use serde::Deserialize;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/people", get(people).post(create_person))
        .route("/people/password", post(set_password))
        .route("/people/disable", post(disable))
        .route("/people/tokens", post(issue_token))
        .route("/people/tokens/revoke", post(revoke_token))
        .route("/audit", get(audit))
}

struct PersonLine {
    login: String,
    name: String,
    role: &'static str,
    scope: String,
    created_by: String,
    disabled: bool,
}

struct TokenLine {
    id: i64,
    person: String,
    prefix: String,
    created: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    f: Frame,
    people: Vec<PersonLine>,
    tokens: Vec<TokenLine>,
    message: Option<String>,
    errors: Vec<crate::FieldError>,
}

async fn people_page(
    s: &AppState,
    me: &Signed,
    message: Option<String>,
    errors: Vec<crate::FieldError>,
) -> Page {
    let cx = &me.cx;
    let people = s
        .service
        .people(cx)
        .await?
        .into_iter()
        .map(|p| PersonLine {
            login: p.login,
            name: p.name,
            role: super::role_zh(p.role),
            scope: p
                .park
                .map(|c| c.to_string())
                .or(p.bank.map(|c| c.to_string()))
                .unwrap_or_default(),
            created_by: p.created_by.unwrap_or_else(|| "命令行".into()),
            disabled: p.disabled_at.is_some(),
        })
        .collect();
    let tokens = s
        .service
        .tokens(cx)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            person: t.person,
            prefix: t.prefix,
            created: super::local_time(t.created_at),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &PeoplePage {
            f: me.frame("/people"),
            people,
            tokens,
            message,
            errors,
        },
        refused,
    ))
}

async fn people(State(s): State<AppState>, me: Signed) -> Page {
    people_page(&s, &me, None, Vec::new()).await
}

async fn create_person(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    me.cx.require_office()?;
    let role = match fields.get("role") {
        "admin" => Role::Office,
        "bank" => Role::Bank,
        _ => Role::Park,
    };
    let scope = fields.get("scope");
    let field = |name: &str, e| crate::error::ApiError::field(name, e).problem().errors;
    let (park, bank) = match role {
        Role::Park => match ParkCode::parse(scope) {
            Ok(p) => (Some(p), None),
            Err(e) => return people_page(&s, &me, None, field("scope", e)).await,
        },
        Role::Bank => match BankCode::parse(scope) {
            Ok(b) => (None, Some(b)),
            Err(e) => return people_page(&s, &me, None, field("scope", e)).await,
        },
        Role::Office => (None, None),
    };
    let login = fields.get("login");
    let created = s
        .service
        .create_person(
            &me.cx,
            login,
            fields.get("name"),
            role,
            park.as_ref(),
            bank.as_ref(),
        )
        .await;
    match created {
        Ok(_) => {
            let password = fields.get("password");
            if !password.is_empty()
                && let Err(e) = s.service.set_password(&me.cx, login, password).await
            {
                return people_page(&s, &me, None, super::field_errors(e)?).await;
            }
            Ok(Redirect::to("/people").into_response())
        }
        Err(e) => people_page(&s, &me, None, super::field_errors(e)?).await,
    }
}

async fn set_password(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let login = fields.get("login");
    match s
        .service
        .set_password(&me.cx, login, fields.get("password"))
        .await
    {
        Ok(()) => {
            let message = format!("已为 {login} 设置新密码，请当面或电话告知本人。");
            people_page(&s, &me, Some(message), Vec::new()).await
        }
        Err(e) => people_page(&s, &me, None, super::field_errors(e)?).await,
    }
}

/// Issues an API token to a person: its secret is shown once, on the page that answers.
async fn issue_token(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let login = fields.get("login");
    let name = fields.some("name").unwrap_or("接口调用");
    match s.service.create_person_token(&me.cx, login, name).await {
        Ok((t, secret)) => {
            let message = format!(
                "已为 {login} 签发令牌 {}：{secret}（只显示这一次，请立即复制并妥善交给本人）",
                t.id
            );
            people_page(&s, &me, Some(message), Vec::new()).await
        }
        Err(e) => people_page(&s, &me, None, super::field_errors(e)?).await,
    }
}

async fn revoke_token(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let id = fields
        .get("id")
        .parse::<i64>()
        .map_err(|_| Oops::not_found())?;
    s.service.revoke_token(&me.cx, id).await?;
    Ok(Redirect::to("/people").into_response())
}

async fn disable(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let reason = fields.some("reason").map(str::to_owned);
    s.service
        .disable_person(&me.cx, fields.get("login"), reason)
        .await?;
    Ok(Redirect::to("/people").into_response())
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    /// A key: a USCC, a patent number, an entry id …
    #[serde(default)]
    key: String,
    /// A person's login.
    #[serde(default)]
    person: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: Option<i64>,
}

struct AuditLine {
    at: String,
    actor: String,
    entity: String,
    key: String,
    action: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    f: Frame,
    /// Whether the person filter is offered (the office knows everyone's login).
    office: bool,
    key: String,
    person: String,
    from: String,
    to: String,
    lines: Vec<AuditLine>,
    next: Option<i64>,
}

/// The first instant of a day in China (UTC+8), as typed `YYYY-MM-DD`.
fn day_start(text: &str, days_after: u64) -> Result<Option<chrono::DateTime<chrono::Utc>>, Oops> {
    if text.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Oops::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "日期格式为年-月-日 / dates read YYYY-MM-DD",
        )
    })? + chrono::Days::new(days_after);
    Ok(Some(
        day.and_time(chrono::NaiveTime::MIN).and_utc() - super::CHINA,
    ))
}

async fn audit(State(s): State<AppState>, me: Signed, Query(q): Query<AuditQuery>) -> Page {
    let person = q.person.trim();
    let actor_person_id = if person.is_empty() || !me.cx.may().administer {
        None
    } else {
        let found = s
            .service
            .people(&me.cx)
            .await?
            .into_iter()
            .find(|p| p.login == person);
        // A login nobody has: no records, rather than every record.
        Some(found.map_or(-1, |p| p.id))
    };
    let filter = AuditFilter {
        entity_key: Some(q.key.trim().to_owned()).filter(|k| !k.is_empty()),
        actor_person_id,
        from: day_start(q.from.trim(), 0)?,
        until: day_start(q.to.trim(), 1)?,
        ..Default::default()
    };
    let p = s.service.audit_log(&me.cx, filter, q.after, 100).await?;
    Ok(page(&AuditPage {
        f: me.frame("/audit"),
        office: me.cx.may().administer,
        key: q.key.trim().to_owned(),
        person: person.to_owned(),
        from: q.from.trim().to_owned(),
        to: q.to.trim().to_owned(),
        lines: p
            .items
            .into_iter()
            .map(|r| AuditLine {
                at: super::local_time(r.at),
                actor: r.actor,
                entity: r.entity,
                key: r.entity_key,
                action: r.action,
                reason: r.reason.unwrap_or_default(),
            })
            .collect(),
        next: p.next,
    }))
}
