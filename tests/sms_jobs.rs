//! The SMS coordinator's jobs from the command line: a group created by an
//! import, contacts listed, opted out and back in with their consent, an
//! alert queued from a script with the composer's rules and approved by a
//! second admin, a message's delivery shown; an inbound "OUI" re-subscribes
//! a number that said STOP.

mod common;

use std::path::Path;

use assert_cmd::Command;
use civitac::hub::backend::{HubBackend, SqliteHub};
use common::*;
use predicates::prelude::*;

fn civitac(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("binary");
    cmd.arg("--db").arg(db).args(["--lang", "en"]);
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"))
        .env("XDG_CONFIG_HOME", db.parent().expect("dir"));
    cmd
}

#[test]
fn a_group_is_made_by_import_a_contact_comes_back_with_consent_and_an_alert_is_queued() {
    let (dir, db) = small_demo();
    let csv = dir.path().join("kaya.csv");
    std::fs::write(
        &csv,
        "nom;telephone;commune\nAwa;70 11 22 33;Kaya\nIssa;76 22 33 44;Kaya\n",
    )
    .expect("csv");
    civitac(&db)
        .args(["sms", "contacts", "import"])
        .arg(&csv)
        .args(["--group", "Alertes Kaya"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "new group \"Alertes Kaya\" created",
        ));
    let list = civitac(&db)
        .args([
            "sms",
            "contacts",
            "list",
            "--group",
            "alertes kaya",
            "--format",
            "csv",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    let contact = text
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("id")
        .to_owned();
    // Out, then back in: only with the consent said.
    civitac(&db)
        .args(["sms", "contacts", "opt-out", &contact])
        .assert()
        .success();
    civitac(&db)
        .args(["sms", "contacts", "opt-in", &contact])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a reason is required"));
    civitac(&db)
        .args([
            "sms",
            "contacts",
            "opt-in",
            &contact,
            "--reason",
            "Called back on 2/12",
        ])
        .assert()
        .success();
    civitac(&db)
        .args(["sms", "contacts", "opt-in", &contact, "--reason", "again"])
        .assert()
        .failure();
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_contacts WHERE id = '{contact}' AND opted_out_at IS NULL"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM audit_log WHERE action = 'sms.opt_in' AND reason = 'Called back on 2/12'"
        ),
        1
    );
    // An alert of 4 SMS asks for --yes; a short one is queued for approval.
    civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Alertes Kaya",
            "--kind",
            "alert",
            "--text",
            &"x".repeat(600),
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("4 SMS per recipient"));
    let out = civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Alertes Kaya",
            "--kind",
            "alert",
            "--text",
            "Coupure d'eau demain à Kaya de 8 h à 14 h.",
        ])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("2 recipients × 1 SMS (queued)"), "{said}");
    let id = said.split_whitespace().next().expect("id").to_owned();
    // Its author may not approve it (two-person rule).
    civitac(&db)
        .args(["sms", "approve", &id])
        .assert()
        .failure();
    civitac(&db)
        .args(["sms", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 delivered, 0 sent without report, 0 failed, 2 pending",
        ));
    civitac(&db)
        .args([
            "sms", "send", "--group", "nobody", "--kind", "notice", "--text", "x",
        ])
        .assert()
        .code(2);
    civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Alertes Kaya",
            "--kind",
            "notice",
            "--text",
            "x",
            "--at",
            "2001-01-01 10:00",
        ])
        .assert()
        .code(2);
}

#[test]
fn an_inbound_oui_re_subscribes_a_number_that_said_stop() {
    let dir = tempfile::tempdir().expect("dir");
    civitac::demo::build(&dir.path().join("demo"), &options(0.05, 5)).expect("demo");
    let db = dir.path().join("demo/hub.db");
    let phone: String = open(&db)
        .conn()
        .query_row(
            "SELECT phone_e164 FROM sms_contacts WHERE opted_out_at IS NULL ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a contact");
    let hub = SqliteHub::open(&db, dir.path().join("files"), 3).expect("hub");
    assert!(hub.sms_inbound(&phone, "Stop").expect("stop"));
    assert_eq!(
        count(
            &open(&db),
            &format!("SELECT count(*) FROM sms_suppressions WHERE phone_e164 = '{phone}'")
        ),
        1
    );
    // Neither STOP nor OUI: nothing; OUI: back, with the consent recorded.
    assert!(!hub.sms_inbound(&phone, "Merci").expect("other"));
    assert!(hub.sms_inbound(&phone, "oui").expect("oui"));
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_contacts WHERE phone_e164 = '{phone}' AND opted_out_at IS NULL"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM sms_suppressions WHERE phone_e164 = '{phone}'")
        ),
        0
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM audit_log WHERE action = 'sms.opt_in' AND reason = 'SMS: oui' AND actor = 'system'"
        ),
        1
    );
    // OUI again, or from a number never opted out: changes nothing.
    assert!(!hub.sms_inbound(&phone, "OUI").expect("again"));
}

