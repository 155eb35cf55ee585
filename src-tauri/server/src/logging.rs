//! 記録: the server's log, as text (the default) or JSON lines (`--log-format json`,
//! MADOGUCHI_LOG_FORMAT) for a collector. Either way a line says what happened, never whose
//! data: personal values and tokens are kept out where the lines are written.

use std::io::Write;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One record as a JSON line: time (RFC 3339, UTC), level, target, message.
pub fn json_line(level: log::Level, target: &str, message: &str) -> String {
    serde_json::json!({
        "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": level.as_str(),
        "target": target,
        "msg": message,
    })
    .to_string()
}

/// Starts logging at RUST_LOG's level (default `info`) in `format`, to standard error or,
/// for a process nobody watches (the Windows service), appended to `file`.
pub fn init(format: Format, file: Option<&std::path::Path>) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if let Some(path) = file {
        match std::fs::OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => {
                builder.target(env_logger::Target::Pipe(Box::new(f)));
            }
            Err(e) => eprintln!("madoguchi-server: log file {}: {e}", path.display()),
        }
    }
    if format == Format::Json {
        builder.format(|out, record| {
            let line = json_line(record.level(), record.target(), &record.args().to_string());
            writeln!(out, "{line}")
        });
    }
    builder.init();
}
