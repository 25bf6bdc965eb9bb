//! The hub's answer to pushed ops, without the network: applied once by
//! op_id, conflicts keep the first decision and record both, the same
//! decision twice merges, refusals never block later ops. Each test runs
//! on a SQLite hub and on PostgreSQL (see `common::hubs`).

mod common;

use civitac::domain::enrollment::{EnrollmentAction, Stage};
use civitac::domain::forum::{PostAction, PostStatus};
use civitac::domain::staff::Role;
use civitac::hub::backend::BackendError;
use civitac::hub::push::PushError;
use civitac::hub::tokens;
use civitac::ops::{Envelope, OP_FORMAT, Op};
use civitac::protocol::{Outcome, PROTOCOL_VERSION, PushRequest, PushedOp};
use civitac::store::Actor;
use common::hubs::{Kind, TestHub};
use common::*;

fn actor(login: &str, role: Role, device: &str) -> Actor {
    Actor {
        staff_id: login.into(),
        login: login.into(),
        display_name: login.into(),
        role,
        device: device.into(),
    }
}

fn pushed(seq: i64, op: Op) -> PushedOp {
    PushedOp {
        op_id: uuid::Uuid::now_v7().to_string(),
        seq,
        created_at: "2026-11-02T08:00:00.000Z".into(),
        // Filled in by `push` with the pusher's login unless a test sets it.
        author: String::new(),
        op: Envelope {
            v: OP_FORMAT,
            quiet: false,
            op,
        },
    }
}

fn moderate(post: &str, action: PostAction) -> Op {
    Op::ModeratePost {
        post_id: post.into(),
        seen_status: PostStatus::Visible,
        action,
        reason: Some("Propos injurieux".into()),
    }
}

/// The small demo's hub on `kind`; `None` when there is no PostgreSQL.
fn demo_hub(kind: Kind) -> Option<(tempfile::TempDir, std::path::PathBuf, TestHub)> {
    if !kind.available() {
        return None;
    }
    let (dir, replica) = small_demo();
    let hub = TestHub::on(kind, &dir.path().join("hub.db"))?;
    Some((dir, replica, hub))
}

fn push(hub: &TestHub, who: &Actor, mut ops: Vec<PushedOp>) -> Vec<(Outcome, Option<String>)> {
    for o in &mut ops {
        if o.author.is_empty() {
            o.author = who.login.clone();
        }
    }
    hub.push(
        who,
        &PushRequest {
            v: PROTOCOL_VERSION,
            ops,
        },
    )
    .results
    .into_iter()
    .map(|r| (r.outcome, r.reason))
    .collect()
}

fn two_moderators_decide_differently_on_one_post(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let post = hub.first_id("forum_posts", "status = 'visible' AND flag_count > 0");
    let mariam = actor("mariam.traore", Role::Moderator, "laptop-a");
    let issa = actor("issa.sawadogo", Role::Moderator, "laptop-b");

    let first = push(
        &hub,
        &mariam,
        vec![pushed(1, moderate(&post, PostAction::Hide))],
    );
    assert_eq!(first[0].0, Outcome::Applied);
    let second = push(
        &hub,
        &issa,
        vec![pushed(1, moderate(&post, PostAction::Remove))],
    );
    assert_eq!(second[0].0, Outcome::Conflict, "{second:?}");

    let status: String = hub.with(|c| {
        c.query_row(
            "SELECT status FROM forum_posts WHERE id = ?1",
            [&post],
            |r| r.get(0),
        )
        .expect("s")
    });
    assert_eq!(status, "hidden", "the first decision stands");
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM audit_log WHERE entity_id = '{post}' AND action = 'post.hide' AND actor = 'mariam.traore'"
        )),
        1
    );
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM audit_log WHERE entity_id = '{post}' AND action = 'post.remove.conflict' AND actor = 'issa.sawadogo'"
        )),
        1,
        "both decisions are recorded"
    );
    assert!(
        hub.count(&format!(
            "SELECT count(*) FROM changes WHERE entity = 'forum_post' AND entity_id = '{post}'"
        )) >= 1,
        "replicas will pull the change"
    );

    // The same decision twice merges silently.
    let again = push(
        &hub,
        &issa,
        vec![pushed(2, moderate(&post, PostAction::Hide))],
    );
    assert_eq!(again[0].0, Outcome::Duplicate, "{again:?}");
}

