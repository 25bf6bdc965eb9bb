//! The hub's integrity while other processes use its database, as operators
//! do: `sqlite3` reads, `civitac hub token|settings|ingest` between syncs.

mod common;

use std::process::Command;

use common::net::*;
use common::*;

/// The server's descriptors that point at a deleted file (Linux only).
fn deleted_descriptors(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .filter(|p| p.ends_with("(deleted)"))
        .collect()
}

fn sqlite3_read(db: &std::path::Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("sqlite3 runs (apt-get install sqlite3)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn other_processes_opening_the_hub_database_never_detach_it_from_its_journal() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let mut hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    a.login(&hub.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    let posts: Vec<String> = {
        let h = open(&db);
        let mut stmt = h
            .conn()
            .prepare("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 6")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    let ingest = dir.path().join("feed.jsonl");
    let mut applied = 0;
    for (round, post) in posts.iter().enumerate() {
        a.run(&["forum", "hide", post, "--reason", "Hors sujet", "-y"]);
        let s = a.sync();
        applied += s["applied"].as_u64().expect("applied");
        // What an operator does in another terminal meanwhile.
        match round % 5 {
            0 => {
                sqlite3_read(&db, "SELECT count(*) FROM audit_log");
            }
            1 => {
                // A token issued now is accepted at once by the running hub.
                let b = Replica::new(dir.path(), &format!("b{round}"));
                let device = format!("laptop-b{round}");
                let token = issue(&db, "test.boukary", "moderator", &device);
                b.login(&hub.url, &token);
                // A token revoked now is refused at once.
                revoke(&db, &device);
                let out = b
                    .cmd()
                    .args(["sync", "--retries", "0"])
                    .output()
                    .expect("runs");
                assert_eq!(out.status.code(), Some(1), "a revoked token synced");
                assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
            }
            2 => {
                let out = civitac()
                    .args(["--lang", "en", "--db"])
                    .arg(&db)
                    .args(["hub", "settings", "--sms-approval-threshold", "400"])
                    .output()
                    .expect("runs");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            3 => {
                std::fs::write(
                    &ingest,
                    format!(
                        "{{\"type\":\"post\",\"id\":\"plat-{round}\",\"thread\":{{\"id\":\"t-{round}\",\"title\":\"Eau\"}},\"author\":{{\"id\":\"c-{round}\",\"name\":\"Ali\"}},\"body\":\"La borne fontaine est en panne\",\"created_at\":\"2026-11-02T10:00:00Z\"}}\n"
                    ),
                )
                .expect("write");
                let out = civitac()
                    .args(["--lang", "en", "--db"])
                    .arg(&db)
                    .args(["hub", "ingest"])
                    .arg(&ingest)
                    .output()
                    .expect("runs");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            _ => {
                sqlite3_read(&db, "PRAGMA wal_checkpoint(PASSIVE)");
            }
        }
        assert_eq!(
            deleted_descriptors(hub.pid()),
            Vec::<String>::new(),
            "round {round}: the hub holds deleted files"
        );
    }
    assert_eq!(applied, posts.len() as u64);
    hub.terminate();
    // Every push answered `applied` is in the database the hub leaves behind.
    let h = open(&db);
    for post in &posts {
        assert_eq!(
            count(
                &h,
                &format!(
                    "SELECT count(*) FROM audit_log WHERE entity_id = '{post}' AND action = 'post.hide'"
                )
            ),
            1,
            "{post}"
        );
    }
}
