use crate::{
    DomainError, IndustryCode, Money, ParkCode, RegionCode, Text, Uscc, Violation, window,
};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

named_enum!(
    /// 资质: a recognition an enterprise holds for a limited time.
    QualificationKind {
        /// 高新技术企业.
        HighTech = "high_tech" / "高新技术企业",
        /// 专精特新中小企业.
        Specialized = "specialized" / "专精特新中小企业",
        /// 专精特新"小巨人".
        LittleGiant = "little_giant" / "专精特新“小巨人”企业",
        /// 科技型中小企业.
        TechSme = "tech_sme" / "科技型中小企业",
        /// 国家知识产权优势企业.
        NationalIpAdvantage = "national_ip_advantage" / "国家知识产权优势企业",
        /// 国家知识产权示范企业.
        NationalIpDemonstration = "national_ip_demonstration" / "国家知识产权示范企业",
        /// 省知识产权优势企业.
        ProvincialIpAdvantage = "provincial_ip_advantage" / "省知识产权优势企业",
        /// GB/T 29490 知识产权管理体系认证.
        IpManagementCertified = "ip_management_certified" / "知识产权管理体系认证",
    }
);

named_enum!(
    /// 风险标记: a record that excludes an enterprise from most products.
    RiskFlagKind {
        /// 失信被执行人.
        DishonestDebtor = "dishonest_debtor" / "失信被执行人",
        /// 经营异常名录.
        AbnormalOperation = "abnormal_operation" / "经营异常",
        /// 严重违法失信.
        SeriousViolation = "serious_violation" / "严重违法失信",
        /// 非正常专利申请.
        AbnormalPatentFiling = "abnormal_patent_filing" / "非正常专利申请",
    }
);

named_enum!(
    /// 企业规模: size class under 《中小企业划型标准规定》.
    SizeClass {
        Micro = "micro" / "微型",
        Small = "small" / "小型",
        Medium = "medium" / "中型",
        Large = "large" / "大型",
    }
);

named_enum!(
    /// 战略性新兴产业: the nine areas.
    StrategicIndustry {
        NextGenIt = "next_gen_it" / "新一代信息技术",
        HighEndEquipment = "high_end_equipment" / "高端装备制造",
        NewMaterials = "new_materials" / "新材料",
        Biotech = "biotech" / "生物",
        NewEnergyVehicles = "new_energy_vehicles" / "新能源汽车",
        NewEnergy = "new_energy" / "新能源",
        EnergySaving = "energy_saving" / "节能环保",
        DigitalCreative = "digital_creative" / "数字创意",
        RelatedServices = "related_services" / "相关服务业",
    }
);

/// A qualification held until a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    pub kind: QualificationKind,
    /// Certificate number, where there is one.
    pub certificate_number: Option<String>,
    /// The last day the qualification holds; `None`: the source did not say. A qualification
    /// whose end is unknown is not counted as held (screening and matching count only what is
    /// known to hold on the day), and the import says so.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

impl Qualification {
    /// Whether it is known to hold on `as_of`.
    pub fn holds_on(&self, as_of: NaiveDate) -> bool {
        self.valid_until.is_some_and(|until| as_of <= until)
    }
}

/// A risk flag, since the day it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFlag {
    pub kind: RiskFlagKind,
    pub recorded_on: NaiveDate,
}

/// The financing an enterprise says it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancingNeed {
    pub amount: Money,
    pub term_months: u16,
}

/// 联系人: personal data, shown only where access is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Contact {
    /// The contact as a caller who may not see it in full sees it: the name's first
    /// character and stars (`张**`), the phone's first three and last four digits
    /// (`138****5678`), no e-mail.
    pub fn masked(&self) -> Self {
        Self {
            name: masked_name(&self.name),
            phone: self.phone.as_deref().map(masked_phone),
            email: None,
        }
    }
}

/// A name a caller may not see in full: its first character and stars (`张**`).
pub fn masked_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |c| format!("{c}**"))
}

/// A phone number a caller may not see in full: its first three and last four digits
/// (`****` when it has fewer than seven).
pub fn masked_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return "****".into();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// 企业: an enterprise of a park, with what the white list and the products ask about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enterprise {
    pub uscc: Uscc,
    pub name: Text,
    /// 曾用名: the names it carried before, as patent data still names it (the gazette names
    /// parties by name, and a patent filed before a rename carries the old one).
    pub former_names: Vec<String>,
    pub park: ParkCode,
    pub region: RegionCode,
    pub industry: IndustryCode,
    pub strategic_industry: Option<StrategicIndustry>,
    pub founded_on: NaiveDate,
    pub size: SizeClass,
    pub qualifications: Vec<Qualification>,
    pub risk_flags: Vec<RiskFlag>,
    pub financing_need: Option<FinancingNeed>,
    pub contact: Option<Contact>,
    /// Whether the enterprise consented to banks seeing its contact.
    pub contact_consent: bool,
}

