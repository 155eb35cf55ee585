//! What the pages tell an applicant beyond the form: the prefecture's waiting time and where
//! to look for the application's status.

use madoguchi_domain::api::PrefectureSettings;

use crate::http::state::AppState;

/// The prefecture's settings, read once per page; none when it set none or they cannot be
/// read (logged): the page then says the national values.
pub(super) async fn settings_of(
    state: &AppState,
    prefecture: madoguchi_domain::Prefecture,
) -> Option<PrefectureSettings> {
    state.storage.prefecture_settings(prefecture).await.unwrap_or_else(|e| {
        log::warn!("prefecture settings unreadable for an applicant's page: {e}");
        None
    })
}

/// The 発行までの期間 in `settings` (the national tree's value, the seed's 1〜2週間, where
/// the prefecture set none).
pub(super) fn waiting_time(settings: Option<&PrefectureSettings>) -> String {
    const ISSUANCE: &str = "発行までの期間";
    let own = settings.and_then(|s| s.triage_overrides.facts.get(ISSUANCE).cloned());
    let national = || madoguchi_domain::triage::Tree::national().facts[ISSUANCE].clone();
    own.filter(|v| !v.trim().is_empty()).unwrap_or_else(national)
}

/// What a success page says of the status page, for application `id`.
pub(super) fn where_to_look(state: &AppState, id: i64) -> String {
    format!(
        "申請番号は {id:014} です。申請の状況とメールの送信結果は、{}{} で確認できます（申請番号とメールアドレスを入力）。",
        state.public_url,
        madoguchi_domain::status_page::PATH
    )
}
