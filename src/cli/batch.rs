//! Batch actions: one decision applied to many records (ids on the command line,
//! in a file, or every record a filter matches), through `ops::apply`, in one
//! transaction. All-or-nothing unless `--continue-on-error`; `--dry-run` runs
//! the very same checks and rolls back.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use rusqlite::Connection;

use super::{CmdResult, Ctx, Failure};
use crate::i18n::Lang;
use crate::ops::{self, decisions::Decision};
use crate::store::query::{Filters, QueryError};

/// Batches above this size ask for confirmation (or `--yes`).
pub const CONFIRM_ABOVE: usize = 20;

#[derive(Debug, Clone, Args)]
pub struct ActionArgs {
    /// Record ids.
    pub ids: Vec<String>,
    /// Read ids from a file, one a line (`-` for standard input); a CSV from
    /// `list --format csv` works too (first column, header skipped).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Select every record matching KEY=VALUE (the list's filters); repeatable.
    #[arg(long = "where", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Why (required to reject, suspend, request changes, hide, remove).
    #[arg(long)]
    pub reason: Option<String>,
    /// Do not have the person each decision affects told (the platform gets
    /// the decision without its notice).
    #[arg(long)]
    pub no_notify: bool,
    /// Show what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Apply what can be applied and report the rest (default: all or nothing).
    #[arg(long)]
    pub continue_on_error: bool,
    /// A batch of more than 20 records that is more than `batch_share_limit`
    /// percent of its table (config, default 20) needs this besides --yes.
    #[arg(long)]
    pub all_matching: bool,
}

/// The share of a table a `--where` may select without `--all-matching`.
pub const SHARE_LIMIT_PERCENT: u32 = 20;

/// Finds the ids of every record matching filters (for `--where`).
pub type SelectIds<'a> = &'a dyn Fn(&Connection, &Filters) -> Result<Vec<String>, QueryError>;

