//! Load shapes of the server benches: desks that sync with an officer's think time, and
//! kept-alive connections asking with no pause.

use std::time::{Duration, Instant};

/// The `q` quantile of `samples`, in milliseconds.
pub fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i].as_secs_f64() * 1000.0
}

/// One desk (number `k`, its own connection) syncing `rounds` times with 0.5–1.5 s of think
/// time before each (deterministic per desk and round): a pull with nothing new after `since`,
/// except the middle round, which starts the review of `application`. Each request's time.
pub async fn desk(
    client: reqwest::Client,
    url: String,
    token: String,
    k: usize,
    rounds: usize,
    since: i64,
    application: i64,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let think = 500 + (k * 7919 + i * 104_729) % 1000;
        tokio::time::sleep(Duration::from_millis(think as u64)).await;
        let started = Instant::now();
        let request = if i == rounds / 2 {
            client
                .post(format!("{url}/v1/applications/{application}/decisions"))
                .header("Idempotency-Key", format!("bench-{k}"))
                .json(&serde_json::json!({"expected_version": 1, "action": {"action": "start_review"}, "desk": "bench"}))
        } else {
            client.get(format!("{url}/v1/changes?since={since}"))
        };
        let r = request.bearer_auth(&token).send().await.expect("request");
        assert!(r.status().is_success(), "{}", r.status());
        r.bytes().await.unwrap();
        samples.push(started.elapsed());
    }
    samples
}

/// `clients.len()` connections, each asking for the feed after `since` `requests` times
/// with no pause (`since` per connection: its prefecture's end); requests a second. The
/// clients are built before, outside the time.
pub async fn saturate(
    clients: Vec<(reqwest::Client, String, i64)>,
    url: &str,
    requests: usize,
) -> f64 {
    let count = clients.len() * requests;
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(client, token, since)| {
            let url = url.to_owned();
            tokio::spawn(async move {
                for _ in 0..requests {
                    let r = client
                        .get(format!("{url}/v1/changes?since={since}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                    let page: madoguchi_domain::api::ChangesPage = r.json().await.unwrap();
                    assert!(page.changes.is_empty(), "nothing new");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}
