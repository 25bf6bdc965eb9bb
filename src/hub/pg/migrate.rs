//! `civitac hub migrate --from hub.db --to postgres://…`: a SQLite hub's
//! every table copied into an empty PostgreSQL database, in one
//! transaction, then verified table by table (row counts and a SHA-256 of
//! every row read in the same order from both). The source is opened read
//! only and held against `hub serve` meanwhile (the serve lock), so it is
//! neither changed nor changing. Feed positions (`changes.seq`, the audit
//! log's rowid), the epoch and the hub's two secrets come along: replicas
//! and the platform continue where they were, without a new first fill.

use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use super::conn::{PgConn, redact};
use crate::store::sql::{DbError, Sql};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{path}: {why}")]
    Source { path: PathBuf, why: String },
    #[error("{url}: {why}")]
    Target { url: String, why: String },
    #[error("{table}: {why}")]
    Mismatch { table: String, why: String },
    #[error("PostgreSQL: {0}")]
    Db(#[from] DbError),
}

/// One table as copied and checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
    #[serde(skip)]
    columns: Vec<String>,
}

/// What a migration did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub tables: Vec<Copied>,
    /// Files the uploads name that the files folder lacks (copied hubs keep
    /// working; those uploads cannot be fetched until the file is there).
    pub missing_files: Vec<String>,
    /// Secrets copied beside the new files folder.
    pub keys: Vec<PathBuf>,
}

/// Tables that exist only for a replica's search, never copied.
fn skipped(table: &str) -> bool {
    table.starts_with("sqlite_") || table.contains("_fts")
}

/// Rows per INSERT (PostgreSQL takes at most 65,535 parameters).
const ROWS_PER_INSERT: usize = 200;

pub fn migrate(from: &Path, to: &str, files: &Path) -> Result<Report, MigrateError> {
    let source_err = |why: String| MigrateError::Source {
        path: from.to_owned(),
        why,
    };
    let target_err = |why: String| MigrateError::Target {
        url: redact(to),
        why,
    };
    if !from.is_file() {
        return Err(source_err("no such hub database".into()));
    }
    // No hub serves it while it is read, and none starts.
    let _lock =
        super::super::backup::ServeLock::acquire(from).map_err(|e| source_err(e.to_string()))?;
    let src = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| source_err(e.to_string()))?;
    let version: i64 = src
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| source_err(e.to_string()))?;
    if version != crate::store::SCHEMA_VERSION {
        return Err(source_err(format!(
            "schema version {version}; this civitac migrates version {} (open it once with this civitac's `hub` commands first)",
            crate::store::SCHEMA_VERSION
        )));
    }
    if crate::store::state(&src, "side")
        .map_err(|e| source_err(e.to_string()))?
        .as_deref()
        != Some("hub")
    {
        return Err(source_err("a replica, not a hub database".into()));
    }
    if let Some(theirs) = foreign_key(from, files) {
        return Err(source_err(format!(
            "{} holds another hub's secret: give this hub its own --files folder",
            theirs.display()
        )));
    }
    // One snapshot of the source for the copy and the check.
    src.execute_batch("BEGIN")
        .map_err(|e| source_err(e.to_string()))?;
    let tables: Vec<String> = src
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rowid")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| source_err(e.to_string()))?
        .into_iter()
        .filter(|t| !skipped(t))
        .collect();

    let pg = PgConn::connect(to).map_err(|e| target_err(e.to_string()))?;
    let has_tables: i64 = pg
        .sql()
        .query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            (),
            |r| r.get(0),
        )
        .map_err(|e| target_err(e.to_string()))?;
    if has_tables > 0 {
        return Err(target_err(
            "not empty: migrate into a new database (createdb -T template0 -E UTF8 --locale=C)"
                .into(),
        ));
    }
    if let Some(why) = super::unsuitable(&pg).map_err(|e| target_err(e.to_string()))? {
        return Err(target_err(why));
    }
    // The schema and the copy in one transaction: a copy that fails, or a
    // check that does not match, leaves the database as empty as it was.
    let copied = pg.write_after(&super::new_schema(), |tx| -> Result<Vec<Copied>, MigrateError> {
        // The counting triggers stand aside: the counters are copied as they are.
        tx.execute(
            "INSERT INTO sync_state (key, value) VALUES ('bulk_load', '1')
             ON CONFLICT (key) DO NOTHING",
            (),
        )
        .map_err(|e| target_err(e.to_string()))?;
        // The new schema's own rows (seeded templates, counters, its side)
        // give way to the source's; children before their parents.
        for table in tables.iter().rev() {
            if table != "audit_log" && table != "sync_state" {
                tx.execute(&format!("DELETE FROM {table}"), ())
                    .map_err(|e| target_err(e.to_string()))?;
            }
        }
        tx.execute("DELETE FROM sync_state WHERE key <> 'bulk_load'", ())
            .map_err(|e| target_err(e.to_string()))?;
        let mut copied = Vec::new();
        for table in &tables {
            copied.push(
                copy_table(&src, tx, table).map_err(|why| MigrateError::Mismatch {
                    table: table.clone(),
                    why,
                })?,
            );
        }
        tx.execute("DELETE FROM sync_state WHERE key = 'bulk_load'", ())
            .map_err(|e| target_err(e.to_string()))?;
        // Identity columns continue after the copied numbers.
        let identities: Vec<(String, String)> = tx
            .query_map(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND is_identity = 'YES'",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| target_err(e.to_string()))?;
        for (table, column) in identities {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                                   coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                ),
                (),
            )
            .map_err(|e| target_err(e.to_string()))?;
        }
        // Checked before the commit, from what PostgreSQL now holds.
        for c in &copied {
            let (rows, sha256) = digest(tx, c).map_err(|e| target_err(e.to_string()))?;
            if rows != c.rows || sha256 != c.sha256 {
                return Err(MigrateError::Mismatch {
                    table: c.table.clone(),
                    why: format!(
                        "{} row(s) read from SQLite, {rows} in PostgreSQL; checksums {} and {sha256}",
                        c.rows, c.sha256
                    ),
                });
            }
        }
        Ok(copied)
    })?;
    let _ = src.execute_batch("COMMIT");

    let missing_files = missing(&src, files).map_err(|e| source_err(e.to_string()))?;
    let keys = copy_keys(from, files).map_err(|e| source_err(e.to_string()))?;
    Ok(Report {
        tables: copied,
        missing_files,
        keys,
    })
}

