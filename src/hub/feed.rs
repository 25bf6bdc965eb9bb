//! The hub's side of pull: "what changed after my cursor" answered with the
//! current state of those rows, in `changes.seq` order (never a device
//! clock). A replica that starts from nothing first receives a snapshot:
//! every synced table in foreign-key order, paged by key, noting the feed
//! position it started at; then the feed from that position. Rows created or
//! changed while the snapshot is paged come again through the feed, so
//! nothing is missed and the snapshot needs no long transaction.

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use crate::protocol::{
    Cursor, PROTOCOL_VERSION, PullError, PullResponse, PulledRow, SnapshotProgress,
};
use crate::store::entity::Entity;
use crate::store::sql::{DbError, Dialect, Sql};
use crate::store::synced::{Columns, key_of, key_text, read_row, read_rows_by_id, select, to_sql};

fn feed_end(conn: &dyn Sql) -> Result<i64, DbError> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", (), |r| {
        r.get(0)
    })
}

/// The hub's answer: rows changed after `since`, at most `limit` of them.
pub fn changes_since(
    conn: &dyn Sql,
    since: &Cursor,
    limit: usize,
) -> Result<PullResponse, PullError> {
    let limit = limit.max(1);
    let mut page = match since {
        Cursor::Start => snapshot_page(conn, feed_end(conn)?, 0, &[], limit).map(|mut p| {
            if let Some(s) = &mut p.snapshot {
                s.rows = Some(snapshot_rows(conn));
            }
            p
        }),
        Cursor::Feed(seq) => feed_page(conn, *seq, limit),
        Cursor::Snapshot { upto, table, after } => snapshot_page(conn, *upto, *table, after, limit),
    }?;
    if matches!(since, Cursor::Feed(_)) {
        page.head = Some(feed_end(conn)?);
    }
    page.epoch = crate::store::sql::state(conn, "epoch")?;
    page.backed_up_until = crate::store::sql::state(conn, "backed_up_until")?;
    Ok(page)
}

/// About how many rows a whole snapshot has, for its first page (a time
/// left): each table's highest rowid, one index seek each, never a count
/// (on a large hub a count is a scan, under the lock every token check
/// takes). Deleted rows make it a little high; a table without rowids
/// counts for nothing. PostgreSQL has no rowid: its planner's estimate
/// (`pg_class.reltuples`, kept by autovacuum) serves.
fn snapshot_rows(conn: &dyn Sql) -> u64 {
    Entity::SYNCED
        .iter()
        .map(|t| {
            let sql = match conn.dialect() {
                Dialect::Sqlite => format!("SELECT coalesce(max(rowid), 0) FROM {}", t.table()),
                Dialect::Postgres => format!(
                    "SELECT CAST(greatest(reltuples, 0) AS BIGINT) FROM pg_class
                     WHERE oid = CAST('{}' AS regclass)",
                    t.table()
                ),
            };
            conn.query_row(&sql, (), |r| r.get::<i64>(0))
                .map_or(0, |n| n.max(0) as u64)
        })
        .sum()
}

fn snapshot_page(
    conn: &dyn Sql,
    upto: i64,
    mut table: usize,
    after: &[Value],
    limit: usize,
) -> Result<PullResponse, PullError> {
    let mut rows = Vec::new();
    let mut columns = Columns::default();
    let mut after: Vec<Value> = after.to_vec();
    while let Some(&t) = Entity::SYNCED.get(table) {
        let want = limit - rows.len();
        let page = if after.is_empty() {
            select(conn, &mut columns, t, "true", &[], want)?
        } else {
            let marks: Vec<String> = (1..=t.key().len()).map(|i| format!("?{i}")).collect();
            let filter = format!("({}) > ({})", t.key().join(", "), marks.join(", "));
            let args: Vec<SqlValue> = after.iter().map(to_sql).collect();
            select(conn, &mut columns, t, &filter, &args, want)?
        };
        let full = page.len() == want;
        if let Some(last) = page.last() {
            after = key_of(t, last);
        }
        rows.extend(page.into_iter().map(|row| PulledRow {
            entity: t.name().to_owned(),
            id: key_text(&key_of(t, &row)),
            row: Some(row),
        }));
        if full {
            return Ok(PullResponse {
                head: None,
                v: PROTOCOL_VERSION,
                rows,
                next: Cursor::Snapshot { upto, table, after },
                more: true,
                snapshot: Some(SnapshotProgress {
                    table,
                    tables: Entity::SYNCED.len(),
                    rows: None,
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
        head: None,
        v: PROTOCOL_VERSION,
        rows,
        next: Cursor::Feed(upto),
        more: true,
        snapshot: Some(SnapshotProgress {
            rows: None,
            table: Entity::SYNCED.len(),
            tables: Entity::SYNCED.len(),
        }),
        epoch: None,
        backed_up_until: None,
    })
}

fn feed_page(conn: &dyn Sql, since: i64, limit: usize) -> Result<PullResponse, PullError> {
    let feed: Vec<(i64, String, String)> = conn
        .query_map(
            "SELECT seq, entity, entity_id FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            (since, limit as i64 + 1),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
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
    let mut sent = Vec::with_capacity(last.len());
    for (i, (_, entity, id)) in feed.iter().enumerate() {
        if last.get(&(entity.as_str(), id.as_str())) == Some(&i) {
            let t = Entity::parse(entity).ok_or_else(|| PullError::Entity(entity.clone()))?;
            sent.push((t, entity, id));
        }
    }
    // Records keyed by one id are read together, a statement per kind.
    let mut by_kind: std::collections::HashMap<Entity, Vec<&str>> = Default::default();
    for (t, _, id) in &sent {
        if t.key() == ["id"] {
            by_kind.entry(*t).or_default().push(id.as_str());
        }
    }
    let mut found = std::collections::HashMap::new();
    for (t, ids) in by_kind {
        found.insert(t, read_rows_by_id(conn, &mut columns, t, &ids)?);
    }
    for (t, entity, id) in sent {
        let row = match found.get_mut(&t) {
            Some(rows) => rows.remove(id.as_str()),
            None => read_row(conn, &mut columns, t, id)?,
        };
        rows.push(PulledRow {
            entity: entity.clone(),
            id: id.clone(),
            row,
        });
    }
    Ok(PullResponse {
        head: None,
        v: PROTOCOL_VERSION,
        rows,
        next: Cursor::Feed(next),
        more,
        snapshot: None,
        epoch: None,
        backed_up_until: None,
    })
}
