//! The hub on PostgreSQL: the same `HubBackend`, with the same rules (every
//! rule runs through the `Sql` seam: `ops::apply`, the conflict rules, the
//! feed, tokens, ingest, SMS), for operators who run several hub processes
//! on one database.
//!
//! What several processes need, and where it is held:
//! - a push answered exactly once: `applied_ops`' primary key, read and
//!   written in the push's own transaction;
//! - a feed that never skips: writers hold one advisory lock from their
//!   first statement to their commit, so `changes.seq` (and the audit
//!   log's `rowid`, the decision feed's cursor) are committed in the order
//!   they were drawn — a reader paging by `seq > cursor` can never see a
//!   later number before an earlier one is visible;
//! - a revoked token refused by every process at once: tokens are read
//!   from the database on every request, never cached;
//! - SMS deliveries claimed with `FOR UPDATE SKIP LOCKED`.

pub mod backup;
pub mod conn;
pub mod migrate;

use std::io::Read;
use std::path::PathBuf;

use conn::{Lent, PgConn, PgPool};

use super::backend::{
    BackendError, HubBackend, Inbound, StoredFile, seen_fresh, seen_now, seen_times, stored_file,
};
use super::ingest::Report;
use super::push::{PushError, answer, push_in};
use super::tokens::{self, Principal, TokenError};
use crate::protocol::{Cursor, PullError, PullResponse, PushRequest, PushResponse};
use crate::store::Actor;
use crate::store::sql::DbError;

/// The schema a new database receives (kept beside `schema.sql`).
pub const SCHEMA: &str = include_str!("../../../schema-postgres.sql");

/// The first version a PostgreSQL hub had: every later one is brought to
/// `SCHEMA_VERSION` by its part of `SCHEMA` (`-- begin: version N`).
const FIRST_VERSION: i64 = 7;

/// What an empty database runs to become a hub (inside a transaction).
pub fn new_schema() -> String {
    format!("{SCHEMA}\nINSERT INTO sync_state (key, value) VALUES ('side', 'hub');")
}

/// The schema's sections that set every counter from a full count.
pub fn counts_sections() -> [&'static str; 2] {
    [
        crate::store::section(SCHEMA, "counts"),
        crate::store::section(SCHEMA, "reach counts"),
    ]
}

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// A session-level lock held while a database is given its schema, so two
/// hubs starting together on an empty database do it once.
const INIT_LOCK: i64 = 0x0063_6976_6974_6164;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{url}: {source}")]
    Connect { url: String, source: DbError },
    #[error(
        "{url}: its schema is version {found}, newer than this civitac reads ({known}): run a newer civitac"
    )]
    Newer { url: String, found: i64, known: i64 },
    #[error(
        "{url}: its schema is version {found}; this civitac needs {known} (no migration exists from it)"
    )]
    Older { url: String, found: i64, known: i64 },
    #[error(
        "{url}: a PostgreSQL database with tables but no civitac schema (schema_version missing): refusing to touch it"
    )]
    Foreign { url: String },
    #[error("{url}: {source}")]
    Schema { url: String, source: DbError },
    #[error("{0}")]
    Keys(String),
    #[error("{url}: {why}")]
    Unsuitable { url: String, why: String },
    #[error(
        "{url}: a restore is running on this database (`hub restore`): start the hub when it has finished"
    )]
    Restoring { url: String },
}

/// The advisory lock every serving hub process holds shared, for its whole
/// life, on a session of its own; `hub restore` takes it alone ("civitas"
/// in ASCII). A serving process is seen even while its pool is idle or
/// empty (after the server restarted), and a hub started during a restore
/// is refused in one line.
pub const SERVE_LOCK: i64 = 0x0063_6976_6974_6173;

/// A hub process's share of `SERVE_LOCK`, kept by a thread that reconnects
/// when the session is lost (a server restart) and takes its share again.
pub struct Serving {
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    keeper: Option<std::thread::JoinHandle<()>>,
}

