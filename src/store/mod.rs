//! The SQLite store: opening and validating files, pragmas, the schema and its
//! version, identity (who owns this replica), row types and paged queries.
//! No business rules live here: what may change, and how, is `ops` and `domain`.

pub mod audience;
pub mod entity;
pub mod notices;
pub mod platform;
pub mod query;
pub mod rows;
pub mod sql;
pub mod synced;
pub mod views;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction};

use crate::domain::staff::Role;

/// The schema this build writes and understands.
pub const SCHEMA_VERSION: i64 = 9;
/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// `PRAGMA application_id`: marks a file as civitac's ("CIVT").
pub const APPLICATION_ID: i64 = 0x4349_5654;
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

/// The steps that bring an older file to `SCHEMA_VERSION`: `MIGRATIONS[i]`
/// takes version `i + 1` to `i + 2`. A new file gets `schema.sql` whole.
const MIGRATIONS: &[&str] = &[
    // 2: the public platform's own ids beside the internal ones; a device's
    // seq no longer unique at the hub (a token used again on a new replica).
    "ALTER TABLE organizations ADD COLUMN platform_id TEXT;
     ALTER TABLE uploads ADD COLUMN platform_id TEXT;
     ALTER TABLE forum_threads ADD COLUMN platform_id TEXT;
     ALTER TABLE citizens ADD COLUMN platform_id TEXT;
     ALTER TABLE forum_posts ADD COLUMN platform_id TEXT;
     ALTER TABLE outbox ADD COLUMN answered_at TEXT;
     ALTER TABLE applied_ops ADD COLUMN received_at TEXT;
     CREATE TABLE sms_suppressions (phone_e164 TEXT PRIMARY KEY, at TEXT NOT NULL, reason TEXT);
     DROP INDEX applied_ops_by_device;
     CREATE INDEX applied_ops_by_device ON applied_ops (device, seq);",
    // 3: the loop with the platform: watched words, webhooks and the
    // notices authors are told, which schema.sql holds between its
    // "version 3" markers (added after these lines).
    "ALTER TABLE forum_posts ADD COLUMN watched_word TEXT;
     ALTER TABLE forum_posts ADD COLUMN watched_action TEXT;
     ALTER TABLE platform_tokens ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE platform_tokens ADD COLUMN acknowledged_at TEXT;",
    // 4: the batch an op was decided in (undone together), and an index
    // for the enrolments stuck longest in their stage (in schema.sql
    // between its "version 4" markers).
    "ALTER TABLE outbox ADD COLUMN batch TEXT;",
    // 5: staff switched off and their last change, devices' last sync; the
    // citizens list's order, notes, claims and leaders met (in schema.sql
    // between its "version 5" markers).
    "ALTER TABLE staff ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
     ALTER TABLE staff ADD COLUMN change_id TEXT;
     ALTER TABLE staff ADD COLUMN change TEXT;
     ALTER TABLE staff ADD COLUMN changed_by TEXT;
     ALTER TABLE staff ADD COLUMN changed_at TEXT;
     ALTER TABLE staff ADD COLUMN last_sync_at TEXT;
     ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
     ALTER TABLE sms_groups ADD COLUMN archived_at TEXT;",
    // 6: dynamic SMS groups (a rule instead of members), resends to the
    // failed numbers, and the failures themselves, synced (in schema.sql
    // between its "version 6" markers).
    "ALTER TABLE sms_contacts ADD COLUMN region_key TEXT;
     ALTER TABLE sms_contacts ADD COLUMN commune_key TEXT;
     ALTER TABLE sms_groups ADD COLUMN rule_region TEXT;
     ALTER TABLE sms_groups ADD COLUMN rule_commune TEXT;
     ALTER TABLE sms_groups ADD COLUMN rule_org_kind TEXT
       CHECK (rule_org_kind IS NULL OR rule_org_kind IN ('commune','region','osc'));
     ALTER TABLE sms_messages ADD COLUMN retry_of TEXT REFERENCES sms_messages (id);",
    // 7: search indexes keyed in list order (in schema.sql between its
    // "version 7" markers, which also number the rows already there).
    "DROP TRIGGER organizations_fts_insert;
     DROP TRIGGER organizations_fts_delete;
     DROP TRIGGER organizations_fts_update;
     DROP TRIGGER forum_posts_fts_insert;
     DROP TRIGGER forum_posts_fts_delete;
     DROP TRIGGER forum_posts_fts_update;
     DROP TABLE organizations_fts;
     DROP TABLE forum_posts_fts;
     ALTER TABLE organizations ADD COLUMN search_key INTEGER;
     ALTER TABLE uploads ADD COLUMN search_key INTEGER;
     ALTER TABLE forum_posts ADD COLUMN search_key INTEGER;",
    // 8: each group's reach, counted (all in schema.sql between its
    // "version 8" markers, which also count the members already there).
    "",
    // 9: the queue's and the held posts' search keys, indexed (schema.sql,
    // "version 9").
    "",
];