fn a_retried_push_applies_nothing_twice(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let org = hub.first_id("organizations", "status = 'contacted'");
    let admin = actor("awa.kabore", Role::Admin, "laptop-a");
    let op = pushed(
        1,
        Op::SetEnrollmentStatus {
            org_id: org.clone(),
            seen_status: Stage::Contacted,
            action: EnrollmentAction::Enrol,
            reason: None,
            charter: None,
        },
    );
    let audit_before = hub.count("SELECT count(*) FROM audit_log");
    assert_eq!(push(&hub, &admin, vec![op.clone()])[0].0, Outcome::Applied);
    // The response was lost on the way; the replica sends the same op again.
    let retry = push(&hub, &admin, vec![op.clone()]);
    assert_eq!(retry[0].0, Outcome::Duplicate);
    // The first answer travels with it, so the replica keeps "applied".
    let again = hub.push(
        &admin,
        &PushRequest {
            v: PROTOCOL_VERSION,
            ops: vec![PushedOp {
                author: admin.login.clone(),
                ..op
            }],
        },
    );
    assert_eq!(again.results[0].first, Some(Outcome::Applied));
    assert!(retry[0].1.as_deref().is_some_and(|r| r.contains("applied")));
    assert_eq!(
        hub.count("SELECT count(*) FROM audit_log"),
        audit_before + 1
    );
}

fn a_role_refusal_does_not_block_later_ops(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let post = hub.first_id("forum_posts", "status = 'visible' AND flag_count > 0");
    let org = hub.first_id("organizations", "status = 'charter_received'");
    // A field agent's (modified) client pushes a moderation, then a legitimate step.
    let agent = actor("boukary.zongo", Role::FieldAgent, "laptop-c");
    let results = push(
        &hub,
        &agent,
        vec![
            pushed(1, moderate(&post, PostAction::Hide)),
            pushed(
                2,
                Op::SetEnrollmentStatus {
                    org_id: org.clone(),
                    seen_status: Stage::CharterReceived,
                    action: EnrollmentAction::RecordContact,
                    reason: None,
                    charter: None,
                },
            ),
        ],
    );
    assert_eq!(results[0].0, Outcome::Rejected);
    assert!(
        results[0]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("field_agent")),
        "{results:?}"
    );
    assert_eq!(results[1].0, Outcome::Applied);
    let status: String = hub.with(|c| {
        c.query_row(
            "SELECT status FROM forum_posts WHERE id = ?1",
            [&post],
            |r| r.get(0),
        )
        .expect("s")
    });
    assert_eq!(status, "visible");
    assert_eq!(
        hub.count("SELECT count(*) FROM applied_ops WHERE outcome = 'rejected'"),
        1
    );
}

fn another_protocol_version_is_refused(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let err = hub
        .backend()
        .push(
            &actor("a", Role::Admin, "d"),
            &PushRequest { v: 99, ops: vec![] },
        )
        .expect_err("version 99 is refused");
    // A bad request (400), saying which version it got.
    assert!(
        matches!(&err, BackendError::BadRequest(m) if *m == PushError::Version(99).to_string()),
        "{err:?}"
    );
}

