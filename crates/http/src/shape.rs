//! The shape of request values: lengths, patterns, ranges and counts that a value must have
//! before a domain parser reads it. Each shape is declared once here and answers twice: as the
//! schema the OpenAPI document shows (used with `#[schema(value_type = shape::X, inline)]`)
//! and as the check `validator`'s derive runs (`#[validate(custom(function = shape::x))]`).
//! The domain parsers keep what a schema cannot say: check characters, rules across fields,
//! references to stored records.

use crate::error::FieldError;
use pledge_domain::{DomainError, code};
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

/// Characters no text may hold: control characters, zero-width spaces and joiners, direction
/// marks and overrides, the byte-order mark (as `Text::parse` refuses them).
const HIDDEN: &str = r"\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF";
/// What may begin or end a text: neither hidden nor white space (a text is sent trimmed).
const EDGE: &str =
    r"\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200F\u2028-\u202F\u205F-\u2069\u3000\uFEFF";

/// One line of visible text, sent trimmed.
pub static LINE: LazyLock<String> =
    LazyLock::new(|| format!("^[^{EDGE}](?:[^{HIDDEN}]*[^{EDGE}])?$"));

/// Named patterns of identifiers and codes.
const FIXED: &[(&str, &str)] = &[
    ("code", "^[A-Za-z0-9_-]{2,32}$"),
    ("uscc", "^[0-9A-Za-z]{18}$"),
    (
        "region",
        "^(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}$",
    ),
    ("region_prefix", "^[0-9]{2,6}$"),
    ("industry", "^[A-T](?:[0-9]{2,4})?$"),
    ("login", "^[a-z0-9][a-z0-9._-]{1,63}$"),
    ("phone", "^\\+?[0-9][0-9-]{4,18}$"),
    (
        "email",
        "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,160}\\.[A-Za-z]{2,24}$",
    ),
    ("ipc", "^[A-H][0-9]{2}[A-Z](?: ?[0-9]{1,4}/[0-9]{1,6})?$"),
    ("publication_number", "^CN[0-9]{9}[ABUSCYD]$"),
    ("id", "^[0-9]{1,18}$"),
    (
        "match_cursor",
        "^-?[0-9]{1,20}[.]-?[0-9]{1,20}[.][0-9A-Za-z]{18}$",
    ),
];

fn fixed(name: &str) -> &'static str {
    FIXED
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("$^", |(_, p)| p)
}

static COMPILED: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    let mut all = vec![(
        "line",
        Regex::new(&LINE).expect("the line pattern compiles"),
    )];
    all.extend(
        FIXED
            .iter()
            .map(|(n, p)| (*n, Regex::new(p).expect("a fixed pattern compiles"))),
    );
    all
});

fn matches(name: &str, value: &str) -> bool {
    COMPILED
        .iter()
        .find(|(n, _)| *n == name)
        .is_some_and(|(_, re)| re.is_match(value))
}

/// A domain parser of an identifier, kept for its refusal.
type DomainParser = fn(&str) -> Result<(), DomainError>;

/// A string shape: a pattern and a length in characters.
struct StringShape {
    pattern: &'static str,
    min: usize,
    max: usize,
    /// The domain's parser of the identifier, for its own refusal codes.
    domain: Option<DomainParser>,
}

impl StringShape {
    fn pattern(&self) -> String {
        if self.pattern == "line" {
            LINE.clone()
        } else {
            fixed(self.pattern).to_owned()
        }
    }

    fn schema(&self) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .min_length(Some(self.min))
            .max_length(Some(self.max))
            .pattern(Some(self.pattern()))
    }

    fn check(&self, value: &str) -> Result<(), ValidationError> {
        // An identifier out of shape is answered with its own code, as the domain names it.
        if let Some(refused) = self.domain.and_then(|parse| parse(value).err())
            && !matches(self.pattern, value)
        {
            let mut e = ValidationError::new(refused.code());
            e.message = Some(Cow::Owned(refused.to_string()));
            return Err(e);
        }
        let n = value.chars().count();
        if n < self.min || n > self.max {
            let mut e = ValidationError::new("length");
            e.add_param(Cow::Borrowed("min"), &self.min);
            e.add_param(Cow::Borrowed("max"), &self.max);
            return Err(e);
        }
        if !matches(self.pattern, value) {
            return Err(ValidationError::new("regex"));
        }
        Ok(())
    }
}

