//! 新規ユーザ登録申請: the states an application moves through and the officer's actions.
//!
//! ```text
//! submitted ──start_review──▶ in_review ──approve_new_account──────▶ approved_new_account
//!     ▲                          │  ├─────approve_existing_account──▶ approved_existing_account
//!     │                          │  ├─────reject(reason)────────────▶ rejected
//!     └────────resubmit──── returned_for_correction ◀─return(reason)┘
//! ```
//! The two approvals and the rejection are final: each mails the institution something that
//! cannot be taken back (the issuance notice cannot even be resent).

use crate::Code;
use serde::{Deserialize, Serialize};

use crate::error::Coded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// 申請受付
    Submitted,
    /// 審査中
    InReview,
    /// 承認（新規アカウント発行）
    ApprovedNewAccount,
    /// 承認（既存アカウント通知）
    ApprovedExistingAccount,
    /// 差戻し
    ReturnedForCorrection,
    /// 却下
    Rejected,
    /// 再申請済み: returned, and the corrected application has come in its place.
    Resubmitted,
}

/// 差戻し理由: why an application goes back to the institution for correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    InstitutionCodeWrong,
    InsuranceCodeWrong,
    KindMismatch,
    NameMismatch,
    AddressWrong,
    EmailWrong,
    PhoneWrong,
    ContactIncomplete,
    Other,
}

/// 却下理由: why an application is refused for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The same institution applied again while this one is open.
    Duplicate,
    /// Not an institution the schemes cover.
    NotCovered,
    /// The institution has closed (廃止・休止).
    Closed,
    /// The applicant could not be confirmed as belonging to the institution.
    NotConfirmed,
    Other,
}

/// What an officer (or the institution, for `Resubmit`) does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    StartReview,
    ApproveNewAccount,
    ApproveExistingAccount,
    ReturnForCorrection { reason: ReturnReason },
    Reject { reason: RejectReason },
    Resubmit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action:?} an application that is {from:?}")]
pub struct TransitionError {
    pub from: ApplicationStatus,
    pub action: Action,
}

impl Coded for TransitionError {
    fn code(&self) -> Code {
        Code::AppTransition
    }
    fn message_ja(&self) -> String {
        format!(
            "この申請は「{}」のため、「{}」はできません。最新の状態を確認してください。",
            self.from.name_ja(),
            self.action.name_ja()
        )
    }
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 7] = [
        Self::Submitted,
        Self::InReview,
        Self::ApprovedNewAccount,
        Self::ApprovedExistingAccount,
        Self::ReturnedForCorrection,
        Self::Rejected,
        Self::Resubmitted,
    ];

    /// The stable key used in storage and JSON (the serde name).
    pub fn key(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::InReview => "in_review",
            Self::ApprovedNewAccount => "approved_new_account",
            Self::ApprovedExistingAccount => "approved_existing_account",
            Self::ReturnedForCorrection => "returned_for_correction",
            Self::Rejected => "rejected",
            Self::Resubmitted => "resubmitted",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Submitted => "申請受付",
            Self::InReview => "審査中",
            Self::ApprovedNewAccount => "承認（新規アカウント発行）",
            Self::ApprovedExistingAccount => "承認（既存アカウント）",
            Self::ReturnedForCorrection => "差戻し",
            Self::Rejected => "却下",
            Self::Resubmitted => "再申請済み",
        }
    }

    /// No action leaves a final state: its mail has gone out, or its successor came in.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::ApprovedNewAccount
                | Self::ApprovedExistingAccount
                | Self::Rejected
                | Self::Resubmitted
        )
    }

    /// 承認 (a new account or the existing one): the address it used reached the institution.
    pub fn is_approved(self) -> bool {
        matches!(self, Self::ApprovedNewAccount | Self::ApprovedExistingAccount)
    }

    /// The state `action` leads to, or why it may not be taken from here.
    pub fn apply(self, action: Action) -> Result<ApplicationStatus, TransitionError> {
        use ApplicationStatus::*;
        let next = match (self, action) {
            (Submitted, Action::StartReview) => InReview,
            (InReview, Action::ApproveNewAccount) => ApprovedNewAccount,
            (InReview, Action::ApproveExistingAccount) => ApprovedExistingAccount,
            (InReview, Action::ReturnForCorrection { .. }) => ReturnedForCorrection,
            (InReview, Action::Reject { .. }) => Rejected,
            (ReturnedForCorrection, Action::Resubmit) => Resubmitted,
            (from, action) => return Err(TransitionError { from, action }),
        };
        Ok(next)
    }
}

impl Action {
    /// Whether the decision mails the institution (承認・差戻し・却下), naming the window.
    pub fn mails(self) -> bool {
        match self {
            Self::ApproveNewAccount
            | Self::ApproveExistingAccount
            | Self::ReturnForCorrection { .. }
            | Self::Reject { .. } => true,
            Self::StartReview | Self::Resubmit => false,
        }
    }

