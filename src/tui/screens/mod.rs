//! The console's screens. A screen is one file here: its rows' columns and
//! detail, its keymap section and hints, the decision each action makes, its
//! header, and its lists. `App` holds one `Page` per screen, in tab order;
//! adding a screen is one file, one `Screen` variant with its `Meta`, and a
//! keymap section. Every platform string goes through `text` before a widget.

pub mod dashboard;
pub mod enrollments;
pub mod forum;
pub mod journal;
pub mod sms;
pub mod sync;
pub mod uploads;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use rusqlite::Connection;

use super::keymap::{Action, Section};
use super::list::{ListScreen, SearchedList, field, heading};
use super::theme::Theme;
use crate::i18n::Lang;
use crate::ops::decisions::Decision;
use crate::store::entity::Entity;
use crate::text::inline;
use crate::tui::strings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Dashboard,
    Enrollments,
    Uploads,
    Forum,
    Sms,
    Sync,
    Journal,
}

/// What the console knows of a screen before showing it.
pub struct Meta {
    pub title: (&'static str, &'static str),
    /// For tabs on narrow terminals.
    pub short_title: (&'static str, &'static str),
    pub section: Section,
    /// The action that switches to it.
    pub switch: Action,
    /// The kind of record its rows are (for undo), if one.
    pub entity: Option<Entity>,
    /// The actions its hint bar offers.
    pub hints: &'static [Action],
}

impl Screen {
    pub const ALL: [Screen; 7] = [
        Screen::Dashboard,
        Screen::Enrollments,
        Screen::Uploads,
        Screen::Forum,
        Screen::Sms,
        Screen::Sync,
        Screen::Journal,
    ];

    pub fn meta(self) -> &'static Meta {
        match self {
            Screen::Dashboard => &dashboard::META,
            Screen::Enrollments => &enrollments::META,
            Screen::Uploads => &uploads::META,
            Screen::Forum => &forum::META,
            Screen::Sms => &sms::META,
            Screen::Sync => &sync::META,
            Screen::Journal => &journal::META,
        }
    }

    pub fn title(self) -> (&'static str, &'static str) {
        self.meta().title
    }

    pub fn short_title(self) -> (&'static str, &'static str) {
        self.meta().short_title
    }

    pub fn section(self) -> Section {
        self.meta().section
    }

    /// The keymap sections that apply, most specific first.
    pub fn sections(self) -> Vec<Section> {
        if self == Screen::Dashboard {
            vec![Section::Dashboard, Section::Global]
        } else {
            vec![self.section(), Section::List, Section::Global]
        }
    }

    /// The kind of record of this screen's rows, for undo.
    pub fn entity(self) -> Option<Entity> {
        self.meta().entity
    }

    /// The kinds of record decided on from this screen, for undo: its rows'
    /// and what its actions reach besides (a post's author and thread, the
    /// claims and notes on its rows). Empty: any kind.
    pub fn undo_entities(self) -> &'static [&'static str] {
        match self {
            Screen::Forum => &["forum_post", "citizen", "forum_thread", "claim", "note"],
            Screen::Enrollments => &["organization", "org_leader", "claim", "note"],
            Screen::Uploads => &["upload", "claim", "note"],
            Screen::Sms => &["sms_message", "sms_contact"],
            Screen::Dashboard | Screen::Sync | Screen::Journal => &[],
        }
    }

    /// The screen where records of a kind are decided on, if any.
    pub fn of(entity: Entity) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.entity() == Some(entity))
    }

    pub fn switch_action(self) -> Action {
        self.meta().switch
    }

    pub fn hints(self) -> &'static [Action] {
        self.meta().hints
    }

    /// Its place in `Screen::ALL` (and in the model's pages).
    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Which of a screen's lists is shown (screens with more than one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Main,
    SmsGroups,
    SmsContacts,
    Conflicts,
    Staff,
}

/// What drawing a screen may look at beside the screen itself.
pub struct Context<'a> {
    pub lang: Lang,
    pub theme: &'a Theme,
    pub now: jiff::Timestamp,
    pub last_sync: Option<&'a str>,
    pub pending_ops: i64,
    pub conflicts: i64,
    pub syncer: Option<&'a super::syncer::Syncer>,
    pub detail_focus: bool,
}

/// A screen: its lists, its decisions, its header.
pub trait Page {
    fn screen(&self) -> Screen;