/// Two replicas decide on the same post offline, then push: the outboxes are
/// acknowledged, the second replica keeps the conflict for its Synchro screen.
fn replicas_push_their_outboxes_and_keep_conflicts(kind: Kind) {
    use civitac::replica::outbox;
    let Some((dir, replica_a, hub)) = demo_hub(kind) else {
        return;
    };
    let replica_b = dir.path().join("replica-b.db");
    std::fs::copy(&replica_a, &replica_b).expect("second replica");
    let post = hub.first_id("forum_posts", "status = 'visible' AND flag_count > 0");
    for (replica, action) in [
        (&replica_a, PostAction::Hide),
        (&replica_b, PostAction::Remove),
    ] {
        let mut store = open(replica);
        let me = actor_with(&store, Role::Moderator);
        let tx = store.transaction().expect("tx");
        civitac::ops::apply(&tx, &me, &moderate(&post, action)).expect("decide offline");
        tx.commit().expect("commit");
    }
    for replica in [&replica_a, &replica_b] {
        let mut store = open(replica);
        let batch = outbox::next_batch(store.conn(), 100).expect("batch");
        assert_eq!(batch.ops.len(), 1);
        let who = {
            let mut a = actor_with(&store, Role::Moderator);
            a.device = replica.display().to_string();
            a
        };
        // b's first answer is lost on the way: it pushes again and is told
        // "duplicate" of a conflict, which it keeps all the same.
        if replica == &replica_b {
            let lost = hub.push(&who, &batch);
            assert_eq!(lost.results[0].outcome, Outcome::Conflict, "{lost:?}");
        }
        let answer = hub.push(&who, &batch);
        outbox::record(store.conn_mut(), &answer).expect("record");
        assert!(
            outbox::next_batch(store.conn(), 100)
                .expect("batch")
                .ops
                .is_empty(),
            "outbox acknowledged"
        );
    }
    let a = open(&replica_a);
    assert_eq!(
        count(&a, "SELECT count(*) FROM outbox WHERE outcome = 'applied'"),
        1
    );
    assert_eq!(count(&a, "SELECT count(*) FROM conflicts"), 0);
    let b = open(&replica_b);
    assert_eq!(
        count(&b, "SELECT count(*) FROM outbox WHERE outcome = 'conflict'"),
        1
    );
    let theirs: String = b
        .conn()
        .query_row(
            "SELECT theirs FROM conflicts WHERE entity_id = ?1",
            [&post],
            |r| r.get(0),
        )
        .expect("conflict");
    let theirs: serde_json::Value = serde_json::from_str(&theirs).expect("json");
    assert_eq!(
        theirs["status"], "hidden",
        "the replica sees the hub's standing decision"
    );
}

fn an_op_decided_by_one_person_is_never_filed_under_the_tokens_owner(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let post = hub.first_id("forum_posts", "status = 'visible'");
    let mariam = actor("mariam.traore", Role::Moderator, "laptop-shared");
    let mut op = pushed(1, moderate(&post, PostAction::Hide));
    op.author = "issa.sawadogo".into();
    let audit_before = hub.count("SELECT count(*) FROM audit_log");
    let answer = push(&hub, &mariam, vec![op.clone()]);
    assert_eq!(answer[0].0, Outcome::Rejected, "{answer:?}");
    let reason = answer[0].1.clone().unwrap_or_default();
    assert!(
        reason.contains("issa.sawadogo") && reason.contains("mariam.traore"),
        "{reason}"
    );
    assert_eq!(hub.count("SELECT count(*) FROM audit_log"), audit_before);
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = 'visible'"
        )),
        1
    );
    // Not remembered: the refusal cannot be used to block Issa's decision,
    // which applies once it comes with his own token.
    assert_eq!(
        push(&hub, &mariam, vec![op.clone()])[0].0,
        Outcome::Rejected
    );
    let issa = actor("issa.sawadogo", Role::Moderator, "laptop-issa");
    assert_eq!(push(&hub, &issa, vec![op])[0].0, Outcome::Applied);
}

