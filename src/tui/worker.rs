//! Searches off the UI thread. A full-text search over a million posts can
//! take a noticeable fraction of a second; the console hands it to this
//! worker, which has its own read-only connection, keeps drawing and taking
//! keys, and shows the result when it arrives (on the console's one
//! channel). Only the newest request matters: older ones still queued are
//! skipped, and the console drops answers to older ones.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};

use super::events::Event;
use super::screens::Screen;
use crate::store::query::{self, Filters, ListKind, Page};
use crate::store::rows::{Listed, Organization, QueuedPost, Upload};

/// What a search produced: the first page and the (capped) count.
pub struct Loaded<T> {
    pub page: Page<T>,
    pub total: (i64, bool),
}

pub struct Request {
    pub generation: u64,
    pub screen: Screen,
    pub filters: Filters,
    pub page_size: usize,
    pub count_cap: usize,
}

pub enum Answer {
    Enrollments(u64, Result<Loaded<Organization>, String>),
    Uploads(u64, Result<Loaded<Upload>, String>),
    Forum(u64, Result<Loaded<QueuedPost>, String>),
    /// The count of a search whose first page was full, counted once that
    /// page was shown (up to the request's cap).
    Counted(u64, Screen, Filters, (i64, bool)),
}

/// Rows the worker searches: each kind knows which answer carries it.
pub trait Searched: Listed + Sized {
    fn from_answer(answer: Answer) -> Option<Result<Loaded<Self>, String>>;
}

impl Searched for Organization {
    fn from_answer(answer: Answer) -> Option<Result<Loaded<Self>, String>> {
        match answer {
            Answer::Enrollments(_, r) => Some(r),
            _ => None,
        }
    }
}

impl Searched for Upload {
    fn from_answer(answer: Answer) -> Option<Result<Loaded<Self>, String>> {
        match answer {
            Answer::Uploads(_, r) => Some(r),
            _ => None,
        }
    }
}

impl Searched for QueuedPost {
    fn from_answer(answer: Answer) -> Option<Result<Loaded<Self>, String>> {
        match answer {
            Answer::Forum(_, r) => Some(r),
            _ => None,
        }
    }
}

impl Answer {
    /// The screen whose list asked.
    pub fn screen(&self) -> Screen {
        match self {
            Answer::Enrollments(..) => Screen::Enrollments,
            Answer::Uploads(..) => Screen::Uploads,
            Answer::Forum(..) => Screen::Forum,
            Answer::Counted(_, screen, ..) => *screen,
        }
    }

    /// A page answer's total: `Err(())` when the page failed, `None` for a
    /// count.
    fn loaded_total(&self) -> Option<Result<(i64, bool), ()>> {
        fn total<T>(loaded: &Result<Loaded<T>, String>) -> Result<(i64, bool), ()> {
            loaded.as_ref().map(|l| l.total).map_err(|_| ())
        }
        match self {
            Answer::Enrollments(_, l) => Some(total(l)),
            Answer::Uploads(_, l) => Some(total(l)),
            Answer::Forum(_, l) => Some(total(l)),
            Answer::Counted(..) => None,
        }
    }

    pub fn generation(&self) -> u64 {
        match self {
            Answer::Enrollments(g, _) | Answer::Uploads(g, _) | Answer::Forum(g, _) => *g,
            Answer::Counted(g, ..) => *g,
        }
    }
}

pub struct Worker {
    requests: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    /// Stops the query in flight when a newer request comes: it is obsolete.
    interrupt: rusqlite::InterruptHandle,
    /// The newest request's generation.
    latest: Arc<AtomicU64>,
}

fn answer_to(conn: &Connection, r: &Request) -> Option<Answer> {
    Some(match r.screen {
        Screen::Enrollments => {
            Answer::Enrollments(r.generation, load(conn, ListKind::Enrollments, r))
        }
        Screen::Uploads => Answer::Uploads(r.generation, load(conn, ListKind::Uploads, r)),
        Screen::Forum => Answer::Forum(r.generation, load(conn, ListKind::Forum, r)),
        _ => return None,
    })
}