/// The columns both databases store for `table` (SQLite's rowid named
/// where PostgreSQL keeps it as a column).
fn columns(src: &Connection, pg: &dyn Sql, table: &str) -> Result<Vec<String>, DbError> {
    let theirs: Vec<String> = pg
        .query_map(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 AND is_generated = 'NEVER'
             ORDER BY ordinal_position",
            [table],
            |r| r.get::<String>(0),
        )?
        .collect::<Result<_, _>>()?;
    let ours: Vec<String> = src
        .prepare(&format!("PRAGMA table_info({table})"))?
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<Result<_, _>>()?;
    Ok(theirs
        .into_iter()
        .filter(|c| ours.contains(c) || c == "rowid")
        .collect())
}

/// Every row of `table`, in one order both databases agree on (all
/// columns, nulls first), as values.
fn all_rows(c: &dyn Sql, table: &str, cols: &[String]) -> Result<Vec<Vec<Value>>, DbError> {
    let order: Vec<String> = (1..=cols.len())
        .map(|i| format!("{i} NULLS FIRST"))
        .collect();
    let sql = format!(
        "SELECT {} FROM {table} ORDER BY {}",
        cols.join(", "),
        order.join(", ")
    );
    Ok(c.rows(&sql, &[])?
        .into_iter()
        .map(crate::store::sql::Row::into_values)
        .collect())
}

fn hash_rows(rows: &[Vec<Value>]) -> String {
    let mut h = Sha256::new();
    for row in rows {
        for v in row {
            match v {
                Value::Null => h.update(b"n"),
                Value::Integer(n) => {
                    h.update(b"i");
                    h.update(n.to_le_bytes());
                }
                Value::Real(f) => {
                    h.update(b"r");
                    h.update(f.to_le_bytes());
                }
                Value::Text(t) => {
                    h.update(b"t");
                    h.update((t.len() as u64).to_le_bytes());
                    h.update(t.as_bytes());
                }
                Value::Blob(b) => {
                    h.update(b"b");
                    h.update((b.len() as u64).to_le_bytes());
                    h.update(b);
                }
            }
        }
        h.update(b"\n");
    }
    crate::hex(&h.finalize())
}