fn every_field_of_a_pushed_op_is_checked_at_the_edge(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let posts: Vec<String> =
        hub.ids("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 4");
    let awa = actor("awa.kabore", Role::Moderator, "laptop-a");
    // Any row (`WHERE 1` is no boolean to PostgreSQL).
    let audit_id: String = hub.first_id("audit_log", "1 = 1");
    let with = |f: &dyn Fn(&mut PushedOp)| {
        let mut op = pushed(1, moderate(&posts[0], PostAction::Hide));
        f(&mut op);
        op
    };
    let bad = vec![
        with(&|o| o.created_at = "not a time".into()),
        with(&|o| o.created_at = "2026-11-02T08:00:00Z\u{1b}]0;x\u{7}".into()),
        with(&|o| {
            o.op = Envelope {
                v: OP_FORMAT,
                quiet: false,
                op: Op::ModeratePost {
                    post_id: "x".into(),
                    seen_status: PostStatus::Visible,
                    action: PostAction::Hide,
                    reason: Some("r".repeat(3_000)),
                },
            }
        }),
        with(&|o| o.op_id = String::new()),
        with(&|o| o.op_id = "a".repeat(100_000)),
        with(&|o| o.op_id = audit_id.clone()),
        with(&|o| o.op.v = 99),
        with(&|o| o.seq = 0),
    ];
    // A reason goes to every console and to the author on the website: one
    // line of plain text, never a bidi override or a control.
    let mut bad = bad;
    for reason in [
        "Spam\u{202e}moc.evil",
        "Spam\n\nVotre compte est fermé",
        "Spam\u{1b}]0;x\u{7}",
    ] {
        bad.push(pushed(
            1,
            Op::ModeratePost {
                post_id: posts[0].clone(),
                seen_status: PostStatus::Visible,
                action: PostAction::Hide,
                reason: Some(reason.into()),
            },
        ));
    }
    let answers = push(&hub, &awa, bad);
    assert_eq!(
        answers.len(),
        11,
        "every op answered, none wedged the batch"
    );
    for (outcome, reason) in &answers {
        assert_eq!(*outcome, Outcome::Rejected, "{reason:?}");
        let reason = reason.clone().unwrap_or_default();
        assert!(reason.len() < 200 && !reason.contains('\u{1b}'), "{reason}");
    }
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM forum_posts WHERE id = '{}' AND status = 'visible'",
            posts[0]
        )),
        1
    );
    // An undo comes in the same sync as its op; an undo of an op synced long
    // ago is refused.
    let hide = pushed(2, moderate(&posts[1], PostAction::Hide));
    let undo = pushed(
        3,
        Op::Undo {
            op_id: hide.op_id.clone(),
            reason: None,
        },
    );
    let answers = push(&hub, &awa, vec![hide, undo]);
    assert_eq!(answers[1].0, Outcome::Applied, "{answers:?}");
    let old = pushed(4, moderate(&posts[2], PostAction::Hide));
    assert_eq!(push(&hub, &awa, vec![old.clone()])[0].0, Outcome::Applied);
    hub.with(|c| {
        c.execute(
            "UPDATE applied_ops SET received_at = '2026-01-01T00:00:00.000Z' WHERE op_id = ?1",
            [&old.op_id],
        )
        .expect("age it")
    });
    let late = push(
        &hub,
        &awa,
        vec![pushed(
            5,
            Op::Undo {
                op_id: old.op_id.clone(),
                reason: None,
            },
        )],
    );
    assert_eq!(late[0].0, Outcome::Rejected, "{late:?}");
    assert!(
        late[0]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("already synced"))
    );
    // An undo of an op the hub never received from this device (one of
    // Awa's own decisions from months ago, taken elsewhere).
    let hers = hub.first_id("audit_log", "actor = 'awa.kabore' AND action = 'post.hide'");
    let never = push(
        &hub,
        &awa,
        vec![pushed(
            6,
            Op::Undo {
                op_id: hers,
                reason: None,
            },
        )],
    );
    assert_eq!(never[0].0, Outcome::Rejected, "{never:?}");
    // A device clock far off: the decision is kept, with the hub's time.
    let mut skewed = pushed(7, moderate(&posts[3], PostAction::Hide));
    skewed.created_at = "2199-01-01T00:00:00+14:00".into();
    assert_eq!(
        push(&hub, &awa, vec![skewed.clone()])[0].0,
        Outcome::Applied
    );
    let at: String = hub.with(|c| {
        c.query_row(
            "SELECT at FROM audit_log WHERE id = ?1",
            [&skewed.op_id],
            |r| r.get(0),
        )
        .expect("audit")
    });
    assert!(at.starts_with("2026-") && at.ends_with('Z'), "{at}");
}

