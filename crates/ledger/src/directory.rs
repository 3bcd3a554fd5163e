//! The enterprises an import may refer to: those already stored that the file names, and
//! those the file itself brings. Owners written by name are found here, within the importing
//! official's scope.

use crate::Cell;
use crate::columns::SheetKind;
use crate::sheets::Sheet;
use pledge_domain::{ParkCode, PatentApplicationNumber, Uscc, name_key};
use std::collections::{BTreeSet, HashMap};

/// An enterprise as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub uscc: Uscc,
    pub name: String,
    /// 曾用名: found by these too.
    pub former_names: Vec<String>,
    pub park: ParkCode,
}

/// Why an owner could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// No enterprise of that code or name (within scope, for a name).
    Unknown,
    /// Several enterprises in scope carry the name.
    Ambiguous(usize),
}

/// Enterprises by code and by name, and which of them holds a stored patent.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    by_uscc: HashMap<Uscc, Known>,
    by_name: HashMap<String, BTreeSet<Uscc>>,
    holders: HashMap<PatentApplicationNumber, Uscc>,
}

impl Directory {
    /// Adds (or replaces) an enterprise, found by its name and its former names. A replaced
    /// name no longer finds it.
    pub fn insert(&mut self, known: Known) {
        if let Some(old) = self.by_uscc.get(&known.uscc) {
            for name in std::iter::once(&old.name).chain(&old.former_names) {
                if let Some(set) = self.by_name.get_mut(&name_key(name)) {
                    set.remove(&known.uscc);
                }
            }
        }
        for name in std::iter::once(&known.name).chain(&known.former_names) {
            self.by_name
                .entry(name_key(name))
                .or_default()
                .insert(known.uscc);
        }
        self.by_uscc.insert(known.uscc, known);
    }

    /// Records that `holder` (inserted too) holds the stored patent `number`.
    pub fn insert_holder(&mut self, number: PatentApplicationNumber, holder: Uscc) {
        self.holders.insert(number, holder);
    }

    /// The enterprise that holds the stored patent `number`, if the directory knows it.
    pub fn holder(&self, number: &PatentApplicationNumber) -> Option<&Known> {
        self.holders.get(number).and_then(|u| self.by_uscc.get(u))
    }

    /// The enterprise with this code, wherever it is.
    pub fn get(&self, uscc: &Uscc) -> Option<&Known> {
        self.by_uscc.get(uscc)
    }

    /// The one enterprise of this name in `scope` (every park when `None`).
    pub fn by_name(&self, name: &str, scope: Option<&ParkCode>) -> Result<&Known, Unresolved> {
        let found: Vec<&Known> = self
            .by_name
            .get(&name_key(name))
            .into_iter()
            .flatten()
            .filter_map(|u| self.by_uscc.get(u))
            .filter(|k| scope.is_none_or(|s| &k.park == s))
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(Unresolved::Unknown),
            many => Err(Unresolved::Ambiguous(many.len())),
        }
    }
}

/// The enterprises a file refers to, to be looked up before it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    pub usccs: BTreeSet<Uscc>,
    pub names: BTreeSet<String>,
    /// Patents whose owner a row writes by name: if the name is none of ours, the row may be
    /// a transfer out of the enterprise that holds it.
    pub patents: BTreeSet<PatentApplicationNumber>,
}

/// Every enterprise code and owner name written in `sheets`.
pub fn references(sheets: &[Sheet]) -> References {
    let mut out = References::default();
    for sheet in sheets {
        let keys: &[&str] = match sheet.kind {
            SheetKind::Enterprises | SheetKind::Qualifications => &["uscc"],
            SheetKind::Patents | SheetKind::Trademarks => &["owner"],
            SheetKind::Appraisals => &[],
        };
        // Only a sheet that can say a patent moved (a current owner's column, or legal
        // events) asks who holds its patents.
        let can_move = sheet
            .layout
            .position("owner")
            .and_then(|i| sheet.table.headers.get(i))
            .is_some_and(|h| crate::header_key(h).starts_with("当前"))
            || sheet.layout.position("legal_events").is_some();
        let number_at = match sheet.kind {
            SheetKind::Patents if can_move => sheet.layout.position("application_number"),
            _ => None,
        };
        for key in keys {
            let Some(at) = sheet.layout.position(key) else {
                continue;
            };
            for row in sheet.table.data() {
                let text = row.cells.get(at).map(Cell::text).unwrap_or_default();
                if text.is_empty() {
                    continue;
                }
                // Of several owners in one cell, the first is the one looked up.
                let text = match *key {
                    "owner" => crate::rows::split_owners(&text)
                        .into_iter()
                        .next()
                        .unwrap_or(text),
                    _ => text,
                };
                match Uscc::parse(&text) {
                    Ok(u) => {
                        out.usccs.insert(u);
                    }
                    Err(_) if *key == "owner" => {
                        out.names.insert(text);
                        let number = number_at
                            .and_then(|i| row.cells.get(i))
                            .and_then(|c| PatentApplicationNumber::parse(&c.text()).ok());
                        out.patents.extend(number);
                    }
                    Err(_) => {}
                }
            }
        }
    }
    out
}
