//! Pull, without the transport: the hub answers "what changed after my
//! cursor" with the current state of those rows, in `changes.seq` order (never
//! a device clock); the replica applies a page and advances its cursor in one
//! transaction, so a pull cut at any point resumes where it stopped and
//! applying a page twice changes nothing.
//!
//! A replica that starts from nothing (cursor `start`) first receives a
//! snapshot: every synced table in foreign-key order, paged by key, noting
//! the feed position it started at; then the feed from that position. Rows
//! created or changed while the snapshot is paged come again through the
//! feed, so nothing is missed and the snapshot needs no long transaction.

use std::fmt;
use std::str::FromStr;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::protocol::PROTOCOL_VERSION;

/// A table that replicas receive, the name its records have in the feed,
/// and its key.
#[derive(Debug, Clone, Copy)]
pub struct Synced {
    pub entity: &'static str,
    pub table: &'static str,
    pub key: &'static [&'static str],
}

/// Synced tables, parents before children (the snapshot's order).
pub const SYNCED: &[Synced] = &[
    Synced {
        entity: "staff",
        table: "staff",
        key: &["id"],
    },
    Synced {
        entity: "organization",
        table: "organizations",
        key: &["id"],
    },
    Synced {
        entity: "upload",
        table: "uploads",
        key: &["id"],
    },
    Synced {
        entity: "upload_stat",
        table: "upload_stats",
        key: &["upload_id", "indicator", "year"],
    },
    Synced {
        entity: "forum_thread",
        table: "forum_threads",
        key: &["id"],
    },
    Synced {
        entity: "citizen",
        table: "citizens",
        key: &["id"],
    },
    Synced {
        entity: "forum_post",
        table: "forum_posts",
        key: &["id"],
    },
    Synced {
        entity: "forum_flag",
        table: "forum_flags",
        key: &["id"],
    },
    Synced {
        entity: "sms_contact",
        table: "sms_contacts",
        key: &["id"],
    },
    Synced {
        entity: "sms_group",
        table: "sms_groups",
        key: &["id"],
    },
    Synced {
        entity: "sms_group_member",
        table: "sms_group_members",
        key: &["group_id", "contact_id"],
    },
    Synced {
        entity: "sms_message",
        table: "sms_messages",
        key: &["id"],
    },
];

pub fn synced(entity: &str) -> Option<&'static Synced> {
    SYNCED.iter().find(|s| s.entity == entity)
}