/// The part of `schema.sql` between `-- begin: version N` and `-- end:
/// version N`: the tables a version added whole, written once.
fn schema_part(version: i64) -> &'static str {
    schema_section(&format!("version {version}"))
}

fn schema_section(label: &str) -> &'static str {
    section(SCHEMA_SQL, label)
}

/// The part of a schema file between `-- begin: {label}` and `-- end:
/// {label}` (empty when it has none).
pub(crate) fn section(schema: &'static str, label: &str) -> &'static str {
    let begin = format!("-- begin: {label}");
    let end = format!("-- end: {label}");
    match (schema.find(&begin), schema.find(&end)) {
        (Some(b), Some(e)) if b < e => &schema[b..e],
        _ => "",
    }
}

/// Numbers every searchable row in list order and fills the search indexes
/// from scratch: for rows inserted with the search triggers off (the demo's
/// bulk load).
pub fn search_keys_sql() -> &'static str {
    schema_section("search keys")
}

/// Sets each group's reach from a full count (after rows inserted with its
/// triggers off: the demo's contacts).
pub fn reach_counts_sql() -> &'static str {
    schema_section("reach counts")
}

/// Sets every counter from a full count: after a bulk load with the
/// counting triggers off, and (compared, not written) in the tests.
pub fn counts_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "{}\n{}",
            schema_section("counts"),
            schema_section("reach counts")
        )
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: no such database (`civitac demo` builds one to try)", .0.display())]
    Missing(PathBuf),
    #[error("{}: already exists", .0.display())]
    Exists(PathBuf),
    #[error("{}: not a SQLite database ({reason}); left untouched", path.display())]
    NotSqlite { path: PathBuf, reason: String },
    #[error("{}: database file is corrupt ({detail}); left untouched", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: SQLite database of another program, not a civitac replica; left untouched", .0.display())]
    Foreign(PathBuf),
    #[error(
        "{}: schema version {found} is newer than this civitac understands ({supported}); update civitac. The file was left untouched",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{}: a replica, not a hub database", .0.display())]
    NotHub(PathBuf),
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

impl StoreError {
    /// The message for a person, in their language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang::*;
        let p = |p: &Path| p.display().to_string();
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Missing(path), Fr) => format!(
                "{} : base introuvable (`civitac demo` en construit une pour essayer)",
                p(path)
            ),
            (Self::Exists(path), Fr) => format!("{} : existe déjà", p(path)),
            (Self::NotSqlite { path, reason }, Fr) => {
                format!(
                    "{} : pas une base SQLite ({reason}) ; fichier laissé intact",
                    p(path)
                )
            }
            (Self::Corrupt { path, detail }, Fr) => {
                format!(
                    "{} : base endommagée ({detail}) ; fichier laissé intact",
                    p(path)
                )
            }
            (Self::Foreign(path), Fr) => {
                format!(
                    "{} : base SQLite d'un autre programme, pas un réplica civitac ; fichier laissé intact",
                    p(path)
                )
            }
            (
                Self::NewerSchema {
                    path,
                    found,
                    supported,
                },
                Fr,
            ) => format!(
                "{} : schéma version {found}, plus récent que celui que ce civitac comprend ({supported}) ; mettez civitac à jour. Fichier laissé intact",
                p(path)
            ),
            (Self::NotHub(path), Fr) => {
                format!("{} : c'est un réplica, pas la base d'un hub", p(path))
            }
            (Self::Io { path, source }, Fr) => format!("{} : {source}", p(path)),
            (Self::Sqlite { path, source }, Fr) => format!("{} : {source}", p(path)),
        }
    }
}

