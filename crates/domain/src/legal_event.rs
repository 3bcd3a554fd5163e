//! 法律事件: the legal events CNIPA announces in its gazette and patent databases repeat, and
//! what each does to what can be pledged.

use crate::{LegalStatus, PledgeRegistration};
use chrono::NaiveDate;

/// The kind of a legal event, by its gazette code and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegalEventKind {
    /// 授权: the grant.
    Granted,
    /// PE01 专利权质押合同登记的生效: pledged from that day.
    PledgeEffective,
    /// PM01 专利权质押合同登记的变更: the same pledge, amended.
    PledgeChanged,
    /// PC01 专利权质押合同登记的注销: free again from that day.
    PledgeReleased,
    /// PP01 专利权的保全: frozen.
    Preserved,
    /// PD01 专利权保全的解除: free again.
    PreservationReleased,
    /// TR01 专利权的转移: a new owner from that day.
    Transferred,
    /// CF01 未缴年费专利权终止.
    FeeLapsed,
    /// CX01 专利权有效期届满.
    TermEnded,
    /// IW01 专利权全部无效.
    Invalidated,
    /// IP01 专利权部分无效: narrowed, still in force.
    PartlyInvalidated,
    /// AV01 专利权的主动放弃 (避重放弃 too).
    Abandoned,
    /// RR01 权利的恢复.
    Restored,
    /// EE01 专利实施许可合同备案的生效.
    LicenceFiled,
    /// EC01 专利实施许可合同备案的注销.
    LicenceReleased,
}

impl LegalEventKind {
    /// Every kind.
    pub const ALL: [Self; 15] = [
        Self::Granted,
        Self::PledgeEffective,
        Self::PledgeChanged,
        Self::PledgeReleased,
        Self::Preserved,
        Self::PreservationReleased,
        Self::Transferred,
        Self::FeeLapsed,
        Self::TermEnded,
        Self::Invalidated,
        Self::PartlyInvalidated,
        Self::Abandoned,
        Self::Restored,
        Self::LicenceFiled,
        Self::LicenceReleased,
    ];

    /// The gazette's code (授权 has none).
    pub fn code(self) -> Option<&'static str> {
        Some(match self {
            Self::Granted => return None,
            Self::PledgeEffective => "PE01",
            Self::PledgeChanged => "PM01",
            Self::PledgeReleased => "PC01",
            Self::Preserved => "PP01",
            Self::PreservationReleased => "PD01",
            Self::Transferred => "TR01",
            Self::FeeLapsed => "CF01",
            Self::TermEnded => "CX01",
            Self::Invalidated => "IW01",
            Self::PartlyInvalidated => "IP01",
            Self::Abandoned => "AV01",
            Self::Restored => "RR01",
            Self::LicenceFiled => "EE01",
            Self::LicenceReleased => "EC01",
        })
    }

    /// The gazette's name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Granted => "授权",
            Self::PledgeEffective => "专利权质押合同登记的生效",
            Self::PledgeChanged => "专利权质押合同登记的变更",
            Self::PledgeReleased => "专利权质押合同登记的注销",
            Self::Preserved => "专利权的保全",
            Self::PreservationReleased => "专利权保全的解除",
            Self::Transferred => "专利权的转移",
            Self::FeeLapsed => "未缴年费专利权终止",
            Self::TermEnded => "专利权有效期届满",
            Self::Invalidated => "专利权全部无效",
            Self::PartlyInvalidated => "专利权部分无效",
            Self::Abandoned => "专利权的主动放弃",
            Self::Restored => "权利的恢复",
            Self::LicenceFiled => "专利实施许可合同备案的生效",
            Self::LicenceReleased => "专利实施许可合同备案的注销",
        }
    }

    /// The kind a gazette code names (`PE01`, lower case too).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.code().is_some_and(|c| c.eq_ignore_ascii_case(code)))
    }

    /// The kind an event's name (as the gazette or a database words it) names: 质押 with 生效,
    /// 变更 or 注销/解除; 保全 and its 解除; 转移; 未缴年费 … 终止; 届满; 全部/部分无效; 放弃; 恢复;
    /// 许可 with 生效 or 注销/解除; 授权. `None` for any other event (公开, 实质审查 …).
    pub fn from_name(name: &str) -> Option<Self> {
        let has = |w: &str| name.contains(w);
        let released = has("注销") || has("解除");
        Some(if has("质押") || has("出质") {
            if released {
                Self::PledgeReleased
            } else if has("变更") {
                Self::PledgeChanged
            } else {
                Self::PledgeEffective
            }
        } else if has("保全") {
            if released {
                Self::PreservationReleased
            } else {
                Self::Preserved
            }
        } else if has("许可") {
            if released {
                Self::LicenceReleased
            } else {
                Self::LicenceFiled
            }
        } else if has("转移") || has("转让") {
            Self::Transferred
        } else if has("年费") && has("终止") {
            Self::FeeLapsed
        } else if has("届满") {
            Self::TermEnded
        } else if has("部分无效") {
            Self::PartlyInvalidated
        } else if has("无效") && !has("请求") {
            Self::Invalidated
        } else if has("放弃") {
            Self::Abandoned
        } else if has("恢复") {
            Self::Restored
        } else if has("授权") {
            Self::Granted
        } else {
            return None;
        })
    }

    /// The status the right has after this event, where the event decides it.
    pub fn status_after(self) -> Option<LegalStatus> {
        Some(match self {
            Self::Granted | Self::Restored | Self::PreservationReleased => LegalStatus::InForce,
            Self::Preserved => LegalStatus::Suspended,
            Self::FeeLapsed => LegalStatus::LapsedUnpaidFee,
            Self::TermEnded => LegalStatus::Expired,
            Self::Invalidated => LegalStatus::Invalidated,
            Self::Abandoned => LegalStatus::Ended,
            _ => return None,
        })
    }
}

