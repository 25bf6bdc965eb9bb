//! Helpers shared by the integration tests: a small demo world in a temp dir.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use civitac::demo::{self, DemoOptions};
use civitac::domain::staff::Role;
use civitac::store::{Actor, Store};

pub const AS_OF: &str = "2026-11-01T00:00:00Z";

pub fn options(scale: f64, seed: u64) -> DemoOptions {
    DemoOptions {
        scale,
        seed,
        as_of: AS_OF.parse().expect("fixed date"),
    }
}

/// A small demo (hub + replica) in a fresh temporary directory.
pub fn small_demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = demo::build(dir.path(), &options(0.2, 7)).expect("demo builds");
    let replica = summary.replica.clone();
    (dir, replica)
}

pub fn open(path: &Path) -> Store {
    Store::open(path).expect("store opens")
}

/// The replica's owner, with another role (same person, for matrix tests).
pub fn actor_with(store: &Store, role: Role) -> Actor {
    let mut a = store
        .owner()
        .expect("owner read")
        .expect("demo replica has an owner");
    a.role = role;
    a
}

/// The first id in `table` whose row matches `condition`.
pub fn first_id(store: &Store, table: &str, condition: &str) -> String {
    store
        .conn()
        .query_row(
            &format!("SELECT id FROM {table} WHERE {condition} ORDER BY id LIMIT 1"),
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("no {table} row where {condition}: {e}"))
}

pub fn count(store: &Store, sql: &str) -> i64 {
    store
        .conn()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}
