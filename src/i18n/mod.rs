//! The language of messages meant for people. French first, English available;
//! identifiers, stored values and machine output (CSV, JSON) stay English.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// `--lang` wins, then a `LANG`/`LC_ALL`/`LC_MESSAGES` starting with `en`; French otherwise.
    pub fn resolve(flag: Option<Lang>) -> Lang {
        if let Some(l) = flag {
            return l;
        }
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var)
                && !v.is_empty()
            {
                return if v.starts_with("en") {
                    Lang::En
                } else {
                    Lang::Fr
                };
            }
        }
        Lang::Fr
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// What goes between a label and its value: " : " in French (a space
    /// before the colon), ": " in English.
    pub fn colon(self) -> &'static str {
        self.pick(" : ", ": ")
    }

    /// `label : value` / `label: value`.
    pub fn labelled(self, label: &str, value: impl std::fmt::Display) -> String {
        format!("{label}{}{value}", self.colon())
    }
}

/// "1 message", "20 messages": a count with its noun agreeing (French
/// and English both take the singular for 0 and 1... except English, which
/// says "0 posts": `many` for everything but 1 there).
pub fn counted(lang: Lang, n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    let singular = match lang {
        Lang::Fr => n.abs() <= 1,
        Lang::En => n.abs() == 1,
    };
    format!("{n} {}", if singular { one } else { many })
}

pub mod sentences;
pub mod values;
