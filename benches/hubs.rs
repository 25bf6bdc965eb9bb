//! The hub on PostgreSQL beside the hub on SQLite, in one run, on loopback
//! (numbers, not pass/fail): the first fill of an empty replica from a
//! scale-1 hub; 10,000 ops pushed (two replicas, 5,000 each, at the same
//! time) and pulled by a third replica. Three hubs, each from the same
//! scale-1 world: SQLite; PostgreSQL with one hub process; PostgreSQL with
//! two hub processes (each pushing replica talks to its own, the puller to
//! either). PostgreSQL runs durably (fsync on), as SQLite does (FULL).
//!
//!   cargo bench --bench hubs
//!
//! Needs PostgreSQL's server programs (initdb, pg_ctl); as root it runs
//! the cluster as `nobody`.

#[path = "../tests/common/pg.rs"]
mod pg;
#[path = "support/replicas.rs"]
mod replicas;
use replicas::{fresh_replica, hide_then_restore, visible_posts};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use civitac::demo::{self, DemoOptions};
use civitac::domain::staff::Role;
use civitac::hub::backend::SqliteHub;
use civitac::hub::pg::PgHub;
use civitac::hub::pg::conn::{PgConn, round_trips, statements_sent};
use civitac::hub::server::{Limits, RunningHub};
use civitac::hub::tokens;
use civitac::replica::session::{self, Sizes};
use civitac::replica::transport::HubClient;
use civitac::store::Store;

/// A hub serving in this process (so its statements can be counted).
struct Serve(#[allow(dead_code)] RunningHub, String);

impl Serve {
    fn sqlite(db: &Path, files: &Path) -> Serve {
        let backend = SqliteHub::open(db, files.to_owned(), 3).expect("sqlite hub");
        Self::start(Arc::new(backend))
    }

    fn postgres(url: &str, files: &Path) -> Serve {
        let backend = PgHub::open(url, files.to_owned(), 3, 8).expect("postgres hub");
        Self::start(Arc::new(backend))
    }

    fn start(backend: Arc<dyn civitac::hub::backend::HubBackend>) -> Serve {
        let hub = RunningHub::start(
            backend,
            "127.0.0.1:0".parse().expect("addr"),
            None,
            Limits::default(),
        )
        .expect("hub");
        let url = format!("http://{}", hub.addr);
        Serve(hub, url)
    }
}

fn sync(store: &mut Store, client: &mut HubClient) -> session::Summary {
    session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {}).expect("sync")
}

/// What PostgreSQL itself spent executing a push's statements, from
/// `pg_stat_statements` (reset before the push): its total, and the costliest
/// statements. Waiting for the write lock (another push holding it) is not
/// execution and is left out.
struct ServerTime {
    total: f64,
    top: Vec<(String, f64, i64)>,
}

/// The statistics of the database behind `url` (its own, not the cluster's).
const OWN_STATEMENTS: &str = "FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT LIKE '%pg_advisory_xact_lock%' AND query NOT LIKE '%pg_stat_statements%'";

fn reset_server_time(url: &str) {
    let c = PgConn::connect(url).expect("connect");
    c.sql()
        .exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", &[])
        .expect("extension");
    c.sql()
        .query_row("SELECT pg_stat_statements_reset()::text", (), |r| {
            r.get::<String>(0)
        })
        .expect("reset");
}

fn server_time(url: &str) -> ServerTime {
    let c = PgConn::connect(url).expect("connect");
    let total = c
        .sql()
        .query_row(
            &format!("SELECT COALESCE(sum(total_exec_time), 0) / 1000 {OWN_STATEMENTS}"),
            (),
            |r| r.get::<f64>(0),
        )
        .expect("server time");
    let top = c
        .sql()
        .query_map(
            &format!(
                "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 40), total_exec_time / 1000, calls
                 {OWN_STATEMENTS} ORDER BY total_exec_time DESC LIMIT 3"
            ),
            (),
            |r| Ok((r.get::<String>(0)?, r.get::<f64>(1)?, r.get::<i64>(2)?)),
        )
        .expect("statements")
        .collect::<Result<_, _>>()
        .expect("statements");
    ServerTime { total, top }
}