    /// The list shown now (`None`: the screen has no list).
    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        None
    }

    /// Whether an action of the hint bar can act now (shown dim when not).
    fn enabled(&self, _action: Action) -> bool {
        true
    }

    /// The decision an action means here, if any.
    fn decision(&self, _action: Action) -> Option<Decision> {
        None
    }

    /// The list shown, when the search worker fills it (large lists).
    fn searched(&mut self) -> Option<&mut dyn SearchedList> {
        None
    }

    /// Whether the list shown can be searched.
    fn searchable(&mut self) -> bool {
        self.searched().is_some()
    }

    fn view(&self) -> View {
        View::Main
    }

    /// Shows the next of its lists; false if it has only one.
    fn next_view(&mut self) -> bool {
        false
    }

    /// Shows one of its lists.
    fn set_view(&mut self, _view: View) {}

    /// Re-reads what the header shows (counters); the list reloads apart.
    fn load(&mut self, _conn: &Connection, _now: jiff::Timestamp) {}

    /// Lines its header takes above the list.
    fn header_height(&self) -> u16 {
        0
    }

    fn draw_header(&self, _f: &mut Frame<'_>, _area: Rect, _cx: &Context<'_>) {}

    /// Draws the screen's main area: its header, then its list.
    fn draw(&mut self, f: &mut Frame<'_>, area: Rect, cx: &Context<'_>) {
        let h = self.header_height();
        let area = if h > 0 {
            let [head, rest] =
                Layout::vertical([Constraint::Length(h), Constraint::Min(3)]).areas(area);
            self.draw_header(f, head, cx);
            rest
        } else {
            area
        };
        if let Some(list) = self.list() {
            list.render(f, area, cx.lang, cx.now, cx.theme, cx.detail_focus);
        }
    }
}

/// One page per screen, in `Screen::ALL` order.
pub fn pages() -> Vec<Box<dyn Page>> {
    let pages: Vec<Box<dyn Page>> = vec![
        Box::new(dashboard::Dashboard::default()),
        Box::new(enrollments::Enrollments::default()),
        Box::new(uploads::Uploads::default()),
        Box::new(forum::Forum::default()),
        Box::new(sms::Sms::default()),
        Box::new(sync::Sync::default()),
        Box::new(journal::Journal::default()),
    ];
    debug_assert!(
        pages
            .iter()
            .enumerate()
            .all(|(i, p)| p.screen().index() == i)
    );
    pages
}

pub(super) fn yes_no(lang: Lang, b: bool) -> &'static str {
    if b {
        strings::YES.get(lang)
    } else {
        strings::NO.get(lang)
    }
}

/// The platform's own id of a record, and its public page when
/// `platform_url` is configured, so a moderator finds the same thing on the
/// website.
pub(super) fn on_platform(
    theme: &Theme,
    lang: Lang,
    kind: &str,
    id: &Option<String>,
) -> Option<Line<'static>> {
    let id = id.as_deref()?;
    let value = match crate::config::platform_link(kind, id) {
        Some(url) => format!("{id} — {url}"),
        None => id.to_owned(),
    };
    Some(field(
        theme,
        lang,
        strings::ON_THE_PLATFORM.get(lang),
        value,
    ))
}

/// Who has the record in hand and the staff notes on it (`whose`: "de
/// l'auteur" for notes on a post's author), for its detail.
pub(super) fn worked_lines(
    conn: &Connection,
    lang: Lang,
    theme: &Theme,
    now: jiff::Timestamp,
    id: &str,
    whose: Option<&str>,
) -> Vec<Line<'static>> {
    let w = crate::store::views::worked(conn, id);
    let mut out = Vec::new();
    if let Some((login, at)) = &w.claim {
        out.push(field(
            theme,
            lang,
            strings::CLAIMED_BY.get(lang),
            format!(
                "{} — {}",
                inline(login),
                crate::time::relative(at, now, lang)
            ),
        ));
    }
    for (author, at, body) in &w.notes {
        let label = match whose {
            Some(w) => format!("{} {w}", strings::NOTE.get(lang)),
            None => strings::NOTE.get(lang).to_owned(),
        };
        out.push(field(
            theme,
            lang,
            &label,
            format!(
                "{} ({}, {})",
                inline(body),
                inline(author),
                crate::time::short(at)
            ),
        ));
    }
    out
}

pub(super) fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "—".to_owned())
}

/// The last audit entries about one record, oldest first.
pub(super) fn history(
    conn: &Connection,
    theme: &Theme,
    lang: Lang,
    entity: &str,
    id: &str,
) -> Vec<Line<'static>> {
    let mut out = vec![Line::default(), heading(theme, strings::HISTORY.get(lang))];
    let rows = crate::store::views::history(conn, entity, id);
    if rows.is_empty() {
        out.push(Line::styled(strings::NO_DECISION_YET.get(lang), theme.dim));
    }
    for crate::store::views::HistoryEntry {
        at,
        actor,
        action,
        reason,
    } in rows
    {
        let reason = reason
            .map(|r| format!(" — {}", inline(&r)))
            .unwrap_or_default();
        let name = crate::store::views::staff_name(conn, &actor);
        let who = crate::i18n::sentences::actor(&actor, Some(&name), lang);
        out.push(Line::from(format!(
            "{} {who}{}{}{reason}",
            crate::time::short(&at),
            lang.colon(),
            crate::i18n::values::action_words(&action, lang)
        )));
    }
    out
}

/// JSON laid out for reading (or the text as it is, if it is not JSON).
pub(super) fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_owned())
}
