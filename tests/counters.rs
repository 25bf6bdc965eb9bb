//! The counters the dashboard and the status bar read (schema.sql, "version
//! 7") and each SMS group's reach ("version 8") are kept by triggers; these
//! tests drive the real paths that move them — ops on three replicas, undos,
//! the platform's new posts and flags at the hub, contacts opting out and in,
//! members removed and added, pushes and pulls, conflicts — in random order,
//! and after every step compare each database's counters with a full count
//! of its tables.

mod common;

use civitac::domain::enrollment::{EnrollmentAction, Stage};
use civitac::domain::forum::{PostAction, PostStatus};
use civitac::domain::staff::Role;
use civitac::domain::uploads::{ReviewDecision, UploadStatus};
use civitac::hub::local::LocalHub;
use civitac::ops::{self, Op};
use civitac::replica::session::{self, Sizes};
use civitac::store::Store;
use common::*;
use proptest::prelude::*;
use rusqlite::Connection;

#[derive(Debug, Clone)]
enum Step {
    Post {
        who: usize,
        n: usize,
        action: Option<PostAction>,
    },
    Upload {
        who: usize,
        n: usize,
        decision: ReviewDecision,
    },
    Enrolment {
        who: usize,
        n: usize,
        action: EnrollmentAction,
    },
    /// Undo the replica's last decision.
    Undo {
        who: usize,
    },
    /// The platform sends a new post and flags on an existing one.
    Platform {
        n: usize,
        flags: usize,
    },
    Sync {
        who: usize,
    },
    /// A contact (a member of the groups) changes: opts out or in, leaves
    /// group `g` or is added to it.
    Contact {
        who: usize,
        n: usize,
        g: usize,
        change: ContactChange,
    },
}

#[derive(Debug, Clone, Copy)]
enum ContactChange {
    OptOut,
    OptIn,
    Leave,
    Join,
}

