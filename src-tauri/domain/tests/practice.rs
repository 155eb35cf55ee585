//! 都道府県の運用 laid over the national tree: every sentence said as three differently
//! configured prefectures would have it said, and the 定期報告 answer per scheme.

use chrono::NaiveDate;
use madoguchi_domain::contact::WindowContact;
use madoguchi_domain::practice::{
    Caller, HealthCentre, Practice, ReportingAnswer, ReportingWindow, Scheme, SchemePeriod, Topic,
    When,
};
use madoguchi_domain::triage::{Overrides, Tree};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn window(starts: &str, ends: &str) -> ReportingWindow {
    ReportingWindow::new(d(starts), d(ends)).unwrap()
}

fn centre(name: &str, phone: &str, municipalities: &[&str]) -> HealthCentre {
    HealthCentre {
        contact: WindowContact {
            name: name.into(),
            phone: phone.into(),
            hours: "平日 8時30分〜17時15分".into(),
            email: String::new(),
        },
        municipalities: municipalities.iter().map(|m| m.to_string()).collect(),
    }
}

/// One routing ID questions to 保健所, with paper accepted and a 2月10日 deadline.
fn routed() -> Practice {
    Practice {
        periods: vec![
            SchemePeriod { scheme: Scheme::Medical, window: window("2027-01-04", "2027-02-10") },
            SchemePeriod { scheme: Scheme::Pharmacy, window: window("2027-01-04", "2027-03-21") },
        ],
        after_deadline: "期限後も3月末まではG-MISから報告できます。それを過ぎると県から督促の文書をお送りします。".into(),
        paper_accepted: true,
        paper_how: "県のホームページから調査票を印刷し、郵送してください。".into(),
        health_centres: vec![
            centre("中央保健所", "0862123456", &["岡山市"]),
            centre("備中保健所", "0864345678", &["倉敷市", "総社市", "浅口郡里庄町"]),
        ],
        routed: vec![Topic::Login, Topic::Codes],
        self_check_url: "https://www.pref.example.lg.jp/gmis/check.pdf".into(),
        ..Practice::default()
    }
}

fn pharmacy_only() -> Practice {
    Practice {
        schemes: vec![Scheme::Pharmacy],
        periods: vec![SchemePeriod {
            scheme: Scheme::Pharmacy,
            window: window("2027-01-04", "2027-03-31"),
        }],
        ..Practice::default()
    }
}

/// Every text of every node of `tree` said to each caller, with the node's id.
fn sentences(tree: &Tree, practice: &Practice) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let callers = [
        (Caller::Unknown, None),
        (Caller::Medical, Some("岡山県倉敷市笹沖１１８０")),
        (Caller::Pharmacy, Some("岡山県新見市新見８８６")),
    ];
    // A window hears from the institutions of the schemes it serves.
    let served = callers.into_iter().filter(|(c, _)| c.scheme().is_none_or(|s| practice.serves(s)));
    for (caller, address) in served {
        let said = tree.clone().for_prefecture(practice).for_caller(practice, caller, address);
        for (id, node) in &said.nodes {
            let texts = [&node.say, &node.title].into_iter().chain(node.note.as_ref());
            for text in texts.chain(node.choices.iter().map(|c| &c.label)) {
                all.push((format!("{caller:?} {id}"), text.clone()));
            }
        }
    }
    all
}

