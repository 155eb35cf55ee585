//! 審査の決定: what one decision does to an application, worked out without I/O. The storage
//! applies the plan atomically; the rules live here once for both databases.

use madoguchi_domain::api::{ApiError, Application, DecisionRequest, WindowContact};
use madoguchi_domain::notice::{self, NoticeFacts, NoticeKind, Window};
use madoguchi_domain::{Action, Code, Coded, TransitionError};

/// Why a decision was refused; each maps to an HTTP status and an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("no application {0} in the officer's prefecture")]
    NotFound(i64),
    #[error("stale version {expected}, current {}", current.version)]
    Stale { expected: i64, current: Box<Application> },
    #[error("{0}")]
    Transition(TransitionError, Box<Application>),
    // The login ID is for the officer's screen, never the log: not in the Display.
    #[error("institution already has an account")]
    AccountExists { login_id: String },
    #[error("no existing account for the institution")]
    NoExistingAccount,
    /// The idempotency key was first used for another request (path or body).
    #[error("idempotency key reused for another request")]
    KeyReused,
}

impl DecisionError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::Stale { .. } | Self::Transition(..) => 409,
            Self::AccountExists { .. } | Self::NoExistingAccount | Self::KeyReused => 422,
        }
    }

    pub fn to_api(&self) -> ApiError {
        let fixed = |code: Code| (code, code.message_ja().to_owned());
        let ((code, message), current) = match self {
            Self::NotFound(_) => (fixed(Code::AppNotFound), None),
            Self::Stale { current, .. } => (fixed(Code::Sync409), Some(current.clone())),
            Self::Transition(e, current) => ((e.code(), e.message_ja()), Some(current.clone())),
            Self::AccountExists { .. } => (fixed(Code::AppAccountExists), None),
            Self::NoExistingAccount => (fixed(Code::AppNoAccount), None),
            Self::KeyReused => (fixed(Code::ApiIdempotencyReused), None),
        };
        ApiError { code: code.to_string(), message, fields: Vec::new(), current, record: None }
    }
}

/// A mail the decision queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedNotice {
    pub kind: NoticeKind,
    pub to: String,
    pub subject: String,
    /// As mailed.
    pub body: String,
    /// As desks and the feed see it: the password-setting link replaced by a mention of it.
    pub desk_body: String,
}

/// Everything one decision writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub next: Application,
    /// A login ID to issue (approve with a new account).
    pub new_account: Option<String>,
    pub notice: Option<PlannedNotice>,
    pub reason: Option<String>,
    /// The one-time token of a 差戻し mail's resubmission link (to keep hashed).
    pub resubmit_token: Option<String>,
}

/// Fresh values a plan may need; random in production.
pub struct Issue<'a> {
    pub login_id: &'a dyn Fn() -> String,
    pub password_link: &'a dyn Fn() -> String,
    pub resubmit_token: &'a dyn Fn() -> String,
}

/// What a decision needs to know beyond the application.
pub struct Context<'a> {
    /// The institution's account, if it has one.
    pub existing_login: Option<&'a str>,
    /// The prefecture window's contact, as its settings say.
    pub contact: Option<&'a WindowContact>,
    /// Where applicants reach this server: resubmission links start with it.
    pub public_url: &'a str,
}

/// Works out `request` against `current`.
pub fn plan(
    current: &Application,
    request: &DecisionRequest,
    context: &Context<'_>,
    issue: &Issue<'_>,
    now: &str,
) -> Result<Plan, DecisionError> {
    let existing_login = context.existing_login;
    if request.expected_version != current.version {
        return Err(DecisionError::Stale {
            expected: request.expected_version,
            current: Box::new(current.clone()),
        });
    }
    let refused = |e| DecisionError::Transition(e, Box::new(current.clone()));
    if request.action == Action::Resubmit {
        // The institution resubmits, through its link; an officer cannot do it for them.
        return Err(refused(TransitionError { from: current.status, action: request.action }));
    }
    let status = current.status.apply(request.action).map_err(refused)?;
    let mut next = current.clone();
    next.status = status;
    next.version += 1;
    next.updated_at = now.to_owned();
    next.note = request.note.clone().filter(|n| !n.trim().is_empty());
    let note = next.note.as_deref();
    let mut resubmit_token = None;
    let (facts, new_account, reason) = match request.action {
        Action::StartReview | Action::Resubmit => (None, None, None),
        Action::ApproveNewAccount => {
            if let Some(login_id) = existing_login {
                return Err(DecisionError::AccountExists { login_id: login_id.to_owned() });
            }
            let login_id = (issue.login_id)();
            next.login_id = Some(login_id.clone());
            let facts =
                Facts::Issuance { login_id: login_id.clone(), link: (issue.password_link)() };
            (Some(facts), Some(login_id), None)
        }
        Action::ApproveExistingAccount => {
            let login_id = existing_login.ok_or(DecisionError::NoExistingAccount)?.to_owned();
            next.login_id = Some(login_id.clone());
            (Some(Facts::Existing { login_id }), None, None)
        }
        Action::ReturnForCorrection { reason } => {
            next.return_reason = Some(reason);
            let token = (issue.resubmit_token)();
            let link = format!("{}/apply?r={token}", context.public_url);
            resubmit_token = Some(token);
            let named = reason.name_for(current.form.kind).to_owned();
            (Some(Facts::Returned(reason, link)), None, Some(named))
        }
        Action::Reject { reason } => {
            next.reject_reason = Some(reason);
            (Some(Facts::Rejected(reason)), None, Some(reason.name_ja().to_owned()))
        }
    };
    let status_page = format!("{}{}", context.public_url, madoguchi_domain::status_page::PATH);
    let window = Window {
        prefecture: current.prefecture,
        contact: context.contact,
        status_page: &status_page,
    };
    let notice = facts.map(|f| {
        let number = format!("{:014}", current.id);
        let address = current.form.address.clone();
        let facts = match &f {
            Facts::Issuance { login_id, link } => {
                NoticeFacts::Issuance { login_id, password_link: link }
            }
            Facts::Existing { login_id } => NoticeFacts::ExistingAccount {
                login_id,
                application_number: &number,
                prefecture_address: &address,
            },
            Facts::Returned(reason, link) => NoticeFacts::Returned {
                reason: *reason,
                note,
                application_number: &number,
                resubmit_link: link,
            },
            Facts::Rejected(reason) => {
                NoticeFacts::Rejected { reason: *reason, note, application_number: &number }
            }
        };
        let (kind, subject, body) = notice::render(&current.form, &window, &facts);
        // Desks and the feed never see a link that acts for the applicant.
        let shown = match facts {
            NoticeFacts::Issuance { login_id, .. } => {
                Some(NoticeFacts::Issuance { login_id, password_link: notice::LINK_SENT })
            }
            NoticeFacts::Returned { resubmit_link: _, reason, note, application_number } => {
                Some(NoticeFacts::Returned {
                    reason,
                    note,
                    application_number,
                    resubmit_link: notice::RESUBMIT_LINK_SENT,
                })
            }
            _ => None,
        };
        let desk_body = shown
            .map_or_else(|| body.clone(), |shown| notice::render(&current.form, &window, &shown).2);
        PlannedNotice { kind, to: current.form.email.trim().to_owned(), subject, body, desk_body }
    });
    Ok(Plan { next, new_account, notice, reason, resubmit_token })
}

enum Facts {
    Issuance { login_id: String, link: String },
    Existing { login_id: String },
    Returned(madoguchi_domain::ReturnReason, String),
    Rejected(madoguchi_domain::RejectReason),
}
