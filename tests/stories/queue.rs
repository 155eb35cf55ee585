//! The queue on a desk synced from a real server: flags, filters, the notice preview, and
//! bulk approval that refuses flagged applications.

use madoguchi_core::queue::{
    notice_preview, PageRequest, QueueCache, QueueFilter, QueuePosition, QueueSort,
};
use madoguchi_domain::{Action, ApplicationForm, ApplicationStatus, ReturnReason};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::{connected_desk, desk};

#[tokio::test(flavor = "multi_thread")]
async fn bulk_approval_takes_the_clean_ones_and_says_why_not_the_others() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let d = desk(&server, &token, "desk-a").await;
    let mut typo = form("13", 3);
    typo.email = "kanda@gmial.com".into();
    let clean = [server.submit(&form("13", 1)).await.id, server.submit(&form("13", 2)).await.id];
    let flagged = server.submit(&typo).await.id;
    // The same clinic again from another address (the same address would be refused as
    // pending at the door).
    let again = ApplicationForm { email: "kanri@hospital.example.jp".into(), ..form("13", 1) };
    let duplicate = server.submit(&again).await.id;
    d.store.sync(&d.client).await.unwrap();

    let now = chrono::Utc::now();
    let view = QueueCache::default().view(&d.store, &QueueFilter::default(), now).await.unwrap();
    assert_eq!(view.total, 4);
    assert_eq!(view.counts.get("submitted"), Some(&4));
    let ids: Vec<i64> = view.rows.iter().map(|r| r.application.id).collect();
    assert_eq!(ids, [clean[0], clean[1], flagged, duplicate], "oldest first");
    let flags_of = |id: i64| -> Vec<&str> {
        view.rows
            .iter()
            .find(|r| r.application.id == id)
            .unwrap()
            .flags
            .iter()
            .map(|f| f.code.as_str())
            .collect()
    };
    assert_eq!(flags_of(flagged), ["FLAG-EMAIL-TYPO"]);
    assert_eq!(flags_of(clean[0]), ["FLAG-DUPLICATE"]);
    assert!(flags_of(clean[1]).is_empty());

    // Filters: flagged only, text in any folded field, newest first.
    let only_flagged = QueueFilter { flagged: Some(true), ..Default::default() };
    assert_eq!(
        QueueCache::default().view(&d.store, &only_flagged, now).await.unwrap().rows.len(),
        3
    );
    let by_mail = QueueFilter { text: Some("ＧＭＩＡＬ".into()), ..Default::default() };
    assert_eq!(
        QueueCache::default().view(&d.store, &by_mail, now).await.unwrap().rows[0].application.id,
        flagged
    );
    let newest = QueueFilter { sort: QueueSort::Newest, ..Default::default() };
    assert_eq!(
        QueueCache::default().view(&d.store, &newest, now).await.unwrap().rows[0].application.id,
        duplicate
    );

    // The mail each decision would send, before it is sent.
    let row = &view.rows[1];
    let page = "https://gmis.example.lg.jp/status";
    let issuance =
        notice_preview(&row.application, Action::ApproveNewAccount, None, None, None, page)
            .unwrap();
    assert_eq!(issuance.to, "jimu2@hospital.example.jp");
    assert!(
        issuance.body.starts_with("テスト病院2 ご担当者様")
            && issuance.body.contains("（承認時に発行されます）")
    );
    let returned = notice_preview(
        &row.application,
        Action::ReturnForCorrection { reason: ReturnReason::EmailWrong },
        Some("ドメインをご確認ください"),
        None,
        None,
        page,
    )
    .unwrap();
    assert!(
        returned.body.contains("メールアドレスの誤り")
            && returned.body.contains("ドメインをご確認ください")
    );
    // From the prefecture, by name, with the 申請番号 and where to ask.
    assert_eq!(returned.subject, "【東京都】G-MIS新規ユーザ登録申請の内容確認のお願い（差戻し）");
    let number = format!("[申請番号：{:014}]", row.application.id);
    assert!(returned.body.contains(&number), "{}", returned.body);
    assert!(returned.body.contains("東京都の「医療機能情報提供制度」の窓口"));
    let rejected = notice_preview(
        &row.application,
        Action::Reject { reason: madoguchi_domain::RejectReason::Duplicate },
        None,
        None,
        None,
        page,
    )
    .unwrap();
    assert!(rejected.subject.starts_with("【東京都】") && rejected.body.contains(&number));
    assert!(rejected.body.contains(page), "every notice names the status page");

    let outcome = d.store.bulk_approve(&view.rows).await.unwrap();
    assert_eq!(outcome.queued, [clean[1]]);
    let refused: Vec<i64> = outcome.refused.iter().map(|r| r.id).collect();
    assert_eq!(refused, [clean[0], flagged, duplicate]);
    assert!(outcome.refused[1].reasons[0].contains("gmail.com"));
    let pending = QueueCache::default().view(&d.store, &QueueFilter::default(), now).await.unwrap();
    let row = pending.rows.iter().find(|r| r.application.id == clean[1]).unwrap();
    assert!(row.pending_sync);
    assert_eq!(row.status, ApplicationStatus::ApprovedNewAccount);

    d.store.sync(&d.client).await.unwrap();
    let app = server.storage.application("13".parse().unwrap(), clean[1]).await.unwrap().unwrap();
    assert_eq!(app.status, ApplicationStatus::ApprovedNewAccount);
    let after = QueueCache::default().view(&d.store, &QueueFilter::default(), now).await.unwrap();
    assert!(after.rows.iter().all(|r| !r.pending_sync));
    assert_eq!(after.counts.get("approved_new_account"), Some(&1));
}

