//! `apply`: checks, writes, audit and outbox for one op.

use rusqlite::params;

use crate::store::sql::{Optional, Sql};
use serde_json::{Value, json};

use super::{Envelope, NewOrganization, NewSms, OP_FORMAT, Op, OpError};
use crate::domain::enrollment::{EnrollmentAction, Stage};
use crate::domain::forum::{CitizenAction, CitizenStatus, PostAction, PostStatus};
use crate::domain::normalise_name;
use crate::domain::sms::SmsStatus;
use crate::domain::staff::{Permission, Role};
use crate::domain::uploads::{ReviewDecision, UploadStatus};
use crate::store::Actor;
use crate::store::entity::Entity;

/// The identity and time of one op, fixed where the op is born.
#[derive(Debug, Clone)]
pub struct OpMeta {
    pub op_id: String,
    /// When its author made the decision (UTC RFC 3339, fixed width).
    pub at: String,
    /// Its author chose not to have the person it affects told (the
    /// decision feed then carries no notice for it).
    pub quiet: bool,
    /// The batch it was decided in (several records at once), so an undo
    /// takes the batch back whole. Kept in the outbox only: undo concerns
    /// unsynced ops, so it never travels.
    pub batch: Option<String>,
}

impl OpMeta {
    pub fn now() -> OpMeta {
        OpMeta {
            op_id: uuid::Uuid::now_v7().to_string(),
            at: crate::time::now(),
            quiet: false,
            batch: None,
        }
    }
}

/// What an applied op touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub op_id: String,
    pub entity: &'static str,
    pub entity_id: String,
    pub action: String,
}

/// Applies a new op made now by `actor`. `conn` must be inside a transaction
/// (or savepoint): nothing here commits.
pub fn apply(conn: &dyn Sql, actor: &Actor, op: &Op) -> Result<Applied, OpError> {
    apply_with(conn, actor, op, &OpMeta::now())
}

/// Applies an op whose id and time were fixed elsewhere (pushed ops, demo history).
pub fn apply_with(
    conn: &dyn Sql,
    actor: &Actor,
    op: &Op,
    meta: &OpMeta,
) -> Result<Applied, OpError> {
    if conn.is_autocommit() {
        return Err(OpError::NoTransaction);
    }
    // A reason reaches the audit log, every replica's console and the
    // platform (shown to the author): plain text on one line, nothing a
    // terminal or a web page would obey or hide.
    if let Some(reason) = op.reason() {
        plain("reason", reason, super::MAX_REASON)?;
    }
    let before = match op {
        Op::Undo { op_id, .. } => undone_record(conn, op_id)?
            .map(|(e, id)| snapshot(conn, &e, &id))
            .transpose()?
            .flatten(),
        _ => match op.target() {
            Some((entity, id)) => snapshot(conn, entity, id)?,
            None => None,
        },
    };
    let change = match op {
        Op::ApplyEnrollment { org } => apply_enrollment(conn, actor, org, meta)?,
        Op::SetEnrollmentStatus {
            org_id,
            seen_status,
            action,
            reason,
            charter,
        } => set_enrollment_status(
            conn,
            actor,
            org_id,
            *seen_status,
            *action,
            reason,
            charter.as_ref(),
            meta,
        )?,
        Op::ReviewUpload {
            upload_id,
            seen_status,
            decision,
            reason,
        } => review_upload(
            conn,
            actor,
            upload_id,
            *seen_status,
            *decision,
            reason,
            meta,
        )?,
        Op::ModeratePost {
            post_id,
            seen_status,
            action,
            reason,
        } => moderate_post(conn, actor, post_id, *seen_status, *action, reason, meta)?,
        Op::DismissFlags {
            post_id,
            seen_status,
            seen_flag_count,
            ..
        } => dismiss_flags(conn, actor, post_id, *seen_status, *seen_flag_count)?,
        Op::SetCitizenStatus {
            citizen_id,
            seen_status,
            action,
            until,
            reason,
        } => set_citizen_status(
            conn,
            actor,
            citizen_id,
            *seen_status,
            *action,
            until.as_deref(),
            reason,
            meta,
        )?,
        Op::LockThread {
            thread_id,
            seen_locked,
            locked,
            reason,
        } => lock_thread(conn, actor, thread_id, *seen_locked, *locked, reason)?,
        Op::QueueSms { message } => queue_sms(conn, actor, message, meta)?,
        Op::AddContact { contact, group_id } => {
            add_contact(conn, actor, contact, group_id.as_deref())?
        }
        Op::OptOutContact { phone_e164, .. } => opt_out_contact(conn, actor, phone_e164, meta)?,
        Op::ApproveSms {
            message_id,
            seen_status,
            seen_recipients,
        } => approve_sms(conn, actor, message_id, *seen_status, *seen_recipients)?,
        Op::Undo { op_id, .. } => undo(conn, actor, op_id, meta)?,
        Op::CancelSms {
            message_id,
            seen_status,
            reason,
        } => cancel_sms(conn, actor, message_id, *seen_status, reason)?,
        Op::AddNote { note } => add_note(conn, actor, note, meta)?,
        Op::EditOrganization { org_id, changes } => {
            edit_organization(conn, actor, org_id, changes, meta)?
        }
        Op::AddLeader { leader } => add_leader(conn, actor, leader, meta)?,
        Op::AddStaff { staff } => add_staff(conn, actor, staff, meta)?,
        Op::OptInContact { phone_e164, reason } => opt_in_contact(conn, actor, phone_e164, reason)?,
        Op::CreateGroup { group } => create_group(conn, actor, group)?,
        Op::RenameGroup {
            group_id,
            seen_name,
            name,
        } => rename_group(conn, actor, group_id, seen_name, name)?,
        Op::ArchiveGroup { group_id, archived } => {
            archive_group(conn, actor, group_id, *archived, meta)?
        }
        Op::RemoveMember {
            group_id,
            contact_id,
        } => remove_member(conn, actor, group_id, contact_id)?,
        Op::EditContact {
            contact_id,
            changes,
        } => edit_contact(conn, actor, contact_id, changes)?,
        Op::SetStaffRole {
            staff_id,
            seen_role,
            role,
        } => set_staff_role(conn, actor, staff_id, *seen_role, *role, meta)?,
        Op::SetStaffActive {
            staff_id,
            seen_active,
            active,
            reason,
        } => set_staff_active(conn, actor, staff_id, *seen_active, *active, reason, meta)?,
        Op::Claim {
            entity,
            record_id,
            seen_by,
            claim,
        } => claim_record(
            conn,
            actor,
            entity,
            record_id,
            seen_by.as_deref(),
            *claim,
            meta,
        )?,
    };
    let action = op.action_name();
    // Flags an op resolved or reopened change too; the hub's feed carries them.
    let member = change
        .extra
        .get("member")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let touched_flags: Vec<String> = ["resolved_flags", "reopened_flags"]
        .iter()
        .filter_map(|k| change.extra.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, device, action, entity, entity_id, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute_blind(params![
        meta.op_id,
        meta.at,
        actor.login,
        actor.device,
        action,
        change.entity,
        change.entity_id,
        reason_of(op),
        audit_detail(
            before,
            snapshot(conn, change.entity, &change.entity_id)?,
            change.extra,
            meta
        )
        .to_string(),
    ])?;
    if is_hub(conn)? {
        // The hub's change feed: replicas pull the rows changed after their cursor.
        record_change(conn, change.entity, &change.entity_id)?;
        for flag in &touched_flags {
            record_change(conn, "forum_flag", flag)?;
        }
        if let Some(member) = &member {
            record_change(conn, "sms_group_member", member)?;
        }
    } else {
        let envelope = Envelope {
            v: OP_FORMAT,
            quiet: meta.quiet,
            op: op.clone(),
        };
        let body = serde_json::to_string(&envelope).map_err(|e| OpError::Invalid {
            field: "op",
            why: e.to_string(),
        })?;
        conn.prepare_cached(
            "INSERT INTO outbox (op_id, seq, created_at, op, batch)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?2, ?3, ?4)",
        )?
        .execute(params![meta.op_id, meta.at, body, meta.batch])?;
        // A new decision on a record settles the conflicts it had: the person
        // decided again, knowing the hub's state (DESIGN §5).
        conn.prepare_cached(
            "UPDATE conflicts SET resolved_at = ?3
             WHERE entity = ?1 AND entity_id = ?2 AND resolved_at IS NULL",
        )?
        .execute(params![change.entity, change.entity_id, meta.at])?;
    }
    Ok(Applied {
        op_id: meta.op_id.clone(),
        entity: change.entity,
        entity_id: change.entity_id,
        action,
    })
}

/// Whether `conn` holds the hub (PostgreSQL only ever does; a SQLite file
/// says which side it is).
fn is_hub(conn: &dyn Sql) -> Result<bool, crate::store::sql::DbError> {
    Ok(conn.dialect() == crate::store::sql::Dialect::Postgres
        || crate::store::sql::state(conn, "side")?.as_deref() == Some("hub"))
}

/// The record one op changed, and what the audit log needs beyond the
/// tracked columns (the flags a moderation resolved, a new record's summary).
struct Change {
    entity: &'static str,
    entity_id: String,
    extra: Value,
}

/// The tracked columns of one record as JSON, or `None` if it does not exist.
pub fn snapshot(conn: &dyn Sql, entity: &str, id: &str) -> Result<Option<Value>, OpError> {
    let Some(e) = Entity::parse(entity).filter(|e| !e.tracked().is_empty()) else {
        return Ok(None);
    };
    Ok(crate::store::sql::row_json(conn, e.table(), e.tracked(), id)?.map(Value::Object))
}

/// `{"before": …, "after": …}`, with the op's extra facts merged into
/// "after", and `"notify": false` when its author chose not to notify.
fn audit_detail(before: Option<Value>, after: Option<Value>, extra: Value, meta: &OpMeta) -> Value {
    let mut after = after.unwrap_or_else(|| json!({}));
    if let (Value::Object(a), Value::Object(x)) = (&mut after, extra) {
        a.extend(x);
    }
    let mut detail = json!({"before": before.unwrap_or(Value::Null), "after": after});
    if meta.quiet {
        detail["notify"] = Value::Bool(false);
    }
    detail
}

/// The op's reason, trimmed; `None` when it has none or it is blank.
fn reason_of(op: &Op) -> Option<&str> {
    op.reason().map(str::trim).filter(|r| !r.is_empty())
}

fn require(
    actor: &Actor,
    permission: Permission,
    action: impl Into<String>,
) -> Result<(), OpError> {
    if actor.role.may(permission) {
        Ok(())
    } else {
        Err(OpError::Forbidden {
            role: actor.role,
            action: action.into(),
        })
    }
}

fn require_reason(
    needed: bool,
    reason: &Option<String>,
    action: impl Into<String>,
) -> Result<(), OpError> {
    if needed && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(OpError::ReasonRequired {
            action: action.into(),
        });
    }
    Ok(())
}

