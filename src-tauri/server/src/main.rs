//! `madoguchi-server`: run the central server, and administer it (see `--help`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    madoguchi_server::cli::main().await
}
