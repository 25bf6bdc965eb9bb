//! Sync from the console, off the UI thread: a thread with its own
//! connection runs `session::sync` and reports progress and the outcome on a
//! channel; the UI polls it between frames and never waits. A temporary
//! failure schedules the next attempt on a timer (backoff), so a field laptop
//! that regains its link syncs without a key press.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::config::HubConfig;
use crate::replica::session::{self, Progress, Sizes, Summary, SyncError};
use crate::replica::transport::{HubClient, TransportError};
use crate::store::Store;

pub enum Event {
    Progress(Progress),
    Done(Result<Summary, Failure>),
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
    running: Option<Receiver<Event>>,
    pub progress: Option<Progress>,
    pub retry_at: Option<Instant>,
    attempt: u32,
    /// Sync by itself this often (and once at start), when set.
    every: Option<Duration>,
    next_auto: Option<Instant>,
}

impl Syncer {
    pub fn new(db: PathBuf, hub: Option<HubConfig>) -> Syncer {
        Syncer {
            db,
            hub,
            running: None,
            progress: None,
            retry_at: None,
            attempt: 0,
            every: None,
            next_auto: None,
        }
    }

    /// Syncs at once, then every `every` while the console is open.
    pub fn every(mut self, every: Option<Duration>) -> Syncer {
        self.every = every;
        self.next_auto = every.map(|_| Instant::now());
        self
    }

    pub fn configured(&self) -> bool {
        self.hub.is_some()
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts a sync unless one runs. Returns false without a hub.
    pub fn start(&mut self) -> bool {
        let Some(hub) = self.hub.clone() else {
            return false;
        };
        if self.running.is_some() {
            return true;
        }
        let (tx, rx) = channel();
        let db = self.db.clone();
        let spawned = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let result = run(&db, &hub, &mut |p| {
                    let _ = tx.send(Event::Progress(p));
                });
                let _ = tx.send(Event::Done(result));
            });
        match spawned {
            Ok(_) => {
                self.running = Some(rx);
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

    /// Takes what the sync thread reported since the last look. Returns the
    /// outcome once it is over.
    pub fn poll(&mut self, now: Instant) -> (bool, Option<Result<Summary, Failure>>) {
        let mut changed = false;
        if self.running.is_none() {
            let auto_due = self.retry_at.is_none() && self.next_auto.is_some_and(|at| now >= at);
            if self.retry_at.is_some_and(|at| now >= at) || auto_due {
                self.retry_at = None;
                self.next_auto = None;
                changed = self.start();
            }
            return (changed, None);
        }
        loop {
            let event = match self.running.as_ref().map(Receiver::try_recv) {
                Some(Ok(e)) => e,
                Some(Err(TryRecvError::Empty)) | None => return (changed, None),
                Some(Err(TryRecvError::Disconnected)) => Event::Done(Err(Failure {
                    message: "the sync stopped unexpectedly".into(),
                    temporary: true,
                    retry_after: None,
                })),
            };
            match event {
                Event::Progress(p) => {
                    self.progress = Some(p);
                    changed = true;
                }
                Event::Done(result) => {
                    self.running = None;
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
                    return (true, Some(result));
                }
            }
        }
    }

    /// Seconds until the next automatic attempt, if one is planned.
    pub fn retry_in(&self, now: Instant) -> Option<Duration> {
        self.retry_at.map(|at| at.saturating_duration_since(now))
    }
}

fn run(
    db: &std::path::Path,
    hub: &HubConfig,
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
    session::sync(store.conn_mut(), &mut client, Sizes::default(), progress).map_err(|e| {
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
    requests: Option<std::sync::mpsc::Sender<(String, String)>>,
    done: Receiver<(String, Result<PathBuf, String>)>,
    pub cache: PathBuf,
    pub queued: usize,
}

impl Fetcher {
    pub fn spawn(hub: HubConfig, cache: PathBuf) -> std::io::Result<Fetcher> {
        let (tx, rx) = channel::<(String, String)>();
        let (done_tx, done) = channel();
        let dir = cache.clone();
        std::thread::Builder::new()
            .name("files".into())
            .spawn(move || {
                let mut client = match HubClient::new(&hub.url, &hub.token, hub.ca.as_deref()) {
                    Ok(c) => c,
                    Err(e) => {
                        for (id, _) in rx {
                            let _ = done_tx.send((id, Err(e.to_string())));
                        }
                        return;
                    }
                };
                for (id, sha) in rx {
                    let result = crate::replica::files::fetch_retrying(&mut client, &dir, &sha, 3)
                        .map_err(|e| crate::text::inline(&e.to_string()));
                    if done_tx.send((id, result)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Fetcher {
            requests: Some(tx),
            done,
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

    pub fn poll(&mut self) -> Option<(String, Result<PathBuf, String>)> {
        let got = self.done.try_recv().ok()?;
        self.queued = self.queued.saturating_sub(1);
        Some(got)
    }
}