macro_rules! string_shapes {
    (@domain) => { None };
    (@domain $domain:expr) => { Some($domain) };
    ($($(#[$doc:meta])* $ty:ident, $check:ident = $pattern:literal, $min:literal ..= $max:literal $(, $domain:expr)?;)+) => {
        $(
            $(#[$doc])*
            pub struct $ty;

            impl $ty {
                const SHAPE: StringShape = StringShape {
                    pattern: $pattern,
                    min: $min,
                    max: $max,
                    domain: string_shapes!(@domain $($domain)?),
                };
            }

            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    Self::SHAPE.schema().into()
                }
            }

            impl ToSchema for $ty {}

            $(#[$doc])*
            pub fn $check(value: &str) -> Result<(), ValidationError> {
                $ty::SHAPE.check(value)
            }
        )+
    };
}

string_shapes! {
    /// A name of an enterprise, park, bank, batch or product: 2–100 characters.
    Name, name = "line", 2..=100;
    /// A person's name, a label, an appraiser: 1–100 characters.
    Label, label = "line", 1..=100;
    /// A patent's title: 1–200 characters.
    Title, title = "line", 1..=200;
    /// A reason kept in the audit log: 1–500 characters.
    Reason, reason = "line", 1..=500;
    /// A longer text shown to people (a product's description): 1–2,000 characters.
    Description, description = "line", 1..=2000;
    /// A contact person's name: 1–50 characters.
    ContactName, contact_name = "line", 1..=50;
    /// A short note shown to people (a product's 贴息): 1–200 characters.
    Note, note = "line", 1..=200;
    /// A certificate's or a registration's number: 1–64 characters.
    Reference, reference = "line", 1..=64;
    /// A park's or bank's code: 2–32 letters, digits, `-`, `_`.
    Code, code = "code", 2..=32, |v| pledge_domain::ParkCode::parse(v).map(drop);
    /// 统一社会信用代码: 18 letters and digits (the check character is the domain's).
    Uscc, uscc = "uscc", 18..=18, |v| pledge_domain::Uscc::parse(v).map(drop);
    /// 行政区划代码: six digits beginning with a province's code.
    Region, region = "region", 6..=6, |v| pledge_domain::RegionCode::parse(v).map(drop);
    /// The first 2 to 6 digits of a region code.
    RegionPrefix, region_prefix = "region_prefix", 2..=6;
    /// A GB/T 4754 industry code or its prefix: a section letter and 0, 2, 3 or 4 digits.
    Industry, industry = "industry", 1..=5, |v| pledge_domain::IndustryCode::parse(v).map(drop);
    /// A person's login: 2–64 of `a-z 0-9 . _ -`.
    Login, login = "login", 2..=64;
    /// A telephone number: digits, `-`, an optional leading `+`.
    Phone, phone = "phone", 5..=20;
    /// An e-mail address.
    Email, email = "email", 6..=254;
    /// An IPC class, e.g. `B23Q 11/12`.
    Ipc, ipc = "ipc", 4..=17, |v| pledge_domain::IpcClass::parse(v).map(drop);
    /// A publication number, e.g. `CN107356125A`.
    PublicationNumber, publication_number = "publication_number", 12..=12, |v| pledge_domain::PublicationNumber::parse(v).map(drop);
    /// A numeric id or cursor in a query string.
    Id, id = "id", 1..=18;
    /// The `next_cursor` of a page of matches.
    MatchCursor, match_cursor = "match_cursor", 22..=64;
    /// A part of a name to search for: 1–100 characters.
    Search, search = "line", 1..=100;
}

/// A string out of a fixed set, for `#[schema(value_type = shape::…, inline)]`, with its
/// check for one value and for a list of them.
macro_rules! enum_shapes {
    ($($(#[$doc:meta])* $ty:ident, $check:ident, $checks:ident = $values:expr;)+) => {
        $(
            $(#[$doc])*
            pub struct $ty;

            impl $ty {
                fn values() -> Vec<&'static str> {
                    $values
                }
            }

            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .enum_values(Some($ty::values()))
                        .into()
                }
            }

            impl ToSchema for $ty {}

            $(#[$doc])*
            #[allow(dead_code)]
            pub fn $check(value: &str) -> Result<(), ValidationError> {
                one_of(&$ty::values(), value)
            }

            $(#[$doc])*
            #[allow(dead_code)]
            pub fn $checks(values: &[String]) -> Result<(), ValidationError> {
                let allowed = $ty::values();
                values.iter().try_for_each(|v| one_of(&allowed, v))
            }
        )+
    };
}

fn one_of(allowed: &[&str], value: &str) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let mut e = ValidationError::new(code::UNKNOWN_VALUE);
        e.message = Some(Cow::Owned(format!(
            "不是可选的值 / not one of: {}",
            allowed.join(", ")
        )));
        Err(e)
    }
}

/// The stable names of a domain enumeration and its Chinese names, both of which it reads.
macro_rules! named {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(<$t>::ALL.iter().map(|v| v.label_zh()))
            .collect()
    };
}

enum_shapes! {
    /// A qualification.
    Qualification, qualification, qualifications = named!(pledge_domain::QualificationKind);
    /// A risk flag.
    RiskFlag, risk_flag, risk_flags = named!(pledge_domain::RiskFlagKind);
    /// An enterprise's size class.
    Size, size, sizes = named!(pledge_domain::SizeClass);
    /// A 战略性新兴产业 area.
    StrategicIndustry, strategic_industry, strategic_industries = named!(pledge_domain::StrategicIndustry);
    /// A patent's legal status.
    LegalStatus, legal_status, legal_statuses = named!(pledge_domain::LegalStatus);
    /// A patent award.
    Award, award, awards = named!(pledge_domain::PatentAward);
    /// A white-list entry's status.
    EntryStatus, entry_status, entry_statuses = named!(pledge_domain::EntryStatus);
    /// Why a white-list entry changed.
    ReasonCode, reason_code, reason_codes = named!(pledge_domain::ReasonCode);
    /// A person's role.
    Role, role, roles = vec!["admin", "park", "bank"];
    /// A file format of an export.
    FileFormat, file_format, file_formats = vec!["xlsx", "csv"];
    /// A match list's format.
    MatchFormat, match_format, match_formats = vec!["json", "csv", "xlsx"];
    /// The order of a match list.
    MatchSort, match_sort, match_sorts = vec!["score", "credit_line"];
    /// A step of an outcome after the contact.
    OutcomeStep, outcome_step, outcome_steps = pledge_domain::OutcomeStage::ALL
        .iter()
        .filter(|s| **s != pledge_domain::OutcomeStage::Contacted)
        .flat_map(|s| [s.as_str(), s.label_zh()])
        .collect();
    /// Why nothing came of a contact.
    DeclineReason, decline_reason, decline_reasons = named!(pledge_domain::DeclineReason);
    /// The format of the financing figures.
    StatsFormat, stats_format, stats_formats = vec!["json", "xlsx"];
    /// An event a bank may subscribe to.
    Event, event, events = pledge_service::EVENTS.to_vec();
    /// The kind of a matchmaking round.
    RoundKind, round_kind, round_kinds = named!(pledge_domain::RoundKind);
    /// The kind of every sheet of an upload.
    SheetKind, sheet_kind, sheet_kinds = vec!["enterprises", "patents", "trademarks", "appraisals", "qualifications"];
    /// How an import treats bad rows.
    ImportMode, import_mode, import_modes = vec!["partial", "all_or_nothing"];
}

/// What figures are grouped by: comma-separated dimensions.
pub fn stats_by(value: &str) -> Result<(), ValidationError> {
    let allowed = ["bank", "product", "park", "industry", "month", "round"];
    if value.split(',').count() <= allowed.len() {
        value.split(',').try_for_each(|v| one_of(&allowed, v))
    } else {
        Err(ValidationError::new(code::TOO_MANY))
    }
}

/// Every item of a list of names.
pub fn names(values: &[String]) -> Result<(), ValidationError> {
    values.iter().try_for_each(|v| name(v))
}

/// Every item of a list of park or bank codes.
pub fn codes(values: &[String]) -> Result<(), ValidationError> {
    values.iter().try_for_each(|v| code(v))
}

/// Every item of a list of USCCs.
pub fn usccs(values: &[String]) -> Result<(), ValidationError> {
    values.iter().try_for_each(|v| uscc(v))
}

/// A white-list step that may be taken by request.
pub fn decision(value: &str) -> Result<(), ValidationError> {
    one_of(
        &["approve", "reject", "suspend", "reinstate", "remove"],
        value,
    )
}

/// Every item of a list of region prefixes.
pub fn region_prefixes(values: &[String]) -> Result<(), ValidationError> {
    values.iter().try_for_each(|v| region_prefix(v))
}

/// Every item of a list of industry codes.
pub fn industries(values: &[String]) -> Result<(), ValidationError> {
    values.iter().try_for_each(|v| industry(v))
}

/// A record's id in a request body: 1 to 2^53−1, the integers JSON carries exactly.
pub struct RecordId;

impl PartialSchema for RecordId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .maximum(Some(9_007_199_254_740_991_i64))
            .into()
    }
}

