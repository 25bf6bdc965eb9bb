//! The console's model and its update function: keys become actions (through
//! the keymap), actions change the model. Every change to data goes through
//! `ops::decisions::apply_batch` → `ops::apply`; nothing here writes a table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::keymap::{Action, Key, Keymap, KeymapError, Lookup, Section};
use super::list::ListScreen;
use super::screens::{Page, Screen, View};
use super::theme::Theme;
use crate::i18n::Lang;
use crate::ops::decisions::{Decision, apply_batch};
use crate::store::entity::Entity;
use crate::store::views;
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

pub struct App {
    pub lang: Lang,
    pub keymap: Keymap,
    pub theme: Theme,
    pub store: Store,
    pub owner: Option<Actor>,
    pub screen: Screen,
    /// One page per screen, in `Screen::ALL` order.
    pub pages: Vec<Box<dyn Page>>,
    pub overlay: Overlay,
    pub pending_keys: Vec<Key>,
    pub message: Option<Message>,
    pub quit: bool,
    pub detail_focus: bool,
    pub pending_ops: i64,
    pub last_sync: Option<String>,
    pub conflicts: i64,
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
        let mut app = App {
            lang,
            keymap,
            theme,
            store,
            owner,
            screen: Screen::Dashboard,
            pages: super::screens::pages(),
            overlay: Overlay::None,
            pending_keys: Vec::new(),
            message: None,
            quit: false,
            detail_focus: false,
            pending_ops: 0,
            last_sync: None,
            conflicts: 0,
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
        views::data_version(self.store.conn())
    }

    /// The current screen's page.
    pub fn page(&mut self) -> &mut dyn Page {
        let i = Screen::ALL
            .iter()
            .position(|s| *s == self.screen)
            .unwrap_or(0);
        self.pages[i].as_mut()
    }

    /// The current screen's page, to look at.
    pub fn page_ref(&self) -> &dyn Page {
        let i = Screen::ALL
            .iter()
            .position(|s| *s == self.screen)
            .unwrap_or(0);
        self.pages[i].as_ref()
    }

    /// Loads the detail pane of the selected row if the selection moved:
    /// after every change, so drawing never queries.
    fn settle(&mut self) {
        let (lang, theme) = (self.lang, self.theme.clone());
        let conn = self.store.conn();
        let i = Screen::ALL
            .iter()
            .position(|s| *s == self.screen)
            .unwrap_or(0);
        if let Some(l) = self.pages[i].list() {
            l.prepare_detail(conn, lang, &theme);
        }
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
        self.page().list()
    }

    /// Runs `f` on the current screen's list with the connection beside it.
    fn with_list<R>(
        &mut self,
        f: impl FnOnce(&mut dyn ListScreen, &rusqlite::Connection) -> R,
    ) -> Option<R> {
        let conn = self.store.conn();
        let i = Screen::ALL
            .iter()
            .position(|s| *s == self.screen)
            .unwrap_or(0);
        self.pages[i].list().map(|list| f(list, conn))
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
        self.pending_ops = views::pending_ops(c);
        self.conflicts = views::open_conflicts(c);
        self.last_sync = crate::store::state(c, "last_sync").ok().flatten();
        let now = self.now();
        let i = Screen::ALL
            .iter()
            .position(|s| *s == self.screen)
            .unwrap_or(0);
        self.pages[i].load(self.store.conn(), now);
        let result = self.with_list(|l, conn| l.reload(conn)).unwrap_or(Ok(()));
        if let Err(e) = result {
            self.error(e);
        }
        self.settle();
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
        let filters = self.page_ref().search_filters(&text);
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
        self.settle();
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
        let result = self.page().take_loaded(text, answer);
        if let Err(e) = result {
            self.error(e);
        }
        self.settle();
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
        self.settle();
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
        let preferred = if self.page_ref().view() == View::SmsGroups {
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
                if self.page_ref().searchable() {
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
                if self.page().next_view() {
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
        self.settle();
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
        let (sha, filename) =
            views::upload_file(self.store.conn(), &id).map_err(|e| e.to_string())?;
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
        if self.screen != Screen::Sync || self.page_ref().view() != View::Conflicts {
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
        if self.screen == Screen::Sms && self.page_ref().view() == View::SmsGroups {
            // A group's members: the contacts view, filtered to it.
            let Some(group) = self
                .with_list(|l, _| l.targets())
                .and_then(|t| t.into_iter().next())
            else {
                return Err(lang
                    .pick("aucun groupe sélectionné", "no group selected")
                    .into());
            };
            self.page().set_view(View::SmsContacts);
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
        let (entity, id) =
            views::conflict_record(self.store.conn(), &ids[0]).map_err(|e| e.to_string())?;
        let screen = match Entity::parse(&entity).and_then(Screen::of) {
            Some(screen) => screen,
            None => {
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

    fn ask(&mut self, action: Action) -> Result<(), String> {
        let lang = self.lang;
        let decision = self.page_ref().decision(action).ok_or_else(|| {
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
        let entity = self.screen.entity().map(Entity::name);
        let login = self
            .owner
            .as_ref()
            .map(|o| o.login.clone())
            .unwrap_or_default();
        let found = views::undo_candidate(self.store.conn(), entity, &login);
        let (op_id, action, record) = found.ok_or_else(|| {
            lang.pick(
                "rien à annuler : aucune décision non synchronisée",
                "nothing to undo: no unsynced decision",
            )
            .to_owned()
        })?;
        let label = views::record_label(self.store.conn(), entity, &record);
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
        self.settle();
    }
}
