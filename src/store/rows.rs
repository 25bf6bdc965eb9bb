//! Row types as lists and details show them. Field names are the schema's
//! column names (plus a few joined names such as `org_name`), so CSV headers and
//! JSON keys are the contract names scripts expect.

use rusqlite::Row;
use serde::Serialize;

use crate::domain::enrollment::{OrgKind, Stage};
use crate::domain::forum::{CitizenStatus, FlagReason, PostStatus};
use crate::domain::sms::{SmsKind, SmsStatus};
use crate::domain::uploads::{UploadKind, UploadStatus};

/// SQL for what people call a record: its name, title or the start of its
/// text, from the entity name and id expressions given.
macro_rules! record_label_sql {
    ($entity:literal, $id:literal) => {
        concat!(
            "CASE ", $entity,
            " WHEN 'organization' THEN (SELECT name FROM organizations WHERE id = ", $id, ")",
            " WHEN 'upload' THEN (SELECT title FROM uploads WHERE id = ", $id, ")",
            " WHEN 'forum_post' THEN (SELECT substr(body, 1, 80) FROM forum_posts WHERE id = ", $id, ")",
            " WHEN 'citizen' THEN (SELECT display_name FROM citizens WHERE id = ", $id, ")",
            " WHEN 'forum_thread' THEN (SELECT title FROM forum_threads WHERE id = ", $id, ")",
            " WHEN 'sms_message' THEN (SELECT substr(body, 1, 80) FROM sms_messages WHERE id = ", $id, ")",
            " WHEN 'sms_contact' THEN (SELECT coalesce(name, phone_e164) FROM sms_contacts WHERE id = ", $id, ")",
            // A claim is on the record of the same id; a note names its record.
            " WHEN 'claim' THEN coalesce((SELECT substr(body, 1, 80) FROM forum_posts WHERE id = ", $id, "),",
            " (SELECT name FROM organizations WHERE id = ", $id, "), (SELECT title FROM uploads WHERE id = ", $id, "),",
            " (SELECT display_name FROM citizens WHERE id = ", $id, "))",
            " WHEN 'staff' THEN (SELECT display_name FROM staff WHERE id = ", $id, ")",
            " WHEN 'org_leader' THEN (SELECT o.name FROM org_leaders l JOIN organizations o ON o.id = l.org_id WHERE l.id = ", $id, ")",
            " WHEN 'note' THEN (SELECT coalesce((SELECT substr(body, 1, 80) FROM forum_posts WHERE id = n.entity_id),",
            " (SELECT name FROM organizations WHERE id = n.entity_id), (SELECT title FROM uploads WHERE id = n.entity_id),",
            " (SELECT display_name FROM citizens WHERE id = n.entity_id)) FROM notes n WHERE n.id = ", $id, ")",
            " END, CASE ", $entity,
            " WHEN 'forum_post' THEN (SELECT c.display_name FROM forum_posts p JOIN citizens c ON c.id = p.author_id WHERE p.id = ", $id, ")",
            " END"
        )
    };
}