impl ToSchema for RecordId {}

/// Every id of a list within 1 to 2^53−1.
pub fn record_ids(values: &[i64]) -> Result<(), ValidationError> {
    if values
        .iter()
        .all(|v| (1..=9_007_199_254_740_991).contains(v))
    {
        Ok(())
    } else {
        let mut e = ValidationError::new("range");
        e.add_param(Cow::Borrowed("min"), &1);
        e.add_param(Cow::Borrowed("max"), &9_007_199_254_740_991_i64);
        Err(e)
    }
}

/// A page size in a query string: 1 to 500.
pub struct PageSize;

impl PartialSchema for PageSize {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .minimum(Some(1))
            .maximum(Some(500))
            .into()
    }
}

impl ToSchema for PageSize {}

/// A page size in a query string: 1 to 500, in digits.
pub fn page_size(value: &str) -> Result<(), ValidationError> {
    match value.parse::<u16>() {
        Ok(n) if (1..=500).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => {
            let mut e = ValidationError::new("range");
            e.add_param(Cow::Borrowed("min"), &1);
            e.add_param(Cow::Borrowed("max"), &500);
            Err(e)
        }
    }
}

/// A day in a query string, exactly `YYYY-MM-DD`.
pub fn date(value: &str) -> Result<(), ValidationError> {
    let exact = value.len() == 10
        && chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .is_ok_and(|d| d.format("%Y-%m-%d").to_string() == value);
    if exact {
        Ok(())
    } else {
        Err(ValidationError::new("regex"))
    }
}