struct Figures {
    /// Statements sent to PostgreSQL during the push.
    statements: u64,
    /// PostgreSQL's own time in the push, when the server counts it.
    server: Option<ServerTime>,
    /// Times the hub waited for PostgreSQL's answers during the push.
    round_trips: u64,
    fill: f64,
    fill_rows: usize,
    push: f64,
    pull: f64,
    pulled: usize,
}

/// The run on one hub set-up: `urls` are its hub processes (the pushing
/// replicas use the first and the last); `timed`: the PostgreSQL database
/// whose own time is measured.
fn run(
    dir: &Path,
    name: &str,
    urls: &[String],
    tokens: &[String; 3],
    timed: Option<&str>,
) -> Figures {
    let path = |r: &str| dir.join(format!("{name}-{r}.db"));
    let (mut a, mut ca) = fresh_replica(&path("a"), &urls[0], &tokens[0]);
    let t = Instant::now();
    let first = sync(&mut a, &mut ca);
    let fill = t.elapsed().as_secs_f64();
    let (mut b, mut cb) = fresh_replica(&path("b"), &urls[urls.len() - 1], &tokens[1]);
    sync(&mut b, &mut cb);
    let (mut c, mut cc) = fresh_replica(&path("c"), &urls[0], &tokens[2]);
    sync(&mut c, &mut cc);
    let posts = visible_posts(&a, 5000);
    hide_then_restore(&mut a, &posts[..2500]);
    hide_then_restore(&mut b, &posts[2500..]);
    if let Some(db) = timed {
        reset_server_time(db);
    }
    let t = Instant::now();
    let sent = statements_sent();
    let waited = round_trips();
    let (ra, rb) = std::thread::scope(|s| {
        let ta = s.spawn(|| sync(&mut a, &mut ca));
        let tb = s.spawn(|| sync(&mut b, &mut cb));
        (ta.join().expect("a"), tb.join().expect("b"))
    });
    let push = t.elapsed().as_secs_f64();
    let statements = statements_sent() - sent;
    let round_trips = round_trips() - waited;
    let server = timed.map(server_time);
    assert_eq!(ra.applied + rb.applied, 10_000, "{ra:?} {rb:?}");
    let t = Instant::now();
    let pulled = sync(&mut c, &mut cc);
    let pull = t.elapsed().as_secs_f64();
    Figures {
        statements,
        server,
        round_trips,
        fill,
        fill_rows: first.pulled,
        push,
        pull,
        pulled: pulled.pulled,
    }
}

