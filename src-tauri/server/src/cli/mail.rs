//! `mail`: the notices as the operator sees them — `status` (by prefecture and state),
//! `health`, `show ID` (a notice's delivery, never its address or body), `retry ID` (a refused
//! or bounced notice queued again), `release` (what a restore held).

use clap::Subcommand;
use madoguchi_domain::Prefecture;

use crate::{config::Config, storage};

#[derive(Subcommand, Debug)]
pub(super) enum MailCommand {
    /// Notices by prefecture and delivery state, and the oldest waiting.
    Status,
    /// Each prefecture's mail health: the last day against the week before.
    Health {
        /// Only this prefecture (code or name).
        #[arg(long)]
        prefecture: Option<String>,
    },
    /// One notice's delivery, step by step (its address's domain only).
    Show { id: i64 },
    /// Queues again a notice the relay refused or the receiving side bounced (after the
    /// address or the mailbox was put right).
    Retry { id: i64 },
    /// Queues again the notices a restore held (they may have been mailed after the backup:
    /// check with the prefecture before releasing).
    Release,
}

pub(super) async fn mail(
    config: &Config,
    command: MailCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let storage = storage::open_current(&config.database).await?;
    match command {
        MailCommand::Status => {
            let figures = storage.figures().await?;
            println!("prefecture\tstate\tnotices");
            for (prefecture, state, n) in &figures.notices {
                println!("{prefecture}\t{state}\t{n}");
            }
            for (prefecture, at) in &figures.oldest_queued {
                println!("{prefecture}\toldest waiting since {at}");
            }
        }
        MailCommand::Health { prefecture } => {
            let only = prefecture.map(|p| p.parse::<Prefecture>()).transpose()?;
            println!("prefecture\twindow\tnotices\taccepted\trelay refused\tbounced\tmailbox full\tno such user\trejected\tother\ttrouble ‰");
            let figures = storage.figures().await?;
            let now = chrono::Utc::now();
            for h in
                crate::mail_health::health_of_each(storage.as_ref(), &figures, only, now).await?
            {
                let code = h.prefecture.code();
                for (window, t) in [("1d", h.recent), ("7d", h.baseline)] {
                    println!(
                        "{code}\t{window}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        t.notices,
                        t.accepted,
                        t.relay_refused,
                        t.bounced,
                        t.mailbox_full,
                        t.no_such_user,
                        t.rejected,
                        t.other,
                        t.trouble_per_mille
                    );
                }
                if h.worse_than_usual {
                    println!("{code}\tworse than usual: look at the refusing domains");
                }
                for d in &h.refusing_domains {
                    println!(
                        "{code}\tdomain {}\trelay refused {}\tbounced {}",
                        d.domain, d.relay_refused, d.bounced
                    );
                }
                println!("{code}\t疎通確認 confirmed {} of {}", h.checks_confirmed, h.checks_sent);
            }
        }
        MailCommand::Show { id } => {
            let notice = storage.notice(id).await?.ok_or(format!("no notice {id}"))?;
            println!(
                "notice {id}\tprefecture {}\t{:?}\tto @{}",
                notice.prefecture.code(),
                notice.kind,
                madoguchi_domain::mail_health::domain_of(&notice.to)
            );
            println!("now {:?}\tattempts {}", notice.delivery.state, notice.delivery.attempts);
            for e in &notice.delivery.history {
                let codes = [e.smtp_code.map(|c| c.to_string()), e.enhanced_status.clone()];
                let codes: Vec<String> = codes.into_iter().flatten().collect();
                println!("{}\t{:?}\t{:?}\t{}", e.at, e.state, e.category, codes.join(" "));
            }
        }
        MailCommand::Retry { id } => {
            if !storage.retry_notice(id, &crate::clock::now()).await? {
                return Err(format!(
                    "notice {id} is not refused or bounced (or does not exist): nothing to retry"
                )
                .into());
            }
            storage.admin_audit("mail_retry", None, &format!("notice {id} queued again")).await?;
            println!("notice {id} queued again");
        }
        MailCommand::Release => {
            let released = storage.release_held().await?;
            for (prefecture, n) in &released {
                println!("{prefecture}\t{n} notices queued again");
            }
            if released.is_empty() {
                println!("no notice was held");
            }
        }
    }
    Ok(())
}
