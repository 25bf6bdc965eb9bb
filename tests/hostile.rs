//! Clumsy and hostile input at the command line: a filter that means nothing,
//! a batch over most of a table, `--from` files as spreadsheets write them, a
//! full disk in the middle of a batch, huge inputs quoted in errors.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::*;

fn civitac(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("binary");
    cmd.arg("--db").arg(db).arg("--lang").arg("en");
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("XDG_CONFIG_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"));
    cmd
}

/// civitac with these arguments on `db`, on a "full disk": a 64 KiB file
/// size limit with SIGXFSZ ignored, which SQLite sees as a write failing.
#[cfg(unix)]
fn on_a_full_disk(db: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64; exec \"$@\"")
        .arg("civitac")
        .arg(assert_cmd::cargo::cargo_bin("civitac"))
        .args(["--lang", "en", "--db"])
        .arg(db)
        .args(args)
        .env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"))
        .output()
        .expect("runs")
}

/// `sms contacts import FILE --group GROUP` on `db`.
fn import(db: &Path, file: &Path, group: &str) -> std::process::Output {
    civitac(db)
        .args(["sms", "contacts", "import"])
        .arg(file)
        .args(["--group", group])
        .output()
        .expect("runs")
}

fn state(db: &Path) -> (i64, i64) {
    let s = open(db);
    (
        count(
            &s,
            "SELECT count(*) FROM forum_posts WHERE status <> 'visible'",
        ),
        count(&s, "SELECT count(*) FROM outbox"),
    )
}

