//! `civitac hub ingest`: platform lines in, bad lines named and skipped, good
//! lines kept, the same file twice changing nothing, auto-hide as an op.
//! The hub's tests run on a SQLite file and on PostgreSQL (`--db
//! postgres://…`, see `common::hubs`).

mod common;

use assert_cmd::Command;
use common::hubs::{Kind, TestHub};
use common::*;
use predicates::prelude::*;

const THREAD: &str = "019a0000-0000-7000-8000-000000000001";
const POST: &str = "019a0000-0000-7000-8000-000000000002";
const AUTHOR: &str = "019a0000-0000-7000-8000-000000000003";
const ORG: &str = "019a0000-0000-7000-8000-000000000004";
const UPLOAD: &str = "019a0000-0000-7000-8000-000000000005";

fn lines() -> String {
    let post = format!(
        r#"{{"type":"post","id":"{POST}","thread":{{"id":"{THREAD}","title":"Forage de Réo"}},"author":{{"id":"{AUTHOR}","name":"Ablassé"}},"body":"Le forage est en panne \u001b]0;x\u0007","created_at":"2026-11-20T10:00:00Z"}}"#
    );
    let flag = |who: &str, minute: u8| {
        format!(
            r#"{{"type":"flag","post_id":"{POST}","reporter":"{who}","reason":"abuse","created_at":"2026-11-20T10:{minute:02}:00Z"}}"#
        )
    };
    let app = format!(
        r#"{{"type":"application","org":{{"id":"{ORG}","kind":"osc","name":"Association des Tisserandes de Réo","region":"Nando","commune":"Réo","phone":"+22670112233","status":"applied"}}}}"#
    );
    let upload = format!(
        r#"{{"type":"upload","upload":{{"id":"{UPLOAD}","org_id":"{ORG}","kind":"document","category":"budget","title":"Budget 2026","filename":"budget.pdf","mime":"application/pdf","size_bytes":120000,"sha256":"{}","submitted_at":"2026-11-21T08:00:00Z"}}}}"#,
        "ab".repeat(32)
    );
    [
        post,
        "{not json".to_owned(),
        flag("c1", 1),
        r#"{"type":"flag","post_id":"019a0000-0000-7000-8000-0000000000ff","reporter":"c9","reason":"spam","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
        flag("c2", 2),
        r#"{"type":"flag","post_id":"x","reporter":"c9","reason":"rude","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
        String::new(),
        flag("c3", 3),
        app,
        r#"{"type":"vote","id":"1"}"#.to_owned(),
        upload,
        r#"{"type":"upload","upload":{"id":"019a0000-0000-7000-8000-000000000006","org_id":"019a0000-0000-7000-8000-0000000000ee","kind":"photo","title":"x","filename":"x.jpg","mime":"image/jpeg","size_bytes":1,"sha256":"00","submitted_at":"2026-11-21T08:00:00Z"}}"#.to_owned(),
    ]
    .join("\n")
}

/// `civitac hub ingest` on the hub `db` (a file or a PostgreSQL URL).
fn hub(db: &std::path::Path) -> Command {
    let mut cmd = Command::from_std(net::hub_cmd(db));
    cmd.args(["hub", "ingest"]);
    cmd
}

fn bad_lines_are_named_and_good_ones_kept(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(hub_db) = TestHub::empty(kind, dir.path()) else {
        return;
    };
    let db = hub_db.db_arg();
    let file = dir.path().join("platform.jsonl");
    std::fs::write(&file, lines()).expect("write");
    let name = file.display().to_string();
    hub(&db)
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 post, 3 flags, 1 application, 1 upload; 0 already known; 1 post auto-hidden; 5 bad lines"))
        .stderr(
            predicate::str::contains(format!("{name}:2: "))
                .and(predicate::str::contains(format!("{name}:4: post_id: no post")))
                .and(predicate::str::contains(format!("{name}:6: ")))
                .and(predicate::str::contains(format!("{name}:10: ")))
                .and(predicate::str::contains(format!("{name}:12: ")))
                .and(predicate::str::contains(":7:").not()),
        );
    assert_eq!(hub_db.count("SELECT count(*) FROM forum_posts"), 1);
    assert_eq!(hub_db.count("SELECT count(*) FROM forum_flags"), 3);
    // Three open flags hid the post, as an op by the system actor, with its flags resolved.
    let (status, flags): (String, i64) = hub_db.with(|c| {
        c.query_row(
            "SELECT status, flag_count FROM forum_posts WHERE id = ?1",
            [POST],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("post")
    });
    assert_eq!((status.as_str(), flags), ("hidden", 0));
    assert_eq!(
        hub_db.count(
            "SELECT count(*) FROM audit_log WHERE actor = 'system' AND action = 'post.hide'"
        ),
        1
    );
    assert_eq!(
        hub_db.count(
            "SELECT count(*) FROM audit_log WHERE actor = 'system' AND action = 'enrollment.apply'"
        ),
        1
    );
    assert_eq!(
        hub_db.count("SELECT count(*) FROM outbox"),
        0,
        "the hub keeps no outbox"
    );
    // The stored body is exact; terminals only ever get it through `text`.
    let body: String = hub_db.with(|c| {
        c.query_row("SELECT body FROM forum_posts", (), |r| r.get(0))
            .expect("body")
    });
    assert!(body.contains('\u{1b}'));

    // The same file again: nothing new, nothing doubled.
    hub(&db)
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "0 posts, 0 flags, 0 applications, 0 uploads; 6 already known; 0 posts auto-hidden",
        ));
    assert_eq!(hub_db.count("SELECT count(*) FROM forum_flags"), 3);
    assert_eq!(hub_db.count("SELECT count(*) FROM audit_log"), 2);
}

