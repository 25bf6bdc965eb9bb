//! `civitac hub words|webhook|templates`: what the hub tells the public
//! platform and watches for in what it sends.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{CmdResult, Complaints, Failure};
use crate::hub::words::{self, Match, WordAction};
use crate::i18n::Lang;
use crate::store::Store;
use crate::text::inline;

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

pub fn words(db: &Path, store: &mut Store, lang: Lang, cmd: WordsCmd) -> CmdResult {
    let fail = |e: words::WordError| Failure::new(format!("{}: {e}", db.display()));
    match cmd {
        WordsCmd::Add { word, action, kind } => {
            let action = parse_action(&action).map_err(Failure::usage)?;
            let kind = parse_match(kind.as_deref().unwrap_or("")).map_err(Failure::usage)?;
            let w = words::parse(&word, kind, action).map_err(|e| Failure::usage(e.to_string()))?;
            words::add(store.conn(), &w).map_err(fail)?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "« {} » surveillé ({}) : {}",
                        w.shown,
                        match_word(lang, w.kind),
                        action_word(lang, w.action)
                    ),
                    Lang::En => format!(
                        "\"{}\" watched ({}): {}",
                        w.shown,
                        match_word(lang, w.kind),
                        action_word(lang, w.action)
                    ),
                }
            );
        }
        WordsCmd::Remove { word } => {
            words::remove(store.conn(), &word).map_err(fail)?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!("« {} » n'est plus surveillé", inline(word.trim())),
                    Lang::En => format!("\"{}\" is no longer watched", inline(word.trim())),
                }
            );
        }
        WordsCmd::List => {
            let list = words::list(store.conn()).map_err(|e| fail(e.into()))?;
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
            let mut entries = Vec::new();
            let mut complaints = Complaints::new();
            let mut bad = 0;
            for (i, record) in reader.records().enumerate() {
                let line = i + 1;
                let record = match record {
                    Ok(r) => r,
                    Err(e) => {
                        bad += 1;
                        complaints.say(&format!("{name}:{line}: {e}"));
                        continue;
                    }
                };
                let cell = |n: usize| record.get(n).unwrap_or("").trim_start_matches('\u{feff}');
                let first = cell(0).to_lowercase();
                if line == 1 && (first == "word" || first == "mot") {
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
                    Ok(w) => entries.push(w),
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
            let tx = store.transaction()?;
            for w in &entries {
                words::add(&tx, w).map_err(fail)?;
            }
            tx.commit()
                .map_err(|e| Failure::new(format!("{}: {e}", db.display())))?;
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
