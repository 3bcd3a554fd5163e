//! Loan products in pages: a bank's list, the form in 万元 and % with the count of listed
//! enterprises the rules would match (by park) before saving, one product with its figures,
//! publishing and withdrawing.

use super::home::{ProductLine, product_lines};
use super::{Fields, Frame, Oops, Page, Posted, Signed, figures, page, wan};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use pledge_domain::{
    BasisPoints, LoanProduct, Money, ProductStatus, QualificationKind, RiskFlagKind,
};
use pledge_service::{MatchFilter, PledgeRatesAsk, ProductAsk, ProductRecord, ServiceError};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/products", get(list).post(create))
        .route("/products/new", get(new_form))
        .route("/products/preview", post(preview))
        .route("/products/{id}", get(one).post(update))
        .route("/products/{id}/edit", get(edit_form))
        .route("/products/{id}/publish", post(publish))
        .route("/products/{id}/withdraw", post(withdraw))
        .merge(super::matches::router())
}

#[derive(Template)]
#[template(path = "products.html")]
struct ListPage {
    f: Frame,
    products: Vec<ProductLine>,
    may_create: bool,
}

async fn list(State(s): State<AppState>, me: Signed) -> Page {
    Ok(page(&ListPage {
        products: product_lines(&s.service, &me.cx),
        may_create: me.cx.may().manage_products,
        f: me.frame("/products"),
    }))
}

/// The product form as typed: every value a string, so that a refused form comes back as it
/// was sent.
#[derive(Debug, Default, Clone)]
pub struct ProductForm {
    name: String,
    description: String,
    amount_min: String,
    amount_max: String,
    max_term_months: String,
    rate_cap: String,
    rate_invention: String,
    rate_utility_model: String,
    rate_design: String,
    rate_trademark: String,
    min_remaining_months: String,
    no_prior_pledge: bool,
    q_all: Vec<String>,
    q_any: Vec<String>,
    excluded: Vec<String>,
    region_prefixes: String,
    industry_prefixes: String,
    min_years: String,
    min_inventions: String,
    min_ip_share: String,
    whitelist_required: bool,
    interest_subsidy: String,
    risk_pool: bool,
    valid_from: String,
    valid_until: String,
    confirm_unusual: bool,
    bank: String,
}

/// A choice among fixed values: its stable name, its Chinese name, and whether it is chosen.
pub struct Choice {
    value: &'static str,
    label: &'static str,
    all: bool,
    any: bool,
}

/// The label of a field, as the form names it, for the problems listed above the form.
fn label(field: &str) -> &str {
    match field {
        "name" => "产品名称",
        "amount_min" | "amount_min_fen" => "最低贷款金额（万元）",
        "amount_max" | "amount_max_fen" => "最高贷款金额（万元）",
        "max_term_months" => "最长期限（月）",
        "rate_cap" | "rate_cap_over_lpr_bp" => "利率上限（LPR加点，%）",
        "rate_invention" | "pledge_rates_bp.invention" => "发明专利质押率（%）",
        "rate_utility_model" | "pledge_rates_bp.utility_model" => "实用新型质押率（%）",
        "rate_design" | "pledge_rates_bp.design" => "外观设计质押率（%）",
        "rate_trademark" | "pledge_rates_bp.trademark" => "商标质押率（%）",
        "pledge_rates_bp" => "质押率",
        "min_remaining_months" => "贷款到期后剩余保护期（月）",
        "min_years" | "min_years_in_operation" => "最短经营年限",
        "min_inventions" | "min_valid_invention_patents" => "最少有效发明专利",
        "min_ip_share" | "min_ip_share_bp" => "知识产权覆盖贷款的最低比例（%）",
        "valid_from" => "开办日期",
        "valid_until" => "截止日期",
        "region_prefixes" => "地区代码前缀",
        "industry_prefixes" => "行业代码前缀",
        other => other,
    }
}

/// A refused field as shown: its label and why.
pub struct Problem {
    label: String,
    message: String,
}

fn problems(errors: Vec<crate::FieldError>) -> Vec<Problem> {
    errors
        .into_iter()
        .map(|e| Problem {
            label: label(&e.field).to_owned(),
            message: e.message,
        })
        .collect()
}

