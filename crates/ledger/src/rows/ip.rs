//! Patent, trademark and appraisal rows.

use super::*;
use crate::events;
use pledge_domain::{EventFacts, LegalEvent, LegalEventKind};

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
    let events = r
        .text("legal_events")
        .map(|cell| events::parse_events(&cell))
        .unwrap_or_default();
    let facts = EventFacts::of(&events);
    let owner_header = crate::header_key(&r.sheet.header("owner"));
    // The applicant of record (申请人) is who filed; the current owner (当前…) or a ledger's
    // 专利权人 beside a transfer event is who holds it now.
    let of_record = owner_header == "申请人";
    let moved = owner_header.starts_with("当前") || (facts.transferred && !of_record);
    let holder = number
        .as_ref()
        .filter(|_| moved)
        .and_then(|n| directory.holder(n));
    let owner = match r.cell("owner") {
        Some(_) => r.owner(directory, ctx, holder),
        None => r.required("owner", Some(None)),
    };
    let transferred_out_to = r.transferred_out.take();
    if let Some(to) = &transferred_out_to {
        warnings.push(r.doubt(
            "owner",
            code::TRANSFERRED_OUT,
            format!(
                "专利已转让给园区外的{to}：不再计入原企业，不能由其质押 / transferred to {to}, outside: it no longer counts for the enterprise that held it"
            ),
        ));
    }
    let kind = r.read(
        "kind",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| parse_kind(&c.text()),
    );
    // A publication number a database writes in a form we do not know is set aside: it is
    // a reference, not a fact the pledge rules use.
    let publication = match r.text("publication_number") {
        Some(t) => match PublicationNumber::parse(&t) {
            Ok(p) => Some(p),
            Err(_) => {
                warnings.push(r.doubt(
                    "publication_number",
                    code::VALUE_SET_ASIDE,
                    "公开(公告)号无法识别，已忽略 / publication number not recognised: set aside"
                        .into(),
                ));
                None
            }
        },
        None => None,
    };
    let published_on = r.date("published_on");
    if let Some(n) = &number {
        // The number's kind digit is checked by its check digit: it decides the kind.
        let stated = [
            kind.flatten().map(|(k, _)| ("kind", k)),
            publication
                .as_ref()
                .map(|p| ("publication_number", p.patent_kind())),
        ];
        for (key, k) in stated.into_iter().flatten() {
            if k != n.kind().family() {
                warnings.push(r.doubt(
                    key,
                    code::KIND_MISMATCH,
                    format!(
                        "申请号表明是{}，按{}处理 / the application number is of a {}: taken as one",
                        n.kind().label_zh(),
                        n.kind().label_zh(),
                        n.kind().as_str()
                    ),
                ));
            }
        }
    }
    let filing = r.date("filing_date");
    let filing_date = r.required("filing_date", filing);
    let grant_date = r.date("grant_date");
    let status = r.read(
        "legal_status",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| parse_legal_status(&c.text()),
    );
    let simple = r.read(
        "simple_legal_status",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| parse_legal_status(&c.text()),
    );
    let legal_status = match (status, simple) {
        (Some(Some(s)), Some(Some(simple)))
            if s.is_granted_right() != simple.is_granted_right() =>
        {
            let (stricter, key) = if s.is_granted_right() {
                (simple, "legal_status")
            } else {
                (s, "simple_legal_status")
            };
            warnings.push(r.doubt(
                key,
                code::FACTS_DISAGREE,
                format!(
                    "法律状态与简单法律状态不一致，按{}处理 / the legal status and the simple status disagree: taken as {}",
                    stricter.label_zh(),
                    stricter.as_str()
                ),
            ));
            Some(stricter)
        }
        (Some(Some(s)), Some(_)) | (Some(None), Some(Some(s))) => Some(s),
        (Some(None), Some(None)) => {
            let key = if r.sheet.layout.position("legal_status").is_some() {
                "legal_status"
            } else {
                "simple_legal_status"
            };
            r.required(key, Some(None))
        }
        _ => None,
    };
    let ended_on = r.date("ended_on");
    let expected_expiry = r.date("expected_expiry");
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
    // A database's IPC column may list every class: the first is the main one.
    let ipc = r.domain("ipc_main", |s| {
        IpcClass::parse(s.split([';', '；', ',', '，']).next().unwrap_or(s))
    });
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
    let mut legal_status = legal_status;
    // A grant's publication (B, U, S) is announced on the day of the grant.
    let mut grant_date = grant_date.or_else(|| {
        publication
            .as_ref()
            .filter(|p| p.is_grant())
            .and(published_on.flatten())
    });
    if facts.transferred && of_record {
        // The applicant of record is no longer the owner, and the file does not say who is.
        let value = r.text("owner").unwrap_or_default();
        r.reject(
            "owner",
            value,
            code::OWNER_UNKNOWN,
            "法律事件有专利权的转移，表中只有原申请人：请导出带“当前申请(专利权)人”列的清单 / transferred, and only the applicant of record is given: export the current owner too".into(),
        );
        return None;
    }
    grant_date = grant_date.or(facts.granted_on);
    status_from_events(r, warnings, &facts, &mut legal_status);
    let stage = kind.flatten().and_then(|(_, stage)| stage);
    if stage == Some(Stage::Application) && legal_status.is_granted_right() {
        warnings.push(r.doubt(
            "kind",
            code::FACTS_DISAGREE,
            format!(
                "专利类型为发明申请，法律状态却为{}：申请不能质押，{} / an application, yet recorded {}: {}",
                legal_status.label_zh(),
                taken_as(LegalStatus::Pending),
                legal_status.as_str(),
                taken_as(LegalStatus::Pending)
            ),
        ));
        legal_status = LegalStatus::Pending;
    }
    if legal_status == LegalStatus::Pending && (grant_date.is_some() || stage == Some(Stage::Grant))
    {
        let key = if stage == Some(Stage::Grant) {
            "kind"
        } else {
            "grant_date"
        };
        warnings.push(r.doubt(
            key,
            code::FACTS_DISAGREE,
            format!(
                "审中的申请却有授权信息：授权日不予采用，{} / pending, yet a grant is given: the grant date is set aside, {}",
                taken_as(LegalStatus::Pending),
                taken_as(LegalStatus::Pending)
            ),
        ));
        grant_date = None;
    }
    if let Some(ended) = ended_on.flatten()
        && ended <= ctx.today
        && legal_status.is_granted_right()
    {
        warnings.push(r.doubt(
            "ended_on",
            code::FACTS_DISAGREE,
            format!(
                "法律状态为{}，失效日却为{ended}：{} / recorded {}, yet ended on {ended}: {}",
                legal_status.label_zh(),
                taken_as(LegalStatus::Ended),
                legal_status.as_str(),
                taken_as(LegalStatus::Ended)
            ),
        ));
        legal_status = LegalStatus::Ended;
    }
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
    doubt_pledges(r, warnings, &facts, &events, ctx.today, pledge.as_ref());
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
    let mut p = Patent {
        application_number: number,
        title,
        owner,
        co_owners,
        co_owners_consent: consent,
        filing_date,
        grant_date,
        legal_status,
        annual_fee_paid_until: fee,
        pledges: facts.pledges.clone(),
        transferred_out_to,
        ipc_main: ipc,
        publication_number: publication,
        high_value: Default::default(),
        same_day_double_filing: false,
        appraisals: appraisal.iter().cloned().collect(),
    };
    // The row's own pledge columns beside its events: recorded in the events' history.
    if let Some(own) = pledge {
        p.record_pledge(own);
    }
    let sheet = r.sheet;
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
            // A pledge of the row's own columns, else of its legal events.
            "pledges" => {
                let column = format!(
                    "pledge_{}",
                    field.rsplit('.').next().unwrap_or("registered_on")
                );
                if sheet.layout.position(&column).is_some() {
                    column
                } else {
                    "legal_events".into()
                }
            }
            "co_owners" => "co_owners".into(),
            other => other.into(),
        }
    });
    let mut patent = p;
    patent.appraisals.clear();
    // A database's estimate of the term's end earlier than the filing date gives: the
    // earlier counts.
    if let Some(stated) = expected_expiry.flatten()
        && stated < patent.expiry()
    {
        let ended = stated <= ctx.today && patent.legal_status.is_granted_right();
        if ended {
            patent.legal_status = LegalStatus::Expired;
        }
        warnings.push(r.doubt(
            "expected_expiry",
            code::FACTS_DISAGREE,
            format!(
                "预估到期日{stated}早于按申请日计算的届满日{expiry}，请核对{} / the stated expiry {stated} is before the term's end {expiry}: check it{}",
                if ended { "；已按期限届满处理" } else { "" },
                if ended { "; taken as expired" } else { "" },
                expiry = patent.expiry(),
            ),
        ));
    }
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

