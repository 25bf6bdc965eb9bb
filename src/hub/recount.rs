//! Mends the counters a hub keeps (schema.sql, "counts" and "reach
//! counts") as it starts, without holding the write lock while it counts.
//!
//! Each table of counters is compared with a full count in one statement
//! (one snapshot), outside the write lock: almost always nothing differs,
//! and the other hub processes' pushes never waited. Only when a counter
//! differs is the comparison made again under the lock, and each counter
//! found wrong corrected by its difference: a second hub process starting
//! at the same time then finds it mended (a difference added twice would
//! be wrong again), and a change committed meanwhile by a writer that takes
//! no lock moves its rows and its counter together (the triggers), so the
//! difference still holds. While a bulk load has the triggers off,
//! counters are set from a full count instead, as before.

use rusqlite::types::Value;

use crate::store::sql::{DbError, Sql};

/// One `INSERT INTO table (keys…, n) SELECT …` of a counts section: the
/// full count of one table of counters.
#[derive(Debug, Clone)]
struct Counted {
    table: String,
    /// The key columns, then the count's.
    columns: Vec<String>,
    select: String,
}

impl Counted {
    fn keys(&self) -> &[String] {
        &self.columns[..self.columns.len() - 1]
    }

    fn n(&self) -> &str {
        &self.columns[self.columns.len() - 1]
    }

    /// Every counter that differs from the full count, with the difference
    /// (a counter with nothing left to count differs by minus itself), and
    /// every counter missing, even at 0: the triggers only update a row.
    fn drift_sql(&self) -> String {
        let (table, n) = (&self.table, self.n());
        let keys: Vec<String> = self
            .keys()
            .iter()
            .map(|k| format!("coalesce(f.{k}, s.{k})"))
            .collect();
        let on: Vec<String> = self
            .keys()
            .iter()
            .map(|k| format!("s.{k} = f.{k}"))
            .collect();
        format!(
            "WITH f ({columns}) AS ({select})
             SELECT {keys}, coalesce(f.{n}, 0) - coalesce(s.{n}, 0)
             FROM f FULL JOIN {table} s ON {on}
             WHERE coalesce(f.{n}, 0) <> coalesce(s.{n}, 0) OR s.{first} IS NULL",
            columns = self.columns.join(", "),
            select = self.select,
            keys = keys.join(", "),
            on = on.join(" AND "),
            first = self.keys()[0],
        )
    }

    fn mend_sql(&self) -> String {
        let (table, n) = (&self.table, self.n());
        let marks: Vec<String> = (1..=self.columns.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO {table} ({columns}) VALUES ({marks})
             ON CONFLICT ({keys}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}",
            columns = self.columns.join(", "),
            marks = marks.join(", "),
            keys = self.keys().join(", "),
        )
    }
}

/// The full counts the counts sections write, read from their text: each
/// `INSERT INTO table (columns) SELECT …` statement (their `DELETE`s
/// aside). A statement of another shape is an error, never skipped: a
/// table left out would never be checked.
fn counted(sections: &[&str]) -> Result<Vec<Counted>, DbError> {
    let code: String = sections
        .iter()
        .flat_map(|s| s.lines())
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for statement in code.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if statement.starts_with("DELETE FROM ") {
            continue;
        }
        let parsed = statement.strip_prefix("INSERT INTO ").and_then(|rest| {
            let (table, rest) = rest.split_once('(')?;
            let (columns, select) = rest.split_once(')')?;
            let columns: Vec<String> = columns.split(',').map(|c| c.trim().to_owned()).collect();
            (columns.len() >= 2 && select.trim_start().starts_with("SELECT ")).then(|| Counted {
                table: table.trim().to_owned(),
                columns,
                select: select.trim().to_owned(),
            })
        });
        match parsed {
            Some(c) => out.push(c),
            None => {
                return Err(DbError::Other(format!(
                    "counts: a statement of unknown shape: {}",
                    crate::text::truncate(&crate::text::inline(statement), 80)
                )));
            }
        }
    }
    Ok(out)
}

/// A counter found wrong: its table, its key, and by how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub table: String,
    pub key: Vec<String>,
    pub by: i64,
}

