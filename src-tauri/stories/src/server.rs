//! `story-server`: the `madoguchi-server` command, built here so story tests can run and kill it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    madoguchi_server::cli::main().await
}