/// "按有效处理 / taken as in_force".
fn taken_as(s: LegalStatus) -> String {
    format!("按{}处理 / taken as {}", s.label_zh(), s.as_str())
}

/// The status the row's legal events leave, against the status the row states: where one
/// says the right is in force and the other that it is not, the stricter counts and the row
/// is doubtful; where both say it ended, the events tell how.
fn status_from_events(
    r: &RowReader<'_>,
    warnings: &mut Vec<Rejection>,
    facts: &EventFacts,
    legal_status: &mut LegalStatus,
) {
    let Some((after, event, on)) = facts.status else {
        return;
    };
    let on = on.map(|d| d.to_string()).unwrap_or_default();
    let stated = *legal_status;
    let stricter = match (stated.is_granted_right(), after.is_granted_right()) {
        (true, false) => after,
        (false, true) => stated,
        (false, false) if stated == LegalStatus::Ended => {
            *legal_status = after;
            return;
        }
        // In force both ways; a preservation the status does not mention still freezes it.
        (true, true) if after == LegalStatus::Suspended && stated != after => after,
        _ => return,
    };
    warnings.push(r.doubt(
        "legal_events",
        code::FACTS_DISAGREE,
        format!(
            "法律状态为{}，法律事件最后为{on}{}：{} / recorded {}, yet the last event is {} {on}: {}",
            stated.label_zh(),
            event.label_zh(),
            taken_as(stricter),
            stated.as_str(),
            event.code().unwrap_or("授权"),
            taken_as(stricter)
        ),
    ));
    *legal_status = stricter;
}

