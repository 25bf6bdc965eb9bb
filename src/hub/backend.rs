//! What the hub's HTTP handlers need from storage, as a trait: the handlers
//! know requests and answers, the backend knows tables. SQLite is the one
//! backend today; a PostgreSQL one would implement the same trait without a
//! handler changing. Every method is blocking; the server calls them off its
//! async threads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

use super::feed::changes_since;
use super::ingest::{self, Report};
use super::push::{PushError, apply_push};
use super::recount;
use super::tokens::{self, Principal, TokenError};
use crate::protocol::{Cursor, PullError, PullResponse};
use crate::protocol::{PushRequest, PushResponse};
use crate::store::sql::{DbError, Sql};
use crate::store::{Actor, Side, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Unknown or revoked token.
    #[error("unknown or revoked token")]
    Refused,
    /// The request itself is wrong (a bad cursor, an unsupported version).
    #[error("{0}")]
    BadRequest(String),
    /// A push stopped part-way by a storage failure: the answered ops stand,
    /// the rest are to be sent again later.
    #[error("temporary failure after {} op(s): {why}", partial.results.len())]
    Partial { partial: PushResponse, why: String },
    /// Storage is failing; try again later.
    #[error("{0}")]
    Unavailable(String),
}

/// How a refusal is answered, whatever carries it (HTTP, or in-process).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl BackendError {
    pub fn answer(&self) -> Answer {
        let (status, code, message, retry_after) = match self {
            BackendError::Refused => (401, "unauthorized", self.to_string(), None),
            BackendError::BadRequest(m) => (400, "bad_request", m.clone(), None),
            BackendError::Partial { .. } | BackendError::Unavailable(_) => {
                tracing::error!(error = %self, "storage failure");
                (
                    503,
                    "unavailable",
                    "the hub cannot reach its storage; try again shortly".to_owned(),
                    Some(5),
                )
            }
        };
        Answer {
            status,
            code,
            message,
            retry_after,
        }
    }
}

impl From<crate::store::sql::DbError> for BackendError {
    fn from(e: crate::store::sql::DbError) -> Self {
        BackendError::Unavailable(e.to_string())
    }
}

impl From<rusqlite::Error> for BackendError {
    fn from(e: rusqlite::Error) -> Self {
        BackendError::Unavailable(e.to_string())
    }
}

/// A stored upload file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub path: PathBuf,
    pub len: u64,
}

pub trait HubBackend: Send + Sync + 'static {
    fn authenticate(&self, token: &str) -> Result<Principal, BackendError>;
    /// A device by its id, with its bundle key (revoked ones too: the
    /// caller says why it refuses).
    fn device(&self, id: &str) -> Result<Option<tokens::KeyedDevice>, BackendError>;
    /// The key a device signs bundles with, given its token's hash.
    fn bundle_key(&self, device_id: &str, token_sha256: &str) -> String;
    fn push(&self, actor: &Actor, request: &PushRequest) -> Result<PushResponse, BackendError>;
    fn pull(&self, since: &Cursor, limit: usize) -> Result<PullResponse, BackendError>;
    /// A device synced now: kept (to within `SEEN_EVERY`) for the staff view.
    fn seen(&self, actor: &Actor) -> Result<(), BackendError>;
    /// The decision feed for the public platform, after `since`.
    /// The decision feed after `since`, read by the platform `reader`: its
    /// reading from `since` acknowledges everything up to there.
    fn decisions(
        &self,
        reader: &str,
        since: i64,
        limit: usize,
    ) -> Result<super::decisions::Page, BackendError>;
    /// JSON lines from the platform; bad lines are in the report, not errors.
    fn ingest(&self, lines: &mut dyn Read) -> Result<Report, BackendError>;
    /// The content of an upload, by its SHA-256 (lowercase hex).
    fn file(&self, sha256: &str) -> Result<Option<StoredFile>, BackendError>;
    /// The secret the SMS gateway's callbacks carry (delivery reports, inbound SMS).
    fn sms_key(&self) -> &str;
    /// Mends every counter (the dashboard's, each group's reach) that
    /// differs from a full count (`hub::recount`): a hub starting to serve
    /// does it, so a counter that drifted (rows changed by hand, say with
    /// `INSERT OR REPLACE`, which fires no delete trigger) is right again.
    fn recount(&self) -> Result<(), BackendError>;
    /// A delivery report; false if it changed nothing (unknown, or already final).
    fn sms_report(
        &self,
        message_id: &str,
        contact_id: &str,
        bits: u32,
    ) -> Result<bool, BackendError>;
    /// An SMS a person sent to the platform's number; STOP / ARRET opts them out.
    /// Returns whether it opted someone out.
    fn sms_inbound(&self, from: &str, text: &str) -> Result<bool, BackendError>;
    /// Whether failed authentications are counted in storage every hub
    /// process shares (`auth_failed`), rather than in each process.
    fn shares_lockout(&self) -> bool {
        false
    }
    /// One more failure for each key (`(key, max)`) within `window`; how
    /// long the caller must wait when a key had already failed `max` times.
    fn auth_failed(
        &self,
        _keys: &[(String, u32)],
        _window: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, BackendError> {
        Ok(None)
    }
}