/// A contact's name and commune corrected: the region follows the commune,
/// the old values stay in the log, a commune not in the list is refused,
/// and a correction made meanwhile elsewhere makes the older one stale.
#[test]
fn a_contact_is_corrected_as_seen_and_its_region_follows_the_commune() {
    let (_dir, db) = small_demo();
    let contact = first_id(&open(&db), "sms_contacts", "1");
    civitac(&db)
        .args([
            "sms",
            "contacts",
            "edit",
            &contact,
            "--name",
            "Awa Sawadogo",
            "--commune",
            "gorom gorom",
        ])
        .assert()
        .success();
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_contacts WHERE id = '{contact}' AND name = 'Awa Sawadogo' AND commune = 'Gorom-Gorom' AND region = 'Liptako'"
            )
        ),
        1
    );
    let detail: String = s
        .conn()
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'sms.contact_edit'",
            [],
            |r| r.get(0),
        )
        .expect("audited");
    assert!(detail.contains("\"before\""), "{detail}");
    civitac(&db)
        .args(["sms", "contacts", "edit", &contact, "--commune", "Paris"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("list of communes"));
    civitac(&db)
        .args(["sms", "contacts", "edit", &contact, "--name", "X\u{1b}[2J"])
        .assert()
        .failure();
    // As seen before the first correction: stale.
    let mut s = open(&db);
    let actor = s.owner().expect("owner").expect("owner");
    let tx = s.transaction().expect("tx");
    let stale = civitac::ops::apply(
        &tx,
        &actor,
        &civitac::ops::Op::EditContact {
            contact_id: contact.clone(),
            changes: vec![civitac::ops::FieldEdit {
                field: "name".into(),
                seen: Some("someone else".into()),
                new: Some("Y".into()),
            }],
        },
    );
    assert!(
        matches!(stale, Err(civitac::ops::OpError::Stale { .. })),
        "{stale:?}"
    );
}