/// A numeric value in a query string, in digits (an amount in 分).
pub fn digits(value: &str) -> Result<(), ValidationError> {
    if (1..=15).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("regex"))
    }
}

/// The document with each shaped field's own description beside its shape. (A documented
/// field of an inline type is written by the derive as `allOf: [shape, {type: object,
/// description}]`, which no string satisfies; this folds the description into the shape.)
pub fn described(doc: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    fold_descriptions(&mut value);
    value
}

fn fold_descriptions(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let folded = match map
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                Some([shape, Value::Object(note)])
                    if note.keys().all(|k| k == "type" || k == "description")
                        && note.get("type").is_none_or(|t| t == "object")
                        && shape.is_object() =>
                {
                    let mut shape = shape.clone();
                    if let (Some(d), Some(s)) = (note.get("description"), shape.as_object_mut()) {
                        s.insert("description".into(), d.clone());
                    }
                    Some(shape)
                }
                _ => None,
            };
            if let Some(shape) = folded {
                map.remove("allOf");
                if let Value::Object(s) = shape {
                    for (k, v) in s {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            map.values_mut().for_each(fold_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(fold_descriptions),
        _ => {}
    }
}

/// Field errors of a failed `validate()`, one per broken rule, with the codes every other
/// refusal uses: `text_length`, `too_many`, `out_of_range`, `format`.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    // In one order whatever the order the derive visits fields in.
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let at = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                if matches!(e.code.as_ref(), "length" | "range" | "regex") {
                    one(&at, e)
                } else {
                    domain_refusal(&at, e)
                }
            })),
            ValidationErrorsKind::Struct(inner) => collect(inner, &at, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{at}[{i}]"), out);
                }
            }
        }
    }
}