fn wan_text(m: Money) -> String {
    m.as_wan()
}

fn pct(bp: Option<BasisPoints>) -> String {
    bp.map(BasisPoints::as_percent).unwrap_or_default()
}

impl ProductForm {
    fn of(p: &LoanProduct, bank: String) -> Self {
        let r = &p.pledge_rates;
        Self {
            name: p.name.to_string(),
            description: p.description.clone().unwrap_or_default(),
            amount_min: wan_text(p.amount_min),
            amount_max: wan_text(p.amount_max),
            max_term_months: p.max_term_months.to_string(),
            rate_cap: p.rate_cap_over_lpr.as_percent(),
            rate_invention: pct(r.invention),
            rate_utility_model: pct(r.utility_model),
            rate_design: pct(r.design),
            rate_trademark: pct(r.trademark),
            min_remaining_months: p.min_remaining_months.to_string(),
            no_prior_pledge: p.no_prior_pledge,
            q_all: p
                .qualifications_all
                .iter()
                .map(|q| q.as_str().into())
                .collect(),
            q_any: p
                .qualifications_any
                .iter()
                .map(|q| q.as_str().into())
                .collect(),
            excluded: p
                .excluded_risk_flags
                .iter()
                .map(|q| q.as_str().into())
                .collect(),
            region_prefixes: p.region_prefixes.join(" "),
            industry_prefixes: p.industry_prefixes.join(" "),
            min_years: p.min_years_in_operation.to_string(),
            min_inventions: p.min_valid_invention_patents.to_string(),
            min_ip_share: pct(p.min_ip_share),
            whitelist_required: p.whitelist_required,
            interest_subsidy: p.interest_subsidy.clone().unwrap_or_default(),
            risk_pool: p.risk_pool,
            valid_from: p.valid_from.to_string(),
            valid_until: p.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            confirm_unusual: false,
            bank,
        }
    }

    /// A new product's form: the usual starting point of a bank's IP loan.
    fn blank(today: chrono::NaiveDate) -> Self {
        Self {
            amount_min: "10".into(),
            amount_max: "1000".into(),
            max_term_months: "12".into(),
            rate_cap: "1".into(),
            rate_invention: "50".into(),
            rate_utility_model: "30".into(),
            min_remaining_months: "12".into(),
            min_years: "0".into(),
            min_inventions: "0".into(),
            whitelist_required: true,
            valid_from: today.to_string(),
            ..Default::default()
        }
    }

    fn read(f: &Fields) -> Self {
        let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
        Self {
            name: f.get("name").into(),
            description: f.get("description").into(),
            amount_min: f.get("amount_min").into(),
            amount_max: f.get("amount_max").into(),
            max_term_months: f.get("max_term_months").into(),
            rate_cap: f.get("rate_cap").into(),
            rate_invention: f.get("rate_invention").into(),
            rate_utility_model: f.get("rate_utility_model").into(),
            rate_design: f.get("rate_design").into(),
            rate_trademark: f.get("rate_trademark").into(),
            min_remaining_months: f.get("min_remaining_months").into(),
            no_prior_pledge: f.ticked("no_prior_pledge"),
            q_all: owned(f.all("q_all")),
            q_any: owned(f.all("q_any")),
            excluded: owned(f.all("excluded")),
            region_prefixes: f.get("region_prefixes").into(),
            industry_prefixes: f.get("industry_prefixes").into(),
            min_years: f.get("min_years").into(),
            min_inventions: f.get("min_inventions").into(),
            min_ip_share: f.get("min_ip_share").into(),
            whitelist_required: f.ticked("whitelist_required"),
            interest_subsidy: f.get("interest_subsidy").into(),
            risk_pool: f.ticked("risk_pool"),
            valid_from: f.get("valid_from").into(),
            valid_until: f.get("valid_until").into(),
            confirm_unusual: f.ticked("confirm_unusual"),
            bank: f.get("bank").into(),
        }
    }

