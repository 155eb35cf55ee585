//! 新規ユーザ登録申請の受付: applications from the open internet. Each is held until its
//! applicant opens the one-time 疎通確認 link mailed to the address given (random, stored
//! hashed, 24 hours, once); only then does it reach the prefecture's queue, marked
//! address-verified. Unconfirmed ones are purged when their link expires.

use axum::http::StatusCode;
use madoguchi_domain::api::{Application, FieldError, Receipt};
use madoguchi_domain::{ApplicationForm, Code};

use crate::clock::now;
use crate::http::failure::Failure;
use crate::http::state::AppState;
use crate::storage::AddressCheck;
use crate::tokens::token_hash;

/// What taking an application came to.
pub(crate) struct Taken {
    pub receipt: Receipt,
    /// It entered the queue at once (a resubmission to the address already reached); else a
    /// 疎通確認 mail went out and it waits for its link.
    pub entered: bool,
}

/// A 差戻し mail's link being used: its token and the returned application it opened.
pub(crate) struct Resubmitting<'a> {
    pub token: &'a str,
    pub returned: &'a Application,
}

/// Validates and holds `form`, queuing its 疎通確認 mail; 409 when the same institution and
/// address are already pending. A resubmission to the address its 差戻し mail reached needs
/// no check: it enters the queue at once.
pub(crate) async fn take(
    state: &AppState,
    form: &ApplicationForm,
    resubmitting: Option<&Resubmitting<'_>>,
) -> Result<Taken, Failure> {
    let valid = validated(form)?;
    state.prefecture_rate.check(valid.prefecture)?;
    if let Some(r) = resubmitting {
        if valid.prefecture != r.returned.prefecture {
            let mut f = Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::Form);
            let code = Code::FormResubmitPrefecture;
            f.1.fields.push(FieldError {
                field: "address".into(),
                code: code.to_string(),
                message: code.message_ja().into(),
            });
            return Err(f);
        }
        if same_address(&r.returned.form.email, &form.email) {
            return match state.storage.resubmit(&token_hash(r.token), form, &valid, &now()).await? {
                Some(receipt) => Ok(Taken { receipt, entered: true }),
                None => Err(Failure::new(StatusCode::GONE, Code::AppResubmitLink)),
            };
        }
    }
    let check = AddressCheck::new(&state.public_url);
    let of = resubmitting.map(|r| r.returned.id);
    match state.storage.submit_unconfirmed(form, &valid, &check, of, &now()).await? {
        Some(receipt) => Ok(Taken { receipt, entered: false }),
        None => Err(Failure::new(StatusCode::CONFLICT, Code::AppPending)),
    }
}

fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The form checked field by field, as the desk checks it (422 with every field's error).
pub(crate) fn validated(form: &ApplicationForm) -> Result<madoguchi_domain::ValidForm, Failure> {
    form.validate().map_err(|fields| {
        let mut f = Failure::new(StatusCode::UNPROCESSABLE_ENTITY, Code::Form);
        f.1.fields = fields;
        f
    })
}