/// The hub on one SQLite file (WAL): one connection writes (pushes and
/// ingests are serialised, as SQLite would anyway), another reads, so pulls
/// and token checks never wait behind a long ingest.
pub struct SqliteHub {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    files: PathBuf,
    auto_hide: i64,
    sms_key: String,
    bundle_secret: String,
}

/// Where the hub keeps its secret for gateway callbacks: a 0600 file beside
/// its database (`hub.db.sms-key`), never inside it, where anyone who can
/// read the database (a backup, a support copy) could forge delivery reports
/// and STOPs.
pub fn sms_key_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".sms-key");
    PathBuf::from(p)
}

/// Where the hub keeps the secret its devices' bundle keys derive from: a
/// 0600 file beside its database (`hub.db.bundle-key`), for the same reason
/// as the SMS key. Lost, every device logs in again to get a new key.
pub fn bundle_secret_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".bundle-key");
    PathBuf::from(p)
}

/// The hub's bundle secret (made on first use).
pub fn bundle_secret(db: &Path) -> Result<String, StoreError> {
    secret_file(&bundle_secret_path(db), || {
        Ok(super::tokens::random_hex(32))
    })
    .map(|(k, _)| k)
}

/// A secret kept in a 0600 file, made on first use by `make`; returns it and
/// whether this call made it. Made whole beside the name and hard-linked
/// into place, never over a file another process made first: two hub
/// processes starting together end with the same secret. Where the file
/// system has no hard links, renamed into place instead.
pub(crate) fn secret_file(
    path: &Path,
    make: impl FnOnce() -> Result<String, StoreError>,
) -> Result<(String, bool), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let read = || -> Result<Option<String>, StoreError> {
        match std::fs::read_to_string(path) {
            Ok(k) if !k.trim().is_empty() => {
                crate::store::restrict(path).map_err(io)?;
                Ok(Some(k.trim().to_owned()))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    };
    if let Some(k) = read()? {
        return Ok((k, false));
    }
    let key = make()?;
    let mut part = path.as_os_str().to_owned();
    // Unique to this call: two threads of one process making the same
    // secret must not write into one temporary file.
    part.push(format!(".{}.part", super::tokens::random_hex(8)));
    let part = PathBuf::from(part);
    crate::store::write_private(&part, key.as_bytes()).map_err(io)?;
    let linked = std::fs::hard_link(&part, path);
    let placed = match linked {
        Ok(()) => Ok(true),
        // Another process made it first (or an empty one lies there).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read()? {
            Some(theirs) => {
                let _ = std::fs::remove_file(&part);
                return Ok((theirs, false));
            }
            None => std::fs::rename(&part, path).map(|()| true),
        },
        Err(_) => std::fs::rename(&part, path).map(|()| true),
    };
    let _ = std::fs::remove_file(&part);
    placed.map_err(io)?;
    Ok((key, true))
}

