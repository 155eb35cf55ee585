//! Sample applications: valid forms and codes for the prefectures the tests use.

use madoguchi_domain::{ApplicationForm, InstitutionKind};

/// A valid 医科 code of `prefecture` whose 医療機関番号 is `n` (district 01).
pub fn insurance_code(prefecture: &str, n: usize) -> String {
    (0..10)
        .map(|check| format!("{prefecture}101{:04}{check}", n % 10_000))
        .find(|c| c.parse::<madoguchi_domain::InsuranceCode>().is_ok())
        .expect("one check digit fits")
}

/// [`form`] with `email` as its address (an address with a fixed fate at the test relay).
pub fn form_to(prefecture: &str, n: usize, email: &str) -> ApplicationForm {
    ApplicationForm { email: email.into(), ..form(prefecture, n) }
}

/// A valid form for institution number `n` of prefecture 01, 13 or 27: the same `n` is the
/// same institution.
pub fn form(prefecture: &str, n: usize) -> ApplicationForm {
    let address = match prefecture {
        "01" => "北海道札幌市南区川沿１３条２丁目１番３８号",
        "13" => "東京都千代田区丸の内１丁目",
        "27" => "大阪府大阪市中央区大手前２丁目",
        other => panic!("no sample for {other}"),
    };
    ApplicationForm {
        kind: InstitutionKind::Hospital,
        institution_code: format!("{prefecture}{n:06}"),
        insurance_code: Some(insurance_code(prefecture, n)),
        name: format!("テスト病院{n}"),
        kana: "テストビョウイン".into(),
        postal_code: "100-0001".into(),
        address: address.into(),
        building: String::new(),
        phone: "03-1234-5678".into(),
        department: "事務部".into(),
        department_number: "1".into(),
        contact_name: "担当 花子".into(),
        email: format!("jimu{n}@hospital.example.jp"),
    }
}
