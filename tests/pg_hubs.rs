//! Two `civitac hub serve` processes on one PostgreSQL database, as an
//! operator runs them behind a load balancer: five replicas push through
//! both in turn while one hub is killed with SIGKILL mid-sync and
//! restarted. Every op is applied exactly once, the replicas converge on
//! the hub, and nobody is texted twice.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use civitac::domain::sms::SmsStatus;
use civitac::hub::pg::conn::PgConn;
use civitac::ops::{NewSms, Op};
use civitac::store::sql::Sql;
use common::kannel::FakeKannel;
use common::net::{Balancer, HubProcess, Replica, civitac, issue};
use common::*;

fn one(c: &dyn Sql, sql: &str) -> i64 {
    c.query_row(sql, (), |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// One decision on a post this replica sees visible (the `k`-th of them).
fn decide(r: &Replica, k: usize) -> bool {
    let posts = ids(
        &r.store(),
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id",
    );
    let Some(post) = posts.get(k % posts.len().max(1)) else {
        return false;
    };
    let out = r
        .cmd()
        .args(["forum", "hide", post, "--reason", "Propos injurieux", "-y"])
        .output()
        .expect("hide runs");
    out.status.success()
}

/// `civitac sync` that may fail (a hub killed under it).
fn try_sync(r: &Replica) -> bool {
    let out = r
        .cmd()
        .args(["sync", "--json", "--retries", "0"])
        .output()
        .expect("sync runs");
    if !out.status.success() {
        eprintln!(
            "{}: sync failed: {}",
            r.db.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success()
}

fn wait_sent(c: &dyn Sql, id: &str) {
    let start = Instant::now();
    loop {
        let status: String = c
            .query_row("SELECT status FROM sms_messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("message");
        if status == "sent" {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "alert still {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn apply_on(r: &Replica, op: &Op) {
    let mut s = r.store();
    let me = s.owner().expect("owner").expect("owner");
    let tx = s.transaction().expect("tx");
    civitac::ops::apply(&tx, &me, op).expect("op");
    tx.commit().expect("commit");
}

#[test]
fn two_hubs_one_killed_five_replicas_every_op_once_no_sms_twice() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_hub = common::net::demo_hub(dir.path());
    // The demo's own pending SMS stay out of this count.
    let group = common::net::quiet_sms_group(&sqlite_hub);
    let url = cluster.database();
    let files = dir.path().join("demo/files");
    let migrated = civitac()
        .args(["--lang", "en", "hub", "migrate", "--from"])
        .arg(&sqlite_hub)
        .args(["--to", &url, "--files"])
        .arg(&files)
        .output()
        .expect("migrate runs");
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let db = Path::new(&url);
    let kannel = FakeKannel::start(0);
    let files_arg = files.to_string_lossy().into_owned();
    let args = [
        "--files",
        files_arg.as_str(),
        "--sms-gateway",
        "kannel",
        "--kannel-url",
        kannel.url.as_str(),
        "--sms-rate",
        "50",
        "--pool",
        "4",
    ];
    let mut hubs = [HubProcess::start(db, &args), HubProcess::start(db, &args)];
    // Replicas know one address; it hands each connection to the next hub.
    let balancer = Balancer::start(&[&hubs[0].url, &hubs[1].url]);

    let roles = ["moderator", "moderator", "moderator", "moderator", "admin"];
    let replicas: Vec<Replica> = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            let r = Replica::new(dir.path(), &format!("r{i}"));
            let token = issue(db, &format!("pg.staff{i}"), role, &format!("laptop-{i}"));
            r.login(&balancer.url, &token);
            r
        })
        .collect();

    let mut alert = None;
    for round in 0..6 {
        for (i, r) in replicas.iter().enumerate() {
            assert!(decide(r, round * 7 + i * 3), "replica {i} decides");
        }
        if round == 1 {
            // An alert queued by a moderator, approved by the admin after a sync.
            let id = uuid::Uuid::now_v7().to_string();
            apply_on(
                &replicas[0],
                &Op::QueueSms {
                    message: NewSms {
                        id: id.clone(),
                        group_id: group.clone(),
                        kind: civitac::domain::sms::SmsKind::Alert,
                        body: "ALERTE Civitac : coupure d'eau demain à Kaya.".into(),
                        scheduled_at: None,
                        retry_of: None,
                    },
                },
            );
            assert!(try_sync(&replicas[0]));
            assert!(try_sync(&replicas[4]));
            apply_on(
                &replicas[4],
                &Op::ApproveSms {
                    message_id: id.clone(),
                    seen_status: SmsStatus::Queued,
                    seen_recipients: None,
                },
            );
            alert = Some(id);
        }
        // Everyone syncs at once; in round 3 hub 0 is killed under them,
        // as soon as a sync has reached it.
        let reached = balancer.taken[0].load(std::sync::atomic::Ordering::SeqCst);
        let failed = std::thread::scope(|s| {
            let syncs: Vec<_> = replicas.iter().map(|r| s.spawn(|| try_sync(r))).collect();
            if round == 3 {
                let until = Instant::now() + Duration::from_secs(5);
                while balancer.taken[0].load(std::sync::atomic::Ordering::SeqCst) == reached
                    && Instant::now() < until
                {
                    std::thread::yield_now();
                }
                hubs[0].restart();
            }
            syncs
                .into_iter()
                .map(|t| t.join())
                .filter(|r| !matches!(r, Ok(true)))
                .count()
        });
        if round == 3 {
            assert!(failed > 0, "the kill landed while no sync was under way");
        }
    }
    // Whatever a kill interrupted is sent again, through either hub.
    for _ in 0..2 {
        for (i, r) in replicas.iter().enumerate() {
            assert!(try_sync(r), "replica {i} syncs");
        }
    }

    let pg = PgConn::connect(&url).expect("connect");
    let id = alert.expect("an alert");
    wait_sent(pg.sql(), &id);
    for r in &replicas {
        assert!(try_sync(r));
    }
    let mut ops = 0;
    for (i, r) in replicas.iter().enumerate() {
        let s = r.store();
        assert_eq!(
            count(&s, "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"),
            0,
            "replica {i} has nothing left to push"
        );
        for op_id in ids(&s, "SELECT op_id FROM outbox") {
            assert_eq!(
                one(
                    pg.sql(),
                    &format!("SELECT count(*) FROM applied_ops WHERE op_id = '{op_id}'")
                ),
                1,
                "{op_id} answered once"
            );
            assert!(
                one(
                    pg.sql(),
                    &format!("SELECT count(*) FROM audit_log WHERE id = '{op_id}'")
                ) <= 1,
                "{op_id} in the journal at most once"
            );
            ops += 1;
        }
        assert_eq!(
            digest_of(s.conn()),
            digest_of(pg.sql()),
            "replica {i} converged"
        );
    }
    assert!(ops >= 30, "{ops} ops");
    for (i, n) in balancer.taken.iter().enumerate() {
        let n = n.load(std::sync::atomic::Ordering::Relaxed);
        assert!(n >= 10, "hub {i} served only {n} connections");
    }
    // Nobody texted twice, nobody of the group missed.
    let recipients = one(
        pg.sql(),
        &format!("SELECT recipients FROM sms_messages WHERE id = '{id}'"),
    );
    let mut got = kannel.recipients();
    let total = got.len();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), total, "someone got the alert twice");
    assert_eq!(total as i64, recipients);
    // An operator's stop (SIGTERM): the hub closes its connections and exits 0.
    let stopped = hubs[1].terminate();
    assert!(stopped.success(), "{stopped:?}");
    drop(hubs);
}
