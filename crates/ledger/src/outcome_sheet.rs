//! A bank's own sheet of outcomes (对接结果台账): one row a contact, with the day of each step
//! it reached and the step's figures; the template it is written on, and its rows read into the
//! domain's steps (in the order of their days).

use crate::table::{Cell, Table};
use crate::values::{normalize_header, parse_amount_wan, parse_date};
use chrono::NaiveDate;
use pledge_domain::{
    BasisPoints, DeclineReason, DomainError, PatentApplicationNumber, Step, Text, Uscc,
};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

/// The columns: header, key, example, note.
pub const OUTCOME_COLUMNS: [(&str, &str, &str, &str); 18] = [
    (
        "产品编号",
        "product_id",
        "12",
        "本行产品的编号（产品页面可见），必填",
    ),
    (
        "统一社会信用代码",
        "uscc",
        "91410702MA0000001R",
        "白名单企业，必填",
    ),
    (
        "对接活动编号",
        "round_id",
        "",
        "经由对接会或周对接的，填活动编号",
    ),
    ("对接日期", "contacted_on", "2026-09-01", "必填，不晚于今天"),
    ("申请日期", "applied_on", "2026-09-05", ""),
    (
        "审批日期",
        "approved_on",
        "2026-09-20",
        "审批须同时填金额、期限、年利率",
    ),
    ("审批金额（万元）", "approved_wan", "500", ""),
    ("期限（月）", "term_months", "12", "1至360"),
    ("年利率（%）", "rate_percent", "3.85", ""),
    (
        "质押登记日期",
        "pledged_on",
        "2026-09-25",
        "质押登记须同时填登记号和出质专利",
    ),
    (
        "质押登记号",
        "registration_number",
        "Y2026410000123",
        "国家知识产权局质押登记号",
    ),
    (
        "出质专利申请号",
        "patents",
        "202310000001.5",
        "多件以空格或顿号分隔",
    ),
    (
        "放款日期",
        "disbursed_on",
        "2026-09-28",
        "放款须同时填金额，不超过审批金额",
    ),
    ("放款金额（万元）", "disbursed_wan", "500", ""),
    ("还款日期", "repaid_on", "", "结清后填写"),
    ("违约日期", "defaulted_on", "", ""),
    ("未通过日期", "declined_on", "", "未通过须同时填原因"),
    (
        "未通过原因",
        "reason",
        "",
        "暂无融资需求、企业放弃、质押物价值不足、评估未通过、征信问题、经营财务不符、其他",
    ),
];

/// The sheet's name in the template.
pub const OUTCOME_SHEET: &str = "对接结果";

/// The template workbook of the outcome sheet, as `.xlsx` bytes.
pub fn outcome_template() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap()
        .set_background_color("#DDEBF7");
    let sheet = wb.add_worksheet();
    sheet.set_name(OUTCOME_SHEET)?;
    for (i, (header, _, example, _)) in OUTCOME_COLUMNS.iter().enumerate() {
        let i = i as u16;
        sheet.write_string_with_format(0, i, *header, &bold)?;
        sheet.set_column_width(i, (header.chars().count() as f64 * 2.2).max(12.0))?;
        sheet.write_string(1, i, *example)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let notes = wb.add_worksheet();
    notes.set_name("填写说明")?;
    for (i, h) in ["列名", "英文名", "说明"].iter().enumerate() {
        notes.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (r, (header, key, _, note)) in OUTCOME_COLUMNS.iter().enumerate() {
        let r = r as u32 + 1;
        notes.write_string(r, 0, *header)?;
        notes.write_string(r, 1, *key)?;
        notes.write_string(r, 2, *note)?;
    }
    wb.save_to_buffer()
}

/// One row read: the contact and its steps, in the order of their days.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRow {
    /// The row number Excel shows.
    pub number: u32,
    pub product_id: i64,
    pub uscc: Uscc,
    pub round_id: Option<i64>,
    pub contacted_on: NaiveDate,
    pub steps: Vec<Step>,
}

