//! ops::apply: every op's legal and illegal transitions, the role matrix, and
//! the one-transaction guarantee (row + audit + outbox, or nothing).

mod common;

use civitac::domain::enrollment::{EnrollmentAction, OrgKind, Stage};
use civitac::domain::forum::{CitizenAction, CitizenStatus, PostAction, PostStatus};
use civitac::domain::sms::{SmsKind, SmsStatus};
use civitac::domain::staff::{Permission, Role};
use civitac::domain::uploads::{ReviewDecision, UploadStatus};
use civitac::ops::{self, Charter, Envelope, NewOrganization, NewSms, Op, OpError};
use civitac::store::{Actor, Store};
use common::*;

fn reason(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// Applies one op in its own transaction and commits it if it succeeds.
fn run(store: &mut Store, actor: &Actor, op: &Op) -> Result<ops::Applied, OpError> {
    let tx = store.transaction().expect("tx");
    let applied = ops::apply(&tx, actor, op)?;
    tx.commit().expect("commit");
    Ok(applied)
}

fn status(store: &Store, table: &str, id: &str) -> String {
    store
        .conn()
        .query_row(
            &format!("SELECT status FROM {table} WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .expect("status")
}

fn counts(store: &Store) -> (i64, i64) {
    (
        count(store, "SELECT count(*) FROM audit_log"),
        count(store, "SELECT count(*) FROM outbox"),
    )
}

fn enrollment(id: &str, seen: Stage, action: EnrollmentAction) -> Op {
    Op::SetEnrollmentStatus {
        org_id: id.to_owned(),
        seen_status: seen,
        action,
        reason: reason("motif de test"),
        charter: Some(Charter {
            signed_on: "2026-10-01".into(),
            reference: "CH-2026-00042".into(),
        }),
    }
}

#[test]
fn enrollment_pipeline_legal_and_illegal_steps() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let admin = actor_with(&store, Role::Admin);
    let applied = first_id(&store, "organizations", "status = 'applied'");

    // Skipping stages is refused and changes nothing.
    let before = counts(&store);
    let err = run(
        &mut store,
        &admin,
        &enrollment(&applied, Stage::Applied, EnrollmentAction::Enrol),
    )
    .unwrap_err();
    assert!(matches!(err, OpError::IllegalTransition { .. }), "{err}");
    assert_eq!(counts(&store), before);
    assert_eq!(status(&store, "organizations", &applied), "applied");

    // The documented path, one step at a time.
    let path = [
        (
            Stage::Applied,
            EnrollmentAction::RecordCharter,
            "charter_received",
        ),
        (
            Stage::CharterReceived,
            EnrollmentAction::RecordContact,
            "contacted",
        ),
        (Stage::Contacted, EnrollmentAction::Enrol, "enrolled"),
        (Stage::Enrolled, EnrollmentAction::Suspend, "suspended"),
        (Stage::Suspended, EnrollmentAction::Reinstate, "enrolled"),
    ];
    for (seen, action, after) in path {
        run(&mut store, &admin, &enrollment(&applied, seen, action))
            .unwrap_or_else(|e| panic!("{action}: {e}"));
        assert_eq!(status(&store, "organizations", &applied), after);
    }
    let (signed, reference): (String, String) = store
        .conn()
        .query_row(
            "SELECT charter_signed_on, charter_ref FROM organizations WHERE id = ?1",
            [&applied],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("charter");
    assert_eq!(
        (signed.as_str(), reference.as_str()),
        ("2026-10-01", "CH-2026-00042")
    );
    assert_eq!(counts(&store).0, before.0 + 5);
    assert_eq!(counts(&store).1, before.1 + 5);

    // An enrolled organisation cannot be rejected; a rejected one is final.
    let err = run(
        &mut store,
        &admin,
        &enrollment(&applied, Stage::Enrolled, EnrollmentAction::Reject),
    )
    .unwrap_err();
    assert!(matches!(err, OpError::IllegalTransition { .. }), "{err}");
    let other = first_id(&store, "organizations", "status = 'charter_received'");
    run(
        &mut store,
        &admin,
        &enrollment(&other, Stage::CharterReceived, EnrollmentAction::Reject),
    )
    .expect("reject");
    for action in EnrollmentAction::ALL {
        let err = run(
            &mut store,
            &admin,
            &enrollment(&other, Stage::Rejected, *action),
        )
        .unwrap_err();
        assert!(
            matches!(err, OpError::IllegalTransition { .. }),
            "{action} from rejected: {err}"
        );
    }
}

#[test]
fn reasons_charters_and_staleness_are_checked() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let admin = actor_with(&store, Role::Admin);
    let contacted = first_id(&store, "organizations", "status = 'contacted'");

    let no_reason = Op::SetEnrollmentStatus {
        org_id: contacted.clone(),
        seen_status: Stage::Contacted,
        action: EnrollmentAction::Reject,
        reason: Some("   ".into()),
        charter: None,
    };
    assert!(matches!(
        run(&mut store, &admin, &no_reason),
        Err(OpError::ReasonRequired { .. })
    ));

    let applied = first_id(&store, "organizations", "status = 'applied'");
    let bad_charter = Op::SetEnrollmentStatus {
        org_id: applied.clone(),
        seen_status: Stage::Applied,
        action: EnrollmentAction::RecordCharter,
        reason: None,
        charter: Some(Charter {
            signed_on: "01/10/2026".into(),
            reference: "CH-1".into(),
        }),
    };
    let err = run(&mut store, &admin, &bad_charter).unwrap_err();
    assert!(err.to_string().contains("charter.signed_on"), "{err}");

    // The author saw "applied" but the organisation is "contacted" now.
    let stale = enrollment(&contacted, Stage::Applied, EnrollmentAction::RecordCharter);
    let err = run(&mut store, &admin, &stale).unwrap_err();
    assert!(matches!(err, OpError::Stale { .. }), "{err}");
    assert!(
        err.message(civitac::i18n::Lang::Fr)
            .contains("maintenant contacted"),
        "{}",
        err.message(civitac::i18n::Lang::Fr)
    );

    let missing = enrollment(
        "01900000-0000-7000-8000-000000000000",
        Stage::Contacted,
        EnrollmentAction::Enrol,
    );
    assert!(matches!(
        run(&mut store, &admin, &missing),
        Err(OpError::NotFound { .. })
    ));
}

#[test]
fn apply_enrollment_creates_an_organisation() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let agent = actor_with(&store, Role::FieldAgent);
    let id = uuid::Uuid::now_v7().to_string();
    let mut org = NewOrganization {
        id: id.clone(),
        kind: OrgKind::Osc,
        name: "Association des Tisserandes de Réo".into(),
        acronym: Some("ATR".into()),
        region: "Nando".into(),
        province: Some("Sanguié".into()),
        commune: Some("Réo".into()),
        contact_name: Some("Pélagie Bado".into()),
        contact_role: Some("Présidente".into()),
        phone: Some("70123456".into()),
        email: None,
        notes: None,
        platform_id: None,
    };
    let err = run(
        &mut store,
        &agent,
        &Op::ApplyEnrollment { org: org.clone() },
    )
    .unwrap_err();
    assert!(err.to_string().contains("phone"), "{err}");
    // The platform's notes are kept as sent, never longer than staff's.
    let from_platform = NewOrganization {
        phone: None,
        notes: Some("n".repeat(civitac::ops::MAX_NOTE + 1)),
        platform_id: Some("org-4711".into()),
        ..org.clone()
    };
    let err = run(
        &mut store,
        &agent,
        &Op::ApplyEnrollment { org: from_platform },
    )
    .unwrap_err();
    assert!(err.to_string().contains("notes"), "{err}");
    org.phone = Some("+22670123456".into());
    run(
        &mut store,
        &agent,
        &Op::ApplyEnrollment { org: org.clone() },
    )
    .expect("apply");
    assert_eq!(status(&store, "organizations", &id), "applied");
    let key: String = store
        .conn()
        .query_row(
            "SELECT name_key FROM organizations WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .expect("key");
    assert_eq!(key, "association des tisserandes de reo");
    // Found by full-text search, accents optional.
    let found = count(
        &store,
        "SELECT count(*) FROM organizations WHERE search_key IN \
         (SELECT rowid FROM organizations_fts WHERE organizations_fts MATCH '\"tisserandes\" \"reo\"')",
    );
    assert!(found >= 1);
    // The same id twice is refused.
    assert!(run(&mut store, &agent, &Op::ApplyEnrollment { org }).is_err());
}

#[test]
fn upload_review_transitions() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let moderator = actor_with(&store, Role::Moderator);
    let pending = first_id(&store, "uploads", "status = 'pending'");
    let review = |decision, reason: Option<String>| Op::ReviewUpload {
        upload_id: pending.clone(),
        seen_status: UploadStatus::Pending,
        decision,
        reason,
    };
    assert!(matches!(
        run(
            &mut store,
            &moderator,
            &review(ReviewDecision::Reject, None)
        ),
        Err(OpError::ReasonRequired { .. })
    ));
    assert!(matches!(
        run(
            &mut store,
            &moderator,
            &review(ReviewDecision::RequestChanges, None)
        ),
        Err(OpError::ReasonRequired { .. })
    ));
    run(
        &mut store,
        &moderator,
        &review(ReviewDecision::RequestChanges, reason("Ajouter la source")),
    )
    .expect("changes");
    assert_eq!(status(&store, "uploads", &pending), "changes_requested");
    let again = Op::ReviewUpload {
        upload_id: pending.clone(),
        seen_status: UploadStatus::ChangesRequested,
        decision: ReviewDecision::Approve,
        reason: None,
    };
    assert!(matches!(
        run(&mut store, &moderator, &again),
        Err(OpError::IllegalTransition { .. })
    ));
    let reviewed_by: String = store
        .conn()
        .query_row(
            "SELECT reviewed_by FROM uploads WHERE id = ?1",
            [&pending],
            |r| r.get(0),
        )
        .expect("by");
    assert_eq!(reviewed_by, moderator.login);
}

#[test]
fn post_moderation_and_flags() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let moderator = actor_with(&store, Role::Moderator);
    let flagged = first_id(
        &store,
        "forum_posts",
        "status = 'visible' AND flag_count > 0",
    );
    let moderate = |seen, action, reason: Option<String>| Op::ModeratePost {
        post_id: flagged.clone(),
        seen_status: seen,
        action,
        reason,
    };
    assert!(matches!(
        run(
            &mut store,
            &moderator,
            &moderate(PostStatus::Visible, PostAction::Hide, None)
        ),
        Err(OpError::ReasonRequired { .. })
    ));
    assert!(matches!(
        run(
            &mut store,
            &moderator,
            &moderate(PostStatus::Visible, PostAction::Restore, None)
        ),
        Err(OpError::IllegalTransition { .. })
    ));
    run(
        &mut store,
        &moderator,
        &moderate(PostStatus::Visible, PostAction::Hide, reason("Insultes")),
    )
    .expect("hide");
    assert_eq!(status(&store, "forum_posts", &flagged), "hidden");
    let open_flags = |s: &Store| {
        s.conn()
            .query_row(
                "SELECT count(*) FROM forum_flags WHERE post_id = ?1 AND resolved = 0",
                [&flagged],
                |r| r.get::<_, i64>(0),
            )
            .expect("flags")
    };
    assert_eq!(open_flags(&store), 0, "hiding resolves the flags");
    run(
        &mut store,
        &moderator,
        &moderate(PostStatus::Hidden, PostAction::Remove, reason("Récidive")),
    )
    .expect("remove");
    run(
        &mut store,
        &moderator,
        &moderate(PostStatus::Removed, PostAction::Restore, None),
    )
    .expect("restore");
    assert_eq!(status(&store, "forum_posts", &flagged), "visible");

    // Dismissing flags: refused when there are none, or more than the moderator saw.
    let other = first_id(
        &store,
        "forum_posts",
        "status = 'visible' AND flag_count > 1",
    );
    let flags: i64 = store
        .conn()
        .query_row(
            "SELECT flag_count FROM forum_posts WHERE id = ?1",
            [&other],
            |r| r.get(0),
        )
        .expect("n");
    let dismiss = |seen| Op::DismissFlags {
        post_id: other.clone(),
        seen_status: Some(PostStatus::Visible),
        seen_flag_count: seen,
        reason: None,
    };
    assert!(matches!(
        run(&mut store, &moderator, &dismiss(flags - 1)),
        Err(OpError::Stale { .. })
    ));
    run(&mut store, &moderator, &dismiss(flags)).expect("dismiss");
    assert!(matches!(
        run(&mut store, &moderator, &dismiss(0)),
        Err(OpError::IllegalTransition { .. })
    ));
}