fn load<T: Listed>(conn: &Connection, list: ListKind, r: &Request) -> Result<Loaded<T>, String> {
    let page =
        query::page::<T>(conn, list, &r.filters, None, r.page_size).map_err(|e| e.to_string())?;
    // The page does not wait for a count: "more than this page" until the
    // count comes (`count_on`); a page with nothing after it is the count.
    let total = (page.rows.len() as i64, page.next.is_some());
    Ok(Loaded { page, total })
}

/// The count of a search whose first page was full.
fn count_on(conn: &Connection, r: &Request) -> Option<Answer> {
    let total = match r.screen {
        Screen::Enrollments => {
            query::count::<Organization>(conn, ListKind::Enrollments, &r.filters, r.count_cap)
        }
        Screen::Uploads => query::count::<Upload>(conn, ListKind::Uploads, &r.filters, r.count_cap),
        Screen::Forum => query::count::<QueuedPost>(conn, ListKind::Forum, &r.filters, r.count_cap),
        _ => return None,
    };
    total
        .ok()
        .map(|t| Answer::Counted(r.generation, r.screen, r.filters.clone(), t))
}

impl Worker {
    /// Answers go to `events`, the console's channel.
    pub fn spawn(db: &Path, events: Sender<Event>) -> std::io::Result<Worker> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|c| c.busy_timeout(std::time::Duration::from_secs(5)).map(|_| c))
        .and_then(|c| crate::store::register_functions(&c).map(|_| c))
        .and_then(|c| crate::store::stable_plans(&c).map(|_| c))
        .map_err(std::io::Error::other)?;
        let interrupt = conn.get_interrupt_handle();
        let latest = Arc::new(AtomicU64::new(0));
        let newest = latest.clone();
        let (req_tx, req_rx) = channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("civitac-search".into())
            .spawn(move || {
                let mut pending: Option<Request> = None;
                loop {
                    let mut r = match pending.take() {
                        Some(r) => r,
                        None => match req_rx.recv() {
                            Ok(r) => r,
                            Err(_) => break,
                        },
                    };
                    // Skip to the newest request: the person kept typing.
                    while let Ok(newer) = req_rx.try_recv() {
                        r = newer;
                    }
                    let Some(mut answer) = answer_to(&conn, &r) else {
                        continue;
                    };
                    // Interrupted for a newer request that this one is (the
                    // interrupt came as it started): once more.
                    if matches!(answer.loaded_total(), Some(Err(())))
                        && newest.load(Ordering::SeqCst) == r.generation
                        && let Some(again) = answer_to(&conn, &r)
                    {
                        answer = again;
                    }
                    // A full first page with more after it: count on.
                    let count_further = r.count_cap > r.page_size
                        && matches!(answer.loaded_total(), Some(Ok((_, true))));
                    if events.send(Event::Searched(answer)).is_err() {
                        break;
                    }
                    if count_further {
                        // A newer search makes this count useless.
                        if let Ok(newer) = req_rx.try_recv() {
                            pending = Some(newer);
                            continue;
                        }
                        if let Some(counted) = count_on(&conn, &r)
                            && events.send(Event::Searched(counted)).is_err()
                        {
                            break;
                        }
                    }
                }
            })?;
        Ok(Worker {
            requests: Some(req_tx),
            thread: Some(thread),
            interrupt,
            latest,
        })
    }

    pub fn send(&self, request: Request) {
        if let Some(tx) = &self.requests {
            self.latest.store(request.generation, Ordering::SeqCst);
            if tx.send(request).is_ok() {
                // Whatever the worker is counting or searching is for an
                // older request now.
                self.interrupt.interrupt();
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the request channel ends the thread after its current query.
        self.requests.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