fn check_seen<S: PartialEq + std::fmt::Display>(
    entity: &'static str,
    id: &str,
    seen: S,
    current: S,
) -> Result<(), OpError> {
    if seen != current {
        return Err(OpError::Stale {
            entity,
            id: id.to_owned(),
            seen: seen.to_string(),
            current: current.to_string(),
        });
    }
    Ok(())
}

fn illegal<S: std::fmt::Display>(
    entity: &'static str,
    id: &str,
    action: impl std::fmt::Display,
    from: impl std::fmt::Display,
    allowed: &[S],
) -> OpError {
    OpError::IllegalTransition {
        entity,
        id: id.to_owned(),
        action: action.to_string(),
        from: from.to_string(),
        allowed: allowed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn not_found(entity: &'static str, id: &str) -> OpError {
    OpError::NotFound {
        entity,
        id: id.to_owned(),
    }
}

fn invalid(field: &'static str, why: impl Into<String>) -> OpError {
    OpError::Invalid {
        field,
        why: why.into(),
    }
}

/// Input quoted back in a refusal: on one line, terminal-safe, short (it
/// travels to the replica and is shown there).
fn quoted(s: &str) -> String {
    format!("\"{}\"", crate::text::truncate(&crate::text::inline(s), 60))
}

fn check_id(field: &'static str, id: &str) -> Result<(), OpError> {
    uuid::Uuid::parse_str(id)
        .map(drop)
        .map_err(|_| invalid(field, format!("{} is not a UUID", quoted(id))))
}

fn non_empty(field: &'static str, value: &str) -> Result<(), OpError> {
    if value.trim().is_empty() {
        Err(OpError::Empty { field })
    } else {
        Ok(())
    }
}

/// Text people type that others will read (a reason, a name, a note): one
/// line of plain text — nothing a terminal or a web page would obey or hide
/// — of at most `max` characters.
pub fn plain(field: &'static str, value: &str, max: usize) -> Result<(), OpError> {
    if let Some((at, c)) = crate::text::first_unplain_prose(value) {
        return Err(OpError::Unplain {
            field,
            code: c as u32,
            position: at + 1,
        });
    }
    if value.chars().count() > max {
        return Err(OpError::TooLong { field, max });
    }
    Ok(())
}

/// A phone number as stored: E.164 (`+` then 8 to 15 digits). Full
/// libphonenumber validation belongs to the SMS module's import.
fn check_phone(phone: &str) -> Result<(), OpError> {
    let digits = phone.strip_prefix('+').unwrap_or("");
    if (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(())
    } else {
        Err(invalid(
            "phone",
            format!(
                "{} is not an international number like +22670123456",
                quoted(phone)
            ),
        ))
    }
}

fn apply_enrollment(
    conn: &dyn Sql,
    actor: &Actor,
    org: &NewOrganization,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    require(actor, Permission::ApplyEnrollment, "enrollment.apply")?;
    check_id("org.id", &org.id)?;
    if let Some(pid) = &org.platform_id {
        crate::domain::platform::internal_id("organization", pid)
            .map_err(|why| invalid("org.platform_id", why))?;
    }
    non_empty("name", &org.name)?;
    non_empty("region", &org.region)?;
    // What staff type is plain, one line, of a sane length (as corrections
    // are). What the platform sends is kept as sent, within the length
    // (every screen makes it terminal-safe), so a name is never refused
    // for a character the website allowed.
    let typed_here = org.platform_id.is_none();
    for (field, value) in [
        ("name", Some(org.name.as_str())),
        ("acronym", org.acronym.as_deref()),
        ("region", Some(org.region.as_str())),
        ("province", org.province.as_deref()),
        ("commune", org.commune.as_deref()),
        ("contact_name", org.contact_name.as_deref()),
        ("contact_role", org.contact_role.as_deref()),
        ("email", org.email.as_deref()),
    ] {
        match value {
            Some(v) if typed_here => plain_detail(field, v)?,
            Some(v) if v.chars().count() > super::MAX_DETAIL => {
                return Err(OpError::TooLong {
                    field,
                    max: super::MAX_DETAIL,
                });
            }
            _ => {}
        }
    }
    // The platform's notes are kept as sent, but never longer than staff's.
    match org.notes.as_deref() {
        Some(n) if typed_here => plain("notes", n, super::MAX_NOTE)?,
        Some(n) if n.chars().count() > super::MAX_NOTE => {
            return Err(OpError::TooLong {
                field: "notes",
                max: super::MAX_NOTE,
            });
        }
        _ => {}
    }
    if let Some(phone) = org.phone.as_deref().filter(|p| !p.is_empty()) {
        check_phone(phone)?;
    }
    if let Some(email) = org.email.as_deref().filter(|e| !e.is_empty())
        && !email.contains('@')
    {
        return Err(invalid(
            "email",
            format!("{} is not an e-mail address", quoted(email)),
        ));
    }
    let exists: bool = conn
        .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")?
        .exists([&org.id])?;
    if exists {
        return Err(invalid(
            "org.id",
            format!("organization {} already exists", org.id),
        ));
    }
    conn.prepare_cached(
        "INSERT INTO organizations (id, kind, name, acronym, region, province, commune, contact_name, contact_role,
            phone, email, status, notes, created_at, updated_at, version, name_key, platform_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'applied', ?12, ?13, ?13, 1, ?14, ?15)",
    )?
    .execute(params![
        org.id,
        org.kind,
        org.name.trim(),
        org.acronym,
        org.region,
        org.province,
        org.commune,
        org.contact_name,
        org.contact_role,
        org.phone,
        org.email,
        org.notes,
        meta.at,
        normalise_name(&org.name),
        org.platform_id,
    ])?;
    Ok(Change {
        entity: "organization",
        entity_id: org.id.clone(),
        extra: json!({"name": org.name, "kind": org.kind, "region": org.region, "commune": org.commune}),
    })
}

#[allow(clippy::too_many_arguments)]
fn set_enrollment_status(
    conn: &dyn Sql,
    actor: &Actor,
    org_id: &str,
    seen: Stage,
    action: EnrollmentAction,
    reason: &Option<String>,
    charter: Option<&super::Charter>,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = format!("enrollment.{action}");
    require(actor, action.permission(), &name)?;
    require_reason(action.needs_reason(), reason, &name)?;
    if action == EnrollmentAction::RecordCharter {
        let c = charter.ok_or_else(|| {
            invalid(
                "charter",
                "record_charter needs the signing date and reference",
            )
        })?;
        let day = crate::time::parse_day(&c.signed_on)
            .map_err(|why| invalid("charter.signed_on", why))?;
        // Signed before it was recorded (a day's margin for time zones).
        if let Ok(at) = meta.at.parse::<jiff::Timestamp>()
            && day
                > at.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .date()
                    .tomorrow()
                    .unwrap_or(day)
        {
            return Err(invalid(
                "charter.signed_on",
                format!("{day} is after the day it is recorded"),
            ));
        }
        non_empty("charter_ref", &c.reference)?;
        plain_detail("charter_ref", &c.reference)?;
    }
    let current: Stage = conn
        .prepare_cached("SELECT status FROM organizations WHERE id = ?1")?
        .query_row([org_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found("organization", org_id))?;
    check_seen("organization", org_id, seen, current)?;
    if !action.can_start_from(current) {
        return Err(illegal(
            "organization",
            org_id,
            action,
            current,
            action.allowed_from(),
        ));
    }
    let target = action.target();
    let mut after = json!({"status": target});
    match charter.filter(|_| action == EnrollmentAction::RecordCharter) {
        Some(c) => {
            conn.prepare_cached(
                "UPDATE organizations SET status = ?2, charter_signed_on = ?3, charter_ref = ?4,
                    updated_at = ?5, version = version + 1 WHERE id = ?1",
            )?
            .execute(params![
                org_id,
                target,
                c.signed_on.trim(),
                c.reference.trim(),
                meta.at
            ])?;
            after["charter_signed_on"] = json!(c.signed_on.trim());
            after["charter_ref"] = json!(c.reference.trim());
        }
        None => {
            conn.prepare_cached(
                "UPDATE organizations SET status = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
            )?
            .execute(params![org_id, target, meta.at])?;
        }
    }
    Ok(Change {
        entity: "organization",
        entity_id: org_id.to_owned(),
        extra: Value::Null,
    })
}

fn review_upload(
    conn: &dyn Sql,
    actor: &Actor,
    upload_id: &str,
    seen: UploadStatus,
    decision: ReviewDecision,
    reason: &Option<String>,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = format!("upload.{decision}");
    require(actor, Permission::ReviewUpload, &name)?;
    require_reason(decision.needs_reason(), reason, &name)?;
    let current: UploadStatus = conn
        .prepare_cached("SELECT status FROM uploads WHERE id = ?1")?
        .query_row([upload_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found("upload", upload_id))?;
    check_seen("upload", upload_id, seen, current)?;
    if !decision.can_start_from(current) {
        return Err(illegal(
            "upload",
            upload_id,
            decision,
            current,
            &[UploadStatus::Pending],
        ));
    }
    let target = decision.target();
    conn.prepare_cached(
        "UPDATE uploads SET status = ?2, reviewed_by = ?3, reviewed_at = ?4, reason = ?5, version = version + 1
         WHERE id = ?1",
    )?
    .execute(params![upload_id, target, actor.login, meta.at, reason.as_deref().map(str::trim)])?;
    Ok(Change {
        entity: "upload",
        entity_id: upload_id.to_owned(),
        extra: Value::Null,
    })
}

fn moderate_post(
    conn: &dyn Sql,
    actor: &Actor,
    post_id: &str,
    seen: PostStatus,
    action: PostAction,
    reason: &Option<String>,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = format!("post.{action}");
    require(actor, Permission::ModeratePost, &name)?;
    require_reason(action.needs_reason(), reason, &name)?;
    let (current, _flags): (PostStatus, i64) = conn
        .prepare_cached("SELECT status, flag_count FROM forum_posts WHERE id = ?1")?
        .query_row([post_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| not_found("forum_post", post_id))?;
    check_seen("forum_post", post_id, seen, current)?;
    if !action.can_start_from(current) {
        return Err(illegal(
            "forum_post",
            post_id,
            action,
            current,
            action.allowed_from(),
        ));
    }
    let target = action.target();
    let resolved_ids = if action.resolves_flags() {
        resolve_flags(conn, post_id)?
    } else {
        Vec::new()
    };
    let resolved = resolved_ids.len() as i64;
    conn.prepare_cached(
        "UPDATE forum_posts SET status = ?2, moderated_by = ?3, moderated_at = ?4, reason = ?5,
            flag_count = flag_count - ?6, version = version + 1 WHERE id = ?1",
    )?
    .execute_blind(params![
        post_id,
        target,
        actor.login,
        meta.at,
        reason.as_deref().map(str::trim),
        resolved
    ])?;
    Ok(Change {
        entity: "forum_post",
        entity_id: post_id.to_owned(),
        extra: json!({"resolved_flags": resolved_ids}),
    })
}

/// Resolves a post's open flags; returns their ids (kept in the audit log so
/// an undo can reopen exactly those).
fn resolve_flags(conn: &dyn Sql, post_id: &str) -> Result<Vec<String>, OpError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE forum_flags SET resolved = 1 WHERE post_id = ?1 AND resolved = 0 RETURNING id",
    )?;
    let mut ids: Vec<String> = stmt
        .query_map([post_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.sort();
    Ok(ids)
}

fn dismiss_flags(
    conn: &dyn Sql,
    actor: &Actor,
    post_id: &str,
    seen_status: Option<PostStatus>,
    seen_flags: i64,
) -> Result<Change, OpError> {
    require(actor, Permission::ModeratePost, "post.dismiss_flags")?;
    let (status, flags): (PostStatus, i64) = conn
        .prepare_cached("SELECT status, flag_count FROM forum_posts WHERE id = ?1")?
        .query_row([post_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| not_found("forum_post", post_id))?;
    // Dismissing means "this post is fine as it is": if someone else hid or
    // removed it meanwhile, that is another decision, not the same one.
    if let Some(seen) = seen_status {
        check_seen("forum_post", post_id, seen, status)?;
    }
    if flags == 0 {
        return Err(OpError::IllegalTransition {
            entity: "forum_post",
            id: post_id.to_owned(),
            action: "dismiss_flags".into(),
            from: "no open flag".into(),
            allowed: "a post with open flags".into(),
        });
    }
    // New flags since the moderator looked are a different situation: refuse
    // rather than dismiss reports nobody has read.
    if flags > seen_flags {
        return Err(OpError::Stale {
            entity: "forum_post",
            id: post_id.to_owned(),
            seen: format!("{seen_flags} flags"),
            current: format!("{flags} flags"),
        });
    }
    let resolved = resolve_flags(conn, post_id)?;
    conn.prepare_cached(
        "UPDATE forum_posts SET flag_count = 0, version = version + 1 WHERE id = ?1",
    )?
    .execute([post_id])?;
    Ok(Change {
        entity: "forum_post",
        entity_id: post_id.to_owned(),
        extra: json!({"resolved_flags": resolved}),
    })
}

#[allow(clippy::too_many_arguments)]
fn set_citizen_status(
    conn: &dyn Sql,
    actor: &Actor,
    citizen_id: &str,
    seen: CitizenStatus,
    action: CitizenAction,
    until: Option<&str>,
    reason: &Option<String>,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = format!("citizen.{action}");
    require(actor, action.permission(seen), &name)?;
    require_reason(action.needs_reason(), reason, &name)?;
    let until = match (action, until) {
        (CitizenAction::Mute, Some(u)) => {
            let ts = u
                .parse::<jiff::Timestamp>()
                .map_err(|_| invalid("until", format!("{} is not an RFC 3339 time", quoted(u))))?;
            let at = meta
                .at
                .parse::<jiff::Timestamp>()
                .map_err(|e| invalid("at", e.to_string()))?;
            if ts <= at {
                return Err(invalid("until", "a mute must end in the future"));
            }
            Some(crate::time::format(ts))
        }
        (CitizenAction::Mute, None) => return Err(invalid("until", "a mute needs an end time")),
        _ => None,
    };
    let current: CitizenStatus = conn
        .prepare_cached("SELECT status FROM citizens WHERE id = ?1")?
        .query_row([citizen_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found("citizen", citizen_id))?;
    check_seen("citizen", citizen_id, seen, current)?;
    if !action.can_start_from(current) {
        return Err(illegal(
            "citizen",
            citizen_id,
            action,
            current,
            action.allowed_from(),
        ));
    }
    let target = action.target();
    conn.prepare_cached(
        "UPDATE citizens SET status = ?2, muted_until = ?3, version = version + 1 WHERE id = ?1",
    )?
    .execute(params![citizen_id, target, until])?;
    Ok(Change {
        entity: "citizen",
        entity_id: citizen_id.to_owned(),
        extra: Value::Null,
    })
}

fn lock_thread(
    conn: &dyn Sql,
    actor: &Actor,
    thread_id: &str,
    seen: bool,
    locked: bool,
    reason: &Option<String>,
) -> Result<Change, OpError> {
    let name = if locked {
        "thread.lock"
    } else {
        "thread.unlock"
    };
    require(actor, Permission::LockThread, name)?;
    require_reason(locked, reason, name)?;
    let current: bool = conn
        .prepare_cached("SELECT locked FROM forum_threads WHERE id = ?1")?
        .query_row([thread_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found("forum_thread", thread_id))?;
    let word = |l: bool| if l { "locked" } else { "unlocked" };
    check_seen("forum_thread", thread_id, word(seen), word(current))?;
    if current == locked {
        return Err(illegal(
            "forum_thread",
            thread_id,
            name,
            word(current),
            &[word(!locked)],
        ));
    }
    conn.prepare_cached("UPDATE forum_threads SET locked = ?2 WHERE id = ?1")?
        .execute(params![thread_id, locked])?;
    Ok(Change {
        entity: "forum_thread",
        entity_id: thread_id.to_owned(),
        extra: Value::Null,
    })
}

fn opt_out_contact(
    conn: &dyn Sql,
    actor: &Actor,
    phone: &str,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.opt_out")?;
    let found: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT id, opted_out_at FROM sms_contacts WHERE phone_e164 = ?1")?
        .query_row([phone], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, opted_out) = found.ok_or_else(|| not_found("sms_contact", phone))?;
    if opted_out.is_none() {
        conn.prepare_cached("UPDATE sms_contacts SET opted_out_at = ?2 WHERE id = ?1")?
            .execute(params![id, meta.at])?;
    }
    Ok(Change {
        entity: "sms_contact",
        entity_id: id,
        extra: json!({"phone_e164": phone, "already": opted_out.is_some()}),
    })
}

/// Back on the list, with consent: never without saying who agreed and
/// how (the reason), and the hub forgets the number's STOP.
fn opt_in_contact(
    conn: &dyn Sql,
    actor: &Actor,
    phone: &str,
    reason: &Option<String>,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.opt_in")?;
    require_reason(true, reason, "sms.opt_in")?;
    let found: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT id, opted_out_at FROM sms_contacts WHERE phone_e164 = ?1")?
        .query_row([phone], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, opted_out) = found.ok_or_else(|| not_found("sms_contact", phone))?;
    if opted_out.is_none() {
        return Err(illegal(
            "sms_contact",
            &id,
            "sms.opt_in",
            "subscribed",
            &["opted out"],
        ));
    }
    conn.prepare_cached("UPDATE sms_contacts SET opted_out_at = NULL WHERE id = ?1")?
        .execute([&id])?;
    conn.prepare_cached("DELETE FROM sms_suppressions WHERE phone_e164 = ?1")?
        .execute([phone])?;
    Ok(Change {
        entity: "sms_contact",
        entity_id: id,
        extra: json!({"phone_e164": phone, "consent": reason}),
    })
}

fn create_group(conn: &dyn Sql, actor: &Actor, group: &super::NewGroup) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.group")?;
    check_id("group.id", &group.id)?;
    let name = group.name.trim();
    non_empty("name", name)?;
    plain_detail("name", name)?;
    if let Some(d) = &group.description {
        plain_detail("description", d)?;
    }
    let taken: bool = conn
        .prepare_cached("SELECT 1 FROM sms_groups WHERE name = ?1 COLLATE NOCASE")?
        .exists([name])?;
    if taken {
        return Err(OpError::Taken {
            what: "sms_group",
            name: name.to_owned(),
        });
    }
    not_an_id(name)?;
    let rule = match &group.rule {
        Some(rule) => Some(checked_rule(rule)?),
        None => None,
    };
    let part = |f: fn(&crate::store::audience::Rule) -> &Option<String>| {
        rule.as_ref().and_then(|r| f(r).clone())
    };
    conn.prepare_cached(
        "INSERT INTO sms_groups (id, name, description, rule_region, rule_commune, rule_org_kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        group.id,
        name,
        group.description,
        part(|r| &r.region),
        part(|r| &r.commune),
        part(|r| &r.org_kind)
    ])?;
    Ok(Change {
        entity: "sms_group",
        entity_id: group.id.clone(),
        extra: json!({"name": name}),
    })
}

/// A contact's region and commune keys, from the values it has now (a
/// dynamic group finds its contacts by them).
fn place_keys(conn: &dyn Sql, contact_id: &str) -> Result<(), OpError> {
    let (region, commune): (Option<String>, Option<String>) = conn
        .prepare_cached("SELECT region, commune FROM sms_contacts WHERE id = ?1")?
        .query_row([contact_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    use crate::domain::places::{Level, stored_key};
    conn.prepare_cached("UPDATE sms_contacts SET region_key = ?2, commune_key = ?3 WHERE id = ?1")?
        .execute(params![
            contact_id,
            region.map(|v| stored_key(Level::Region, &v)),
            commune.map(|v| stored_key(Level::Commune, &v))
        ])?;
    Ok(())
}

/// A dynamic group's rule as stored: places by their names in the list of
/// communes, an organisation kind by its code; a rule with no part would
/// mean "everyone" and is refused.
fn checked_rule(
    rule: &crate::store::audience::Rule,
) -> Result<crate::store::audience::Rule, OpError> {
    use crate::domain::places::{Level, Resolved, resolve};
    let place = |field: &'static str, level: Level, typed: &Option<String>| match typed {
        None => Ok(None),
        Some(t) => match resolve(level, t) {
            Resolved::Known(name) => Ok(Some(name)),
            _ => Err(invalid(
                field,
                format!("{} is not in the list of places", quoted(t)),
            )),
        },
    };
    let checked = crate::store::audience::Rule {
        region: place("rule.region", Level::Region, &rule.region)?,
        commune: place("rule.commune", Level::Commune, &rule.commune)?,
        org_kind: match rule.org_kind.as_deref() {
            None => None,
            Some(k @ ("commune" | "region" | "osc")) => Some(k.to_owned()),
            Some(k) => {
                return Err(invalid(
                    "rule.org_kind",
                    format!(
                        "{} is not an organisation kind (commune, region, osc)",
                        quoted(k)
                    ),
                ));
            }
        },
    };
    if let (Some(region), Some(commune)) = (&checked.region, &checked.commune)
        && crate::domain::places::commune_home(commune).map(|(r, _)| r) != Some(region.clone())
    {
        return Err(OpError::RuleNeverMatches {
            commune: commune.clone(),
            region: region.clone(),
        });
    }
    if checked.is_empty() {
        return Err(invalid(
            "rule",
            "a dynamic group needs a region, a commune or an organisation kind".to_owned(),
        ));
    }
    Ok(checked)
}

/// A group named like an id would be found by that id instead.
fn not_an_id(name: &str) -> Result<(), OpError> {
    if uuid::Uuid::parse_str(name).is_ok() {
        return Err(OpError::LooksLikeId {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Refuses to add or take out members by hand in a dynamic group.
fn not_dynamic(conn: &dyn Sql, group_id: &str) -> Result<(), OpError> {
    match crate::store::audience::rule_of(conn, group_id)? {
        None => Err(not_found("sms_group", group_id)),
        Some(Some(_)) => Err(OpError::Dynamic {
            name: group_state(conn, group_id)?.0,
        }),
        Some(None) => Ok(()),
    }
}

/// A group that takes members: a group of members (not a dynamic group)
/// still in use (not archived, which is never sent to again).
pub fn takes_members(conn: &dyn Sql, group_id: &str) -> Result<(), OpError> {
    not_dynamic(conn, group_id)?;
    let (name, archived) = group_state(conn, group_id)?;
    if archived.is_some() {
        return Err(OpError::Archived { name });
    }
    Ok(())
}

fn group_state(conn: &dyn Sql, id: &str) -> Result<(String, Option<String>), OpError> {
    conn.prepare_cached("SELECT name, archived_at FROM sms_groups WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| not_found("sms_group", id))
}

fn rename_group(
    conn: &dyn Sql,
    actor: &Actor,
    id: &str,
    seen: &str,
    name: &str,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.group_rename")?;
    let (current, _) = group_state(conn, id)?;
    check_seen("sms_group", id, seen, current.as_str())?;
    let name = name.trim();
    non_empty("name", name)?;
    plain_detail("name", name)?;
    let taken: bool = conn
        .prepare_cached("SELECT 1 FROM sms_groups WHERE name = ?1 COLLATE NOCASE AND id <> ?2")?
        .exists([name, id])?;
    if taken {
        return Err(OpError::Taken {
            what: "sms_group",
            name: name.to_owned(),
        });
    }
    not_an_id(name)?;
    conn.prepare_cached("UPDATE sms_groups SET name = ?2 WHERE id = ?1")?
        .execute([id, name])?;
    Ok(Change {
        entity: "sms_group",
        entity_id: id.to_owned(),
        extra: json!({"before": current, "name": name}),
    })
}

fn archive_group(
    conn: &dyn Sql,
    actor: &Actor,
    id: &str,
    archived: bool,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = if archived {
        "sms.group_archive"
    } else {
        "sms.group_unarchive"
    };
    require(actor, Permission::ManageContacts, name)?;
    let (_, current) = group_state(conn, id)?;
    if current.is_some() == archived {
        let word = |a: bool| if a { "archived" } else { "in use" };
        return Err(illegal(
            "sms_group",
            id,
            name,
            word(archived),
            &[word(!archived)],
        ));
    }
    conn.prepare_cached("UPDATE sms_groups SET archived_at = ?2 WHERE id = ?1")?
        .execute(params![id, archived.then_some(meta.at.as_str())])?;
    Ok(Change {
        entity: "sms_group",
        entity_id: id.to_owned(),
        extra: Value::Null,
    })
}

/// A contact's name or commune corrected: each as its author saw it (a
/// change made meanwhile is stale); a commune from the list, its region
/// following it; the old values in the audit log.
fn edit_contact(
    conn: &dyn Sql,
    actor: &Actor,
    id: &str,
    changes: &[super::FieldEdit],
) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.contact_edit")?;
    if changes.is_empty() {
        return Err(invalid("changes", "nothing to correct"));
    }
    let current = snapshot(conn, "sms_contact", id)?.ok_or_else(|| not_found("sms_contact", id))?;
    let mut seen_fields = std::collections::HashSet::new();
    for c in changes {
        let field = match c.field.as_str() {
            "name" => "name",
            "commune" => "commune",
            other => {
                return Err(invalid(
                    "changes.field",
                    format!(
                        "\"{}\" cannot be corrected (only name, commune)",
                        crate::text::truncate(&crate::text::inline(other), 40)
                    ),
                ));
            }
        };
        if !seen_fields.insert(field) {
            return Err(invalid("changes.field", format!("{field} given twice")));
        }
        let now = current.get(field).and_then(Value::as_str);
        if now != c.seen.as_deref() {
            return Err(OpError::Stale {
                entity: "sms_contact",
                id: id.to_owned(),
                seen: format!("{field} = {}", c.seen.as_deref().unwrap_or("—")),
                current: format!("{field} = {}", now.unwrap_or("—")),
            });
        }
        let new = c.new.as_deref().map(str::trim).filter(|v| !v.is_empty());
        match (field, new) {
            ("name", Some(v)) => {
                plain_detail("name", v)?;
                conn.prepare_cached("UPDATE sms_contacts SET name = ?2 WHERE id = ?1")?
                    .execute(params![id, v])?;
            }
            ("name", None) => {
                conn.prepare_cached("UPDATE sms_contacts SET name = NULL WHERE id = ?1")?
                    .execute([id])?;
            }
            (_, Some(v)) => {
                let home = match crate::domain::places::resolve(
                    crate::domain::places::Level::Commune,
                    v,
                ) {
                    crate::domain::places::Resolved::Known(name) => {
                        crate::domain::places::commune_home(&name).map(|(r, _)| (name, r))
                    }
                    _ => None,
                };
                let (commune, region) = home.ok_or_else(|| OpError::UnknownCommune {
                    typed: crate::text::truncate(&crate::text::inline(v), 40),
                })?;
                conn.prepare_cached(
                    "UPDATE sms_contacts SET commune = ?2, region = ?3 WHERE id = ?1",
                )?
                .execute(params![id, commune, region])?;
            }
            (_, None) => {
                conn.prepare_cached("UPDATE sms_contacts SET commune = NULL WHERE id = ?1")?
                    .execute([id])?;
            }
        }
    }
    place_keys(conn, id)?;
    Ok(Change {
        entity: "sms_contact",
        entity_id: id.to_owned(),
        extra: Value::Null,
    })
}

fn remove_member(
    conn: &dyn Sql,
    actor: &Actor,
    group_id: &str,
    contact_id: &str,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.group_remove")?;
    not_dynamic(conn, group_id)?;
    let removed = conn
        .prepare_cached("DELETE FROM sms_group_members WHERE group_id = ?1 AND contact_id = ?2")?
        .execute([group_id, contact_id])?;
    if removed == 0 {
        return Err(not_found(
            "sms_group_member",
            &format!("{group_id}/{contact_id}"),
        ));
    }
    Ok(Change {
        entity: "sms_group_member",
        entity_id: format!("{group_id}/{contact_id}"),
        extra: json!({"group": group_id, "contact": contact_id}),
    })
}

fn add_contact(
    conn: &dyn Sql,
    actor: &Actor,
    c: &super::NewContact,
    group_id: Option<&str>,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageContacts, "sms.contact")?;
    // The group first: a refused op writes nothing. No one adds to a group
    // their replica knows archived; at the hub, an op made before its
    // replica learned of the archive lands whole (the contact kept, as
    // typed offline; an archived group is never sent to, so its new member
    // reaches no one).
    if let Some(group) = group_id {
        match takes_members(conn, group) {
            Err(OpError::Archived { .. }) if is_hub(conn)? => {}
            checked => checked?,
        }
    }
    if !crate::sms::phone::is_e164(&c.phone_e164) {
        return Err(invalid(
            "contact.phone_e164",
            format!(
                "{} is not an E.164 number (+ and 8 to 15 digits)",
                quoted(&c.phone_e164)
            ),
        ));
    }
    let existing: Option<String> = conn
        .prepare_cached("SELECT id FROM sms_contacts WHERE phone_e164 = ?1")?
        .query_row([&c.phone_e164], |r| r.get(0))
        .optional()?;
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let id = match existing {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE sms_contacts SET name = COALESCE(?2, name), region = COALESCE(?3, region),
                   commune = COALESCE(?4, commune) WHERE id = ?1",
            )?
            .execute(params![
                id,
                clean(&c.name),
                clean(&c.region),
                clean(&c.commune)
            ])?;
            id
        }
        None => {
            let id = crate::sms::phone::contact_id(&c.phone_e164);
            conn.prepare_cached(
                "INSERT INTO sms_contacts (id, phone_e164, name, region, commune) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                id,
                c.phone_e164,
                clean(&c.name),
                clean(&c.region),
                clean(&c.commune)
            ])?;
            id
        }
    };
    place_keys(conn, &id)?;
    // A number that said STOP (before it was a contact, or before it was
    // removed) stays opted out whoever adds it again.
    let suppressed: Option<String> = conn
        .prepare_cached("SELECT at FROM sms_suppressions WHERE phone_e164 = ?1")?
        .query_row([&c.phone_e164], |r| r.get(0))
        .optional()?;
    if let Some(at) = &suppressed {
        conn.prepare_cached(
            "UPDATE sms_contacts SET opted_out_at = ?2 WHERE id = ?1 AND opted_out_at IS NULL",
        )?
        .execute(params![id, at])?;
    }
    let mut extra = json!({"phone_e164": c.phone_e164});
    if suppressed.is_some() {
        extra["suppressed"] = json!(true);
    }
    if let Some(group) = group_id {
        conn.prepare_cached(
            "INSERT INTO sms_group_members (group_id, contact_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![group, id])?;
        extra["group_id"] = json!(group);
        extra["member"] = json!(format!("{group}/{id}"));
    }
    Ok(Change {
        entity: "sms_contact",
        entity_id: id,
        extra,
    })
}

fn queue_sms(conn: &dyn Sql, actor: &Actor, m: &NewSms, meta: &OpMeta) -> Result<Change, OpError> {
    require(actor, Permission::QueueSms, "sms.queue")?;
    check_id("message.id", &m.id)?;
    non_empty("message.body", &m.body)?;
    // What reaches people's phones: lines of plain text (no control,
    // bidi or invisible character), as typed.
    if let Some((at, c)) = crate::text::first_unplain_prose(&m.body.replace('\n', " ")) {
        return Err(OpError::Unplain {
            field: "message.body",
            code: c as u32,
            position: at + 1,
        });
    }
    let scheduled = match m.scheduled_at.as_deref() {
        Some(s) => Some(crate::time::format(s.parse::<jiff::Timestamp>().map_err(
            |_| {
                invalid(
                    "scheduled_at",
                    format!("{} is not an RFC 3339 time", quoted(s)),
                )
            },
        )?)),
        None => None,
    };
    let (group_name, archived) = group_state(conn, &m.group_id)?;
    if archived.is_some() {
        return Err(OpError::Archived { name: group_name });
    }
    let audience = match &m.retry_of {
        None => crate::store::audience::Audience::of_group(conn, &m.group_id)?
            .ok_or_else(|| not_found("sms_group", &m.group_id))?,
        Some(earlier) => {
            // A resend goes to the same group's failed numbers, once the
            // earlier message is done sending.
            let (group, status): (String, SmsStatus) = conn
                .prepare_cached("SELECT group_id, status FROM sms_messages WHERE id = ?1")?
                .query_row([earlier], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| not_found("sms_message", earlier))?;
            if group != m.group_id {
                return Err(invalid(
                    "message.retry_of",
                    format!("sms_message {earlier} went to another group"),
                ));
            }
            if !matches!(status, SmsStatus::Sent | SmsStatus::Failed) {
                return Err(illegal(
                    "sms_message",
                    earlier,
                    "resend",
                    status,
                    &[SmsStatus::Sent, SmsStatus::Failed],
                ));
            }
            // Once: a second resend of the same message would reach the
            // same people again. The resend itself may be resent.
            let resent: Option<String> = conn
                .prepare_cached(
                    "SELECT id FROM sms_messages WHERE retry_of = ?1 AND status <> 'cancelled' LIMIT 1",
                )?
                .query_row([earlier], |r| r.get(0))
                .optional()?;
            if let Some(resend) = resent {
                return Err(OpError::AlreadyResent {
                    id: earlier.clone(),
                    resend,
                });
            }
            crate::store::audience::Audience::Failed {
                message_id: earlier.clone(),
            }
        }
    };
    let recipients = audience.count(conn)?;
    if m.retry_of.is_none() && recipients == 0 {
        return Err(OpError::NoRecipients {
            name: group_state(conn, &m.group_id)?.0,
        });
    }
    if let (Some(earlier), 0) = (&m.retry_of, recipients) {
        return Err(OpError::NothingToResend {
            id: earlier.clone(),
        });
    }
    let count = crate::sms::segments::count(&m.body);
    if i64::from(count.segments) > crate::domain::sms::MAX_SEGMENTS {
        return Err(invalid(
            "message.body",
            format!(
                "{} segments (at most {}: {} GSM-7 or {} UCS-2 characters)",
                count.segments,
                crate::domain::sms::MAX_SEGMENTS,
                crate::domain::sms::MAX_SEGMENTS * 153,
                crate::domain::sms::MAX_SEGMENTS * 67
            ),
        ));
    }
    // Every alert, and any message to more people than the threshold, waits
    // for an admin's approval (never the author's); a small notice goes as is.
    let threshold: i64 = crate::store::sql::state(conn, "sms_approval_threshold")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::domain::sms::APPROVAL_THRESHOLD);
    let needs_approval = m.kind == crate::domain::sms::SmsKind::Alert || recipients > threshold;
    let status = if needs_approval { "queued" } else { "approved" };
    let inserted = conn
        .prepare_cached(
            "INSERT INTO sms_messages (id, group_id, kind, body, encoding, segments, recipients, scheduled_at,
                status, created_by, created_at, retry_of)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?11, ?9, ?10, ?12) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            m.id,
            m.group_id,
            m.kind,
            m.body,
            count.encoding.as_str(),
            count.segments,
            recipients,
            scheduled,
            actor.login,
            meta.at,
            status,
            m.retry_of
        ])?;
    if inserted == 0 {
        return Err(invalid(
            "message.id",
            format!("sms_message {} already exists", m.id),
        ));
    }
    Ok(Change {
        entity: "sms_message",
        entity_id: m.id.clone(),
        extra: json!({"kind": m.kind, "segments": count.segments, "recipients": recipients}),
    })
}

fn sms_status(conn: &dyn Sql, id: &str) -> Result<(SmsStatus, String), OpError> {
    conn.prepare_cached("SELECT status, created_by FROM sms_messages WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| not_found("sms_message", id))
}

fn approve_sms(
    conn: &dyn Sql,
    actor: &Actor,
    id: &str,
    seen: SmsStatus,
    seen_recipients: Option<i64>,
) -> Result<Change, OpError> {
    require(actor, Permission::ApproveSms, "sms.approve")?;
    let (current, author) = sms_status(conn, id)?;
    check_seen("sms_message", id, seen, current)?;
    if !current.can_approve() {
        return Err(illegal(
            "sms_message",
            id,
            "approve",
            current,
            &[SmsStatus::Queued],
        ));
    }
    if author == actor.login {
        return Err(OpError::OwnMessage { id: id.to_owned() });
    }
    // The approval is for the audience its author saw (or, from an older
    // client, the one here now), at most: fixed with it, so a group that is
    // or grows larger before the send needs a new approval (see dispatch).
    let here = match crate::store::audience::Audience::of_message(conn, id)? {
        Some(audience) => audience.count(conn)?,
        None => return Err(not_found("sms_message", id)),
    };
    let approved_for = seen_recipients.map_or(here, |seen| seen.max(0).min(here));
    conn.prepare_cached(
        "UPDATE sms_messages SET status = 'approved', approved_by = ?2, version = version + 1,
           recipients = ?3 WHERE id = ?1",
    )?
    .execute(params![id, actor.login, approved_for])?;
    Ok(Change {
        entity: "sms_message",
        entity_id: id.to_owned(),
        extra: Value::Null,
    })
}

fn cancel_sms(
    conn: &dyn Sql,
    actor: &Actor,
    id: &str,
    seen: SmsStatus,
    reason: &Option<String>,
) -> Result<Change, OpError> {
    let (current, author) = sms_status(conn, id)?;
    if author != actor.login {
        require(
            actor,
            Permission::CancelAnySms,
            "sms.cancel (another person's message)",
        )?;
    }
    require_reason(true, reason, "sms.cancel")?;
    check_seen("sms_message", id, seen, current)?;
    if !current.can_cancel() {
        return Err(illegal(
            "sms_message",
            id,
            "cancel",
            current,
            &[SmsStatus::Draft, SmsStatus::Queued, SmsStatus::Approved],
        ));
    }
    conn.prepare_cached(
        "UPDATE sms_messages SET status = 'cancelled', version = version + 1 WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(Change {
        entity: "sms_message",
        entity_id: id.to_owned(),
        extra: Value::Null,
    })
}

/// The record an earlier op changed, from its audit row.
/// A detail as typed, checked: one line of plain text, not too long.
fn plain_detail(field: &'static str, value: &str) -> Result<(), OpError> {
    plain(field, value, super::MAX_DETAIL)
}

fn edit_organization(
    conn: &dyn Sql,
    actor: &Actor,
    org_id: &str,
    changes: &[super::FieldEdit],
    meta: &OpMeta,
) -> Result<Change, OpError> {
    require(actor, Permission::AdvanceEnrollment, "enrollment.edit")?;
    if changes.is_empty() {
        return Err(invalid("changes", "nothing to correct"));
    }
    let mut seen_fields = std::collections::HashSet::new();
    let mut sets = Vec::new();
    let mut values: Vec<rusqlite::types::Value> =
        vec![rusqlite::types::Value::Text(org_id.to_owned())];
    let current = row_json_or_missing(conn, org_id)?;
    for c in changes {
        let field = *super::EDITABLE
            .iter()
            .find(|f| **f == c.field)
            .ok_or_else(|| {
                invalid(
                    "changes.field",
                    format!(
                        "\"{}\" cannot be corrected (only {})",
                        crate::text::truncate(&crate::text::inline(&c.field), 40),
                        super::EDITABLE.join(", ")
                    ),
                )
            })?;
        if !seen_fields.insert(field) {
            return Err(invalid("changes.field", format!("{field} given twice")));
        }
        let new = c.new.as_deref().map(str::trim).filter(|v| !v.is_empty());
        if let Some(v) = new {
            plain_detail("changes.new", v)?;
        }
        match (field, new) {
            ("name", None) => return Err(invalid("name", "an organisation needs a name")),
            ("phone", Some(p)) => check_phone(p)?,
            ("email", Some(e)) if !e.contains('@') || e.contains(char::is_whitespace) => {
                return Err(invalid(
                    "email",
                    format!("{} is not an e-mail address", quoted(e)),
                ));
            }
            _ => {}
        }
        let now = current.get(field).and_then(Value::as_str);
        if now != c.seen.as_deref() {
            return Err(OpError::Stale {
                entity: "organization",
                id: org_id.to_owned(),
                seen: format!("{field} = {}", c.seen.as_deref().unwrap_or("—")),
                current: format!("{field} = {}", now.unwrap_or("—")),
            });
        }
        values.push(match new {
            Some(v) => rusqlite::types::Value::Text(v.to_owned()),
            None => rusqlite::types::Value::Null,
        });
        sets.push(format!("{field} = ?{}", values.len()));
        if field == "name"
            && let Some(v) = new
        {
            values.push(rusqlite::types::Value::Text(normalise_name(v)));
            sets.push(format!("name_key = ?{}", values.len()));
        }
    }
    values.push(rusqlite::types::Value::Text(meta.at.clone()));
    sets.push(format!("updated_at = ?{}", values.len()));
    conn.prepare_cached(&format!(
        "UPDATE organizations SET {}, version = version + 1 WHERE id = ?1",
        sets.join(", ")
    ))?
    .execute(values)?;
    Ok(Change {
        entity: "organization",
        entity_id: org_id.to_owned(),
        extra: Value::Null,
    })
}

/// An organisation's tracked columns, or "not found".
fn row_json_or_missing(conn: &dyn Sql, org_id: &str) -> Result<Value, OpError> {
    snapshot(conn, "organization", org_id)?.ok_or_else(|| not_found("organization", org_id))
}

fn add_leader(
    conn: &dyn Sql,
    actor: &Actor,
    leader: &super::NewLeader,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    require(actor, Permission::AdvanceEnrollment, "enrollment.leader")?;
    check_id("leader.id", &leader.id)?;
    row_json_or_missing(conn, &leader.org_id)?;
    let name = leader.name.trim();
    non_empty("leader.name", name)?;
    plain_detail("leader.name", name)?;
    let role = leader
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(r) = role {
        plain_detail("leader.role", r)?;
    }
    let phone = leader
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(p) = phone {
        check_phone(p)?;
    }
    conn.prepare_cached(
        "INSERT INTO org_leaders (id, org_id, name, role, phone, recorded_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        leader.id,
        leader.org_id,
        name,
        role,
        phone,
        actor.login,
        meta.at
    ])?;
    Ok(Change {
        entity: "org_leader",
        entity_id: leader.id.clone(),
        extra: json!({"org": leader.org_id, "name": name, "role": role, "phone": phone}),
    })
}

/// Logins the hub keeps for itself: its own decisions and its operator's.
pub const RESERVED_LOGINS: [&str; 2] = ["system", "hub"];

/// The last change of a staff row: replicas read it into their Journal.
fn stamp_staff(
    conn: &dyn Sql,
    id: &str,
    actor: &Actor,
    op: &str,
    meta: &OpMeta,
) -> Result<(), OpError> {
    conn.prepare_cached(
        "UPDATE staff SET change_id = ?2, change = ?3, changed_by = ?4, changed_at = ?5 WHERE id = ?1",
    )?
    .execute(params![id, meta.op_id, op, actor.login, meta.at])?;
    Ok(())
}

fn add_staff(
    conn: &dyn Sql,
    actor: &Actor,
    staff: &super::NewStaff,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageStaff, "staff.add")?;
    check_id("staff.id", &staff.id)?;
    let login = staff.login.trim();
    if login.is_empty()
        || login.chars().count() > 64
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(OpError::BadLogin {
            login: crate::text::truncate(&crate::text::inline(login), 40),
            reserved: false,
        });
    }
    if RESERVED_LOGINS.contains(&login.to_ascii_lowercase().as_str()) {
        return Err(OpError::BadLogin {
            login: login.to_owned(),
            reserved: true,
        });
    }
    let name = staff.display_name.trim();
    non_empty("name", name)?;
    plain_detail("name", name)?;
    // AWA.KABORE beside awa.kabore would be someone else in every list.
    let taken: bool = conn
        .prepare_cached("SELECT 1 FROM staff WHERE login = ?1 COLLATE NOCASE")?
        .exists([login])?;
    if taken {
        return Err(OpError::Taken {
            what: "staff",
            name: login.to_owned(),
        });
    }
    conn.prepare_cached(
        "INSERT INTO staff (id, login, display_name, role, active) VALUES (?1, ?2, ?3, ?4, 1)",
    )?
    .execute(params![staff.id, login, name, staff.role])?;
    stamp_staff(conn, &staff.id, actor, "staff.add", meta)?;
    Ok(Change {
        entity: "staff",
        entity_id: staff.id.clone(),
        extra: json!({"login": login, "name": name, "role": staff.role}),
    })
}

