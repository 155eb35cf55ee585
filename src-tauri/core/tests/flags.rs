//! Validation flags on crafted applications and on applications made from the real registry.

use std::sync::atomic::AtomicBool;

use madoguchi_core::applications::KnownAccount;
use madoguchi_core::flags::{flags, FlagContext, OpenApplications};
use madoguchi_core::Store;
use madoguchi_domain::api::{Application, SubmittedBy};
use madoguchi_domain::{ApplicationForm, ApplicationStatus, InstitutionKind, ReturnReason};

fn application(id: i64, form: ApplicationForm) -> Application {
    let prefecture = madoguchi_domain::Prefecture::from_address_prefix(&form.address)
        .expect("address names its prefecture");
    Application {
        id,
        prefecture,
        status: ApplicationStatus::Submitted,
        version: 1,
        form,
        submitted_by: SubmittedBy::Institution,
        received_at: "2026-11-25T00:00:00Z".into(),
        updated_at: "2026-11-25T00:00:00Z".into(),
        login_id: None,
        return_reason: None,
        reject_reason: None,
        note: None,
        address_verified: true,
        resubmission_of: None,
        resubmitted_as: None,
        status_page: Default::default(),
    }
}

/// 医療法人 愛全病院, as the registry lists it.
fn aizen() -> ApplicationForm {
    ApplicationForm {
        kind: InstitutionKind::Hospital,
        institution_code: "0112489".into(),
        insurance_code: Some("0110112489".into()),
        name: "医療法人 愛全病院".into(),
        kana: "イリョウホウジン アイゼンビョウイン".into(),
        postal_code: "005-0813".into(),
        address: "北海道札幌市南区川沿13条2丁目1番38号".into(),
        building: String::new(),
        phone: "011-571-5670".into(),
        department: "事務部".into(),
        department_number: String::new(),
        contact_name: "札幌 花子".into(),
        email: "jimu@aizen.example.jp".into(),
    }
}

async fn registry() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/institution-codes/2025-08.csv"
    ))
    .unwrap();
    store
        .import_registry(std::io::Cursor::new(csv), "2025-08.csv", |_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    (store, dir)
}

