//! The `madoguchi-server` command line: serve, and administer (officers, registry).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::{config::Config, signals, storage, tokens::token_hash};
use clap::{Parser, Subcommand};
use madoguchi_domain::Prefecture;
use rand::Rng;

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
    Serve {
        #[arg(long, env = "MADOGUCHI_LISTEN")]
        listen: Option<std::net::SocketAddr>,
        #[arg(long, env = "MADOGUCHI_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        #[arg(long, env = "MADOGUCHI_TLS_KEY")]
        tls_key: Option<PathBuf>,
        /// `https://host[:port]` as applicants reach the server (確認メールのURL).
        #[arg(long, env = "MADOGUCHI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Migrate the database first (`true`/`false`; default: yes for SQLite, no for
        /// PostgreSQL, which `db migrate` migrates once for all its processes). Without, a
        /// database of another schema is refused.
        #[arg(long, env = "MADOGUCHI_MIGRATE")]
        migrate: Option<bool>,
        /// Database connections this process keeps at most (SQLite 8, PostgreSQL 16).
        #[arg(long, env = "MADOGUCHI_POOL_SIZE")]
        pool_size: Option<u32>,
        #[command(flatten)]
        mail: Box<MailArgs>,
    },
    /// The database's schema: `status` (this binary's against the database's) and `migrate`.
    Db {
        #[command(subcommand)]
        command: DbCommand,
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

/// Mail options of `serve`; each overrides the settings file.
#[derive(clap::Args, Debug)]
struct MailArgs {
    #[arg(long, env = "MADOGUCHI_SMTP_RELAY", hide_env_values = true)]
    smtp_relay: Option<crate::config::SecretUrl>,
    #[arg(long, env = "MADOGUCHI_SMTP_USER")]
    smtp_user: Option<String>,
    /// A file holding the relay's password (the password itself is taken from the settings
    /// file or MADOGUCHI_SMTP_PASSWORD only: never from the command line, where `ps` shows it).
    #[arg(long, env = "MADOGUCHI_SMTP_PASSWORD_FILE")]
    smtp_password_file: Option<PathBuf>,
    #[arg(long, env = "MADOGUCHI_SMTP_CA")]
    smtp_ca: Option<PathBuf>,
    #[arg(long, env = "MADOGUCHI_MAIL_FROM")]
    mail_from: Option<String>,
    #[arg(long, env = "MADOGUCHI_BOUNCE_DOMAIN")]
    bounce_domain: Option<String>,
    #[arg(long, env = "MADOGUCHI_BOUNCE_LISTEN")]
    bounce_listen: Option<std::net::SocketAddr>,
    #[arg(long, env = "MADOGUCHI_MAIL_CHARSET")]
    mail_charset: Option<String>,
}

impl MailArgs {
    fn over(self, c: &mut Config) {
        c.smtp_relay = self.smtp_relay.or(c.smtp_relay.take());
        c.smtp_user = self.smtp_user.or(c.smtp_user.take());
        c.smtp_password_file = self.smtp_password_file.or(c.smtp_password_file.take());
        if let Ok(password) = std::env::var("MADOGUCHI_SMTP_PASSWORD") {
            c.smtp_password = Some(crate::config::Secret(password));
        }
        c.smtp_ca = self.smtp_ca.or(c.smtp_ca.take());
        c.mail_from = self.mail_from.or(c.mail_from.take());
        c.bounce_domain = self.bounce_domain.or(c.bounce_domain.take());
        c.bounce_listen = self.bounce_listen.or(c.bounce_listen.take());
        c.mail_charset = self.mail_charset.or(c.mail_charset.take());
    }
}

#[derive(Subcommand, Debug)]
enum OfficerCommand {
    /// Create an officer for one prefecture and print their token (shown this once only).
    Add {
        /// Prefecture code (01–47) or name.
        #[arg(long)]
        prefecture: String,
        #[arg(long)]
        name: String,
        /// Days the token is valid.
        #[arg(long, default_value_t = crate::tokens::TOKEN_DAYS)]
        valid_days: i64,
        /// Up to this many more days at random, so tokens made together expire apart.
        #[arg(long, default_value_t = 0)]
        stagger: i64,
    },
    /// List officers and their tokens' dates (never the tokens).
    List {
        /// Only this prefecture's.
        #[arg(long)]
        prefecture: Option<String>,
    },
    /// End an officer's token now (a lost PC, someone who left).
    Revoke { id: i64 },
    /// Give an officer a new token (printed once); the old one stops working at once.
    Rotate {
        id: i64,
        #[arg(long, default_value_t = crate::tokens::TOKEN_DAYS)]
        valid_days: i64,
        /// Up to this many more days at random, so tokens made together expire apart.
        #[arg(long, default_value_t = 0)]
        stagger: i64,
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
    crate::logging::init(cli.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("madoguchi-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Says at start how many officers' tokens end within [`crate::tokens::WARN_DAYS`], by
/// prefecture, so they are rotated before a desk stops syncing.
async fn warn_of_expiring_tokens(storage: &dyn crate::storage::Storage) {
    let Ok(officers) = storage.officers(None).await else { return };
    let mut soon = std::collections::BTreeMap::<String, usize>::new();
    for o in officers.iter().filter(|o| o.revoked_at.is_none()) {
        if crate::tokens::days_left(&o.expires_at)
            .is_some_and(|d| (0..=crate::tokens::WARN_DAYS).contains(&d))
        {
            *soon.entry(o.prefecture.clone()).or_default() += 1;
        }
    }
    for (prefecture, n) in soon {
        log::warn!(
            "{n} officer token(s) of prefecture {prefecture} end within {} days: `officer rotate`",
            crate::tokens::WARN_DAYS
        );
    }
}

/// An officer's bearer token: 40 random letters and digits, stored only as its hash.
fn new_token() -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

async fn officer(
    config: &Config,
    command: OfficerCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let storage = storage::open_current(&config.database).await?;
    match command {
        OfficerCommand::Add { prefecture, name, valid_days, stagger } => {
            let prefecture: Prefecture = prefecture.parse()?;
            let token = new_token();
            let expires =
                crate::tokens::token_expiry(crate::tokens::staggered(valid_days, stagger));
            let officer =
                storage.create_officer(prefecture, &name, &token_hash(&token), &expires).await?;
            log::info!(
                "officer {} created for {}, valid until {expires}",
                officer.id,
                prefecture.code()
            );
            println!("{token}");
        }
        OfficerCommand::List { prefecture } => {
            let prefecture = prefecture.map(|p| p.parse::<Prefecture>()).transpose()?;
            println!("id\tprefecture\tname\tcreated\texpires\tlast used\trevoked\tdays left");
            for o in storage.officers(prefecture).await? {
                let or_dash = |s: Option<String>| s.unwrap_or_else(|| "-".into());
                let left = match crate::tokens::days_left(&o.expires_at) {
                    _ if o.revoked_at.is_some() => "-".to_owned(),
                    Some(d) if d < 0 => "expired".to_owned(),
                    Some(d) if d <= crate::tokens::WARN_DAYS => format!("{d} (rotate soon)"),
                    Some(d) => d.to_string(),
                    None => "?".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{left}",
                    o.id,
                    o.prefecture,
                    o.name,
                    o.created_at,
                    o.expires_at,
                    or_dash(o.last_used_at),
                    or_dash(o.revoked_at)
                );
            }
        }
        OfficerCommand::Revoke { id } => {
            if !storage.revoke_officer(id).await? {
                return Err(format!("no officer {id}").into());
            }
            log::info!("officer {id}'s token revoked");
        }
        OfficerCommand::Rotate { id, valid_days, stagger } => {
            let token = new_token();
            let expires =
                crate::tokens::token_expiry(crate::tokens::staggered(valid_days, stagger));
            if !storage.rotate_officer(id, &token_hash(&token), &expires).await? {
                return Err(format!("no officer {id}, or revoked").into());
            }
            log::info!("officer {id}'s token rotated, valid until {expires}");
            println!("{token}");
        }
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(db) = cli.database {
        config.database = db;
    }
    match cli.command {
        Command::Serve { listen, tls_cert, tls_key, public_url, migrate, pool_size, mail } => {
            config.pool_size = pool_size.or(config.pool_size);
            config.listen = listen.unwrap_or(config.listen);
            config.public_url = public_url.or(config.public_url);
            config.tls_cert = tls_cert.or(config.tls_cert);
            config.tls_key = tls_key.or(config.tls_key);
            mail.over(&mut config);
            let (cert, key) = config.tls()?;
            let (cert, key) = (cert.to_owned(), key.to_owned());
            let tls = crate::tls_config(&cert, &key).await?;
            let mail = config.mail()?;
            let options = crate::Options {
                public_url: config.public_url.clone(),
                limits: config.limits,
                sender: Some(mail.from.email.to_string()),
            };
            let migrate = migrate
                .or(config.migrate)
                .unwrap_or_else(|| storage::migrates_by_default(&config.database));
            let opened = storage::open_sized(&config.database, migrate, config.pool_size).await?;
            let storage = storage::current(opened).await?;
            warn_of_expiring_tokens(storage.as_ref()).await;
            let listener = std::net::TcpListener::bind(config.listen)?;
            let mail = crate::mail::Service::start(storage.clone(), mail).await?;
            signals::reload_on_hangup(tls.clone(), cert, key);
            let running = crate::start(storage, listener, tls, &options).await?;
            println!("madoguchi-server: https://{}", running.addr);
            if let Some(inbound) = &mail.inbound {
                println!("madoguchi-server: bounces smtp://{}", inbound.addr);
            }
            running.until(signals::stop(), signals::SHUTDOWN_GRACE).await?;
            mail.shutdown().await;
            log::info!("stopped");
        }
        Command::Officer { command } => officer(&config, command).await?,
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
