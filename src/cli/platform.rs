//! `civitac hub words|webhook|templates`: what the hub tells the public
//! platform and watches for in what it sends.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::hubdb::HubDb;
use super::{CmdResult, Complaints, Failure};
use crate::hub::words::{self, Match, WordAction};
use crate::i18n::Lang;
use crate::store::sql::DbError;
use crate::text::inline;

#[derive(Debug, Subcommand)]
pub enum TemplatesCmd {
    /// Every notice template, by decision kind and language.
    List,
    /// Change the notice for a decision kind (replicas get it at their next
    /// sync). Placeholders: {date} {reason} {until} {title} {name}.
    Edit {
        /// The decision kind, e.g. post.hidden.
        kind: String,
        /// fr or en.
        #[arg(value_name = "LANG")]
        language: String,
        /// The new text.
        #[arg(long, value_name = "TEXT", conflicts_with = "from")]
        text: Option<String>,
        /// Read the new text from a file (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
    },
}

/// A small file (`-`: standard input) read whole, refused past `max` bytes
/// (`/dev/zero` is a file too).
fn read_capped(path: &Path, max: u64) -> Result<String, Failure> {
    use std::io::Read;
    let name = inline(&path.display().to_string());
    let mut reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| Failure::new(format!("{name}: {e}")))?)
    };
    let mut bytes = Vec::new();
    reader
        .by_ref()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::new(format!("{name}: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Failure::usage(format!("{name}: over {max} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{name}: not UTF-8 text")))
}

/// The longest notice template, in characters (an SMS is 160).
const MAX_TEMPLATE: usize = 500;

pub fn templates(hub: &mut HubDb, lang: Lang, cmd: TemplatesCmd) -> CmdResult {
    let name = hub.name();
    use crate::store::notices;
    let sql = |e: DbError| Failure::new(format!("{name}: {e}"));
    match cmd {
        TemplatesCmd::List => {
            for t in notices::templates(hub.sql()).map_err(sql)? {
                let (kind, l, body) = (t.kind, t.lang, t.body);
                let changed = t
                    .updated_at
                    .map(|u| format!("  ({} {u})", lang.pick("modifié le", "changed")))
                    .unwrap_or_default();
                println!("{kind:<26} {l}  {}{changed}", inline(&body));
            }
        }
        TemplatesCmd::Edit {
            kind,
            language: which,
            text,
            from,
        } => {
            let kind = kind.trim().to_owned();
            let which = which.trim().to_ascii_lowercase();
            if which != "fr" && which != "en" {
                return Err(Failure::usage("LANG: fr or en"));
            }
            let body = match (text, from) {
                (Some(t), _) => t,
                (None, Some(f)) => read_capped(&f, 64 * 1024)?,
                (None, None) => {
                    return Err(Failure::usage(lang.pick(
                        "donnez le texte : --text TEXTE ou --from FICHIER",
                        "give the text: --text TEXT or --from FILE",
                    )));
                }
            };
            let body = body.trim();
            if body.is_empty() || body.chars().count() > MAX_TEMPLATE {
                return Err(Failure::usage(format!(
                    "{}: 1 to {MAX_TEMPLATE} characters",
                    inline(&kind)
                )));
            }
            // What the author reads: one line of plain prose, like a reason.
            if let Some((at, c)) = crate::text::first_unplain_prose(body) {
                return Err(Failure::usage(match lang {
                    Lang::Fr => format!(
                        "caractère U+{:04X} en position {} : le texte tient sur une ligne, sans caractère de contrôle, bidi ou invisible",
                        c as u32,
                        at + 1
                    ),
                    Lang::En => format!(
                        "character U+{:04X} at position {}: the text is one line, without control, bidi or invisible characters",
                        c as u32,
                        at + 1
                    ),
                }));
            }
            let unknown = notices::unknown_placeholders(body);
            if !unknown.is_empty() {
                return Err(Failure::usage(format!(
                    "{} {} ({})",
                    lang.pick("inconnu(s) :", "unknown:"),
                    inline(&unknown.join(" ")),
                    notices::PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )));
            }
            let now = crate::time::now();
            let written = hub.write(|tx| -> Result<Result<(), Vec<String>>, DbError> {
                let n = tx.execute(
                    "UPDATE notice_templates SET body = ?3, updated_at = ?4 WHERE kind = ?1 AND lang = ?2",
                    (kind.as_str(), which.as_str(), body, now.as_str()),
                )?;
                if n == 0 {
                    return Ok(Err(notices::templates(tx)?
                        .into_iter()
                        .map(|t| t.kind)
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect()));
                }
                // Replicas get it at their next sync: the console shows it.
                crate::ops::record_change(tx, "notice_template", &format!("{kind}/{which}"))?;
                Ok(Ok(()))
            });
            if let Err(kinds) = written.map_err(sql)? {
                return Err(Failure::usage(format!(
                    "{} \"{}\" ({})",
                    lang.pick("pas de modèle pour", "no template for"),
                    inline(&kind),
                    kinds.join(", ")
                )));
            }
            let sample = crate::store::notices::render(
                body,
                &crate::store::notices::Vars {
                    date: Some(crate::time::now()),
                    reason: Some(lang.pick("propos injurieux", "abusive language").into()),
                    until: Some(crate::time::now()),
                    title: Some("Budget 2026".into()),
                    name: Some("Mairie de Kaya".into()),
                },
                if which == "fr" { Lang::Fr } else { Lang::En },
                jiff::Timestamp::now(),
            );
            println!("{} {sample}", lang.pick("exemple :", "example:"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// POST the decision feed to URL, signed with the secret in FILE.
    Add {
        url: String,
        /// A file holding the shared secret (at least 16 bytes; never on the
        /// command line, where `ps` shows it).
        #[arg(long, value_name = "FILE")]
        secret_from: PathBuf,
        /// Only these decision kinds, comma-separated (`post.*` for a family).
        #[arg(long, value_name = "KINDS")]
        events: Option<String>,
        /// Deliver the whole feed from its start, not only what follows.
        #[arg(long)]
        from_start: bool,
    },
    /// Each webhook: position, backlog, failures and the last error.
    List,
    /// Stop delivering to a webhook.
    Remove { id: String },
    /// Deliver again to a paused webhook, from where it stopped.
    Resume { id: String },
}

fn show_webhook(conn: &dyn crate::store::sql::Sql, lang: Lang, w: &crate::hub::webhooks::Webhook) {
    let backlog = crate::hub::webhooks::backlog(conn, w, 10_000)
        .map(|n| {
            if n >= 10_000 {
                "10000+".to_owned()
            } else {
                n.to_string()
            }
        })
        .unwrap_or_else(|_| "?".into());
    let state = match (&w.paused_at, &w.failing_since) {
        (Some(at), _) => format!("{} {at}", lang.pick("EN PAUSE depuis", "PAUSED since")),
        (None, Some(since)) => format!(
            "{} {since}, {} {}, {} {}",
            lang.pick("en échec depuis", "failing since"),
            w.attempts,
            lang.pick("essais", "attempts"),
            lang.pick("prochain", "next"),
            w.next_at.as_deref().unwrap_or("-")
        ),
        (None, None) => lang.pick("ok", "ok").to_owned(),
    };
    println!("{}  {}", w.id, crate::hub::webhooks::shown_url(&w.url));
    println!(
        "    {} {}  {} {}  {} {}  {state}",
        lang.pick("livrées", "delivered"),
        w.delivered,
        lang.pick("en attente", "backlog"),
        backlog,
        lang.pick("position", "position"),
        w.position
    );
    if let Some(events) = &w.events {
        println!(
            "    {} {}",
            lang.pick("événements", "events"),
            inline(events)
        );
    }
    if let Some(e) = &w.last_error {
        println!(
            "    {} {}",
            lang.pick("dernière erreur :", "last error:"),
            inline(e)
        );
    }
}

pub fn webhook(hub: &HubDb, lang: Lang, cmd: WebhookCmd) -> CmdResult {
    use crate::hub::webhooks;
    let conn = hub.sql();
    let name = hub.name();
    let fail = |e: webhooks::WebhookError| Failure::new(format!("{name}: {e}"));
    match cmd {
        WebhookCmd::Add {
            url,
            secret_from,
            events,
            from_start,
        } => {
            let secret = read_capped(&secret_from, 1024)?;
            let secret = secret.trim().as_bytes();
            let w =
                webhooks::add(conn, &url, secret, events.as_deref(), from_start).map_err(|e| {
                    match e {
                        webhooks::WebhookError::Sqlite(_) => fail(e),
                        other => Failure::usage(other.to_string()),
                    }
                })?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "webhook {} : les décisions après la position {} iront à {} (signature HMAC-SHA256 dans l'en-tête {})",
                        w.id,
                        w.position,
                        webhooks::shown_url(&w.url),
                        webhooks::SIGNATURE_HEADER
                    ),
                    Lang::En => format!(
                        "webhook {}: decisions after position {} go to {} (HMAC-SHA256 signature in the {} header)",
                        w.id,
                        w.position,
                        webhooks::shown_url(&w.url),
                        webhooks::SIGNATURE_HEADER
                    ),
                }
            );
        }
        WebhookCmd::List => {
            let list = webhooks::list(conn).map_err(fail)?;
            if list.is_empty() {
                eprintln!(
                    "{}",
                    lang.pick(
                        "aucun webhook (civitac hub webhook add URL --secret-from FICHIER)",
                        "no webhooks (civitac hub webhook add URL --secret-from FILE)"
                    )
                );
            }
            for w in &list {
                show_webhook(conn, lang, w);
            }
            // Platforms that read the feed themselves acknowledge by reading.
            let readers = crate::hub::decisions::readers(conn).map_err(|e| fail(e.into()))?;
            for (name, position, at) in readers {
                let waiting = webhooks::waiting(conn, position, None, 10_000)
                    .map(|n| {
                        if n >= 10_000 {
                            "10000+".to_owned()
                        } else {
                            n.to_string()
                        }
                    })
                    .unwrap_or_else(|_| "?".into());
                println!(
                    "{} {}  {} {position} ({})  {} {waiting}",
                    lang.pick("flux lu par la plateforme", "feed read by platform"),
                    inline(&name),
                    lang.pick("confirmé jusqu'à", "acknowledged up to"),
                    at.as_deref().unwrap_or("-"),
                    lang.pick("en attente", "backlog"),
                );
            }
        }
        WebhookCmd::Remove { id } => {
            let w = webhooks::remove(conn, &id).map_err(fail)?;
            println!(
                "{} {} ({})",
                lang.pick("webhook retiré :", "webhook removed:"),
                w.id,
                webhooks::shown_url(&w.url)
            );
        }
        WebhookCmd::Resume { id } => {
            let w = webhooks::resume(conn, &id).map_err(fail)?;
            show_webhook(conn, lang, &w);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum WordsCmd {
    /// Watch for a word (`forag*`: any word starting so; several words: a
    /// phrase). Accents and case are ignored.
    Add {
        /// The word, prefix or phrase.
        word: String,
        /// hold (hidden until a moderator decides), flag (into the queue) or
        /// reject (removed at ingest).
        #[arg(long, value_name = "ACTION", default_value = "hold")]
        action: String,
        /// word, prefix or phrase (default: read from how it is typed).
        #[arg(long = "match", value_name = "KIND")]
        kind: Option<String>,
    },
    /// Stop watching for a word.
    Remove { word: String },
    /// The watched words.
    List,
    /// Add words from a CSV file: word[,action[,match]] per line (a first
    /// line `word,…` or `mot,…` is a header). All or nothing.
    Import { file: PathBuf },
}

fn parse_action(s: &str) -> Result<WordAction, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("action \"{}\": hold, flag or reject", inline(s)))
}

fn parse_match(s: &str) -> Result<Option<Match>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim()
        .parse()
        .map(Some)
        .map_err(|_| format!("match \"{}\": word, prefix or phrase", inline(s)))
}

/// A word as each language quotes it: « mot » / "word".
fn quoted(lang: Lang, s: &str) -> String {
    match lang {
        Lang::Fr => format!("« {s} »"),
        Lang::En => format!("\"{s}\""),
    }
}

fn action_word(lang: Lang, a: WordAction) -> &'static str {
    match a {
        WordAction::Hold => lang.pick("retenir", "hold"),
        WordAction::Flag => lang.pick("signaler", "flag"),
        WordAction::Reject => lang.pick("rejeter", "reject"),
    }
}

fn match_word(lang: Lang, m: Match) -> &'static str {
    match m {
        Match::Word => lang.pick("mot entier", "whole word"),
        Match::Prefix => lang.pick("début de mot", "prefix"),
        Match::Phrase => lang.pick("expression", "phrase"),
    }
}

