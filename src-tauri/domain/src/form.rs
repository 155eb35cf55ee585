//! 新規ユーザ登録申請の入力内容: every field of the registration form, and its validation.

use serde::{Deserialize, Serialize};

use crate::institution::InstitutionKind;
use crate::insurance_code::InsuranceCode;
use crate::postal::PostalCode;
use crate::prefecture::Prefecture;
use crate::{Code, Coded};

/// The form as submitted (text as typed; nothing normalised away).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationForm {
    /// 機関区分
    pub kind: InstitutionKind,
    /// 機関コード (assigned by the prefecture for G-MIS)
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "^\\s*[0-9A-Za-z]+\\s*$")
    )]
    pub institution_code: String,
    /// 保険医療機関コード / 保険薬局コード; a 助産所 has none.
    #[cfg_attr(feature = "openapi", schema(max_length = 40, pattern = "^[0-9０-９ \\-－,.]*$"))]
    pub insurance_code: Option<String>,
    /// 名称
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// フリガナ
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "^[ァ-ヶー・　 ]+$")
    )]
    pub kana: String,
    /// 郵便番号
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 7, max_length = 8, pattern = "^[0-9]{3}-?[0-9]{4}$")
    )]
    pub postal_code: String,
    /// 住所, from the prefecture on
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub address: String,
    /// 建物名 (none for many clinics and pharmacies)
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub building: String,
    /// 電話番号
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 13,
            pattern = "^0[0-9]{1,4}-?[0-9]{1,4}-?[0-9]{3,4}$"
        )
    )]
    pub phone: String,
    /// 担当部署名
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub department: String,
    /// 担当部署番号
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub department_number: String,
    /// 担当者名
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub contact_name: String,
    /// メールアドレス: one plain address
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 200,
            pattern = "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"
        )
    )]
    pub email: String,
}

/// What validation establishes about a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidForm {
    pub prefecture: Prefecture,
    pub insurance_code: Option<InsuranceCode>,
}

const MAX_TEXT: usize = 200;

/// A field the intake refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

fn error(field: &str, code: Code, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), code: code.as_str().into(), message: message.into() }
}

/// A field error that says its code's own sentence.
fn fixed(field: &str, code: Code) -> FieldError {
    error(field, code, code.message_ja())
}

