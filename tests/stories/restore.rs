//! 退避と復元, with a desk and the test Postfix: a backup taken, more work done (a notice
//! mailed, an application approved, another submitted), the backup verified and restored.
//! The desk notices the new feed epoch, starts over by itself and ends equal to the server;
//! the notice that was waiting at backup time and went out after it is held, not mailed a
//! second time; a damaged copy fails its check. On both databases.
#![cfg(unix)]

use madoguchi_domain::{ApplicationForm, ApplicationStatus, DeliveryState};
use madoguchi_server::backup;
use madoguchi_server::testing::postfix::to;
use madoguchi_server::testing::{form, TestServer, BACKENDS};
use madoguchi_stories::desk;

fn to_clinic(n: usize) -> ApplicationForm {
    ApplicationForm { email: to::CLINIC.into(), ..form("13", n) }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_server_is_resynced_by_its_desks_and_mails_nothing_twice() {
    for backend in BACKENDS {
        let mut s = TestServer::start(backend).await;
        let token = s.officer("13").await;
        let d = desk(&s, &token, "desk-a").await;
        // Before the backup: one approval whose notice waits (no relay yet), one application.
        let first = s.approve(&token, &to_clinic(1)).await;
        let second = s.submit(&to_clinic(2)).await.id;
        d.store.sync(&d.client).await.unwrap();
        let backups = tempfile::tempdir().unwrap();
        let taken = backup::take(&s.database_url, backups.path(), Some(2)).await.unwrap();
        let manifest = backup::verify(&taken, Some(&s.database_url)).await.unwrap();
        assert_eq!(manifest.epoch, 1);
        assert!(
            manifest.feeds.iter().any(|f| f.prefecture == "13" && f.changes > 0),
            "{manifest:?}"
        );

        // After it: the relay sends the waiting notice, the second is approved and mailed, a
        // third application arrives; the desk pulls all of it.
        let relay = s.with_postfix().await;
        s.settled(&token, first.id, DeliveryState::Sent).await;
        assert_eq!(s.decide(&token, second, 1, "start_review").await.status(), 200);
        assert_eq!(s.decide(&token, second, 2, "approve_new_account").await.status(), 200);
        let third = s.submit(&to_clinic(3)).await.id;
        d.store.sync(&d.client).await.unwrap();
        let before = s.changes(&token, 0).await;
        let handed_out = before.next_cursor;
        // Both notices (they share their subject) in the clinic's mailbox before counting.
        let mut mailed_once = 0;
        for _ in 0..300 {
            mailed_once = relay.delivered_titled("clinic", &first.subject).len();
            if mailed_once == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(mailed_once, 2, "the first and second notices delivered");

        // A damaged copy is refused.
        let damaged = backups.path().join("damaged");
        std::fs::create_dir(&damaged).unwrap();
        for entry in std::fs::read_dir(&taken).unwrap().flatten() {
            std::fs::copy(entry.path(), damaged.join(entry.file_name())).unwrap();
        }
        let data = damaged.join(&manifest.file);
        let mut bytes = std::fs::read(&data).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&data, bytes).unwrap();
        let refused = backup::verify(&damaged, Some(&s.database_url)).await;
        assert!(matches!(refused, Err(backup::BackupError::Corrupt(_))), "{refused:?}");

        // The restore: every server part stopped, the copy put back, the server started again.
        s.mail.take().unwrap().shutdown().await;
        s.stop().await;
        s.storage.close().await;
        let restored = backup::restore(&s.database_url, &taken).await.unwrap();
        assert_eq!(restored.epoch, 2, "{backend:?}");
        assert!(restored.handed_out >= handed_out, "{restored:?} vs {handed_out}");
        let held: i64 = restored.held.iter().filter(|(p, _)| p == "13").map(|(_, n)| n).sum();
        assert!(held >= 1, "the notice waiting at backup time is held: {restored:?}");
        s.storage = madoguchi_server::storage::open(&s.database_url).await.unwrap();
        s.restart().await;
        s.resume_mail(&relay).await;

        // The desk starts over by itself and ends as the server is.
        d.store.sync(&d.client).await.unwrap();
        let (app, _) = d.store.application(first.application_id).await.unwrap().unwrap();
        assert_eq!(app.status, ApplicationStatus::ApprovedNewAccount);
        let (app, local) = d.store.application(second).await.unwrap().unwrap();
        assert_eq!(
            (app.status, local),
            (ApplicationStatus::Submitted, None),
            "the approval was lost"
        );
        assert!(
            d.store.application(third).await.unwrap().is_none(),
            "the third is gone from the server"
        );
        // New changes come after every cursor handed out before the restore.
        let fourth = s.submit(&to_clinic(4)).await.id;
        let page = s.changes(&token, handed_out).await;
        assert!(page.changes.iter().any(
            |c| matches!(&c.entity, madoguchi_domain::api::Entity::Application(a) if a.id == fourth)
        ));
        assert_eq!(page.epoch, Some(2));
        d.store.sync(&d.client).await.unwrap();
        assert!(d.store.application(fourth).await.unwrap().is_some());

        // The first notice is not mailed again while held (the sender polls every 100 ms).
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(
            relay.delivered_titled("clinic", &first.subject).len(),
            mailed_once,
            "{backend:?}"
        );
        let figures = s.storage.figures().await.unwrap();
        assert!(
            figures.notices.iter().any(|(p, state, _)| p == "13" && state == "held"),
            "{figures:?}"
        );
        s.mail.take().unwrap().shutdown().await;
        let released = s.storage.release_held().await.unwrap();
        assert_eq!(released.iter().map(|(_, n)| n).sum::<i64>(), held);
        let figures = s.storage.figures().await.unwrap();
        assert!(!figures.notices.iter().any(|(_, state, _)| state == "held"), "{figures:?}");
    }
}
