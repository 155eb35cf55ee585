//! `cargo xtask bench outreach`: カバー状況 of 東京都 on a desk holding the national registry
//! (≈250k rows, `support/scaled.rs`), 100,000 accounts and 5,000 applications, against a baseline in the same
//! process (counting the prefecture's open rows). Prints `bench: <name> <value> <unit>` lines.

use std::time::{Duration, Instant};

use madoguchi_core::Store;

#[path = "support/scaled.rs"]
mod scaled;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let (accounts, applications, runs) =
        (scaled::size(100_000, 5_000), scaled::size(5_000, 300), scaled::size(21, 3));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    let report = scaled::import(&store, scaled::scaled_csv()).await;
    // Accounts for two in five of 東京都's institutions, the rest of the 100,000 elsewhere.
    sqlx::query(
        "INSERT INTO accounts (id, insurance_code, institution_code, login_id, payload)
         SELECT id, insurance_code, prefecture || printf('%06d', id), 'login' || id, '{}'
         FROM institutions WHERE insurance_code IS NOT NULL AND (prefecture = '13') = (id % 5 < 2)
         ORDER BY prefecture <> '13', id LIMIT ?1",
    )
    .bind(accounts)
    .execute(store.pool())
    .await
    .unwrap();
    // Applications for 5,000 of 東京都's institutions without an account, in every status.
    sqlx::query(
        "INSERT INTO applications (id, prefecture, status, version, payload, received_at, updated_at)
         SELECT id, '13', CASE id % 4 WHEN 0 THEN 'in_review' WHEN 1 THEN 'submitted'
                               WHEN 2 THEN 'returned_for_correction' ELSE 'rejected' END, 1,
                json_object('form', json_object('insurance_code', insurance_code)), '', ''
         FROM institutions i WHERE prefecture = '13' AND insurance_code IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.insurance_code = i.insurance_code)
         LIMIT ?1",
    )
    .bind(applications)
    .execute(store.pool())
    .await
    .unwrap();
    let tokyo = "13".parse().unwrap();
    let mut baseline = Vec::new();
    let mut coverage = Vec::new();
    let mut listed = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM institutions WHERE prefecture = '13' AND closed_import_id IS NULL",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        baseline.push(started.elapsed());
        let started = Instant::now();
        let c = store
            .coverage(tokyo, chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap())
            .await
            .unwrap();
        coverage.push(started.elapsed());
        listed = c.total.total();
        assert!(listed > 0 && listed <= n, "{listed} of {n}");
    }
    println!("bench: outreach.registry_rows {} rows", report.imported);
    println!("bench: outreach.tokyo_institutions {listed} rows");
    println!("bench: outreach.accounts {accounts} rows");
    println!("bench: outreach.applications {applications} rows");
    println!("bench: outreach.baseline_count_ms {:.1} ms", median(baseline));
    println!("bench: outreach.coverage_ms {:.1} ms", median(coverage));
    letters(&store, &dir).await;
}

/// 1,000 letters (申請のお願い) to 東京都's 未申請 institutions, one A4 page each, the font
/// subset and embedded, against writing the same texts as a plain file.
async fn letters(store: &Store, dir: &tempfile::TempDir) {
    use madoguchi_core::letters::{find_font, write_letters, Addressee, Letterhead};
    use madoguchi_domain::reminder::{fill, ReminderFacts, ReminderKind};
    let filter = madoguchi_core::outreach::CoverageFilter {
        standing: Some(madoguchi_domain::outreach::Standing::NotApplied),
        ..Default::default()
    };
    let count = scaled::size(1000, 50);
    let listed = store.coverage_list("13".parse().unwrap(), &filter).await.unwrap();
    let contact = madoguchi_domain::contact::WindowContact {
        name: "東京都保健医療局 医療政策部 医療政策課".into(),
        phone: "03-5320-4444".into(),
        hours: "平日 9時〜17時".into(),
        email: String::new(),
    };
    let deadline = chrono::NaiveDate::from_ymd_opt(2027, 3, 31);
    let letters: Vec<_> = listed
        .iter()
        .take(count)
        .map(|e| {
            let facts = ReminderFacts {
                institution_name: &e.name,
                scheme: e.scheme,
                deadline,
                contact: &contact,
            };
            let to = Addressee {
                postal_code: e.postal_code.clone(),
                address: format!("東京都{}", e.address),
                name: e.name.clone(),
                insurance_code: e.insurance_code.clone(),
                phone: None,
                reason: String::new(),
            };
            (to, fill(ReminderKind::ApplyRequest, &[], &facts))
        })
        .collect();
    let started = Instant::now();
    let plain: String =
        letters.iter().map(|(_, f)| format!("{}\n{}\n\u{c}", f.subject, f.body)).collect();
    std::fs::write(dir.path().join("letters.txt"), plain).unwrap();
    let baseline = started.elapsed();
    let head = Letterhead {
        prefecture: "東京都".into(),
        contact: contact.clone(),
        date: chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
    };
    let started = Instant::now();
    let font = find_font(None).unwrap();
    let report = write_letters(&letters, &head, &font, &dir.path().join("letters.pdf")).unwrap();
    let made = started.elapsed();
    assert_eq!(report.letters, count);
    let size = std::fs::metadata(dir.path().join("letters.pdf")).unwrap().len();
    println!("bench: outreach.letters_baseline_text_s {:.3} s", baseline.as_secs_f64());
    println!("bench: outreach.letters_{count}_s {:.2} s", made.as_secs_f64());
    println!("bench: outreach.letters_pdf_mb {:.1} MB", size as f64 / 1e6);
}