/// Which side of sync a database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Replica,
    Hub,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Replica => "replica",
            Side::Hub => "hub",
        }
    }
}

/// The person (and device) behind every op written on this store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub staff_id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub device: String,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Plans that do not depend on bound values (SQLite's query planner
/// stability guarantee). Statements are prepared once and reused from the
/// connection's cache, and the cache clears a statement's bindings when it
/// takes it back; SQLite re-plans a statement whose plan looked at a bound
/// value (a `LIMIT ?`, a value probed in the `ANALYZE` samples) each time
/// such a binding changes: every list page was parsed and planned again
/// (a quarter of a rare word's search page). Statistics still shape plans;
/// values written in the statement's text still do. Every connection of a
/// `Store`, and the console's worker, plans this way.
pub fn stable_plans(c: &Connection) -> rusqlite::Result<()> {
    c.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(drop)
}

/// SQL functions the list filters and SMS audiences use:
/// `civitac_fold(text)` compares names as people type them (accents, case
/// and invisible characters aside); `civitac_place(level, text)` is a place
/// as a dynamic group finds it (`places::stored_key`).
/// Every connection of a `Store`, and the console's worker, registers them.
pub fn register_functions(c: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    c.create_scalar_function(
        "civitac_place",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            use crate::domain::places::{Level, stored_key};
            let level = match ctx.get_raw(0).as_str().unwrap_or("") {
                "region" => Level::Region,
                "province" => Level::Province,
                _ => Level::Commune,
            };
            Ok(match ctx.get_raw(1) {
                rusqlite::types::ValueRef::Text(t) => {
                    Some(stored_key(level, &String::from_utf8_lossy(t)))
                }
                _ => None,
            })
        },
    )?;
    c.create_scalar_function(
        "civitac_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(t) => {
                    Some(crate::text::fold(&String::from_utf8_lossy(t)))
                }
                _ => None,
            })
        },
    )
}