impl ContactChange {
    /// The op that makes this change to the contact (`phone`, `id`) in `group`.
    fn op(self, phone: &str, id: &str, group: &str) -> Op {
        match self {
            ContactChange::OptOut => Op::OptOutContact {
                phone_e164: phone.to_owned(),
                reason: None,
            },
            ContactChange::OptIn => Op::OptInContact {
                phone_e164: phone.to_owned(),
                reason: Some("a rappelé".to_owned()),
            },
            ContactChange::Leave => Op::RemoveMember {
                group_id: group.to_owned(),
                contact_id: id.to_owned(),
            },
            ContactChange::Join => Op::AddContact {
                contact: ops::NewContact {
                    phone_e164: phone.to_owned(),
                    name: None,
                    region: None,
                    commune: None,
                },
                group_id: Some(group.to_owned()),
            },
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let post_action = prop_oneof![
        Just(Some(PostAction::Hide)),
        Just(Some(PostAction::Remove)),
        Just(Some(PostAction::Restore)),
        Just(None),
    ];
    let decision = prop_oneof![
        Just(ReviewDecision::Approve),
        Just(ReviewDecision::Reject),
        Just(ReviewDecision::RequestChanges),
    ];
    let stage = prop_oneof![
        Just(EnrollmentAction::RecordContact),
        Just(EnrollmentAction::Enrol),
        Just(EnrollmentAction::Reject),
        Just(EnrollmentAction::Suspend),
        Just(EnrollmentAction::Reinstate),
    ];
    let change = prop_oneof![
        Just(ContactChange::OptOut),
        Just(ContactChange::OptIn),
        Just(ContactChange::Leave),
        Just(ContactChange::Join),
    ];
    prop_oneof![
        2 => (0..3usize, 0..4usize, 0..2usize, change).prop_map(|(who, n, g, change)| Step::Contact { who, n, g, change }),
        3 => (0..3usize, 0..6usize, post_action).prop_map(|(who, n, action)| Step::Post { who, n, action }),
        2 => (0..3usize, 0..4usize, decision).prop_map(|(who, n, decision)| Step::Upload { who, n, decision }),
        2 => (0..3usize, 0..4usize, stage).prop_map(|(who, n, action)| Step::Enrolment { who, n, action }),
        1 => (0..3usize).prop_map(|who| Step::Undo { who }),
        1 => (0..6usize, 1..4usize).prop_map(|(n, flags)| Step::Platform { n, flags }),
        2 => (0..3usize).prop_map(|who| Step::Sync { who }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    hub_db: std::path::PathBuf,
    replicas: Vec<(Store, LocalHub)>,
    posts: Vec<String>,
    uploads: Vec<String>,
    orgs: Vec<String>,
    /// Members of the first group, and two groups of members.
    contacts: Vec<String>,
    groups: Vec<String>,
}

fn world() -> World {
    let common::world::World {
        dir,
        hub_db,
        replicas,
    } = common::world::world_of(&[Role::Admin; 3], "test.count", 0.05, 17);
    let h = open(&hub_db);
    World {
        posts: ids(
            &h,
            "SELECT id FROM forum_posts ORDER BY flag_count > 0 DESC, id LIMIT 6",
        ),
        uploads: ids(
            &h,
            "SELECT id FROM uploads ORDER BY status = 'pending' DESC, id LIMIT 4",
        ),
        orgs: ids(
            &h,
            "SELECT id FROM organizations ORDER BY status, id LIMIT 4",
        ),
        contacts: ids(
            &h,
            "SELECT phone_e164 FROM sms_contacts c JOIN sms_group_members m ON m.contact_id = c.id
             WHERE m.group_id = (SELECT min(group_id) FROM sms_group_members) ORDER BY c.id LIMIT 4",
        ),
        groups: ids(
            &h,
            "SELECT DISTINCT group_id FROM sms_group_members ORDER BY group_id LIMIT 2",
        ),
        _dir: dir,
        hub_db,
        replicas,
    }
}

/// Applies `op` as this replica's owner; a move this replica's state does
/// not allow is refused, as in the console.
fn act(store: &mut Store, op: impl FnOnce(&Connection) -> Option<Op>) {
    let actor = store.owner().expect("owner").expect("an owner");
    let tx = store.transaction().expect("tx");
    if let Some(op) = op(&tx)
        && ops::apply(&tx, &actor, &op).is_ok()
    {
        tx.commit().expect("commit");
    }
}

fn one<T: rusqlite::types::FromSql>(c: &Connection, sql: &str, id: &str) -> Option<T> {
    c.query_row(sql, [id], |r| r.get(0)).ok()
}

fn run(w: &mut World, s: &Step) {
    match s.clone() {
        Step::Post { who, n, action } => {
            let post = w.posts[n].clone();
            act(&mut w.replicas[who].0, |c| {
                let seen: PostStatus =
                    one(c, "SELECT status FROM forum_posts WHERE id = ?1", &post)?;
                Some(match action {
                    Some(action) => Op::ModeratePost {
                        post_id: post.clone(),
                        seen_status: seen,
                        action,
                        reason: (action != PostAction::Restore).then(|| "Essai".to_owned()),
                    },
                    None => Op::DismissFlags {
                        post_id: post.clone(),
                        seen_status: Some(seen),
                        seen_flag_count: one(
                            c,
                            "SELECT flag_count FROM forum_posts WHERE id = ?1",
                            &post,
                        )?,
                        reason: None,
                    },
                })
            });
        }
        Step::Upload { who, n, decision } => {
            let upload = w.uploads[n].clone();
            act(&mut w.replicas[who].0, |c| {
                let seen: UploadStatus =
                    one(c, "SELECT status FROM uploads WHERE id = ?1", &upload)?;
                Some(Op::ReviewUpload {
                    upload_id: upload.clone(),
                    seen_status: seen,
                    decision,
                    reason: (decision != ReviewDecision::Approve).then(|| "Essai".to_owned()),
                })
            });
        }
        Step::Enrolment { who, n, action } => {
            let org = w.orgs[n].clone();
            act(&mut w.replicas[who].0, |c| {
                let seen: Stage = one(c, "SELECT status FROM organizations WHERE id = ?1", &org)?;
                Some(Op::SetEnrollmentStatus {
                    org_id: org.clone(),
                    seen_status: seen,
                    action,
                    reason: Some("Essai".to_owned()),
                    charter: None,
                })
            });
        }
        Step::Undo { who } => {
            act(&mut w.replicas[who].0, |c| {
                let last: String = c
                    .query_row(
                        "SELECT op_id FROM outbox ORDER BY seq DESC LIMIT 1",
                        [],
                        |r| r.get(0),
                    )
                    .ok()?;
                Some(Op::Undo {
                    op_id: last,
                    reason: Some("Essai".to_owned()),
                })
            });
        }
        Step::Platform { n, flags } => {
            let post = &w.posts[n];
            let mut lines = String::new();
            let new_post = format!("019a0000-0000-7000-8000-{:012x}", next_id());
            lines.push_str(&format!(
                r#"{{"type":"post","id":"{new_post}","thread":{{"id":"019a0000-0000-7000-8000-00000000aaaa","title":"Forage"}},"author":{{"id":"019a0000-0000-7000-8000-00000000bbbb","name":"Awa"}},"body":"Le forage est en panne","created_at":"2026-11-20T10:00:00Z"}}"#
            ));
            lines.push('\n');
            for f in 0..flags {
                lines.push_str(&format!(
                    r#"{{"type":"flag","post_id":"{post}","reporter":"c{f}-{new_post}","reason":"abuse","created_at":"2026-11-2{f}T10:00:00Z"}}"#
                ));
                lines.push('\n');
            }
            let mut hub = Connection::open(&w.hub_db).expect("hub");
            civitac::store::register_functions(&hub).expect("functions");
            civitac::hub::ingest::ingest(&mut hub, lines.as_bytes(), 3).expect("ingest");
        }
        Step::Contact { who, n, g, change } => {
            let phone = w.contacts[n].clone();
            let group = w.groups[g].clone();
            act(&mut w.replicas[who].0, |c| {
                let id: String = one(
                    c,
                    "SELECT id FROM sms_contacts WHERE phone_e164 = ?1",
                    &phone,
                )?;
                Some(change.op(&phone, &id, &group))
            });
        }
        Step::Sync { who } => {
            let (store, client) = &mut w.replicas[who];
            session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {}).expect("sync");
        }
    }
}

/// A post id no earlier step used.
fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn counters_equal_a_full_count_after_any_ops_pulls_and_undos(
        steps in proptest::collection::vec(step(), 5..30)
    ) {
        let mut w = world();
        for (i, s) in steps.iter().enumerate() {
            run(&mut w, s);
            for (r, (store, _)) in w.replicas.iter().enumerate() {
                prop_assert_eq!(mismatches(store.conn()), Vec::<String>::new(), "replica {} after step {} ({:?})", r, i, s);
            }
        }
        for (store, client) in &mut w.replicas {
            session::sync(store.conn_mut(), client, Sizes::default(), &mut |_| {}).expect("sync");
        }
        let hub = open(&w.hub_db);
        prop_assert_eq!(mismatches(hub.conn()), Vec::<String>::new(), "hub");
        assert_search_index_whole(&hub);
        for (r, (store, _)) in w.replicas.iter().enumerate() {
            assert_search_index_whole(store);
            prop_assert_eq!(mismatches(store.conn()), Vec::<String>::new(), "replica {} at the end", r);
        }
    }
}

/// The counters are not trivially equal: a fresh demo has work in every
/// queue, and a decision moves them by one.
#[test]
fn a_decision_moves_its_counter_by_one() {
    let mut w = world();
    let store = &mut w.replicas[0].0;
    let pending = |s: &Store| count(s, "SELECT n FROM counters WHERE name = 'uploads_pending'");
    let before = pending(store);
    assert!(before > 0, "the demo has uploads to review");
    let upload = first_id(store, "uploads", "status = 'pending'");
    act(store, |_| {
        Some(Op::ReviewUpload {
            upload_id: upload.clone(),
            seen_status: UploadStatus::Pending,
            decision: ReviewDecision::Approve,
            reason: None,
        })
    });
    assert_eq!(pending(store), before - 1);
    assert_eq!(
        pending(store),
        count(
            store,
            "SELECT count(*) FROM uploads WHERE status = 'pending'"
        )
    );
}

/// A group's reach is its members who did not opt out, as a contact opts
/// out and in, leaves and joins; and a message queued to it counts that.
#[test]
fn a_groups_reach_follows_its_members_and_their_opt_outs() {
    let mut w = world();
    let (group, phone) = (w.groups[0].clone(), w.contacts[0].clone());
    let store = &mut w.replicas[0].0;
    let reach = |s: &Store| {
        count(
            s,
            &format!(
                "SELECT coalesce((SELECT n FROM sms_group_reach WHERE group_id = '{group}'), 0)"
            ),
        )
    };
    let members = count(
        store,
        &format!(
            "SELECT count(*) FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
             WHERE m.group_id = '{group}' AND c.opted_out_at IS NULL"
        ),
    );
    assert!(members > 1, "the demo's group has members");
    assert_eq!(reach(store), members);
    let contact = first_id(store, "sms_contacts", &format!("phone_e164 = '{phone}'"));
    let steps = [
        (ContactChange::OptOut, -1),
        (ContactChange::OptIn, 1),
        (ContactChange::Leave, -1),
        (ContactChange::Join, 1),
    ]
    .map(|(change, moved)| (change.op(&phone, &contact, &group), moved));
    for (op, moved) in steps {
        let before = reach(store);
        let actor = store.owner().expect("owner").expect("an owner");
        let tx = store.transaction().expect("tx");
        ops::apply(&tx, &actor, &op).unwrap_or_else(|e| panic!("{op:?}: {e}"));
        tx.commit().expect("commit");
        assert_eq!(reach(store), before + moved, "{op:?}");
        // The group's pane: its members who opted out.
        assert_eq!(
            civitac::store::views::group_counts(store.conn(), &group).0,
            count(
                store,
                &format!(
                    "SELECT count(*) FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
                     WHERE m.group_id = '{group}' AND c.opted_out_at IS NOT NULL"
                )
            ),
            "{op:?}"
        );
    }
    // What a message to the group is counted as reaching.
    let actor = store.owner().expect("owner").expect("an owner");
    let id = "019a0000-0000-7000-8000-0000000c0de5".to_owned();
    let tx = store.transaction().expect("tx");
    ops::apply(
        &tx,
        &actor,
        &Op::QueueSms {
            message: ops::NewSms {
                id: id.clone(),
                group_id: group.clone(),
                kind: civitac::domain::sms::SmsKind::Notice,
                body: "Réunion demain".into(),
                scheduled_at: None,
                retry_of: None,
            },
        },
    )
    .expect("queued");
    tx.commit().expect("commit");
    assert_eq!(
        count(
            store,
            &format!("SELECT recipients FROM sms_messages WHERE id = '{id}'")
        ),
        members
    );
}

/// While a replica's first snapshot is unfinished its counters wait (they
/// are set when it ends): a group's reach is counted from its rows then,
/// never read as the empty counter ("reaches nobody").
#[test]
fn a_groups_reach_during_an_unfinished_first_fill_is_counted_from_its_rows() {
    let w = world();
    let store = &w.replicas[0].0;
    let group = w.groups[0].clone();
    let counted = count(
        store,
        &format!(
            "SELECT count(*) FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
             WHERE m.group_id = '{group}' AND c.opted_out_at IS NULL"
        ),
    );
    assert!(counted > 0);
    store
        .conn()
        .execute_batch(
            "DELETE FROM sms_group_reach;
             INSERT INTO sync_state (key, value) VALUES ('bulk_load', '1')",
        )
        .expect("a fill under way");
    let audience = civitac::store::audience::Audience::Members {
        group_id: group.clone(),
    };
    assert_eq!(audience.count(store.conn()).expect("count"), counted);
    // The composer's list of groups says the same.
    let composer =
        civitac::tui::composer::Composer::open(store.conn(), Some(&group)).expect("composer");
    assert_eq!(composer.recipients(), counted);
}

/// A counter that drifted (rows changed by hand: `REPLACE` fires no delete
/// trigger, so a member written again counts twice) is right again once the
/// hub starts serving.
#[test]
fn a_hub_starting_to_serve_sets_its_counters_from_its_rows() {
    let w = world();
    Connection::open(&w.hub_db)
        .expect("hub")
        .execute_batch(
            "INSERT OR REPLACE INTO sms_group_members
             SELECT group_id, contact_id FROM sms_group_members ORDER BY group_id LIMIT 1;
             UPDATE counters SET n = n + 7 WHERE name = 'uploads_pending';",
        )
        .expect("drift");
    assert_eq!(mismatches(open(&w.hub_db).conn()).len(), 2);
    let mut hub = common::net::HubProcess::start(&w.hub_db, &[]);
    hub.terminate();
    assert_eq!(mismatches(open(&w.hub_db).conn()), Vec::<String>::new());
}

/// A hub mends drifted counters by their difference (hub/recount.rs): a
/// change committed between the count outside the lock and the correction
/// still leaves every counter true; a second process mending after the
/// first adds nothing again; a counter with nothing left to count, or
/// missing (even at 0, which its triggers could never recreate), is mended.
#[test]
fn counters_mended_by_their_difference_stay_true_and_are_mended_once() {
    use civitac::hub::recount;
    let w = world();
    let hub = Connection::open(&w.hub_db).expect("hub");
    let day: String = hub
        .query_row("SELECT min(day) FROM flag_day_counts", [], |r| r.get(0))
        .expect("a day with flags");
    let drift = format!(
        "UPDATE counters SET n = n + 7 WHERE name = 'uploads_pending';
         DELETE FROM counters WHERE name = 'conflicts_open';
         DELETE FROM flag_day_counts WHERE day = '{day}';
         INSERT INTO org_stage_counts (region, status, n) VALUES ('Nulle part', 'contacted', 4);
         UPDATE sms_group_reach SET n = n - 1 WHERE group_id = (SELECT min(group_id) FROM sms_group_reach);"
    );
    hub.execute_batch(&drift).expect("drift");
    assert_eq!(
        count(
            &open(&w.hub_db),
            "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"
        ),
        0,
        "the missing counter counts nothing"
    );
    let sections = [civitac::store::counts_sql()];
    let mut found: Vec<(String, i64)> = recount::drifts(&hub, &sections)
        .expect("drifts")
        .into_iter()
        .map(|d| (d.table, d.by))
        .collect();
    found.sort();
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(found.contains(&("counters".into(), -7)) && found.contains(&("counters".into(), 0)));
    assert!(found.contains(&("org_stage_counts".into(), -4)));
    // Committed after that count, by another connection: an upload decided
    // and a flag on the day whose counter was lost (the triggers count both).
    Connection::open(&w.hub_db)
        .expect("other")
        .execute_batch(&format!(
            "UPDATE uploads SET status = 'approved'
               WHERE id = (SELECT id FROM uploads WHERE status = 'pending' ORDER BY id LIMIT 1);
             INSERT INTO forum_flags (id, post_id, reporter_id, reason, created_at, resolved)
             SELECT 'flag-in-between', id, author_id, 'spam', '{day}T12:00:00.000Z', 0
             FROM forum_posts ORDER BY id LIMIT 1;"
        ))
        .expect("a change in between");
    // While a bulk load has the triggers off, nothing is mended by difference.
    {
        let tx = hub.unchecked_transaction().expect("tx");
        tx.execute_batch("INSERT INTO sync_state (key, value) VALUES ('bulk_load', '1')")
            .expect("bulk");
        assert!(recount::mend(&tx, &sections).expect("mend").is_none());
    }
    let mend = |c: &Connection| -> usize {
        let tx = c.unchecked_transaction().expect("tx");
        let mended = recount::mend(&tx, &sections)
            .expect("mend")
            .expect("mended");
        tx.commit().expect("commit");
        mended.len()
    };
    assert_eq!(mend(&hub), 5);
    assert_eq!(mismatches(&hub), Vec::<String>::new());
    assert_eq!(
        count(
            &open(&w.hub_db),
            "SELECT count(*) FROM counters WHERE name = 'conflicts_open'"
        ),
        1
    );
    // A second hub process, started with the first, mends nothing again.
    assert_eq!(mend(&Connection::open(&w.hub_db).expect("second")), 0);
    assert_eq!(mismatches(&hub), Vec::<String>::new());
}
