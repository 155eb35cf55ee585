//! The `madoguchi-server` command line: serve, and administer (officers, registry).

use std::path::PathBuf;
use std::process::ExitCode;

mod audit;
mod backup;
mod mail;
mod officer;
mod retention;
mod serve;
mod service;

use crate::{config::Config, storage};
use clap::{Parser, Subcommand};
use madoguchi_domain::Prefecture;
use officer::{new_token, OfficerCommand};

/// Madoguchi central server: receives 新規ユーザ登録申請, records officers' decisions and the
/// notices they send, and serves the changes feed the prefecture desks sync from.
///
/// Settings come from a TOML file (--config), then environment variables, then these options:
///   listen    MADOGUCHI_LISTEN     address:port to listen on (default 127.0.0.1:8443)
///   database  MADOGUCHI_DATABASE   sqlite://path.db (default, one file) or postgres://user@host/db
///   tls_cert  MADOGUCHI_TLS_CERT   PEM certificate chain (HTTPS only; required to serve)
///   tls_key   MADOGUCHI_TLS_KEY    PEM private key
///   public_url MADOGUCHI_PUBLIC_URL https://host as applicants reach it (確認メールのURL)
/// Mail (see README, 通知メールの配信):
///   smtp_relay     MADOGUCHI_SMTP_RELAY     smtp://host:port (STARTTLS) or smtps://host:port;
///                                           without it notices are held, not sent
///   smtp_user      MADOGUCHI_SMTP_USER      AUTH user and password (or in the URL)
///   smtp_password  MADOGUCHI_SMTP_PASSWORD  (settings file or environment only, never argv)
///   smtp_password_file MADOGUCHI_SMTP_PASSWORD_FILE  or read from this file
///   smtp_ca        MADOGUCHI_SMTP_CA        PEM CA of the relay's certificate
///   mail_from      MADOGUCHI_MAIL_FROM      From (default G-MIS事務局 <info@g-mis.net>)
///   bounce_domain  MADOGUCHI_BOUNCE_DOMAIN  envelope senders are bounce+<id>.<tag>@ this
///   bounce_listen  MADOGUCHI_BOUNCE_LISTEN  address:port the bounce listener (SMTP) takes
///   mail_charset   MADOGUCHI_MAIL_CHARSET   utf-8 (default) or iso-2022-jp
/// The public intake's limits, in the file only: a [limits] table (see README).
/// Logging: RUST_LOG (e.g. info, debug).
#[derive(Parser, Debug)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    /// TOML settings file.
    #[arg(long, env = "MADOGUCHI_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log lines as `text` (default) or `json` (one object per line, for a collector).
    #[arg(long, env = "MADOGUCHI_LOG_FORMAT", global = true, value_enum, default_value_t = crate::logging::Format::Text)]
    log_format: crate::logging::Format,
    /// Database URL (overrides the file; a password in it is never shown).
    #[arg(long, env = "MADOGUCHI_DATABASE", global = true, hide_env_values = true)]
    database: Option<crate::config::SecretUrl>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API over HTTPS.
    Serve(Box<serve::ServeArgs>),
    /// The database's schema: `status` (this binary's against the database's) and `migrate`.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Backups (退避): `backup --out DIR [--keep N]` takes one, `backup verify DIR` checks one.
    Backup(backup::BackupArgs),
    /// Puts the backup in DIR back in place of the database (stop every server process
    /// first): desks start their feed over, notices not yet sent are held.
    Restore { dir: PathBuf },
    /// The notices' mail: status, health, show, retry, release.
    Mail {
        #[command(subcommand)]
        command: mail::MailCommand,
    },
    /// The audit trail (`export`): decisions, delivery, operators' actions.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// The server as a Windows service (`install` with --config, `uninstall`).
    Service {
        #[command(subcommand)]
        command: service::ServiceCommand,
    },
    /// 保存期間 on the server (`run`; `serve` also runs it every hour).
    Retention {
        #[command(subcommand)]
        command: retention::RetentionCommand,
    },
    /// Officers (都道府県窓口の担当者).
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
    /// The institution registry.
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Existing G-MIS accounts (都道府県システムからのデータ移行).
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// A server to try the desk against: a CA and localhost certificate made in DIR (once), an
    /// officer of 東京都, and on an empty database a sample registry (千代田区's public code
    /// list) and demo applications of every kind. Prints
    /// `ca=`, `cert=`, `key=`, `registry=` (the sample list as a file, for a desk to import)
    /// and `token=` lines (the token is shown this once only).
    Demo {
        #[arg(long)]
        dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum AccountsCommand {
    /// Add the prefecture's existing G-MIS accounts from a CSV export (UTF-8 or Shift_JIS,
    /// header row; columns in README). Conflicts are listed by line and not added.
    Import {
        file: PathBuf,
        /// The prefecture whose accounts these are (code 01–47 or name).
        #[arg(long)]
        prefecture: String,
        /// Report what would be added and every conflict; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Prints the newest migration applied and this binary's; exit 1 when they differ.
    Status,
    /// Applies this binary's migrations (once, before starting the new version's processes).
    Migrate,
}

#[derive(Subcommand, Debug)]
enum RegistryCommand {
    /// Import the bureaus' code lists or ナビイ facility CSVs (the desks' importer).
    Import { files: Vec<PathBuf> },
}

/// Parses the command line and runs it; the binary's whole `main`.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The Windows service logs beside its settings file (its standard error goes nowhere).
    let log_file = match (&cli.command, &cli.config) {
        (Command::Service { command: service::ServiceCommand::Run }, Some(config)) => {
            Some(config.with_file_name("madoguchi-server.log"))
        }
        _ => None,
    };
    crate::logging::init(cli.log_format, log_file.as_deref());
    // A panic reaches the log too (a service's standard error goes nowhere).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        log::error!("panic: {info}");
        default_hook(info);
    }));
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("madoguchi-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::load(cli.config.as_deref())?;
    let config_path = cli.config.clone();
    if let Some(db) = cli.database {
        config.database = db;
    }
    match cli.command {
        Command::Serve(args) => serve::serve(config, *args, crate::signals::stop()).await?,
        Command::Backup(args) => backup::backup(&config, args).await?,
        Command::Restore { dir } => backup::restore(&config, dir).await?,
        Command::Mail { command } => mail::mail(&config, command).await?,
        Command::Service { command } => service::service(config_path, config, command).await?,
        Command::Audit { command } => audit::audit(&config, command).await?,
        Command::Retention { command } => retention::retention(&config, command).await?,
        Command::Officer { command } => officer::officer(&config, command).await?,
        Command::Db { command } => {
            let storage =
                storage::open_as(&config.database, matches!(command, DbCommand::Migrate)).await?;
            let schema = storage.schema().await?;
            println!("applied\t{}\nbinary\t{}", schema.applied, schema.expected);
            if !schema.is_current() {
                return Err(storage::StorageError::Schema {
                    applied: schema.applied,
                    expected: schema.expected,
                }
                .into());
            }
        }
        Command::Demo { dir } => {
            let storage = storage::open(&config.database).await?;
            let demo = crate::demo::prepare(storage.as_ref(), &dir, new_token()).await?;
            log::info!(
                "demo: {} applications entered, {} registry rows imported",
                demo.submitted,
                demo.registry_rows
            );
            println!("ca={}", demo.certificates.ca_path.display());
            println!("cert={}", demo.certificates.cert_path.display());
            println!("key={}", demo.certificates.key_path.display());
            println!("registry={}", demo.registry_path.display());
            println!("token={}", demo.token);
        }
        Command::Accounts { command: AccountsCommand::Import { file, prefecture, dry_run } } => {
            let prefecture: Prefecture = prefecture.parse()?;
            let bytes = std::fs::read(&file)?;
            let read = crate::account_import::read(&bytes, prefecture)?;
            let storage = storage::open_current(&config.database).await?;
            let mut outcome = storage.import_accounts(prefecture, &read.rows, !dry_run).await?;
            outcome.conflicts.extend(read.conflicts);
            outcome.conflicts.sort_by_key(|c| c.line);
            log::info!(
                "accounts import for {}: {} added, {} unchanged, {} conflicts{}",
                prefecture.code(),
                outcome.added.len(),
                outcome.unchanged,
                outcome.conflicts.len(),
                if dry_run { " (dry run)" } else { "" }
            );
            print!("{}", outcome.report_ja(!dry_run));
        }
        Command::Registry { command: RegistryCommand::Import { files } } => {
            let storage = storage::open_current(&config.database).await?;
            for path in files {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                let records =
                    madoguchi_registry::Records::open(std::fs::File::open(&path)?, &name)?;
                let (mut good, mut bad) = (Vec::new(), 0usize);
                for r in records {
                    match r {
                        Ok(r) => good.push(r),
                        Err(e) => {
                            bad += 1;
                            log::warn!("{name}: {e}");
                        }
                    }
                }
                let changed = storage.import_registry(&good).await?;
                println!("{name}: {} rows, {bad} skipped, {changed} changed", good.len());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn the_command_line_never_shows_the_relays_password() {
        let cli = super::Cli::try_parse_from([
            "madoguchi-server",
            "serve",
            "--smtp-relay",
            "smtp://madoguchi:hunter2@relay.example:587",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let argv =
            super::Cli::try_parse_from(["madoguchi-server", "serve", "--smtp-password", "x"]);
        assert!(argv.is_err(), "no password on the command line");
    }
}
