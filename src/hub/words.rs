//! Watched words: a list the team keeps at the hub, applied to every post
//! and new thread title the platform sends (Discourse's watched words).
//! Accents, case, punctuation and look-alike forms are ignored: "Arnaque",
//! "arnaqué", "ＡＲＮＡＱＵＥ" and "ar\u{200b}naque" (a zero-width space
//! inside) are one word. A word matches a whole word of the text; a
//! prefix (`forag*`) the start of one; a phrase a run of whole words.
//!
//! What a match does is decided here and done by ingest: `hold` hides the
//! post until a moderator decides, `reject` removes it, both as ops of the
//! `system` actor with the word in the reason (audited, synced, in the
//! decision feed, and a moderator restores the post like any other);
//! `flag` adds a flag from the system, so the post joins the queue.

use std::collections::HashMap;

use rusqlite::params;

use crate::store::sql::{DbError, Optional, Sql};

crate::str_enum! {
    /// What the hub does with a post that has the word.
    pub enum WordAction {
        Flag = "flag",
        Hold = "hold",
        Reject = "reject",
    }
}

crate::str_enum! {
    /// How the word is compared with the text.
    pub enum Match {
        Word = "word",
        Prefix = "prefix",
        Phrase = "phrase",
    }
}

/// The shortest prefix the list takes: `a*` would watch half the language.
pub const MIN_PREFIX: usize = 3;
/// The shortest whole word: "à" is "a" once accents go, the verb.
pub const MIN_WORD: usize = 2;
/// The longest entry, in characters.
pub const MAX_LEN: usize = 100;