pub fn words(hub: &mut HubDb, lang: Lang, cmd: WordsCmd) -> CmdResult {
    let hub_name = hub.name();
    let fail = |e: words::WordError| Failure::new(format!("{hub_name}: {e}"));
    match cmd {
        WordsCmd::Add { word, action, kind } => {
            let action = parse_action(&action).map_err(Failure::usage)?;
            let kind = parse_match(kind.as_deref().unwrap_or("")).map_err(Failure::usage)?;
            let w = words::parse(&word, kind, action).map_err(|e| Failure::usage(e.to_string()))?;
            if let Some(was) = hub.write(|tx| words::add(tx, &w)).map_err(fail)? {
                println!(
                    "{} {} ({}, {})",
                    lang.pick("remplace", "replaces"),
                    quoted(lang, &was.shown),
                    match_word(lang, was.kind),
                    action_word(lang, was.action)
                );
            }
            println!(
                "{} {} ({}){} {}",
                quoted(lang, &w.shown),
                lang.pick("surveillé", "watched"),
                match_word(lang, w.kind),
                lang.pick(" :", ":"),
                action_word(lang, w.action)
            );
        }
        WordsCmd::Remove { word } => {
            hub.write(|tx| words::remove(tx, &word)).map_err(fail)?;
            println!(
                "{} {}",
                quoted(lang, &inline(word.trim())),
                lang.pick("n'est plus surveillé", "is no longer watched")
            );
        }
        WordsCmd::List => {
            let list = words::list(hub.sql()).map_err(|e| fail(e.into()))?;
            if list.is_empty() {
                eprintln!(
                    "{}",
                    lang.pick(
                        "aucun mot surveillé (civitac hub words add MOT)",
                        "no watched words (civitac hub words add WORD)"
                    )
                );
            }
            for w in list {
                println!(
                    "{:<30} {:<14} {:<10} {}",
                    crate::text::truncate(&inline(&w.shown), 30),
                    match_word(lang, w.kind),
                    action_word(lang, w.action),
                    w.created_at.get(..10).unwrap_or(&w.created_at)
                );
            }
        }
        WordsCmd::Import { file } => {
            let name = inline(&file.display().to_string());
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .trim(csv::Trim::All)
                .from_path(&file)
                .map_err(|e| Failure::new(format!("{name}: {e}")))?;
            let mut entries: Vec<words::Watched> = Vec::new();
            // A word given twice (once folded): the later line wins, said.
            let mut first_line: std::collections::HashMap<String, u64> = Default::default();
            let mut repeats = Vec::new();
            let mut complaints = Complaints::new();
            let mut bad = 0;
            for (i, record) in reader.records().enumerate() {
                let record = match record {
                    Ok(r) => r,
                    Err(e) => {
                        bad += 1;
                        let line = e.position().map_or(i as u64 + 1, |p| p.line());
                        complaints.say(&format!("{name}:{line}: {e}"));
                        continue;
                    }
                };
                // The file's line, not the record's number (a quoted cell may
                // span lines, blank lines are skipped).
                let line = record.position().map_or(i as u64 + 1, |p| p.line());
                let cell = |n: usize| record.get(n).unwrap_or("").trim_start_matches('\u{feff}');
                let first = cell(0).to_lowercase();
                if i == 0 && (first == "word" || first == "mot") {
                    continue;
                }
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let entry = (|| {
                    let action = match cell(1) {
                        "" => WordAction::Hold,
                        a => parse_action(a)?,
                    };
                    let kind = parse_match(cell(2))?;
                    words::parse(cell(0), kind, action).map_err(|e| e.to_string())
                })();
                match entry {
                    Ok(w) => {
                        if let Some(earlier) = first_line.insert(w.word.clone(), line) {
                            repeats.push(format!(
                                "{name}:{line}: {} {} {earlier}",
                                quoted(lang, &w.shown),
                                lang.pick("remplace la ligne", "replaces line")
                            ));
                            entries.retain(|e| e.word != w.word);
                        }
                        entries.push(w)
                    }
                    Err(why) => {
                        bad += 1;
                        complaints.say(&format!("{name}:{line}: {why}"));
                    }
                }
            }
            complaints.finish(lang);
            if bad > 0 {
                return Err(Failure::new(match lang {
                    Lang::Fr => {
                        format!("{name} : {bad} ligne(s) refusée(s) ; rien n'a été importé")
                    }
                    Lang::En => format!("{name}: {bad} line(s) refused; nothing was imported"),
                }));
            }
            let mut said = Complaints::new();
            for r in &repeats {
                said.say(r);
            }
            said.finish(lang);
            hub.write(|tx| -> Result<(), words::WordError> {
                for w in &entries {
                    words::add(tx, w)?;
                }
                Ok(())
            })
            .map_err(fail)?;
            println!(
                "{}",
                match lang {
                    Lang::Fr =>
                        format!("{} mot(s) surveillé(s) importé(s) de {name}", entries.len()),
                    Lang::En => format!("{} watched word(s) imported from {name}", entries.len()),
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
