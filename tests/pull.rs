//! Pull without the network: the hub's change feed in seq order, pages
//! applied with their cursor in one transaction, a page applied twice
//! changing nothing, replica rows equal to the hub's afterwards. The hub
//! runs on a SQLite file and on PostgreSQL (see `common::hubs`).

mod common;

use civitac::domain::forum::{PostAction, PostStatus};
use civitac::domain::staff::Role;
use civitac::hub::feed::changes_since;
use civitac::hub::ingest::Report;
use civitac::ops::{Envelope, OP_FORMAT, Op};
use civitac::protocol::Cursor;
use civitac::protocol::{PROTOCOL_VERSION, PullResponse, PushRequest, PushedOp};
use civitac::replica::pull;
use civitac::store::sql::Sql;
use common::hubs::{Kind, TestHub};
use common::*;

const POST: &str = "019a0000-0000-7000-8000-0000000000a2";

fn feed() -> String {
    let thread = "019a0000-0000-7000-8000-0000000000a1";
    let author = "019a0000-0000-7000-8000-0000000000a3";
    let mut lines = vec![format!(
        r#"{{"type":"post","id":"{POST}","thread":{{"id":"{thread}","title":"Route de Kaya"}},"author":{{"id":"{author}","name":"Rasmané"}},"body":"Insultes","created_at":"2026-11-02T09:00:00Z"}}"#
    )];
    for (i, who) in ["c1", "c2", "c3"].iter().enumerate() {
        lines.push(format!(
            r#"{{"type":"flag","post_id":"{POST}","reporter":"{who}","reason":"abuse","created_at":"2026-11-02T09:0{}:00Z"}}"#,
            i + 1
        ));
    }
    lines.push(r#"{"type":"application","org":{"id":"019a0000-0000-7000-8000-0000000000a4","kind":"osc","name":"Union des Pêcheurs de Bagré","region":"Nakambé","commune":"Bagré"}}"#.to_owned());
    lines.join("\n")
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

/// The hub's answer to a pull after `since`, at most `limit` rows.
fn hub_page(hub: &TestHub, since: &Cursor, limit: usize) -> PullResponse {
    hub.with(|c| changes_since(c, since, limit).expect("page"))
}

/// The platform's lines (`feed()`) into the hub, auto-hiding at 3 flags.
fn ingest(hub: &TestHub) -> Report {
    hub.backend()
        .ingest(&mut feed().as_bytes())
        .unwrap_or_else(|e| panic!("ingest: {e}"))
}

/// A record's columns, one string (`cols`: which, `*` for all).
fn dump(c: &dyn Sql, table: &str, cols: &str, id: &str) -> String {
    c.query_row(
        &format!("SELECT {cols} FROM {table} WHERE id = ?1"),
        [id],
        |r| {
            Ok((0..r.len())
                .map(|i| format!("{:?}", r.get_ref(i).expect("cell")))
                .collect::<Vec<_>>()
                .join("|"))
        },
    )
    .expect("row on both sides")
}

fn a_replica_pulls_the_hubs_changes_page_by_page(kind: Kind) {
    let Some((_dir, replica, hub)) = demo_hub(kind) else {
        return;
    };
    let start = pull::cursor(open(&replica).conn()).expect("cursor");
    assert!(
        matches!(start, Cursor::Feed(n) if n > 0),
        "a demo replica starts level with the hub"
    );
    assert!(hub_page(&hub, &start, 100).rows.is_empty());

    // The platform feeds the hub; a moderator on another device decides on another post.
    let report = ingest(&hub);
    assert_eq!(
        (
            report.posts,
            report.flags,
            report.auto_hidden,
            report.bad.len()
        ),
        (1, 3, 1, 0)
    );
    let other = hub.first_id("forum_posts", "status = 'visible' AND flag_count > 0");
    let moderator = civitac::store::Actor {
        staff_id: "m".into(),
        login: "issa.sawadogo".into(),
        display_name: "Issa".into(),
        role: Role::Moderator,
        device: "laptop-b".into(),
    };
    let op = Op::ModeratePost {
        post_id: other.clone(),
        seen_status: PostStatus::Visible,
        action: PostAction::Remove,
        reason: Some("Spam".into()),
    };
    let push = PushRequest {
        v: PROTOCOL_VERSION,
        ops: vec![PushedOp {
            op_id: uuid::Uuid::now_v7().to_string(),
            seq: 1,
            created_at: "2026-11-02T10:00:00.000Z".into(),
            author: moderator.login.clone(),
            op: Envelope {
                v: OP_FORMAT,
                quiet: false,
                op,
            },
        }],
    };
    let _ = hub.push(&moderator, &push);

    // Pull in small pages, as over a 2G link.
    let mut replica_store = open(&replica);
    let mut pages = 0;
    let mut records = Vec::new();
    loop {
        let since = pull::cursor(replica_store.conn()).expect("cursor");
        let page = hub_page(&hub, &since, 3);
        pull::apply_page(replica_store.conn_mut(), &page).expect("apply");
        // The same page again (a retry after a cut) changes nothing.
        pull::apply_page(replica_store.conn_mut(), &page).expect("apply twice");
        records.extend(page.rows.iter().map(|r| (r.entity.clone(), r.id.clone())));
        pages += 1;
        if !page.more {
            break;
        }
    }
    assert!(pages > 2, "{pages} pages");
    let (status, flags): (String, i64) = replica_store
        .conn()
        .query_row(
            "SELECT status, flag_count FROM forum_posts WHERE id = ?1",
            [POST],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the new post reached the replica");
    assert_eq!(
        (status.as_str(), flags),
        ("hidden", 0),
        "auto-hidden at the hub"
    );
    assert_eq!(
        count(
            &replica_store,
            &format!("SELECT count(*) FROM forum_flags WHERE post_id = '{POST}' AND resolved = 1")
        ),
        3
    );
    let removed: String = replica_store
        .conn()
        .query_row(
            "SELECT status FROM forum_posts WHERE id = ?1",
            [&other],
            |r| r.get(0),
        )
        .expect("post");
    assert_eq!(removed, "removed", "another device's decision arrived");
    assert_eq!(
        count(
            &replica_store,
            "SELECT count(*) FROM organizations WHERE name = 'Union des Pêcheurs de Bagré'"
        ),
        1
    );
    // Found by full-text search on the replica too (the FTS triggers ran).
    assert_eq!(
        count(
            &replica_store,
            "SELECT count(*) FROM organizations_fts WHERE organizations_fts MATCH 'pecheurs'"
        ),
        1
    );

    // Every pulled record is now the same on both sides.
    for (entity, id) in records {
        let table = civitac::store::entity::Entity::parse(&entity)
            .expect("known")
            .table();
        let cols = match hub.kind() {
            Kind::Sqlite => "*".to_owned(),
            // Every synced column: PostgreSQL orders its columns its own
            // way and numbers its own search keys (never sent).
            Kind::Postgres => hub.with(|c| {
                civitac::store::synced::Columns::default()
                    .of(c, table)
                    .expect("columns")
                    .join(", ")
            }),
        };
        assert_eq!(
            hub.with(|c| dump(c, table, &cols, &id)),
            dump(replica_store.conn(), table, &cols, &id),
            "{entity} {id}"
        );
    }
}

fn an_empty_replica_is_filled_by_a_snapshot_then_follows_the_feed(kind: Kind) {
    let Some((dir, _, hub)) = demo_hub(kind) else {
        return;
    };
    let fresh = dir.path().join("fresh.db");
    let mut replica =
        civitac::store::Store::create(&fresh, civitac::store::Side::Replica).expect("create");
    assert_eq!(pull::cursor(replica.conn()).expect("cursor"), Cursor::Start);
    let mut pages = 0;
    let mut ingested = false;
    loop {
        let since = pull::cursor(replica.conn()).expect("cursor");
        let page = hub_page(&hub, &since, 997);
        pull::apply_page(replica.conn_mut(), &page).expect("apply");
        pages += 1;
        // Halfway through the snapshot the platform sends more: it arrives by the feed.
        if pages == 3 && !ingested {
            ingest(&hub);
            ingested = true;
        }
        if !page.more {
            break;
        }
    }
    assert!(pages > 5, "{pages} pages");
    let want = hub.digest();
    assert_eq!(synced_digest(&replica), want);
    assert_eq!(
        count(
            &replica,
            &format!("SELECT count(*) FROM forum_posts WHERE id = '{POST}'")
        ),
        1
    );
}

/// A hub link that passes pulls through until `fail_at` (counting from 1),
/// where it answers "unreachable", or hands back a page whose first row
/// names an unknown kind (`garble_at`), which the replica refuses to write.
struct Faulty {
    inner: civitac::hub::local::LocalHub,
    pulls: usize,
    fail_at: Option<usize>,
    garble_at: Option<usize>,
}

impl civitac::protocol::remote::Remote for Faulty {
    fn whoami(
        &mut self,
    ) -> Result<civitac::protocol::WhoAmI, civitac::protocol::remote::TransportError> {
        self.inner.whoami()
    }
    fn push(
        &mut self,
        request: &PushRequest,
    ) -> Result<civitac::protocol::PushResponse, civitac::protocol::remote::TransportError> {
        self.inner.push(request)
    }
    fn pull(
        &mut self,
        since: &Cursor,
        limit: usize,
    ) -> Result<civitac::protocol::PullResponse, civitac::protocol::remote::TransportError> {
        self.pulls += 1;
        if self.fail_at == Some(self.pulls) {
            return Err(civitac::protocol::remote::TransportError::Unreachable {
                url: "in-process".into(),
                why: "cut".into(),
            });
        }
        let mut page = self.inner.pull(since, limit)?;
        if self.garble_at == Some(self.pulls)
            && let Some(row) = page.rows.first_mut()
        {
            row.entity = "no_such_kind".into();
        }
        Ok(page)
    }
    fn file_range(
        &mut self,
        sha256: &str,
        offset: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, civitac::protocol::remote::TransportError> {
        self.inner.file_range(sha256, offset, out)
    }
    fn base(&self) -> &str {
        self.inner.base()
    }
    fn traffic(&self) -> (u64, u64) {
        self.inner.traffic()
    }
    fn skew(&self) -> Option<i64> {
        self.inner.skew()
    }
}

/// The next page is fetched while one is written: a cut link or a page the
/// replica refuses stops the pull with that error, every page before it is
/// written with its cursor (none after it), and the next sync finishes the
/// fill and equals the hub.
fn a_pull_cut_or_refused_midway_keeps_the_pages_before_and_resumes(kind: Kind) {
    use civitac::protocol::remote::Remote;
    use civitac::replica::session::{self, Sizes};
    let Some((dir, _, hub)) = demo_hub(kind) else {
        return;
    };
    let token = hub.with(|c| {
        civitac::hub::tokens::issue(c, "test.pull", None, Role::Moderator, "device-p")
            .expect("token")
            .1
    });
    let backend = hub.shared();
    let sizes = Sizes {
        pull_page: 500,
        ..Sizes::default()
    };
    for (name, fail_at, garble_at) in [("cut", Some(4), None), ("refused", None, Some(4))] {
        let mut link = Faulty {
            inner: civitac::hub::local::LocalHub::new(backend.clone(), &token),
            pulls: 0,
            fail_at,
            garble_at,
        };
        let me = link.whoami().expect("whoami");
        let mut store = civitac::store::Store::create(
            &dir.path().join(format!("{name}.db")),
            civitac::store::Side::Replica,
        )
        .expect("replica");
        session::attach(store.conn_mut(), &me, "in-process").expect("identity");
        let mut rows_seen = Vec::new();
        let failed = session::sync(store.conn_mut(), &mut link, sizes, &mut |p| {
            if let session::Progress::Pulling { rows, .. } = p {
                rows_seen.push(rows);
            }
        });
        assert!(failed.is_err(), "{name}: the pull stops with the error");
        // Three pages written, each reported, the fourth never: the cursor
        // is where the third ended.
        assert_eq!(rows_seen.len(), 3, "{name}: {rows_seen:?}");
        let cursor = pull::cursor(store.conn()).expect("cursor");
        assert_ne!(
            cursor,
            Cursor::Start,
            "{name}: pages before the fault stand"
        );
        // A refused page is never fetched past by much: two pages after it
        // at most (one waiting to be written, one in hand).
        if garble_at.is_some() {
            assert!(link.pulls <= 6, "{name}: {} pulls", link.pulls);
        }
        link.fail_at = None;
        link.garble_at = None;
        session::sync(store.conn_mut(), &mut link, sizes, &mut |_| {}).expect("resumed");
        assert_eq!(
            synced_digest(&store),
            hub.digest(),
            "{name}: the fill completes"
        );
        assert!(!pull::fill_unfinished(store.conn()), "{name}");
        assert_search_index_whole(&store);
    }
}

on_both!(
    a_replica_pulls_the_hubs_changes_page_by_page,
    an_empty_replica_is_filled_by_a_snapshot_then_follows_the_feed,
    a_pull_cut_or_refused_midway_keeps_the_pages_before_and_resumes,
);

/// A record this replica made by an op the hub refused, said gone by the
/// hub, goes with every row here that names it, however deep (a message to
/// it, a resend of that, a resend of the resend…, whatever their group),
/// in one page whose foreign keys hold; a record no refused op names
/// stays, gone or not.
#[test]
fn a_refused_record_goes_with_every_row_made_on_it() {
    let (_dir, replica) = small_demo();
    let mut store = civitac::store::Store::open(&replica).expect("replica");
    let group = uuid::Uuid::now_v7().to_string();
    let messages: Vec<String> = (0..8).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let op = Envelope {
        v: OP_FORMAT,
        quiet: false,
        op: serde_json::from_value(serde_json::json!({
            "type": "CreateGroup", "group": {"id": group, "name": "Veille refusée"}
        }))
        .expect("op"),
    };
    let kept = store
        .conn()
        .query_row("SELECT id FROM sms_groups LIMIT 1", [], |r| {
            r.get::<_, String>(0)
        })
        .expect("another group");
    {
        let c = store.conn();
        c.execute(
            "INSERT INTO sms_groups (id, name) VALUES (?1, 'Veille refusée')",
            [&group],
        )
        .expect("group");
        for (i, m) in messages.iter().enumerate() {
            c.execute(
                "INSERT INTO sms_messages (id, group_id, kind, body, encoding, segments, recipients,
                   status, created_by, created_at, retry_of)
                 VALUES (?1, ?2, 'notice', 'Réunion', 'GSM-7', 1, 0, 'queued', 'test.ada',
                   '2026-11-02T08:00:00Z', ?3)",
                rusqlite::params![
                    m,
                    if i == 0 { &group } else { &kept },
                    i.checked_sub(1).map(|p| &messages[p])
                ],
            )
            .expect("message");
        }
        c.execute(
            "INSERT INTO outbox (op_id, seq, created_at, op, pushed_at, outcome, reason)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), '2026-11-02T08:00:00Z',
                     ?2, '2026-11-02T08:01:00Z', 'rejected', 'name taken')",
            [
                uuid::Uuid::now_v7().to_string(),
                serde_json::to_string(&op).expect("json"),
            ],
        )
        .expect("outbox");
    }
    let page = gone_page(&store, "sms_group", &[&group, &kept]);
    pull::apply_page(store.conn_mut(), &page).expect("the page");
    let count = |sql: &str| -> i64 {
        store
            .conn()
            .query_row(sql, [&group], |r| r.get(0))
            .expect(sql)
    };
    assert_eq!(count("SELECT count(*) FROM sms_groups WHERE id = ?1"), 0);
    let left: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM sms_messages WHERE id IN (SELECT value FROM json_each(?1))",
            [serde_json::to_string(&messages).expect("json")],
            |r| r.get(0),
        )
        .expect("messages");
    assert_eq!(left, 0);
    let still: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM sms_groups WHERE id = ?1",
            [&kept],
            |r| r.get(0),
        )
        .expect("kept");
    assert_eq!(still, 1, "a group no refused op names stays");
}
