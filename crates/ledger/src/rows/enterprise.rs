//! Enterprise rows and qualification rows: the enterprise, its park, its qualifications.

use super::*;
use crate::ValueError;

/// The park of an enterprise row: as stated (it must exist and be in scope), else the one it
/// is stored in, else the importing official's.
pub(super) fn park_of(
    r: &mut RowReader<'_>,
    ctx: &Context,
    known: Option<&Known>,
) -> Option<ParkCode> {
    let stated = r.domain("park", ParkCode::parse)?;
    if let Some(p) = &stated
        && !ctx.parks.contains(p)
    {
        r.reject(
            "park",
            p.to_string(),
            code::PARK_UNKNOWN,
            "没有这个园区代码 / no park has this code".into(),
        );
        return None;
    }
    if let (Some(scope), Some(k)) = (&ctx.scope, known)
        && &k.park != scope
    {
        // Registered outside the caller's park: taken, without saying where.
        r.reject(
            "uscc",
            k.uscc.to_string(),
            code::DUPLICATE,
            "该统一社会信用代码已由他人登记，请联系市知识产权局 / this USCC is registered by someone else: ask the city IP office".into(),
        );
        return None;
    }
    if let (Some(scope), Some(p)) = (&ctx.scope, &stated)
        && p != scope
    {
        r.reject(
            "park",
            p.to_string(),
            code::OUT_OF_SCOPE,
            "只能导入本园区的企业 / only enterprises of your own park".into(),
        );
        return None;
    }
    match stated
        .or_else(|| known.map(|k| k.park.clone()))
        .or_else(|| ctx.scope.clone())
    {
        Some(p) => Some(p),
        None => {
            r.reject(
                "park",
                String::new(),
                code::REQUIRED,
                "新企业须填写园区代码 / a new enterprise needs a park code".into(),
            );
            None
        }
    }
}

