//! Ops: the one way anything changes. Every decision a person makes (in the
//! console, the batch CLI, or pushed to the hub) is an [`Op`], and [`apply`]
//! is the only code that writes domain tables for it: it checks the actor's
//! role and the op's precondition (what its author saw), writes the rows, one
//! `audit_log` row and, on a replica, one `outbox` row, all inside the caller's
//! transaction. Nothing here commits; the caller decides the batch boundary.

mod apply;
pub mod decisions;
pub mod forms;

pub use apply::{
    Applied, OpMeta, RESERVED_LOGINS, apply, apply_with, plain, record_change, snapshot,
    takes_members, undone_record,
};

use serde::{Deserialize, Serialize};

use crate::domain::enrollment::{EnrollmentAction, OrgKind, Stage};
use crate::domain::forum::{CitizenAction, CitizenStatus, PostAction, PostStatus};
use crate::domain::sms::{SmsKind, SmsStatus};
use crate::domain::staff::Role;
use crate::domain::uploads::{ReviewDecision, UploadStatus};

/// The longest reason an op may carry, in characters.
pub const MAX_REASON: usize = 2_000;

/// Version of the op wire format, carried in every stored or pushed op.
pub const OP_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Op {
    /// A new organisation applies (entered by field staff or from the platform).
    ApplyEnrollment {
        org: NewOrganization,
    },
    /// A step of the enrolment pipeline.
    SetEnrollmentStatus {
        org_id: String,
        seen_status: Stage,
        action: EnrollmentAction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Required for `record_charter`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charter: Option<Charter>,
    },
    ReviewUpload {
        upload_id: String,
        seen_status: UploadStatus,
        decision: ReviewDecision,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    ModeratePost {
        post_id: String,
        seen_status: PostStatus,
        action: PostAction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Closes a post's open flags without acting on the post.
    DismissFlags {
        post_id: String,
        /// The post's status as its author saw it ("keep it visible" means
        /// nothing once someone else hid it). Absent only in ops written
        /// before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen_status: Option<PostStatus>,
        seen_flag_count: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    SetCitizenStatus {
        citizen_id: String,
        seen_status: CitizenStatus,
        action: CitizenAction,
        /// End of a mute (RFC 3339), fixed by the author so every replica agrees.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    LockThread {
        thread_id: String,
        seen_locked: bool,
        locked: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    QueueSms {
        message: NewSms,
    },
    /// A contact asked to receive no more SMS (an inbound STOP, or staff on their behalf).
    OptOutContact {
        phone_e164: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A contact who said STOP asks to receive SMS again: their consent
    /// (who, how: "a rappelé", "SMS OUI") is the reason, required.
    OptInContact {
        phone_e164: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A new broadcast group.
    CreateGroup {
        group: NewGroup,
    },
    /// A group's new name (as its author saw the old one).
    RenameGroup {
        group_id: String,
        seen_name: String,
        name: String,
    },
    /// A group archived (kept for history, never sent to), or back in use.
    ArchiveGroup {
        group_id: String,
        archived: bool,
    },
    /// A contact's name or commune corrected (as its author saw them); the
    /// region follows the commune.
    EditContact {
        contact_id: String,
        changes: Vec<FieldEdit>,
    },
    /// A contact taken out of a group (the contact stays).
    RemoveMember {
        group_id: String,
        contact_id: String,
    },
    /// Adds (or completes) an SMS contact by its E.164 number, optionally to a group.
    AddContact {
        contact: NewContact,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<String>,
    },
    ApproveSms {
        message_id: String,
        seen_status: SmsStatus,
        /// How many people the approver saw it would reach: the approval is
        /// for that audience, never for a larger one the hub knows of.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen_recipients: Option<i64>,
    },
    /// Reverses one of this device's own ops that has not been pushed yet.
    Undo {
        op_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    CancelSms {
        message_id: String,
        seen_status: SmsStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A staff note on a record: kept and synced between staff, never sent
    /// to the platform.
    AddNote {
        note: NewNote,
    },
    /// Corrects an organisation's details (name spelling, acronym, contact);
    /// the audit log keeps the old values.
    EditOrganization {
        org_id: String,
        changes: Vec<FieldEdit>,
    },
    /// A leader met in an organisation.
    AddLeader {
        leader: NewLeader,
    },
    /// A new colleague (at the hub; their devices get tokens there).
    AddStaff {
        staff: NewStaff,
    },
    /// A colleague's new role.
    SetStaffRole {
        staff_id: String,
        seen_role: Role,
        role: Role,
    },
    /// Switches off someone who left (every device of theirs revoked), or
    /// back on.
    SetStaffActive {
        staff_id: String,
        seen_active: bool,
        active: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// "Je m'en occupe" on a record (`claim`), or handing it back. Taking
    /// over a colleague's claim is allowed when its author saw it
    /// (`seen_by`): a claim made meanwhile is a conflict.
    Claim {
        entity: String,
        record_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen_by: Option<String>,
        claim: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewGroup {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A dynamic group's rule: its members are the contacts it selects,
    /// whoever they are when a message goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<crate::store::audience::Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewStaff {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
}

/// An organisation's details a person may correct.
pub const EDITABLE: [&str; 6] = [
    "name",
    "acronym",
    "contact_name",
    "contact_role",
    "phone",
    "email",
];

/// The longest value of an organisation's detail, in characters.
pub const MAX_DETAIL: usize = 200;

/// One detail corrected: what its author saw, and the new value (`None`
/// clears it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEdit {
    pub field: String,
    pub seen: Option<String>,
    pub new: Option<String>,
}

/// A leader field staff met in an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLeader {
    pub id: String,
    pub org_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// E.164 (+22670123456).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The longest note, in characters.
pub const MAX_NOTE: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNote {
    pub id: String,
    /// The kind of record (`forum_post`, `citizen`, `organization`, `upload`).
    pub entity: String,
    pub entity_id: String,
    pub body: String,
}

/// An op as stored in the outbox and sent over the wire: the format version
/// beside the tagged op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    /// Its author chose not to notify the person it affects.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quiet: bool,
    #[serde(flatten)]
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOrganization {
    pub id: String,
    pub kind: OrgKind,
    pub name: String,
    #[serde(default)]
    pub acronym: Option<String>,
    pub region: String,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub commune: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_role: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The public platform's own id, when the application came from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charter {
    /// The day the charter was signed (YYYY-MM-DD).
    pub signed_on: String,
    pub reference: String,
}

/// An SMS contact as an import brings it: the number already in E.164.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContact {
    pub phone_e164: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSms {
    pub id: String,
    pub group_id: String,
    pub kind: SmsKind,
    pub body: String,
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// A resend: to the numbers this earlier message (of the same group)
    /// failed to reach, and to nobody else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
}

/// Why an op was refused. Every variant names the record at fault.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("role {role} may not {action}")]
    Forbidden { role: Role, action: String },
    #[error("{entity} {id}: not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{entity} {id}: cannot {action} from {from} (only from {allowed})")]
    IllegalTransition {
        entity: &'static str,
        id: String,
        action: String,
        from: String,
        allowed: String,
    },
    #[error("{entity} {id}: is {current} now, not {seen} as seen when the decision was made")]
    Stale {
        entity: &'static str,
        id: String,
        seen: String,
        current: String,
    },
    #[error("{action}: a reason is required")]
    ReasonRequired { action: String },
    #[error("{field}: {why}")]
    Invalid { field: &'static str, why: String },
    #[error(
        "sms_group {name}: dynamic, its members follow the contacts; none is added or taken out by hand"
    )]
    Dynamic { name: String },
    #[error("sms_message {id}: no failed number to send to again (or they opted out since)")]
    NothingToResend { id: String },
    #[error("{action}: not on one's own account (another admin does it)")]
    OwnAccount { action: String },
    #[error("sms_message {id}: already resent as {resend} (resend that one, or cancel it first)")]
    AlreadyResent { id: String, resend: String },
    #[error("sms_group {name}: reaches nobody now (no member who did not opt out)")]
    NoRecipients { name: String },
    #[error("{what} \"{name}\" already exists (names compare without case)")]
    Taken { what: &'static str, name: String },
    #[error("login \"{login}\": {}", if *reserved { "kept for the hub itself" } else { "letters, digits, '.', '-' and '_' only (64 at most)" })]
    BadLogin { login: String, reserved: bool },
    #[error("name \"{name}\": looks like an id; give the group a name")]
    LooksLikeId { name: String },
    #[error("sms_group {name}: archived, kept for history and never sent to")]
    Archived { name: String },
    #[error("commune: \"{typed}\" is not in Burkina Faso's list of communes")]
    UnknownCommune { typed: String },
    #[error("rule: commune {commune} is not in region {region}, so nobody would ever match")]
    RuleNeverMatches { commune: String, region: String },
    #[error("{field}: must not be empty")]
    Empty { field: &'static str },
    #[error("{field}: over {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error(
        "{field}: character U+{code:04X} at position {position} (one line of plain text: no control, bidi or invisible character)"
    )]
    Unplain {
        field: &'static str,
        code: u32,
        position: usize,
    },
    #[error("sms_message {id}: its author cannot approve it (two-person rule)")]
    OwnMessage { id: String },
    #[error("ops must be applied inside a transaction")]
    NoTransaction,
    #[error("database: {0}")]
    Db(#[from] crate::store::sql::DbError),
}

impl From<rusqlite::Error> for OpError {
    fn from(e: rusqlite::Error) -> Self {
        OpError::Db(e.into())
    }
}

impl Op {
    /// The reason its author gave, as written (ops that take none: `None`).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Op::SetEnrollmentStatus { reason, .. }
            | Op::ReviewUpload { reason, .. }
            | Op::ModeratePost { reason, .. }
            | Op::DismissFlags { reason, .. }
            | Op::SetCitizenStatus { reason, .. }
            | Op::LockThread { reason, .. }
            | Op::CancelSms { reason, .. }
            | Op::OptOutContact { reason, .. }
            | Op::OptInContact { reason, .. }
            | Op::SetStaffActive { reason, .. }
            | Op::Undo { reason, .. } => reason.as_deref(),
            Op::ApplyEnrollment { .. }
            | Op::QueueSms { .. }
            | Op::AddContact { .. }
            | Op::ApproveSms { .. }
            | Op::AddNote { .. }
            | Op::EditOrganization { .. }
            | Op::AddLeader { .. }
            | Op::AddStaff { .. }
            | Op::SetStaffRole { .. }
            | Op::CreateGroup { .. }
            | Op::RenameGroup { .. }
            | Op::ArchiveGroup { .. }
            | Op::RemoveMember { .. }
            | Op::EditContact { .. }
            | Op::Claim { .. } => None,
        }
    }

    /// Every synced record this op writes, by the keys it names itself (an
    /// undo's record is known only from the audit log): the record it
    /// changes, the ones it creates, a group's membership. The hub sends a
    /// refused op's records again through its feed, or says them gone when
    /// it does not hold them, so the replica that made the op shows the
    /// hub's state rather than its own.
    pub fn records(&self) -> Vec<(&'static str, String)> {
        let contact = crate::sms::phone::contact_id;
        if let Some((entity, id)) = self.created() {
            return vec![(entity, id.to_owned())];
        }
        match self {
            Op::AddContact {
                contact: c,
                group_id,
            } => {
                let id = contact(&c.phone_e164);
                let member = group_id.as_ref().map(|g| format!("{g}/{id}"));
                std::iter::once(("sms_contact", id))
                    .chain(member.map(|m| ("sms_group_member", m)))
                    .collect()
            }
            Op::OptOutContact { phone_e164, .. } | Op::OptInContact { phone_e164, .. } => {
                vec![("sms_contact", contact(phone_e164))]
            }
            Op::RenameGroup { group_id, .. } | Op::ArchiveGroup { group_id, .. } => {
                vec![("sms_group", group_id.clone())]
            }
            Op::RemoveMember {
                group_id,
                contact_id,
            } => vec![("sms_group_member", format!("{group_id}/{contact_id}"))],
            _ => self
                .target()
                .map(|(entity, id)| vec![(entity, id.to_owned())])
                .unwrap_or_default(),
        }
    }

    /// The record this op creates, by the id it names: one no other op
    /// wrote before it. (`AddContact` completes a contact that may exist.)
    pub fn created(&self) -> Option<(&'static str, &str)> {
        match self {
            Op::ApplyEnrollment { org } => Some(("organization", &org.id)),
            Op::QueueSms { message } => Some(("sms_message", &message.id)),
            Op::CreateGroup { group } => Some(("sms_group", &group.id)),
            Op::AddNote { note } => Some(("note", &note.id)),
            Op::AddLeader { leader } => Some(("org_leader", &leader.id)),
            Op::AddStaff { staff } => Some(("staff", &staff.id)),
            _ => None,
        }
    }

    /// The existing record this op changes (entity, id); `None` for ops that create one.
    pub fn target(&self) -> Option<(&'static str, &str)> {
        match self {
            Op::ApplyEnrollment { .. }
            | Op::QueueSms { .. }
            | Op::AddContact { .. }
            | Op::OptOutContact { .. }
            | Op::AddNote { .. }
            | Op::AddLeader { .. }
            | Op::AddStaff { .. }
            | Op::OptInContact { .. }
            | Op::CreateGroup { .. }
            | Op::RenameGroup { .. }
            | Op::ArchiveGroup { .. }
            | Op::RemoveMember { .. }
            | Op::Undo { .. } => None,
            Op::Claim { record_id, .. } => Some(("claim", record_id)),
            Op::EditOrganization { org_id, .. } => Some(("organization", org_id)),
            Op::EditContact { contact_id, .. } => Some(("sms_contact", contact_id)),
            Op::SetStaffRole { staff_id, .. } | Op::SetStaffActive { staff_id, .. } => {
                Some(("staff", staff_id))
            }
            Op::SetEnrollmentStatus { org_id, .. } => Some(("organization", org_id)),
            Op::ReviewUpload { upload_id, .. } => Some(("upload", upload_id)),
            Op::ModeratePost { post_id, .. } | Op::DismissFlags { post_id, .. } => {
                Some(("forum_post", post_id))
            }
            Op::SetCitizenStatus { citizen_id, .. } => Some(("citizen", citizen_id)),
            Op::LockThread { thread_id, .. } => Some(("forum_thread", thread_id)),
            Op::ApproveSms { message_id, .. } | Op::CancelSms { message_id, .. } => {
                Some(("sms_message", message_id))
            }
        }
    }

    /// What this op leaves in its record's deciding columns, for telling
    /// "the same decision twice" from a real conflict: the record shows the
    /// same decision only when every one of these holds.
    pub fn intended(&self) -> Vec<(&'static str, serde_json::Value)> {
        use serde_json::json;
        match self {
            Op::SetEnrollmentStatus { action, .. } => vec![("status", json!(action.target()))],
            Op::ReviewUpload { decision, .. } => vec![("status", json!(decision.target()))],
            Op::ModeratePost { action, .. } => vec![("status", json!(action.target()))],
            Op::SetCitizenStatus { action, .. } => vec![("status", json!(action.target()))],
            Op::LockThread { locked, .. } => vec![("locked", json!(i64::from(*locked)))],
            Op::SetStaffRole { role, .. } => vec![("role", json!(role))],
            Op::SetStaffActive { active, .. } => vec![("active", json!(i64::from(*active)))],
            Op::EditContact { changes, .. } => changes
                .iter()
                .filter_map(|c| match c.field.as_str() {
                    "name" => Some(("name", json!(c.new))),
                    "commune" => Some(("commune", json!(c.new))),
                    _ => None,
                })
                .collect(),
            // The same correction made twice is one.
            Op::EditOrganization { changes, .. } => changes
                .iter()
                .filter_map(|c| {
                    EDITABLE
                        .iter()
                        .find(|f| **f == c.field)
                        .map(|f| (*f, json!(c.new)))
                })
                .collect(),
            Op::ApproveSms { .. } => vec![("status", json!("approved"))],
            Op::CancelSms { .. } => vec![("status", json!("cancelled"))],
            // Dismissing says "no open flag, and the post stays as I saw it".
            Op::DismissFlags { seen_status, .. } => {
                let mut v = vec![("flag_count", json!(0))];
                if let Some(s) = seen_status {
                    v.push(("status", json!(s.as_str())));
                }
                v
            }
            Op::ApplyEnrollment { .. }
            | Op::QueueSms { .. }
            | Op::AddContact { .. }
            | Op::OptOutContact { .. }
            | Op::AddNote { .. }
            | Op::AddLeader { .. }
            | Op::AddStaff { .. }
            | Op::OptInContact { .. }
            | Op::CreateGroup { .. }
            | Op::RenameGroup { .. }
            | Op::ArchiveGroup { .. }
            | Op::RemoveMember { .. }
            // Who holds a claim is the hub's to say: two claims never merge.
            | Op::Claim { .. }
            | Op::Undo { .. } => Vec::new(),
        }
    }

    /// Audit action name, e.g. `enrollment.enrol`, `post.hide`.
    pub fn action_name(&self) -> String {
        match self {
            Op::ApplyEnrollment { .. } => "enrollment.apply".into(),
            Op::SetEnrollmentStatus { action, .. } => format!("enrollment.{action}"),
            Op::ReviewUpload { decision, .. } => format!("upload.{decision}"),
            Op::ModeratePost { action, .. } => format!("post.{action}"),
            Op::DismissFlags { .. } => "post.dismiss_flags".into(),
            Op::SetCitizenStatus { action, .. } => format!("citizen.{action}"),
            Op::LockThread { locked: true, .. } => "thread.lock".into(),
            Op::LockThread { locked: false, .. } => "thread.unlock".into(),
            Op::QueueSms { .. } => "sms.queue".into(),
            Op::AddContact { .. } => "sms.contact".into(),
            Op::OptOutContact { .. } => "sms.opt_out".into(),
            Op::ApproveSms { .. } => "sms.approve".into(),
            Op::CancelSms { .. } => "sms.cancel".into(),
            Op::Undo { .. } => "undo".into(),
            Op::AddNote { .. } => "note.add".into(),
            Op::EditOrganization { .. } => "enrollment.edit".into(),
            Op::AddLeader { .. } => "enrollment.leader".into(),
            Op::AddStaff { .. } => "staff.add".into(),
            Op::OptInContact { .. } => "sms.opt_in".into(),
            Op::CreateGroup { .. } => "sms.group".into(),
            Op::RenameGroup { .. } => "sms.group_rename".into(),
            Op::ArchiveGroup { archived: true, .. } => "sms.group_archive".into(),
            Op::ArchiveGroup {
                archived: false, ..
            } => "sms.group_unarchive".into(),
            Op::RemoveMember { .. } => "sms.group_remove".into(),
            Op::EditContact { .. } => "sms.contact_edit".into(),
            Op::SetStaffRole { .. } => "staff.set_role".into(),
            Op::SetStaffActive { active: false, .. } => "staff.deactivate".into(),
            Op::SetStaffActive { active: true, .. } => "staff.reactivate".into(),
            Op::Claim { claim: true, .. } => "claim.take".into(),
            Op::Claim { claim: false, .. } => "claim.release".into(),
        }
    }
}

impl OpError {
    /// Whether the database failed (rather than the op being refused): what
    /// follows in the same transaction cannot be trusted, so callers stop.
    pub fn is_storage(&self) -> bool {
        match self {
            OpError::Db(e) => !e.is_constraint(),
            OpError::NoTransaction => true,
            _ => false,
        }
    }

    /// The message for a person, in their language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang::*;
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Forbidden { role, action }, Fr) => {
                format!("le rôle {role} ne permet pas : {action}")
            }
            (Self::NotFound { entity, id }, Fr) => format!("{entity} {id} : introuvable"),
            (
                Self::IllegalTransition {
                    entity,
                    id,
                    action,
                    from,
                    allowed,
                },
                Fr,
            ) => {
                let (list, prefix) = match *entity {
                    "organization" => ("enrollments", "enrollment"),
                    "upload" => ("uploads", "upload"),
                    "forum_post" => ("forum", "post"),
                    "sms_message" => ("sms", "sms"),
                    "citizen" => ("citizens", "citizen"),
                    "forum_thread" => ("threads", "thread"),
                    other => (other, other),
                };
                let word = |code: &str| {
                    crate::i18n::values::column_word(list, "status", code.trim(), Fr)
                        .unwrap_or_else(|| crate::text::inline(code))
                };
                let allowed: Vec<String> = allowed.split(',').map(word).collect();
                // Some refusals name the whole action already (`thread.lock`).
                let name = if action.contains('.') {
                    action.clone()
                } else {
                    format!("{prefix}.{action}")
                };
                let verb = crate::i18n::sentences::verb(&name, Fr);
                format!(
                    "{} {} : est « {} » ; « {verb} » n'est possible que depuis « {} »",
                    crate::i18n::values::entity_words(entity, Fr),
                    id.get(..8).unwrap_or(id),
                    word(from),
                    allowed.join(" », « ")
                )
            }
            (
                Self::Stale {
                    entity,
                    id,
                    seen,
                    current,
                },
                Fr,
            ) => {
                format!(
                    "{entity} {id} : est maintenant {current}, et non {seen} comme lors de la décision"
                )
            }
            (Self::ReasonRequired { action }, Fr) => {
                format!("{action} : un motif est obligatoire (--reason)")
            }
            (Self::Invalid { field, why }, Fr) => format!("{field} : {why}"),
            (Self::Dynamic { name }, Fr) => format!(
                "groupe « {} » : dynamique, ses membres suivent les contacts ; on n'en ajoute ni n'en retire à la main",
                crate::text::inline(name)
            ),
            (Self::AlreadyResent { id, resend }, Fr) => format!(
                "SMS {} : déjà renvoyé (SMS {}) ; renvoyez celui-là, ou annulez-le d'abord",
                id.get(..8).unwrap_or(id),
                resend.get(..8).unwrap_or(resend)
            ),
            (Self::NoRecipients { name }, Fr) => format!(
                "groupe « {} » : n'atteint personne aujourd'hui (aucun membre qui ne se soit désinscrit)",
                crate::text::inline(name)
            ),
            (Self::Taken { what, name }, Fr) => format!(
                "{} « {} » existe déjà (sans tenir compte des majuscules)",
                crate::i18n::values::entity_words(what, Fr),
                crate::text::inline(name)
            ),
            (Self::BadLogin { login, reserved }, Fr) => format!(
                "identifiant « {login} » : {}",
                if *reserved {
                    "réservé au hub lui-même"
                } else {
                    "lettres, chiffres, « . », « - » et « _ » seulement (64 au plus)"
                }
            ),
            (Self::LooksLikeId { name }, Fr) => format!(
                "nom « {} » : on dirait un identifiant ; donnez un nom au groupe",
                crate::text::inline(name)
            ),
            (Self::Archived { name }, Fr) => format!(
                "groupe « {} » : archivé, gardé pour l'historique et jamais destinataire",
                crate::text::inline(name)
            ),
            (Self::UnknownCommune { typed }, Fr) => {
                let close = match crate::domain::places::resolve(
                    crate::domain::places::Level::Commune,
                    typed,
                ) {
                    crate::domain::places::Resolved::Close(name) => {
                        format!(" ; vouliez-vous {name} ?")
                    }
                    _ => String::new(),
                };
                format!(
                    "commune : « {typed} » n'est pas dans la liste des communes du Burkina Faso{close}"
                )
            }
            (Self::RuleNeverMatches { commune, region }, Fr) => format!(
                "règle : la commune {commune} n'est pas dans la région {region} ; personne n'y correspondrait jamais"
            ),
            (Self::OwnAccount { action }, Fr) => format!(
                "{} : pas sur son propre compte (un autre administrateur le fait)",
                crate::i18n::sentences::verb(action, Fr)
            ),
            (Self::NothingToResend { id }, Fr) => format!(
                "SMS {} : aucun numéro en échec à qui le renvoyer (ou ils se sont désinscrits depuis)",
                id.get(..8).unwrap_or(id)
            ),
            (Self::Empty { field }, Fr) => {
                format!(
                    "{} : ne doit pas être vide",
                    crate::i18n::values::field_words(field, Fr)
                )
            }
            (Self::TooLong { field, max }, Fr) => format!(
                "{} : plus de {} caractères",
                crate::i18n::values::field_words(field, Fr),
                crate::i18n::values::count(*max as f64, Fr)
            ),
            (
                Self::Unplain {
                    field,
                    code,
                    position,
                },
                Fr,
            ) => format!(
                "{} : caractère U+{code:04X} en position {position} (une ligne de texte simple : ni caractère de contrôle, ni bidi, ni invisible)",
                crate::i18n::values::field_words(field, Fr)
            ),
            (Self::OwnMessage { id }, Fr) => {
                format!(
                    "sms_message {id} : son auteur ne peut pas l'approuver (règle des deux personnes)"
                )
            }
            (Self::NoTransaction, Fr) => {
                "les opérations doivent s'appliquer dans une transaction".into()
            }
            (Self::Db(e), Fr) => format!("base de données : {e}"),
        }
    }
}