/// Why a cell of a row could not be read: its column's header, the value, a code, a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub column: &'static str,
    pub value: String,
    pub code: &'static str,
    pub message: String,
}

/// The table of `tables` that has the outcome sheet's key columns (产品编号 and 统一社会信用代码).
pub fn outcome_table(tables: &[Table]) -> Option<&Table> {
    tables
        .iter()
        .find(|t| t.column(&["产品编号"]).is_some() && t.column(&["统一社会信用代码"]).is_some())
}

/// Every data row of an outcome table: read, or the problems of its cells.
pub fn outcome_rows(table: &Table) -> Vec<(u32, Result<OutcomeRow, Vec<CellProblem>>)> {
    let at: Vec<Option<usize>> = OUTCOME_COLUMNS
        .iter()
        .map(|(header, ..)| {
            let wanted = normalize_header(header);
            table
                .headers
                .iter()
                .position(|h| normalize_header(h) == wanted)
        })
        .collect();
    table
        .data()
        .map(|row| {
            let cell = |key: &str| -> Cell {
                OUTCOME_COLUMNS
                    .iter()
                    .position(|(_, k, ..)| *k == key)
                    .and_then(|i| at[i])
                    .and_then(|c| row.cells.get(c).cloned())
                    .unwrap_or(Cell::Empty)
            };
            (row.number, read_row(row.number, &cell))
        })
        .collect()
}

fn header_of(key: &str) -> &'static str {
    OUTCOME_COLUMNS
        .iter()
        .find(|(_, k, ..)| *k == key)
        .map_or("", |(h, ..)| h)
}

fn wrong(problems: &mut Vec<CellProblem>, key: &str, value: String, e: DomainError) {
    problems.push(CellProblem {
        column: header_of(key),
        value,
        code: e.code(),
        message: e.to_string(),
    })
}

fn required(problems: &mut Vec<CellProblem>, key: &'static str) {
    wrong(
        problems,
        key,
        String::new(),
        DomainError::Required { field: key },
    )
}

