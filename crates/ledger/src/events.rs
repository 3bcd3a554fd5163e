//! The legal events of one cell, as patent databases write them: one event a line (or joined
//! by `;`), each with its day, gazette code and name, and for a pledge its contract's
//! registration number (`2021.03.12 PE01 专利权质押合同登记的生效 登记号:Y2021980001234
//! 登记生效日:20210305 …`); or only the events' names, joined by commas (`权利转移, 质押, 授权`).

use crate::values::parse_date_text;
use chrono::NaiveDate;
use pledge_domain::{LegalEvent, LegalEventKind, to_half_width};

/// Labels that introduce the day the event takes effect, which stands over the gazette's day.
const EFFECT_DAY: [&str; 5] = ["生效日", "解除日", "注销日", "变更日", "登记日"];

/// The events of `cell` that bear on pledging, in the cell's order; others (公开, 实质审查 …)
/// are left out.
pub(crate) fn parse_events(cell: &str) -> Vec<LegalEvent> {
    let text = to_half_width(cell);
    let mut events = Vec::new();
    for segment in text.split(['\n', '\r', ';']) {
        let words = tokens(segment);
        if words.iter().any(|t| date_of(t).is_some()) {
            events.extend(event(segment, &words));
        } else {
            // Names only, joined by commas.
            for name in segment.split([',', '、']) {
                events.extend(event(name, &tokens(name)));
            }
        }
    }
    events
}

/// The words of a segment: split at blanks and at the punctuation databases put between a
/// label and its value.
fn tokens(segment: &str) -> Vec<&str> {
    segment
        .split(|c: char| c.is_whitespace() || matches!(c, '|' | ':' | ',' | '(' | ')' | '、'))
        .filter(|t| !t.is_empty())
        .collect()
}

/// A day written as a date (never a bare number shorter than eight digits).
fn date_of(token: &str) -> Option<NaiveDate> {
    let plain_number = token.bytes().all(|b| b.is_ascii_digit());
    if plain_number && token.len() != 8 {
        return None;
    }
    parse_date_text(token)
}

fn event(segment: &str, tokens: &[&str]) -> Option<LegalEvent> {
    let by_code = tokens.iter().find_map(|t| {
        let b = t.as_bytes();
        let looks = b.len() == 4 && b[..2].iter().all(u8::is_ascii_alphabetic);
        looks.then(|| LegalEventKind::from_code(t)).flatten()
    });
    let kind = by_code.or_else(|| LegalEventKind::from_name(segment))?;
    let labelled = tokens.windows(2).find_map(|w| {
        EFFECT_DAY
            .iter()
            .any(|l| w[0].ends_with(l))
            .then(|| date_of(w[1]))
            .flatten()
    });
    let on = labelled.or_else(|| tokens.iter().find_map(|t| date_of(t)));
    let registration_number = tokens
        .windows(2)
        .find(|w| w[0].ends_with("登记号") || w[0].ends_with("登记编号"))
        .map(|w| w[1].to_owned())
        .filter(|n| (1..=64).contains(&n.chars().count()));
    Some(LegalEvent {
        kind,
        on,
        registration_number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use LegalEventKind::*;

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn a_gazette_s_events_one_a_line() {
        let cell = "2019.06.01 授权\n\
            2021.03.12 | PE01 | 专利权质押合同登记的生效 | 登记号: Y2021980001234 登记生效日: 20210305 出质人: 新乡市测试1机械有限公司 质权人: 中国银行股份有限公司新乡分行\n\
            2022-03-10 PC01 专利权质押合同登记的注销 登记号：Y2021980001234 解除日：2022-03-04；\
            2023-01-01 实质审查的生效";
        let events = parse_events(cell);
        assert_eq!(
            events,
            vec![
                LegalEvent {
                    kind: Granted,
                    on: day("2019-06-01"),
                    registration_number: None
                },
                LegalEvent {
                    kind: PledgeEffective,
                    on: day("2021-03-05"),
                    registration_number: Some("Y2021980001234".into())
                },
                LegalEvent {
                    kind: PledgeReleased,
                    on: day("2022-03-04"),
                    registration_number: Some("Y2021980001234".into())
                },
            ]
        );
    }

    #[test]
    fn names_alone_joined_by_commas() {
        let kinds: Vec<_> = parse_events("权利转移, 质押, 授权, 实质审查, 公开")
            .into_iter()
            .map(|e| (e.kind, e.on))
            .collect();
        assert_eq!(
            kinds,
            [
                (Transferred, None),
                (PledgeEffective, None),
                (Granted, None)
            ]
        );
        assert!(parse_events("").is_empty());
        assert!(parse_events("公开；实质审查的生效").is_empty());
    }
}
