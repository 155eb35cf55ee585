//! `backup`, `backup verify` and `restore`: the operator's side of 退避と復元 (`mail release`
//! lets the notices a restore held go).

use std::path::PathBuf;

use clap::Subcommand;

use crate::{backup, config::Config, storage};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct BackupArgs {
    /// The folder backups are kept in (each backup a folder of its own, with its manifest).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep only the newest N backups in --out.
    #[arg(long)]
    keep: Option<usize>,
    #[command(subcommand)]
    command: Option<BackupCommand>,
}

#[derive(Subcommand, Debug)]
enum BackupCommand {
    /// Checks a backup: checksum, integrity, every prefecture's feed read back against the
    /// manifest. Exit 1 when anything differs.
    Verify {
        dir: PathBuf,
        /// For a PostgreSQL backup: a server where a scratch database may be made to restore
        /// it into (postgres://…; its password from the environment is best).
        #[arg(long, env = "MADOGUCHI_SCRATCH_DATABASE", hide_env_values = true)]
        scratch: Option<crate::config::SecretUrl>,
    },
}

pub(super) async fn backup(
    config: &Config,
    args: BackupArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    match (args.command, args.out) {
        (Some(BackupCommand::Verify { dir, scratch }), _) => {
            let m = backup::verify(&dir, scratch.as_deref()).await?;
            println!(
                "ok\t{}\t{} bytes\t{} feeds\tepoch {}",
                m.created_at,
                m.bytes,
                m.feeds.len(),
                m.epoch
            );
        }
        (None, Some(out)) => {
            // Only a database of this binary's schema is backed up by it.
            storage::open_current(&config.database).await?.close().await;
            let dir = backup::take(&config.database, &out, args.keep).await?;
            println!("{}", dir.display());
        }
        (None, None) => return Err("backup needs --out DIR (or: backup verify DIR)".into()),
    }
    Ok(())
}

pub(super) async fn restore(
    config: &Config,
    dir: PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
    let r = backup::restore(&config.database, &dir).await?;
    println!("restored the backup of {} (feed epoch now {})", r.manifest.created_at, r.epoch);
    println!("prefecture\tchanges at backup\tlast seq at backup\thanded out since\tnotices held");
    for mark in &r.manifest.feeds {
        let held = r.held.iter().find(|(p, _)| *p == mark.prefecture).map_or(0, |(_, n)| *n);
        let since = (r.handed_out - mark.last_seq).max(0);
        println!("{}\t{}\t{}\t≤ {since}\t{held}", mark.prefecture, mark.changes, mark.last_seq);
    }
    println!(
        "Everything after {} is lost on the server: desks pull everything again by themselves and \
         send what their outboxes still hold. Held notices wait for `mail release`.",
        r.manifest.created_at
    );
    Ok(())
}
