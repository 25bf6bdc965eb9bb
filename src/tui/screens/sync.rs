//! Synchro: ops waiting to be pushed, conflicts the hub reported.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::Connection;

use super::{Context, View};
use super::{Meta, Page, Screen, opt, pretty, yes_no};
use crate::i18n::Lang;
use crate::store::query::ListKind;
use crate::store::rows::{Conflict, OutboxEntry, StaffMember};
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, body, field, heading, warning};
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Layout, Rect};
use ratatui::widgets::Paragraph;

impl ScreenRow for Conflict {
    const LIST: ListKind = ListKind::Conflicts;

    fn id(&self) -> &str {
        &self.op_id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_DETECTED, Constraint::Length(13)),
            (strings::COL_RECORD, Constraint::Length(13)),
            (strings::COL_STATE, Constraint::Length(9)),
            (strings::COL_DECISION, Constraint::Min(10)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        use crate::i18n::values::{entity_words, op_words};
        vec![
            crate::time::relative(&self.detected_at, now, lang),
            entity_words(&self.entity, lang),
            if self.resolved_at.is_some() {
                lang.pick("réglé", "resolved").to_owned()
            } else {
                lang.pick("ouvert", "open").to_owned()
            },
            op_words(&self.mine, lang),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let theirs = serde_json::from_str::<serde_json::Value>(&self.theirs).unwrap_or_default();
        let pick = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| theirs.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        };
        let who = pick(&["moderated_by", "reviewed_by", "approved_by"])
            .map(|id| crate::store::views::staff_name(conn, &id));
        let when = pick(&["moderated_at", "reviewed_at"]);
        let mut out = vec![
            warning(theme, strings::CONFLICT_EXPLAINED.get(lang)),
            field(
                theme,
                lang,
                strings::DECISION_AT_THE_HUB.get(lang),
                format!(
                    "{} {} {} {}",
                    strings::BY.get(lang),
                    inline(who.as_deref().unwrap_or("?")),
                    strings::AT.get(lang),
                    when.as_deref().unwrap_or("?")
                ),
            ),
            field(
                theme,
                lang,
                strings::RECORD.get(lang),
                format!("{} {}", self.entity, self.entity_id),
            ),
            field(
                theme,
                lang,
                strings::DECIDED_ON_THIS_DEVICE.get(lang),
                opt(&self.decided_at),
            ),
            field(
                theme,
                lang,
                strings::REFUSAL_RECEIVED_FROM_THE_HUB.get(lang),
                self.detected_at.clone(),
            ),
            Line::default(),
            heading(theme, strings::MINE.get(lang)),
        ];
        out.extend(body(&pretty(&self.mine)));
        out.push(Line::default());
        out.push(heading(theme, strings::AT_THE_HUB_NOW.get(lang)));
        out.extend(body(&pretty(&self.theirs)));
        out
    }
}

impl OutboxEntry {
    /// What the op does, in words: "Masquer le message de Pauline K. « … »".
    fn what(&self, lang: Lang) -> String {
        let Ok(envelope) = serde_json::from_str::<crate::ops::Envelope>(&self.op) else {
            return crate::i18n::values::op_words(&self.op, lang);
        };
        let entity = self
            .entity
            .as_deref()
            .or_else(|| envelope.op.target().map(|(e, _)| e))
            .unwrap_or("");
        let record = crate::i18n::sentences::Record {
            entity,
            label: self.label.as_deref(),
            owner: self.owner.as_deref(),
        };
        let will = crate::i18n::sentences::will(&envelope.op.action_name(), &record, lang);
        crate::i18n::sentences::with_reason(will, envelope.op.reason(), lang)
    }
}

impl ScreenRow for OutboxEntry {
    const LIST: ListKind = ListKind::Outbox;

    fn id(&self) -> &str {
        &self.op_id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_SEQ, Constraint::Length(6)),
            (strings::COL_TIME, Constraint::Length(15)),
            (strings::COL_STATE, Constraint::Length(10)),
            (strings::COL_OP, Constraint::Min(10)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        use crate::i18n::values::column_word;
        vec![
            self.seq.to_string(),
            crate::time::relative(&self.created_at, now, lang),
            match (&self.outcome, &self.pushed_at) {
                (Some(o), _) => column_word("outbox", "outcome", o, lang).unwrap_or_default(),
                (None, Some(_)) => lang.pick("envoyée", "sent").to_owned(),
                (None, None) => lang.pick("à envoyer", "to send").to_owned(),
            },
            self.what(lang),
        ]
    }