/// The hub's secret for gateway callbacks, made once. A key an older civitac
/// kept in `sync_state` moves to the file and leaves the database.
pub fn sms_key(db: &Path, conn: &Connection) -> Result<String, StoreError> {
    let sqlite = |source| StoreError::Sqlite {
        path: db.to_owned(),
        source,
    };
    let (key, made) = secret_file(&sms_key_path(db), || {
        Ok(
            match crate::store::state(conn, "sms_callback_key").map_err(sqlite)? {
                Some(k) => k,
                None => super::tokens::random_hex(24),
            },
        )
    })?;
    if made {
        conn.execute("DELETE FROM sync_state WHERE key = 'sms_callback_key'", [])
            .map_err(sqlite)?;
    }
    Ok(key)
}

/// Where a hub keeps upload contents unless told otherwise: `files/` beside its database.
pub fn default_files_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or_else(|| Path::new(".")).join("files")
}

impl SqliteHub {
    pub fn open(db: &Path, files: PathBuf, auto_hide: i64) -> Result<SqliteHub, StoreError> {
        let open = || -> Result<Connection, StoreError> {
            let store = Store::open(db)?;
            if store.side()? != Side::Hub {
                return Err(StoreError::NotHub(db.to_owned()));
            }
            let conn = store.into_conn();
            // An answer says "applied" only once the op survives a power cut.
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(|source| StoreError::Sqlite {
                    path: db.to_owned(),
                    source,
                })?;
            Ok(conn)
        };
        let writer = open()?;
        let key = sms_key(db, &writer)?;
        let bundle_secret = bundle_secret(db)?;
        super::backup::ensure_epoch(&writer).map_err(|source| StoreError::Sqlite {
            path: db.to_owned(),
            source,
        })?;
        Ok(SqliteHub {
            writer: Mutex::new(writer),
            reader: Mutex::new(open()?),
            files,
            auto_hide,
            sms_key: key,
            bundle_secret,
        })
    }

    fn with<T>(
        lock: &Mutex<Connection>,
        f: impl FnOnce(&mut Connection) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        // A panic while holding the lock leaves no half-done transaction
        // behind (rusqlite rolls back on drop), so the connection is usable.
        let mut conn = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }
}

