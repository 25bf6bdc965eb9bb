//! Synced rows as JSON objects: the hub reads them for its feed and
//! snapshot, a replica writes them when it applies a page. Table and column
//! names come from `Entity` and `PRAGMA table_info`, never from the wire.

use rusqlite::types::Value as SqlValue;

use super::sql::{DbError, Dialect, Sql};
use serde_json::{Map, Value};

use super::entity::Entity;

/// Columns each database keeps for itself and never sends or takes: the
/// search key numbers rows in the order this file received them.
/// (`rowid`: the column a PostgreSQL hub gives the audit log for what
/// SQLite's implicit rowid is.)
const LOCAL_COLUMNS: &[&str] = &["search_key", "rowid"];

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
        conn: &dyn Sql,
        t: Entity,
        row: &Map<String, Value>,
    ) -> Result<Upsert, DbError> {
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
        conn: &dyn Sql,
        table: &'static str,
    ) -> Result<std::rc::Rc<Vec<String>>, DbError> {
        if let Some(c) = self.tables.get(table) {
            return Ok(c.clone());
        }
        // Stored columns only: generated ones are each database's own.
        let names = match conn.dialect() {
            Dialect::Sqlite => conn.query_map(&format!("PRAGMA table_info({table})"), (), |r| {
                r.get::<String>(1)
            })?,
            Dialect::Postgres => conn.query_map(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = ?1
                   AND is_generated = 'NEVER'
                 ORDER BY ordinal_position",
                [table],
                |r| r.get::<String>(0),
            )?,
        };
        let mut cols = Vec::new();
        for c in names {
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
    conn: &dyn Sql,
    columns: &mut Columns,
    t: Entity,
    filter: &str,
    args: &[SqlValue],
    limit: usize,
) -> Result<Vec<Map<String, Value>>, DbError> {
    let cols = columns.of(conn, t.table())?;
    // The limit is an argument, not text: each text is a statement the
    // database keeps prepared.
    let sql = format!(
        "SELECT {} FROM {} WHERE {filter} ORDER BY {} LIMIT ?{}",
        cols.join(", "),
        t.table(),
        t.key().join(", "),
        args.len() + 1
    );
    let mut args = args.to_vec();
    args.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let rows = conn.query_map(&sql, args, |r| {
        let mut map = Map::new();
        for (i, c) in cols.iter().enumerate() {
            map.insert(c.clone(), crate::store::json_of(r.get_ref(i)?));
        }
        Ok(map)
    })?;
    rows.collect::<Result<_, DbError>>()
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

/// Records keyed by one `id` column, by their ids: one statement for many
/// (each a round trip to PostgreSQL). A missing one is not in the answer.
pub fn read_rows_by_id(
    conn: &dyn Sql,
    columns: &mut Columns,
    t: Entity,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Map<String, Value>>, DbError> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    let filter = format!("id IN ({})", super::sql::each_of(conn, 1));
    for chunk in ids.chunks(500) {
        let list = serde_json::to_string(chunk).map_err(|e| DbError::Other(e.to_string()))?;
        for row in select(
            conn,
            columns,
            t,
            &filter,
            &[SqlValue::Text(list)],
            chunk.len(),
        )? {
            found.insert(key_text(&key_of(t, &row)), row);
        }
    }
    Ok(found)
}

/// The filter finding the record a feed id names (`a = ?1 AND b = ?2`;
/// composite keys are '/'-joined) and its key's values; `None` when the id
/// has too few parts.
pub fn by_key(t: Entity, id: &str) -> Option<(String, Vec<SqlValue>)> {
    let parts: Vec<SqlValue> = id
        .splitn(t.key().len(), '/')
        .map(|p| SqlValue::Text(p.to_owned()))
        .collect();
    if parts.len() != t.key().len() {
        return None;
    }
    let filter = t
        .key()
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    Some((filter, parts))
}

/// One record by its feed id (composite keys are '/'-joined).
pub fn read_row(
    conn: &dyn Sql,
    columns: &mut Columns,
    t: Entity,
    id: &str,
) -> Result<Option<Map<String, Value>>, DbError> {
    let Some((filter, parts)) = by_key(t, id) else {
        return Ok(None);
    };
    Ok(select(conn, columns, t, &filter, &parts, 1)?
        .into_iter()
        .next())
}