/// A row type that a list can show: how to read it and where its keyset cursor is.
pub trait Listed: Serialize + Sized {
    /// SELECT … FROM … (with joins); filters are appended by `query`.
    const SELECT: &'static str;
    /// The sort column (a fixed-width timestamp) and the id that breaks ties.
    const SORT: (&'static str, &'static str);
    /// Newest first?
    const DESCENDING: bool;
    /// The column `--since` and `--until` compare (the sort column unless said otherwise).
    const TIME: &'static str = Self::SORT.0;
    /// Keep the planner off the status index (`+status`): set for lists whose
    /// order has its own partial index, which a status filter must not steal.
    const STATUS_UNINDEXED: bool = false;
    /// The base table (with alias) a count may read alone when no filter
    /// touches the joined tables, whose aliases are `JOINED` (e.g. `"o."`).
    const COUNT_FROM: &'static str = "";
    const JOINED: &'static [&'static str] = &[];
    /// The base table and alias when SELECT reads `FROM {inner} alias` (see `query`).
    const BASE: &'static str = "";
    /// Columns a terminal table shows, in order; the last one takes spare width.
    const TABLE_COLUMNS: &'static [&'static str];
    /// The search index whose row ids are this list's order (its rows'
    /// `search_key`): a search walks it and stops after a page. `None` for a
    /// list sorted otherwise, whose search filters by the index instead.
    const SEARCH: Option<SearchIndex> = None;

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self>;
    fn sort_key(&self) -> (&str, &str);

    /// Whether a search reads in another order than the list (newest first,
    /// for a list sorted otherwise): the screen says so.
    fn search_reorders() -> bool {
        Self::SEARCH.is_some_and(|ix| ix.time != Self::SORT.0 || ix.descending != Self::DESCENDING)
    }
}

/// A search index keyed by a table's `search_key` (see schema.sql, version 7).
#[derive(Debug, Clone, Copy)]
pub struct SearchIndex {
    pub fts: &'static str,
    /// The table and its alias as the list's SELECT names them.
    pub table: &'static str,
    /// The table's time column, the first part of the list's order.
    pub time: &'static str,
    /// Newest first: the list's own direction, except for a list in
    /// another order (the moderation queue), whose searches read newest first.
    pub descending: bool,
    /// Filters that keep few rows, each with the partial index of the
    /// search keys it keeps (schema.sql, "version 9"). Walking the matches
    /// of a common word for the moderation queue's page looks each one up
    /// in that small index, not in the table (40 ms on a million posts).
    pub narrow: &'static [(&'static str, &'static str)],
}

impl SearchIndex {
    /// The table's name, without its alias.
    pub fn table_name(&self) -> &'static str {
        self.table.split(' ').next().unwrap_or(self.table)
    }

    /// The alias the list's SELECT gives the table.
    pub fn alias(&self) -> &'static str {
        alias_of(self.table)
    }
}

/// The alias in "table alias", as `Listed::BASE` and `SearchIndex::table`
/// name a table.
pub fn alias_of(table: &str) -> &str {
    table.rsplit(' ').next().unwrap_or(table)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Organization {
    pub id: String,
    pub kind: OrgKind,
    pub name: String,
    pub acronym: Option<String>,
    pub region: String,
    pub province: Option<String>,
    pub commune: Option<String>,
    pub contact_name: Option<String>,
    pub contact_role: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: Stage,
    pub charter_signed_on: Option<String>,
    pub charter_ref: Option<String>,
    pub notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// The public platform's own id, for records that came from it.
    pub platform_id: Option<String>,
}

impl Listed for Organization {
    const SELECT: &'static str = "SELECT o.id, o.kind, o.name, o.acronym, o.region, o.province, o.commune, \
        o.contact_name, o.contact_role, o.phone, o.email, o.status, o.charter_signed_on, o.charter_ref, \
        o.notes, o.created_at, o.updated_at, o.version, o.platform_id FROM organizations o";
    const SORT: (&'static str, &'static str) = ("o.created_at", "o.id");
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = &["id", "status", "commune", "name"];
    const SEARCH: Option<SearchIndex> = Some(SearchIndex {
        fts: "organizations_fts",
        table: "organizations o",
        time: "created_at",
        descending: false,
        narrow: &[],
    });

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Organization {
            id: r.get(0)?,
            kind: r.get(1)?,
            name: r.get(2)?,
            acronym: r.get(3)?,
            region: r.get(4)?,
            province: r.get(5)?,
            commune: r.get(6)?,
            contact_name: r.get(7)?,
            contact_role: r.get(8)?,
            phone: r.get(9)?,
            email: r.get(10)?,
            status: r.get(11)?,
            charter_signed_on: r.get(12)?,
            charter_ref: r.get(13)?,
            notes: r.get(14)?,
            created_at: r.get(15)?,
            updated_at: r.get(16)?,
            version: r.get(17)?,
            platform_id: r.get(18)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.created_at, &self.id)
    }
}

