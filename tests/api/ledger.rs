use crate::helpers::{TestApp, e2e, fixture, import};
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(templates_come_from_the_importer_definitions);

async fn templates_come_from_the_importer_definitions(app: TestApp) {
    app.seed().await;
    let bank = app.token("bank", None, Some("boc")).await;
    let res = app
        .client
        .get(format!("{}/api/v1/templates/enterprises.xlsx", app.base))
        .bearer_auth(&bank)
        .send()
        .await
        .expect("template");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.contains("enterprises-template.xlsx"))
    );
    let bytes = res.bytes().await.expect("bytes");
    let tables =
        pledge_ledger::read_xlsx(&bytes, &pledge_ledger::Limits::default()).expect("workbook");
    let layout = pledge_ledger::layout(&tables[0], pledge_ledger::SheetKind::Enterprises);
    assert!(
        layout.missing.is_empty() && layout.unknown.is_empty(),
        "{layout:?}"
    );
    assert_eq!(tables[1].sheet, "填写说明");
    app.get("/api/v1/templates/loans.xlsx", &bank)
        .await
        .problem(404, "not_found");
    app.call(
        reqwest::Method::GET,
        "/api/v1/templates/patents.xlsx",
        None,
        None,
    )
    .await
    .problem(401, "unauthorized");
}

e2e!(
    a_park_ledger_imports_with_its_bad_rows_named,
    broken_rows_are_named_and_the_rest_imported,
    a_filled_template_imports_and_exports_the_same,
    trademarks_appraisals_and_qualifications_import_too,
    headers_as_offices_write_them,
    stale_facts_are_reported_and_counted_strictly,
    the_office_imports_for_a_park,
);