/// An enterprise with the IP it holds and whether it is on the published white list: what the
/// matching engine needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub enterprise: Enterprise,
    /// The last day it is on the published white list: the latest end among the published
    /// batches that list it (none: not on a published list). Past that day it is no longer
    /// listed, whether or not a re-screening has recorded the batch's end yet.
    pub listed_until: Option<NaiveDate>,
    /// The patents it holds as patentee of record.
    pub patents: Vec<crate::Patent>,
    /// The trademarks it holds as registrant.
    pub trademarks: Vec<crate::Trademark>,
}

impl Holding {
    /// Whether it is on the published white list on `as_of`.
    pub fn listed_on(&self, as_of: NaiveDate) -> bool {
        self.listed_until.is_some_and(|until| as_of <= until)
    }
}

impl Enterprise {
    /// Whether a qualification of `kind` holds on `as_of`.
    pub fn has_qualification(&self, kind: QualificationKind, as_of: NaiveDate) -> bool {
        self.qualifications
            .iter()
            .any(|q| q.kind == kind && q.holds_on(as_of))
    }

    /// Whether a risk flag of `kind` was recorded on or before `as_of`.
    pub fn has_risk_flag(&self, kind: RiskFlagKind, as_of: NaiveDate) -> bool {
        self.risk_flags
            .iter()
            .any(|f| f.kind == kind && f.recorded_on <= as_of)
    }

    /// Full years since founding on `as_of` (0 before the first anniversary or before founding).
    pub fn years_in_operation(&self, as_of: NaiveDate) -> u32 {
        if as_of < self.founded_on {
            return 0;
        }
        let mut years = as_of.year() - self.founded_on.year();
        if (as_of.month(), as_of.day()) < (self.founded_on.month(), self.founded_on.day()) {
            years -= 1;
        }
        years.max(0) as u32
    }

