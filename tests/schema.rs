//! The schema itself refuses what the domain forbids, and says the same as the code.

mod common;

use civitac::domain::enrollment::{OrgKind, Stage};
use civitac::domain::forum::{CitizenStatus, FlagReason, PostStatus};
use civitac::domain::sms::{SmsKind, SmsStatus};
use civitac::domain::staff::Role;
use civitac::domain::uploads::{DocumentCategory, UploadKind, UploadStatus};
use civitac::store::SCHEMA_SQL;
use common::*;

/// The values a column's `CHECK (col IN (...))` allows, read from schema.sql.
fn check_values(table: &str, column: &str) -> Vec<String> {
    let start = SCHEMA_SQL
        .find(&format!("CREATE TABLE {table} ("))
        .unwrap_or_else(|| panic!("no table {table}"));
    let body = &SCHEMA_SQL[start..];
    let body = &body[..body.find(");").expect("table ends")];
    let pat = format!("{column} IN");
    let at = body
        .find(&pat)
        .unwrap_or_else(|| panic!("no CHECK on {table}.{column}"));
    let list = &body[at + pat.len()..];
    let list = &list[list.find('(').expect("(") + 1..list.find(')').expect(")")];
    list.split(',')
        .map(|v| {
            v.trim()
                .trim_matches(|c: char| c == '\'' || c.is_whitespace())
                .to_owned()
        })
        .collect()
}

fn strs(all: &[impl ToString]) -> Vec<String> {
    all.iter().map(ToString::to_string).collect()
}

#[test]
fn check_constraints_list_exactly_the_enum_values() {
    assert_eq!(check_values("staff", "role"), strs(Role::ALL));
    assert_eq!(check_values("organizations", "kind"), strs(OrgKind::ALL));
    assert_eq!(check_values("organizations", "status"), strs(Stage::ALL));
    assert_eq!(check_values("uploads", "kind"), strs(UploadKind::ALL));
    assert_eq!(
        check_values("uploads", "category"),
        strs(DocumentCategory::ALL)
    );
    assert_eq!(check_values("uploads", "status"), strs(UploadStatus::ALL));
    assert_eq!(check_values("citizens", "status"), strs(CitizenStatus::ALL));
    assert_eq!(check_values("forum_posts", "status"), strs(PostStatus::ALL));
    assert_eq!(check_values("forum_flags", "reason"), strs(FlagReason::ALL));
    assert_eq!(check_values("sms_messages", "kind"), strs(SmsKind::ALL));
    assert_eq!(check_values("sms_messages", "status"), strs(SmsStatus::ALL));
}

#[test]
fn schema_refuses_illegal_statuses() {
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let c = store.conn();
    let cases = [
        (
            "UPDATE organizations SET status = 'approved' WHERE rowid = 1",
            "organizations.status",
        ),
        (
            "UPDATE organizations SET kind = 'ngo' WHERE rowid = 1",
            "organizations.kind",
        ),
        (
            "UPDATE uploads SET status = 'accepted' WHERE rowid = 1",
            "uploads.status",
        ),
        (
            "UPDATE uploads SET kind = 'pdf' WHERE rowid = 1",
            "uploads.kind",
        ),
        (
            "UPDATE forum_posts SET status = 'deleted' WHERE rowid = 1",
            "forum_posts.status",
        ),
        (
            "UPDATE forum_posts SET flag_count = -1 WHERE rowid = 1",
            "forum_posts.flag_count",
        ),
        (
            "UPDATE citizens SET status = 'blocked' WHERE rowid = 1",
            "citizens.status",
        ),
        (
            "UPDATE forum_flags SET reason = 'rude' WHERE rowid = 1",
            "forum_flags.reason",
        ),
        (
            "UPDATE sms_messages SET status = 'done' WHERE rowid = 1",
            "sms_messages.status",
        ),
        (
            "UPDATE staff SET role = 'root' WHERE rowid = 1",
            "staff.role",
        ),
        (
            "UPDATE sms_contacts SET phone_e164 = '70123456' WHERE rowid = 1",
            "sms_contacts.phone_e164",
        ),
    ];
    for (sql, what) in cases {
        let err = c.execute(sql, []).expect_err(what);
        assert!(
            err.to_string().contains("CHECK constraint failed"),
            "{what}: {err}"
        );
    }
    // A foreign key to nowhere is refused as well.
    let err = c
        .execute(
            "UPDATE uploads SET org_id = '00000000-0000-7000-8000-000000000000' WHERE rowid = 1",
            [],
        )
        .expect_err("dangling org_id");
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[test]
fn audit_log_is_append_only() {
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let before = count(&store, "SELECT count(*) FROM audit_log");
    assert!(before > 0);
    let err = store
        .conn()
        .execute("UPDATE audit_log SET reason = 'rewritten'", [])
        .expect_err("update");
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = store
        .conn()
        .execute("DELETE FROM audit_log", [])
        .expect_err("delete");
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(count(&store, "SELECT count(*) FROM audit_log"), before);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE reason = 'rewritten'"
        ),
        0
    );
}

