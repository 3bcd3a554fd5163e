//! Patent, trademark and appraisal rows.

use super::*;

pub(super) fn patent(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
    warnings: &mut Vec<Rejection>,
) -> Option<PatentRow> {
    let number = r.domain("application_number", PatentApplicationNumber::parse);
    let number = r.required("application_number", number);
    let title = r.domain("title", |s| Text::parse(s, 1, 200));
    let title = r.required("title", title);
    let owner = match r.cell("owner") {
        Some(_) => r.owner(directory, ctx),
        None => r.required("owner", Some(None)),
    };
    let kind = r.read(
        "kind",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| {
            let t = c.text();
            PatentKind::ALL
                .into_iter()
                .find(|k| t.starts_with(k.label_zh()) || t == k.as_str())
                .ok_or(DomainError::UnknownValue {
                    value: t,
                    allowed: "发明、实用新型、外观设计".into(),
                })
        },
    );
    if let (Some(n), Some(Some(k))) = (&number, &kind)
        && n.kind() != *k
    {
        let value = r.text("kind").unwrap_or_default();
        r.reject(
            "kind",
            value,
            code::KIND_MISMATCH,
            format!(
                "申请号表明是{} / the application number is of a {}",
                n.kind().label_zh(),
                n.kind().as_str()
            ),
        );
    }
    let filing = r.date("filing_date");
    let filing_date = r.required("filing_date", filing);
    let grant_date = r.date("grant_date");
    let status = r.read(
        "legal_status",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| parse_legal_status(&c.text()),
    );
    let legal_status = r.required("legal_status", status);
    let fee = r.date("annual_fee_paid_until");
    // Owners after the first in the owner's cell are co-owners, beside those of their own
    // column.
    let mut co_owners: Vec<String> = r
        .text("owner")
        .map(|t| split_owners(&t).into_iter().skip(1).collect())
        .unwrap_or_default();
    for more in r
        .text("co_owners")
        .map(|t| split_list(&t))
        .unwrap_or_default()
    {
        if !co_owners.contains(&more) {
            co_owners.push(more);
        }
    }
    let consent = r.read("co_owners_consent", |_| code::YES_NO, parse_yes_no);
    let ipc = r.domain("ipc_main", IpcClass::parse);
    let pledge_number = r.text("pledge_registration_number");
    let pledged_on = r.date("pledge_registered_on");
    let released_on = r.date("pledge_released_on");
    let pledged = r.read("pledged", |_| code::YES_NO, parse_yes_no);
    let amount = r.read("appraisal_amount", |_| "amount", parse_amount_wan);
    let appraised_on = r.date("appraised_on");
    let appraiser = r.text("appraiser");
    let (
        Some(number),
        Some(title),
        Some(owner),
        Some(filing_date),
        Some(grant_date),
        Some(legal_status),
        Some(fee),
        Some(consent),
        Some(ipc),
        Some(pledged_on),
        Some(released_on),
        Some(pledged),
        Some(amount),
        Some(appraised_on),
    ) = (
        number,
        title,
        owner,
        filing_date,
        grant_date,
        legal_status,
        fee,
        consent,
        ipc,
        pledged_on,
        released_on,
        pledged,
        amount,
        appraised_on,
    )
    else {
        return None;
    };
    let pledge = match (pledge_number, pledged_on) {
        (Some(number), Some(on)) => Some(PledgeRegistration::registered(number, on, released_on)),
        (Some(_), None) => {
            r.reject(
                "pledge_registered_on",
                String::new(),
                code::REQUIRED,
                "填写质押登记号时须填写登记日 / a pledge needs its registration date".into(),
            );
            return None;
        }
        (None, Some(_)) => {
            r.reject(
                "pledge_registration_number",
                String::new(),
                code::REQUIRED,
                "填写质押登记日时须填写登记号 / a pledge needs its registration number".into(),
            );
            return None;
        }
        (None, None) if pledged == Some(true) => {
            warnings.push(r.sheet.rejection(
                r.row.number,
                "pledged",
                "是".into(),
                code::PLEDGE_DETAILS_MISSING,
                "已按已质押处理（不会推荐给银行）；请补充质押登记号和登记日 / taken as pledged: add the registration number and date".into(),
            ));
            Some(PledgeRegistration::marked())
        }
        (None, None) => None,
    };
    let appraisal = match (amount, appraised_on) {
        (Some(amount), Some(on)) => Some(Appraisal {
            amount,
            appraised_on: on,
            valid_until: one_year_from(on),
            appraiser: appraiser.unwrap_or_else(|| UNSTATED_APPRAISER.into()),
        }),
        (Some(_), None) => {
            r.reject(
                "appraised_on",
                String::new(),
                code::REQUIRED,
                "填写评估价值时须填写评估基准日 / an appraised value needs its date".into(),
            );
            return None;
        }
        (None, Some(_)) => {
            r.reject(
                "appraisal_amount",
                String::new(),
                code::REQUIRED,
                "填写评估基准日时须填写评估价值 / an appraisal date needs its value".into(),
            );
            return None;
        }
        (None, None) => None,
    };
    let p = Patent {
        application_number: number,
        title,
        owner,
        co_owners,
        co_owners_consent: consent.unwrap_or(false),
        filing_date,
        grant_date,
        legal_status,
        annual_fee_paid_until: fee,
        pledge,
        ipc_main: ipc,
        publication_number: None,
        high_value: Default::default(),
        same_day_double_filing: false,
        appraisals: appraisal.iter().cloned().collect(),
    };
    r.violations(p.violations(ctx.today), |field| {
        let key = field.split(['[', '.']).next().unwrap_or("");
        match key {
            "appraisals" => {
                if field.ends_with("appraised_on") {
                    "appraised_on".into()
                } else if field.ends_with("appraiser") {
                    "appraiser".into()
                } else {
                    "appraisal_amount".into()
                }
            }
            "pledge" => format!(
                "pledge_{}",
                field.rsplit('.').next().unwrap_or("registered_on")
            ),
            "co_owners" => "co_owners".into(),
            other => other.into(),
        }
    });
    let mut patent = p;
    patent.appraisals.clear();
    // A right the record calls in force but its term or fees ended: taken as the facts say
    // (the stricter counts), and said.
    if let Some(message) = patent.status_disagreement(ctx.today) {
        warnings.push(r.sheet.rejection(
            r.row.number,
            "legal_status",
            patent.legal_status.label_zh().into(),
            code::STATUS_DISAGREES,
            message,
        ));
    } else if let pledge_domain::DerivedStatus::FeeGrace {
        paid_until,
        grace_ends,
    } = patent.status_on(ctx.today)
    {
        // Still in force, but a fee is overdue: not pledgeable until it is paid.
        warnings.push(r.sheet.rejection(
            r.row.number,
            "annual_fee_paid_until",
            paid_until.to_string(),
            code::ANNUAL_FEE_GRACE,
            format!(
                "专利{0}年费仅缴至{paid_until}，处于滞纳期（至{grace_ends}）：缴费前不能质押，逾期专利权终止 / patent {0}: fees paid to {paid_until}, in the grace to {grace_ends}: not pledgeable until paid, lapsed after",
                patent.application_number
            ),
        ));
    }
    Some(PatentRow {
        patent,
        stated: Arc::new([]),
        appraisal,
    })
}

