//! Bundles: a sync carried on a USB stick. The replica exports its waiting
//! ops, the hub imports them and writes an answer, the replica imports the
//! answer — and ends where an online sync of the same work ends. Tampered,
//! cut, foreign, revoked and stale bundles are refused with one line and
//! change nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::net::{HubProcess, Replica, demo_hub, hub_cmd, issue, revoke};

/// A copy of a closed SQLite database (its own file, WAL folded in).
fn copy_db(from: &Path, to: &Path) {
    let conn = rusqlite::Connection::open(from).expect("open");
    conn.execute("VACUUM INTO ?1", [to.to_str().expect("utf-8")])
        .expect("copy");
}

/// The replica `from`, copied into a new home: the same device, the same
/// outbox, the same token.
fn twin(root: &Path, from: &Replica, name: &str) -> Replica {
    let r = Replica::new(root, name);
    copy_db(&from.db, &r.db);
    std::fs::copy(
        civitac::replica::credentials::path_for(&from.db),
        civitac::replica::credentials::path_for(&r.db),
    )
    .expect("credentials");
    r
}

/// `civitac bundle export|import FILE` on a replica.
fn on_replica(r: &Replica, what: &str, file: impl AsRef<std::ffi::OsStr>) -> Output {
    r.cmd()
        .args(["bundle", what])
        .arg(file)
        .output()
        .expect("runs")
}