/// The counters of `sections` that differ from a full count, each table
/// read in one statement (one snapshot; no transaction needed).
pub fn drifts(conn: &dyn Sql, sections: &[&str]) -> Result<Vec<Drift>, DbError> {
    let mut out = Vec::new();
    for counted in counted(sections)? {
        out.extend(drifts_of(conn, &counted)?);
    }
    Ok(out)
}

/// The counters of one table that differ from its full count.
fn drifts_of(conn: &dyn Sql, counted: &Counted) -> Result<Vec<Drift>, DbError> {
    let width = counted.keys().len();
    conn.rows(&counted.drift_sql(), &[])?
        .into_iter()
        .map(|row| {
            Ok(Drift {
                table: counted.table.clone(),
                key: (0..width)
                    .map(|i| row.get::<String>(i))
                    .collect::<Result<_, _>>()?,
                by: row.get(width)?,
            })
        })
        .collect()
}

/// In `tx`, a transaction holding the hub's write lock: reads the counters'
/// drift again (another hub process may have mended them since a read
/// outside the lock, and a difference must be added once) and corrects
/// each by its difference. A change committed meanwhile by a writer that
/// takes no lock moves its rows and its counter together, so the difference
/// still holds. While a bulk load has the triggers off it does not: this
/// then writes nothing and returns `None`, and the caller sets every counter
/// from a full count. Otherwise, the counters corrected.
pub fn mend(tx: &dyn Sql, sections: &[&str]) -> Result<Option<Vec<Drift>>, DbError> {
    if crate::store::sql::state(tx, "bulk_load")?.is_some() {
        return Ok(None);
    }
    let mut mended = Vec::new();
    for counted in counted(sections)? {
        for d in drifts_of(tx, &counted)? {
            let mut args: Vec<Value> = d.key.iter().cloned().map(Value::Text).collect();
            args.push(Value::Integer(d.by));
            let refs: Vec<&dyn rusqlite::ToSql> =
                args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
            tx.exec(&counted.mend_sql(), &refs)?;
            mended.push(d);
        }
    }
    Ok(Some(mended))
}

/// Says, a line per table, which counters were corrected (the first of
/// them by name), for the operator's log.
pub fn mended(drifts: &[Drift]) {
    let mut tables: Vec<&str> = drifts.iter().map(|d| d.table.as_str()).collect();
    tables.dedup();
    for table in tables {
        let wrong: Vec<&Drift> = drifts.iter().filter(|d| d.table == table).collect();
        let first: Vec<String> = wrong
            .iter()
            .take(3)
            .map(|d| format!("{} {:+}", d.key.join(" "), d.by))
            .collect();
        tracing::warn!(
            table,
            counters = wrong.len(),
            first = first.join(", "),
            "counters differed from a full count; corrected at start"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_counters_is_read_from_both_schemas() {
        for sections in [
            vec![crate::store::counts_sql()],
            crate::hub::pg::counts_sections().to_vec(),
        ] {
            let counted = counted(&sections).expect("parsed");
            let tables: Vec<&str> = counted.iter().map(|c| c.table.as_str()).collect();
            assert_eq!(
                tables,
                [
                    "counters",
                    "org_stage_counts",
                    "flag_day_counts",
                    "sms_group_reach"
                ]
            );
            assert_eq!(counted[1].keys(), ["region", "status"]);
            assert_eq!(counted[1].n(), "n");
            assert!(
                counted[1]
                    .select
                    .starts_with("SELECT region, status, count(*)")
            );
        }
    }

    #[test]
    fn a_statement_of_another_shape_is_an_error_not_a_table_left_out() {
        assert!(counted(&["INSERT INTO t (a, n) VALUES (1, 2);"]).is_err());
        assert!(counted(&["UPDATE counters SET n = 0;"]).is_err());
        // Comments may hold a semicolon; a name may touch its parenthesis.
        let ok = counted(&[
            "-- counts; all of them\nINSERT INTO t(a, n) SELECT a, count(*) FROM x GROUP BY a;",
        ])
        .expect("parsed");
        assert_eq!(
            (ok[0].table.as_str(), ok[0].keys()),
            ("t", &["a".to_owned()][..])
        );
    }
}