#[test]
fn citizens_threads_and_sms() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let moderator = actor_with(&store, Role::Moderator);
    let admin = actor_with(&store, Role::Admin);
    let citizen = first_id(&store, "citizens", "status = 'active'");
    let mute = |until: Option<&str>| Op::SetCitizenStatus {
        citizen_id: citizen.clone(),
        seen_status: CitizenStatus::Active,
        action: CitizenAction::Mute,
        until: until.map(str::to_owned),
        reason: reason("Insultes"),
    };
    assert!(
        run(&mut store, &moderator, &mute(None)).is_err(),
        "a mute needs an end"
    );
    assert!(
        run(&mut store, &moderator, &mute(Some("2000-01-01T00:00:00Z"))).is_err(),
        "in the past"
    );
    run(&mut store, &moderator, &mute(Some("2999-01-01T00:00:00Z"))).expect("mute");
    let ban = Op::SetCitizenStatus {
        citizen_id: citizen.clone(),
        seen_status: CitizenStatus::Muted,
        action: CitizenAction::Ban,
        until: None,
        reason: reason("Spam"),
    };
    assert!(
        matches!(
            run(&mut store, &moderator, &ban),
            Err(OpError::Forbidden { .. })
        ),
        "moderators do not ban"
    );
    run(&mut store, &admin, &ban).expect("admin bans");
    let lift = Op::SetCitizenStatus {
        citizen_id: citizen.clone(),
        seen_status: CitizenStatus::Banned,
        action: CitizenAction::Reinstate,
        until: None,
        reason: None,
    };
    assert!(matches!(
        run(&mut store, &moderator, &lift),
        Err(OpError::Forbidden { .. })
    ));
    run(&mut store, &admin, &lift).expect("lift ban");

    let thread = first_id(&store, "forum_threads", "locked = 0");
    let lock = |seen, locked| Op::LockThread {
        thread_id: thread.clone(),
        seen_locked: seen,
        locked,
        reason: reason("Hors sujet"),
    };
    assert!(matches!(
        run(&mut store, &moderator, &lock(false, false)),
        Err(OpError::IllegalTransition { .. })
    ));
    run(&mut store, &moderator, &lock(false, true)).expect("lock");
    run(&mut store, &moderator, &lock(true, false)).expect("unlock");

    // SMS: queued by a field agent, approved by an admin who is not its author.
    let group = first_id(&store, "sms_groups", "1");
    let mut agent = actor_with(&store, Role::FieldAgent);
    agent.login = "fatimata.diallo".into();
    let sms_id = uuid::Uuid::now_v7().to_string();
    let queue = Op::QueueSms {
        message: NewSms {
            id: sms_id.clone(),
            group_id: group.clone(),
            kind: SmsKind::Alert,
            body: "Réunion ce soir à la mairie, ça concerne tout le monde".into(),
            scheduled_at: None,
            retry_of: None,
        },
    };
    run(&mut store, &agent, &queue).expect("queue");
    let (encoding, recipients): (String, i64) = store
        .conn()
        .query_row(
            "SELECT encoding, recipients FROM sms_messages WHERE id = ?1",
            [&sms_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("sms");
    assert_eq!(encoding, "UCS-2", "lower-case ç is not GSM-7");
    let opted_in = count(
        &store,
        &format!(
            "SELECT count(*) FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id \
             WHERE m.group_id = '{group}' AND c.opted_out_at IS NULL"
        ),
    );
    assert_eq!(recipients, opted_in, "opted-out contacts are not counted");
    // A small notice needs no approval; every alert does.
    let notice_id = uuid::Uuid::now_v7().to_string();
    let notice = Op::QueueSms {
        message: NewSms {
            id: notice_id.clone(),
            group_id: group.clone(),
            kind: SmsKind::Notice,
            body: "Reunion ce soir".into(),
            scheduled_at: None,
            retry_of: None,
        },
    };
    run(&mut store, &agent, &notice).expect("queue notice");
    let status_of = |store: &civitac::store::Store, id: &str| -> String {
        store
            .conn()
            .query_row("SELECT status FROM sms_messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("sms")
    };
    assert_eq!(status_of(&store, &notice_id), "approved");
    // A hub that lowers the threshold makes the same notice wait for approval.
    store
        .set_state("sms_approval_threshold", "0")
        .expect("setting");
    let held_id = uuid::Uuid::now_v7().to_string();
    let held = Op::QueueSms {
        message: NewSms {
            id: held_id.clone(),
            group_id: group.clone(),
            kind: SmsKind::Notice,
            body: "Reunion ce soir".into(),
            scheduled_at: None,
            retry_of: None,
        },
    };
    run(&mut store, &agent, &held).expect("queue held notice");
    assert_eq!(status_of(&store, &held_id), "queued");
    assert_eq!(status_of(&store, &sms_id), "queued");
    let approve = Op::ApproveSms {
        message_id: sms_id.clone(),
        seen_status: SmsStatus::Queued,
        seen_recipients: None,
    };
    let mut own = admin.clone();
    own.login = agent.login.clone();
    assert!(
        matches!(
            run(&mut store, &own, &approve),
            Err(OpError::OwnMessage { .. })
        ),
        "two-person rule"
    );
    assert!(matches!(
        run(&mut store, &agent, &approve),
        Err(OpError::Forbidden { .. })
    ));
    run(&mut store, &admin, &approve).expect("approve");
    let cancel = Op::CancelSms {
        message_id: sms_id.clone(),
        seen_status: SmsStatus::Approved,
        reason: reason("Erreur"),
    };
    run(&mut store, &agent, &cancel).expect("the author cancels their own");
    assert_eq!(status(&store, "sms_messages", &sms_id), "cancelled");
}

/// Every permission against every role, through apply itself: a role without
/// the permission is refused before anything is read or written.
#[test]
fn role_matrix_is_enforced_by_apply() {
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let org = first_id(&store, "organizations", "status = 'contacted'");
    let upload = first_id(&store, "uploads", "status = 'pending'");
    let post = first_id(&store, "forum_posts", "status = 'visible'");
    let citizen = first_id(&store, "citizens", "status = 'active'");
    let thread = first_id(&store, "forum_threads", "locked = 0");
    let group = first_id(&store, "sms_groups", "1");
    let queued = first_id(&store, "sms_messages", "status = 'queued'");
    let cases: Vec<(Permission, Op)> = vec![
        (
            Permission::ApplyEnrollment,
            Op::ApplyEnrollment {
                org: NewOrganization {
                    id: uuid::Uuid::now_v7().to_string(),
                    kind: OrgKind::Osc,
                    name: "Union des Pêcheurs de Bagré".into(),
                    acronym: None,
                    region: "Nakambé".into(),
                    province: None,
                    commune: Some("Bagré".into()),
                    contact_name: None,
                    contact_role: None,
                    phone: None,
                    email: None,
                    notes: None,
                    platform_id: None,
                },
            },
        ),
        (
            Permission::AdvanceEnrollment,
            enrollment(
                &first_id(&store, "organizations", "status = 'applied'"),
                Stage::Applied,
                EnrollmentAction::RecordCharter,
            ),
        ),
        (
            Permission::DecideEnrollment,
            enrollment(&org, Stage::Contacted, EnrollmentAction::Enrol),
        ),
        (
            Permission::ReviewUpload,
            Op::ReviewUpload {
                upload_id: upload,
                seen_status: UploadStatus::Pending,
                decision: ReviewDecision::Approve,
                reason: None,
            },
        ),
        (
            Permission::ModeratePost,
            Op::ModeratePost {
                post_id: post,
                seen_status: PostStatus::Visible,
                action: PostAction::Hide,
                reason: reason("x"),
            },
        ),
        (
            Permission::LockThread,
            Op::LockThread {
                thread_id: thread,
                seen_locked: false,
                locked: true,
                reason: reason("x"),
            },
        ),
        (
            Permission::MuteCitizen,
            Op::SetCitizenStatus {
                citizen_id: citizen.clone(),
                seen_status: CitizenStatus::Active,
                action: CitizenAction::Mute,
                until: Some("2999-01-01T00:00:00Z".into()),
                reason: reason("x"),
            },
        ),
        (
            Permission::BanCitizen,
            Op::SetCitizenStatus {
                citizen_id: citizen,
                seen_status: CitizenStatus::Active,
                action: CitizenAction::Ban,
                until: None,
                reason: reason("x"),
            },
        ),
        (
            Permission::QueueSms,
            Op::QueueSms {
                message: NewSms {
                    id: uuid::Uuid::now_v7().to_string(),
                    group_id: group,
                    kind: SmsKind::Alert,
                    body: "ALERTE".into(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        ),
        (
            Permission::ManageContacts,
            Op::AddContact {
                contact: civitac::ops::NewContact {
                    phone_e164: "+22670999999".into(),
                    name: Some("Test".into()),
                    region: None,
                    commune: None,
                },
                group_id: None,
            },
        ),
        (
            Permission::ApproveSms,
            Op::ApproveSms {
                message_id: queued.clone(),
                seen_status: SmsStatus::Queued,
                seen_recipients: None,
            },
        ),
        (
            Permission::CancelAnySms,
            Op::CancelSms {
                message_id: queued,
                seen_status: SmsStatus::Queued,
                reason: reason("x"),
            },
        ),
        (
            Permission::ManageStaff,
            Op::AddStaff {
                staff: civitac::ops::NewStaff {
                    id: uuid::Uuid::now_v7().to_string(),
                    login: "new.colleague".into(),
                    display_name: "New Colleague".into(),
                    role: civitac::domain::staff::Role::FieldAgent,
                },
            },
        ),
    ];
    assert_eq!(
        cases.len(),
        Permission::ALL.len(),
        "one case per permission"
    );
    let mut store = store;
    for (permission, op) in &cases {
        for role in Role::ALL {
            let mut actor = actor_with(&store, *role);
            actor.login = format!("someone-else-{role}");
            let tx = store.transaction().expect("tx");
            let result = ops::apply(&tx, &actor, op);
            drop(tx); // roll back: each case starts from the same state
            match (role.may(*permission), result) {
                (true, Ok(_)) => {}
                (false, Err(OpError::Forbidden { .. })) => {}
                (allowed, other) => {
                    panic!("{permission} as {role}: allowed={allowed}, got {other:?}")
                }
            }
        }
    }
}

#[test]
fn each_op_writes_one_audit_row_and_one_contiguous_outbox_row() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        0,
        "a fresh demo replica has nothing to push"
    );
    let admin = actor_with(&store, Role::Admin);
    let ids: Vec<String> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT id FROM organizations WHERE status = 'contacted' LIMIT 5")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    let tx = store.transaction().expect("tx");
    let mut op_ids = Vec::new();
    for id in &ids {
        op_ids.push(
            ops::apply(
                &tx,
                &admin,
                &enrollment(id, Stage::Contacted, EnrollmentAction::Enrol),
            )
            .expect("enrol")
            .op_id,
        );
    }
    tx.commit().expect("commit");
    let seqs: Vec<i64> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT seq FROM outbox ORDER BY seq")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("seqs")
    };
    assert_eq!(seqs, (1..=ids.len() as i64).collect::<Vec<_>>());
    for (op_id, org) in op_ids.iter().zip(&ids) {
        let (entity_id, actor, action, detail): (String, String, String, String) = store
            .conn()
            .query_row(
                "SELECT entity_id, actor, action, detail FROM audit_log WHERE id = ?1",
                [op_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("audit row");
        assert_eq!(
            (&entity_id, actor.as_str(), action.as_str()),
            (org, "awa.kabore", "enrollment.enrol")
        );
        let detail: serde_json::Value = serde_json::from_str(&detail).expect("json detail");
        assert_eq!(detail["before"]["status"], "contacted");
        assert_eq!(detail["after"]["status"], "enrolled");
        let body: String = store
            .conn()
            .query_row("SELECT op FROM outbox WHERE op_id = ?1", [op_id], |r| {
                r.get(0)
            })
            .expect("outbox");
        let envelope: Envelope = serde_json::from_str(&body).expect("op parses back");
        assert_eq!(envelope.v, ops::OP_FORMAT);
        assert!(matches!(
            envelope.op,
            Op::SetEnrollmentStatus {
                action: EnrollmentAction::Enrol,
                ..
            }
        ));
    }
    // Outside a transaction, apply refuses rather than autocommit half an op.
    let err = ops::apply(
        store.conn(),
        &admin,
        &enrollment(&ids[0], Stage::Enrolled, EnrollmentAction::Suspend),
    )
    .unwrap_err();
    assert!(matches!(err, OpError::NoTransaction));
}

#[test]
fn ops_round_trip_through_json() {
    let op = enrollment("0190", Stage::Contacted, EnrollmentAction::Enrol);
    let json = serde_json::to_string(&Envelope {
        v: 1,
        quiet: false,
        op: op.clone(),
    })
    .expect("ser");
    assert!(
        json.starts_with("{\"v\":1,\"type\":\"SetEnrollmentStatus\""),
        "{json}"
    );
    let back: Envelope = serde_json::from_str(&json).expect("de");
    assert_eq!(back.op, op);
    let bad = json.replace("contacted", "contactd");
    assert!(serde_json::from_str::<Envelope>(&bad).is_err());
}

#[test]
fn undo_restores_exactly_what_an_unsynced_op_changed() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let moderator = actor_with(&store, Role::Moderator);
    let post = first_id(
        &store,
        "forum_posts",
        "status = 'visible' AND flag_count > 1",
    );
    let snapshot = |s: &Store| -> (String, i64, Option<String>, i64) {
        s.conn()
            .query_row(
                "SELECT status, flag_count, moderated_by, (SELECT count(*) FROM forum_flags WHERE post_id = ?1 AND resolved = 0)
                 FROM forum_posts WHERE id = ?1",
                [&post],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("post")
    };
    let before = snapshot(&store);
    let hide = Op::ModeratePost {
        post_id: post.clone(),
        seen_status: PostStatus::Visible,
        action: PostAction::Hide,
        reason: reason("Insultes"),
    };
    let hidden = run(&mut store, &moderator, &hide).expect("hide");
    assert_eq!(snapshot(&store).0, "hidden");
    assert_eq!(snapshot(&store).3, 0);

    // Someone else cannot undo it; the moderator can, once.
    let mut other = moderator.clone();
    other.login = "issa.sawadogo".into();
    let undo = Op::Undo {
        op_id: hidden.op_id.clone(),
        reason: None,
    };
    assert!(matches!(
        run(&mut store, &other, &undo),
        Err(OpError::Forbidden { .. })
    ));
    let undone = run(&mut store, &moderator, &undo).expect("undo");
    assert_eq!(
        snapshot(&store),
        before,
        "status, flags and moderator are back"
    );
    assert!(run(&mut store, &moderator, &undo).is_err(), "twice");
    assert!(
        run(
            &mut store,
            &moderator,
            &Op::Undo {
                op_id: undone.op_id,
                reason: None
            }
        )
        .is_err(),
        "undo of an undo"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        2,
        "the op and its undo both go to the hub"
    );
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity_id = '{post}' AND action = 'undo'"
            )
        ),
        1
    );

    // A record changed since cannot be undone over; a synced op is the hub's now.
    let hide = run(&mut store, &moderator, &hide).expect("hide again");
    let remove = Op::ModeratePost {
        post_id: post.clone(),
        seen_status: PostStatus::Hidden,
        action: PostAction::Remove,
        reason: reason("x"),
    };
    run(&mut store, &moderator, &remove).expect("remove");
    assert!(matches!(
        run(
            &mut store,
            &moderator,
            &Op::Undo {
                op_id: hide.op_id,
                reason: None
            }
        ),
        Err(OpError::Stale { .. })
    ));
    let upload = first_id(&store, "uploads", "status = 'pending'");
    let approve = Op::ReviewUpload {
        upload_id: upload.clone(),
        seen_status: UploadStatus::Pending,
        decision: ReviewDecision::Approve,
        reason: None,
    };
    let approved = run(&mut store, &moderator, &approve).expect("approve");
    store
        .conn()
        .execute(
            "UPDATE outbox SET pushed_at = '2026-11-02T00:00:00.000Z' WHERE op_id = ?1",
            [&approved.op_id],
        )
        .expect("mark pushed");
    let err = run(
        &mut store,
        &moderator,
        &Op::Undo {
            op_id: approved.op_id,
            reason: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("already synced"), "{err}");

    // Creations are rejected or cancelled, not undone.
    let agent = actor_with(&store, Role::FieldAgent);
    let org = NewOrganization {
        id: uuid::Uuid::now_v7().to_string(),
        kind: OrgKind::Osc,
        name: "Amicale des Apiculteurs de Pô".into(),
        acronym: None,
        region: "Nazinon".into(),
        province: None,
        commune: Some("Pô".into()),
        contact_name: None,
        contact_role: None,
        phone: None,
        email: None,
        notes: None,
        platform_id: None,
    };
    let created = run(&mut store, &agent, &Op::ApplyEnrollment { org }).expect("apply");
    let err = run(
        &mut store,
        &agent,
        &Op::Undo {
            op_id: created.op_id,
            reason: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("created the record"), "{err}");
}

/// A push never ends between an op and a waiting undo of it: the hub
/// refuses an undo that arrives long after its op, so a cut between two
/// small requests would otherwise keep a decision its author undid.
#[test]
fn a_push_batch_takes_an_ops_undo_with_it() {
    let (_dir, replica) = small_demo();
    let mut store = open(&replica);
    let actor = actor_with(&store, Role::Moderator);
    let posts = ids(
        &store,
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 30",
    );
    let mut first = None;
    for p in &posts {
        let applied = run(
            &mut store,
            &actor,
            &Op::ModeratePost {
                post_id: p.clone(),
                seen_status: PostStatus::Visible,
                action: PostAction::Hide,
                reason: reason("Hors sujet"),
            },
        )
        .expect("hide");
        first.get_or_insert(applied.op_id);
    }
    let first = first.expect("an op");
    let pending = count(
        &store,
        "SELECT count(*) FROM outbox WHERE pushed_at IS NULL",
    );
    let batch = |store: &Store, n: usize| {
        civitac::replica::outbox::next_batch(store.conn(), n)
            .expect("batch")
            .ops
            .into_iter()
            .map(|o| o.op_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        batch(&store, 5).len(),
        5,
        "no undo waiting: the limit holds"
    );
    run(
        &mut store,
        &actor,
        &Op::Undo {
            op_id: first.clone(),
            reason: None,
        },
    )
    .expect("undo");
    let five = batch(&store, 5);
    assert_eq!(five.len() as i64, pending + 1, "up to the undo: {five:?}");
    assert_eq!(five.first(), Some(&first));
}