/// The words of a text as the list compares them: compatibility forms
/// folded (full-width letters, ligatures), accents, invisible characters and
/// case gone, split at anything not a letter or digit.
pub fn words(text: &str) -> Vec<String> {
    crate::text::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Watched {
    /// As the team typed it.
    pub shown: String,
    /// Its normalised form: the list's key.
    pub word: String,
    #[serde(rename = "match")]
    pub kind: Match,
    pub action: WordAction,
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WordError {
    #[error("\"{0}\" has no letters or digits to watch for")]
    Empty(String),
    #[error("\"{0}\" is longer than {MAX_LEN} characters")]
    TooLong(String),
    #[error("\"{0}\" is several words: watch it as a phrase (--match phrase)")]
    NotOneWord(String),
    #[error("the prefix \"{0}\" is shorter than {MIN_PREFIX} letters: it would match too much")]
    ShortPrefix(String),
    #[error("\"{0}\" is shorter than {MIN_WORD} letters: it would match too much")]
    ShortWord(String),
    #[error("\"{0}\": a * goes only at the end (a prefix)")]
    Star(String),
    #[error("\"{0}\" is not on the list")]
    Unknown(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl From<crate::store::sql::DbError> for WordError {
    fn from(e: crate::store::sql::DbError) -> Self {
        WordError::Sqlite(e.into())
    }
}

/// Reads an entry as a person types it: `forag*` is a prefix, several
/// words a phrase, unless `kind` says otherwise.
pub fn parse(typed: &str, kind: Option<Match>, action: WordAction) -> Result<Watched, WordError> {
    let typed = typed.trim();
    let shown = crate::text::inline(typed);
    if typed.chars().count() > MAX_LEN {
        return Err(WordError::TooLong(crate::text::truncate(&shown, 40)));
    }
    let starred = typed.ends_with('*');
    if typed.trim_end_matches('*').contains('*') {
        return Err(WordError::Star(shown));
    }
    let tokens = words(typed);
    if tokens.is_empty() {
        return Err(WordError::Empty(shown));
    }
    let kind = kind.unwrap_or(if starred {
        Match::Prefix
    } else if tokens.len() > 1 {
        Match::Phrase
    } else {
        Match::Word
    });
    if kind != Match::Phrase && tokens.len() > 1 {
        return Err(WordError::NotOneWord(shown));
    }
    if kind == Match::Prefix && tokens[0].chars().count() < MIN_PREFIX {
        return Err(WordError::ShortPrefix(shown));
    }
    if kind != Match::Prefix && tokens.iter().all(|t| t.chars().count() < MIN_WORD) {
        return Err(WordError::ShortWord(shown));
    }
    let word = tokens.join(" ");
    // How it is shown goes into the reason of the hub's decisions, which is
    // held to plain prose: a word pasted with invisible characters is shown
    // by its folded form instead.
    let shown = match (kind, crate::text::first_unplain_prose(typed)) {
        (_, None) => shown,
        (Match::Prefix, Some(_)) => format!("{word}*"),
        (_, Some(_)) => word.clone(),
    };
    Ok(Watched {
        word,
        shown,
        kind,
        action,
        created_at: crate::time::now(),
    })
}

/// Adds an entry, or changes the match and action of one already there
/// (the same word once folded: "Arnaqué" replaces "arnaque"); returns the
/// entry it replaced.
pub fn add(conn: &dyn Sql, w: &Watched) -> Result<Option<Watched>, WordError> {
    let before = conn
        .prepare_cached(
            "SELECT shown, word, match, action, created_at FROM watched_words WHERE word = ?1",
        )?
        .query_row([&w.word], |r| {
            Ok(Watched {
                shown: r.get(0)?,
                word: r.get(1)?,
                kind: r.get(2)?,
                action: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
        .optional()?;
    conn.prepare_cached(
        "INSERT INTO watched_words (word, shown, match, action, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (word) DO UPDATE SET shown = ?2, match = ?3, action = ?4",
    )?
    .execute(params![w.word, w.shown, w.kind, w.action, w.created_at])?;
    Ok(before)
}

/// Removes an entry, typed as it was added (accents and case do not matter).
pub fn remove(conn: &dyn Sql, typed: &str) -> Result<(), WordError> {
    let word = words(typed).join(" ");
    let n = conn.execute("DELETE FROM watched_words WHERE word = ?1", [&word])?;
    if n == 0 {
        return Err(WordError::Unknown(crate::text::inline(typed.trim())));
    }
    Ok(())
}

pub fn list(conn: &dyn Sql) -> Result<Vec<Watched>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT shown, word, match, action, created_at FROM watched_words ORDER BY word",
    )?;
    let rows = stmt
        .query_map((), |r| {
            Ok(Watched {
                shown: r.get(0)?,
                word: r.get(1)?,
                kind: r.get(2)?,
                action: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The list, ready to look through texts.
#[derive(Debug, Default)]
pub struct Matcher {
    entries: Vec<Watched>,
    exact: HashMap<String, usize>,
    /// By the prefix: a word is looked up once per length, however many
    /// prefixes the list has.
    prefixes: HashMap<String, usize>,
    /// The longest prefix, in characters.
    longest_prefix: usize,
    phrases: Vec<(Vec<String>, usize)>,
}

impl Matcher {
    pub fn load(conn: &dyn Sql) -> Result<Matcher, DbError> {
        Ok(Matcher::new(list(conn)?))
    }

    pub fn new(entries: Vec<Watched>) -> Matcher {
        let mut m = Matcher::default();
        for (i, w) in entries.iter().enumerate() {
            match w.kind {
                Match::Word => {
                    m.exact.insert(w.word.clone(), i);
                }
                Match::Prefix => {
                    m.longest_prefix = m.longest_prefix.max(w.word.chars().count());
                    m.prefixes.insert(w.word.clone(), i);
                }
                Match::Phrase => m
                    .phrases
                    .push((w.word.split(' ').map(str::to_owned).collect(), i)),
            }
        }
        m.entries = entries;
        m
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry that acts on these texts: of all that match, the one with
    /// the strongest action (reject, then hold, then flag), first in the
    /// text on a tie.
    pub fn find(&self, texts: &[&str]) -> Option<&Watched> {
        if self.is_empty() {
            return None;
        }
        let mut best: Option<usize> = None;
        let mut consider = |i: usize| {
            let stronger = match best {
                None => true,
                Some(b) => rank(self.entries[i].action) > rank(self.entries[b].action),
            };
            if stronger {
                best = Some(i);
            }
        };
        for text in texts {
            let tokens = words(text);
            for (at, token) in tokens.iter().enumerate() {
                if let Some(&i) = self.exact.get(token) {
                    consider(i);
                }
                if !self.prefixes.is_empty() {
                    for (n, (end, c)) in token.char_indices().enumerate() {
                        if n >= self.longest_prefix {
                            break;
                        }
                        if let Some(&i) = self.prefixes.get(&token[..end + c.len_utf8()]) {
                            consider(i);
                        }
                    }
                }
                for (phrase, i) in &self.phrases {
                    if tokens[at..].starts_with(phrase) {
                        consider(*i);
                    }
                }
            }
        }
        best.map(|i| &self.entries[i])
    }
}

fn rank(a: WordAction) -> u8 {
    match a {
        WordAction::Flag => 1,
        WordAction::Hold => 2,
        WordAction::Reject => 3,
    }
}

/// The reason an op of the system gives for what a word did: the
/// moderator, the audit log and the platform all read the word.
pub fn reason(w: &Watched) -> String {
    format!("mot surveillé « {} »", w.shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(list: &[(&str, WordAction)]) -> Matcher {
        Matcher::new(
            list.iter()
                .map(|(w, a)| parse(w, None, *a).expect("entry"))
                .collect(),
        )
    }

    #[test]
    fn accents_case_and_punctuation_do_not_matter() {
        assert_eq!(words("L'ARNAQUE, arnaqué !"), ["l", "arnaque", "arnaque"]);
        let list = m(&[("Arnaque", WordAction::Hold)]);
        assert!(list.find(&["Une ARNAQUÉ!"]).is_some());
        // A word is whole: "arnaqueur" is another word.
        assert!(list.find(&["un arnaqueur"]).is_none());
    }

    #[test]
    fn look_alikes_and_invisible_characters_do_not_hide_a_word() {
        let list = m(&[("arnaque", WordAction::Hold)]);
        for hidden in [
            "ar\u{200b}naque",
            "arn\u{ad}aque",
            "ＡＲＮＡＱＵＥ",
            "arnaque\u{fe0f}",
        ] {
            assert!(list.find(&[hidden]).is_some(), "{hidden:?}");
        }
        // A word pasted with a no-break space inside is one phrase, shown
        // in a form a reason may carry.
        let w = parse("vente\u{a0}terrain\u{2800}", None, WordAction::Hold).expect("entry");
        assert_eq!(w.kind, Match::Phrase);
        assert!(
            crate::text::first_unplain_prose(&reason(&w)).is_none(),
            "{w:?}"
        );
    }

    #[test]
    fn prefixes_and_phrases() {
        let list = m(&[
            ("forag*", WordAction::Flag),
            ("gagnez 500 000", WordAction::Reject),
        ]);
        assert_eq!(
            list.find(&["Les forages de Kaya"]).map(|w| w.action),
            Some(WordAction::Flag)
        );
        assert!(list.find(&["un forum"]).is_none());
        assert_eq!(
            list.find(&["forage — GAGNEZ 500.000 FCFA"])
                .map(|w| w.action),
            Some(WordAction::Reject),
            "the strongest action wins"
        );
        // The phrase is a run of words, in order.
        assert!(list.find(&["500 000 gagnez"]).is_none());
    }

    #[test]
    fn entries_that_would_mean_too_much_are_refused() {
        assert!(matches!(
            parse("  !! ", None, WordAction::Hold),
            Err(WordError::Empty(_))
        ));
        assert!(matches!(
            parse("fo*", None, WordAction::Hold),
            Err(WordError::ShortPrefix(_))
        ));
        assert!(matches!(
            parse("deux mots", Some(Match::Word), WordAction::Hold),
            Err(WordError::NotOneWord(_))
        ));
        assert!(matches!(
            parse("à", None, WordAction::Reject),
            Err(WordError::ShortWord(_))
        ));
        assert!(matches!(
            parse("a b", None, WordAction::Reject),
            Err(WordError::ShortWord(_))
        ));
        assert!(matches!(
            parse("arn*aque", None, WordAction::Hold),
            Err(WordError::Star(_))
        ));
        assert_eq!(
            parse("Vente de terrains", None, WordAction::Hold)
                .map(|w| (w.word, w.kind))
                .ok(),
            Some(("vente de terrains".into(), Match::Phrase))
        );
    }
}
