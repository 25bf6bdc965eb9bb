//! The hub's backups and restores, and the epoch that tells replicas a hub
//! was restored. A backup is a page-exact copy taken by SQLite's online
//! backup API inside one read transaction (consistent while the hub serves;
//! never a file copy of a live WAL database, never `VACUUM INTO`, which may
//! renumber the rowids the FTS tables are keyed by), verified by
//! `integrity_check` before it takes its name. A restore copies a verified
//! backup into the hub database through SQLite (so the WAL and other
//! connections stay coherent), gives it a new epoch, and is refused while a
//! hub serves that database (the serve lock).

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: already exists; choose a new name (a backup never overwrites)", .0.display())]
    Exists(PathBuf),
    #[error("{}: a hub is serving this database (pid {pid}): one hub at a time; stop it first", path.display())]
    Serving { path: PathBuf, pid: String },
    #[error("{}: not a verified hub backup: {why}", path.display())]
    NotBackup { path: PathBuf, why: String },
    #[error("{}: busy for 10 s (another process kept writing); nothing was changed, try again", .0.display())]
    Busy(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

/// The hub's epoch, made when first needed.
/// `ensure_epoch` on either database.
pub fn ensure_epoch_on(
    conn: &dyn crate::store::sql::Sql,
) -> Result<String, crate::store::sql::DbError> {
    if let Some(e) = crate::store::sql::state(conn, "epoch")? {
        return Ok(e);
    }
    let e = super::tokens::random_hex(8);
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES ('epoch', ?1)
         ON CONFLICT (key) DO NOTHING",
        [&e],
    )?;
    // Another process may have made it first: theirs stands.
    Ok(crate::store::sql::state(conn, "epoch")?.unwrap_or(e))
}

pub fn ensure_epoch(conn: &Connection) -> rusqlite::Result<String> {
    if let Some(e) = crate::store::state(conn, "epoch")? {
        return Ok(e);
    }
    let e = super::tokens::random_hex(8);
    crate::store::set_state(conn, "epoch", &e)?;
    Ok(e)
}

/// Held by a serving hub for its life: an exclusive lock on a file beside the
/// database (`hub.db.lock`, never the database itself, whose descriptors only
/// SQLite may open and close). The kernel drops it when the process dies.
pub struct ServeLock {
    _file: File,
}

