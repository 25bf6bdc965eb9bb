//! The replica's side of a bundle: `civitac bundle export FILE` writes the
//! unsynced ops and the cursor, signed with the device's key; `civitac
//! bundle import FILE` applies the hub's answer exactly as a sync would
//! (the same outcome records, the same pages, each page with its cursor).
//!
//! An answer is applied only where it starts: at the cursor the replica had
//! when it exported (or at the start of a fresh snapshot when the hub was
//! restored meanwhile). An import cut part-way resumes at the page it
//! reached; the same answer a second time changes nothing; an answer older
//! than what the replica already has (it synced online since, or took a
//! later answer) is refused, since its rows would take the replica back.

use std::io::Write;
use std::path::Path;

use rusqlite::Connection;

use super::outbox::{self, ClientError};
use super::pull;
use super::session::{self, SyncError};
use crate::protocol::bundle::{self, AnswerHead, AnswerPage, BundleError, Kind, OpsBody};
use crate::protocol::{Cursor, PullError};

/// The answer being applied (set before the first write, cleared after the last).
const IMPORTING: &str = "bundle_importing";
/// The last answer applied in full.
const IMPORTED: &str = "bundle_imported";
/// The last bundle exported: its id, when, how many ops, where.
pub const EXPORTED: &str = "bundle_exported";
/// The highest outbox seq ever exported: those ops cannot be undone
/// (`ops::apply`), their undo would reach the hub too late.
const EXPORTED_SEQ: &str = "bundle_exported_seq";

#[derive(Debug, thiserror::Error)]
pub enum ReplicaBundleError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("this replica is not attached to a hub (civitac login): it has no device to sign with")]
    NotAttached,
    #[error(
        "this is a bundle of ops for the hub: import it there with `civitac hub bundle import`"
    )]
    NotAnswer,
    #[error("this answer is for device {theirs}, and this replica is device {ours}")]
    OtherDevice { theirs: String, ours: String },
    #[error(
        "this answer starts at {since}, and this replica is at {ours}: it is older than what the replica has; export a new bundle"
    )]
    Stale { since: String, ours: String },
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// What an export put in the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Exported {
    pub id: String,
    pub ops: usize,
    /// The last op in it (by outbox seq), if any.
    pub through_seq: Option<i64>,
    pub cursor: String,
    pub bytes: usize,
}

fn device_of(conn: &Connection) -> Result<String, ReplicaBundleError> {
    crate::store::state(conn, "device_id")?.ok_or(ReplicaBundleError::NotAttached)
}

/// The bundle of everything this replica has not synced, signed with the
/// device's bundle key (from the hub at login). Changes nothing (`noted` records it once written).
pub fn export(conn: &Connection, key: &str) -> Result<(Vec<u8>, Exported), ReplicaBundleError> {
    let device = device_of(conn)?;
    // Every waiting op, in order (an op and a waiting undo of it together).
    let push = outbox::next_batch(conn, i64::MAX as usize)?;
    let cursor = pull::cursor(conn)?.to_string();
    let body = OpsBody {
        cursor: cursor.clone(),
        epoch: crate::store::state(conn, "hub_epoch")?,
        push,
    };
    let id = uuid::Uuid::now_v7().to_string();
    let bytes = bundle::seal(Kind::Ops, &device, &id, key, &body)?;
    let exported = Exported {
        id,
        ops: body.push.ops.len(),
        through_seq: body.push.ops.iter().map(|o| o.seq).max(),
        cursor,
        bytes: bytes.len(),
    };
    Ok((bytes, exported))
}

