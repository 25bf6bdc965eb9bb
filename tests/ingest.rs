//! `civitac hub ingest`: platform lines in, bad lines named and skipped, good
//! lines kept, the same file twice changing nothing, auto-hide as an op.

mod common;

use assert_cmd::Command;
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

fn hub(db: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("bin");
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .args(["--lang", "en", "hub", "ingest", "--db"])
        .arg(db);
    cmd
}

#[test]
fn bad_lines_are_named_and_good_ones_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    let file = dir.path().join("platform.jsonl");
    std::fs::write(&file, lines()).expect("write");
    let name = file.display().to_string();
    hub(&db)
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 posts, 3 flags, 1 applications, 1 uploads; 0 already known; 1 posts auto-hidden; 5 bad lines"))
        .stderr(
            predicate::str::contains(format!("{name}:2: "))
                .and(predicate::str::contains(format!("{name}:4: post_id: no post")))
                .and(predicate::str::contains(format!("{name}:6: ")))
                .and(predicate::str::contains(format!("{name}:10: ")))
                .and(predicate::str::contains(format!("{name}:12: ")))
                .and(predicate::str::contains(":7:").not()),
        );
    let store = open(&db);
    assert_eq!(count(&store, "SELECT count(*) FROM forum_posts"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM forum_flags"), 3);
    // Three open flags hid the post, as an op by the system actor, with its flags resolved.
    let (status, flags): (String, i64) = store
        .conn()
        .query_row(
            "SELECT status, flag_count FROM forum_posts WHERE id = ?1",
            [POST],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("post");
    assert_eq!((status.as_str(), flags), ("hidden", 0));
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE actor = 'system' AND action = 'post.hide'"
        ),
        1
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE actor = 'system' AND action = 'enrollment.apply'"
        ),
        1
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        0,
        "the hub keeps no outbox"
    );
    // The stored body is exact; terminals only ever get it through `text`.
    let body: String = store
        .conn()
        .query_row("SELECT body FROM forum_posts", [], |r| r.get(0))
        .expect("body");
    assert!(body.contains('\u{1b}'));
    drop(store);

    // The same file again: nothing new, nothing doubled.
    hub(&db)
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "0 posts, 0 flags, 0 applications, 0 uploads; 6 already known; 0 posts auto-hidden",
        ));
    let store = open(&db);
    assert_eq!(count(&store, "SELECT count(*) FROM forum_flags"), 3);
    assert_eq!(count(&store, "SELECT count(*) FROM audit_log"), 2);
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

#[test]
fn a_bad_line_never_reaches_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
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
