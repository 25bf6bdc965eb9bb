//! Journal: the audit log, every decision taken on this replica or pulled.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::Connection;

use super::{Meta, Page, Screen, pretty};
use crate::i18n::Lang;
use crate::i18n::sentences::{self, Record};
use crate::store::query::ListKind;
use crate::store::rows::AuditEntry;
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, body, field, heading};
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;

impl AuditEntry {
    fn record(&self) -> Record<'_> {
        Record {
            entity: &self.entity,
            label: self.label.as_deref(),
            owner: self.owner.as_deref(),
        }
    }

    /// The entry as a sentence: who did what to which record, and why.
    pub fn sentence(&self, lang: Lang) -> String {
        let who = sentences::actor(&self.actor, self.actor_name.as_deref(), lang);
        sentences::did(
            &who,
            &self.action,
            &self.record(),
            self.reason.as_deref(),
            lang,
        )
    }
}

impl ScreenRow for AuditEntry {
    const LIST: ListKind = ListKind::Audit;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_TIME, Constraint::Length(15)),
            (strings::COL_DECISION, Constraint::Min(20)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        vec![
            crate::time::relative(&self.at, now, lang),
            self.sentence(lang),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let mut out = vec![Line::from(self.sentence(lang)), Line::default()];
        out.extend(changes(conn, &self.entity, &self.detail, lang, theme));
        out.extend([
            field(
                theme,
                lang,
                strings::TIME.get(lang),
                crate::time::long(&self.at, lang),
            ),
            field(
                theme,
                lang,
                strings::ACTOR.get(lang),
                match &self.actor_name {
                    Some(n) => format!("{} ({})", inline(n), inline(&self.actor)),
                    None => sentences::actor(&self.actor, None, lang),
                },
            ),
            field(
                theme,
                lang,
                strings::DEVICE.get(lang),
                match (&self.device_name, self.device.as_str()) {
                    (Some(name), _) => name.clone(),
                    (None, "hub") => lang.pick("le hub", "the hub").to_owned(),
                    // This replica's own id, or another's unknown here.
                    (None, id)
                        if crate::store::state(conn, "device_id")
                            .ok()
                            .flatten()
                            .as_deref()
                            == Some(id) =>
                    {
                        lang.pick("cet appareil", "this device").to_owned()
                    }
                    (None, id) => id.to_owned(),
                },
            ),
            field(
                theme,
                lang,
                strings::RECORD.get(lang),
                format!(
                    "{} {}",
                    crate::i18n::values::entity_words(&self.entity, lang),
                    self.entity_id
                ),
            ),
            Line::default(),
            heading(theme, strings::AS_RECORDED.get(lang)),
        ]);
        out.extend(body(&pretty(&self.detail)));
        out
    }
}

/// What the decision changed, before → after, in words.
fn changes(
    conn: &Connection,
    entity: &str,
    detail: &str,
    lang: Lang,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(detail) else {
        return Vec::new();
    };
    let (Some(before), Some(after)) = (
        v.get("before").and_then(|b| b.as_object()),
        v.get("after").and_then(|a| a.as_object()),
    ) else {
        return Vec::new();
    };
    let list = match entity {
        "organization" => "enrollments",
        "upload" => "uploads",
        "forum_post" => "forum",
        "sms_message" => "sms",
        _ => "",
    };
    let shown = |key: &str, value: Option<&serde_json::Value>| -> String {
        match value {
            None | Some(serde_json::Value::Null) => "—".to_owned(),
            Some(serde_json::Value::String(code)) if key.ends_with("_by") => {
                // A login: the person's name.
                let name = crate::store::views::staff_name(conn, code);
                crate::i18n::sentences::actor(code, Some(&name), lang)
            }
            Some(serde_json::Value::String(code)) => {
                crate::i18n::values::column_word(list, key, code, lang).unwrap_or_else(|| {
                    if code.parse::<jiff::Timestamp>().is_ok() {
                        crate::time::short(code)
                    } else {
                        inline(code)
                    }
                })
            }
            Some(other) => inline(&other.to_string()),
        }
    };
    let mut out = Vec::new();
    for (key, new) in after {
        let old = before.get(key);
        // Lists of ids (flags resolved) say nothing to a person.
        if old == Some(new) || new.is_array() {
            continue;
        }
        let label = crate::i18n::values::field_words(key, lang);
        out.push(field(
            theme,
            lang,
            &label,
            format!("{} → {}", shown(key, old), shown(key, Some(new))),
        ));
    }
    if !out.is_empty() {
        out.push(Line::default());
    }
    out
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::JOURNAL_TITLE, short_title: strings::JOURNAL_SHORT, section: Section::Journal, switch: Action::ScreenJournal, entity: None,
    hints: &[Action::Filter, Action::OpenRecord, Action::Detail, Action::Help, Action::Quit],
};

pub struct Journal {
    list: ListView<AuditEntry>,
}

impl Default for Journal {
    fn default() -> Journal {
        Journal {
            list: ListView::new(strings::JOURNAL_TITLE, ""),
        }
    }
}

impl Page for Journal {
    fn screen(&self) -> Screen {
        Screen::Journal
    }

    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        Some(&mut self.list)
    }
}
