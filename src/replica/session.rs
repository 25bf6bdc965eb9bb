//! One sync, as DESIGN §5 orders it: push the outbox in batches until it is
//! empty, then pull pages until the hub has no more; ops made meanwhile are
//! pushed on a next round, on top of the hub's state. Each step commits on
//! its own, so a sync cut anywhere is finished by the next one. Used by
//! `civitac sync`, the console's sync key and the demo.

use std::time::Instant;

use rusqlite::Connection;
use serde::Serialize;

use super::outbox::{self, ClientError};
use super::pull;
use super::transport::TransportError;
use crate::protocol::PullError;
use crate::protocol::remote::Remote;

/// Ops per push request.
pub const PUSH_BATCH: usize = 500;
/// Rows per pull page.
pub const PULL_PAGE: usize = 2_000;
/// Rounds of push-then-pull before giving up on an outbox that keeps filling.
const ROUNDS: usize = 3;
/// A clock further than this from the hub's is worth a warning.
pub const SKEW_WARNING: i64 = 5 * 60;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error("the hub answered {answered} of {sent} ops; the rest will be sent again")]
    Incomplete { sent: usize, answered: usize },
    #[error(
        "the hub's epoch changed twice during one sync (two hubs behind one address?); stopped"
    )]
    EpochFlapping,
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl SyncError {
    /// Whether trying again later can help.
    pub fn is_temporary(&self) -> bool {
        match self {
            SyncError::Transport(t) => t.is_temporary(),
            SyncError::Incomplete { .. } => true,
            SyncError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            SyncError::Client(_) | SyncError::Pull(_) | SyncError::EpochFlapping => false,
        }
    }
}

/// Where a sync is, for a progress bar: the step, the bytes this
/// connection has moved (both ways, as they crossed the wire) and an
/// estimate of the time left in the step once there is something to go by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    Pushing {
        done: usize,
        total: usize,
        bytes: u64,
        left: Option<std::time::Duration>,
    },
    Pulling {
        rows: usize,
        snapshot: Option<(usize, usize)>,
        /// How much of the way (0 to 1), when known.
        share: Option<f64>,
        bytes: u64,
        left: Option<std::time::Duration>,
    },
}

/// Bytes a hub connection has moved, both ways.
fn moved(hub: &dyn Remote) -> u64 {
    let (up, down) = hub.traffic();
    up + down
}

/// The time a step has left, from how fast its share done (0 to 1) grew
/// lately: the last few reports, not the whole step, since requests start
/// small and grow with the link (the first pages are the slowest per row).
#[derive(Debug, Default)]
struct Eta {
    points: std::collections::VecDeque<(Instant, f64)>,
}

impl Eta {
    const WINDOW: usize = 5;

    fn starting() -> Eta {
        let mut eta = Eta::default();
        eta.points.push_back((Instant::now(), 0.0));
        eta
    }

    fn left(&mut self, share: f64) -> Option<std::time::Duration> {
        let now = Instant::now();
        let share = share.clamp(0.0, 1.0);
        if share >= 1.0 {
            return Some(std::time::Duration::ZERO);
        }
        self.points.push_back((now, share));
        if self.points.len() > Self::WINDOW {
            self.points.pop_front();
        }
        let &(then, before) = self.points.front()?;
        let rate = (share - before) / now.duration_since(then).as_secs_f64().max(1e-3);
        (rate > 0.0)
            .then(|| std::time::Duration::try_from_secs_f64((1.0 - share) / rate).ok())
            .flatten()
    }
}

/// A refused op, with the hub's reason.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    pub op_id: String,
    pub action: String,
    pub reason: String,
}

/// What a sync did (`civitac sync --json` prints this).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub pushed: usize,
    pub applied: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub rejected: usize,
    pub pulled: usize,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub seconds: f64,
    /// Hub clock minus this device's, in seconds.
    pub clock_skew: Option<i64>,
    pub rejections: Vec<Rejection>,
    /// The hub had been restored from a backup: kept ops were sent again and
    /// a fresh snapshot pulled.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hub_restored: bool,
    /// Request sizes as the link has shown it can carry, kept across a
    /// sync's retries.
    #[serde(skip)]
    pub paces: super::pace::Paces,
}

impl Summary {
    pub fn skew_warning(&self) -> Option<i64> {
        self.clock_skew.filter(|s| s.abs() > SKEW_WARNING)
    }
}

