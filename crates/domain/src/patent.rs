use crate::{
    DomainError, Money, PatentApplicationNumber, PatentKind, PublicationNumber, Text, Uscc,
    Violation, window,
};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

named_enum!(
    /// 法律状态: the legal status of a patent as the register shows it.
    LegalStatus {
        /// 审中: filed, not granted.
        Pending = "pending" / "审中",
        /// 授权/有效: granted and in force.
        InForce = "in_force" / "有效",
        /// 未缴年费终止: terminated because an annual fee was not paid.
        LapsedUnpaidFee = "lapsed_unpaid_fee" / "未缴年费终止",
        /// 期限届满: the term has run out.
        Expired = "expired" / "期限届满",
        /// 全部无效: invalidated.
        Invalidated = "invalidated" / "全部无效",
        /// 失效: the right (or the application) ended, its cause not given, as a patent
        /// database's simple legal status says it.
        Ended = "ended" / "失效",
        /// 无效宣告请求审查中: in force, with an invalidation request pending.
        InvalidationRequested = "invalidation_requested" / "无效宣告请求审查中",
        /// 中止/保全: proceedings suspended over an ownership dispute, or preserved by a court.
        Suspended = "suspended" / "中止或保全",
    }
);

impl LegalStatus {
    /// Whether the patent right exists in this status (granted and not terminated).
    pub fn is_granted_right(self) -> bool {
        matches!(
            self,
            Self::InForce | Self::InvalidationRequested | Self::Suspended
        )
    }
}

/// A patent's legal status on a day, as its facts give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerivedStatus {
    /// Nothing derived overrides the recorded status.
    Recorded(LegalStatus),
    /// In force, within the six months of grace after an unpaid annual fee: not pledgeable.
    FeeGrace {
        paid_until: NaiveDate,
        grace_ends: NaiveDate,
    },
    /// Ended for an annual fee unpaid past its grace.
    FeeLapsed {
        paid_until: NaiveDate,
        lapsed_on: NaiveDate,
    },
    /// The term has run out.
    TermEnded { expiry: NaiveDate },
}

impl DerivedStatus {
    /// The stable name: the recorded status's, or `annual_fee_grace`, `lapsed_unpaid_fee`,
    /// `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recorded(s) => s.as_str(),
            Self::FeeGrace { .. } => "annual_fee_grace",
            Self::FeeLapsed { .. } => LegalStatus::LapsedUnpaidFee.as_str(),
            Self::TermEnded { .. } => LegalStatus::Expired.as_str(),
        }
    }
}

/// 质押登记: a pledge registered with CNIPA, or one a ledger marks without its registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeRegistration {
    /// CNIPA's registration number of the pledge; `None` with `registered_on`: the source
    /// marks the IP pledged (台账标注已质押) without giving the registration.
    pub registration_number: Option<String>,
    /// The date the pledge was registered, when the source gives it.
    pub registered_on: Option<NaiveDate>,
    /// The date the pledge was released (注销), if it was.
    pub released_on: Option<NaiveDate>,
}

impl PledgeRegistration {
    /// A registered pledge.
    pub fn registered(number: String, on: NaiveDate, released_on: Option<NaiveDate>) -> Self {
        Self {
            registration_number: Some(number),
            registered_on: Some(on),
            released_on,
        }
    }

    /// Marked pledged by a ledger that gives neither the registration number nor its date.
    pub fn marked() -> Self {
        Self {
            registration_number: None,
            registered_on: None,
            released_on: None,
        }
    }

    /// Whether the registration is known (number and date), not only marked.
    pub fn is_registered(&self) -> bool {
        self.registration_number.is_some() && self.registered_on.is_some()
    }

    /// Whether the pledge is in force on `as_of`. A marked pledge is in force until it is
    /// released: the IP is kept out of every bundle, as a registered pledge keeps it.
    pub fn in_force(&self, as_of: NaiveDate) -> bool {
        self.registered_on.is_none_or(|on| on <= as_of)
            && self.released_on.is_none_or(|r| r > as_of)
    }

    /// A registration is given whole (number and date) or not at all (marked); its number has
    /// 1 to 64 characters; it is released after it was registered.
    pub fn violations(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        match (&self.registration_number, self.registered_on) {
            (Some(n), _) if n.trim().is_empty() || n.chars().count() > 64 => {
                v.push(Violation::new(
                    "pledge.registration_number",
                    DomainError::TextLength {
                        min: 1,
                        max: 64,
                        found: n.chars().count(),
                    },
                ));
            }
            (Some(_), None) => v.push(Violation::new(
                "pledge.registered_on",
                DomainError::Required {
                    field: "registered_on",
                },
            )),
            (None, Some(_)) => v.push(Violation::new(
                "pledge.registration_number",
                DomainError::Required {
                    field: "registration_number",
                },
            )),
            _ => {}
        }
        if let (Some(released), Some(on)) = (self.released_on, self.registered_on)
            && released < on
        {
            v.push(Violation::new(
                "pledge.released_on",
                DomainError::DateOrder {
                    earlier: "registered_on",
                    later: "released_on",
                },
            ));
        }
        v
    }

    /// The registration number as people read it.
    pub fn number_text(&self) -> String {
        self.registration_number.clone().unwrap_or_else(|| {
            "台账标注已质押，未注明登记号 / marked pledged, registration not given".into()
        })
    }
}

/// 评估: an appraisal by a licensed appraiser (GB/T 42748-2023).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    /// The appraised value.
    pub amount: Money,
    /// The date of the appraisal (评估基准日).
    pub appraised_on: NaiveDate,
    /// The last day the appraisal may be relied on.
    pub valid_until: NaiveDate,
    /// The appraiser (评估机构).
    pub appraiser: String,
}

