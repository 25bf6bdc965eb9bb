//! The batch CLI as an admin uses it: lists in every format, batch actions with
//! their all-or-nothing rule, dry runs, confirmation, exit codes.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::*;
use predicates::prelude::*;

fn civitac(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("binary");
    cmd.arg("--db").arg(db).arg("--lang").arg("en");
    // Logs go under a throwaway data directory, not the tester's home.
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"));
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn ids_where(db: &Path, condition: &str, n: usize) -> Vec<String> {
    let store = open(db);
    let mut stmt = store
        .conn()
        .prepare(&format!(
            "SELECT id FROM organizations WHERE {condition} ORDER BY id LIMIT {n}"
        ))
        .expect("q");
    stmt.query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ids")
}

fn statuses(db: &Path, ids: &[String]) -> Vec<String> {
    let store = open(db);
    ids.iter()
        .map(|id| {
            store
                .conn()
                .query_row(
                    "SELECT status FROM organizations WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .expect("s")
        })
        .collect()
}

#[test]
fn csv_and_json_lists_parse() {
    let (_dir, db) = small_demo();
    let json = stdout(civitac(&db).args([
        "enrollments",
        "list",
        "--status",
        "contacted",
        "--format",
        "json",
    ]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("valid JSON array");
    let expected = count(
        &open(&db),
        "SELECT count(*) FROM organizations WHERE status = 'contacted'",
    );
    assert_eq!(rows.len() as i64, expected, "json lists every matching row");
    assert!(rows.iter().all(|r| r["status"] == "contacted"));

    let csv_text =
        stdout(civitac(&db).args(["forum", "list", "--format", "csv", "--limit", "200"]));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(&headers[0], "id");
    assert!(headers.iter().any(|h| h == "body"));
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV");
    assert_eq!(records.len(), 200);
    // Exact text for scripts, escape characters included, when not on a terminal.
    let all = stdout(civitac(&db).args(["forum", "list", "--format", "csv"]));
    assert!(
        all.contains('\u{1b}'),
        "CSV to a pipe keeps stored text exactly"
    );

    for list in ["uploads", "sms", "audit"] {
        let json = stdout(civitac(&db).args([list, "list", "--format", "json", "--limit", "5"]));
        let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
        assert_eq!(rows.len(), 5, "{list}");
    }
}

#[test]
fn table_is_terminal_safe_and_pages_with_a_cursor() {
    let (_dir, db) = small_demo();
    let out = civitac(&db)
        .env("COLUMNS", "80")
        .args(["forum", "list", "--limit", "100000"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
        "no control bytes in a table"
    );
    assert!(text.contains('␛'), "hidden escapes are shown as markers");
    for line in text.lines() {
        assert!(
            civitac::text::width(line) <= 80,
            "line wider than the terminal: {line}"
        );
    }

    let first = civitac(&db)
        .args(["enrollments", "list", "--limit", "3"])
        .output()
        .expect("runs");
    let hint = String::from_utf8(first.stderr).expect("utf-8");
    let cursor = hint
        .split("--after ")
        .nth(1)
        .expect("a cursor for the next page")
        .trim()
        .to_owned();
    let page1 = String::from_utf8(first.stdout).expect("utf-8");
    let page2 =
        stdout(civitac(&db).args(["enrollments", "list", "--limit", "3", "--after", &cursor]));
    let both = stdout(civitac(&db).args(["enrollments", "list", "--limit", "6"]));
    let body = |t: &str| {
        t.lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        [body(&page1), body(&page2)].concat(),
        body(&both),
        "pages follow each other exactly"
    );
}

/// The filter line takes the words people read: French keys and values,
/// place names whatever their accents, decisions and people by name; a near
/// miss is refused with a suggestion, never read as "everything".
#[test]
fn filters_in_words_and_places_as_typed() {
    let (_dir, db) = small_demo();
    let ids = |args: &[&str]| -> Vec<String> {
        let json = stdout(
            civitac(&db)
                .args(args)
                .args(["--format", "json", "--limit", "1000"]),
        );
        let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
        rows.iter()
            .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let coded = ids(&[
        "enrollments",
        "list",
        "--where",
        "status=contacted",
        "--where",
        "region=Kuilsé",
    ]);
    assert!(
        !coded.is_empty(),
        "the demo has contacted organisations in Kuilsé"
    );
    let worded = ids(&[
        "enrollments",
        "list",
        "--where",
        "statut=contactée",
        "--where",
        "Région=kuilse",
    ]);
    assert_eq!(coded, worded);
    assert_eq!(
        ids(&[
            "enrollments",
            "list",
            "--status",
            "CONTACTEE",
            "--region",
            "KUILSE"
        ]),
        coded
    );
    // A near miss says what was meant, in the person's language.
    Command::cargo_bin("civitac")
        .expect("binary")
        .arg("--db")
        .arg(&db)
        .env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"))
        .args([
            "--lang",
            "fr",
            "enrollments",
            "list",
            "--where",
            "région=Kuilsze",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "région inconnue « Kuilsze » — vouliez-vous Kuilsé ?",
        ));
    // A place in no reference list: no rows, and why.
    civitac(&db)
        .args(["enrollments", "list", "--where", "région=Paris"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no rows: region \"Paris\" is not in Burkina Faso's list of communes",
        ));
    civitac(&db)
        .args(["enrollments", "list", "--where", "statut=contactez"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("contactez"));
    // The Journal by person (part of a name, accents aside) and decision in words.
    let hidden = ids(&["audit", "list", "--action", "post.hide"]);
    assert!(!hidden.is_empty());
    assert_eq!(
        ids(&["audit", "list", "--where", "action=message masqué"]),
        hidden
    );
    let by_awa = ids(&["audit", "list", "--where", "personne=KABORÉ"]);
    assert_eq!(by_awa, ids(&["audit", "list", "--actor", "awa.kabore"]));
    assert!(!by_awa.is_empty());
    civitac(&db)
        .args(["audit", "list", "--where", "action=nothing-like-it"])
        .assert()
        .code(2);
}

#[test]
fn search_and_filters() {
    let (_dir, db) = small_demo();
    let json = stdout(civitac(&db).args([
        "forum",
        "list",
        "--search",
        "forage panne",
        "--format",
        "json",
    ]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| {
        r["body"]
            .as_str()
            .is_some_and(|b| b.contains("forage") && b.contains("panne"))
    }));
    // Accents are optional, and the last word is a prefix.
    let json = stdout(civitac(&db).args([
        "enrollments",
        "list",
        "--search",
        "Association Femm",
        "--format",
        "json",
    ]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
    assert!(rows.iter().all(|r| {
        r["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().contains("femmes"))
    }));

    civitac(&db)
        .args(["enrollments", "list", "--status", "enroled"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("enroled").and(predicate::str::contains("contacted")));
    // Dates as people write them are taken; what is no date is refused.
    civitac(&db)
        .args(["audit", "list", "--since", "yesterday"])
        .assert()
        .success();
    civitac(&db)
        .args([
            "audit",
            "list",
            "--since",
            "28 nov. 2026",
            "--until",
            "29/11/2026",
        ])
        .assert()
        .success();
    civitac(&db)
        .args(["audit", "list", "--since", "someday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("someday"));
    civitac(&db)
        .args(["forum", "list", "--after", "nonsense"])
        .assert()
        .code(2);
}

#[test]
fn global_options_go_before_or_after_the_command() {
    let (_dir, db) = small_demo();
    let mut a = Command::cargo_bin("civitac").expect("bin");
    a.env("XDG_DATA_HOME", db.parent().expect("dir"));
    let before = stdout(
        a.arg("--db")
            .arg(&db)
            .args(["sms", "list", "--format", "csv"]),
    );
    let mut b = Command::cargo_bin("civitac").expect("bin");
    b.env("XDG_DATA_HOME", db.parent().expect("dir"));
    let after = stdout(b.args(["sms", "list", "--format", "csv", "--db"]).arg(&db));
    assert_eq!(before, after);
    assert!(stdout(civitac(&db).arg("whoami")).contains("awa.kabore"));
}

#[test]
fn dry_run_changes_nothing() {
    let (_dir, db) = small_demo();
    let before = file_bytes(&db);
    let out = stdout(civitac(&db).args([
        "enrollments",
        "approve",
        "--where",
        "status=contacted",
        "--dry-run",
    ]));
    let contacted = count(
        &open(&db),
        "SELECT count(*) FROM organizations WHERE status = 'contacted'",
    );
    assert!(
        out.contains(&format!(
            "dry run: {contacted} organisations would be enrolled"
        )),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("enrol ")).count() as i64,
        contacted
    );
    assert_eq!(
        file_bytes(&db),
        before,
        "the database file is byte-identical"
    );
    let store = open(&db);
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), 0);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM organizations WHERE status = 'contacted'"
        ),
        contacted
    );
}

#[test]
fn a_batch_is_all_or_nothing_unless_told_otherwise() {
    let (_dir, db) = small_demo();
    let mut ids = ids_where(&db, "status = 'contacted'", 3);
    let wrong = ids_where(&db, "status = 'applied'", 1);
    ids.extend(wrong.clone());
    let before = statuses(&db, &ids);

    let out = civitac(&db)
        .arg("enrollments")
        .arg("approve")
        .args(&ids)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        err.contains(
            &format!(
                "{}: organization {} : cannot enrol from applied",
                wrong[0], wrong[0]
            )
            .replace(" : ", ": ")
        ),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(statuses(&db, &ids), before, "nothing changed");
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM audit_log WHERE actor = 'awa.kabore' AND at > '2026-11-02'"
        ),
        0
    );

    let out = civitac(&db)
        .arg("enrollments")
        .arg("approve")
        .args(&ids)
        .arg("--continue-on-error")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "failures still fail the command"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 organisations enrolled"));
    assert_eq!(
        statuses(&db, &ids),
        vec!["enrolled", "enrolled", "enrolled", "applied"]
    );
    let store = open(&db);
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        3,
        "the refused op left no outbox row"
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE at > '2026-11-02'"
        ),
        3
    );
}

#[test]
fn reasons_ids_files_and_confirmation() {
    let (dir, db) = small_demo();
    let ids = ids_where(&db, "status IN ('applied', 'contacted')", 2);
    civitac(&db)
        .arg("enrollments")
        .arg("reject")
        .args(&ids)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a reason is required"));
    civitac(&db)
        .args(["enrollments", "approve"])
        .assert()
        .code(2);
    civitac(&db)
        .args(["enrollments", "approve", "not-an-id"])
        .assert()
        .code(2);

    // --from: one id a line, a CSV from `list` works, bad lines are named.
    let list = dir.path().join("ids.csv");
    let csv = stdout(civitac(&db).args([
        "enrollments",
        "list",
        "--status",
        "applied",
        "--format",
        "csv",
        "--limit",
        "2",
    ]));
    std::fs::write(&list, csv).expect("write");
    stdout(
        civitac(&db)
            .args([
                "enrollments",
                "reject",
                "--reason",
                "Demande en double",
                "--from",
            ])
            .arg(&list),
    );
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM organizations WHERE status = 'rejected' AND updated_at > '2026-11-02'"
        ),
        2
    );
    let bad = dir.path().join("bad.txt");
    std::fs::write(
        &bad,
        "# à enrôler\n\n0190aaaa-0000-7000-8000-000000000000\nKoudougou\n",
    )
    .expect("write");
    civitac(&db)
        .args(["enrollments", "approve", "--from"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(format!("{}:4:", bad.display()))
                .and(predicate::str::contains("Koudougou")),
        );
    // Ids from standard input.
    let one = ids_where(&db, "status = 'contacted'", 1);
    civitac(&db)
        .args(["enrollments", "approve", "--from", "-"])
        .write_stdin(format!("{}\n", one[0]))
        .assert()
        .success();
    assert_eq!(statuses(&db, &one), vec!["enrolled"]);

    // More than 20 without --yes and without a terminal: refused, nothing changed.
    let many = count(
        &open(&db),
        "SELECT count(*) FROM organizations WHERE status = 'contacted'",
    );
    assert!(many > 20, "demo has a batch worth confirming ({many})");
    civitac(&db)
        .args([
            "enrollments",
            "approve",
            "--where",
            "status=contacted",
            "--all-matching",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM organizations WHERE status = 'contacted'"
        ),
        many
    );
    civitac(&db)
        .args([
            "enrollments",
            "approve",
            "--where",
            "status=contacted",
            "--all-matching",
            "--yes",
        ])
        .assert()
        .success();
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM organizations WHERE status = 'contacted'"
        ),
        0
    );
}

#[test]
fn uploads_and_forum_actions() {
    let (_dir, db) = small_demo();
    let store = open(&db);
    let upload = first_id(&store, "uploads", "status = 'pending'");
    let posts: Vec<String> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT id FROM forum_posts WHERE status = 'visible' AND flag_count > 0 ORDER BY id LIMIT 4")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    drop(store);
    civitac(&db)
        .args([
            "uploads",
            "request-changes",
            &upload,
            "--reason",
            "Préciser la source",
        ])
        .assert()
        .success();
    civitac(&db)
        .arg("forum")
        .arg("hide")
        .args(&posts[..3])
        .args(["--reason", "Propos injurieux"])
        .assert()
        .success();
    civitac(&db)
        .args(["forum", "restore", &posts[0]])
        .assert()
        .success();
    civitac(&db)
        .args(["forum", "dismiss", &posts[0]])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no open flag"));
    civitac(&db)
        .args(["forum", "dismiss", &posts[3]])
        .assert()
        .success();
    let store = open(&db);
    assert_eq!(
        store
            .conn()
            .query_row("SELECT status FROM uploads WHERE id = ?1", [&upload], |r| r
                .get::<_, String>(0))
            .expect("s"),
        "changes_requested"
    );
    let hidden = count(
        &store,
        &format!(
            "SELECT count(*) FROM forum_posts WHERE status = 'hidden' AND id IN ('{}', '{}')",
            posts[1], posts[2]
        ),
    );
    assert_eq!(hidden, 2);
    let actions = stdout(civitac(&db).args([
        "audit",
        "list",
        "--actor",
        "awa.kabore",
        "--since",
        "2026-11-02",
        "--format",
        "csv",
    ]));
    assert_eq!(
        actions.lines().count(),
        1 + 1 + 3 + 1 + 1,
        "header + one audit row per decision:\n{actions}"
    );
}

#[test]
fn french_is_the_default_language() {
    let (_dir, db) = small_demo();
    let mut cmd = Command::cargo_bin("civitac").expect("bin");
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    cmd.arg("--db").arg(&db).args([
        "enrollments",
        "approve",
        "--where",
        "status=contacted",
        "--all-matching",
    ]);
    cmd.assert()
        .code(1)
        .stderr(predicate::str::contains("confirmez avec --yes"));
    let missing = db.with_file_name("absent.db");
    Command::cargo_bin("civitac")
        .expect("bin")
        .arg("--db")
        .arg(&missing)
        .arg("whoami")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(missing.display().to_string()));
}