/// Text fields: required ones non-empty, none too long, none with control characters.
fn text(errors: &mut Vec<FieldError>, field: &str, label: &str, value: &str, required: bool) {
    if required && value.trim().is_empty() {
        errors.push(error(field, Code::FormRequired, format!("{label}を入力してください。")));
    } else if value.chars().count() > MAX_TEXT {
        errors.push(error(
            field,
            Code::FormTooLong,
            format!("{label}は{MAX_TEXT}文字以内で入力してください。"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(error(
            field,
            Code::FormControl,
            format!("{label}に使えない制御文字が含まれています。"),
        ));
    }
}

/// One plain address, `local@domain.tld` (RFC 5322 dot-atoms): what a mail server takes and
/// nothing a header could be bent with — no second address, comma, angle bracket, quote,
/// semicolon, space or control character.
pub fn email_shape_ok(email: &str) -> bool {
    const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";
    let Some((local, domain)) = email.split_once('@') else { return false };
    let atoms_ok = |text: &str, ok: &dyn Fn(char) -> bool| {
        !text.is_empty() && text.split('.').all(|atom| !atom.is_empty() && atom.chars().all(ok))
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.starts_with('-') && !l.ends_with('-') && l.len() <= 63);
    email.len() <= 254
        && local.len() <= 64
        && atoms_ok(local, &|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
        && atoms_ok(domain, &|c| c.is_ascii_alphanumeric() || c == '-')
        && labels_ok
}

/// Mail domains people mistype, and what they meant.
const DOMAIN_TYPOS: &[(&str, &str)] = &[
    ("gmial.com", "gmail.com"),
    ("gmai.com", "gmail.com"),
    ("gmail.co", "gmail.com"),
    ("gmail.cm", "gmail.com"),
    ("gamil.com", "gmail.com"),
    ("gmail.co.jp", "gmail.com"),
    ("yahoo.co.jo", "yahoo.co.jp"),
    ("yaho.co.jp", "yahoo.co.jp"),
    ("yahoo.cojp", "yahoo.co.jp"),
    ("docomo.ne.jo", "docomo.ne.jp"),
    ("docomo.co.jp", "docomo.ne.jp"),
    ("ezweb.ne.jo", "ezweb.ne.jp"),
    ("ezweb.co.jp", "ezweb.ne.jp"),
    ("softbank.ne.jo", "softbank.ne.jp"),
    ("i.softbank.ne.jp", "i.softbank.jp"),
    ("icloud.co", "icloud.com"),
    ("hotmial.com", "hotmail.com"),
    ("outlook.co", "outlook.com"),
    ("outlok.com", "outlook.com"),
    ("au.con", "au.com"),
];

/// The address a likely typo of a common mail domain was meant to be.
pub fn email_typo_fix(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.to_ascii_lowercase();
    DOMAIN_TYPOS
        .iter()
        .find(|(typo, _)| *typo == domain)
        .map(|(_, right)| format!("{local}@{right}"))
}

/// 10 or 11 digits starting with 0, written with or without hyphens or parentheses.
pub fn phone_shape_ok(phone: &str) -> bool {
    let folded: String = phone.chars().map(crate::text::ascii_digit).collect();
    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
    folded.chars().all(|c| c.is_ascii_digit() || "-()（）－ ".contains(c))
        && digits.starts_with('0')
        && (10..=11).contains(&digits.len())
}

impl ApplicationForm {
    /// Checks every field; all problems at once, each with its field, code and message.
    pub fn validate(&self) -> Result<ValidForm, Vec<FieldError>> {
        let mut errors = Vec::new();
        text(&mut errors, "institution_code", "機関コード", &self.institution_code, true);
        if !self.institution_code.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.push(fixed("institution_code", Code::FormInstitutionCode));
        }
        text(&mut errors, "name", "名称", &self.name, true);
        text(&mut errors, "kana", "フリガナ", &self.kana, true);
        if !self.kana.chars().all(|c| ('ァ'..='ヶ').contains(&c) || "ー・　 ".contains(c)) {
            errors.push(fixed("kana", Code::FormKana));
        }
        text(&mut errors, "address", "住所", &self.address, true);
        text(&mut errors, "building", "建物名", &self.building, false);
        text(&mut errors, "department", "担当部署名", &self.department, false);
        text(&mut errors, "department_number", "担当部署番号", &self.department_number, false);
        text(&mut errors, "contact_name", "担当者名", &self.contact_name, true);
        if let Err(e) = self.postal_code.parse::<PostalCode>() {
            errors.push(error("postal_code", e.code(), e.message_ja()));
        }
        if !phone_shape_ok(&self.phone) {
            errors.push(fixed("phone", Code::FormPhone));
        }
        if !email_shape_ok(self.email.trim()) {
            errors.push(fixed("email", Code::FormEmail));
        }
        let prefecture = Prefecture::from_address_prefix(&self.address);
        if prefecture.is_none() && !self.address.trim().is_empty() {
            errors.push(fixed("address", Code::FormAddressPref));
        }
        // A code whose 検証番号 does not match is taken and flagged for the officer, not refused:
        // some published codes fail their own check. An empty one is taken and flagged too: a
        // 助産所 has none, nor has a 薬局 without a 保険薬局 designation or a hospital or clinic
        // that does no 保険診療 (自由診療).
        let insurance_code = match self.insurance_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => match InsuranceCode::parse_for(code, self.kind, prefecture) {
                Ok(c) => Some(c),
                Err(crate::insurance_code::CodeError::CheckDigit { .. }) => None,
                Err(e) => {
                    errors.push(error("insurance_code", e.code(), e.message_ja()));
                    None
                }
            },
        };
        if let (Some(code), Some(pref)) = (insurance_code, prefecture) {
            if code.prefecture() != pref {
                errors.push(error(
                    "insurance_code",
                    Code::FormCodePref,
                    format!(
                        "保険医療機関コードの都道府県（{}）と住所の都道府県（{}）が一致しません。",
                        code.prefecture(),
                        pref
                    ),
                ));
            }
        }
        match (errors.is_empty(), prefecture) {
            (true, Some(prefecture)) => Ok(ValidForm { prefecture, insurance_code }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::institution::ScoreTable;

    pub(crate) fn sample() -> ApplicationForm {
        ApplicationForm {
            kind: InstitutionKind::Hospital,
            institution_code: "0112489".into(),
            insurance_code: Some("0110112489".into()),
            name: "医療法人 愛全病院".into(),
            kana: "イリョウホウジン アイゼンビョウイン".into(),
            postal_code: "005-0813".into(),
            address: "北海道札幌市南区川沿１３条２丁目１番３８号".into(),
            building: String::new(),
            phone: "011-571-5670".into(),
            department: "事務部".into(),
            department_number: "".into(),
            contact_name: "札幌 花子".into(),
            email: "jimu@aizen.example.jp".into(),
        }
    }

    #[test]
    fn a_good_form_passes() {
        let v = sample().validate().unwrap();
        assert_eq!(v.prefecture.code(), "01");
        assert_eq!(v.insurance_code.unwrap().digits(), "0110112489");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut f = sample();
        f.email = "jimu@aizen".into();
        f.phone = "12345".into();
        f.kana = "あいぜん".into();
        f.postal_code = "005-081".into();
        f.name = "\u{7}".into();
        f.insurance_code = Some("1310270751".into());
        let errors = f.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in ["email", "phone", "kana", "postal_code", "name", "insurance_code"] {
            assert!(fields.contains(&field), "{field} not in {fields:?}");
        }
        assert!(errors.iter().any(|e| e.code == "E-FORM-CODE-PREF"));
    }

    #[test]
    fn who_may_leave_the_code_empty_and_a_check_digit_slip_is_taken() {
        let mut f = sample();
        f.insurance_code = None;
        // A 助産所; a 薬局 without a 保険薬局 designation; a hospital or clinic of 自由診療:
        // taken, and flagged on the desk.
        for kind in InstitutionKind::ALL {
            f.kind = kind;
            assert_eq!(f.validate().unwrap().insurance_code, None, "{kind:?}");
        }
        let mut f = sample();
        f.insurance_code = Some("0110112488".into()); // 0110112489 with its last digit slipped
        assert_eq!(f.validate().unwrap().insurance_code, None, "taken, for the officer to check");
        f.insurance_code = Some("011O112489".into());
        assert_eq!(
            f.validate().unwrap_err()[0].code,
            "E-CODE-CHAR",
            "other slips are still refused"
        );
    }

    #[test]
    fn common_mail_domain_typos_are_caught() {
        assert_eq!(email_typo_fix("sakura@gmial.com").as_deref(), Some("sakura@gmail.com"));
        assert_eq!(email_typo_fix("a@DOCOMO.NE.JO").as_deref(), Some("a@docomo.ne.jp"));
        assert_eq!(email_typo_fix("a@ezweb.ne.jp"), None);
    }

    #[test]
    fn email_and_phone_shapes() {
        for good in ["a.b@example.co.jp", "jimu+g-mis@hospital-1.example.jp", "o'hara@example.jp"] {
            assert!(email_shape_ok(good), "{good}");
        }
        for bad in [
            "a@b",
            "@example.jp",
            "a b@example.jp",
            "a@example..jp",
            "あ@example.jp",
            // One address only, and nothing that could bend a header.
            "a@b.c,victim@x.y",
            "a@example.jp;b@example.jp",
            "Name <a@example.jp>",
            "a@example.jp>",
            "\"a\"@example.jp",
            "a@example.jp\r\nBcc: victim@x.y",
            "a\u{0}@example.jp",
            "a@b@example.jp",
            ".a@example.jp",
            "a.@example.jp",
            "a@-example.jp",
            "a@example-.jp",
        ] {
            assert!(!email_shape_ok(bad), "{bad:?}");
        }
        assert!(!email_shape_ok(&format!("{}@example.jp", "a".repeat(65))));
        assert!(phone_shape_ok("03-1234-5678"));
        assert!(phone_shape_ok("０９０（１２３４）５６７８"));
        assert!(!phone_shape_ok("3-1234-5678"));
    }

    /// A short code is completed with the 点数表 of the kind chosen on the form; a blank one
    /// is accepted for every kind (flagged in the queue, not refused).
    #[test]
    fn a_short_code_takes_the_table_of_the_kind() {
        let at = |kind, code: &str, postal: &str, address: &str| ApplicationForm {
            kind,
            insurance_code: Some(code.into()),
            postal_code: postal.into(),
            address: address.into(),
            ..sample()
        };
        let in_tokyo =
            |kind, code: &str| at(kind, code, "101-0044", "東京都千代田区鍛冶町一丁目９番１号");
        // Real 7-digit codes of three of the four prefectures whose 検証番号 covers the six
        // digits only (関東信越厚生局's lists of August 2025; 千葉県's were not in the copy at
        // hand): 二宮内科クリニック 13 1 01 3227 4, 友愛日進クリニック 11 6 50 6067 …, 恵愛内科
        // クリニック 14 0 11 0080 …. Every 点数表 fits them, so the kind decides.
        let places = [
            ("0132274", "101-0044", "東京都千代田区鍛冶町一丁目９番１号"),
            ("6506067", "331-0823", "埼玉県さいたま市北区日進町二丁目１９１４番地６"),
            ("0110080", "230-0071", "神奈川県横浜市鶴見区駒岡３－１８－５"),
        ];
        for (seven, postal, address) in places {
            for (kind, table) in [
                (InstitutionKind::Clinic, ScoreTable::Medical),
                (InstitutionKind::Hospital, ScoreTable::Medical),
                (InstitutionKind::DentalClinic, ScoreTable::Dental),
                (InstitutionKind::Pharmacy, ScoreTable::Pharmacy),
            ] {
                let form = at(kind, seven, postal, address).validate().unwrap();
                let code = form.insurance_code.unwrap();
                assert_eq!(
                    (code.table(), code.seven().as_str()),
                    (table, seven),
                    "{address} {kind:?}"
                );
                assert_eq!(code.prefecture(), form.prefecture);
                // Eight digits carry their 点数表: the kind's own is taken as typed.
                let eight = format!("{}{seven}", table.digit());
                let typed = at(kind, &eight, postal, address).validate().unwrap();
                assert_eq!(typed.insurance_code.unwrap(), code, "{eight}");
                // No code at all (no 保険診療, no 保険薬局 designation): accepted.
                let mut blank = at(kind, "", postal, address);
                blank.insurance_code = None;
                assert!(blank.validate().unwrap().insurance_code.is_none(), "{kind:?} blank");
            }
        }
        // Eight digits carry their own 点数表, whatever the kind.
        let eight = in_tokyo(InstitutionKind::Pharmacy, "10132274").validate().unwrap();
        assert_eq!(eight.insurance_code.unwrap().table(), ScoreTable::Medical);
        // Outside the four, the check digit tells: からさわ薬局本店's 01 4 01 4207 6
        // (北海道厚生局's list) is 調剤 for a pharmacy and for any kind.
        let f = ApplicationForm {
            kind: InstitutionKind::Pharmacy,
            insurance_code: Some("0142076".into()),
            ..sample()
        };
        assert_eq!(f.validate().unwrap().insurance_code.unwrap().digits(), "0140142076");
    }
}
