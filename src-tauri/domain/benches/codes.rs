//! Code validation throughput over the real published codes (`cargo xtask bench codes`).
//! Prints `bench: <name> <value> <unit>` lines; asserts nothing about speed.

use std::hint::black_box;
use std::time::Instant;

use madoguchi_domain::{CodeContext, InsuranceCode};

fn main() {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/institution-codes/2025-08.csv");
    let csv = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // The 10-digit, the 9-digit and a bureau-separated 7-digit form of every published code.
    let inputs: Vec<(String, CodeContext)> = csv
        .lines()
        .filter_map(|l| l.split(',').next())
        .filter_map(|k| InsuranceCode::parse(k, CodeContext::default()).ok())
        .flat_map(|c| {
            let seven = c.seven();
            let ctx = CodeContext { prefecture: Some(c.prefecture()), table: None };
            [
                (c.digits(), CodeContext::default()),
                (format!("{}{}", &c.digits()[..2], seven), CodeContext::default()),
                (format!("{},{},{}", &seven[..2], &seven[2..6], &seven[6..]), ctx),
            ]
        })
        .collect();

    let rounds = 5;
    let started = Instant::now();
    for _ in 0..rounds {
        for (input, ctx) in &inputs {
            black_box(InsuranceCode::parse(black_box(input), *ctx).is_ok());
        }
    }
    let per_sec = (inputs.len() * rounds) as f64 / started.elapsed().as_secs_f64();
    println!("bench: codes.validate {per_sec:.0} codes/s");

    // A slip in the last body digit: the check fails and every nearest valid code is listed.
    let slips: Vec<String> = inputs
        .iter()
        .step_by(3)
        .map(|(d, _)| {
            let mut b = d.clone().into_bytes();
            b[8] = b'0' + (b[8] - b'0' + 1) % 10;
            String::from_utf8(b).unwrap()
        })
        .collect();
    let started = Instant::now();
    for s in &slips {
        black_box(InsuranceCode::parse(black_box(s), CodeContext::default()).is_err());
    }
    let per_sec = slips.len() as f64 / started.elapsed().as_secs_f64();
    println!("bench: codes.suggest {per_sec:.0} codes/s");
}
