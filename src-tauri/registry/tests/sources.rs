//! Reading the lists as they arrive: the real code lists, Excel's Shift_JIS, ナビイ files with
//! a BOM, and files with bad rows.

use madoguchi_domain::InstitutionKind;
use madoguchi_registry::source::RowProblem;
use madoguchi_registry::{ImportError, Records, Source};

fn shared(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/institution-codes")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_row_of_the_real_lists_reads() {
    for (file, rows) in [("2024-09.csv", 82_897), ("2025-08.csv", 88_698)] {
        let bytes = shared(file);
        let mut records = Records::open(&bytes[..], file).unwrap();
        assert_eq!(records.source(), Source::CodeList);
        let mut n = 0;
        for r in records.by_ref() {
            let r = r.unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(r.line, n + 1);
            n += 1;
        }
        assert_eq!(n, rows, "{file}");
        assert_eq!(records.bytes_read(), bytes.len() as u64);
        assert_eq!(records.encoding_name(), "UTF-8");
    }
}

#[test]
fn the_first_rows_as_published() {
    let bytes = shared("2025-08.csv");
    let first = Records::open(&bytes[..], "2025-08.csv").unwrap().next().unwrap().unwrap();
    assert_eq!(first.key, "0110112489");
    assert_eq!(first.name, "医療法人 愛全病院");
    assert_eq!(first.kind, Some(InstitutionKind::Hospital));
    assert_eq!(first.postal_code.unwrap().display(), "005-0813");
    assert_eq!(first.prefecture.name_ja(), "北海道");
    assert_eq!(first.address, "札幌市南区川沿１３条２丁目１番３８号");
}

#[test]
fn shift_jis_from_excel_reads_the_same() {
    let bytes = shared("2025-08.csv");
    let utf8 = std::str::from_utf8(&bytes[..]).unwrap();
    let sample: String = utf8.split_inclusive("\r\n").take(2_000).collect();
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&sample);
    assert!(!unmappable, "sample must be representable in Shift_JIS");
    let from_sjis: Vec<_> =
        Records::open(&sjis[..], "x.csv").unwrap().collect::<Result<_, _>>().unwrap();
    let from_utf8: Vec<_> =
        Records::open(sample.as_bytes(), "x.csv").unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(from_sjis.len(), 2_000);
    assert_eq!(from_sjis, from_utf8);
}

const NAVII_HEADER: &str = "\u{feff}\"ID\",\"正式名称\",\"正式名称（フリガナ）\",\"略称\",\"都道府県コード\",\"市区町村コード\",\"所在地\",\"所在地座標（緯度）\",\"所在地座標（経度）\"\r\n";

#[test]
fn navii_files_with_bom_and_quoted_header() {
    let file = format!(
        "{NAVII_HEADER}\"0113000001\",\"医療法人 さくら病院\",\"イリョウホウジン サクラビョウイン\",\"さくら\",\"01\",\"011002\",\"札幌市中央区北１条西２丁目\",\"43.06\",\"141.35\"\r\n"
    );
    let records: Vec<_> =
        Records::open(file.as_bytes(), "/tmp/01-1_hospital_facility_info_20250601.csv")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(
        (r.source, r.key.as_str(), r.kind),
        (Source::Navii, "0113000001", Some(InstitutionKind::Hospital))
    );
    assert_eq!(r.kana.as_deref(), Some("イリョウホウジン サクラビョウイン"));
    assert_eq!(r.municipality_code.as_deref(), Some("011002"));
    assert_eq!(r.line, 2);

    let pharmacy = "\u{feff}\"ID\",\"名称\",\"フリガナ\",\"都道府県コード\",\"所在地\"\n\"P1\",\"ひまわり薬局\",\"ヒマワリヤッキョク\",\"13\",\"千代田区\"\n";
    let r = Records::open(pharmacy.as_bytes(), "05_pharmacy_info_20250601.csv")
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!((r.kind, r.name.as_str()), (Some(InstitutionKind::Pharmacy), "ひまわり薬局"));
}

