//! Pull, without the transport: the hub answers "what changed after my
//! cursor" with the current state of those rows, in `changes.seq` order (never
//! a device clock); the replica applies a page and advances its cursor in one
//! transaction, so a pull cut at any point resumes where it stopped and
//! applying a page twice changes nothing.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::protocol::PROTOCOL_VERSION;

/// Which table holds each kind of record the feed names.
pub const ENTITY_TABLES: &[(&str, &str)] = &[
    ("organization", "organizations"),
    ("upload", "uploads"),
    ("forum_thread", "forum_threads"),
    ("citizen", "citizens"),
    ("forum_post", "forum_posts"),
    ("forum_flag", "forum_flags"),
    ("sms_message", "sms_messages"),
];

fn table_of(entity: &str) -> Option<&'static str> {
    ENTITY_TABLES
        .iter()
        .find(|(e, _)| *e == entity)
        .map(|(_, t)| *t)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledRow {
    pub entity: String,
    pub id: String,
    /// The row as the hub has it now (`None`: it no longer exists).
    pub row: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub v: u32,
    pub rows: Vec<PulledRow>,
    /// The cursor to send next time.
    pub next: i64,
    pub more: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("protocol version {0} is not supported (this replica speaks {PROTOCOL_VERSION})")]
    Version(u32),
    #[error("unknown record kind \"{0}\"")]
    Entity(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The stored (not generated) columns of a table.
fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(&format!("PRAGMA table_info({table})"))?;
    let mut cols = Vec::new();
    for c in stmt.query_map([], |r| r.get::<_, String>(1))? {
        cols.push(c?);
    }
    Ok(cols)
}

fn read_row(
    conn: &Connection,
    table: &str,
    id: &str,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    let cols = columns(conn, table)?;
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    crate::store::row_json(conn, table, &cols, id)
}

/// The hub's answer: rows changed after `since`, at most `limit` feed entries.
pub fn changes_since(
    conn: &Connection,
    since: i64,
    limit: usize,
) -> Result<PullResponse, PullError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, entity, entity_id FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let feed: Vec<(i64, String, String)> = stmt
        .query_map(rusqlite::params![since, limit as i64 + 1], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let more = feed.len() > limit;
    let feed = &feed[..feed.len().min(limit)];
    let next = feed.last().map_or(since, |(seq, _, _)| *seq);
    let mut rows: Vec<PulledRow> = Vec::with_capacity(feed.len());
    for (i, (_, entity, id)) in feed.iter().enumerate() {
        // A record changed twice in one page is sent once, where it last changed.
        if feed[i + 1..].iter().any(|(_, e, x)| e == entity && x == id) {
            continue;
        }
        let table = table_of(entity).ok_or_else(|| PullError::Entity(entity.clone()))?;
        rows.push(PulledRow {
            entity: entity.clone(),
            id: id.clone(),
            row: read_row(conn, table, id)?,
        });
    }
    Ok(PullResponse {
        v: PROTOCOL_VERSION,
        rows,
        next,
        more,
    })
}

/// Applies one page on the replica and moves its cursor, in one transaction.
pub fn apply_page(conn: &mut Connection, page: &PullResponse) -> Result<usize, PullError> {
    if page.v != PROTOCOL_VERSION {
        return Err(PullError::Version(page.v));
    }
    let tx = conn.transaction()?;
    // Parents and children may arrive in either order within a page.
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    let mut applied = 0;
    for pulled in &page.rows {
        let table =
            table_of(&pulled.entity).ok_or_else(|| PullError::Entity(pulled.entity.clone()))?;
        let Some(row) = &pulled.row else { continue };
        let cols: Vec<String> = columns(&tx, table)?
            .into_iter()
            .filter(|c| row.contains_key(c))
            .collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = cols
            .iter()
            .filter(|c| *c != "id")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
            cols.join(", "),
            marks.join(", "),
            updates.join(", ")
        );
        let values: Vec<rusqlite::types::Value> = cols
            .iter()
            .map(|c| match &row[c] {
                Value::Null => rusqlite::types::Value::Null,
                Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
                Value::Number(n) => n
                    .as_i64()
                    .map(rusqlite::types::Value::Integer)
                    .or_else(|| n.as_f64().map(rusqlite::types::Value::Real))
                    .unwrap_or(rusqlite::types::Value::Null),
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                other => rusqlite::types::Value::Text(other.to_string()),
            })
            .collect();
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
        applied += 1;
    }
    crate::store::set_state(&tx, "pull_cursor", &page.next.to_string())?;
    tx.commit()?;
    Ok(applied)
}

/// The replica's cursor (0 before its first pull).
pub fn cursor(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(crate::store::state(conn, "pull_cursor")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}