pub fn run(ctx: &Ctx, args: &ActionArgs, decision: &Decision, select: SelectIds<'_>) -> CmdResult {
    let lang = ctx.lang;
    let mut store = ctx.open()?;
    let actor = store.owner()?.ok_or_else(|| {
        Failure::new(lang.pick(
            "ce réplica n'appartient à personne : impossible de décider en son nom",
            "this replica belongs to nobody: no one to decide as",
        ))
    })?;
    // A reason that cannot hold is said once, before any record is read.
    match args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => ops::plain("reason", r, ops::MAX_REASON)
            .map_err(|e| Failure::usage(format!("--reason: {}", e.message(lang))))?,
        None if decision.needs_reason() => {
            return Err(Failure::usage(match lang {
                Lang::Fr => format!(
                    "{} : un motif est obligatoire (--reason)",
                    crate::text::capitalise(decision.verb().0)
                ),
                Lang::En => format!(
                    "{}: a reason is required (--reason)",
                    crate::text::capitalise(decision.verb().1)
                ),
            }));
        }
        None => {}
    }
    let ids = collect_ids(store.conn(), store.path(), lang, args, select)?;
    if ids.is_empty() {
        eprintln!(
            "{}",
            lang.pick(
                "aucun enregistrement sélectionné ; rien à faire",
                "no record selected; nothing to do"
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    // However the records were chosen (a filter, a file, ids): most of a
    // table at once is said explicitly. Small batches never ask.
    if ids.len() > CONFIRM_ABOVE && !args.all_matching && !args.dry_run {
        let total: i64 = store.sql(|c| {
            c.query_row(
                &format!("SELECT count(*) FROM {}", decision.table()),
                [],
                |r| r.get(0),
            )
        })?;
        let limit = u64::from(ctx.batch_share_limit);
        if (ids.len() as u64) * 100 > limit * (total.max(0) as u64) {
            return Err(Failure::usage(match lang {
                Lang::Fr => format!(
                    "ce lot touche {} enregistrements sur {total}, plus de {limit} % : vérifiez la sélection, puis ajoutez --all-matching si c'est voulu ; rien n'a été modifié",
                    ids.len()
                ),
                Lang::En => format!(
                    "this batch selects {} of {total} records, more than {limit}%: check the selection, then add --all-matching if that is meant; nothing was changed",
                    ids.len()
                ),
            }));
        }
    }
    if ids.len() > CONFIRM_ABOVE && !args.yes && !args.dry_run {
        confirm(lang, ids.len(), decision.verb())?;
    }

    let clock = std::time::Instant::now();
    let tx = store.transaction()?;
    let reason = args.reason.as_deref();
    let outcome = ops::decisions::apply_batch(
        &tx,
        &actor,
        decision,
        &ids,
        reason,
        ops::decisions::Mode {
            isolate: args.continue_on_error,
            quiet: args.no_notify,
        },
        lang,
    );
    if let Some(why) = outcome.storage {
        // The database failed (a full disk, a read-only file): whatever was
        // applied so far goes with the transaction. One line, nothing changed.
        drop(tx);
        return Err(Failure::new(match lang {
            Lang::Fr => format!(
                "{}: {why} ; arrêt au bout de {} sur {} : rien n'a été modifié",
                store.path().display(),
                outcome.applied.len() + outcome.failed.len(),
                ids.len()
            ),
            Lang::En => format!(
                "{}: {why}; stopped after {} of {}: nothing was changed",
                store.path().display(),
                outcome.applied.len() + outcome.failed.len(),
                ids.len()
            ),
        }));
    }
    let hidden_posts = outcome.hidden_posts;
    let said = outcome.counted(decision, lang);
    let (applied, failed) = (outcome.applied, outcome.failed);
    for (id, why) in &failed {
        eprintln!(
            "{id}: {}",
            crate::text::truncate(&crate::text::inline(why), 300)
        );
    }
    let (verb_fr, verb_en) = decision.verb();
    if !failed.is_empty() && !args.continue_on_error {
        drop(tx);
        return Err(Failure::new(match lang {
            Lang::Fr => format!(
                "{} sur {} ne {} pas être {} : rien n'a été modifié (--continue-on-error applique le reste)",
                failed.len(),
                decision.noun(ids.len(), lang),
                if failed.len() > 1 { "peuvent" } else { "peut" },
                decision.participle(failed.len(), lang)
            ),
            Lang::En => format!(
                "{} of {} cannot be {}: nothing was changed (--continue-on-error applies the rest)",
                failed.len(),
                decision.noun(ids.len(), lang),
                decision.participle(failed.len(), lang)
            ),
        }));
    }
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        let list = match decision.entity() {
            "organization" => "enrollments",
            "upload" => "uploads",
            "forum_post" => "forum",
            "citizen" => "citizens",
            "forum_thread" => "threads",
            _ => "sms",
        };
        for (id, status, label) in &applied {
            // The state it was in, in words.
            let status = crate::i18n::values::column_word(list, "status", status, lang)
                .unwrap_or_else(|| crate::text::inline(status));
            let _ = writeln!(
                out,
                "{}  {id}  {}  ({status})",
                lang.pick(verb_fr, verb_en),
                crate::text::inline(label)
            );
        }
        drop(tx);
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::Fr => format!(
                    "simulation : {} {} {}{} ; rien n'a été modifié",
                    decision.noun(applied.len(), lang),
                    if applied.len() > 1 {
                        "seraient"
                    } else {
                        "serait"
                    },
                    decision.participle(applied.len(), lang),
                    also_hidden(hidden_posts, lang)
                ),
                Lang::En => format!(
                    "dry run: {} would be {}{}; nothing was changed",
                    decision.noun(applied.len(), lang),
                    decision.participle(applied.len(), lang),
                    also_hidden(hidden_posts, lang)
                ),
            }
        );
    } else {
        tx.commit().map_err(|e| {
            Failure::new(format!(
                "{}: {e}; {}",
                store.path().display(),
                lang.pick("rien n'a été modifié", "nothing was changed")
            ))
        })?;
        tracing::info!(
            count = applied.len(),
            failed = failed.len(),
            verb = verb_en,
            seconds = clock.elapsed().as_secs_f64(),
            "batch committed"
        );
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::Fr => {
                    let waiting = pending(&store);
                    format!(
                        "{said} ({waiting} {} en attente de synchro)",
                        if waiting > 1 {
                            "opérations"
                        } else {
                            "opération"
                        }
                    )
                }
                Lang::En => format!("{said} ({} ops waiting for sync)", pending(&store)),
            }
        );
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// ", et 12 messages masqués": the posts a sanction hid with its authors.
fn also_hidden(n: usize, lang: Lang) -> String {
    if n == 0 {
        return String::new();
    }
    let hide = Decision::Moderate(crate::domain::forum::PostAction::Hide);
    match lang {
        Lang::Fr => format!(
            ", et {} {}",
            hide.noun(n, lang),
            if n > 1 { "masqués" } else { "masqué" }
        ),
        Lang::En => format!(", and {} hidden", hide.noun(n, lang)),
    }
}

fn pending(store: &crate::store::Store) -> i64 {
    store
        .sql(|c| {
            c.query_row(
                "SELECT count(*) FROM outbox WHERE pushed_at IS NULL",
                [],
                |r| r.get(0),
            )
        })
        .unwrap_or(0)
}

fn collect_ids(
    conn: &Connection,
    db: &std::path::Path,
    lang: Lang,
    args: &ActionArgs,
    select: SelectIds<'_>,
) -> Result<Vec<String>, Failure> {
    if args.ids.is_empty() && args.from.is_none() && args.filters.is_empty() {
        return Err(Failure::usage(lang.pick(
            "indiquez les enregistrements : des ids, --from FICHIER ou --where CLÉ=VALEUR",
            "say which records: ids, --from FILE or --where KEY=VALUE",
        )));
    }
    let mut ids: Vec<String> = Vec::new();
    for (i, id) in args.ids.iter().enumerate() {
        check_id(id, lang).map_err(|why| {
            Failure::usage(format!(
                "{} {}: {why}",
                lang.pick("argument", "argument"),
                i + 1
            ))
        })?;
        ids.push(crate::store::query::normalise_id(id));
    }
    if let Some(path) = &args.from {
        ids.extend(read_ids(path, lang)?);
    }
    if !args.filters.is_empty() {
        let mut filters = Filters::default();
        for f in &args.filters {
            filters
                .push_where(f)
                .map_err(|e| Failure::usage(format!("--where {f}: {}", e.message(lang))))?;
        }
        ids.extend(select(conn, &filters).map_err(|e| match e {
            // A filter the user must fix; anything else is the database failing.
            QueryError::Filter(f) => Failure::usage(f.message(lang)),
            other => Failure::new(other.to_string()).in_file(db),
        })?);
    }
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    ids.retain(|id| seen.insert(id.clone()));
    Ok(ids)
}

