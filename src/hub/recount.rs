//! Mends the counters a hub keeps (schema.sql, "counts" and "reach
//! counts") as it starts, without holding the write lock while it counts.
//!
//! Each table of counters is compared with a full count in one statement
//! (one snapshot), which finds the counters that drifted and by how much;
//! only those are then corrected, by that difference, in a short write. A
//! change committed in between moves the rows and their counter together
//! (the triggers), so adding the difference later still gives the true
//! count: the other hub processes' pushes never wait behind the counting.
//! While a bulk load has the triggers off, counters are set from a full
//! count under the write lock instead, as before.

use rusqlite::types::Value;

use crate::store::sql::{DbError, Sql};

/// One `INSERT INTO table (keys…, n) SELECT …` of a counts section: the
/// full count of one table of counters.
#[derive(Debug, Clone)]
struct Counted {
    table: &'static str,
    /// The key columns, then the count's.
    columns: Vec<&'static str>,
    select: &'static str,
}

impl Counted {
    fn keys(&self) -> &[&'static str] {
        &self.columns[..self.columns.len() - 1]
    }

    fn n(&self) -> &'static str {
        self.columns[self.columns.len() - 1]
    }

    /// Every counter that differs from the full count, with the difference
    /// (a counter with nothing left to count differs by minus itself).
    fn drift_sql(&self) -> String {
        let (table, n) = (self.table, self.n());
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
             WHERE coalesce(f.{n}, 0) <> coalesce(s.{n}, 0)",
            columns = self.columns.join(", "),
            select = self.select,
            keys = keys.join(", "),
            on = on.join(" AND "),
        )
    }

    fn mend_sql(&self) -> String {
        let (table, n) = (self.table, self.n());
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

/// The full counts a counts section writes, read from its text: each
/// `INSERT INTO table (columns) SELECT …` statement (its `DELETE`s aside).
fn counted(section: &'static str) -> Vec<Counted> {
    section
        .split(';')
        .filter_map(|statement| {
            let code: &'static str = statement
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("--"))
                .map(|first| &statement[statement.find(first).unwrap_or(0)..])?;
            let rest = code.strip_prefix("INSERT INTO ")?;
            let (table, rest) = rest.split_once(" (")?;
            let (columns, select) = rest.split_once(')')?;
            let columns: Vec<&'static str> = columns.split(',').map(str::trim).collect();
            (columns.len() >= 2).then(|| Counted {
                table: table.trim(),
                columns,
                select: select.trim(),
            })
        })
        .collect()
}

/// A counter found wrong: its table, its key, and by how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub table: &'static str,
    pub key: Vec<String>,
    pub by: i64,
}

/// The counters of `sections` that differ from a full count, each table
/// read in one statement (`reader` needs no transaction of its own).
pub fn drifts(reader: &dyn Sql, sections: &[&'static str]) -> Result<Vec<Drift>, DbError> {
    let mut out = Vec::new();
    for counted in sections.iter().flat_map(|s| counted(s)) {
        let width = counted.keys().len();
        for row in reader.rows(&counted.drift_sql(), &[])? {
            let key = (0..width)
                .map(|i| row.get::<String>(i))
                .collect::<Result<_, _>>()?;
            out.push(Drift {
                table: counted.table,
                key,
                by: row.get(width)?,
            });
        }
    }
    Ok(out)
}

/// Corrects each drifted counter by its difference, in `tx` (a write
/// transaction). While a bulk load has the triggers off, a difference read
/// earlier no longer holds: every counter of `sections` is then set from a
/// full count instead (the sections' text, run by the caller).
/// Returns false, writing nothing, when the caller must recount instead.
pub fn mend(tx: &dyn Sql, sections: &[&'static str], drifts: &[Drift]) -> Result<bool, DbError> {
    if crate::store::sql::state(tx, "bulk_load")?.is_some() {
        return Ok(false);
    }
    let all: Vec<Counted> = sections.iter().flat_map(|s| counted(s)).collect();
    for d in drifts {
        let Some(counted) = all.iter().find(|c| c.table == d.table) else {
            continue;
        };
        let mut args: Vec<Value> = d.key.iter().cloned().map(Value::Text).collect();
        args.push(Value::Integer(d.by));
        let refs: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        tx.exec(&counted.mend_sql(), &refs)?;
    }
    Ok(true)
}

/// Says, a line per table, which counters were corrected (the first of
/// them by name), for the operator's log.
pub fn mended(drifts: &[Drift]) {
    let mut tables: Vec<&str> = drifts.iter().map(|d| d.table).collect();
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
    fn every_table_of_counters_is_read_from_both_sections() {
        let sql = crate::store::counts_sql();
        let tables: Vec<&str> = counted(sql).iter().map(|c| c.table).collect();
        assert_eq!(
            tables,
            [
                "counters",
                "org_stage_counts",
                "flag_day_counts",
                "sms_group_reach"
            ]
        );
        let stage = &counted(sql)[1];
        assert_eq!(stage.keys(), ["region", "status"]);
        assert_eq!(stage.n(), "n");
        assert!(stage.select.starts_with("SELECT region, status, count(*)"));
    }
}