#[test]
fn a_replica_is_not_a_hub() {
    let (_dir, replica) = small_demo();
    let before = file_bytes(&replica);
    let file = replica.with_file_name("empty.jsonl");
    std::fs::write(&file, "").expect("write");
    hub(&replica)
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("a replica, not a hub"));
    assert_eq!(file_bytes(&replica), before);
}

/// A hub refused (a replica; a database it cannot reach) makes nothing
/// beside it: no empty uploads directory is left behind.
#[test]
fn a_hub_refused_leaves_no_files_directory() {
    let (dir, replica) = small_demo();
    let nowhere = std::path::Path::new("postgres://civitac@127.0.0.1:1/nowhere");
    for (db, said) in [
        (replica.as_path(), "a replica, not a hub"),
        (nowhere, "127.0.0.1:1"),
    ] {
        let files = dir.path().join("hub-files");
        Command::from_std(net::hub_cmd(db))
            .args(["hub", "serve", "--listen", "127.0.0.1:0", "--files"])
            .arg(&files)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(said));
        assert!(!files.exists(), "{} was made", files.display());
    }
}

fn a_bad_line_never_reaches_the_terminal_raw(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(hub_db) = TestHub::empty(kind, dir.path()) else {
        return;
    };
    let db = hub_db.db_arg();
    let file = dir.path().join("hostile.jsonl");
    std::fs::write(
        &file,
        r#"{"type":"flag","post_id":"x","reporter":"r","reason":"\u001b]0;pwned\u0007","created_at":"2026-11-20T10:00:00Z"}"#,
    )
    .expect("write");
    let out = hub(&db).arg(&file).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(err.contains(":1:") && err.contains('␛'), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}

fn the_platforms_own_ids_are_taken_kept_and_mapped_deterministically(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(hub_db) = TestHub::empty(kind, dir.path()) else {
        return;
    };
    let db = hub_db.db_arg();
    let file = dir.path().join("platform.jsonl");
    let long = "x".repeat(129);
    let lines = [
        // Integers and slugs, as the public platform numbers things.
        r#"{"type":"post","id":"98231","thread":{"id":"eau-potable-reo","title":"Eau potable"},"author":{"id":"4411","name":"Ablassé"},"body":"Le forage est en panne","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
        // A thread called like the post: another record.
        r#"{"type":"post","id":"98232","thread":{"id":"98231","title":"Budget"},"author":{"id":"4411","name":"Ablassé"},"body":"Où est le budget ?","created_at":"2026-11-20T10:05:00Z"}"#.to_owned(),
        r#"{"type":"flag","post_id":"98231","reporter":"4412","reason":"spam","created_at":"2026-11-20T10:06:00Z"}"#.to_owned(),
        r#"{"type":"application","org":{"id":"org-77","kind":"osc","name":"Tisserandes de Réo","region":"Nando","status":"applied"}}"#.to_owned(),
        format!(r#"{{"type":"upload","upload":{{"id":"doc/2026/1","org_id":"org-77","kind":"document","category":"budget","title":"Budget 2026","filename":"b.pdf","mime":"application/pdf","size_bytes":1,"sha256":"{}","submitted_at":"2026-11-21T08:00:00Z"}}}}"#, "cd".repeat(32)),
        // Refused: empty, too long, a control character, an invisible one.
        r#"{"type":"post","id":"","thread":{"id":"t","title":"x"},"author":{"id":"a","name":"x"},"body":"x","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
        format!(r#"{{"type":"post","id":"{long}","thread":{{"id":"t","title":"x"}},"author":{{"id":"a","name":"x"}},"body":"x","created_at":"2026-11-20T10:00:00Z"}}"#),
        r#"{"type":"post","id":"12\u001b[2J","thread":{"id":"t","title":"x"},"author":{"id":"a","name":"x"},"body":"x","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
        r#"{"type":"post","id":"12\u200b","thread":{"id":"t","title":"x"},"author":{"id":"a","name":"x"},"body":"x","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
        // The same post again, in another thread: still one post, no new thread.
        r#"{"type":"post","id":"98231","thread":{"id":"autre-fil","title":"Autre"},"author":{"id":"4411","name":"Ablassé"},"body":"Le forage est en panne","created_at":"2026-11-20T10:00:00Z"}"#.to_owned(),
    ];
    std::fs::write(&file, lines.join("\n")).expect("write");
    let name = file.display().to_string();
    let out = hub(&db).arg(&file).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 posts, 1 flag, 1 application, 1 upload; 1 already known"),
        "{stdout}{stderr}"
    );
    for n in 6..=9 {
        assert!(stderr.contains(&format!("{name}:{n}: id: ")), "{stderr}");
    }
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert_eq!(hub_db.count("SELECT count(*) FROM forum_threads"), 2);
    assert_eq!(hub_db.count("SELECT count(*) FROM citizens"), 1);
    let post = civitac::domain::platform::internal_id("forum_post", "98231").expect("id");
    let thread = civitac::domain::platform::internal_id("forum_thread", "98231").expect("id");
    assert_ne!(post, thread);
    assert!(uuid::Uuid::parse_str(&post).is_ok());
    let (pid, flags): (String, i64) = hub_db.with(|c| {
        c.query_row(
            "SELECT platform_id, flag_count FROM forum_posts WHERE id = ?1",
            [&post],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("post by its derived id")
    });
    assert_eq!((pid.as_str(), flags), ("98231", 1));
    for (table, platform_id) in [
        ("forum_threads", "eau-potable-reo"),
        ("citizens", "4411"),
        ("organizations", "org-77"),
        ("uploads", "doc/2026/1"),
    ] {
        assert_eq!(
            hub_db.count(&format!(
                "SELECT count(*) FROM {table} WHERE platform_id = '{platform_id}'"
            )),
            1,
            "{table}"
        );
    }
    // A moderator finds the website's post 98231 by the website's number.
    // The console opens SQLite files only (a replica, or a hub's file): a
    // PostgreSQL hub has no console of its own to ask.
    if kind == Kind::Sqlite {
        let out = Command::cargo_bin("civitac")
            .expect("bin")
            .args(["--lang", "en", "--db"])
            .arg(&db)
            .args(["forum", "list", "--platform", "98231", "--format", "json"])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("\"platform_id\":\"98231\"") && text.contains(&post),
            "{text}"
        );
        assert_eq!(text.matches("\"platform_id\"").count(), 1, "{text}");
    }
    // A UUID from the platform stays the id it was.
    let uuid = "019A0000-0000-7000-8000-0000000000AA";
    assert_eq!(
        civitac::domain::platform::internal_id("forum_post", uuid).expect("id"),
        uuid.to_ascii_lowercase()
    );
}

/// A file as the version-1 civitac made it (its schema.sql, kept as a
/// fixture), its rows and version to be written by the caller.
fn version_1_file(db: &std::path::Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).expect("raw");
    c.execute_batch(include_str!("fixtures/schema_v1.sql"))
        .expect("v1 schema");
    c.pragma_update(None, "application_id", civitac::store::APPLICATION_ID)
        .expect("id");
    c
}

#[test]
fn a_version_1_database_is_brought_to_version_2_with_its_rows() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("old.db");
    {
        let c = version_1_file(&db);
        c.execute_batch(
            "INSERT INTO sync_state (key, value) VALUES ('side', 'hub');
             INSERT INTO citizens (id, display_name) VALUES ('c', 'Awa');
             INSERT INTO applied_ops (op_id, device, seq, outcome) VALUES ('o', 'd', 1, 'applied');
             INSERT INTO sms_contacts (id, phone_e164, region, commune) VALUES ('k', '+22670112233', 'centre-nord', 'KAYA');
             INSERT INTO sms_groups (id, name) VALUES ('g', 'Kaya');
             INSERT INTO sms_group_members (group_id, contact_id) VALUES ('g', 'k');
             INSERT INTO sms_messages (id, group_id, kind, body, encoding, segments, recipients, status, created_by, created_at)
               VALUES ('m', 'g', 'notice', 'x', 'GSM-7', 1, 1, 'sent', 'awa', '2026-01-01T00:00:00.000Z');
             INSERT INTO sms_deliveries (message_id, contact_id, status, error, updated_at)
               VALUES ('m', 'k', 'failed', 'rejected by the operator', '2026-01-01T00:01:00.000Z');
             PRAGMA user_version = 1;",
        )
        .expect("v1 rows");
    }
    let store = open(&db);
    let (version, name): (i64, String) = store
        .conn()
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), display_name FROM citizens WHERE platform_id IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("migrated");
    assert_eq!(
        (version, name.as_str()),
        (civitac::store::SCHEMA_VERSION, "Awa")
    );
    // The same device's seq again is allowed now (a token on a fresh replica).
    store
        .conn()
        .execute(
            "INSERT INTO applied_ops (op_id, device, seq, outcome, received_at) VALUES ('p', 'd', 1, 'applied', NULL)",
            [],
        )
        .expect("seq not unique");
    assert_eq!(count(&store, "SELECT count(*) FROM sms_suppressions"), 0);
    // Version 6: a contact's places as dynamic groups find them, and the
    // failures sent so far, for every replica to pull.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM sms_contacts WHERE id = 'k' AND commune_key = 'Kaya'"
        ),
        1
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM sms_failures f JOIN changes c ON c.entity = 'sms_failure' AND c.entity_id = 'm/k'
             WHERE f.error = 'rejected by the operator'"
        ),
        1
    );
    // Version 8: the group's reach, counted from its members.
    assert_eq!(
        count(&store, "SELECT n FROM sms_group_reach WHERE group_id = 'g'"),
        1
    );
    // A migrated file has the very tables, columns and indexes a new one has.
    let shape = |s: &civitac::store::Store| -> Vec<(String, String)> {
        let mut stmt = s
            .conn()
            .prepare(
                "SELECT m.name, group_concat(p.name || ' ' || p.type || ' ' || p.pk, ', ')
                 FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' GROUP BY m.name
                 UNION ALL
                 SELECT name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger')
                 ORDER BY 1",
            )
            .expect("q");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let fresh =
        civitac::store::Store::create(&dir.path().join("new.db"), civitac::store::Side::Hub)
            .expect("fresh");
    assert_eq!(shape(&store), shape(&fresh));
}

