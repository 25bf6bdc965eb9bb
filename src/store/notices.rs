//! What the person a decision affects is told: "Votre message du 12
//! novembre a été masqué : propos injurieux." One template per decision kind
//! and language, kept in `notice_templates` (edited at the hub with `hub
//! templates edit`, synced to replicas), filled from the record and the
//! decision. The hub puts the notice in the decision feed for the platform
//! to show or send; the console shows it before the decision is confirmed.
//!
//! Placeholders: `{date}` (when the post or document was published),
//! `{reason}`, `{until}` (a mute's end), `{title}` (a document's), `{name}`
//! (an organisation's). Every value is made safe text first.

use super::sql::{DbError, Optional, Sql};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// A notice in both languages the platform speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub fr: String,
    pub en: String,
}

impl Notice {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// The placeholders a template knows.
pub const PLACEHOLDERS: &[&str] = &["date", "reason", "until", "title", "name"];

/// What fills a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    /// RFC 3339.
    pub date: Option<String>,
    pub reason: Option<String>,
    /// RFC 3339.
    pub until: Option<String>,
    pub title: Option<String>,
    pub name: Option<String>,
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "fr",
        Lang::En => "en",
    }
}

/// "12 novembre" ("12 novembre 2025" in another year than `now`'s), with
/// the time of day when `with_time`.
fn human_date(at: &str, lang: Lang, with_time: bool, now: jiff::Timestamp) -> String {
    let Ok(ts) = at.parse::<jiff::Timestamp>() else {
        return crate::text::inline(at);
    };
    let utc = jiff::tz::TimeZone::UTC;
    let dt = ts.to_zoned_datetime(utc.clone());
    let year = now.to_zoned_datetime(utc).year();
    let mut s = crate::time::day_month(dt.day(), dt.month(), lang);
    if dt.year() != year || with_time {
        s.push_str(&format!(" {}", dt.year()));
    }
    if with_time {
        s.push_str(&match lang {
            Lang::Fr => format!(" à {:02}:{:02} (UTC)", dt.hour(), dt.minute()),
            Lang::En => format!(" at {:02}:{:02} (UTC)", dt.hour(), dt.minute()),
        });
    }
    s
}

/// Fills `template`: each `{placeholder}` by its value, a missing reason
/// by "no reason given", an unknown `{…}` left as it is.
pub fn render(template: &str, vars: &Vars, lang: Lang, now: jiff::Timestamp) -> String {
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "date" => vars
                .date
                .as_deref()
                .map(|d| human_date(d, lang, false, now))
                .unwrap_or_default(),
            "until" => vars
                .until
                .as_deref()
                .map(|d| human_date(d, lang, true, now))
                .unwrap_or_default(),
            "reason" => match vars.reason.as_deref().map(str::trim) {
                Some(r) if !r.is_empty() => crate::text::inline(r),
                _ => lang
                    .pick("sans motif précisé", "no reason given")
                    .to_owned(),
            },
            "title" => crate::text::inline(vars.title.as_deref().unwrap_or("")),
            "name" => crate::text::inline(vars.name.as_deref().unwrap_or("")),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(template.len() + 40);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, value(&after[..close])?)))
        {
            Some((close, v)) => {
                out.push_str(&v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    crate::text::inline(&out)
}

/// A template's `{…}` that are not placeholders (a typo the team should
/// hear about before it goes out).
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            out.push(format!("{{{name}}}"));
        }
        rest = &after[close + 1..];
    }
    out
}

/// The template for a decision kind, if that kind affects a person.
pub fn template(conn: &dyn Sql, kind: &str, lang: Lang) -> Result<Option<String>, DbError> {
    conn.prepare_cached("SELECT body FROM notice_templates WHERE kind = ?1 AND lang = ?2")?
        .query_row([kind, lang_code(lang)], |r| r.get(0))
        .optional()
}