/// An op refused after a first write (a new contact, then an unknown group)
/// leaves nothing behind at the hub, and the ops around it in its batch
/// stand (SQLite runs a batch without a savepoint per op first, and again
/// with them when an op fails after writing).
fn a_refused_op_leaves_nothing_behind(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let posts = hub.ids("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 2");
    let awa = actor("awa.kabore", Role::Moderator, "laptop-a");
    let add = pushed(
        2,
        Op::AddContact {
            contact: civitac::ops::NewContact {
                phone_e164: "+22670999111".into(),
                name: Some("Nouveau".into()),
                region: None,
                commune: None,
            },
            group_id: Some(uuid::Uuid::now_v7().to_string()),
        },
    );
    let before = pushed(1, moderate(&posts[0], PostAction::Hide));
    let after = pushed(3, moderate(&posts[1], PostAction::Hide));
    let ids = [&before.op_id, &add.op_id, &after.op_id].map(|id| id.clone());
    let outcomes: Vec<Outcome> = push(&hub, &awa, vec![before, add, after])
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(
        outcomes,
        vec![Outcome::Applied, Outcome::Rejected, Outcome::Applied]
    );
    assert_eq!(
        hub.count("SELECT count(*) FROM sms_contacts WHERE phone_e164 = '+22670999111'"),
        0
    );
    // Each op answered once, both decisions made, nothing of the refused
    // op in the journal.
    for id in &ids {
        assert_eq!(
            hub.count(&format!(
                "SELECT count(*) FROM applied_ops WHERE op_id = '{id}'"
            )),
            1,
            "{id}"
        );
    }
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM forum_posts WHERE status = 'hidden' AND id IN ('{}', '{}')",
            posts[0], posts[1]
        )),
        2
    );
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM audit_log WHERE id = '{}'",
            ids[1]
        )),
        0
    );
}

/// A batch's known op ids are read once for the whole batch: an op sent
/// twice in one batch, and an id that already names a journal entry, are
/// still answered as if each op came alone.
fn ops_of_one_batch_are_answered_as_if_each_came_alone(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let posts = hub.ids("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 3");
    let mariam = actor("mariam.traore", Role::Moderator, "laptop-a");
    let first = pushed(1, moderate(&posts[0], PostAction::Hide));
    let mut taken = pushed(2, moderate(&posts[1], PostAction::Hide));
    taken.op_id = hub.first_id("audit_log", "length(id) = 36 AND id = lower(id)");
    let results = push(&hub, &mariam, vec![first.clone(), first.clone(), taken]);
    let outcomes: Vec<Outcome> = results.iter().map(|r| r.0).collect();
    assert_eq!(
        outcomes,
        vec![Outcome::Applied, Outcome::Duplicate, Outcome::Rejected],
        "{results:?}"
    );
    assert!(
        results[2]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("already names another decision")),
        "{results:?}"
    );
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM forum_posts WHERE id = '{}' AND status = 'visible'",
            posts[1]
        )),
        1
    );
    // Next batch: the op already applied, behind a new one.
    let next = push(
        &hub,
        &mariam,
        vec![pushed(3, moderate(&posts[2], PostAction::Hide)), first],
    );
    assert_eq!(
        next.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![Outcome::Applied, Outcome::Duplicate],
        "{next:?}"
    );
}