fn check_id(id: &str, lang: Lang) -> Result<(), String> {
    uuid::Uuid::parse_str(id).map(drop).map_err(|_| {
        let shown = crate::text::truncate(&crate::text::inline(id), 60);
        match lang {
            Lang::Fr => format!("« {shown} » n'est pas un identifiant d'enregistrement"),
            Lang::En => format!("\"{shown}\" is not a record id"),
        }
    })
}

/// Reads ids one a line (first field of a CSV line); blank lines, `#` comments
/// and an `id` header are skipped. A bad line is named with its number.
fn read_ids(path: &std::path::Path, lang: Lang) -> Result<Vec<String>, Failure> {
    let name = path.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(|e| Failure::new(format!("{name}: {e}")))?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut ids = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Failure::new(format!("{name}:{}: {e}", n + 1)))?;
        // A file saved by a spreadsheet or Notepad starts with a BOM.
        let line = if n == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line.as_str()
        };
        let first = line
            .split([',', ';', '\t', ' '])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if first.is_empty() || first.starts_with('#') || (n == 0 && first == "id") {
            continue;
        }
        check_id(first, lang).map_err(|why| {
            Failure::new(format!(
                "{name}:{}: {why}{}",
                n + 1,
                lang.pick(" ; rien n'a été modifié", "; nothing was changed")
            ))
        })?;
        ids.push(crate::store::query::normalise_id(first));
    }
    Ok(ids)
}

fn confirm(lang: Lang, n: usize, verb: (&str, &str)) -> Result<(), Failure> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !interactive {
        return Err(Failure::new(match lang {
            Lang::Fr => format!(
                "{n} enregistrements : confirmez avec --yes (pas de terminal pour demander)"
            ),
            Lang::En => format!("{n} records: confirm with --yes (no terminal to ask on)"),
        }));
    }
    eprint!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "{} {n} enregistrements ? [o/N] ",
                crate::text::capitalise(verb.0)
            ),
            Lang::En => format!("{} {n} records? [y/N] ", crate::text::capitalise(verb.1)),
        }
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::new(e.to_string()))?;
    if matches!(
        answer.trim().to_lowercase().as_str(),
        "o" | "oui" | "y" | "yes"
    ) {
        Ok(())
    } else {
        Err(Failure::new(lang.pick(
            "abandon : rien n'a été modifié",
            "cancelled: nothing was changed",
        )))
    }
}

/// Applies ops made from one command (a new organisation, a leader met and
/// the stage it moves to) in one transaction, as one batch: all or nothing.
/// With `dry_run`, the same checks run and everything is rolled back.
pub fn apply_ops(ctx: &Ctx, ops: &[ops::Op], dry_run: bool) -> Result<Vec<ops::Applied>, Failure> {
    let lang = ctx.lang;
    let mut store = ctx.open()?;
    let actor = store.owner()?.ok_or_else(|| {
        Failure::new(lang.pick(
            "ce réplica n'appartient à personne : impossible de décider en son nom",
            "this replica belongs to nobody: no one to decide as",
        ))
    })?;
    let path = store.path().to_owned();
    let tx = store.transaction()?;
    let batch = (ops.len() > 1).then(|| uuid::Uuid::now_v7().to_string());
    let mut applied = Vec::new();
    for op in ops {
        let meta = ops::OpMeta {
            batch: batch.clone(),
            ..ops::OpMeta::now()
        };
        match ops::apply_with(&tx, &actor, op, &meta) {
            Ok(a) => applied.push(a),
            Err(e) => {
                let why = crate::text::truncate(&crate::text::inline(&e.message(lang)), 300);
                return Err(if e.is_storage() {
                    Failure::new(format!(
                        "{}: {why}; {}",
                        path.display(),
                        lang.pick("rien n'a été modifié", "nothing was changed")
                    ))
                } else {
                    Failure::new(format!(
                        "{why}{}",
                        lang.pick(" ; rien n'a été modifié", "; nothing was changed")
                    ))
                });
            }
        }
    }
    if dry_run {
        drop(tx);
    } else {
        tx.commit().map_err(|e| {
            Failure::new(format!(
                "{}: {e}; {}",
                path.display(),
                lang.pick("rien n'a été modifié", "nothing was changed")
            ))
        })?;
    }
    Ok(applied)
}