/// Organisations in progress ordered by how long they have been in their
/// stage, the longest first (the enrolments stuck longest).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(transparent)]
pub struct StuckOrganization(pub Organization);

impl Listed for StuckOrganization {
    const SELECT: &'static str = Organization::SELECT;
    const SORT: (&'static str, &'static str) = ("o.updated_at", "o.id");
    const TIME: &'static str = "o.created_at";
    const STATUS_UNINDEXED: bool = true;
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = Organization::TABLE_COLUMNS;

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Organization::from_row(r).map(StuckOrganization)
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.0.updated_at, &self.0.id)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Upload {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub kind: UploadKind,
    pub category: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub filename: String,
    pub mime: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub submitted_at: String,
    pub status: UploadStatus,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub reason: Option<String>,
    pub version: i64,
    pub platform_id: Option<String>,
    /// A statistic jumps implausibly from the year before.
    #[serde(skip)]
    pub implausible: bool,
}

/// An upload whose statistics jump implausibly from the year before (more
/// than 50 %, or more than 15 % a year over a longer gap): one rule for the
/// list's ⚠ column, the `plausible` filter and the detail's warnings.
macro_rules! implausible_sql {
    () => {
        "EXISTS (SELECT 1 FROM upload_stats a JOIN upload_stats b \
           ON b.upload_id = a.upload_id AND b.indicator = a.indicator \
          AND b.year = (SELECT max(c.year) FROM upload_stats c \
                         WHERE c.upload_id = a.upload_id AND c.indicator = a.indicator AND c.year < a.year) \
         WHERE a.upload_id = u.id AND b.value != 0 \
           AND (abs(a.value - b.value) * 100.0 / abs(b.value) > 50 \
             OR abs(a.value - b.value) * 100.0 / abs(b.value) / max(a.year - b.year, 1) > 15))"
    };
}
pub const IMPLAUSIBLE_SQL: &str = implausible_sql!();

/// The same rule, on one change (`change` in percent over `years`).
pub fn implausible(change: f64, years: i64) -> bool {
    change.abs() > 50.0 || change.abs() / (years.max(1) as f64) > 15.0
}