/// Takes a share of the lock on `c`'s session: false while a restore holds it.
fn take_share(c: &PgConn) -> Result<bool, DbError> {
    let got: i64 = c.sql().query_row(
        "SELECT CAST(pg_try_advisory_lock_shared(?1) AS INTEGER)",
        [SERVE_LOCK],
        |r| r.get(0),
    )?;
    Ok(got == 1)
}

/// A new session holding its share, or `None` when a restore holds the lock.
fn share(url: &str) -> Result<Option<PgConn>, DbError> {
    let c = PgConn::connect(url)?;
    Ok(take_share(&c)?.then_some(c))
}

/// How often the keeper checks its session; `hub restore` watches for
/// hub sessions for several times this before it goes ahead.
pub const KEEPER_CHECK: std::time::Duration = std::time::Duration::from_millis(500);

impl Serving {
    /// Takes this process's share, or says a restore is running.
    pub fn hold(url: &str) -> Result<Serving, OpenError> {
        let first = share(url)
            .map_err(|source| OpenError::Connect {
                url: conn::redact(url),
                source,
            })?
            .ok_or_else(|| OpenError::Restoring {
                url: conn::redact(url),
            })?;
        let held = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (h, s, url) = (held.clone(), stop.clone(), url.to_owned());
        let keeper = std::thread::spawn(move || keep(first, &url, &h, &s));
        Ok(Serving {
            held,
            stop,
            keeper: Some(keeper),
        })
    }

    /// Whether the share is held now (false for the moment a lost session
    /// takes to come back, or while a restore runs).
    pub fn is_held(&self) -> bool {
        self.held.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

/// Checks the session every `KEEPER_CHECK`; a lost one is replaced and its
/// share taken again. While a restore holds the lock the new session stays
/// open, asking again each time: the restore sees it and stops. Meanwhile
/// the hub answers "try again".
fn keep(
    first: PgConn,
    url: &str,
    held: &std::sync::atomic::AtomicBool,
    stop: &std::sync::atomic::AtomicBool,
) {
    use std::sync::atomic::Ordering;
    let mut session = Some(first);
    let mut sharing = true;
    while !stop.load(Ordering::Relaxed) {
        if session.as_ref().is_some_and(|c| !c.answers()) {
            session = None;
            sharing = false;
        }
        if session.is_none() {
            match PgConn::connect(url) {
                Ok(c) => session = Some(c),
                Err(e) => tracing::error!(error = %e, "the hub database cannot be reached"),
            }
        }
        if let Some(c) = session.as_ref().filter(|_| !sharing) {
            match take_share(c) {
                Ok(true) => sharing = true,
                Ok(false) => tracing::warn!("a restore is running on the hub database"),
                Err(e) => tracing::error!(error = %e, "the hub database failed"),
            }
        }
        held.store(sharing, Ordering::Relaxed);
        let mut slept = std::time::Duration::ZERO;
        while slept < KEEPER_CHECK && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(50));
            slept += std::time::Duration::from_millis(50);
        }
    }
}

