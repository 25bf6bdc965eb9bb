//! Sync benchmarks (numbers, not pass/fail), all on loopback in one run:
//! a first pull filling an empty replica from a scale-1 hub; 10,000 ops
//! pushed by one replica and pulled by another, with the bytes per op on the
//! wire compressed and uncompressed; next to the naive baseline of copying
//! the whole replica file over a socket. Each is printed beside its floor,
//! measured in the same run on copies of the same databases: a first fill
//! and a pull beside writing the same rows, already in memory, in one plain
//! transaction; a push beside the hub's writes for those ops (the record,
//! its audit row, its feed rows and the idempotency row) in one plain
//! transaction.
//!
//!   cargo bench --bench sync

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rusqlite::{Connection, MAIN_DB};

#[path = "support/replicas.rs"]
mod replicas;
use replicas::{fresh_replica, hide_then_restore, visible_posts};

use civitac::demo::{self, DemoOptions};
use civitac::domain::staff::Role;
use civitac::hub::backend::SqliteHub;
use civitac::hub::server::{Limits, RunningHub};
use civitac::hub::tokens;
use civitac::protocol::{Cursor, PullResponse};
use civitac::replica::session::{self, Sizes};
use civitac::store::entity::Entity;
use civitac::store::synced::{Columns, to_sql};
use civitac::store::{Side, Store};

/// A consistent copy of a database that this process has open, through
/// SQLite (never a file copy: closing its descriptor would drop our locks).
fn snapshot(store: &Store, to: &Path) {
    store
        .conn()
        .backup(MAIN_DB, to, None::<fn(rusqlite::backup::Progress)>)
        .expect("backup");
}

/// Every page the hub sends from `since`, read in-process: the rows in memory.
fn pages_from(hub_db: &Path, since: Cursor) -> Vec<PullResponse> {
    let conn = Connection::open(hub_db).expect("hub");
    civitac::store::register_functions(&conn).expect("functions");
    let mut out = Vec::new();
    let mut cursor = since;
    loop {
        let page = civitac::hub::feed::changes_since(&conn, &cursor, 5_000).expect("page");
        let more = page.more;
        cursor = page.next.clone();
        out.push(page);
        if !more {
            return out;
        }
    }
}

/// The floor of applying pulled rows: the same rows, from memory, each one
/// the replica's own upsert (or `DELETE`) in one transaction, on a
/// connection set up as the replica's. A snapshot's floor writes them as the
/// replica does (search numbering and counting after the rows, not per row).
fn insert_floor(db: &Path, pages: &[PullResponse], snapshot: bool) -> (f64, usize) {
    let mut store = Store::open(db).expect("db");
    let conn = store.conn_mut();
    let t = Instant::now();
    let tx = conn.transaction().expect("tx");
    tx.pragma_update(None, "defer_foreign_keys", "ON")
        .expect("fk");
    if snapshot {
        tx.execute_batch("INSERT INTO sync_state (key, value) VALUES ('bulk_load', '1')")
            .expect("bulk");
    }
    let mut columns = Columns::default();
    let mut n = 0;
    for page in pages {
        for pulled in &page.rows {
            let entity = Entity::parse(&pulled.entity).expect("entity");
            match &pulled.row {
                Some(row) => {
                    let (sql, cols) = columns.upsert(&tx, entity, row).expect("columns");
                    let values: Vec<_> = cols.iter().map(|c| to_sql(&row[c.as_str()])).collect();
                    tx.prepare_cached(&sql)
                        .expect("insert")
                        .execute(rusqlite::params_from_iter(values))
                        .expect("row");
                }
                None => {
                    let key = entity.key();
                    let parts: Vec<&str> = pulled.id.splitn(key.len(), '/').collect();
                    let wheres: Vec<String> = key.iter().map(|k| format!("{k} = ?")).collect();
                    tx.prepare_cached(&format!(
                        "DELETE FROM {} WHERE {}",
                        entity.table(),
                        wheres.join(" AND ")
                    ))
                    .expect("delete")
                    .execute(rusqlite::params_from_iter(parts))
                    .expect("delete row");
                }
            }
            n += 1;
        }
    }
    if snapshot {
        tx.execute_batch(civitac::store::search_keys_sql())
            .expect("keys");
        tx.execute_batch(civitac::store::counts_sql())
            .expect("counts");
        tx.execute_batch("DELETE FROM sync_state WHERE key = 'bulk_load'")
            .expect("bulk");
    }
    tx.commit().expect("commit");
    (t.elapsed().as_secs_f64(), n)
}

