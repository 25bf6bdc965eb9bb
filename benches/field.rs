//! Field conditions (numbers, not pass/fail): syncs through the link
//! simulator of the tests (`tests/common/link.rs`), each beside its floor —
//! the bytes the sync moved over the link divided by the link's bandwidth
//! (up and down one after the other, as a sync's requests and answers go).
//!
//! (a) A day's field work: 300 decisions pushed, and the platform's 3,000 new
//!     posts and flags pulled, by a replica already filled.
//! (b) With `CIVITAC_BENCH_FILL=1`: the first fill of a scale-1 replica
//!     (about 2.3 MiB on the wire: some eight minutes on 2G).
//!
//!   cargo bench --bench field                       # 2g
//!   CIVITAC_BENCH_LINK=3g-poor cargo bench --bench field

#[path = "../tests/common/link.rs"]
mod link;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use civitac::demo::{self, DemoOptions};
use civitac::domain::forum::{PostAction, PostStatus};
use civitac::domain::staff::Role;
use civitac::hub::backend::SqliteHub;
use civitac::hub::server::{Limits, RunningHub};
use civitac::hub::tokens;
use civitac::ops::{self, Op};
use civitac::replica::session::{self, Sizes, Summary};
use civitac::replica::transport::HubClient;
use civitac::store::{Side, Store};

/// An empty replica attached to the hub (at `url`) as the token's owner.
fn replica(path: &Path, url: &str, token: &str) -> (Store, HubClient) {
    let mut client = HubClient::new(url, token, None).expect("client");
    let me = client.whoami().expect("whoami");
    let mut store = Store::create(path, Side::Replica).expect("replica");
    session::attach(store.conn_mut(), &me, url).expect("identity");
    (store, client)
}

/// A sync as `civitac sync` runs it: after a temporary failure (a cut), the
/// next attempt after a second; the summary covers every attempt.
fn sync_through(store: &mut Store, client: &mut HubClient) -> (Summary, Duration, usize) {
    let t = Instant::now();
    let mut summary = Summary::default();
    let mut failures = 0;
    loop {
        match session::sync_into(
            store.conn_mut(),
            client,
            Sizes::default(),
            &mut |_| {},
            &mut summary,
        ) {
            Ok(()) => return (summary, t.elapsed(), failures),
            Err(e) if e.is_temporary() && failures < 100 => {
                failures += 1;
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => panic!("sync: {e}"),
        }
    }
}

/// The platform's day: 2,400 posts in 120 threads and 600 flags, as JSON
/// lines.
fn platform_day() -> String {
    let mut lines = Vec::new();
    for i in 0..2_400 {
        lines.push(format!(
            r#"{{"type":"post","id":"field-post-{i}","thread":{{"id":"field-thread-{}","title":"Forage du secteur {}"}},"author":{{"id":"field-citizen-{}","name":"Citoyen {}"}},"body":"Le forage du secteur {} est en panne depuis trois jours ; les femmes vont chercher l'eau au marigot. Merci de transmettre à la mairie.","created_at":"2026-11-30T{:02}:{:02}:00Z"}}"#,
            i % 120,
            i % 120,
            i % 700,
            i % 700,
            i % 40,
            6 + i / 200,
            i % 60
        ));
    }
    for i in 0..600 {
        lines.push(format!(
            r#"{{"type":"flag","post_id":"field-post-{}","reporter":"field-reporter-{i}","reason":"spam","created_at":"2026-11-30T18:{:02}:00Z"}}"#,
            i * 4,
            i % 60
        ));
    }
    lines.join("\n")
}

/// A sync through the link, with what it moved and its floor.
struct Run {
    summary: Summary,
    took: Duration,
    failures: usize,
    up: u64,
    down: u64,
    cuts: u64,
    floor: Duration,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} s (floor {:.1} s, ×{:.2}: {} up, {} down over the link); {} cuts, {} retries",
            self.took.as_secs_f64(),
            self.floor.as_secs_f64(),
            self.took.as_secs_f64() / self.floor.as_secs_f64().max(1e-9),
            kib(self.up),
            kib(self.down),
            self.cuts,
            self.failures
        )
    }
}

