//! 通知メールのプレビュー: the exact mail a decision will send, shown before the officer
//! confirms it.

use madoguchi_domain::api::{Application, WindowContact};
use madoguchi_domain::notice::{self, NoticeFacts, Window};
use madoguchi_domain::Action;
use serde::Serialize;

use super::error::QueueError;
use crate::applications::existing_account;
use crate::desk::Desk;

/// The mail a decision will send, shown before the officer confirms. What only the server
/// knows at decision time (a new login ID, the password link) is named in brackets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NoticePreview {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub fn notice_preview(
    app: &Application,
    action: Action,
    note: Option<&str>,
    existing_login: Option<&str>,
    contact: Option<&WindowContact>,
    status_page: &str,
) -> Option<NoticePreview> {
    let number = format!("{:014}", app.id);
    let facts = match action {
        Action::ApproveNewAccount => NoticeFacts::Issuance {
            login_id: "（承認時に発行されます）",
            password_link: "（承認時に発行されるURL）",
        },
        Action::ApproveExistingAccount => NoticeFacts::ExistingAccount {
            login_id: existing_login.unwrap_or("（登録済みのログインID）"),
            application_number: &number,
            prefecture_address: &app.form.address,
        },
        Action::ReturnForCorrection { reason } => NoticeFacts::Returned {
            reason,
            note,
            application_number: &number,
            resubmit_link: "（差戻し時に発行される再申請用のURL）",
        },
        Action::Reject { reason } => {
            NoticeFacts::Rejected { reason, note, application_number: &number }
        }
        Action::StartReview | Action::Resubmit => return None,
    };
    let window = Window { prefecture: app.prefecture, contact, status_page };
    let (_, subject, body) = notice::render(&app.form, &window, &facts);
    Some(NoticePreview { to: app.form.email.trim().to_owned(), subject, body })
}

impl Desk {
    /// The mail `action` would send for application `id`, before the officer confirms.
    pub async fn preview(
        &self,
        id: i64,
        action: Action,
        note: Option<&str>,
    ) -> Result<Option<NoticePreview>, QueueError> {
        let (app, _) =
            self.store().application(id).await?.ok_or(QueueError::UnknownApplication(id))?;
        let accounts = self.store().known_accounts().await?;
        let login = existing_account(&app, &accounts).map(|a| a.login_id.clone());
        let settings = self.store().prefecture_settings().await?;
        let contact = settings.as_ref().and_then(|s| s.contact.as_ref());
        // The server the desk syncs with is the one applicants reach.
        let server = self.store().desk_settings().await?.server_url;
        let status_page = match server.as_deref().map(|s| s.trim().trim_end_matches('/')) {
            Some(url) if !url.is_empty() => format!("{url}{}", madoguchi_domain::status_page::PATH),
            _ => "（申請状況の確認ページのURL）".to_owned(),
        };
        Ok(notice_preview(&app, action, note, login.as_deref(), contact, &status_page))
    }
}
