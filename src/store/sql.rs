//! The one seam between the rules and a database: `ops::apply`, the
//! conflict rules and the hub's feed speak to `dyn Sql`, which SQLite (a
//! `rusqlite::Connection`, for replicas and a one-file hub) and PostgreSQL
//! (`store::pg`, for a hub on a server) both implement. The seam is SQL
//! text, not a repository of typed methods: the rules stay written as the
//! queries they are, once, in the subset both databases read the same way
//! (`?N` placeholders, rewritten to `$N` for PostgreSQL; `ON CONFLICT`;
//! `COLLATE NOCASE`, a collation of that name in PostgreSQL's schema).
//! Where the two differ, `dialect()` says which one is listening.
//!
//! Values cross the seam as SQLite's own dynamic values, so rusqlite's
//! `ToSql`/`FromSql` (and every domain enum's SQL mapping) serve both.

use rusqlite::types::{FromSql, FromSqlError, ToSql, ToSqlOutput, Value, ValueRef};

/// Which database is behind a `dyn Sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A failure from either database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// The database cannot be used as asked (its TLS settings, a pool with
    /// no connection free): said in words.
    #[error("{0}")]
    Other(String),
}

/// The server's message (and detail); else the client's, with its causes
/// ("error performing TLS handshake: invalid peer certificate: …").
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                let said = c.to_string();
                if !text.contains(&said) {
                    text.push_str(": ");
                    text.push_str(&said);
                }
                cause = c.source();
            }
            text
        }
    }
}

/// Code that only ever runs on SQLite keeps `rusqlite::Result`; a
/// PostgreSQL error never reaches it, and would stay readable if it did.
impl From<DbError> for rusqlite::Error {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Sqlite(e) => e,
            DbError::Postgres(e) => rusqlite::Error::UserFunctionError(Box::new(e)),
            DbError::Other(why) => rusqlite::Error::UserFunctionError(why.into()),
        }
    }
}

impl DbError {
    /// About the record being written (a key that collides, a CHECK), not
    /// the database failing: see `store::is_constraint`. PostgreSQL also
    /// refuses values SQLite takes — a NUL in a text (class 22, data
    /// exception), a name too long for its index (class 54, a limit) —
    /// and those are the record's fault too: one bad line or op is
    /// refused, never the whole ingest or push stopped behind it.
    pub fn is_constraint(&self) -> bool {
        match self {
            DbError::Sqlite(e) => super::is_constraint(e),
            DbError::Postgres(e) => e.code().is_some_and(|c| {
                let c = c.code();
                c.starts_with("23") || c.starts_with("22") || c.starts_with("54")
            }),
            DbError::Other(_) => false,
        }
    }

