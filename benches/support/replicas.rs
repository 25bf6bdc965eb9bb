//! Replicas for the sync benches: attached to a hub, and given the same
//! 10,000-decision workload.
#![allow(dead_code)]

use std::path::Path;

use civitac::domain::forum::{PostAction, PostStatus};
use civitac::ops::{self, Op};
use civitac::replica::session;
use civitac::replica::transport::HubClient;
use civitac::store::{Side, Store};

/// An empty replica attached to the hub as the token's owner.
pub fn fresh_replica(path: &Path, url: &str, token: &str) -> (Store, HubClient) {
    let mut client = HubClient::new(url, token, None).expect("client");
    let me = client.whoami().expect("whoami");
    let mut store = Store::create(path, Side::Replica).expect("replica");
    session::attach(store.conn_mut(), &me, url).expect("identity");
    (store, client)
}

/// The first `n` visible posts, by id.
pub fn visible_posts(store: &Store, n: usize) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT ?1")
        .expect("q");
    let posts: Vec<String> = stmt
        .query_map([n as i64], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("ids");
    assert_eq!(posts.len(), n);
    posts
}

/// Two decisions per post, in one transaction: each hidden, then restored.
pub fn hide_then_restore(store: &mut Store, posts: &[String]) {
    let actor = store.owner().expect("owner").expect("owner");
    let tx = store.transaction().expect("tx");
    for (action, seen) in [
        (PostAction::Hide, PostStatus::Visible),
        (PostAction::Restore, PostStatus::Hidden),
    ] {
        for p in posts {
            let op = Op::ModeratePost {
                post_id: p.clone(),
                seen_status: seen,
                action,
                reason: (action == PostAction::Hide).then(|| "Hors sujet".to_owned()),
            };
            ops::apply(&tx, &actor, &op).expect("op");
        }
    }
    tx.commit().expect("commit");
}
