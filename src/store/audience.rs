//! Who an SMS reaches: a group's members, a dynamic group's rule over the
//! contacts, or, for a resend, the numbers an earlier message failed to
//! reach — never a contact who opted out. The composer's count, queueing,
//! approval and the hub's sender all ask here, so they cannot disagree.

use super::sql::{DbError, Optional, Sql};
use rusqlite::types::Value;

/// A dynamic group's rule: every part given must match. A rule with no
/// part is refused where it is made (it would mean "everyone").
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// An organisation kind (`commune`, `region`, `osc`): the numbers of its
    /// organisations' contacts and leaders met (rejected ones aside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_kind: Option<String>,
}

impl Rule {
    pub fn is_empty(&self) -> bool {
        self.region.is_none() && self.commune.is_none() && self.org_kind.is_none()
    }
}

/// The SQL condition on contacts `c` that a rule's parts select (its
/// places, names in the list that contacts' keys hold, and its organisation
/// kind, given as SQL expressions: parameters or a group's columns),
/// opted out or not (who is reached leaves them aside; a group's list shows
/// them, as a group of members does).
/// A macro, so that lists can hold it in their constant queries.
macro_rules! rule_condition {
    ($region_key:literal, $commune_key:literal, $org_kind:literal) => {
        concat!(
            "(",
            $region_key,
            " IS NULL OR c.region_key = ",
            $region_key,
            ") ",
            "AND (",
            $commune_key,
            " IS NULL OR c.commune_key = ",
            $commune_key,
            ") ",
            // Looked up by the contact's number (indexed on both sides),
            // never by scanning the organisations for each contact.
            "AND (",
            $org_kind,
            " IS NULL ",
            "OR EXISTS (SELECT 1 FROM organizations o WHERE o.phone = c.phone_e164 AND o.kind = ",
            $org_kind,
            " AND o.status <> 'rejected') ",
            "OR EXISTS (SELECT 1 FROM org_leaders l JOIN organizations o ON o.id = l.org_id ",
            "WHERE l.phone = c.phone_e164 AND o.kind = ",
            $org_kind,
            " AND o.status <> 'rejected'))"
        )
    };
}

/// A group `g`'s rule as the arguments of `rule_condition!`: its places'
/// keys and its organisation kind.
macro_rules! group_rule {
    () => {
        $crate::store::audience::rule_condition!(
            "g.rule_region",
            "g.rule_commune",
            "g.rule_org_kind"
        )
    };
}

/// A group `g`'s size for lists, as one SQL expression: its members (opted
/// out or not), or the contacts its rule selects now.
macro_rules! group_members {
    () => {
        concat!(
            "(CASE WHEN g.rule_region IS NULL AND g.rule_commune IS NULL AND g.rule_org_kind IS NULL ",
            "THEN (SELECT count(*) FROM sms_group_members gm WHERE gm.group_id = g.id) ",
            "ELSE (SELECT count(*) FROM sms_contacts c WHERE ",
            $crate::store::audience::group_rule!(),
            ") END)"
        )
    };
}

/// Whom the group of members `$group` (an SQL expression) reaches now, as
/// one SQL expression: its members who did not opt out, as counted when
/// they change (`sms_group_reach`), or counted here while a replica's first
/// fill is unfinished (its counters are set when the fill ends).
macro_rules! members_reach {
    ($group:literal) => {
        concat!(
            "(CASE WHEN EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') ",
            "THEN (SELECT count(*) FROM sms_group_members gm JOIN sms_contacts c ON c.id = gm.contact_id ",
            "WHERE gm.group_id = ",
            $group,
            " AND c.opted_out_at IS NULL) ",
            "ELSE coalesce((SELECT r.n FROM sms_group_reach r WHERE r.group_id = ",
            $group,
            "), 0) END)"
        )
    };
}

/// Whom a group `g` reaches now, as one SQL expression (the composer's
/// count): its members who did not opt out, or its rule's contacts.
macro_rules! group_reach {
    () => {
        concat!(
            "(CASE WHEN g.rule_region IS NULL AND g.rule_commune IS NULL AND g.rule_org_kind IS NULL ",
            "THEN ",
            $crate::store::audience::members_reach!("g.id"),
            " ",
            "ELSE (SELECT count(*) FROM sms_contacts c WHERE c.opted_out_at IS NULL AND ",
            $crate::store::audience::group_rule!(),
            ") END)"
        )
    };
}

/// Whom a message `m` reaches now, as one SQL expression (what an approver
/// sees): a resend's failed numbers, or its group's reach.
macro_rules! message_reach {
    () => {
        concat!(
            "(CASE WHEN m.retry_of IS NOT NULL ",
            "THEN (SELECT count(*) FROM sms_failures f JOIN sms_contacts c ON c.id = f.contact_id ",
            "WHERE f.message_id = m.retry_of AND c.opted_out_at IS NULL) ",
            "ELSE (SELECT ",
            $crate::store::audience::group_reach!(),
            " FROM sms_groups g WHERE g.id = m.group_id) END)"
        )
    };
}