/// Runs `sync` and measures it on `link`: the floor is the bytes it moved
/// divided by the link's bandwidth, up and down one after the other.
fn measured(
    link: &link::Link,
    profile: link::Profile,
    sync: impl FnOnce() -> (Summary, Duration, usize),
) -> Run {
    let (up0, down0) = link.bytes();
    let cuts0 = link.cuts();
    let (summary, took, failures) = sync();
    let (up, down) = link.bytes();
    let (up, down) = (up - up0, down - down0);
    Run {
        summary,
        took,
        failures,
        up,
        down,
        cuts: link.cuts() - cuts0,
        floor: Duration::from_secs_f64(
            up as f64 / profile.up as f64 + down as f64 / profile.down as f64,
        ),
    }
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

fn main() {
    let profile = std::env::var("CIVITAC_BENCH_LINK")
        .ok()
        .and_then(|n| link::profile(&n))
        .unwrap_or(link::TWO_G);
    let dir = tempfile::tempdir().expect("dir");
    demo::build(
        dir.path(),
        &DemoOptions {
            scale: 1.0,
            seed: 2026,
            as_of: "2026-11-01T00:00:00Z".parse().expect("date"),
        },
    )
    .expect("demo");
    let hub_db = dir.path().join("hub.db");
    let token = {
        let h = Store::open(&hub_db).expect("hub");
        tokens::issue(h.conn(), "field.a", None, Role::Moderator, "field-laptop")
            .expect("token")
            .1
    };
    let backend = Arc::new(SqliteHub::open(&hub_db, dir.path().join("files"), 3).expect("hub"));
    let hub = RunningHub::start(
        backend,
        "127.0.0.1:0".parse().expect("addr"),
        None,
        Limits::default(),
    )
    .expect("hub");
    let direct = format!("http://{}", hub.addr);
    let link = link::Link::start(&direct, profile, 2026);
    println!(
        "link {}: {} B/s down, {} B/s up, {} ms round trip (± {} ms), a cut every {}",
        profile.name,
        profile.down,
        profile.up,
        profile.rtt_ms,
        profile.jitter_ms,
        profile.cut_every.map_or("never".to_owned(), kib)
    );

    // (a) Filled at the office (loopback), then a day in the field.
    let (mut store, mut office) = replica(&dir.path().join("a.db"), &direct, &token);
    session::sync(store.conn_mut(), &mut office, Sizes::default(), &mut |_| {})
        .expect("filled at the office");
    let actor = store.owner().expect("owner").expect("owner");
    let posts: Vec<String> = store
        .conn()
        .prepare("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 300")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("ids");
    {
        let tx = store.transaction().expect("tx");
        for p in &posts {
            let op = Op::ModeratePost {
                post_id: p.clone(),
                seen_status: PostStatus::Visible,
                action: PostAction::Hide,
                reason: Some("Hors sujet".into()),
            };
            ops::apply(&tx, &actor, &op).expect("op");
        }
        tx.commit().expect("commit");
    }
    {
        let mut h = Store::open(&hub_db).expect("hub");
        civitac::hub::ingest::ingest(h.conn_mut(), platform_day().as_bytes(), 3)
            .expect("the platform's day");
    }
    let mut field = HubClient::new(&link.url, &token, None).expect("client");
    let run = measured(&link, profile, || sync_through(&mut store, &mut field));
    println!(
        "(a) a day's field work ({} decisions pushed, {} rows pulled): {run}",
        run.summary.pushed, run.summary.pulled,
    );

    // (b) A first fill in the field.
    if std::env::var("CIVITAC_BENCH_FILL").is_ok_and(|v| v == "1") {
        let (mut fresh, mut client) = replica(&dir.path().join("b.db"), &link.url, &token);
        let run = measured(&link, profile, || sync_through(&mut fresh, &mut client));
        println!(
            "(b) first fill of a scale-1 replica ({} rows): {run}",
            run.summary.pulled
        );
    }
}