fn hub_import(db: &Path, bundle: &Path, answer: &Path) -> Output {
    hub_cmd(db)
        .args(["hub", "bundle", "import"])
        .arg(bundle)
        .arg("--answer")
        .arg(answer)
        .output()
        .expect("runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// One line on stderr, exit 1, and the line says `what`.
fn refused(out: Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(what), "expected \"{what}\": {err}");
}

/// The state two routes must agree on: every synced row (the times a device
/// was last seen aside: they are the clock of the sync itself) and each
/// op's outcome.
fn state(store: &civitac::store::Store) -> Vec<String> {
    let mut out: Vec<String> = common::synced_digest(store)
        .into_iter()
        .filter(|(t, _, _)| t != "staff")
        .map(|(t, n, d)| format!("{t} {n} {d}"))
        .collect();
    out.extend(common::ids(
        store,
        "SELECT id || ' ' || role || ' ' || active FROM staff ORDER BY id",
    ));
    if store.side().expect("side") == civitac::store::Side::Replica {
        out.extend(common::ids(
            store,
            "SELECT op_id || ' ' || coalesce(outcome, '-') || ' ' || coalesce(reason, '-') FROM outbox ORDER BY seq",
        ));
    }
    out
}

struct Field {
    dir: tempfile::TempDir,
    hub_db: PathBuf,
    hub_url: String,
    r: Replica,
}

/// A hub and a replica attached to it (and synced), then the hub stopped:
/// the replica is in the field.
fn field() -> Field {
    let dir = tempfile::tempdir().expect("dir");
    let hub_db = demo_hub(dir.path());
    let token = issue(&hub_db, "test.awa", "moderator", "terrain");
    let mut hub = HubProcess::start(&hub_db, &[]);
    let r = Replica::new(dir.path(), "r");
    r.login(&hub.url, &token);
    let hub_url = hub.url.clone();
    hub.terminate();
    Field {
        dir,
        hub_db,
        hub_url,
        r,
    }
}

#[test]
fn a_bundle_round_trip_ends_where_an_online_sync_of_the_same_work_ends() {
    let f = field();
    let root = f.dir.path();
    let queued = f.r.hide_flagged();
    // Meanwhile the platform sent posts and flags: both routes bring them back.
    let feed = root.join("feed.jsonl");
    let lines: String = (0..40)
        .map(|i| {
            format!(
                r#"{{"type":"post","id":"usb-{i}","thread":{{"id":"t-usb","title":"Forage de Dori"}},"author":{{"id":"c-usb-{i}","name":"Awa {i}"}},"body":"Le forage {i} est en panne","created_at":"2026-11-20T10:00:00Z"}}
{{"type":"flag","post_id":"usb-{i}","reporter":"c-usb-x","reason":"abuse","created_at":"2026-11-21T10:00:00Z"}}
"#
            )
        })
        .collect();
    std::fs::write(&feed, lines).expect("feed");
    ok(hub_cmd(&f.hub_db)
        .args(["hub", "ingest"])
        .arg(&feed)
        .output()
        .expect("runs"));
    let before_pull = common::count(&f.r.store(), "SELECT count(*) FROM forum_posts");

    // The same replica and hub twice: one pair syncs online, the other by stick.
    let stick = twin(root, &f.r, "stick");
    let hub2 = root.join("hub2").join("hub.db");
    std::fs::create_dir_all(hub2.parent().expect("dir")).expect("dir");
    copy_db(&f.hub_db, &hub2);
    // The hub's secrets live beside its database, and move with it.
    std::fs::copy(
        civitac::hub::backend::bundle_secret_path(&f.hub_db),
        civitac::hub::backend::bundle_secret_path(&hub2),
    )
    .expect("bundle secret");

    let mut hub =
        HubProcess::start_on(&f.hub_db, f.hub_url.rsplit("//").next().expect("addr"), &[]);
    let online = f.r.sync();
    assert_eq!(online["applied"], queued);
    hub.terminate();

    let bundle = root.join("usb").join("terrain.civitac");
    std::fs::create_dir_all(bundle.parent().expect("dir")).expect("dir");
    let said = ok(on_replica(&stick, "export", &bundle));
    assert!(said.contains(&format!("{queued} ops")), "{said}");
    let answer = root.join("usb").join("terrain.answer");
    let said = ok(hub_import(&hub2, &bundle, &answer));
    assert!(
        said.contains(&format!("{queued} of {queued} applied")),
        "{said}"
    );
    let said = ok(on_replica(&stick, "import", &answer));
    assert!(said.contains(&format!("{queued} applied")), "{said}");

    let hub_online = civitac::store::Store::open(&f.hub_db).expect("hub");
    let hub_stick = civitac::store::Store::open(&hub2).expect("hub2");
    assert_eq!(state(&hub_online), state(&hub_stick), "the two hubs differ");
    assert_eq!(
        state(&f.r.store()),
        state(&stick.store()),
        "the two replicas differ"
    );
    assert_eq!(
        common::count(
            &stick.store(),
            "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"
        ),
        0
    );
    assert_eq!(
        common::count(&stick.store(), "SELECT count(*) FROM forum_posts"),
        before_pull + 40,
        "the platform's posts came back on the stick"
    );

    // Twice the same bundle, twice the same answer: nothing changes.
    let before = (state(&hub_stick), state(&stick.store()));
    let again = root.join("usb").join("again.answer");
    let said = ok(hub_import(&hub2, &bundle, &again));
    assert!(
        said.contains(&format!("0 of {queued} applied, {queued} already known")),
        "{said}"
    );
    let said = ok(on_replica(&stick, "import", &answer));
    assert!(said.contains("already imported"), "{said}");
    assert_eq!(before, (state(&hub_stick), state(&stick.store())));
    // The second answer starts where the first did: older than the replica now.
    refused(
        on_replica(&stick, "import", &again),
        "older than what the replica has",
    );
    assert_eq!(before, (state(&hub_stick), state(&stick.store())));
}

#[test]
fn tampered_cut_foreign_revoked_and_misplaced_bundles_are_refused_and_change_nothing() {
    let f = field();
    let root = f.dir.path();
    f.r.hide_flagged();
    let bundle = root.join("b.civitac");
    ok(on_replica(&f.r, "export", &bundle));
    let bytes = std::fs::read(&bundle).expect("read");
    let hub = || civitac::store::Store::open(&f.hub_db).expect("hub");
    let before = state(&hub());
    let answer = root.join("a.civitac");

    let tampered = root.join("tampered.civitac");
    let mut bad = bytes.clone();
    let i = bad.len() - 100;
    bad[i] ^= 0x20;
    std::fs::write(&tampered, &bad).expect("write");
    refused(
        hub_import(&f.hub_db, &tampered, &answer),
        "altered or damaged",
    );

    let cut = root.join("cut.civitac");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    refused(hub_import(&f.hub_db, &cut, &answer), "cut short");

    // Signed with what the hub's database holds (the token's hash): a copy
    // of the database is not enough to forge a device's bundle.
    let forged = root.join("forged.civitac");
    {
        let h = hub();
        let (device, hash): (String, String) = h
            .conn()
            .query_row(
                "SELECT id, token_sha256 FROM devices WHERE name = 'terrain'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("device");
        let body = civitac::protocol::bundle::OpsBody {
            cursor: "start".into(),
            epoch: None,
            push: civitac::protocol::PushRequest {
                v: civitac::protocol::PROTOCOL_VERSION,
                ops: Vec::new(),
            },
        };
        let bytes = civitac::protocol::bundle::seal(
            civitac::protocol::bundle::Kind::Ops,
            &device,
            "forged",
            &hash,
            &body,
        )
        .expect("seal");
        std::fs::write(&forged, bytes).expect("write");
    }
    refused(hub_import(&f.hub_db, &forged, &answer), "another key");

    let not = root.join("notes.txt");
    std::fs::write(&not, "des notes\n").expect("write");
    refused(hub_import(&f.hub_db, &not, &answer), "not a civitac bundle");
    assert!(!answer.exists(), "no answer written for a refused bundle");
    assert_eq!(before, state(&hub()), "a refused bundle changed the hub");

    // An ops bundle taken to a replica, an answer taken to the hub.
    refused(on_replica(&f.r, "import", &bundle), "hub bundle import");
    ok(hub_import(&f.hub_db, &bundle, &answer));
    refused(
        hub_import(&f.hub_db, &answer, &root.join("x")),
        "civitac bundle import",
    );

    // Another replica of another device is not this answer's.
    let token = issue(&f.hub_db, "test.awa", "moderator", "bureau");
    let other = Replica::new(root, "other");
    {
        let mut hub =
            HubProcess::start_on(&f.hub_db, f.hub_url.rsplit("//").next().expect("addr"), &[]);
        other.login(&hub.url, &token);
        hub.terminate();
    }
    let other_before = state(&other.store());
    refused(on_replica(&other, "import", &answer), "is for device");
    assert_eq!(other_before, state(&other.store()));

    // A revoked device's bundle is refused, even one signed before: its new
    // decision is not applied.
    let post = common::first_id(&f.r.store(), "forum_posts", "status = 'visible'");
    f.r.run(&["forum", "hide", &post, "--reason", "Spam", "-y"]);
    let later = root.join("later.civitac");
    ok(on_replica(&f.r, "export", &later));
    revoke(&f.hub_db, "terrain");
    let after_first = state(&hub());
    refused(hub_import(&f.hub_db, &later, &root.join("y")), "revoked");
    assert_eq!(after_first, state(&hub()));
    assert_eq!(
        common::count(
            &hub(),
            &format!("SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = 'visible'")
        ),
        1
    );
}

#[test]
fn a_first_fill_by_bundle_killed_anywhere_completes_and_equals_an_online_one() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    let hub_db = demo_hub(root);
    let office = issue(&hub_db, "test.awa", "moderator", "bureau");
    let field = issue(&hub_db, "test.ali", "field_agent", "terrain");
    let mut hub = HubProcess::start(&hub_db, &[]);
    // One replica filled online; one only attached (a commune without a link).
    let online = Replica::new(root, "online");
    online.login(&hub.url, &office);
    let stick = Replica::new(root, "stick");
    stick
        .assert_cmd()
        .args(["login", "--no-sync", "--hub", &hub.url])
        .env("CIVITAC_TOKEN", &field)
        .assert()
        .success();
    hub.terminate();

    let bundle = root.join("fill.civitac");
    let said = ok(on_replica(&stick, "export", &bundle));
    assert!(said.contains("0 ops"), "{said}");
    let answer = root.join("fill.answer");
    ok(hub_import(&hub_db, &bundle, &answer));

    // The import killed again and again, at growing delays, then finished.
    // A kill landed inside it when it moved the cursor without finishing.
    let mut landed = 0;
    let at = |r: &Replica| {
        let s = r.store();
        (
            s.state("pull_cursor").expect("state"),
            s.state("bundle_imported").expect("state"),
        )
    };
    for ms in [40u64, 80, 120, 160, 220, 300, 400, 550, 750] {
        let before = at(&stick);
        let mut child = stick
            .cmd()
            .args(["bundle", "import"])
            .arg(&answer)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let _ = child.kill();
        let _ = child.wait();
        let after = at(&stick);
        if after.0 != before.0 && after.1.is_none() {
            landed += 1;
        }
    }
    eprintln!("{landed} kills landed inside the import");
    assert!(landed > 0, "no kill landed inside the import");
    let said = ok(on_replica(&stick, "import", &answer));
    assert!(
        said.contains("rows received") || said.contains("already imported"),
        "{said}"
    );
    let filled = stick.store();
    assert!(!civitac::replica::pull::fill_unfinished(filled.conn()));
    common::assert_search_index_whole(&filled);
    let without_outbox = |s: &civitac::store::Store| -> Vec<String> {
        state(s)
            .into_iter()
            .filter(|l| !l.contains(" applied "))
            .collect()
    };
    assert_eq!(without_outbox(&online.store()), without_outbox(&filled));
}

/// The last op in the replica's outbox.
fn last_op(r: &Replica) -> String {
    common::ids(
        &r.store(),
        "SELECT op_id FROM outbox ORDER BY seq DESC LIMIT 1",
    )
    .pop()
    .expect("an op")
}

fn undo(r: &Replica, op_id: &str) -> Result<(), String> {
    let mut store = r.store();
    let actor = store.owner().expect("owner").expect("attached");
    let tx = store.conn_mut().transaction().expect("tx");
    civitac::ops::apply(
        &tx,
        &actor,
        &civitac::ops::Op::Undo {
            op_id: op_id.to_owned(),
            reason: None,
        },
    )
    .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())
}