fn rejected(report: &Value) -> Vec<(String, u64, String)> {
    report["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| {
            (
                r["sheet"].as_str().unwrap_or("").to_owned(),
                r["row"].as_u64().unwrap_or(0),
                r["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn a_park_ledger_imports_with_its_bad_rows_named(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("hqkfq"), None).await;
    let job = import(&app, &park, "红旗区台账.xlsx", fixture(), "").await;
    assert_eq!(job["state"], "done", "{job}");
    let report = &job["report"];
    assert_eq!(report["committed"], true);
    // The grant date of patent row 70 (2027-07-24) lies after the pinned day.
    assert!(crate::helpers::today() < chrono::NaiveDate::from_ymd_opt(2027, 7, 24).expect("day"));
    let expected = vec![
        ("企业台账".to_owned(), 43, "uscc_check_character".to_owned()),
        ("专利清单".into(), 70, "date_in_future".into()),
        ("专利清单".into(), 88, "application_number_check".into()),
        ("专利清单".into(), 88, "owner_unknown".into()),
    ];
    assert_eq!(rejected(report), expected);
    let bad_patents = 2;
    assert_eq!(
        report["counts"]["enterprises"],
        json!({"inserted": 40, "updated": 0, "unchanged": 0, "rejected": 1})
    );
    assert_eq!(
        report["counts"]["patents"],
        json!({"inserted": 87 - bad_patents, "updated": 0, "unchanged": 0, "rejected": bad_patents})
    );
    assert_eq!(
        report["sheets"][0]["header_row"], 2,
        "title row above the header"
    );
    assert_eq!(
        report["sheets"][0]["data_rows"], 41,
        "empty, total and note rows left out"
    );
    assert!(report["warnings"].as_array().is_some_and(|w| {
        w.iter()
            .any(|w| w["row"] == 2 && w["code"] == "pledge_details_missing")
    }));
    // The owner named 河南宏业宏业新材料有限公司 now holds patent 200828864766.5, pledged.
    let p = app.get("/api/v1/patents/200828864766.5", &park).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.body["legal_status"], "lapsed_unpaid_fee");
    // Marked 是否已质押=是 without particulars: pledged, with no number or date made up.
    assert_eq!(
        p.body["pledges"],
        json!([{"registration_number": null, "registered_on": null, "released_on": null}]),
        "{}",
        p.body
    );
    // Qualifications the ledger gives without an end date are stored without one, and said.
    let undated: Vec<u64> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["code"] == "expiry_unknown")
        .filter_map(|w| w["row"].as_u64())
        .collect();
    assert!(
        !undated.is_empty(),
        "the Hongqi ledger lists qualifications without an end"
    );
    let list = app
        .get("/api/v1/enterprises?park=hqkfq&limit=100", &park)
        .await;
    let quals: Vec<Value> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|e| e["qualifications"].as_array().cloned().unwrap_or_default())
        .collect();
    let unknown = quals.iter().filter(|q| q["valid_until"].is_null()).count();
    assert!(
        unknown >= undated.len(),
        "{unknown} unknown for {} rows",
        undated.len()
    );
    // The end the import used to make up (three years from the import) appears nowhere.
    let made_up = crate::helpers::today()
        .checked_add_months(chrono::Months::new(36))
        .expect("day")
        .to_string();
    assert!(quals.iter().all(|q| q["valid_until"] != made_up.as_str()));
    let owner = p.body["owner"].as_str().expect("owner").to_owned();
    let e = app
        .get(&format!("/api/v1/enterprises/{owner}"), &park)
        .await;
    assert_eq!(e.body["name"], "河南宏业宏业新材料有限公司");
    assert_eq!(e.body["park"], "hqkfq");
    // The engine knows the imported enterprise at once.
    let view = app
        .get(&format!("/api/v1/enterprises/{owner}/matches"), &park)
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    // The annotated copy names the bad cell on its own row.
    let copy = app
        .client
        .get(format!(
            "{}{}",
            app.base,
            job["annotated_url"].as_str().expect("url")
        ))
        .bearer_auth(&park)
        .send()
        .await
        .expect("annotated")
        .bytes()
        .await
        .expect("bytes");
    let tables =
        pledge_ledger::read_xlsx(&copy, &pledge_ledger::Limits::default()).expect("workbook");
    let row43 = tables[0]
        .rows
        .iter()
        .find(|r| r.number == 43)
        .expect("row 43");
    assert_eq!(
        tables[0].headers.last().map(String::as_str),
        Some(pledge_ledger::REASON_HEADER)
    );
    assert!(
        row43
            .cells
            .last()
            .is_some_and(|c| c.text().contains("校验码"))
    );
    // Importing it again changes nothing, and writes no audit record.
    let before = app.audit_len().await;
    let again = import(&app, &park, "红旗区台账.xlsx", fixture(), "").await;
    assert_eq!(
        again["report"]["counts"]["patents"]["unchanged"],
        87 - bad_patents,
        "{again}"
    );
    assert_eq!(again["report"]["counts"]["enterprises"]["unchanged"], 40);
    assert_eq!(again["report"]["total"]["inserted"], 0);
    assert_eq!(again["report"]["total"]["updated"], 0);
    assert_eq!(app.audit_len().await, before);
    // Another park changes none of it; a bank imports nothing; jobs are private to the park.
    let other = app.token("park", Some("xxhtz"), None).await;
    let before = app.audit_len().await;
    let foreign = import(&app, &other, "红旗区台账.xlsx", fixture(), "").await;
    assert_eq!(foreign["report"]["total"]["inserted"], 0);
    assert_eq!(foreign["report"]["total"]["updated"], 0);
    assert!(
        rejected(&foreign["report"])
            .iter()
            .filter(|(s, _, _)| s == "企业台账")
            .all(|(_, _, code)| code == "duplicate" || code == "uscc_check_character")
    );
    app.get(&format!("/api/v1/imports/{}", job["id"]), &other)
        .await
        .problem(404, "not_found");
    assert_eq!(app.audit_len().await, before);
    let bank = app.token("bank", None, Some("boc")).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(fixture()).file_name("a.xlsx"),
    );
    let res = app
        .client
        .post(format!("{}/api/v1/imports", app.base))
        .bearer_auth(&bank)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Not a multipart upload: a problem, and nothing started.
    app.post("/api/v1/imports", &park, json!({"file": "x"}))
        .await
        .problem(400, "multipart_required");
    // A file over the server's upload limit (2 MiB here): 413, and nothing started.
    let before = app.audit_len().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![b'x'; 3 * 1024 * 1024]).file_name("big.csv"),
    );
    let res = app
        .client
        .post(format!("{}/api/v1/imports", app.base))
        .bearer_auth(&park)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(body["code"], "payload_too_large");
    assert_eq!(app.audit_len().await, before);
}

/// An enterprise row of the CSV below.
fn csv_row(i: u32, park: &str, founded: &str, need: &str) -> String {
    format!(
        "{},新乡市导入{i}科技有限公司,{park},C3511,{founded},高新技术企业,{need},否\n",
        crate::helpers::uscc(i)
    )
}