impl Listed for Upload {
    const SELECT: &'static str = concat!(
        "SELECT u.id, u.org_id, o.name, u.kind, u.category, u.title, u.description, \
        u.filename, u.mime, u.size_bytes, u.sha256, u.submitted_at, u.status, u.reviewed_by, u.reviewed_at, \
        u.reason, u.version, u.platform_id, ",
        implausible_sql!(),
        " FROM uploads u JOIN organizations o ON o.id = u.org_id"
    );
    const SORT: (&'static str, &'static str) = ("u.submitted_at", "u.id");
    const SEARCH: Option<SearchIndex> = Some(SearchIndex {
        fts: "uploads_fts",
        table: "uploads u",
        time: "submitted_at",
        descending: false,
        narrow: &[],
    });
    const COUNT_FROM: &'static str = "uploads u";
    const JOINED: &'static [&'static str] = &["o."];
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = &["id", "status", "kind", "title"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Upload {
            id: r.get(0)?,
            org_id: r.get(1)?,
            org_name: r.get(2)?,
            kind: r.get(3)?,
            category: r.get(4)?,
            title: r.get(5)?,
            description: r.get(6)?,
            filename: r.get(7)?,
            mime: r.get(8)?,
            size_bytes: r.get(9)?,
            sha256: r.get(10)?,
            submitted_at: r.get(11)?,
            status: r.get(12)?,
            reviewed_by: r.get(13)?,
            reviewed_at: r.get(14)?,
            reason: r.get(15)?,
            version: r.get(16)?,
            platform_id: r.get(17)?,
            implausible: r.get(18)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.submitted_at, &self.id)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Post {
    pub id: String,
    pub thread_id: String,
    pub thread_title: String,
    pub author_id: String,
    pub author_name: String,
    pub body: String,
    pub created_at: String,
    pub status: PostStatus,
    pub flag_count: i64,
    pub moderated_by: Option<String>,
    pub moderated_at: Option<String>,
    pub reason: Option<String>,
    pub version: i64,
    pub platform_id: Option<String>,
    /// A watched word the hub found in it, and what that did.
    pub watched_word: Option<String>,
    pub watched_action: Option<String>,
    /// The reason most open flags give (for the list's column).
    #[serde(skip)]
    pub top_flag: Option<FlagReason>,
}

/// The moderation queue's filter (posts with flags), as the lists write it.
pub const QUEUED: &str = "p.flag_count > 0";
/// Posts the system hid (a watched word, the flags' auto-hide), waiting for
/// a moderator: "Messages retenus".
pub const HELD: &str = "p.status = 'hidden' AND p.moderated_by = 'system'";

impl Listed for Post {
    const SELECT: &'static str = "SELECT p.id, p.thread_id, t.title, p.author_id, c.display_name, p.body, \
        p.created_at, p.status, p.flag_count, p.moderated_by, p.moderated_at, p.reason, p.version, p.platform_id, \
        p.watched_word, p.watched_action, \
        CASE WHEN p.flag_count > 0 THEN (SELECT f.reason FROM forum_flags f WHERE f.post_id = p.id AND f.resolved = 0 \
         GROUP BY f.reason ORDER BY count(*) DESC, f.reason LIMIT 1) END \
        FROM {inner} p JOIN forum_threads t ON t.id = p.thread_id JOIN citizens c ON c.id = p.author_id";
    const BASE: &'static str = "forum_posts p";
    const COUNT_FROM: &'static str = "forum_posts p";
    const JOINED: &'static [&'static str] = &["t.", "c."];
    const SORT: (&'static str, &'static str) = ("p.created_at", "p.id");
    const DESCENDING: bool = true;
    const TABLE_COLUMNS: &'static [&'static str] = &["id", "status", "flag_count", "body"];
    const SEARCH: Option<SearchIndex> = Some(SearchIndex {
        fts: "forum_posts_fts",
        table: "forum_posts p",
        time: "created_at",
        descending: true,
        narrow: &[
            (QUEUED, "forum_posts_queue_search"),
            (HELD, "forum_posts_held_search"),
        ],
    });

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Post {
            id: r.get(0)?,
            thread_id: r.get(1)?,
            thread_title: r.get(2)?,
            author_id: r.get(3)?,
            author_name: r.get(4)?,
            body: r.get(5)?,
            created_at: r.get(6)?,
            status: r.get(7)?,
            flag_count: r.get(8)?,
            moderated_by: r.get(9)?,
            moderated_at: r.get(10)?,
            reason: r.get(11)?,
            version: r.get(12)?,
            platform_id: r.get(13)?,
            watched_word: r.get(14)?,
            watched_action: r.get(15)?,
            top_flag: r.get(16)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.created_at, &self.id)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SmsMessage {
    pub id: String,
    pub group_id: String,
    pub group_name: String,
    pub kind: SmsKind,
    pub body: String,
    pub encoding: String,
    pub segments: i64,
    pub recipients: i64,
    pub scheduled_at: Option<String>,
    pub status: SmsStatus,
    pub created_by: String,
    pub approved_by: Option<String>,
    pub sent_count: i64,
    pub delivered_count: i64,
    pub failed_count: i64,
    pub version: i64,
    pub created_at: String,
    /// A resend to the numbers this earlier message failed to reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
}