#[test]
fn an_exported_op_cannot_be_undone_and_later_ops_wait_for_the_next_bundle() {
    let f = field();
    let root = f.dir.path();
    let queued = f.r.hide_flagged();
    let exported = last_op(&f.r);
    let b1 = root.join("b1.civitac");
    ok(on_replica(&f.r, "export", &b1));
    // Its undo would reach the hub in a later bundle, too late to count.
    let refused = undo(&f.r, &exported).expect_err("an exported op is undone");
    assert!(refused.contains("bundle exported for the hub"), "{refused}");

    // A decision after the export, undone and decided again: not in b1.
    let post = common::first_id(&f.r.store(), "forum_posts", "status = 'visible'");
    f.r.run(&["forum", "hide", &post, "--reason", "Spam", "-y"]);
    undo(&f.r, &last_op(&f.r)).expect("an op made after the export is undone");
    f.r.run(&["forum", "hide", &post, "--reason", "Spam", "-y"]);

    let a1 = root.join("a1.civitac");
    let said = ok(hub_import(&f.hub_db, &b1, &a1));
    assert!(
        said.contains(&format!("{queued} of {queued} applied")),
        "{said}"
    );
    let said = ok(on_replica(&f.r, "import", &a1));
    assert!(
        said.contains("3 ops waiting"),
        "the later ones wait: {said}"
    );

    let b2 = root.join("b2.civitac");
    let said = ok(on_replica(&f.r, "export", &b2));
    assert!(said.contains("3 ops"), "{said}");
    let a2 = root.join("a2.civitac");
    let said = ok(hub_import(&f.hub_db, &b2, &a2));
    assert!(said.contains("3 of 3 applied"), "{said}");
    ok(on_replica(&f.r, "import", &a2));
    let hub = civitac::store::Store::open(&f.hub_db).expect("hub");
    let status: String = hub
        .conn()
        .query_row(
            "SELECT status FROM forum_posts WHERE id = ?1",
            [&post],
            |r| r.get(0),
        )
        .expect("post");
    assert_eq!(status, "hidden");
    assert_eq!(
        state(&hub)[..16],
        state(&f.r.store())[..16],
        "replica and hub agree"
    );
}