/// None contradicts its settings: no fixed 「3月末」 deadline, no single sender where
/// several are allowed, no device that cannot report, no 保健所 where none is set, no answer
/// of a scheme the window does not serve, no `{…}` left unsaid.
#[test]
fn every_sentence_agrees_with_the_prefectures_settings() {
    let mut own = Overrides::default();
    own.facts.insert(
        "送信元".into(),
        "info@g-mis.net・helpdesk@gmis.mhlw.go.jp・gmis@pref.example.lg.jp".into(),
    );
    own.facts.insert("発行までの期間".into(), "承認から2〜3週間".into());
    let configured = [
        ("routed", Tree::national().clone().with_overrides("33", &own).unwrap(), routed()),
        ("defaults", Tree::national().clone(), Practice::default()),
        ("pharmacy only", Tree::national().clone(), pharmacy_only()),
    ];
    for (what, tree, practice) in configured {
        let senders = tree.facts["送信元"].clone();
        let texts = sentences(&tree, &practice);
        assert!(texts.len() > 300, "{what}: {}", texts.len());
        for (at, text) in &texts {
            let at = format!("{what}: {at}: {text}");
            assert!(!text.contains('{'), "unsaid: {at}");
            if practice.routed.is_empty() {
                assert!(!text.contains("保健所"), "a 保健所 none set: {at}");
            }
            if text.contains("info@g-mis.net") {
                assert!(text.contains(&senders), "one sender of several: {at}");
            }
            let on_a_phone = text.contains("スマートフォン") || text.contains("タブレット");
            if on_a_phone && text.contains("報告") {
                assert!(text.contains("報告はパソコン"), "a device that cannot report: {at}");
            }
            if !practice.serves(Scheme::Medical) {
                for word in ["貴院", "医療法人", "かかりつけ", "医療機能情報提供制度"]
                {
                    assert!(!text.contains(word), "a pharmacy-only window says {word}: {at}");
                }
            }
            if !practice.paper_accepted {
                assert!(!text.contains("紙の調査票でのご報告も"), "paper where refused: {at}");
            }
        }
        let joined: String = texts.iter().map(|(_, t)| t.as_str()).collect();
        assert!(!joined.contains("3月末までに"), "{what}: a fixed deadline");
        for p in &practice.periods {
            let ends = madoguchi_domain::era::wareki(p.window.ends);
            assert!(joined.contains(&ends), "{what}: its deadline {ends} is said");
        }
    }
}

#[test]
fn the_routed_prefecture_names_the_callers_health_centre() {
    let practice = routed();
    let tree = Tree::national().clone().for_prefecture(&practice);
    let at = |address| {
        let said = tree.clone().for_caller(&practice, Caller::Medical, address);
        said.nodes["login_health_centre"].say.clone()
    };
    let kurashiki = at(Some("岡山県倉敷市笹沖１１８０"));
    assert!(
        kurashiki.contains("備中保健所（電話 0864345678、受付 平日 8時30分〜17時15分）"),
        "{kurashiki}"
    );
    let okayama = at(Some("岡山県岡山市北区鹿田町２－５－１"));
    assert!(okayama.contains("中央保健所"), "a 政令市 by its name covers its wards: {okayama}");
    let unknown = at(None);
    assert!(unknown.contains("管轄の保健所（中央保健所・備中保健所）"), "{unknown}");
    let codes =
        tree.clone().for_caller(&practice, Caller::Pharmacy, Some("岡山県浅口郡里庄町里見"));
    assert!(codes.nodes["codes_health_centre"].say.contains("備中保健所"));
    assert!(!codes.nodes.contains_key("faq_codes"), "code questions go to the 保健所");
    let apply = &codes.nodes["apply_topic"];
    assert_eq!(apply.choices.iter().filter(|c| c.label.starts_with("機関コード")).count(), 1);
    let env = &codes.nodes["env_topic"];
    let no_net = env.choices.iter().find(|c| c.label == "インターネット環境がない").unwrap();
    assert_eq!(no_net.next, "paper_report");
    let paper = &codes.nodes["paper_report"].say;
    assert!(
        paper.contains("県のホームページから調査票を印刷") && paper.contains("令和9年3月21日"),
        "{paper}"
    );
    let after = &codes.nodes["report_after"].say;
    assert!(after.contains("令和9年3月21日") && after.contains("督促の文書"), "{after}");
    assert_eq!(codes.nodes["account_topic"].choices[0].next, "self_check", "its sheet first");
}