    /// Whether the decision settles the institution's account: a new one, or its existing one.
    pub fn approves(self) -> bool {
        matches!(self, Self::ApproveNewAccount | Self::ApproveExistingAccount)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::StartReview => "審査開始",
            Self::ApproveNewAccount => "承認（新規アカウント発行）",
            Self::ApproveExistingAccount => "承認（既存アカウント）",
            Self::ReturnForCorrection { .. } => "差戻し",
            Self::Reject { .. } => "却下",
            Self::Resubmit => "再申請",
        }
    }
}

impl ReturnReason {
    pub const ALL: [ReturnReason; 9] = [
        Self::InstitutionCodeWrong,
        Self::InsuranceCodeWrong,
        Self::KindMismatch,
        Self::NameMismatch,
        Self::AddressWrong,
        Self::EmailWrong,
        Self::PhoneWrong,
        Self::ContactIncomplete,
        Self::Other,
    ];

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::InstitutionCodeWrong => "機関コードの誤り",
            Self::InsuranceCodeWrong => "保険医療機関コードの誤り",
            Self::KindMismatch => "機関区分の誤り",
            Self::NameMismatch => "名称が登録内容と一致しない",
            Self::AddressWrong => "所在地・郵便番号の誤り",
            Self::EmailWrong => "メールアドレスの誤り",
            Self::PhoneWrong => "電話番号の誤り",
            Self::ContactIncomplete => "担当部署・担当者の記載不足",
            Self::Other => "その他",
        }
    }

    /// The reason as the institution of `kind` reads it: a pharmacy's code is its 保険薬局コード.
    pub fn name_for(self, kind: crate::InstitutionKind) -> &'static str {
        match (self, kind) {
            (Self::InsuranceCodeWrong, crate::InstitutionKind::Pharmacy) => "保険薬局コードの誤り",
            _ => self.name_ja(),
        }
    }
}

impl RejectReason {
    pub const ALL: [RejectReason; 5] =
        [Self::Duplicate, Self::NotCovered, Self::Closed, Self::NotConfirmed, Self::Other];

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Duplicate => "重複した申請",
            Self::NotCovered => "制度の対象外の施設",
            Self::Closed => "廃止・休止した施設",
            Self::NotConfirmed => "申請者が施設の関係者と確認できない",
            Self::Other => "その他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    fn every_action() -> Vec<Action> {
        let mut all = vec![
            Action::StartReview,
            Action::ApproveNewAccount,
            Action::ApproveExistingAccount,
            Action::Resubmit,
        ];
        all.extend(ReturnReason::ALL.map(|reason| Action::ReturnForCorrection { reason }));
        all.extend(RejectReason::ALL.map(|reason| Action::Reject { reason }));
        all
    }

    #[test]
    fn the_happy_paths() {
        let s = Submitted.apply(Action::StartReview).unwrap();
        assert_eq!(s.apply(Action::ApproveNewAccount), Ok(ApprovedNewAccount));
        assert_eq!(s.apply(Action::ApproveExistingAccount), Ok(ApprovedExistingAccount));
        let back =
            s.apply(Action::ReturnForCorrection { reason: ReturnReason::EmailWrong }).unwrap();
        assert_eq!(back, ReturnedForCorrection);
        assert_eq!(back.apply(Action::Resubmit), Ok(Resubmitted));
        assert_eq!(s.apply(Action::Reject { reason: RejectReason::Duplicate }), Ok(Rejected));
    }

    #[test]
    fn exactly_six_transitions_exist_and_finals_are_final() {
        let legal: Vec<_> = ApplicationStatus::ALL
            .iter()
            .flat_map(|&s| {
                every_action().into_iter().filter_map(move |a| s.apply(a).ok().map(|n| (s, n)))
            })
            .collect();
        let mut edges: Vec<_> = legal.clone();
        edges.sort_by_key(|(a, b)| (*a as u8, *b as u8));
        edges.dedup();
        assert_eq!(edges.len(), 6, "{edges:?}");
        for s in ApplicationStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for a in every_action() {
                let err = s.apply(a).unwrap_err();
                assert_eq!(err, TransitionError { from: s, action: a });
                assert_eq!(err.code(), "E-APP-TRANSITION");
                assert!(err.message_ja().contains(s.name_ja()));
            }
        }
        // A decision needs a review first; a submitted application cannot be approved blind.
        assert!(Submitted.apply(Action::ApproveNewAccount).is_err());
        assert!(InReview.apply(Action::StartReview).is_err());
    }

    #[test]
    fn status_keys_are_the_serde_names() {
        for s in ApplicationStatus::ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.key()));
            assert_eq!(ApplicationStatus::from_key(s.key()), Some(s));
        }
    }

    #[test]
    fn actions_serialise_with_their_reason() {
        let a = Action::ReturnForCorrection { reason: ReturnReason::InsuranceCodeWrong };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"action":"return_for_correction","reason":"insurance_code_wrong"}"#);
        assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), a);
        assert!(
            serde_json::from_str::<Action>(r#"{"action":"reject","reason":"because"}"#).is_err()
        );
    }
}
