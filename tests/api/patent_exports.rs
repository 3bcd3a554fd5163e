//! Patent lists as patent databases export them, each in its own column set (written from the
//! published field lists of CNIPA's search and examination systems, incoPat and PatSnap),
//! read as CSV and as an xlsx workbook with a title above the headers: kinds, owners and
//! co-owners, applications never granted, ended rights, doubtful rows, other owners refused.

use crate::helpers::{TestApp, e2e, enterprise_body, import, uscc};
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(
    a_cnipa_search_export_is_read,
    an_incopat_export_is_read,
    a_patsnap_export_is_read,
    legal_events_become_facts,
    owners_are_found_by_their_former_names,
);

/// One export: its column set and rows.
struct Export {
    file: &'static str,
    headers: &'static [&'static str],
    rows: &'static [&'static [&'static str]],
}

/// What one good row must have become, and what the report must say of it.
struct Expect {
    number: &'static str,
    /// The owning enterprise, by its test number.
    owner: u32,
    co_owners: &'static [&'static str],
    kind: &'static str,
    legal_status: &'static str,
    grant_date: Option<&'static str>,
    /// The finding that marks the row doubtful, if any.
    doubt: Option<&'static str>,
}

/// An [`Expect`] in one line: number, owner, co-owners, kind, status, grant date, doubt.
const fn expect(
    number: &'static str,
    owner: u32,
    co_owners: &'static [&'static str],
    kind: &'static str,
    legal_status: &'static str,
    grant_date: Option<&'static str>,
    doubt: Option<&'static str>,
) -> Expect {
    Expect {
        number,
        owner,
        co_owners,
        kind,
        legal_status,
        grant_date,
        doubt,
    }
}

impl Export {
    fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.headers).expect("headers");
        for row in self.rows {
            w.write_record(*row).expect("row");
        }
        w.into_inner().expect("csv")
    }

    /// The workbook as the database hands it out: a first sheet with the search, then the
    /// list's sheet with a title line above the table.
    fn xlsx(&self) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let search = book.add_worksheet();
        search.set_name("检索条件").expect("name");
        search
            .write_string(0, 0, "检索式：AP=(新乡市*) AND PD>=20150101")
            .expect("search");
        search
            .write_string(1, 0, "导出时间：2026-12-07")
            .expect("when");
        let sheet = book.add_worksheet();
        sheet.set_name("检索结果").expect("name");
        sheet
            .write_string(0, 0, format!("检索结果（共{}条）", self.rows.len()))
            .expect("title");
        for (c, h) in self.headers.iter().enumerate() {
            sheet.write_string(1, c as u16, *h).expect("header");
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    sheet
                        .write_string(r as u32 + 2, c as u16, *v)
                        .expect("cell");
                }
            }
        }
        book.save_to_buffer().expect("workbook")
    }
}

