//! A desk's full day with distinctive personal values — intake (the page and the API, with a
//! malformed body among them), approval with a real relay, sync, a call with a note, a login
//! ID disclosed, exports — and then every log line the desk and the server wrote (at the most
//! verbose level, every crate's) is searched: no email, phone, contact name, login ID, call
//! note or token is in any.

use std::sync::Mutex;

use madoguchi_core::export::CsvEncoding;
use madoguchi_domain::api::CallInstitution;
use madoguchi_domain::call::IdentityChecks;
use madoguchi_domain::{Action, ApplicationForm};
use madoguchi_server::testing::{form, Backend, TestServer};
use madoguchi_stories::connected_desk;

/// Every log record of this process, as it would be written in both formats: text, and the
/// server's JSON lines.
struct Capture(Mutex<String>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let message = record.args().to_string();
        let json = madoguchi_server::logging::json_line(record.level(), record.target(), &message);
        let line = format!("{} {} {message}\n{json}\n", record.level(), record.target());
        self.0.lock().unwrap().push_str(&line);
    }
    fn flush(&self) {}
}

static LOG: Capture = Capture(Mutex::new(String::new()));

const EMAIL: &str = "yamada.hanako.7731@example.jp";
const PHONE: &str = "03-7731-2468";
const CONTACT: &str = "山田 花子七七";
const NOTE: &str = "ご家族の入院のため折り返し希望（秘匿メモ七七三一）";

#[tokio::test(flavor = "multi_thread")]
async fn a_day_at_the_desk_leaves_no_personal_value_in_any_log() {
    log::set_logger(&LOG).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut server = TestServer::start(Backend::Sqlite).await;
    let _relay = server.with_postfix().await;
    let token = server.officer("13").await;
    let dir = tempfile::tempdir().unwrap();
    let desk = connected_desk(&server, &token, &dir, "窓口A").await;
    let person = ApplicationForm {
        email: EMAIL.into(),
        phone: PHONE.into(),
        contact_name: CONTACT.into(),
        ..form("13", 77)
    };

    // Intake: malformed and refused ones first (their values must not be echoed into logs).
    let client = server.client();
    let mut bad = serde_json::to_value(&person).unwrap();
    bad["kind"] = serde_json::json!(EMAIL);
    let r = client.post(format!("{}/v1/applications", server.url)).json(&bad).send().await.unwrap();
    assert!(r.status().is_client_error());
    let mut wrong = person.clone();
    wrong.phone = format!("{PHONE}x");
    let r =
        client.post(format!("{}/v1/applications", server.url)).json(&wrong).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let id = server.submit(&person).await.id;

    // The desk approves; the notice goes through the relay (its fate comes back in the feed).
    desk.sync_now().await.unwrap();
    desk.decide(id, Action::StartReview, None).await.unwrap();
    desk.decide(id, Action::ApproveNewAccount, None).await.unwrap();
    desk.sync_now().await.unwrap();
    let login_id = desk.queue_entry(id).await.unwrap().application.login_id.expect("issued");
    // The same institution again: refused with the account's login ID for the officer.
    let again =
        server.submit(&ApplicationForm { email: format!("x{EMAIL}"), ..person.clone() }).await.id;
    desk.sync_now().await.unwrap();
    desk.decide(again, Action::StartReview, None).await.unwrap();
    desk.decide(again, Action::ApproveNewAccount, None).await.unwrap();
    desk.sync_now().await.unwrap();

    // A call about it: linked, the login ID disclosed after the checks, finished with a note.
    let call = desk.start_call().await.unwrap();
    let links = madoguchi_core::calls::CallLinks {
        institution: Some(CallInstitution {
            name: person.name.clone(),
            insurance_code: person.insurance_code.clone(),
        }),
        application_id: Some(id),
    };
    desk.link_call(&call.id, links).await.unwrap();
    let checks = IdentityChecks { phone: true, email: true, contact_name: true };
    assert_eq!(desk.disclose_login_id(&call.id, checks).await.unwrap().login_id, login_id);
    desk.finish_call(&call.id, NOTE, None).await.unwrap();
    desk.sync_now().await.unwrap();
    desk.export_calls(CsvEncoding::ShiftJis, &dir.path().join("calls.csv")).await.unwrap();
    let all = madoguchi_core::queue::QueueFilter::default();
    desk.export_queue(&all, CsvEncoding::Utf8Bom, &dir.path().join("queue.csv")).await.unwrap();
    // Let the relay's answer and any report come back and be recorded.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    // The desk's files (its encrypted store and WAL, as the window keeps them) hold none of
    // it either; the exports the officer asked for are the only plain copies.
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("madoguchi.db") {
            files.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(files.len() > 100_000, "the store is there: {} bytes", files.len());
    for value in [EMAIL, PHONE, CONTACT, login_id.as_str(), NOTE] {
        assert!(
            !files.windows(value.len()).any(|w| w == value.as_bytes()),
            "{value} readable in the store"
        );
    }

    let log = LOG.0.lock().unwrap().clone();
    assert!(log.lines().count() > 50, "the day was logged: {} lines", log.lines().count());
    for (what, value) in [
        ("email", EMAIL),
        ("phone", PHONE),
        ("phone digits", &PHONE.replace('-', "")),
        ("contact name", CONTACT),
        ("login ID", &login_id),
        ("call note", NOTE),
        ("officer token", &token),
    ] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(value)).take(3).collect();
        assert!(hits.is_empty(), "the {what} is in the log:\n{}", hits.join("\n"));
    }
    // One access line per request: id, method, route as declared, status, time — and no
    // query string (a mailed link's token) nor path value.
    let access: Vec<&str> = log.lines().filter(|l| l.starts_with("INFO access ")).collect();
    assert!(
        access.iter().any(|l| l.contains(" POST /v1/applications 201 ")),
        "{}",
        access.join("\n")
    );
    assert!(access.iter().any(|l| l.contains(" POST /v1/decisions 200 ")), "{}", access.join("\n"));
    assert!(access.iter().any(|l| l.contains(" PUT /v1/calls/{id} ")), "{}", access.join("\n"));
    assert!(!log.contains("?t=") && !log.contains("?r="), "no mailed link in the log");
    assert!(log.lines().any(|l| l.starts_with('{') && l.contains("\"target\":\"access\"")));
}