fn read_row(number: u32, cell: &dyn Fn(&str) -> Cell) -> Result<OutcomeRow, Vec<CellProblem>> {
    let mut problems = Vec::new();
    let mut day = |key: &str| -> Option<NaiveDate> {
        let c = cell(key);
        if c.is_empty() {
            return None;
        }
        parse_date(&c)
            .map_err(|_| {
                wrong(
                    &mut problems,
                    key,
                    c.text(),
                    DomainError::Format { what: "date" },
                )
            })
            .ok()
    };
    let contacted_on = day("contacted_on");
    let applied_on = day("applied_on");
    let approved_on = day("approved_on");
    let pledged_on = day("pledged_on");
    let disbursed_on = day("disbursed_on");
    let repaid_on = day("repaid_on");
    let defaulted_on = day("defaulted_on");
    let declined_on = day("declined_on");
    let text = |key: &str| cell(key).text();
    let whole = |key: &str| -> Option<Result<i64, DomainError>> {
        let t = text(key);
        (!t.is_empty()).then(|| {
            t.parse::<i64>().map_err(|_| DomainError::Format {
                what: "whole number",
            })
        })
    };
    let mut steps = Vec::new();
    let product_id = match whole("product_id") {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            wrong(&mut problems, "product_id", text("product_id"), e);
            None
        }
        None => {
            required(&mut problems, "product_id");
            None
        }
    };
    let uscc = match Uscc::parse(&text("uscc")) {
        Ok(u) => Some(u),
        Err(e) => {
            wrong(&mut problems, "uscc", text("uscc"), e);
            None
        }
    };
    let round_id = match whole("round_id") {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            wrong(&mut problems, "round_id", text("round_id"), e);
            None
        }
        None => None,
    };
    if contacted_on.is_none() && cell("contacted_on").is_empty() {
        required(&mut problems, "contacted_on");
    }
    if let Some(on) = applied_on {
        steps.push(Step::Applied { on });
    }
    if let Some(on) = approved_on {
        let amount = match cell("approved_wan") {
            Cell::Empty => {
                required(&mut problems, "approved_wan");
                None
            }
            c => parse_amount_wan(&c)
                .map_err(|_| {
                    wrong(
                        &mut problems,
                        "approved_wan",
                        c.text(),
                        DomainError::MoneyRange,
                    )
                })
                .ok(),
        };
        let term = match whole("term_months") {
            Some(Ok(t)) if (1..=360).contains(&t) => Some(t as u16),
            Some(_) => {
                wrong(
                    &mut problems,
                    "term_months",
                    text("term_months"),
                    DomainError::OutOfRange { min: 1, max: 360 },
                );
                None
            }
            None => {
                required(&mut problems, "term_months");
                None
            }
        };
        let rate = match text("rate_percent") {
            t if t.is_empty() => {
                required(&mut problems, "rate_percent");
                None
            }
            t => BasisPoints::from_percent(t.trim_end_matches('%'))
                .map_err(|e| wrong(&mut problems, "rate_percent", t.clone(), e))
                .ok(),
        };
        if let (Some(amount_fen), Some(term_months), Some(rate_bp)) = (amount, term, rate) {
            steps.push(Step::Approved {
                on,
                amount_fen,
                term_months,
                rate_bp,
            });
        }
    }
    if let Some(on) = pledged_on {
        let number = Text::parse(&text("registration_number"), 1, 64)
            .map_err(|e| {
                wrong(
                    &mut problems,
                    "registration_number",
                    text("registration_number"),
                    e,
                )
            })
            .ok();
        let mut patents = Vec::new();
        for p in text("patents")
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
            .filter(|p| !p.is_empty())
        {
            match PatentApplicationNumber::parse(p) {
                Ok(n) => patents.push(n),
                Err(e) => wrong(&mut problems, "patents", p.to_owned(), e),
            }
        }
        if let Some(registration_number) = number {
            steps.push(Step::PledgeRegistered {
                on,
                registration_number,
                patents,
                trademarks: Vec::new(),
            });
        }
    }
    if let Some(on) = disbursed_on {
        match cell("disbursed_wan") {
            Cell::Empty => required(&mut problems, "disbursed_wan"),
            c => match parse_amount_wan(&c) {
                Ok(amount_fen) => steps.push(Step::Disbursed { on, amount_fen }),
                Err(_) => wrong(
                    &mut problems,
                    "disbursed_wan",
                    c.text(),
                    DomainError::MoneyRange,
                ),
            },
        }
    }
    if let Some(on) = repaid_on {
        steps.push(Step::Repaid { on });
    }
    if let Some(on) = defaulted_on {
        steps.push(Step::Defaulted { on });
    }
    if let Some(on) = declined_on {
        match DeclineReason::parse(&text("reason")) {
            Ok(reason_code) => steps.push(Step::Declined { on, reason_code }),
            Err(e) => wrong(&mut problems, "reason", text("reason"), e),
        }
    }
    // In the order of their days; a day shared keeps the chain's order.
    steps.sort_by_key(Step::on);
    match (product_id, uscc, contacted_on, problems.is_empty()) {
        (Some(product_id), Some(uscc), Some(contacted_on), true) => Ok(OutcomeRow {
            number,
            product_id,
            uscc,
            round_id,
            contacted_on,
            steps,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, read_xlsx};

    #[test]
    fn the_template_s_example_reads_back_as_a_paid_out_loan() {
        let bytes = outcome_template().expect("a template");
        let tables = read_xlsx(&bytes, &Limits::default()).expect("readable");
        let table = outcome_table(&tables).expect("the outcome sheet");
        let rows = outcome_rows(table);
        assert_eq!(rows.len(), 1);
        let (number, row) = &rows[0];
        assert_eq!(*number, 2);
        let row = row.as_ref().expect("the example is valid");
        let stages: Vec<_> = row.steps.iter().map(|s| s.stage().as_str()).collect();
        assert_eq!(
            stages,
            vec!["applied", "approved", "pledge_registered", "disbursed"]
        );
    }
}