impl Store {
    /// Opens an existing civitac database. Anything that is not one (missing,
    /// not SQLite, corrupt, another program's, a newer schema) is refused before
    /// a single byte of the file is written.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let len = check_file(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        })?;
        check_pages(&conn, path, len)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.validate()?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Creates a new, empty civitac database for one side of sync.
    pub fn create(path: &Path, side: Side) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists(path.to_owned()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        // Built under a temporary name and renamed into place complete: a
        // process killed half-way never leaves a half-made database under the
        // real name (which every later run would refuse).
        let mut building = path.as_os_str().to_owned();
        building.push(".creating");
        let building = PathBuf::from(building);
        let io = |source| StoreError::Io {
            path: path.to_owned(),
            source,
        };
        remove_with_journals(&building).map_err(io)?;
        // Owner-only from its first byte (SQLite keeps an existing file's mode).
        write_private(&building, b"").map_err(io)?;
        {
            let conn = Connection::open(&building).map_err(|source| StoreError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
            let mut store = Store {
                conn,
                path: path.to_owned(),
            };
            // DELETE while building, so the closed file is whole on its own.
            store.sql(|c| c.pragma_update(None, "journal_mode", "DELETE"))?;
            store.configure_connection()?;
            store.migrate()?;
            store.set_state("side", side.as_str())?;
        }
        // Readable by its owner only: a replica holds names, numbers and the
        // moderation history (SQLite gives its -wal and -shm the same mode).
        restrict(&building).map_err(io)?;
        std::fs::rename(&building, path).map_err(io)?;
        let store = Store::open(path)?;
        store.sql(|c| c.pragma_update(None, "journal_mode", "WAL"))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection itself, for a long-lived owner such as the hub server.
    pub fn into_conn(self) -> Connection {
        self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn transaction(&mut self) -> Result<Transaction<'_>, StoreError> {
        let path = self.path.clone();
        self.conn
            .transaction()
            .map_err(|source| StoreError::Sqlite { path, source })
    }

    /// Runs a closure against the connection, naming this file in any error.
    pub fn sql<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        f(&self.conn).map_err(|source| self.classify(source))
    }

    fn classify(&self, source: rusqlite::Error) -> StoreError {
        match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseCorrupt)
            | Some(rusqlite::ErrorCode::NotADatabase) => StoreError::Corrupt {
                path: self.path.clone(),
                detail: source.to_string(),
            },
            _ => StoreError::Sqlite {
                path: self.path.clone(),
                source,
            },
        }
    }

    /// Read-only checks, in an order that never writes to the file.
    fn validate(&self) -> Result<(), StoreError> {
        let (app_id, version, objects) = self.sql(|c| {
            let app: i64 = c.query_row("PRAGMA application_id", [], |r| r.get(0))?;
            let ver: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let n: i64 = c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            Ok((app, ver, n))
        })?;
        if app_id != APPLICATION_ID {
            return Err(if objects == 0 && version == 0 {
                StoreError::NotSqlite {
                    path: self.path.clone(),
                    reason: "an empty database".into(),
                }
            } else {
                StoreError::Foreign(self.path.clone())
            });
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        // Touch a table page: a damaged schema page shows up here, not mid-write.
        // (A full quick_check would read every page: too slow for a console that
        // must open in milliseconds on a million posts.)
        self.sql(|c| {
            c.query_row("SELECT count(*) FROM sync_state", [], |r| {
                r.get::<_, i64>(0)
            })
        })?;
        Ok(())
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        self.configure_connection()?;
        self.sql(|c| {
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                c.pragma_update(None, "journal_mode", "WAL")?;
            }
            Ok(())
        })
    }

    fn configure_connection(&mut self) -> Result<(), StoreError> {
        // Transactions take the write lock when they begin: a deferred one that
        // read first and writes second cannot wait for another writer (SQLite
        // answers "busy" at once rather than risk a deadlock); an immediate
        // one waits its turn (busy_timeout).
        self.conn
            .set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        self.sql(|c| {
            c.busy_timeout(BUSY_TIMEOUT)?;
            c.pragma_update(None, "foreign_keys", "ON")?;
            c.pragma_update(None, "synchronous", "NORMAL")?;
            // 32 MiB of page cache (the default is 2): a batch touching thousands
            // of rows no longer re-reads the same index pages from the OS.
            c.pragma_update(None, "cache_size", -32_768)?;
            // Savepoint sub-journals in memory, not a temporary file per batch.
            c.pragma_update(None, "temp_store", "MEMORY")?;
            register_functions(c)?;
            stable_plans(c)?;
            Ok(())
        })
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if version >= SCHEMA_VERSION {
            return Ok(());
        }
        // Taking the write lock first, then reading the version again:
        // another process opening the same old file at the same moment
        // migrates it once, and this one finds it done. A migration of a
        // million posts takes longer than the usual wait for a lock.
        self.conn
            .busy_timeout(std::time::Duration::from_secs(300))
            .map_err(err)?;
        let done = migrate_locked(&mut self.conn, &self.path);
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        done
    }

    pub fn state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.sql(|c| state(c, key))
    }

    pub fn set_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.sql(|c| set_state(c, key, value))
    }

    pub fn side(&self) -> Result<Side, StoreError> {
        Ok(match self.state("side")?.as_deref() {
            Some("hub") => Side::Hub,
            _ => Side::Replica,
        })
    }

    /// Who this replica belongs to, if anyone yet.
    pub fn owner(&self) -> Result<Option<Actor>, StoreError> {
        self.sql(owner)
    }
}