/// Active admins other than `staff_id`: a change that would leave none is refused.
fn other_admins(conn: &dyn Sql, staff_id: &str) -> Result<i64, OpError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM staff WHERE role = 'admin' AND active = 1 AND id <> ?1",
        )?
        .query_row([staff_id], |r| r.get(0))?)
}

fn staff_state(conn: &dyn Sql, staff_id: &str) -> Result<(Role, bool), OpError> {
    conn.prepare_cached("SELECT role, active FROM staff WHERE id = ?1")?
        .query_row([staff_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| not_found("staff", staff_id))
}

/// An admin never changes their own role or switches themselves off: a slip
/// of the cursor would lock them out; another admin does it.
fn own_account(actor: &Actor, staff_id: &str, action: &str) -> Result<(), OpError> {
    if actor.staff_id == staff_id {
        return Err(OpError::OwnAccount {
            action: action.to_owned(),
        });
    }
    Ok(())
}

fn set_staff_role(
    conn: &dyn Sql,
    actor: &Actor,
    staff_id: &str,
    seen: Role,
    role: Role,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    require(actor, Permission::ManageStaff, "staff.set_role")?;
    own_account(actor, staff_id, "staff.set_role")?;
    let (current, active) = staff_state(conn, staff_id)?;
    check_seen("staff", staff_id, seen, current)?;
    if current == role {
        return Err(illegal(
            "staff",
            staff_id,
            "set_role",
            current,
            &["another role"],
        ));
    }
    if current == Role::Admin && active && other_admins(conn, staff_id)? == 0 {
        return Err(invalid(
            "role",
            "the last active admin keeps the role: make someone else admin first",
        ));
    }
    conn.prepare_cached("UPDATE staff SET role = ?2 WHERE id = ?1")?
        .execute(params![staff_id, role])?;
    stamp_staff(conn, staff_id, actor, "staff.set_role", meta)?;
    Ok(Change {
        entity: "staff",
        entity_id: staff_id.to_owned(),
        extra: Value::Null,
    })
}

#[allow(clippy::too_many_arguments)]
fn set_staff_active(
    conn: &dyn Sql,
    actor: &Actor,
    staff_id: &str,
    seen: bool,
    active: bool,
    reason: &Option<String>,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = if active {
        "staff.reactivate"
    } else {
        "staff.deactivate"
    };
    require(actor, Permission::ManageStaff, name)?;
    own_account(actor, staff_id, name)?;
    require_reason(!active, reason, name)?;
    let (role, current) = staff_state(conn, staff_id)?;
    let word = |a: bool| if a { "active" } else { "inactive" };
    check_seen("staff", staff_id, word(seen), word(current))?;
    if current == active {
        return Err(illegal(
            "staff",
            staff_id,
            name,
            word(current),
            &[word(!active)],
        ));
    }
    if !active && role == Role::Admin && other_admins(conn, staff_id)? == 0 {
        return Err(invalid(
            "staff",
            "the last active admin cannot be switched off: make someone else admin first",
        ));
    }
    conn.prepare_cached("UPDATE staff SET active = ?2 WHERE id = ?1")?
        .execute(params![staff_id, active])?;
    // Someone who left signs nothing more, from any device, at once.
    let revoked = if active {
        0
    } else {
        conn.prepare_cached(
            "UPDATE devices SET revoked_at = ?2 WHERE staff_id = ?1 AND revoked_at IS NULL",
        )?
        .execute(params![staff_id, meta.at])?
    };
    stamp_staff(conn, staff_id, actor, name, meta)?;
    Ok(Change {
        entity: "staff",
        entity_id: staff_id.to_owned(),
        extra: json!({"revoked_devices": revoked}),
    })
}

/// The kind of a record staff note or claim, checked: one of the kinds
/// they apply to, the record there, and the actor allowed to work on it.
fn worked_record(
    conn: &dyn Sql,
    actor: &Actor,
    entity: &str,
    id: &str,
    action: &str,
) -> Result<&'static str, OpError> {
    let kind = Entity::parse(entity)
        .filter(|e| Entity::NOTED.contains(e))
        .ok_or_else(|| {
            invalid(
                "entity",
                format!(
                    "\"{}\" is not a post, citizen, organisation or upload",
                    crate::text::truncate(&crate::text::inline(entity), 40)
                ),
            )
        })?;
    check_id("entity_id", id)?;
    if let Some(p) = kind.worked_by() {
        require(actor, p, action)?;
    }
    let found: Option<i64> = conn
        .prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", kind.table()))?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if found.is_none() {
        return Err(not_found(kind.name(), id));
    }
    Ok(kind.name())
}

