use crate::DomainError;
use serde::{Deserialize, Serialize};

/// GB/T 4754-2017 sections (门类) with their range of two-digit divisions (大类).
const SECTIONS: [(u8, u8, u8); 20] = [
    (b'A', 1, 5),
    (b'B', 6, 12),
    (b'C', 13, 43),
    (b'D', 44, 46),
    (b'E', 47, 50),
    (b'F', 51, 52),
    (b'G', 53, 60),
    (b'H', 61, 62),
    (b'I', 63, 65),
    (b'J', 66, 69),
    (b'K', 70, 70),
    (b'L', 71, 72),
    (b'M', 73, 75),
    (b'N', 76, 79),
    (b'O', 80, 82),
    (b'P', 83, 83),
    (b'Q', 84, 85),
    (b'R', 86, 90),
    (b'S', 91, 96),
    (b'T', 97, 97),
];

/// The names of the sections (门类), in the order of [`SECTIONS`].
const SECTION_NAMES: [&str; 20] = [
    "农、林、牧、渔业",
    "采矿业",
    "制造业",
    "电力、热力、燃气及水生产和供应业",
    "建筑业",
    "批发和零售业",
    "交通运输、仓储和邮政业",
    "住宿和餐饮业",
    "信息传输、软件和信息技术服务业",
    "金融业",
    "房地产业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "水利、环境和公共设施管理业",
    "居民服务、修理和其他服务业",
    "教育",
    "卫生和社会工作",
    "文化、体育和娱乐业",
    "公共管理、社会保障和社会组织",
    "国际组织",
];

/// The names of the divisions (大类) where IP-financing enterprises are: manufacturing,
/// information technology, research and technical services. Others are named by section.
const DIVISION_NAMES: [(u8, &str); 37] = [
    (13, "农副食品加工业"),
    (14, "食品制造业"),
    (15, "酒、饮料和精制茶制造业"),
    (16, "烟草制品业"),
    (17, "纺织业"),
    (18, "纺织服装、服饰业"),
    (19, "皮革、毛皮、羽毛及其制品和制鞋业"),
    (20, "木材加工和木、竹、藤、棕、草制品业"),
    (21, "家具制造业"),
    (22, "造纸和纸制品业"),
    (23, "印刷和记录媒介复制业"),
    (24, "文教、工美、体育和娱乐用品制造业"),
    (25, "石油、煤炭及其他燃料加工业"),
    (26, "化学原料和化学制品制造业"),
    (27, "医药制造业"),
    (28, "化学纤维制造业"),
    (29, "橡胶和塑料制品业"),
    (30, "非金属矿物制品业"),
    (31, "黑色金属冶炼和压延加工业"),
    (32, "有色金属冶炼和压延加工业"),
    (33, "金属制品业"),
    (34, "通用设备制造业"),
    (35, "专用设备制造业"),
    (36, "汽车制造业"),
    (37, "铁路、船舶、航空航天和其他运输设备制造业"),
    (38, "电气机械和器材制造业"),
    (39, "计算机、通信和其他电子设备制造业"),
    (40, "仪器仪表制造业"),
    (41, "其他制造业"),
    (42, "废弃资源综合利用业"),
    (43, "金属制品、机械和设备修理业"),
    (63, "电信、广播电视和卫星传输服务"),
    (64, "互联网和相关服务"),
    (65, "软件和信息技术服务业"),
    (73, "研究和试验发展"),
    (74, "专业技术服务业"),
    (75, "科技推广和应用服务业"),
];

/// 国民经济行业分类代码 (GB/T 4754-2017): a section letter and 0, 2, 3 or 4 digits whose
/// division belongs to that section, e.g. `C`, `C35`, `C351`, `C3511`.
/// Kept inline, zero-padded, so it orders as its text does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IndustryCode([u8; 5]);

impl IndustryCode {
    /// Parses a code; lower case and spaces around it are accepted.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = crate::to_half_width(input).trim().to_uppercase();
        let b = s.as_bytes();
        let Some((&letter, digits)) = b.split_first() else {
            return Err(DomainError::IndustryCode);
        };
        let Some(&(_, lo, hi)) = SECTIONS.iter().find(|(l, _, _)| *l == letter) else {
            return Err(DomainError::IndustryCode);
        };
        if !matches!(digits.len(), 0 | 2 | 3 | 4) || !digits.iter().all(u8::is_ascii_digit) {
            return Err(DomainError::IndustryCode);
        }
        if digits.len() >= 2 {
            let division = (digits[0] - b'0') * 10 + (digits[1] - b'0');
            if !(lo..=hi).contains(&division) {
                return Err(DomainError::IndustryCode);
            }
        }
        let mut code = [0u8; 5];
        code[..b.len()].copy_from_slice(b);
        Ok(Self(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|b| *b == 0).unwrap_or(self.0.len());
        // Only the ASCII of a parsed code is ever stored.
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }

    /// The name people read beside the code: the division's (大类) where it is known, else
    /// the section's (门类).
    pub fn name_zh(&self) -> &'static str {
        let b = self.0;
        let division = (b[1].is_ascii_digit() && b[2].is_ascii_digit())
            .then(|| (b[1] - b'0') * 10 + (b[2] - b'0'));
        if let Some(name) = division
            .and_then(|d| DIVISION_NAMES.iter().find(|(n, _)| *n == d))
            .map(|(_, name)| *name)
        {
            return name;
        }
        SECTIONS
            .iter()
            .position(|(letter, _, _)| *letter == b[0])
            .map_or("", |i| SECTION_NAMES[i])
    }

    /// Whether this code lies under `prefix` (`C` manufacturing, `C35` special equipment).
    pub fn is_within(&self, prefix: &str) -> bool {
        let own = self.as_str();
        own.len() >= prefix.len()
            && own.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    }
}

impl TryFrom<String> for IndustryCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IndustryCode> for String {
    fn from(value: IndustryCode) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_names() {
        let name = |c: &str| IndustryCode::parse(c).map(|c| c.name_zh());
        assert_eq!(name("C3421"), Ok("通用设备制造业"));
        assert_eq!(name("I6510"), Ok("软件和信息技术服务业"));
        assert_eq!(
            name("K70"),
            Ok("房地产业"),
            "a division without a name of its own"
        );
        assert_eq!(name("C"), Ok("制造业"));
    }

    #[test]
    fn codes_of_every_level_parse() {
        for code in ["C", "c35", "C351", "C3511", "I65", "A01", "T97"] {
            assert!(IndustryCode::parse(code).is_ok(), "{code}");
        }
        let c = IndustryCode::parse("C3511").expect("valid");
        assert!(c.is_within("C35") && c.is_within("c") && !c.is_within("C36"));
    }

    #[test]
    fn divisions_must_belong_to_their_section() {
        for code in ["C05", "A13", "Z01", "C3", "C35111", "35", "", "CX5"] {
            assert_eq!(
                IndustryCode::parse(code),
                Err(DomainError::IndustryCode),
                "{code}"
            );
        }
    }
}