/// Gives an empty database the schema, or checks the version of one that
/// has it. Returns the version found or made.
/// Why a database cannot take the schema (its encoding or locale), in one
/// line, before the schema's text is sent (a LATIN1 database refuses that
/// text with an encoding error that names neither).
pub fn unsuitable(c: &PgConn) -> Result<Option<String>, DbError> {
    let (encoding, collate, ctype): (String, String, String) = c.sql().query_row(
        "SELECT CAST(pg_encoding_to_char(encoding) AS TEXT), CAST(datcollate AS TEXT), CAST(datctype AS TEXT)
         FROM pg_database WHERE datname = current_database()",
        (),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let c_locale = |l: &str| matches!(l, "C" | "POSIX");
    Ok((encoding != "UTF8" || !c_locale(&collate) || !c_locale(&ctype)).then(|| {
        format!(
            "encoding {}, collation {}: civitac needs a UTF8 database with the C locale (createdb -T template0 -E UTF8 --locale=C)",
            crate::text::inline(&encoding),
            crate::text::inline(&collate)
        )
    }))
}

pub fn prepare(c: &PgConn, url: &str) -> Result<i64, OpenError> {
    let url = conn::redact(url);
    let schema = |source| OpenError::Schema {
        url: url.clone(),
        source,
    };
    c.batch(&format!("SELECT pg_advisory_lock({INIT_LOCK})"))
        .map_err(schema)?;
    let result = (|| {
        let has_version = has_schema(c).map_err(schema)?;
        let known = crate::store::SCHEMA_VERSION;
        if !has_version {
            let tables: i64 = c
                .sql()
                .query_row(
                    "SELECT count(*) FROM information_schema.tables
                     WHERE table_schema = current_schema()",
                    (),
                    |r| r.get(0),
                )
                .map_err(schema)?;
            if tables > 0 {
                return Err(OpenError::Foreign { url: url.clone() });
            }
            if let Some(why) = unsuitable(c).map_err(schema)? {
                return Err(OpenError::Unsuitable {
                    url: url.clone(),
                    why,
                });
            }
            c.batch(&format!("BEGIN; {} COMMIT;", new_schema()))
                .map_err(|e| {
                    let _ = c.batch("ROLLBACK");
                    schema(e)
                })?;
            return Ok(known);
        }
        let found: i64 = c
            .sql()
            .query_row("SELECT max(version) FROM schema_version", (), |r| {
                r.get::<Option<i64>>(0).map(|v| v.unwrap_or(0))
            })
            .map_err(schema)?;
        if found > known {
            return Err(OpenError::Newer {
                url: url.clone(),
                found,
                known,
            });
        }
        if found < FIRST_VERSION {
            return Err(OpenError::Older {
                url: url.clone(),
                found,
                known,
            });
        }
        if found < known {
            // Each version's part of the schema, then the new number, in
            // one transaction: a step that fails leaves the database as
            // it was, and another hub starting now waits on the lock.
            let steps: String = (found + 1..=known)
                .map(|v| crate::store::section(SCHEMA, &format!("version {v}")))
                .collect::<Vec<_>>()
                .join("\n");
            c.batch(&format!(
                "BEGIN; {steps}\nUPDATE schema_version SET version = {known}; COMMIT;"
            ))
            .map_err(|e| {
                let _ = c.batch("ROLLBACK");
                schema(e)
            })?;
            tracing::info!(from = found, to = known, "PostgreSQL hub schema migrated");
        }
        Ok(known)
    })();
    let _ = c.batch(&format!("SELECT pg_advisory_unlock({INIT_LOCK})"));
    result
}

/// Whether the database holds a civitac schema already.
pub fn has_schema(c: &PgConn) -> Result<bool, DbError> {
    c.sql().query_row(
        "SELECT count(*) FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name = 'schema_version'",
        (),
        |r| r.get::<i64>(0).map(|n| n > 0),
    )
}

/// The hub on a PostgreSQL database, through a pool of connections.
pub struct PgHub {
    pool: PgPool,
    /// Held by a serving process (`hub serve`), not by one-off commands.
    serving: Option<Serving>,
    files: PathBuf,
    auto_hide: i64,
    sms_key: String,
    bundle_secret: String,
}

impl PgHub {
    pub fn open(
        url: &str,
        files: PathBuf,
        auto_hide: i64,
        pool: usize,
    ) -> Result<PgHub, OpenError> {
        let connect = |source| OpenError::Connect {
            url: conn::redact(url),
            source,
        };
        let pool = PgPool::open(url, pool).map_err(connect)?;
        {
            let c = pool.get().map_err(connect)?;
            prepare(&c, url)?;
            let epoch = c.write(|tx| super::backup::ensure_epoch_on(tx));
            epoch.map_err(|source| OpenError::Schema {
                url: conn::redact(url),
                source,
            })?;
        }
        let base = files.clone();
        let sms_key = super::backend::secret_file(&super::backend::sms_key_path(&base), || {
            Ok(super::tokens::random_hex(24))
        })
        .map_err(|e| OpenError::Keys(e.to_string()))?
        .0;
        let bundle_secret =
            super::backend::bundle_secret(&base).map_err(|e| OpenError::Keys(e.to_string()))?;
        Ok(PgHub {
            pool,
            serving: None,
            files,
            auto_hide,
            sms_key,
            bundle_secret,
        })
    }

    // Its two secrets live beside its files folder (`files.sms-key`,
    // `files.bundle-key`): the one place every process of one hub shares
    // already; never in the database, which a dump would carry.

    /// This hub as a serving process: `serving` is its share of the serve
    /// lock, taken before the hub opened.
    pub fn serving(mut self, serving: Serving) -> PgHub {
        self.serving = Some(serving);
        self
    }

    fn conn(&self) -> Result<Lent<'_>, BackendError> {
        if self.serving.as_ref().is_some_and(|s| !s.is_held()) {
            return Err(BackendError::Unavailable(
                "the hub database is away or being restored".into(),
            ));
        }
        Ok(self.pool.get()?)
    }
}