fn main() {
    let cluster = match pg::Cluster::start_with(true) {
        Ok(c) => c,
        Err(why) => {
            eprintln!("no PostgreSQL here, nothing measured: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().expect("dir");
    let as_of = "2026-11-01T00:00:00Z".parse().expect("date");
    demo::build(
        &dir.path().join("world"),
        &DemoOptions {
            scale: 1.0,
            seed: 2026,
            as_of,
        },
    )
    .expect("demo");
    let world = dir.path().join("world/hub.db");
    let files = dir.path().join("world/files");
    let tokens: [String; 3] = {
        let h = Store::open(&world).expect("hub");
        ["a", "b", "c"].map(|d| {
            tokens::issue(h.conn(), &format!("bench.{d}"), None, Role::Moderator, d)
                .expect("token")
                .1
        })
    };
    // Three copies of the same world: one file, two PostgreSQL databases.
    let sqlite: PathBuf = dir.path().join("sqlite/hub.db");
    std::fs::create_dir_all(sqlite.parent().expect("dir")).expect("dir");
    {
        let h = Store::open(&world).expect("hub");
        h.conn()
            .backup(
                rusqlite::MAIN_DB,
                &sqlite,
                None::<fn(rusqlite::backup::Progress)>,
            )
            .expect("copy");
    }
    let mut urls = Vec::new();
    for _ in 0..2 {
        let url = cluster.database();
        let t = Instant::now();
        civitac::hub::pg::migrate::migrate(&world, &url, &files).expect("migrate");
        eprintln!(
            "migrated the scale-1 hub in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        urls.push(url);
    }

    let figures = {
        let hub = Serve::sqlite(&sqlite, &files);
        let f = run(
            dir.path(),
            "sqlite",
            std::slice::from_ref(&hub.1),
            &tokens,
            None,
        );
        drop(hub);
        let timed = |i: usize| cluster.timed.then_some(urls[i].as_str());
        let one = Serve::postgres(&urls[0], &files);
        let g = run(
            dir.path(),
            "pg1",
            std::slice::from_ref(&one.1),
            &tokens,
            timed(0),
        );
        drop(one);
        let (x, y) = (
            Serve::postgres(&urls[1], &files),
            Serve::postgres(&urls[1], &files),
        );
        let h = run(
            dir.path(),
            "pg2",
            &[x.1.clone(), y.1.clone()],
            &tokens,
            timed(1),
        );
        [
            ("SQLite, one hub", f),
            ("PostgreSQL, one hub", g),
            ("PostgreSQL, two hubs", h),
        ]
    };
    // One round trip to this PostgreSQL, the unit a push pays per statement.
    let rtt = {
        let c = PgConn::connect(&urls[0]).expect("connect");
        let n = 2_000;
        let t = Instant::now();
        for _ in 0..n {
            c.sql()
                .query_row("SELECT 1", (), |r| r.get::<i64>(0))
                .expect("select 1");
        }
        t.elapsed().as_secs_f64() / f64::from(n)
    };
    cluster.stop();
    let base = &figures[0].1;
    println!(
        "hub storage: first fill of scale 1, 10,000 ops pushed (2 replicas at once) and pulled"
    );
    for (name, f) in &figures {
        println!(
            "  {name:<22} fill {:>5.2} s ({} rows, ×{:.2} SQLite)   push {:>5.2} s (×{:.2})   pull {:>5.2} s ({} rows, ×{:.2})",
            f.fill,
            f.fill_rows,
            f.fill / base.fill,
            f.push,
            f.push / base.push,
            f.pull,
            f.pulled,
            f.pull / base.pull
        );
    }
    let (one, two) = (&figures[1].1, &figures[2].1);
    let per_op = one.statements as f64 / 10_000.0;
    let waits = one.round_trips as f64 / 10_000.0;
    println!(
        "  a PostgreSQL push: {per_op:.1} statements and {waits:.1} round trips per op (writes travel with the next read; {:.0} µs for SELECT 1 here): floor {:.2} s for 10,000, the push took ×{:.2} of it",
        rtt * 1e6,
        waits * rtt * 10_000.0,
        one.push / (waits * rtt * 10_000.0)
    );
    // Where a PostgreSQL push's time goes: waiting for answers (a SELECT 1
    // each), the server's own execution, and what is left: the hub's own
    // work, which the SQLite push pays too (its whole push, for scale).
    match &one.server {
        Some(server) => {
            let waiting = waits * rtt * 10_000.0;
            println!(
                "  where the PostgreSQL push's {:.2} s go: {waiting:.2} s waiting for answers, {:.2} s PostgreSQL executing ({:.0} µs per op; alone ×{:.2} of the SQLite push), {:.2} s the rest (SQLite's whole push: {:.2} s)",
                one.push,
                server.total,
                server.total / 10_000.0 * 1e6,
                server.total / base.push,
                one.push - waiting - server.total,
                base.push
            );
            for (query, secs, calls) in &server.top {
                println!(
                    "    {:>5.2} s  {calls:>6} × {:>5.1} µs  {query}…",
                    secs,
                    secs / *calls as f64 * 1e6
                );
            }
        }
        None => {
            println!("  PostgreSQL's own time not measured (pg_stat_statements is not installed)")
        }
    }
    println!(
        "  two PostgreSQL hubs against one: push ×{:.2}, pull ×{:.2} (below 1: faster); goal: PostgreSQL within ×2 of SQLite on one hub",
        two.push / one.push,
        two.pull / one.pull
    );
}
