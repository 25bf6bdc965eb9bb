//! Device tokens: shown once, stored as a hash, refused once revoked.

mod common;

use assert_cmd::Command;
use civitac::domain::staff::Role;
use civitac::hub::tokens::{self, TokenError};
use civitac::store::{Side, Store};
use common::*;
use predicates::prelude::*;

fn hub(db: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("civitac").expect("bin");
    cmd.env("XDG_DATA_HOME", db.parent().expect("dir"))
        .args(["--lang", "en", "--db"])
        .arg(db)
        .args(["hub", "token"]);
    cmd
}

#[test]
fn a_token_is_shown_once_stored_hashed_and_revocable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    let out = hub(&db)
        .args([
            "issue",
            "--staff",
            "mariam.traore",
            "--role",
            "moderator",
            "--device",
            "laptop-dori",
            "--name",
            "Mariam Traoré",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(
        token.starts_with(tokens::PREFIX) && token.len() == tokens::PREFIX.len() + 64,
        "{token}"
    );

    let store = open(&db);
    let tokens::Principal::Device { actor, device_name } =
        tokens::authenticate(store.conn(), &token).expect("valid token")
    else {
        panic!("a device token")
    };
    assert_eq!(device_name, "laptop-dori");
    assert_eq!(
        (actor.login.as_str(), actor.role),
        ("mariam.traore", Role::Moderator)
    );
    assert_eq!(
        tokens::authenticate(store.conn(), "cvt_guess"),
        Err(TokenError::Refused)
    );
    // Only the hash is kept.
    let raw = std::fs::read(&db).expect("read");
    assert!(
        !raw.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token itself is stored"
    );
    let stored: String = store
        .conn()
        .query_row("SELECT token_sha256 FROM devices", [], |r| r.get(0))
        .expect("hash");
    assert_eq!(stored, tokens::hash(&token));
    drop(store);

    let listed = hub(&db).arg("list").output().expect("runs");
    let listed = String::from_utf8(listed.stdout).expect("utf-8");
    assert!(
        listed.contains("laptop-dori") && listed.contains("active") && !listed.contains(&token)
    );

    // A role is not changed by issuing a token; a live device name is not reused.
    hub(&db)
        .args([
            "issue",
            "--staff",
            "mariam.traore",
            "--role",
            "admin",
            "--device",
            "phone",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is moderator, not admin"));
    hub(&db)
        .args([
            "issue",
            "--staff",
            "mariam.traore",
            "--role",
            "moderator",
            "--device",
            "laptop-dori",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already used"));
    hub(&db)
        .args(["issue", "--staff", "x", "--role", "root", "--device", "d"])
        .assert()
        .code(2);

    hub(&db).args(["revoke", "laptop-dori"]).assert().success();
    let store = open(&db);
    assert_eq!(
        tokens::authenticate(store.conn(), &token),
        Err(TokenError::Refused),
        "refused at once"
    );
    drop(store);
    hub(&db)
        .args(["revoke", "laptop-dori"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no device"));
}

#[test]
fn tokens_need_a_hub() {
    let dir = tempfile::tempdir().expect("dir");
    let replica = dir.path().join("replica.db");
    Store::create(&replica, Side::Replica).expect("create");
    hub(&replica)
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a hub"));
    Command::cargo_bin("civitac")
        .expect("bin")
        .args(["hub", "token", "list"])
        // A config of the machine's user (`db = …`) must not answer for it.
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("HOME", dir.path())
        .assert()
        .code(2);
}

#[test]
fn nobody_may_sign_as_the_hub_itself() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    let store = Store::create(&db, Side::Hub).expect("hub");
    for login in ["system", "System"] {
        let err =
            tokens::issue(store.conn(), login, None, Role::Moderator, "x").expect_err("reserved");
        assert!(matches!(err, TokenError::Reserved(_)), "{err}");
    }
    hub(&db)
        .args([
            "issue", "--staff", "system", "--role", "admin", "--device", "x",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("the hub's own name"));
}