/// The floor of a push at the hub: for each moderation, the post updated,
/// its open flags resolved, an audit row, the feed rows (the post, each flag)
/// and the op's idempotency row, in one plain transaction on a connection
/// set up as the hub's (no JSON, no rules, no checks, no network).
fn push_floor(hub_copy: &Path, moves: &[(String, &str, &str)]) -> f64 {
    let mut store = Store::open(hub_copy).expect("hub copy");
    let conn = store.conn_mut();
    let t = Instant::now();
    let tx = conn.transaction().expect("tx");
    for (i, (post, status, reason)) in moves.iter().enumerate() {
        let op_id = format!("019a0000-0000-7000-8000-{i:012x}");
        let flags: Vec<String> = if *status == "hidden" {
            tx.prepare_cached(
                "UPDATE forum_flags SET resolved = 1 WHERE post_id = ?1 AND resolved = 0 RETURNING id",
            )
            .expect("flags")
            .query_map([post], |r| r.get(0))
            .expect("flags")
            .collect::<Result<_, _>>()
            .expect("flag ids")
        } else {
            Vec::new()
        };
        tx.prepare_cached(
            "UPDATE forum_posts SET status = ?2, moderated_by = 'bench.a', moderated_at = '2026-11-01T00:00:00.000Z',
                    reason = ?3, flag_count = flag_count - ?4, version = version + 1 WHERE id = ?1",
        )
        .expect("update")
        .execute(rusqlite::params![post, status, reason, flags.len() as i64])
        .expect("post");
        tx.prepare_cached(
            "INSERT INTO audit_log (id, at, actor, device, action, entity, entity_id, reason, detail)
             VALUES (?1, '2026-11-01T00:00:00.000Z', 'bench.a', 'a', 'forum.hide', 'forum_post', ?2, ?3,
                     '{\"before\":{\"status\":\"visible\"},\"after\":{\"status\":\"hidden\"}}')",
        )
        .expect("audit")
        .execute(rusqlite::params![op_id, post, reason])
        .expect("audit row");
        let mut feed = tx
            .prepare_cached("INSERT INTO changes (entity, entity_id) VALUES (?1, ?2)")
            .expect("feed");
        feed.execute(["forum_post", post]).expect("feed row");
        for flag in &flags {
            feed.execute(["forum_flag", flag]).expect("flag feed row");
        }
        feed.execute(["audit", &op_id]).expect("audit feed row");
        tx.prepare_cached(
            "INSERT INTO applied_ops (op_id, device, seq, outcome, received_at)
             VALUES (?1, 'a', ?2, 'applied', '2026-11-01T00:00:00.000Z')",
        )
        .expect("applied")
        .execute(rusqlite::params![op_id, i as i64 + 1])
        .expect("applied row");
    }
    tx.commit().expect("commit");
    t.elapsed().as_secs_f64()
}

/// The middle of three runs of a floor, each on a fresh copy: one run of a
/// few hundred milliseconds moves with whatever else the machine does.
fn median_of_three(mut run: impl FnMut(usize) -> f64) -> f64 {
    let mut times = [run(0), run(1), run(2)];
    times.sort_by(f64::total_cmp);
    times[1]
}

fn ratio(d: f64, floor: f64) -> String {
    format!("floor {floor:.2} s, ×{:.1}", d / floor.max(1e-9))
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / 1_048_576.0)
}

fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let as_of = "2026-11-01T00:00:00Z".parse().expect("date");
    demo::build(
        dir.path(),
        &DemoOptions {
            scale: 1.0,
            seed: 2026,
            as_of,
        },
    )
    .expect("demo");
    let hub_db = dir.path().join("hub.db");
    let (token_a, token_b) = {
        let h = Store::open(&hub_db).expect("hub");
        let a = tokens::issue(h.conn(), "bench.a", None, Role::Moderator, "a").expect("a");
        let b = tokens::issue(h.conn(), "bench.b", None, Role::Moderator, "b").expect("b");
        (a.1, b.1)
    };
    let backend = SqliteHub::open(&hub_db, dir.path().join("files"), 3).expect("backend");
    let hub = RunningHub::start(
        Arc::new(backend),
        "127.0.0.1:0".parse().expect("addr"),
        None,
        Limits::default(),
    )
    .expect("hub");
    let url = format!("http://{}", hub.addr);

    // 1. A first pull fills an empty replica, beside the same rows written
    // from memory into another empty replica.
    let (mut a, mut client_a) = fresh_replica(&dir.path().join("a.db"), &url, &token_a);
    let t = Instant::now();
    let first = session::sync(a.conn_mut(), &mut client_a, Sizes::default(), &mut |_| {})
        .expect("first pull");
    let first_secs = t.elapsed().as_secs_f64();
    let fill_floor = {
        let pages = pages_from(&hub_db, Cursor::Start);
        let rows = pages.iter().map(|p| p.rows.len()).sum::<usize>();
        let secs = median_of_three(|i| {
            let empty = dir.path().join(format!("floor-fill-{i}.db"));
            drop(Store::create(&empty, Side::Replica).expect("empty replica"));
            insert_floor(&empty, &pages, true).0
        });
        (secs, rows)
    };
    println!(
        "first pull (scale 1): {} rows in {first_secs:.2} s ({}: the same {} rows from memory); {} on the wire ({} before compression)",
        first.pulled,
        ratio(first_secs, fill_floor.0),
        fill_floor.1,
        mib(client_a.bytes_down),
        mib(client_a.plain_down)
    );
    let (mut b, mut client_b) = fresh_replica(&dir.path().join("b.db"), &url, &token_b);
    session::sync(b.conn_mut(), &mut client_b, Sizes::default(), &mut |_| {}).expect("b");

    // 2. 10,000 decisions on replica a: 5,000 posts hidden, then restored.
    let posts = visible_posts(&a, 5000);
    hide_then_restore(&mut a, &posts);
    // The push's floor, on a copy of the hub as it is before the push.
    let push_floor_secs = {
        let moves: Vec<(String, &str, &str)> = posts
            .iter()
            .map(|p| (p.clone(), "hidden", "Hors sujet"))
            .chain(posts.iter().map(|p| (p.clone(), "visible", "")))
            .collect();
        let hub = Store::open(&hub_db).expect("hub");
        median_of_three(|i| {
            let copy = dir.path().join(format!("floor-hub-{i}.db"));
            snapshot(&hub, &copy);
            push_floor(&copy, &moves)
        })
    };
    // The pull's floor: b as it is now, and the rows its pull will bring.
    let b_before = dir.path().join("floor-b.db");
    snapshot(&b, &b_before);
    let b_cursor = civitac::replica::pull::cursor(b.conn()).expect("cursor");
    let (up0, plain_up0) = (client_a.bytes_up, client_a.plain_up);
    let t = Instant::now();
    let mut pushed_at = None;
    let pushed = session::sync(a.conn_mut(), &mut client_a, Sizes::default(), &mut |p| {
        if matches!(p, session::Progress::Pulling { .. }) && pushed_at.is_none() {
            pushed_at = Some(t.elapsed().as_secs_f64());
        }
    })
    .expect("push");
    let sync_secs = t.elapsed().as_secs_f64();
    let push_secs = pushed_at.unwrap_or(sync_secs);
    let (up, plain_up) = (client_a.bytes_up - up0, client_a.plain_up - plain_up0);
    assert_eq!(pushed.applied, 10_000, "{pushed:?}");

    let (down0, plain_down0) = (client_b.bytes_down, client_b.plain_down);
    let t = Instant::now();
    let pulled =
        session::sync(b.conn_mut(), &mut client_b, Sizes::default(), &mut |_| {}).expect("pull");
    let pull_secs = t.elapsed().as_secs_f64();
    let (down, plain_down) = (
        client_b.bytes_down - down0,
        client_b.plain_down - plain_down0,
    );
    let pull_floor = {
        let pages = pages_from(&hub_db, b_cursor);
        let rows = pages.iter().map(|p| p.rows.len()).sum::<usize>();
        let secs = median_of_three(|i| {
            // b_before is a closed file (written by SQLite's backup), and no
            // connection of this process holds it: copying it is safe.
            let copy = dir.path().join(format!("floor-b-{i}.db"));
            std::fs::copy(&b_before, &copy).expect("copy");
            insert_floor(&copy, &pages, false).0
        });
        (secs, rows)
    };
    println!(
        "10,000 ops pushed by a in {push_secs:.2} s ({}; the whole sync, with the pull of its own changes back, {sync_secs:.2} s); pulled by b ({} rows) in {pull_secs:.2} s ({}: the same {} rows from memory)",
        ratio(push_secs, push_floor_secs),
        pulled.pulled,
        ratio(pull_secs, pull_floor.0),
        pull_floor.1
    );
    println!(
        "  push: {:.0} bytes/op compressed (zstd), {:.0} uncompressed",
        up as f64 / 10_000.0,
        plain_up as f64 / 10_000.0
    );
    println!(
        "  pull: {:.0} bytes/op compressed, {:.0} uncompressed",
        down as f64 / 10_000.0,
        plain_down as f64 / 10_000.0
    );

    // 3. The naive baseline: the whole replica file through a loopback socket.
    drop(b);
    let file = dir.path().join("b.db");
    let bytes = std::fs::read(&file).expect("read");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let t = Instant::now();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut got = Vec::new();
        s.read_to_end(&mut got).expect("read");
        got.len()
    });
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(&bytes).expect("send");
    drop(s);
    let got = reader.join().expect("reader");
    let copy_secs = t.elapsed().as_secs_f64();
    let packed = zstd::encode_all(&bytes[..], 3).expect("zstd").len() as u64;
    println!(
        "baseline, copying the replica file: {} ({} zstd) in {copy_secs:.2} s on loopback; per op of the 10,000: {:.0} bytes ({:.0} zstd)",
        mib(got as u64),
        mib(packed),
        got as f64 / 10_000.0,
        packed as f64 / 10_000.0
    );
}