    /// The rules the form states, or every field it got wrong (named as the form names them).
    fn rules(&self) -> Result<LoanProduct, Vec<crate::FieldError>> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: &str| {
            errors.push(crate::FieldError {
                field: field.into(),
                code: pledge_domain::code::FORMAT.into(),
                message: message.into(),
            });
        };
        let mut fen = |field: &str, text: &str| match Money::from_wan(text) {
            Ok(m) => m.fen(),
            Err(_) => {
                bad(field, "请填写万元数，最多六位小数，如 500 或 12.5");
                0
            }
        };
        let amount_min_fen = fen("amount_min", &self.amount_min);
        let amount_max_fen = fen("amount_max", &self.amount_max);
        let mut percent = |field: &str, text: &str| -> Option<i64> {
            if text.is_empty() {
                return None;
            }
            match BasisPoints::from_percent(text) {
                Ok(bp) => Some(i64::from(bp.get())),
                Err(_) => {
                    bad(field, "请填写0到100之间的百分数，最多两位小数，如 1.5");
                    None
                }
            }
        };
        let rate_cap = percent("rate_cap", &self.rate_cap);
        let pledge_rates_bp = PledgeRatesAsk {
            invention: percent("rate_invention", &self.rate_invention),
            utility_model: percent("rate_utility_model", &self.rate_utility_model),
            design: percent("rate_design", &self.rate_design),
            trademark: percent("rate_trademark", &self.rate_trademark),
        };
        let min_ip_share_bp = percent("min_ip_share", &self.min_ip_share);
        let mut whole = |field: &str, text: &str| -> i64 {
            if text.is_empty() {
                return 0;
            }
            text.parse::<i64>().unwrap_or_else(|_| {
                bad(field, "请填写整数");
                0
            })
        };
        let max_term_months = whole("max_term_months", &self.max_term_months);
        let min_remaining_months = whole("min_remaining_months", &self.min_remaining_months);
        let min_years_in_operation = whole("min_years", &self.min_years);
        let min_valid_invention_patents = whole("min_inventions", &self.min_inventions);
        let valid_from = chrono::NaiveDate::parse_from_str(&self.valid_from, "%Y-%m-%d")
            .map_err(|_| bad("valid_from", "请填写开办日期，格式为年-月-日"))
            .ok();
        let valid_until = if self.valid_until.is_empty() {
            None
        } else {
            chrono::NaiveDate::parse_from_str(&self.valid_until, "%Y-%m-%d")
                .map_err(|_| bad("valid_until", "截止日期的格式为年-月-日，不设截止请留空"))
                .ok()
        };
        if self.rate_cap.is_empty() {
            bad("rate_cap", "请填写0到100之间的百分数，最多两位小数，如 1.5");
        }
        let (Some(valid_from), true) = (valid_from, errors.is_empty()) else {
            return Err(errors);
        };
        let words = |t: &str| -> Vec<String> {
            t.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let text = |t: &str| (!t.is_empty()).then(|| t.to_owned());
        let ask = ProductAsk {
            name: self.name.clone(),
            description: text(&self.description),
            amount_min_fen,
            amount_max_fen,
            max_term_months,
            rate_cap_over_lpr_bp: rate_cap.unwrap_or(0),
            pledge_rates_bp,
            min_remaining_months,
            no_prior_pledge: self.no_prior_pledge,
            qualifications_all: self.q_all.clone(),
            qualifications_any: self.q_any.clone(),
            excluded_risk_flags: self.excluded.clone(),
            region_prefixes: words(&self.region_prefixes),
            industry_prefixes: words(&self.industry_prefixes),
            min_years_in_operation,
            min_valid_invention_patents,
            min_ip_share_bp,
            whitelist_required: self.whitelist_required,
            interest_subsidy: text(&self.interest_subsidy),
            risk_pool: self.risk_pool,
            valid_from,
            valid_until,
        };
        ask.rules().map_err(|e| match e {
            ServiceError::Invalid(errors) => errors,
            other => ApiError::from(other).problem().errors,
        })
    }
}

fn choices(chosen_all: &[String], chosen_any: &[String]) -> Vec<Choice> {
    QualificationKind::ALL
        .iter()
        .map(|q| Choice {
            value: q.as_str(),
            label: q.label_zh(),
            all: chosen_all.iter().any(|c| c == q.as_str()),
            any: chosen_any.iter().any(|c| c == q.as_str()),
        })
        .collect()
}