#[test]
fn an_answer_from_before_a_hub_restore_is_refused_and_a_new_one_brings_a_fresh_snapshot() {
    let f = field();
    let root = f.dir.path();
    let backup = root.join("hub-backup.db");
    ok(hub_cmd(&f.hub_db)
        .args(["hub", "backup"])
        .arg(&backup)
        .output()
        .expect("runs"));
    f.r.hide_flagged();
    let b1 = root.join("b1.civitac");
    ok(on_replica(&f.r, "export", &b1));
    let a1 = root.join("a1.civitac");
    ok(hub_import(&f.hub_db, &b1, &a1));
    ok(on_replica(&f.r, "import", &a1));

    // The hub loses a day: restored from the backup taken before b1.
    ok(hub_cmd(&f.hub_db)
        .args(["hub", "restore"])
        .arg(&backup)
        .output()
        .expect("runs"));
    let b2 = root.join("b2.civitac");
    ok(on_replica(&f.r, "export", &b2));
    let a2 = root.join("a2.civitac");
    ok(hub_import(&f.hub_db, &b2, &a2));
    let said = ok(on_replica(&f.r, "import", &a2));
    assert!(said.contains("ops waiting"), "{said}");
    // What the restored hub lost goes again in the next bundle, once.
    let b3 = root.join("b3.civitac");
    ok(on_replica(&f.r, "export", &b3));
    let a3 = root.join("a3.civitac");
    ok(hub_import(&f.hub_db, &b3, &a3));
    ok(on_replica(&f.r, "import", &a3));
    let hub = civitac::store::Store::open(&f.hub_db).expect("hub");
    let replica = f.r.store();
    assert_eq!(
        state(&hub)[..16],
        state(&replica)[..16],
        "replica and restored hub agree"
    );
    assert_eq!(
        common::count(
            &replica,
            "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"
        ),
        0
    );
    // a1 is from the hub before its restore: its rows would take the replica back.
    let before = state(&replica);
    refused(
        on_replica(&f.r, "import", &a1),
        "older than what the replica has",
    );
    assert_eq!(before, state(&f.r.store()));
    // A mistyped --answer never replaces a file that is not a bundle.
    refused(hub_import(&f.hub_db, &b3, &f.hub_db), "not a bundle");
    assert!(civitac::store::Store::open(&f.hub_db).is_ok());
}

