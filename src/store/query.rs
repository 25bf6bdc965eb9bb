//! Paged, filtered list queries. Every list is keyset-paginated on
//! (timestamp, id) with an index behind it, so a deep page costs the same as the
//! first and nothing ever loads a whole table. The same filters serve the CLI's
//! `list`, its `--where` selections and the console's filter line.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::rows::{Listed, SearchIndex, alias_of};
use crate::domain::enrollment::{OrgKind, Stage};
use crate::domain::forum::{CitizenStatus, PostStatus};
use crate::domain::sms::{SmsKind, SmsStatus};
use crate::domain::uploads::{UploadKind, UploadStatus};
use crate::str_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Enrollments,
    Uploads,
    Forum,
    Sms,
    Audit,
    Outbox,
    SmsGroups,
    SmsContacts,
    Conflicts,
    Citizens,
    Staff,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enrollments => "enrollments",
            Self::Uploads => "uploads",
            Self::Forum => "forum",
            Self::Sms => "sms",
            Self::Audit => "audit",
            Self::Outbox => "outbox",
            Self::SmsGroups => "sms groups",
            Self::SmsContacts => "sms contacts",
            Self::Conflicts => "conflicts",
            Self::Citizens => "citizens",
            Self::Staff => "staff",
        }
    }

    /// The filter keys this list understands.
    pub fn keys(self) -> &'static [FilterKey] {
        use FilterKey::*;
        match self {
            Self::Enrollments => &[
                Status, Kind, Region, Province, Commune, Search, Since, Until, Id, Platform,
                Claimed,
            ],
            Self::Uploads => &[
                Status, Kind, Category, Org, Region, Commune, Plausible, Search, Since, Until, Id,
                Platform, Claimed,
            ],
            Self::Forum => &[
                Status, Thread, Author, Flagged, Watched, Held, Search, Since, Until, Id, Platform,
                Claimed,
            ],
            Self::Sms => &[Status, Kind, Group, Since, Until, Id],
            Self::Audit => &[Actor, Action, Entity, EntityId, Since, Until, Id],
            Self::Outbox => &[Since, Until, Id],
            Self::SmsGroups => &[Search, Id],
            Self::Conflicts => &[Status, Since, Until, Id],
            Self::SmsContacts => &[Group, Region, Commune, Search, OptedOut, Id],
            Self::Citizens => &[Status, Search, Id, Platform, Claimed],
            Self::Staff => &[Search, Id],
        }
    }
}

str_enum! {
    /// A filter a list understands (`--status`, or `status=` in `--where`).
    pub enum FilterKey {
        Status = "status",
        Kind = "kind",
        Category = "category",
        Region = "region",
        Province = "province",
        Commune = "commune",
        Org = "org",
        Search = "search",
        Since = "since",
        Until = "until",
        Thread = "thread",
        Author = "author",
        Flagged = "flagged",
        Group = "group",
        Actor = "actor",
        Action = "action",
        Entity = "entity",
        EntityId = "entity-id",
        Id = "id",
        OptedOut = "opted-out",
        Platform = "platform",
        Watched = "watched",
        Held = "held",
        Plausible = "plausible",
        Claimed = "claimed",
    }
}

impl FilterKey {
    /// The key as the UI language writes it on the filter line.
    pub fn word(self, lang: crate::i18n::Lang) -> &'static str {
        use FilterKey::*;
        let fr = match self {
            Status => "statut",
            Kind => "type",
            Category => "catégorie",
            Region => "région",
            Province => "province",
            Commune => "commune",
            Org => "organisation",
            Search => "recherche",
            Since => "depuis",
            Until => "jusqu'au",
            Thread => "fil",
            Author => "auteur",
            Flagged => "signalé",
            Group => "groupe",
            Actor => "personne",
            Action => "action",
            Entity => "objet",
            EntityId => "objet-id",
            Id => "id",
            OptedOut => "désinscrit",
            Platform => "plateforme",
            Watched => "surveillé",
            Held => "retenu",
            Plausible => "plausible",
            Claimed => "pris",
        };
        lang.pick(fr, self.as_str())
    }

    /// A key as typed, in either language, accents and case aside
    /// (`Région`, `region`, `statut`, `acteur`).
    pub fn from_typed(typed: &str) -> Result<FilterKey, crate::domain::UnknownValue> {
        let t = crate::text::fold(typed.trim());
        let alias = match t.as_str() {
            "acteur" | "qui" | "person" => Some(FilterKey::Actor),
            "jusqua" | "jusqu'a" | "jusqu’au" | "jusqu'au" | "avant" => Some(FilterKey::Until),
            "apres" => Some(FilterKey::Since),
            "org" | "organisation" | "organization" => Some(FilterKey::Org),
            _ => None,
        };
        if let Some(k) = alias {
            return Ok(k);
        }
        FilterKey::ALL
            .iter()
            .copied()
            .find(|k| {
                crate::text::fold(k.as_str()) == t
                    || crate::text::fold(k.word(crate::i18n::Lang::Fr)) == t
            })
            .ok_or_else(|| {
                t.parse::<FilterKey>()
                    .err()
                    .unwrap_or_else(|| crate::domain::UnknownValue {
                        what: "filter",
                        value: typed.to_owned(),
                        allowed: &[],
                    })
            })
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FilterError {
    #[error("filter \"{0}\" is not KEY=VALUE")]
    Syntax(String),
    #[error("{}", .0)]
    UnknownKey(crate::domain::UnknownValue),
    #[error("filter \"{key}\" does not apply to {list} (it takes: {})", allowed.join(", "))]
    NotApplicable {
        key: FilterKey,
        list: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error("{key}: {why}")]
    BadValue { key: FilterKey, why: String },
    #[error("{key}: \"{typed}\" has no word to search for")]
    NoWord { key: FilterKey, typed: String },
    #[error("{key}: {0} given twice: one {0}=… with values separated by commas", key.as_str())]
    Twice { key: FilterKey },
    #[error("{key}: \"{typed}\" is not one of {}{}", words.iter().map(|w| w.1).collect::<Vec<_>>().join(", "), closest(typed, words, 1).map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownWord {
        key: FilterKey,
        typed: String,
        /// The values it takes, (French, English).
        words: Vec<(&'static str, &'static str)>,
    },
    #[error("unknown {key} \"{typed}\"{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownPlace {
        key: FilterKey,
        typed: String,
        suggestion: Option<String>,
    },
    #[error("cursor \"{0}\" is not one printed by a previous page")]
    BadCursor(String),
}

