//! The team at the hub: adding a colleague, changing a role, switching off
//! someone who left (every device revoked at once, never the last active
//! admin) — from `civitac hub staff`, as ops, pulled by replicas whose
//! Journal and staff view show them.

mod common;

use std::path::Path;
use std::sync::Arc;

use assert_cmd::Command;
use civitac::hub::backend::{HubBackend, SqliteHub};
use civitac::hub::local::LocalHub;
use civitac::hub::tokens;
use civitac::protocol::remote::Remote;
use civitac::replica::session::{self, Sizes};
use civitac::store::{Side, Store};
use common::*;
use predicates::prelude::*;

fn hub(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("binary");
    cmd.args(["--lang", "en", "hub"])
        .args(args)
        .arg("--db")
        .arg(db)
        .env("XDG_DATA_HOME", db.parent().expect("dir"))
        .env("HOME", db.parent().expect("dir"));
    cmd
}

#[test]
fn a_colleague_is_added_given_a_role_and_switched_off_with_every_device() {
    let dir = tempfile::tempdir().expect("dir");
    civitac::demo::build(&dir.path().join("demo"), &options(0.05, 3)).expect("demo");
    let db = dir.path().join("demo/hub.db");
    hub(
        &db,
        &[
            "staff",
            "add",
            "--login",
            "issa.ouedraogo",
            "--name",
            "Issa Ouédraogo",
            "--role",
            "moderator",
        ],
    )
    .assert()
    .success();
    // Reserved, taken, hostile: refused in one line.
    for (login, name) in [
        ("hub", "X"),
        ("issa.ouedraogo", "Y"),
        ("a b", "Z"),
        ("ok.login", "Evil\u{1b}[2J"),
    ] {
        let out = hub(
            &db,
            &[
                "staff",
                "add",
                "--login",
                login,
                "--name",
                name,
                "--role",
                "moderator",
            ],
        )
        .output()
        .expect("runs");
        assert!(!out.status.success(), "{login} accepted");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
    let (token, device) = {
        let h = open(&db);
        let (d1, t1) = tokens::issue(
            h.conn(),
            "issa.ouedraogo",
            None,
            civitac::domain::staff::Role::Moderator,
            "laptop",
        )
        .expect("token");
        tokens::issue(
            h.conn(),
            "issa.ouedraogo",
            None,
            civitac::domain::staff::Role::Moderator,
            "phone",
        )
        .expect("token");
        (t1, d1)
    };
    // A replica of Issa's syncs: the hub notes when.
    let backend = Arc::new(SqliteHub::open(&db, dir.path().join("files"), 3).expect("backend"));
    let mut client = LocalHub::new(backend.clone(), &token);
    let me = client.whoami().expect("whoami");
    let mut replica = Store::create(&dir.path().join("r.db"), Side::Replica).expect("replica");
    session::attach(replica.conn_mut(), &me, "in-process").expect("attach");
    session::sync(
        replica.conn_mut(),
        &mut client,
        Sizes::default(),
        &mut |_| {},
    )
    .expect("sync");
    assert_eq!(
        count(
            &open(&db),
            &format!(
                "SELECT count(*) FROM devices WHERE id = '{device}' AND last_seen_at IS NOT NULL"
            )
        ),
        1
    );
    hub(&db, &["staff", "set-role", "issa.ouedraogo", "field_agent"])
        .assert()
        .success();
    hub(&db, &["staff", "list", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"role\": \"field_agent\""));
    hub(
        &db,
        &[
            "staff",
            "deactivate",
            "issa.ouedraogo",
            "--reason",
            "Left in November",
        ],
    )
    .assert()
    .success()
    .stdout(predicate::str::contains("2 devices revoked"));
    // Every device refused at once; no new one.
    assert!(backend.authenticate(&token).is_err());
    hub(
        &db,
        &[
            "token",
            "issue",
            "--staff",
            "issa.ouedraogo",
            "--role",
            "field_agent",
            "--device",
            "new",
        ],
    )
    .assert()
    .failure()
    .stderr(predicate::str::contains("switched off"));
    // The last active admin keeps the role and stays on.
    let admins: Vec<String> = ids(
        &open(&db),
        "SELECT login FROM staff WHERE role = 'admin' AND active = 1 ORDER BY login",
    );
    for extra in &admins[1..] {
        hub(&db, &["staff", "set-role", extra, "moderator"])
            .assert()
            .success();
    }
    hub(&db, &["staff", "deactivate", &admins[0], "--reason", "x"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("last active admin"));
    hub(&db, &["staff", "set-role", &admins[0], "moderator"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("last active admin"));
    // Another replica (an admin's) pulls it all: the staff view and its
    // Journal show the change.
    let admin_token = {
        let h = open(&db);
        tokens::issue(
            h.conn(),
            &admins[0],
            None,
            civitac::domain::staff::Role::Admin,
            "desk",
        )
        .expect("token")
        .1
    };
    let mut client = LocalHub::new(backend, &admin_token);
    let me = client.whoami().expect("whoami");
    let mut other = Store::create(&dir.path().join("a.db"), Side::Replica).expect("replica");
    session::attach(other.conn_mut(), &me, "in-process").expect("attach");
    session::sync(other.conn_mut(), &mut client, Sizes::default(), &mut |_| {}).expect("sync");
    assert_eq!(
        count(
            &other,
            "SELECT count(*) FROM staff WHERE login = 'issa.ouedraogo' AND active = 0 AND role = 'field_agent' AND last_sync_at IS NOT NULL"
        ),
        1
    );
    assert_eq!(
        count(
            &other,
            "SELECT count(*) FROM audit_log WHERE action = 'staff.deactivate' AND actor = 'hub'"
        ),
        1
    );
    // Each colleague's last change once; pulled again, still once.
    let journaled = count(
        &other,
        "SELECT count(*) FROM audit_log WHERE entity = 'staff'",
    );
    assert_eq!(
        journaled,
        count(
            &other,
            "SELECT count(*) FROM staff WHERE change_id IS NOT NULL"
        )
    );
    session::sync(other.conn_mut(), &mut client, Sizes::default(), &mut |_| {}).expect("sync");
    assert_eq!(
        count(
            &other,
            "SELECT count(*) FROM audit_log WHERE entity = 'staff'"
        ),
        journaled
    );
}
