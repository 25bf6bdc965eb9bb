//! `civitac hub …`: commands run on the hub's own database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{CmdResult, Ctx, Failure};
use crate::i18n::Lang;
use crate::store::{Side, Store};
use crate::sync::ingest;

#[derive(Debug, Subcommand)]
pub enum HubCmd {
    /// Bring posts, flags, applications and uploads from the public platform
    /// (JSON lines; `-` reads standard input). Bad lines are reported and skipped.
    /// The hub database is `--db PATH` (created if missing).
    Ingest {
        /// The JSON-lines file.
        file: PathBuf,
        /// Hide a post pending review when it has this many open flags.
        #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_AUTO_HIDE)]
        auto_hide: i64,
    },
}

/// Opens a hub database, creating it if missing; a replica is refused.
fn open_hub(path: &Path, lang: Lang) -> Result<Store, Failure> {
    let store = if path.exists() {
        Store::open(path)?
    } else {
        Store::create(path, Side::Hub)?
    };
    if store.side()? != Side::Hub {
        return Err(Failure::new(match lang {
            Lang::Fr => format!(
                "{} : c'est un réplica, pas la base d'un hub",
                path.display()
            ),
            Lang::En => format!("{}: a replica, not a hub database", path.display()),
        }));
    }
    Ok(store)
}

pub fn run(ctx: &Ctx, cmd: HubCmd) -> CmdResult {
    let lang = ctx.lang;
    match cmd {
        HubCmd::Ingest { file, auto_hide } => {
            let db = ctx.db.clone().ok_or_else(|| {
                Failure::usage(lang.pick(
                    "indiquez la base du hub : --db CHEMIN",
                    "name the hub database: --db PATH",
                ))
            })?;
            if auto_hide < 1 {
                return Err(Failure::usage("--auto-hide must be at least 1"));
            }
            let mut store = open_hub(&db, lang)?;
            let name = file.display().to_string();
            let input: Box<dyn std::io::BufRead> = if name == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                let f =
                    std::fs::File::open(&file).map_err(|e| Failure::new(format!("{name}: {e}")))?;
                Box::new(std::io::BufReader::new(f))
            };
            let report = ingest::ingest(store.conn_mut(), input, auto_hide)
                .map_err(|e| Failure::new(format!("{}: {e}", db.display())))?;
            for (line, why) in &report.bad {
                eprintln!("{name}:{line}: {why}");
            }
            let r = &report;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{} messages, {} signalements, {} candidatures, {} publications ; {} déjà connus ; {} messages masqués automatiquement ; {} lignes rejetées",
                        r.posts,
                        r.flags,
                        r.applications,
                        r.uploads,
                        r.duplicates,
                        r.auto_hidden,
                        r.bad.len()
                    ),
                    Lang::En => format!(
                        "{} posts, {} flags, {} applications, {} uploads; {} already known; {} posts auto-hidden; {} bad lines",
                        r.posts,
                        r.flags,
                        r.applications,
                        r.uploads,
                        r.duplicates,
                        r.auto_hidden,
                        r.bad.len()
                    ),
                }
            );
            Ok(if report.bad.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