    /// A query that had to return one row returned none.
    pub fn is_no_rows(&self) -> bool {
        matches!(self, DbError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }
}

/// `query_row(..).optional()`: no row is `None`, any other failure stays one.
pub trait Optional<T> {
    fn optional(self) -> Result<Option<T>, DbError>;
}

impl<T> Optional<T> for Result<T, DbError> {
    fn optional(self) -> Result<Option<T>, DbError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_no_rows() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// An owned copy of a borrowed value.
pub fn value_of(r: ValueRef<'_>) -> Value {
    match r {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(f) => Value::Real(f),
        // Bytes that are not UTF-8 stay bytes: read as text, they fail as
        // they did before the seam, never silently replaced.
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => Value::Text(s.to_owned()),
            Err(_) => Value::Blob(t.to_vec()),
        },
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// An owned copy of an argument (for a database that is not SQLite).
pub fn owned(v: &dyn ToSql) -> Result<Value, DbError> {
    Ok(match v.to_sql()? {
        ToSqlOutput::Borrowed(r) => value_of(r),
        ToSqlOutput::Owned(v) => v,
        // A function's argument passed through: only SQLite's own
        // functions make these, never a rule.
        _ => {
            return Err(DbError::Sqlite(rusqlite::Error::ToSqlConversionFailure(
                "a value neither database takes".into(),
            )));
        }
    })
}

/// A statement's arguments, in order, borrowed (nothing is copied on the
/// way to SQLite).
pub trait Args {
    fn refs(&self) -> Vec<&dyn ToSql>;
}

impl<T: ToSql, const N: usize> Args for [T; N] {
    fn refs(&self) -> Vec<&dyn ToSql> {
        self.iter().map(|v| v as &dyn ToSql).collect()
    }
}

impl<T: ToSql> Args for &[T] {
    fn refs(&self) -> Vec<&dyn ToSql> {
        self.iter().map(|v| v as &dyn ToSql).collect()
    }
}

impl Args for Vec<Value> {
    fn refs(&self) -> Vec<&dyn ToSql> {
        self.iter().map(|v| v as &dyn ToSql).collect()
    }
}

impl Args for () {
    fn refs(&self) -> Vec<&dyn ToSql> {
        Vec::new()
    }
}

macro_rules! tuple_args {
    ($($t:ident $i:tt),+) => {
        impl<$($t: ToSql),+> Args for ($($t,)+) {
            fn refs(&self) -> Vec<&dyn ToSql> {
                vec![$(&self.$i as &dyn ToSql),+]
            }
        }
    };
}
tuple_args!(A 0);
tuple_args!(A 0, B 1);
tuple_args!(A 0, B 1, C 2);
tuple_args!(A 0, B 1, C 2, D 3);
tuple_args!(A 0, B 1, C 2, D 3, E 4);
tuple_args!(A 0, B 1, C 2, D 3, E 4, F 5);

/// One result row, its values owned.
#[derive(Debug, Clone)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn new(values: Vec<Value>) -> Self {
        Row { values }
    }

    pub fn get<T: FromSql>(&self, i: usize) -> rusqlite::Result<T> {
        let v = self.get_ref(i)?;
        T::column_result(v).map_err(|e| match e {
            FromSqlError::InvalidType => {
                rusqlite::Error::InvalidColumnType(i, format!("column {i}"), v.data_type())
            }
            FromSqlError::OutOfRange(n) => rusqlite::Error::IntegralValueOutOfRange(i, n),
            other => rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(other)),
        })
    }

    pub fn get_ref(&self, i: usize) -> rusqlite::Result<ValueRef<'_>> {
        self.values
            .get(i)
            .map(ValueRef::from)
            .ok_or(rusqlite::Error::InvalidColumnIndex(i))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

/// What each database implements: run a statement, read its rows. Every
/// other helper (`query_row`, `prepare_cached`, savepoints) is built on
/// these, once.
pub trait Sql {
    fn dialect(&self) -> Dialect;
    /// Whether a transaction is open (the rules never commit on their own).
    fn in_transaction(&self) -> bool;
    fn exec(&self, sql: &str, args: &[&dyn ToSql]) -> Result<usize, DbError>;
    fn rows(&self, sql: &str, args: &[&dyn ToSql]) -> Result<Vec<Row>, DbError>;
    /// A write whose count nobody reads. PostgreSQL, in a pipelined batch,
    /// sends it without waiting: a failure is then said by the next
    /// statement, and the batch runs again (`PgConn::write_pipelined`).
    fn exec_blind(&self, sql: &str, args: &[&dyn ToSql]) -> Result<(), DbError> {
        self.exec(sql, args).map(drop)
    }
    /// The first row only (the rest never read).
    fn first(&self, sql: &str, args: &[&dyn ToSql]) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, args)?.into_iter().next())
    }
    /// Rows written so far on this connection, where the database counts
    /// them (SQLite's `total_changes`: every row a completed statement or
    /// its triggers inserted, updated or deleted; a failed statement's rows
    /// are undone and not counted). Equal before and after a piece of work:
    /// it wrote nothing.
    fn rows_written(&self) -> Option<u64> {
        None
    }
}