async fn broken_rows_are_named_and_the_rest_imported(app: TestApp) {
    app.seed().await;
    let header = "统一社会信用代码,企业名称,园区代码,行业代码,成立日期,企业资质,融资需求(万元),是否失信被执行人\n";
    let mut text = String::from(header);
    text += &csv_row(1, "xxhtz", "2015-03-01", "500");
    let mut bad_check = csv_row(2, "xxhtz", "2015-03-01", "500");
    bad_check.replace_range(17..18, if &bad_check[17..18] == "0" { "1" } else { "0" });
    text += &bad_check; // line 3
    text += &csv_row(3, "nowhere", "2015-03-01", "500"); // line 4: unknown park
    text += &csv_row(4, "xxhtz", "2099-01-01", "500"); // line 5: founded in the future
    text += &csv_row(5, "xxhtz", "2015-03-01", "-300"); // line 6: negative need
    text += &csv_row(1, "xxhtz", "2015-03-01", "500"); // line 7: same as line 2
    text += &csv_row(6, "hqkfq", "2016年5月1日", "500万"); // line 8: good
    let mut bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
    // Line 9 saved in UTF-8 inside a GB18030 file is read as it is meant; line 10 holds bytes
    // of neither encoding and is refused alone.
    bytes.extend_from_slice(csv_row(7, "xxhtz", "2015-03-01", "500").as_bytes());
    bytes.extend_from_slice(
        &[
            crate::helpers::uscc(8).as_bytes(),
            b",\xFF\xFE\xFF\xFE,xxhtz,C3511,2015-03-01,,500,\xE5\n",
        ]
        .concat(),
    );
    let expected: Vec<(String, u64, String)> = [
        (3, "uscc_check_character"),
        (4, "park_unknown"),
        (5, "date_in_future"),
        (6, "amount"),
        (7, "duplicate_row"),
        (10, "encoding"),
    ]
    .iter()
    .map(|(row, code)| ("enterprises".to_owned(), *row, (*code).to_owned()))
    .collect();
    // All or nothing: the same report, nothing written.
    let job = import(
        &app,
        &app.admin,
        "enterprises.csv",
        bytes.clone(),
        "?mode=all_or_nothing",
    )
    .await;
    assert_eq!(job["report"]["committed"], false, "{job}");
    assert_eq!(rejected(&job["report"]), expected, "{job}");
    let listed = app.get("/api/v1/enterprises", &app.admin).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(0));
    // A dry run writes nothing either.
    let dry = import(
        &app,
        &app.admin,
        "enterprises.csv",
        bytes.clone(),
        "?dry_run=true",
    )
    .await;
    assert_eq!(dry["report"]["counts"]["enterprises"]["inserted"], 3);
    assert_eq!(dry["report"]["committed"], false);
    let listed = app.get("/api/v1/enterprises", &app.admin).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(0));
    // Partial: the three good rows are written, every bad one named.
    let job = import(&app, &app.admin, "enterprises.csv", bytes, "").await;
    assert_eq!(rejected(&job["report"]), expected, "{job}");
    assert_eq!(
        job["report"]["counts"]["enterprises"],
        json!({"inserted": 3, "updated": 0, "unchanged": 0, "rejected": 6})
    );
    let one = app
        .get(
            &format!("/api/v1/enterprises/{}", crate::helpers::uscc(6)),
            &app.admin,
        )
        .await;
    assert_eq!(one.body["founded_on"], "2016-05-01");
    assert_eq!(one.body["park"], "hqkfq");
    assert_eq!(one.body["financing_need"]["amount_fen"], 500_000_000);
    // A file without any known sheet is refused as a whole.
    let job = import(&app, &app.admin, "x.csv", b"a,b\n1,2\n".to_vec(), "").await;
    assert_eq!(job["state"], "failed");
    assert_eq!(job["problem"]["errors"][0]["code"], "no_known_sheet");
}

/// The data rows of the first table of a file, as (column key → text) by the kind's layout.
fn rows_by_key(
    name: &str,
    bytes: &[u8],
    kind: pledge_ledger::SheetKind,
) -> Vec<Vec<(String, String)>> {
    let tables =
        pledge_ledger::read_file(name, bytes, &pledge_ledger::Limits::default()).expect("readable");
    let layout = pledge_ledger::layout(&tables[0], kind);
    assert!(layout.missing.is_empty(), "{layout:?}");
    tables[0]
        .data()
        .map(|r| {
            let mut cells: Vec<(String, String)> = layout
                .found
                .iter()
                .map(|(k, i)| ((*k).to_owned(), r.cells[*i].text()))
                .collect();
            cells.sort();
            cells
        })
        .collect()
}