fn one(field: &str, e: &ValidationError) -> FieldError {
    let bound = |name: &str| {
        e.params
            .get(name)
            .map_or_else(|| "…".to_owned(), ToString::to_string)
    };
    let is_list = e
        .params
        .get("value")
        .is_some_and(serde_json::Value::is_array);
    let (code, message) = match e.code.as_ref() {
        "length" if is_list => (
            code::TOO_MANY,
            format!("最多{}项 / at most {} items", bound("max"), bound("max")),
        ),
        "length" => (
            code::TEXT_LENGTH,
            format!(
                "长度应为{}–{}个字符 / {}–{} characters",
                bound("min"),
                bound("max"),
                bound("min"),
                bound("max")
            ),
        ),
        "range" => (
            code::OUT_OF_RANGE,
            format!(
                "应在{}–{}之间 / from {} to {}",
                bound("min"),
                bound("max"),
                bound("min"),
                bound("max")
            ),
        ),
        _ => (
            code::FORMAT,
            "格式不符（首尾不能有空白，不能含控制或不可见字符）/ does not have the documented form"
                .to_owned(),
        ),
    };
    FieldError {
        field: field.to_owned(),
        code: code.into(),
        message,
    }
}

fn domain_refusal(field: &str, e: &ValidationError) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: e.code.to_string(),
        message: e.message.as_deref().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_visible_trimmed_text() {
        for ok in ["新乡", "a", "华锐 数控", "A-1（高新）"] {
            assert!(label(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            " a",
            "a ",
            "\u{3000}新乡",
            "a\u{200B}b",
            "a\nb",
            "\u{202E}",
            "",
        ] {
            assert!(label(bad).is_err(), "{bad:?}");
        }
        assert!(name("新").is_err(), "names have at least two characters");
        assert!(name(&"名".repeat(100)).is_ok());
        assert!(name(&"名".repeat(101)).is_err());
    }

    #[test]
    fn what_a_line_accepts_the_domain_keeps_unchanged() {
        for s in ["新乡高新区", "A-1（高新）", "x y"] {
            assert!(label(s).is_ok());
            let parsed = pledge_domain::Text::parse(s, 1, 100).expect("the domain takes it");
            assert_eq!(parsed.as_str(), s);
        }
    }

    #[test]
    fn identifiers_have_their_forms() {
        assert!(region("410702").is_ok());
        assert!(region("990702").is_err(), "99 is no province");
        assert!(industry("C3421").is_ok());
        assert!(industry("C3").is_err());
        assert!(uscc("91410700MA3X0001XX").is_ok());
        assert!(uscc("91410700 MA3X0001X").is_err());
        assert!(ipc("B23Q 11/12").is_ok());
        assert!(email("zhang@example.cn").is_ok());
        assert!(email("zhang").is_err());
        assert!(phone("138-0373-5678").is_ok());
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.len(), FIXED.len() + 1);
    }
}
#[cfg(test)]
mod described_tests {
    #[test]
    fn no_shaped_field_is_left_in_an_all_of_with_an_object() {
        let (_, doc) = crate::openapi::api_router().split_for_parts();
        fn wrappers(v: &serde_json::Value) -> usize {
            match v {
                serde_json::Value::Object(m) => {
                    let here = m.get("allOf").and_then(|a| a.as_array()).map_or(0, |xs| {
                        xs.iter()
                            .filter(|x| x["type"] == "object" && x.get("properties").is_none())
                            .count()
                    });
                    here + m.values().map(wrappers).sum::<usize>()
                }
                serde_json::Value::Array(xs) => xs.iter().map(wrappers).sum(),
                _ => 0,
            }
        }
        let raw = serde_json::to_value(&doc).expect("json");
        assert!(
            wrappers(&raw) > 0,
            "the derive writes the wrapper this folds"
        );
        assert_eq!(
            wrappers(&super::described(&doc)),
            0,
            "every wrapper is folded"
        );
    }
}
