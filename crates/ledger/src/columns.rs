//! The columns of each kind of sheet, with the Chinese header offices use, English and usual
//! aliases, an example and a note. Templates are written from these definitions and imports
//! read by them, so the two cannot drift apart.

use crate::Table;
use crate::values::normalize_header;
use pledge_domain::{LegalStatus, PatentKind, QualificationKind, SizeClass, StrategicIndustry};

/// The kinds of sheet pledge reads and hands out as templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SheetKind {
    Enterprises,
    Patents,
    Trademarks,
    Appraisals,
    Qualifications,
}

impl SheetKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Enterprises,
        Self::Patents,
        Self::Trademarks,
        Self::Appraisals,
        Self::Qualifications,
    ];

    /// The stable name (`enterprises`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprises => "enterprises",
            Self::Patents => "patents",
            Self::Trademarks => "trademarks",
            Self::Appraisals => "appraisals",
            Self::Qualifications => "qualifications",
        }
    }

    /// The sheet name offices use.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Enterprises => "企业台账",
            Self::Patents => "专利清单",
            Self::Trademarks => "商标清单",
            Self::Appraisals => "评估信息",
            Self::Qualifications => "企业资质",
        }
    }

    /// Parses the stable name or the sheet name.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
    }
}

/// The value a column takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Text,
    Date,
    /// An amount in 万元.
    AmountWan,
    Whole,
    /// One of these (Chinese names; the stable names are accepted too).
    OneOf(Vec<&'static str>),
    /// Several of these joined by 、 or commas.
    SomeOf(Vec<&'static str>),
}

/// One column of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The field it fills, as the API names it.
    pub key: &'static str,
    /// The header written in templates.
    pub header: &'static str,
    /// Other headers met in practice, English ones included.
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub shape: Shape,
    /// A filled example.
    pub example: &'static str,
    /// What to write, for the notes sheet.
    pub note: &'static str,
    /// Whether templates and exports carry it: a column only patent databases write (their
    /// simple status, publication date, estimated expiry) is read, never handed out.
    pub in_template: bool,
}

#[allow(clippy::too_many_arguments)]
fn col(
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    shape: Shape,
    example: &'static str,
    note: &'static str,
) -> Column {
    Column {
        key,
        header,
        aliases,
        required,
        shape,
        example,
        note,
        in_template: true,
    }
}

/// A column read from patent databases' exports only (see [`Column::in_template`]).
fn read_only(column: Column) -> Column {
    Column {
        in_template: false,
        ..column
    }
}

/// The columns templates and exports of `kind` carry, in order.
pub fn template_columns(kind: SheetKind) -> Vec<Column> {
    columns(kind)
        .into_iter()
        .filter(|c| c.in_template)
        .collect()
}

fn yes_no() -> Shape {
    Shape::OneOf(vec!["是", "否"])
}