/// The window holds a stretch of the list, never all of it: pages by range, the selection
/// kept by id across pages and filters (or the line taking its place), and N found by the
/// core past what the window holds.
#[tokio::test(flavor = "multi_thread")]
async fn the_list_comes_a_page_at_a_time_and_the_selection_follows_its_line() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let d = desk(&server, &token, "desk-a").await;
    // 119 lines with something to check (an address not yet confirmed, a likely typo), and
    // one clean last, which N finds from the top.
    let mut ids = Vec::new();
    for n in 0..119 {
        let f = ApplicationForm { email: format!("jimu{n}@gmial.com"), ..form("13", n) };
        let (valid, at) =
            (f.validate().unwrap(), format!("2026-11-20T00:{:02}:{:02}Z", n / 60, n % 60));
        let by = madoguchi_domain::api::SubmittedBy::Institution;
        ids.push(server.storage.submit(&f, &valid, by, &at).await.unwrap().id);
    }
    ids.push(server.submit(&form("13", 119)).await.id);
    d.store.sync(&d.client).await.unwrap();
    let (cache, now, all) = (QueueCache::default(), chrono::Utc::now(), QueueFilter::default());
    let page = |offset, limit, keep, at| PageRequest { offset, limit, keep, at };

    let p = cache.page(&d.store, &all, &page(40, 30, None, None), now).await.unwrap();
    assert_eq!((p.offset, p.items.len(), p.matched, p.total), (40, 30, 120, 120));
    let shown: Vec<i64> = p.items.iter().map(|i| i.id).collect();
    assert_eq!(shown, ids[40..70], "oldest first, from the offset");
    assert_eq!(p.counts.get("submitted"), Some(&120), "counts over every line");
    assert_eq!(p.selected, Some(QueuePosition { index: 0, id: ids[0] }), "none kept: the first");

    // Past the end: what there is; a window asking for everything gets a page's worth.
    let tail = cache.page(&d.store, &all, &page(110, 30, None, None), now).await.unwrap();
    assert_eq!((tail.offset, tail.items.len()), (110, 10));
    let beyond = cache.page(&d.store, &all, &page(500, 30, None, None), now).await.unwrap();
    assert_eq!((beyond.offset, beyond.items.len()), (120, 0));
    let greedy = cache.page(&d.store, &all, &page(0, 100_000, None, None), now).await.unwrap();
    assert_eq!(greedy.items.len(), 120);

    // The selection is kept by id wherever a sort puts it, not in the page asked for.
    let keep = Some(ids[5]);
    let newest = QueueFilter { sort: QueueSort::Newest, ..Default::default() };
    let p = cache.page(&d.store, &newest, &page(0, 10, keep, Some(5)), now).await.unwrap();
    assert_eq!(p.selected, Some(QueuePosition { index: 114, id: ids[5] }));
    assert_eq!(p.items[0].id, ids[119]);

    // Decided and out of a 未処理 filter: the line now at its index takes its place.
    d.store.queue_action(ids[5], Action::StartReview, None).await.unwrap();
    let open = QueueFilter { statuses: vec![ApplicationStatus::Submitted], ..Default::default() };
    let p = cache.page(&d.store, &open, &page(0, 10, keep, Some(5)), now).await.unwrap();
    assert_eq!((p.matched, p.selected), (119, Some(QueuePosition { index: 5, id: ids[6] })));
    let none = QueueFilter { text: Some("見つからない名前".into()), ..Default::default() };
    let p = cache.page(&d.store, &none, &page(0, 10, keep, Some(5)), now).await.unwrap();
    assert_eq!((p.matched, p.items.len(), p.selected), (0, 0, None));

    // N: the next clean, undecided line after the selection, far past the first page.
    let n = cache.next_clear(&d.store, &all, Some(ids[0]), now).await.unwrap();
    assert_eq!(n, Some(QueuePosition { index: 119, id: ids[119] }));
    assert_eq!(cache.next_clear(&d.store, &all, Some(ids[119]), now).await.unwrap(), None);
    assert_eq!(
        cache.next_clear(&d.store, &all, None, now).await.unwrap(),
        Some(QueuePosition { index: 119, id: ids[119] }),
        "from the top without a selection"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_application_history_saved_views_and_export() {
    use madoguchi_core::export::CsvEncoding;
    use madoguchi_domain::api::SubmittedBy;
    use madoguchi_domain::Coded;

    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "代理窓口").await;
    server.submit(&form("13", 1)).await;

    // 代理申請: field errors first, here; another prefecture refused by the server; then one in.
    let mut blank = form("13", 5);
    blank.email.clear();
    let outcome = desk.proxy_apply(&blank).await.unwrap();
    assert!(outcome.receipt.is_none());
    assert_eq!(outcome.fields[0].field, "email");
    let outcome = desk.proxy_apply(&form("27", 5)).await.unwrap();
    assert_eq!(outcome.fields[0].code, "E-AUTH-PREFECTURE");
    let outcome = desk.proxy_apply(&form("13", 5)).await.unwrap();
    let id = outcome.receipt.expect("entered").id;
    let proxies = QueueFilter { submitted_by: Some(SubmittedBy::Prefecture), ..Default::default() };
    let view = desk.queue(&proxies).await.unwrap();
    assert_eq!(
        view.rows.iter().map(|r| r.application.id).collect::<Vec<_>>(),
        [id],
        "pulled at once, and only it"
    );
    assert_eq!(view.total, 2);
    assert_eq!(view.ages[0].counts.get("submitted"), Some(&2), "both arrived today");

    // A decision, then its trail: who, where, from, to, why.
    desk.decide(id, Action::StartReview, None).await.unwrap();
    desk.decide(
        id,
        Action::ReturnForCorrection { reason: ReturnReason::PhoneWrong },
        Some("市外局番".into()),
    )
    .await
    .unwrap();
    let history = desk.history(id).await.unwrap();
    assert_eq!(history.unsent.len(), 2, "not yet sent");
    desk.sync_now().await.unwrap();
    let history = desk.history(id).await.unwrap();
    assert!(history.unsent.is_empty() && history.unavailable.is_none());
    let last = history.audit.last().unwrap();
    assert_eq!(
        (last.to_status.as_str(), last.desk.as_str()),
        ("returned_for_correction", "代理窓口")
    );
    assert_eq!(
        (last.reason.as_deref(), last.note.as_deref()),
        (Some("電話番号の誤り"), Some("市外局番"))
    );
    assert_eq!(last.officer.as_deref(), Some("窓口 太郎"));
    assert_eq!(history.audit.len(), 3, "intake, review, return");

    // Saved views.
    assert_eq!(
        desk.save_view(&madoguchi_core::queue::SavedView {
            name: " ".into(),
            filter: proxies.clone()
        })
        .await
        .unwrap_err()
        .code(),
        "E-VIEW-NAME"
    );
    desk.save_view(&madoguchi_core::queue::SavedView {
        name: "代理申請".into(),
        filter: proxies.clone(),
    })
    .await
    .unwrap();
    let views = desk.saved_views().await.unwrap();
    assert_eq!((views[0].name.as_str(), &views[0].filter), ("代理申請", &proxies));
    desk.delete_view("代理申請").await.unwrap();
    assert!(desk.saved_views().await.unwrap().is_empty());

    // Export for Excel: the queue in UTF-8 with BOM, the decisions in Shift_JIS.
    let queue_csv = dir.path().join("queue.csv");
    let report =
        desk.export_queue(&QueueFilter::default(), CsvEncoding::Utf8Bom, &queue_csv).await.unwrap();
    assert_eq!(report.rows, 2);
    let text = String::from_utf8(std::fs::read(&queue_csv).unwrap()).unwrap();
    assert!(text.starts_with("\u{feff}申請番号,受付日時,状態"));
    assert!(text.contains("代理申請") && text.contains("差戻し") && text.contains("テスト病院5"));
    let decisions_csv = dir.path().join("decisions.csv");
    let report = desk.export_decisions(CsvEncoding::ShiftJis, &decisions_csv).await.unwrap();
    assert_eq!((report.rows, report.replaced), (2, 0));
    let bytes = std::fs::read(&decisions_csv).unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(text.contains("電話番号の誤り,市外局番,送信済み"), "{text}");
}

