//! Cell values in the spellings people type: dates six ways, amounts in 万元 with or without
//! the unit, 是/否 flags, headers with line breaks.

use crate::Cell;
use chrono::NaiveDate;
use pledge_domain::{DomainError, LegalStatus, Money, to_half_width};

/// Why a cell value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("不是可识别的日期 / not a date: {0}")]
    Date(String),
    #[error("不是可识别的金额 / not an amount: {0}")]
    Amount(String),
    #[error("应填“是”或“否” / expected 是 or 否: {0}")]
    YesNo(String),
}

/// A header as it is meant: no line breaks or spaces, half-width, lower case.
pub fn normalize_header(text: &str) -> String {
    to_half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Day 0 of Excel's 1900 date system as it is used in practice (serial 1 = 1900-01-01, with
/// the phantom 1900-02-29 counted).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// A date from an Excel serial number (whole days; a time part is dropped).
pub(crate) fn from_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    excel_epoch().checked_add_days(chrono::Days::new(serial.trunc() as u64))
}

/// A date written as a date cell, an Excel serial number, or text: `2019-03-05`, `2019/3/5`,
/// `2019.03.05`, `2019年3月5日`, `20190305`.
pub fn parse_date(cell: &Cell) -> Result<NaiveDate, ValueError> {
    match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Number(n) => from_serial(*n).ok_or_else(|| ValueError::Date(n.to_string())),
        Cell::Text(t) => parse_date_text(t).ok_or_else(|| ValueError::Date(t.to_string())),
        Cell::Empty => Err(ValueError::Date(String::new())),
    }
}

pub(crate) fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let s = to_half_width(text).trim().to_owned();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&s, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if let [y, m, d] = parts.as_slice() {
        let y: i32 = y.trim().parse().ok()?;
        let m: u32 = m.trim().parse().ok()?;
        let d: u32 = d.trim().parse().ok()?;
        if y < 1000 {
            return None;
        }
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    // A serial number typed as text.
    s.parse::<f64>().ok().and_then(from_serial)
}

/// An amount in 万元, as a number or as text with or without the unit (`500`, `500万`,
/// `500万元`, `1,200.5`), exact to the 分. Negative amounts are refused.
pub fn parse_amount_wan(cell: &Cell) -> Result<Money, ValueError> {
    let text = match cell {
        Cell::Number(n) => format!("{n}"),
        Cell::Text(t) => to_half_width(t)
            .trim()
            .trim_end_matches('元')
            .trim_end_matches('万')
            .replace(',', "")
            .trim()
            .to_owned(),
        _ => return Err(ValueError::Amount(String::new())),
    };
    Money::from_wan(&text).map_err(|_| ValueError::Amount(text.clone()))
}

