//! Conflicts, merges and convergence, in-process: replicas sync through
//! `LocalHub` (the hub's backend behind the `Remote` trait, with the same
//! authentication and answers as over HTTP), so these run without sockets.
//! Three replicas make random decisions on the same few posts and sync in a
//! random order; after everyone syncs twice, every replica equals the hub,
//! every op has exactly one outcome there, and no decision was lost (each is
//! applied, or kept as a conflict). `tests/sync.rs` keeps the same story end
//! to end over HTTP.

mod common;

use std::sync::Arc;

use civitac::domain::forum::{PostAction, PostStatus};
use civitac::hub::backend::SqliteHub;
use civitac::hub::local::LocalHub;
use civitac::hub::tokens;
use civitac::ops::{self, Op};
use civitac::protocol::remote::Remote;
use civitac::replica::session::{self, Sizes};
use civitac::store::Store;
use common::*;
use proptest::prelude::*;

/// What a moderator does to a post: a moderation, or "keep it as it is"
/// (dismissing its flags), which must conflict with a hide or removal made
/// meanwhile elsewhere.
#[derive(Debug, Clone, Copy)]
enum Move {
    Moderate(PostAction),
    Dismiss,
}

#[derive(Debug, Clone)]
enum Step {
    /// Replica `who` takes `action` on post number `post`, as it sees it.
    Decide {
        who: usize,
        post: usize,
        action: Move,
    },
    Sync {
        who: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..4usize, prop_oneof![
            Just(Move::Moderate(PostAction::Hide)),
            Just(Move::Moderate(PostAction::Remove)),
            Just(Move::Moderate(PostAction::Restore)),
            Just(Move::Dismiss),
        ])
            .prop_map(|(who, post, action)| Step::Decide { who, post, action }),
        2 => (0..3usize).prop_map(|who| Step::Sync { who }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    hub_db: std::path::PathBuf,
    replicas: Vec<(Store, LocalHub)>,
    posts: Vec<String>,
}

fn world() -> World {
    world_with([civitac::domain::staff::Role::Moderator; 3])
}

fn world_with(roles: [civitac::domain::staff::Role; 3]) -> World {
    let common::world::World {
        dir,
        hub_db,
        replicas,
    } = common::world::world_of(&roles, "test.mod", 0.05, 11);
    let posts = ids(
        &open(&hub_db),
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY flag_count > 0 DESC, id LIMIT 4",
    );
    World {
        _dir: dir,
        hub_db,
        replicas,
        posts,
    }
}

fn decide(store: &mut Store, post: &str, action: Move) {
    let actor = store.owner().expect("owner").expect("an owner");
    let tx = store.transaction().expect("tx");
    let (seen, flags): (PostStatus, i64) = tx
        .query_row(
            "SELECT status, flag_count FROM forum_posts WHERE id = ?1",
            [post],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("post");
    let op = match action {
        Move::Moderate(action) => Op::ModeratePost {
            post_id: post.to_owned(),
            seen_status: seen,
            action,
            reason: (action != PostAction::Restore).then(|| "Essai".to_owned()),
        },
        Move::Dismiss => Op::DismissFlags {
            post_id: post.to_owned(),
            seen_status: Some(seen),
            seen_flag_count: flags,
            reason: None,
        },
    };
    // An illegal move from what this replica sees is refused locally: fine.
    if ops::apply(&tx, &actor, &op).is_ok() {
        tx.commit().expect("commit");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn three_replicas_converge_on_the_hubs_state(steps in proptest::collection::vec(step(), 5..40)) {
        let mut w = world();
        for s in &steps {
            match s {
                Step::Decide { who, post, action } => {
                    let post = w.posts[*post].clone();
                    decide(&mut w.replicas[*who].0, &post, *action);
                }
                Step::Sync { who } => {
                    let (store, client) = &mut w.replicas[*who];
                    session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {})
                        .expect("sync");
                }
            }
        }
        for _ in 0..2 {
            for (store, client) in &mut w.replicas {
                session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {})
                    .expect("final sync");
            }
        }
        let hub = open(&w.hub_db);
        let want = synced_digest(&hub);
        for (i, (store, _)) in w.replicas.iter().enumerate() {
            prop_assert_eq!(&synced_digest(store), &want, "replica {}", i);
            prop_assert_eq!(count(store, "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"), 0);
            // Every op this replica made has exactly one outcome at the hub,
            // and a conflict answer left a conflict to decide here.
            let mut stmt = store.conn().prepare("SELECT op_id, outcome FROM outbox").expect("q");
            let rows: Vec<(String, String)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("q")
                .collect::<Result<_, _>>()
                .expect("rows");
            for (op_id, outcome) in rows {
                let at_hub = count(&hub, &format!("SELECT count(*) FROM applied_ops WHERE op_id = '{op_id}'"));
                prop_assert_eq!(at_hub, 1, "{}", op_id);
                let kept = count(&hub, &format!("SELECT count(*) FROM audit_log WHERE id = '{op_id}'"));
                match outcome.as_str() {
                    "applied" | "conflict" => prop_assert_eq!(kept, 1, "{} {}", op_id, outcome),
                    _ => {}
                }
                if outcome == "conflict" {
                    prop_assert_eq!(count(store, &format!("SELECT count(*) FROM conflicts WHERE op_id = '{op_id}'")), 1);
                }
            }
        }
    }
}

fn outcome(store: &Store, post: &str) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT o.outcome FROM outbox o JOIN audit_log a ON a.id = o.op_id
             WHERE a.entity_id = ?1 ORDER BY o.seq",
        )
        .expect("q");
    stmt.query_map([post], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("outcomes")
}