/// 再申請 seen from a desk: returned there, corrected by the institution through its mail's
/// link, back in the queue marked 再申請 with no duplicate flag, both in its history, approved.
#[tokio::test(flavor = "multi_thread")]
async fn a_returned_application_comes_back_corrected_without_a_duplicate_flag() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "差戻し窓口").await;
    let sent = form("13", 7);
    let returned = server.submit(&sent).await.id;
    desk.sync_now().await.unwrap();
    desk.decide(returned, Action::StartReview, None).await.unwrap();
    let reason = ReturnReason::NameMismatch;
    desk.decide(returned, Action::ReturnForCorrection { reason }, Some("正式名称で".into()))
        .await
        .unwrap();
    desk.sync_now().await.unwrap();

    let corrected = ApplicationForm { name: format!("医療法人 {}", sent.name), ..sent.clone() };
    let t = server.resubmit_token(returned).await;
    assert_eq!(server.post_page(&corrected, &t).await.status(), 200);
    desk.sync_now().await.unwrap();

    let view = desk.queue(&QueueFilter::default()).await.unwrap();
    let row = |id: i64| view.rows.iter().find(|r| r.application.id == id).unwrap();
    let old = row(returned);
    let new_id = old.application.resubmitted_as.expect("replaced");
    assert_eq!(old.status, ApplicationStatus::Resubmitted);
    let new = row(new_id);
    assert_eq!(new.application.resubmission_of, Some(returned));
    assert!(new.flags.is_empty(), "not its own predecessor's duplicate: {:?}", new.flags);
    let request = PageRequest { limit: 10, ..Default::default() };
    let list = desk.queue_page(&QueueFilter::default(), &request).await.unwrap();
    let item = list.items.iter().find(|i| i.id == new_id).unwrap();
    assert!(item.resubmission, "the queue marks it 再申請");

    let history = desk.history(new_id).await.unwrap();
    let trail: Vec<(i64, &str)> =
        history.audit.iter().map(|e| (e.application_id, e.to_status.as_str())).collect();
    assert_eq!(
        trail,
        [
            (returned, "submitted"),
            (returned, "in_review"),
            (returned, "returned_for_correction"),
            (returned, "resubmitted"),
            (new_id, "submitted"),
        ],
        "both, in order"
    );

    desk.decide(new_id, Action::StartReview, None).await.unwrap();
    desk.decide(new_id, Action::ApproveNewAccount, None).await.unwrap();
    desk.sync_now().await.unwrap();
    let approved = desk.queue_entry(new_id).await.unwrap();
    assert_eq!(approved.status, ApplicationStatus::ApprovedNewAccount);
    assert!(!approved.pending_sync && approved.application.login_id.is_some());
}