impl Listed for SmsMessage {
    const SELECT: &'static str = "SELECT m.id, m.group_id, g.name, m.kind, m.body, m.encoding, m.segments, \
        m.recipients, m.scheduled_at, m.status, m.created_by, m.approved_by, m.sent_count, m.delivered_count, \
        m.failed_count, m.version, m.created_at, m.retry_of FROM sms_messages m JOIN sms_groups g ON g.id = m.group_id";
    const SORT: (&'static str, &'static str) = ("m.created_at", "m.id");
    const COUNT_FROM: &'static str = "sms_messages m";
    const JOINED: &'static [&'static str] = &["g."];
    const DESCENDING: bool = true;
    const TABLE_COLUMNS: &'static [&'static str] = &["id", "status", "kind", "recipients", "body"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(SmsMessage {
            id: r.get(0)?,
            group_id: r.get(1)?,
            group_name: r.get(2)?,
            kind: r.get(3)?,
            body: r.get(4)?,
            encoding: r.get(5)?,
            segments: r.get(6)?,
            recipients: r.get(7)?,
            scheduled_at: r.get(8)?,
            status: r.get(9)?,
            created_by: r.get(10)?,
            approved_by: r.get(11)?,
            sent_count: r.get(12)?,
            delivered_count: r.get(13)?,
            failed_count: r.get(14)?,
            version: r.get(15)?,
            created_at: r.get(16)?,
            retry_of: r.get(17)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.created_at, &self.id)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub device: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub reason: Option<String>,
    pub detail: String,
    /// What people call the actor, the device and the record (for reading;
    /// scripts keep the stable ids above).
    #[serde(skip)]
    pub actor_name: Option<String>,
    #[serde(skip)]
    pub device_name: Option<String>,
    #[serde(skip)]
    pub label: Option<String>,
    #[serde(skip)]
    pub owner: Option<String>,
}

impl Listed for AuditEntry {
    const SELECT: &'static str = concat!(
        "SELECT a.id, a.at, a.actor, a.device, a.action, a.entity, a.entity_id, a.reason, a.detail, ",
        "(SELECT display_name FROM staff WHERE login = a.actor), ",
        "(SELECT name FROM devices WHERE id = a.device), ",
        record_label_sql!("a.entity", "a.entity_id"),
        " FROM audit_log a"
    );
    const SORT: (&'static str, &'static str) = ("a.at", "a.id");
    const DESCENDING: bool = true;
    const TABLE_COLUMNS: &'static [&'static str] =
        &["at", "actor", "action", "reason", "entity_id"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            device: r.get(3)?,
            action: r.get(4)?,
            entity: r.get(5)?,
            entity_id: r.get(6)?,
            reason: r.get(7)?,
            detail: r.get(8)?,
            actor_name: r.get(9)?,
            device_name: r.get(10)?,
            label: r.get(11)?,
            owner: r.get(12)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.at, &self.id)
    }
}

/// An op waiting in (or pushed from) the outbox, for the Synchro screen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutboxEntry {
    pub op_id: String,
    pub seq: i64,
    pub created_at: String,
    pub op: String,
    pub pushed_at: Option<String>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    /// The record it is about, for reading (from its audit entry).
    #[serde(skip)]
    pub entity: Option<String>,
    #[serde(skip)]
    pub label: Option<String>,
    #[serde(skip)]
    pub owner: Option<String>,
}

impl Listed for OutboxEntry {
    const SELECT: &'static str = concat!(
        "SELECT x.op_id, x.seq, x.created_at, x.op, x.pushed_at, x.outcome, x.reason, ",
        "(SELECT entity FROM audit_log WHERE id = x.op_id), ",
        record_label_sql!(
            "(SELECT entity FROM audit_log WHERE id = x.op_id)",
            "(SELECT entity_id FROM audit_log WHERE id = x.op_id)"
        ),
        " FROM outbox x"
    );
    const SORT: (&'static str, &'static str) = ("x.created_at", "x.op_id");
    const DESCENDING: bool = true;
    const TABLE_COLUMNS: &'static [&'static str] = &["seq", "created_at", "outcome", "op"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(OutboxEntry {
            op_id: r.get(0)?,
            seq: r.get(1)?,
            created_at: r.get(2)?,
            op: r.get(3)?,
            pushed_at: r.get(4)?,
            outcome: r.get(5)?,
            reason: r.get(6)?,
            entity: r.get(7)?,
            label: r.get(8)?,
            owner: r.get(9)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.created_at, &self.op_id)
    }
}

