//! The console's model and its update function: keys become actions (through
//! the keymap), actions change the model. Every change to data goes through
//! `ops::decisions::apply_batch` → `ops::apply`; nothing here writes a table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use crate::i18n::Lang;
use crate::ops::decisions::Decision;
use crate::store::views;
use crate::store::{Actor, Store};
use crate::tui::keymap::{Action, Key, Keymap, KeymapError, Lookup, Section};
use crate::tui::list::ListScreen;
use crate::tui::screens::{Page, Screen};
use crate::tui::theme::Theme;

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
    Compose(Box<crate::tui::composer::Composer>),
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
    pub worker: Option<crate::tui::worker::Worker>,
    /// The newest search sent to the worker, and whether its answer is awaited.
    pub search_generation: u64,
    pub searching: Option<String>,
    /// Syncs with the hub off this thread (the console attaches one).
    pub syncer: Option<crate::tui::syncer::Syncer>,
    /// Fetches upload files on their own queue (with a hub).
    pub fetcher: Option<crate::tui::syncer::Fetcher>,
    /// SMS quiet hours (local time), if configured.
    pub quiet_hours: Option<crate::sms::quiet::QuietHours>,
}

/// How long typing must pause before the list narrows to the search.
mod compose;
mod decide;
mod input;
mod records;
mod sync;

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
            worker.send(crate::tui::worker::Request {
                generation: self.search_generation,
                screen: self.screen,
                filters,
                page_size: crate::tui::list::PAGE,
                count_cap: crate::tui::list::COUNT_CAP,
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