#[test]
fn a_pharmacy_only_window_speaks_to_pharmacies() {
    let practice = pharmacy_only();
    let tree = Tree::national().clone().for_prefecture(&practice);
    assert!(!tree.nodes.contains_key("kakaritsuke") && !tree.nodes.contains_key("two_accounts"));
    let said = tree.for_caller(&practice, Caller::Unknown, None);
    assert!(said.nodes["report_earlier"].say.contains("「薬局機能情報提供制度ホーム画面」"));
    let defaults = Tree::national().clone().for_prefecture(&Practice::default());
    assert!(
        defaults.nodes.contains_key("kakaritsuke") && !defaults.nodes.contains_key("paper_report")
    );
    assert!(!defaults.nodes.contains_key("login_health_centre"));
}

#[test]
fn a_practice_set_wrong_is_refused_with_each_problem() {
    assert!(routed().check().is_ok());
    let mut wrong = routed();
    wrong.health_centres[0].contact.phone = "123".into();
    wrong.health_centres[1].municipalities.clear();
    wrong.periods.push(SchemePeriod {
        scheme: Scheme::Medical,
        window: ReportingWindow { starts: d("2027-03-01"), ends: d("2027-02-01") },
    });
    wrong.self_check_url = "http://example.jp/check".into();
    let problems = wrong.check().unwrap_err().0;
    assert_eq!(problems.len(), 5, "{problems:?}");
    let mut no_centres = Practice { routed: vec![Topic::Login], ..Practice::default() };
    assert!(no_centres.check().is_err(), "questions routed to no 保健所");
    no_centres.routed.clear();
    assert!(no_centres.check().is_ok());
    assert!(!no_centres.holds(When::LoginAtHealthCentre) && no_centres.holds(When::CodesAtWindow));
    let message = madoguchi_domain::Coded::message_ja(&wrong.check().unwrap_err());
    assert!(message.contains("備中保健所") && message.contains("セルフチェック"), "{message}");
}

#[test]
fn the_reporting_answer_is_the_callers_schemes() {
    let practice = routed().in_force(Some(window("2027-01-04", "2027-03-31")));
    let (scheme, answer) = practice.reporting_answer(Caller::Medical, d("2027-02-15"));
    assert_eq!(
        (scheme, answer),
        (Some(Scheme::Medical), ReportingAnswer::After { ended: d("2027-02-10") })
    );
    let (_, pharmacy) = practice.reporting_answer(Caller::Pharmacy, d("2027-02-15"));
    assert_eq!(pharmacy, ReportingAnswer::Open { ends: d("2027-03-21"), days_left: 34 });
    assert_eq!(
        practice.period(Scheme::Kakaritsuke),
        Some(window("2027-01-04", "2027-03-31")),
        "the common window"
    );
    let said = practice.facts(Caller::Unknown, None);
    let deadline = &said.iter().find(|(n, _)| *n == "報告期限").unwrap().1;
    assert_eq!(deadline, "医療機能情報は令和9年2月10日、薬局機能情報は令和9年3月21日");
}

#[test]
fn the_reporting_window_against_today() {
    let w = window("2027-01-04", "2027-03-31");
    assert!(ReportingWindow::new(d("2027-03-31"), d("2027-01-04")).is_none());
    assert_eq!(
        ReportingAnswer::of(Some(w), d("2026-11-25")),
        ReportingAnswer::Before { starts: w.starts, days: 40 }
    );
    assert_eq!(
        ReportingAnswer::of(Some(w), d("2027-01-04")).suggested_choice(),
        Some(1),
        "the first day is inside"
    );
    assert_eq!(
        ReportingAnswer::of(Some(w), d("2027-03-31")),
        ReportingAnswer::Open { ends: w.ends, days_left: 0 }
    );
    assert_eq!(ReportingAnswer::of(Some(w), d("2027-04-01")).suggested_choice(), Some(2));
    assert_eq!(ReportingAnswer::of(None, d("2027-01-10")).suggested_choice(), None);
    assert!(ReportingAnswer::of(Some(w), d("2026-11-25"))
        .message_ja()
        .contains("令和9年1月4日から"));
    let early = window("2027-01-04", "2027-02-10");
    let after = ReportingAnswer::of(Some(early), d("2027-02-15")).message_ja();
    assert!(after.contains("令和9年2月10日に終わりました") && !after.contains("3月末"), "{after}");
}