#[test]
fn bad_rows_are_reported_by_line_and_skipped() {
    let mut file = Vec::new();
    file.extend_from_slice("010112489,0112489,医療法人 愛全病院,0050813,札幌市南区\r\n".as_bytes());
    file.extend_from_slice("010112745,0112745,平松記念病院,0648536\r\n".as_bytes()); // 4 columns
    file.extend_from_slice(b"010113420,0113420,\xE6\x9C\xAD\xFF\xFE,0640809,x\r\n"); // broken bytes
    file.extend_from_slice("010113421,0113421,誤りのある病院,0640809,x\r\n".as_bytes()); // check digit
    file.extend_from_slice("010113537,0113537,旭山病院,064094,札幌市\r\n".as_bytes()); // postal
    file.extend_from_slice("010113685,0113685,札幌南一条病院,0600061,札幌市中央区\r\n".as_bytes());
    let results: Vec<_> = Records::open(&file[..], "x.csv").unwrap().collect();
    let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).map(|r| r.line).collect();
    assert_eq!(ok, vec![1, 6]);
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
    assert_eq!(errors[0].problem, RowProblem::ColumnCount { found: 4, expected: 5 });
    assert_eq!(errors[1].problem, RowProblem::Encoding);
    assert!(matches!(errors[2].problem, RowProblem::Code { .. }));
    assert!(errors[2].message_ja().starts_with("4行目: 保険医療機関コード"));
    assert!(matches!(errors[3].problem, RowProblem::Postal { .. }));
}

#[test]
fn overlong_fields_are_bad_rows() {
    let huge = "病".repeat(1_000_000);
    let file = format!(
        "010112489,0112489,{huge},0050813,札幌市南区\r\n010112745,0112745,平松記念病院,0648536,{}\r\n010113685,0113685,札幌南一条病院,0600061,札幌市中央区\r\n",
        "丁目".repeat(200)
    );
    let results: Vec<_> = Records::open(file.as_bytes(), "x.csv").unwrap().collect();
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(
        errors.iter().map(|e| &e.problem).collect::<Vec<_>>(),
        [
            &RowProblem::TooLong { field: "名称", length: 1_000_000, max: 200 },
            &RowProblem::TooLong { field: "所在地", length: 400, max: 300 },
        ]
    );
    assert!(errors[0].message_ja().contains("名称が長すぎます（1000000文字。200文字までです）"));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "the good row is taken");
}

#[test]
fn files_that_are_not_lists_are_refused_whole() {
    for (bytes, name) in [(&b""[..], "x.csv"), ("氏名,年齢\r\n山田,30\r\n".as_bytes(), "x.csv")]
    {
        let err = Records::open(bytes, name).unwrap_err();
        assert!(matches!(err, ImportError::UnknownFormat(_)), "{name}: {err:?}");
    }
    // A ナビイ file that says nothing of its kind is refused with how to name it.
    let err = Records::open(NAVII_HEADER.as_bytes(), "facilities.csv").unwrap_err();
    assert!(matches!(err, ImportError::NaviiKind(_)), "{err:?}");
}

