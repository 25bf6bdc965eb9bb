//! kill -9 at many points: of the client mid-push and mid-pull, of the hub
//! mid-push. After a last sync every op is applied exactly once and the
//! replica equals the hub on every synced table. The hub process runs on
//! a SQLite file and on PostgreSQL (`hub serve --db URL --files DIR`, see
//! `common::hubs`).

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::hubs::{Kind, TestHub};
use common::net::*;
use common::*;
use rand::{Rng, SeedableRng};

/// Starts `args` on the replica and kills it with SIGKILL after `after`.
fn killed_after(r: &Replica, args: &[&str], after: Duration) {
    let mut child = r
        .cmd()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

fn sync_until_done(r: &Replica) {
    let mut last = String::new();
    for _ in 0..5 {
        let out = r
            .cmd()
            .args(["sync", "--json", "--retries", "3"])
            .output()
            .expect("sync");
        if out.status.success() {
            return;
        }
        last = String::from_utf8_lossy(&out.stderr).into_owned();
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("sync never completed: {last}");
}

fn kill_9_anywhere_loses_nothing_and_doubles_nothing(kind: Kind) {
    if !kind.available() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let Some(hub_db) = TestHub::on(kind, &demo_hub(dir.path())) else {
        return;
    };
    // What `--db` takes: the file, or the URL.
    let db = hub_db.db_arg();
    let mut hub = hub_db.serve(&[]);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261126);

    // A replica whose first pull (the snapshot) is killed again and again.
    let b = Replica::new(dir.path(), "b");
    let token_b = issue(&db, "test.bintou", "moderator", "laptop-b");
    let mut cut_in_snapshot = 0;
    // Logins killed at any point, then attached without syncing, then first
    // pulls in small pages (as over 2G) killed again and again.
    // (A login that lives long enough fills its replica: a first fill now
    // takes a few hundred milliseconds, so the killed logins get a replica
    // of their own and b's first pull is the one killed below.)
    let scratch = Replica::new(dir.path(), "b-logins");
    for _ in 0..2 {
        let after = Duration::from_millis(rng.random_range(20..300));
        killed_after(
            &scratch,
            &["login", "--hub", &hub.url, "--token", &token_b],
            after,
        );
    }
    b.assert_cmd()
        .args(["login", "--no-sync", "--hub", &hub.url, "--token", &token_b])
        .assert()
        .success();
    for _ in 0..6 {
        let after = Duration::from_millis(rng.random_range(150..900));
        killed_after(&b, &["sync", "--retries", "0", "--page", "25"], after);
        let cursor = b.store().state("pull_cursor").expect("state");
        if cursor.is_some_and(|c| c.starts_with("s:")) {
            cut_in_snapshot += 1;
        }
    }
    assert!(cut_in_snapshot > 0, "no kill landed inside the first pull");

    // A replica with many ops to push, made in three waves on the same posts.
    let a = Replica::new(dir.path(), "a");
    a.login(&hub.url, &issue(&db, "test.adama", "admin", "laptop-a"));
    a.run(&[
        "forum",
        "hide",
        "--where",
        "flagged=yes",
        "--reason",
        "Vague 1",
        "-y",
        "--all-matching",
    ]);
    a.run(&[
        "forum",
        "restore",
        "--where",
        "status=hidden",
        "-y",
        "--all-matching",
    ]);
    a.run(&[
        "enrollments",
        "contacted",
        "--where",
        "status=charter_received",
        "-y",
        "--all-matching",
    ]);
    let ops = count(&a.store(), "SELECT count(*) FROM outbox");
    assert!(ops > 300, "{ops} ops");

    let mut cut_mid_push = 0;
    for round in 0..12 {
        // New decisions keep arriving between cuts.
        let ids: Vec<String> = {
            let s = a.store();
            let mut stmt = s
                .conn()
                .prepare("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 60 OFFSET ?1")
                .expect("q");
            stmt.query_map([round * 60], |r| r.get(0))
                .expect("q")
                .collect::<Result<_, _>>()
                .expect("ids")
        };
        let mut args = vec!["forum", "hide", "--reason", "Vague", "-y"];
        args.extend(ids.iter().map(String::as_str));
        a.run(&args);
        let ops = count(&a.store(), "SELECT count(*) FROM outbox");
        let after = Duration::from_millis(rng.random_range(20..300));
        if round % 3 == 2 {
            // The hub dies mid-push: start a sync, kill the hub under it.
            let mut child = a
                .cmd()
                .args(["sync", "--retries", "0", "--batch", "2"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            std::thread::sleep(after);
            hub.restart();
            let _ = child.kill();
            let _ = child.wait();
        } else {
            killed_after(
                &a,
                &["sync", "--retries", "0", "--batch", "2", "--page", "200"],
                after,
            );
        }
        let at_hub = hub_db.count("SELECT count(*) FROM applied_ops");
        eprintln!("round {round}: {at_hub}/{ops} after {after:?}");
        if at_hub > 0 && at_hub < ops {
            cut_mid_push += 1;
        }
        let other = Duration::from_millis(rng.random_range(20..400));
        killed_after(
            &b,
            &["sync", "--retries", "0", "--batch", "2", "--page", "200"],
            other,
        );
    }

    assert!(cut_mid_push > 0, "no kill landed inside a push");
    let ops = count(&a.store(), "SELECT count(*) FROM outbox");
    sync_until_done(&a);
    sync_until_done(&b);
    sync_until_done(&a);

    let rs = a.store();
    assert_eq!(
        count(&rs, "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"),
        0
    );
    assert_eq!(
        hub_db.count("SELECT count(*) FROM applied_ops WHERE outcome = 'applied'"),
        ops,
        "every op applied once at the hub"
    );
    // Each op left exactly one audit row at the hub, under its own id.
    let mut stmt = rs.conn().prepare("SELECT op_id FROM outbox").expect("q");
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("ids");
    // (All read on one connection: one each would be hundreds on PostgreSQL.)
    let audited: Vec<i64> = hub_db.with(|c| {
        ids.iter()
            .map(|id| {
                c.query_row("SELECT count(*) FROM audit_log WHERE id = ?1", [id], |r| {
                    r.get::<i64>(0)
                })
                .unwrap_or_else(|e| panic!("{id}: {e}"))
            })
            .collect()
    });
    for (id, n) in ids.iter().zip(audited) {
        assert_eq!(n, 1, "{id}");
    }
    let want = hub_db.digest();
    assert_eq!(synced_digest(&rs), want, "replica a equals the hub");
    assert_eq!(synced_digest(&b.store()), want, "replica b equals the hub");
}

on_both!(kill_9_anywhere_loses_nothing_and_doubles_nothing);