/// A legal status as registers, ledgers and patent databases write it: the register's own
/// wording (`未缴年费专利权终止`, `专利权维持`, `专利权期限届满` …), a database's simple status
/// (有效 / 失效 / 审中), its case status (案件状态: `等年费滞纳金`, `驳回等复审请求` …) and the
/// name of the latest legal event (授权, 专利权的转移, 主动放弃 …), as well as the short names.
pub fn parse_legal_status(text: &str) -> Result<LegalStatus, DomainError> {
    let t = normalize_header(text);
    if let Ok(s) = LegalStatus::parse(&t) {
        return Ok(s);
    }
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let status = if has(&["全部无效"]) {
        LegalStatus::Invalidated
    } else if has(&["部分无效"]) {
        // Narrowed, still in force.
        LegalStatus::InForce
    } else if has(&["无效宣告"]) {
        LegalStatus::InvalidationRequested
    } else if has(&["无效"]) {
        LegalStatus::Invalidated
    } else if has(&["年费"]) && has(&["终止", "失效"]) {
        LegalStatus::LapsedUnpaidFee
    } else if has(&["届满"]) {
        LegalStatus::Expired
    } else if has(&["保全", "中止"]) && !has(&["解除"]) {
        LegalStatus::Suspended
    } else if has(&["终止", "放弃", "撤回", "驳回", "撤销", "失效", "ended"]) {
        LegalStatus::Ended
    } else if has(&[
        "有效", "授权", "维持", "有权", "滞纳", "转移", "变更", "质押", "许可", "恢复", "保全",
        "granted",
    ]) {
        LegalStatus::InForce
    } else if has(&[
        "审中",
        "在审",
        "实审",
        "实质审查",
        "公开",
        "申请中",
        "初审",
        "初步审查",
        "受理",
        "等待",
        "pending",
    ]) {
        LegalStatus::Pending
    } else {
        return Err(DomainError::UnknownValue {
            value: text.trim().to_owned(),
            allowed: LegalStatus::ALL
                .iter()
                .map(|s| s.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
        });
    };
    Ok(status)
}

/// 是/否 and their usual stand-ins.
pub fn parse_yes_no(cell: &Cell) -> Result<bool, ValueError> {
    let text = match cell {
        Cell::Text(t) => normalize_header(t),
        Cell::Number(n) if *n == 1.0 => return Ok(true),
        Cell::Number(n) if *n == 0.0 => return Ok(false),
        Cell::Empty => return Ok(false),
        other => return Err(ValueError::YesNo(format!("{other:?}"))),
    };
    match text.as_str() {
        "是" | "有" | "y" | "yes" | "true" | "1" | "√" => Ok(true),
        "否" | "无" | "n" | "no" | "false" | "0" | "×" | "" => Ok(false),
        _ => Err(ValueError::YesNo(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn dates_in_every_spelling_met() {
        let want = NaiveDate::from_ymd_opt(2019, 3, 5);
        for s in [
            "2019-03-05",
            "2019/3/5",
            "2019.03.05",
            "2019年3月5日",
            "20190305",
            " ２０１９－０３－０５ ",
            "43529",
        ] {
            assert_eq!(parse_date(&text(s)).ok(), want, "{s}");
        }
        assert_eq!(parse_date(&Cell::Number(43529.0)).ok(), want);
        assert_eq!(
            parse_date(&Cell::Date(NaiveDate::MIN)).ok(),
            Some(NaiveDate::MIN)
        );
        for bad in ["2019-02-30", "3/5", "昨天", "19.3.5", ""] {
            assert!(parse_date(&text(bad)).is_err(), "{bad}");
        }
        assert!(parse_date(&Cell::Number(-3.0)).is_err());
    }

    #[test]
    fn amounts_in_wan_are_exact() {
        let fen = |c: Cell| parse_amount_wan(&c).map(|m| m.fen());
        assert_eq!(fen(text("500万")), Ok(500_000_000));
        assert_eq!(fen(text("500万元")), Ok(500_000_000));
        assert_eq!(fen(text("1,200.5")), Ok(1_200_500_000));
        assert_eq!(fen(Cell::Number(0.01)), Ok(10_000));
        assert_eq!(fen(Cell::Number(800.0)), Ok(800_000_000));
        for bad in ["-5", "五百万", "1.2.3", "", "0.0000001"] {
            assert!(fen(text(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_and_headers() {
        assert_eq!(parse_yes_no(&text(" 是 ")), Ok(true));
        assert_eq!(parse_yes_no(&text("否")), Ok(false));
        assert_eq!(parse_yes_no(&Cell::Empty), Ok(false));
        assert!(parse_yes_no(&text("也许")).is_err());
        assert_eq!(normalize_header("统一社会\n信用代码 "), "统一社会信用代码");
        assert_eq!(normalize_header("融资需求（万元）"), "融资需求(万元)");
    }

    #[test]
    fn legal_statuses_as_databases_and_registers_write_them() {
        use LegalStatus::*;
        for (text, want) in [
            ("有效", InForce),
            ("失效", Ended),
            ("审中", Pending),
            ("授权", InForce),
            ("专利权维持", InForce),
            ("等年费滞纳金", InForce),
            ("专利权的转移", InForce),
            ("专利权质押合同登记的生效", InForce),
            ("实质审查的生效", Pending),
            ("等待实审请求", Pending),
            ("未缴年费专利权终止，等恢复", LapsedUnpaidFee),
            ("专利权有效期届满", Expired),
            ("专利权全部无效", Invalidated),
            ("专利权部分无效", InForce),
            ("无效宣告请求审查中", InvalidationRequested),
            ("专利权的保全", Suspended),
            ("专利权保全的解除", InForce),
            ("主动放弃", Ended),
            ("避免重复授予专利权的放弃", Ended),
            ("发明专利申请公布后的驳回", Ended),
            ("发明专利申请公布后的视为撤回", Ended),
            ("ended", Ended),
        ] {
            assert_eq!(parse_legal_status(text), Ok(want), "{text}");
        }
        assert!(parse_legal_status("不知道").is_err());
    }
}