/// 都道府県システムからのデータ移行 seen from a desk: a 助産所 (no insurance code) already
/// on G-MIS, imported from the prefecture's export, applies; the queue knows its account by
/// its 機関コード, it is approved as existing, and a call about it discloses its login ID.
#[tokio::test(flavor = "multi_thread")]
async fn an_imported_account_is_recognised_approved_as_existing_and_disclosed() {
    use madoguchi_core::calls::{CallLinks, IdentityChecks};
    use madoguchi_server::account_import::AccountLine;

    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let imported = AccountLine {
        line: 2,
        institution_code: "1390011".into(),
        insurance_code: None,
        institution_name: "まどぐち助産院".into(),
        login_id: "GM80000011".into(),
    };
    let outcome =
        server.storage.import_accounts("13".parse().unwrap(), &[imported], true).await.unwrap();
    assert_eq!((outcome.added.len(), outcome.conflicts.len()), (1, 0));
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "移行確認窓口").await;
    let maternity = ApplicationForm {
        kind: madoguchi_domain::InstitutionKind::MaternityHome,
        institution_code: "1390011".into(),
        insurance_code: None,
        name: "まどぐち助産院".into(),
        ..form("13", 11)
    };
    let id = server.submit(&maternity).await.id;
    desk.sync_now().await.unwrap();

    let row = desk.queue_entry(id).await.unwrap();
    let codes: Vec<&str> = row.flags.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"FLAG-ACCOUNT-EXISTS"), "{codes:?}");
    desk.decide(id, Action::StartReview, None).await.unwrap();
    desk.decide(id, Action::ApproveExistingAccount, None).await.unwrap();
    desk.sync_now().await.unwrap();
    let approved = desk.queue_entry(id).await.unwrap();
    assert_eq!(approved.status, ApplicationStatus::ApprovedExistingAccount);
    assert_eq!(approved.application.login_id.as_deref(), Some("GM80000011"));

    // The institution calls later: linked by its application, it is disclosed after the checks.
    let call = desk.start_call().await.unwrap();
    let links = CallLinks { institution: None, application_id: Some(id) };
    let call = desk.link_call(&call.id, links).await.unwrap();
    assert_eq!(call.institution.as_ref().map(|i| i.name.as_str()), Some("まどぐち助産院"));
    let all = IdentityChecks { phone: true, email: true, contact_name: true };
    let disclosed = desk.disclose_login_id(&call.id, all).await.unwrap();
    assert_eq!(disclosed.login_id, "GM80000011");
    assert_eq!(disclosed.call.disclosures.len(), 1);
}