/// The columns of `kind`, in template order.
pub fn columns(kind: SheetKind) -> Vec<Column> {
    use Shape::*;
    let uscc = |required| {
        col(
            "uscc",
            "统一社会信用代码",
            &[
                "社会信用代码",
                "信用代码",
                "统一代码",
                "统一社会信用代码/注册号",
                "纳税人识别号",
                "企业代码",
                "uscc",
                "unified social credit code",
            ],
            required,
            Text,
            "91410702MA44X7JG2R",
            "18位，大小写、全角均可",
        )
    };
    match kind {
        SheetKind::Enterprises => vec![
            uscc(true),
            col(
                "name",
                "企业名称",
                &[
                    "名称",
                    "企业",
                    "单位名称",
                    "企业全称",
                    "公司名称",
                    "申报单位",
                    "申请单位",
                    "name",
                    "enterprise",
                ],
                true,
                Text,
                "新乡市华锐新材料有限公司",
                "营业执照上的全称",
            ),
            col(
                "former_names",
                "曾用名",
                &["原名称", "曾用名称", "历史名称", "former names"],
                false,
                Text,
                "",
                "改过名的填写，多个用“、”分隔；专利权人写旧名称时据此找到企业",
            ),
            col(
                "park",
                "园区代码",
                &["园区", "park"],
                false,
                Text,
                "hqkfq",
                "留空则为导入人所在园区",
            ),
            col(
                "region",
                "行政区划代码",
                &["区划代码", "所在地区划代码", "行政区划", "region"],
                false,
                Text,
                "410702",
                "6位；留空则取信用代码第3–8位",
            ),
            col(
                "industry",
                "行业代码",
                &[
                    "国民经济行业代码",
                    "所属行业代码",
                    "行业分类代码",
                    "国民经济行业分类代码",
                    "industry",
                    "industry code",
                ],
                true,
                Text,
                "C3511",
                "GB/T 4754-2017，字母加0、2、3或4位数字",
            ),
            col(
                "founded_on",
                "成立日期",
                &[
                    "成立时间",
                    "注册时间",
                    "注册日期",
                    "注册成立日期",
                    "设立日期",
                    "成立年月",
                    "founded",
                    "founded on",
                ],
                true,
                Date,
                "2015-06-01",
                "日期格式均可：2015-06-01、2015/6/1、2015年6月1日、20150601",
            ),
            col(
                "size",
                "企业规模",
                &["规模", "企业规模类型", "size"],
                false,
                OneOf(SizeClass::ALL.iter().map(|s| s.label_zh()).collect()),
                "小型",
                "微型、小型、中型、大型；留空为小型",
            ),
            col(
                "strategic_industry",
                "战略性新兴产业",
                &[
                    "战新产业",
                    "所属战略性新兴产业",
                    "战略性新兴产业领域",
                    "strategic industry",
                ],
                false,
                OneOf(
                    StrategicIndustry::ALL
                        .iter()
                        .map(|s| s.label_zh())
                        .collect(),
                ),
                "高端装备制造",
                "九大领域之一，可空",
            ),
            col(
                "qualifications",
                "企业资质",
                &[
                    "资质",
                    "资质情况",
                    "企业资质情况",
                    "荣誉资质",
                    "资质认定",
                    "qualifications",
                ],
                false,
                SomeOf(
                    QualificationKind::ALL
                        .iter()
                        .map(|q| q.label_zh())
                        .collect(),
                ),
                "高新技术企业、专精特新中小企业",
                "多个用“、”分隔；“无”或留空表示没有",
            ),
            col(
                "qualifications_valid_until",
                "资质有效期至",
                &[
                    "资质有效期",
                    "资质到期日",
                    "证书有效期",
                    "qualifications valid until",
                ],
                false,
                Date,
                "2027-12-31",
                "留空则按证书常见有效期三年计",
            ),
            col(
                "dishonest_debtor",
                "是否失信被执行人",
                &[
                    "失信被执行人",
                    "是否失信",
                    "失信",
                    "失信情况",
                    "是否列入失信被执行人名单",
                    "dishonest debtor",
                ],
                false,
                yes_no(),
                "否",
                "是/否",
            ),
            col(
                "abnormal_operation",
                "是否列入经营异常名录",
                &[
                    "经营异常",
                    "是否经营异常",
                    "经营异常名录",
                    "是否存在经营异常",
                    "abnormal operation",
                ],
                false,
                yes_no(),
                "否",
                "是/否",
            ),
            col(
                "financing_need",
                "融资需求(万元)",
                &[
                    "融资需求",
                    "拟融资金额",
                    "融资金额",
                    "融资需求金额",
                    "融资需求额度",
                    "资金需求",
                    "贷款需求",
                    "拟贷款金额",
                    "申请金额",
                    "financing need",
                ],
                false,
                AmountWan,
                "500",
                "单位万元；可写500或500万",
            ),
            col(
                "financing_term_months",
                "融资期限(月)",
                &["融资期限", "贷款期限", "拟融资期限", "期限", "term months"],
                false,
                Whole,
                "12",
                "月数，留空为12",
            ),
            col(
                "contact_name",
                "联系人",
                &["联系人姓名", "企业联系人", "contact", "contact name"],
                false,
                Text,
                "王芳",
                "个人信息，仅经企业同意后向银行展示",
            ),
            col(
                "contact_phone",
                "联系电话",
                &[
                    "电话",
                    "联系方式",
                    "手机",
                    "手机号码",
                    "联系人电话",
                    "phone",
                ],
                false,
                Text,
                "0373-1234567",
                "",
            ),
            col(
                "contact_email",
                "电子邮箱",
                &["邮箱", "电子邮件", "email"],
                false,
                Text,
                "wang@example.cn",
                "",
            ),
            col(
                "contact_consent",
                "同意向银行提供联系方式",
                &[
                    "联系方式授权",
                    "是否同意推送",
                    "是否同意向银行推送",
                    "同意推送",
                    "contact consent",
                ],
                false,
                yes_no(),
                "否",
                "是/否；未填视为不同意",
            ),
        ],
        SheetKind::Patents => vec![
            col(
                "application_number",
                "申请号",
                &[
                    "专利号",
                    "申请号/专利号",
                    "专利申请号",
                    "application number",
                    "patent number",
                ],
                true,
                Text,
                "ZL201710601862.3",
                "带不带ZL、点号、空格、全角均可",
            ),
            col(
                "title",
                "专利名称",
                &["名称", "发明名称", "发明创造名称", "标题", "title"],
                true,
                Text,
                "一种数控机床主轴冷却装置",
                "",
            ),
            col(
                "owner",
                "专利权人",
                &[
                    "权利人",
                    "专利权人名称",
                    "申请人",
                    "申请(专利权)人",
                    "当前申请(专利权)人",
                    "当前权利人",
                    "当前专利权人",
                    "owner",
                ],
                true,
                Text,
                "91410702MA44X7JG2R",
                "统一社会信用代码，或本园区内的企业名称",
            ),
            col(
                "kind",
                "专利类型",
                &["类型", "专利类别", "kind"],
                false,
                OneOf(vec![
                    PatentKind::Invention.label_zh(),
                    PatentKind::UtilityModel.label_zh(),
                    PatentKind::Design.label_zh(),
                    "发明申请",
                    "发明授权",
                ]),
                "发明",
                "可空：由申请号第5位判断；“发明申请”按未授权处理",
            ),
            col(
                "publication_number",
                "公开(公告)号",
                &["公开号", "公告号", "公开公告号", "publication number"],
                false,
                Text,
                "CN107356125B",
                "可空；授权公告（B/U/S）的公告日即授权日",
            ),
            read_only(col(
                "published_on",
                "公开(公告)日",
                &["公开日", "公开日期", "publication date"],
                false,
                Date,
                "2019-06-01",
                "",
            )),
            col(
                "filing_date",
                "申请日",
                &["申请日期", "filing date"],
                true,
                Date,
                "2017-03-05",
                "",
            ),
            col(
                "grant_date",
                "授权日",
                &["授权公告日", "授权日期", "公告日", "grant date"],
                false,
                Date,
                "2019-06-01",
                "审中专利留空",
            ),
            col(
                "legal_status",
                "法律状态",
                &[
                    "状态",
                    "当前法律状态",
                    "专利状态",
                    "案件状态",
                    "legal status",
                ],
                true,
                OneOf(LegalStatus::ALL.iter().map(|s| s.label_zh()).collect()),
                "有效",
                "有“简单法律状态”列时可空",
            ),
            read_only(col(
                "simple_legal_status",
                "简单法律状态",
                &["simple legal status"],
                false,
                OneOf(vec!["有效", "失效", "审中"]),
                "有效",
                "专利数据库导出的有效/失效/审中；与法律状态不一致时按更严的一方处理",
            )),
            read_only(col(
                "legal_events",
                "法律状态/事件",
                &[
                    "法律事件",
                    "法律状态事件",
                    "法律状态信息",
                    "法律信息",
                    "legal events",
                ],
                false,
                Text,
                "",
                "专利数据库导出的法律事件（每行一个或以分号分隔）：质押生效/注销、转移、终止、放弃、无效、恢复",
            )),
            read_only(col(
                "expected_expiry",
                "预估到期日",
                &["预计到期日", "到期日", "专利到期日", "expected expiry"],
                false,
                Date,
                "",
                "可空；早于按申请日计算的届满日时提示",
            )),
            read_only(col(
                "ended_on",
                "失效日",
                &["失效日期", "终止日", "终止日期", "ended on"],
                false,
                Date,
                "",
                "已失效的填写",
            )),
            col(
                "annual_fee_paid_until",
                "年费缴至",
                &[
                    "年费缴纳至",
                    "年费缴纳截止日",
                    "年费有效期至",
                    "annual fee paid until",
                ],
                false,
                Date,
                "2027-03-04",
                "",
            ),
            col(
                "co_owners",
                "共有人",
                &["共同专利权人", "co-owners"],
                false,
                Text,
                "",
                "多个用“、”分隔",
            ),
            col(
                "co_owners_consent",
                "共有人同意质押",
                &["共有人同意", "co-owners consent"],
                false,
                yes_no(),
                "否",
                "是/否",
            ),
            col(
                "ipc_main",
                "IPC主分类号",
                &["主分类号", "IPC主分类", "IPC分类号", "ipc"],
                false,
                Text,
                "B23Q 11/12",
                "",
            ),
            col(
                "pledge_registration_number",
                "质押登记号",
                &["质押登记编号", "pledge registration number"],
                false,
                Text,
                "",
                "已质押的填写",
            ),
            col(
                "pledge_registered_on",
                "质押登记日",
                &["质押日期", "pledge registered on"],
                false,
                Date,
                "",
                "",
            ),
            col(
                "pledge_released_on",
                "质押注销日",
                &["解押日期", "pledge released on"],
                false,
                Date,
                "",
                "已解除质押的填写",
            ),
            col(
                "pledged",
                "是否已质押",
                &["已质押", "是否质押", "质押状态", "pledged"],
                false,
                yes_no(),
                "否",
                "是/否；填“是”时请同时填写质押登记号和登记日",
            ),
            col(
                "appraisal_amount",
                "评估价值(万元)",
                &["评估价值", "评估值", "appraised value"],
                false,
                AmountWan,
                "800",
                "有评估的填写，单位万元",
            ),
            col(
                "appraised_on",
                "评估基准日",
                &["评估日期", "appraised on"],
                false,
                Date,
                "2026-03-01",
                "",
            ),
            col(
                "appraiser",
                "评估机构",
                &["评估公司", "appraiser"],
                false,
                Text,
                "河南中原资产评估有限公司",
                "",
            ),
        ],
        SheetKind::Trademarks => vec![
            col(
                "registration_number",
                "注册号",
                &["商标注册号", "registration number"],
                true,
                Whole,
                "12345678",
                "",
            ),
            col(
                "nice_class",
                "类别",
                &["国际分类", "尼斯分类", "nice class"],
                true,
                Whole,
                "7",
                "1–45",
            ),
            col(
                "name",
                "商标名称",
                &["商标", "name"],
                true,
                Text,
                "华锐",
                "",
            ),
            col(
                "owner",
                "注册人",
                &["商标注册人", "owner"],
                true,
                Text,
                "91410702MA44X7JG2R",
                "统一社会信用代码，或本园区内的企业名称",
            ),
            col(
                "registered_on",
                "注册日",
                &["注册日期", "registered on"],
                true,
                Date,
                "2018-05-14",
                "",
            ),
            col(
                "valid_until",
                "有效期至",
                &["专用权期限", "valid until"],
                true,
                Date,
                "2028-05-13",
                "",
            ),
        ],
        SheetKind::Appraisals => vec![
            col(
                "number",
                "申请号/注册号",
                &["申请号", "专利号", "注册号", "number"],
                true,
                Text,
                "201710601862.3",
                "专利填申请号；商标填“注册号/类别”，如12345678/7",
            ),
            col(
                "amount",
                "评估价值(万元)",
                &["评估价值", "评估值", "appraised value"],
                true,
                AmountWan,
                "800",
                "单位万元",
            ),
            col(
                "appraised_on",
                "评估基准日",
                &["评估日期", "appraised on"],
                true,
                Date,
                "2026-03-01",
                "",
            ),
            col(
                "valid_until",
                "评估有效期至",
                &["有效期至", "valid until"],
                false,
                Date,
                "2027-02-28",
                "留空为基准日起一年",
            ),
            col(
                "appraiser",
                "评估机构",
                &["评估公司", "appraiser"],
                true,
                Text,
                "河南中原资产评估有限公司",
                "",
            ),
        ],
        SheetKind::Qualifications => vec![
            uscc(true),
            col(
                "kind",
                "资质",
                &["资质名称", "qualification"],
                true,
                OneOf(
                    QualificationKind::ALL
                        .iter()
                        .map(|q| q.label_zh())
                        .collect(),
                ),
                "高新技术企业",
                "",
            ),
            col(
                "certificate_number",
                "证书编号",
                &["证书号", "certificate number"],
                false,
                Text,
                "GR202341000123",
                "",
            ),
            col(
                "valid_until",
                "有效期至",
                &["有效期", "valid until"],
                true,
                Date,
                "2026-12-31",
                "",
            ),
        ],
    }
}