/// The word of `words` nearest to what was typed (two letters off at most),
/// in French (`pick` 0) or English (1).
fn closest(typed: &str, words: &[(&str, &str)], pick: usize) -> Option<String> {
    let t = crate::text::fold(typed);
    words
        .iter()
        .map(|w| if pick == 0 { w.0 } else { w.1 })
        .map(|w| {
            (
                crate::domain::places::distance(&t, &crate::text::fold(w)),
                w,
            )
        })
        .filter(|(d, w)| *d <= 2 && *d < w.chars().count() / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, w)| w.to_owned())
}

impl FilterError {
    /// The error for a person, in their language (the Display form is the
    /// English one).
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang;
        let inline = crate::text::inline;
        match (self, lang) {
            (
                FilterError::UnknownPlace {
                    key,
                    typed,
                    suggestion,
                },
                Lang::Fr,
            ) => {
                let what = match key {
                    FilterKey::Region => "région inconnue",
                    FilterKey::Province => "province inconnue",
                    _ => "commune inconnue",
                };
                let hint = suggestion
                    .as_ref()
                    .map(|s| format!(" — vouliez-vous {} ?", inline(s)))
                    .unwrap_or_default();
                format!("{what} « {} »{hint}", inline(typed))
            }
            (FilterError::Syntax(t), Lang::Fr) => {
                format!("« {} » : CLÉ=VALEUR attendu (statut=contactée)", inline(t))
            }
            (FilterError::UnknownKey(u), Lang::Fr) => format!(
                "filtre inconnu « {} » (statut, type, région, commune, recherche, depuis, jusqu'au…)",
                inline(&u.value)
            ),
            (FilterError::UnknownKey(u), Lang::En) => format!(
                "unknown filter \"{}\" (status, kind, region, commune, search, since, until…)",
                inline(&u.value)
            ),
            (FilterError::NotApplicable { key, allowed, .. }, Lang::Fr) => {
                let words: Vec<&str> = allowed
                    .iter()
                    .filter_map(|a| a.parse::<FilterKey>().ok())
                    .map(|k| k.word(lang))
                    .collect();
                format!(
                    "le filtre « {} » ne s'applique pas ici (possibles : {})",
                    key.word(lang),
                    words.join(", ")
                )
            }
            (FilterError::UnknownWord { key, typed, words }, Lang::Fr) => {
                let hint = closest(typed, words, 0)
                    .map(|s| format!(" — vouliez-vous {s} ?"))
                    .unwrap_or_default();
                let list: Vec<&str> = words.iter().map(|w| w.0).collect();
                format!(
                    "{} « {typed} » inconnu{hint} (possibles : {})",
                    key.word(lang),
                    list.join(", ")
                )
            }
            (FilterError::NoWord { key, typed }, Lang::Fr) => {
                format!(
                    "{} : « {typed} » ne contient aucun mot à chercher",
                    key.word(lang)
                )
            }
            (FilterError::Twice { key }, Lang::Fr) => format!(
                "« {0} » donné deux fois : un seul {0}=…, valeurs séparées par des virgules",
                key.word(lang)
            ),
            (FilterError::BadValue { key, why }, Lang::Fr) => {
                format!("{} : {}", key.word(lang), inline(why))
            }
            _ => inline(&self.to_string()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A set of filters, all of which a row must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters(pub Vec<(FilterKey, String)>);

impl Filters {
    pub fn push(&mut self, key: FilterKey, value: impl Into<String>) {
        self.0.push((key, value.into()));
    }

    /// Parses one `KEY=VALUE` as given to `--where`.
    pub fn push_where(&mut self, expr: &str) -> Result<(), FilterError> {
        let (k, v) = expr
            .split_once('=')
            .ok_or_else(|| FilterError::Syntax(expr.to_owned()))?;
        let key = FilterKey::from_typed(k).map_err(FilterError::UnknownKey)?;
        self.push(key, v.trim());
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The filters as the filter line shows them, in the UI language's
    /// words (`statut=en attente signalé=oui`); they parse back to the same.
    pub fn shown(&self, list: ListKind, lang: crate::i18n::Lang) -> String {
        use FilterKey::*;
        let yes_no = |v: &str| match crate::text::fold(v.trim()).as_str() {
            "yes" | "true" | "1" | "oui" => Some(lang.pick("oui", "yes")),
            "no" | "false" | "0" | "non" => Some(lang.pick("non", "no")),
            _ => None,
        };
        self.0
            .iter()
            .map(|(key, value)| {
                let column = match key {
                    Status => Some("status"),
                    Kind => Some("kind"),
                    Category => Some("category"),
                    _ => None,
                };
                let shown = match (key, column) {
                    (_, Some(column)) => value
                        .split(',')
                        .map(|v| {
                            crate::i18n::values::column_word(list.as_str(), column, v.trim(), lang)
                                .filter(|w| !w.is_empty())
                                .unwrap_or_else(|| v.trim().to_owned())
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    // A place as stored: `Kuilse` reads Kuilsé.
                    (Region | Province | Commune, _) => {
                        use crate::domain::places::{Level, Resolved, resolve};
                        match Level::of(*key).map(|l| resolve(l, value)) {
                            Some(Resolved::Known(name)) => name,
                            _ => value.clone(),
                        }
                    }
                    (Flagged | OptedOut | Held | Plausible, _) => yes_no(value)
                        .map(str::to_owned)
                        .unwrap_or_else(|| value.clone()),
                    (Claimed, _) => claimed_word(value, lang).unwrap_or_else(|| value.clone()),
                    _ => value.clone(),
                };
                format!("{}={}", key.word(lang), crate::text::inline(&shown))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Where the next page starts: the sort key of the last row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub ts: String,
    pub id: String,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.ts, self.id)
    }
}

impl std::str::FromStr for Cursor {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (ts, id) = s
            .split_once(',')
            .ok_or_else(|| FilterError::BadCursor(s.to_owned()))?;
        if ts.is_empty() || id.is_empty() {
            return Err(FilterError::BadCursor(s.to_owned()));
        }
        Ok(Cursor {
            ts: ts.to_owned(),
            id: id.to_owned(),
        })
    }
}

pub struct Page<T> {
    pub rows: Vec<T>,
    /// Set when more rows follow.
    pub next: Option<Cursor>,
}

/// A built statement: SQL text and its parameters.
#[derive(Debug, Default)]
struct Built {
    clauses: Vec<String>,
    params: Vec<Value>,
    /// The words searched for, kept apart: a list whose order is its search
    /// index's order walks that index (see `drive`), any other filters by it.
    search: Option<Searched>,
}

#[derive(Debug)]
struct Searched {
    fts: &'static str,
    /// The searched row's key column in the list's SELECT (`p.search_key`).
    key: &'static str,
    query: String,
}

impl Built {
    fn add(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }
}

/// Stored codes for a coded column, from codes or the words people read
/// (`contacté`, `en attente`, `hidden`), in either language, accents and
/// case aside; several separated by commas.
fn status_values<E>(key: FilterKey, value: &str, all: &[E]) -> Result<Vec<Value>, FilterError>
where
    E: std::str::FromStr<Err = crate::domain::UnknownValue> + Copy,
    E: Into<&'static str> + crate::i18n::values::Worded,
{
    value
        .split(',')
        .map(|v| {
            let v = v.trim();
            if let Ok(e) = v.parse::<E>() {
                return Ok(Value::Text(e.into().to_owned()));
            }
            let typed = crate::text::fold(v);
            all.iter()
                .copied()
                .find(|e| {
                    let (fr, en) = e.words();
                    crate::text::fold(fr) == typed || crate::text::fold(en) == typed
                })
                .map(|e| Value::Text(e.into().to_owned()))
                .ok_or_else(|| FilterError::UnknownWord {
                    key,
                    typed: crate::text::truncate(&crate::text::inline(v), 40),
                    words: all.iter().map(|e| e.words()).collect(),
                })
        })
        .collect()
}

/// A place name as stored, from what was typed (`Kuilse` → Kuilsé); a near
/// miss is an error with a suggestion, a name unlike any known one is kept.
fn place(key: FilterKey, value: &str) -> Result<Value, FilterError> {
    use crate::domain::places::{Level, Resolved, resolve};
    match resolve(Level::of(key).unwrap_or(Level::Commune), value) {
        Resolved::Known(name) => Ok(Value::Text(name)),
        Resolved::Close(name) => Err(FilterError::UnknownPlace {
            key,
            typed: value.to_owned(),
            suggestion: Some(name),
        }),
        Resolved::Unknown => Ok(Value::Text(value.trim().to_owned())),
    }
}

/// Audit actions whose words (or code) hold what was typed: `masqué`,
/// `enrôl`, `post.hide`.
fn action_codes(key: FilterKey, value: &str) -> Result<Vec<Value>, FilterError> {
    use crate::i18n::{Lang, values::action_words};
    let typed = crate::text::fold(value.trim());
    let codes: Vec<Value> = crate::i18n::sentences::ACTIONS
        .iter()
        .filter(|code| {
            **code == value.trim()
                || crate::text::fold(&action_words(code, Lang::Fr)).contains(&typed)
                || crate::text::fold(&action_words(code, Lang::En)).contains(&typed)
        })
        .map(|c| Value::Text((*c).to_owned()))
        .collect();
    if codes.is_empty() || typed.is_empty() {
        return Err(FilterError::BadValue {
            key,
            why: format!(
                "\"{}\" names no decision (masqué, enrôlée, approuvée…)",
                crate::text::truncate(&crate::text::inline(value), 40)
            ),
        });
    }
    Ok(codes)
}

/// Record kinds whose words (or name) are what was typed: `message`,
/// `organisation`, `forum_post`.
fn entity_codes(key: FilterKey, value: &str) -> Result<Vec<Value>, FilterError> {
    use crate::i18n::{Lang, values::entity_words};
    let typed = crate::text::fold(value.trim());
    let codes: Vec<Value> = crate::store::entity::Entity::SYNCED
        .iter()
        .map(|e| e.name())
        .filter(|code| {
            *code == value.trim()
                || crate::text::fold(&entity_words(code, Lang::Fr)) == typed
                || crate::text::fold(&entity_words(code, Lang::En)) == typed
        })
        .map(|c| Value::Text(c.to_owned()))
        .collect();
    if codes.is_empty() {
        return Err(FilterError::BadValue {
            key,
            why: format!(
                "\"{}\" is no kind of record (organisation, publication, message, SMS…)",
                crate::text::truncate(&crate::text::inline(value), 40)
            ),
        });
    }
    Ok(codes)
}

macro_rules! into_static_str {
    ($($t:ty),*) => {$(
        impl From<$t> for &'static str {
            fn from(v: $t) -> &'static str { v.as_str() }
        }
    )*};
}
into_static_str!(
    Stage,
    OrgKind,
    UploadStatus,
    UploadKind,
    PostStatus,
    CitizenStatus,
    SmsStatus,
    SmsKind
);

fn in_list(column: &str, values: Vec<Value>) -> (String, Vec<Value>) {
    let marks = vec!["?"; values.len()].join(", ");
    (format!("{column} IN ({marks})"), values)
}

/// The last word searched for is read as the start of a word from this many
/// letters on.
pub const PREFIX_LETTERS: usize = 3;

/// Turns what a person types into an FTS5 query: every word must appear, the
/// last one as a prefix (so the list narrows as they type). Quotes keep FTS5
/// syntax characters in the text from being read as operators.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let last = words.last()?;
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    // A short prefix would match most of the index, and FTS5 merges every
    // word it starts before it can give the first page ("fo" takes 270 ms on
    // a million posts, "for" 16 ms): three letters and more are read as the
    // start of a word, shorter ones as a whole word.
    let star = if last.chars().count() >= PREFIX_LETTERS {
        "*"
    } else {
        ""
    };
    Some(format!("{}{star}", quoted.join(" ")))
}

/// A record id as stored: a UUID in any of its spellings (uppercase, braced,
/// without dashes) becomes the canonical lowercase form; anything else is
/// left as it is (and matches nothing).
pub fn normalise_id(id: &str) -> String {
    match uuid::Uuid::parse_str(id.trim()) {
        Ok(u) => u.hyphenated().to_string(),
        Err(_) => id.trim().to_owned(),
    }
}

/// A yes/no filter value, in either language.
/// Who holds a record, as the `claimed` filter takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    Mine,
    Others,
    Nobody,
    /// Nobody's or mine: what is left for me (hides colleagues' claims).
    Free,
    Anyone,
}

/// The `claimed` filter's values, (French, English).
const CLAIM_WORDS: [(&str, &str, Claim); 5] = [
    ("moi", "mine", Claim::Mine),
    ("autres", "others", Claim::Others),
    ("personne", "nobody", Claim::Nobody),
    ("libre", "free", Claim::Free),
    ("oui", "yes", Claim::Anyone),
];

fn claim_value(key: FilterKey, value: &str) -> Result<Claim, FilterError> {
    let v = crate::text::fold(value.trim());
    CLAIM_WORDS
        .iter()
        .find(|(fr, en, _)| v == *fr || v == *en)
        .map(|w| w.2)
        .or(match v.as_str() {
            "non" | "no" | "none" => Some(Claim::Nobody),
            "me" => Some(Claim::Mine),
            _ => None,
        })
        .ok_or_else(|| FilterError::UnknownWord {
            key,
            typed: crate::text::truncate(&crate::text::inline(value), 40),
            words: CLAIM_WORDS.iter().map(|w| (w.0, w.1)).collect(),
        })
}

fn claimed_word(value: &str, lang: crate::i18n::Lang) -> Option<String> {
    let c = claim_value(FilterKey::Claimed, value).ok()?;
    CLAIM_WORDS
        .iter()
        .find(|w| w.2 == c)
        .map(|w| lang.pick(w.0, w.1).to_owned())
}

fn yes_no(key: FilterKey, value: &str) -> Result<bool, FilterError> {
    match crate::text::fold(value.trim()).as_str() {
        "yes" | "true" | "1" | "oui" => Ok(true),
        "no" | "false" | "0" | "non" => Ok(false),
        _ => Err(FilterError::UnknownWord {
            key,
            typed: crate::text::truncate(&crate::text::inline(value), 40),
            words: vec![("oui", "yes"), ("non", "no")],
        }),
    }
}

fn instant(key: FilterKey, value: &str) -> Result<Value, FilterError> {
    crate::time::parse_instant(value)
        .map(|ts| Value::Text(crate::time::format(ts)))
        .map_err(|why| FilterError::BadValue { key, why })
}

/// Why a filter shows no row, when a place in it is in no reference list
/// (a typo far from any name, another country's place): "aucune ligne :
/// région « Paris » inconnue".
pub fn explain_empty(filters: &Filters, lang: crate::i18n::Lang) -> Option<String> {
    use crate::domain::places::{Level, Resolved, resolve};
    filters.0.iter().find_map(|(key, value)| {
        let level = Level::of(*key)?;
        (resolve(level, value) == Resolved::Unknown).then(|| {
            let v = crate::text::truncate(&crate::text::inline(value), 40);
            match lang {
                crate::i18n::Lang::Fr => format!(
                    "aucune ligne : {} « {v} » n'est pas dans la liste des communes du Burkina Faso",
                    key.word(lang)
                ),
                crate::i18n::Lang::En => format!(
                    "no rows: {} \"{v}\" is not in Burkina Faso's list of communes",
                    key.as_str()
                ),
            }
        })
    })
}

/// The values a filter key takes on a list, in the UI language's words
/// (for completion); empty when any text goes (a search, an id).
pub fn value_words(list: ListKind, key: FilterKey, lang: crate::i18n::Lang) -> Vec<String> {
    use crate::domain::places::{Level, names};
    use crate::i18n::values::Worded;
    fn words<E: Worded + Copy>(all: &[E], lang: crate::i18n::Lang) -> Vec<String> {
        all.iter().map(|e| e.word(lang).to_owned()).collect()
    }
    let yes_no = || {
        vec![
            lang.pick("oui", "yes").to_owned(),
            lang.pick("non", "no").to_owned(),
        ]
    };
    match (list, key) {
        (ListKind::Enrollments, FilterKey::Status) => words(Stage::ALL, lang),
        (ListKind::Enrollments, FilterKey::Kind) => words(OrgKind::ALL, lang),
        (ListKind::Uploads, FilterKey::Status) => words(UploadStatus::ALL, lang),
        (ListKind::Uploads, FilterKey::Kind) => words(UploadKind::ALL, lang),
        (ListKind::Uploads, FilterKey::Category) => {
            words(crate::domain::uploads::DocumentCategory::ALL, lang)
        }
        (ListKind::Forum, FilterKey::Status) => words(PostStatus::ALL, lang),
        (ListKind::Citizens, FilterKey::Status) => words(CitizenStatus::ALL, lang),
        (ListKind::Sms, FilterKey::Status) => words(SmsStatus::ALL, lang),
        (ListKind::Sms, FilterKey::Kind) => words(SmsKind::ALL, lang),
        (ListKind::Conflicts, FilterKey::Status) => {
            vec![
                lang.pick("ouvert", "open").to_owned(),
                lang.pick("réglé", "resolved").to_owned(),
            ]
        }
        (_, FilterKey::Claimed) => CLAIM_WORDS
            .iter()
            .map(|w| lang.pick(w.0, w.1).to_owned())
            .collect(),
        (_, FilterKey::Flagged | FilterKey::OptedOut | FilterKey::Held | FilterKey::Plausible) => {
            yes_no()
        }
        (_, FilterKey::Watched) => [
            ("retenu", "hold"),
            ("signalé", "flag"),
            ("rejeté", "reject"),
        ]
        .iter()
        .map(|(fr, en)| lang.pick(fr, en).to_owned())
        .chain(yes_no())
        .collect(),
        (_, FilterKey::Region) => names(Level::Region).map(str::to_owned).collect(),
        (_, FilterKey::Province) => names(Level::Province).map(str::to_owned).collect(),
        (_, FilterKey::Commune) => names(Level::Commune).map(str::to_owned).collect(),
        (ListKind::Audit, FilterKey::Action) => crate::i18n::sentences::ACTIONS
            .iter()
            .map(|a| crate::i18n::values::action_words(a, lang))
            .collect(),
        (ListKind::Audit, FilterKey::Entity) => crate::store::entity::Entity::SYNCED
            .iter()
            .map(|e| crate::i18n::values::entity_words(e.name(), lang))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks filters against a list without running them: what a person
/// typed is refused here, in their words, before any query.
pub fn validate<T: Listed>(list: ListKind, filters: &Filters) -> Result<(), FilterError> {
    build::<T>(list, filters, false).map(|_| ())
}

fn build<T: Listed>(
    list: ListKind,
    filters: &Filters,
    ordered: bool,
) -> Result<Built, FilterError> {
    use FilterKey::*;
    let mut b = Built::default();
    let time_col = T::TIME;
    for (key, value) in &filters.0 {
        let key = *key;
        if !list.keys().contains(&key) {
            return Err(FilterError::NotApplicable {
                key,
                list: list.as_str(),
                allowed: list.keys().iter().map(|k| k.as_str()).collect(),
            });
        }
        let text = || Value::Text(value.clone());
        // A search with no word in it (empty, `*`, `--`, `"`) would match
        // everything: that is a mistake to report, never "all rows".
        if key == Search && !value.chars().any(char::is_alphanumeric) {
            return Err(FilterError::NoWord {
                key,
                typed: crate::text::truncate(&crate::text::inline(value), 40),
            });
        }
        // The same key twice would ask for rows with two values at once.
        if key != Id && filters.0.iter().filter(|(k, _)| *k == key).count() > 1 {
            return Err(FilterError::Twice { key });
        }
        match (list, key) {
            (ListKind::Enrollments, Status) => {
                let column = if T::STATUS_UNINDEXED && ordered {
                    "+o.status"
                } else {
                    "o.status"
                };
                let (c, p) = in_list(column, status_values(key, value, Stage::ALL)?);
                b.add(c, p)
            }
            (ListKind::Enrollments, Kind) => {
                let (c, p) = in_list("o.kind", status_values(key, value, OrgKind::ALL)?);
                b.add(c, p)
            }
            (ListKind::Enrollments, Region) | (ListKind::Uploads, Region) => {
                b.add("o.region = ?", [place(key, value)?])
            }
            (ListKind::Enrollments, Province) => b.add("o.province = ?", [place(key, value)?]),
            (ListKind::Enrollments, Commune) | (ListKind::Uploads, Commune) => {
                b.add("o.commune = ?", [place(key, value)?])
            }
            (ListKind::Enrollments, Search) => {
                b.search = fts_query(value).map(|query| Searched {
                    fts: "organizations_fts",
                    key: "o.search_key",
                    query,
                })
            }
            (ListKind::Uploads, Status) => {
                let (c, p) = in_list("u.status", status_values(key, value, UploadStatus::ALL)?);
                b.add(c, p)
            }
            (ListKind::Uploads, Kind) => {
                let (c, p) = in_list("u.kind", status_values(key, value, UploadKind::ALL)?);
                b.add(c, p)
            }
            (ListKind::Uploads, Plausible) => {
                let rule = crate::store::rows::IMPLAUSIBLE_SQL;
                if yes_no(key, value)? {
                    b.add(format!("NOT {rule}"), [])
                } else {
                    b.add(rule, [])
                }
            }
            (ListKind::Uploads, Category) => b.add("u.category = ?", [text()]),
            (ListKind::Uploads, Org) => b.add("u.org_id = ?", [Value::Text(normalise_id(value))]),
            (ListKind::Uploads, Search) => {
                b.search = fts_query(value).map(|query| Searched {
                    fts: "uploads_fts",
                    key: "u.search_key",
                    query,
                })
            }
            (ListKind::Forum, Status) => {
                let column = if T::STATUS_UNINDEXED && ordered {
                    "+p.status"
                } else {
                    "p.status"
                };
                let (c, p) = in_list(column, status_values(key, value, PostStatus::ALL)?);
                b.add(c, p)
            }
            (ListKind::Forum, Thread) => {
                b.add("p.thread_id = ?", [Value::Text(normalise_id(value))])
            }
            (ListKind::Forum, Author) => {
                b.add("p.author_id = ?", [Value::Text(normalise_id(value))])
            }
            (ListKind::Forum, Flagged) => {
                let clause = if yes_no(key, value)? {
                    super::rows::QUEUED
                } else {
                    "p.flag_count = 0"
                };
                b.add(clause, [])
            }
            // Hidden by the system (a watched word, the flags' auto-hide)
            // and waiting for a moderator to confirm or restore.
            (ListKind::Forum, Held) => {
                if yes_no(key, value)? {
                    b.add(super::rows::HELD, [])
                } else {
                    b.add(format!("NOT ({})", super::rows::HELD), [])
                }
            }
            // What a watched word did at ingest: `hold` lists the posts held
            // for review, which wait for a moderator.
            (ListKind::Forum, Watched) => match crate::text::fold(value.trim()).as_str() {
                w @ ("hold" | "flag" | "reject" | "retenu" | "signale" | "rejete") => b.add(
                    "p.watched_word IS NOT NULL AND p.watched_action = ?",
                    [Value::Text(
                        match w {
                            "retenu" | "hold" => "hold",
                            "signale" | "flag" => "flag",
                            _ => "reject",
                        }
                        .to_owned(),
                    )],
                ),
                other => {
                    let clause = if yes_no(key, other).map_err(|_| FilterError::BadValue {
                        key,
                        why: format!("\"{other}\" is not yes, no, hold, flag or reject"),
                    })? {
                        "p.watched_word IS NOT NULL"
                    } else {
                        "p.watched_word IS NULL"
                    };
                    b.add(clause, [])
                }
            },
            (ListKind::Forum, Search) => {
                b.search = fts_query(value).map(|query| Searched {
                    fts: "forum_posts_fts",
                    key: "p.search_key",
                    query,
                })
            }
            (ListKind::Sms, Status) => {
                let (c, p) = in_list("m.status", status_values(key, value, SmsStatus::ALL)?);
                b.add(c, p)
            }
            (ListKind::Sms, Kind) => {
                let (c, p) = in_list("m.kind", status_values(key, value, SmsKind::ALL)?);
                b.add(c, p)
            }
            (ListKind::Sms, Group) => b.add("(g.name = ? OR g.id = ?)", [text(), text()]),
            (ListKind::Staff, Search) => {
                let like = Value::Text(format!("%{}%", value.replace(['%', '_'], "")));
                b.add(
                    "(s.login LIKE ? OR s.display_name LIKE ?)",
                    [like.clone(), like],
                )
            }
            (ListKind::SmsGroups, Search) => {
                let like = Value::Text(format!("%{}%", value.replace(['%', '_'], "")));
                b.add(
                    "(g.name LIKE ? OR g.description LIKE ?)",
                    [like.clone(), like],
                )
            }
            // A group's members, or the contacts a dynamic group's rule
            // selects (as `c`) now.
            (ListKind::SmsContacts, Group) => b.add(
                concat!(
                    "(k.id IN (SELECT contact_id FROM sms_group_members WHERE group_id = ?) ",
                    "OR k.id IN (SELECT c.id FROM sms_groups g, sms_contacts c WHERE g.id = ? AND ",
                    "(g.rule_region IS NOT NULL OR g.rule_commune IS NOT NULL OR g.rule_org_kind IS NOT NULL) AND ",
                    crate::store::audience::group_rule!(),
                    "))"
                ),
                [text(), text()],
            ),
            (ListKind::SmsContacts, Region) => b.add("k.region = ?", [place(key, value)?]),
            (ListKind::SmsContacts, Commune) => b.add("k.commune = ?", [place(key, value)?]),
            (ListKind::SmsContacts, Search) => {
                let like = Value::Text(format!("%{}%", value.replace(['%', '_'], "")));
                b.add(
                    "(k.name LIKE ? OR k.phone_e164 LIKE ?)",
                    [like.clone(), like],
                )
            }
            (ListKind::SmsContacts, OptedOut) => {
                let clause = if yes_no(key, value)? {
                    "k.opted_out_at IS NOT NULL"
                } else {
                    "k.opted_out_at IS NULL"
                };
                b.add(clause, [])
            }
            (ListKind::Conflicts, Status) => match crate::text::fold(value.trim()).as_str() {
                "open" | "ouvert" => b.add("c.resolved_at IS NULL", []),
                "resolved" | "regle" => b.add("c.resolved_at IS NOT NULL", []),
                other => {
                    return Err(FilterError::BadValue {
                        key,
                        why: format!("\"{other}\": open or resolved"),
                    });
                }
            },
            // A person by login or by any part of their name, accents aside.
            (ListKind::Audit, Actor) => b.add(
                "(a.actor = ? OR a.actor IN (SELECT login FROM staff WHERE ' ' || civitac_fold(display_name) LIKE ? ESCAPE '\\'))",
                [
                    text(),
                    // The start of a word of the name: `awa` is Awa Kaboré,
                    // not Issa Sawadogo.
                    Value::Text(format!(
                        "% {}%",
                        crate::text::fold(value.trim())
                            .replace('\\', "\\\\")
                            .replace('%', "\\%")
                            .replace('_', "\\_")
                    )),
                ],
            ),
            (ListKind::Citizens, Status) => {
                let (c, p) = in_list("c.status", status_values(key, value, CitizenStatus::ALL)?);
                b.add(c, p)
            }
            // Any part of the name, accents and case aside.
            (ListKind::Citizens, Search) => {
                let folded = crate::text::fold(value.trim());
                if folded.is_empty() {
                    return Err(FilterError::NoWord {
                        key,
                        typed: value.to_owned(),
                    });
                }
                b.add(
                    "civitac_fold(c.display_name) LIKE ? ESCAPE '\\'",
                    [Value::Text(format!(
                        "%{}%",
                        folded
                            .replace('\\', "\\\\")
                            .replace('%', "\\%")
                            .replace('_', "\\_")
                    ))],
                )
            }
            (ListKind::Audit, Action) => {
                let (c, p) = in_list("a.action", action_codes(key, value)?);
                b.add(c, p)
            }
            (ListKind::Audit, Entity) => {
                let (c, p) = in_list("a.entity", entity_codes(key, value)?);
                b.add(c, p)
            }
            // A record's entries, and the notes written on it (a note is
            // its own record; the one it is on is in its detail).
            (ListKind::Audit, EntityId) => {
                let id = Value::Text(normalise_id(value));
                b.add(
                    "(a.entity_id = ? OR (a.entity = 'note' AND json_extract(a.detail, '$.after.record') = ?))",
                    [id.clone(), id],
                )
            }
            // Who took the record in hand; "me" is this replica's owner.
            (_, Claimed) => {
                let me = "(SELECT s.login FROM staff s JOIN sync_state k ON k.key = 'staff_id' AND k.value = s.id)";
                let id = T::SORT.1;
                let clause = match claim_value(key, value)? {
                    Claim::Mine => format!("{id} IN (SELECT id FROM claims WHERE login = {me})"),
                    Claim::Others => format!(
                        "{id} IN (SELECT id FROM claims WHERE login IS NOT NULL AND login IS NOT {me})"
                    ),
                    Claim::Nobody => {
                        format!("{id} NOT IN (SELECT id FROM claims WHERE login IS NOT NULL)")
                    }
                    Claim::Free => format!(
                        "{id} NOT IN (SELECT id FROM claims WHERE login IS NOT NULL AND login IS NOT {me})"
                    ),
                    Claim::Anyone => {
                        format!("{id} IN (SELECT id FROM claims WHERE login IS NOT NULL)")
                    }
                };
                b.add(clause, [])
            }
            (_, Id) => {
                // One parameter however many ids (SQLite allows 32,766 `?`).
                let ids: Vec<String> = value.split(',').map(|v| normalise_id(v.trim())).collect();
                b.add(
                    format!("{} IN (SELECT value FROM json_each(?))", T::SORT.1),
                    [Value::Text(serde_json::Value::from(ids).to_string())],
                )
            }
            (_, Platform) => {
                // Internal ids are derived from the platform's: the primary
                // key answers, no index of its own needed.
                let entity = match list {
                    ListKind::Enrollments => "organization",
                    ListKind::Uploads => "upload",
                    ListKind::Citizens => "citizen",
                    _ => "forum_post",
                };
                let ids = value
                    .split(',')
                    .map(|v| {
                        crate::domain::platform::internal_id(entity, v.trim())
                            .map(Value::Text)
                            .map_err(|why| FilterError::BadValue { key, why })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let ids: Vec<serde_json::Value> = ids
                    .into_iter()
                    .map(|v| match v {
                        Value::Text(t) => serde_json::Value::from(t),
                        _ => serde_json::Value::Null,
                    })
                    .collect();
                b.add(
                    format!("{} IN (SELECT value FROM json_each(?))", T::SORT.1),
                    [Value::Text(serde_json::Value::from(ids).to_string())],
                )
            }
            (_, Since) => b.add(format!("{time_col} >= ?"), [instant(key, value)?]),
            (_, Until) => b.add(format!("{time_col} < ?"), [instant(key, value)?]),
            _ => unreachable!("keys() and build() disagree on {key} for {}", list.as_str()),
        }
    }
    Ok(b)
}

/// `backward` walks the list the other way from `after` (for scrolling up).
fn statement_dir<T: Listed>(
    list: ListKind,
    filters: &Filters,
    after: Option<&Cursor>,
    limit: Option<usize>,
    select: &str,
    backward: bool,
) -> Result<(String, Vec<Value>), FilterError> {
    let mut b = build::<T>(list, filters, true)?;
    let (ts, id) = T::SORT;
    let driving = drive::<T>(&mut b);
    let descending = driving.map_or(T::DESCENDING, |ix| ix.descending);
    let (cmp, dir) = if descending != backward {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let (order, outer_order) = match driving {
        Some(ix) => {
            // The search index's row ids are the list's order: walk them.
            if let Some(c) = after {
                // The cursor's row, by its key; or, if it is gone (or the
                // cursor came from the plain list), where (ts, id) falls
                // among its millisecond's rows, which are numbered in list
                // order: after the ones before it.
                let table = ix.table_name();
                let (before, shift) = if cmp == "<" {
                    ("<", "")
                } else {
                    ("<=", " - 1")
                };
                let (id, ts) = (Value::Text(c.id.clone()), Value::Text(c.ts.clone()));
                b.add(
                    format!(
                        "{fts}.rowid {cmp} coalesce((SELECT search_key FROM {table} WHERE id = ?), \
                         {TIME_KEY} * 65536 + (SELECT count(*) FROM {table} \
                           WHERE search_key BETWEEN {TIME_KEY} * 65536 AND {TIME_KEY} * 65536 + 65535 \
                             AND ({time}, id) {before} (?, ?)){shift})",
                        fts = ix.fts,
                        time = ix.time,
                    ),
                    [id.clone(), ts.clone(), ts.clone(), ts.clone(), ts, id],
                );
            }
            (
                format!(" ORDER BY {}.rowid {dir}", ix.fts),
                format!(" ORDER BY {}.search_key {dir}", ix.alias()),
            )
        }
        None => {
            if let Some(c) = after {
                b.add(
                    format!("({ts}, {id}) {cmp} (?, ?)"),
                    [Value::Text(c.ts.clone()), Value::Text(c.id.clone())],
                );
            }
            let order = format!(" ORDER BY {ts} {dir}, {id} {dir}");
            (order.clone(), order)
        }
    };
    let limit_sql = match limit {
        Some(n) => format!(" LIMIT {n}"),
        None => String::new(),
    };
    // Walking the search index already gives the list's order, and the
    // joins then run for the page's rows only, as they are stepped: no
    // need to pick the page from the base table first (`{inner}`), whose
    // materialised rows would be sorted again outside.
    let flat;
    let select = match driving {
        Some(_) if select.contains("{inner}") => {
            flat = select.replace(&format!("{{inner}} {}", alias_of(T::BASE)), T::BASE);
            flat.as_str()
        }
        _ => select,
    };
    let sql = assemble::<T>(select, &b.clauses, &order, &outer_order, &limit_sql);
    Ok((driven(sql, driving, &b.clauses), b.params))
}

/// A time (the text of a sort column, `?`) in milliseconds, as the search
/// triggers compute it.
const TIME_KEY: &str = "max(0, min(140737488355327, \
     coalesce(CAST(round((julianday(?) - 2440587.5) * 86400000) AS INTEGER), 0)))";

/// Settles the search of a built filter: when the row type's own order is
/// its search index's (`Listed::SEARCH`), the statement is to walk that
/// index (the MATCH becomes the first clause; `driven` rewrites the FROM)
/// and this returns it. Any other list filters by the index.
fn drive<T: Listed>(b: &mut Built) -> Option<SearchIndex> {
    let s = b.search.take()?;
    match T::SEARCH {
        Some(ix) if ix.fts == s.fts => {
            b.clauses.insert(0, format!("{} MATCH ?", s.fts));
            b.params.insert(0, Value::Text(s.query));
            Some(ix)
        }
        _ => {
            b.add(
                format!(
                    "{} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)",
                    s.key,
                    fts = s.fts
                ),
                [Value::Text(s.query)],
            );
            None
        }
    }
}

/// Makes a statement read its searched table through the search index:
/// FTS5 walks the matches in row-id order (the list's order) and the planner
/// must not reorder the join, or it would sort every match again. When a
/// filter keeps few rows and has its own index of search keys
/// (`SearchIndex::narrow`), each match is looked up there: the planner
/// would take the table's unique key, and read every matching row.
fn driven(sql: String, driving: Option<SearchIndex>, clauses: &[String]) -> String {
    match driving {
        Some(ix) => {
            let via = ix
                .narrow
                .iter()
                .find(|(clause, _)| clauses.iter().any(|c| c == clause))
                .map_or(String::new(), |(_, index)| format!(" INDEXED BY {index}"));
            sql.replacen(
                &format!(" FROM {} ", ix.table),
                &format!(
                    " FROM {fts} CROSS JOIN {table}{via} ON {alias}.search_key = {fts}.rowid ",
                    fts = ix.fts,
                    table = ix.table,
                    alias = ix.alias(),
                ),
                1,
            )
        }
        None => sql,
    }
}

/// Puts a statement together. A row type whose SELECT reads `FROM {inner}`
/// is filtered, sorted and limited on its base table first and joined after,
/// so a search matching 100,000 posts joins 50 of them, not all.
fn assemble<T: Listed>(
    select: &str,
    clauses: &[String],
    order: &str,
    outer_order: &str,
    limit: &str,
) -> String {
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    if select.contains("{inner}") {
        let alias = alias_of(T::BASE);
        let inner = format!("(SELECT {alias}.* FROM {}{filter}{order}{limit})", T::BASE);
        format!("{}{outer_order}", select.replace("{inner}", &inner))
    } else {
        format!("{select}{filter}{order}{limit}")
    }
}

fn fetch<T: Listed>(
    conn: &Connection,
    sql: &str,
    params: Vec<Value>,
) -> Result<Vec<T>, QueryError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params), |r| T::from_row(r))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One page of a list: at most `limit` rows after `after`.
pub fn page<T: Listed>(
    conn: &Connection,
    list: ListKind,
    filters: &Filters,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<T>, QueryError> {
    let (sql, params) =
        statement_dir::<T>(list, filters, after, Some(limit + 1), T::SELECT, false)?;
    let mut rows: Vec<T> = fetch(conn, &sql, params)?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| {
            let (ts, id) = r.sort_key();
            Cursor {
                ts: ts.to_owned(),
                id: id.to_owned(),
            }
        })
    } else {
        None
    };
    Ok(Page { rows, next })
}

/// The page of at most `limit` rows just before `before` (or the last page of
/// the list when `before` is `None`), in list order; `next` is set when more
/// rows lie before it.
pub fn page_before<T: Listed>(
    conn: &Connection,
    list: ListKind,
    filters: &Filters,
    before: Option<&Cursor>,
    limit: usize,
) -> Result<Page<T>, QueryError> {
    let (sql, params) =
        statement_dir::<T>(list, filters, before, Some(limit + 1), T::SELECT, true)?;
    let mut rows: Vec<T> = fetch(conn, &sql, params)?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    rows.reverse();
    let next = if more {
        rows.first().map(cursor_of)
    } else {
        None
    };
    Ok(Page { rows, next })
}

pub fn cursor_of<T: Listed>(row: &T) -> Cursor {
    let (ts, id) = row.sort_key();
    Cursor {
        ts: ts.to_owned(),
        id: id.to_owned(),
    }
}

/// The ` FROM …` part of a row type's SELECT: the last top-level FROM, since
/// the column list may hold subqueries with FROMs of their own (and no row
/// type has a subquery after its FROM).
fn from_clause<T: Listed>() -> &'static str {
    T::SELECT
        .rfind(" FROM ")
        .map_or(T::SELECT, |i| &T::SELECT[i..])
}

/// How many rows match, counting no further than `cap` (a title that says
/// "10000+" must not cost a scan of a million rows). Returns (count, capped).
pub fn count<T: Listed>(
    conn: &Connection,
    list: ListKind,
    filters: &Filters,
    cap: usize,
) -> Result<(i64, bool), QueryError> {
    let from = from_clause::<T>();
    let (_, id) = T::SORT;
    let select = format!("SELECT {id}{from}");
    let mut b = build::<T>(list, filters, false)?;
    let driving = drive::<T>(&mut b);
    // Only the words: every row of the search index is a row of the list,
    // so the index alone counts them (no row read).
    if let (Some(ix), [_]) = (driving, b.clauses.as_slice()) {
        let mut params = std::mem::take(&mut b.params);
        params.push(Value::Integer(cap as i64 + 1));
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?)",
            fts = ix.fts
        );
        let n: i64 = conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(params), |r| r.get(0))?;
        return Ok((n.min(cap as i64), n > cap as i64));
    }
    // Joins to required parents do not change a count: skip them when the
    // filters only touch the base table.
    let only_base = !T::COUNT_FROM.is_empty()
        && b.clauses
            .iter()
            .all(|c| !T::JOINED.iter().any(|a| c.contains(a)));
    let inner = if !only_base {
        assemble::<T>(&select, &b.clauses, "", "", " LIMIT ?")
    } else {
        let filter = if b.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", b.clauses.join(" AND "))
        };
        format!("SELECT 1 FROM {}{filter} LIMIT ?", T::COUNT_FROM)
    };
    let mut params = std::mem::take(&mut b.params);
    params.push(Value::Integer(cap as i64 + 1));
    let sql = format!(
        "SELECT count(*) FROM ({})",
        driven(inner, driving, &b.clauses)
    );
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(params), |r| r.get(0))?;
    Ok((n.min(cap as i64), n > cap as i64))
}

