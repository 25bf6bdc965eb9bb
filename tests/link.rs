//! The link simulator (`common::link`) does what it says: each direction at
//! its own bandwidth, half a round trip per chunk, and cuts that stop a
//! request or an answer halfway. Then a sync through it: a push cut inside
//! its request applies nothing, a first fill cut inside an answer keeps the
//! pages before and completes on the next sync.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::link::{Link, Profile};
use common::net::{HubProcess, Replica, demo_hub, issue};
use common::*;

/// A server that answers "N\n" with N bytes, and "up\n" followed by bytes
/// until the sender closes its side with how many it read.
fn byte_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || serve(conn));
        }
    });
    addr
}

fn serve(mut conn: TcpStream) {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while conn.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&line).into_owned();
    if line == "up" {
        let mut sink = Vec::new();
        let _ = conn.read_to_end(&mut sink);
        let _ = conn.write_all(format!("{}\n", sink.len()).as_bytes());
    } else if let Ok(n) = line.parse::<usize>() {
        let _ = conn.write_all(&vec![b'x'; n]);
    }
}

const STEADY: Profile = Profile {
    name: "steady",
    down: 20_000,
    up: 10_000,
    rtt_ms: 200,
    jitter_ms: 0,
    cut_every: None,
};

fn download(link: &Link, n: usize) -> (usize, Duration) {
    let t = Instant::now();
    let mut conn = TcpStream::connect(link.url.trim_start_matches("http://")).expect("connect");
    conn.write_all(format!("{n}\n").as_bytes()).expect("ask");
    let mut got = Vec::new();
    let _ = conn.read_to_end(&mut got);
    (got.len(), t.elapsed())
}

#[test]
fn each_direction_has_its_bandwidth_and_latency_and_a_cut_stops_a_transfer_halfway() {
    let server = byte_server();
    let link = Link::start(&server, STEADY, 1);

    // 20,000 bytes down at 20,000 B/s: about a second, plus half a round trip
    // each way for the question and the first bytes.
    let (got, took) = download(&link, 20_000);
    assert_eq!(got, 20_000);
    assert!(
        took >= Duration::from_millis(1_100) && took < Duration::from_millis(2_500),
        "{took:?}"
    );

    // 10,000 bytes up at 10,000 B/s: about a second too.
    let t = Instant::now();
    let mut conn = TcpStream::connect(link.url.trim_start_matches("http://")).expect("connect");
    conn.write_all(b"up\n").expect("say");
    conn.write_all(&[b'y'; 10_000]).expect("send");
    conn.shutdown(std::net::Shutdown::Write)
        .expect("half close");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert_eq!(answer.trim(), "10000");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1_000) && took < Duration::from_millis(2_500),
        "{took:?}"
    );

    // A one-byte question and answer take a round trip.
    let (got, took) = download(&link, 1);
    assert_eq!(got, 1);
    assert!(took >= Duration::from_millis(200), "{took:?}");

    // A cut after 5,000 bytes: the answer stops there, the link says so.
    link.cut_after(5_000);
    let (got, _) = download(&link, 20_000);
    assert!(got > 0 && got < 5_000, "{got} bytes before the cut");
    assert_eq!(link.cuts(), 1);
    let (up, down) = link.bytes();
    assert!(up > 0 && down >= 20_000 + got as u64, "{up} {down}");
}

#[test]
fn random_cuts_follow_the_seed() {
    let server = byte_server();
    let cuts = |seed: u64| {
        let link = Link::start(
            &server,
            Profile {
                name: "cutting",
                down: 10_000_000,
                up: 10_000_000,
                rtt_ms: 0,
                jitter_ms: 0,
                cut_every: Some(20_000),
            },
            seed,
        );
        (0..12)
            .map(|_| download(&link, 30_000).0)
            .collect::<Vec<_>>()
    };
    let a = cuts(7);
    assert_eq!(a, cuts(7), "the same seed, the same cuts");
    assert!(
        a.iter().any(|&n| n < 30_000),
        "some transfers are cut: {a:?}"
    );
    assert_ne!(a, cuts(8));
}