fn flags(chosen: &[String]) -> Vec<Choice> {
    RiskFlagKind::ALL
        .iter()
        .map(|q| Choice {
            value: q.as_str(),
            label: q.label_zh(),
            all: chosen.iter().any(|c| c == q.as_str()),
            any: false,
        })
        .collect()
}

/// What the rules would match now, before saving.
#[derive(Template)]
#[template(path = "preview.html")]
pub struct PreviewBox {
    shown: bool,
    eligible: u32,
    credit_lines: String,
    by_park: Vec<(String, u32)>,
    as_of: String,
    problems: Vec<Problem>,
}

impl PreviewBox {
    fn none() -> Self {
        Self {
            shown: false,
            eligible: 0,
            credit_lines: String::new(),
            by_park: Vec::new(),
            as_of: String::new(),
            problems: Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct FormPage {
    f: Frame,
    /// `None`: a new product.
    id: Option<i64>,
    version: i64,
    form: ProductForm,
    qualifications: Vec<Choice>,
    risks: Vec<Choice>,
    office: bool,
    problems: Vec<Problem>,
    preview: PreviewBox,
}

fn product_form(
    me: &Signed,
    id: Option<i64>,
    version: i64,
    form: ProductForm,
    problems: Vec<Problem>,
    preview: PreviewBox,
) -> axum::response::Response {
    let refused = !problems.is_empty();
    super::form_page(
        &FormPage {
            f: me.frame(if id.is_some() {
                "/products"
            } else {
                "/products/new"
            }),
            id,
            version,
            qualifications: choices(&form.q_all, &form.q_any),
            risks: flags(&form.excluded),
            office: me.cx.may().administer,
            form,
            problems,
            preview,
        },
        refused,
    )
}

async fn new_form(me: Signed) -> Page {
    me.cx.managing_bank(None)?;
    let form = ProductForm::blank(me.cx.today());
    Ok(product_form(
        &me,
        None,
        0,
        form,
        Vec::new(),
        PreviewBox::none(),
    ))
}

async fn edit_form(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    me.cx.managing_bank(None)?;
    let p = visible(&s, &me, &raw)?;
    let form = ProductForm::of(&p.rules, p.bank.to_string());
    Ok(product_form(
        &me,
        Some(p.id),
        p.version,
        form,
        Vec::new(),
        PreviewBox::none(),
    ))
}

fn visible(s: &AppState, me: &Signed, raw: &str) -> Result<ProductRecord, Oops> {
    let id = super::path_id(raw)?;
    Ok(s.service.product(&me.cx, id)?)
}

/// The preview of the rules a form states, or why there is none.
async fn preview_of(s: &AppState, me: &Signed, form: &ProductForm) -> Result<PreviewBox, Oops> {
    let rules = match form.rules() {
        Ok(r) => r,
        Err(errors) => {
            return Ok(PreviewBox {
                problems: problems(errors),
                ..PreviewBox::none()
            });
        }
    };
    match s
        .service
        .preview(&me.cx, &rules, form.confirm_unusual)
        .await
    {
        Ok((p, as_of)) => Ok(PreviewBox {
            shown: true,
            eligible: p.eligible,
            credit_lines: wan(p.credit_lines.fen()),
            by_park: p
                .by_park
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            as_of: as_of.to_string(),
            problems: Vec::new(),
        }),
        Err(e) => Ok(PreviewBox {
            problems: problems(super::field_errors(e)?),
            ..PreviewBox::none()
        }),
    }
}

/// The preview alone (the form's script asks for it as the bank types), or the whole form
/// with it (the 预览 button, without a script).
async fn preview(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let form = ProductForm::read(&fields);
    let preview = preview_of(&s, &me, &form).await?;
    if fields.ticked("fragment") {
        return Ok(page(&preview));
    }
    let id = fields.get("id").parse::<i64>().ok();
    let version = fields.get("version").parse::<i64>().unwrap_or(0);
    Ok(product_form(&me, id, version, form, Vec::new(), preview))
}

async fn create(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let form = ProductForm::read(&fields);
    if fields.get("action") == "preview" {
        let preview = preview_of(&s, &me, &form).await?;
        return Ok(product_form(&me, None, 0, form, Vec::new(), preview));
    }
    let rules = match form.rules() {
        Ok(r) => r,
        Err(errors) => {
            return Ok(product_form(
                &me,
                None,
                0,
                form,
                problems(errors),
                PreviewBox::none(),
            ));
        }
    };
    let bank = Some(form.bank.as_str()).filter(|b| !b.is_empty());
    match s
        .service
        .create_product(&me.cx, bank, rules, form.confirm_unusual)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/products/{}", p.id)).into_response()),
        Err(e) => {
            let errors = super::field_errors(e)?;
            Ok(product_form(
                &me,
                None,
                0,
                form,
                problems(errors),
                PreviewBox::none(),
            ))
        }
    }
}

async fn update(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Posted { me, fields }: Posted,
) -> Page {
    let id = super::path_id(&raw)?;
    let version = fields.get("version").parse::<i64>().unwrap_or(-1);
    let form = ProductForm::read(&fields);
    if fields.get("action") == "preview" {
        let preview = preview_of(&s, &me, &form).await?;
        return Ok(product_form(
            &me,
            Some(id),
            version,
            form,
            Vec::new(),
            preview,
        ));
    }
    let rules = match form.rules() {
        Ok(r) => r,
        Err(errors) => {
            let p = problems(errors);
            return Ok(product_form(
                &me,
                Some(id),
                version,
                form,
                p,
                PreviewBox::none(),
            ));
        }
    };
    match s
        .service
        .update_product(&me.cx, id, version, rules, form.confirm_unusual)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/products/{}", p.id)).into_response()),
        Err(e) => {
            let p = problems(super::field_errors(e)?);
            Ok(product_form(
                &me,
                Some(id),
                version,
                form,
                p,
                PreviewBox::none(),
            ))
        }
    }
}

async fn set_status(s: &AppState, raw: &str, posted: Posted, status: ProductStatus) -> Page {
    let Posted { me, fields } = posted;
    let id = super::path_id(raw)?;
    let version = fields.get("version").parse::<i64>().unwrap_or(-1);
    let reason = fields.some("reason").map(str::to_owned);
    s.service
        .set_product_status(&me.cx, id, version, status, reason)
        .await?;
    Ok(Redirect::to(&format!("/products/{id}")).into_response())
}

async fn publish(State(s): State<AppState>, Path(raw): Path<String>, posted: Posted) -> Page {
    set_status(&s, &raw, posted, ProductStatus::Published).await
}

async fn withdraw(State(s): State<AppState>, Path(raw): Path<String>, posted: Posted) -> Page {
    set_status(&s, &raw, posted, ProductStatus::Withdrawn).await
}

#[derive(Template)]
#[template(path = "product.html")]
struct OnePage {
    f: Frame,
    id: i64,
    version: i64,
    bank: String,
    name: String,
    status: &'static str,
    draft: bool,
    published: bool,
    manages: bool,
    rules: Vec<(&'static str, String)>,
    matched: Option<String>,
    by_park: String,
    credit_lines: String,
}

/// The product's terms as a bank officer reads them.
fn terms(p: &LoanProduct) -> Vec<(&'static str, String)> {
    let r = &p.pledge_rates;
    let rate = |b: Option<BasisPoints>| b.map_or_else(|| "不接受".into(), |b| b.to_string());
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "无".into()
        } else {
            v.join("、")
        }
    };
    vec![
        (
            "贷款金额",
            format!("{} – {}", wan(p.amount_min.fen()), wan(p.amount_max.fen())),
        ),
        ("最长期限", format!("{}个月", p.max_term_months)),
        ("利率上限", format!("LPR + {}", p.rate_cap_over_lpr)),
        (
            "质押率",
            format!(
                "发明专利{}，实用新型{}，外观设计{}，商标{}",
                rate(r.invention),
                rate(r.utility_model),
                rate(r.design),
                rate(r.trademark)
            ),
        ),
        (
            "贷款到期后剩余保护期",
            format!("至少{}个月", p.min_remaining_months),
        ),
        (
            "须持全部资质",
            names(p.qualifications_all.iter().map(|q| q.label_zh()).collect()),
        ),
        (
            "须持其一资质",
            names(p.qualifications_any.iter().map(|q| q.label_zh()).collect()),
        ),
        (
            "排除的风险",
            names(p.excluded_risk_flags.iter().map(|q| q.label_zh()).collect()),
        ),
        (
            "地区",
            names(p.region_prefixes.iter().map(String::as_str).collect()),
        ),
        (
            "行业",
            names(p.industry_prefixes.iter().map(String::as_str).collect()),
        ),
        ("最短经营年限", format!("{}年", p.min_years_in_operation)),
        (
            "最少有效发明专利",
            format!("{}件", p.min_valid_invention_patents),
        ),
        (
            "仅限白名单企业",
            if p.whitelist_required { "是" } else { "否" }.into(),
        ),
        (
            "风险补偿资金池",
            if p.risk_pool { "是" } else { "否" }.into(),
        ),
        (
            "贴息",
            p.interest_subsidy.clone().unwrap_or_else(|| "无".into()),
        ),
        (
            "有效期",
            format!(
                "{} 起{}",
                p.valid_from,
                p.valid_until
                    .map_or_else(|| "，长期".into(), |d| format!("至 {d}"))
            ),
        ),
    ]
}