/// What a row's pledges leave in doubt: a release without its day (it frees nothing), a
/// pledge the events give without its registration (taken as pledged), and pledge columns
/// that disagree with the events on whether a pledge is in force (the one in force counts).
fn doubt_pledges(
    r: &RowReader<'_>,
    warnings: &mut Vec<Rejection>,
    facts: &EventFacts,
    events: &[LegalEvent],
    today: NaiveDate,
    own: Option<&PledgeRegistration>,
) {
    if events
        .iter()
        .any(|e| e.kind == LegalEventKind::PledgeReleased && e.on.is_none())
    {
        warnings.push(r.doubt(
            "legal_events",
            code::PLEDGE_DETAILS_MISSING,
            "质押注销未注明日期：按仍在质押处理 / a release without its day: taken as still pledged"
                .into(),
        ));
    }
    if facts.pledges.iter().any(|p| !p.is_registered()) {
        warnings.push(r.doubt(
            "legal_events",
            code::PLEDGE_DETAILS_MISSING,
            "法律事件有质押，未注明登记号或日期：已按已质押处理 / pledged by the events, the registration not given: taken as pledged".into(),
        ));
    }
    let by_events = facts.pledges.iter().any(|p| p.in_force(today));
    if let Some(own) = own
        && !facts.pledges.is_empty()
        && own.in_force(today) != by_events
    {
        warnings.push(r.doubt(
            "legal_events",
            code::FACTS_DISAGREE,
            "质押信息与法律事件不一致：按质押有效处理 / the pledge columns and the events disagree: taken as pledged".into(),
        ));
    }
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
        Some(_) => r.owner(directory, ctx, None),
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

/// What a patent database's 专利类型 says beside the kind: that the row is an application's
/// publication (发明申请) or a grant's (发明授权).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Application,
    Grant,
}

/// A kind as templates and patent databases write it: 发明, 实用新型, 外观设计, their stable
/// names, and 发明申请 / 发明公开 / 发明授权 / 授权发明.
fn parse_kind(text: &str) -> Result<(PatentKind, Option<Stage>), DomainError> {
    let t = crate::values::normalize_header(text);
    if let Some(k) = PatentKind::ALL.into_iter().find(|k| k.as_str() == t) {
        return Ok((k.family(), None));
    }
    let kind = if t.contains("实用新型") {
        PatentKind::UtilityModel
    } else if t.contains("外观") {
        PatentKind::Design
    } else if t.contains("发明") {
        PatentKind::Invention
    } else {
        return Err(DomainError::UnknownValue {
            value: text.trim().to_owned(),
            allowed: "发明、发明申请、发明授权、实用新型、外观设计".into(),
        });
    };
    let stage = if t.contains("授权") {
        Some(Stage::Grant)
    } else if t.contains("申请") || t.contains("公开") {
        Some(Stage::Application)
    } else {
        None
    };
    Ok((kind, stage))
}
