//! 要連絡 and カバー状況 on a real SQLite file with a real prefecture's list: the coverage
//! against an independent count, the 報告状況 import and the bad files it refuses whole.

use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use madoguchi_core::outreach::{Breakdown, CoverageFilter};
use madoguchi_core::prefecture::PrefectureDraft;
use madoguchi_core::settings::DeskSettings;
use madoguchi_core::Store;
use madoguchi_domain::contact::WindowContact;
use madoguchi_domain::practice::{HealthCentre, Practice, ReportingWindow};
use madoguchi_domain::{Coded, Prefecture};

mod support;
use support::{fresh_store, import, snapshot};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()
}

fn now() -> DateTime<Utc> {
    "2027-01-04T09:00:00Z".parse().unwrap()
}

fn tokyo_code() -> Prefecture {
    "13".parse().unwrap()
}

/// 東京都's desk, its 定期報告期間 (one for every scheme) and 八王子市's 保健所.
async fn set_practice(store: &Store) {
    let desk = DeskSettings { prefecture: Some(tokyo_code()), ..Default::default() };
    store.save_desk_settings(&desk).await.unwrap();
    let centre = HealthCentre {
        contact: WindowContact {
            name: "八王子市保健所".into(),
            phone: "042-645-5111".into(),
            ..Default::default()
        },
        municipalities: vec!["八王子市".into()],
    };
    let draft = PrefectureDraft {
        window: ReportingWindow::new(today(), NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()),
        practice: Practice { health_centres: vec![centre], ..Default::default() },
        ..Default::default()
    };
    store.save_prefecture_settings(draft, "desk-a", now()).await.unwrap();
}

/// カバー状況 of a real prefecture's list (東京都's rows of the August 2025 snapshot): accounts
/// for every third institution, applications waiting, returned and rejected for others; the
/// coverage counts each listed institution once, exactly as an independent count over the
/// file says.
#[tokio::test]
async fn coverage_counts_each_listed_institution_by_what_the_desk_holds() {
    use madoguchi_domain::outreach::Standing;
    let csv = snapshot("2025-08.csv");
    let tokyo: Vec<&[u8]> = csv.split(|&b| b == b'\n').filter(|l| l.starts_with(b"13")).collect();
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    set_practice(&store).await;
    let report = import(&store, tokyo.join(&b'\n'), "2025-08-tokyo.csv").await.unwrap();
    assert!(report.imported > 10_000, "{report:?}");
    // The independent side: the file's distinct codes, each given a standing by its place.
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT insurance_code FROM institutions WHERE prefecture = '13'
         AND closed_import_id IS NULL AND insurance_code IS NOT NULL ORDER BY insurance_code",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut expected = [0i64; 4];
    let mut reports = String::from("機関コード,保険医療機関コード,制度,状況,報告日\r\n");
    let mut reported = 0;
    for (n, code) in codes.iter().enumerate() {
        let (standing, status) = match n % 12 {
            0 | 3 | 6 | 9 => (Standing::Account, None),
            1 | 7 => (Standing::Applying, Some("in_review")),
            2 => (Standing::Returned, Some("returned_for_correction")),
            5 => (Standing::NotApplied, Some("rejected")),
            _ => (Standing::NotApplied, None),
        };
        expected[Standing::ALL.iter().position(|s| *s == standing).unwrap()] += 1;
        if standing == Standing::Account {
            sqlx::query("INSERT INTO accounts (id, insurance_code, institution_code, login_id, payload) VALUES (?1, ?2, ?3, ?4, '{}')")
                .bind(n as i64)
                .bind(code)
                .bind(format!("13{n:06}"))
                .bind(format!("login{n}"))
                .execute(store.pool())
                .await
                .unwrap();
        }
        // 報告状況: those with accounts report (one by its 機関コード only), some started and saved.
        match n % 12 {
            0 | 3 => {
                reports.push_str(&format!(",{code},医療機能情報提供制度,報告済,2027/02/10\r\n"))
            }
            9 => {
                reports.push_str(&format!("13{n:06},,医療機能情報提供制度,報告済み,2027-02-11\r\n"))
            }
            6 => reports.push_str(&format!(",{code},医療機能情報提供制度,一時保存,\r\n")),
            _ => {}
        }
        reported += matches!(n % 12, 0 | 3 | 9) as i64;
        if let Some(status) = status {
            let payload = serde_json::json!({ "form": { "insurance_code": code } }).to_string();
            sqlx::query("INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at) VALUES (?1, '13', ?2, 1, ?3, '', '')")
                .bind(n as i64)
                .bind(status)
                .bind(payload)
                .execute(store.pool())
                .await
                .unwrap();
        }
    }
    let before = store.coverage(tokyo_code(), today()).await.unwrap();
    assert!(!before.reports_known);
    assert_eq!(before.total.reported, 0);
    let sjis = encoding_rs::SHIFT_JIS.encode(&reports).0.into_owned();
    let imported = store
        .import_reports(std::io::Cursor::new(sjis), "houkoku.csv", tokyo_code(), now())
        .await
        .unwrap();
    assert_eq!((imported.encoding.as_str(), imported.reported), ("Shift_JIS", reported as u64));
    let coverage = store.coverage(tokyo_code(), today()).await.unwrap();
    assert!(coverage.reports_known);
    assert_eq!(coverage.total.reported, reported);
    assert_eq!(coverage.trend.len(), 1, "one week looked at");
    let t = coverage.total;
    assert_eq!([t.account, t.applying, t.returned, t.not_applied], expected);
    assert_eq!(t.total(), codes.len() as i64, "each institution once");
    let kinds: i64 = coverage.by_kind.iter().map(|r| r.counts.total()).sum();
    let places: i64 = coverage.by_municipality.iter().map(|r| r.counts.total()).sum();
    assert_eq!((kinds, places), (t.total(), t.total()));
    let kinds: Vec<&str> = coverage.by_kind.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(kinds[0], "診療所", "clinics outnumber hospitals: {kinds:?}");
    assert!(kinds.contains(&"病院"), "{kinds:?}");
    let places: Vec<&str> = coverage.by_municipality.iter().map(|r| r.label.as_str()).collect();
    assert!(places.contains(&"千代田区") && places.contains(&"八王子市"), "{places:?}");
    // 八王子市's institutions under its 保健所; the rest under none set.
    let in_hachioji: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT insurance_code) FROM institutions WHERE prefecture = '13'
         AND closed_import_id IS NULL AND address LIKE '八王子市%'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let centre = &coverage.by_health_centre.iter().find(|r| r.label == "八王子市保健所").unwrap();
    assert_eq!(centre.counts.total(), in_hachioji);
    // The list behind a number holds exactly that many, each as counted.
    let filter = CoverageFilter {
        row: Some((Breakdown::HealthCentre, centre.key.clone())),
        ..Default::default()
    };
    let listed = store.coverage_list(tokyo_code(), &filter).await.unwrap();
    assert_eq!(listed.len() as i64, in_hachioji);
    assert!(listed.iter().all(|e| e.address.starts_with("八王子市")));
    let returned = CoverageFilter { standing: Some(Standing::Returned), ..Default::default() };
    let listed = store.coverage_list(tokyo_code(), &returned).await.unwrap();
    assert_eq!(listed.len() as i64, t.returned);
    let unreported = CoverageFilter { reported: Some(false), ..Default::default() };
    let listed = store.coverage_list(tokyo_code(), &unreported).await.unwrap();
    assert_eq!(listed.len() as i64, t.total() - reported);
    let clinics = &coverage.by_kind[0];
    let filter =
        CoverageFilter { row: Some((Breakdown::Kind, clinics.key.clone())), ..Default::default() };
    let listed = store.coverage_list(tokyo_code(), &filter).await.unwrap();
    assert_eq!(listed.len() as i64, clinics.counts.total());
    // Another prefecture's coverage is empty: the rows are 東京都's.
    assert_eq!(store.coverage("01".parse().unwrap(), today()).await.unwrap().total.total(), 0);
}