#[test]
fn a_search_with_no_word_in_it_is_an_error_never_everything() {
    let (_dir, db) = small_demo();
    let before = state(&db);
    for search in ["", "*", "-", "!!", "\"", "--", "  "] {
        let out = civitac(&db)
            .args(["forum", "hide", "--where"])
            .arg(format!("search={search}"))
            .args([
                "--reason",
                "x",
                "--yes",
                "--continue-on-error",
                "--all-matching",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "search={search:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no word to search for"), "{err}");
    }
    let out = civitac(&db)
        .args([
            "enrollments",
            "reject",
            "--where",
            "search=--",
            "--reason",
            "x",
            "-y",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    // The same in lists.
    let out = civitac(&db)
        .args(["forum", "list", "--search", "**"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(state(&db), before);
}

#[test]
fn a_batch_over_most_of_a_table_needs_all_matching() {
    let (_dir, db) = small_demo();
    let before = state(&db);
    let out = civitac(&db)
        .args([
            "forum",
            "hide",
            "--where",
            "status=visible",
            "--reason",
            "x",
            "-y",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--all-matching") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(state(&db), before);
    // The same selection from a file (as `list --format csv` writes it).
    let all = ids(
        &open(&db),
        "SELECT id FROM forum_posts WHERE status = 'visible'",
    );
    let file = db.with_file_name("all.txt");
    std::fs::write(&file, all.join("\n")).expect("write");
    let out = civitac(&db)
        .args(["forum", "hide", "--reason", "x", "-y", "--from"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(state(&db), before);
    // A missing --from file is named, not the replica.
    let out = civitac(&db)
        .args([
            "forum",
            "hide",
            "--reason",
            "x",
            "-y",
            "--from",
            "nofile.txt",
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nofile.txt") && !err.contains("replica.db"),
        "{err}"
    );
    // Said explicitly, it goes (dry run: the checks, no change).
    let out = civitac(&db)
        .args([
            "forum",
            "hide",
            "--where",
            "status=visible",
            "--reason",
            "x",
            "-y",
            "--all-matching",
            "--dry-run",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn from_files_as_spreadsheets_write_them() {
    let (dir, db) = small_demo();
    let ids: Vec<String> = ids(
        &open(&db),
        "SELECT id FROM organizations WHERE status = 'contacted' ORDER BY id LIMIT 3",
    );
    // A BOM, an uppercase id, a braced one, one without dashes.
    let file = dir.path().join("todo.csv");
    let text = format!(
        "\u{feff}{}\n{{{}}}\n{}\n",
        ids[0].to_uppercase(),
        ids[1],
        ids[2].replace('-', "")
    );
    std::fs::write(&file, text).expect("write");
    let out = civitac(&db)
        .args(["enrollments", "approve", "--from"])
        .arg(&file)
        .arg("-y")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = open(&db);
    for id in &ids {
        assert_eq!(
            count(
                &s,
                &format!(
                    "SELECT count(*) FROM organizations WHERE id = '{id}' AND status = 'enrolled'"
                )
            ),
            1
        );
    }
    drop(s);
    // A 1 MB line is named, not echoed whole.
    std::fs::write(&file, format!("{}\n", "\u{1b}[2Jx".repeat(250_000))).expect("write");
    let out = civitac(&db)
        .args(["enrollments", "approve", "--from"])
        .arg(&file)
        .arg("-y")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.len() < 1_000,
        "{} bytes of error",
        out.stderr.len()
    );
    assert!(!out.stderr.contains(&0x1b));
    assert!(String::from_utf8_lossy(&out.stderr).contains("todo.csv:1:"));
}

#[test]
fn where_id_takes_tens_of_thousands_of_ids() {
    let (_dir, db) = small_demo();
    let real = first_id(&open(&db), "organizations", "status = 'contacted'");
    // More values than SQLite's 32,766 parameters, short enough for one
    // command-line argument (128 KiB).
    fn base36(mut n: u32) -> String {
        let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut out = Vec::new();
        loop {
            out.push(digits[(n % 36) as usize]);
            n /= 36;
            if n == 0 {
                break;
            }
        }
        out.reverse();
        String::from_utf8(out).expect("ascii")
    }
    let mut ids: Vec<String> = (0..32_800).map(base36).collect();
    ids.push(real.to_uppercase());
    let out = civitac(&db)
        .args(["enrollments", "approve", "--dry-run", "--where"])
        .arg(format!("id={}", ids.join(",")))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}", &err[..err.len().min(500)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 organisation would be"));
}

/// A disk that fills up during a batch: one line, a non-zero exit, nothing
/// half-applied (run under a file-size limit, SIGXFSZ ignored, as a full
/// disk looks to SQLite).
#[cfg(unix)]
#[test]
fn a_full_disk_during_a_batch_changes_nothing_and_says_so_once() {
    let (_dir, db) = small_demo();
    let before = state(&db);
    for extra in ["", "--continue-on-error"] {
        let mut args = vec![
            "forum",
            "hide",
            "--where",
            "status=visible",
            "--all-matching",
            "-y",
            "--reason",
            "Spam",
        ];
        if !extra.is_empty() {
            args.push(extra);
        }
        let out = on_a_full_disk(&db, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra}: {err}");
        assert!(
            err.lines().count() <= 2,
            "{extra}: {} lines: {err}",
            err.lines().count()
        );
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(state(&db), before, "{extra}: something was applied");
    }
}

/// A database that refuses writes (read-only, full, failing) stops a batch at
/// the first record, with or without isolation: never one error per record,
/// never the records blamed.
#[test]
fn a_storage_failure_stops_a_batch_at_once() {
    use civitac::domain::forum::PostAction;
    use civitac::ops::decisions::{Decision, apply_batch};
    let (_dir, db) = small_demo();
    let actor = actor_with(&open(&db), civitac::domain::staff::Role::Moderator);
    let ids: Vec<String> = ids(
        &open(&db),
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 50",
    );
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("read-only");
    for isolate in [false, true] {
        let tx = conn.unchecked_transaction().expect("tx");
        let out = apply_batch(
            &tx,
            &actor,
            &Decision::Moderate(PostAction::Hide),
            &ids,
            Some("Spam"),
            civitac::ops::decisions::Mode {
                isolate,
                quiet: false,
            },
            civitac::i18n::Lang::En,
        );
        assert!(
            out.storage
                .as_deref()
                .is_some_and(|w| w.contains("readonly")),
            "{:?}",
            out.storage
        );
        assert_eq!(
            (out.applied.len(), out.failed.len()),
            (0, 0),
            "isolate {isolate}"
        );
    }
}

#[test]
fn csv_cells_never_become_spreadsheet_formulas_unless_raw() {
    let (_dir, db) = small_demo();
    {
        let s = open(&db);
        for (i, body) in [
            "=HYPERLINK(\"http://x\",\"clic\")",
            "@SUM(A1)",
            "+33 6 00",
            "-1+2",
        ]
        .iter()
        .enumerate()
        {
            s.conn()
                .execute(
                    "UPDATE forum_posts SET body = ?1 WHERE id = (SELECT id FROM forum_posts ORDER BY created_at DESC LIMIT 1 OFFSET ?2)",
                    rusqlite::params![body, i as i64],
                )
                .expect("body");
        }
    }
    let read = |raw: bool| -> Vec<String> {
        let mut cmd = civitac(&db);
        cmd.args(["forum", "list", "--format", "csv", "--limit", "10"]);
        if raw {
            cmd.arg("--raw");
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success());
        let mut r = csv::Reader::from_reader(out.stdout.as_slice());
        r.records()
            .flat_map(|rec| {
                rec.expect("csv")
                    .iter()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let safe = read(false);
    for c in &safe {
        let formula = c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.parse::<f64>().is_err();
        assert!(!formula, "{c:?}");
    }
    assert!(
        safe.iter()
            .any(|c| c == "'=HYPERLINK(\"http://x\",\"clic\")")
    );
    assert!(
        read(true)
            .iter()
            .any(|c| c == "=HYPERLINK(\"http://x\",\"clic\")")
    );
}

#[test]
fn names_and_numbers_from_the_command_line_are_checked() {
    let dir = tempfile::tempdir().expect("dir");
    let hub = dir.path().join("hub.db");
    let out = civitac(&hub)
        .args([
            "hub",
            "token",
            "issue",
            "--staff",
            "awa",
            "--role",
            "moderator",
            "--device",
            "pc\u{1b}]0;pwned\u{7}",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.contains(&0x1b) && !out.stdout.contains(&0x1b));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--device"));
    let (_d, db) = small_demo();
    let out = civitac(&db)
        .args(["forum", "list", "--limit", "18446744073709551615"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// Databases, their journals, logs and secrets are the owner's only.
#[cfg(unix)]
#[test]
fn files_are_created_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().expect("dir");
    let demo = dir.path().join("data").join("demo");
    civitac::demo::build(&demo, &options(0.05, 3)).expect("demo");
    assert_eq!(mode(&demo), 0o700, "a directory civitac made");
    for name in ["hub.db", "replica.db"] {
        let db = demo.join(name);
        let store = civitac::store::Store::open(&db).expect("open");
        store.set_state("probe", "1").expect("write");
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            assert_eq!(mode(Path::new(&p)), 0o600, "{name}{suffix}");
        }
    }
    // The log, and the hub's callback key (outside the database).
    let out = civitac(&demo.join("replica.db"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .arg("whoami")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let log = walk(dir.path())
        .into_iter()
        .find(|p| p.ends_with("civitac.log"))
        .expect("a log");
    assert_eq!(mode(&log), 0o600);
    let hub = demo.join("hub.db");
    let _backend =
        civitac::hub::backend::SqliteHub::open(&hub, demo.join("files"), 3).expect("hub");
    assert_eq!(mode(&civitac::hub::backend::sms_key_path(&hub)), 0o600);
    assert_eq!(
        open(&hub).state("sms_callback_key").expect("state"),
        None,
        "the key is not in the database"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn group_name(db: &Path) -> String {
    open(db)
        .conn()
        .query_row(
            "SELECT name FROM sms_groups ORDER BY name LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("group")
}

#[test]
fn an_unbalanced_quote_costs_its_line_only() {
    let (dir, db) = small_demo();
    let group = group_name(&db);
    let mut text = String::from("nom,telephone\n\"Awa Kaboré,70 00 00 01\n");
    for i in 0..999 {
        text.push_str(&format!("Contact {i},70{:06}\n", 100_000 + i));
    }
    let file = dir.path().join("quotes.csv");
    std::fs::write(&file, text).expect("write");
    let out = import(&db, &file, &group);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("quotes.csv:2: unbalanced quote"),
        "{stderr}"
    );
    assert!(stdout.contains("999 contacts added"), "{stdout}{stderr}");
    // A thousand bad lines are a screenful, not a thousand lines.
    let bad: String = (0..1000).map(|i| format!("x{i},123\n")).collect();
    std::fs::write(&file, format!("nom,telephone\n{bad}")).expect("write");
    let out = import(&db, &file, &group);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.lines().count() <= 52,
        "{} lines",
        stderr.lines().count()
    );
    assert!(stderr.contains("950 more"), "{stderr}");
}

#[test]
fn an_encoding_is_read_as_said_or_refused_never_guessed_silently() {
    let (dir, db) = small_demo();
    let group = group_name(&db);
    // Windows-1252 throughout: read so, and said.
    let mut latin = b"nom;telephone\n".to_vec();
    latin.extend_from_slice(b"Jos\xe9 Ou\xe9draogo;70 00 00 42\n");
    let file = dir.path().join("latin.csv");
    std::fs::write(&file, &latin).expect("write");
    let out = import(&db, &file, &group);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Windows-1252"));
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM sms_contacts WHERE name = 'José Ouédraogo'"
        ),
        1
    );
    // UTF-8 with one bad byte: both readings plausible, so refused.
    let mut mixed = "nom;telephone\nAminata Ouédraogo;70 00 00 43\n"
        .as_bytes()
        .to_vec();
    mixed.extend_from_slice(b"Bad\xff;70 00 00 44\n");
    std::fs::write(&file, &mixed).expect("write");
    let out = import(&db, &file, &group);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("latin.csv:3: not UTF-8"));
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM sms_contacts WHERE name LIKE 'Aminata Ou%draogo' AND phone_e164 = '+22670000043'"
        ),
        0,
        "nothing imported"
    );
}

/// Corruption met in the middle of a file is reported naming the file, in
/// one line, with a failure exit.
#[test]
fn corruption_found_mid_file_names_the_file() {
    let (_dir, db) = small_demo();
    {
        // Checkpointed into the main file, then a run of pages overwritten
        // well past the schema.
        let s = open(&db);
        s.conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    let mut bytes = std::fs::read(&db).expect("read");
    let start = bytes.len() / 2;
    for (i, b) in bytes[start..start + 64 * 4096].iter_mut().enumerate() {
        *b = (i * 131 % 251) as u8;
    }
    std::fs::write(&db, &bytes).expect("write");
    let name = db.display().to_string();
    for args in [
        vec!["forum", "list", "--format", "csv"],
        vec![
            "forum",
            "hide",
            "--where",
            "search=forage",
            "--reason",
            "x",
            "-y",
            "--dry-run",
        ],
    ] {
        let out = civitac(&db).args(&args).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&name) && err.lines().count() <= 2,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn contacts_files_in_utf16_or_with_bare_carriage_returns_lose_nothing() {
    let (dir, db) = small_demo();
    let group = group_name(&db);
    let file = dir.path().join("u16.csv");
    let text = "nom;telephone\r\nAïcha Traoré;70 00 00 71\r\n";
    let mut bytes = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&file, &bytes).expect("write");
    let out = import(&db, &file, &group);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM sms_contacts WHERE name = 'Aïcha Traoré'"
        ),
        1
    );
    // Lines ended by a lone CR (old Mac files), or a CR inside a line.
    std::fs::write(&file, "nom,telephone\rA,70000072\rB,70000073\nC,70000074\n").expect("write");
    let out = import(&db, &file, &group);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 contacts added"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A full disk during an ingest stops it with one line saying what was
/// committed, never thousands of "bad lines" that were the disk's fault.
#[cfg(unix)]
#[test]
fn a_full_disk_during_an_ingest_is_the_disks_fault_not_the_lines() {
    let (dir, _replica) = small_demo();
    let hub = dir.path().join("hub.db");
    let feed = dir.path().join("feed.jsonl");
    let lines: String = (0..3000)
        .map(|i| format!("{{\"type\":\"post\",\"id\":\"full-{i}\",\"thread\":{{\"id\":\"t\",\"title\":\"Eau\"}},\"author\":{{\"id\":\"a\",\"name\":\"Ali\"}},\"body\":\"{}\",\"created_at\":\"2026-11-02T10:00:00Z\"}}\n", "panne ".repeat(40)))
        .collect();
    std::fs::write(&feed, lines).expect("write");
    let out = on_a_full_disk(&hub, &["hub", "ingest", feed.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.lines().count() <= 2,
        "{} lines: {err}",
        err.lines().count()
    );
    assert!(err.contains("hub.db") && err.contains("committed"), "{err}");
}

/// A reason reaches every console and the author on the website: the replica
/// refuses what the hub would (too long, a bidi override, a newline), with
/// the character and where, and changes nothing; French spaces are fine.
#[test]
fn a_reason_the_hub_would_refuse_is_refused_where_it_is_typed() {
    let (_dir, db) = small_demo();
    let post = first_id(&open(&db), "forum_posts", "status = 'visible'");
    let before = state(&db);
    for (reason, says) in [
        ("x".repeat(2_001), "over 2000 characters".to_owned()),
        (
            "Spam\u{202e}moc.live".to_owned(),
            "U+202E at position 5".to_owned(),
        ),
        (
            "Spam\nVotre compte".to_owned(),
            "U+000A at position 5".to_owned(),
        ),
    ] {
        let out = civitac(&db)
            .args(["forum", "hide", &post, "--yes", "--reason"])
            .arg(&reason)
            .output()
            .expect("runs");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&says) && err.lines().count() <= 2, "{err}");
    }
    assert_eq!(state(&db), before, "nothing changed");
    civitac(&db)
        .args(["forum", "hide", &post, "--yes", "--reason"])
        .arg("Spam\u{a0}: vente\u{202f}!")
        .assert()
        .success();
}
