//! The one table of stable error codes: every code an answer or a report can carry, with its
//! HTTP status and its title in Chinese and English. Codes are written here and nowhere else;
//! the rest of the code names them by the constants of [`code`]. `docs/errors.md` is
//! generated from this table (`cargo run -- errors > docs/errors.md`), and a test checks it
//! is current.

/// One stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The code, as answers carry it.
    pub code: &'static str,
    /// The HTTP status of a problem with this code (422 for a field's code).
    pub status: u16,
    /// Short title in Chinese.
    pub zh: &'static str,
    /// Short title in English.
    pub en: &'static str,
}

macro_rules! error_codes {
    ($($name:ident = $code:literal, $status:literal, $zh:literal, $en:literal;)+) => {
        /// The codes, by name.
        pub mod code {
            $(#[doc = $en] pub const $name: &str = $code;)+
        }

        /// Every code, in the order of the table.
        pub const ERROR_CODES: &[ErrorCode] = &[
            $(ErrorCode { code: $code, status: $status, zh: $zh, en: $en },)+
        ];
    };
}

error_codes! {
    // Problems: what a request as a whole gets.
    MALFORMED_JSON = "malformed_json", 400, "请求体不是有效的JSON", "the body is not valid JSON";
    BODY_UNREADABLE = "body_unreadable", 400, "无法读取请求体", "the body could not be read";
    BAD_QUERY = "bad_query", 400, "查询参数无法读取", "the query string could not be read";
    UNKNOWN_PARAMETER = "unknown_parameter", 400, "该地址不接受此查询参数", "a query parameter the route does not take";
    MULTIPART_REQUIRED = "multipart_required", 400, "须以multipart/form-data上传", "send the file as multipart/form-data";
    BAD_MULTIPART = "bad_multipart", 400, "上传内容无法读取", "the upload could not be read";
    UNAUTHORIZED = "unauthorized", 401, "未认证", "missing or invalid token";
    ADMIN_ONLY = "admin_only", 403, "仅市知识产权局可操作", "only the city IP office may do this";
    READ_ONLY_ROLE = "read_only_role", 403, "该角色不能修改登记信息", "this role cannot change the registry";
    OUT_OF_SCOPE = "out_of_scope", 403, "超出本园区或本行范围", "outside your park or bank";
    NOT_PUBLISHED = "not_published", 403, "银行只能查看已发布白名单中的企业", "banks see only enterprises on a published white list";
    BANK_OR_ADMIN = "bank_or_admin", 403, "仅银行和市知识产权局可管理产品", "only banks and the city IP office manage products";
    BANK_ONLY = "bank_only", 403, "仅银行可记录对接结果", "only a bank records what it did";
    ADMIN_OR_PARK = "admin_or_park", 403, "仅市知识产权局和所在园区可查看", "only the city IP office and the enterprise's park";
    FOUR_EYES = "four_eyes", 403, "提名人不能审核自己的提名", "who nominated an entry cannot approve it";
    NOT_FOUND = "not_found", 404, "不存在", "not found";
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "该地址不支持此方法", "the route does not take this method";
    TIMEOUT = "timeout", 408, "请求超时", "the request took too long";
    DUPLICATE = "duplicate", 409, "已存在", "already exists";
    VERSION_CONFLICT = "version_conflict", 409, "已被他人修改", "changed by someone else";
    VERSION_REQUIRED = "version_required", 409, "修改时须提供读取到的版本", "send the version you read";
    ILLEGAL_TRANSITION = "illegal_transition", 409, "白名单条目当前状态不允许此操作", "the entry's state does not allow this step";
    SCREENING_FAILED = "screening_failed", 409, "未通过入库筛查", "the enterprise fails the entry criteria";
    ALREADY_LISTED = "already_listed", 409, "企业已有有效条目", "the enterprise already has a live entry";
    BATCH_NOT_DRAFT = "batch_not_draft", 409, "批次已发布或已关闭", "the batch is no longer a draft";
    UNDECIDED_ENTRIES = "undecided_entries", 409, "批次尚有未审核条目", "the batch has entries not yet decided";
    PRODUCT_WITHDRAWN = "product_withdrawn", 409, "产品已下架", "the product is withdrawn";
    ILLEGAL_PRODUCT_STATUS = "illegal_product_status", 409, "产品当前状态不允许此操作", "the product's status does not allow this";
    ILLEGAL_OUTCOME_STEP = "illegal_outcome_step", 409, "对接结果当前阶段不允许此步骤", "the outcome's stage does not allow this step";
    OUTCOME_OPEN = "outcome_open", 409, "该企业此产品已有未结束的对接结果", "an outcome for this enterprise and product is still open";
    NO_ANNOTATED_COPY = "no_annotated_copy", 409, "导入任务没有标注文件（尚未完成或未能生成）", "the import job has no annotated copy (not finished, or none could be written)";
    DATABASE_NOT_EMPTY = "database_not_empty", 409, "数据库非空", "the database already holds data";
    PAYLOAD_TOO_LARGE = "payload_too_large", 413, "请求体过大", "the body is larger than allowed";
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "请求体须为JSON", "the body must be application/json";
    VALIDATION_FAILED = "validation_failed", 422, "数据校验未通过", "invalid fields, each named";
    INTERNAL = "internal", 500, "服务器内部错误", "internal error";
    UNAVAILABLE = "unavailable", 503, "服务暂不可用", "the database does not answer";
    // Fields: what one field or cell gets, inside a 422 or an import report.
    INVALID_TYPE = "invalid_type", 422, "字段缺失或类型错误", "missing or of the wrong type";
    INVALID_QUERY = "invalid_query", 422, "查询参数无效", "invalid query parameter";
    UNREADABLE_FILE = "unreadable_file", 422, "文件无法读取", "the file cannot be read";
    FILE_TOO_LARGE = "file_too_large", 422, "文件超出导入上限", "the file passes an import limit";
    NO_KNOWN_SHEET = "no_known_sheet", 422, "没有可识别的工作表", "no sheet has a template's columns";
    USCC_LENGTH = "uscc_length", 422, "统一社会信用代码应为18位", "a USCC has 18 characters";
    USCC_FORBIDDEN_LETTER = "uscc_forbidden_letter", 422, "统一社会信用代码含不允许的字母", "a USCC never has I, O, S, V or Z";
    USCC_INVALID_CHARACTER = "uscc_invalid_character", 422, "统一社会信用代码含无效字符", "invalid character in a USCC";
    USCC_CHECK_CHARACTER = "uscc_check_character", 422, "统一社会信用代码校验位错误", "wrong USCC check character";
    APPLICATION_NUMBER_FORMAT = "application_number_format", 422, "申请号格式错误", "not a patent application number";
    APPLICATION_NUMBER_KIND = "application_number_kind", 422, "申请号的专利类型无效", "unknown patent kind digit";
    APPLICATION_NUMBER_YEAR = "application_number_year", 422, "申请号年份无效", "invalid filing year";
    APPLICATION_NUMBER_CHECK = "application_number_check", 422, "申请号校验位错误", "wrong application number check character";
    PUBLICATION_NUMBER_FORMAT = "publication_number_format", 422, "公开号格式错误", "not a publication number";
    IPC_CLASS = "ipc_class", 422, "IPC分类号无效", "invalid IPC class";
    TRADEMARK_NUMBER = "trademark_number", 422, "商标注册号无效", "invalid trademark registration number";
    NICE_CLASS = "nice_class", 422, "尼斯分类应为1–45", "a Nice class is 1 to 45";
    REGION_CODE = "region_code", 422, "行政区划代码无效", "invalid administrative division code";
    INDUSTRY_CODE = "industry_code", 422, "行业代码无效", "invalid GB/T 4754 industry code";
    MONEY_RANGE = "money_range", 422, "金额超出范围", "amount out of range";
    BASIS_POINTS_RANGE = "basis_points_range", 422, "基点超出范围", "basis points out of range";
    TEXT_LENGTH = "text_length", 422, "文字长度不符", "text too short or too long";
    CODE_FORMAT = "code_format", 422, "代码格式错误", "invalid code";
    UNKNOWN_VALUE = "unknown_value", 422, "不是可选的值", "not one of the allowed values";
    DATE_ORDER = "date_order", 422, "日期先后顺序错误", "dates out of order";
    ORDER = "order", 422, "数值先后顺序错误", "values out of order";
    FILING_YEAR_MISMATCH = "filing_year_mismatch", 422, "申请日与申请号年份不符", "filing date and number disagree on the year";
    REQUIRED = "required", 422, "必填", "required";
    NOT_ALLOWED = "not_allowed", 422, "不应填写", "not allowed here";
    DATE_IN_FUTURE = "date_in_future", 422, "日期晚于今天", "date after today";
    DATE_RANGE = "date_range", 422, "日期超出合理范围", "date outside the field's plausible window";
    TOO_MANY = "too_many", 422, "数量超过上限", "more items than allowed";
    UNUSUAL_VALUE = "unusual_value", 422, "超出常见范围（请核对单位；确属如此可确认后提交）", "outside the usual range (check the unit; confirm it if it is meant)";
    REPEATED = "repeated", 422, "与前面的项重复", "repeats an earlier item";
    ABOVE_APPROVED = "above_approved", 422, "放款金额超过审批金额", "a disbursement above the approved amount";
    IP_NOT_OWNED = "ip_not_owned", 422, "知识产权不属于该企业", "the IP is not the enterprise's";
    IP_ALREADY_PLEDGED = "ip_already_pledged", 422, "知识产权已质押", "the IP is already pledged";
    OUT_OF_RANGE = "out_of_range", 422, "超出范围", "out of range";
    FORMAT = "format", 422, "格式错误", "malformed";
    INNER_ADDRESS = "inner_address", 422, "地址指向内部网络", "an address of an inner network";
    // Ledger cells: what an import report says of a row.
    ENCODING = "encoding", 422, "文字编码无法识别", "unreadable text encoding";
    COLUMN_IGNORED = "column_ignored", 422, "未识别的列，其内容未导入", "a column no template has: its content was not imported";
    DUPLICATE_ROW = "duplicate_row", 422, "与前面的行重复", "repeats an earlier row";
    OWNER_AMBIGUOUS = "owner_ambiguous", 422, "同名企业不止一家", "several enterprises carry the name";
    OWNER_UNKNOWN = "owner_unknown", 422, "找不到权利人", "no such owner";
    TRANSFERRED_OUT = "transferred_out", 422, "专利已转让给园区外的权利人（不再计入原企业）", "transferred to an owner outside: no longer counted for the enterprise that held it";
    MOSTLY_OTHER_OWNERS = "mostly_other_owners", 422, "多数专利的权利人不是本园区企业", "most patents belong to owners outside the park";
    ENTERPRISE_UNKNOWN = "enterprise_unknown", 422, "企业未登记", "the enterprise is not registered";
    PARK_UNKNOWN = "park_unknown", 422, "园区不存在", "no such park";
    KIND_MISMATCH = "kind_mismatch", 422, "类型与编号不符", "the kind disagrees with the number";
    ANNUAL_FEE_GRACE = "annual_fee_grace", 422, "年费逾期，处于滞纳期（不能质押）", "a fee is overdue: in the grace, not pledgeable";
    FACTS_DISAGREE = "facts_disagree", 422, "同一行的事实互相矛盾（按更严的一方处理）", "the row's facts disagree (the stricter is taken)";
    VALUE_SET_ASIDE = "value_set_aside", 422, "无法识别，已忽略（不影响其他信息）", "not recognised: set aside, the rest of the row taken";
    STATUS_DISAGREES = "status_disagrees", 422, "登记的法律状态与保护期或年费不符", "the recorded status disagrees with the term or the fees";
    EXPIRY_UNKNOWN = "expiry_unknown", 422, "未注明有效期（记为未知，补充前不计入）", "no end date given: unknown, not counted until it is";
    PLEDGE_DETAILS_MISSING = "pledge_details_missing", 422, "质押信息不完整", "pledge particulars missing";
    YES_NO = "yes_no", 422, "应填是或否", "yes or no";
    WHOLE_NUMBER = "whole_number", 422, "应为整数", "a whole number";
    DATE = "date", 422, "日期无法识别", "not a date";
}

/// The entry of `code`, if it is listed.
pub fn error_code(code: &str) -> Option<&'static ErrorCode> {
    ERROR_CODES.iter().find(|c| c.code == code)
}

/// The table as Markdown, for `docs/errors.md`.
pub fn error_codes_markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\nEvery code pledge answers with: in a problem's `code`, in a field's `code` \
         (inside a 422), or in an import report's rejected cells. Generated from \
         `crates/domain/src/codes.rs` by `pledge errors`; do not edit by hand.\n\n\
         | code | status | 中文 | English |\n|---|---|---|---|\n",
    );
    for c in ERROR_CODES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.code, c.status, c.zh, c.en
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn docs_errors_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
        let written = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            written == error_codes_markdown(),
            "docs/errors.md is not the table: run `cargo run -- errors > docs/errors.md`"
        );
    }

    #[test]
    fn no_code_is_listed_twice() {
        let mut seen = HashSet::new();
        for c in ERROR_CODES {
            assert!(seen.insert(c.code), "{} is listed twice", c.code);
            assert!(
                c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{} is not snake_case",
                c.code
            );
            assert!((400..600).contains(&c.status), "{}", c.code);
        }
    }
}