/// A 医療情報ネット file renamed after download: a word left in its name, or its header,
/// tells its kind; when neither does, the officer is told how to name it — never refused
/// half in English.
#[test]
fn a_renamed_navii_file_is_read_by_what_its_name_and_header_still_say() {
    let hospital = format!(
        "{NAVII_HEADER}\"0113000001\",\"医療法人 さくら病院\",\"イリョウホウジン サクラビョウイン\",\"さくら\",\"01\",\"011002\",\"札幌市中央区北１条西２丁目\",\"43.06\",\"141.35\"\r\n"
    );
    let kind_of = |file: &str, name: &str| {
        Records::open(file.as_bytes(), name).map(|mut r| r.next().unwrap().unwrap().kind)
    };
    assert_eq!(kind_of(&hospital, "札幌の病院一覧.csv").unwrap(), Some(InstitutionKind::Hospital));
    assert_eq!(
        kind_of(&hospital, "Dental_Clinic (1).csv").unwrap(),
        Some(InstitutionKind::DentalClinic)
    );
    let pharmacy = "\"ID\",\"名称\",\"フリガナ\",\"都道府県コード\",\"所在地\"\n\"P1\",\"ひまわり薬局\",\"ヒマワリヤッキョク\",\"13\",\"千代田区\"\n";
    assert_eq!(kind_of(pharmacy, "download.csv").unwrap(), Some(InstitutionKind::Pharmacy));
    let unknown = kind_of(&hospital, "download.csv").unwrap_err();
    assert_eq!(madoguchi_domain::Coded::code(&unknown), "E-IMPORT-NAVII-KIND");
    let said = madoguchi_domain::Coded::message_ja(&unknown);
    assert!(said.contains("ファイル名") && said.contains("01-1_hospital_facility_info"), "{said}");
}

/// A 医療情報ネット facility header as downloaded (the open data's 定義書, 2025–2026): the 13
/// columns from ID to the home page, the closing days by weekday and by week, holidays and
/// others; then `more`.
fn facility_header(more: &[&str]) -> String {
    let days = ["月", "火", "水", "木", "金", "土", "日"];
    let mut names: Vec<String> = [
        "ID",
        "正式名称",
        "正式名称（フリガナ）",
        "略称",
        "略称（フリガナ）",
        "英語表記（ローマ字表記）",
        "機関区分",
        "都道府県コード",
        "市区町村コード",
        "所在地",
        "所在地座標（緯度）",
        "所在地座標（経度）",
        "案内用ホームページアドレス",
    ]
    .map(String::from)
    .to_vec();
    names.extend(days.iter().map(|d| format!("毎週決まった曜日に休診（{d}）")));
    for week in 1..=5 {
        names.extend(days.iter().map(|d| format!("決まった週に休診（定期週）第{week}週（{d}）")));
    }
    names.extend(["祝日に休診", "その他の休診日（gw、お盆等）"].map(String::from));
    names.extend(more.iter().map(|m| m.to_string()));
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("\u{feff}{}\r\n", quoted.join(","))
}

/// A file renamed to say nothing (or the wrong thing) is read by its header: beds a hospital
/// alone has, a clinic's beds, a dental clinic's header ending at the closing days, a
/// midwifery home's going on with its hours.
#[test]
fn a_renamed_navii_file_is_read_by_its_header() {
    let width = facility_header(&[]).split(',').count();
    assert_eq!(width, 57, "the facility columns");
    let row = |width: usize| {
        let mut cells = vec![String::new(); width];
        cells[0] = "0113000001".into();
        cells[1] = "さくら".into();
        cells[7] = "01".into();
        cells[9] = "札幌市中央区北１条西２丁目".into();
        cells.join(",")
    };
    let beds = ["一般病床", "療養病床", "療養病床のうち医療保険適用", "療養病床のうち介護保険適用"];
    let hospital: Vec<&str> =
        beds.iter().copied().chain(["精神病床", "結核病床", "感染症病床", "合計病床数"]).collect();
    let clinic: Vec<&str> = beds.iter().copied().chain(["合計病床数"]).collect();
    let hours: Vec<String> = (1..=96).map(|i| format!("就業時間帯{i}")).collect();
    let hours: Vec<&str> = hours.iter().map(String::as_str).collect();
    for (more, kind) in [
        (&hospital[..], InstitutionKind::Hospital),
        (&clinic[..], InstitutionKind::Clinic),
        (&[][..], InstitutionKind::DentalClinic),
        (&hours[..], InstitutionKind::MaternityHome),
    ] {
        let header = facility_header(more);
        let file = format!("{header}{}\r\n", row(57 + more.len()));
        for name in ["download.csv", "病院.csv"] {
            let r = Records::open(file.as_bytes(), name).unwrap().next().unwrap().unwrap();
            assert_eq!(r.kind, Some(kind), "{name}: the header, not the name");
        }
    }
}
