//! What one ledger row states about the registry, and how it is laid over what is stored: the
//! columns a sheet has replace the stored values, the ones it lacks keep them. So a ledger
//! without contact columns does not erase contacts, and importing the same file twice changes
//! nothing the second time. Ledgers produce these statements; the store applies them.

use crate::{
    Appraisal, Enterprise, NiceClass, Patent, PatentApplicationNumber, Qualification,
    QualificationKind, Trademark, TrademarkRegistrationNumber, Uscc, to_half_width,
};
use std::sync::Arc;

/// The appraiser recorded when a ledger gives an appraised value without naming who made it.
pub const UNSTATED_APPRAISER: &str = "台账未注明评估机构";

/// Where a row came from: the sheet (its index among the file's sheets) and the Excel row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub sheet: usize,
    pub row: u32,
}

/// The column keys a sheet has: a value it lacks is kept as stored.
pub type Stated = Arc<[&'static str]>;

/// An enterprise as a row states it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseRow {
    pub enterprise: Enterprise,
    pub stated: Stated,
    /// The qualifications whose end date the row gives (by the column, or by the item).
    pub dated: Vec<QualificationKind>,
    /// The qualifications whose certificate number the row gives.
    pub certified: Vec<QualificationKind>,
}

/// A patent as a row states it, with the appraisal the row carries.
#[derive(Debug, Clone, PartialEq)]
pub struct PatentRow {
    pub patent: Patent,
    pub stated: Stated,
    pub appraisal: Option<Appraisal>,
}

/// One qualification of an enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct QualificationRow {
    pub uscc: Uscc,
    pub qualification: Qualification,
}

/// The patent or trademark an appraisal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpNumber {
    Patent(PatentApplicationNumber),
    Trademark(TrademarkRegistrationNumber, NiceClass),
}

/// An appraisal of a patent or trademark.
#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalRow {
    pub ip: IpNumber,
    pub appraisal: Appraisal,
}