/// Where each column of a kind sits in a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// (column key, position in the table).
    pub found: Vec<(&'static str, usize)>,
    /// Required columns the table lacks, by header.
    pub missing: Vec<&'static str>,
    /// Headers of the table that match no column (they are ignored).
    pub unknown: Vec<String>,
}

impl Layout {
    /// The position of the column `key`, if the table has it.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.found.iter().find(|(k, _)| *k == key).map(|(_, i)| *i)
    }
}

/// A header as it is matched: without spaces, line breaks, width or case, and with notes in
/// brackets (`（18位）`, `(是/否)`, `【必填】`) and a trailing unit (`万元`) set aside.
pub fn header_key(text: &str) -> String {
    let normal = normalize_header(text);
    let mut kept = String::with_capacity(normal.len());
    let mut depth = 0usize;
    for c in normal.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '<' | '《' => depth += 1,
            ')' | ']' | '】' | '〕' | '>' | '》' => depth = depth.saturating_sub(1),
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    for unit in ["单位:万元", "单位：万元", "/万元", "万元"] {
        if let Some(rest) = kept.strip_suffix(unit)
            && !rest.is_empty()
        {
            kept = rest.to_owned();
            break;
        }
    }
    if kept.is_empty() { normal } else { kept }
}

/// What an unrecognised header speaks of, when it is something a bank or the office would
/// miss if it were dropped: a risk, a qualification, a pledge, a contact or money.
pub fn concern_of(header: &str) -> Option<&'static str> {
    const CONCERNS: [(&str, &[&str]); 5] = [
        (
            "风险 / risk",
            &[
                "失信",
                "异常",
                "违法",
                "处罚",
                "风险",
                "黑名单",
                "被执行",
                "涉诉",
                "欠税",
            ],
        ),
        (
            "资质 / qualification",
            &[
                "资质",
                "认定",
                "证书",
                "高新",
                "专精特新",
                "小巨人",
                "科技型",
                "示范",
                "优势",
            ],
        ),
        ("质押 / pledge", &["质押", "抵押", "出质", "质权", "担保"]),
        (
            "联系人 / contact",
            &["联系", "电话", "手机", "邮箱", "负责人", "法人", "法定代表"],
        ),
        (
            "金额 / money",
            &[
                "金额", "万元", "元", "贷款", "融资", "营收", "收入", "利润", "资产", "授信",
            ],
        ),
    ];
    let key = normalize_header(header);
    CONCERNS
        .iter()
        .find(|(_, words)| words.iter().any(|w| key.contains(w)))
        .map(|(what, _)| *what)
}