/// A 報告状況 file with a bad row is refused whole, each bad row named by its line; a file of
/// a gigabyte is refused before it is read through; what was imported before stays.
#[tokio::test]
async fn a_bad_report_file_is_refused_by_line_and_changes_nothing() {
    let csv = snapshot("2025-08.csv");
    let lines: Vec<&[u8]> = csv.split(|&b| b == b'\n').collect();
    let tokyo: Vec<&[u8]> = lines.iter().copied().filter(|l| l.starts_with(b"13")).collect();
    let code_of = |line: &[u8]| {
        let key = String::from_utf8_lossy(&line[..9]).into_owned();
        madoguchi_domain::InsuranceCode::parse(&key, Default::default()).unwrap().digits()
    };
    let osaka = code_of(lines.iter().find(|l| l.starts_with(b"27")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    set_practice(&store).await;
    // Every Tokyo row but the last is the registry; the last is a code the desk does not know.
    import(&store, tokyo[..tokyo.len() - 1].join(&b'\n'), "tokyo.csv").await.unwrap();
    let (first, second) = (code_of(tokyo[0]), code_of(tokyo[1]));
    let unknown = code_of(tokyo[tokyo.len() - 1]);
    let good = format!("保険医療機関コード,制度,状況\n{first},医療,報告済\n");
    let reports =
        |s: String| store.import_reports(std::io::Cursor::new(s), "r.csv", tokyo_code(), now());
    reports(good).await.unwrap();
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM reports")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    assert_eq!(stored().await, 1);

    let bad = format!(
        "保険医療機関コード,機関コード,制度,状況,報告日\n\
         {second},,医療機能情報提供制度,報告済,2027-02-01\n\
         {osaka},,医療機能情報提供制度,報告済,2027-02-01\n\
         {unknown},,医療機能情報提供制度,未報告,\n\
         {second},,医療,未報告,\n\
         ,ZZ999,医療,報告済,\n\
         {first},,薬局機能情報提供制度,報告済,2027-13-01\n"
    );
    let err = reports(bad).await.unwrap_err();
    assert_eq!(err.code(), "E-REPORT-ROWS");
    let said = err.message_ja();
    for expected in [
        "3行目: 保険医療機関コード「".to_owned() + &osaka + "」は大阪府の機関です",
        "4行目: 保険医療機関コード「".to_owned() + &unknown + "」が台帳にありません",
        "5行目: 2行目と同じ機関・制度の行です".to_owned(),
        "6行目: 機関コード「ZZ999」のアカウントがこの端末にありません".to_owned(),
        "7行目: 報告日「2027-13-01」が日付として読めません".to_owned(),
    ] {
        assert!(said.contains(&expected), "{expected} in {said}");
    }
    assert!(!said.contains("2行目:"), "the good row is not named: {said}");
    assert_eq!(stored().await, 1, "nothing of the bad file written");

    let gigabyte = std::io::repeat(b'a').take(1 << 30);
    let err = store.import_reports(gigabyte, "big.csv", tokyo_code(), now()).await.unwrap_err();
    assert_eq!(err.code(), "E-REPORT-TOO-LARGE");
    let err = reports("名称,住所\nx,y\n".into()).await.unwrap_err();
    assert_eq!(err.code(), "E-REPORT-FORMAT");
    let err = reports("機関コード,制度,状況\n".into()).await.unwrap_err();
    assert_eq!(err.code(), "E-REPORT-EMPTY");
    assert_eq!(stored().await, 1);
}

/// 要連絡 lists a return only after the prefecture's days without a resubmission, and 未申請
/// only from its days before the 定期報告期間 until it ends.
#[tokio::test]
async fn the_worklist_lists_each_fact_in_its_time() {
    use madoguchi_core::outreach::worklist::{ReasonKind, WorklistFilter};
    let csv = snapshot("2025-08.csv");
    let tokyo: Vec<&[u8]> =
        csv.split(|&b| b == b'\n').filter(|l| l.starts_with(b"13")).take(50).collect();
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir).await;
    set_practice(&store).await; // 2027-01-04 to 2027-03-31, the default timing
    import(&store, tokyo.join(&b'\n'), "tokyo.csv").await.unwrap();
    let payload = serde_json::json!({
        "form": { "insurance_code": null, "name": "山田助産所", "phone": "03-0000-0000" },
    });
    sqlx::query("INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at) VALUES (9, '13', 'returned_for_correction', 2, ?1, '2027-01-01T00:00:00Z', '2027-01-05T01:00:00Z')")
        .bind(payload.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    let counts = |day: (u32, u32)| {
        let store = store.clone();
        async move {
            let today = NaiveDate::from_ymd_opt(2027, day.0, day.1).unwrap();
            let list =
                store.worklist(tokyo_code(), today, &WorklistFilter::default()).await.unwrap();
            let n = |kind| list.counts.iter().find(|(k, _)| *k == kind).unwrap().1.open;
            (n(ReasonKind::Returned), n(ReasonKind::NotApplied), list)
        }
    };
    let (returned, not_applied, _) = counts((1, 18)).await;
    assert_eq!((returned, not_applied), (0, 50), "13 days after the return; the period is open");
    let (returned, _, list) = counts((1, 19)).await;
    assert_eq!(returned, 1);
    let entry = &list.entries[0];
    assert_eq!(entry.said, "差戻しから14日、再申請がありません");
    assert_eq!(
        (entry.institution_name.as_str(), entry.phone.as_deref()),
        ("山田助産所", Some("03-0000-0000"))
    );
    let (_, not_applied, _) = counts((4, 1)).await;
    assert_eq!(not_applied, 0, "the period has ended");

    // A 疎通確認 that lapsed (as the server publishes it): listed with the registry's address
    // until the institution applies again.
    let key = String::from_utf8_lossy(&tokyo[3][..9]).into_owned();
    let code = madoguchi_domain::InsuranceCode::parse(&key, Default::default()).unwrap().digits();
    let lapse = serde_json::json!({ "id": 77, "prefecture": "13", "kind": "clinic",
        "institution_name": "名前は台帳と違ってもよい", "insurance_code": code, "lapsed_at": "2027-01-10T00:00:00Z" });
    sqlx::query("INSERT INTO lapsed_checks (id, prefecture, insurance_code, payload) VALUES (77, '13', ?1, ?2)")
        .bind(&code)
        .bind(lapse.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    let today = NaiveDate::from_ymd_opt(2027, 1, 19).unwrap();
    let only = WorklistFilter { reason: Some(ReasonKind::Unconfirmed), ..Default::default() };
    let listed = store.worklist(tokyo_code(), today, &only).await.unwrap().entries;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "unconfirmed-77");
    assert!(listed[0].said.contains("疎通確認"), "{}", listed[0].said);
    assert!(listed[0].address.is_some(), "the registry's address");
    let payload = serde_json::json!({ "form": { "insurance_code": code, "name": "x" } });
    sqlx::query("INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at) VALUES (78, '13', 'submitted', 1, ?1, '', '')")
        .bind(payload.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    let listed = store.worklist(tokyo_code(), today, &only).await.unwrap().entries;
    assert!(listed.is_empty(), "it applied again");
}
