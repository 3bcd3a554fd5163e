//! Rows turned into domain values, each bad cell reported with its sheet, Excel row number,
//! column, value, stable code and message. A row with any bad cell is rejected whole.

use crate::columns::{Layout, SheetKind, layout};
use crate::values::{parse_amount_wan, parse_date, parse_yes_no};
use crate::{Cell, Row, Table};
use chrono::{Months, NaiveDate};
use pledge_domain::{
    Contact, DomainError, Enterprise, FinancingNeed, IndustryCode, ParkCode, Qualification,
    QualificationKind, RegionCode, RiskFlag, RiskFlagKind, SizeClass, StrategicIndustry, Text,
    Uscc,
};

/// A cell that could not be taken, as the import report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub sheet: String,
    /// The row number Excel shows.
    pub row: u32,
    /// The column's header as written in the file (empty for a missing column).
    pub column: String,
    pub value: String,
    pub code: &'static str,
    pub message: String,
}

/// What an import of enterprises assumes where the ledger is silent.
#[derive(Debug, Clone)]
pub struct Defaults {
    /// The park of enterprises whose row names none (the importing official's park).
    pub park: ParkCode,
    /// The day of the import: risk flags marked 是 are recorded on it, and qualifications
    /// without an end date hold three years from it.
    pub today: NaiveDate,
}

/// Reads cells of one row, collecting every rejection.
struct RowReader<'a> {
    table: &'a Table,
    layout: &'a Layout,
    row: &'a Row,
    rejections: Vec<Rejection>,
}

