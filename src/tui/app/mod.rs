//! The runner: the model (`tui::model`) decides, the runner does. It owns
//! the replica connection and the threads (search worker, sync, file
//! fetcher), carries out the effects `update` returns, and takes what comes
//! back on the console's one channel. Every change to data goes through
//! `ops::apply` here (`apply.rs`); nothing writes a table elsewhere.

mod apply;
mod forms;
mod lists;
mod sync;

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, MouseEvent};

use crate::i18n::Lang;
use crate::store::{Store, views};
use crate::tui::events::Event;
use crate::tui::keymap::{Keymap, KeymapError};
use crate::tui::list::ListScreen;
use crate::tui::model::{Effect, Model};
use crate::tui::theme::Theme;

pub use crate::tui::model::SEARCH_DEBOUNCE;

pub struct App {
    /// What is shown and remembered; changed by keys through `Model::update`.
    pub model: Model,
    pub store: Store,
    /// The replica's `PRAGMA data_version` when last read: it changes when
    /// another connection (a second console, a sync, the CLI) commits.
    pub seen_data_version: i64,
    /// Runs searches off this thread when present (the console attaches one).
    pub worker: Option<crate::tui::worker::Worker>,
    /// Syncs with the hub off this thread (the console attaches one).
    pub syncer: Option<crate::tui::syncer::Syncer>,
    /// Fetches upload files on their own queue (with a hub).
    pub fetcher: Option<crate::tui::syncer::Fetcher>,
    /// Where fetched files are, for previews.
    pub file_cache: Option<std::path::PathBuf>,
    sender: Sender<Event>,
    events: Receiver<Event>,
}

impl App {
    pub fn new(
        store: Store,
        lang: Lang,
        keymap: Keymap,
        keymap_errors: &[KeymapError],
        theme: Theme,
    ) -> App {
        let owner = store.owner().ok().flatten();
        let (sender, events) = std::sync::mpsc::channel();
        let mut app = App {
            model: Model::new(lang, keymap, keymap_errors, theme, owner),
            store,
            seen_data_version: 0,
            worker: None,
            syncer: None,
            fetcher: None,
            file_cache: None,
            sender,
            events,
        };
        app.seen_data_version = views::data_version(app.store.conn());
        app.refresh_all();
        app
    }

    /// The console's channel, for the threads that report to it.
    pub fn sender(&self) -> Sender<Event> {
        self.sender.clone()
    }

    /// A message from outside the console's own work (shown like an error).
    pub fn warn(&mut self, text: impl Into<String>) {
        self.model.error(text);
    }

    pub fn handle_key(&mut self, ev: KeyEvent) {
        let effects = self.model.key(ev);
        self.run(effects);
    }

    pub fn handle_mouse(&mut self, ev: MouseEvent, list_top: u16) {
        let effects = self.model.mouse(ev, list_top);
        self.run(effects);
    }

    /// One event from the channel.
    pub fn handle(&mut self, event: Event, list_top: u16) {
        match event {
            Event::Key(k) => self.handle_key(k),
            Event::Mouse(m) => self.handle_mouse(m, list_top),
            Event::Resize => {}
            Event::InputClosed(why) => {
                tracing::info!(%why, "terminal gone");
                self.model.quit = true;
            }
            Event::Searched(answer) => self.searched(answer),
            Event::Sync(news) => self.sync_news(news, Instant::now()),
            Event::Fetched { upload_id, result } => {
                self.fetched(&upload_id, result);
                self.settle();
            }
            Event::Previewed => {
                if let Some(l) = self.model.list() {
                    l.stale_detail();
                }
                self.settle();
            }
            Event::Said(text) => self.model.info(crate::text::inline(&text)),
        }
    }