pub(super) fn trademark(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
) -> Option<Trademark> {
    let number = r.domain("registration_number", TrademarkRegistrationNumber::parse);
    let number = r.required("registration_number", number);
    let class = r.domain("nice_class", |s| {
        s.parse::<i64>()
            .map_err(|_| DomainError::NiceClass { found: 0 })
            .and_then(NiceClass::new)
    });
    let class = r.required("nice_class", class);
    let name = r.domain("name", |s| Text::parse(s, 1, 100));
    let name = r.required("name", name);
    let owner = match r.cell("owner") {
        Some(_) => r.owner(directory, ctx),
        None => r.required("owner", Some(None)),
    };
    let registered = r.date("registered_on");
    let registered_on = r.required("registered_on", registered);
    let until = r.date("valid_until");
    let valid_until = r.required("valid_until", until);
    let (
        Some(number),
        Some(class),
        Some(name),
        Some(owner),
        Some(registered_on),
        Some(valid_until),
    ) = (number, class, name, owner, registered_on, valid_until)
    else {
        return None;
    };
    let t = Trademark {
        registration_number: number,
        nice_class: class,
        name,
        owner,
        registered_on,
        valid_until,
        pledge: None,
        appraisals: Vec::new(),
    };
    r.violations(t.violations(ctx.today), |field| {
        field.split('.').next().unwrap_or("").to_owned()
    });
    Some(t)
}
pub(super) fn appraisal(r: &mut RowReader<'_>, ctx: &Context) -> Option<AppraisalRow> {
    let ip = r.read("number", DomainError::code, |c| {
        let text = c.text();
        match text.split_once(['/', '类']) {
            Some((n, class)) if !class.trim().is_empty() => Ok(IpNumber::Trademark(
                TrademarkRegistrationNumber::parse(n)?,
                NiceClass::new(
                    class
                        .trim()
                        .trim_start_matches('第')
                        .trim_end_matches('类')
                        .parse()
                        .map_err(|_| DomainError::NiceClass { found: 0 })?,
                )?,
            )),
            _ => PatentApplicationNumber::parse(&text).map(IpNumber::Patent),
        }
    });
    let ip = r.required("number", ip);
    let amount = r.read("amount", |_| "amount", parse_amount_wan);
    let amount = r.required("amount", amount);
    let on = r.date("appraised_on");
    let appraised_on = r.required("appraised_on", on);
    let until = r.date("valid_until");
    let appraiser = r.text("appraiser");
    let appraiser = r.required("appraiser", Some(appraiser));
    let (Some(ip), Some(amount), Some(appraised_on), Some(until), Some(appraiser)) =
        (ip, amount, appraised_on, until, appraiser)
    else {
        return None;
    };
    let a = Appraisal {
        amount,
        appraised_on,
        valid_until: until.unwrap_or_else(|| one_year_from(appraised_on)),
        appraiser,
    };
    r.violations(a.violations(ctx.today), |field| match field {
        "appraised_on" | "valid_until" | "appraiser" => field.to_owned(),
        _ => "amount".to_owned(),
    });
    Some(AppraisalRow { ip, appraisal: a })
}