/// A refused decision's record (and a post's open flags) goes back into
/// the feed, once per batch, so the replica that decided pulls the hub's
/// record again; a made-up id adds nothing.
fn a_refused_decision_sends_the_hubs_record_again(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let post = hub.first_id("forum_posts", "status = 'visible' AND flag_count > 0");
    let flags = hub.count(&format!(
        "SELECT count(*) FROM forum_flags WHERE post_id = '{post}' AND resolved = 0"
    ));
    assert!(flags > 0);
    let feed = |id: &str| {
        hub.count(&format!(
            "SELECT count(*) FROM changes WHERE entity_id = '{id}' OR entity_id IN (SELECT id FROM forum_flags WHERE post_id = '{id}')"
        ))
    };
    let before = feed(&post);
    let total = hub.count("SELECT count(*) FROM changes");
    let agent = actor("boukary.zongo", Role::FieldAgent, "laptop-c");
    let results = push(
        &hub,
        &agent,
        vec![
            pushed(1, moderate(&post, PostAction::Hide)),
            pushed(2, moderate("made-up-post", PostAction::Hide)),
            pushed(3, moderate(&post, PostAction::Remove)),
        ],
    );
    assert!(
        results.iter().all(|r| r.0 == Outcome::Rejected),
        "{results:?}"
    );
    assert_eq!(feed(&post), before + 1 + flags);
    assert_eq!(hub.count("SELECT count(*) FROM changes"), total + 1 + flags);
}

/// An undo naming an op id no database can look up (a NUL in it) is one
/// refused op: the ops behind it apply, and the batch is never a 503.
fn an_undo_of_a_garbage_id_is_one_refused_op(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let post = hub.first_id("forum_posts", "status = 'visible'");
    let mariam = actor("mariam.traore", Role::Moderator, "laptop-a");
    let results = push(
        &hub,
        &mariam,
        vec![
            pushed(
                1,
                Op::Undo {
                    op_id: "0190\u{0}0000-0000-7000-8000-000000000000".into(),
                    reason: None,
                },
            ),
            pushed(2, moderate(&post, PostAction::Hide)),
        ],
    );
    assert_eq!(results[0].0, Outcome::Rejected, "{results:?}");
    assert!(
        results[0]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("not a lowercase UUID") && !r.contains('\0')),
        "{results:?}"
    );
    assert_eq!(results[1].0, Outcome::Applied, "{results:?}");
}

/// A record a refused op would have added is said gone in the feed (the
/// replica that made it lets it go), the hub holding nothing of it; a
/// refused decision on a made-up id adds nothing.
fn a_record_a_refused_op_would_add_is_said_gone(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let head = hub.count("SELECT coalesce(max(seq), 0) FROM changes");
    let org = uuid::Uuid::now_v7().to_string();
    let group = uuid::Uuid::now_v7().to_string();
    let phone = "+22670998877";
    let contact = civitac::sms::phone::contact_id(phone);
    let mariam = actor("mariam.traore", Role::Moderator, "laptop-a");
    let ops = [
        serde_json::json!({"type": "ApplyEnrollment", "org": {
            "id": org, "kind": "osc", "name": "Association test", "region": "Sahel", "commune": "Dori"}}),
        serde_json::json!({"type": "AddContact", "contact": {"phone_e164": phone}, "group_id": group}),
        serde_json::to_value(moderate("made-up-post", PostAction::Hide)).expect("op"),
    ];
    let results = push(
        &hub,
        &mariam,
        ops.into_iter()
            .enumerate()
            .map(|(i, v)| pushed(i as i64 + 1, serde_json::from_value(v).expect("op")))
            .collect(),
    );
    assert!(
        results.iter().all(|r| r.0 == Outcome::Rejected),
        "{results:?}"
    );
    for (table, id) in [("organizations", &org), ("sms_contacts", &contact)] {
        assert_eq!(
            hub.count(&format!("SELECT count(*) FROM {table} WHERE id = '{id}'")),
            0
        );
    }
    let page = hub.with(|c| {
        civitac::hub::feed::changes_since(c, &civitac::protocol::Cursor::Feed(head), 100)
            .expect("page")
    });
    let said: Vec<(String, String, bool)> = page
        .rows
        .iter()
        .map(|r| (r.entity.clone(), r.id.clone(), r.row.is_none()))
        .collect();
    assert_eq!(
        said,
        vec![
            ("organization".into(), org, true),
            ("sms_contact".into(), contact.clone(), true),
            (
                "sms_group_member".into(),
                format!("{group}/{contact}"),
                true
            ),
        ]
    );
}