#[test]
fn an_import_cut_after_a_page_resumes_at_the_next_and_a_page_lands_only_where_the_last_ended() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    let hub_db = demo_hub(root);
    let field = issue(&hub_db, "test.ali", "field_agent", "terrain");
    let mut hub = HubProcess::start(&hub_db, &[]);
    let stick = Replica::new(root, "stick");
    stick
        .assert_cmd()
        .args(["login", "--no-sync", "--hub", &hub.url])
        .env("CIVITAC_TOKEN", &field)
        .assert()
        .success();
    hub.terminate();
    let bundle = root.join("fill.civitac");
    ok(on_replica(&stick, "export", &bundle));
    let answer = root.join("fill.answer");
    ok(hub_import(&hub_db, &bundle, &answer));

    // What a cut import leaves: the answer marked as under way, its epoch
    // met, its outcomes and first page written.
    let bytes = std::fs::read(&answer).expect("answer");
    let unopened = civitac::protocol::bundle::read_header(&bytes).expect("header");
    let id = unopened.header.id.clone();
    let mut lines = unopened
        .open_lines(
            &civitac::replica::credentials::Credentials::load(&stick.db)
                .expect("credentials")
                .bundle_key
                .expect("a bundle key from login"),
        )
        .expect("opens with the device's key");
    struct Body {
        push: civitac::protocol::PushResponse,
        pages: Vec<civitac::protocol::PullResponse>,
    }
    let head: civitac::protocol::bundle::AnswerHead =
        lines.read().expect("line").expect("outcomes first");
    let mut body = Body {
        push: head.push,
        pages: Vec::new(),
    };
    while let Some(page) = lines.read().expect("line") {
        body.pages.push(page);
    }
    assert!(body.pages.len() > 2, "a first fill takes several pages");
    {
        let mut s = stick.store();
        s.set_state("bundle_importing", &id).expect("marker");
        civitac::replica::session::meet_epoch(s.conn_mut(), body.push.epoch.as_deref())
            .expect("epoch");
        civitac::replica::pull::apply_page(s.conn_mut(), &body.pages[0]).expect("page 0");
        // A page from elsewhere than where the replica stands is refused whole.
        let moved =
            civitac::replica::pull::apply_page_after(s.conn_mut(), &body.pages[2], Some("start"))
                .expect_err("a page lands only where the one before ended");
        assert!(moved.to_string().contains("import again"), "{moved}");
    }
    let said = ok(on_replica(&stick, "import", &answer));
    let rows: usize = body.pages[1..].iter().map(|p| p.rows.len()).sum();
    assert!(
        said.contains(&format!("{} rows received", rows)),
        "the rest, from page 1: {said} (expected {rows})"
    );
    let filled = stick.store();
    assert!(!civitac::replica::pull::fill_unfinished(filled.conn()));
    common::assert_search_index_whole(&filled);
    let hub = civitac::store::Store::open(&hub_db).expect("hub");
    assert_eq!(state(&hub)[..16], state(&filled)[..16]);
}

