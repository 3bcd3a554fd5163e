//! Enterprise rows and qualification rows: the enterprise, its park, its qualifications.

use super::*;

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
        r.reject(
            "uscc",
            k.uscc.to_string(),
            code::OUT_OF_SCOPE,
            format!(
                "该企业属于园区{}，不在本园区 / the enterprise belongs to park {}",
                k.park, k.park
            ),
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
    let qualifications = r.read("qualifications", DomainError::code, |c| {
        split_list(&c.text())
            .iter()
            .map(|q| QualificationKind::parse(q))
            .collect::<Result<Vec<_>, _>>()
    });
    let mut flags = Vec::new();
    for (key, kind) in [
        ("dishonest_debtor", RiskFlagKind::DishonestDebtor),
        ("abnormal_operation", RiskFlagKind::AbnormalOperation),
    ] {
        if r.read(key, |_| code::YES_NO, parse_yes_no) == Some(Some(true)) {
            flags.push(RiskFlag {
                kind,
                recorded_on: ctx.today,
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
    let default_until = ctx
        .today
        .checked_add_months(Months::new(36))
        .unwrap_or(ctx.today);
    let e = Enterprise {
        uscc,
        name,
        park,
        region,
        industry,
        strategic_industry,
        founded_on,
        size,
        qualifications: qualifications
            .unwrap_or_default()
            .into_iter()
            .map(|kind| Qualification {
                kind,
                certificate_number: None,
                valid_until: until.unwrap_or(default_until),
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
    Some(EnterpriseRow {
        enterprise: e,
        stated: Arc::new([]),
        qualifications_until: until,
    })
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
    match directory.get(&uscc) {
        None => {
            r.reject(
                "uscc",
                uscc.to_string(),
                code::ENTERPRISE_UNKNOWN,
                "找不到该企业，请先导入企业 / no enterprise with this code".into(),
            );
            return None;
        }
        Some(k) if ctx.scope.as_ref().is_some_and(|s| s != &k.park) => {
            r.reject(
                "uscc",
                uscc.to_string(),
                code::OUT_OF_SCOPE,
                format!(
                    "该企业属于园区{}，不在本园区 / the enterprise belongs to park {}",
                    k.park, k.park
                ),
            );
            return None;
        }
        Some(_) => {}
    }
    Some(QualificationRow {
        uscc,
        qualification: Qualification {
            kind,
            certificate_number: certificate.map(|c| c.to_string()),
            valid_until,
        },
    })
}