/// A 保健所's desk opens its queue on its own area: the municipalities its prefecture's
/// practice lists for it, set on another desk and synced.
#[tokio::test(flavor = "multi_thread")]
async fn a_health_centre_desk_sees_its_own_area() {
    use madoguchi_core::prefecture::PrefectureDraft;
    use madoguchi_domain::contact::WindowContact;
    use madoguchi_domain::practice::{HealthCentre, Practice, Topic};

    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let (window_dir, centre_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let window = connected_desk(&server, &token, &window_dir, "医療政策課-1").await;
    let centre = connected_desk(&server, &token, &centre_dir, "南多摩保健所-1").await;
    let marunouchi = server.submit(&form("13", 1)).await.id;
    let hachioji = ApplicationForm {
        address: "東京都八王子市元本郷町３丁目２４－１".into(),
        ..form("13", 2)
    };
    let hachioji = server.submit(&hachioji).await.id;

    let practice = Practice {
        health_centres: vec![HealthCentre {
            contact: WindowContact {
                name: "八王子市保健所".into(),
                phone: "0426451111".into(),
                ..Default::default()
            },
            municipalities: vec!["八王子市".into()],
        }],
        routed: vec![Topic::Login],
        ..Practice::default()
    };
    window
        .save_prefecture_settings(PrefectureDraft { practice, ..Default::default() })
        .await
        .unwrap();
    window.sync_now().await.unwrap();
    centre.sync_now().await.unwrap();
    assert_eq!(centre.home_area().await.unwrap(), None, "no 保健所 chosen: the whole prefecture");
    let mut settings = centre.settings().await.unwrap();
    settings.health_centre = Some("八王子市保健所".into());
    centre.save_settings(&settings).await.unwrap();
    let home = centre.home_area().await.unwrap().expect("its area");
    assert_eq!(home.municipalities, ["八王子市"]);

    let ids = |view: madoguchi_core::queue::QueueView| -> Vec<i64> {
        view.rows.iter().map(|r| r.application.id).collect()
    };
    let own = QueueFilter { area: home.municipalities, ..Default::default() };
    assert_eq!(ids(centre.queue(&own).await.unwrap()), [hachioji]);
    let all = centre.queue(&QueueFilter::default()).await.unwrap();
    assert_eq!(ids(all), [marunouchi, hachioji], "filterable off");
}