fn codes(app: &Application, ctx: &FlagContext<'_>) -> Vec<&'static str> {
    flags(app, ctx).into_iter().map(|f| f.code.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_flag_on_crafted_applications() {
    let (store, _dir) = registry().await;
    let mut unknown_code = aizen();
    // A valid check digit, but no such institution.
    unknown_code.insurance_code = (0..10)
        .map(|c| format!("011019999{c}"))
        .find(|c| c.parse::<madoguchi_domain::InsuranceCode>().is_ok());
    let asked = [application(1, aizen()), application(2, unknown_code.clone())];
    let listing = store.listing(&asked).await.unwrap().expect("a registry");
    let nothing_open = OpenApplications::default();
    let none = FlagContext { registry: Some(&listing), accounts: &[], open: &nothing_open };
    assert!(
        codes(&application(1, aizen()), &none).is_empty(),
        "{:?}",
        flags(&application(1, aizen()), &none)
    );

    let mut f = aizen();
    f.email = "jimu@gmial.com".into();
    let all = flags(&application(1, f), &none);
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].code.as_str(), all[0].fix.as_deref()),
        ("FLAG-EMAIL-TYPO", Some("jimu@gmail.com"))
    );
    assert_eq!(all[0].return_reason, Some(ReturnReason::EmailWrong));

    let mut f = aizen();
    f.name = "愛善クリニック".into();
    let all = flags(&application(1, f), &none);
    assert_eq!(all[0].code, "FLAG-NAME-MISMATCH");
    assert_eq!(all[0].fix.as_deref(), Some("医療法人 愛全病院"));

    let mut f = aizen();
    f.address = "北海道旭川市1条通".into();
    assert_eq!(codes(&application(1, f), &none), ["FLAG-ADDRESS-MISMATCH"]);

    let got = codes(&application(1, unknown_code), &none);
    assert!(got.contains(&"FLAG-CODE-UNKNOWN"), "{got:?}");

    let mut f = aizen();
    f.kind = InstitutionKind::DentalClinic;
    assert_eq!(codes(&application(1, f), &none), ["FLAG-KIND-TABLE"]);

    // A pharmacy's code is called a 保険薬局コード in what the officer reads.
    let mut f = aizen();
    f.kind = InstitutionKind::Pharmacy;
    f.insurance_code = None;
    let all = flags(&application(1, f), &none);
    assert_eq!(all[0].code, "FLAG-CODE-MISSING");
    assert!(all[0].message.starts_with("保険薬局コードがありません"), "{}", all[0].message);
    assert!(all[0].message.contains("保険薬局の指定を受けていない"), "{}", all[0].message);

    // A pharmacy of 東京都 typing its 7 digits: the check digit fits every 点数表 there, and
    // the code is read as 調剤, the pharmacy's, never flagged as a 医科 code of the wrong kind.
    let short = ApplicationForm {
        kind: InstitutionKind::Pharmacy,
        insurance_code: Some("0132274".into()),
        postal_code: "101-0044".into(),
        address: "東京都千代田区鍛冶町一丁目９番１号".into(),
        phone: "03-3251-0000".into(),
        ..aizen()
    };
    let got = codes(&application(1, short), &none);
    assert!(!got.contains(&"FLAG-KIND-TABLE"), "{got:?}");

    let mut f = aizen();
    f.institution_code = "01-12489".into();
    f.phone = "571-5670".into();
    f.postal_code = "100-0001".into();
    assert_eq!(
        codes(&application(1, f), &none),
        ["FLAG-INSTITUTION-CODE", "FLAG-PHONE", "FLAG-POSTAL-PREFECTURE"]
    );

    let mut f = aizen();
    f.email = "jimu@aizen".into();
    assert_eq!(codes(&application(1, f), &none), ["FLAG-EMAIL"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn other_applications_and_accounts_of_the_same_institution() {
    let (store, _dir) = registry().await;
    let (a, b) = (application(1, aizen()), application(2, aizen()));
    let mut done = application(3, aizen());
    done.status = ApplicationStatus::Rejected;
    let apps = vec![a.clone(), b.clone(), done];
    let listing = store.listing(&apps).await.unwrap().expect("a registry");
    let open = OpenApplications::new(&apps);
    let ctx = FlagContext { registry: Some(&listing), accounts: &[], open: &open };
    assert_eq!(codes(&a, &ctx), ["FLAG-DUPLICATE"]);
    assert!(
        flags(&a, &ctx)[0].message.contains("申請番号 2"),
        "a closed one (3) is not a duplicate"
    );
    let accounts = [KnownAccount {
        prefecture: "01".parse().unwrap(),
        institution_code: "other".into(),
        insurance_code: Some("0110112489".into()),
        login_id: "GM00000001".into(),
    }];
    let nothing_open = OpenApplications::default();
    let ctx = FlagContext { registry: Some(&listing), accounts: &accounts, open: &nothing_open };
    let all = flags(&a, &ctx);
    assert_eq!(all[0].code, "FLAG-ACCOUNT-EXISTS");
    assert!(all[0].message.contains("GM00000001"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_that_is_not_the_institutions_is_flagged_and_left_out_of_bulk_approval() {
    let (store, _dir) = registry().await;
    let with_email =
        |id, email: &str| application(id, ApplicationForm { email: email.into(), ..aizen() });
    // A copy of the institution's public data with a free-mail address: flagged, and why.
    let stranger = with_email(1, "aizen.byouin@gmail.com");
    let apps = vec![stranger.clone()];
    let listing = store.listing(&apps).await.unwrap().expect("a registry");
    let open = OpenApplications::new(&apps);
    let ctx = FlagContext { registry: Some(&listing), accounts: &[], open: &open };
    let got = flags(&stranger, &ctx);
    assert_eq!(got.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["FLAG-EMAIL-UNRELATED"]);
    assert!(got[0].message.contains("@gmail.com") && got[0].message.contains("一括承認の対象外"));
    // The institution's own domain, with no history: nothing to say.
    let own = with_email(2, "jimu@aizen.example.jp");
    assert_eq!(codes(&own, &ctx), ["FLAG-DUPLICATE"], "(1 is open)");
    // Approved before with an address: the same address (even free mail) or domain is its own;
    // another domain is not.
    let mut before = with_email(3, "aizen.byouin@gmail.com");
    before.status = ApplicationStatus::ApprovedNewAccount;
    let mut before_own = with_email(4, "soumu@aizen.example.jp");
    before_own.status = ApplicationStatus::ApprovedExistingAccount;
    let again = with_email(5, "AIZEN.BYOUIN@gmail.com");
    let same_domain = with_email(6, "jimu@aizen.example.jp");
    let elsewhere = with_email(7, "jimu@aizen-byouin.example.com");
    let apps = vec![before, before_own, again.clone(), same_domain.clone(), elsewhere.clone()];
    let open = OpenApplications::new(&apps);
    let ctx = FlagContext { registry: Some(&listing), accounts: &[], open: &open };
    let dupes =
        |app| codes(app, &ctx).into_iter().filter(|c| *c != "FLAG-DUPLICATE").collect::<Vec<_>>();
    assert!(dupes(&again).is_empty(), "{:?}", flags(&again, &ctx));
    assert!(dupes(&same_domain).is_empty());
    assert_eq!(dupes(&elsewhere), ["FLAG-EMAIL-UNRELATED"]);
    let said = &flags(&elsewhere, &ctx)
        .into_iter()
        .find(|f| f.code == "FLAG-EMAIL-UNRELATED")
        .unwrap()
        .message;
    assert!(said.contains("申請番号 4") && said.contains("@aizen.example.jp"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn applications_copied_from_the_registry_raise_no_registry_flags() {
    let (store, _dir) = registry().await;
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/institution-codes/2025-08.csv"
    ))
    .unwrap();
    let mut apps = Vec::new();
    for line in csv.lines().step_by(50) {
        let f: Vec<&str> = line.split(',').collect();
        let Ok(pref) = f[0][..2].parse::<madoguchi_domain::Prefecture>() else { continue };
        let mut form = aizen();
        form.insurance_code = Some(f[0].to_owned());
        form.name = f[2].to_owned();
        form.postal_code = f[3].to_owned();
        form.address = if f[4].starts_with(pref.name_ja()) {
            f[4].to_owned()
        } else {
            format!("{}{}", pref.name_ja(), f[4])
        };
        form.kind = if f[2].contains("病院") {
            InstitutionKind::Hospital
        } else {
            InstitutionKind::Clinic
        };
        apps.push((line, application(apps.len() as i64, form)));
    }
    let listing = store.listing(apps.iter().map(|(_, a)| a)).await.unwrap().expect("a registry");
    let nothing_open = OpenApplications::default();
    let ctx = FlagContext { registry: Some(&listing), accounts: &[], open: &nothing_open };
    let (checked, mut flagged) = (apps.len(), Vec::new());
    for (line, app) in &apps {
        let got = codes(app, &ctx);
        let registry_flags: Vec<_> = got
            .iter()
            .filter(|c| {
                [
                    "FLAG-CODE-UNKNOWN",
                    "FLAG-NAME-MISMATCH",
                    "FLAG-ADDRESS-MISMATCH",
                    "FLAG-KIND-TABLE",
                    "FLAG-CODE-CHECK",
                ]
                .contains(c)
            })
            .collect();
        if !registry_flags.is_empty() {
            flagged.push((line.to_owned(), got));
        }
    }
    assert!(checked > 1_700);
    // Codes listed twice under different names are the only expected exception.
    assert!(
        flagged.len() * 200 < checked,
        "{} of {checked}: {:?}",
        flagged.len(),
        &flagged[..flagged.len().min(5)]
    );
}

/// みどり助産院 of 北海道, in 医療情報ネット's 助産所 file.
fn midori() -> ApplicationForm {
    ApplicationForm {
        kind: InstitutionKind::MaternityHome,
        institution_code: "0140000007".into(),
        insurance_code: None,
        name: "みどり助産院".into(),
        kana: "ミドリジョサンイン".into(),
        postal_code: "060-0001".into(),
        address: "北海道札幌市中央区北1条西2丁目3番".into(),
        building: String::new(),
        phone: "011-200-3000".into(),
        department: String::new(),
        department_number: String::new(),
        contact_name: "札幌 みどり".into(),
        email: "midori@josan.example.jp".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_maternity_home_is_found_by_name_in_the_navii_list_or_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let codes_only = std::io::Cursor::new(
        "010112489,0112489,医療法人 愛全病院,0050813,札幌市南区川沿１３条２丁目１番３８号\r\n",
    );
    store.import_registry(codes_only, "codes.csv", |_| {}, &AtomicBool::new(false)).await.unwrap();
    let asked = [application(1, midori())];
    let listing = store.listing(&asked).await.unwrap().expect("a registry");
    let open = OpenApplications::default();
    let ctx = FlagContext { registry: Some(&listing), accounts: &[], open: &open };
    let all = flags(&application(1, midori()), &ctx);
    assert_eq!(codes(&application(1, midori()), &ctx), ["FLAG-MATERNITY-UNLISTED"]);
    assert!(all[0].message.contains("取り込まれていない"), "says why: {}", all[0].message);

    let navii = "\u{feff}\"ID\",\"正式名称\",\"正式名称（フリガナ）\",\"都道府県コード\",\"所在地\"\r\n\
        \"0140000007\",\"みどり助産院\",\"ミドリジョサンイン\",\"01\",\"札幌市中央区北１条西２丁目３番\"\r\n\
        \"1340000001\",\"あおば助産院\",\"アオバジョサンイン\",\"13\",\"千代田区丸の内１丁目\"\r\n";
    store
        .import_registry(
            std::io::Cursor::new(navii),
            "04_maternity_info_20250601.csv",
            |_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    let listing = store.listing(&asked).await.unwrap().expect("a registry");
    let ctx = FlagContext { registry: Some(&listing), accounts: &[], open: &open };
    assert!(codes(&application(1, midori()), &ctx).is_empty(), "listed: no flag");

    let mut moved = midori();
    moved.address = "北海道旭川市1条通".into();
    assert_eq!(codes(&application(1, moved), &ctx), ["FLAG-ADDRESS-MISMATCH"]);

    // Another prefecture's, or one nobody lists: flagged, so 一括承認 leaves it to the officer.
    let mut unknown = midori();
    unknown.name = "あおば助産院".into();
    let all = flags(&application(1, unknown), &ctx);
    assert_eq!(
        all.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
        ["FLAG-MATERNITY-UNLISTED"]
    );
    assert!(all[0].message.contains("北海道の台帳にありません"), "{}", all[0].message);
}