async fn a_filled_template_imports_and_exports_the_same(app: TestApp) {
    use pledge_ledger::SheetKind;
    app.seed().await;
    let park = app.token("park", Some("hqkfq"), None).await;
    let firms: Vec<Vec<(&str, String)>> = [11, 12]
        .iter()
        .map(|i| {
            vec![
                ("uscc", crate::helpers::uscc(*i)),
                ("name", format!("新乡市模板{i}装备有限公司")),
                ("former_names", format!("新乡市旧模板{i}装备有限公司")),
                ("park", "hqkfq".into()),
                ("region", "410702".into()),
                ("industry", "C3511".into()),
                ("founded_on", "2015-06-01".into()),
                ("size", "小型".into()),
                ("strategic_industry", "高端装备制造".into()),
                // Each qualification with its own end (and certificate): an export then
                // an import keeps them apart.
                (
                    "qualifications",
                    "高新技术企业（至2027-12-31，证书GR202341000123）、专精特新中小企业（至2026-06-30）".into(),
                ),
                ("qualifications_valid_until", "2026-06-30".into()),
                ("dishonest_debtor", "否".into()),
                ("abnormal_operation", "否".into()),
                ("financing_need", "500.5".into()),
                ("financing_term_months", "12".into()),
                ("contact_name", "王芳".into()),
                ("contact_phone", "0373-1234567".into()),
                ("contact_email", "wang@example.cn".into()),
                ("contact_consent", "是".into()),
            ]
        })
        .collect();
    let patents: Vec<Vec<(&str, String)>> = [
        ("201810123456.5", 11, "CN108123456B"),
        ("201920654321.1", 12, "CN209654321U"),
    ]
    .iter()
    .map(|(number, owner, publication)| {
        vec![
            ("application_number", (*number).to_owned()),
            ("title", "一种数控机床主轴冷却装置".into()),
            ("owner", crate::helpers::uscc(*owner)),
            (
                "kind",
                if number.as_bytes()[4] == b'1' {
                    "发明"
                } else {
                    "实用新型"
                }
                .into(),
            ),
            ("filing_date", format!("{}-03-05", &number[..4])),
            ("grant_date", "2021-06-01".into()),
            ("legal_status", "有效".into()),
            ("annual_fee_paid_until", "2027-03-04".into()),
            ("co_owners", "新乡学院".into()),
            ("co_owners_consent", "是".into()),
            ("ipc_main", "B23Q 11/12".into()),
            ("publication_number", (*publication).to_owned()),
            ("pledge_registration_number", String::new()),
            ("pledge_registered_on", String::new()),
            ("pledge_released_on", String::new()),
            ("pledged", "否".into()),
            ("appraisal_amount", "800".into()),
            ("appraised_on", "2026-03-01".into()),
            ("appraiser", "河南中原资产评估有限公司".into()),
        ]
    })
    .collect();
    // Fill the two templates as an official would: their headers, our rows, one workbook.
    let mut book = rust_xlsxwriter::Workbook::new();
    for (kind, rows) in [
        (SheetKind::Enterprises, &firms),
        (SheetKind::Patents, &patents),
    ] {
        let template = app
            .download(&format!("/api/v1/templates/{}.xlsx", kind.as_str()), &park)
            .await;
        let table = pledge_ledger::read_xlsx(&template, &pledge_ledger::Limits::default())
            .expect("template")
            .remove(0);
        let layout = pledge_ledger::layout(&table, kind);
        let sheet = book.add_worksheet();
        sheet.set_name(kind.label_zh()).expect("name");
        for (c, h) in table.headers.iter().enumerate() {
            sheet.write_string(0, c as u16, h).expect("header");
        }
        for (r, row) in rows.iter().enumerate() {
            for (key, value) in row {
                let c = layout.position(key).expect("a template column");
                sheet
                    .write_string(r as u32 + 1, c as u16, value)
                    .expect("cell");
            }
        }
    }
    let filled = book.save_to_buffer().expect("workbook");
    let job = import(&app, &park, "filled.xlsx", filled, "?mode=all_or_nothing").await;
    assert_eq!(job["report"]["committed"], true, "{job}");
    assert_eq!(job["report"]["total"]["inserted"], 4, "{job}");
    // What goes in comes out, by the same columns, in both formats.
    let expect = |rows: &Vec<Vec<(&str, String)>>| -> Vec<Vec<(String, String)>> {
        rows.iter()
            .map(|r| {
                let mut r: Vec<(String, String)> = r
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect();
                r.sort();
                r
            })
            .collect()
    };
    for ext in ["xlsx", "csv"] {
        let name = format!("enterprises.{ext}");
        let bytes = app
            .download(&format!("/api/v1/exports/{name}"), &park)
            .await;
        assert_eq!(
            rows_by_key(&name, &bytes, SheetKind::Enterprises),
            expect(&firms),
            "{ext}"
        );
        let again = import(&app, &park, &name, bytes, "").await;
        assert_eq!(
            again["report"]["counts"]["enterprises"]["unchanged"], 2,
            "{again}"
        );
        let name = format!("patents.{ext}");
        let bytes = app
            .download(&format!("/api/v1/exports/{name}"), &park)
            .await;
        assert_eq!(
            rows_by_key(&name, &bytes, SheetKind::Patents),
            expect(&patents),
            "{ext}"
        );
        // And the exported file imports again without changing anything.
        let again = import(&app, &park, &name, bytes, "").await;
        assert_eq!(
            again["report"]["counts"]["patents"]["unchanged"], 2,
            "{again}"
        );
    }
    // Only what the caller may see: another park's export is empty, a bank gets none.
    let other = app.token("park", Some("xxhtz"), None).await;
    let bytes = app
        .download("/api/v1/exports/enterprises.csv", &other)
        .await;
    assert!(rows_by_key("e.csv", &bytes, SheetKind::Enterprises).is_empty());
    let bank = app.token("bank", None, Some("boc")).await;
    app.get("/api/v1/exports/patents.xlsx", &bank)
        .await
        .problem(403, "not_published");
    app.get("/api/v1/exports/loans.xlsx", &park)
        .await
        .problem(404, "not_found");
}