pub(super) fn enterprise(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
    warnings: &mut Vec<Rejection>,
) -> Option<EnterpriseRow> {
    let uscc = r.domain("uscc", Uscc::parse);
    let uscc = r.required("uscc", uscc);
    let name = r.domain("name", |s| Text::parse(s, 2, 100));
    let name = r.required("name", name);
    let park = match &uscc {
        Some(u) => park_of(r, ctx, directory.get(u)),
        None => None,
    };
    let region = match r.domain("region", RegionCode::parse) {
        Some(Some(region)) => Some(region),
        // The registering authority's division, positions 3–8 of the code.
        Some(None) => match &uscc {
            Some(u) => match RegionCode::parse(u.division_code()) {
                Ok(region) => Some(region),
                Err(e) => {
                    r.reject(
                        "region",
                        u.division_code().to_owned(),
                        e.code(),
                        e.to_string(),
                    );
                    None
                }
            },
            None => None,
        },
        None => None,
    };
    let industry = r.domain("industry", IndustryCode::parse);
    let industry = r.required("industry", industry);
    let founded = r.date("founded_on");
    let founded_on = r.required("founded_on", founded);
    let size = r
        .domain("size", SizeClass::parse)
        .map(|s| s.unwrap_or(SizeClass::Small));
    let strategic = r.domain("strategic_industry", StrategicIndustry::parse);
    let quals_until = r.date("qualifications_valid_until");
    let qualifications = r.read(
        "qualifications",
        |e: &QualificationError| e.code(),
        |c| {
            split_list(&c.text())
                .iter()
                .map(|q| stated_qualification(q))
                .collect::<Result<Vec<_>, _>>()
        },
    );
    let mut flags = Vec::new();
    for (key, kind) in [
        ("dishonest_debtor", RiskFlagKind::DishonestDebtor),
        ("abnormal_operation", RiskFlagKind::AbnormalOperation),
    ] {
        // `是（2026-01-05）`: marked, and since when (the form exports write).
        let flag = r.read(
            key,
            |_| code::YES_NO,
            |c| {
                let text = c.text();
                let (head, since) = bracketed(&text);
                let marked = parse_yes_no(&Cell::Text(head.into()))?;
                let since = match since {
                    Some(d) => Some(
                        parse_date(&Cell::Text(d.trim_start_matches("记录于").trim().into()))
                            .map_err(|_| ValueError::YesNo(text.clone()))?,
                    ),
                    None => None,
                };
                Ok::<_, ValueError>((marked, since))
            },
        );
        if let Some(Some((true, since))) = flag {
            flags.push(RiskFlag {
                kind,
                recorded_on: since.unwrap_or(ctx.today),
            });
        }
    }
    let need = r.read("financing_need", |_| "amount", parse_amount_wan);
    let term = r.read(
        "financing_term_months",
        |_| code::WHOLE_NUMBER,
        |c| {
            c.text()
                .parse::<u16>()
                .map_err(|_| DomainError::OutOfRange { min: 1, max: 360 })
        },
    );
    let consent = r.read("contact_consent", |_| code::YES_NO, parse_yes_no);
    let contact_name = r.text("contact_name");
    let phone = r.text("contact_phone");
    let email = r.text("contact_email");
    let (
        Some(uscc),
        Some(name),
        Some(park),
        Some(region),
        Some(industry),
        Some(founded_on),
        Some(size),
        Some(strategic_industry),
        Some(until),
        Some(qualifications),
        Some(need),
        Some(term),
        Some(consent),
    ) = (
        uscc,
        name,
        park,
        region,
        industry,
        founded_on,
        size,
        strategic,
        quals_until,
        qualifications,
        need,
        term,
        consent,
    )
    else {
        return None;
    };
    // An end date the row does not give is not made up: it stays as stored, or unknown.
    let undated: Vec<&str> = qualifications
        .iter()
        .flatten()
        .filter(|q| !q.expiry_unknown && q.until(until).is_none())
        .map(|q| q.kind.label_zh())
        .collect();
    if !undated.is_empty() {
        let kinds = undated.join("、");
        warnings.push(r.sheet.rejection(
            r.row.number,
            "qualifications",
            kinds.clone(),
            code::EXPIRY_UNKNOWN,
            format!(
                "资质“{kinds}”未注明有效期：系统中已有的到期日保留，没有的记为未知，在补充前不计入筛选和匹配 / no end date for {kinds}: a stored one is kept, else it is unknown and not counted until it is given"
            ),
        ));
    }
    let former_names = r
        .text("former_names")
        .map(|t| split_list(&t))
        .unwrap_or_default();
    let e = Enterprise {
        uscc,
        name,
        former_names,
        park,
        region,
        industry,
        strategic_industry,
        founded_on,
        size,
        qualifications: qualifications
            .iter()
            .flatten()
            .map(|q| Qualification {
                kind: q.kind,
                certificate_number: q.certificate_number.clone(),
                valid_until: q.until(until),
            })
            .collect(),
        risk_flags: flags,
        financing_need: need.map(|amount| FinancingNeed {
            amount,
            term_months: term.unwrap_or(12),
        }),
        contact: contact_name.map(|name| Contact { name, phone, email }),
        contact_consent: consent.unwrap_or(false),
    };
    r.violations(e.violations(ctx.today), |field| {
        let key = field.split(['.', '[']).next().unwrap_or("");
        match key {
            "financing_need" => "financing_term_months".to_owned(),
            "contact" => format!("contact_{}", field.rsplit('.').next().unwrap_or("name")),
            other => other.to_owned(),
        }
    });
    let qualifications = qualifications.unwrap_or_default();
    Some(EnterpriseRow {
        enterprise: e,
        stated: Arc::new([]),
        dated: qualifications
            .iter()
            .filter(|q| q.expiry_unknown || q.until(until).is_some())
            .map(|q| q.kind)
            .collect(),
        certified: qualifications
            .iter()
            .filter(|q| q.certificate_number.is_some())
            .map(|q| q.kind)
            .collect(),
    })
}

/// A qualification as a cell of the enterprise sheet names it: the kind, and in brackets
/// what the row knows of it, `高新技术企业（至2027-12-31，证书GR202341000123）` (the form
/// exports write, so that an export imports again as it was).
#[derive(Debug)]
struct StatedQualification {
    kind: QualificationKind,
    valid_until: Option<NaiveDate>,
    /// Written `（有效期未知）`: the end is known to be unknown, and no column's date fills it.
    expiry_unknown: bool,
    certificate_number: Option<String>,
}