/// A statement's text, ready to run with arguments (the database caches
/// what it prepared; this only keeps the familiar shape).
pub struct Stmt<'a> {
    conn: &'a dyn Sql,
    sql: &'a str,
}

impl Stmt<'_> {
    pub fn execute(&mut self, args: impl Args) -> Result<usize, DbError> {
        self.conn.exec(self.sql, &args.refs())
    }

    /// `execute` for a write whose count is not read (see `Sql::exec_blind`).
    pub fn execute_blind(&mut self, args: impl Args) -> Result<(), DbError> {
        self.conn.exec_blind(self.sql, &args.refs())
    }

    pub fn query_row<T>(
        &mut self,
        args: impl Args,
        f: impl FnOnce(&Row) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        self.conn.query_row(self.sql, args, f)
    }

    pub fn query_map<T>(
        &mut self,
        args: impl Args,
        f: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T, DbError>>, DbError> {
        self.conn.query_map(self.sql, args, f)
    }

    pub fn exists(&mut self, args: impl Args) -> Result<bool, DbError> {
        Ok(self.conn.first(self.sql, &args.refs())?.is_some())
    }
}

impl<'c> dyn Sql + 'c {
    pub fn prepare_cached<'s>(&'s self, sql: &'s str) -> Result<Stmt<'s>, DbError> {
        Ok(Stmt { conn: self, sql })
    }

    /// The same as `prepare_cached`: each database caches every statement.
    pub fn prepare<'s>(&'s self, sql: &'s str) -> Result<Stmt<'s>, DbError> {
        self.prepare_cached(sql)
    }

    pub fn execute(&self, sql: &str, args: impl Args) -> Result<usize, DbError> {
        self.exec(sql, &args.refs())
    }

    pub fn query_row<T>(
        &self,
        sql: &str,
        args: impl Args,
        f: impl FnOnce(&Row) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        match self.first(sql, &args.refs())? {
            Some(r) => Ok(f(&r)?),
            None => Err(DbError::Sqlite(rusqlite::Error::QueryReturnedNoRows)),
        }
    }

    pub fn query_map<T>(
        &self,
        sql: &str,
        args: impl Args,
        mut f: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T, DbError>>, DbError> {
        let rows = self.rows(sql, &args.refs())?;
        Ok(rows
            .iter()
            .map(|r| f(r).map_err(DbError::from))
            .collect::<Vec<_>>()
            .into_iter())
    }

    pub fn is_autocommit(&self) -> bool {
        !self.in_transaction()
    }
}

/// A savepoint on either database: rolled back and ended if dropped open.
pub struct Savepoint<'c> {
    conn: &'c dyn Sql,
    name: &'static str,
    open: bool,
}

impl<'c> Savepoint<'c> {
    /// `name` is a fixed word (each nesting level its own).
    pub fn begin(conn: &'c dyn Sql, name: &'static str) -> Result<Self, DbError> {
        conn.exec_blind(&format!("SAVEPOINT {name}"), &[])?;
        Ok(Savepoint {
            conn,
            name,
            open: true,
        })
    }

    pub fn release(mut self) -> Result<(), DbError> {
        self.conn
            .exec_blind(&format!("RELEASE SAVEPOINT {}", self.name), &[])?;
        self.open = false;
        Ok(())
    }

    /// Undoes the savepoint's writes; it stays open.
    pub fn undo(&self) -> Result<(), DbError> {
        self.conn
            .exec(&format!("ROLLBACK TO SAVEPOINT {}", self.name), &[])
            .map(drop)
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.undo().and_then(|()| {
                self.conn
                    .exec(&format!("RELEASE SAVEPOINT {}", self.name), &[])
                    .map(drop)
            });
        }
    }
}

fn sqlite_exec(c: &rusqlite::Connection, sql: &str, args: &[&dyn ToSql]) -> Result<usize, DbError> {
    Ok(c.prepare_cached(sql)?.execute(args)?)
}