fn copy_table(src: &Connection, tx: &dyn Sql, table: &str) -> Result<Copied, String> {
    let cols = columns(src, tx, table).map_err(|e| e.to_string())?;
    if cols.is_empty() {
        return Err("no column in common (is the PostgreSQL schema the same version?)".into());
    }
    let rows = all_rows(src, table, &cols).map_err(|e| e.to_string())?;
    let ordered = parents_first(src, table, &cols, &rows).map_err(|e| e.to_string())?;
    for chunk in ordered.chunks(ROWS_PER_INSERT) {
        let mut marks = Vec::with_capacity(chunk.len());
        let mut args = Vec::with_capacity(chunk.len() * cols.len());
        for row in chunk {
            let base = args.len();
            marks.push(format!(
                "({})",
                (1..=cols.len())
                    .map(|i| format!("?{}", base + i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            args.extend(row.iter().cloned());
        }
        let sql = format!(
            "INSERT INTO {table} ({}) OVERRIDING SYSTEM VALUE VALUES {}",
            cols.join(", "),
            marks.join(", ")
        );
        let refs: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|v| v as &dyn rusqlite::ToSql).collect();
        tx.exec(&sql, &refs).map_err(|e| e.to_string())?;
    }
    Ok(Copied {
        table: table.to_owned(),
        rows: rows.len() as u64,
        sha256: hash_rows(&rows),
        columns: cols,
    })
}

/// The rows in an order their own foreign keys accept (a resend after the
/// message it resends, whatever their ids): rows whose parent is already
/// placed, pass after pass. A cycle is left as it is (PostgreSQL says so).
fn parents_first<'r>(
    src: &Connection,
    table: &str,
    cols: &[String],
    rows: &'r [Vec<Value>],
) -> rusqlite::Result<Vec<&'r Vec<Value>>> {
    let links: Vec<(usize, usize)> = src
        .prepare(&format!("PRAGMA foreign_key_list({table})"))?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|(parent, _, _)| parent == table)
        .filter_map(|(_, from, to)| {
            Some((
                cols.iter().position(|c| *c == from)?,
                cols.iter().position(|c| *c == to)?,
            ))
        })
        .collect();
    if links.is_empty() {
        return Ok(rows.iter().collect());
    }
    let key = |v: &Value| format!("{v:?}");
    let mut placed = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut left: Vec<&Vec<Value>> = rows.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        let (ready, waiting): (Vec<_>, Vec<_>) = left.into_iter().partition(|row| {
            links.iter().all(|(from, _)| {
                matches!(row[*from], Value::Null) || placed.contains(&key(&row[*from]))
            })
        });
        for row in &ready {
            for (_, to) in &links {
                placed.insert(key(&row[*to]));
            }
        }
        out.extend(ready);
        left = waiting;
        if left.len() == before {
            out.extend(left);
            break;
        }
    }
    Ok(out)
}

/// A table's row count and checksum as PostgreSQL holds it, over the
/// columns the copy read.
fn digest(pg: &dyn Sql, c: &Copied) -> Result<(u64, String), DbError> {
    let rows = all_rows(pg, &c.table, &c.columns)?;
    Ok((rows.len() as u64, hash_rows(&rows)))
}

/// Upload contents the files folder does not have.
fn missing(src: &Connection, files: &Path) -> rusqlite::Result<Vec<String>> {
    let mut stmt = src
        .prepare("SELECT DISTINCT sha256 FROM uploads WHERE sha256 IS NOT NULL ORDER BY sha256")?;
    let hashes = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(hashes
        .into_iter()
        .filter(|h| crate::protocol::files::valid_hash(h) && !files.join(h).is_file())
        .collect())
}

/// (the SQLite hub's secret, where the PostgreSQL hub keeps it), for both.
fn key_files(from: &Path, files: &Path) -> [(PathBuf, PathBuf); 2] {
    use super::super::backend::{bundle_secret_path, sms_key_path};
    [
        (sms_key_path(from), sms_key_path(files)),
        (bundle_secret_path(from), bundle_secret_path(files)),
    ]
}

/// A secret beside the files folder that is not this hub's (another hub's
/// migration used the folder): serving with it would refuse every device's
/// bundles and the gateway's reports. Found before anything is copied.
fn foreign_key(from: &Path, files: &Path) -> Option<PathBuf> {
    key_files(from, files).into_iter().find_map(|(src, dst)| {
        let (Ok(ours), Ok(there)) = (std::fs::read(&src), std::fs::read(&dst)) else {
            return None;
        };
        (ours.trim_ascii() != there.trim_ascii()).then_some(dst)
    })
}

/// The SQLite hub's secrets (beside `hub.db`) copied beside the files
/// folder, where a PostgreSQL hub reads them; never over existing ones.
fn copy_keys(from: &Path, files: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut copied = Vec::new();
    for (src, dst) in key_files(from, files) {
        if dst.exists() {
            continue;
        }
        match std::fs::read(&src) {
            Ok(bytes) => {
                crate::store::write_private(&dst, &bytes)?;
                copied.push(dst);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(copied)
}
