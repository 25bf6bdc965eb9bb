//! Sync from the console, off the UI thread: a thread with its own
//! connection runs `session::sync` and sends progress and the outcome on the
//! console's one channel; the UI never waits. A temporary failure schedules
//! the next attempt on a timer (backoff), so a field laptop that regains its
//! link syncs without a key press.

use std::path::PathBuf;
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

use crate::config::HubConfig;
use crate::replica::session::{self, Progress, Sizes, Summary, SyncError};
use crate::replica::transport::{HubClient, TransportError};
use crate::store::Store;

use super::events::Event;

/// What the sync thread reports.
pub enum News {
    Progress(Progress),
    Done(Result<Summary, Failure>),
    /// A bundle written or an answer applied (or why not).
    Bundle(Result<BundleDone, String>),
}

/// A bundle job the sync thread ran.
#[derive(Debug, Clone)]
pub enum BundleDone {
    Exported {
        path: PathBuf,
        done: crate::replica::bundle::Exported,
    },
    Imported {
        path: PathBuf,
        done: crate::replica::bundle::Imported,
    },
}

/// Sends `Done` when the sync thread ends without saying how (a panic), so
/// the console never waits for a sync that is gone.
struct Finish {
    events: Sender<Event>,
    said: bool,
}

impl Finish {
    fn send(&mut self, result: Result<Summary, Failure>) {
        self.said = true;
        let _ = self.events.send(Event::Sync(News::Done(result)));
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        if !self.said {
            let _ = self.events.send(Event::Sync(News::Done(Err(Failure {
                message: "the sync stopped unexpectedly".into(),
                temporary: true,
                retry_after: None,
            }))));
        }
    }
}

/// Why a sync ended early, and whether it will be tried again.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub temporary: bool,
    pub retry_after: Option<u64>,
}

/// The console's view of syncing: idle, running (with its latest progress),
/// or waiting to retry.
pub struct Syncer {
    db: PathBuf,
    hub: Option<HubConfig>,
    events: Sender<Event>,
    running: bool,
    pub progress: Option<Progress>,
    pub retry_at: Option<Instant>,
    attempt: u32,
    /// Sync by itself this often (and once at start), when set.
    every: Option<Duration>,
    next_auto: Option<Instant>,
    /// Days an answered op is kept (config `keep_pushed_days`).
    keep_pushed_days: u32,
}

impl Syncer {
    /// News goes to `events`, the console's channel.
    pub fn new(db: PathBuf, hub: Option<HubConfig>, events: Sender<Event>) -> Syncer {
        Syncer {
            db,
            hub,
            events,
            running: false,
            progress: None,
            retry_at: None,
            attempt: 0,
            every: None,
            next_auto: None,
            keep_pushed_days: session::KEEP_PUSHED_DAYS,
        }
    }

    /// Syncs at once, then every `every` while the console is open.
    pub fn every(mut self, every: Option<Duration>) -> Syncer {
        self.every = every;
        self.next_auto = every.map(|_| Instant::now());
        self
    }

    /// Keeps answered ops this many days (config `keep_pushed_days`).
    pub fn keeping(mut self, days: u32) -> Syncer {
        self.keep_pushed_days = days;
        self
    }

