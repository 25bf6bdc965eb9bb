//! Watched words at ingest (`civitac hub words`): accents, case, prefixes and
//! phrases; what each action does to the post, as an op of the system with
//! the word as its reason, in the decision feed; a post that must not match.

mod common;

use assert_cmd::Command;
use civitac::hub::decisions;
use common::*;
use predicates::prelude::*;

fn civitac(db: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("bin");
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .args(["--lang", "en", "--db"])
        .arg(db);
    cmd
}

fn post(id: &str, thread: &str, title: &str, body: &str) -> String {
    format!(
        r#"{{"type":"post","id":"{id}","thread":{{"id":"{thread}","title":"{title}"}},"author":{{"id":"a-{id}","name":"Auteur {id}"}},"body":"{body}","created_at":"2026-11-12T10:00:00Z"}}"#
    )
}

#[test]
fn watched_words_hold_flag_and_reject_at_ingest() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    for (word, action) in [
        ("Arnaque", "reject"),
        ("forag*", "flag"),
        ("vente de terrains", "hold"),
    ] {
        civitac(&db)
            .args(["hub", "words", "add", word, "--action", action])
            .assert()
            .success();
    }
    // A list from a spreadsheet: all or nothing.
    let csv = dir.path().join("words.csv");
    std::fs::write(&csv, "word,action\nescroc,hold\nfo*,flag\n").expect("csv");
    civitac(&db)
        .args(["hub", "words", "import"])
        .arg(&csv)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("words.csv:3:")
                .and(predicate::str::contains("nothing was imported")),
        );
    std::fs::write(&csv, "\u{feff}mot,action\nESCROC,hold\n").expect("csv");
    civitac(&db)
        .args(["hub", "words", "import"])
        .arg(&csv)
        .assert()
        .success();
    civitac(&db)
        .args(["hub", "words", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ESCROC").and(predicate::str::contains("prefix")));

    let lines = [
        // The thread's title has the phrase, in capitals: held.
        post("p1", "t1", "Vente de TERRAINS à Kaya", "Bonjour"),
        // Accents and case: "ARNAQUÉ" is "arnaque": rejected.
        post(
            "p2",
            "t1",
            "Vente de TERRAINS à Kaya",
            "C'est une ARNAQUÉ !",
        ),
        // A prefix: flagged into the queue, still visible.
        post("p3", "t2", "Eau", "Les Forages de Dori"),
        // Must not match: "arnaqueur" is another word, "forum" another start,
        // the phrase's words out of order.
        post(
            "p4",
            "t2",
            "Eau",
            "Un forum sur l'arnaqueur, terrains de vente",
        ),
    ]
    .join("\n");
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, lines).expect("input");
    civitac(&db)
        .args(["hub", "ingest"])
        .arg(&input)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "watched words: 1 held, 1 flagged, 1 rejected",
        ));

    let hub = open(&db);
    let state = |p: &str| -> (String, i64, Option<String>, Option<String>) {
        hub.conn()
            .query_row(
                "SELECT status, flag_count, watched_word, reason FROM forum_posts WHERE platform_id = ?1",
                [p],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("post")
    };
    assert_eq!(
        state("p1"),
        (
            "hidden".into(),
            0,
            Some("vente de terrains".into()),
            Some("mot surveillé « vente de terrains »".into())
        )
    );
    assert_eq!(state("p2").0, "removed");
    assert_eq!(
        state("p3"),
        ("visible".into(), 1, Some("forag*".into()), None)
    );
    assert_eq!(state("p4"), ("visible".into(), 0, None, None));
    // Audited as the system's decisions, and in the platform's feed.
    let page = decisions::since(hub.conn(), 0, 100).expect("feed");
    let got: Vec<(&str, Option<&str>, &str, &str)> = page
        .decisions
        .iter()
        .map(|d| {
            (
                d.platform_id.as_deref().unwrap_or(""),
                d.reason.as_deref(),
                d.kind.as_str(),
                d.by.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "p1",
                Some("mot surveillé « vente de terrains »"),
                "post.hidden",
                "system"
            ),
            (
                "p2",
                Some("mot surveillé « Arnaque »"),
                "post.removed",
                "system"
            ),
        ]
    );
    drop(hub);
    // Held posts wait for a moderator: the forum list finds them (the
    // console's filter line takes the same `watched=hold`).
    let held = civitac(&db)
        .args(["forum", "list", "--watched", "hold", "--format", "json"])
        .output()
        .expect("list");
    let held: Vec<serde_json::Value> = serde_json::from_slice(&held.stdout).expect("json");
    let ids: Vec<&str> = held
        .iter()
        .filter_map(|p| p["platform_id"].as_str())
        .collect();
    assert_eq!(ids, ["p1"]);
    civitac(&db)
        .args(["forum", "list", "--watched", "maybe"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("hold, flag or reject"));
    // Removed from the list: the next post with the word passes.
    civitac(&db)
        .args(["hub", "words", "remove", "ARNAQUÉ"])
        .assert()
        .success();
    std::fs::write(&input, post("p5", "t2", "Eau", "arnaque")).expect("input");
    civitac(&db)
        .args(["hub", "ingest"])
        .arg(&input)
        .assert()
        .success();
    assert_eq!(
        open(&db)
            .conn()
            .query_row(
                "SELECT status FROM forum_posts WHERE platform_id = 'p5'",
                [],
                |r| r.get::<_, String>(0)
            )
            .expect("p5"),
        "visible"
    );
}
