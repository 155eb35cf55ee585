//! `officer`: the prefecture officers whose tokens the desks hold.

use clap::Subcommand;
use madoguchi_domain::Prefecture;
use rand::Rng;

use crate::{config::Config, storage, tokens::token_hash};

#[derive(Subcommand, Debug)]
pub(super) enum OfficerCommand {
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

/// An officer's bearer token: 40 random letters and digits, stored only as its hash.
pub(super) fn new_token() -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

pub(super) async fn officer(
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
            let detail = format!("officer {} added, valid until {expires}", officer.id);
            storage.admin_audit("officer_add", Some(&prefecture.code()), &detail).await?;
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
            storage.admin_audit("officer_revoke", None, &format!("officer {id} revoked")).await?;
        }
        OfficerCommand::Rotate { id, valid_days, stagger } => {
            let token = new_token();
            let expires =
                crate::tokens::token_expiry(crate::tokens::staggered(valid_days, stagger));
            if !storage.rotate_officer(id, &token_hash(&token), &expires).await? {
                return Err(format!("no officer {id}, or revoked").into());
            }
            log::info!("officer {id}'s token rotated, valid until {expires}");
            let detail = format!("officer {id} rotated, valid until {expires}");
            storage.admin_audit("officer_rotate", None, &detail).await?;
            println!("{token}");
        }
    }
    Ok(())
}