    pub fn configured(&self) -> bool {
        self.hub.is_some()
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Starts a sync unless one runs. Returns false without a hub.
    pub fn start(&mut self) -> bool {
        let Some(hub) = self.hub.clone() else {
            return false;
        };
        if self.running {
            return true;
        }
        let mut finish = Finish {
            events: self.events.clone(),
            said: false,
        };
        let db = self.db.clone();
        let keep_pushed_days = self.keep_pushed_days;
        let spawned = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let progress = finish.events.clone();
                let result = run(&db, &hub, keep_pushed_days, &mut |p| {
                    let _ = progress.send(Event::Sync(News::Progress(p)));
                });
                finish.send(result);
            });
        match spawned {
            Ok(_) => {
                self.running = true;
                self.progress = None;
                self.retry_at = None;
                true
            }
            Err(e) => {
                tracing::warn!(%e, "no sync thread");
                false
            }
        }
    }

    /// Writes a bundle for the hub (`export`) or applies its answer, on a
    /// thread of its own connection like a sync (an answer may hold a whole
    /// first fill). Refused while a sync runs: the two would write the same
    /// outbox and cursor. Returns false without a hub login.
    pub fn start_bundle(&mut self, export: bool, path: PathBuf, lang: crate::i18n::Lang) -> bool {
        let keep_days = self.keep_pushed_days;
        let Some(hub) = self.hub.clone() else {
            return false;
        };
        let db = self.db.clone();
        let events = self.events.clone();
        let spawned = std::thread::Builder::new()
            .name("bundle".into())
            .spawn(move || {
                // Said even if the job panics: the console must not wait
                // for a thread that is gone (its sync key would stay dead).
                struct Said(Option<Sender<Event>>);
                impl Drop for Said {
                    fn drop(&mut self) {
                        if let Some(events) = self.0.take() {
                            let _ = events.send(Event::Sync(News::Bundle(Err(
                                "the bundle job stopped unexpectedly".into(),
                            ))));
                        }
                    }
                }
                let mut said = Said(Some(events));
                // As the credentials file has it now (a sync or a login
                // since the console started may have changed it).
                let key = crate::replica::credentials::Credentials::load(&db)
                    .ok()
                    .and_then(|c| c.bundle_key)
                    .or_else(|| hub.bundle_key.clone());
                let result = match &key {
                    Some(key) => bundle_job(&db, key, export, path, keep_days),
                    None => Err(crate::tui::strings::NO_BUNDLE_KEY.get(lang).to_owned()),
                };
                if let Some(events) = said.0.take() {
                    let _ = events.send(Event::Sync(News::Bundle(result)));
                }
            });
        match spawned {
            Ok(_) => {
                self.running = true;
                self.progress = None;
                true
            }
            Err(e) => {
                tracing::warn!(%e, "no bundle thread");
                false
            }
        }
    }

    /// The bundle thread has ended.
    pub fn bundle_over(&mut self) {
        self.running = false;
    }

    /// Starts the sync a timer planned (a retry, or the periodic one) once
    /// it is due; true if one started.
    pub fn due(&mut self, now: Instant) -> bool {
        if self.running {
            return false;
        }
        let auto_due = self.retry_at.is_none() && self.next_auto.is_some_and(|at| now >= at);
        if self.retry_at.is_some_and(|at| now >= at) || auto_due {
            self.retry_at = None;
            self.next_auto = None;
            return self.start();
        }
        false
    }

    /// Takes news from the sync thread; returns the outcome once it is over
    /// (and plans the retry a temporary failure calls for).
    pub fn news(&mut self, news: News, now: Instant) -> Option<Result<Summary, Failure>> {
        match news {
            News::Progress(p) => {
                self.progress = Some(p);
                None
            }
            // Said by the console itself; the thread is over.
            News::Bundle(_) => {
                self.running = false;
                None
            }
            News::Done(result) => {
                self.running = false;
                self.progress = None;
                self.next_auto = self.every.map(|e| now + e);
                match &result {
                    Ok(_) => self.attempt = 0,
                    Err(f) if f.temporary => {
                        let wait = crate::retry::backoff(self.attempt, f.retry_after);
                        self.attempt = self.attempt.saturating_add(1);
                        self.retry_at = Some(now + wait);
                    }
                    Err(_) => self.attempt = 0,
                }
                Some(result)
            }
        }
    }

    /// Seconds until the next automatic attempt, if one is planned.
    pub fn retry_in(&self, now: Instant) -> Option<Duration> {
        self.retry_at.map(|at| at.saturating_duration_since(now))
    }
}

