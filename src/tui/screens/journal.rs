//! Journal: the audit log, every decision taken on this replica or pulled.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::Connection;

use super::{Meta, Page, Screen, opt, pretty};
use crate::i18n::Lang;
use crate::store::query::ListKind;
use crate::store::rows::AuditEntry;
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, body, field};
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;

impl ScreenRow for AuditEntry {
    const LIST: ListKind = ListKind::Audit;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_TIME, Constraint::Length(16)),
            (strings::COL_ACTOR, Constraint::Length(16)),
            (strings::COL_ACTION, Constraint::Length(22)),
            (strings::COL_REASON, Constraint::Min(10)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        vec![
            crate::time::relative(&self.at, now, lang),
            inline(&self.actor),
            crate::i18n::values::action_words(&self.action, lang),
            inline(self.reason.as_deref().unwrap_or("")),
        ]
    }

    fn detail(&self, _conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![
            field(
                theme,
                lang,
                strings::TIME.get(lang),
                crate::time::long(&self.at, lang),
            ),
            field(theme, lang, strings::ACTOR.get(lang), self.actor.clone()),
            field(theme, lang, strings::DEVICE.get(lang), self.device.clone()),
            field(
                theme,
                lang,
                "Action",
                crate::i18n::values::action_words(&self.action, lang),
            ),
            field(
                theme,
                lang,
                strings::RECORD.get(lang),
                format!("{} {}", self.entity, self.entity_id),
            ),
            field(theme, lang, strings::REASON.get(lang), opt(&self.reason)),
            Line::default(),
        ];
        out.extend(body(&pretty(&self.detail)));
        out
    }
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::JOURNAL_TITLE, short_title: strings::JOURNAL_SHORT, section: Section::Journal, switch: Action::ScreenJournal, entity: None,
    hints: &[Action::Filter, Action::Detail, Action::Help, Action::Quit],
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