/// `Store::migrate` once the version read says an older file: in a write
/// transaction, reading the version again (another process may have
/// migrated it meanwhile, or a newer civitac made it newer).
fn migrate_locked(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(err)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    if version < 1 {
        tx.execute_batch(SCHEMA_SQL).map_err(err)?;
    } else {
        for (to, step) in (version + 1..).zip(&MIGRATIONS[(version - 1) as usize..]) {
            tx.execute_batch(step).map_err(err)?;
            tx.execute_batch(schema_part(to)).map_err(err)?;
        }
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(err)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(err)?;
    tx.commit().map_err(err)
}

/// A savepoint whose three statements are prepared once per connection: a
/// batch of thousands of ops opens one per op, and parsing "SAVEPOINT" text
/// each time cost a fifth of a push. Rolled back when dropped unreleased.
pub struct Savepoint<'c> {
    conn: &'c Connection,
    name: &'static str,
    open: bool,
}

impl<'c> Savepoint<'c> {
    /// `name` is a fixed word (each nesting level its own).
    pub fn begin(conn: &'c Connection, name: &'static str) -> rusqlite::Result<Self> {
        run_cached(conn, &format!("SAVEPOINT {name}"))?;
        Ok(Savepoint {
            conn,
            name,
            open: true,
        })
    }

    /// Keeps the savepoint's writes (in the enclosing transaction). If that
    /// fails, dropping it still rolls them back.
    pub fn release(mut self) -> rusqlite::Result<()> {
        run_cached(self.conn, &format!("RELEASE {}", self.name))?;
        self.open = false;
        Ok(())
    }

    /// Undoes the savepoint's writes and ends it.
    pub fn rollback(mut self) -> rusqlite::Result<()> {
        self.undo()?;
        run_cached(self.conn, &format!("RELEASE {}", self.name))?;
        self.open = false;
        Ok(())
    }

    /// Undoes the savepoint's writes so far; it stays open.
    pub fn undo(&self) -> rusqlite::Result<()> {
        run_cached(self.conn, &format!("ROLLBACK TO {}", self.name))
    }
}

impl std::ops::Deref for Savepoint<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the enclosing transaction sees the
            // failure that made the caller leave (or rolls back itself).
            let _ = self
                .undo()
                .and_then(|()| run_cached(self.conn, &format!("RELEASE {}", self.name)));
        }
    }
}

fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Whether a database error is about the record being written (a constraint:
/// an id that collides, a value a CHECK refuses) rather than the database
/// failing (full, read-only, I/O, corrupt). The first refuses one record;
/// the second stops whatever is under way.
pub fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// Writes a file readable and writable by its owner only (0600 on Unix),
/// replacing what was there, and flushes it to disk: for tokens and secrets.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    #[cfg(unix)]
    {
        // A file that existed keeps its mode through open: set it.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates a directory (and its parents) that only its owner can enter; an
/// existing directory is left as it is (it may be shared on purpose).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Makes an existing file readable by its owner only (Unix; elsewhere a no-op).
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Removes a database file and its journals, if there.
pub fn remove_with_journals(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(PathBuf::from(p)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Where a table's name and a column list live (address and length each).
type SqlKey = (usize, usize, usize, usize);

/// Some columns of one row as a JSON object (`None` if there is no such row):
/// how the audit log, undo and pull see a record.
/// `SELECT columns FROM table WHERE id = ?1`, written once per thread: an
/// op reads its record twice (before and after), and a push has thousands.
pub(crate) fn row_sql(table: &'static str, columns: &'static [&'static str]) -> std::rc::Rc<str> {
    thread_local! {
        /// Keyed by where the static names live, which never moves.
        static SQL: std::cell::RefCell<std::collections::HashMap<SqlKey, std::rc::Rc<str>>> =
            Default::default();
    }
    let key = (
        table.as_ptr() as usize,
        table.len(),
        columns.as_ptr() as usize,
        columns.len(),
    );
    SQL.with_borrow_mut(|cache| {
        cache
            .entry(key)
            .or_insert_with(|| {
                format!("SELECT {} FROM {table} WHERE id = ?1", columns.join(", ")).into()
            })
            .clone()
    })
}

pub fn row_json(
    c: &Connection,
    table: &'static str,
    columns: &'static [&'static str],
    id: &str,
) -> rusqlite::Result<Option<serde_json::Map<String, serde_json::Value>>> {
    let sql = row_sql(table, columns);
    c.prepare_cached(&sql)?
        .query_row([id], |r| {
            let mut map = serde_json::Map::new();
            for (i, col) in columns.iter().enumerate() {
                map.insert((*col).to_owned(), json_of(r.get_ref(i)?));
            }
            Ok(map)
        })
        .optional()
}

/// A cell as JSON (blobs, which civitac never stores, as null).
pub fn json_of(v: rusqlite::types::ValueRef<'_>) -> serde_json::Value {
    use rusqlite::types::ValueRef;
    use serde_json::Value;
    match v {
        ValueRef::Null | ValueRef::Blob(_) => Value::Null,
        ValueRef::Integer(n) => Value::from(n),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
    }
}

pub fn state(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

pub fn set_state(c: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
        .execute([key, value])
        .map(drop)
}

pub fn owner(c: &Connection) -> rusqlite::Result<Option<Actor>> {
    let Some(staff_id) = state(c, "staff_id")? else {
        return Ok(None);
    };
    let device = state(c, "device_id")?.unwrap_or_default();
    c.query_row(
        "SELECT id, login, display_name, role FROM staff WHERE id = ?1",
        [&staff_id],
        |r| {
            Ok(Actor {
                staff_id: r.get(0)?,
                login: r.get(1)?,
                display_name: r.get(2)?,
                role: r.get(3)?,
                device: device.clone(),
            })
        },
    )
    .optional()
}

/// Looks at the file without opening it (a `stat`, never a descriptor):
/// what is plainly not a database (missing, a directory, a FIFO, empty) is
/// refused before SQLite sees it.
///
/// The header itself is read by SQLite, never by us: once a process holds a
/// SQLite connection to a file, opening and closing *any* other descriptor
/// of that file drops every POSIX lock the process holds on it (SQLite's
/// "How To Corrupt", 2.2.1), and another process's SQLite then believes it is
/// the last user, checkpoints and deletes the WAL under our connections.
fn check_file(path: &Path) -> Result<u64, StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Missing(path.to_owned()));
        }
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let not = |reason: &str| StoreError::NotSqlite {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if meta.is_dir() {
        return Err(not("a directory"));
    }
    if !meta.is_file() {
        return Err(not("not a regular file"));
    }
    if meta.len() == 0 {
        return Err(not("an empty file"));
    }
    if meta.len() < 512 {
        return Err(not("no SQLite header"));
    }
    Ok(meta.len())
}

/// The header checks SQLite's own reading allows: the page size, and a file
/// that holds a whole number of pages (a truncated copy does not).
fn check_pages(c: &Connection, path: &Path, len: u64) -> Result<(), StoreError> {
    let page_size: i64 = c
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(|source| header_error(path, source))?;
    let page_size = u64::try_from(page_size).unwrap_or(0);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("invalid page size {page_size}"),
        });
    }
    if !len.is_multiple_of(page_size) {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("size {len} is not a whole number of {page_size}-byte pages"),
        });
    }
    Ok(())
}

/// SQLite's first read of a file that is not a database says so.
fn header_error(path: &Path, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotSqlite {
            path: path.to_owned(),
            reason: "no SQLite header".into(),
        },
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: source.to_string(),
        },
        _ => StoreError::Sqlite {
            path: path.to_owned(),
            source,
        },
    }
}