/// How stale a device's last sync may be before it is written again: a
/// replica syncing every minute costs a write (and a staff change in the
/// feed) only this often; in between, a read on the reader connection.
pub const SEEN_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl HubBackend for SqliteHub {
    fn seen(&self, actor: &Actor) -> Result<(), BackendError> {
        let (now, stale) = seen_times();
        // Most syncs find it fresh: read that on the reader, so a pull never
        // waits for the writer (a long ingest) just to learn nothing is due.
        if Self::with(&self.reader, |c| Ok(seen_fresh(c, actor, &stale)?))? {
            return Ok(());
        }
        Self::with(&self.writer, |c| {
            let tx = c.transaction()?;
            seen_now(&tx, actor, &now, &stale)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn authenticate(&self, token: &str) -> Result<Principal, BackendError> {
        Self::with(&self.reader, |c| match tokens::authenticate(c, token) {
            Ok(p) => Ok(p),
            Err(TokenError::Refused) => Err(BackendError::Refused),
            Err(e) => Err(BackendError::Unavailable(e.to_string())),
        })
    }

    fn device(&self, id: &str) -> Result<Option<tokens::KeyedDevice>, BackendError> {
        let mut device = Self::with(&self.reader, |c| {
            tokens::device_by_id(c, id).map_err(|e| BackendError::Unavailable(e.to_string()))
        })?;
        if let Some(d) = &mut device {
            d.key = self.bundle_key(&d.actor.device, &d.key);
        }
        Ok(device)
    }

    fn bundle_key(&self, device_id: &str, token_sha256: &str) -> String {
        tokens::bundle_key(&self.bundle_secret, device_id, token_sha256)
    }

    fn push(&self, actor: &Actor, request: &PushRequest) -> Result<PushResponse, BackendError> {
        Self::with(&self.writer, |c| match apply_push(c, actor, request) {
            Ok(r) => Ok(r),
            Err(PushError::Version(v)) => {
                Err(BackendError::BadRequest(PushError::Version(v).to_string()))
            }
            Err(PushError::Temporary {
                source, partial, ..
            }) => Err(BackendError::Partial {
                partial: *partial,
                why: source.to_string(),
            }),
        })
    }

    fn pull(&self, since: &Cursor, limit: usize) -> Result<PullResponse, BackendError> {
        Self::with(&self.reader, |c| {
            // One read transaction: the page and its cursor agree. Deferred,
            // so it never waits for (or holds up) the writer.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
            let page = changes_since(&tx, since, limit).map_err(|e| match e {
                PullError::Db(e) => BackendError::from(e),
                other => BackendError::BadRequest(other.to_string()),
            })?;
            tx.finish()?;
            Ok(page)
        })
    }

    fn decisions(
        &self,
        reader: &str,
        since: i64,
        limit: usize,
    ) -> Result<super::decisions::Page, BackendError> {
        let page = Self::with(&self.reader, |c| {
            super::decisions::since(c, since, limit).map_err(|e| match e {
                super::decisions::FeedError::Db(e) => BackendError::from(e),
                past => BackendError::BadRequest(past.to_string()),
            })
        })?;
        if since > 0 {
            Self::with(&self.writer, |c| {
                super::decisions::acknowledge(c, reader, since).map_err(BackendError::from)
            })?;
        }
        Ok(page)
    }

    fn ingest(&self, lines: &mut dyn Read) -> Result<Report, BackendError> {
        let auto_hide = self.auto_hide;
        Self::with(&self.writer, |c| {
            ingest::ingest(c, std::io::BufReader::new(lines), auto_hide)
                .map_err(|e| BackendError::Unavailable(e.to_string()))
        })
    }

    fn sms_key(&self) -> &str {
        &self.sms_key
    }

    fn recount(&self) -> Result<(), BackendError> {
        let sections = [crate::store::counts_sql()];
        // Counted on the reader: a writer goes on meanwhile.
        let drifts = Self::with(&self.reader, |c| Ok(recount::drifts(&*c, &sections)?))?;
        if drifts.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            match recount::mend(&*tx, &sections)? {
                Some(mended) => recount::mended(&mended),
                None => tx.execute_batch(crate::store::counts_sql())?,
            }
            Ok(tx.commit()?)
        })
    }

    fn sms_report(
        &self,
        message_id: &str,
        contact_id: &str,
        bits: u32,
    ) -> Result<bool, BackendError> {
        Self::with(&self.writer, |c| {
            Ok(crate::hub::sms::report(c, message_id, contact_id, bits)?)
        })
    }

    fn sms_inbound(&self, from: &str, text: &str) -> Result<bool, BackendError> {
        let Some(asked) = Inbound::read(from, text)? else {
            return Ok(false);
        };
        Self::with(&self.writer, |c| {
            let tx = c.transaction()?;
            let done = asked.apply(&tx)?;
            tx.commit()?;
            Ok(done)
        })
    }

    fn file(&self, sha256: &str) -> Result<Option<StoredFile>, BackendError> {
        stored_file(&self.files, sha256)
    }
}

/// The hub's clock now, and the time before which a device's last sync is
/// written again (`SEEN_EVERY`).
pub fn seen_times() -> (String, String) {
    let now = jiff::Timestamp::now();
    let stale =
        crate::time::format(now - jiff::SignedDuration::from_secs(SEEN_EVERY.as_secs() as i64));
    (crate::time::format(now), stale)
}

/// Whether the device's last sync is recent enough to leave alone.
pub fn seen_fresh(c: &dyn Sql, actor: &Actor, stale: &str) -> Result<bool, DbError> {
    c.prepare_cached("SELECT 1 FROM devices WHERE id = ?1 AND last_seen_at >= ?2")?
        .exists((&actor.device, stale))
}

/// Records that the device synced now (in the caller's transaction).
pub fn seen_now(tx: &dyn Sql, actor: &Actor, now: &str, stale: &str) -> Result<(), DbError> {
    let changed = tx
        .prepare_cached(
            "UPDATE devices SET last_seen_at = ?2
             WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?3)",
        )?
        .execute((&actor.device, now, stale))?;
    if changed > 0 {
        tx.prepare_cached("UPDATE staff SET last_sync_at = ?2 WHERE id = ?1")?
            .execute((&actor.staff_id, now))?;
        crate::ops::record_change(tx, "staff", &actor.staff_id)?;
    }
    Ok(())
}

