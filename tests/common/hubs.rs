//! One hub test, two databases: a test written as `fn name(kind: Kind)`
//! gets its hub through `TestHub` and runs once on a SQLite file and once
//! on PostgreSQL (`on_both!` makes the two `#[test]`s). The PostgreSQL hub
//! is the test's own SQLite hub migrated into a fresh database, so both
//! start from the very same rows; without PostgreSQL the second test
//! returns early, the reason printed by `pg::cluster`.
#![allow(dead_code)]

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use civitac::hub::backend::{HubBackend, SqliteHub, default_files_dir};
use civitac::hub::pg::PgHub;
use civitac::hub::pg::conn::PgConn;
use civitac::protocol::{PushRequest, PushResponse};
use civitac::store::sql::{DbError, Sql};
use civitac::store::{Actor, Store};

use super::net::HubProcess;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    /// Whether this machine runs a hub on it: without PostgreSQL,
    /// `pg::cluster` says why and the test returns before building its world.
    pub fn available(self) -> bool {
        self == Kind::Sqlite || super::pg::cluster().is_some()
    }
}

/// Where the hub's rows are.
pub enum Db {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

pub struct TestHub {
    pub db: Db,
    /// The upload contents (and, on PostgreSQL, the hub's two secrets beside it).
    pub files: PathBuf,
    backend: OnceCell<Box<dyn HubBackend>>,
}

impl TestHub {
    fn new(db: Db, files: PathBuf) -> TestHub {
        TestHub {
            db,
            files,
            backend: OnceCell::new(),
        }
    }

    /// The hub in `sqlite_hub` (made by the test's setup) on `kind`: that
    /// file itself, or a fresh PostgreSQL database it is migrated into.
    /// `None` when there is no PostgreSQL here.
    pub fn on(kind: Kind, sqlite_hub: &Path) -> Option<TestHub> {
        let files = default_files_dir(sqlite_hub);
        match kind {
            Kind::Sqlite => Some(TestHub::new(
                Db::Sqlite {
                    path: sqlite_hub.to_owned(),
                },
                files,
            )),
            Kind::Postgres => {
                let url = super::pg::cluster()?.database();
                std::fs::create_dir_all(&files).expect("files folder");
                civitac::hub::pg::migrate::migrate(sqlite_hub, &url, &files)
                    .unwrap_or_else(|e| panic!("the SQLite hub migrates: {e}"));
                Some(TestHub::new(Db::Postgres { url }, files))
            }
        }
    }

    /// A hub not made yet, in `dir`: `hub.db` there, or an empty PostgreSQL
    /// database; the first `hub` command given `db_arg()` makes it.
    pub fn empty(kind: Kind, dir: &Path) -> Option<TestHub> {
        let files = dir.join("files");
        match kind {
            Kind::Sqlite => Some(TestHub::new(
                Db::Sqlite {
                    path: dir.join("hub.db"),
                },
                files,
            )),
            Kind::Postgres => {
                let url = super::pg::cluster()?.database();
                Some(TestHub::new(Db::Postgres { url }, files))
            }
        }
    }

    pub fn kind(&self) -> Kind {
        match self.db {
            Db::Sqlite { .. } => Kind::Sqlite,
            Db::Postgres { .. } => Kind::Postgres,
        }
    }

    /// What `--db` takes: the file, or the URL.
    pub fn db_arg(&self) -> PathBuf {
        match &self.db {
            Db::Sqlite { path } => path.clone(),
            Db::Postgres { url } => PathBuf::from(url),
        }
    }

    /// The hub as its HTTP handlers see it (opened once, kept).
    pub fn backend(&self) -> &dyn HubBackend {
        let backend = self.backend.get_or_init(|| {
            let backend: Box<dyn HubBackend> = match &self.db {
                Db::Sqlite { path } => Box::new(
                    SqliteHub::open(path, self.files.clone(), 3).expect("SQLite hub opens"),
                ),
                Db::Postgres { url } => Box::new(
                    PgHub::open(url, self.files.clone(), 3, 2).expect("PostgreSQL hub opens"),
                ),
            };
            backend
        });
        &**backend
    }

