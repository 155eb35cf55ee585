//! Reaching the institutions before they call (issue 29): 東京都's real list on the desks,
//! existing accounts imported on the server for part of it, two of the rest apply and are
//! approved — one notice bounced by the real relay (mailbox full) — and G-MIS's 報告状況
//! imported. The coverage counts what the data says (counted again here, independently); the
//! bounced one is on 要連絡 with its reason; one desk takes it, calls and closes it while the
//! other sees who is on it and cannot take it too. A 督促 to the 未報告 reaches the relay for
//! those with an address (one bounces back onto 要連絡), and the others' letters read back.

use std::sync::atomic::AtomicBool;

use chrono::{Days, Utc};
use madoguchi_core::outreach::worklist::{EntryState, ReasonKind, WorklistFilter};
use madoguchi_core::prefecture::PrefectureDraft;
use madoguchi_domain::practice::{ReportingWindow, JST};
use madoguchi_domain::reminder::ReminderKind;
use madoguchi_domain::worklist::{ContactChannel, ContactOutcome, Reason};
use madoguchi_domain::{
    Action, ApplicationForm, BounceCategory, Coded, DeliveryState, InsuranceCode,
};
use madoguchi_server::account_import::AccountLine;
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::{connected_desk, server_notice};

/// 東京都's first `n` institutions of the real August 2025 list: the file's lines, and each
/// one's code, name and address.
fn tokyo(n: usize) -> (Vec<u8>, Vec<(String, String, String)>) {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/institution-codes/2025-08.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("13")).take(n).collect();
    let mut seen = std::collections::HashSet::new();
    let rows = lines
        .iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let code = InsuranceCode::parse(f[0], Default::default()).unwrap().digits();
            seen.insert(code.clone()).then(|| (code, f[2].to_owned(), f[4].to_owned()))
        })
        .collect();
    (lines.join("\r\n").into_bytes(), rows)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_prefecture_sees_its_coverage_and_reaches_the_one_whose_mail_bounced() {
    let mut server = TestServer::start(Backend::Sqlite).await;
    let relay = server.with_postfix().await;
    let token = server.officer("13").await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = connected_desk(&server, &token, &dir_a, "窓口A").await;
    let b = connected_desk(&server, &token, &dir_b, "窓口B").await;
    let (file, institutions) = tokyo(1500);
    for desk in [&a, &b] {
        let cancel = AtomicBool::new(false);
        let cursor = std::io::Cursor::new(file.clone());
        desk.store().import_registry(cursor, "2025-08.csv", |_| {}, &cancel).await.unwrap();
    }

    // Existing accounts of every third institution, from the prefecture's export.
    let imported: Vec<AccountLine> = institutions
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 3 == 0)
        .map(|(n, (code, name, _))| AccountLine {
            line: n as u64 + 1,
            institution_code: format!("13{n:06}"),
            insurance_code: Some(code.clone()),
            institution_name: name.clone(),
            login_id: format!("GM13{n:06}"),
        })
        .collect();
    let prefecture = "13".parse().unwrap();
    server.storage.import_accounts(prefecture, &imported, true).await.unwrap();

    // Two of the others apply and are approved; one's mailbox is full.
    let applicant = |n: usize, email: &str| {
        let (code, name, address) = &institutions[n];
        ApplicationForm {
            insurance_code: Some(code.clone()),
            name: name.clone(),
            address: format!("東京都{address}"),
            email: email.into(),
            ..form("13", n)
        }
    };
    let clinic = server.submit(&applicant(1, to::CLINIC)).await.id;
    let full = server.submit(&applicant(2, to::FULL)).await.id;
    a.sync_now().await.unwrap();
    for id in [clinic, full] {
        a.decide(id, Action::StartReview, None).await.unwrap();
        a.decide(id, Action::ApproveNewAccount, None).await.unwrap();
    }
    a.sync_now().await.unwrap();
    server_notice(&server, &token, full, DeliveryState::Bounced).await;

    // The 定期報告期間 opened ten days ago and ends in twenty: 未申請 and 未報告 are listed.
    let today = Utc::now().with_timezone(&JST).date_naive();
    let window = ReportingWindow::new(today - Days::new(10), today + Days::new(20));
    let contact = madoguchi_domain::contact::WindowContact {
        name: "東京都保健医療局 医療政策課".into(),
        phone: "03-5320-4444".into(),
        hours: "平日 9時〜17時".into(),
        email: String::new(),
    };
    let draft = PrefectureDraft { window, contact: Some(contact), ..Default::default() };
    a.save_prefecture_settings(draft).await.unwrap();
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();

    // G-MIS's 報告状況: every other account holder has reported (one by its 機関コード only);
    // the two approved here have saved theirs, not sent it.
    let holders: Vec<usize> =
        (0..institutions.len()).filter(|n| n % 3 == 0 || *n == 1 || *n == 2).collect();
    let mut report = String::from("機関コード,保険医療機関コード,制度,状況,報告日\r\n");
    for (i, n) in holders.iter().enumerate() {
        let code = &institutions[*n].0;
        let line = if i % 2 == 1 || *n == 1 || *n == 2 {
            format!(",{code},医療機能情報,一時保存,")
        } else if i % 4 == 0 {
            format!("13{n:06},,医療機能情報,報告済,{today}")
        } else {
            format!(",{code},医療機能情報,報告済,{today}")
        };
        report.push_str(&line);
        report.push_str("\r\n");
    }
    let reported = report.matches("報告済").count() as i64;
    let sjis = encoding_rs::SHIFT_JIS.encode(&report).0.into_owned();
    let cursor = std::io::Cursor::new(sjis);
    let done = b.store().import_reports(cursor, "houkoku.csv", prefecture, Utc::now()).await;
    assert_eq!(done.unwrap().reported, reported as u64);

    // The coverage, as the data says it.
    let coverage = b.store().coverage(prefecture, today).await.unwrap();
    let total = institutions.len() as i64;
    let accounts = holders.len() as i64;
    let t = coverage.total;
    assert_eq!((t.total(), t.account, t.applying, t.returned), (total, accounts, 0, 0));
    assert_eq!((t.not_applied, t.reported), (total - accounts, reported));

    // 要連絡 on desk B: the bounced notice with its reason, the 未報告 and the 未申請.
    let list = b.worklist(&WorklistFilter::default()).await.unwrap();
    let count = |kind| list.counts.iter().find(|(k, _)| *k == kind).unwrap().1.open;
    assert_eq!(count(ReasonKind::Undelivered), 1);
    assert_eq!(count(ReasonKind::NotReported), accounts - reported);
    assert_eq!(count(ReasonKind::NotApplied), total - accounts);
    let entry = list.entries[0].clone();
    assert!(
        matches!(
            entry.reason,
            Reason::NoticeUndelivered {
                bounced: true,
                category: Some(BounceCategory::MailboxFull),
                ..
            }
        ),
        "{:?}",
        entry.reason
    );
    assert_eq!(entry.said, "通知メールが届いていません（メールボックスの容量超過）");
    assert_eq!(
        (entry.institution_name.as_str(), entry.application_id),
        (institutions[2].1.as_str(), Some(full))
    );
    assert_eq!(
        entry.phone.as_deref(),
        Some("03-1234-5678"),
        "the application's phone: the list has none"
    );

    // Desk A takes it and calls; desk B sees who is on it and cannot take it too.
    let call = a.start_contact_call(&entry.id).await.unwrap();
    assert_eq!(call.contact.as_deref(), Some(entry.id.as_str()));
    assert_eq!(call.application_id, Some(full));
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    let undelivered =
        WorklistFilter { reason: Some(ReasonKind::Undelivered), ..Default::default() };
    let on_b = b.worklist(&undelivered).await.unwrap().entries.remove(0);
    assert_eq!(on_b.state, EntryState::Taken);
    assert_eq!(on_b.contact.unwrap().taken_by.as_deref(), Some("窓口A"));
    assert_eq!(b.take_contact(&entry.id).await.unwrap_err().code(), "E-CONTACT-TAKEN");

    // Desk A reached them: 連絡済 on both desks, with the call it was.
    let note = "容量を空けてから再送を依頼";
    a.record_contact(
        &entry.id,
        ContactChannel::Phone,
        ContactOutcome::Promised,
        note,
        Some(call.id.clone()),
    )
    .await
    .unwrap();
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    let on_b = b.worklist(&undelivered).await.unwrap().entries.remove(0);
    assert_eq!(on_b.state, EntryState::Done);
    let attempt = &on_b.contact.unwrap().attempts[0];
    assert_eq!(
        (attempt.desk.as_str(), attempt.call_id.as_deref()),
        ("窓口A", Some(call.id.as_str()))
    );

    // Two desks note a 未申請 institution on one version, offline of each other: both kept.
    let not_applied = WorklistFilter { reason: Some(ReasonKind::NotApplied), ..Default::default() };
    let id = b.worklist(&not_applied).await.unwrap().entries[0].id.clone();
    a.record_contact(&id, ContactChannel::Phone, ContactOutcome::NoAnswer, "", None).await.unwrap();
    b.record_contact(&id, ContactChannel::Post, ContactOutcome::Sent, "申請のお願いを郵送", None)
        .await
        .unwrap();
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    a.sync_now().await.unwrap();
    for desk in [&a, &b] {
        let filter = WorklistFilter {
            reason: Some(ReasonKind::NotApplied),
            state: Some(EntryState::Done),
            ..Default::default()
        };
        let done = desk.worklist(&filter).await.unwrap();
        let entry = done.entries.iter().find(|e| e.id == id).expect("連絡済 on both desks");
        assert_eq!(entry.contact.as_ref().unwrap().attempts.len(), 2, "both desks' contacts kept");
    }

    // 督促 to the 未報告: mailed to the two with an application (the clinic's arrives, the
    // full mailbox's comes back onto 要連絡); the imported accounts have no address known.
    let filter = WorklistFilter {
        reason: Some(ReasonKind::NotReported),
        limit: Some(5000),
        ..Default::default()
    };
    let ids: Vec<String> =
        b.worklist(&filter).await.unwrap().entries.iter().map(|e| e.id.clone()).collect();
    let preview = b.reminder_preview(&ids[0], ReminderKind::Dunning).await.unwrap();
    let mailed = b.send_reminders(&ids, ReminderKind::Dunning).await.unwrap();
    assert_eq!((mailed.queued, mailed.without_address.len()), (2, ids.len() - 2), "{mailed:?}");
    let subject = "【東京都保健医療局 医療政策課】医療機能情報の定期報告について（お願い）";
    assert_eq!(preview.subject, subject);
    let mut arrived = Vec::new();
    for _ in 0..600 {
        arrived = relay.delivered_titled("clinic", subject);
        if !arrived.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mail = mail_parser::MessageParser::default().parse(&arrived[0]).unwrap();
    let body = mail.body_text(0).unwrap();
    assert!(body.starts_with(&format!("{} ご担当者様", institutions[1].1)), "{body}");
    assert!(body.contains("電話：03-5320-4444（平日 9時〜17時）"), "{body}");
    let mut bounced = None;
    for _ in 0..600 {
        let notices = server.notices(&token).await;
        bounced = notices.into_iter().find(|n| {
            n.kind == madoguchi_domain::NoticeKind::Reminder
                && n.application_id == full
                && n.delivery.state == DeliveryState::Bounced
        });
        if bounced.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let bounced = bounced.expect("the reminder to the full mailbox bounced");
    b.sync_now().await.unwrap();
    let open = WorklistFilter { reason: Some(ReasonKind::Undelivered), ..Default::default() };
    let back = b.worklist(&open).await.unwrap().entries;
    let entry =
        back.iter().find(|e| e.id == format!("notice-{}", bounced.id)).expect("back on 要連絡");
    assert_eq!(
        entry.said,
        "お知らせメール（報告依頼など）が届いていません（メールボックスの容量超過）"
    );
    assert_eq!(entry.state, EntryState::Open);
    // Each 未報告 entry mailed says so on every desk.
    let sent = b.worklist(&filter).await.unwrap().entries;
    let noted = sent
        .iter()
        .filter(|e| {
            e.contact
                .as_ref()
                .is_some_and(|c| c.attempts.iter().any(|a| a.note.contains("督促をメールで送信")))
        })
        .count();
    assert_eq!(noted, 2);

    // Those with no address get a letter: the PDF reads back with each name and address.
    let unmailed: Vec<String> =
        sent.iter().filter(|e| e.contact.is_none()).take(3).map(|e| e.id.clone()).collect();
    let pdf = dir_b.path().join("督促.pdf");
    let made = b.make_letters(&unmailed, ReminderKind::Dunning, &pdf).await.unwrap();
    assert_eq!(made.letters, 3);
    let out = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for id in &unmailed {
        let entry = sent.iter().find(|e| &e.id == id).unwrap();
        let (_, name, address) = institutions
            .iter()
            .find(|(code, _, _)| Some(code) == entry.insurance_code.as_ref())
            .unwrap();
        assert!(
            compact(&text).contains(&compact(&format!("{name}ご担当者様"))),
            "{name} in {text}"
        );
        assert!(
            compact(&text).contains(&compact(&format!("東京都{address}"))),
            "{address} in {text}"
        );
    }
    assert_eq!(text.matches("医療機能情報の定期報告について（お願い）").count(), 3);

    server.mail.take().unwrap().shutdown().await;
}