/// Credit lines of the product's matches in bands of 万元 (the first 10,000 matches).
fn credit_line_bands(s: &AppState, me: &Signed, id: i64) -> Result<String, Oops> {
    const BANDS: [(i64, &str); 6] = [
        (100, "100万元以下"),
        (300, "100–300万元"),
        (500, "300–500万元"),
        (1000, "500–1000万元"),
        (3000, "1000–3000万元"),
        (i64::MAX, "3000万元以上"),
    ];
    let mut counts = [0u64; 6];
    let mut after = None;
    let mut seen = 0;
    while seen < 10_000 {
        let q = MatchFilter {
            after: after.take(),
            limit: 1000,
            sort: pledge_matching::SortBy::CreditLine,
            ..Default::default()
        };
        let page = s.service.matches(&me.cx, id, q)?;
        for m in &page.items {
            let wan = m.evaluation.credit_line.fen() / 1_000_000;
            let band = BANDS.iter().position(|(top, _)| wan < *top).unwrap_or(5);
            counts[band] += 1;
        }
        seen += page.items.len();
        match page.next {
            Some(k) if !page.items.is_empty() => after = Some(k),
            _ => break,
        }
    }
    let rows: Vec<(String, Vec<u64>)> = BANDS
        .iter()
        .zip(counts)
        .map(|((_, label), n)| ((*label).to_owned(), vec![n]))
        .collect();
    Ok(figures::bars("授信额度分布", &["企业数"], &rows))
}