/// Every good row of a file, by kind, as the store applies them.
#[derive(Debug, Clone, Default)]
pub struct Statements {
    pub enterprises: Vec<(Source, EnterpriseRow)>,
    pub qualifications: Vec<(Source, QualificationRow)>,
    pub patents: Vec<(Source, PatentRow)>,
    pub trademarks: Vec<(Source, Trademark)>,
    pub appraisals: Vec<(Source, AppraisalRow)>,
    /// The rows rejected while reading, with the name of their kind (`patents` …).
    pub rejected: Vec<(Source, &'static str)>,
}

impl Statements {
    /// Good rows of every kind.
    pub fn accepted(&self) -> usize {
        self.enterprises.len()
            + self.qualifications.len()
            + self.patents.len()
            + self.trademarks.len()
            + self.appraisals.len()
    }
}

/// A name as it is meant: half-width, without spaces, brackets of one kind.
pub fn name_key(name: &str) -> String {
    let key: String = to_half_width(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect();
    // 有限责任公司 is the long form of 有限公司: one company, written either way.
    key.replace(LONG_FORM, SHORT_FORM)
}

/// The long and short forms of a limited company's name.
const LONG_FORM: &str = "有限责任公司";
const SHORT_FORM: &str = "有限公司";

/// The spellings a stored name of the same company may have: as written, its key, with
/// full-width brackets, and in the other form of 有限公司 / 有限责任公司.
pub fn name_spellings(name: &str) -> Vec<String> {
    let key = name_key(name);
    let wide = key.replace('(', "（").replace(')', "）");
    let mut all = vec![name.trim().to_owned(), key.clone(), wide.clone()];
    for k in [key, wide] {
        if k.contains(SHORT_FORM) {
            all.push(k.replace(SHORT_FORM, LONG_FORM));
        }
    }
    all.sort();
    all.dedup();
    all
}

impl EnterpriseRow {
    fn states(&self, key: &str) -> bool {
        self.stated.contains(&key)
    }

    /// The enterprise as it is after this row: the row's values over `stored`.
    pub fn merged(&self, stored: Option<&Enterprise>) -> Enterprise {
        let mut e = self.enterprise.clone();
        let Some(old) = stored else {
            return e;
        };
        if !self.states("region") {
            e.region = old.region;
        }
        if !self.states("former_names") {
            e.former_names = old.former_names.clone();
        }
        if !self.states("size") {
            e.size = old.size;
        }
        if !self.states("strategic_industry") {
            e.strategic_industry = old.strategic_industry;
        }
        if self.states("qualifications") {
            // A qualification the row names again keeps its certificate and its end date,
            // unless the row gives them.
            for q in &mut e.qualifications {
                if let Some(prev) = old.qualifications.iter().find(|p| p.kind == q.kind) {
                    if !self.certified.contains(&q.kind) {
                        q.certificate_number = prev.certificate_number.clone();
                    }
                    if !self.dated.contains(&q.kind) {
                        q.valid_until = prev.valid_until;
                    }
                }
            }
        } else {
            e.qualifications = old.qualifications.clone();
        }
        let mut flags = Vec::new();
        for prev in &old.risk_flags {
            let key = match prev.kind.as_str() {
                "dishonest_debtor" => "dishonest_debtor",
                "abnormal_operation" => "abnormal_operation",
                _ => "",
            };
            // A flag of a kind the sheet has no column for stays; one the row still marks
            // keeps the day it was first recorded.
            if !self.states(key) || e.risk_flags.iter().any(|f| f.kind == prev.kind) {
                flags.push(prev.clone());
            }
        }
        for f in &e.risk_flags {
            if !flags.iter().any(|p| p.kind == f.kind) {
                flags.push(f.clone());
            }
        }
        e.risk_flags = flags;
        if !self.states("financing_need") {
            e.financing_need = old.financing_need.clone();
        } else if !self.states("financing_term_months")
            && let (Some(need), Some(prev)) = (&mut e.financing_need, &old.financing_need)
        {
            need.term_months = prev.term_months;
        }
        if !self.states("contact_name") {
            e.contact = old.contact.clone();
        } else if let (Some(c), Some(prev)) = (&mut e.contact, &old.contact) {
            if !self.states("contact_phone") {
                c.phone = prev.phone.clone();
            }
            if !self.states("contact_email") {
                c.email = prev.email.clone();
            }
        }
        if !self.states("contact_consent") {
            e.contact_consent = old.contact_consent;
        }
        e
    }
}

impl PatentRow {
    fn states(&self, key: &str) -> bool {
        self.stated.contains(&key)
    }

    /// The patent as it is after this row (its appraisal aside: appraisals are added).
    pub fn merged(&self, stored: Option<&Patent>) -> Patent {
        let mut p = self.patent.clone();
        let Some(old) = stored else {
            return p;
        };
        // A grant's publication and its date give the grant date too.
        let dated = self.states("grant_date")
            || (self.states("publication_number") && self.states("published_on"));
        if !dated {
            p.grant_date = old.grant_date;
        }
        if !self.states("annual_fee_paid_until") {
            p.annual_fee_paid_until = old.annual_fee_paid_until;
        }
        if !self.states("co_owners") {
            p.co_owners = old.co_owners.clone();
        }
        if !self.states("co_owners_consent") {
            p.co_owners_consent = old.co_owners_consent;
        }
        if !self.states("ipc_main") {
            p.ipc_main = old.ipc_main.clone();
        }
        if !self.states("publication_number") {
            p.publication_number = old.publication_number.clone();
        }
        p.high_value = old.high_value.clone();
        p.same_day_double_filing = old.same_day_double_filing;
        p.appraisals = old.appraisals.clone();
        // The stored history, with the row's pledges recorded in it: a ledger's 否 erases no
        // pledge (only a release does), its 是 without particulars leaves one in force as it is.
        p.pledges = old.pledges.clone();
        for pledge in &self.patent.pledges {
            p.record_pledge(pledge.clone());
        }
        p
    }
}

impl QualificationRow {
    /// `stored` with this qualification added, or replacing the one of its kind.
    pub fn applied_to(&self, stored: &Enterprise) -> Enterprise {
        let mut e = stored.clone();
        match e
            .qualifications
            .iter_mut()
            .find(|q| q.kind == self.qualification.kind)
        {
            Some(q) => *q = self.qualification.clone(),
            None => e.qualifications.push(self.qualification.clone()),
        }
        e
    }
}

/// The trademark as it is after a row over `stored`: pledges and appraisals are kept.
pub fn merged_trademark(row: &Trademark, stored: Option<&Trademark>) -> Trademark {
    let mut t = row.clone();
    if let Some(old) = stored {
        t.pledge = old.pledge.clone();
        t.appraisals = old.appraisals.clone();
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_s_name_is_one_key_however_it_is_written() {
        let key = name_key("新乡市华锐机械有限公司");
        for other in [
            "新乡市华锐机械有限责任公司",
            " 新乡市华锐机械 有限公司",
            "新乡市华锐机械有限公司",
        ] {
            assert_eq!(name_key(other), key, "{other}");
        }
        assert_eq!(
            name_key("华锐（新乡）科技有限公司"),
            name_key("华锐(新乡)科技有限责任公司")
        );
        assert_ne!(name_key("新乡市华锐机械股份有限公司"), key);
        let spellings = name_spellings("华锐(新乡)科技有限公司");
        for s in [
            "华锐（新乡）科技有限公司",
            "华锐(新乡)科技有限责任公司",
            "华锐（新乡）科技有限责任公司",
        ] {
            assert!(spellings.iter().any(|x| x == s), "{s} in {spellings:?}");
        }
    }
}