/// One legal event of a patent: its kind, its day where given, and the pledge contract's
/// registration number (登记号) where it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalEvent {
    pub kind: LegalEventKind,
    pub on: Option<NaiveDate>,
    pub registration_number: Option<String>,
}

/// What a patent's legal events say, taken together in the order of their days (events
/// without a day keep their place after the dated ones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFacts {
    /// The status the last status-deciding event leaves, with that event.
    pub status: Option<(LegalStatus, LegalEventKind, Option<NaiveDate>)>,
    /// The day of the grant event.
    pub granted_on: Option<NaiveDate>,
    /// Every pledge the events register, oldest first: registered (number and day) where the
    /// events give them, otherwise marked; each released where a release follows it.
    pub pledges: Vec<PledgeRegistration>,
    /// Whether a transfer is among them.
    pub transferred: bool,
}

impl EventFacts {
    /// Reads `events` together: the dated ones in the order of their days, then those
    /// without a day, whose order is not known (databases list them newest or oldest first):
    /// of those, a status counts only where it is stricter than the dated events leave, a
    /// pledge is marked (registration not given), and a release frees nothing.
    pub fn of(events: &[LegalEvent]) -> Self {
        let mut order: Vec<&LegalEvent> = events.iter().collect();
        order.sort_by_key(|e| e.on.map_or((1, NaiveDate::MIN), |d| (0, d)));
        let mut facts = Self::default();
        for e in order {
            if let Some(s) = e.kind.status_after() {
                let now_granted = facts.status.is_none_or(|(s, _, _)| s.is_granted_right());
                let counts = match e.on {
                    // Lifting a preservation frees a right in force; it revives no ended one.
                    Some(_) => e.kind != LegalEventKind::PreservationReleased || now_granted,
                    None => facts.status.is_none() || (now_granted && !s.is_granted_right()),
                };
                if counts {
                    facts.status = Some((s, e.kind, e.on));
                }
            }
            if e.on.is_none() && e.kind == LegalEventKind::PledgeReleased {
                continue;
            }
            match e.kind {
                LegalEventKind::Granted => facts.granted_on = facts.granted_on.or(e.on),
                LegalEventKind::PledgeEffective => {
                    facts.pledges.push(match (&e.registration_number, e.on) {
                        (Some(n), Some(on)) => PledgeRegistration::registered(n.clone(), on, None),
                        _ => PledgeRegistration::marked(),
                    });
                }
                LegalEventKind::PledgeReleased => {
                    // The open pledge of the same number, else the latest open one.
                    let open_at = |same_number: bool| {
                        facts.pledges.iter().rposition(|p| {
                            p.released_on.is_none()
                                && (!same_number
                                    || (e.registration_number.is_some()
                                        && p.registration_number == e.registration_number))
                        })
                    };
                    let at = open_at(true).or_else(|| open_at(false));
                    if let Some(p) = at.and_then(|i| facts.pledges.get_mut(i)) {
                        // A release dated before its pledge is placed on the pledge's day.
                        p.released_on = match (e.on, p.registered_on) {
                            (Some(off), Some(on)) => Some(off.max(on)),
                            (off, _) => off,
                        };
                    }
                }
                LegalEventKind::Transferred => facts.transferred = true,
                _ => {}
            }
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn event(kind: LegalEventKind, on: &str, number: Option<&str>) -> LegalEvent {
        LegalEvent {
            kind,
            on: day(on),
            registration_number: number.map(str::to_owned),
        }
    }

    #[test]
    fn kinds_by_code_and_by_name() {
        for k in LegalEventKind::ALL {
            assert_eq!(LegalEventKind::from_name(k.label_zh()), Some(k), "{k:?}");
            if let Some(c) = k.code() {
                assert_eq!(LegalEventKind::from_code(c), Some(k));
                assert_eq!(LegalEventKind::from_code(&c.to_lowercase()), Some(k));
            }
        }
        assert_eq!(
            LegalEventKind::from_name("避免重复授予专利权的放弃"),
            Some(LegalEventKind::Abandoned)
        );
        assert_eq!(LegalEventKind::from_name("实质审查的生效"), None);
        assert_eq!(LegalEventKind::from_name("无效宣告请求"), None);
        assert_eq!(LegalEventKind::from_code("XX01"), None);
    }

    #[test]
    fn pledges_are_kept_in_order_and_released_by_their_number() {
        use LegalEventKind::*;
        let facts = EventFacts::of(&[
            event(PledgeReleased, "2022-03-04", Some("Y2021980001234")),
            event(Granted, "2019-06-01", None),
            event(PledgeEffective, "2021-03-05", Some("Y2021980001234")),
            event(PledgeEffective, "2023-05-06", Some("Y2023980005678")),
        ]);
        assert_eq!(facts.granted_on, day("2019-06-01"));
        assert_eq!(facts.pledges.len(), 2);
        assert_eq!(facts.pledges[0].released_on, day("2022-03-04"));
        assert_eq!(facts.pledges[1].released_on, None);
        assert_eq!(
            facts.pledges[1].registration_number.as_deref(),
            Some("Y2023980005678")
        );
        assert_eq!(facts.status.map(|s| s.0), Some(LegalStatus::InForce));
    }

    #[test]
    fn the_last_status_event_decides_and_a_lifted_preservation_revives_nothing() {
        use LegalEventKind::*;
        let facts = EventFacts::of(&[
            event(Granted, "2019-06-01", None),
            event(FeeLapsed, "2023-03-05", None),
            event(Restored, "2023-08-01", None),
        ]);
        assert_eq!(facts.status.map(|s| s.0), Some(LegalStatus::InForce));
        let facts = EventFacts::of(&[
            event(Preserved, "2022-01-01", None),
            event(Abandoned, "2023-01-01", None),
            event(PreservationReleased, "2024-01-01", None),
        ]);
        assert_eq!(facts.status.map(|s| s.0), Some(LegalStatus::Ended));
        // A pledge without its number is marked, and a release without its number frees the
        // latest; a release on no known day frees nothing.
        let undated = |kind| LegalEvent {
            kind,
            on: None,
            registration_number: None,
        };
        let facts = EventFacts::of(&[
            event(PledgeEffective, "2023-01-01", None),
            event(PledgeReleased, "2024-01-01", None),
        ]);
        assert!(!facts.pledges[0].is_registered());
        assert_eq!(facts.pledges[0].released_on, day("2024-01-01"));
        let facts = EventFacts::of(&[undated(PledgeEffective), undated(PledgeReleased)]);
        assert_eq!(facts.pledges[0].released_on, None);
        // Undated statuses: only the stricter counts.
        let facts = EventFacts::of(&[undated(Restored), undated(FeeLapsed), undated(Granted)]);
        assert_eq!(
            facts.status.map(|s| s.0),
            Some(LegalStatus::LapsedUnpaidFee)
        );
    }
}