/// Streams every matching row (after `after`, at most `limit`) to `f`, one at a
/// time, for exports that must not hold a whole table in memory.
pub fn for_each<T: Listed>(
    conn: &Connection,
    list: ListKind,
    filters: &Filters,
    after: Option<&Cursor>,
    limit: Option<usize>,
    mut f: impl FnMut(T) -> std::io::Result<()>,
) -> Result<(), QueryError> {
    let (sql, params) = statement_dir::<T>(list, filters, after, limit, T::SELECT, false)?;
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        f(T::from_row(r)?)?;
    }
    Ok(())
}

/// The ids of every matching row, in list order (for `--where` selections).
pub fn ids<T: Listed>(
    conn: &Connection,
    list: ListKind,
    filters: &Filters,
) -> Result<Vec<String>, QueryError> {
    let (_, id) = T::SORT;
    let from = from_clause::<T>();
    let select = format!("SELECT {id}{from}");
    let (sql, params) = statement_dir::<T>(list, filters, None, None, &select, false)?;
    let mut stmt = conn.prepare(&sql)?;
    let ids = stmt
        .query_map(rusqlite::params_from_iter(params), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words() {
        assert_eq!(
            fts_query("ecole Dori").as_deref(),
            Some("\"ecole\" \"Dori\"*")
        );
        assert_eq!(
            fts_query("a\"b OR cde*").as_deref(),
            Some("\"a\" \"b\" \"OR\" \"cde\"*")
        );
        assert_eq!(fts_query("  ;; "), None);
        assert_eq!(fts_query("k").as_deref(), Some("\"k\""));
        // Two letters are a word, not the start of thousands of them.
        assert_eq!(fts_query("eau fo").as_deref(), Some("\"eau\" \"fo\""));
        assert_eq!(fts_query("for").as_deref(), Some("\"for\"*"));
    }

    #[test]
    fn cursor_round_trips() {
        let c: Cursor = "2026-11-25T09:00:00.000Z,0193-ab".parse().unwrap();
        assert_eq!(c.to_string(), "2026-11-25T09:00:00.000Z,0193-ab");
        assert!("nope".parse::<Cursor>().is_err());
    }

    #[test]
    fn filters_are_checked_per_list() {
        let mut f = Filters::default();
        f.push_where("thread=abc").unwrap();
        assert!(matches!(
            build::<super::super::rows::Organization>(ListKind::Enrollments, &f, true),
            Err(FilterError::NotApplicable { .. })
        ));
        let mut f = Filters::default();
        f.push(FilterKey::Status, "applied,enroled");
        let err =
            build::<super::super::rows::Organization>(ListKind::Enrollments, &f, true).unwrap_err();
        assert!(err.to_string().contains("enroled"), "{err}");
        assert!(Filters::default().push_where("status").is_err());
    }
}