impl Appraisal {
    /// What an appraisal recorded on `today` must satisfy: a named appraiser, a date not in
    /// the future, a validity that does not end before it begins.
    pub fn violations(&self, today: NaiveDate) -> Vec<Violation> {
        let mut v = Vec::new();
        v.extend(window::span(
            ("appraised_on", self.appraised_on),
            ("valid_until", self.valid_until),
            today,
        ));
        if self.amount.fen() <= 0 {
            v.push(Violation::new("amount", DomainError::MoneyRange));
        }
        if self.valid_until < self.appraised_on {
            v.push(Violation::new(
                "valid_until",
                DomainError::DateOrder {
                    earlier: "appraised_on",
                    later: "valid_until",
                },
            ));
        }
        if let Err(e) = Text::parse(&self.appraiser, 2, 100) {
            v.push(Violation::new("appraiser", e));
        }
        v
    }

    /// Whether the appraisal counts on `as_of`.
    pub fn is_valid(&self, as_of: NaiveDate) -> bool {
        self.appraised_on <= as_of && as_of <= self.valid_until
    }
}

named_enum!(
    /// An award that makes an invention patent high-value.
    PatentAward {
        /// 国家科学技术奖.
        StateScienceTechnology = "state_science_technology" / "国家科学技术奖",
        /// 中国专利奖 (gold, silver or excellence).
        ChinaPatentAward = "china_patent_award" / "中国专利奖",
    }
);

/// The facts behind CNIPA's definition of a high-value invention patent (高价值发明专利).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighValueFacts {
    /// Belongs to a strategic emerging industry (战略性新兴产业).
    pub strategic_emerging_industry: bool,
    /// Has a family member filed abroad (海外同族).
    pub overseas_family: bool,
    /// Has obtained a relatively high pledge-financing amount.
    pub high_pledge_financing: bool,
    /// A State Science and Technology Award or a China Patent Award.
    pub award: Option<PatentAward>,
}

named_enum!(
    /// Why a valid invention patent counts as high-value.
    HighValueGround {
        StrategicEmergingIndustry = "strategic_emerging_industry" / "战略性新兴产业",
        OverseasFamily = "overseas_family" / "有海外同族专利",
        MaintainedOverTenYears = "maintained_over_ten_years" / "维持年限超过10年",
        HighPledgeFinancing = "high_pledge_financing" / "实现较高质押融资金额",
        Award = "award" / "获得国家科学技术奖或中国专利奖",
    }
);

/// IPC 主分类号, e.g. `B23K 37/04` or just the subclass `B23K`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpcClass(String);

impl IpcClass {
    /// Parses a section (A–H), two-digit class, subclass letter and optional `group/subgroup`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s: String = crate::to_half_width(input).trim().to_uppercase();
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let b = compact.as_bytes();
        let head_ok = b.len() >= 4
            && (b'A'..=b'H').contains(&b[0])
            && b[1].is_ascii_digit()
            && b[2].is_ascii_digit()
            && b[3].is_ascii_uppercase();
        if !head_ok {
            return Err(DomainError::IpcClass);
        }
        let rest = &compact[4..];
        if rest.is_empty() {
            return Ok(Self(compact));
        }
        let Some((group, sub)) = rest.split_once('/') else {
            return Err(DomainError::IpcClass);
        };
        let digits = |x: &str, max: usize| {
            !x.is_empty() && x.len() <= max && x.bytes().all(|c| c.is_ascii_digit())
        };
        if !digits(group, 4) || !digits(sub, 6) {
            return Err(DomainError::IpcClass);
        }
        Ok(Self(format!("{} {group}/{sub}", &compact[..4])))
    }

    /// The class, e.g. `B23K 37/04`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IpcClass {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IpcClass> for String {
    fn from(value: IpcClass) -> Self {
        value.0
    }
}

/// A ground on which CNIPA would refuse to register a pledge of this patent
/// (《专利权质押登记办法》, 2021), with the figures behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PledgeObstacle {
    /// Ground 1: the pledgor is not the patentee of record.
    NotPatentee { patentee: String },
    /// Ground 2: the right was terminated or invalidated.
    Terminated { status: LegalStatus },
    /// Ground 2: the term ran out.
    Expired { expiry: NaiveDate },
    /// Ground 3: not granted yet.
    NotGranted,
    /// Ground 4: the annual fee is not paid for the current year.
    AnnualFeeUnpaid { paid_until: Option<NaiveDate> },
    /// Ground 5: suspended over an ownership dispute or preserved by a court.
    Suspended,
    /// Ground 6: the debt falls due after the patent expires.
    DebtDueAfterExpiry {
        loan_end: NaiveDate,
        expiry: NaiveDate,
    },
    /// Ground 8: co-owned, without the other owners' consent.
    /// `consent_known`: false when whether they consented is not known.
    CoOwnersWithoutConsent {
        co_owners: Vec<String>,
        consent_known: bool,
    },
    /// Ground 9: a pledge is already in force.
    AlreadyPledged { registration_number: String },
    /// Ground 10: a same-day invention/utility-model double filing.
    SameDayDoubleFiling,
    /// Ground 11: an invalidation request is pending.
    InvalidationPending,
}

