use crate::{Appraisal, DomainError, PledgeRegistration, Text, Uscc, Violation, window};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// 商标注册号: a plain integer without check digit (about 8 digits today).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrademarkRegistrationNumber(u32);

impl TrademarkRegistrationNumber {
    /// Parses 1 to 9 digits (leading zeros are dropped; zero itself is refused).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = crate::to_half_width(input).trim().to_owned();
        if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::TrademarkNumber);
        }
        match s.parse::<u32>() {
            Ok(0) | Err(_) => Err(DomainError::TrademarkNumber),
            Ok(n) => Ok(Self(n)),
        }
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<String> for TrademarkRegistrationNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TrademarkRegistrationNumber> for String {
    fn from(value: TrademarkRegistrationNumber) -> Self {
        value.0.to_string()
    }
}

impl std::fmt::Display for TrademarkRegistrationNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// 尼斯分类: the Nice class (1–45) one registration covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct NiceClass(u8);

impl NiceClass {
    /// A class of 1..=45.
    pub fn new(class: i64) -> Result<Self, DomainError> {
        u8::try_from(class)
            .ok()
            .filter(|c| (1..=45).contains(c))
            .map(Self)
            .ok_or(DomainError::NiceClass { found: class })
    }

    /// The class number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for NiceClass {
    type Error = DomainError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<NiceClass> for i64 {
    fn from(value: NiceClass) -> Self {
        i64::from(value.0)
    }
}

/// Why a trademark could not be pledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TrademarkObstacle {
    /// The pledgor is not the registrant.
    NotRegistrant { registrant: Uscc },
    /// Not yet registered, or lapsed without renewal.
    NotValid { valid_until: NaiveDate },
    /// The registration lapses before the loan ends.
    DebtDueAfterValidity {
        loan_end: NaiveDate,
        valid_until: NaiveDate,
    },
    /// A pledge is already in force.
    AlreadyPledged { registration_number: String },
}

/// 商标: a registered trademark in one Nice class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trademark {
    pub registration_number: TrademarkRegistrationNumber,
    pub nice_class: NiceClass,
    /// The mark as written (文字) or described.
    pub name: Text,
    /// The registrant (注册人).
    pub owner: Uscc,
    pub registered_on: NaiveDate,
    /// The end of the current 10-year period, moved on by each renewal.
    pub valid_until: NaiveDate,
    pub pledge: Option<PledgeRegistration>,
    pub appraisals: Vec<Appraisal>,
}

impl Trademark {
    /// Registered and not lapsed on `as_of`.
    pub fn is_valid(&self, as_of: NaiveDate) -> bool {
        self.registered_on <= as_of && as_of <= self.valid_until
    }

    /// The most recent appraisal that counts on `as_of`.
    pub fn valid_appraisal(&self, as_of: NaiveDate) -> Option<&Appraisal> {
        self.appraisals
            .iter()
            .filter(|a| a.is_valid(as_of))
            .max_by_key(|a| a.appraised_on)
    }

    /// Every reason a pledge by `pledgor` for a loan ending on `loan_end` would be refused.
    pub fn pledge_obstacles(
        &self,
        pledgor: &Uscc,
        as_of: NaiveDate,
        loan_end: NaiveDate,
    ) -> Vec<TrademarkObstacle> {
        let mut out = Vec::new();
        if &self.owner != pledgor {
            out.push(TrademarkObstacle::NotRegistrant {
                registrant: self.owner,
            });
        }
        if !self.is_valid(as_of) {
            out.push(TrademarkObstacle::NotValid {
                valid_until: self.valid_until,
            });
        } else if loan_end > self.valid_until {
            out.push(TrademarkObstacle::DebtDueAfterValidity {
                loan_end,
                valid_until: self.valid_until,
            });
        }
        if let Some(p) = self.pledge.as_ref().filter(|p| p.in_force(as_of)) {
            out.push(TrademarkObstacle::AlreadyPledged {
                registration_number: p.number_text(),
            });
        }
        out
    }

    /// Checks the facts against each other and against `today`.
    pub fn violations(&self, today: NaiveDate) -> Vec<Violation> {
        let mut v = Vec::new();
        v.extend(window::span(
            ("registered_on", self.registered_on),
            ("valid_until", self.valid_until),
            today,
        ));
        if self.valid_until <= self.registered_on {
            v.push(Violation::new(
                "valid_until",
                DomainError::DateOrder {
                    earlier: "registered_on",
                    later: "valid_until",
                },
            ));
        }
        if let Some(p) = &self.pledge {
            v.extend(p.violations());
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

    #[test]
    fn numbers_and_classes() {
        assert_eq!(
            TrademarkRegistrationNumber::parse(" 12345678 ").map(|n| n.get()),
            Ok(12_345_678)
        );
        for bad in ["", "0", "1234567890", "12a", "-5"] {
            assert_eq!(
                TrademarkRegistrationNumber::parse(bad),
                Err(DomainError::TrademarkNumber),
                "{bad}"
            );
        }
        assert!(NiceClass::new(1).is_ok() && NiceClass::new(45).is_ok());
        assert_eq!(
            NiceClass::new(46),
            Err(DomainError::NiceClass { found: 46 })
        );
        assert_eq!(NiceClass::new(0), Err(DomainError::NiceClass { found: 0 }));
    }

    #[test]
    fn a_lapsed_mark_cannot_be_pledged() {
        let owner = Uscc::parse("91110000600037341L").expect("valid");
        let tm = Trademark {
            registration_number: TrademarkRegistrationNumber::parse("12345678").expect("valid"),
            nice_class: NiceClass::new(7).expect("valid"),
            name: Text::parse("牧野", 1, 100).expect("valid"),
            owner,
            registered_on: d(2016, 5, 1),
            valid_until: d(2026, 4, 30),
            pledge: None,
            appraisals: vec![],
        };
        assert!(
            tm.pledge_obstacles(&owner, d(2025, 1, 1), d(2026, 1, 1))
                .is_empty()
        );
        assert_eq!(
            tm.pledge_obstacles(&owner, d(2025, 1, 1), d(2026, 6, 1)),
            vec![TrademarkObstacle::DebtDueAfterValidity {
                loan_end: d(2026, 6, 1),
                valid_until: d(2026, 4, 30)
            }]
        );
        assert_eq!(
            tm.pledge_obstacles(&owner, d(2026, 5, 1), d(2027, 1, 1)),
            vec![TrademarkObstacle::NotValid {
                valid_until: d(2026, 4, 30)
            }]
        );
    }
}
