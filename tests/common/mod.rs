//! Helpers shared by the integration tests: a small demo world in a temp dir.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use civitac::demo::{self, DemoOptions};
use civitac::domain::staff::Role;
use civitac::store::{Actor, Store};

pub const AS_OF: &str = "2026-11-01T00:00:00Z";

pub fn options(scale: f64, seed: u64) -> DemoOptions {
    DemoOptions {
        scale,
        seed,
        as_of: AS_OF.parse().expect("fixed date"),
    }
}

/// A small demo (hub + replica) in a fresh temporary directory.
pub fn small_demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = demo::build(dir.path(), &options(0.2, 7)).expect("demo builds");
    let replica = summary.replica.clone();
    (dir, replica)
}

pub fn open(path: &Path) -> Store {
    Store::open(path).expect("store opens")
}

/// The replica's owner, with another role (same person, for matrix tests).
pub fn actor_with(store: &Store, role: Role) -> Actor {
    let mut a = store
        .owner()
        .expect("owner read")
        .expect("demo replica has an owner");
    a.role = role;
    a
}

/// The first id in `table` whose row matches `condition`.
pub fn first_id(store: &Store, table: &str, condition: &str) -> String {
    store
        .conn()
        .query_row(
            &format!("SELECT id FROM {table} WHERE {condition} ORDER BY id LIMIT 1"),
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("no {table} row where {condition}: {e}"))
}

/// The first column of every row a query returns (ids, mostly).
pub fn ids(store: &Store, sql: &str) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    stmt.query_map([], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn count(store: &Store, sql: &str) -> i64 {
    store
        .conn()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

/// Every synced table's rows in key order, one line per row: two databases
/// hold the same data exactly when their digests are equal.
#[allow(dead_code)]
pub fn synced_digest(store: &Store) -> Vec<(String, usize, String)> {
    digest_of(store.conn())
}

/// `synced_digest` of any database behind the seam (a PostgreSQL hub too).
#[allow(dead_code)]
pub fn digest_of(c: &dyn civitac::store::sql::Sql) -> Vec<(String, usize, String)> {
    use sha2::Digest;
    // The synced columns only: each database numbers its own search keys.
    let mut columns = civitac::store::synced::Columns::default();
    civitac::store::entity::Entity::SYNCED
        .iter()
        .map(|t| {
            let cols = columns.of(c, t.table()).expect("columns");
            let rows = c
                .rows(
                    &format!(
                        "SELECT {} FROM {} ORDER BY {}",
                        cols.join(", "),
                        t.table(),
                        t.key().join(", ")
                    ),
                    &[],
                )
                .expect("select");
            let mut hash = sha2::Sha256::new();
            for r in &rows {
                for i in 0..r.len() {
                    hash.update(format!("{:?}|", r.get_ref(i).expect("cell")).as_bytes());
                }
                hash.update(b"\n");
            }
            let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
            (t.table().to_owned(), rows.len(), digest)
        })
        .collect()
}

/// Every counter row, in a stable order.
pub fn counters(c: &rusqlite::Connection) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for sql in [
        "SELECT name, n FROM counters ORDER BY name",
        "SELECT region || '/' || status, n FROM org_stage_counts WHERE n <> 0 ORDER BY 1",
        "SELECT 'flags ' || day, n FROM flag_day_counts WHERE n <> 0 ORDER BY 1",
        "SELECT 'reach ' || group_id, n FROM sms_group_reach WHERE n <> 0 ORDER BY 1",
    ] {
        let mut stmt = c.prepare(sql).expect("counters");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("counters")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        out.extend(rows);
    }
    out
}

/// The counters that differ from the same counters counted over the whole
/// tables (the schema's own recount, run in a savepoint and rolled back):
/// "name: kept K, counted N", empty when all agree.
pub fn mismatches(c: &rusqlite::Connection) -> Vec<String> {
    let kept: std::collections::BTreeMap<String, i64> = counters(c).into_iter().collect();
    c.execute_batch("SAVEPOINT recount").expect("savepoint");
    c.execute_batch(civitac::store::counts_sql())
        .expect("recount");
    let counted: std::collections::BTreeMap<String, i64> = counters(c).into_iter().collect();
    c.execute_batch("ROLLBACK TO recount; RELEASE recount")
        .expect("rollback");
    let names: std::collections::BTreeSet<&String> = kept.keys().chain(counted.keys()).collect();
    names
        .into_iter()
        .filter(|n| kept.get(*n) != counted.get(*n))
        .map(|n| format!("{n}: kept {:?}, counted {:?}", kept.get(n), counted.get(n)))
        .collect()
}

/// A pull page saying gone the records `ids` of `entity`, at the
/// replica's own cursor (as a hub's feed would bring it next).
pub fn gone_page(store: &Store, entity: &str, ids: &[&str]) -> civitac::protocol::PullResponse {
    let cursor: String = store
        .conn()
        .query_row(
            "SELECT value FROM sync_state WHERE key = 'pull_cursor'",
            [],
            |r| r.get(0),
        )
        .expect("cursor");
    civitac::protocol::PullResponse {
        v: civitac::protocol::PROTOCOL_VERSION,
        rows: ids
            .iter()
            .map(|id| civitac::protocol::PulledRow {
                entity: entity.into(),
                id: (*id).into(),
                row: None,
            })
            .collect(),
        next: cursor.parse().expect("cursor"),
        more: false,
        snapshot: None,
        head: None,
        epoch: None,
        backed_up_until: None,
    }
}

pub mod hubs;
pub mod kannel;
pub mod link;
pub mod net;
pub mod pg;
pub mod world;

/// The search indexes agree with their tables (FTS5's own check against the
/// content), every searchable row has its key, and no snapshot is half done.
pub fn assert_search_index_whole(store: &Store) {
    for fts in ["organizations_fts", "forum_posts_fts", "uploads_fts"] {
        store
            .conn()
            .execute_batch(&format!(
                "INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)"
            ))
            .unwrap_or_else(|e| panic!("{fts} disagrees with its table: {e}"));
    }
    for table in ["organizations", "uploads", "forum_posts"] {
        assert_eq!(
            count(
                store,
                &format!("SELECT count(*) FROM {table} WHERE search_key IS NULL")
            ),
            0,
            "{table} rows without a search key"
        );
    }
    assert_eq!(
        count(
            store,
            "SELECT count(*) FROM sync_state WHERE key = 'bulk_load'"
        ),
        0
    );
}