#[test]
fn a_replica_attached_before_bundles_gets_its_key_at_its_next_sync() {
    let dir = tempfile::tempdir().expect("dir");
    let hub_db = demo_hub(dir.path());
    let token = issue(&hub_db, "test.awa", "moderator", "ancien");
    let hub = HubProcess::start(&hub_db, &[]);
    let r = Replica::new(dir.path(), "r");
    r.login(&hub.url, &token);
    // As an older civitac left it: no bundle key.
    let path = civitac::replica::credentials::path_for(&r.db);
    let text = std::fs::read_to_string(&path).expect("credentials");
    let older: String = text
        .lines()
        .filter(|l| !l.starts_with("bundle_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(older, text, "the key was there");
    std::fs::write(&path, older).expect("write");
    let b = dir.path().join("b.civitac");
    refused(on_replica(&r, "export", &b), "no bundle key yet");
    r.sync();
    ok(on_replica(&r, "export", &b));
    ok(hub_import(&hub_db, &b, &dir.path().join("a.civitac")));
}

#[test]
fn an_answer_from_an_epoch_the_replica_left_since_is_refused() {
    let f = field();
    let root = f.dir.path();
    let backup = root.join("hub-backup.db");
    ok(hub_cmd(&f.hub_db)
        .args(["hub", "backup"])
        .arg(&backup)
        .output()
        .expect("runs"));
    // The hub restored once: an answer from its second epoch waits on a stick.
    ok(hub_cmd(&f.hub_db)
        .args(["hub", "restore"])
        .arg(&backup)
        .output()
        .expect("runs"));
    f.r.hide_flagged();
    let b = root.join("b.civitac");
    ok(on_replica(&f.r, "export", &b));
    let a = root.join("a.civitac");
    ok(hub_import(&f.hub_db, &b, &a));
    // Restored again, and the replica synced online with that third epoch.
    ok(hub_cmd(&f.hub_db)
        .args(["hub", "restore"])
        .arg(&backup)
        .output()
        .expect("runs"));
    let mut hub =
        HubProcess::start_on(&f.hub_db, f.hub_url.rsplit("//").next().expect("addr"), &[]);
    f.r.sync();
    hub.terminate();
    let before = state(&f.r.store());
    // The older epoch's fresh snapshot would take the replica back.
    refused(
        on_replica(&f.r, "import", &a),
        "older than what the replica has",
    );
    assert_eq!(before, state(&f.r.store()));
}