async fn one(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    let p = visible(&s, &me, &raw)?;
    let published = p.status == ProductStatus::Published;
    let manages = me.cx.manages_products_of(&p.bank);
    let (matched, by_park, credit_lines) = if published {
        let total = s
            .service
            .matches(
                &me.cx,
                p.id,
                MatchFilter {
                    limit: 1,
                    ..Default::default()
                },
            )?
            .total
            .map(|t| t.to_string());
        let rows: Vec<(String, Vec<u64>)> = s
            .service
            .park_figures(&me.cx, Some(p.id))?
            .into_iter()
            .filter(|(_, f)| f.listed > 0)
            .map(|(k, f)| (k.to_string(), vec![f.listed.into(), f.matched.into()]))
            .collect();
        (
            total,
            figures::bars("各园区匹配企业数", &["入围白名单", "匹配本产品"], &rows),
            credit_line_bands(&s, &me, p.id)?,
        )
    } else {
        (None, String::new(), String::new())
    };
    Ok(page(&OnePage {
        f: me.frame("/products"),
        id: p.id,
        version: p.version,
        bank: p.bank.to_string(),
        name: p.rules.name.to_string(),
        status: p.status.label_zh(),
        draft: p.status == ProductStatus::Draft,
        published,
        manages,
        rules: terms(&p.rules),
        matched,
        by_park,
        credit_lines,
    }))
}