    /// Checks the facts against each other and against `today`; every problem comes with its
    /// field.
    pub fn violations(&self, today: NaiveDate) -> Vec<Violation> {
        let mut v = Vec::new();
        v.extend(Violation::if_future(
            "founded_on",
            Some(self.founded_on),
            today,
        ));
        v.extend(Violation::if_before(
            "founded_on",
            Some(self.founded_on),
            window::earliest_founding(),
            today,
        ));
        if self.former_names.len() > window::MAX_LIST_ITEMS {
            v.push(Violation::new(
                "former_names",
                DomainError::TooMany {
                    max: window::MAX_LIST_ITEMS,
                },
            ));
        }
        for (i, n) in self.former_names.iter().enumerate() {
            if let Err(e) = Text::parse(n, 2, 100) {
                v.push(Violation::new(format!("former_names[{i}]"), e));
            }
        }
        let mut kinds = std::collections::HashSet::new();
        for (i, q) in self.qualifications.iter().enumerate() {
            if !kinds.insert(q.kind) {
                v.push(Violation::new(
                    format!("qualifications[{i}].kind"),
                    DomainError::Format {
                        what: "the same qualification twice",
                    },
                ));
            }
            v.extend(Violation::if_outside(
                format!("qualifications[{i}].valid_until"),
                q.valid_until,
                window::earliest_founding(),
                window::latest_validity(today),
            ));
        }
        for (i, f) in self.risk_flags.iter().enumerate() {
            v.extend(Violation::if_before(
                format!("risk_flags[{i}].recorded_on"),
                Some(f.recorded_on),
                window::earliest_founding(),
                today,
            ));
        }
        for (i, q) in self.qualifications.iter().enumerate() {
            if let Some(c) = &q.certificate_number
                && let Err(e) = Text::parse(c, 1, 64)
            {
                v.push(Violation::new(
                    format!("qualifications[{i}].certificate_number"),
                    e,
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, f) in self.risk_flags.iter().enumerate() {
            if !seen.insert(f.kind) {
                v.push(Violation::new(
                    format!("risk_flags[{i}].kind"),
                    DomainError::Format {
                        what: "the same risk flag twice",
                    },
                ));
            }
        }
        if let Some(need) = &self.financing_need
            && !(1..=360).contains(&need.term_months)
        {
            v.push(Violation::new(
                "financing_need.term_months",
                DomainError::OutOfRange { min: 1, max: 360 },
            ));
        }
        if let Some(c) = &self.contact {
            if let Err(e) = Text::parse(&c.name, 1, 50) {
                v.push(Violation::new("contact.name", e));
            }
            if let Some(p) = &c.phone {
                let ok = (5..=20).contains(&p.chars().count())
                    && p.chars()
                        .all(|ch| ch.is_ascii_digit() || matches!(ch, '+' | '-' | ' ' | '(' | ')'));
                if !ok {
                    v.push(Violation::new(
                        "contact.phone",
                        DomainError::Format {
                            what: "phone: digits, + - ( ) and spaces, 5 to 20",
                        },
                    ));
                }
            }
            if let Some(e) = &c.email {
                let ok = e.len() <= 254
                    && e.split_once('@').is_some_and(|(l, d)| {
                        !l.is_empty() && d.contains('.') && !e.contains(char::is_whitespace)
                    });
                if !ok {
                    v.push(Violation::new(
                        "contact.email",
                        DomainError::Format {
                            what: "e-mail address",
                        },
                    ));
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("test date")
    }

    fn enterprise() -> Enterprise {
        Enterprise {
            uscc: Uscc::parse("91110000600037341L").expect("valid"),
            name: Text::parse("新乡市某某机械有限公司", 2, 100).expect("valid"),
            former_names: Vec::new(),
            park: ParkCode::parse("xxhtz").expect("valid"),
            region: RegionCode::parse("410702").expect("valid"),
            industry: IndustryCode::parse("C35").expect("valid"),
            strategic_industry: Some(StrategicIndustry::HighEndEquipment),
            founded_on: d(2016, 3, 5),
            size: SizeClass::Small,
            qualifications: vec![Qualification {
                kind: QualificationKind::HighTech,
                certificate_number: Some("GR202341000123".into()),
                valid_until: Some(d(2026, 12, 31)),
            }],
            risk_flags: vec![RiskFlag {
                kind: RiskFlagKind::AbnormalOperation,
                recorded_on: d(2026, 6, 1),
            }],
            financing_need: Some(FinancingNeed {
                amount: Money::from_yuan(5_000_000).expect("valid"),
                term_months: 12,
            }),
            contact: Some(Contact {
                name: "王经理".into(),
                phone: Some("0373-1234567".into()),
                email: Some("wang@example.cn".into()),
            }),
            contact_consent: false,
        }
    }

    #[test]
    fn a_contact_is_masked_to_its_first_character_and_the_phone_s_ends() {
        let c = Contact {
            name: "王经理".into(),
            phone: Some("+86 138-1234-5678".into()),
            email: Some("wang@example.cn".into()),
        };
        assert_eq!(
            c.masked(),
            Contact {
                name: "王**".into(),
                phone: Some("861****5678".into()),
                email: None,
            }
        );
        assert_eq!(masked_phone("12345"), "****");
        assert_eq!(masked_name(""), "");
    }

    #[test]
    fn qualifications_and_flags_are_dated() {
        let e = enterprise();
        assert!(e.has_qualification(QualificationKind::HighTech, d(2026, 12, 31)));
        assert!(!e.has_qualification(QualificationKind::HighTech, d(2027, 1, 1)));
        assert!(!e.has_qualification(QualificationKind::Specialized, d(2026, 1, 1)));
        assert!(!e.has_risk_flag(RiskFlagKind::AbnormalOperation, d(2026, 5, 31)));
        assert!(e.has_risk_flag(RiskFlagKind::AbnormalOperation, d(2026, 6, 1)));
    }

    #[test]
    fn years_in_operation_count_whole_years() {
        let e = enterprise();
        assert_eq!(e.years_in_operation(d(2026, 3, 4)), 9);
        assert_eq!(e.years_in_operation(d(2026, 3, 5)), 10);
        assert_eq!(e.years_in_operation(d(2010, 1, 1)), 0);
    }

    #[test]
    fn names_parse_in_both_languages() {
        assert_eq!(
            QualificationKind::parse("高新技术企业"),
            Ok(QualificationKind::HighTech)
        );
        assert_eq!(
            RiskFlagKind::parse("dishonest_debtor"),
            Ok(RiskFlagKind::DishonestDebtor)
        );
        assert!(matches!(
            SizeClass::parse("huge"),
            Err(DomainError::UnknownValue { .. })
        ));
    }

    #[test]
    fn bad_contact_and_need_are_named() {
        let mut e = enterprise();
        assert!(e.violations(NaiveDate::MAX).is_empty());
        e.contact = Some(Contact {
            name: "".into(),
            phone: Some("call me".into()),
            email: Some("nobody".into()),
        });
        e.financing_need = Some(FinancingNeed {
            amount: Money::ZERO,
            term_months: 0,
        });
        let fields: Vec<String> = e
            .violations(NaiveDate::MAX)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "financing_need.term_months",
                "contact.name",
                "contact.phone",
                "contact.email"
            ]
        );
    }
}
