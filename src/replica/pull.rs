//! The replica's side of pull: apply one page and advance the cursor in one
//! transaction, so a pull cut at any point resumes where it stopped and
//! applying a page twice changes nothing.

use std::collections::HashSet;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use crate::protocol::{Cursor, PROTOCOL_VERSION, PullError, PullResponse};
use crate::store::entity::Entity;
use crate::store::synced::{Columns, to_sql};

/// Applies one page on the replica and moves its cursor, in one transaction.
pub fn apply_page(conn: &mut Connection, page: &PullResponse) -> Result<usize, PullError> {
    apply_page_after(conn, page, None)
}

/// The same, only while the replica's cursor is `from` (checked inside the
/// page's transaction): a page read long ago (a bundle's answer) must not
/// land on rows a sync running meanwhile brought newer.
pub fn apply_page_after(
    conn: &mut Connection,
    page: &PullResponse,
    from: Option<&str>,
) -> Result<usize, PullError> {
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
    let result = apply_rows(conn, page, from);
    if snapshot {
        conn.pragma_update(None, "foreign_keys", "ON")?;
    }
    result
}

/// Set while a snapshot is written: the triggers that number rows for the
/// search indexes and keep the counters stand aside (schema.sql, version 7).
const BULK_LOAD: &str = "bulk_load";

/// Whether a first fill was cut before its last page: until a sync finishes
/// it, the replica has part of the hub's rows, and its searches and counts
/// leave out what it has (the numbering and counting come at the end).
pub fn fill_unfinished(conn: &Connection) -> bool {
    crate::store::state(conn, BULK_LOAD)
        .ok()
        .flatten()
        .is_some()
}

fn apply_rows(
    conn: &mut Connection,
    page: &PullResponse,
    from: Option<&str>,
) -> Result<usize, PullError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(from) = from {
        let now = crate::store::state(&tx, "pull_cursor")?.unwrap_or_else(|| "start".into());
        if now != from {
            return Err(PullError::Moved {
                expected: from.to_owned(),
                found: now,
            });
        }
    }
    // Parents and children may arrive in either order within a page.
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    if page.snapshot.is_some() {
        crate::store::set_state(&tx, BULK_LOAD, "1")?;
    }
    let mut applied = 0;
    let mut columns = Columns::default();
    let mut refused = None;
    for pulled in &page.rows {
        let t = Entity::parse(&pulled.entity)
            .ok_or_else(|| PullError::Entity(pulled.entity.clone()))?;
        let Some(row) = &pulled.row else {
            // A row the hub does not hold: one of a kind it deletes, or one
            // this replica made by an op the hub refused. Any other stays:
            // a hub never empties a replica's organisations through its feed.
            let mut made_here = || -> rusqlite::Result<bool> {
                let refused = match &mut refused {
                    Some(r) => r,
                    None => refused.insert(refused_records(&tx)?),
                };
                Ok(refused.contains(&(t.name(), pulled.id.clone())))
            };
            if (t.deletable() || made_here()?) && forget_record(&tx, t, &pulled.id)? {
                applied += 1;
            }
            continue;
        };
        let (sql, cols) = columns.upsert(&tx, t, row)?;
        let values: Vec<SqlValue> = cols.iter().map(|c| to_sql(&row[c.as_str()])).collect();
        let upsert = || {
            tx.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(&values))
        };
        match upsert() {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                make_way(&tx, t, &pulled.id, row)?;
                upsert()?;
            }
            done => {
                done?;
            }
        }
        if t == Entity::Staff {
            journal_staff_change(&tx, row)?;
        }
        applied += 1;
    }
    // The snapshot's last page: number what it brought, fill the search
    // indexes and count, in the same transaction as its rows.
    if page.snapshot.is_some() && matches!(page.next, Cursor::Feed(_)) {
        tx.execute_batch(crate::store::search_keys_sql())?;
        tx.execute_batch(crate::store::counts_sql())?;
        tx.execute("DELETE FROM sync_state WHERE key = ?1", [BULK_LOAD])?;
    }
    crate::store::set_state(&tx, "pull_cursor", &page.next.to_string())?;
    if let Some(t) = &page.backed_up_until {
        crate::store::set_state(&tx, "hub_backed_up_until", t)?;
    }
    tx.commit()?;
    Ok(applied)
}

