use crate::codes::code;
use thiserror::Error;

/// Why a value of the field is not valid. Every case has a stable machine [`code`](Self::code);
/// the message is Chinese first, English after.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("统一社会信用代码应为18位，实际为{found}位 / a USCC has 18 characters, found {found}")]
    UsccLength { found: usize },
    #[error(
        "统一社会信用代码第{position}位不得使用字母{letter} / USCC position {position}: the letter {letter} is not used"
    )]
    UsccForbiddenLetter { position: usize, letter: char },
    #[error(
        "统一社会信用代码第{position}位字符“{character}”无效 / USCC position {position}: invalid character '{character}'"
    )]
    UsccInvalidCharacter { position: usize, character: char },
    #[error(
        "统一社会信用代码校验码应为{expected}，实际为{found} / USCC check character should be {expected}, found {found}"
    )]
    UsccCheckCharacter { expected: char, found: char },

    #[error(
        "专利申请号格式无效（应为12位数字+校验位，或2003年前的8位数字+校验位） / patent application number must be 12 digits (8 before 2003) and a check character"
    )]
    ApplicationNumberFormat,
    #[error("专利申请号的专利类型位“{digit}”无效 / unknown patent type digit '{digit}'")]
    ApplicationNumberKind { digit: char },
    #[error(
        "专利申请号中的申请年份{year}无效 / filing year {year} is not possible in this number form"
    )]
    ApplicationNumberYear { year: i32 },
    #[error(
        "专利申请号校验位应为{expected}，实际为{found} / application number check character should be {expected}, found {found}"
    )]
    ApplicationNumberCheck { expected: char, found: char },
    #[error(
        "公开(公告)号格式无效（应为CN+9位数字+类型码） / publication number must be CN, 9 digits and a kind code"
    )]
    PublicationNumberFormat,
    #[error("IPC分类号格式无效（如B23K 37/04） / IPC class must look like B23K 37/04")]
    IpcClass,

    #[error("商标注册号应为1至9位数字 / a trademark registration number has 1 to 9 digits")]
    TrademarkNumber,
    #[error("尼斯分类应为1至45类，实际为{found} / Nice class must be 1 to 45, found {found}")]
    NiceClass { found: i64 },

    #[error(
        "行政区划代码应为有效省份开头的6位数字 / a region code is 6 digits starting with a province code"
    )]
    RegionCode,
    #[error(
        "行业代码应符合GB/T 4754-2017（门类字母加2至4位数字，如C35） / industry code must follow GB/T 4754-2017, e.g. C35"
    )]
    IndustryCode,

    #[error("金额不能为负数或超出范围 / an amount must not be negative or out of range")]
    MoneyRange,
    #[error("比率应在0至10000个基点之间 / a rate must be 0 to 10000 basis points")]
    BasisPointsRange,

    #[error(
        "长度应为{min}至{max}个字符，实际为{found} / length must be {min} to {max} characters, found {found}"
    )]
    TextLength {
        min: usize,
        max: usize,
        found: usize,
    },
    #[error(
        "代码只能由字母、数字、-和_组成，长度2至32 / a code is 2 to 32 letters, digits, - or _"
    )]
    CodeFormat,
    #[error("取值“{value}”无效，可选：{allowed} / '{value}' is not one of: {allowed}")]
    UnknownValue { value: String, allowed: String },
    #[error("日期{later}不能早于{earlier} / {later} must not be before {earlier}")]
    DateOrder {
        earlier: &'static str,
        later: &'static str,
    },
    #[error("{larger}不能小于{smaller} / {larger} must not be less than {smaller}")]
    Order {
        smaller: &'static str,
        larger: &'static str,
    },
    #[error(
        "申请日年份应与申请号一致（{expected}年） / the filing date must fall in the year of the application number ({expected})"
    )]
    FilingYearMismatch { expected: i32 },
    #[error("{field}为必填项 / {field} is required here")]
    Required { field: &'static str },
    #[error("{field}在此状态下应为空 / {field} must be empty here")]
    NotAllowed { field: &'static str },
    #[error("日期不能晚于今天（{today}） / {field} must not be after today ({today})")]
    InFuture {
        field: &'static str,
        today: chrono::NaiveDate,
    },
    #[error("取值超出范围（{min}至{max}） / value out of range ({min} to {max})")]
    OutOfRange { min: i64, max: i64 },
    #[error(
        "{value}不在常见范围{low}至{high}之内；确属如此请在请求中注明 confirm_unusual: true / {value} lies outside the usual {low} to {high}: send confirm_unusual: true if it is meant"
    )]
    Unusual {
        value: String,
        low: String,
        high: String,
    },
    #[error("格式无效 / invalid format: {what}")]
    Format { what: &'static str },
    #[error("日期应在{earliest}至{latest}之间 / the date must lie between {earliest} and {latest}")]
    DateWindow {
        earliest: chrono::NaiveDate,
        latest: chrono::NaiveDate,
    },
    #[error("最多{max}项 / at most {max} items")]
    TooMany { max: usize },
    #[error("与前面的项重复 / repeats an earlier item")]
    Repeated,
    #[error(
        "放款金额不能超过审批金额{approved} / a disbursement cannot exceed the approved {approved}"
    )]
    AboveApproved { approved: crate::Money },
    #[error("不属于该企业（或未登记） / not the enterprise's (or not registered)")]
    IpNotOwned,
    #[error("已质押（{registration}） / already pledged ({registration})")]
    IpAlreadyPledged { registration: String },
}

