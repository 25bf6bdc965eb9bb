//! The one registry of record kinds: the name a kind has in the audit log,
//! the change feed and on the wire; its table and key; the columns whose
//! changes the audit log keeps (and undo restores). Sync, ops and the console
//! all look a kind up here instead of keeping lists of their own.

/// A kind of record replicas receive, in the snapshot's order (parents
/// before children).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Staff,
    Organization,
    Upload,
    UploadStat,
    ForumThread,
    Citizen,
    ForumPost,
    ForumFlag,
    SmsContact,
    SmsGroup,
    SmsGroupMember,
    SmsMessage,
    NoticeTemplate,
    Note,
    Claim,
    OrgLeader,
    SmsFailure,
}

impl Entity {
    /// Every synced kind, parents before children: the snapshot's order. A
    /// pull cursor names a table by its index here, so only append.
    pub const SYNCED: [Entity; 17] = [
        Entity::Staff,
        Entity::Organization,
        Entity::Upload,
        Entity::UploadStat,
        Entity::ForumThread,
        Entity::Citizen,
        Entity::ForumPost,
        Entity::ForumFlag,
        Entity::SmsContact,
        Entity::SmsGroup,
        Entity::SmsGroupMember,
        Entity::SmsMessage,
        Entity::NoticeTemplate,
        Entity::Note,
        Entity::Claim,
        Entity::OrgLeader,
        Entity::SmsFailure,
    ];

    /// Its name in the audit log, the change feed and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Staff => "staff",
            Entity::Organization => "organization",
            Entity::Upload => "upload",
            Entity::UploadStat => "upload_stat",
            Entity::ForumThread => "forum_thread",
            Entity::Citizen => "citizen",
            Entity::ForumPost => "forum_post",
            Entity::ForumFlag => "forum_flag",
            Entity::SmsContact => "sms_contact",
            Entity::SmsGroup => "sms_group",
            Entity::SmsGroupMember => "sms_group_member",
            Entity::SmsMessage => "sms_message",
            Entity::NoticeTemplate => "notice_template",
            Entity::Note => "note",
            Entity::Claim => "claim",
            Entity::OrgLeader => "org_leader",
            Entity::SmsFailure => "sms_failure",
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Entity::Staff => "staff",
            Entity::Organization => "organizations",
            Entity::Upload => "uploads",
            Entity::UploadStat => "upload_stats",
            Entity::ForumThread => "forum_threads",
            Entity::Citizen => "citizens",
            Entity::ForumPost => "forum_posts",
            Entity::ForumFlag => "forum_flags",
            Entity::SmsContact => "sms_contacts",
            Entity::SmsGroup => "sms_groups",
            Entity::SmsGroupMember => "sms_group_members",
            Entity::SmsMessage => "sms_messages",
            Entity::NoticeTemplate => "notice_templates",
            Entity::Note => "notes",
            Entity::Claim => "claims",
            Entity::OrgLeader => "org_leaders",
            Entity::SmsFailure => "sms_failures",
        }
    }

    /// Its key columns (a composite key is '/'-joined in the feed).
    pub fn key(self) -> &'static [&'static str] {
        match self {
            Entity::UploadStat => &["upload_id", "indicator", "year"],
            Entity::SmsGroupMember => &["group_id", "contact_id"],
            Entity::SmsFailure => &["message_id", "contact_id"],
            Entity::NoticeTemplate => &["kind", "lang"],
            _ => &["id"],
        }
    }

    /// The columns staff decisions change: the audit log keeps them before
    /// and after, and undo puts them back. Empty: no op changes this kind.
    pub fn tracked(self) -> &'static [&'static str] {
        match self {
            Entity::Organization => &[
                "status",
                "charter_signed_on",
                "charter_ref",
                "name",
                "acronym",
                "contact_name",
                "contact_role",
                "phone",
                "email",
            ],
            Entity::Upload => &["status", "reviewed_by", "reviewed_at", "reason"],
            Entity::ForumPost => &[
                "status",
                "flag_count",
                "moderated_by",
                "moderated_at",
                "reason",
            ],
            Entity::Citizen => &["status", "muted_until"],
            Entity::ForumThread => &["locked"],
            Entity::SmsMessage => &["status", "approved_by"],
            Entity::SmsContact => &["name", "region", "commune", "opted_out_at"],
            Entity::Claim => &["login", "claimed_at"],
            Entity::Staff => &["role", "active"],
            Entity::Note
            | Entity::OrgLeader
            | Entity::UploadStat
            | Entity::ForumFlag
            | Entity::SmsGroup
            | Entity::SmsGroupMember
            | Entity::SmsFailure
            | Entity::NoticeTemplate => &[],
        }
    }

    /// Whether records of this kind come from the public platform and keep
    /// its own id (`platform_id`).
    pub fn from_platform(self) -> bool {
        matches!(
            self,
            Entity::Organization
                | Entity::Upload
                | Entity::ForumThread
                | Entity::Citizen
                | Entity::ForumPost
        )
    }

    /// The kinds of record staff may write notes on and claim.
    pub const NOTED: [Entity; 4] = [
        Entity::ForumPost,
        Entity::Citizen,
        Entity::Organization,
        Entity::Upload,
    ];

    /// The permission that acting on a record of this kind takes: notes and
    /// claims on it need the same (a moderator's on posts and citizens, a
    /// field agent's on organisations).
    pub fn worked_by(self) -> Option<crate::domain::staff::Permission> {
        use crate::domain::staff::Permission;
        Some(match self {
            Entity::ForumPost | Entity::Citizen => Permission::ModeratePost,
            Entity::Upload => Permission::ReviewUpload,
            Entity::Organization => Permission::AdvanceEnrollment,
            _ => return None,
        })
    }

    /// Whether the hub deletes rows of this kind (a member taken out of a
    /// group, a failure a late report turned into a delivery): the feed
    /// then says "row gone" and replicas delete it too. Other kinds are
    /// never deleted at the hub; a replica deletes one only if it made it
    /// by an op the hub refused.
    pub fn deletable(self) -> bool {
        matches!(self, Entity::SmsGroupMember | Entity::SmsFailure)
    }

    pub fn parse(name: &str) -> Option<Entity> {
        Entity::SYNCED.into_iter().find(|e| e.name() == name)
    }

    /// Its index in `SYNCED` (the snapshot's order).
    pub fn position(self) -> usize {
        Entity::SYNCED
            .iter()
            .position(|e| *e == self)
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_tables_exist_once() {
        let mut tables = std::collections::HashSet::new();
        for e in Entity::SYNCED {
            assert_eq!(Entity::parse(e.name()), Some(e));
            assert!(tables.insert(e.table()), "{e}");
            assert_eq!(Entity::SYNCED[e.position()], e);
        }
        assert_eq!(Entity::parse("nothing"), None);
    }
}
