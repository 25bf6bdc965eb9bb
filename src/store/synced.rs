//! Synced rows as JSON objects: the hub reads them for its feed and
//! snapshot, a replica writes them when it applies a page. Table and column
//! names come from `Entity` and `PRAGMA table_info`, never from the wire.

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use super::entity::Entity;

/// Columns each database keeps for itself and never sends or takes: the
/// search key numbers rows in the order this file received them.
const LOCAL_COLUMNS: &[&str] = &["search_key"];

/// The stored (not generated) columns of each table, read once per page,
/// without the local ones; and the upsert for each set of columns a row
/// brings, written once per page rather than once per row.
#[derive(Default)]
pub struct Columns {
    tables: std::collections::HashMap<&'static str, std::rc::Rc<Vec<String>>>,
    upserts: std::collections::HashMap<(&'static str, u128), Upsert>,
}

/// An upsert statement and the columns its parameters take, in order.
pub type Upsert = (std::rc::Rc<str>, std::rc::Rc<Vec<String>>);

impl Columns {
    /// The upsert of `row` into `t`'s table: the columns of the table the
    /// row has (any other key is ignored), inserted, or updated when the
    /// key exists.
    pub fn upsert(
        &mut self,
        conn: &Connection,
        t: Entity,
        row: &Map<String, Value>,
    ) -> rusqlite::Result<Upsert> {
        let all = self.of(conn, t.table())?;
        // Which of the table's columns the row has (past 128 columns the
        // statement is written each time).
        let mask = all
            .iter()
            .take(128)
            .enumerate()
            .filter(|(_, c)| row.contains_key(c.as_str()))
            .fold(0u128, |m, (i, _)| m | 1 << i);
        if all.len() <= 128
            && let Some(u) = self.upserts.get(&(t.table(), mask))
        {
            return Ok(u.clone());
        }
        let cols: Vec<String> = all
            .iter()
            .filter(|c| row.contains_key(c.as_str()))
            .cloned()
            .collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = cols
            .iter()
            .filter(|c| !t.key().contains(&c.as_str()))
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let action = if updates.is_empty() {
            "NOTHING".to_owned()
        } else {
            format!("UPDATE SET {}", updates.join(", "))
        };
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
            t.table(),
            cols.join(", "),
            marks.join(", "),
            t.key().join(", "),
        );
        let upsert: Upsert = (sql.into(), std::rc::Rc::new(cols));
        if all.len() <= 128 {
            self.upserts.insert((t.table(), mask), upsert.clone());
        }
        Ok(upsert)
    }

    pub fn of(
        &mut self,
        conn: &Connection,
        table: &'static str,
    ) -> rusqlite::Result<std::rc::Rc<Vec<String>>> {
        if let Some(c) = self.tables.get(table) {
            return Ok(c.clone());
        }
        let mut stmt = conn.prepare_cached(&format!("PRAGMA table_info({table})"))?;
        let mut cols = Vec::new();
        for c in stmt.query_map([], |r| r.get::<_, String>(1))? {
            let c = c?;
            if !LOCAL_COLUMNS.contains(&c.as_str()) {
                cols.push(c);
            }
        }
        let cols = std::rc::Rc::new(cols);
        self.tables.insert(table, cols.clone());
        Ok(cols)
    }
}

pub fn to_sql(v: &Value) -> SqlValue {
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
pub fn select(
    conn: &Connection,
    columns: &mut Columns,
    t: Entity,
    filter: &str,
    args: &[SqlValue],
    limit: usize,
) -> rusqlite::Result<Vec<Map<String, Value>>> {
    let cols = columns.of(conn, t.table())?;
    let sql = format!(
        "SELECT {} FROM {} WHERE {filter} ORDER BY {} LIMIT {limit}",
        cols.join(", "),
        t.table(),
        t.key().join(", ")
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

pub fn key_of(t: Entity, row: &Map<String, Value>) -> Vec<Value> {
    t.key()
        .iter()
        .map(|k| row.get(*k).cloned().unwrap_or(Value::Null))
        .collect()
}

pub fn key_text(key: &[Value]) -> String {
    key.iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One record by its feed id (composite keys are '/'-joined).
pub fn read_row(
    conn: &Connection,
    columns: &mut Columns,
    t: Entity,
    id: &str,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    let parts: Vec<SqlValue> = if t.key().len() == 1 {
        vec![SqlValue::Text(id.to_owned())]
    } else {
        id.splitn(t.key().len(), '/')
            .map(|p| SqlValue::Text(p.to_owned()))
            .collect()
    };
    if parts.len() != t.key().len() {
        return Ok(None);
    }
    let filter = t
        .key()
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(select(conn, columns, t, &filter, &parts, 1)?
        .into_iter()
        .next())
}
