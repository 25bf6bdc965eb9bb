//! Field staff's enrolment work from the command line and `ops`: a new
//! organisation (its commune from the real list, a second of the same name
//! warned), a leader met (the organisation contacted with it), a correction
//! of its details (the old values kept, a change made meanwhile refused).

mod common;

use std::path::Path;

use assert_cmd::Command;
use civitac::domain::staff::Role;
use civitac::ops::{self, FieldEdit, Op};
use common::*;
use predicates::prelude::*;

fn civitac(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("binary");
    cmd.arg("--db").arg(db).arg("--lang").arg("en");
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"));
    cmd
}

#[test]
fn an_application_takes_its_commune_from_the_list_and_a_second_of_the_same_name_is_warned() {
    let (_dir, db) = small_demo();
    let apply = |extra: &[&str]| {
        let mut c = civitac(&db);
        c.args([
            "enrollments",
            "apply",
            "--kind",
            "association",
            "--name",
            "Association Wend-Panga des femmes",
            "--commune",
            "kaya",
            "--contact-phone",
            "70 11 22 33",
        ])
        .args(extra);
        c
    };
    apply(&[])
        .assert()
        .success()
        .stdout(predicate::str::contains("recorded (Kaya)"));
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM organizations WHERE name = 'Association Wend-Panga des femmes'
               AND kind = 'osc' AND commune = 'Kaya' AND region = 'Kuilsé' AND province = 'Sanmatenga'
               AND phone = '+22670112233' AND status = 'applied'"
        ),
        1
    );
    let before = count(&s, "SELECT count(*) FROM organizations");
    // The same name, written otherwise: refused without --yes, nothing saved.
    civitac(&db)
        .args([
            "enrollments",
            "apply",
            "--kind",
            "osc",
            "--name",
            "ASSOCIATION wend panga des Femmes",
            "--commune",
            "Kaya",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already registered in Kaya"));
    assert_eq!(
        count(&open(&db), "SELECT count(*) FROM organizations"),
        before
    );
    apply(&["--yes"]).assert().success();
    assert_eq!(
        count(&open(&db), "SELECT count(*) FROM organizations"),
        before + 1
    );
    // A commune not in the list, a kind that is none: usage errors.
    civitac(&db)
        .args([
            "enrollments",
            "apply",
            "--kind",
            "osc",
            "--name",
            "X",
            "--commune",
            "Kya",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean Kaya?"));
    civitac(&db)
        .args([
            "enrollments",
            "apply",
            "--kind",
            "parti",
            "--name",
            "X",
            "--commune",
            "Kaya",
        ])
        .assert()
        .code(2);
    // A dry run saves nothing.
    civitac(&db)
        .args([
            "enrollments",
            "apply",
            "--kind",
            "commune",
            "--name",
            "Commune de Test",
            "--commune",
            "Tougouri",
            "--dry-run",
        ])
        .assert()
        .success();
    assert_eq!(
        count(&open(&db), "SELECT count(*) FROM organizations"),
        before + 1
    );
}

#[test]
fn a_leader_met_after_the_charter_marks_the_organisation_contacted() {
    let (_dir, db) = small_demo();
    let org = first_id(&open(&db), "organizations", "status = 'charter_received'");
    civitac(&db)
        .args([
            "enrollments",
            "contact",
            &org,
            "--name",
            "Mariam Ouédraogo",
            "--phone",
            "12",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--phone"));
    civitac(&db)
        .args([
            "enrollments",
            "contact",
            &org,
            "--name",
            "Mariam Ouédraogo",
            "--role",
            "présidente",
            "--phone",
            "76 00 00 01",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("marked contacted"));
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM org_leaders WHERE org_id = '{org}' AND phone = '+22676000001' AND role = 'présidente'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM organizations WHERE id = '{org}' AND status = 'contacted'"
            )
        ),
        1
    );
    // One batch: undone together.
    assert_eq!(
        count(
            &s,
            "SELECT count(DISTINCT batch) FROM outbox WHERE batch IS NOT NULL"
        ),
        1
    );
}

#[test]
fn a_correction_keeps_the_old_values_and_refuses_a_change_made_meanwhile() {
    let (_dir, db) = small_demo();
    let org = first_id(&open(&db), "organizations", "acronym IS NULL");
    let name: String = open(&db)
        .conn()
        .query_row(
            "SELECT name FROM organizations WHERE id = ?1",
            [&org],
            |r| r.get(0),
        )
        .expect("name");
    civitac(&db)
        .args([
            "enrollments",
            "edit",
            &org,
            "--name",
            "Commune de Kaya-Nord",
            "--acronym",
            "CKN",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("name: ").or(predicate::str::contains("name :")));
    let mut s = open(&db);
    let detail: String = s
        .conn()
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'enrollment.edit' AND entity_id = ?1",
            [&org],
            |r| r.get(0),
        )
        .expect("audited");
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    assert_eq!(detail["before"]["name"], name.as_str());
    assert_eq!(detail["after"]["name"], "Commune de Kaya-Nord");
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM organizations WHERE id = '{org}' AND name_key = 'commune de kaya nord'"
            )
        ),
        1,
        "the duplicate-detection key follows the name"
    );
    // Nothing to change; a bad phone: refused.
    civitac(&db)
        .args(["enrollments", "edit", &org, "--acronym", "CKN"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nothing to correct"));
    civitac(&db)
        .args(["enrollments", "edit", &org, "--phone", "abc"])
        .assert()
        .failure();
    // As seen before the correction: stale. A moderator may not correct.
    let admin = s.owner().expect("owner").expect("owner");
    let stale = Op::EditOrganization {
        org_id: org.clone(),
        changes: vec![FieldEdit {
            field: "name".into(),
            seen: Some(name.clone()),
            new: Some("Autre nom".into()),
        }],
    };
    let tx = s.transaction().expect("tx");
    assert!(matches!(
        ops::apply(&tx, &admin, &stale),
        Err(ops::OpError::Stale { .. })
    ));
    let moderator = actor_with(&open(&db), Role::Moderator);
    let fresh = Op::EditOrganization {
        org_id: org.clone(),
        changes: vec![FieldEdit {
            field: "acronym".into(),
            seen: Some("CKN".into()),
            new: None,
        }],
    };
    assert!(matches!(
        ops::apply(&tx, &moderator, &fresh),
        Err(ops::OpError::Forbidden { .. })
    ));
    let hostile = Op::EditOrganization {
        org_id: org.clone(),
        changes: vec![FieldEdit {
            field: "status".into(),
            seen: None,
            new: Some("enrolled".into()),
        }],
    };
    assert!(matches!(
        ops::apply(&tx, &admin, &hostile),
        Err(ops::OpError::Invalid { .. })
    ));
    drop(tx);
    // Undone: the old name, and its key, come back.
    let op_id: String = s
        .conn()
        .query_row(
            "SELECT op_id FROM outbox ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("op");
    let tx = s.transaction().expect("tx");
    ops::apply(
        &tx,
        &admin,
        &Op::Undo {
            op_id,
            reason: None,
        },
    )
    .expect("undo");
    tx.commit().expect("commit");
    let (back, key): (String, String) = s
        .conn()
        .query_row(
            "SELECT name, name_key FROM organizations WHERE id = ?1",
            [&org],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!(back, name);
    assert_eq!(key, civitac::domain::normalise_name(&name));
}

/// What staff type is one line of plain text: a control or bidi character,
/// a name over 200 characters, a charter signed in the future — refused in
/// one line, nothing saved.
#[test]
fn hostile_or_impossible_enrolment_input_is_refused_in_one_line() {
    let (_dir, db) = small_demo();
    let before = count(&open(&db), "SELECT count(*) FROM organizations");
    for (flag, value) in [
        ("--name", "Evil\u{1b}]0;pwned\u{7}"),
        ("--name", "\u{202e}abc"),
        ("--acronym", &"A".repeat(5_000)),
        ("--contact-name", "\u{1b}[2J"),
    ] {
        let mut c = civitac(&db);
        c.args(["enrollments", "apply", "--kind", "osc", "--commune", "Kaya"]);
        if flag != "--name" {
            c.args(["--name", "Association X"]);
        }
        let out = c.args([flag, value]).output().expect("runs");
        assert!(!out.status.success(), "{flag} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{202e}'),
            "{err:?}"
        );
    }
    assert_eq!(
        count(&open(&db), "SELECT count(*) FROM organizations"),
        before
    );
    let org = first_id(&open(&db), "organizations", "status = 'applied'");
    civitac(&db)
        .args([
            "enrollments",
            "charter",
            &org,
            "--signed-on",
            "2099-01-01",
            "--ref",
            "CH-1",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("after the day it is recorded"));
    civitac(&db)
        .args([
            "enrollments",
            "charter",
            &org,
            "--signed-on",
            "hier",
            "--ref",
            "CH\u{202e}1",
        ])
        .assert()
        .failure();
    assert_eq!(
        count(
            &open(&db),
            &format!(
                "SELECT count(*) FROM organizations WHERE id = '{org}' AND status = 'applied'"
            )
        ),
        1
    );
}