impl HubBackend for PgHub {
    fn authenticate(&self, token: &str) -> Result<Principal, BackendError> {
        let c = self.conn()?;
        match tokens::authenticate(&*c, token) {
            Ok(p) => Ok(p),
            Err(TokenError::Refused) => Err(BackendError::Refused),
            Err(e) => Err(BackendError::Unavailable(e.to_string())),
        }
    }

    fn device(&self, id: &str) -> Result<Option<tokens::KeyedDevice>, BackendError> {
        let c = self.conn()?;
        let mut device =
            tokens::device_by_id(&*c, id).map_err(|e| BackendError::Unavailable(e.to_string()))?;
        if let Some(d) = &mut device {
            d.key = self.bundle_key(&d.actor.device, &d.key);
        }
        Ok(device)
    }

    fn bundle_key(&self, device_id: &str, token_sha256: &str) -> String {
        tokens::bundle_key(&self.bundle_secret, device_id, token_sha256)
    }

    fn push(&self, actor: &Actor, request: &PushRequest) -> Result<PushResponse, BackendError> {
        if request.v != crate::protocol::PROTOCOL_VERSION {
            return Err(BackendError::BadRequest(
                PushError::Version(request.v).to_string(),
            ));
        }
        let c = self.conn()?;
        let done = c.write_pipelined(|tx| -> Result<_, DbError> {
            let (results, failure) = push_in(tx, actor, request);
            let epoch = crate::store::sql::state(tx, "epoch")?;
            Ok((results, failure, epoch))
        });
        let answered = match done {
            Ok((results, failure, epoch)) => answer(results, failure, epoch),
            // The commit (or the lock) failed: nothing stands.
            Err(e) => answer(Vec::new(), Some(e), None),
        };
        answered.map_err(|e| match e {
            PushError::Version(v) => BackendError::BadRequest(PushError::Version(v).to_string()),
            PushError::Temporary {
                source, partial, ..
            } => BackendError::Partial {
                partial: *partial,
                why: source.to_string(),
            },
        })
    }

    fn pull(&self, since: &Cursor, limit: usize) -> Result<PullResponse, BackendError> {
        let c = self.conn()?;
        // One snapshot: the page and its cursor agree.
        c.read(|tx| {
            super::feed::changes_since(tx, since, limit).map_err(|e| match e {
                PullError::Db(e) => BackendError::from(e),
                other => BackendError::BadRequest(other.to_string()),
            })
        })
    }

    fn seen(&self, actor: &Actor) -> Result<(), BackendError> {
        let (now, stale) = seen_times();
        let c = self.conn()?;
        if seen_fresh(&*c, actor, &stale)? {
            return Ok(());
        }
        c.write(|tx| Ok(seen_now(tx, actor, &now, &stale)?))
    }