    /// Waits up to `timeout` for an event and handles it, then every other
    /// one already waiting. Returns whether anything came.
    pub fn wait(&mut self, timeout: Duration, list_top: u16) -> bool {
        match self.events.recv_timeout(timeout) {
            Ok(event) => {
                self.handle(event, list_top);
                self.poll(list_top);
                true
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => false,
        }
    }

    /// Handles every event already waiting; returns whether there was one.
    pub fn poll(&mut self, list_top: u16) -> bool {
        let mut any = false;
        while let Ok(event) = self.events.try_recv() {
            self.handle(event, list_top);
            any = true;
        }
        any
    }

    /// Work that waits for time to pass: the search once typing pauses, a
    /// planned sync. Returns true when the screen changed.
    pub fn tick(&mut self, now: Instant) -> bool {
        let effects = self.model.tick(now);
        let mut changed = !effects.is_empty();
        self.run(effects);
        if self.syncer.as_mut().is_some_and(|s| s.due(now)) {
            changed = true;
        }
        changed | self.model.fade(now)
    }

    /// Reloads what is shown if another connection changed the replica since
    /// the last look; returns true when it did. (Our own commits do not move
    /// `data_version`; they reload explicitly.)
    pub fn notice_outside_changes(&mut self) -> bool {
        let now = views::data_version(self.store.conn());
        if now == self.seen_data_version {
            return false;
        }
        self.seen_data_version = now;
        self.refresh_all();
        true
    }

    /// Re-reads what the current screen and the status bar show.
    pub fn refresh_all(&mut self) {
        let c = self.store.conn();
        let m = &mut self.model;
        m.pending_ops = views::pending_ops(c);
        m.conflicts = views::open_conflicts(c);
        m.last_sync = crate::store::state(c, "last_sync").ok().flatten();
        // A sync may bring the owner's own row: another role, switched off.
        if let Ok(Some(owner)) = crate::store::owner(c) {
            m.owner = Some(owner);
        }
        let unfinished = crate::replica::pull::fill_unfinished(c);
        if unfinished && !m.fill_unfinished {
            m.info(crate::tui::strings::FILL_UNFINISHED_NEWS.get(m.lang));
        }
        m.fill_unfinished = unfinished;
        let now = m.now();
        m.page().load(c, now);
        let result = m.list().map_or(Ok(()), |l| l.reload(c));
        if let Err(e) = result {
            self.model.error(e);
        }
        self.settle();
    }

    /// Runs `f` on the current screen's list with the connection beside it.
    fn with_list<R>(
        &mut self,
        f: impl FnOnce(&mut dyn ListScreen, &rusqlite::Connection) -> R,
    ) -> Option<R> {
        let conn = self.store.conn();
        self.model.list().map(|list| f(list, conn))
    }

    /// Loads the detail pane of the selected row if the selection moved:
    /// after every change, so drawing never queries.
    fn settle(&mut self) {
        self.preview_selected();
        let m = &mut self.model;
        let now = m.now();
        if let Some(l) = m.pages[m.screen.index()].list() {
            l.prepare_detail(self.store.conn(), m.lang, &m.theme, now);
        }
    }

    /// The upload under the cursor, when its file is in the cache and its
    /// preview not yet read: read on a thread of its own, the detail shown
    /// again when it is ready.
    fn preview_selected(&mut self) {
        use crate::replica::preview;
        let Some(cache) = self.file_cache.clone() else {
            return;
        };
        if self.model.screen != crate::tui::screens::Screen::Uploads {
            return;
        }
        let Some(id) = self.model.list().and_then(|l| l.cursor_id()) else {
            return;
        };
        let Ok((sha, filename, mime, size)) = views::upload_kind(self.store.conn(), &id) else {
            return;
        };
        let path = crate::replica::files::cached(&cache, &sha);
        if !path.is_file() || !preview::begin(&sha) {
            return;
        }
        let events = self.sender();
        let spawned = std::thread::Builder::new()
            .name("preview".into())
            .spawn(move || {
                let result = preview::preview_checked(
                    &path,
                    &mime,
                    &filename,
                    Some((&sha, size)),
                    preview::TIME_CAP,
                );
                preview::done(&sha, result);
                let _ = events.send(Event::Previewed);
            });
        if let Err(e) = spawned {
            tracing::warn!(%e, "no preview thread");
        }
    }

    /// Carries out effects, in order; a failure is said on the status line.
    pub fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            if let Err(e) = self.run_one(effect) {
                self.model.error(e);
            }
        }
        self.settle();
    }

    fn run_one(&mut self, effect: Effect) -> Result<(), String> {
        match effect {
            Effect::Reload => {
                self.refresh_all();
                Ok(())
            }
            Effect::Move(action) => self.move_cursor(action),
            Effect::MarkAll => self.mark_all(),
            Effect::Search(text) => self.search(text),
            Effect::Filter { text, note, typed } => self.filter(text, note, typed),
            Effect::Ask { decision, ids } => self.ask(decision, ids),
            Effect::AskUndo { entities } => self.ask_undo(entities),
            Effect::Apply(change) => {
                self.apply(change);
                Ok(())
            }
            Effect::AcceptTheirs(ids) => self.accept_theirs(&ids),
            Effect::OpenConflict(op_id) => self.open_conflict(&op_id),
            Effect::OpenAudited(entry) => self.open_audited(&entry),
            Effect::OpenComposer { group, resend } => match resend {
                Some(id) => self.open_resend(&id),
                None => self.open_composer(group.as_deref()),
            },
            Effect::StartSync => self.start_sync(),
            Effect::Fetch(upload_id) => self.fetch(upload_id),
            Effect::SameText(post_id) => self.same_text(&post_id),
            Effect::OpenForm(request) => self.open_form(request),
            Effect::SubmitForm(form) => {
                self.submit_form(*form);
                Ok(())
            }
        }
    }
}