impl DomainError {
    /// The stable machine code of this error, shown to API clients and in import reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UsccLength { .. } => code::USCC_LENGTH,
            Self::UsccForbiddenLetter { .. } => code::USCC_FORBIDDEN_LETTER,
            Self::UsccInvalidCharacter { .. } => code::USCC_INVALID_CHARACTER,
            Self::UsccCheckCharacter { .. } => code::USCC_CHECK_CHARACTER,
            Self::ApplicationNumberFormat => code::APPLICATION_NUMBER_FORMAT,
            Self::ApplicationNumberKind { .. } => code::APPLICATION_NUMBER_KIND,
            Self::ApplicationNumberYear { .. } => code::APPLICATION_NUMBER_YEAR,
            Self::ApplicationNumberCheck { .. } => code::APPLICATION_NUMBER_CHECK,
            Self::PublicationNumberFormat => code::PUBLICATION_NUMBER_FORMAT,
            Self::IpcClass => code::IPC_CLASS,
            Self::TrademarkNumber => code::TRADEMARK_NUMBER,
            Self::NiceClass { .. } => code::NICE_CLASS,
            Self::RegionCode => code::REGION_CODE,
            Self::IndustryCode => code::INDUSTRY_CODE,
            Self::MoneyRange => code::MONEY_RANGE,
            Self::BasisPointsRange => code::BASIS_POINTS_RANGE,
            Self::TextLength { .. } => code::TEXT_LENGTH,
            Self::CodeFormat => code::CODE_FORMAT,
            Self::UnknownValue { .. } => code::UNKNOWN_VALUE,
            Self::DateOrder { .. } => code::DATE_ORDER,
            Self::Order { .. } => code::ORDER,
            Self::FilingYearMismatch { .. } => code::FILING_YEAR_MISMATCH,
            Self::Required { .. } => code::REQUIRED,
            Self::NotAllowed { .. } => code::NOT_ALLOWED,
            Self::InFuture { .. } => code::DATE_IN_FUTURE,
            Self::OutOfRange { .. } => code::OUT_OF_RANGE,
            Self::Format { .. } => code::FORMAT,
            Self::DateWindow { .. } => code::DATE_RANGE,
            Self::TooMany { .. } => code::TOO_MANY,
            Self::Repeated => code::REPEATED,
            Self::AboveApproved { .. } => code::ABOVE_APPROVED,
            Self::IpNotOwned => code::IP_NOT_OWNED,
            Self::IpAlreadyPledged { .. } => code::IP_ALREADY_PLEDGED,
            Self::Unusual { .. } => code::UNUSUAL_VALUE,
        }
    }
}

/// Every invalid field found while typed fields are read into domain values.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Keeps the value, or records the error under `field`.
    pub fn field<T>(&mut self, field: &str, r: Result<T, DomainError>) -> Option<T> {
        r.map_err(|e| self.push(field, e)).ok()
    }

    /// Records an error found another way.
    pub fn push(&mut self, field: &str, error: DomainError) {
        self.0.push(Violation::new(field, error));
    }

    /// `Ok` when nothing was recorded, every violation otherwise.
    pub fn finish(self) -> Result<(), Vec<Violation>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// One invalid field of a larger value: the field's name (as the API spells it) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub error: DomainError,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, error: DomainError) -> Self {
        Self {
            field: field.into(),
            error,
        }
    }

    /// A violation of `field` when `date` is later than `today`: facts of the past (a filing,
    /// a grant, a founding, an appraisal) cannot be dated after the day they are recorded on.
    pub fn if_future(
        field: &'static str,
        date: Option<chrono::NaiveDate>,
        today: chrono::NaiveDate,
    ) -> Option<Self> {
        date.filter(|d| *d > today)
            .map(|_| Self::new(field, DomainError::InFuture { field, today }))
    }

    /// A violation of `field` when a past fact's `date` lies before `earliest` (a date after
    /// `today` is [`Violation::if_future`]'s to report).
    pub fn if_before(
        field: impl Into<String>,
        date: Option<chrono::NaiveDate>,
        earliest: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> Option<Self> {
        date.filter(|d| *d < earliest).map(|_| {
            Self::new(
                field,
                DomainError::DateWindow {
                    earliest,
                    latest: today,
                },
            )
        })
    }

    /// A violation of `field` when `date` lies outside `earliest..=latest`.
    pub fn if_outside(
        field: impl Into<String>,
        date: Option<chrono::NaiveDate>,
        earliest: chrono::NaiveDate,
        latest: chrono::NaiveDate,
    ) -> Option<Self> {
        date.filter(|d| *d < earliest || *d > latest)
            .map(|_| Self::new(field, DomainError::DateWindow { earliest, latest }))
    }
}
