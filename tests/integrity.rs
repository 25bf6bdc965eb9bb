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
    let posts: Vec<String> = ids(
        &open(&db),
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 6",
    );
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

/// Two staff on one OS account (one HOME, one config.toml), each with a
/// replica of their own.
#[test]
fn two_staff_sharing_one_account_each_sync_under_their_own_name() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let shared = Replica::new(dir.path(), "shared");
    let issa_db = shared.home.join("issa.db");
    let mariam_db = shared.home.join("mariam.db");
    let as_db = |replica: &std::path::Path| {
        let mut c = civitac();
        c.env("HOME", &shared.home)
            .env("XDG_CONFIG_HOME", shared.home.join("config"))
            .env("XDG_DATA_HOME", shared.home.join("data"))
            .env_remove("CIVITAC_TOKEN")
            .args(["--lang", "en", "--db"])
            .arg(replica);
        c
    };
    let login = |replica: &std::path::Path, token: &str| {
        let mut c = as_db(replica);
        c.args(["login", "--hub", &hub.url])
            .env("CIVITAC_TOKEN", token)
            .stdout(std::process::Stdio::null());
        let out = c.output().expect("login");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let issa_token = issue(&db, "issa.sawadogo", "moderator", "bureau-issa");
    let mariam_token = issue(&db, "mariam.traore", "moderator", "bureau-mariam");
    login(&issa_db, &issa_token);
    // The token on standard input, as the README shows first.
    {
        use std::io::Write;
        let mut c = as_db(&mariam_db);
        c.args(["login", "--hub", &hub.url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("login");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{mariam_token}\n").as_bytes())
            .expect("token");
        let out = child.wait_with_output().expect("login");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Mariam's login changed nothing of Issa's replica.
    let creds = std::fs::read_to_string(civitac::replica::credentials::path_for(&issa_db))
        .expect("issa's credentials");
    assert!(creds.contains(&issa_token) && !creds.contains(&mariam_token));
    let config = std::fs::read_to_string(shared.config()).unwrap_or_default();
    assert!(
        !config.contains(&issa_token) && !config.contains(&mariam_token),
        "{config}"
    );
    // A plain `civitac` opens the replica logged in last.
    let whoami = {
        let mut c = civitac();
        c.env("HOME", &shared.home)
            .env("XDG_CONFIG_HOME", shared.home.join("config"))
            .env("XDG_DATA_HOME", shared.home.join("data"))
            .args(["--lang", "en", "whoami"]);
        let out = c.output().expect("whoami");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(whoami.contains("mariam.traore"), "{whoami}");

    let post = first_id(&open(&db), "forum_posts", "status = 'visible'");
    let out = as_db(&issa_db)
        .args(["forum", "hide", &post, "--reason", "Hors sujet", "-y"])
        .output()
        .expect("hide");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = as_db(&issa_db)
        .args(["sync", "--json", "--retries", "0"])
        .output()
        .expect("sync");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actor: String = open(&db)
        .conn()
        .query_row(
            "SELECT actor FROM audit_log WHERE entity_id = ?1 AND action = 'post.hide'",
            [&post],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(actor, "issa.sawadogo");

    // Credentials copied from another replica (or tampered) are refused
    // before anything is sent.
    std::fs::copy(
        civitac::replica::credentials::path_for(&mariam_db),
        civitac::replica::credentials::path_for(&issa_db),
    )
    .expect("copy");
    let out = as_db(&issa_db)
        .args(["sync", "--retries", "0"])
        .output()
        .expect("sync");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another staff member") && err.lines().count() == 1,
        "{err}"
    );
    // Missing credentials: one line naming the file and how to log in.
    std::fs::remove_file(civitac::replica::credentials::path_for(&issa_db)).expect("rm");
    let out = as_db(&issa_db)
        .args(["sync", "--retries", "0"])
        .output()
        .expect("sync");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("issa.db.hub.toml: missing") && err.contains("civitac login"),
        "{err}"
    );
}

/// "Keep it visible" from one moderator and a hide from another: the second
/// to sync gets a conflict, not a silent merge.
#[test]
fn dismissing_the_flags_of_a_post_someone_hid_is_a_conflict() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    let b = Replica::new(dir.path(), "b");
    a.login(&hub.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    b.login(
        &hub.url,
        &issue(&db, "test.boukary", "moderator", "laptop-b"),
    );
    let post = first_id(
        &open(&db),
        "forum_posts",
        "status = 'visible' AND flag_count > 0",
    );
    a.run(&["forum", "hide", &post, "--reason", "Insultes", "-y"]);
    b.run(&["forum", "dismiss", &post, "-y"]);
    a.sync();
    let s = b.sync();
    assert_eq!(s["conflict"], 1, "{s}");
    let bs = b.store();
    assert_eq!(
        count(
            &bs,
            &format!("SELECT count(*) FROM conflicts WHERE entity_id = '{post}'")
        ),
        1
    );
    assert_eq!(
        count(
            &bs,
            &format!("SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = 'hidden'")
        ),
        1
    );
}

fn hub_command(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    civitac()
        .args(["--lang", "en", "--db"])
        .arg(db)
        .arg("hub")
        .args(args)
        .output()
        .expect("runs")
}

/// Sync two replicas, back up while serving, sync more, restore the backup,
/// sync again: the hub ends with every op exactly once, replicas converge.
#[test]
fn a_restore_from_an_older_backup_loses_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let mut hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    let b = Replica::new(dir.path(), "b");
    a.login(&hub.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    b.login(
        &hub.url,
        &issue(&db, "test.boukary", "moderator", "laptop-b"),
    );
    // A laptop whose token is revoked after the backup is taken.
    let stolen = issue(&db, "test.vole", "moderator", "laptop-stolen");
    let posts: Vec<String> = ids(
        &open(&db),
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 4",
    );
    a.run(&["forum", "hide", &posts[0], "--reason", "Insultes", "-y"]);
    b.run(&["forum", "hide", &posts[1], "--reason", "Spam", "-y"]);
    a.sync();
    b.sync();

    let backup = dir.path().join("hub-backup.db");
    let out = hub_command(&db, &["backup", backup.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity_check ok"));
    // A backup never overwrites.
    let out = hub_command(&db, &["backup", backup.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    revoke(&db, "laptop-stolen");
    a.run(&["forum", "remove", &posts[2], "--reason", "Spam", "-y"]);
    b.run(&["forum", "hide", &posts[3], "--reason", "Hors sujet", "-y"]);
    a.sync();
    b.sync();
    // The backup holds the first decisions: the replicas let them go (the
    // newest op stays, it carries the device's sequence).
    for r in [&a, &b] {
        assert_eq!(count(&r.store(), "SELECT count(*) FROM outbox"), 1);
    }
    // Not under a running hub.
    let out = hub_command(&db, &["restore", backup.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a hub is serving") && err.lines().count() == 1,
        "{err}"
    );

    hub.terminate();
    // Refused: the hub database itself, a missing one.
    let out = hub_command(&db, &["restore", db.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let typo = dir.path().join("typo.db");
    let out = civitac()
        .arg("--db")
        .arg(&typo)
        .args(["hub", "restore"])
        .arg(&backup)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(!typo.exists());
    let out = hub_command(&db, &["restore", backup.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(&open(&db), "SELECT count(*) FROM applied_ops"),
        2,
        "the backup held the first two decisions"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("before-restore"));
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM devices WHERE name = 'laptop-stolen' AND revoked_at IS NULL"
        ),
        0,
        "a restore never brings a revoked token back"
    );
    hub.restart();
    let thief = Replica::new(dir.path(), "thief");
    let out = thief
        .cmd()
        .args(["login", "--hub", &hub.url, "--no-sync"])
        .env("CIVITAC_TOKEN", &stolen)
        .output()
        .expect("login");
    assert_eq!(out.status.code(), Some(1), "the stolen token works again");
    let s = a.sync();
    assert_eq!(s["hub_restored"], true, "{s}");
    b.sync();
    a.sync();
    let h = open(&db);
    for (post, status) in posts.iter().zip(["hidden", "hidden", "removed", "hidden"]) {
        assert_eq!(
            count(
                &h,
                &format!(
                    "SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = '{status}'"
                )
            ),
            1,
            "{post}"
        );
    }
    // Every op exactly once.
    assert_eq!(count(&h, "SELECT count(*) FROM applied_ops"), 4);
    for r in [&a, &b] {
        let s = r.store();
        let mut stmt = s.conn().prepare("SELECT op_id FROM outbox").expect("q");
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("ids");
        for id in ids {
            assert_eq!(
                count(
                    &h,
                    &format!("SELECT count(*) FROM audit_log WHERE id = '{id}'")
                ),
                1
            );
        }
    }
    let want = synced_digest(&h);
    assert_eq!(synced_digest(&a.store()), want);
    assert_eq!(synced_digest(&b.store()), want);
    // The second snapshot wrote over rows already numbered and indexed.
    assert_search_index_whole(&a.store());
    assert_search_index_whole(&b.store());
}

/// A lost laptop: the same device token on a fresh replica pushes at once.
#[test]
fn a_token_used_again_on_a_fresh_replica_pushes() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let token = issue(&db, "test.awa", "moderator", "laptop-a");
    let old = Replica::new(dir.path(), "old");
    old.login(&hub.url, &token);
    let post = first_id(&open(&db), "forum_posts", "status = 'visible'");
    old.run(&["forum", "hide", &post, "--reason", "Spam", "-y"]);
    old.sync();
    let fresh = Replica::new(dir.path(), "fresh");
    fresh.login(&hub.url, &token);
    let other = first_id(&open(&db), "forum_posts", "status = 'visible'");
    fresh.run(&["forum", "hide", &other, "--reason", "Spam", "-y"]);
    let s = fresh.sync();
    assert_eq!(
        (s["pushed"].as_u64(), s["applied"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
}

/// Without a backup, answered ops stay for `keep_pushed_days`, then go.
#[test]
fn answered_ops_are_kept_for_their_days_then_let_go() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("r.db");
    let store = civitac::store::Store::create(&db, civitac::store::Side::Replica).expect("create");
    let c = store.conn();
    let now = civitac::time::now();
    for (seq, pushed, outcome) in [
        (1, Some("2020-01-01T00:00:00.000Z"), Some("applied")),
        (2, Some("2020-01-02T00:00:00.000Z"), Some("conflict")),
        (3, Some(now.as_str()), Some("applied")),
        (4, None, None),
        (5, Some("2020-01-03T00:00:00.000Z"), Some("applied")),
    ] {
        c.execute(
            "INSERT INTO outbox (op_id, seq, created_at, op, pushed_at, outcome) VALUES (?1, ?2, '2020-01-01T00:00:00.000Z', '{}', ?3, ?4)",
            rusqlite::params![format!("op{seq}"), seq, pushed, outcome],
        )
        .expect("row");
    }
    c.execute(
        "INSERT INTO conflicts (op_id, entity, entity_id, mine, theirs, detected_at) VALUES ('op2', 'forum_post', 'p', '{}', '{}', '2020-01-02T00:00:00.000Z')",
        [],
    )
    .expect("conflict");
    let gone = civitac::replica::session::prune(c, 30).expect("prune");
    let left: Vec<String> = c
        .prepare("SELECT op_id FROM outbox ORDER BY seq")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("ids");
    // op1 is old and answered: gone. op2's conflict is open, op3 is recent,
    // op4 is unsent, op5 is the newest (it holds the sequence).
    assert_eq!(
        (gone, left),
        (
            1,
            vec!["op2".to_owned(), "op3".into(), "op4".into(), "op5".into()]
        )
    );
}
