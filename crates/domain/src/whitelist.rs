//! The white list (白名单): entry lifecycle, batches, and screening against entry criteria.

use crate::{Enterprise, Patent, QualificationKind, RiskFlagKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

named_enum!(
    /// The state of one enterprise's entry in a batch.
    EntryStatus {
        /// 已推荐: nominated by a park official, screened, awaiting review.
        Nominated = "nominated" / "已推荐",
        /// 已审核: approved by the city IP office, awaiting publication of its batch.
        Approved = "approved" / "已审核",
        /// 未通过: rejected on review.
        Rejected = "rejected" / "未通过",
        /// 已发布: on the published list; banks see it.
        Published = "published" / "已发布",
        /// 暂停: suspended, e.g. a risk flag appeared.
        Suspended = "suspended" / "暂停",
        /// 已移出: removed from the list.
        Removed = "removed" / "已移出",
        /// 已到期: the validity of its batch ended.
        Expired = "expired" / "已到期",
    }
);

named_enum!(
    /// A change of an entry's state.
    Transition {
        Approve = "approve" / "审核通过",
        Reject = "reject" / "不予通过",
        Publish = "publish" / "发布",
        Suspend = "suspend" / "暂停",
        Reinstate = "reinstate" / "恢复",
        Remove = "remove" / "移出",
        Expire = "expire" / "到期",
    }
);

named_enum!(
    /// The state of a batch (批次).
    BatchStatus {
        /// 草稿: entries are nominated and reviewed.
        Draft = "draft" / "草稿",
        /// 已发布: published to banks.
        Published = "published" / "已发布",
        /// 已关闭: past its validity; its entries expired.
        Closed = "closed" / "已关闭",
    }
);

named_enum!(
    /// Why a transition happened: the stable code every transition carries beside free text.
    ReasonCode {
        MeetsCriteria = "meets_criteria" / "符合入选条件",
        FailsCriteria = "fails_criteria" / "不符合入选条件",
        AdminOverride = "admin_override" / "管理员特批",
        RiskFlag = "risk_flag" / "出现风险记录",
        LostValidIp = "lost_valid_ip" / "失去有效知识产权",
        QualificationExpired = "qualification_expired" / "资质到期",
        EnterpriseRequest = "enterprise_request" / "企业申请",
        DataCorrected = "data_corrected" / "数据更正",
        ValidityEnded = "validity_ended" / "有效期届满",
        BatchPublished = "batch_published" / "批次发布",
        Other = "other" / "其他",
    }
);

impl EntryStatus {
    /// Whether the entry still counts: an enterprise has at most one live entry.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Nominated | Self::Approved | Self::Published | Self::Suspended
        )
    }

    /// The state `t` leads to from here, or `None` when the lifecycle forbids it.
    pub fn after(self, t: Transition) -> Option<Self> {
        use EntryStatus as S;
        use Transition as T;
        match (self, t) {
            (S::Nominated, T::Approve) => Some(S::Approved),
            (S::Nominated | S::Approved, T::Reject) => Some(S::Rejected),
            (S::Approved, T::Publish) => Some(S::Published),
            (S::Published, T::Suspend) => Some(S::Suspended),
            (S::Suspended, T::Reinstate) => Some(S::Published),
            (S::Nominated | S::Approved | S::Published | S::Suspended, T::Remove) => {
                Some(S::Removed)
            }
            (S::Published | S::Suspended, T::Expire) => Some(S::Expired),
            _ => None,
        }
    }

    /// The transitions allowed from here.
    pub fn allowed(self) -> Vec<Transition> {
        Transition::ALL
            .iter()
            .copied()
            .filter(|t| self.after(*t).is_some())
            .collect()
    }
}

/// 入选条件: the entry criteria, edited by the city IP office as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Criteria {
    /// At least this many valid invention patents on the day of screening.
    pub min_valid_invention_patents: u32,
    /// At least this many valid patents of any kind.
    pub min_valid_patents: u32,
    /// None of these risk flags.
    pub excluded_risk_flags: Vec<RiskFlagKind>,
    /// At least one of these qualifications, valid on the day (empty: none required).
    pub any_of_qualifications: Vec<QualificationKind>,
    /// At least this many full years since founding.
    pub min_years_in_operation: u32,
}