/// A pulled row whose unique value (a group's name) a row here of another
/// key still holds: that row is out of date, since the hub's rows are
/// unique together and the hub's record of it comes later in the feed (a
/// refused rename's record is sent again; an unpushed one is refused, then
/// sent again). Until then it steps aside: its value with its key after it.
fn make_way(
    tx: &Connection,
    t: Entity,
    id: &str,
    row: &serde_json::Map<String, serde_json::Value>,
) -> rusqlite::Result<()> {
    let Some((filter, key)) = crate::store::synced::by_key(t, id) else {
        return Ok(());
    };
    let table = t.table();
    // The columns unique on their own, besides the key.
    let columns: Vec<String> = tx
        .prepare_cached(
            "SELECT min(c.name) FROM pragma_index_list(?1) i, pragma_index_info(i.name) c
             WHERE i.\"unique\" = 1 AND i.origin <> 'pk'
             GROUP BY i.name HAVING count(*) = 1",
        )?
        .query_map([table], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for column in columns {
        let Some(serde_json::Value::String(value)) = row.get(&column) else {
            continue;
        };
        let value_arg = SqlValue::Text(value.clone());
        let args = key.iter().chain([&value_arg]);
        let holders: Vec<(i64, String)> = tx
            .prepare_cached(&format!(
                "SELECT rowid, {id} FROM {table} WHERE {column} = ?{n} AND NOT ({filter})",
                id = t.key().join(" || '/' || "),
                n = key.len() + 1,
            ))?
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        for (rowid, key) in holders {
            // A free value: a colleague may have taken "name (key)" too.
            let mut aside = format!("{value} ({key})");
            let mut n = 1;
            while tx
                .prepare_cached(&format!("SELECT 1 FROM {table} WHERE {column} = ?1"))?
                .exists([&aside])?
            {
                n += 1;
                aside = format!("{value} ({key}) {n}");
            }
            tx.prepare_cached(&format!(
                "UPDATE {table} SET {column} = ?2 WHERE rowid = ?1"
            ))?
            .execute(rusqlite::params![rowid, aside])?;
        }
    }
    Ok(())
}

/// The records this replica made by ops the hub refused (still in its
/// outbox: kept until long after their answer, `session::prune`).
fn refused_records(tx: &Connection) -> rusqlite::Result<HashSet<(&'static str, String)>> {
    let mut stmt = tx.prepare("SELECT op FROM outbox WHERE outcome = 'rejected'")?;
    let ops = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut records = HashSet::new();
    for op in ops {
        if let Ok(envelope) = serde_json::from_str::<crate::ops::Envelope>(&op?) {
            records.extend(envelope.op.records());
        }
    }
    Ok(records)
}

/// Deletes one record (by its feed id) and the rows here that name it;
/// false if the id does not name one.
fn forget_record(tx: &Connection, t: Entity, id: &str) -> rusqlite::Result<bool> {
    let Some((filter, parts)) = crate::store::synced::by_key(t, id) else {
        return Ok(false);
    };
    forget(tx, t.table(), &filter, &parts, &mut HashSet::new())?;
    Ok(true)
}

/// Deletes `table`'s rows matching `filter` and, first, the rows here that
/// name them through a foreign key, at any depth (a refused group, its
/// messages, their resends, their failures): the hub holds no row whose
/// parent it does not hold, so these are this replica's own too. `seen`
/// (table, column, value) stops a loop of rows naming each other.
fn forget(
    tx: &Connection,
    table: &str,
    filter: &str,
    args: &[SqlValue],
    seen: &mut HashSet<(String, String, String)>,
) -> rusqlite::Result<()> {
    let children: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT m.name, f.\"from\", COALESCE(f.\"to\", 'id')
             FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' AND f.\"table\" = ?1",
        )?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (child, from, to) in children {
        let named: Vec<String> = tx
            .prepare_cached(&format!(
                "SELECT DISTINCT {to} FROM {table} WHERE {filter} AND {to} IS NOT NULL"
            ))?
            .query_map(rusqlite::params_from_iter(args), |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?
            .into_iter()
            .filter(|v| seen.insert((child.clone(), from.clone(), v.clone())))
            .collect();
        if named.is_empty() {
            continue;
        }
        let list = serde_json::to_string(&named).unwrap_or_default();
        forget(
            tx,
            &child,
            &format!("{from} IN (SELECT value FROM json_each(?1))"),
            &[SqlValue::Text(list)],
            seen,
        )?;
    }
    tx.prepare_cached(&format!("DELETE FROM {table} WHERE {filter}"))?
        .execute(rusqlite::params_from_iter(args))?;
    Ok(())
}

/// The replica's cursor (`Start` before its first pull).
/// A colleague added, given another role or switched off at the hub: the
/// replica's Journal shows it, under the op's own id (so it is there once,
/// and not again where the op was decided).
fn journal_staff_change(
    tx: &Connection,
    row: &serde_json::Map<String, serde_json::Value>,
) -> rusqlite::Result<()> {
    let text = |k: &str| row.get(k).and_then(serde_json::Value::as_str);
    let (Some(op), Some(change), Some(by), Some(at), Some(id)) = (
        text("change_id"),
        text("change"),
        text("changed_by"),
        text("changed_at"),
        text("id"),
    ) else {
        return Ok(());
    };
    if !change.starts_with("staff.") {
        return Ok(());
    }
    let detail = serde_json::json!({
        "before": null,
        "after": {"role": row.get("role"), "active": row.get("active")},
    });
    tx.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, device, action, entity, entity_id, reason, detail)
         VALUES (?1, ?2, ?3, 'hub', ?4, 'staff', ?5, NULL, ?6) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(rusqlite::params![
        op,
        at,
        by,
        change,
        id,
        detail.to_string()
    ])?;
    Ok(())
}

pub fn cursor(conn: &Connection) -> Result<Cursor, PullError> {
    match crate::store::state(conn, "pull_cursor")? {
        Some(text) => Ok(text.parse()?),
        None => Ok(Cursor::Start),
    }
}