    /// A backend of its own on this hub, to share (`LocalHub` takes an `Arc`).
    pub fn shared(&self) -> std::sync::Arc<dyn HubBackend> {
        match &self.db {
            Db::Sqlite { path } => std::sync::Arc::new(
                SqliteHub::open(path, self.files.clone(), 3).expect("SQLite hub opens"),
            ),
            Db::Postgres { url } => std::sync::Arc::new(
                PgHub::open(url, self.files.clone(), 3, 2).expect("PostgreSQL hub opens"),
            ),
        }
    }

    /// `synced_digest` of the hub: equal to a replica's exactly when both
    /// hold the same synced rows.
    pub fn digest(&self) -> Vec<(String, usize, String)> {
        self.with(|c| super::digest_of(c))
    }

    /// A push as the HTTP handler makes it.
    pub fn push(&self, actor: &Actor, request: &PushRequest) -> PushResponse {
        self.backend()
            .push(actor, request)
            .unwrap_or_else(|e| panic!("push: {e}"))
    }

    /// `f` in one transaction, committed after it, on either database.
    pub fn with<T>(&self, f: impl FnOnce(&dyn Sql) -> T) -> T {
        match &self.db {
            Db::Sqlite { path } => {
                let mut store = Store::open(path).expect("hub opens");
                let tx = store.conn_mut().transaction().expect("transaction");
                let v = f(&tx);
                tx.commit().expect("commit");
                v
            }
            Db::Postgres { url } => PgConn::connect(url)
                .expect("connect")
                .write(|tx| Ok::<_, DbError>(f(tx)))
                .expect("commit"),
        }
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.with(|c| {
            c.query_row(sql, (), |r| r.get::<i64>(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        })
    }

    /// The first id in `table` whose row matches `condition`.
    pub fn first_id(&self, table: &str, condition: &str) -> String {
        let sql = format!("SELECT id FROM {table} WHERE {condition} ORDER BY id LIMIT 1");
        self.with(|c| {
            c.query_row(&sql, (), |r| r.get::<String>(0))
                .unwrap_or_else(|e| panic!("no {table} row where {condition}: {e}"))
        })
    }

    /// The first column of every row a query returns.
    pub fn ids(&self, sql: &str) -> Vec<String> {
        self.with(|c| {
            c.query_map(sql, (), |r| r.get::<String>(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        })
    }

    /// The file the gateway's callback key is in: beside `hub.db`, or, for
    /// PostgreSQL, beside the files folder every hub process shares.
    pub fn sms_key_path(&self) -> PathBuf {
        match &self.db {
            Db::Sqlite { path } => civitac::hub::backend::sms_key_path(path),
            Db::Postgres { .. } => civitac::hub::backend::sms_key_path(&self.files),
        }
    }

    /// The SMS sender's start of due messages, on the hub's own connection type.
    pub fn start_due(&self, now: &str) -> usize {
        let started = match &self.db {
            Db::Sqlite { path } => {
                civitac::hub::sms::start_due(Store::open(path).expect("hub opens").conn_mut(), now)
            }
            Db::Postgres { url } => {
                civitac::hub::sms::start_due(&mut PgConn::connect(url).expect("connect"), now)
            }
        };
        started.expect("start")
    }

    /// `civitac hub serve` on this hub (PostgreSQL needs its files folder named).
    pub fn serve(&self, extra: &[&str]) -> HubProcess {
        match &self.db {
            Db::Sqlite { path } => HubProcess::start(path, extra),
            Db::Postgres { url } => {
                let files = self.files.to_string_lossy().into_owned();
                let mut args = vec!["--files", files.as_str()];
                args.extend_from_slice(extra);
                HubProcess::start(Path::new(url), &args)
            }
        }
    }
}

/// `on_both!(name, …)`: for each `fn name(kind: Kind)`, a `mod name` with
/// the tests `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::common::hubs::Kind::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::common::hubs::Kind::Postgres)
                }
            }
        )*
    };
}