    fn decisions(
        &self,
        reader: &str,
        since: i64,
        limit: usize,
    ) -> Result<super::decisions::Page, BackendError> {
        let c = self.conn()?;
        let page = c.read(|tx| {
            super::decisions::since(tx, since, limit).map_err(|e| match e {
                super::decisions::FeedError::Db(e) => BackendError::from(e),
                past => BackendError::BadRequest(past.to_string()),
            })
        })?;
        if since > 0 {
            c.write(|tx| {
                super::decisions::acknowledge(tx, reader, since).map_err(BackendError::from)
            })?;
        }
        Ok(page)
    }

    fn ingest(&self, lines: &mut dyn Read) -> Result<Report, BackendError> {
        let c = self.conn()?;
        super::ingest::ingest_with(
            &mut |batch| c.write(batch),
            std::io::BufReader::new(lines),
            self.auto_hide,
            super::ingest::POSTGRES_BATCH,
        )
        .map_err(|e| BackendError::Unavailable(e.to_string()))
    }

    fn file(&self, sha256: &str) -> Result<Option<StoredFile>, BackendError> {
        stored_file(&self.files, sha256)
    }

    fn sms_key(&self) -> &str {
        &self.sms_key
    }

    fn recount(&self) -> Result<(), BackendError> {
        let sections = counts_sections();
        let c = self.conn()?;
        // Each table counted in one statement, outside the write lock:
        // the other hub processes' pushes go on meanwhile.
        if super::recount::drifts(c.sql(), &sections)?.is_empty() {
            return Ok(());
        }
        match c.write(|tx| super::recount::mend(tx, &sections))? {
            Some(mended) => super::recount::mended(&mended),
            None => c.write_after(&sections.join("\n"), |_| Ok::<_, DbError>(()))?,
        }
        Ok(())
    }

    fn sms_report(
        &self,
        message_id: &str,
        contact_id: &str,
        bits: u32,
    ) -> Result<bool, BackendError> {
        let c = self.conn()?;
        Ok(c.write(|tx| super::sms::report_in(tx, message_id, contact_id, bits))?)
    }

    fn sms_inbound(&self, from: &str, text: &str) -> Result<bool, BackendError> {
        let Some(asked) = Inbound::read(from, text)? else {
            return Ok(false);
        };
        let c = self.conn()?;
        c.write(|tx| asked.apply(tx))
    }

    fn shares_lockout(&self) -> bool {
        true
    }

    fn auth_failed(
        &self,
        keys: &[(String, u32)],
        window: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, BackendError> {
        let now = jiff::Timestamp::now().as_second();
        let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        let c = self.conn()?;
        // Counts whose window ended are let go now and then (random bad
        // tokens each add a row).
        static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        if FAILURES
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(64)
        {
            c.sql().execute(
                "DELETE FROM auth_failures WHERE since <= ?1",
                [now.saturating_sub(window)],
            )?;
        }
        let mut wait = None;
        for (key, max) in keys {
            // Counted outside the hub-wide write lock: nothing here reaches
            // the feed. A window that ended starts again at one.
            let (since, n): (i64, i64) = c.sql().query_row(
                "INSERT INTO auth_failures (key, since, n) VALUES (?1, ?2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                   n = CASE WHEN auth_failures.since <= ?2 - ?3 THEN 1 ELSE auth_failures.n + 1 END,
                   since = CASE WHEN auth_failures.since <= ?2 - ?3 THEN ?2 ELSE auth_failures.since END
                 RETURNING since, n",
                (key, now, window),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            // Blocked when it had already failed `max` times before this one.
            if n > i64::from(*max) {
                let left = (since + window - now).max(1);
                wait = wait.max(Some(std::time::Duration::from_secs(left.unsigned_abs())));
            }
        }
        Ok(wait)
    }
}
