//! `audit export`: one prefecture's trail over a period, as CSV or JSON lines, for its auditor.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;
use madoguchi_domain::Prefecture;

use crate::{config::Config, storage};

#[derive(Subcommand, Debug)]
pub(super) enum AuditCommand {
    /// Decisions, notices' delivery and operators' actions of one prefecture, --from to --to
    /// (both days included, UTC), to --out or standard output.
    Export {
        /// Prefecture code (01–47) or name.
        #[arg(long)]
        prefecture: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: NaiveDate,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: NaiveDate,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(super) enum Format {
    /// UTF-8 with a BOM (Excel opens it as UTF-8), a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

pub(super) async fn audit(
    config: &Config,
    command: AuditCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let AuditCommand::Export { prefecture, from, to, format, out } = command;
    let prefecture: Prefecture = prefecture.parse()?;
    if to < from {
        return Err(format!("--to {to} is before --from {from}").into());
    }
    let storage = storage::open_current(&config.database).await?;
    let day = |d: NaiveDate| format!("{d}T00:00:00Z");
    let until = to.succ_opt().ok_or("--to is the last day there is")?;
    let rows = storage.audit_trail(&prefecture.code(), &day(from), &day(until)).await?;
    let mut sink: Box<dyn Write> = match &out {
        Some(path) => {
            Box::new(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    match format {
        Format::Csv => {
            sink.write_all("\u{feff}".as_bytes())?;
            let mut csv = csv::Writer::from_writer(sink);
            for row in &rows {
                csv.serialize(row)?;
            }
            csv.flush()?;
        }
        Format::Jsonl => {
            for row in &rows {
                writeln!(sink, "{}", serde_json::to_string(row)?)?;
            }
            sink.flush()?;
        }
    }
    log::info!("audit export of {}: {} rows", prefecture.code(), rows.len());
    Ok(())
}