/// An upload's content in the files folder, by its SHA-256.
pub fn stored_file(files: &Path, sha256: &str) -> Result<Option<StoredFile>, BackendError> {
    if !crate::protocol::files::valid_hash(sha256) {
        return Ok(None);
    }
    let path = files.join(sha256);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Some(StoredFile { path, len: m.len() })),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BackendError::Unavailable(format!(
            "{}: {e}",
            path.display()
        ))),
    }
}

/// What an inbound SMS asks: to stop (STOP, ARRET) or to start again (OUI),
/// from one number.
pub struct Inbound {
    phone: String,
    start: bool,
    said: String,
}

impl Inbound {
    /// `None` when the text asks neither; an error when the sender is no number.
    pub fn read(from: &str, text: &str) -> Result<Option<Inbound>, BackendError> {
        let (stop, start) = (super::sms::is_stop(text), super::sms::is_start(text));
        if !stop && !start {
            tracing::info!(target: "civitac::sms", from, "inbound SMS (neither STOP nor OUI)");
            return Ok(None);
        }
        // The same number however the gateway writes it (+226 70…, 0022670…,
        // 70…): one suppression, one contact. What is no number is refused.
        let raw = from.trim();
        let international = if raw.starts_with('+') || raw.starts_with("00") {
            raw.to_owned()
        } else if raw.len() > 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
            // Kannel often drops the +.
            format!("+{raw}")
        } else {
            raw.to_owned()
        };
        let region = crate::sms::phone::region("BF")
            .ok_or_else(|| BackendError::Unavailable("no default SMS region".into()))?;
        let phone = crate::sms::phone::to_e164(&international, region).map_err(|e| {
            BackendError::BadRequest(format!(
                "from: {}",
                crate::text::truncate(&crate::text::inline(&e.to_string()), 80)
            ))
        })?;
        let said = format!("SMS: {}", crate::text::inline(text.trim()));
        Ok(Some(Inbound { phone, start, said }))
    }

    /// Applies it in the caller's transaction; whether it changed anything.
    pub fn apply(&self, tx: &dyn Sql) -> Result<bool, BackendError> {
        let Inbound { phone, start, said } = self;
        if *start {
            // Consent, recorded as it came: "SMS: OUI" from that number. A
            // number never opted out, or no contact, changes nothing.
            let op = crate::ops::Op::OptInContact {
                phone_e164: phone.clone(),
                reason: Some(said.clone()),
            };
            return match crate::ops::apply(tx, &super::ingest::system_actor(), &op) {
                Ok(_) => Ok(true),
                Err(
                    crate::ops::OpError::NotFound { .. }
                    | crate::ops::OpError::IllegalTransition { .. },
                ) => Ok(false),
                Err(crate::ops::OpError::Db(e)) => Err(e.into()),
                Err(e) => Err(BackendError::BadRequest(e.to_string())),
            };
        }
        let op = crate::ops::Op::OptOutContact {
            phone_e164: phone.clone(),
            reason: Some(said.clone()),
        };
        // Remembered whether or not the number is a contact yet: an
        // import or an add of it later starts opted out.
        tx.execute(
            "INSERT INTO sms_suppressions (phone_e164, at, reason) VALUES (?1, ?2, ?3)
             ON CONFLICT (phone_e164) DO NOTHING",
            (phone, crate::time::now(), said),
        )?;
        match crate::ops::apply(tx, &super::ingest::system_actor(), &op) {
            Ok(_) => Ok(true),
            Err(crate::ops::OpError::NotFound { .. }) => Ok(false),
            Err(crate::ops::OpError::Db(e)) => Err(e.into()),
            Err(e) => Err(BackendError::BadRequest(e.to_string())),
        }
    }
}