#[test]
fn the_command_line_is_well_formed() {
    use clap::CommandFactory;
    civitac::cli::Cli::command().debug_assert();
}

#[test]
fn sms_count_reads_json_lines_and_counts_exact_segments() {
    let texts = [
        "a".repeat(160),                                    // GSM-7, one part
        "a".repeat(161),                                    // two parts of 153
        format!("{}€{}", "a".repeat(152), "a".repeat(152)), // € (two septets) never split: 3 parts, not 2
        format!("{}ç", "a".repeat(69)), // lower-case ç is not GSM-7: UCS-2, 70 units
        format!("{}ç", "a".repeat(70)), // 71 units: two parts of 67
        format!("{}Ç", "a".repeat(159)), // capital Ç is GSM-7
        format!("{}😀{}", "a".repeat(66), "a".repeat(66)), // a surrogate pair never split: 3 parts, not 2
    ];
    let input: String = texts
        .iter()
        .map(|t| format!("{}\n", serde_json::to_string(t).expect("json")))
        .collect();
    let out = Command::cargo_bin("civitac")
        .expect("bin")
        .args(["--lang", "en", "sms", "count"])
        .write_stdin(format!("{input}not json\n"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("-:8: not a JSON string"))
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let got: Vec<(String, u64, u64)> = lines
        .iter()
        .map(|v| {
            (
                v["encoding"].as_str().expect("encoding").to_owned(),
                v["segments"].as_u64().expect("segments"),
                v["units"].as_u64().expect("units"),
            )
        })
        .collect();
    let want = [
        ("GSM-7", 1, 160),
        ("GSM-7", 2, 161),
        ("GSM-7", 3, 306),
        ("UCS-2", 1, 70),
        ("UCS-2", 2, 71),
        ("GSM-7", 1, 160),
        ("UCS-2", 3, 134),
    ];
    let want: Vec<(String, u64, u64)> = want
        .iter()
        .map(|(e, s, u)| ((*e).to_owned(), *s, *u))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn contacts_import_reports_bad_lines_dedupes_and_keeps_the_good_ones() {
    let (dir, replica) = small_demo();
    let store = open(&replica);
    let (group_id, group): (String, String) = store
        .conn()
        .query_row(
            "SELECT id, name FROM sms_groups ORDER BY name LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("group");
    drop(store);
    // French header with accents, semicolons, Latin-1 would be tolerated too.
    let csv = dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "Nom;Téléphone;Région;Commune\n\
         Aminata Ouédraogo;70 12 34 56;Centre;Ouagadougou\n\
         Issa Sawadogo;25 30 12 34;Nord;Ouahigouya\n\
         Mauvais numéro;123;Nord;Kaya\n\
         Même personne;+226 70 12 34 56;Centre;Ouagadougou\n\
         Sans numéro;;Est;Fada N'Gourma\n\
         Koffi (Abidjan);07 07 12 34 56;;\n",
    )
    .expect("csv");
    civitac(&replica)
        .args(["sms", "contacts", "import"])
        .arg(&csv)
        .args(["--group", &group])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("2 contacts added"))
        .stderr(predicate::str::contains(
            "contacts.csv:4: \"123\" is not a valid number for BF",
        ))
        .stderr(predicate::str::contains(
            "contacts.csv:5: same number as line 2",
        ))
        .stderr(predicate::str::contains("contacts.csv:6: no phone number"))
        .stderr(predicate::str::contains(
            "contacts.csv:7: \"07 07 12 34 56\" is not a valid number",
        ));
    // With the right region the Ivorian number keeps its leading 0.
    let ci = dir.path().join("ci.csv");
    std::fs::write(&ci, "name,phone\nKoffi,07 07 12 34 56\n").expect("csv");
    civitac(&replica)
        .args(["sms", "contacts", "import"])
        .arg(&ci)
        .args(["--group", &group_id, "--default-region", "CI"])
        .assert()
        .success();
    let store = open(&replica);
    let members = |phone: &str| {
        count(
            &store,
            &format!(
                "SELECT count(*) FROM sms_contacts c JOIN sms_group_members m ON m.contact_id = c.id
                 WHERE c.phone_e164 = '{phone}' AND m.group_id = '{group_id}'"
            ),
        )
    };
    assert_eq!(members("+22670123456"), 1);
    assert_eq!(members("+22625301234"), 1);
    assert_eq!(members("+2250707123456"), 1);
    // Every contact went through ops::apply: audited and queued for the hub.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE action = 'sms.contact'"
        ),
        3
    );
    assert_eq!(
        count(
            &store,
            r#"SELECT count(*) FROM outbox WHERE op LIKE '%"AddContact"%'"#
        ),
        3
    );
    // Importing the same file again adds nobody twice.
    civitac(&replica)
        .args(["sms", "contacts", "import"])
        .arg(&ci)
        .args(["--group", &group_id, "--default-region", "CI"])
        .assert()
        .success();
    assert_eq!(members("+2250707123456"), 1);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM sms_contacts WHERE phone_e164 = '+2250707123456'"
        ),
        1
    );
    // A new group is created, and said so; a name no one could read is a
    // usage error that changes nothing.
    civitac(&replica)
        .args(["sms", "contacts", "import"])
        .arg(&ci)
        .args(["--group", "Nulle part"])
        .assert()
        .stderr(predicate::str::contains("new group \"Nulle part\" created"));
    civitac(&replica)
        .args(["sms", "contacts", "import"])
        .arg(&ci)
        .args(["--group", "Nulle\u{1b}[2Jpart"])
        .assert()
        .code(2);
    assert_eq!(
        count(
            &open(&replica),
            "SELECT count(*) FROM sms_groups WHERE name LIKE 'Nulle%'"
        ),
        1
    );
    // An archived group takes no one: said once, before any line, and
    // nothing imported (nor by `groups add`).
    civitac(&replica)
        .args(["sms", "groups", "archive", "Nulle part"])
        .assert()
        .success();
    let before = count(&open(&replica), "SELECT count(*) FROM outbox");
    let refused = civitac(&replica)
        .args(["sms", "contacts", "import"])
        .arg(&ci)
        .args(["--group", "Nulle part"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let refused = String::from_utf8_lossy(&refused);
    assert!(refused.contains("archived"), "{refused}");
    assert_eq!(refused.lines().count(), 1, "{refused}");
    civitac(&replica)
        .args(["sms", "groups", "add", "Nulle part", "+22670999222"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("archived"));
    assert_eq!(
        count(&open(&replica), "SELECT count(*) FROM outbox"),
        before
    );
}

/// Help speaks the person's language (French by default), global options
/// show where they mean something, and completions and the manual page come
/// from the same command definitions.
#[test]
fn help_completions_and_manual_from_the_same_definitions() {
    let run = |args: &[&str], lang: Option<&str>| {
        let mut cmd = Command::cargo_bin("civitac").expect("binary");
        cmd.env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG");
        if let Some(l) = lang {
            cmd.env("LANG", l);
        }
        let out = cmd.args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let fr = run(&["hub", "token", "issue", "--help"], None);
    assert!(fr.contains("Utilisation : civitac hub token issue"), "{fr}");
    assert!(fr.contains("Base de données du hub"), "{fr}");
    assert!(!fr.contains("--keymap") && !fr.contains("--lang"), "{fr}");
    let en = run(&["hub", "token", "issue", "--help"], Some("en_GB.UTF-8"));
    assert!(
        en.contains("Usage: civitac hub token issue") && en.contains("The hub's database"),
        "{en}"
    );
    assert_eq!(
        run(&["--lang", "en", "hub", "token", "issue", "--help"], None),
        en
    );
    let top = run(&["--help"], None);
    assert!(
        top.contains("--keymap") && top.contains("Commandes"),
        "{top}"
    );
    assert!(run(&["demo", "--help"], None).contains("--keymap"));
    assert!(!run(&["sync", "--help"], None).contains("--keymap"));
    let bash = run(&["completions", "bash"], None);
    assert!(
        bash.contains("complete") && bash.contains("enrollments"),
        "{bash}"
    );
    assert!(run(&["completions", "fish"], None).contains("complete -c civitac"));
    let man = run(&["man"], Some("en_US.UTF-8"));
    assert!(
        man.contains(".TH civitac") && man.contains("enrollments"),
        "{man}"
    );
}

/// `--plausible no` (and the console's `plausible=non`, its ⚠ column) lists
/// exactly the uploads the detail warns about: one rule, checked here
/// against the statistics themselves.
#[test]
fn implausible_statistics_are_one_rule_in_list_filter_and_detail() {
    // A full-size demo: about one statistics upload in thirty has a slip.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = civitac::demo::build(dir.path(), &options(1.0, 7))
        .expect("demo")
        .replica;
    let json =
        stdout(civitac(&db).args(["uploads", "list", "--plausible", "no", "--format", "json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
    let mut listed: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    listed.sort();
    let store = open(&db);
    let mut stmt = store
        .conn()
        .prepare("SELECT upload_id, indicator, year, value FROM upload_stats ORDER BY upload_id, indicator, year")
        .expect("sql");
    let stats: Vec<(String, String, i64, f64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let mut expected: Vec<String> = stats
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1 && w[0].3 != 0.0)
        .filter(|w| {
            civitac::store::rows::implausible((w[1].3 - w[0].3) / w[0].3 * 100.0, w[1].2 - w[0].2)
        })
        .map(|w| w[0].0.clone())
        .collect();
    expected.sort();
    expected.dedup();
    assert!(!expected.is_empty(), "the demo has implausible statistics");
    assert_eq!(listed, expected);
    let plausible = stdout(civitac(&db).args([
        "uploads",
        "list",
        "--where",
        "plausible=oui",
        "--format",
        "csv",
    ]));
    assert!(expected.iter().all(|id| !plausible.contains(id.as_str())));
}

#[test]
fn citizens_are_listed_muted_with_their_posts_and_reinstated_from_the_command_line() {
    let (_dir, db) = small_demo();
    let author: String = {
        let s = open(&db);
        ids(
            &s,
            "SELECT c.id FROM citizens c WHERE c.status = 'active' AND
               (SELECT count(*) FROM forum_posts p WHERE p.author_id = c.id AND p.status = 'visible') >= 2
             ORDER BY c.id LIMIT 1",
        )
        .pop()
        .expect("author")
    };
    // The list in words, filtered in French words too.
    let out = stdout(civitac(&db).args([
        "citizens",
        "list",
        "--where",
        "statut=banni",
        "--limit",
        "3",
    ]));
    assert!(out.lines().skip(1).all(|l| l.contains("banned")), "{out}");
    civitac(&db)
        .args(["citizens", "list", "--status", "nobody"])
        .assert()
        .code(2);
    // A length that means nothing is refused before anything is read.
    civitac(&db)
        .args([
            "citizens", "mute", &author, "--for", "3 lunes", "--reason", "x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a number then h or d"));
    // A dry run says what the penalty would hide, and changes nothing.
    let visible = count(
        &open(&db),
        &format!(
            "SELECT count(*) FROM forum_posts WHERE author_id = '{author}' AND status = 'visible'"
        ),
    );
    let out = stdout(civitac(&db).args([
        "citizens",
        "mute",
        &author,
        "--for",
        "7d",
        "--hide-posts",
        "--reason",
        "Spam",
        "--dry-run",
    ]));
    assert!(
        out.contains(&format!(
            "1 author would be muted, and {visible} posts hidden"
        )),
        "{out}"
    );
    let out = stdout(civitac(&db).args([
        "citizens",
        "mute",
        &author,
        "--for",
        "7d",
        "--hide-posts",
        "--reason",
        "Spam",
    ]));
    assert!(
        out.contains(&format!("1 author muted, {visible} posts hidden")),
        "{out}"
    );
    let out = stdout(civitac(&db).args([
        "citizens",
        "list",
        "--where",
        &format!("id={author}"),
        "--format",
        "json",
    ]));
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(rows[0]["status"], "muted");
    assert_eq!(rows[0]["posts"].as_i64(), rows[0]["taken_down"].as_i64());
    // A ban needs an admin (the demo's owner is one), then reinstating.
    stdout(civitac(&db).args(["citizens", "ban", &author, "--reason", "Menaces"]));
    stdout(civitac(&db).args(["citizens", "reinstate", &author]));
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM citizens WHERE id = '{author}' AND status = 'active' AND muted_until IS NULL"
            )
        ),
        1
    );
}

#[test]
fn threads_are_locked_by_id_or_by_their_posts_and_copies_of_a_post_are_listed() {
    let (_dir, db) = small_demo();
    let post = first_id(
        &open(&db),
        "forum_posts",
        "flag_count > 0 AND status = 'visible'",
    );
    let thread: String = open(&db)
        .conn()
        .query_row(
            "SELECT thread_id FROM forum_posts WHERE id = ?1",
            [&post],
            |r| r.get(0),
        )
        .expect("thread");
    // Locking says why.
    civitac(&db)
        .args(["forum", "lock", &thread])
        .assert()
        .failure()
        .stderr(predicate::str::contains("reason is required"));
    stdout(civitac(&db).args([
        "forum",
        "lock",
        "--where",
        &format!("id={post}"),
        "--reason",
        "Spam wave",
    ]));
    assert_eq!(
        count(
            &open(&db),
            &format!("SELECT locked FROM forum_threads WHERE id = '{thread}'")
        ),
        1
    );
    stdout(civitac(&db).args(["forum", "unlock", &thread]));
    assert_eq!(
        count(
            &open(&db),
            &format!("SELECT locked FROM forum_threads WHERE id = '{thread}'")
        ),
        0
    );
    // The copies of a post, ids first, ready for `--from -`.
    let out = stdout(civitac(&db).args(["forum", "same-text", &post, "--format", "csv"]));
    let first: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    assert!(first.contains(&post.as_str()), "{out}");
    let body: String = open(&db)
        .conn()
        .query_row("SELECT body FROM forum_posts WHERE id = ?1", [&post], |r| {
            r.get(0)
        })
        .expect("body");
    let key = civitac::text::same_text_key(&body);
    for id in &first {
        let other: String = open(&db)
            .conn()
            .query_row("SELECT body FROM forum_posts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("body");
        assert_eq!(civitac::text::same_text_key(&other), key);
    }
    civitac(&db)
        .args(["forum", "same-text", "0f000000-0000-7000-8000-000000000000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not found"));
}

#[test]
fn a_list_on_a_replica_whose_first_fill_was_cut_says_so_on_stderr() {
    let (_dir, replica) = small_demo();
    let warned = |db: &Path| {
        let out = civitac(db)
            .args(["forum", "list", "--limit", "1", "--format", "json"])
            .output()
            .expect("runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).contains("the first sync is unfinished")
    };
    assert!(!warned(&replica));
    // As a cut snapshot leaves it (tests/pull.rs cuts a real one).
    open(&replica)
        .conn()
        .execute(
            "INSERT INTO sync_state (key, value) VALUES ('bulk_load', '1')",
            [],
        )
        .expect("state");
    assert!(warned(&replica));
}

/// A command that talks over the network keeps SIGPIPE ignored; its output
/// read by someone who went away (`civitac demo … | head -c 0`) ends it
/// quietly with its own exit code: it panicked there ("failed printing to
/// stdout: Broken pipe").
#[test]
fn a_networked_commands_reader_going_away_is_no_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("civitac"))
        .args([
            "--lang", "en", "demo", "--scale", "0.05", "--no-tui", "--dir",
        ])
        .arg(dir.path().join("demo"))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("demo");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(dir.path().join("demo/replica.db").is_file());
}
