//! `civitac bundle export|import` (a replica) and `civitac hub bundle
//! import` (the hub): a sync carried on a USB stick.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{CmdResult, Ctx, Failure};
use crate::i18n::Lang;
use crate::replica::bundle as replica_bundle;

#[derive(Debug, Subcommand)]
pub enum BundleCmd {
    /// Write this replica's unsynced decisions (and where it stands) into
    /// one signed file, for the hub: `civitac hub bundle import`.
    Export {
        /// The bundle to write (replaced if it exists).
        file: PathBuf,
        /// Print what was written as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Apply the hub's answer to a bundle: outcomes, then what changed.
    Import {
        /// The answer written by `civitac hub bundle import … --answer FILE`.
        file: PathBuf,
        /// Print what was done as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum HubBundleCmd {
    /// Apply a replica's bundle as a push, and write the answer it takes home.
    Import {
        /// The bundle from `civitac bundle export`.
        file: PathBuf,
        /// Where the answer goes (replaced if it exists).
        #[arg(long, value_name = "FILE")]
        answer: PathBuf,
        /// Print what was done as JSON.
        #[arg(long)]
        json: bool,
        /// The hub's files folder (default: files/ beside a SQLite hub;
        /// required with PostgreSQL: its secrets sit beside it).
        #[arg(long, value_name = "DIR")]
        files: Option<PathBuf>,
    },
}

/// The bundle at `path` (never the database `db`).
fn read(path: &Path, db: &Path) -> Result<Vec<u8>, Failure> {
    replica_bundle::read_file(path, db).map_err(|e| in_file(path, e))
}

fn in_file(path: &Path, e: std::io::Error) -> Failure {
    Failure::new(format!("{}: {e}", path.display()))
}

pub const NO_KEY_FR: &str = "ce réplica n'a pas encore de clé de paquet : reconnectez-le une fois là où il y a une liaison (`civitac login`)";
pub const NO_KEY_EN: &str =
    "this replica has no bundle key yet: log it in once where there is a link (`civitac login`)";

pub fn run(ctx: &Ctx, cmd: BundleCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut store = ctx.open()?;
    let creds = super::sync::credentials(ctx, &store)?;
    let key = creds
        .bundle_key
        .clone()
        .ok_or_else(|| Failure::new(lang.pick(NO_KEY_FR, NO_KEY_EN)))?;
    match cmd {
        BundleCmd::Export { file, json } => {
            let (bytes, done) = replica_bundle::export(store.conn(), &key)
                .map_err(|e| Failure::new(e.to_string()))?;
            replica_bundle::write_whole(&file, &bytes, store.path())
                .map_err(|e| in_file(&file, e))?;
            replica_bundle::noted(store.conn(), &done, &file)
                .map_err(|e| Failure::new(e.to_string()))?;
            if json {
                println!("{}", serde_json::to_string(&done).unwrap_or_default());
            } else {
                let (ops, bytes, at_hub, answer) = match lang {
                    Lang::Fr => (("opération", "opérations"), "octets", "au hub", "RÉPONSE"),
                    Lang::En => (("op", "ops"), "bytes", "at the hub", "ANSWER"),
                };
                println!(
                    "{}{}{}, {} {bytes}{}{at_hub}{}civitac hub bundle import {} --answer {answer}",
                    file.display(),
                    lang.colon(),
                    crate::i18n::counted(lang, done.ops as i64, ops.0, ops.1),
                    crate::i18n::values::count(done.bytes as f64, lang),
                    lang.pick(" ; ", "; "),
                    lang.colon(),
                    file.display()
                );
            }
        }
        BundleCmd::Import { file, json } => {
            let bytes = read(&file, store.path())?;
            let done = replica_bundle::import(store.conn_mut(), &key, &bytes, ctx.keep_pushed_days)
                .map_err(|e| Failure::new(e.to_string()).in_file(&file))?;
            if json {
                println!("{}", serde_json::to_string(&done).unwrap_or_default());
            } else if done.already {
                println!(
                    "{}{}{}",
                    file.display(),
                    lang.colon(),
                    lang.pick(
                        "réponse déjà importée ; rien n'a changé",
                        "answer already imported; nothing changed"
                    )
                );
            } else {
                let c = |n: usize, fr: (&str, &str), en: (&str, &str)| {
                    let n = n as i64;
                    match lang {
                        Lang::Fr => crate::i18n::counted(lang, n, fr.0, fr.1),
                        Lang::En => crate::i18n::counted(lang, n, en.0, en.1),
                    }
                };
                let semi = lang.pick(" ; ", "; ");
                println!(
                    "{}{}{}, {}, {}, {}{semi}{}{semi}{}",
                    file.display(),
                    lang.colon(),
                    c(
                        done.applied,
                        ("appliquée", "appliquées"),
                        ("applied", "applied")
                    ),
                    c(
                        done.duplicate,
                        ("déjà connue", "déjà connues"),
                        ("already known", "already known")
                    ),
                    c(
                        done.conflict,
                        ("conflit", "conflits"),
                        ("conflict", "conflicts")
                    ),
                    c(
                        done.rejected,
                        ("refusée", "refusées"),
                        ("rejected", "rejected")
                    ),
                    c(
                        done.pulled,
                        ("ligne reçue", "lignes reçues"),
                        ("row received", "rows received")
                    ),
                    c(
                        done.pending,
                        ("opération en attente", "opérations en attente"),
                        ("op waiting", "ops waiting")
                    ),
                );
                if done.hub_restored {
                    eprintln!(
                        "{}",
                        lang.pick(
                            "le hub a été restauré depuis une sauvegarde : les opérations qu'il a perdues partiront dans le prochain paquet",
                            "the hub was restored from a backup: the ops it lost go in the next bundle"
                        )
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `civitac hub bundle import FILE --answer FILE`.
pub fn hub_import(
    ctx: &Ctx,
    db: &Path,
    files: Option<PathBuf>,
    file: &Path,
    answer: &Path,
    json: bool,
) -> CmdResult {
    let lang = ctx.lang;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if same(file, answer) {
        return Err(Failure::usage(lang.pick(
            "--answer doit nommer un autre fichier que le paquet",
            "--answer must name another file than the bundle",
        )));
    }
    let bytes = read(file, db)?;
    // The answer must be writable before any op is applied.
    replica_bundle::may_write(answer, db).map_err(|e| in_file(answer, e))?;
    let backend: Box<dyn crate::hub::backend::HubBackend> = match super::hubdb::url_of(db) {
        Some(url) => {
            let files = files.ok_or_else(|| {
                Failure::usage(lang.pick(
                    "avec PostgreSQL, indiquez le dossier des fichiers du hub : --files DOSSIER",
                    "with PostgreSQL, name the hub's files folder: --files DIR",
                ))
            })?;
            Box::new(
                crate::hub::pg::PgHub::open(&url, files, crate::hub::ingest::DEFAULT_AUTO_HIDE, 1)
                    .map_err(|e| Failure::new(e.to_string()))?,
            )
        }
        None => Box::new(
            crate::hub::backend::SqliteHub::open(
                db,
                files.unwrap_or_else(|| crate::hub::backend::default_files_dir(db)),
                crate::hub::ingest::DEFAULT_AUTO_HIDE,
            )
            .map_err(|e| Failure::new(e.message(lang)))?,
        ),
    };
    let (answer_bytes, done) = crate::hub::bundle::import(backend.as_ref(), &bytes)
        .map_err(|e| Failure::new(e.to_string()).in_file(file))?;
    replica_bundle::write_whole(answer, &answer_bytes, db).map_err(|e| in_file(answer, e))?;
    if json {
        println!("{}", serde_json::to_string(&done).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let who = format!(
        "{} ({})",
        crate::text::inline(&done.login),
        crate::text::inline(&done.device)
    );
    println!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "{who} : {} sur {} appliquées, {} déjà connues, {} en conflit, {} refusées ; réponse : {} ({}) ; au réplica : civitac bundle import {}",
                done.applied,
                done.ops,
                done.duplicate,
                done.conflict,
                done.rejected,
                answer.display(),
                crate::i18n::counted(lang, done.rows as i64, "ligne", "lignes"),
                answer.display()
            ),
            Lang::En => format!(
                "{who}: {} of {} applied, {} already known, {} in conflict, {} rejected; answer: {} ({}); at the replica: civitac bundle import {}",
                done.applied,
                done.ops,
                done.duplicate,
                done.conflict,
                done.rejected,
                answer.display(),
                crate::i18n::counted(lang, done.rows as i64, "row", "rows"),
                answer.display()
            ),
        }
    );
    Ok(ExitCode::SUCCESS)
}