#[test]
fn every_list_ordering_has_an_index() {
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let plans = [
        "SELECT id FROM organizations o WHERE o.status = 'contacted' ORDER BY o.created_at, o.id LIMIT 50",
        "SELECT id FROM organizations o ORDER BY o.created_at, o.id LIMIT 50",
        // The enrolments stuck longest in their stage.
        "SELECT id FROM organizations o WHERE +o.status IN ('applied', 'charter_received', 'contacted') ORDER BY o.updated_at, o.id LIMIT 50",
        "SELECT id FROM uploads u WHERE u.status = 'pending' ORDER BY u.submitted_at, u.id LIMIT 50",
        "SELECT id FROM forum_posts p ORDER BY p.created_at DESC, p.id DESC LIMIT 50",
        "SELECT id FROM forum_posts p WHERE p.status = 'visible' ORDER BY p.created_at DESC, p.id DESC LIMIT 50",
        "SELECT id FROM forum_posts p WHERE p.flag_count > 0 ORDER BY p.queue_key, p.id LIMIT 50",
        "SELECT id FROM forum_posts p WHERE p.flag_count > 0 AND +p.status IN ('visible') ORDER BY p.queue_key, p.id LIMIT 50",
        "SELECT id FROM audit_log a ORDER BY a.at DESC, a.id DESC LIMIT 50",
        "SELECT id FROM sms_messages m ORDER BY m.created_at DESC, m.id DESC LIMIT 50",
        "SELECT id FROM sms_groups g ORDER BY g.name, g.id LIMIT 50",
        "SELECT id FROM sms_contacts k ORDER BY k.phone_e164, k.id LIMIT 50",
        "SELECT id FROM sms_contacts k WHERE (k.phone_e164, k.id) > ('+2267', '') ORDER BY k.phone_e164, k.id LIMIT 50",
    ];
    for sql in plans {
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan");
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("plan");
        let plan = plan.join(" | ");
        assert!(
            !plan.contains("TEMP B-TREE"),
            "{sql} sorts without an index: {plan}"
        );
    }
}

/// Every list's queries (page, backward page, capped count, ids) run on a
/// real replica: a statement that only fails at run time fails here.
#[test]
fn every_list_query_runs() {
    use civitac::store::query::{self, Filters, ListKind};
    use civitac::store::rows::*;
    fn check<T: Listed>(conn: &rusqlite::Connection, list: ListKind) {
        let f = Filters::default();
        let page = query::page::<T>(conn, list, &f, None, 5)
            .unwrap_or_else(|e| panic!("{}: page: {e}", list.as_str()));
        if let Some(next) = page.next.as_ref() {
            query::page::<T>(conn, list, &f, Some(next), 5)
                .unwrap_or_else(|e| panic!("{}: next page: {e}", list.as_str()));
        }
        query::page_before::<T>(conn, list, &f, None, 5)
            .unwrap_or_else(|e| panic!("{}: last page: {e}", list.as_str()));
        query::count::<T>(conn, list, &f, 10)
            .unwrap_or_else(|e| panic!("{}: count: {e}", list.as_str()));
        query::ids::<T>(conn, list, &f).unwrap_or_else(|e| panic!("{}: ids: {e}", list.as_str()));
    }
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let c = store.conn();
    check::<Organization>(c, ListKind::Enrollments);
    check::<Upload>(c, ListKind::Uploads);
    check::<Post>(c, ListKind::Forum);
    check::<QueuedPost>(c, ListKind::Forum);
    check::<SmsMessage>(c, ListKind::Sms);
    check::<SmsGroup>(c, ListKind::SmsGroups);
    check::<SmsContact>(c, ListKind::SmsContacts);
    check::<AuditEntry>(c, ListKind::Audit);
    check::<OutboxEntry>(c, ListKind::Outbox);
    check::<Conflict>(c, ListKind::Conflicts);
}

/// Both schema files say the version this build writes, where a reader (or a
/// new PostgreSQL hub, which records the number the file inserts) takes it.
#[test]
fn both_schema_files_name_the_version_this_build_writes() {
    let v = civitac::store::SCHEMA_VERSION;
    let pg = include_str!("../schema-postgres.sql");
    let first = |s: &'static str| s.lines().next().unwrap_or_default();
    assert!(
        first(SCHEMA_SQL).contains(&format!("version {v} (PRAGMA user_version = {v})")),
        "schema.sql: {}",
        first(SCHEMA_SQL)
    );
    assert!(
        first(pg).contains(&format!("hub, version {v}:")),
        "schema-postgres.sql: {}",
        first(pg)
    );
    assert!(
        pg.contains(&format!(
            "INSERT INTO schema_version (version) VALUES ({v});"
        )),
        "schema-postgres.sql records another version"
    );
    for (name, text) in [("schema.sql", SCHEMA_SQL), ("schema-postgres.sql", pg)] {
        assert!(
            text.contains(&format!("-- begin: version {v}"))
                && text.contains(&format!("-- end: version {v}")),
            "{name} has no part for version {v}"
        );
    }
}
