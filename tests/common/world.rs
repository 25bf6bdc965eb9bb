//! A hub and three replicas in one process: the demo's hub database behind
//! `LocalHub` (the hub's backend behind the `Remote` trait, with the same
//! authentication and answers as over HTTP), each replica filled by a first
//! sync. Cases take milliseconds and no socket.

use std::path::PathBuf;
use std::sync::Arc;

use civitac::domain::staff::Role;
use civitac::hub::backend::SqliteHub;
use civitac::hub::local::LocalHub;
use civitac::hub::tokens;
use civitac::protocol::remote::Remote;
use civitac::replica::session::{self, Sizes};
use civitac::store::{Side, Store};

pub struct World {
    pub dir: tempfile::TempDir,
    pub hub_db: PathBuf,
    /// Each replica with its link to the hub; replica `i` belongs to staff
    /// `{staff}{i}` on `device-{i}`, in the role given.
    pub replicas: Vec<(Store, LocalHub)>,
}

/// A demo of `scale` and `seed`, one replica per role.
pub fn world_of(roles: &[Role], staff: &str, scale: f64, seed: u64) -> World {
    let dir = tempfile::tempdir().expect("dir");
    civitac::demo::build(&dir.path().join("demo"), &super::options(scale, seed)).expect("demo");
    let hub_db = dir.path().join("hub.db");
    std::fs::copy(dir.path().join("demo/hub.db"), &hub_db).expect("copy");
    let toks: Vec<String> = {
        let h = super::open(&hub_db);
        roles
            .iter()
            .enumerate()
            .map(|(i, role)| {
                tokens::issue(
                    h.conn(),
                    &format!("{staff}{i}"),
                    None,
                    *role,
                    &format!("device-{i}"),
                )
                .expect("token")
                .1
            })
            .collect()
    };
    let backend = Arc::new(SqliteHub::open(&hub_db, dir.path().join("files"), 3).expect("hub"));
    let mut replicas = Vec::new();
    for (i, token) in toks.iter().enumerate() {
        let mut client = LocalHub::new(backend.clone(), token);
        let me = client.whoami().expect("whoami");
        let mut store =
            Store::create(&dir.path().join(format!("r{i}.db")), Side::Replica).expect("replica");
        session::attach(store.conn_mut(), &me, "in-process").expect("identity");
        session::sync(store.conn_mut(), &mut client, Sizes::default(), &mut |_| {})
            .expect("first sync");
        replicas.push((store, client));
    }
    World {
        dir,
        hub_db,
        replicas,
    }
}
