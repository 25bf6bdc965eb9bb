//! The console's model and its update function: keys become actions (through
//! the keymap), actions change the model. Every change to data goes through
//! `ops::decisions::apply_batch` → `ops::apply`; nothing here writes a table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::keymap::{Action, Key, Keymap, KeymapError, Lookup, Section};
use super::list::{ListScreen, ListView};
use super::screens::Screen;
use super::theme::Theme;
use crate::domain::enrollment::EnrollmentAction;
use crate::domain::forum::PostAction;
use crate::domain::uploads::ReviewDecision;
use crate::i18n::Lang;
use crate::ops::decisions::{Decision, apply_batch};
use crate::store::rows::{
    AuditEntry, Conflict, Organization, OutboxEntry, QueuedPost, SmsContact, SmsGroup, SmsMessage,
    Upload,
};
use crate::store::{Actor, Store};

/// What a confirmation dialog will do.
pub enum Pending {
    Decide(Decision),
    /// Undo one op (its id, audit action name, and what it was about).
    Undo {
        op_id: String,
        action: String,
        label: String,
    },
}

/// A decision waiting for the person's confirmation (and reason).
pub struct Confirm {
    pub pending: Pending,
    pub ids: Vec<String>,
    pub hidden: usize,
    pub reason: String,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Search,
    Filter,
}

pub enum Overlay {
    None,
    Help { scroll: u16 },
    Palette { input: String, selected: usize },
    Input { kind: InputKind, text: String },
    Confirm(Confirm),
    Compose(Box<super::composer::Composer>),
}

/// A message in the status bar. Errors stay until dismissed (Esc).
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// Counts for the dashboard, read when it is shown or the data changes.
#[derive(Default)]
pub struct Dashboard {
    /// (label fr, label en, count, oldest timestamp)
    pub queues: Vec<(&'static str, &'static str, i64, Option<String>)>,
    /// region → counts per stage (applied, charter_received, contacted, enrolled, rejected, suspended)
    pub stages: Vec<(String, [i64; 6])>,
    /// (day, flags) for the last 14 days
    pub flags_per_day: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsView {
    Messages,
    Groups,
    Contacts,
}

pub struct Lists {
    pub enrollments: ListView<Organization>,
    pub uploads: ListView<Upload>,
    pub forum: ListView<QueuedPost>,
    pub sms: ListView<SmsMessage>,
    pub sms_groups: ListView<SmsGroup>,
    pub sms_contacts: ListView<SmsContact>,
    /// Which of the SMS screen's three lists is shown.
    pub sms_view: SmsView,
    pub sync: ListView<OutboxEntry>,
    pub conflicts: ListView<Conflict>,
    /// Whether the Synchro screen shows local ops or conflicts.
    pub sync_conflicts: bool,
    pub journal: ListView<AuditEntry>,
}

impl Lists {
    /// The list a screen shows (the SMS screen: its current view).
    pub fn current(&mut self, screen: Screen) -> Option<&mut dyn ListScreen> {
        Some(match screen {
            Screen::Dashboard => return None,
            Screen::Enrollments => &mut self.enrollments,
            Screen::Uploads => &mut self.uploads,
            Screen::Forum => &mut self.forum,
            Screen::Sms => match self.sms_view {
                SmsView::Messages => &mut self.sms,
                SmsView::Groups => &mut self.sms_groups,
                SmsView::Contacts => &mut self.sms_contacts,
            },
            Screen::Sync if self.sync_conflicts => &mut self.conflicts,
            Screen::Sync => &mut self.sync,
            Screen::Journal => &mut self.journal,
        })
    }
}

pub struct App {
    pub lang: Lang,
    pub keymap: Keymap,
    pub theme: Theme,
    pub store: Store,
    pub owner: Option<Actor>,
    pub screen: Screen,
    pub lists: Lists,
    pub overlay: Overlay,
    pub pending_keys: Vec<Key>,
    pub message: Option<Message>,
    pub quit: bool,
    pub detail_focus: bool,
    pub dashboard: Dashboard,
    pub pending_ops: i64,
    pub last_sync: Option<String>,
    pub conflicts: i64,
    /// Organisations per stage, in pipeline order, for the Enrôlements screen.
    pub pipeline: [i64; 6],
    /// The time ages and charts are relative to: the wall clock, unless fixed
    /// (tests and snapshots fix it so the screen does not age).
    pub fixed_now: Option<jiff::Timestamp>,
    /// Search text typed but not yet run, and when it was typed.
    pub pending_search: Option<(String, std::time::Instant)>,
    /// The replica's `PRAGMA data_version` when last read: it changes when
    /// another connection (a second console, a sync, the CLI) commits.
    pub seen_data_version: i64,
    /// Runs searches off this thread when present (the console attaches one).
    pub worker: Option<super::worker::Worker>,
    /// The newest search sent to the worker, and whether its answer is awaited.
    pub search_generation: u64,
    pub searching: Option<String>,
    /// Syncs with the hub off this thread (the console attaches one).
    pub syncer: Option<super::syncer::Syncer>,
    /// Fetches upload files on their own queue (with a hub).
    pub fetcher: Option<super::syncer::Fetcher>,
    /// SMS quiet hours (local time), if configured.
    pub quiet_hours: Option<crate::sms::quiet::QuietHours>,
}

/// How long typing must pause before the list narrows to the search.
pub const SEARCH_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(120);

impl App {
    pub fn now(&self) -> jiff::Timestamp {
        self.fixed_now.unwrap_or_else(jiff::Timestamp::now)
    }