    fn detail(
        &self,
        _conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let mut out = vec![
            Line::from(self.what(lang)),
            Line::default(),
            field(theme, lang, "op_id", self.op_id.clone()),
            field(
                theme,
                lang,
                strings::CREATED.get(lang),
                crate::time::long(&self.created_at, lang),
            ),
            field(
                theme,
                lang,
                strings::PUSHED.get(lang),
                yes_no(lang, self.pushed_at.is_some()),
            ),
        ];
        if let Some(outcome) = &self.outcome {
            out.push(field(
                theme,
                lang,
                strings::HUB_S_ANSWER.get(lang),
                crate::i18n::values::column_word("outbox", "outcome", outcome, lang)
                    .unwrap_or_default(),
            ));
        }
        if let Some(reason) = &self.reason {
            // The hub's words may quote platform content.
            let line = field(theme, lang, strings::REASON.get(lang), inline(reason));
            out.push(if self.outcome.as_deref() == Some("rejected") {
                line.style(theme.error)
            } else {
                line
            });
        }
        out.push(Line::default());
        out.extend(body(&pretty(&self.op)));
        out
    }
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::SYNC_SCREEN_TITLE, short_title: strings::SYNC_SCREEN_TITLE, section: Section::Sync, switch: Action::ScreenSync, entity: None,
    hints: &[Action::SyncNow, Action::NextView, Action::AcceptTheirs, Action::OpenRecord, Action::AddStaff, Action::SetRole, Action::SwitchOff, Action::SwitchOn, Action::ExportBundle, Action::ImportBundle, Action::Detail, Action::Help],
};

pub struct Sync {
    outbox: ListView<OutboxEntry>,
    conflicts: ListView<Conflict>,
    staff: ListView<StaffMember>,
    /// What is shown: local ops (`Main`), conflicts, or the team.
    view: View,
}

impl Default for Sync {
    fn default() -> Sync {
        Sync {
            outbox: ListView::new(strings::LOCAL_OPS_TITLE, ""),
            conflicts: ListView::new(strings::CONFLICTS_TITLE, "status=open"),
            staff: ListView::new(strings::STAFF_TITLE, ""),
            view: View::Main,
        }
    }
}

/// The team, read-only: who has which role, who was switched off, when
/// their devices last synced (as the hub last told this replica).
impl ScreenRow for StaffMember {
    const LIST: ListKind = ListKind::Staff;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_ROLE, Constraint::Length(16)),
            (strings::COL_LAST_SYNC, Constraint::Length(14)),
            (strings::COL_NAME, Constraint::Min(12)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        use crate::i18n::values::Worded;
        vec![
            if self.active {
                self.role.word(lang).to_owned()
            } else {
                strings::SWITCHED_OFF.get(lang).to_owned()
            },
            match &self.last_sync_at {
                Some(at) => crate::time::relative(at, now, lang),
                None => strings::NEVER.get(lang).to_owned(),
            },
            format!("{} ({})", inline(&self.display_name), inline(&self.login)),
        ]
    }

    fn detail(
        &self,
        _conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        use crate::i18n::values::Worded;
        let mut out = vec![
            heading(theme, &inline(&self.display_name)),
            field(theme, lang, strings::LOGIN.get(lang), self.login.clone()),
            field(
                theme,
                lang,
                strings::STAFF_ROLE.get(lang),
                self.role.word(lang).to_owned(),
            ),
            field(
                theme,
                lang,
                strings::STATE.get(lang),
                if self.active {
                    strings::ACTIVE.get(lang)
                } else {
                    strings::SWITCHED_OFF.get(lang)
                }
                .to_owned(),
            ),
            field(
                theme,
                lang,
                strings::LAST_SYNC.get(lang),
                match &self.last_sync_at {
                    Some(at) => crate::time::relative(at, now, lang),
                    None => strings::NEVER.get(lang).to_owned(),
                },
            ),
        ];
        if let (Some(change), Some(by), Some(at)) =
            (&self.change, &self.changed_by, &self.changed_at)
        {
            out.push(field(
                theme,
                lang,
                strings::LAST_CHANGE.get(lang),
                format!(
                    "{} — {} {}",
                    crate::i18n::values::action_words(change, lang),
                    inline(by),
                    crate::time::relative(at, now, lang)
                ),
            ));
        }
        out
    }
}