/// Makes a replica the given device's: its owner's staff row and its
/// identity in `sync_state`, in one transaction (what `login` does before the
/// first pull brings everything else).
pub fn attach(
    conn: &mut Connection,
    me: &crate::protocol::WhoAmI,
    hub_url: &str,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO staff (id, login, display_name, role) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET login = excluded.login,
           display_name = excluded.display_name, role = excluded.role",
        rusqlite::params![me.staff_id, me.login, me.display_name, me.role],
    )?;
    crate::store::set_state(&tx, "staff_id", &me.staff_id)?;
    crate::store::set_state(&tx, "device_id", &me.device_id)?;
    crate::store::set_state(&tx, "device_name", &me.device_name)?;
    crate::store::set_state(&tx, "hub_url", hub_url)?;
    tx.commit()
}

fn pending(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row(
        "SELECT count(*) FROM outbox WHERE pushed_at IS NULL",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as usize)
}

/// How a sync runs: request sizes (smaller on a poor link, where a cut loses
/// less) and how long answered ops stay in the outbox.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    pub push_batch: usize,
    pub pull_page: usize,
    /// Days an answered op is kept when no hub backup is known to hold it.
    pub keep_pushed_days: u32,
}

/// Answered ops are kept this long by default (config `keep_pushed_days`).
pub const KEEP_PUSHED_DAYS: u32 = 30;

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            push_batch: PUSH_BATCH,
            pull_page: PULL_PAGE,
            keep_pushed_days: KEEP_PUSHED_DAYS,
        }
    }
}

/// Lets go of answered ops that are safe without this replica: inside a
/// backup the hub has taken (answered before it began), or older than
/// `keep_days`. Until then they are kept, so a hub restored from a backup
/// gets them again. Never the newest op (it carries the device's sequence),
/// never one whose conflict is still open. Returns how many went.
pub fn prune(conn: &Connection, keep_days: u32) -> rusqlite::Result<usize> {
    let backed_up = crate::store::state(conn, "hub_backed_up_until")?;
    let cutoff = crate::time::format(
        jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(keep_days)))
            .unwrap_or(jiff::Timestamp::MIN),
    );
    conn.execute(
        "DELETE FROM outbox WHERE outcome IS NOT NULL
           AND seq < (SELECT MAX(seq) FROM outbox)
           AND op_id NOT IN (SELECT op_id FROM conflicts WHERE resolved_at IS NULL)
           AND ((?1 IS NOT NULL AND answered_at < ?1) OR pushed_at < ?2)",
        rusqlite::params![backed_up, cutoff],
    )
}