/// A post in the moderation queue: most open flags first, then oldest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueuedPost {
    #[serde(flatten)]
    pub post: Post,
    pub queue_key: String,
}

impl Listed for QueuedPost {
    const SELECT: &'static str = "SELECT p.id, p.thread_id, t.title, p.author_id, c.display_name, p.body, \
        p.created_at, p.status, p.flag_count, p.moderated_by, p.moderated_at, p.reason, p.version, p.platform_id, \
        p.watched_word, p.watched_action, \
        CASE WHEN p.flag_count > 0 THEN (SELECT f.reason FROM forum_flags f WHERE f.post_id = p.id AND f.resolved = 0 \
         GROUP BY f.reason ORDER BY count(*) DESC, f.reason LIMIT 1) END, \
        p.queue_key \
        FROM {inner} p JOIN forum_threads t ON t.id = p.thread_id JOIN citizens c ON c.id = p.author_id";
    const BASE: &'static str = "forum_posts p";
    const COUNT_FROM: &'static str = "forum_posts p";
    const JOINED: &'static [&'static str] = &["t.", "c."];
    const SORT: (&'static str, &'static str) = ("p.queue_key", "p.id");
    const TIME: &'static str = "p.created_at";
    const STATUS_UNINDEXED: bool = true;
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = Post::TABLE_COLUMNS;
    /// A search in the queue reads newest first: the queue's order (most
    /// flags first) would mean sorting every match of a common word.
    const SEARCH: Option<SearchIndex> = Post::SEARCH;

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(QueuedPost {
            post: Post::from_row(r)?,
            queue_key: r.get(17)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.queue_key, &self.post.id)
    }
}

/// An SMS broadcast group with its member count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SmsGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub org_id: Option<String>,
    pub members: i64,
    /// Kept for history, never sent to.
    pub archived_at: Option<String>,
    /// A dynamic group's rule (its members follow the contacts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<crate::store::audience::Rule>,
}

impl Listed for SmsGroup {
    const SELECT: &'static str = concat!(
        "SELECT g.id, g.name, g.description, g.org_id, ",
        crate::store::audience::group_members!(),
        ", g.archived_at, g.rule_region, g.rule_commune, g.rule_org_kind FROM sms_groups g"
    );
    const SORT: (&'static str, &'static str) = ("g.name", "g.id");
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = &["name", "members", "rule", "description"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(SmsGroup {
            id: r.get(0)?,
            name: r.get(1)?,
            description: r.get(2)?,
            org_id: r.get(3)?,
            members: r.get(4)?,
            archived_at: r.get(5)?,
            rule: {
                let rule = crate::store::audience::Rule {
                    region: r.get(6)?,
                    commune: r.get(7)?,
                    org_kind: r.get(8)?,
                };
                (!rule.is_empty()).then_some(rule)
            },
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.name, &self.id)
    }
}

/// A person SMS alerts go to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SmsContact {
    pub id: String,
    pub phone_e164: String,
    pub name: Option<String>,
    pub region: Option<String>,
    pub commune: Option<String>,
    pub opted_out_at: Option<String>,
}

