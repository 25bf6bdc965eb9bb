//! Sync benchmarks (numbers, not pass/fail), all on loopback in one run:
//! a first pull filling an empty replica from a scale-1 hub; 10,000 ops
//! pushed by one replica and pulled by another, with the bytes per op on the
//! wire compressed and uncompressed; next to the naive baseline of copying
//! the whole replica file over a socket.
//!
//!   cargo bench --bench sync

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use civitac::demo::{self, DemoOptions};
use civitac::domain::forum::{PostAction, PostStatus};
use civitac::domain::staff::Role;
use civitac::hub::backend::SqliteHub;
use civitac::hub::server::{Limits, RunningHub};
use civitac::hub::tokens;
use civitac::ops::{self, Op};
use civitac::replica::session::{self, Sizes};
use civitac::replica::transport::HubClient;
use civitac::store::{Side, Store};

/// An empty replica attached to the hub as the token's owner.
fn fresh_replica(path: &Path, url: &str, token: &str) -> (Store, HubClient) {
    let mut client = HubClient::new(url, token, None).expect("client");
    let me = client.whoami().expect("whoami");
    let mut store = Store::create(path, Side::Replica).expect("replica");
    session::attach(store.conn_mut(), &me, url).expect("identity");
    (store, client)
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

    // 1. A first pull fills an empty replica.
    let (mut a, mut client_a) = fresh_replica(&dir.path().join("a.db"), &url, &token_a);
    let t = Instant::now();
    let first = session::sync(a.conn_mut(), &mut client_a, Sizes::default(), &mut |_| {})
        .expect("first pull");
    let first_secs = t.elapsed().as_secs_f64();
    println!(
        "first pull (scale 1): {} rows in {first_secs:.2} s; {} on the wire ({} before compression)",
        first.pulled,
        mib(client_a.bytes_down),
        mib(client_a.plain_down)
    );
    let (mut b, mut client_b) = fresh_replica(&dir.path().join("b.db"), &url, &token_b);
    session::sync(b.conn_mut(), &mut client_b, Sizes::default(), &mut |_| {}).expect("b");

    // 2. 10,000 decisions on replica a: 5,000 posts hidden, then restored.
    let actor = a.owner().expect("owner").expect("owner");
    let posts: Vec<String> = {
        let mut stmt = a
            .conn()
            .prepare("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 5000")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    assert_eq!(posts.len(), 5000);
    {
        let tx = a.transaction().expect("tx");
        for (action, seen) in [
            (PostAction::Hide, PostStatus::Visible),
            (PostAction::Restore, PostStatus::Hidden),
        ] {
            for p in &posts {
                let op = Op::ModeratePost {
                    post_id: p.clone(),
                    seen_status: seen,
                    action,
                    reason: (action == PostAction::Hide).then(|| "Hors sujet".to_owned()),
                };
                ops::apply(&tx, &actor, &op).expect("op");
            }
        }
        tx.commit().expect("commit");
    }
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
    println!(
        "10,000 ops pushed by a in {push_secs:.2} s (the whole sync, with the pull of its own changes back, {sync_secs:.2} s); pulled by b ({} rows) in {pull_secs:.2} s",
        pulled.pulled
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