impl PledgeObstacle {
    /// The number of the ground in 《专利权质押登记办法》 article 12's list, as domain.md counts it.
    pub fn ground(&self) -> u8 {
        match self {
            Self::NotPatentee { .. } => 1,
            Self::Terminated { .. } | Self::Expired { .. } => 2,
            Self::NotGranted => 3,
            Self::AnnualFeeUnpaid { .. } => 4,
            Self::Suspended => 5,
            Self::DebtDueAfterExpiry { .. } => 6,
            Self::CoOwnersWithoutConsent { .. } => 8,
            Self::AlreadyPledged { .. } => 9,
            Self::SameDayDoubleFiling => 10,
            Self::InvalidationPending => 11,
        }
    }

    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotPatentee { .. } => "not_patentee",
            Self::Terminated { .. } => "terminated",
            Self::Expired { .. } => "expired",
            Self::NotGranted => "not_granted",
            Self::AnnualFeeUnpaid { .. } => "annual_fee_unpaid",
            Self::Suspended => "suspended",
            Self::DebtDueAfterExpiry { .. } => "debt_due_after_expiry",
            Self::CoOwnersWithoutConsent { .. } => "co_owners_without_consent",
            Self::AlreadyPledged { .. } => "already_pledged",
            Self::SameDayDoubleFiling => "same_day_double_filing",
            Self::InvalidationPending => "invalidation_pending",
        }
    }

    /// The reason in Chinese, then English.
    pub fn message(&self) -> String {
        match self {
            Self::NotPatentee { patentee } => format!("出质人不是登记的专利权人（{patentee}） / the pledgor is not the patentee of record ({patentee})"),
            Self::Terminated { status } => format!("专利权已终止或被宣告无效（{}） / the right was terminated or invalidated ({})", status.label_zh(), status.as_str()),
            Self::Expired { expiry } => format!("专利权已于{expiry}期限届满 / the term ended on {expiry}"),
            Self::NotGranted => "专利申请尚未授权 / the application is not granted".into(),
            Self::AnnualFeeUnpaid { paid_until: Some(d) } => format!("年费仅缴至{d} / annual fees paid only until {d}"),
            Self::AnnualFeeUnpaid { paid_until: None } => "未缴纳年费 / no annual fee paid".into(),
            Self::Suspended => "因权属纠纷中止或被法院保全 / suspended over an ownership dispute or preserved by a court".into(),
            Self::DebtDueAfterExpiry { loan_end, expiry } => format!("债务履行期{loan_end}晚于专利权届满日{expiry} / the loan ends {loan_end}, after the patent expires {expiry}"),
            Self::CoOwnersWithoutConsent { co_owners, consent_known: true } => format!("共有专利未经其他共有人（{}）同意 / co-owned without the consent of {}", co_owners.join("、"), co_owners.join(", ")),
            Self::CoOwnersWithoutConsent { co_owners, consent_known: false } => format!("共有专利，其他共有人（{}）是否同意未知 / co-owned, and whether {} consented is not known", co_owners.join("、"), co_owners.join(", ")),
            Self::AlreadyPledged { registration_number } => format!("专利权已质押且质押有效（{registration_number}） / already pledged ({registration_number})"),
            Self::SameDayDoubleFiling => "同日申请发明和实用新型 / same-day invention and utility-model filing".into(),
            Self::InvalidationPending => "无效宣告请求审查中 / an invalidation request is pending".into(),
        }
    }
}

/// 专利: a patent (or application) with everything the pledge rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patent {
    pub application_number: PatentApplicationNumber,
    pub title: Text,
    /// The patentee of record (专利权人) among our enterprises; for a patent transferred out,
    /// the last of ours that held it.
    pub owner: Uscc,
    /// The patentee of record, by name, when the patent was transferred (专利权的转移) to
    /// someone who is none of our enterprises: it then counts for no enterprise of ours.
    pub transferred_out_to: Option<String>,
    /// Other patentees of a co-owned patent (共有人), by name.
    pub co_owners: Vec<String>,
    /// Whether every co-owner consented to pledging; `None`: not known (a pledge needs it).
    pub co_owners_consent: Option<bool>,
    pub filing_date: NaiveDate,
    pub grant_date: Option<NaiveDate>,
    pub legal_status: LegalStatus,
    /// The end of the last patent year whose annual fee is paid.
    pub annual_fee_paid_until: Option<NaiveDate>,
    /// Every pledge registered (or marked by a ledger), oldest first: its history, the one
    /// in force among them.
    pub pledges: Vec<PledgeRegistration>,
    pub ipc_main: Option<IpcClass>,
    pub publication_number: Option<PublicationNumber>,
    pub high_value: HighValueFacts,
    /// Filed on the same day as a utility model for the same invention (or vice versa).
    pub same_day_double_filing: bool,
    /// Every appraisal, oldest first.
    pub appraisals: Vec<Appraisal>,
}

/// Whole months from `from` until `until` (0 when `until` is not later).
pub fn whole_months(from: NaiveDate, until: NaiveDate) -> u32 {
    if from >= until {
        return 0;
    }
    let months = (until.year() - from.year()) as u32 * 12 + until.month() - from.month();
    // `from + months` lands in `until`'s month on day min(from.day, month length): past
    // `until` exactly when from's day is later and `until` is not its month's last day.
    let last_day = until.succ_opt().is_none_or(|next| next.day() == 1);
    if from.day() > until.day() && !last_day {
        months.saturating_sub(1)
    } else {
        months
    }
}

/// The day designs' term became 15 years (专利法 2020 amendment in force).
fn design_fifteen_years_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, 1).unwrap_or(NaiveDate::MIN)
}

impl Patent {
    /// The kind, from the application number.
    pub fn kind(&self) -> PatentKind {
        self.application_number.kind()
    }