/// Records a bundle written to `path` (the Synchro screen offers its
/// folder next time, and the answer's likely name), and that its ops are
/// out of reach of undo (`EXPORTED_SEQ`).
pub fn noted(conn: &Connection, exported: &Exported, path: &Path) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    if let Some(seq) = exported.through_seq {
        let before: i64 = crate::store::state(&tx, EXPORTED_SEQ)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        crate::store::set_state(&tx, EXPORTED_SEQ, &seq.max(before).to_string())?;
    }
    crate::store::set_state(
        &tx,
        EXPORTED,
        &serde_json::json!({
            "id": exported.id,
            "at": crate::time::now(),
            "ops": exported.ops,
            "path": std::path::absolute(path).unwrap_or_else(|_| path.to_owned()).to_string_lossy(),
        })
        .to_string(),
    )?;
    tx.commit()
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Imported {
    /// The same answer had been applied already: nothing changed.
    pub already: bool,
    pub applied: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub rejected: usize,
    pub pulled: usize,
    /// The hub had been restored from a backup: kept ops wait to be sent
    /// again (in the next bundle), and a fresh snapshot came.
    pub hub_restored: bool,
    /// Ops still waiting (made after the export, or to send again).
    pub pending: usize,
}

/// Applies a hub's answer.
pub fn import(
    conn: &mut Connection,
    key: &str,
    bytes: &[u8],
    keep_pushed_days: u32,
) -> Result<Imported, ReplicaBundleError> {
    let unopened = bundle::read_header(bytes)?;
    if unopened.header.kind != Kind::Answer {
        return Err(ReplicaBundleError::NotAnswer);
    }
    let ours = device_of(conn)?;
    if unopened.header.device != ours {
        return Err(ReplicaBundleError::OtherDevice {
            theirs: crate::text::truncate(&crate::text::inline(&unopened.header.device), 80),
            ours,
        });
    }
    let id = unopened.header.id.clone();
    let mut lines = unopened.open_lines(key)?;
    let head: AnswerHead = lines
        .read()?
        .ok_or_else(|| BundleError::Body("no outcomes".into()))?;
    let mut done = Imported::default();
    if crate::store::state(conn, IMPORTED)?.as_deref() == Some(id.as_str()) {
        done.already = true;
        done.pending = pending(conn);
        return Ok(done);
    }

    // Where to start: the answer's beginning, or (an import cut part-way,
    // the same answer) after the page it reached.
    let now = pull::cursor(conn)?.to_string();
    let epoch = head.push.epoch.clone();
    let known = crate::store::state(conn, "hub_epoch")?;
    let restored = matches!((&known, &epoch), (Some(k), Some(e)) if k != e);
    let resuming = crate::store::state(conn, IMPORTING)?.as_deref() == Some(id.as_str());
    // A fresh snapshot after a restore is for a replica still at the epoch
    // its bundle named (not one that moved on to a later one since).
    let fresh = (restored && head.since == Cursor::Start.to_string() && known == head.asked_epoch)
        || (!restored && now == head.since);
    let stale = || ReplicaBundleError::Stale {
        since: head.since.clone(),
        ours: now.clone(),
    };
    if !fresh && (restored || !resuming) {
        return Err(stale());
    }
    let mut known_op = conn.prepare("SELECT 1 FROM outbox WHERE op_id = ?1")?;
    for r in &head.push.results {
        if !known_op.exists([&r.op_id])? {
            return Err(ClientError::Unknown(crate::text::inline(&r.op_id)).into());
        }
    }
    drop(known_op);

    let mut from = if fresh {
        crate::store::set_state(conn, IMPORTING, &id)?;
        // As a push answer: the epoch first (a restored hub resets what it
        // lost), then the outcomes.
        done.hub_restored = session::meet_epoch(conn, epoch.as_deref())?;
        let recorded = outbox::record(conn, &head.push)?;
        done.applied = recorded.applied;
        done.duplicate = recorded.duplicate;
        done.conflict = recorded.conflict;
        done.rejected = recorded.rejected;
        head.since.clone()
    } else {
        // Resuming: the pages up to where the replica is were written (the
        // outcomes too); nothing is written until that page is found.
        loop {
            let Some(page) = lines.read::<AnswerPage>()? else {
                return Err(stale());
            };
            if page.next.to_string() == now {
                break now.clone();
            }
        }
    };
    // Each page lands only where the one before it ended (checked in its
    // transaction): a sync running meanwhile stops the import, never the
    // other way round.
    while let Some(page) = lines.read::<AnswerPage>()? {
        if session::meet_epoch(conn, page.epoch.as_deref())? {
            return Err(ReplicaBundleError::Stale {
                since: head.since.clone(),
                ours: pull::cursor(conn)?.to_string(),
            });
        }
        done.pulled += pull::apply_page_after(conn, &page, Some(&from))?;
        from = page.next.to_string();
    }
    session::prune(conn, keep_pushed_days)?;
    let tx = conn.transaction()?;
    crate::store::set_state(&tx, IMPORTED, &id)?;
    tx.execute("DELETE FROM sync_state WHERE key = ?1", [IMPORTING])?;
    crate::store::set_state(&tx, "last_sync", &crate::time::now())?;
    tx.commit()?;
    done.pending = pending(conn);
    Ok(done)
}