impl StatedQualification {
    /// The end date the row gives it, by the item or by the column.
    fn until(&self, column: Option<NaiveDate>) -> Option<NaiveDate> {
        if self.expiry_unknown {
            None
        } else {
            self.valid_until.or(column)
        }
    }
}

/// Why a qualification in a cell could not be read.
#[derive(Debug)]
enum QualificationError {
    Kind(DomainError),
    Date(String),
}

impl QualificationError {
    fn code(&self) -> &'static str {
        match self {
            Self::Kind(e) => e.code(),
            Self::Date(_) => code::DATE,
        }
    }
}

impl std::fmt::Display for QualificationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Kind(e) => e.fmt(f),
            Self::Date(d) => write!(f, "资质有效期“{d}”无法识别 / not a date: {d}"),
        }
    }
}

/// `text` before its bracket, and what the bracket holds.
fn bracketed(text: &str) -> (&str, Option<&str>) {
    match text.find(['（', '(']) {
        Some(at) => {
            let rest = &text[at..];
            let open = rest.chars().next().map_or(0, char::len_utf8);
            (
                text[..at].trim(),
                Some(rest[open..].trim_end_matches([')', '）']).trim()),
            )
        }
        None => (text.trim(), None),
    }
}

/// How an export writes a qualification whose end nobody gave, and an import reads it back.
pub const EXPIRY_UNKNOWN: &str = "有效期未知";

fn stated_qualification(item: &str) -> Result<StatedQualification, QualificationError> {
    let (kind, inside) = bracketed(item);
    let inside = inside.unwrap_or("");
    let mut q = StatedQualification {
        kind: QualificationKind::parse(kind.trim()).map_err(QualificationError::Kind)?,
        valid_until: None,
        expiry_unknown: false,
        certificate_number: None,
    };
    for part in inside.split([',', '，', ';', '；']).map(str::trim) {
        if part == EXPIRY_UNKNOWN {
            q.expiry_unknown = true;
        } else if let Some(day) = part
            .strip_prefix('至')
            .or_else(|| part.strip_prefix("有效期至"))
        {
            let day = day.trim();
            q.valid_until = Some(
                parse_date(&Cell::Text(day.into()))
                    .map_err(|_| QualificationError::Date(day.to_owned()))?,
            );
        } else if let Some(number) = part.strip_prefix("证书") {
            let number = number.trim_start_matches(['号', ':', '：']).trim();
            q.certificate_number = (!number.is_empty()).then(|| number.to_owned());
        } else if !part.is_empty() {
            match parse_date(&Cell::Text(part.into())) {
                Ok(day) => q.valid_until = Some(day),
                Err(_) => q.certificate_number = Some(part.to_owned()),
            }
        }
    }
    Ok(q)
}

pub(super) fn qualification(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
) -> Option<QualificationRow> {
    let uscc = r.domain("uscc", Uscc::parse);
    let uscc = r.required("uscc", uscc);
    let kind = r.domain("kind", QualificationKind::parse);
    let kind = r.required("kind", kind);
    let certificate = r.domain("certificate_number", |s| Text::parse(s, 1, 64));
    let until = r.date("valid_until");
    let valid_until = r.required("valid_until", until);
    let (Some(uscc), Some(kind), Some(certificate), Some(valid_until)) =
        (uscc, kind, certificate, valid_until)
    else {
        return None;
    };
    // An enterprise outside the caller's park is one it does not know.
    let known = directory
        .get(&uscc)
        .is_some_and(|k| ctx.scope.as_ref().is_none_or(|s| s == &k.park));
    if !known {
        r.reject(
            "uscc",
            uscc.to_string(),
            code::ENTERPRISE_UNKNOWN,
            "找不到该企业，请先导入企业 / no enterprise with this code".into(),
        );
        return None;
    }
    Some(QualificationRow {
        uscc,
        qualification: Qualification {
            kind,
            certificate_number: certificate.map(|c| c.to_string()),
            valid_until: Some(valid_until),
        },
    })
}