pub(crate) use {
    group_members, group_reach, group_rule, members_reach, message_reach, rule_condition,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// A group's members (who did not opt out).
    Members { group_id: String },
    /// A dynamic group's contacts now.
    Rule(Rule),
    /// The contacts a message failed to reach (who did not opt out since).
    Failed { message_id: String },
}

impl Audience {
    /// A group's audience: its rule when it has one, else its members.
    /// `None` when there is no such group.
    pub fn of_group(conn: &dyn Sql, group_id: &str) -> Result<Option<Audience>, DbError> {
        Ok(rule_of(conn, group_id)?.map(|rule| match rule {
            Some(rule) => Audience::Rule(rule),
            None => Audience::Members {
                group_id: group_id.to_owned(),
            },
        }))
    }

    /// A message's audience: a resend's failed numbers, else its group's.
    pub fn of_message(conn: &dyn Sql, message_id: &str) -> Result<Option<Audience>, DbError> {
        let found: Option<(String, Option<String>)> = conn
            .prepare_cached("SELECT group_id, retry_of FROM sms_messages WHERE id = ?1")?
            .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match found {
            None => Ok(None),
            Some((_, Some(retry_of))) => Ok(Some(Audience::Failed {
                message_id: retry_of,
            })),
            Some((group_id, None)) => Audience::of_group(conn, &group_id),
        }
    }

    /// `SELECT c.id FROM sms_contacts c …` and its parameters.
    fn select(&self) -> (String, Vec<Value>) {
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        match self {
            Audience::Members { group_id } => (
                "SELECT c.id FROM sms_group_members gm JOIN sms_contacts c ON c.id = gm.contact_id
                 WHERE gm.group_id = ?1 AND c.opted_out_at IS NULL"
                    .to_owned(),
                vec![Value::Text(group_id.clone())],
            ),
            // A rule's places are names in the list (`ops` checks them),
            // as contacts' keys hold them.
            Audience::Rule(rule) => (
                concat!(
                    "SELECT c.id FROM sms_contacts c WHERE c.opted_out_at IS NULL AND ",
                    rule_condition!("?1", "?2", "?3")
                )
                .to_owned(),
                vec![
                    text(&rule.region),
                    text(&rule.commune),
                    text(&rule.org_kind),
                ],
            ),
            Audience::Failed { message_id } => (
                "SELECT c.id FROM sms_failures f JOIN sms_contacts c ON c.id = f.contact_id
                 WHERE f.message_id = ?1 AND c.opted_out_at IS NULL"
                    .to_owned(),
                vec![Value::Text(message_id.clone())],
            ),
        }
    }

    /// How many it reaches now: a group of members from its counter
    /// (`members_reach!`), the others by counting.
    pub fn count(&self, conn: &dyn Sql) -> Result<i64, DbError> {
        if let Audience::Members { group_id } = self {
            return conn
                .prepare_cached(concat!("SELECT ", members_reach!("?1")))?
                .query_row([group_id], |r| r.get(0));
        }
        let (select, values) = self.select();
        conn.prepare_cached(&format!("SELECT count(*) FROM ({select}) AS a"))?
            .query_row(values, |r| r.get(0))
    }

    /// Plans one pending delivery of `message_id` per contact it reaches
    /// (the hub, when a message's time comes); returns how many are new.
    pub fn plan(&self, conn: &dyn Sql, message_id: &str, now: &str) -> Result<usize, DbError> {
        let (select, mut values) = self.select();
        let at = values.len();
        values.push(Value::Text(message_id.to_owned()));
        values.push(Value::Text(now.to_owned()));
        conn.prepare_cached(&format!(
            "INSERT INTO sms_deliveries (message_id, contact_id, status, updated_at)
             SELECT ?{}, a.id, 'pending', ?{} FROM ({select}) a WHERE true
             ON CONFLICT DO NOTHING",
            at + 1,
            at + 2
        ))?
        .execute(values)
    }
}

/// A group's rule: `None` when there is no such group, `Some(None)` when it
/// is a group of members.
pub fn rule_of(conn: &dyn Sql, group_id: &str) -> Result<Option<Option<Rule>>, DbError> {
    conn.prepare_cached(
        "SELECT rule_region, rule_commune, rule_org_kind FROM sms_groups WHERE id = ?1",
    )?
    .query_row([group_id], |r| {
        let rule = Rule {
            region: r.get(0)?,
            commune: r.get(1)?,
            org_kind: r.get(2)?,
        };
        Ok(if rule.is_empty() { None } else { Some(rule) })
    })
    .optional()
}