fn lock_path(db: &Path) -> PathBuf {
    // One lock per file, however it is named (a symlink, a relative path).
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

impl ServeLock {
    pub fn acquire(db: &Path) -> Result<ServeLock, BackupError> {
        let path = lock_path(db);
        let io = |source| BackupError::Io {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if !try_lock(&file) {
            let pid = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(BackupError::Serving {
                path: db.to_owned(),
                pid: pid.trim().to_owned(),
            });
        }
        use std::io::{Seek, Write};
        file.set_len(0).map_err(io)?;
        file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(ServeLock { _file: file })
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor we own; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> bool {
    true
}

/// What a backup or restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub pages: i64,
    pub epoch: String,
    pub ops: i64,
    /// After a restore: where the replaced database was kept.
    pub kept: Option<PathBuf>,
}

/// `PRAGMA integrity_check` and the hub's identity, on a file opened read-only.
fn verify(path: &Path) -> Result<Report, BackupError> {
    let bad = |why: String| BackupError::NotBackup {
        path: path.to_owned(),
        why,
    };
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if check != "ok" {
        return Err(bad(format!("integrity_check: {check}")));
    }
    let app: i64 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if app != crate::store::APPLICATION_ID {
        return Err(bad("not a civitac database".into()));
    }
    if crate::store::state(&c, "side")
        .map_err(|e| bad(e.to_string()))?
        .as_deref()
        != Some("hub")
    {
        return Err(bad("a replica, not a hub".into()));
    }
    let pages: i64 = c
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    let ops: i64 = c
        .query_row("SELECT count(*) FROM applied_ops", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    let epoch = crate::store::state(&c, "epoch")
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or_default();
    Ok(Report {
        pages,
        epoch,
        ops,
        kept: None,
    })
}

/// Copies the hub database at `db` (which may be serving) to `dest`.
pub fn backup(db: &Path, dest: &Path) -> Result<Report, BackupError> {
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_owned()));
    }
    let store = crate::store::Store::open(db).map_err(|e| BackupError::NotBackup {
        path: db.to_owned(),
        why: e.to_string(),
    })?;
    if store.side().ok() != Some(crate::store::Side::Hub) {
        return Err(BackupError::NotBackup {
            path: db.to_owned(),
            why: "a replica, not a hub".into(),
        });
    }
    ensure_epoch(store.conn()).map_err(sqlite(db))?;
    // Every op answered before this instant is in the copy (the copy's read
    // transaction begins after it).
    let began = crate::time::now();
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    crate::store::remove_with_journals(&partial).map_err(|source| BackupError::Io {
        path: partial.clone(),
        source,
    })?;
    // Owner-only from its first byte: a backup holds every token hash and name.
    crate::store::write_private(&partial, b"").map_err(|source| BackupError::Io {
        path: partial.clone(),
        source,
    })?;
    {
        let mut out = Connection::open(&partial).map_err(sqlite(&partial))?;
        let copy = rusqlite::backup::Backup::new(store.conn(), &mut out).map_err(sqlite(db))?;
        // All pages in one step: one read transaction, one consistent state.
        copy_all(&copy, db)?;
        drop(copy);
        // A backup stands alone: no WAL beside it.
        out.pragma_update(None, "journal_mode", "DELETE")
            .map_err(sqlite(&partial))?;
    }
    crate::store::restrict(&partial).map_err(|source| BackupError::Io {
        path: partial.clone(),
        source,
    })?;
    let report = verify(&partial)?;
    std::fs::rename(&partial, dest).map_err(|source| BackupError::Io {
        path: dest.to_owned(),
        source,
    })?;
    // Replicas learn it by their next pull and may let those ops go.
    store
        .sql(|c| {
            let known = crate::store::state(c, "backed_up_until")?;
            if known.as_deref().is_none_or(|k| k < began.as_str()) {
                crate::store::set_state(c, "backed_up_until", &began)?;
            }
            Ok(())
        })
        .map_err(|e| BackupError::NotBackup {
            path: db.to_owned(),
            why: e.to_string(),
        })?;
    Ok(report)
}

/// Runs a backup to its end: all pages in one step, retried while the other
/// side is busy (another process writing), an error if it never gets there.
/// `Ok` from SQLite is not enough: a step can answer "busy" without copying.
fn copy_all(copy: &rusqlite::backup::Backup<'_, '_>, db: &Path) -> Result<(), BackupError> {
    use rusqlite::backup::StepResult;
    for _ in 0..100 {
        match copy.step(-1).map_err(sqlite(db))? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    Err(BackupError::Busy(db.to_owned()))
}

/// The revocations a database holds (device and platform token ids).
fn revocations(c: &Connection) -> rusqlite::Result<Vec<(&'static str, String, String)>> {
    let mut out = Vec::new();
    for table in ["devices", "platform_tokens"] {
        let mut stmt = c.prepare(&format!(
            "SELECT id, revoked_at FROM {table} WHERE revoked_at IS NOT NULL"
        ))?;
        let rows = stmt.query_map([], |r| Ok((table, r.get(0)?, r.get(1)?)))?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

fn regular_file(path: &Path) -> Result<(), BackupError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(BackupError::NotBackup {
            path: path.to_owned(),
            why: "not a regular file".into(),
        }),
        Err(source) => Err(BackupError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Puts a verified backup in place of the hub database at `db`, with a new
/// epoch. Refused while a hub serves `db`. The database it replaces is kept
/// beside it (`hub.db.before-restore-TIME`), and every token revoked in it
/// stays revoked: a restore never brings a lost laptop's token back.
pub fn restore(db: &Path, from: &Path) -> Result<Report, BackupError> {
    // Both must exist and be files: a typo never creates a hub, a FIFO
    // never hangs a restore holding the serve lock.
    regular_file(db)?;
    regular_file(from)?;
    if same_file(db, from) {
        return Err(BackupError::NotBackup {
            path: from.to_owned(),
            why: "it is the hub database itself".into(),
        });
    }
    let _lock = ServeLock::acquire(db)?;
    verify(from)?;
    let version: i64 = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .map_err(sqlite(from))?;
    if version > crate::store::SCHEMA_VERSION {
        return Err(BackupError::NotBackup {
            path: from.to_owned(),
            why: format!(
                "schema version {version} is newer than this civitac ({})",
                crate::store::SCHEMA_VERSION
            ),
        });
    }
    // What is being replaced is kept, and its revocations carried over.
    let stamp = crate::time::now().replace([':', '.'], "-");
    let mut keep = db.as_os_str().to_owned();
    keep.push(format!(".before-restore-{stamp}"));
    let keep = PathBuf::from(keep);
    backup(db, &keep)?;
    let revoked = {
        let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sqlite(db))?;
        revocations(&c).map_err(sqlite(db))?
    };
    let mut conn = Connection::open(db).map_err(sqlite(db))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sqlite(db))?;
    {
        let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sqlite(from))?;
        let copy = rusqlite::backup::Backup::new(&src, &mut conn).map_err(sqlite(db))?;
        copy_all(&copy, db)?;
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite(db))?;
    let epoch = super::tokens::random_hex(8);
    {
        let tx = conn.transaction().map_err(sqlite(db))?;
        for (table, id, at) in &revoked {
            tx.execute(
                &format!("UPDATE {table} SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL"),
                rusqlite::params![id, at],
            )
            .map_err(sqlite(db))?;
        }
        crate::store::set_state(&tx, "epoch", &epoch).map_err(sqlite(db))?;
        crate::store::set_state(&tx, "restored_from", &from.display().to_string())
            .map_err(sqlite(db))?;
        tx.commit().map_err(sqlite(db))?;
    }
    drop(conn);
    crate::store::restrict(db).map_err(|source| BackupError::Io {
        path: db.to_owned(),
        source,
    })?;
    let mut report = verify(db)?;
    report.epoch = epoch;
    report.kept = Some(keep);
    Ok(report)
}