fn add_note(
    conn: &dyn Sql,
    actor: &Actor,
    note: &super::NewNote,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    check_id("id", &note.id)?;
    let entity = worked_record(conn, actor, &note.entity, &note.entity_id, "note.add")?;
    let body = note.body.trim();
    non_empty("body", body)?;
    plain("body", body, super::MAX_NOTE)?;
    conn.prepare_cached(
        "INSERT INTO notes (id, entity, entity_id, body, author, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![note.id, entity, note.entity_id, body, actor.login, meta.at])?;
    Ok(Change {
        entity: "note",
        entity_id: note.id.clone(),
        extra: json!({"on": entity, "record": note.entity_id, "body": body}),
    })
}

#[allow(clippy::too_many_arguments)]
fn claim_record(
    conn: &dyn Sql,
    actor: &Actor,
    entity: &str,
    id: &str,
    seen_by: Option<&str>,
    take: bool,
    meta: &OpMeta,
) -> Result<Change, OpError> {
    let name = if take { "claim.take" } else { "claim.release" };
    let entity = worked_record(conn, actor, entity, id, name)?;
    let current: Option<String> = conn
        .prepare_cached("SELECT login FROM claims WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten();
    let shown = |who: Option<&str>| who.unwrap_or("nobody").to_owned();
    // Someone took it (or handed it back) since its author looked.
    if current.as_deref() != seen_by {
        return Err(OpError::Stale {
            entity: "claim",
            id: id.to_owned(),
            seen: shown(seen_by),
            current: shown(current.as_deref()),
        });
    }
    match (take, current.as_deref()) {
        (true, Some(me)) if me == actor.login => {
            return Err(invalid("claim", format!("{id} is already yours")));
        }
        (false, None) => return Err(invalid("claim", format!("{id} is in nobody's hands"))),
        // Handing back a colleague's claim is an admin's (they left, fell ill).
        (false, Some(who))
            if who != actor.login && actor.role != crate::domain::staff::Role::Admin =>
        {
            return Err(OpError::Forbidden {
                role: actor.role,
                action: format!("release {who}'s claim"),
            });
        }
        _ => {}
    }
    conn.prepare_cached(
        "INSERT INTO claims (id, entity, login, claimed_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET login = excluded.login, claimed_at = excluded.claimed_at",
    )?
    .execute(params![
        id,
        entity,
        take.then_some(actor.login.as_str()),
        meta.at
    ])?;
    Ok(Change {
        entity: "claim",
        entity_id: id.to_owned(),
        extra: json!({"on": entity}),
    })
}

/// The record (entity, id) the journal entry `op_id` changed.
pub fn undone_record(
    conn: &dyn Sql,
    op_id: &str,
) -> Result<Option<(String, String)>, crate::store::sql::DbError> {
    conn.prepare_cached("SELECT entity, entity_id FROM audit_log WHERE id = ?1")?
        .query_row([op_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Reverses one of the actor's own ops that has not left this replica: the
/// record's tracked columns go back to what they were before it, and the
/// flags it resolved are open again. Refused if anything changed the record
/// since (the undo would overwrite that), if the op was already pushed or
/// undone, or if it created the record.
fn undo(conn: &dyn Sql, actor: &Actor, op_id: &str, meta: &OpMeta) -> Result<Change, OpError> {
    let (entity, entity_id, action, who, detail): (String, String, String, String, String) = conn
        .prepare_cached(
            "SELECT entity, entity_id, action, actor, detail FROM audit_log WHERE id = ?1",
        )?
        .query_row([op_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?
        .ok_or_else(|| not_found("op", op_id))?;
    if who != actor.login {
        return Err(OpError::Forbidden {
            role: actor.role,
            action: format!("undo {who}'s {action}"),
        });
    }
    if action == "undo" {
        return Err(invalid(
            "op_id",
            "an undo cannot itself be undone; make a new decision instead",
        ));
    }
    if !is_hub(conn)? {
        let pushed: Option<(Option<String>, i64)> = conn
            .prepare_cached("SELECT pushed_at, seq FROM outbox WHERE op_id = ?1")?
            .query_row([op_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        // An op in a bundle exported for the hub may be applied there any
        // day; its undo, in a later bundle, would come too late (the hub
        // takes an undo within minutes of its op), and the decision would
        // stand: a new decision is what reverses it.
        let exported: i64 = crate::store::sql::state(conn, "bundle_exported_seq")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if let Some((None, seq)) = pushed
            && seq <= exported
        {
            return Err(invalid(
                "op_id",
                format!(
                    "{action} went in a bundle exported for the hub; make a new decision instead"
                ),
            ));
        }
        match pushed.map(|(p, _)| p) {
            None => {
                return Err(invalid(
                    "op_id",
                    format!("{action} was not made on this replica"),
                ));
            }
            Some(Some(_)) => {
                return Err(invalid(
                    "op_id",
                    format!("{action} is already synced; make a new decision instead"),
                ));
            }
            Some(None) => {}
        }
    }
    let already: bool = conn
        .prepare_cached(
            "SELECT 1 FROM audit_log WHERE entity = ?1 AND entity_id = ?2 AND action = 'undo'
             AND json_extract(detail, '$.after.undone') = ?3",
        )?
        .exists([&entity, &entity_id, op_id])?;
    if already {
        return Err(invalid("op_id", format!("{action} was already undone")));
    }
    let detail: Value =
        serde_json::from_str(&detail).map_err(|e| invalid("detail", e.to_string()))?;
    let (Some(before), Some(after)) = (detail["before"].as_object(), detail["after"].as_object())
    else {
        return Err(invalid(
            "op_id",
            format!("{action} created the record: reject or cancel it instead"),
        ));
    };
    let Some(e) = Entity::parse(&entity).filter(|e| !e.tracked().is_empty()) else {
        return Err(invalid("entity", format!("{entity} cannot be undone")));
    };
    let (entity_name, table) = (e.name(), e.table());
    // The columns the log kept: an entry written when fewer were tracked
    // puts back only those (never a NULL over a column it did not see).
    let columns: Vec<&str> = e
        .tracked()
        .iter()
        .copied()
        .filter(|c| before.contains_key(*c))
        .collect();
    let current = snapshot(conn, entity_name, &entity_id)?
        .ok_or_else(|| not_found(entity_name, &entity_id))?;
    for c in columns.iter() {
        if let Some(expected) = after.get(*c)
            && current.get(*c) != Some(expected)
        {
            return Err(OpError::Stale {
                entity: entity_name,
                id: entity_id.clone(),
                seen: format!("{c} = {expected}"),
                current: format!("{c} = {}", current.get(*c).unwrap_or(&Value::Null)),
            });
        }
    }
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 2))
        .collect();
    let bump = if table == "forum_threads" {
        ""
    } else {
        ", version = version + 1"
    };
    let stamp = if table == "organizations" {
        format!(", updated_at = ?{}", columns.len() + 2)
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE {table} SET {}{bump}{stamp} WHERE id = ?1",
        sets.join(", ")
    );
    let mut values: Vec<rusqlite::types::Value> =
        vec![rusqlite::types::Value::Text(entity_id.clone())];
    for c in columns.iter() {
        values.push(match before.get(*c) {
            Some(Value::String(t)) => rusqlite::types::Value::Text(t.clone()),
            Some(Value::Number(n)) => n.as_i64().map_or(
                rusqlite::types::Value::Null,
                rusqlite::types::Value::Integer,
            ),
            Some(Value::Bool(b)) => rusqlite::types::Value::Integer(i64::from(*b)),
            _ => rusqlite::types::Value::Null,
        });
    }
    if !stamp.is_empty() {
        values.push(rusqlite::types::Value::Text(meta.at.clone()));
    }
    conn.prepare_cached(&sql)?.execute(values)?;
    // A name put back keeps its duplicate-detection key in step.
    if table == "organizations"
        && let Some(Value::String(name)) = before.get("name")
    {
        conn.prepare_cached("UPDATE organizations SET name_key = ?2 WHERE id = ?1")?
            .execute(params![entity_id, normalise_name(name)])?;
    }
    if let Some(flags) = after.get("resolved_flags").and_then(Value::as_array) {
        let mut reopen =
            conn.prepare_cached("UPDATE forum_flags SET resolved = 0 WHERE id = ?1")?;
        for f in flags.iter().filter_map(Value::as_str) {
            reopen.execute([f])?;
        }
    }
    Ok(Change {
        entity: entity_name,
        entity_id,
        extra: json!({
            "undone": op_id,
            "undone_action": action,
            "reopened_flags": after.get("resolved_flags").cloned().unwrap_or(json!([])),
        }),
    })
}

/// Appends a record to the hub's change feed (pull order is `changes.seq`).
pub fn record_change(
    conn: &dyn Sql,
    entity: &str,
    id: &str,
) -> Result<(), crate::store::sql::DbError> {
    conn.prepare_cached("INSERT INTO changes (entity, entity_id) VALUES (?1, ?2)")?
        .execute_blind([entity, id])
}