impl Criteria {
    /// The criteria most cities start from: one valid invention patent, no dishonest-debtor,
    /// abnormal-operation, serious-violation or abnormal-filing record.
    pub fn common() -> Self {
        Self {
            min_valid_invention_patents: 1,
            min_valid_patents: 1,
            excluded_risk_flags: RiskFlagKind::ALL.to_vec(),
            any_of_qualifications: Vec::new(),
            min_years_in_operation: 0,
        }
    }
}

/// One criterion an enterprise fails, with what it needs and what it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionFailure {
    /// Stable code of the criterion.
    pub code: String,
    pub need: String,
    pub have: String,
    /// Chinese, then English.
    pub message: String,
    /// What was not counted, each with why (the patents that are not valid, …), so that the
    /// official sees what to fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<String>,
}

/// The result of screening one enterprise against the criteria on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    pub as_of: NaiveDate,
    pub passed: bool,
    pub failures: Vec<CriterionFailure>,
}

impl Screening {
    /// The reason code a failed screening suspends an entry with: the first failure's kind.
    pub fn reason_code(&self) -> ReasonCode {
        match self.failures.first().map(|f| f.code.as_str()) {
            None => ReasonCode::MeetsCriteria,
            Some("risk_flag") => ReasonCode::RiskFlag,
            Some("valid_invention_patents" | "valid_patents") => ReasonCode::LostValidIp,
            Some("qualification") => ReasonCode::QualificationExpired,
            Some(_) => ReasonCode::FailsCriteria,
        }
    }