/// Where a replica stands: in the snapshot (which table, after which key) or
/// in the feed (after which `changes.seq`). Opaque text on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    /// A replica with nothing yet: a snapshot first.
    Start,
    /// After this `changes.seq`.
    Feed(i64),
    Snapshot {
        /// The feed position the snapshot started at.
        upto: i64,
        /// Index into `SYNCED`.
        table: usize,
        /// The last key sent from that table (empty: none yet).
        after: Vec<Value>,
    },
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cursor::Start => f.write_str("start"),
            Cursor::Feed(seq) => write!(f, "{seq}"),
            Cursor::Snapshot { upto, table, after } => {
                write!(f, "s:{upto}:{table}:{}", Value::from(after.clone()))
            }
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("\"{0}\" is not a pull cursor")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Cursor, BadCursor> {
        let bad = || BadCursor(s.chars().take(80).collect());
        if s == "start" {
            return Ok(Cursor::Start);
        }
        if let Ok(seq) = s.parse::<i64>() {
            return if seq >= 0 {
                Ok(Cursor::Feed(seq))
            } else {
                Err(bad())
            };
        }
        let rest = s.strip_prefix("s:").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, ':');
        let upto = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let table: usize = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let after: Vec<Value> =
            serde_json::from_str(parts.next().ok_or_else(bad)?).map_err(|_| bad())?;
        let fits = SYNCED
            .get(table)
            .is_some_and(|t| after.is_empty() || after.len() == t.key.len());
        if !fits || after.iter().any(|v| v.is_array() || v.is_object()) {
            return Err(bad());
        }
        Ok(Cursor::Snapshot { upto, table, after })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cursor, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledRow {
    pub entity: String,
    /// The key, its parts joined by '/' for composite keys.
    pub id: String,
    /// The row as the hub has it now (`None`: it no longer exists).
    pub row: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub v: u32,
    pub rows: Vec<PulledRow>,
    /// The cursor to send next time.
    pub next: Cursor,
    pub more: bool,
    /// While a snapshot is sent: how far it is, for a progress bar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotProgress>,
    /// The hub's epoch: it changes when the hub is restored from a backup,
    /// and then cursors and answers from before mean nothing any more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// When the hub's last verified backup began (hub clock): ops it
    /// answered before then are safe in it, and replicas may let them go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backed_up_until: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SnapshotProgress {
    pub table: usize,
    pub tables: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("protocol version {0} is not supported (this replica speaks {PROTOCOL_VERSION})")]
    Version(u32),
    #[error("unknown record kind \"{0}\"")]
    Entity(String),
    #[error(transparent)]
    Cursor(#[from] BadCursor),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The stored (not generated) columns of each table, read once per page.
#[derive(Default)]
struct Columns(std::collections::HashMap<&'static str, std::rc::Rc<Vec<String>>>);

impl Columns {
    fn of(
        &mut self,
        conn: &Connection,
        table: &'static str,
    ) -> rusqlite::Result<std::rc::Rc<Vec<String>>> {
        if let Some(c) = self.0.get(table) {
            return Ok(c.clone());
        }
        let mut stmt = conn.prepare_cached(&format!("PRAGMA table_info({table})"))?;
        let mut cols = Vec::new();
        for c in stmt.query_map([], |r| r.get::<_, String>(1))? {
            cols.push(c?);
        }
        let cols = std::rc::Rc::new(cols);
        self.0.insert(table, cols.clone());
        Ok(cols)
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(SqlValue::Integer)
            .or_else(|| n.as_f64().map(SqlValue::Real))
            .unwrap_or(SqlValue::Null),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// Rows of `t` matching `filter` (SQL over the key), as JSON objects.
fn select(
    conn: &Connection,
    columns: &mut Columns,
    t: &Synced,
    filter: &str,
    args: &[SqlValue],
    limit: usize,
) -> rusqlite::Result<Vec<Map<String, Value>>> {
    let cols = columns.of(conn, t.table)?;
    let sql = format!(
        "SELECT {} FROM {} WHERE {filter} ORDER BY {} LIMIT {limit}",
        cols.join(", "),
        t.table,
        t.key.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        let mut map = Map::new();
        for (i, c) in cols.iter().enumerate() {
            map.insert(c.clone(), crate::store::json_of(r.get_ref(i)?));
        }
        Ok(map)
    })?;
    rows.collect()
}

fn key_of(t: &Synced, row: &Map<String, Value>) -> Vec<Value> {
    t.key
        .iter()
        .map(|k| row.get(*k).cloned().unwrap_or(Value::Null))
        .collect()
}

fn key_text(key: &[Value]) -> String {
    key.iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One record by its feed id (composite keys are '/'-joined).
fn read_row(
    conn: &Connection,
    columns: &mut Columns,
    t: &Synced,
    id: &str,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    let parts: Vec<SqlValue> = if t.key.len() == 1 {
        vec![SqlValue::Text(id.to_owned())]
    } else {
        id.splitn(t.key.len(), '/')
            .map(|p| SqlValue::Text(p.to_owned()))
            .collect()
    };
    if parts.len() != t.key.len() {
        return Ok(None);
    }
    let filter = t
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(select(conn, columns, t, &filter, &parts, 1)?
        .into_iter()
        .next())
}

fn feed_end(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
        r.get(0)
    })
}

/// The hub's answer: rows changed after `since`, at most `limit` of them.
pub fn changes_since(
    conn: &Connection,
    since: &Cursor,
    limit: usize,
) -> Result<PullResponse, PullError> {
    let limit = limit.max(1);
    let mut page = match since {
        Cursor::Start => snapshot_page(conn, feed_end(conn)?, 0, &[], limit),
        Cursor::Feed(seq) => feed_page(conn, *seq, limit),
        Cursor::Snapshot { upto, table, after } => snapshot_page(conn, *upto, *table, after, limit),
    }?;
    page.epoch = crate::store::state(conn, "epoch")?;
    page.backed_up_until = crate::store::state(conn, "backed_up_until")?;
    Ok(page)
}

fn snapshot_page(
    conn: &Connection,
    upto: i64,
    mut table: usize,
    after: &[Value],
    limit: usize,
) -> Result<PullResponse, PullError> {
    let mut rows = Vec::new();
    let mut columns = Columns::default();
    let mut after: Vec<Value> = after.to_vec();
    while let Some(t) = SYNCED.get(table) {
        let want = limit - rows.len();
        let page = if after.is_empty() {
            select(conn, &mut columns, t, "1", &[], want)?
        } else {
            let marks: Vec<String> = (1..=t.key.len()).map(|i| format!("?{i}")).collect();
            let filter = format!("({}) > ({})", t.key.join(", "), marks.join(", "));
            let args: Vec<SqlValue> = after.iter().map(to_sql).collect();
            select(conn, &mut columns, t, &filter, &args, want)?
        };
        let full = page.len() == want;
        if let Some(last) = page.last() {
            after = key_of(t, last);
        }
        rows.extend(page.into_iter().map(|row| PulledRow {
            entity: t.entity.to_owned(),
            id: key_text(&key_of(t, &row)),
            row: Some(row),
        }));
        if full {
            return Ok(PullResponse {
                v: PROTOCOL_VERSION,
                rows,
                next: Cursor::Snapshot { upto, table, after },
                more: true,
                snapshot: Some(SnapshotProgress {
                    table,
                    tables: SYNCED.len(),
                }),
                epoch: None,
                backed_up_until: None,
            });
        }
        table += 1;
        after.clear();
    }
    // The snapshot is complete; what changed since it began comes by the feed.
    Ok(PullResponse {
        v: PROTOCOL_VERSION,
        rows,
        next: Cursor::Feed(upto),
        more: true,
        snapshot: Some(SnapshotProgress {
            table: SYNCED.len(),
            tables: SYNCED.len(),
        }),
        epoch: None,
        backed_up_until: None,
    })
}

fn feed_page(conn: &Connection, since: i64, limit: usize) -> Result<PullResponse, PullError> {
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
    let mut columns = Columns::default();
    // A record changed twice in one page is sent once, where it last changed.
    let mut last = std::collections::HashMap::new();
    for (i, (_, entity, id)) in feed.iter().enumerate() {
        last.insert((entity.as_str(), id.as_str()), i);
    }
    for (i, (_, entity, id)) in feed.iter().enumerate() {
        if last.get(&(entity.as_str(), id.as_str())) != Some(&i) {
            continue;
        }
        let t = synced(entity).ok_or_else(|| PullError::Entity(entity.clone()))?;
        rows.push(PulledRow {
            entity: entity.clone(),
            id: id.clone(),
            row: read_row(conn, &mut columns, t, id)?,
        });
    }
    Ok(PullResponse {
        v: PROTOCOL_VERSION,
        rows,
        next: Cursor::Feed(next),
        more,
        snapshot: None,
        epoch: None,
        backed_up_until: None,
    })
}

/// Applies one page on the replica and moves its cursor, in one transaction.
pub fn apply_page(conn: &mut Connection, page: &PullResponse) -> Result<usize, PullError> {
    if page.v != PROTOCOL_VERSION {
        return Err(PullError::Version(page.v));
    }
    // A snapshot is paged table by table while the hub keeps changing: a
    // post may come before the thread created after the threads were paged.
    // That thread is in the feed after the snapshot's position, so the
    // replica is whole again once the feed is applied; meanwhile snapshot
    // pages are written without foreign-key checks (a pragma that cannot
    // change inside a transaction).
    let snapshot = page.snapshot.is_some();
    if snapshot {
        conn.pragma_update(None, "foreign_keys", "OFF")?;
    }
    let result = apply_rows(conn, page);
    if snapshot {
        conn.pragma_update(None, "foreign_keys", "ON")?;
    }
    result
}

fn apply_rows(conn: &mut Connection, page: &PullResponse) -> Result<usize, PullError> {
    let tx = conn.transaction()?;
    // Parents and children may arrive in either order within a page.
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    let mut applied = 0;
    let mut columns = Columns::default();
    for pulled in &page.rows {
        let t = synced(&pulled.entity).ok_or_else(|| PullError::Entity(pulled.entity.clone()))?;
        let Some(row) = &pulled.row else { continue };
        let cols: Vec<String> = columns
            .of(&tx, t.table)?
            .iter()
            .filter(|c| row.contains_key(*c))
            .cloned()
            .collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = cols
            .iter()
            .filter(|c| !t.key.contains(&c.as_str()))
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let action = if updates.is_empty() {
            "NOTHING".to_owned()
        } else {
            format!("UPDATE SET {}", updates.join(", "))
        };
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
            t.table,
            cols.join(", "),
            marks.join(", "),
            t.key.join(", "),
        );
        let values: Vec<SqlValue> = cols.iter().map(|c| to_sql(&row[c])).collect();
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
        applied += 1;
    }
    crate::store::set_state(&tx, "pull_cursor", &page.next.to_string())?;
    if let Some(t) = &page.backed_up_until {
        crate::store::set_state(&tx, "hub_backed_up_until", t)?;
    }
    tx.commit()?;
    Ok(applied)
}

/// The replica's cursor (`Start` before its first pull).
pub fn cursor(conn: &Connection) -> Result<Cursor, PullError> {
    match crate::store::state(conn, "pull_cursor")? {
        Some(text) => Ok(text.parse()?),
        None => Ok(Cursor::Start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_write() {
        for c in [
            Cursor::Start,
            Cursor::Feed(0),
            Cursor::Feed(42),
            Cursor::Snapshot {
                upto: 7,
                table: 3,
                after: vec![
                    Value::from("u/1"),
                    Value::from("pop:total"),
                    Value::from(2019),
                ],
            },
            Cursor::Snapshot {
                upto: 7,
                table: 0,
                after: vec![],
            },
        ] {
            assert_eq!(c.to_string().parse::<Cursor>(), Ok(c.clone()), "{c}");
        }
        for bad in [
            "",
            "-1",
            "s:1",
            "s:1:99:[]",
            "s:1:0:[1,2]",
            "s:x:0:[]",
            "s:1:0:[[1]]",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }
}