/// A replica logged in through `link`, not yet filled.
fn attached(root: &std::path::Path, db: &std::path::Path, link: &Link) -> Replica {
    let r = Replica::new(root, "r");
    r.assert_cmd()
        .args(["login", "--no-sync", "--hub", &link.url])
        .env(
            "CIVITAC_TOKEN",
            issue(db, "test.awa", "moderator", "laptop-a"),
        )
        .assert()
        .success();
    r
}

/// Fast, but cut when told.
const CUTTABLE: Profile = Profile {
    name: "cuttable",
    down: 50_000_000,
    up: 50_000_000,
    rtt_ms: 0,
    jitter_ms: 0,
    cut_every: None,
};

#[test]
fn a_push_cut_inside_its_request_applies_nothing_and_a_fill_cut_inside_an_answer_resumes() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let link = Link::start(&hub.url, CUTTABLE, 3);
    let r = attached(dir.path(), &db, &link);

    // The first fill, cut inside an answer: the pages written stay, the
    // next sync completes it.
    link.cut_after(150_000);
    let failed = r
        .cmd()
        .args(["sync", "--retries", "0"])
        .output()
        .expect("runs");
    assert!(
        !failed.status.success(),
        "the cut is reported: {} cuts, {:?} bytes, {}",
        link.cuts(),
        link.bytes(),
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(link.cuts(), 1);
    let (_, down) = link.bytes();
    assert!(down < 150_000, "{down}");
    let partial = count(&r.store(), "SELECT count(*) FROM forum_posts");
    r.sync();
    let h = open(&db);
    let whole = count(&h, "SELECT count(*) FROM forum_posts");
    assert!(partial < whole, "{partial} of {whole} before the cut");
    assert_eq!(synced_digest(&r.store()), synced_digest(&h));

    // A push cut inside its request: the hub never has the whole request,
    // so nothing of it is applied; the next sync applies each op once.
    let queued = r.hide_flagged();
    let (up_before, _) = link.bytes();
    link.cut_after(400);
    let failed = r
        .cmd()
        .args(["sync", "--retries", "0"])
        .output()
        .expect("runs");
    assert!(!failed.status.success(), "the cut is reported");
    assert_eq!(link.cuts(), 2);
    let (up, _) = link.bytes();
    assert!(up > up_before && up - up_before <= 400, "{up_before} {up}");
    let applied = |store: &civitac::store::Store| {
        count(
            store,
            "SELECT count(*) FROM audit_log WHERE action = 'post.hide' AND actor = 'test.awa'",
        )
    };
    assert_eq!(
        applied(&open(&db)),
        0,
        "nothing of a cut request is applied"
    );
    let summary = r.sync();
    assert_eq!(summary["applied"].as_i64(), Some(queued), "{summary}");
    // The whole push took more than the 400 bytes the cut let through: the
    // cut was inside it.
    assert!(link.bytes().0 - up > 400, "{:?}", link.bytes());
    assert_eq!(applied(&open(&db)), queued);
    assert_eq!(synced_digest(&r.store()), synced_digest(&open(&db)));
}