/// Pushes everything pending, then pulls everything new.
pub fn sync(
    conn: &mut Connection,
    hub: &mut dyn Remote,
    sizes: Sizes,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, SyncError> {
    let mut summary = Summary::default();
    sync_into(conn, hub, sizes, progress, &mut summary).map(|()| summary)
}

/// The same, adding what it does to `summary` even when it fails part-way,
/// so that retries report everything the attempts together did.
pub fn sync_into(
    conn: &mut Connection,
    hub: &mut dyn Remote,
    sizes: Sizes,
    progress: &mut dyn FnMut(Progress),
    summary: &mut Summary,
) -> Result<(), SyncError> {
    let started = Instant::now();
    let (up, down) = hub.traffic();
    let result = rounds(conn, hub, sizes, progress, summary);
    let (up_now, down_now) = hub.traffic();
    summary.bytes_up += up_now - up;
    summary.bytes_down += down_now - down;
    summary.seconds += started.elapsed().as_secs_f64();
    summary.clock_skew = hub.skew().or(summary.clock_skew);
    result
}

fn rounds(
    conn: &mut Connection,
    hub: &mut dyn Remote,
    sizes: Sizes,
    progress: &mut dyn FnMut(Progress),
    summary: &mut Summary,
) -> Result<(), SyncError> {
    let mut rounds = ROUNDS;
    let mut round = 0;
    while round < rounds {
        round += 1;
        let mut restored = push_all(conn, hub, sizes.push_batch, progress, summary)?;
        if !restored {
            restored = pull_all(conn, hub, sizes.pull_page, progress, summary)?;
        }
        if restored {
            // Everything kept goes again, then a fresh snapshot: one more
            // round. Twice in one sync is not a restore but a fault.
            if summary.hub_restored {
                return Err(SyncError::EpochFlapping);
            }
            summary.hub_restored = true;
            rounds = ROUNDS + round;
            continue;
        }
        if pending(conn)? == 0 {
            break;
        }
    }
    prune(conn, sizes.keep_pushed_days)?;
    crate::store::set_state(conn, "last_sync", &crate::time::now())?;
    Ok(())
}

/// Meets the hub's epoch. A hub restored from a backup has a new one, and may
/// have lost ops it once answered: then every op this replica still keeps is
/// marked to be sent again (the hub answers `duplicate` for those it has and
/// applies the rest), and the replica pulls a fresh snapshot, its own
/// unsynced work staying in the outbox to be pushed first. Returns whether
/// the epoch changed.
pub fn meet_epoch(conn: &mut Connection, epoch: Option<&str>) -> rusqlite::Result<bool> {
    let Some(epoch) = epoch else {
        return Ok(false);
    };
    let tx = conn.transaction()?;
    let changed = match crate::store::state(&tx, "hub_epoch")? {
        Some(known) if known == epoch => return Ok(false),
        None => false,
        Some(_) => {
            tx.execute(
                "UPDATE outbox SET pushed_at = NULL, outcome = NULL, reason = NULL, answered_at = NULL
                 WHERE pushed_at IS NOT NULL",
                [],
            )?;
            crate::store::set_state(&tx, "pull_cursor", "start")?;
            // What the old hub said of its backups means nothing now.
            tx.execute(
                "DELETE FROM sync_state WHERE key = 'hub_backed_up_until'",
                [],
            )?;
            true
        }
    };
    crate::store::set_state(&tx, "hub_epoch", epoch)?;
    tx.commit()?;
    if changed {
        tracing::warn!(
            epoch,
            "the hub was restored from a backup: resending kept ops, pulling a fresh snapshot"
        );
    }
    Ok(changed)
}

/// Pushes the outbox; true if the hub turned out to be restored from a backup.
fn push_all(
    conn: &mut Connection,
    hub: &mut dyn Remote,
    batch_size: usize,
    progress: &mut dyn FnMut(Progress),
    summary: &mut Summary,
) -> Result<bool, SyncError> {
    let total = summary.pushed + pending(conn)?;
    let (mut eta, first) = (Eta::starting(), summary.pushed);
    progress(Progress::Pushing {
        done: summary.pushed,
        total,
        bytes: moved(hub),
        left: None,
    });
    use super::pace::{PUSH_MIN, PUSH_START, Pace};
    let mut pace = summary
        .paces
        .push
        .unwrap_or_else(|| Pace::new(PUSH_START, PUSH_MIN, batch_size));
    loop {
        let batch = outbox::next_batch(conn, pace.size())?;
        if batch.ops.is_empty() {
            return Ok(false);
        }
        let asked = Instant::now();
        let answer = hub.push(&batch);
        match &answer {
            Ok(_) => pace.answered(batch.ops.len(), asked.elapsed()),
            Err(_) => pace.cut(),
        }
        summary.paces.push = Some(pace);
        let response = answer?;
        // These answers come from the hub as it is now: recorded after the reset.
        let restored = meet_epoch(conn, response.epoch.as_deref())?;
        let recorded = outbox::record(conn, &response)?;
        summary.pushed += response.results.len();
        summary.applied += recorded.applied;
        summary.duplicate += recorded.duplicate;
        summary.conflict += recorded.conflict;
        summary.rejected += recorded.rejected;
        for r in &response.results {
            if r.outcome == crate::protocol::Outcome::Rejected {
                let action = batch
                    .ops
                    .iter()
                    .find(|o| o.op_id == r.op_id)
                    .map(|o| o.op.op.action_name())
                    .unwrap_or_default();
                summary.rejections.push(Rejection {
                    op_id: r.op_id.clone(),
                    action: action.to_owned(),
                    reason: r.reason.clone().unwrap_or_default(),
                });
            }
        }
        let share = (summary.pushed - first) as f64 / (total - first).max(1) as f64;
        progress(Progress::Pushing {
            done: summary.pushed,
            total,
            bytes: moved(hub),
            left: eta.left(share),
        });
        if response.results.len() < batch.ops.len() {
            return Err(SyncError::Incomplete {
                sent: batch.ops.len(),
                answered: response.results.len(),
            });
        }
        if restored {
            return Ok(true);
        }
    }
}

/// Pulls until the hub has no more; true if the hub turned out to be
/// restored from a backup (the page, read with an old cursor, is dropped).
///
/// The next page is fetched (and decoded) while the one before is written:
/// the cursor a page ends at is in the page, so the two need not wait for
/// each other. Pages are still written one by one, in order, each in its
/// own transaction with its cursor; a failure stops both, and the next sync
/// starts from the last page written.
fn pull_all(
    conn: &mut Connection,
    hub: &mut dyn Remote,
    page_size: usize,
    progress: &mut dyn FnMut(Progress),
    summary: &mut Summary,
) -> Result<bool, SyncError> {
    enum Written {
        Rows {
            rows: usize,
            snapshot: Option<(usize, usize)>,
            /// How much of the way the replica is (0 to 1), when known.
            share: Option<f64>,
        },
        Restored,
    }
    use super::pace::{PULL_MIN, PULL_START, Pace};
    let mut cursor = pull::cursor(conn)?;
    let mut eta = Eta::starting();
    let from_seq = match cursor {
        crate::protocol::Cursor::Feed(seq) => Some(seq),
        _ => None,
    };
    // Bytes moved, as the fetching side last saw them.
    let bytes = std::cell::Cell::new(moved(hub));
    // A snapshot's rows, when its first page says (rows written so far are
    // counted in `note`, on this thread).
    let snapshot_rows: std::cell::Cell<Option<u64>> = std::cell::Cell::new(None);
    let pulled_before = summary.pulled;
    let mut pace = summary
        .paces
        .pull
        .unwrap_or_else(|| Pace::new(PULL_START, PULL_MIN, page_size));
    let pulled = std::thread::scope(|scope| {
        // One page waits while another is written and a third is fetched:
        // the memory of three pages at most.
        let (pages, to_write) = std::sync::mpsc::sync_channel::<crate::protocol::PullResponse>(1);
        let (written_tx, written) = std::sync::mpsc::channel::<Result<Written, SyncError>>();
        scope.spawn(move || {
            for page in to_write {
                let result = (|| {
                    if meet_epoch(conn, page.epoch.as_deref())? {
                        return Ok(Written::Restored);
                    }
                    let rows = pull::apply_page(conn, &page)?;
                    // A snapshot: its tables done (its rows, in `note`,
                    // when it said how many); the feed: its positions.
                    let share = match (page.snapshot, from_seq, &page.next, page.head) {
                        (Some(s), _, _, _) => Some(s.table as f64 / s.tables.max(1) as f64),
                        (None, Some(from), crate::protocol::Cursor::Feed(at), Some(head))
                            if head > from =>
                        {
                            Some((at - from) as f64 / (head - from) as f64)
                        }
                        _ => None,
                    };
                    Ok(Written::Rows {
                        rows,
                        snapshot: page.snapshot.map(|s| (s.table, s.tables)),
                        share,
                    })
                })();
                let go_on = matches!(result, Ok(Written::Rows { .. }));
                if written_tx.send(result).is_err() || !go_on {
                    break;
                }
            }
        });
        let mut note = |w: Result<Written, SyncError>| -> Result<bool, SyncError> {
            match w? {
                Written::Restored => Ok(true),
                Written::Rows {
                    rows,
                    snapshot,
                    share,
                } => {
                    summary.pulled += rows;
                    let share = match (snapshot, snapshot_rows.get()) {
                        (Some((table, tables)), Some(total)) if table < tables => {
                            Some((summary.pulled - pulled_before) as f64 / total.max(1) as f64)
                        }
                        _ => share,
                    };
                    progress(Progress::Pulling {
                        rows: summary.pulled,
                        snapshot,
                        share: share.map(|s| s.min(1.0)),
                        bytes: bytes.get(),
                        left: share.and_then(|s| eta.left(s)),
                    });
                    Ok(false)
                }
            }
        };
        let fetched = loop {
            let asked = Instant::now();
            let page = match hub.pull(&cursor, pace.size()) {
                Ok(page) => page,
                Err(e) => {
                    pace.cut();
                    break Err(SyncError::from(e));
                }
            };
            // A page with more after it was full, whatever its row count (a
            // record changed twice in the page is sent once).
            let carried = if page.more {
                pace.size()
            } else {
                page.rows.len()
            };
            pace.answered(carried, asked.elapsed());
            let more = page.more;
            bytes.set(moved(hub));
            if let Some(total) = page.snapshot.and_then(|s| s.rows) {
                snapshot_rows.set(Some(total));
            }
            cursor = page.next.clone();
            // Refused when the writer stopped (a failure, a restored hub):
            // what it says comes below.
            if pages.send(page).is_err() {
                break Ok(());
            }
            while let Ok(w) = written.try_recv() {
                if note(w)? {
                    return Ok(true);
                }
            }
            if !more {
                break Ok(());
            }
        };
        // The pages fetched are written before anything is reported.
        drop(pages);
        for w in written {
            if note(w)? {
                return Ok(true);
            }
        }
        fetched.map(|()| false)
    });
    summary.paces.pull = Some(pace);
    pulled
}