/// The findings of a finished job under `key` (`warnings`, `rejections`), as (code, value).
fn findings(job: &Value, key: &str) -> Vec<(String, String)> {
    job["report"][key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The job counted `good` patents as `how` and refused `refused`.
fn counted(job: &Value, how: &str, good: usize, refused: usize) {
    let patents = &job["report"]["counts"]["patents"];
    assert_eq!(patents[how], good, "{}", job["report"]);
    assert_eq!(patents["rejected"], refused, "{}", job["report"]);
}

/// Imports `export` as CSV and checks every fact of `expected` and that `others` (owners
/// outside the park) are refused by name; then imports it as xlsx and finds nothing changed.
async fn check(app: TestApp, export: Export, expected: &[Expect], others: &[&str]) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz"), (2, "xxhtz")]).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let csv_name = format!("{}.csv", export.file);
    let job = import(&app, &park, &csv_name, export.csv(), "").await;
    counted(&job, "inserted", expected.len(), others.len());
    let refused = findings(&job, "rejections");
    for other in others {
        assert!(
            refused
                .iter()
                .any(|(code, value)| code == "owner_unknown" && value.contains(other)),
            "{other} not refused: {refused:?}"
        );
    }
    assert_eq!(refused.len(), others.len(), "{refused:?}");
    let doubts = findings(&job, "warnings");
    for e in expected {
        let p = app
            .get(&format!("/api/v1/patents/{}", e.number), &park)
            .await;
        assert_eq!(p.status, StatusCode::OK, "{}: {}", e.number, p.body);
        let b = &p.body;
        assert_eq!(b["owner"], uscc(e.owner), "{}: {b}", e.number);
        assert_eq!(b["co_owners"], json!(e.co_owners), "{}: {b}", e.number);
        // No export says whether co-owners consented: unknown, and a pledge needs it.
        assert_eq!(b["co_owners_consent"], Value::Null, "{}: {b}", e.number);
        let unknown_consent = b["computed"]["pledge_obstacles"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| {
                o["code"] == "co_owners_without_consent"
                    && o["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("是否同意未知"))
            });
        assert_eq!(
            unknown_consent,
            !e.co_owners.is_empty(),
            "{}: {b}",
            e.number
        );
        assert_eq!(b["kind"], e.kind, "{}: {b}", e.number);
        assert_eq!(b["legal_status"], e.legal_status, "{}: {b}", e.number);
        assert_eq!(b["grant_date"], json!(e.grant_date), "{}: {b}", e.number);
        // An application is never pledgeable.
        let not_granted = b["computed"]["pledge_obstacles"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["code"] == "not_granted");
        assert_eq!(
            not_granted,
            e.legal_status == "pending",
            "{}: {b}",
            e.number
        );
        let row = export
            .rows
            .iter()
            .position(|r| r.iter().any(|c| c.contains(&e.number[..12])))
            .expect("the expected patent is in the export");
        let said: Vec<&str> = job["report"]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["row"] == row + 2)
            .filter_map(|w| w["code"].as_str())
            .collect();
        match e.doubt {
            Some(code) => assert!(said.contains(&code), "{}: {said:?}", e.number),
            None => assert!(said.is_empty(), "{}: {said:?}", e.number),
        }
    }
    // The same list as the workbook it came as: read alike, nothing changes.
    let xlsx_name = format!("{}.xlsx", export.file);
    let again = import(&app, &park, &xlsx_name, export.xlsx(), "").await;
    counted(&again, "unchanged", expected.len(), others.len());
    assert_eq!(findings(&again, "warnings"), doubts, "{}", again["report"]);
}

/// CNIPA's patent search and analysis system (专利检索及分析) with the case status (案件状态)
/// of its examination information service: no kind or grant-date column, so the kind comes
/// from the number and a grant's publication (B, U) dates the grant.
async fn a_cnipa_search_export_is_read(app: TestApp) {
    let export = Export {
        file: "专利检索及分析_导出",
        headers: &[
            "申请号",
            "申请日",
            "公开（公告）号",
            "公开（公告）日",
            "发明名称",
            "IPC分类号",
            "申请（专利权）人",
            "发明人",
            "案件状态",
        ],
        rows: &[
            &[
                "CN2017106018623",
                "2017.03.05",
                "CN107356125B",
                "2019.06.01",
                "一种数控机床主轴冷却装置",
                "B23Q11/12;B23Q11/10",
                "新乡市测试1机械有限责任公司",
                "张三;李四",
                "专利权维持",
            ],
            &[
                "CN2020206018620",
                "2020.03.05",
                "CN212345678U",
                "2020.11.10",
                "一种夹具",
                "B25B11/00",
                "新乡市测试2机械有限公司；河南某某大学",
                "王五",
                "等年费滞纳金",
            ],
            &[
                "CN2023106018629",
                "2023.03.05",
                "CN116345678A",
                "2023.06.20",
                "一种刀架",
                "B23B29/00",
                "新乡市测试1机械有限公司",
                "张三",
                "实质审查的生效",
            ],
            &[
                "CN2015106018624",
                "2015.03.05",
                "CN104345678B",
                "2017.08.01",
                "一种刀具",
                "B23B27/00",
                "新乡市测试2机械有限公司",
                "王五",
                "未缴年费专利权终止，等恢复",
            ],
            &[
                "CN2018106018628",
                "2018.03.05",
                "CN108345678B",
                "2020.07.01",
                "一种主轴",
                "B23Q5/10",
                "郑州别家有限公司",
                "赵六",
                "专利权维持",
            ],
        ],
    };
    let expected = [
        expect(
            "201710601862.3",
            1,
            &[],
            "invention",
            "in_force",
            Some("2019-06-01"),
            None,
        ),
        expect(
            "202020601862.0",
            2,
            &["河南某某大学"],
            "utility_model",
            "in_force",
            Some("2020-11-10"),
            None,
        ),
        expect("202310601862.9", 1, &[], "invention", "pending", None, None),
        expect(
            "201510601862.4",
            2,
            &[],
            "invention",
            "lapsed_unpaid_fee",
            Some("2017-08-01"),
            None,
        ),
    ];
    check(app, export, &expected, &["郑州别家有限公司"]).await;
}

/// incoPat: 专利类型 with 发明申请 / 发明授权, the applicant beside the current owner (several
/// joined by ` | `), the simple legal status beside the latest legal status, 失效日 and
/// 预估到期日.
async fn an_incopat_export_is_read(app: TestApp) {
    let export = Export {
        file: "incoPat_导出",
        headers: &[
            "序号",
            "标题",
            "申请号",
            "申请日",
            "公开(公告)号",
            "公开(公告)日",
            "授权公告日",
            "专利类型",
            "申请人",
            "当前申请(专利权)人",
            "IPC主分类",
            "简单法律状态",
            "法律状态",
            "失效日",
            "预估到期日",
        ],
        rows: &[
            &[
                "1",
                "一种数控机床主轴冷却装置",
                "CN201710601862.3",
                "2017-03-05",
                "CN107356125B",
                "2019-06-01",
                "2019-06-01",
                "发明授权",
                "郑州原主有限公司",
                "新乡市测试1机械有限公司 | 郑州某某大学",
                "B23Q 11/12",
                "有效",
                "授权",
                "",
                "2037-03-05",
            ],
            // An application said to be in force: taken as not granted, doubtful.
            &[
                "2",
                "一种刀架",
                "CN202310601862.9",
                "2023-03-05",
                "CN116345678A",
                "2023-06-20",
                "",
                "发明申请",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "B23B 29/00",
                "有效",
                "授权",
                "",
                "2043-03-05",
            ],
            &[
                "3",
                "一种夹具",
                "CN202020601862.0",
                "2020-03-05",
                "CN212345678U",
                "2020-11-10",
                "2020-11-10",
                "实用新型",
                "新乡市测试2机械有限公司",
                "新乡市测试2机械有限公司",
                "B25B 11/00",
                "失效",
                "未缴年费专利权终止",
                "2024-03-05",
                "2030-03-05",
            ],
            // 有效 beside an abandonment: the stricter counts, doubtful.
            &[
                "4",
                "一种刀具",
                "CN201810601862.8",
                "2018-03-05",
                "CN108345678B",
                "2020-07-01",
                "2020-07-01",
                "发明授权",
                "新乡市测试2机械有限公司",
                "新乡市测试2机械有限公司",
                "B23B 27/00",
                "有效",
                "主动放弃",
                "",
                "2038-03-05",
            ],
            // A design by its kind column, a utility model by its number: the number decides.
            &[
                "5",
                "一种外壳",
                "CN202020701862.8",
                "2020-03-05",
                "CN213345678U",
                "2021-01-05",
                "2021-01-05",
                "外观设计",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "B65D 25/00",
                "有效",
                "授权",
                "",
                "",
            ],
            &[
                "6",
                "一种轴承",
                "CN201910601862.2",
                "2019-03-05",
                "CN109345678B",
                "2021-06-01",
                "2021-06-01",
                "发明授权",
                "洛阳别家有限公司",
                "洛阳别家有限公司",
                "F16C 19/00",
                "有效",
                "授权",
                "",
                "",
            ],
        ],
    };
    let expected = [
        expect(
            "201710601862.3",
            1,
            &["郑州某某大学"],
            "invention",
            "in_force",
            Some("2019-06-01"),
            None,
        ),
        expect(
            "202310601862.9",
            1,
            &[],
            "invention",
            "pending",
            None,
            Some("facts_disagree"),
        ),
        expect(
            "202020601862.0",
            2,
            &[],
            "utility_model",
            "lapsed_unpaid_fee",
            Some("2020-11-10"),
            None,
        ),
        expect(
            "201810601862.8",
            2,
            &[],
            "invention",
            "ended",
            Some("2020-07-01"),
            Some("facts_disagree"),
        ),
        expect(
            "202020701862.8",
            1,
            &[],
            "utility_model",
            "in_force",
            Some("2021-01-05"),
            Some("kind_mismatch"),
        ),
    ];
    check(app, export, &expected, &["洛阳别家有限公司"]).await;
}

/// PatSnap (智慧芽): 公开(公告)号 first, 授权发明, owners joined by 、, the simple legal status
/// alone, 预估到期日.
async fn a_patsnap_export_is_read(app: TestApp) {
    let export = Export {
        file: "PatSnap_导出",
        headers: &[
            "公开(公告)号",
            "申请号",
            "标题",
            "申请(专利权)人",
            "当前申请(专利权)人",
            "申请日",
            "授权日",
            "专利类型",
            "简单法律状态",
            "预估到期日",
            "IPC主分类号",
        ],
        rows: &[
            &[
                "CN107356125B",
                "CN201710601862.3",
                "一种数控机床主轴冷却装置",
                "新乡市测试2机械有限公司",
                "新乡市测试2机械有限公司、新乡某某研究院",
                "2017-03-05",
                "2019-06-01",
                "授权发明",
                "有效",
                "2037-03-05",
                "B23Q11/12",
            ],
            // The database's expiry is earlier than the filing date gives, and past.
            &[
                "CN210345678U",
                "CN201920601862.8",
                "一种托盘",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "2019-03-05",
                "2019-10-01",
                "实用新型",
                "有效",
                "2026-03-05",
                "B65D19/00",
            ],
            &[
                "CN116345678A",
                "CN202310601862.9",
                "一种刀架",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "2023-03-05",
                "",
                "发明申请",
                "审中",
                "2043-03-05",
                "B23B29/00",
            ],
            // Ended, its grant date not given: stays unknown.
            &[
                "CN104345678B",
                "CN201510601862.4",
                "一种刀具",
                "新乡市测试2机械有限公司",
                "新乡市测试2机械有限公司",
                "2015-03-05",
                "",
                "授权发明",
                "失效",
                "",
                "B23B27/00",
            ],
            &[
                "CN108345678B",
                "CN201810601862.8",
                "一种主轴",
                "郑州别家有限公司",
                "郑州别家有限公司",
                "2018-03-05",
                "2020-07-01",
                "授权发明",
                "有效",
                "2038-03-05",
                "B23Q5/10",
            ],
        ],
    };
    let expected = [
        expect(
            "201710601862.3",
            2,
            &["新乡某某研究院"],
            "invention",
            "in_force",
            Some("2019-06-01"),
            None,
        ),
        expect(
            "201920601862.8",
            1,
            &[],
            "utility_model",
            "expired",
            Some("2019-10-01"),
            Some("facts_disagree"),
        ),
        expect("202310601862.9", 1, &[], "invention", "pending", None, None),
        expect("201510601862.4", 2, &[], "invention", "ended", None, None),
    ];
    check(app, export, &expected, &["郑州别家有限公司"]).await;
}

/// A patent database's legal events (法律状态/事件) over patents the park already keeps: a
/// pledge registered and released, then another in force (both kept, the history); a pledge
/// released; a transfer to
/// another of the park's enterprises (its old owner loses it); a termination beside 有效 (the
/// stricter counts, doubtful); a preservation; a transfer with only the applicant of record
/// given (refused: the owner is not known); a transfer out of the park (the name kept, the
/// patent no longer the enterprise's).
async fn legal_events_become_facts(app: TestApp) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz"), (2, "xxhtz")]).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let kept = format!(
        "申请号,专利名称,专利权人,申请日,授权日,法律状态,年费缴至\n\
        201710601862.3,一种数控机床主轴冷却装置,{e1},2017-03-05,2019-06-01,有效,2027-03-04\n\
        201810601862.8,一种刀具,{e1},2018-03-05,2020-07-01,有效,2027-03-04\n\
        201910601862.2,一种轴承,{e1},2019-03-05,2021-06-01,有效,2027-03-04\n\
        202010701862.2,一种主轴,{e1},2020-03-05,2022-06-01,有效,2027-03-04\n\
        202210601862.4,一种托盘,{e1},2022-03-05,2024-06-01,有效,2027-03-04\n\
        202410601862.3,一种夹爪,{e1},2024-03-05,2026-06-01,有效,2027-03-04\n",
        e1 = uscc(1)
    );
    let job = import(&app, &park, "台账.csv", kept.into_bytes(), "").await;
    counted(&job, "inserted", 6, 0);
    let events = Export {
        file: "incoPat_法律事件",
        headers: &[
            "申请号",
            "标题",
            "申请日",
            "授权公告日",
            "申请人",
            "当前申请(专利权)人",
            "简单法律状态",
            "法律状态/事件",
        ],
        rows: &[
            &[
                "CN201710601862.3",
                "一种数控机床主轴冷却装置",
                "2017-03-05",
                "2019-06-01",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "有效",
                "2019.06.01 授权\n\
                 2021.03.12 PE01 专利权质押合同登记的生效 登记号:Y2021980001234 登记生效日:20210305 出质人:新乡市测试1机械有限公司 质权人:中国银行股份有限公司新乡分行\n\
                 2022.03.10 PC01 专利权质押合同登记的注销 登记号:Y2021980001234 解除日:20220304\n\
                 2023.05.12 PE01 专利权质押合同登记的生效 登记号:Y2023980005678 登记生效日:20230506",
            ],
            &[
                "CN201810601862.8",
                "一种刀具",
                "2018-03-05",
                "2020-07-01",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "有效",
                "2020.07.01 授权；2024.03.01 CF01 未缴年费专利权终止 IPC(主分类):B23B27/00 申请日:20180305 授权公告日:20200701 终止日期:20230305",
            ],
            &[
                "CN201910601862.2",
                "一种轴承",
                "2019-03-05",
                "2021-06-01",
                "新乡市测试1机械有限公司",
                "新乡市测试1机械有限公司",
                "有效",
                "2022.01.05 PE01 专利权质押合同登记的生效 登记号:Y2022980000042 登记生效日:20220104\n\
                 2025.02.08 PC01 专利权质押合同登记的注销 登记号:Y2022980000042 解除日:20250207\n\
                 2026.01.20 PP01 专利权的保全 保全登记生效日:20260115",
            ],
            &[
                "CN202010701862.2",
                "一种主轴",
                "2020-03-05",
                "2022-06-01",
                "新乡市测试1机械有限公司",
                "新乡市测试2机械有限责任公司",
                "有效",
                "2022.06.01 授权\n2025.08.15 TR01 专利权的转移 登记生效日:20250801 变更前权利人:新乡市测试1机械有限公司 变更后权利人:新乡市测试2机械有限公司",
            ],
        ],
    };
    let job = import(&app, &park, "incoPat_法律事件.csv", events.csv(), "").await;
    counted(&job, "updated", 4, 0);
    let patent = |number: &'static str| {
        let app = &app;
        let park = &park;
        async move {
            let p = app.get(&format!("/api/v1/patents/{number}"), park).await;
            assert_eq!(p.status, StatusCode::OK, "{number}: {}", p.body);
            p.body
        }
    };
    // Registered, released, registered again: the pledge in force is the later one.
    let p = patent("201710601862.3").await;
    assert_eq!(
        p["pledges"],
        json!([
            {"registration_number": "Y2021980001234", "registered_on": "2021-03-05", "released_on": "2022-03-04"},
            {"registration_number": "Y2023980005678", "registered_on": "2023-05-06", "released_on": null},
        ]),
        "the pledge history: {p}"
    );
    assert_eq!(p["computed"]["pledged"], true, "{p}");
    // 有效 beside a fee lapse: the lapse counts.
    let p = patent("201810601862.8").await;
    assert_eq!(p["legal_status"], "lapsed_unpaid_fee", "{p}");
    // Released, then preserved by a court: free of the pledge, frozen.
    let p = patent("201910601862.2").await;
    assert_eq!(p["pledges"][0]["released_on"], "2025-02-07", "{p}");
    assert_eq!(p["computed"]["pledged"], false, "{p}");
    assert_eq!(p["legal_status"], "suspended", "{p}");
    // Transferred to the other enterprise, named by the other form of its name.
    let p = patent("202010701862.2").await;
    assert_eq!(p["owner"], uscc(2), "{p}");
    let doubts: Vec<(String, String)> = findings(&job, "warnings")
        .into_iter()
        .filter(|(code, _)| code == "facts_disagree")
        .collect();
    assert_eq!(
        doubts.len(),
        2,
        "the lapse and the preservation: {doubts:?}"
    );
    // As the workbook: the same facts, nothing changes.
    let again = import(&app, &park, "incoPat_法律事件.xlsx", events.xlsx(), "").await;
    counted(&again, "unchanged", 4, 0);
    // A transfer in an export that gives only the applicant of record: who owns the patent
    // now is not known, so the row is refused and the stored owner stays.
    let csv = "申请号,标题,申请日,授权公告日,申请(专利权)人,简单法律状态,法律状态/事件\n\
        CN202210601862.4,一种托盘,2022-03-05,2024-06-01,新乡市测试1机械有限公司,有效,2025.09.01 TR01 专利权的转移 登记生效日:20250826\n";
    let job = import(&app, &park, "申请人.csv", csv.as_bytes().to_vec(), "").await;
    counted(&job, "updated", 0, 1);
    let refused = findings(&job, "rejections");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, "owner_unknown", "{refused:?}");
    let p = patent("202210601862.4").await;
    assert_eq!(p["owner"], uscc(1), "the refused row changed nothing: {p}");

    // Transferred out of the park: the name kept as the patentee of record, and the patent
    // no longer counts for the enterprise that held it (its valid inventions one fewer).
    let mut product = crate::matching::zhihuidai();
    product["min_valid_invention_patents"] = json!(50);
    crate::matching::publish_product(&app, product).await;
    let inventions = || async {
        let m = app
            .get(&format!("/api/v1/enterprises/{}/matches", uscc(1)), &park)
            .await;
        assert_eq!(m.status, StatusCode::OK, "{}", m.body);
        m.body[0]["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["code"] == "valid_invention_patents")
            .map(|r| r["have"]["value"].clone())
            .unwrap_or_default()
    };
    let before = inventions().await.as_u64().expect("a count");
    let csv = "申请号,标题,申请日,授权公告日,当前申请(专利权)人,简单法律状态,法律状态/事件\n\
        CN202410601862.3,一种夹爪,2024-03-05,2026-06-01,郑州别家有限公司,有效,2026.09.01 TR01 专利权的转移 登记生效日:20260826\n";
    let job = import(&app, &park, "转出.csv", csv.as_bytes().to_vec(), "").await;
    counted(&job, "updated", 1, 0);
    assert!(
        findings(&job, "warnings")
            .iter()
            .any(|(code, value)| code == "transferred_out" && value == "郑州别家有限公司"),
        "{}",
        job["report"]
    );
    let p = patent("202410601862.3").await;
    assert_eq!(p["transferred_out_to"], "郑州别家有限公司", "{p}");
    assert_eq!(p["owner"], uscc(1), "the last of ours to hold it: {p}");
    assert!(
        p["computed"]["pledge_obstacles"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["code"] == "not_patentee"
                && o["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("郑州别家有限公司"))),
        "{p}"
    );
    assert_eq!(inventions().await, json!(before - 1));
    // A name none of ours for a patent no enterprise of ours holds is still refused.
    let csv = "申请号,标题,申请日,授权公告日,当前申请(专利权)人,简单法律状态\n\
        CN201610701862.6,一种外人的专利,2016-03-05,2018-06-01,郑州别家有限公司,有效\n";
    let job = import(&app, &park, "外人.csv", csv.as_bytes().to_vec(), "").await;
    counted(&job, "inserted", 0, 1);
}

/// An enterprise that renamed itself is found by its former name (曾用名), however the
/// company form is written; a name that is one enterprise's former name and another's name
/// is reported for a person to decide, never guessed. The enterprise ledger carries 曾用名
/// both ways.
async fn owners_are_found_by_their_former_names(app: TestApp) {
    app.seed().await;
    let mut renamed = enterprise_body(1, "xxhtz");
    renamed["former_names"] = json!(["新乡市旧名机械有限公司", "新乡市测试3机械有限公司"]);
    for body in [renamed, enterprise_body(3, "xxhtz")] {
        let created = app.post("/api/v1/enterprises", &app.admin, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let park = app.token("park", Some("xxhtz"), None).await;
    let csv = "申请号,标题,申请日,授权公告日,当前申请(专利权)人,简单法律状态\n\
        CN201710601862.3,一种数控机床主轴冷却装置,2017-03-05,2019-06-01,新乡市旧名机械有限责任公司,有效\n\
        CN201810601862.8,一种刀具,2018-03-05,2020-07-01,新乡市测试3机械有限公司,有效\n";
    let job = import(&app, &park, "曾用名.csv", csv.as_bytes().to_vec(), "").await;
    counted(&job, "inserted", 1, 1);
    let p = app.get("/api/v1/patents/201710601862.3", &park).await;
    assert_eq!(p.body["owner"], uscc(1), "{}", p.body);
    let refused = findings(&job, "rejections");
    assert_eq!(
        refused,
        [(
            "owner_ambiguous".to_owned(),
            "新乡市测试3机械有限公司".to_owned()
        )]
    );
    // The ledger writes the former names and reads them back.
    let bytes = app.download("/api/v1/exports/enterprises.csv", &park).await;
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(
        text.contains("曾用名") && text.contains("新乡市旧名机械有限公司、新乡市测试3机械有限公司"),
        "{text}"
    );
    let again = import(&app, &park, "enterprises.csv", bytes, "").await;
    assert_eq!(
        again["report"]["counts"]["enterprises"]["unchanged"], 2,
        "{}",
        again["report"]
    );
    let e = app
        .get(&format!("/api/v1/enterprises/{}", uscc(1)), &park)
        .await;
    assert_eq!(
        e.body["former_names"],
        json!(["新乡市旧名机械有限公司", "新乡市测试3机械有限公司"]),
        "{}",
        e.body
    );
}
