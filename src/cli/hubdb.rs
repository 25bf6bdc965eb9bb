//! The hub's database as a `hub …` command sees it: a SQLite file (`--db
//! PATH`) or a PostgreSQL database (`--db postgres://…`). Commands read
//! through `sql()` and change through `write()`, one transaction each, so
//! one body of code serves both.

use std::path::{Path, PathBuf};

use crate::cli::Failure;
use crate::hub::pg::conn::{PgConn, redact};
use crate::store::Store;
use crate::store::sql::{DbError, Sql};

pub enum HubDb {
    Sqlite { store: Store, path: PathBuf },
    Postgres { conn: Box<PgConn>, url: String },
}

/// `--db` as a PostgreSQL URL, when it is one.
pub fn url_of(db: &Path) -> Option<String> {
    let s = db.to_str()?;
    crate::hub::pg::is_url(s).then(|| s.to_owned())
}

impl HubDb {
    /// Connects to a PostgreSQL hub, giving an empty database the schema
    /// (as a missing SQLite file is created) and checking the version of
    /// one that has it.
    pub fn postgres(url: &str, create: bool) -> Result<HubDb, Failure> {
        let conn =
            PgConn::connect(url).map_err(|e| Failure::new(format!("{}: {e}", redact(url))))?;
        // A command that only reads never gives a database the schema.
        let has = crate::hub::pg::has_schema(&conn)
            .map_err(|e| Failure::new(format!("{}: {e}", redact(url))))?;
        if !create && !has {
            return Err(Failure::new(format!(
                "{}: no civitac hub in this database (a command that changes something, or `hub migrate`, makes one)",
                redact(url)
            )));
        }
        crate::hub::pg::prepare(&conn, url).map_err(|e| Failure::new(e.to_string()))?;
        conn.write(|tx| crate::hub::backup::ensure_epoch_on(tx))
            .map_err(|e| Failure::new(format!("{}: {e}", redact(url))))?;
        Ok(HubDb::Postgres {
            conn: Box::new(conn),
            url: url.to_owned(),
        })
    }

    pub fn sqlite(store: Store, path: &Path) -> HubDb {
        HubDb::Sqlite {
            store,
            path: path.to_owned(),
        }
    }

    /// For messages: the file, or the URL without its password.
    pub fn name(&self) -> String {
        match self {
            HubDb::Sqlite { path, .. } => path.display().to_string(),
            HubDb::Postgres { url, .. } => redact(url),
        }
    }

    pub fn sql(&self) -> &dyn Sql {
        match self {
            HubDb::Sqlite { store, .. } => store.conn(),
            HubDb::Postgres { conn, .. } => conn.sql(),
        }
    }

    /// Runs `f` in one transaction, committed if it succeeds.
    pub fn write<T, E: From<DbError>>(
        &mut self,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            HubDb::Sqlite { store, .. } => {
                let tx = store
                    .conn_mut()
                    .transaction()
                    .map_err(|e| E::from(e.into()))?;
                let v = f(&tx)?;
                tx.commit().map_err(|e| E::from(e.into()))?;
                Ok(v)
            }
            HubDb::Postgres { conn, .. } => conn.write(f),
        }
    }

    /// Reads JSON lines from the platform into the hub.
    pub fn ingest(
        &mut self,
        input: impl std::io::BufRead,
        auto_hide: i64,
    ) -> Result<crate::hub::ingest::Report, crate::hub::ingest::IngestError> {
        match self {
            HubDb::Sqlite { store, .. } => {
                crate::hub::ingest::ingest(store.conn_mut(), input, auto_hide)
            }
            HubDb::Postgres { conn, .. } => crate::hub::ingest::ingest_with(
                &mut |batch| conn.write(batch),
                input,
                auto_hide,
                crate::hub::ingest::POSTGRES_BATCH,
            ),
        }
    }
}