/// The first number of an SMS command's output line (its id or its count).
fn recipients_said(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_dynamic_group_follows_the_contacts_and_a_resend_reaches_the_failed_numbers_only() {
    let (dir, db) = small_demo();
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "nom;telephone;commune\nAwa;70 11 22 33;Kaya\nIssa;76 22 33 44;KAYA\nMoussa;78 33 44 55;Ouahigouya\n",
    )
    .expect("csv");
    civitac(&db)
        .args(["sms", "contacts", "import"])
        .arg(&csv)
        .args(["--group", "Tournée"])
        .assert()
        .success();
    let in_kaya = |s: &civitac::store::Store| {
        count(
            s,
            "SELECT count(*) FROM sms_contacts WHERE civitac_place('commune', commune) = 'Kaya' AND opted_out_at IS NULL",
        )
    };
    let before = in_kaya(&open(&db));
    assert!(before >= 2);
    // Made with its count of today.
    civitac(&db)
        .args(["sms", "groups", "create", "Kaya, tout le monde", "--commune", "kaya"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "dynamic group \"Kaya, tout le monde\" created (commune Kaya): {before} recipients today"
        )));
    civitac(&db)
        .args(["sms", "groups", "list", "--limit", "100"])
        .assert()
        .success()
        .stdout(predicate::str::contains("commune Kaya"));
    // A rule that means nothing, or a place not in the list: refused.
    civitac(&db)
        .args([
            "sms",
            "groups",
            "create",
            "Nulle part",
            "--region",
            "Atlantide",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("list of regions"));
    let s = open(&db);
    let actor = s.owner().expect("owner").expect("owner");
    let empty = civitac::ops::apply(
        &s.conn().unchecked_transaction().expect("tx"),
        &actor,
        &civitac::ops::Op::CreateGroup {
            group: civitac::ops::NewGroup {
                id: "g-everyone".into(),
                name: "Tout le monde".into(),
                description: None,
                rule: Some(civitac::store::audience::Rule::default()),
            },
        },
    );
    assert!(empty.is_err(), "{empty:?}");
    drop(s);
    // No member is added by hand to a dynamic group.
    civitac(&db)
        .args(["sms", "groups", "add", "Kaya, tout le monde", "70 99 88 77"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("dynamic"));
    civitac(&db)
        .args(["sms", "contacts", "import"])
        .arg(&csv)
        .args(["--group", "Kaya, tout le monde", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dynamic"));
    // A contact who moves to Kaya is in it; the list and the send agree.
    let moussa = first_id(&open(&db), "sms_contacts", "name = 'Moussa'");
    civitac(&db)
        .args(["sms", "contacts", "edit", &moussa, "--commune", "Kaya"])
        .assert()
        .success();
    let list = civitac(&db)
        .args([
            "sms",
            "contacts",
            "list",
            "--group",
            "Kaya, tout le monde",
            "--format",
            "csv",
            "--limit",
            "100000",
        ])
        .output()
        .expect("runs");
    let listed = recipients_said(&list);
    assert_eq!(listed.lines().count() as i64, before + 2, "{listed}");
    assert!(listed.contains("Moussa"), "{listed}");
    // Its reach said before anything is queued.
    civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Kaya, tout le monde",
            "--kind",
            "notice",
            "--text",
            "Réunion",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} recipients × 1 SMS — nothing was queued",
            before + 1
        )));
    assert_eq!(
        count(
            &open(&db),
            "SELECT count(*) FROM sms_messages WHERE body = 'Réunion'"
        ),
        0
    );
    let sent = civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Kaya, tout le monde",
            "--kind",
            "notice",
            "--text",
            "Réunion publique samedi à 9 h.",
        ])
        .output()
        .expect("runs");
    assert!(
        recipients_said(&sent).contains(&format!("{} recipients", before + 1)),
        "{}",
        recipients_said(&sent)
    );
    // The small group's notice goes out; two numbers fail. (The hub's
    // sender is run on this file: same schema, same triggers.)
    let out = civitac(&db)
        .args([
            "sms", "send", "--group", "Tournée", "--kind", "notice", "--text", "Bonjour",
        ])
        .output()
        .expect("runs");
    let id = recipients_said(&out)
        .split_whitespace()
        .next()
        .expect("id")
        .to_owned();
    {
        let mut s = open(&db);
        civitac::hub::sms::start_due(s.conn_mut(), "2999-01-01T00:00:00Z").expect("start");
        let contacts = ids(
            &s,
            &format!(
                "SELECT d.contact_id FROM sms_deliveries d JOIN sms_contacts c ON c.id = d.contact_id
                 WHERE d.message_id = '{id}' ORDER BY c.name"
            ),
        );
        assert_eq!(contacts.len(), 3);
        for (c, bits) in contacts.iter().zip([16, 1, 2]) {
            civitac::hub::sms::report(s.conn_mut(), &id, c, bits).expect("report");
        }
    }
    civitac(&db)
        .args(["sms", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 delivered, 0 sent without report, 2 failed",
        ))
        .stdout(predicate::str::contains(
            "+22670112233  rejected by the operator",
        ))
        .stdout(predicate::str::contains("+22678334455  number unreachable"))
        .stdout(predicate::str::contains(format!("civitac sms resend {id}")));
    let again = civitac(&db)
        .args(["sms", "resend", &id])
        .output()
        .expect("runs");
    let said = recipients_said(&again);
    assert!(said.contains("2 recipients × 1 SMS"), "{said}");
    let again_id = said.split_whitespace().next().expect("id").to_owned();
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_messages WHERE id = '{again_id}' AND retry_of = '{id}'"
            )
        ),
        1
    );
    // Once: resending it again would reach the same people twice.
    civitac(&db)
        .args(["sms", "resend", &id])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "already resent as {again_id}"
        )));
    // A dry run refuses it as the real run does.
    civitac(&db)
        .args(["sms", "resend", &id, "--dry-run"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already resent"));
    civitac(&db)
        .args(["sms", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("Resent: {again_id}")))
        .stdout(predicate::str::contains("civitac sms resend").not());
    // Nobody to reach, or a body a phone would obey: refused.
    civitac(&db)
        .args(["sms", "groups", "create", "Personne"])
        .assert()
        .success();
    civitac(&db)
        .args([
            "sms",
            "groups",
            "create",
            "Jamais",
            "--commune",
            "Kampti",
            "--region",
            "Kadiogo",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not in region Kadiogo"));
    civitac(&db)
        .args([
            "sms", "send", "--group", "Personne", "--kind", "notice", "--text", "x",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("reaches nobody"));
    civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Tournée",
            "--kind",
            "notice",
            "--text",
            "a\u{1b}[2Jb",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("U+001B"));
    // Someone in the dynamic group opts out: still listed as a member
    // (opted out), no longer reached.
    civitac(&db)
        .args(["sms", "contacts", "opt-out", &moussa])
        .assert()
        .success();
    let opted = civitac(&db)
        .args([
            "sms",
            "contacts",
            "list",
            "--group",
            "Kaya, tout le monde",
            "--opted-out",
            "--format",
            "csv",
        ])
        .output()
        .expect("runs");
    assert!(
        recipients_said(&opted).contains("Moussa"),
        "{}",
        recipients_said(&opted)
    );
    civitac(&db)
        .args([
            "sms",
            "send",
            "--group",
            "Kaya, tout le monde",
            "--kind",
            "notice",
            "--text",
            "R",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{before} recipients")));
    // A message still waiting has nothing to resend.
    let waiting = recipients_said(&sent)
        .split_whitespace()
        .next()
        .expect("id")
        .to_owned();
    civitac(&db)
        .args(["sms", "resend", &waiting])
        .assert()
        .failure()
        .stderr(predicate::str::contains("resend"));
}
