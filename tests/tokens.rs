//! Device tokens: shown once, stored as a hash, refused once revoked.
//! The hub's tests run on a SQLite file and on PostgreSQL (`--db
//! postgres://…`, see `common::hubs`).

mod common;

use assert_cmd::Command;
use civitac::domain::staff::Role;
use civitac::hub::tokens::{self, TokenError};
use civitac::store::{Side, Store};
use common::hubs::{Kind, TestHub};
use common::*;
use predicates::prelude::*;

/// `civitac hub token` on the hub `db` (a file or a PostgreSQL URL).
fn hub(db: &std::path::Path) -> Command {
    let mut cmd = Command::from_std(net::hub_cmd(db));
    cmd.args(["hub", "token"]);
    cmd
}

/// Whether `text` is anywhere in the hub's database: in the SQLite file's
/// bytes; on PostgreSQL (no file to read), in any row of any table, read
/// whole as text.
fn stored_anywhere(hub_db: &TestHub, text: &str) -> bool {
    match hub_db.kind() {
        Kind::Sqlite => {
            let raw = std::fs::read(hub_db.db_arg()).expect("read");
            raw.windows(text.len()).any(|w| w == text.as_bytes())
        }
        Kind::Postgres => hub_db.with(|c| {
            let tables: Vec<String> = c
                .query_map(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                    (),
                    |r| r.get::<String>(0),
                )
                .expect("tables")
                .collect::<Result<_, _>>()
                .expect("tables");
            assert!(!tables.is_empty(), "a hub has tables");
            tables.iter().any(|t| {
                let sql = format!(
                    "SELECT count(*) FROM \"{t}\" AS whole WHERE strpos(whole::text, ?1) > 0"
                );
                let n = c
                    .query_row(&sql, [text], |r| r.get::<i64>(0))
                    .unwrap_or_else(|e| panic!("{t}: {e}"));
                n > 0
            })
        }),
    }
}

fn a_token_is_shown_once_stored_hashed_and_revocable(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(hub_db) = TestHub::empty(kind, dir.path()) else {
        return;
    };
    let db = hub_db.db_arg();
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

    let tokens::Principal::Device { actor, device_name } = hub_db
        .with(|c| tokens::authenticate(c, &token))
        .expect("valid token")
    else {
        panic!("a device token")
    };
    assert_eq!(device_name, "laptop-dori");
    assert_eq!(
        (actor.login.as_str(), actor.role),
        ("mariam.traore", Role::Moderator)
    );
    assert_eq!(
        hub_db.with(|c| tokens::authenticate(c, "cvt_guess")),
        Err(TokenError::Refused)
    );
    // Only the hash is kept.
    assert!(
        !stored_anywhere(&hub_db, &token),
        "the token itself is stored"
    );
    let stored: String = hub_db.with(|c| {
        c.query_row("SELECT token_sha256 FROM devices", (), |r| r.get(0))
            .expect("hash")
    });
    assert_eq!(stored, tokens::hash(&token));

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
    assert_eq!(
        hub_db.with(|c| tokens::authenticate(c, &token)),
        Err(TokenError::Refused),
        "refused at once"
    );
    hub(&db)
        .args(["revoke", "laptop-dori"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no device"));
}

// SQLite only: a replica is always a SQLite file, never a PostgreSQL database.
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

fn nobody_may_sign_as_the_hub_itself(kind: Kind) {
    if !kind.available() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_hub = dir.path().join("hub.db");
    drop(Store::create(&sqlite_hub, Side::Hub).expect("hub"));
    let Some(hub_db) = TestHub::on(kind, &sqlite_hub) else {
        return;
    };
    let db = hub_db.db_arg();
    for login in ["system", "System"] {
        let err = hub_db
            .with(|c| tokens::issue(c, login, None, Role::Moderator, "x"))
            .expect_err("reserved");
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

on_both!(
    a_token_is_shown_once_stored_hashed_and_revocable,
    nobody_may_sign_as_the_hub_itself,
);