fn bundle_job(
    db: &std::path::Path,
    key: &str,
    export: bool,
    path: PathBuf,
    keep_days: u32,
) -> Result<BundleDone, String> {
    use crate::replica::bundle;
    let shown =
        |e: &dyn std::fmt::Display| crate::text::inline(&format!("{}: {e}", path.display()));
    let mut store = Store::open(db).map_err(|e| crate::text::inline(&e.to_string()))?;
    if export {
        let (bytes, done) = bundle::export(store.conn(), key).map_err(|e| shown(&e))?;
        bundle::write_whole(&path, &bytes, db).map_err(|e| shown(&e))?;
        bundle::noted(store.conn(), &done, &path).map_err(|e| shown(&e))?;
        Ok(BundleDone::Exported { path, done })
    } else {
        let bytes = bundle::read_file(&path, db).map_err(|e| shown(&e))?;
        let done =
            bundle::import(store.conn_mut(), key, &bytes, keep_days).map_err(|e| shown(&e))?;
        Ok(BundleDone::Imported { path, done })
    }
}

fn run(
    db: &std::path::Path,
    hub: &HubConfig,
    keep_pushed_days: u32,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, Failure> {
    let permanent = |message: String| Failure {
        message,
        temporary: false,
        retry_after: None,
    };
    let mut store = Store::open(db).map_err(|e| permanent(e.to_string()))?;
    let mut client = HubClient::new(&hub.url, &hub.token, hub.ca.as_deref())
        .map_err(|e| permanent(e.to_string()))?;
    let sizes = Sizes {
        keep_pushed_days,
        ..Sizes::default()
    };
    let synced = session::sync(store.conn_mut(), &mut client, sizes, progress);
    if synced.is_ok()
        && let Err(e) = crate::replica::credentials::fill_bundle_key(db, &mut client)
    {
        tracing::warn!(error = %e, "no bundle key kept");
    }
    synced.map_err(|e| {
        let retry_after = match &e {
            SyncError::Transport(TransportError::Http { retry_after, .. }) => *retry_after,
            _ => None,
        };
        Failure {
            message: crate::text::inline(&e.to_string()),
            temporary: e.is_temporary(),
            retry_after,
        }
    })
}

/// Upload files fetched on a queue of their own: a large video never holds
/// up a sync, and the UI never waits for either.
pub struct Fetcher {
    requests: Option<Sender<(String, String)>>,
    pub cache: PathBuf,
    pub queued: usize,
}

impl Fetcher {
    /// Fetched files are reported on `events`, the console's channel.
    pub fn spawn(
        hub: HubConfig,
        cache: PathBuf,
        events: Sender<Event>,
    ) -> std::io::Result<Fetcher> {
        let (tx, rx) = channel::<(String, String)>();
        let done = move |upload_id: String, result: Result<PathBuf, String>| {
            events.send(Event::Fetched { upload_id, result }).is_ok()
        };
        let dir = cache.clone();
        std::thread::Builder::new()
            .name("files".into())
            .spawn(move || {
                let mut client = match HubClient::new(&hub.url, &hub.token, hub.ca.as_deref()) {
                    Ok(c) => c,
                    Err(e) => {
                        for (id, _) in rx {
                            done(id, Err(e.to_string()));
                        }
                        return;
                    }
                };
                for (id, sha) in rx {
                    let result = crate::replica::files::fetch_retrying(&mut client, &dir, &sha, 3)
                        .map_err(|e| crate::text::inline(&e.to_string()));
                    if !done(id, result) {
                        return;
                    }
                }
            })?;
        Ok(Fetcher {
            requests: Some(tx),
            cache,
            queued: 0,
        })
    }

    pub fn request(&mut self, upload_id: String, sha256: String) {
        if let Some(tx) = &self.requests
            && tx.send((upload_id, sha256)).is_ok()
        {
            self.queued += 1;
        }
    }

    /// One file came back (fetched or not).
    pub fn fetched(&mut self) {
        self.queued = self.queued.saturating_sub(1);
    }
}