impl Page for Sync {
    fn screen(&self) -> Screen {
        Screen::Sync
    }

    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        Some(match self.view {
            View::Conflicts => &mut self.conflicts,
            View::Staff => &mut self.staff,
            _ => &mut self.outbox,
        })
    }

    fn enabled(&self, action: Action) -> bool {
        match action {
            Action::AcceptTheirs | Action::OpenRecord => self.view == View::Conflicts,
            Action::AddStaff | Action::SetRole | Action::SwitchOff | Action::SwitchOn => {
                self.view == View::Staff
            }
            _ => true,
        }
    }

    /// The team is searched in place (by login or name).
    fn searchable(&mut self) -> bool {
        self.view == View::Staff
    }

    /// An admin switches colleagues off (with a reason) or back on.
    fn decision(&self, action: Action) -> Option<crate::ops::decisions::Decision> {
        use crate::ops::decisions::Decision;
        match (self.view, action) {
            (View::Staff, Action::SwitchOff) => Some(Decision::StaffActive(false)),
            (View::Staff, Action::SwitchOn) => Some(Decision::StaffActive(true)),
            _ => None,
        }
    }

    fn view(&self) -> View {
        self.view
    }

    /// Local ops → conflicts → the team → local ops.
    fn next_view(&mut self) -> bool {
        self.view = match self.view {
            View::Conflicts => View::Staff,
            View::Staff => View::Main,
            _ => View::Conflicts,
        };
        true
    }

    fn set_view(&mut self, view: View) {
        self.view = match view {
            View::Conflicts | View::Staff => view,
            _ => View::Main,
        };
    }

    fn header_height(&self) -> u16 {
        2
    }

    fn draw_header(&self, f: &mut Frame<'_>, area: Rect, cx: &Context<'_>) {
        let lang = cx.lang;
        let [head, gauge] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let last = cx
            .last_sync
            .map(|s| crate::time::relative(s, cx.now, lang))
            .unwrap_or_else(|| strings::NEVER.get(lang).to_owned());
        let lines = vec![Line::from(format!(
            "{}    {}    {}",
            lang.labelled(strings::LAST_SYNC.get(lang), last),
            lang.labelled(strings::PENDING_OPS_WORD.get(lang), cx.pending_ops),
            lang.labelled(strings::CONFLICTS_WORD.get(lang), cx.conflicts),
        ))];
        f.render_widget(Paragraph::new(lines), head);
        draw_sync_state(f, cx.syncer, lang, cx.theme, gauge);
    }
}

/// The Synchro screen's second line: a gauge while syncing, else what the
/// sync key would do (or why it cannot).
pub(super) fn draw_sync_state(
    f: &mut Frame<'_>,
    syncer: Option<&crate::tui::syncer::Syncer>,
    lang: Lang,
    theme: &crate::tui::theme::Theme,
    area: Rect,
) {
    use crate::replica::session::Progress;
    let idle = |text: String| Paragraph::new(Line::styled(text, theme.dim));
    let Some(syncer) = syncer.filter(|s| s.configured()) else {
        f.render_widget(idle(strings::NO_HUB_HINT.get(lang).to_owned()), area);
        return;
    };
    if syncer.is_running() {
        let moved = |bytes, left| crate::i18n::values::moved(bytes, left, lang);
        let (label, ratio) = match syncer.progress {
            Some(Progress::Pushing {
                done,
                total,
                bytes,
                left,
            }) => (
                format!(
                    "{} {done}/{total}{}",
                    strings::PUSHING.get(lang),
                    moved(bytes, left)
                ),
                if total == 0 {
                    0.0
                } else {
                    done as f64 / total as f64
                },
            ),
            Some(Progress::Pulling {
                rows,
                snapshot: Some((table, tables)),
                share,
                bytes,
                left,
            }) => (
                format!(
                    "{} {rows} {}{}",
                    strings::FIRST_COPY.get(lang),
                    strings::ROWS.get(lang),
                    moved(bytes, left)
                ),
                share.unwrap_or(table as f64 / tables.max(1) as f64),
            ),
            Some(Progress::Pulling {
                rows,
                share,
                bytes,
                left,
                ..
            }) => (
                format!(
                    "{} {rows} {}{}",
                    strings::PULLING.get(lang),
                    strings::ROWS.get(lang),
                    moved(bytes, left)
                ),
                share.unwrap_or(1.0),
            ),
            None => (strings::CONNECTING.get(lang).to_owned(), 0.0),
        };
        f.render_widget(
            ratatui::widgets::Gauge::default()
                .gauge_style(theme.selected)
                .ratio(ratio.clamp(0.0, 1.0))
                .label(label),
            area,
        );
        return;
    }
    let text = match syncer.retry_in(std::time::Instant::now()) {
        Some(wait) => strings::retry_in(lang, wait.as_secs().max(1)),
        None => strings::SYNC_KEYS_HINT.get(lang).to_owned(),
    };
    // Whole parts only: a narrow terminal loses the last ones, never half of one.
    let mut text = text;
    while crate::text::width(&text) > usize::from(area.width) {
        match text.rfind(" · ") {
            Some(i) => text.truncate(i),
            None => break,
        }
    }
    f.render_widget(idle(text), area);
}