/// Rows of a sheet as (column key, value) pairs.
type Rows<'a> = Vec<Vec<(&'a str, String)>>;

/// A workbook of sheets named by kind, each with the template's headers and its rows.
fn workbook(sheets: &[(pledge_ledger::SheetKind, Rows<'_>)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (kind, rows) in sheets {
        let columns = pledge_ledger::columns(*kind);
        let sheet = book.add_worksheet();
        sheet.set_name(kind.label_zh()).expect("name");
        for (c, col) in columns.iter().enumerate() {
            sheet.write_string(0, c as u16, col.header).expect("header");
        }
        for (r, row) in rows.iter().enumerate() {
            for (key, value) in row {
                let c = columns
                    .iter()
                    .position(|col| col.key == *key)
                    .expect("a column");
                sheet
                    .write_string(r as u32 + 1, c as u16, value)
                    .expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("workbook")
}

async fn trademarks_appraisals_and_qualifications_import_too(app: TestApp) {
    use pledge_ledger::SheetKind;
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let a = app
        .post(
            "/api/v1/enterprises",
            &park,
            crate::helpers::enterprise_body(21, "xxhtz"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let owner = crate::helpers::uscc(21);
    let file = workbook(&[
        (
            SheetKind::Trademarks,
            vec![vec![
                ("registration_number", "12345678".into()),
                ("nice_class", "7".into()),
                ("name", "华锐".into()),
                // The stored name, written with full-width digits and a stray space.
                ("owner", "新乡市测试２１机械 有限公司".into()),
                ("registered_on", "2018-05-14".into()),
                ("valid_until", "2028-05-13".into()),
            ]],
        ),
        (
            SheetKind::Appraisals,
            vec![
                vec![
                    ("number", "12345678/7".into()),
                    ("amount", "300万".into()),
                    ("appraised_on", "2026-03-01".into()),
                    ("appraiser", "河南中原资产评估有限公司".into()),
                ],
                vec![
                    ("number", "87654321/9".into()),
                    ("amount", "100".into()),
                    ("appraised_on", "2026-03-01".into()),
                    ("appraiser", "河南中原资产评估有限公司".into()),
                ],
            ],
        ),
        (
            SheetKind::Qualifications,
            vec![vec![
                ("uscc", owner.to_lowercase()),
                ("kind", "专精特新中小企业".into()),
                ("certificate_number", "ZJTX-2025-0031".into()),
                ("valid_until", "2028年6月30日".into()),
            ]],
        ),
    ]);
    let job = import(&app, &park, "ip.xlsx", file.clone(), "").await;
    let report = &job["report"];
    assert_eq!(
        rejected(report),
        vec![("评估信息".to_owned(), 3, "not_found".to_owned())],
        "an appraisal of an unknown trademark: {job}"
    );
    assert_eq!(report["counts"]["trademarks"]["inserted"], 1);
    assert_eq!(report["counts"]["appraisals"]["inserted"], 1);
    assert_eq!(report["counts"]["qualifications"]["updated"], 1);
    let t = app.get("/api/v1/trademarks/12345678/7", &park).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.body["owner"], owner.as_str());
    assert_eq!(t.body["appraisals"][0]["amount_fen"], 300_000_000);
    let e = app
        .get(&format!("/api/v1/enterprises/{owner}"), &park)
        .await;
    let quals: Vec<(String, String)> = e.body["qualifications"]
        .as_array()
        .expect("qualifications")
        .iter()
        .map(|q| {
            (
                q["kind"].as_str().unwrap_or("").to_owned(),
                q["valid_until"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        quals,
        vec![
            ("high_tech".to_owned(), "2027-12-31".to_owned()),
            ("specialized".to_owned(), "2028-06-30".to_owned())
        ]
    );
    // Again: nothing changes.
    let before = app.audit_len().await;
    let again = import(&app, &park, "ip.xlsx", file, "").await;
    assert_eq!(again["report"]["total"]["inserted"], 0, "{again}");
    assert_eq!(again["report"]["total"]["updated"], 0, "{again}");
    assert_eq!(again["report"]["total"]["unchanged"], 3, "{again}");
    assert_eq!(app.audit_len().await, before);
}

/// A county office's GB18030 summary, with its own forms' header spellings: notes in brackets,
/// synonyms, and columns no template has.
async fn headers_as_offices_write_them(app: TestApp) {
    app.seed().await;
    let text = format!(
        "序号,单位名称,统一社会信用代码（18位）,园区,国民经济行业代码,注册时间,是否失信被执行人(是/否),是否列入经营异常名录（是/否）,拟融资金额（万元）,年营业收入（万元）,备注\n\
         1,新乡市县域一号机械有限公司,{},xxhtz,C3511,2016年5月1日,是,否,300,1200,\n",
        crate::helpers::uscc(31)
    );
    let bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
    let job = import(
        &app,
        &app.admin,
        "县局汇总表.csv",
        bytes,
        "?kind=enterprises",
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    let report = &job["report"];
    assert_eq!(report["total"]["inserted"], 1, "{report}");
    // The dishonest-debtor column is read, not dropped.
    let e = app
        .get(
            &format!("/api/v1/enterprises/{}", crate::helpers::uscc(31)),
            &app.admin,
        )
        .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.body);
    assert_eq!(
        e.body["risk_flags"][0]["kind"], "dishonest_debtor",
        "{}",
        e.body
    );
    assert_eq!(e.body["financing_need"]["amount_fen"], 300_000_000_i64);
    // A money column no template has is a warning on the import, never silently dropped.
    let warned: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["code"] == "column_ignored")
        .filter_map(|w| w["column"].as_str())
        .collect();
    assert_eq!(warned, ["年营业收入（万元）"], "{report}");
    // A file whose headers fit no template names what it lacks and what it has.
    let text = "单位,代码,日期\n新乡市某公司,91410702MA44X7JG2R,2016-05-01\n";
    let job = import(&app, &app.admin, "汇总.csv", text.as_bytes().to_vec(), "").await;
    assert_eq!(job["state"], "failed", "{job}");
    let detail = job["problem"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for needed in ["企业名称", "行业代码", "成立日期", "单位、代码、日期"] {
        assert!(detail.contains(needed), "{needed} in {detail}");
    }
}

/// A utility model recorded 有效 long after its ten years: the import says so, and it counts
/// as the facts say (not valid, not pledgeable).
async fn stale_facts_are_reported_and_counted_strictly(app: TestApp) {
    app.seed().await;
    let e = app
        .post(
            "/api/v1/enterprises",
            &app.admin,
            crate::helpers::enterprise_body(41, "xxhtz"),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
    let number = pledge_domain::PatentApplicationNumber::from_digits("201420601862")
        .expect("number")
        .to_string();
    // A second one whose fee fell due two months ago: in force, in its grace, not pledgeable.
    let overdue = pledge_domain::PatentApplicationNumber::from_digits("201710601862")
        .expect("number")
        .to_string();
    let paid_until = crate::helpers::today() - chrono::Days::new(60);
    let text = format!(
        "申请号,专利名称,专利权人,申请日,授权日,法律状态,年费缴至\n\
         {number},一种冷却装置,{0},2014-03-05,2014-10-01,有效,2024-03-04\n\
         {overdue},一种主轴装置,{0},2017-03-05,2019-06-01,有效,{paid_until}\n",
        crate::helpers::uscc(41)
    );
    let job = import(
        &app,
        &app.admin,
        "专利.csv",
        text.into_bytes(),
        "?kind=patents",
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    let warning = job["report"]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"] == "status_disagrees")
        .cloned()
        .unwrap_or_default();
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.contains(&number) && m.contains("2024-03-05")),
        "{job}"
    );
    assert!(
        job["report"]["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["code"] == "annual_fee_grace"
                && w["message"].as_str().is_some_and(|m| m.contains(&overdue)))),
        "{job}"
    );
    let grace = app
        .get(&format!("/api/v1/patents/{overdue}"), &app.admin)
        .await;
    assert_eq!(grace.body["computed"]["derived_status"], "annual_fee_grace");
    assert_eq!(
        grace.body["computed"]["valid"], true,
        "in force during its grace"
    );
    let p = app
        .get(&format!("/api/v1/patents/{number}"), &app.admin)
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let c = &p.body["computed"];
    assert_eq!(c["derived_status"], "expired", "{c}");
    assert_eq!(c["valid"], false);
    assert!(c["status_warning"].is_string());
    assert!(
        c["pledge_obstacles"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["code"] == "expired")),
        "kept out of bundles: {c}"
    );
}

/// The office imports a park's ledger over HTTP for that park, as `pledge import --park` does.
async fn the_office_imports_for_a_park(app: TestApp) {
    app.seed().await;
    let text = format!(
        "统一社会信用代码,企业名称,行业代码,成立日期\n{},新乡市代导入机械有限公司,C3511,2016-05-01\n",
        crate::helpers::uscc(51)
    );
    let job = import(
        &app,
        &app.admin,
        "红旗区新增.csv",
        text.clone().into_bytes(),
        "?kind=enterprises&park=hqkfq",
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["report"]["total"]["inserted"], 1, "{job}");
    let e = app
        .get(
            &format!("/api/v1/enterprises/{}", crate::helpers::uscc(51)),
            &app.admin,
        )
        .await;
    assert_eq!(e.body["park"], "hqkfq", "{}", e.body);
    // A park official imports for their own park only; an unknown park is named.
    let park = app.token("park", Some("xxhtz"), None).await;
    let form = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("a.csv".to_owned()),
        )
    };
    for (token, query, status, code) in [
        (&park, "?park=hqkfq", 403, "out_of_scope"),
        (&app.admin, "?park=nowhere", 422, "validation_failed"),
    ] {
        let res = app
            .client
            .post(format!("{}/api/v1/imports{query}", app.base))
            .bearer_auth(token)
            .multipart(form(text.clone().into_bytes()))
            .send()
            .await
            .expect("upload");
        assert_eq!(res.status().as_u16(), status, "{query}");
        let body: Value = res.json().await.expect("problem");
        assert_eq!(body["code"], code, "{body}");
    }
}

e2e!(
    csv_cells_never_start_a_formula_and_read_back_exactly,
    every_csv_export_writes_formulas_as_text,
    a_patent_database_s_export_is_read_with_its_owners,
);

/// The cells of a CSV download (UTF-8 with BOM), row after row.
fn csv_cells(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .flat_map(|r| {
            r.expect("a record")
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// No cell a spreadsheet would run as a formula (a negative number is a number), and `shown`
/// among them as text behind an apostrophe.
fn formulas_written_as_text(what: &str, cells: &[String], shown: &str) {
    for c in cells {
        assert!(
            !c.starts_with(['=', '+', '@', '\t', '\r'])
                && (!c.starts_with('-') || c.parse::<f64>().is_ok()),
            "{what}: a cell that starts a formula: {c:?}"
        );
    }
    assert!(
        cells.iter().any(|c| c == &format!("'{shown}")),
        "{what}: {shown} not among {cells:?}"
    );
}

/// A park's enterprise named like a formula reaches other readers' CSVs as text (behind an
/// apostrophe), and the exported file imports again as it was.
async fn csv_cells_never_start_a_formula_and_read_back_exactly(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let hostile = "=HYPERLINK(\"http://evil.example/\",\"点击查看\")";
    let mut body = crate::helpers::enterprise_body(7, "xxhtz");
    body["name"] = json!(hostile);
    body["contact"]["name"] = json!("@SUM(1+1)");
    body["contact"]["phone"] = json!("+86-373-1234567");
    let created = app.post("/api/v1/enterprises", &park, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let bytes = app.download("/api/v1/exports/enterprises.csv", &park).await;
    formulas_written_as_text("enterprises.csv", &csv_cells(&bytes), hostile);
    // Imported again, the file is what was stored: nothing changes.
    let again = import(&app, &park, "enterprises.csv", bytes, "").await;
    assert_eq!(
        again["report"]["counts"]["enterprises"]["unchanged"], 1,
        "{again}"
    );
    let stored = app
        .get(
            &format!("/api/v1/enterprises/{}", crate::helpers::uscc(7)),
            &park,
        )
        .await;
    assert_eq!(stored.body["name"], hostile, "{}", stored.body);
    assert_eq!(
        stored.body["contact"]["phone"], "+86-373-1234567",
        "{}",
        stored.body
    );
}

/// Every CSV the service writes, to the office, a park or a bank, carries a listed
/// enterprise's formula-like name and a patent's formula-like title as text.
async fn every_csv_export_writes_formulas_as_text(app: TestApp) {
    let (boc, product) = crate::matching::market(&app).await;
    let name = "=HYPERLINK(\"http://evil.example/\",\"点击查看\")";
    let title = "+cmd|' /C calc'!A0";
    let path = format!("/api/v1/enterprises/{}", crate::helpers::uscc(1));
    let mut e = crate::helpers::enterprise_body(1, "xxhtz");
    e["name"] = json!(name);
    e["version"] = app.get(&path, &app.admin).await.body["version"].clone();
    let changed = app.put(&path, &app.admin, e).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let patent = "/api/v1/patents/201710601862.3";
    let mut p = crate::helpers::patent_body(1);
    p["title"] = json!(title);
    p["version"] = app.get(patent, &app.admin).await.body["version"].clone();
    let changed = app.put(patent, &app.admin, p).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let entries = app
        .get("/api/v1/whitelist/entries?status=published", &boc)
        .await;
    let batch = entries.body["items"][0]["batch_id"]
        .as_i64()
        .expect("a published batch");
    for (path, token, shown) in [
        (
            "/api/v1/exports/enterprises.csv".to_owned(),
            &app.admin,
            name,
        ),
        ("/api/v1/exports/patents.csv".to_owned(), &app.admin, title),
        (
            format!("/api/v1/products/{product}/matches?format=csv"),
            &boc,
            name,
        ),
        (
            format!("/api/v1/whitelist/batches/{batch}/export?format=csv"),
            &boc,
            name,
        ),
        ("/api/v1/whitelist/export?format=csv".to_owned(), &boc, name),
    ] {
        let bytes = app.download(&path, token).await;
        formulas_written_as_text(&path, &csv_cells(&bytes), shown);
    }
}

/// A patent list in a patent database's own columns (公开(公告)号 beside 申请号, 标题, the
/// applicant of record and the current owner with a co-owner in one cell, 发明授权): the
/// current owner, matched by name across 有限公司 / 有限责任公司, is the owner; the other
/// owner is a co-owner; the publication number is not taken for the application number.
async fn a_patent_database_s_export_is_read_with_its_owners(app: TestApp) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz")]).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let csv = "公开(公告)号,申请号,标题,申请(专利权)人,当前申请(专利权)人,申请日,授权公告日,专利类型,当前法律状态,IPC主分类号\n\
        CN107234567B,CN201710601862.3,一种数控机床主轴冷却装置,郑州原主有限公司,新乡市测试1机械有限责任公司; 郑州某某大学,2017-03-05,2019-06-01,发明授权,有效,B23Q 11/12\n";
    let job = import(&app, &park, "incopat.csv", csv.as_bytes().to_vec(), "").await;
    assert_eq!(
        job["report"]["counts"]["patents"]["inserted"], 1,
        "{}",
        job["report"]
    );
    let p = app.get("/api/v1/patents/201710601862.3", &park).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.body["owner"], crate::helpers::uscc(1), "{}", p.body);
    assert_eq!(p.body["co_owners"], json!(["郑州某某大学"]), "{}", p.body);
    assert_eq!(p.body["kind"], "invention");
    assert_eq!(p.body["legal_status"], "in_force");
    let headline = |job: &Value| {
        job["report"]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["code"] == "mostly_other_owners")
            .count()
    };
    assert_eq!(headline(&job), 0, "{}", job["report"]);

    // A list mostly of other owners' patents says so once, beside each row's refusal.
    let csv = "申请号,标题,当前权利人,申请日,授权公告日,专利类型,当前法律状态\n\
        CN201810601862.8,一种冷却装置,新乡市测试1机械有限公司,2018-03-05,2020-06-01,发明授权,有效\n\
        CN201910601862.2,一种夹具,郑州别家有限公司,2019-03-05,2021-06-01,发明授权,有效\n\
        CN202010601862.5,一种刀架,洛阳别家有限公司,2020-03-05,2022-06-01,发明授权,有效\n";
    let job = import(&app, &park, "全库导出.csv", csv.as_bytes().to_vec(), "").await;
    assert_eq!(
        job["report"]["counts"]["patents"]["inserted"], 1,
        "{}",
        job["report"]
    );
    assert_eq!(
        job["report"]["counts"]["patents"]["rejected"], 2,
        "{}",
        job["report"]
    );
    assert_eq!(headline(&job), 1, "{}", job["report"]);
    let said = job["report"]["warnings"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["code"] == "mostly_other_owners"))
        .cloned()
        .unwrap_or_default();
    assert!(
        said["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 of 3")),
        "{said}"
    );
}