/// A NUL in any text is one bad line naming its field, on either database
/// (PostgreSQL's text cannot hold it; a SQLite hub must not either, or it
/// could never move there).
fn a_nul_in_a_text_is_one_bad_line_on_either_database(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(hub_db) = TestHub::empty(kind, dir.path()) else {
        return;
    };
    let db = hub_db.db_arg();
    let file = dir.path().join("nul.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"type":"post","id":"nul-1","thread":{"id":"t-1","title":"For\u0000age"},"author":{"id":"c-1","name":"Awa"},"body":"Le forage","created_at":"2026-11-20T10:00:00Z"}"#,
            "\n",
            r#"{"type":"post","id":"good-1","thread":{"id":"t-2","title":"Forage"},"author":{"id":"c-2","name":"Issa"},"body":"Le forage est en panne","created_at":"2026-11-20T10:00:00Z"}"#,
            "\n",
            // An unknown key inside an object is as bad as one at the top.
            r#"{"type":"post","id":"odd-1","thread":{"id":"t-3","title":"Forage","\u001b[31m":"x"},"author":{"id":"c-3","name":"Ali"},"body":"Le forage","created_at":"2026-11-20T10:00:00Z"}"#,
            "\n"
        ),
    )
    .expect("write");
    let name = file.display().to_string();
    hub(&db).arg(&file).assert().code(1).stderr(
        predicate::str::contains(format!(
            "{name}:1: thread.title: holds a NUL character (U+0000)"
        ))
        .and(predicate::str::contains(format!("{name}:3: unknown field")))
        .and(predicate::str::contains("\u{1b}").not()),
    );
    assert_eq!(hub_db.count("SELECT count(*) FROM forum_posts"), 1);
    assert_eq!(hub_db.count("SELECT count(*) FROM forum_threads"), 1);
}

on_both!(
    a_nul_in_a_text_is_one_bad_line_on_either_database,
    bad_lines_are_named_and_good_ones_kept,
    a_bad_line_never_reaches_the_terminal_raw,
    the_platforms_own_ids_are_taken_kept_and_mapped_deterministically,
);

/// Two processes (here threads) opening the same old file at once: it is
/// migrated once, and both open it (the second used to fail on "table
/// already exists", having read the old version before the first's commit).
#[test]
fn an_old_file_opened_twice_at_once_is_migrated_once() {
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join(format!("old{round}.db"));
        version_1_file(&db)
            .execute_batch(
                "INSERT INTO sync_state (key, value) VALUES ('side', 'hub'); PRAGMA user_version = 1;",
            )
            .expect("v1");
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (db, start) = (db.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    civitac::store::Store::open(&db).map(drop)
                })
            })
            .collect();
        for o in openers {
            o.join().expect("thread").expect("both open the file");
        }
        let store = open(&db);
        assert_eq!(
            count(&store, "SELECT user_version FROM pragma_user_version"),
            civitac::store::SCHEMA_VERSION
        );
    }
}