/// An op the hub has is answered to its author's other device as it was
/// first answered (a replica given a new token sends its outbox again), and
/// refused to anyone else's; so too when the batch repeats the op id (each
/// op then looked up in its turn).
fn an_op_sent_again_from_another_device_is_answered_for_whom_it_was_sent(kind: Kind) {
    let Some((_dir, _replica, hub)) = demo_hub(kind) else {
        return;
    };
    let issued = hub.with(|c| {
        [
            ("awa.kabore", Role::Admin, "laptop-a"),
            ("awa.kabore", Role::Admin, "laptop-b"),
            ("mariam.traore", Role::Moderator, "laptop-c"),
        ]
        .map(|(login, role, device)| {
            let (device_id, _) = tokens::issue(c, login, None, role, device).expect("token");
            let staff: String = c
                .query_row("SELECT id FROM staff WHERE login = ?1", [login], |r| {
                    r.get(0)
                })
                .expect("staff");
            Actor {
                staff_id: staff,
                login: login.into(),
                display_name: login.into(),
                role,
                device: device_id,
            }
        })
    });
    let [laptop_a, laptop_b, other] = &issued;
    let post = hub.first_id("forum_posts", "status = 'visible'");
    let mut op = pushed(1, moderate(&post, PostAction::Hide));
    op.author = laptop_a.login.clone();
    let answer = |who: &Actor, ops: Vec<PushedOp>| -> Vec<(Outcome, Option<Outcome>)> {
        hub.push(
            who,
            &PushRequest {
                v: PROTOCOL_VERSION,
                ops,
            },
        )
        .results
        .into_iter()
        .map(|r| (r.outcome, r.first))
        .collect()
    };
    assert_eq!(
        answer(laptop_a, vec![op.clone()]),
        vec![(Outcome::Applied, None)]
    );
    let again = (Outcome::Duplicate, Some(Outcome::Applied));
    assert_eq!(answer(laptop_b, vec![op.clone()]), vec![again]);
    assert_eq!(
        answer(laptop_b, vec![op.clone(), op.clone()]),
        vec![again, again]
    );
    let mut theirs = op.clone();
    theirs.author = other.login.clone();
    for ops in [vec![theirs.clone()], vec![theirs.clone(), theirs]] {
        assert!(
            answer(other, ops)
                .iter()
                .all(|a| *a == (Outcome::Rejected, None))
        );
    }
    // Applied once, under its author's name.
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM audit_log WHERE id = '{}' AND actor = 'awa.kabore' AND entity_id = '{post}'",
            op.op_id
        )),
        1
    );
    // Its undo, sent with it again from the other device, is hers too;
    // from anyone else it is refused.
    let undo = |seq, author: &Actor| {
        let mut u = pushed(
            seq,
            Op::Undo {
                op_id: op.op_id.clone(),
                reason: None,
            },
        );
        u.author = author.login.clone();
        u
    };
    assert_eq!(
        answer(other, vec![undo(2, other)]),
        vec![(Outcome::Rejected, None)]
    );
    assert_eq!(
        answer(laptop_b, vec![op.clone(), undo(3, laptop_b)]),
        vec![again, (Outcome::Applied, None)]
    );
    assert_eq!(
        hub.count(&format!(
            "SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = 'visible'"
        )),
        1
    );
}

on_both!(
    an_op_sent_again_from_another_device_is_answered_for_whom_it_was_sent,
    a_record_a_refused_op_would_add_is_said_gone,
    an_undo_of_a_garbage_id_is_one_refused_op,
    a_refused_decision_sends_the_hubs_record_again,
    ops_of_one_batch_are_answered_as_if_each_came_alone,
    two_moderators_decide_differently_on_one_post,
    a_retried_push_applies_nothing_twice,
    a_role_refusal_does_not_block_later_ops,
    another_protocol_version_is_refused,
    replicas_push_their_outboxes_and_keep_conflicts,
    an_op_decided_by_one_person_is_never_filed_under_the_tokens_owner,
    every_field_of_a_pushed_op_is_checked_at_the_edge,
    a_refused_op_leaves_nothing_behind,
);