/// Ops still waiting: the outbox's counter (kept by triggers), not a count.
fn pending(conn: &Connection) -> usize {
    usize::try_from(crate::store::views::pending_ops(conn)).unwrap_or(0)
}

/// A bundle larger than this is not one (a scale-50 first fill is ~200 MB).
const MAX_BUNDLE: u64 = 2 << 30;

/// Reads a bundle file whole (refusing one too large to be a bundle, and
/// the database `db` itself without opening it: see [`may_write`]).
pub fn read_file(path: &Path, db: &Path) -> std::io::Result<Vec<u8>> {
    if is_database(path, db) {
        return Err(std::io::Error::other("the database, not a bundle"));
    }
    let len = std::fs::metadata(path)?.len();
    if len > MAX_BUNDLE {
        return Err(std::io::Error::other(format!(
            "{len} bytes: too large for a bundle"
        )));
    }
    std::fs::read(path)
}

/// Whether a bundle may be written at `path`, asked before anything is
/// done (a hub applies the ops only when their answer can be written):
/// its folder exists, and a file already there is a bundle too — a
/// mistyped `--answer hub.db` must not put an answer in place of a
/// database. The database `db` (and its -wal, -shm, -journal) is refused
/// without being opened: this process holds SQLite connections to it, and
/// closing any other descriptor on that file would drop their locks.
pub fn may_write(path: &Path, db: &Path) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no folder {}", folder.display()),
        ));
    }
    if is_database(path, db) {
        return Err(not_a_bundle());
    }
    if !path.exists() {
        return Ok(());
    }
    // Not the database: safe to open and close.
    let mut head = [0u8; bundle::MAGIC.len()];
    let is_bundle = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == bundle::MAGIC.as_bytes();
    if is_bundle {
        Ok(())
    } else {
        Err(not_a_bundle())
    }
}

/// Whether `path` is the database `db` or one of its side files (-wal,
/// -shm, -journal), found by name, never by opening it.
fn is_database(path: &Path, db: &Path) -> bool {
    match (std::fs::canonicalize(path), std::fs::canonicalize(db)) {
        (Ok(target), Ok(db)) => {
            let (target, db) = (target.to_string_lossy(), db.to_string_lossy());
            target == db || target.starts_with(&format!("{db}-"))
        }
        _ => false,
    }
}

fn not_a_bundle() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "exists and is not a bundle: choose another name",
    )
}

/// Writes the whole file or nothing: a temporary file beside it, flushed to
/// the stick, then renamed over the name (a stick pulled out mid-write
/// leaves the old file or none, never half a bundle under the name).
///
/// An existing file is replaced only if it is a bundle too (see
/// [`may_write`]).
pub fn write_whole(path: &Path, bytes: &[u8], db: &Path) -> std::io::Result<()> {
    may_write(path, db)?;
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".part");
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Where the last bundle was written, if one was.
pub fn last_export_path(conn: &Connection) -> Option<std::path::PathBuf> {
    let text = crate::store::state(conn, EXPORTED).ok().flatten()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v.get("path")?.as_str()?.into())
}

/// The name an answer to `bundle` is given by the README's example
/// (`terrain.civitac` → `terrain-reponse.civitac`).
pub fn answer_name(bundle: &Path) -> std::path::PathBuf {
    let stem = bundle
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    bundle.with_file_name(format!("{stem}-reponse.civitac"))
}