    /// Years of protection counted from the filing date.
    pub fn term_years(&self) -> u32 {
        match self.kind() {
            PatentKind::Invention | PatentKind::PctInvention => 20,
            PatentKind::UtilityModel | PatentKind::PctUtilityModel => 10,
            PatentKind::Design if self.filing_date >= design_fifteen_years_from() => 15,
            PatentKind::Design => 10,
        }
    }

    /// The day the term ends: the anniversary of the filing date after the term; the right
    /// protects up to the day before. A 29 February filing expires on 28 February.
    pub fn expiry(&self) -> NaiveDate {
        self.filing_date
            .checked_add_months(Months::new(self.term_years() * 12))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Whole days of protection left on `as_of` (0 once expired).
    pub fn remaining_days(&self, as_of: NaiveDate) -> i64 {
        (self.expiry() - as_of).num_days().max(0)
    }

    /// Whole months of protection left on `as_of` (0 once expired).
    pub fn remaining_months(&self, as_of: NaiveDate) -> u32 {
        whole_months(as_of, self.expiry())
    }

    /// The legal status on `as_of` as the facts give it: the term ends on its own, and a fee
    /// left unpaid past the six months of grace (滞纳期) ends the right on the last day of
    /// grace. Where the recorded status says more (pending, invalidated, terminated) it stands;
    /// where the two disagree, the stricter counts. An unknown fee date derives nothing.
    pub fn status_on(&self, as_of: NaiveDate) -> DerivedStatus {
        let expiry = self.expiry();
        if !self.legal_status.is_granted_right() {
            return DerivedStatus::Recorded(self.legal_status);
        }
        if as_of >= expiry {
            return DerivedStatus::TermEnded { expiry };
        }
        match self.annual_fee_paid_until {
            Some(paid_until) if paid_until < as_of => {
                let grace_ends = paid_until
                    .checked_add_months(Months::new(6))
                    .unwrap_or(NaiveDate::MAX);
                if as_of <= grace_ends {
                    DerivedStatus::FeeGrace {
                        paid_until,
                        grace_ends,
                    }
                } else {
                    DerivedStatus::FeeLapsed {
                        paid_until,
                        lapsed_on: grace_ends,
                    }
                }
            }
            _ => DerivedStatus::Recorded(self.legal_status),
        }
    }

    /// Where the recorded status says the right is in force but the facts say it ended, what
    /// to tell the official.
    pub fn status_disagreement(&self, as_of: NaiveDate) -> Option<String> {
        let number = self.application_number;
        match self.status_on(as_of) {
            DerivedStatus::TermEnded { expiry } => Some(format!(
                "专利{number}登记为{}，但保护期已于{expiry}届满 / patent {number} is recorded {} but its term ended on {expiry}",
                self.legal_status.label_zh(),
                self.legal_status.as_str()
            )),
            DerivedStatus::FeeLapsed {
                paid_until,
                lapsed_on,
            } => Some(format!(
                "专利{number}登记为{}，但年费仅缴至{paid_until}，滞纳期已于{lapsed_on}届满，专利权应已终止 / patent {number} is recorded {} but its fees were paid to {paid_until} and the grace ended on {lapsed_on}",
                self.legal_status.label_zh(),
                self.legal_status.as_str()
            )),
            _ => None,
        }
    }

    /// Why this is not a valid patent on `as_of`, in words (Chinese / English); `None` when it
    /// is one.
    pub fn not_valid_because(&self, as_of: NaiveDate) -> Option<String> {
        if self.is_valid(as_of) {
            return None;
        }
        let n = self.application_number;
        Some(match self.status_on(as_of) {
            DerivedStatus::TermEnded { expiry } => {
                format!("{n}保护期已于{expiry}届满 / {n}: the term ended on {expiry}")
            }
            DerivedStatus::FeeLapsed {
                paid_until,
                lapsed_on,
            } => format!(
                "{n}年费仅缴至{paid_until}，滞纳期已于{lapsed_on}届满 / {n}: fees paid to {paid_until}, the grace ended on {lapsed_on}"
            ),
            DerivedStatus::Recorded(s) if !s.is_granted_right() => {
                format!("{n}法律状态为{} / {n}: {}", s.label_zh(), s.as_str())
            }
            _ => format!("{n}尚未授权 / {n}: not granted"),
        })
    }

    /// 有效专利: granted on or before `as_of`, and neither recorded nor derived as ended
    /// (terminated, invalidated, expired, or lapsed for an unpaid fee past its grace).
    pub fn is_valid(&self, as_of: NaiveDate) -> bool {
        self.grant_date.is_some_and(|g| g <= as_of)
            && match self.status_on(as_of) {
                DerivedStatus::Recorded(s) => s.is_granted_right(),
                DerivedStatus::FeeGrace { .. } => true,
                DerivedStatus::TermEnded { .. } | DerivedStatus::FeeLapsed { .. } => false,
            }
    }

    /// The grounds on which this is a high-value invention patent on `as_of`; empty when it
    /// is not one (CNIPA: a valid invention patent meeting at least one ground).
    pub fn high_value_grounds(&self, as_of: NaiveDate) -> Vec<HighValueGround> {
        if !self.kind().is_invention() || !self.is_valid(as_of) {
            return Vec::new();
        }
        let ten_years = self
            .filing_date
            .checked_add_months(Months::new(120))
            .unwrap_or(NaiveDate::MAX);
        let facts = &self.high_value;
        [
            (
                facts.strategic_emerging_industry,
                HighValueGround::StrategicEmergingIndustry,
            ),
            (facts.overseas_family, HighValueGround::OverseasFamily),
            (as_of > ten_years, HighValueGround::MaintainedOverTenYears),
            (
                facts.high_pledge_financing,
                HighValueGround::HighPledgeFinancing,
            ),
            (facts.award.is_some(), HighValueGround::Award),
        ]
        .into_iter()
        .filter_map(|(holds, ground)| holds.then_some(ground))
        .collect()
    }

    /// Whether this is a high-value invention patent on `as_of`.
    pub fn is_high_value(&self, as_of: NaiveDate) -> bool {
        !self.high_value_grounds(as_of).is_empty()
    }

    /// The most recent appraisal that counts on `as_of`.
    pub fn valid_appraisal(&self, as_of: NaiveDate) -> Option<&Appraisal> {
        self.appraisals
            .iter()
            .filter(|a| a.is_valid(as_of))
            .max_by_key(|a| a.appraised_on)
    }

    /// Whether `enterprise` holds it: its owner of record, not transferred out.
    pub fn is_held_by(&self, enterprise: &Uscc) -> bool {
        self.transferred_out_to.is_none() && &self.owner == enterprise
    }

    /// The pledge in force on `as_of`, if one is.
    pub fn pledge_in_force(&self, as_of: NaiveDate) -> Option<&PledgeRegistration> {
        self.pledges.iter().rev().find(|p| p.in_force(as_of))
    }

    /// The latest pledge, in force or released.
    pub fn latest_pledge(&self) -> Option<&PledgeRegistration> {
        self.pledges.last()
    }

    /// Whether a pledge is in force on `as_of`.
    pub fn is_pledged(&self, as_of: NaiveDate) -> bool {
        self.pledge_in_force(as_of).is_some()
    }

    /// Whether it was ever pledged (a product may want IP never pledged before).
    pub fn ever_pledged(&self) -> bool {
        !self.pledges.is_empty()
    }

    /// Records `pledge` in the history: a registration already there (by its number) is
    /// replaced (its release, say); a registration takes the place of a pledge marked without
    /// one that is still open; a marked pledge beside one in force adds nothing.
    pub fn record_pledge(&mut self, pledge: PledgeRegistration) {
        let open_marked = |p: &PledgeRegistration| !p.is_registered() && p.released_on.is_none();
        let at = match &pledge.registration_number {
            Some(n) => self
                .pledges
                .iter()
                .position(|p| p.registration_number.as_ref() == Some(n))
                .or_else(|| self.pledges.iter().rposition(open_marked)),
            None if self.pledges.iter().any(|p| p.released_on.is_none()) => return,
            None => None,
        };
        match at.and_then(|i| self.pledges.get_mut(i)) {
            Some(p) => *p = pledge,
            None => self.pledges.push(pledge),
        }
    }

    /// Every ground on which a pledge by `pledgor`, registered on `as_of` for a loan ending on
    /// `loan_end`, would be refused. Empty: the patent can be pledged. Grounds 7 (the contract)
    /// and 12 (other conditions) are not in the data and are not judged here.
    pub fn pledge_obstacles(
        &self,
        pledgor: &Uscc,
        as_of: NaiveDate,
        loan_end: NaiveDate,
    ) -> Vec<PledgeObstacle> {
        let mut out = Vec::new();
        if let Some(name) = &self.transferred_out_to {
            out.push(PledgeObstacle::NotPatentee {
                patentee: name.clone(),
            });
        } else if &self.owner != pledgor {
            out.push(PledgeObstacle::NotPatentee {
                patentee: self.owner.to_string(),
            });
        }
        let expiry = self.expiry();
        match self.legal_status {
            LegalStatus::LapsedUnpaidFee | LegalStatus::Invalidated | LegalStatus::Ended => {
                out.push(PledgeObstacle::Terminated {
                    status: self.legal_status,
                });
            }
            LegalStatus::Expired => out.push(PledgeObstacle::Expired { expiry }),
            LegalStatus::Pending => out.push(PledgeObstacle::NotGranted),
            LegalStatus::InForce | LegalStatus::InvalidationRequested | LegalStatus::Suspended => {
                if self.grant_date.is_none_or(|g| g > as_of) {
                    out.push(PledgeObstacle::NotGranted);
                } else if as_of >= expiry {
                    out.push(PledgeObstacle::Expired { expiry });
                }
            }
        }
        if self.legal_status.is_granted_right()
            && self.annual_fee_paid_until.is_none_or(|d| d < as_of)
        {
            out.push(PledgeObstacle::AnnualFeeUnpaid {
                paid_until: self.annual_fee_paid_until,
            });
        }
        if self.legal_status == LegalStatus::Suspended {
            out.push(PledgeObstacle::Suspended);
        }
        if loan_end >= expiry {
            out.push(PledgeObstacle::DebtDueAfterExpiry { loan_end, expiry });
        }
        if !self.co_owners.is_empty() && self.co_owners_consent != Some(true) {
            out.push(PledgeObstacle::CoOwnersWithoutConsent {
                co_owners: self.co_owners.clone(),
                consent_known: self.co_owners_consent.is_some(),
            });
        }
        if let Some(p) = self.pledge_in_force(as_of) {
            out.push(PledgeObstacle::AlreadyPledged {
                registration_number: p.number_text(),
            });
        }
        if self.same_day_double_filing {
            out.push(PledgeObstacle::SameDayDoubleFiling);
        }
        if self.legal_status == LegalStatus::InvalidationRequested {
            out.push(PledgeObstacle::InvalidationPending);
        }
        out
    }

    /// Checks the facts against each other and against `today`; every inconsistency is
    /// returned with its field.
    pub fn violations(&self, today: NaiveDate) -> Vec<Violation> {
        let mut v = Vec::new();
        v.extend(Violation::if_future(
            "filing_date",
            Some(self.filing_date),
            today,
        ));
        v.extend(Violation::if_future("grant_date", self.grant_date, today));
        v.extend(Violation::if_before(
            "filing_date",
            Some(self.filing_date),
            window::earliest_filing(),
            today,
        ));
        v.extend(Violation::if_outside(
            "annual_fee_paid_until",
            self.annual_fee_paid_until,
            window::earliest_filing(),
            window::latest_validity(today),
        ));
        if self.co_owners.len() > window::MAX_LIST_ITEMS {
            v.push(Violation::new(
                "co_owners",
                DomainError::TooMany {
                    max: window::MAX_LIST_ITEMS,
                },
            ));
        } else {
            for (i, c) in self.co_owners.iter().enumerate() {
                if let Err(e) = Text::parse(c, 2, 100) {
                    v.push(Violation::new(format!("co_owners[{i}]"), e));
                }
            }
        }
        if let Some(Err(e)) = self
            .transferred_out_to
            .as_ref()
            .map(|n| Text::parse(n, 2, 100))
        {
            v.push(Violation::new("transferred_out_to", e));
        }
        if self.pledges.len() > window::MAX_LIST_ITEMS {
            v.push(Violation::new(
                "pledges",
                DomainError::TooMany {
                    max: window::MAX_LIST_ITEMS,
                },
            ));
        }
        for (i, p) in self.pledges.iter().enumerate() {
            let mut of_pledge =
                Violation::if_future("pledge.registered_on", p.registered_on, today)
                    .into_iter()
                    .chain(Violation::if_future(
                        "pledge.released_on",
                        p.released_on,
                        today,
                    ))
                    .chain(p.violations())
                    .collect::<Vec<_>>();
            for x in &mut of_pledge {
                x.field = x.field.replacen("pledge.", &format!("pledges[{i}]."), 1);
            }
            v.extend(of_pledge);
        }
        let year = self.application_number.filing_year();
        if self.filing_date.year() != year {
            v.push(Violation::new(
                "filing_date",
                DomainError::FilingYearMismatch { expected: year },
            ));
        }
        match (self.legal_status, self.grant_date) {
            (LegalStatus::Pending, Some(_)) => v.push(Violation::new(
                "grant_date",
                DomainError::NotAllowed {
                    field: "grant_date",
                },
            )),
            // A right in force is valid from its grant; one that ended may come without the
            // date (a database's 失效 row), which then stays unknown.
            (status, None) if status.is_granted_right() => {
                v.push(Violation::new(
                    "grant_date",
                    DomainError::Required {
                        field: "grant_date",
                    },
                ));
            }
            (_, Some(g)) if g < self.filing_date => {
                v.push(Violation::new(
                    "grant_date",
                    DomainError::DateOrder {
                        earlier: "filing_date",
                        later: "grant_date",
                    },
                ));
            }
            _ => {}
        }
        for (i, a) in self.appraisals.iter().enumerate() {
            v.extend(a.violations(today).into_iter().map(|x| Violation {
                field: format!("appraisals[{i}].{}", x.field),
                ..x
            }));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn whole_months_is_the_most_months_that_fit(a in 0i64..30_000, b in 0i64..30_000) {
            let base = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default();
            let (from, until) = (base + chrono::Days::new(a as u64), base + chrono::Days::new(b as u64));
            let m = whole_months(from, until);
            if from < until {
                prop_assert!(from.checked_add_months(Months::new(m)).is_some_and(|d| d <= until));
                prop_assert!(from.checked_add_months(Months::new(m + 1)).is_none_or(|d| d > until));
            } else {
                prop_assert_eq!(m, 0);
            }
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("test date")
    }

    fn owner() -> Uscc {
        Uscc::parse("91110000600037341L").expect("valid")
    }

    fn patent(number: &str, filed: NaiveDate) -> Patent {
        Patent {
            application_number: PatentApplicationNumber::parse(number).expect("valid"),
            title: Text::parse("一种数控机床主轴冷却装置", 1, 200).expect("valid"),
            owner: owner(),
            co_owners: vec![],
            co_owners_consent: None,
            filing_date: filed,
            grant_date: Some(filed + chrono::Days::new(700)),
            legal_status: LegalStatus::InForce,
            annual_fee_paid_until: Some(d(2030, 1, 1)),
            pledges: Vec::new(),
            transferred_out_to: None,
            ipc_main: None,
            publication_number: None,
            high_value: HighValueFacts::default(),
            same_day_double_filing: false,
            appraisals: vec![],
        }
    }

    fn number(year: i32, kind: char) -> String {
        PatentApplicationNumber::from_digits(&format!("{year}{kind}0601862"))
            .expect("valid")
            .to_string()
    }

    #[test]
    fn terms_follow_the_patent_law() {
        assert_eq!(
            patent(&number(2017, '1'), d(2017, 3, 5)).expiry(),
            d(2037, 3, 5)
        );
        assert_eq!(
            patent(&number(2017, '2'), d(2017, 3, 5)).expiry(),
            d(2027, 3, 5)
        );
        assert_eq!(
            patent(&number(2021, '3'), d(2021, 5, 31)).expiry(),
            d(2031, 5, 31)
        );
        assert_eq!(
            patent(&number(2021, '3'), d(2021, 6, 1)).expiry(),
            d(2036, 6, 1)
        );
        assert_eq!(
            patent(&number(2020, '8'), d(2020, 2, 29)).expiry(),
            d(2040, 2, 29)
        );
        assert_eq!(
            patent(&number(2020, '9'), d(2020, 2, 29)).expiry(),
            d(2030, 2, 28)
        );
    }

    #[test]
    fn remaining_term_counts_down_to_zero() {
        let p = patent(&number(2017, '2'), d(2017, 3, 5));
        assert_eq!(p.remaining_months(d(2026, 3, 5)), 12);
        assert_eq!(p.remaining_months(d(2026, 3, 6)), 11);
        assert_eq!(p.remaining_days(d(2027, 3, 4)), 1);
        assert_eq!(p.remaining_days(d(2027, 3, 5)), 0);
        assert!(p.is_valid(d(2027, 3, 4)));
        assert!(!p.is_valid(d(2027, 3, 5)));
    }

    #[test]
    fn a_clean_patent_can_be_pledged_until_its_expiry() {
        let p = patent(&number(2017, '1'), d(2017, 3, 5));
        assert!(
            p.pledge_obstacles(&owner(), d(2026, 11, 27), d(2029, 11, 27))
                .is_empty()
        );
        let late = p.pledge_obstacles(&owner(), d(2026, 11, 27), d(2037, 3, 5));
        assert_eq!(
            late,
            vec![PledgeObstacle::DebtDueAfterExpiry {
                loan_end: d(2037, 3, 5),
                expiry: d(2037, 3, 5)
            }]
        );
        assert_eq!(late[0].ground(), 6);
    }

    #[test]
    fn every_ground_the_data_expresses_is_reported() {
        let as_of = d(2026, 11, 27);
        let end = d(2027, 11, 27);
        let mut p = patent(&number(2017, '1'), d(2017, 3, 5));
        p.legal_status = LegalStatus::Suspended;
        p.annual_fee_paid_until = Some(d(2026, 3, 4));
        p.co_owners = vec!["新乡市某某大学".into()];
        p.pledges = vec![PledgeRegistration::registered(
            "Y2025410000123".into(),
            d(2025, 1, 1),
            None,
        )];
        p.same_day_double_filing = true;
        let other = Uscc::from_body("91410700MA3X00001").expect("valid");
        let grounds: Vec<u8> = p
            .pledge_obstacles(&other, as_of, end)
            .iter()
            .map(PledgeObstacle::ground)
            .collect();
        assert_eq!(grounds, vec![1, 4, 5, 8, 9, 10]);

        p.legal_status = LegalStatus::InvalidationRequested;
        assert!(
            p.pledge_obstacles(&owner(), as_of, end)
                .contains(&PledgeObstacle::InvalidationPending)
        );
        p.legal_status = LegalStatus::Invalidated;
        assert!(
            p.pledge_obstacles(&owner(), as_of, end)
                .contains(&PledgeObstacle::Terminated {
                    status: LegalStatus::Invalidated
                })
        );
        p.legal_status = LegalStatus::Pending;
        p.grant_date = None;
        assert!(
            p.pledge_obstacles(&owner(), as_of, end)
                .contains(&PledgeObstacle::NotGranted)
        );
    }

    #[test]
    fn the_facts_end_a_right_the_record_still_calls_in_force() {
        // A utility model filed 2014-03-05 is recorded 有效 in 2026: its 10 years ended.
        let mut um = patent(&number(2014, '2'), d(2014, 3, 5));
        um.annual_fee_paid_until = Some(d(2027, 3, 4));
        assert_eq!(
            um.status_on(d(2026, 12, 1)),
            DerivedStatus::TermEnded {
                expiry: d(2024, 3, 5)
            }
        );
        assert!(!um.is_valid(d(2026, 12, 1)));
        assert!(
            um.status_disagreement(d(2026, 12, 1))
                .is_some_and(|m| m.contains("2024-03-05"))
        );
        // Fees paid to 2026-09-04: in grace until 2027-03-04, then lapsed.
        let mut inv = patent(&number(2017, '1'), d(2017, 3, 5));
        inv.annual_fee_paid_until = Some(d(2026, 9, 4));
        let grace = inv.status_on(d(2026, 12, 1));
        assert!(matches!(grace, DerivedStatus::FeeGrace { .. }), "{grace:?}");
        assert!(inv.is_valid(d(2026, 12, 1)), "in force during grace");
        assert!(inv.status_disagreement(d(2026, 12, 1)).is_none());
        assert!(
            inv.pledge_obstacles(&inv.owner.clone(), d(2026, 12, 1), d(2027, 12, 1))
                .iter()
                .any(|o| o.code() == "annual_fee_unpaid"),
            "but not pledgeable"
        );
        assert_eq!(
            inv.status_on(d(2027, 3, 5)),
            DerivedStatus::FeeLapsed {
                paid_until: d(2026, 9, 4),
                lapsed_on: d(2027, 3, 4)
            }
        );
        assert!(!inv.is_valid(d(2027, 3, 5)));
        // Nothing is derived from a fee date nobody gave.
        inv.annual_fee_paid_until = None;
        assert_eq!(
            inv.status_on(d(2027, 3, 5)),
            DerivedStatus::Recorded(LegalStatus::InForce)
        );
    }

    #[test]
    fn a_released_pledge_no_longer_blocks() {
        let mut p = patent(&number(2017, '1'), d(2017, 3, 5));
        p.pledges = vec![PledgeRegistration::registered(
            "Y1".into(),
            d(2024, 1, 1),
            Some(d(2026, 1, 1)),
        )];
        assert!(p.is_pledged(d(2025, 12, 31)));
        assert!(!p.is_pledged(d(2026, 1, 1)));
        // A history: the release recorded on the same pledge, a later pledge beside it, a
        // ledger's 已质押 beside that one adding nothing.
        p.record_pledge(PledgeRegistration::registered(
            "Y2".into(),
            d(2026, 3, 1),
            None,
        ));
        p.record_pledge(PledgeRegistration::marked());
        assert_eq!(p.pledges.len(), 2);
        assert!(p.is_pledged(d(2026, 6, 1)));
        p.record_pledge(PledgeRegistration::registered(
            "Y2".into(),
            d(2026, 3, 1),
            Some(d(2026, 5, 1)),
        ));
        assert_eq!(p.pledges.len(), 2);
        assert!(!p.is_pledged(d(2026, 6, 1)));
        assert!(p.ever_pledged());
        // Marked once the pledges are released; then its registration takes its place.
        p.record_pledge(PledgeRegistration::marked());
        assert!(p.is_pledged(d(2026, 6, 1)));
        p.record_pledge(PledgeRegistration::registered(
            "Y3".into(),
            d(2026, 5, 20),
            None,
        ));
        assert_eq!(p.pledges.len(), 3);
        assert_eq!(
            p.latest_pledge()
                .and_then(|x| x.registration_number.as_deref()),
            Some("Y3")
        );
        assert!(
            p.pledge_obstacles(&owner(), d(2026, 1, 1), d(2027, 1, 1))
                .is_empty()
        );
    }

    #[test]
    fn high_value_needs_a_valid_invention_and_a_ground() {
        let as_of = d(2026, 11, 27);
        let mut p = patent(&number(2017, '1'), d(2017, 3, 5));
        assert!(!p.is_high_value(as_of));
        p.high_value.overseas_family = true;
        assert_eq!(
            p.high_value_grounds(as_of),
            vec![HighValueGround::OverseasFamily]
        );
        let old = patent(&number(2015, '1'), d(2015, 3, 5));
        assert_eq!(
            old.high_value_grounds(as_of),
            vec![HighValueGround::MaintainedOverTenYears]
        );
        let mut um = patent(&number(2020, '2'), d(2020, 3, 5));
        um.high_value.overseas_family = true;
        assert!(!um.is_high_value(as_of));
        p.legal_status = LegalStatus::LapsedUnpaidFee;
        assert!(!p.is_high_value(as_of));
    }

    #[test]
    fn the_latest_valid_appraisal_counts() {
        let mut p = patent(&number(2017, '1'), d(2017, 3, 5));
        let a = |amount: i64, on: NaiveDate, until: NaiveDate| Appraisal {
            amount: Money::from_yuan(amount).expect("valid"),
            appraised_on: on,
            valid_until: until,
            appraiser: "河南某评估公司".into(),
        };
        p.appraisals = vec![
            a(100, d(2025, 1, 1), d(2026, 12, 31)),
            a(200, d(2026, 1, 1), d(2026, 6, 30)),
        ];
        assert_eq!(
            p.valid_appraisal(d(2026, 3, 1)).map(|a| a.amount.fen()),
            Some(20_000)
        );
        assert_eq!(
            p.valid_appraisal(d(2026, 7, 1)).map(|a| a.amount.fen()),
            Some(10_000)
        );
        assert_eq!(p.valid_appraisal(d(2027, 1, 1)), None);
    }

    #[test]
    fn inconsistent_facts_are_named() {
        let mut p = patent(&number(2017, '1'), d(2018, 3, 5));
        p.grant_date = Some(d(2018, 1, 1));
        let fields: Vec<String> = p
            .violations(NaiveDate::MAX)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, vec!["filing_date", "grant_date"]);
        p.filing_date = d(2017, 3, 5);
        p.legal_status = LegalStatus::Pending;
        assert_eq!(p.violations(NaiveDate::MAX).len(), 1);
        p.grant_date = None;
        assert!(p.violations(NaiveDate::MAX).is_empty());
    }

    #[test]
    fn ipc_classes() {
        assert_eq!(
            IpcClass::parse("b23k37/04").map(|c| c.as_str().to_owned()),
            Ok("B23K 37/04".into())
        );
        assert_eq!(
            IpcClass::parse("H01M").map(|c| c.as_str().to_owned()),
            Ok("H01M".into())
        );
        assert!(IpcClass::parse("Z01M").is_err());
        assert!(IpcClass::parse("H01M 10").is_err());
    }

    proptest! {
        #[test]
        fn pledgeable_means_valid_and_ending_before_expiry(
            kind in prop::sample::select(vec!['1', '2', '3']),
            filed_days in 0i64..9000,
            as_of_days in 0i64..12000,
            term_days in 1i64..1500,
            status in prop::sample::select(LegalStatus::ALL.to_vec()),
        ) {
            let filed = d(2003, 10, 1) + chrono::Days::new(filed_days as u64);
            let mut p = patent(&number(filed.year(), kind), filed);
            p.legal_status = status;
            if status == LegalStatus::Pending { p.grant_date = None; }
            let as_of = filed + chrono::Days::new(as_of_days as u64);
            p.annual_fee_paid_until = Some(as_of);
            let loan_end = as_of + chrono::Days::new(term_days as u64);
            let obstacles = p.pledge_obstacles(&owner(), as_of, loan_end);
            let expect_ok = p.is_valid(as_of) && loan_end < p.expiry() && status == LegalStatus::InForce;
            prop_assert_eq!(obstacles.is_empty(), expect_ok, "{:?}", obstacles);
            prop_assert!(p.remaining_days(as_of) >= 0);
            prop_assert_eq!(p.is_valid(as_of), p.remaining_days(as_of) > 0 && status.is_granted_right() && p.grant_date.is_some_and(|g| g <= as_of));
        }
    }
}