/// One template as the team keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub kind: String,
    pub lang: String,
    pub body: String,
    pub updated_at: Option<String>,
}

/// Every template, by kind and language.
pub fn templates(conn: &dyn Sql) -> Result<Vec<Template>, DbError> {
    let mut stmt = conn
        .prepare("SELECT kind, lang, body, updated_at FROM notice_templates ORDER BY kind, lang")?;
    stmt.query_map((), |r| {
        Ok(Template {
            kind: r.get(0)?,
            lang: r.get(1)?,
            body: r.get(2)?,
            updated_at: r.get(3)?,
        })
    })?
    .collect()
}

/// What a record gives a template: its date, title or name.
pub fn record_vars(conn: &dyn Sql, entity: &str, id: &str) -> Result<Vars, DbError> {
    let sql = match entity {
        "forum_post" => "SELECT created_at, NULL, NULL FROM forum_posts WHERE id = ?1",
        "upload" => "SELECT submitted_at, title, NULL FROM uploads WHERE id = ?1",
        "organization" => "SELECT NULL, NULL, name FROM organizations WHERE id = ?1",
        "citizen" => "SELECT NULL, NULL, display_name FROM citizens WHERE id = ?1",
        _ => return Ok(Vars::default()),
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| {
            Ok(Vars {
                date: r.get(0)?,
                title: r.get(1)?,
                name: r.get(2)?,
                ..Vars::default()
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// The notice for a decision of `kind` on a record, in both languages;
/// `None` when the kind affects no one person.
pub fn notice(
    conn: &dyn Sql,
    kind: &str,
    entity: &str,
    id: &str,
    reason: Option<&str>,
    until: Option<&str>,
) -> Result<Option<Notice>, DbError> {
    let (Some(fr), Some(en)) = (
        template(conn, kind, Lang::Fr)?,
        template(conn, kind, Lang::En)?,
    ) else {
        return Ok(None);
    };
    let vars = Vars {
        reason: reason.map(str::to_owned),
        until: until.map(str::to_owned),
        ..record_vars(conn, entity, id)?
    };
    let now = jiff::Timestamp::now();
    Ok(Some(Notice {
        fr: render(&fr, &vars, Lang::Fr, now),
        en: render(&en, &vars, Lang::En, now),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-12-01T10:00:00Z".parse().expect("now")
    }

    #[test]
    fn a_template_reads_as_a_sentence() {
        let vars = Vars {
            date: Some("2026-11-12T09:30:00.000Z".into()),
            reason: Some("propos injurieux".into()),
            ..Vars::default()
        };
        assert_eq!(
            render(
                "Votre message du {date} a été masqué : {reason}.",
                &vars,
                Lang::Fr,
                now()
            ),
            "Votre message du 12 novembre a été masqué : propos injurieux."
        );
        let last_year = Vars {
            date: Some("2025-03-02T00:00:00Z".into()),
            ..Vars::default()
        };
        assert_eq!(
            render(
                "Your post of {date}: {reason}.",
                &last_year,
                Lang::En,
                now()
            ),
            "Your post of 2 March 2025: no reason given."
        );
        let muted = Vars {
            until: Some("2026-12-08T14:05:00Z".into()),
            ..Vars::default()
        };
        assert_eq!(
            render("jusqu'au {until}", &muted, Lang::Fr, now()),
            "jusqu'au 8 décembre 2026 à 14:05 (UTC)"
        );
    }

    #[test]
    fn values_are_safe_and_unknown_braces_stay() {
        let vars = Vars {
            reason: Some("spam\u{1b}]0;x\u{7}\n".into()),
            ..Vars::default()
        };
        let out = render("{reason} {oops} {", &vars, Lang::Fr, now());
        assert!(!out.contains('\u{1b}') && !out.contains('\n'), "{out:?}");
        assert!(out.ends_with("{oops} {"), "{out:?}");
        assert_eq!(unknown_placeholders("{date} {dat} {reason}"), ["{dat}"]);
    }
}