/// The column that stands in for a required one a table lacks: a patent database's simple
/// legal status (有效 / 失效 / 审中) for the legal status.
pub fn standing_in(key: &str) -> Option<&'static str> {
    (key == "legal_status").then_some("simple_legal_status")
}

/// Whether a header (as matched) names the value as it stands now (当前权利人, 当前法律状态),
/// which a column of the same value as first recorded gives way to.
fn is_current(key: &str) -> bool {
    key.starts_with("当前")
}

/// Matches the table's headers with the columns of `kind` by header or alias, ignoring
/// spaces, line breaks, width, case, and notes in brackets; where two headers name one
/// column, the first, unless a later one names its current value.
pub fn layout(table: &Table, kind: SheetKind) -> Layout {
    let columns = columns(kind);
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for (i, h) in table.headers.iter().enumerate() {
        let h = header_key(h);
        if h.is_empty() {
            continue;
        }
        let hit = columns
            .iter()
            .find(|c| header_key(c.header) == h || c.aliases.iter().any(|a| header_key(a) == h));
        match hit {
            Some(c) => match found.iter_mut().find(|(k, _)| *k == c.key) {
                None => found.push((c.key, i)),
                // The current owner (当前权利人) stands over the applicant of record.
                Some(at) if is_current(&h) => at.1 = i,
                Some(_) => {}
            },
            None => unknown.push(table.headers[i].clone()),
        }
    }
    let has = |key: &str| found.iter().any(|(k, _)| *k == key);
    let missing = columns
        .iter()
        .filter(|c| c.required && !has(c.key) && !standing_in(c.key).is_some_and(has))
        .map(|c| c.header)
        .collect();
    Layout {
        found,
        missing,
        unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str]) -> Table {
        Table {
            sheet: "专利".into(),
            header_row: 1,
            above: Vec::new(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    #[test]
    fn a_patent_database_s_columns_are_read_and_the_current_owner_wins() {
        for headers in [
            [
                "申请号",
                "标题",
                "申请(专利权)人",
                "当前申请(专利权)人",
                "公开(公告)号",
            ],
            [
                "申请号",
                "标题",
                "当前申请（专利权）人",
                "申请（专利权）人",
                "公开（公告）号",
            ],
        ] {
            let l = layout(&table(&headers), SheetKind::Patents);
            assert_eq!(l.missing, ["申请日", "法律状态"], "{l:?}");
            let current = headers
                .iter()
                .position(|h| h.starts_with("当前"))
                .unwrap_or_default();
            assert_eq!(l.position("owner"), Some(current), "{headers:?}");
            assert_eq!(l.position("title"), Some(1));
            assert_eq!(l.position("application_number"), Some(0));
            assert_eq!(
                l.position("publication_number"),
                Some(4),
                "a publication number is never taken for an application number: {l:?}"
            );
        }
    }

    #[test]
    fn a_simple_legal_status_stands_in_for_the_legal_status() {
        let l = layout(
            &table(&["申请号", "标题", "当前权利人", "申请日", "简单法律状态"]),
            SheetKind::Patents,
        );
        assert!(l.missing.is_empty(), "{l:?}");
        assert_eq!(l.position("simple_legal_status"), Some(4));
    }
}