    /// The failures as one line of text, each with what was not counted and why.
    pub fn summary(&self) -> String {
        self.failures
            .iter()
            .map(|f| {
                if f.not_counted.is_empty() {
                    f.message.clone()
                } else {
                    format!(
                        "{}（未计入 / not counted: {}）",
                        f.message,
                        f.not_counted.join("；")
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// Who made a change, as the four-eyes rule compares people: the person (an account; `None`
/// for the command line), the people who created that account and their creators in turn,
/// and the holder's name (what the command line is compared by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person<'a> {
    pub id: Option<i64>,
    pub creators: &'a [i64],
    pub holder: &'a str,
}

/// Why an approval is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalRefused {
    /// Four-eyes: whoever nominated an entry never approves it.
    Nominator,
    /// Four-eyes: nor does a person the nominator created (or one created by such a person).
    CreatedByNominator,
    /// The screening fails and no written override was given; the failures, as one line.
    ScreeningFailed(String),
}

/// How an approval is recorded: the reason code, and the override that carried it past a
/// failing screening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub reason_code: ReasonCode,
    pub override_reason: Option<String>,
}

/// The four-eyes rule: whether `approver` may decide an entry `nominator` nominated.
/// People are compared by account, never by a name they chose: a token's label or a login
/// that looks like another is a different string, not a different person.
pub fn may_approve(nominator: Person<'_>, approver: Person<'_>) -> Result<(), ApprovalRefused> {
    match (nominator.id, approver.id) {
        (Some(n), Some(a)) if n == a => Err(ApprovalRefused::Nominator),
        (Some(n), Some(_)) if approver.creators.contains(&n) => {
            Err(ApprovalRefused::CreatedByNominator)
        }
        (Some(_), Some(_)) => Ok(()),
        _ if approver.holder == nominator.holder => Err(ApprovalRefused::Nominator),
        _ => Ok(()),
    }
}

/// The approval of an entry whose enterprise screened as `screening`: as asked (`reason_code`)
/// when it passes; with the admin's written `override_reason` when it fails; refused when it
/// fails without one.
pub fn approval(
    screening: &Screening,
    reason_code: ReasonCode,
    override_reason: Option<&str>,
) -> Result<Approval, ApprovalRefused> {
    if screening.passed {
        return Ok(Approval {
            reason_code,
            override_reason: None,
        });
    }
    match override_reason.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => Ok(Approval {
            reason_code: ReasonCode::AdminOverride,
            override_reason: Some(o.to_owned()),
        }),
        None => Err(ApprovalRefused::ScreeningFailed(screening.summary())),
    }
}

/// Screens `enterprise`, holding `patents`, against `criteria` as of `as_of`.
pub fn screen(
    criteria: &Criteria,
    enterprise: &Enterprise,
    patents: &[Patent],
    as_of: NaiveDate,
) -> Screening {
    let mut failures = Vec::new();
    let valid: Vec<&Patent> = patents
        .iter()
        .filter(|p| p.is_held_by(&enterprise.uscc) && p.is_valid(as_of))
        .collect();
    let inventions = valid.iter().filter(|p| p.kind().is_invention()).count() as u32;
    let not_counted = |inventions_only: bool| -> Vec<String> {
        patents
            .iter()
            .filter(|p| {
                p.is_held_by(&enterprise.uscc) && (!inventions_only || p.kind().is_invention())
            })
            .filter_map(|p| p.not_valid_because(as_of))
            .collect()
    };
    if inventions < criteria.min_valid_invention_patents {
        failures.push(CriterionFailure {
            not_counted: not_counted(true),
            code: "valid_invention_patents".into(),
            need: criteria.min_valid_invention_patents.to_string(),
            have: inventions.to_string(),
            message: format!(
                "需要{}件有效发明专利，现有{inventions}件 / needs {} valid invention patent(s), has {inventions}",
                criteria.min_valid_invention_patents, criteria.min_valid_invention_patents
            ),
        });
    }
    let all = valid.len() as u32;
    if all < criteria.min_valid_patents {
        failures.push(CriterionFailure {
            not_counted: not_counted(false),
            code: "valid_patents".into(),
            need: criteria.min_valid_patents.to_string(),
            have: all.to_string(),
            message: format!(
                "需要{}件有效专利，现有{all}件 / needs {} valid patent(s), has {all}",
                criteria.min_valid_patents, criteria.min_valid_patents
            ),
        });
    }
    for kind in &criteria.excluded_risk_flags {
        if enterprise.has_risk_flag(*kind, as_of) {
            failures.push(CriterionFailure {
                not_counted: Vec::new(),
                code: "risk_flag".into(),
                need: format!("no {}", kind.as_str()),
                have: kind.as_str().into(),
                message: format!(
                    "存在风险记录：{} / has the risk flag {}",
                    kind.label_zh(),
                    kind.as_str()
                ),
            });
        }
    }
    if !criteria.any_of_qualifications.is_empty()
        && !criteria
            .any_of_qualifications
            .iter()
            .any(|q| enterprise.has_qualification(*q, as_of))
    {
        let names: Vec<&str> = criteria
            .any_of_qualifications
            .iter()
            .map(|q| q.as_str())
            .collect();
        let zh: Vec<&str> = criteria
            .any_of_qualifications
            .iter()
            .map(|q| q.label_zh())
            .collect();
        failures.push(CriterionFailure {
            not_counted: Vec::new(),
            code: "qualification".into(),
            need: names.join(" | "),
            have: "none valid".into(),
            message: format!(
                "需要以下资质之一：{} / needs one of: {}",
                zh.join("、"),
                names.join(", ")
            ),
        });
    }
    let years = enterprise.years_in_operation(as_of);
    if years < criteria.min_years_in_operation {
        failures.push(CriterionFailure {
            not_counted: Vec::new(),
            code: "years_in_operation".into(),
            need: criteria.min_years_in_operation.to_string(),
            have: years.to_string(),
            message: format!(
                "需要成立满{}年，现为{years}年 / needs {} years in operation, has {years}",
                criteria.min_years_in_operation, criteria.min_years_in_operation
            ),
        });
    }
    Screening {
        as_of,
        passed: failures.is_empty(),
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::{
        Approval, ApprovalRefused, Person, ReasonCode, Screening as Screened, approval, may_approve,
    };

    fn person<'a>(id: Option<i64>, creators: &'a [i64], holder: &'a str) -> Person<'a> {
        Person {
            id,
            creators,
            holder,
        }
    }

    #[test]
    fn the_nominator_never_approves() {
        let nominator = person(Some(1), &[], "admin-one");
        assert_eq!(
            may_approve(nominator, person(Some(1), &[], "anything")),
            Err(ApprovalRefused::Nominator)
        );
        // Another account is another person, whatever its login looks like ...
        assert_eq!(
            may_approve(nominator, person(Some(2), &[9], "admin-one")),
            Ok(())
        );
        // ... unless the nominator made it, directly or through someone they made.
        assert_eq!(
            may_approve(nominator, person(Some(3), &[1], "ａｄｍｉｎ－ｏｎｅ")),
            Err(ApprovalRefused::CreatedByNominator)
        );
        assert_eq!(
            may_approve(nominator, person(Some(4), &[3, 1], "admin‐one")),
            Err(ApprovalRefused::CreatedByNominator)
        );
        // The command line has no account: its holder counts.
        assert_eq!(
            may_approve(person(None, &[], "cli:demo"), person(None, &[], "cli:demo")),
            Err(ApprovalRefused::Nominator)
        );
        assert_eq!(
            may_approve(
                person(None, &[], "cli:demo"),
                person(None, &[], "cli:office")
            ),
            Ok(())
        );
    }

    #[test]
    fn a_failing_screening_needs_a_written_override() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("day");
        let passed = Screened {
            as_of: date,
            passed: true,
            failures: Vec::new(),
        };
        assert_eq!(
            approval(&passed, ReasonCode::MeetsCriteria, Some("ignored")),
            Ok(Approval {
                reason_code: ReasonCode::MeetsCriteria,
                override_reason: None
            })
        );
        let failed = Screened {
            passed: false,
            ..passed
        };
        assert!(matches!(
            approval(&failed, ReasonCode::MeetsCriteria, Some("  ")),
            Err(ApprovalRefused::ScreeningFailed(_))
        ));
        assert_eq!(
            approval(
                &failed,
                ReasonCode::MeetsCriteria,
                Some(" 经局务会研究同意 ")
            ),
            Ok(Approval {
                reason_code: ReasonCode::AdminOverride,
                override_reason: Some("经局务会研究同意".into())
            })
        );
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_lifecycle_table() {
        use EntryStatus as S;
        use Transition as T;
        assert_eq!(
            S::Nominated.allowed(),
            vec![T::Approve, T::Reject, T::Remove]
        );
        assert_eq!(
            S::Published.allowed(),
            vec![T::Suspend, T::Remove, T::Expire]
        );
        assert_eq!(S::Suspended.after(T::Reinstate), Some(S::Published));
        assert!(
            S::Rejected.allowed().is_empty()
                && S::Removed.allowed().is_empty()
                && S::Expired.allowed().is_empty()
        );
        assert_eq!(S::Nominated.after(T::Publish), None);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("test date")
    }

    fn subject() -> (Enterprise, Vec<Patent>) {
        use crate::*;
        let uscc = Uscc::parse("91110000600037341L").expect("valid");
        let e = Enterprise {
            uscc,
            name: Text::parse("新乡市某某机械有限公司", 2, 100).expect("valid"),
            former_names: Vec::new(),
            park: ParkCode::parse("xxhtz").expect("valid"),
            region: RegionCode::parse("410702").expect("valid"),
            industry: IndustryCode::parse("C35").expect("valid"),
            strategic_industry: None,
            founded_on: d(2020, 6, 1),
            size: SizeClass::Small,
            qualifications: vec![Qualification {
                kind: QualificationKind::TechSme,
                certificate_number: None,
                valid_until: Some(d(2026, 12, 31)),
            }],
            risk_flags: vec![],
            financing_need: None,
            contact: None,
            contact_consent: false,
        };
        let patent = |digits: &str, filed: NaiveDate, status: LegalStatus| Patent {
            application_number: PatentApplicationNumber::from_digits(digits).expect("valid"),
            title: Text::parse("一种装置", 1, 200).expect("valid"),
            owner: uscc,
            co_owners: vec![],
            co_owners_consent: None,
            filing_date: filed,
            grant_date: Some(filed + chrono::Days::new(600)),
            legal_status: status,
            annual_fee_paid_until: Some(d(2027, 1, 1)),
            pledges: Vec::new(),
            transferred_out_to: None,
            ipc_main: None,
            publication_number: None,
            high_value: HighValueFacts::default(),
            same_day_double_filing: false,
            appraisals: vec![],
        };
        let patents = vec![
            patent("201810000001", d(2018, 1, 1), LegalStatus::InForce),
            patent("201920000001", d(2019, 1, 1), LegalStatus::InForce),
            patent("201710000001", d(2017, 1, 1), LegalStatus::LapsedUnpaidFee),
        ];
        (e, patents)
    }

    #[test]
    fn screening_names_every_failing_criterion_with_need_and_have() {
        let (mut e, patents) = subject();
        let criteria = Criteria {
            min_valid_invention_patents: 2,
            min_valid_patents: 3,
            excluded_risk_flags: vec![RiskFlagKind::DishonestDebtor],
            any_of_qualifications: vec![
                QualificationKind::HighTech,
                QualificationKind::Specialized,
            ],
            min_years_in_operation: 8,
        };
        e.risk_flags.push(crate::RiskFlag {
            kind: RiskFlagKind::DishonestDebtor,
            recorded_on: d(2026, 1, 1),
        });
        let s = screen(&criteria, &e, &patents, d(2026, 11, 27));
        assert!(!s.passed);
        let got: Vec<(&str, &str, &str)> = s
            .failures
            .iter()
            .map(|f| (f.code.as_str(), f.need.as_str(), f.have.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("valid_invention_patents", "2", "1"),
                ("valid_patents", "3", "2"),
                ("risk_flag", "no dishonest_debtor", "dishonest_debtor"),
                ("qualification", "high_tech | specialized", "none valid"),
                ("years_in_operation", "8", "6"),
            ]
        );
        assert_eq!(s.reason_code(), ReasonCode::LostValidIp);
        assert!(s.summary().contains("需要2件有效发明专利，现有1件"));
        // The patent not counted is named, with why.
        assert_eq!(s.failures[0].not_counted.len(), 1);
        assert!(
            s.failures[0].not_counted[0].contains("201710000001")
                && s.failures[0].not_counted[0].contains("未缴年费"),
            "{:?}",
            s.failures[0].not_counted
        );
        assert!(s.summary().contains("未计入"), "{}", s.summary());
    }

    #[test]
    fn the_common_criteria_pass_a_clean_enterprise_until_its_patent_expires() {
        let (e, patents) = subject();
        assert!(screen(&Criteria::common(), &e, &patents, d(2026, 11, 27)).passed);
        let s = screen(&Criteria::common(), &e, &patents, d(2038, 1, 1));
        assert_eq!(s.failures[0].code, "valid_invention_patents");
        let flagged = Enterprise {
            risk_flags: vec![crate::RiskFlag {
                kind: RiskFlagKind::AbnormalOperation,
                recorded_on: d(2026, 1, 1),
            }],
            ..e
        };
        let s = screen(&Criteria::common(), &flagged, &patents, d(2026, 11, 27));
        assert_eq!(s.reason_code(), ReasonCode::RiskFlag);
    }

    proptest! {
        #[test]
        fn terminal_states_stay_terminal(path in proptest::collection::vec(0usize..7, 0..30)) {
            let mut s = EntryStatus::Nominated;
            let mut was_dead = false;
            for i in path {
                if let Some(next) = s.after(Transition::ALL[i]) {
                    prop_assert!(!was_dead, "{:?} left a terminal state", s);
                    prop_assert!(s.is_live());
                    s = next;
                }
                was_dead = !s.is_live();
            }
        }
    }
}
