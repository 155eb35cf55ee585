//! `retention run [--dry-run]`: each prefecture's 保存期間 applied now, as `serve` does hourly.

use clap::Subcommand;

use crate::{config::Config, storage};

#[derive(Subcommand, Debug)]
pub(super) enum RetentionCommand {
    /// Removes the personal values of applications decided longer ago than the prefecture's
    /// period; prints what it removed (or, with --dry-run, what it would).
    Run {
        #[arg(long)]
        dry_run: bool,
    },
}

pub(super) async fn retention(
    config: &Config,
    command: RetentionCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let RetentionCommand::Run { dry_run } = command;
    let storage = storage::open_current(&config.database).await?;
    let outcomes = crate::retention::run(storage.as_ref(), chrono::Utc::now(), dry_run).await?;
    println!("prefecture\tdays\tpast the period\tapplications\tnotices\tfeed entries\tbounces");
    for o in outcomes {
        let p = o.purged;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            o.prefecture, o.days, o.expired, p.applications, p.notices, p.feed_rows, p.bounces
        );
    }
    if dry_run {
        println!("(dry run: nothing removed)");
    }
    Ok(())
}
