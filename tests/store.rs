//! Files that are not civitac databases are refused, named, and left byte-identical.

mod common;

use std::path::Path;

use civitac::store::{Side, Store, StoreError};
use common::*;

fn refused(path: &Path) -> StoreError {
    let before = file_bytes(path);
    let err = match Store::open(path) {
        Ok(_) => panic!("{} was opened", path.display()),
        Err(e) => e,
    };
    assert_eq!(file_bytes(path), before, "{} was modified", path.display());
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "error names the file: {err}"
    );
    err
}

fn fresh(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let store = Store::create(&path, Side::Replica).expect("create");
    store.set_state("probe", "1").expect("write");
    drop(store);
    path
}

#[test]
fn not_sqlite_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("contacts.db");
    std::fs::write(&csv, "name,phone\nAwa,+22670000000\n").expect("write");
    assert!(matches!(refused(&csv), StoreError::NotSqlite { .. }));
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").expect("write");
    assert!(matches!(refused(&empty), StoreError::NotSqlite { .. }));
    assert!(matches!(
        Store::open(&dir.path().join("missing.db")),
        Err(StoreError::Missing(_))
    ));
}

#[test]
fn corrupt_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Garbage over the schema page (after the 100-byte header).
    let path = fresh(dir.path(), "corrupt.db");
    let mut bytes = file_bytes(&path);
    for (i, b) in bytes.iter_mut().enumerate().take(4096).skip(100) {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).expect("write");
    assert!(matches!(
        refused(&path),
        StoreError::Corrupt { .. } | StoreError::NotSqlite { .. }
    ));
    // A truncated download: not a whole number of pages.
    let path = fresh(dir.path(), "truncated.db");
    let bytes = file_bytes(&path);
    std::fs::write(&path, &bytes[..bytes.len() - 1000]).expect("write");
    assert!(matches!(refused(&path), StoreError::Corrupt { .. }));
}

#[test]
fn newer_schema_and_foreign_databases_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fresh(dir.path(), "future.db");
    {
        let c = rusqlite::Connection::open(&path).expect("open raw");
        c.pragma_update(None, "user_version", 99)
            .expect("set version");
        c.pragma_update(None, "journal_mode", "DELETE")
            .expect("no wal");
    }
    let err = refused(&path);
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );

    let other = dir.path().join("other-app.db");
    {
        let c = rusqlite::Connection::open(&other).expect("open raw");
        c.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('x');")
            .expect("other app");
    }
    assert!(matches!(refused(&other), StoreError::Foreign(_)));
}

#[test]
fn create_then_open_round_trips_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fresh(dir.path(), "replica.db");
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.state("probe").expect("read").as_deref(), Some("1"));
    assert_eq!(store.side().expect("side"), Side::Replica);
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .conn()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("fk");
    assert_eq!(fk, 1);
    assert!(matches!(
        Store::create(&path, Side::Hub),
        Err(StoreError::Exists(_))
    ));
}