#[test]
fn different_decisions_make_one_conflict_and_the_same_decision_merges() {
    let mut w = world();
    let (contested, agreed) = (w.posts[0].clone(), w.posts[1].clone());
    decide(
        &mut w.replicas[0].0,
        &contested,
        Move::Moderate(PostAction::Hide),
    );
    decide(
        &mut w.replicas[1].0,
        &contested,
        Move::Moderate(PostAction::Remove),
    );
    decide(
        &mut w.replicas[0].0,
        &agreed,
        Move::Moderate(PostAction::Hide),
    );
    decide(
        &mut w.replicas[1].0,
        &agreed,
        Move::Moderate(PostAction::Hide),
    );
    for who in [0, 1, 0, 1] {
        let (store, hub) = &mut w.replicas[who];
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
    let (a, b) = (&w.replicas[0].0, &w.replicas[1].0);
    assert_eq!(outcome(a, &contested), ["applied"]);
    assert_eq!(outcome(b, &contested), ["conflict"]);
    assert_eq!(outcome(a, &agreed), ["applied"]);
    assert_eq!(outcome(b, &agreed), ["duplicate"]);
    let hub = open(&w.hub_db);
    // The first decision stands everywhere; the second waits to be decided again.
    assert_eq!(
        count(
            &hub,
            &format!(
                "SELECT count(*) FROM forum_posts WHERE id = '{contested}' AND status = 'hidden'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            b,
            "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"
        ),
        1
    );
    assert_eq!(synced_digest(a), synced_digest(&hub));
    assert_eq!(synced_digest(b), synced_digest(&hub));
}

#[test]
fn the_in_process_hub_refuses_as_the_http_hub_does() {
    let w = world();
    let backend: Arc<dyn civitac::hub::backend::HubBackend> =
        Arc::new(SqliteHub::open(&w.hub_db, w.hub_db.with_extension("files"), 3).expect("backend"));
    let err = LocalHub::new(backend.clone(), "cvt_not-a-token")
        .whoami()
        .expect_err("refused");
    assert_eq!(err.status(), Some(401), "{err}");
    let (_, platform) = tokens::issue_platform(open(&w.hub_db).conn(), "site").expect("platform");
    let err = LocalHub::new(backend.clone(), &platform)
        .whoami()
        .expect_err("refused");
    assert_eq!(err.status(), Some(403), "{err}");
    let mut bytes = Vec::new();
    let (_, token) = tokens::issue(
        open(&w.hub_db).conn(),
        "test.files",
        None,
        civitac::domain::staff::Role::Moderator,
        "device-files",
    )
    .expect("token");
    let err = LocalHub::new(backend, &token)
        .file_range(&"0".repeat(64), 0, &mut bytes)
        .expect_err("no such file");
    assert_eq!(err.status(), Some(404), "{err}");
}

/// Two moderators on two replicas sanction the same author: the first
/// decision stands; a mute made while someone else banned them is a
/// conflict (never a ban lightened into a mute); a penalty's hidden posts
/// travel with it.
#[test]
fn a_mute_made_while_an_admin_banned_the_author_is_a_conflict() {
    use civitac::domain::forum::CitizenAction;
    use civitac::domain::staff::Role;
    use civitac::ops::decisions::{Decision, Mode, apply_batch};
    let mut w = world_with([Role::Admin, Role::Moderator, Role::Moderator]);
    let author: String = {
        let hub = open(&w.hub_db);
        ids(
            &hub,
            "SELECT c.id FROM citizens c WHERE c.status = 'active' AND EXISTS
               (SELECT 1 FROM forum_posts p WHERE p.author_id = c.id AND p.status = 'visible')
             ORDER BY c.id LIMIT 1",
        )
        .pop()
        .expect("an author")
    };
    let sanction = |store: &mut Store, decision: Decision| {
        let actor = store.owner().expect("owner").expect("owner");
        let tx = store.transaction().expect("tx");
        let o = apply_batch(
            &tx,
            &actor,
            &decision,
            std::slice::from_ref(&author),
            Some("Spam"),
            Mode::default(),
            civitac::i18n::Lang::En,
        );
        assert!(o.failed.is_empty(), "{:?}", o.failed);
        tx.commit().expect("commit");
    };
    sanction(
        &mut w.replicas[0].0,
        Decision::Citizen {
            action: CitizenAction::Ban,
            hours: None,
            hide_posts: true,
        },
    );
    sanction(
        &mut w.replicas[1].0,
        Decision::Citizen {
            action: CitizenAction::Mute,
            hours: Some(24),
            hide_posts: false,
        },
    );
    for who in [0, 1, 2, 0, 1] {
        let (store, hub) = &mut w.replicas[who];
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
    let hub = open(&w.hub_db);
    assert_eq!(
        count(
            &hub,
            &format!("SELECT count(*) FROM citizens WHERE id = '{author}' AND status = 'banned'")
        ),
        1
    );
    assert_eq!(
        count(
            &hub,
            &format!(
                "SELECT count(*) FROM forum_posts WHERE author_id = '{author}' AND status = 'visible'"
            )
        ),
        0
    );
    assert_eq!(outcome(&w.replicas[1].0, &author), ["conflict"]);
    for (store, _) in &w.replicas {
        assert_eq!(synced_digest(store), synced_digest(&hub));
    }
}

/// Claims and notes travel between replicas: two moderators who take the
/// same post offline — the first claim stands, the second is a conflict;
/// everyone sees who took what after the next sync, and notes arrive
/// everywhere — but nothing of them reaches the platform's decision feed.
#[test]
fn claims_and_notes_reach_colleagues_and_never_the_platform() {
    use civitac::ops::decisions::{Decision, Mode, apply_batch};
    let mut w = world();
    let post = w.posts[0].clone();
    let act = |store: &mut Store, decision: Decision, text: Option<&str>| {
        let actor = store.owner().expect("owner").expect("owner");
        let tx = store.transaction().expect("tx");
        let o = apply_batch(
            &tx,
            &actor,
            &decision,
            std::slice::from_ref(&post),
            text,
            Mode::default(),
            civitac::i18n::Lang::En,
        );
        assert!(o.failed.is_empty(), "{:?}", o.failed);
        tx.commit().expect("commit");
    };
    act(
        &mut w.replicas[0].0,
        Decision::Claim("forum_post", true),
        None,
    );
    act(
        &mut w.replicas[0].0,
        Decision::Note("forum_post"),
        Some("Same text seen in Kaya"),
    );
    act(
        &mut w.replicas[1].0,
        Decision::Claim("forum_post", true),
        None,
    );
    for who in [0, 1, 2, 0, 1] {
        let (store, hub) = &mut w.replicas[who];
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
    assert_eq!(outcome(&w.replicas[1].0, &post), ["conflict"]);
    for (store, _) in &w.replicas {
        let seen = civitac::store::views::worked(store.conn(), &post);
        assert_eq!(seen.claim.map(|c| c.0), Some("test.mod0".to_owned()));
        assert_eq!(seen.notes.len(), 1);
    }
    let hub = open(&w.hub_db);
    for (store, _) in &w.replicas {
        assert_eq!(synced_digest(store), synced_digest(&hub));
    }
    let feed = civitac::hub::decisions::since(hub.conn(), 0, 5_000).expect("feed");
    assert!(
        feed.decisions
            .iter()
            .all(|d| d.entity_id != post || d.kind.starts_with("post.")),
        "a claim or a note in the platform's feed"
    );
    assert_eq!(
        count(
            &hub,
            "SELECT count(*) FROM audit_log WHERE action IN ('note.add', 'claim.take')"
        ),
        2
    );
}

/// Two field agents correct the same organisation offline: the first
/// correction stands, a different one is a conflict, the same one merges;
/// a leader met travels to every replica.
#[test]
fn corrections_made_on_two_replicas_merge_or_conflict() {
    use civitac::domain::staff::Role;
    use civitac::ops::forms;
    let mut w = world_with([Role::FieldAgent, Role::FieldAgent, Role::Admin]);
    let org: String = {
        let hub = open(&w.hub_db);
        first_id(&hub, "organizations", "status = 'applied'")
    };
    let correct = |store: &mut Store, fields: &[(&'static str, String)]| {
        let actor = store.owner().expect("owner").expect("owner");
        let op = forms::edit(store.conn(), &org, fields, civitac::i18n::Lang::En).expect("edit");
        let tx = store.transaction().expect("tx");
        ops::apply(&tx, &actor, &op).expect("applies locally");
        tx.commit().expect("commit");
    };
    correct(&mut w.replicas[0].0, &[("name", "Commune de Kaya".into())]);
    correct(&mut w.replicas[1].0, &[("name", "Mairie de Kaya".into())]);
    correct(&mut w.replicas[2].0, &[("name", "Commune de Kaya".into())]);
    {
        let store = &mut w.replicas[0].0;
        let actor = store.owner().expect("owner").expect("owner");
        let leader = forms::leader(
            &org,
            "Mariam Ouédraogo",
            "présidente",
            "76 00 00 01",
            civitac::i18n::Lang::En,
        )
        .expect("leader");
        let tx = store.transaction().expect("tx");
        ops::apply(&tx, &actor, &Op::AddLeader { leader }).expect("leader");
        tx.commit().expect("commit");
    }
    for who in [0, 1, 2, 0, 1, 2] {
        let (store, hub) = &mut w.replicas[who];
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
    assert_eq!(outcome(&w.replicas[0].0, &org), ["applied"]);
    assert_eq!(outcome(&w.replicas[1].0, &org), ["conflict"]);
    assert_eq!(outcome(&w.replicas[2].0, &org), ["duplicate"]);
    let hub = open(&w.hub_db);
    for (store, _) in &w.replicas {
        assert_eq!(synced_digest(store), synced_digest(&hub));
        assert_eq!(
            count(
                store,
                &format!("SELECT count(*) FROM org_leaders WHERE org_id = '{org}'")
            ),
            1
        );
    }
}

/// A contact taken out of a group at one replica leaves it on every other
/// after their sync (the hub deletes the membership; its feed says the row
/// is gone); a group archived is never sent to again, nor takes a member
/// (and the refused op writes nothing: not even the new contact).
#[test]
fn a_member_removed_and_a_group_archived_reach_every_replica() {
    let mut w = world_with([
        civitac::domain::staff::Role::Admin,
        civitac::domain::staff::Role::Moderator,
        civitac::domain::staff::Role::Moderator,
    ]);
    let (group, contact): (String, String) = {
        let hub = open(&w.hub_db);
        hub.conn()
            .query_row(
                "SELECT group_id, contact_id FROM sms_group_members ORDER BY group_id, contact_id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("a member")
    };
    {
        let store = &mut w.replicas[0].0;
        let actor = store.owner().expect("owner").expect("owner");
        let tx = store.transaction().expect("tx");
        ops::apply(
            &tx,
            &actor,
            &Op::RemoveMember {
                group_id: group.clone(),
                contact_id: contact.clone(),
            },
        )
        .expect("removed");
        ops::apply(
            &tx,
            &actor,
            &Op::ArchiveGroup {
                group_id: group.clone(),
                archived: true,
            },
        )
        .expect("archived");
        tx.commit().expect("commit");
    }
    // Meanwhile, offline, another replica adds a new contact to the group:
    // it reaches the hub after the archive and is kept whole (the contact as
    // typed; the membership reaches no one, the group never being sent to).
    apply_on(
        &mut w.replicas[2].0,
        &new_member("+22670999333", "Saisi hors ligne", &group),
    )
    .expect("added offline");
    for who in [0, 1, 2, 0, 1] {
        let (store, hub) = &mut w.replicas[who];
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
    assert_eq!(
        count(
            &open(&w.hub_db),
            "SELECT count(*) FROM sms_contacts WHERE phone_e164 = '+22670999333' AND name = 'Saisi hors ligne'"
        ),
        1,
        "the contact typed offline is kept"
    );
    let hub = open(&w.hub_db);
    for (store, _) in &w.replicas {
        assert_eq!(
            count(
                store,
                &format!(
                    "SELECT count(*) FROM sms_group_members WHERE group_id = '{group}' AND contact_id = '{contact}'"
                )
            ),
            0
        );
        assert_eq!(synced_digest(store), synced_digest(&hub));
    }
    // Archived: a message to it is refused.
    let store = &mut w.replicas[1].0;
    let actor = store.owner().expect("owner").expect("owner");
    let tx = store.transaction().expect("tx");
    let queued = ops::apply(
        &tx,
        &actor,
        &Op::QueueSms {
            message: civitac::ops::NewSms {
                id: uuid::Uuid::now_v7().to_string(),
                group_id: group.clone(),
                kind: civitac::domain::sms::SmsKind::Notice,
                body: "x".into(),
                scheduled_at: None,
                retry_of: None,
            },
        },
    );
    assert!(
        matches!(queued, Err(civitac::ops::OpError::Archived { .. })),
        "{queued:?}"
    );
    let joined = ops::apply(&tx, &actor, &new_member("+22670999111", "Nouveau", &group));
    assert!(
        matches!(joined, Err(civitac::ops::OpError::Archived { .. })),
        "{joined:?}"
    );
    assert_eq!(
        tx.query_row(
            "SELECT count(*) FROM sms_contacts WHERE phone_e164 = '+22670999111'",
            [],
            |r| r.get::<_, i64>(0)
        )
        .expect("count"),
        0
    );
}

/// A new contact, named, added to `group`.
fn new_member(phone: &str, name: &str, group: &str) -> Op {
    Op::AddContact {
        contact: civitac::ops::NewContact {
            phone_e164: phone.into(),
            name: Some(name.into()),
            region: None,
            commune: None,
        },
        group_id: Some(group.into()),
    }
}

/// Applies one op on a replica, as its owner.
fn apply_on(store: &mut Store, op: &Op) -> Result<(), civitac::ops::OpError> {
    let actor = store.owner().expect("owner").expect("owner");
    let tx = store.transaction().expect("tx");
    ops::apply(&tx, &actor, op)?;
    tx.commit().expect("commit");
    Ok(())
}

fn sync_all(w: &mut World) {
    for (store, hub) in &mut w.replicas {
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
}

#[test]
fn failed_numbers_reach_every_replica_and_a_resend_goes_to_them_only() {
    use civitac::domain::sms::{SmsKind, SmsStatus};
    let mut w = world_with([
        civitac::domain::staff::Role::Admin,
        civitac::domain::staff::Role::Admin,
        civitac::domain::staff::Role::Moderator,
    ]);
    // A group of a few people who did not opt out.
    let group: String = {
        let hub = open(&w.hub_db);
        hub.conn()
            .query_row(
                "SELECT gm.group_id FROM sms_group_members gm JOIN sms_contacts c ON c.id = gm.contact_id
                 WHERE c.opted_out_at IS NULL GROUP BY gm.group_id HAVING count(*) >= 3
                 ORDER BY count(*), gm.group_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("a group")
    };
    let first = uuid::Uuid::now_v7().to_string();
    let message = |id: &str, retry_of: Option<&str>| Op::QueueSms {
        message: civitac::ops::NewSms {
            id: id.to_owned(),
            group_id: group.clone(),
            kind: SmsKind::Notice,
            body: "Réunion publique samedi à 9 h.".into(),
            scheduled_at: None,
            retry_of: retry_of.map(str::to_owned),
        },
    };
    apply_on(&mut w.replicas[0].0, &message(&first, None)).expect("queued");
    // Resending what has not been sent is refused.
    let early = uuid::Uuid::now_v7().to_string();
    assert!(apply_on(&mut w.replicas[0].0, &message(&early, Some(&first))).is_err());
    sync_all(&mut w);
    let (status, recipients): (SmsStatus, i64) = w.replicas[1]
        .0
        .conn()
        .query_row(
            "SELECT status, recipients FROM sms_messages WHERE id = ?1",
            [&first],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("message");
    if status == SmsStatus::Queued {
        apply_on(
            &mut w.replicas[1].0,
            &Op::ApproveSms {
                message_id: first.clone(),
                seen_status: status,
                seen_recipients: Some(recipients),
            },
        )
        .expect("approved");
        sync_all(&mut w);
    }
    // The hub sends: two numbers fail (one rejected, one unreachable), the
    // others are delivered.
    let contacts: Vec<String> = {
        let mut hub = open(&w.hub_db);
        civitac::hub::sms::start_due(hub.conn_mut(), "2999-01-01T00:00:00Z").expect("start");
        let contacts = ids(
            &hub,
            &format!(
                "SELECT contact_id FROM sms_deliveries WHERE message_id = '{first}' ORDER BY contact_id"
            ),
        );
        assert_eq!(contacts.len() as i64, recipients);
        for (i, c) in contacts.iter().enumerate() {
            let bits = match i {
                0 => 16,
                1 => 2,
                _ => 1,
            };
            assert!(civitac::hub::sms::report(hub.conn_mut(), &first, c, bits).expect("report"));
        }
        contacts
    };
    sync_all(&mut w);
    let hub = open(&w.hub_db);
    for (store, _) in &w.replicas {
        assert_eq!(
            ids(
                store,
                &format!(
                    "SELECT contact_id FROM sms_failures WHERE message_id = '{first}' ORDER BY contact_id"
                )
            ),
            contacts[..2].to_vec()
        );
        assert_eq!(synced_digest(store), synced_digest(&hub));
    }
    let words: Vec<String> =
        civitac::store::views::sms_failures(w.replicas[2].0.conn(), &first, 10)
            .into_iter()
            .map(|(_, e)| {
                civitac::store::views::failure_words(e.as_deref(), civitac::i18n::Lang::Fr)
            })
            .collect();
    assert!(
        words.contains(&"refusé par l'opérateur".to_owned()),
        "{words:?}"
    );
    assert!(
        words.contains(&"numéro injoignable".to_owned()),
        "{words:?}"
    );
    // A resend from another replica counts the two failed numbers, as the
    // hub does, and the hub sends to them and nobody else.
    let again = uuid::Uuid::now_v7().to_string();
    apply_on(&mut w.replicas[1].0, &message(&again, Some(&first))).expect("resend");
    let counted = |s: &Store| -> i64 {
        s.conn()
            .query_row(
                "SELECT recipients FROM sms_messages WHERE id = ?1",
                [&again],
                |r| r.get(0),
            )
            .expect("resend")
    };
    assert_eq!(counted(&w.replicas[1].0), 2);
    sync_all(&mut w);
    drop(hub);
    {
        let mut hub = open(&w.hub_db);
        assert_eq!(counted(&hub), 2);
        civitac::hub::sms::start_due(hub.conn_mut(), "2999-01-01T00:00:00Z").expect("start");
        assert_eq!(
            ids(
                &hub,
                &format!(
                    "SELECT contact_id FROM sms_deliveries WHERE message_id = '{again}' ORDER BY contact_id"
                )
            ),
            contacts[..2].to_vec()
        );
        // A late report says the first one got it after all: no longer a
        // failure, anywhere.
        assert!(civitac::hub::sms::report(hub.conn_mut(), &first, &contacts[0], 1).expect("late"));
    }
    sync_all(&mut w);
    let hub = open(&w.hub_db);
    for (store, _) in &w.replicas {
        assert_eq!(
            ids(
                store,
                &format!("SELECT contact_id FROM sms_failures WHERE message_id = '{first}'")
            ),
            contacts[1..2].to_vec()
        );
        assert_eq!(synced_digest(store), synced_digest(&hub));
    }
}

#[test]
fn a_colleague_switched_off_from_an_admins_console_loses_every_device_at_the_hub() {
    let mut w = world_with([
        civitac::domain::staff::Role::Admin,
        civitac::domain::staff::Role::Moderator,
        civitac::domain::staff::Role::Moderator,
    ]);
    let leaving: String = w.replicas[2]
        .0
        .owner()
        .expect("owner")
        .expect("owner")
        .staff_id;
    let newcomer = uuid::Uuid::now_v7().to_string();
    apply_on(
        &mut w.replicas[0].0,
        &Op::AddStaff {
            staff: civitac::ops::NewStaff {
                id: newcomer.clone(),
                login: "sali.ouedraogo".into(),
                display_name: "Sali Ouédraogo".into(),
                role: civitac::domain::staff::Role::FieldAgent,
            },
        },
    )
    .expect("added");
    apply_on(
        &mut w.replicas[0].0,
        &Op::SetStaffActive {
            staff_id: leaving.clone(),
            seen_active: true,
            active: false,
            reason: Some("A quitté l'équipe".into()),
        },
    )
    .expect("switched off");
    // Not by a moderator, and never on one's own account.
    assert!(
        apply_on(
            &mut w.replicas[1].0,
            &Op::SetStaffActive {
                staff_id: leaving.clone(),
                seen_active: true,
                active: false,
                reason: Some("x".into()),
            },
        )
        .is_err()
    );
    let admin = w.replicas[0]
        .0
        .owner()
        .expect("owner")
        .expect("owner")
        .staff_id;
    assert!(matches!(
        apply_on(
            &mut w.replicas[0].0,
            &Op::SetStaffRole {
                staff_id: admin,
                seen_role: civitac::domain::staff::Role::Admin,
                role: civitac::domain::staff::Role::Moderator,
            },
        ),
        Err(civitac::ops::OpError::OwnAccount { .. })
    ));
    {
        let (store, hub) = &mut w.replicas[0];
        session::sync(store.conn_mut(), hub, Sizes::default(), &mut |_| {}).expect("sync");
    }
    let hub = open(&w.hub_db);
    assert_eq!(
        count(
            &hub,
            &format!(
                "SELECT count(*) FROM staff WHERE id = '{newcomer}' AND login = 'sali.ouedraogo' AND active = 1"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &hub,
            &format!(
                "SELECT count(*) FROM devices WHERE staff_id = '{leaving}' AND revoked_at IS NULL"
            )
        ),
        0
    );
    // Their replica can no longer sync; the others learn of both changes.
    let (store, client) = &mut w.replicas[2];
    assert!(session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {}).is_err());
    let (store, client) = &mut w.replicas[1];
    session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {}).expect("sync");
    assert_eq!(
        count(
            store,
            &format!("SELECT count(*) FROM staff WHERE id = '{leaving}' AND active = 0")
        ),
        1
    );
    assert_eq!(
        count(
            store,
            "SELECT count(*) FROM staff WHERE login = 'sali.ouedraogo'"
        ),
        1
    );
}