/// Cut every 80 KB on average: a fill of about 450 KB meets several cuts.
/// Each cut comes after some pages were written, so the retries start
/// counting again and the sync gets through with `--retries 2`.
#[test]
fn a_first_fill_over_a_link_that_keeps_cutting_gets_through() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let link = Link::start(
        &hub.url,
        Profile {
            name: "cutting",
            down: 50_000_000,
            up: 50_000_000,
            rtt_ms: 0,
            jitter_ms: 0,
            cut_every: Some(80_000),
        },
        11,
    );
    let r = attached(dir.path(), &db, &link);
    let out = r
        .cmd()
        .args(["sync", "--json", "--retries", "2"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{} cuts: {}",
        link.cuts(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(link.cuts() >= 3, "{} cuts", link.cuts());
    assert_eq!(synced_digest(&r.store()), synced_digest(&open(&db)));
}

/// The gauge's figures: bytes moved so far and a time left that comes
/// true, for a first fill (by its rows) and a push (by its ops).
#[test]
fn a_sync_in_progress_says_the_bytes_moved_and_a_time_left_that_comes_true() {
    use civitac::protocol::remote::Remote;
    use civitac::replica::session::{self, Progress, Sizes};
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    // About 200 KB/s: a fill of some 450 KB takes a few seconds.
    let slow = Profile {
        name: "slow",
        down: 200_000,
        up: 200_000,
        rtt_ms: 20,
        jitter_ms: 0,
        cut_every: None,
    };
    let link = Link::start(&hub.url, slow, 5);
    let token = issue(&db, "test.awa", "moderator", "laptop-g");
    let mut client =
        civitac::replica::transport::HubClient::new(&link.url, &token, None).expect("client");
    let me = client.whoami().expect("whoami");
    let mut store =
        civitac::store::Store::create(&dir.path().join("g.db"), civitac::store::Side::Replica)
            .expect("replica");
    session::attach(store.conn_mut(), &me, &link.url).expect("attach");

    let start = Instant::now();
    let mut seen: Vec<(Duration, u64, Option<Duration>)> = Vec::new();
    session::sync(store.conn_mut(), &mut client, Sizes::default(), &mut |p| {
        if let Progress::Pulling { bytes, left, .. } = p {
            seen.push((start.elapsed(), bytes, left));
        }
    })
    .expect("first fill");
    let took = start.elapsed();
    assert!(seen.len() >= 4, "{seen:?}");
    let (_, down) = client.traffic();
    assert!(
        seen.windows(2).all(|w| w[0].1 <= w[1].1),
        "bytes only grow: {seen:?}"
    );
    assert!(seen.last().expect("seen").1 <= client.traffic().0 + down);
    assert!(seen.last().expect("seen").1 > down / 2, "{seen:?} {down}");
    // Along the way the time left shrinks, and from a third of the way on it
    // is within a factor of four (and a second) of what it turned out to be (rows differ in
    // size from table to table, so by rows it can only be rough).
    let lefts: Vec<(Duration, Duration)> = seen
        .iter()
        .filter_map(|&(at, _, left)| left.map(|l| (at, l)))
        .collect();
    assert!(
        lefts
            .windows(2)
            .all(|w| w[1].1 <= w[0].1 + Duration::from_millis(300)),
        "{lefts:?}"
    );
    for &(at, left) in lefts.iter().skip(lefts.len() / 3) {
        let actual = took.saturating_sub(at).as_secs_f64();
        assert!(
            left.as_secs_f64() <= actual * 4.0 + 1.0 && left.as_secs_f64() >= actual / 4.0 - 1.0,
            "said {left:?} at {at:?}, took {actual:.2} s more: {seen:?}"
        );
    }
    drop(store);

    // A push in small batches: the time left by ops.
    let mut store = civitac::store::Store::open(&dir.path().join("g.db")).expect("open");
    let actor = store.owner().expect("owner").expect("attached");
    {
        let ids: Vec<String> = ids(
            &store,
            "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 60",
        );
        let tx = store.conn_mut().transaction().expect("tx");
        for id in ids {
            civitac::ops::apply(
                &tx,
                &actor,
                &civitac::ops::Op::ModeratePost {
                    post_id: id,
                    seen_status: civitac::domain::forum::PostStatus::Visible,
                    action: civitac::domain::forum::PostAction::Hide,
                    reason: Some("Spam".into()),
                },
            )
            .expect("hide");
        }
        tx.commit().expect("commit");
    }
    let mut pushing = Vec::new();
    let sizes = Sizes {
        push_batch: 10,
        ..Sizes::default()
    };
    session::sync(store.conn_mut(), &mut client, sizes, &mut |p| {
        if let Progress::Pushing { done, left, .. } = p {
            pushing.push((done, left));
        }
    })
    .expect("push");
    assert!(pushing.len() > 2, "{pushing:?}");
    assert!(
        pushing[1].1.is_some(),
        "a time left after the first batch: {pushing:?}"
    );
    assert_eq!(pushing.last().expect("last"), &(60, Some(Duration::ZERO)));
}