impl Listed for SmsContact {
    const SELECT: &'static str = "SELECT k.id, k.phone_e164, k.name, k.region, k.commune, k.opted_out_at FROM sms_contacts k";
    const SORT: (&'static str, &'static str) = ("k.phone_e164", "k.id");
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] =
        &["phone_e164", "name", "region", "opted_out_at"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(SmsContact {
            id: r.get(0)?,
            phone_e164: r.get(1)?,
            name: r.get(2)?,
            region: r.get(3)?,
            commune: r.get(4)?,
            opted_out_at: r.get(5)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.phone_e164, &self.id)
    }
}

/// A citizen (a post's author on the public platform), with what they
/// have posted and how much of it moderators took down.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Citizen {
    pub id: String,
    pub display_name: String,
    pub status: CitizenStatus,
    pub muted_until: Option<String>,
    pub posts: i64,
    /// Posts hidden or removed.
    pub taken_down: i64,
    pub platform_id: Option<String>,
}

impl Listed for Citizen {
    const SELECT: &'static str = "SELECT c.id, c.display_name, c.status, c.muted_until, \
        (SELECT count(*) FROM forum_posts p WHERE p.author_id = c.id), \
        (SELECT count(*) FROM forum_posts p WHERE p.author_id = c.id AND p.status <> 'visible'), \
        c.platform_id FROM citizens c";
    const SORT: (&'static str, &'static str) = ("c.display_name", "c.id");
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = &[
        "id",
        "status",
        "muted_until",
        "posts",
        "taken_down",
        "display_name",
    ];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Citizen {
            id: r.get(0)?,
            display_name: r.get(1)?,
            status: r.get(2)?,
            muted_until: r.get(3)?,
            posts: r.get(4)?,
            taken_down: r.get(5)?,
            platform_id: r.get(6)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.display_name, &self.id)
    }
}

/// A colleague, as the console's staff view shows them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StaffMember {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: crate::domain::staff::Role,
    pub active: bool,
    pub last_sync_at: Option<String>,
    pub change: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}

impl Listed for StaffMember {
    const SELECT: &'static str = "SELECT s.id, s.login, s.display_name, s.role, s.active, s.last_sync_at, \
        s.change, s.changed_by, s.changed_at FROM staff s";
    const SORT: (&'static str, &'static str) = ("s.display_name", "s.id");
    const DESCENDING: bool = false;
    const TABLE_COLUMNS: &'static [&'static str] = &["login", "role", "active", "display_name"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(StaffMember {
            id: r.get(0)?,
            login: r.get(1)?,
            display_name: r.get(2)?,
            role: r.get(3)?,
            active: r.get(4)?,
            last_sync_at: r.get(5)?,
            change: r.get(6)?,
            changed_by: r.get(7)?,
            changed_at: r.get(8)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.display_name, &self.id)
    }
}

/// A decision of this replica that the hub refused because the record had
/// changed: both sides, for the person to look at again.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Conflict {
    pub op_id: String,
    pub entity: String,
    pub entity_id: String,
    pub mine: String,
    pub theirs: String,
    pub detected_at: String,
    pub resolved_at: Option<String>,
    /// When the decision was made on this device (its outbox time).
    pub decided_at: Option<String>,
}

impl Listed for Conflict {
    const SELECT: &'static str = "SELECT c.op_id, c.entity, c.entity_id, c.mine, c.theirs, c.detected_at, \
        c.resolved_at, (SELECT x.created_at FROM outbox x WHERE x.op_id = c.op_id) FROM conflicts c";
    const SORT: (&'static str, &'static str) = ("c.detected_at", "c.op_id");
    const DESCENDING: bool = true;
    const TABLE_COLUMNS: &'static [&'static str] = &["detected_at", "entity", "entity_id"];

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Conflict {
            op_id: r.get(0)?,
            entity: r.get(1)?,
            entity_id: r.get(2)?,
            mine: r.get(3)?,
            theirs: r.get(4)?,
            detected_at: r.get(5)?,
            resolved_at: r.get(6)?,
            decided_at: r.get(7)?,
        })
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.detected_at, &self.op_id)
    }
}