    pub fn new(
        store: Store,
        lang: Lang,
        keymap: Keymap,
        keymap_errors: &[KeymapError],
        theme: Theme,
    ) -> App {
        let owner = store.owner().ok().flatten();
        let lists = Lists {
            enrollments: ListView::new(("Enrôlements", "Enrolments"), ""),
            uploads: ListView::new(("Publications", "Uploads"), "status=pending"),
            forum: ListView::new(
                ("File de modération", "Moderation queue"),
                "flagged=yes status=visible",
            ),
            sms: ListView::new(("Messages SMS", "SMS messages"), ""),
            sms_groups: ListView::new(("Groupes SMS", "SMS groups"), ""),
            sms_contacts: ListView::new(("Contacts SMS", "SMS contacts"), ""),
            sms_view: SmsView::Messages,
            sync: ListView::new(("Opérations locales", "Local ops"), ""),
            conflicts: ListView::new(("Conflits", "Conflicts"), "status=open"),
            sync_conflicts: false,
            journal: ListView::new(("Journal", "Audit log"), ""),
        };
        let mut app = App {
            lang,
            keymap,
            theme,
            store,
            owner,
            screen: Screen::Dashboard,
            lists,
            overlay: Overlay::None,
            pending_keys: Vec::new(),
            message: None,
            quit: false,
            detail_focus: false,
            dashboard: Dashboard::default(),
            pending_ops: 0,
            last_sync: None,
            conflicts: 0,
            pipeline: [0; 6],
            fixed_now: None,
            pending_search: None,
            worker: None,
            seen_data_version: 0,
            search_generation: 0,
            searching: None,
            syncer: None,
            fetcher: None,
            quiet_hours: None,
        };
        if let Some(first) = keymap_errors.first() {
            let more = keymap_errors.len() - 1;
            let text = match lang {
                Lang::Fr if more > 0 => {
                    format!("raccourcis : {first} (et {more} autre(s) : civitac keymap check)")
                }
                Lang::En if more > 0 => {
                    format!("keymap: {first} (and {more} more: civitac keymap check)")
                }
                _ => format!("{}: {first}", lang.pick("raccourcis", "keymap")),
            };
            app.message = Some(Message { text, error: true });
        }
        app.seen_data_version = app.data_version();
        app.refresh_all();
        app
    }

    fn data_version(&self) -> i64 {
        self.store
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap_or(0)
    }

    /// Reloads what is shown if another connection changed the replica since
    /// the last look; returns true when it did. (Our own commits do not move
    /// `data_version`; they reload explicitly.)
    pub fn notice_outside_changes(&mut self) -> bool {
        let now = self.data_version();
        if now == self.seen_data_version {
            return false;
        }
        self.seen_data_version = now;
        self.refresh_all();
        true
    }

    pub fn list(&mut self) -> Option<&mut dyn ListScreen> {
        self.lists.current(self.screen)
    }

    /// Runs `f` on the current screen's list with the connection beside it.
    fn with_list<R>(
        &mut self,
        f: impl FnOnce(&mut dyn ListScreen, &rusqlite::Connection) -> R,
    ) -> Option<R> {
        let conn = self.store.conn();
        self.lists.current(self.screen).map(|list| f(list, conn))
    }

    fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }

    /// A message from outside the console's own work (shown like an error).
    pub fn warn(&mut self, text: impl Into<String>) {
        self.error(text);
    }

    fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }

    /// Re-reads what the current screen and the status bar show.
    pub fn refresh_all(&mut self) {
        let c = self.store.conn();
        self.pending_ops = c
            .query_row(
                "SELECT count(*) FROM outbox WHERE pushed_at IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        self.conflicts = c
            .query_row(
                "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        self.last_sync = crate::store::state(c, "last_sync").ok().flatten();
        if self.screen == Screen::Enrollments {
            self.pipeline = load_pipeline(c);
        }
        if self.screen == Screen::Dashboard {
            self.dashboard = load_dashboard(c, self.fixed_now.unwrap_or_else(jiff::Timestamp::now));
        }
        let result = self.with_list(|l, conn| l.reload(conn)).unwrap_or(Ok(()));
        if let Err(e) = result {
            self.error(e);
        }
    }

    /// Runs work that waits for a pause (the search as typed). Returns true
    /// when the screen changed.
    pub fn tick(&mut self, now: std::time::Instant) -> bool {
        match &self.pending_search {
            Some((_, at)) if now.duration_since(*at) >= SEARCH_DEBOUNCE => {
                self.run_pending_search();
                true
            }
            _ => false,
        }
    }

    fn run_pending_search(&mut self) {
        let Some((text, _)) = self.pending_search.take() else {
            return;
        };
        let filters = match self.screen {
            Screen::Enrollments => Some(self.lists.enrollments.search_filters(&text)),
            Screen::Uploads => Some(self.lists.uploads.search_filters(&text)),
            Screen::Forum => Some(self.lists.forum.search_filters(&text)),
            _ => None,
        };
        if let (Some(worker), Some(filters)) = (&self.worker, filters) {
            self.search_generation += 1;
            worker.send(super::worker::Request {
                generation: self.search_generation,
                screen: self.screen,
                filters,
                page_size: super::list::PAGE,
                count_cap: super::list::COUNT_CAP,
            });
            self.searching = Some(text);
            return;
        }
        let result = self
            .with_list(|l, conn| l.set_search(conn, &text))
            .unwrap_or(Ok(()));
        if let Err(e) = result {
            self.error(e);
        }
    }

    /// Shows the worker's answer to the newest search, if it has arrived.
    /// Returns true when the screen changed.
    pub fn poll_worker(&mut self) -> bool {
        let Some(answer) = self.worker.as_ref().and_then(|w| w.latest()) else {
            return false;
        };
        if answer.generation() != self.search_generation {
            return false;
        }
        let text = self.searching.take().unwrap_or_default();
        use super::worker::Answer;
        let result = match answer {
            Answer::Enrollments(_, r) => r.map(|l| self.lists.enrollments.set_loaded(text, l)),
            Answer::Uploads(_, r) => r.map(|l| self.lists.uploads.set_loaded(text, l)),
            Answer::Forum(_, r) => r.map(|l| self.lists.forum.set_loaded(text, l)),
        };
        if let Err(e) = result {
            self.error(e);
        }
        true
    }

    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        let Some(key) = Key::from_event(&ev) else {
            return;
        };
        match &mut self.overlay {
            Overlay::None => self.handle_normal(key),
            Overlay::Help { scroll } => match self
                .keymap
                .lookup(&[Section::List, Section::Global], &[key])
            {
                Lookup::Action(Action::Down) => *scroll = scroll.saturating_add(1),
                Lookup::Action(Action::Up) => *scroll = scroll.saturating_sub(1),
                Lookup::Action(Action::PageDown) => *scroll = scroll.saturating_add(10),
                Lookup::Action(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                _ => self.overlay = Overlay::None,
            },
            Overlay::Compose(_) => self.handle_compose(key),
            _ => self.handle_text(key),
        }
    }

    fn open_composer(&mut self) -> Result<(), String> {
        let lang = self.lang;
        if self.screen != Screen::Sms {
            return Err(lang.pick("sur l'écran SMS", "on the SMS screen").into());
        }
        if self.owner.is_none() {
            return Err(lang
                .pick(
                    "ce réplica n'appartient à personne",
                    "this replica has no owner",
                )
                .into());
        }
        let preferred = if self.lists.sms_view == SmsView::Groups {
            self.with_list(|l, _| l.targets())
                .and_then(|t| t.into_iter().next())
        } else {
            None
        };
        let composer = super::composer::Composer::open(self.store.conn(), preferred.as_deref())?;
        if composer.groups.is_empty() {
            return Err(lang.pick("aucun groupe SMS", "no SMS group").into());
        }
        self.overlay = Overlay::Compose(Box::new(composer));
        Ok(())
    }

    fn handle_compose(&mut self, key: Key) {
        use super::composer::Field;
        use super::keymap::KeyCodeKey as K;
        let action = match self.keymap.lookup(&[Section::Dialog], &[key]) {
            Lookup::Action(a) => Some(a),
            _ => None,
        };
        match action {
            Some(Action::Confirm) => return self.submit_composer(),
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                return;
            }
            _ => {}
        }
        let lang = self.lang;
        let Overlay::Compose(c) = &mut self.overlay else {
            return;
        };
        match key.code {
            K::Char('t') if key.ctrl => c.toggle_kind(),
            K::Char('g') if key.ctrl => c.next_group(),
            K::Char('o') if key.ctrl => {
                let said = c.swap(lang);
                c.problem = Some(said);
            }
            K::Tab => {
                c.focus = match c.focus {
                    Field::Body => Field::Schedule,
                    Field::Schedule => Field::Body,
                };
            }
            K::Backspace => {
                match c.focus {
                    Field::Body => c.body.pop(),
                    Field::Schedule => c.schedule.pop(),
                };
                c.quiet_confirmed = false;
            }
            K::Char(ch) if !key.ctrl && !key.alt => {
                match c.focus {
                    Field::Body => c.body.push(ch),
                    Field::Schedule => c.schedule.push(ch),
                }
                c.quiet_confirmed = false;
            }
            _ => {}
        }
    }

    fn submit_composer(&mut self) {
        let lang = self.lang;
        let now = self.now();
        let quiet = self.quiet_hours;
        let Overlay::Compose(c) = &mut self.overlay else {
            return;
        };
        if c.body.trim().is_empty() {
            c.problem = Some(
                lang.pick("le message est vide", "the message is empty")
                    .into(),
            );
            return;
        }
        let scheduled = match c.scheduled(now, lang) {
            Ok(s) => s,
            Err(e) => {
                c.problem = Some(e);
                return;
            }
        };
        if let Some(p) = c.quiet_problem(quiet, scheduled.unwrap_or(now), lang) {
            c.problem = Some(p);
            return;
        }
        let Some((group_id, group_name, recipients)) = c.groups.get(c.group).cloned() else {
            return;
        };
        let count = c.count();
        let op = crate::ops::Op::QueueSms {
            message: crate::ops::NewSms {
                id: uuid::Uuid::now_v7().to_string(),
                group_id,
                kind: c.kind,
                body: c.body.clone(),
                scheduled_at: scheduled.map(crate::time::format),
            },
        };
        let Some(actor) = self.owner.clone() else {
            return;
        };
        let result = self
            .store
            .transaction()
            .map_err(|e| e.message(lang))
            .and_then(|tx| {
                crate::ops::apply(&tx, &actor, &op).map_err(|e| e.message(lang))?;
                tx.commit().map_err(|e| e.to_string())
            });
        match result {
            Ok(()) => {
                self.overlay = Overlay::None;
                self.info(match lang {
                    Lang::Fr => format!(
                        "SMS en file pour {} : {} segment(s) × {recipients} destinataires = {}",
                        crate::text::inline(&group_name),
                        count.segments,
                        i64::from(count.segments) * recipients
                    ),
                    Lang::En => format!(
                        "SMS queued for {}: {} segment(s) × {recipients} recipients = {}",
                        crate::text::inline(&group_name),
                        count.segments,
                        i64::from(count.segments) * recipients
                    ),
                });
                self.refresh_all();
            }
            Err(e) => {
                if let Overlay::Compose(c) = &mut self.overlay {
                    c.problem = Some(e);
                }
            }
        }
    }

    fn handle_normal(&mut self, key: Key) {
        self.pending_keys.push(key);
        let sections = self.screen.sections();
        match self.keymap.lookup(&sections, &self.pending_keys) {
            Lookup::Pending => {}
            Lookup::Action(a) => {
                self.pending_keys.clear();
                self.update(a);
            }
            Lookup::None => {
                let retry = self.pending_keys.len() > 1;
                self.pending_keys.clear();
                if retry {
                    self.handle_normal(key);
                }
            }
        }
    }

    /// Keys in a text field: the dialog section's keys (confirm, cancel) act,
    /// everything else is typed.
    fn handle_text(&mut self, key: Key) {
        let action = match self.keymap.lookup(&[Section::Dialog], &[key]) {
            Lookup::Action(a) => Some(a),
            _ => None,
        };
        match action {
            Some(Action::Confirm) => return self.submit_overlay(),
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                return;
            }
            _ => {}
        }
        use super::keymap::KeyCodeKey as K;
        let lang = self.lang;
        match &mut self.overlay {
            Overlay::Palette { input, selected } => match key.code {
                K::Up => *selected = selected.saturating_sub(1),
                K::Down => *selected += 1,
                K::Backspace => {
                    input.pop();
                    *selected = 0;
                }
                K::Char(c) if !key.ctrl && !key.alt => {
                    input.push(c);
                    *selected = 0;
                }
                _ => {}
            },
            Overlay::Input { kind, text } => {
                let changed = match key.code {
                    K::Backspace => text.pop().is_some(),
                    K::Char(c) if !key.ctrl && !key.alt => {
                        text.push(c);
                        true
                    }
                    _ => false,
                };
                // Search narrows as you type, once typing pauses (see `tick`);
                // a filter applies on Enter.
                if changed && *kind == InputKind::Search {
                    self.pending_search = Some((text.clone(), std::time::Instant::now()));
                }
            }
            Overlay::Confirm(c) => match key.code {
                K::Backspace => {
                    c.reason.pop();
                }
                K::Char(ch) if !key.ctrl && !key.alt => {
                    c.reason.push(ch);
                    c.problem = None;
                }
                _ => {}
            },
            Overlay::Help { .. } | Overlay::None | Overlay::Compose(_) => {}
        }
        let _ = lang;
    }

    fn submit_overlay(&mut self) {
        self.run_pending_search();
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::Input {
                kind: InputKind::Filter,
                text,
            } => {
                let result = self
                    .with_list(|l, conn| l.set_filter(conn, &text))
                    .unwrap_or(Ok(()));
                if let Err(e) = result {
                    self.error(format!("{} : {e}", self.lang.pick("filtre", "filter")));
                    self.overlay = Overlay::Input {
                        kind: InputKind::Filter,
                        text,
                    };
                }
            }
            Overlay::Input {
                kind: InputKind::Search,
                ..
            } => {}
            Overlay::Palette { input, selected } => {
                let choices = self.palette_choices(&input);
                if let Some(action) = choices.get(selected.min(choices.len().saturating_sub(1))) {
                    self.update(action.0);
                }
            }
            Overlay::Confirm(confirm) => self.apply_confirmed(confirm),
            other => self.overlay = other,
        }
    }

    /// The actions the palette offers for what was typed: every action bound
    /// on this screen, matched on its name or description.
    pub fn palette_choices(&self, typed: &str) -> Vec<(Action, String, Vec<String>)> {
        let needle = crate::domain::normalise_name(typed);
        self.keymap
            .bindings_for(&self.screen.sections())
            .into_iter()
            .map(|(a, keys)| {
                (
                    a,
                    self.lang.pick(a.describe().0, a.describe().1).to_owned(),
                    keys,
                )
            })
            .filter(|(a, desc, _)| {
                needle.is_empty()
                    || crate::domain::normalise_name(desc).contains(&needle)
                    || a.as_str().contains(typed.trim())
            })
            .collect()
    }

    pub fn update(&mut self, action: Action) {
        use Action::*;
        let lang = self.lang;
        let result: Result<(), String> = match action {
            Quit => {
                self.quit = true;
                Ok(())
            }
            Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                Ok(())
            }
            Palette => {
                self.overlay = Overlay::Palette {
                    input: String::new(),
                    selected: 0,
                };
                Ok(())
            }
            ScreenDashboard | ScreenEnrollments | ScreenUploads | ScreenForum | ScreenSms
            | ScreenSync | ScreenJournal => {
                if let Some(s) = Screen::ALL.iter().find(|s| s.switch_action() == action) {
                    self.go(*s);
                }
                Ok(())
            }
            NextScreen | PrevScreen => {
                let i = Screen::ALL
                    .iter()
                    .position(|s| *s == self.screen)
                    .unwrap_or(0);
                let n = Screen::ALL.len();
                let j = if action == NextScreen {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.go(Screen::ALL[j]);
                Ok(())
            }
            Up | Down | PageUp | PageDown if self.detail_focus => {
                let delta = match action {
                    Up => -1,
                    Down => 1,
                    PageUp => -10,
                    _ => 10,
                };
                if let Some(l) = self.list() {
                    l.scroll_detail(delta);
                }
                Ok(())
            }
            Up | Down | PageUp | PageDown | Top | Bottom => self.move_cursor(action),
            Search => {
                let sms_lists =
                    self.screen == Screen::Sms && self.lists.sms_view != SmsView::Messages;
                if sms_lists
                    || matches!(
                        self.screen,
                        Screen::Enrollments | Screen::Uploads | Screen::Forum
                    )
                {
                    // Start from the newest search typed, even if its answer is still coming.
                    let text = match self.searching.clone() {
                        Some(t) => t,
                        None => self
                            .list()
                            .map(|l| l.search().to_owned())
                            .unwrap_or_default(),
                    };
                    self.overlay = Overlay::Input {
                        kind: InputKind::Search,
                        text,
                    };
                    Ok(())
                } else {
                    Err(lang
                        .pick(
                            "pas de recherche plein texte sur cet écran",
                            "no full-text search on this screen",
                        )
                        .into())
                }
            }
            Filter => match self.list().map(|l| l.filter_text().to_owned()) {
                Some(text) => {
                    self.overlay = Overlay::Input {
                        kind: InputKind::Filter,
                        text,
                    };
                    Ok(())
                }
                None => Ok(()),
            },
            Mark => self
                .with_list(|l, conn| {
                    l.toggle_mark();
                    l.move_by(conn, 1)
                })
                .unwrap_or(Ok(())),
            MarkAll => {
                let marked = self.with_list(|l, conn| l.mark_all(conn)).unwrap_or(Ok(0));
                marked.map(|n| {
                    self.info(match lang {
                        Lang::Fr => format!("{n} lignes du filtre marquées"),
                        Lang::En => format!("{n} rows of the filter marked"),
                    })
                })
            }
            ClearMarks => {
                if let Some(l) = self.list() {
                    l.clear_marks();
                }
                self.message = None;
                self.detail_focus = false;
                Ok(())
            }
            NextView => {
                if self.screen == Screen::Sync {
                    self.lists.sync_conflicts = !self.lists.sync_conflicts;
                    self.refresh_all();
                }
                if self.screen == Screen::Sms {
                    self.lists.sms_view = match self.lists.sms_view {
                        SmsView::Messages => SmsView::Groups,
                        SmsView::Groups => SmsView::Contacts,
                        SmsView::Contacts => SmsView::Messages,
                    };
                    self.refresh_all();
                }
                Ok(())
            }
            Detail | NextPane => {
                self.detail_focus = !self.detail_focus;
                Ok(())
            }
            Refresh => {
                self.refresh_all();
                Ok(())
            }
            Approve | Reject | RequestChanges | Contacted | Suspend | Reinstate | Hide | Remove
            | Restore | Dismiss | OptOut | CancelSms => self.ask(action),
            Undo => self.ask_undo(),
            SyncNow => self.start_sync(),
            AcceptTheirs => self.accept_theirs(),
            OpenRecord => self.open_conflict_record(),
            FetchFile => self.fetch_file(),
            Compose => self.open_composer(),
            Confirm | Cancel => Ok(()),
        };
        if let Err(e) = result {
            self.error(e);
        }
    }

    fn start_sync(&mut self) -> Result<(), String> {
        let lang = self.lang;
        let Some(syncer) = self.syncer.as_mut().filter(|s| s.configured()) else {
            return Err(lang
                .pick(
                    "aucun hub : rattachez ce réplica avec `civitac login --hub URL --token JETON`",
                    "no hub: attach this replica with `civitac login --hub URL --token TOKEN`",
                )
                .into());
        };
        if syncer.is_running() {
            self.info(lang.pick("synchronisation déjà en cours", "already syncing"));
        } else if syncer.start() {
            self.info(lang.pick("synchronisation…", "syncing…"));
        }
        Ok(())
    }

    /// Takes the sync thread's news; returns true when the screen changed.
    pub fn poll_sync(&mut self, now: std::time::Instant) -> bool {
        let Some(syncer) = self.syncer.as_mut() else {
            return false;
        };
        let (changed, outcome) = syncer.poll(now);
        let Some(outcome) = outcome else {
            return changed;
        };
        let lang = self.lang;
        match outcome {
            Ok(s) => {
                let mut text = match lang {
                    Lang::Fr => format!("synchro : {} envoyées, {} reçues", s.pushed, s.pulled),
                    Lang::En => format!("synced: {} sent, {} received", s.pushed, s.pulled),
                };
                if s.conflict > 0 {
                    text.push_str(&match lang {
                        Lang::Fr => format!(", {} conflit(s) (v)", s.conflict),
                        Lang::En => format!(", {} conflict(s) (v)", s.conflict),
                    });
                }
                if let Some(skew) = s.skew_warning() {
                    text.push_str(&match lang {
                        Lang::Fr => {
                            format!(" — horloge décalée de {} min : réglez-la", skew.abs() / 60)
                        }
                        Lang::En => format!(" — clock {} min off: set it right", skew.abs() / 60),
                    });
                }
                let error = s.rejected > 0 || s.conflict > 0 || s.skew_warning().is_some();
                if let Some(r) = s.rejections.first() {
                    text.push_str(&format!(
                        " — {} {}: {}",
                        lang.pick("refusée :", "rejected:"),
                        r.action,
                        r.reason
                    ));
                }
                self.message = Some(Message {
                    text: crate::text::inline(&text),
                    error,
                });
            }
            Err(f) => {
                let mut text = format!(
                    "{} {}",
                    lang.pick("synchro échouée :", "sync failed:"),
                    f.message
                );
                if let Some(wait) = self.syncer.as_ref().and_then(|s| s.retry_in(now)) {
                    text.push_str(&match lang {
                        Lang::Fr => format!(" ; nouvel essai dans {} s", wait.as_secs().max(1)),
                        Lang::En => format!("; retrying in {} s", wait.as_secs().max(1)),
                    });
                }
                self.error(crate::text::inline(&text));
            }
        }
        // The sync wrote through its own connection.
        self.seen_data_version = self.data_version();
        self.refresh_all();
        true
    }

    fn fetch_file(&mut self) -> Result<(), String> {
        let lang = self.lang;
        if self.screen != Screen::Uploads {
            return Err(lang
                .pick("sur l'écran Publications", "on the Uploads screen")
                .into());
        }
        let Some(id) = self
            .with_list(|l, _| l.targets())
            .and_then(|t| t.into_iter().next())
        else {
            return Err(lang
                .pick("aucune ligne sélectionnée", "no row selected")
                .into());
        };
        let Some(fetcher) = self.fetcher.as_mut() else {
            return Err(lang
                .pick(
                    "aucun hub : les fichiers viennent du hub (`civitac login`)",
                    "no hub: files come from the hub (`civitac login`)",
                )
                .into());
        };
        let (sha, filename): (String, String) = self
            .store
            .conn()
            .query_row(
                "SELECT sha256, filename FROM uploads WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| e.to_string())?;
        let cached = crate::replica::files::cached(&fetcher.cache, &sha);
        if cached.is_file() {
            self.info(format!(
                "{} {} : {}",
                lang.pick("déjà là", "already here"),
                crate::text::inline(&filename),
                cached.display()
            ));
            return Ok(());
        }
        fetcher.request(id, sha);
        self.info(format!(
            "{} {}",
            lang.pick("téléchargement de", "fetching"),
            crate::text::inline(&filename)
        ));
        Ok(())
    }

    /// Reports files fetched since the last look; true when the screen changed.
    pub fn poll_files(&mut self) -> bool {
        let Some((id, result)) = self.fetcher.as_mut().and_then(super::syncer::Fetcher::poll)
        else {
            return false;
        };
        let lang = self.lang;
        match result {
            Ok(path) => self.info(format!(
                "{} {id} : {}",
                lang.pick(
                    "fichier vérifié (SHA-256) pour",
                    "file verified (SHA-256) for"
                ),
                path.display()
            )),
            Err(e) => self.error(format!(
                "{} {id} : {e}",
                lang.pick("fichier non récupéré pour", "file not fetched for")
            )),
        }
        true
    }

    fn selected_conflicts(&mut self) -> Result<Vec<String>, String> {
        let lang = self.lang;
        if self.screen != Screen::Sync || !self.lists.sync_conflicts {
            return Err(lang
                .pick(
                    "sur l'écran Synchro, vue des conflits (touche v)",
                    "on the Sync screen's conflicts view (key v)",
                )
                .into());
        }
        let ids = self.with_list(|l, _| l.targets()).unwrap_or_default();
        if ids.is_empty() {
            return Err(lang
                .pick("aucun conflit sélectionné", "no conflict selected")
                .into());
        }
        Ok(ids)
    }

    fn accept_theirs(&mut self) -> Result<(), String> {
        let ids = self.selected_conflicts()?;
        let n = crate::replica::outbox::accept_theirs(self.store.conn(), &ids)
            .map_err(|e| e.to_string())?;
        if let Some(l) = self.list() {
            l.clear_marks();
        }
        self.info(match self.lang {
            Lang::Fr => format!("{n} conflit(s) clos : la version du hub est gardée"),
            Lang::En => format!("{n} conflict(s) closed: the hub's version stays"),
        });
        self.refresh_all();
        Ok(())
    }

    /// Opens the conflict's record on its screen, filtered to it, so the
    /// person decides again with a normal op (which closes the conflict).
    fn open_conflict_record(&mut self) -> Result<(), String> {
        let lang = self.lang;
        if self.screen == Screen::Sms && self.lists.sms_view == SmsView::Groups {
            // A group's members: the contacts view, filtered to it.
            let Some(group) = self
                .with_list(|l, _| l.targets())
                .and_then(|t| t.into_iter().next())
            else {
                return Err(lang
                    .pick("aucun groupe sélectionné", "no group selected")
                    .into());
            };
            self.lists.sms_view = SmsView::Contacts;
            self.refresh_all();
            let result = self
                .with_list(|l, conn| l.set_filter(conn, &format!("group={group}")))
                .unwrap_or(Ok(()));
            result?;
            self.info(lang.pick(
                "membres du groupe (f pour changer le filtre, O pour désinscrire)",
                "the group's members (f to change the filter, O to opt out)",
            ));
            return Ok(());
        }
        let ids = self.selected_conflicts()?;
        let (entity, id): (String, String) = self
            .store
            .conn()
            .query_row(
                "SELECT entity, entity_id FROM conflicts WHERE op_id = ?1",
                [&ids[0]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| e.to_string())?;
        let screen = match entity.as_str() {
            "organization" => Screen::Enrollments,
            "upload" => Screen::Uploads,
            "forum_post" => Screen::Forum,
            _ => {
                return Err(match lang {
                    Lang::Fr => format!(
                        "pas d'écran pour redécider sur {entity} {id} : acceptez la version du hub (t)"
                    ),
                    Lang::En => format!(
                        "no screen to decide again on {entity} {id}: accept the hub's version (t)"
                    ),
                });
            }
        };
        self.go(screen);
        let result = self
            .with_list(|l, conn| l.set_filter(conn, &format!("id={id}")))
            .unwrap_or(Ok(()));
        result?;
        self.info(lang.pick(
            "fiche du conflit : décidez à nouveau (la décision close le conflit) ; f pour changer le filtre",
            "the conflict's record: decide again (that closes the conflict); f to change the filter",
        ));
        Ok(())
    }

    fn go(&mut self, screen: Screen) {
        self.screen = screen;
        self.detail_focus = false;
        self.refresh_all();
    }

    fn move_cursor(&mut self, action: Action) -> Result<(), String> {
        self.with_list(|list, conn| {
            let page = list.page_len() as isize;
            match action {
                Action::Up => list.move_by(conn, -1),
                Action::Down => list.move_by(conn, 1),
                Action::PageUp => list.move_by(conn, -page),
                Action::PageDown => list.move_by(conn, page),
                Action::Top => list.top(conn),
                _ => list.bottom(conn),
            }
        })
        .unwrap_or(Ok(()))
    }

    /// The decision an action means on this screen, if any.
    fn decision_for(&self, action: Action) -> Option<Decision> {
        use EnrollmentAction as E;
        Some(match (self.screen, action) {
            (Screen::Enrollments, Action::Approve) => Decision::Enrollment(E::Enrol, None),
            (Screen::Enrollments, Action::Reject) => Decision::Enrollment(E::Reject, None),
            (Screen::Enrollments, Action::Contacted) => {
                Decision::Enrollment(E::RecordContact, None)
            }
            (Screen::Enrollments, Action::Suspend) => Decision::Enrollment(E::Suspend, None),
            (Screen::Enrollments, Action::Reinstate) => Decision::Enrollment(E::Reinstate, None),
            (Screen::Uploads, Action::Approve) => Decision::Review(ReviewDecision::Approve),
            (Screen::Uploads, Action::Reject) => Decision::Review(ReviewDecision::Reject),
            (Screen::Uploads, Action::RequestChanges) => {
                Decision::Review(ReviewDecision::RequestChanges)
            }
            (Screen::Forum, Action::Hide) => Decision::Moderate(PostAction::Hide),
            (Screen::Forum, Action::Remove) => Decision::Moderate(PostAction::Remove),
            (Screen::Forum, Action::Restore) => Decision::Moderate(PostAction::Restore),
            (Screen::Forum, Action::Dismiss) => Decision::DismissFlags,
            (Screen::Sms, Action::Approve) if self.lists.sms_view == SmsView::Messages => {
                Decision::ApproveSms
            }
            (Screen::Sms, Action::CancelSms) if self.lists.sms_view == SmsView::Messages => {
                Decision::CancelSms
            }
            (Screen::Sms, Action::OptOut) if self.lists.sms_view == SmsView::Contacts => {
                Decision::OptOut
            }
            _ => return None,
        })
    }

    fn ask(&mut self, action: Action) -> Result<(), String> {
        let lang = self.lang;
        let decision = self.decision_for(action).ok_or_else(|| {
            lang.pick(
                "cette action ne s'applique pas à cet écran",
                "this action does not apply on this screen",
            )
            .to_owned()
        })?;
        if self.owner.is_none() {
            return Err(lang
                .pick(
                    "ce réplica n'appartient à personne : aucune décision possible",
                    "this replica has no owner: no decisions",
                )
                .into());
        }
        let (ids, hidden) = self
            .with_list(|l, conn| (l.targets(), l.marks_hidden(conn)))
            .unwrap_or_default();
        if ids.is_empty() {
            return Err(lang
                .pick("aucune ligne sélectionnée", "no row selected")
                .into());
        }
        self.overlay = Overlay::Confirm(Confirm {
            pending: Pending::Decide(decision),
            ids,
            hidden,
            reason: String::new(),
            problem: None,
        });
        Ok(())
    }

    /// Offers to undo this person's latest decision that has not been synced
    /// (on this screen's kind of record, or any on other screens). Pressed
    /// again, it offers the one before, and so on.
    fn ask_undo(&mut self) -> Result<(), String> {
        let lang = self.lang;
        let entity = self.screen.entity().unwrap_or("");
        let login = self
            .owner
            .as_ref()
            .map(|o| o.login.clone())
            .unwrap_or_default();
        let found: Option<(String, String, String)> = self
            .store
            .conn()
            .query_row(
                "SELECT a.id, a.action, a.entity_id FROM outbox o JOIN audit_log a ON a.id = o.op_id
                 WHERE o.pushed_at IS NULL AND a.actor = ?2 AND a.action <> 'undo' AND (?1 = '' OR a.entity = ?1)
                   AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.entity = a.entity AND u.entity_id = a.entity_id
                                   AND u.action = 'undo' AND json_extract(u.detail, '$.after.undone') = a.id)
                 ORDER BY o.seq DESC LIMIT 1",
                [entity, login.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let (op_id, action, record) = found.ok_or_else(|| {
            lang.pick(
                "rien à annuler : aucune décision non synchronisée",
                "nothing to undo: no unsynced decision",
            )
            .to_owned()
        })?;
        let label_sql = match entity {
            "organization" => "SELECT name FROM organizations WHERE id = ?1",
            "upload" => "SELECT title FROM uploads WHERE id = ?1",
            "forum_post" => "SELECT substr(body, 1, 50) FROM forum_posts WHERE id = ?1",
            _ => "SELECT ?1",
        };
        let label: String = self
            .store
            .conn()
            .query_row(label_sql, [&record], |r| r.get(0))
            .unwrap_or_else(|_| record.clone());
        self.overlay = Overlay::Confirm(Confirm {
            pending: Pending::Undo {
                op_id,
                action,
                label,
            },
            ids: vec![record],
            hidden: 0,
            reason: String::new(),
            problem: None,
        });
        Ok(())
    }

    fn apply_confirmed(&mut self, mut confirm: Confirm) {
        let lang = self.lang;
        let needs_reason = match &confirm.pending {
            Pending::Decide(d) => d.needs_reason(),
            Pending::Undo { .. } => false,
        };
        if needs_reason && confirm.reason.trim().is_empty() {
            confirm.problem = Some(
                lang.pick("un motif est obligatoire", "a reason is required")
                    .to_owned(),
            );
            self.overlay = Overlay::Confirm(confirm);
            return;
        }
        let Some(actor) = self.owner.clone() else {
            return;
        };
        let reason = Some(confirm.reason.trim()).filter(|r| !r.is_empty());
        let outcome = self
            .store
            .transaction()
            .map_err(|e| e.to_string())
            .and_then(|tx| {
                let outcome = match &confirm.pending {
                    Pending::Decide(d) => {
                        apply_batch(&tx, &actor, d, &confirm.ids, reason, false, lang)
                    }
                    Pending::Undo { op_id, .. } => {
                        let op = crate::ops::Op::Undo {
                            op_id: op_id.clone(),
                            reason: reason.map(str::to_owned),
                        };
                        let mut o = crate::ops::decisions::BatchOutcome::default();
                        match crate::ops::apply(&tx, &actor, &op) {
                            Ok(a) => o.applied.push((a.entity_id, String::new(), String::new())),
                            Err(e) => o.failed.push((op_id.clone(), e.message(lang))),
                        }
                        o
                    }
                };
                if let Some(why) = &outcome.storage {
                    return Err(match lang {
                        Lang::Fr => format!("rien n'a été modifié : {why}"),
                        Lang::En => format!("nothing was changed: {why}"),
                    });
                }
                if outcome.failed.is_empty() {
                    tx.commit().map_err(|e| e.to_string())?;
                }
                Ok(outcome)
            });
        match outcome {
            Err(e) => self.error(e),
            Ok(o) if !o.failed.is_empty() => {
                let why = &o.failed[0].1;
                self.error(match lang {
                    Lang::Fr => format!(
                        "rien n'a été modifié : {} refus, dont {why}",
                        o.failed.len()
                    ),
                    Lang::En => format!(
                        "nothing was changed: {} refused, e.g. {why}",
                        o.failed.len()
                    ),
                });
            }
            Ok(o) => {
                let text = match &confirm.pending {
                    Pending::Decide(d) => {
                        format!("{} {}", o.applied.len(), lang.pick(d.done().0, d.done().1))
                    }
                    Pending::Undo { action, .. } => {
                        format!("{} {action}", lang.pick("annulé :", "undone:"))
                    }
                };
                self.info(text);
                if let Pending::Decide(_) = confirm.pending
                    && let Some(l) = self.list()
                {
                    l.clear_marks();
                }
                self.refresh_all();
            }
        }
    }

    pub fn handle_mouse(&mut self, ev: MouseEvent, list_top: u16) {
        match ev.kind {
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            MouseEventKind::Down(_) if matches!(self.overlay, Overlay::None) => {
                // The table starts below its border and header lines.
                if let Some(row) = ev.row.checked_sub(list_top + 2)
                    && let Some(l) = self.list()
                {
                    l.select_visible(usize::from(row));
                }
            }
            _ => {}
        }
    }
}

fn load_dashboard(c: &rusqlite::Connection, now: jiff::Timestamp) -> Dashboard {
    let one = |sql: &str| -> (i64, Option<String>) {
        c.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap_or((0, None))
    };
    let mut d = Dashboard::default();
    let queues: [(&str, &str, &str); 4] = [
        (
            "Enrôlements en cours",
            "Enrolments in progress",
            "SELECT count(*), min(created_at) FROM organizations WHERE status IN ('applied','charter_received','contacted')",
        ),
        (
            "Publications à revoir",
            "Uploads to review",
            "SELECT count(*), min(submitted_at) FROM uploads WHERE status = 'pending'",
        ),
        (
            "Messages signalés",
            "Flagged posts",
            "SELECT count(*), min(created_at) FROM forum_posts INDEXED BY forum_posts_flagged WHERE flag_count > 0 AND status = 'visible'",
        ),
        (
            "SMS à approuver",
            "SMS to approve",
            "SELECT count(*), min(created_at) FROM sms_messages WHERE status = 'queued'",
        ),
    ];
    for (fr, en, sql) in queues {
        let (n, oldest) = one(sql);
        d.queues.push((fr, en, n, oldest));
    }
    // Columns in pipeline order: the order of the Stage enum, the one list of stages.
    let stages = crate::domain::enrollment::Stage::ALL;
    if let Ok(mut stmt) = c.prepare_cached("SELECT region, status, count(*) FROM organizations GROUP BY region, status ORDER BY region")
        && let Ok(rows) = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, crate::domain::enrollment::Stage>(1)?, r.get::<_, i64>(2)?))
        })
    {
        for (region, status, n) in rows.flatten() {
            if d.stages.last().map(|(r, _)| r != &region).unwrap_or(true) {
                d.stages.push((region.clone(), [0; 6]));
            }
            if let (Some(i), Some(last)) = (stages.iter().position(|s| *s == status), d.stages.last_mut()) {
                last.1[i] = n;
            }
        }
    }
    let since = crate::time::format(now - jiff::SignedDuration::from_hours(24 * 14));
    if let Ok(mut stmt) = c.prepare_cached(
        "SELECT substr(created_at, 1, 10), count(*) FROM forum_flags WHERE created_at >= ?1 GROUP BY 1 ORDER BY 1",
    ) && let Ok(rows) = stmt.query_map([since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
    {
        d.flags_per_day = rows.flatten().map(|(day, n)| (day, n.max(0) as u64)).collect();
    }
    d
}

fn load_pipeline(c: &rusqlite::Connection) -> [i64; 6] {
    let mut out = [0; 6];
    let stages = crate::domain::enrollment::Stage::ALL;
    if let Ok(mut stmt) =
        c.prepare_cached("SELECT status, count(*) FROM organizations GROUP BY status")
        && let Ok(rows) = stmt.query_map([], |r| {
            Ok((
                r.get::<_, crate::domain::enrollment::Stage>(0)?,
                r.get::<_, i64>(1)?,
            ))
        })
    {
        for (stage, n) in rows.flatten() {
            if let Some(i) = stages.iter().position(|s| *s == stage) {
                out[i] = n;
            }
        }
    }
    out
}