impl<'a> RowReader<'a> {
    fn cell(&self, key: &str) -> Option<&'a Cell> {
        self.layout
            .position(key)
            .and_then(|i| self.row.cells.get(i))
            .filter(|c| !c.is_empty())
    }

    fn reject(&mut self, key: &str, value: String, code: &'static str, message: String) {
        let column = self
            .layout
            .position(key)
            .and_then(|i| self.table.headers.get(i))
            .cloned()
            .unwrap_or_else(|| key.to_owned());
        self.rejections.push(Rejection {
            sheet: self.table.sheet.clone(),
            row: self.row.number,
            column,
            value,
            code,
            message,
        });
    }

    /// The parsed value of a cell, or `None` (recorded) when it is bad; `Some(None)` when empty.
    fn read<T, E: std::fmt::Display>(
        &mut self,
        key: &str,
        code: impl Fn(&E) -> &'static str,
        parse: impl FnOnce(&Cell) -> Result<T, E>,
    ) -> Option<Option<T>> {
        let Some(cell) = self.cell(key) else {
            return Some(None);
        };
        match parse(cell) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                self.reject(key, cell.text(), code(&e), e.to_string());
                None
            }
        }
    }

    /// Like [`read`](Self::read), for a domain parse of the cell's text.
    fn domain<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, DomainError>,
    ) -> Option<Option<T>> {
        self.read(key, DomainError::code, |c| parse(&c.text()))
    }

    fn required<T>(&mut self, key: &str, value: Option<Option<T>>) -> Option<T> {
        match value {
            Some(Some(v)) => Some(v),
            Some(None) => {
                self.reject(key, String::new(), "required", "必填 / required".into());
                None
            }
            None => None,
        }
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(['、', ',', '，', ';', '；', '/'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s != "无")
        .collect()
}

/// Every data row of an enterprise ledger as an enterprise, or rejected with every bad cell.
pub fn enterprises(table: &Table, defaults: &Defaults) -> (Vec<(u32, Enterprise)>, Vec<Rejection>) {
    let layout = layout(table, SheetKind::Enterprises);
    let mut accepted = Vec::new();
    let mut rejections = Vec::new();
    for row in table.data() {
        let mut r = RowReader {
            table,
            layout: &layout,
            row,
            rejections: Vec::new(),
        };
        let uscc = r.domain("uscc", Uscc::parse);
        let uscc = r.required("uscc", uscc);
        let name = r.domain("name", |s| Text::parse(s, 2, 100));
        let name = r.required("name", name);
        let park = r
            .domain("park", ParkCode::parse)
            .map(|p| p.unwrap_or_else(|| defaults.park.clone()));
        let region = match r.domain("region", RegionCode::parse) {
            Some(Some(region)) => Some(region),
            Some(None) => match &uscc {
                // The registering authority's division, positions 3–8 of the code.
                Some(u) => match RegionCode::parse(u.division_code()) {
                    Ok(region) => Some(region),
                    Err(e) => {
                        r.reject(
                            "region",
                            u.division_code().to_owned(),
                            e.code(),
                            e.to_string(),
                        );
                        None
                    }
                },
                None => None,
            },
            None => None,
        };
        let industry = r.domain("industry", IndustryCode::parse);
        let industry = r.required("industry", industry);
        let founded = r.read("founded_on", |_| "date", parse_date);
        let founded_on = r.required("founded_on", founded);
        let size = r
            .domain("size", SizeClass::parse)
            .map(|s| s.unwrap_or(SizeClass::Small));
        let strategic = r.domain("strategic_industry", StrategicIndustry::parse);
        let quals_until = r
            .read("qualifications_valid_until", |_| "date", parse_date)
            .map(|d| {
                d.unwrap_or_else(|| {
                    defaults
                        .today
                        .checked_add_months(Months::new(36))
                        .unwrap_or(defaults.today)
                })
            });
        let qualifications = r.read("qualifications", DomainError::code, |c| {
            split_list(&c.text())
                .iter()
                .map(|q| QualificationKind::parse(q))
                .collect::<Result<Vec<_>, _>>()
        });
        let mut flags = Vec::new();
        for (key, kind) in [
            ("dishonest_debtor", RiskFlagKind::DishonestDebtor),
            ("abnormal_operation", RiskFlagKind::AbnormalOperation),
        ] {
            if r.read(key, |_| "yes_no", parse_yes_no) == Some(Some(true)) {
                flags.push(RiskFlag {
                    kind,
                    recorded_on: defaults.today,
                });
            }
        }
        let need = r.read("financing_need", |_| "amount", parse_amount_wan);
        let term = r.read(
            "financing_term_months",
            |_| "whole_number",
            |c| {
                c.text()
                    .parse::<u16>()
                    .map_err(|_| DomainError::OutOfRange { min: 1, max: 360 })
            },
        );
        let consent = r.read("contact_consent", |_| "yes_no", parse_yes_no);
        let contact_name = r.cell("contact_name").map(Cell::text);
        let phone = r.cell("contact_phone").map(Cell::text);
        let email = r.cell("contact_email").map(Cell::text);
        let (
            Some(uscc),
            Some(name),
            Some(park),
            Some(region),
            Some(industry),
            Some(founded_on),
            Some(size),
            Some(strategic_industry),
            Some(until),
            Some(qualifications),
            Some(need),
            Some(term),
            Some(consent),
        ) = (
            uscc,
            name,
            park,
            region,
            industry,
            founded_on,
            size,
            strategic,
            quals_until,
            qualifications,
            need,
            term,
            consent,
        )
        else {
            rejections.append(&mut r.rejections);
            continue;
        };
        let e = Enterprise {
            uscc,
            name,
            park,
            region,
            industry,
            strategic_industry,
            founded_on,
            size,
            qualifications: qualifications
                .unwrap_or_default()
                .into_iter()
                .map(|kind| Qualification {
                    kind,
                    certificate_number: None,
                    valid_until: until,
                })
                .collect(),
            risk_flags: flags,
            financing_need: need.map(|amount| FinancingNeed {
                amount,
                term_months: term.unwrap_or(12),
            }),
            contact: contact_name.map(|name| Contact { name, phone, email }),
            contact_consent: consent.unwrap_or(false),
        };
        for v in e.violations() {
            let key = v.field.split(['.', '[']).next().unwrap_or("").to_owned();
            let key = match key.as_str() {
                "financing_need" => "financing_term_months".to_owned(),
                "contact" => format!("contact_{}", v.field.rsplit('.').next().unwrap_or("name")),
                other => other.to_owned(),
            };
            r.reject(&key, String::new(), v.error.code(), v.error.to_string());
        }
        if r.rejections.is_empty() {
            accepted.push((row.number, e));
        } else {
            rejections.append(&mut r.rejections);
        }
    }
    (accepted, rejections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_park_ledger_yields_every_good_enterprise_and_names_the_bad_one() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../test-data/park-ledger-hongqi.xlsx"
        );
        let bytes = std::fs::read(path).unwrap_or_else(|e| unreachable!("{path}: {e}"));
        let tables = crate::read_xlsx(&bytes).unwrap_or_else(|e| unreachable!("{e}"));
        let defaults = Defaults {
            park: ParkCode::parse("hqkfq").unwrap_or_else(|e| unreachable!("{e}")),
            today: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default(),
        };
        let (good, bad) = enterprises(&tables[0], &defaults);
        assert_eq!(
            bad.iter().map(|b| (b.row, b.code)).collect::<Vec<_>>(),
            vec![(43, "uscc_check_character")],
            "{bad:#?}"
        );
        assert_eq!(bad[0].column, "统一社会\n信用代码");
        assert_eq!(good.len(), 40);
        let second = &good[1].1;
        assert_eq!(
            second.uscc.as_str(),
            "91410702EL8DHXT2NX",
            "full-width code read"
        );
        assert_eq!(second.region.as_str(), "410702", "region from the code");
        assert_eq!(
            second.financing_need.as_ref().map(|n| n.amount.fen()),
            Some(1_500_000_000),
            "1500万元"
        );
        assert!(good.iter().all(|(_, e)| e.park.as_str() == "hqkfq"));
    }
}