fn sqlite_rows(
    c: &rusqlite::Connection,
    sql: &str,
    args: &[&dyn ToSql],
    at_most: usize,
) -> Result<Vec<Row>, DbError> {
    let mut stmt = c.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while out.len() < at_most
        && let Some(r) = rows.next()?
    {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(value_of(r.get_ref(i)?));
        }
        out.push(Row { values });
    }
    Ok(out)
}

/// SQLite's side of the seam, for the connection and what derefs to it.
macro_rules! sqlite_sql {
    ($($t:ty),+) => {$(
        impl Sql for $t {
            fn dialect(&self) -> Dialect {
                Dialect::Sqlite
            }
            fn in_transaction(&self) -> bool {
                !self.is_autocommit()
            }
            fn exec(&self, sql: &str, args: &[&dyn ToSql]) -> Result<usize, DbError> {
                sqlite_exec(self, sql, args)
            }
            fn rows(&self, sql: &str, args: &[&dyn ToSql]) -> Result<Vec<Row>, DbError> {
                sqlite_rows(self, sql, args, usize::MAX)
            }
            fn first(&self, sql: &str, args: &[&dyn ToSql]) -> Result<Option<Row>, DbError> {
                Ok(sqlite_rows(self, sql, args, 1)?.pop())
            }
            fn rows_written(&self) -> Option<u64> {
                Some(self.total_changes())
            }
        }
    )+};
}

sqlite_sql!(
    rusqlite::Connection,
    rusqlite::Transaction<'_>,
    super::Savepoint<'_>
);

/// A `sync_state` value, on either database.
pub fn state(c: &dyn Sql, key: &str) -> Result<Option<String>, DbError> {
    c.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

/// A record's tracked columns as a JSON object, on either database (see
/// `store::row_json`, the SQLite one with its statement cache).
pub fn row_json(
    c: &dyn Sql,
    table: &'static str,
    columns: &'static [&'static str],
    id: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, DbError> {
    let sql = super::row_sql(table, columns);
    c.query_row(&sql, [id], |r| {
        let mut map = serde_json::Map::new();
        for (i, col) in columns.iter().enumerate() {
            map.insert((*col).to_owned(), super::json_of(r.get_ref(i)?));
        }
        Ok(map)
    })
    .optional()
}

/// A subquery giving the strings of the JSON array bound as `?n`: `IN
/// (…)` over a list of any length in one statement text.
pub fn each_of(conn: &dyn Sql, n: usize) -> String {
    match conn.dialect() {
        Dialect::Sqlite => format!("SELECT value FROM json_each(?{n})"),
        Dialect::Postgres => format!("SELECT json_array_elements_text(CAST(?{n} AS text)::json)"),
    }
}

/// `?N` (and bare `?`) placeholders as PostgreSQL's `$N`, outside quotes.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                out.push('$');
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT '?1', a FROM t WHERE a = ?1 AND b = ?12 AND \"c?\" = ?"),
            "SELECT '?1', a FROM t WHERE a = $1 AND b = $12 AND \"c?\" = $1"
        );
    }

    #[test]
    fn sqlite_answers_through_the_seam() {
        let c = rusqlite::Connection::open_in_memory().expect("memory");
        let s: &dyn Sql = &c;
        s.execute("CREATE TABLE t (a INTEGER, b TEXT)", ())
            .expect("create");
        s.execute("INSERT INTO t VALUES (?1, ?2)", (1, "un"))
            .expect("insert");
        let b: String = s
            .query_row("SELECT b FROM t WHERE a = ?1", [1], |r| r.get(0))
            .expect("row");
        assert_eq!(b, "un");
        let none = s
            .query_row("SELECT b FROM t WHERE a = ?1", [2], |r| r.get::<String>(0))
            .optional()
            .expect("no row is not an error");
        assert_eq!(none, None);
    }
}
