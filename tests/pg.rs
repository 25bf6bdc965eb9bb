//! The hub on PostgreSQL (a throwaway cluster per test binary, see
//! `common::pg`): a SQLite hub migrated whole, replicas continuing without
//! a new first fill, several hub processes on one database answering each
//! push exactly once, a feed no reader can skip, revocation seen at once.

mod common;

use std::sync::Arc;

use civitac::domain::forum::{PostAction, PostStatus};
use civitac::domain::staff::Role;
use civitac::hub::backend::HubBackend;
use civitac::hub::local::LocalHub;
use civitac::hub::pg::PgHub;
use civitac::hub::pg::conn::PgConn;
use civitac::hub::tokens;
use civitac::ops::{Envelope, OP_FORMAT, Op};
use civitac::protocol::{Cursor, Outcome, PROTOCOL_VERSION, PushRequest, PushedOp};
use civitac::replica::session::{self, Sizes};
use civitac::store::sql::Sql;
use common::*;

fn sha(path: &std::path::Path) -> String {
    use sha2::Digest;
    civitac::hex(&sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

fn hide(post: &str, seen: PostStatus) -> Op {
    Op::ModeratePost {
        post_id: post.into(),
        seen_status: seen,
        action: PostAction::Hide,
        reason: Some("Propos injurieux".into()),
    }
}

fn pushed(seq: i64, author: &str, op: Op) -> PushedOp {
    PushedOp {
        op_id: uuid::Uuid::now_v7().to_string(),
        seq,
        created_at: "2026-11-02T08:00:00.000Z".into(),
        author: author.into(),
        op: Envelope {
            v: OP_FORMAT,
            quiet: false,
            op,
        },
    }
}

fn one(c: &dyn Sql, sql: &str) -> i64 {
    c.query_row(sql, (), |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A demo world whose hub is then migrated to a fresh PostgreSQL database.
struct PgWorld {
    world: common::world::World,
    url: String,
    files: std::path::PathBuf,
    source_sha: String,
    report: civitac::hub::pg::migrate::Report,
}

fn migrated(roles: &[Role]) -> Option<PgWorld> {
    let cluster = common::pg::cluster()?;
    let world = common::world::world_of(roles, "pg.mod", 0.05, 21);
    let url = cluster.database();
    let files = world.dir.path().join("files");
    std::fs::create_dir_all(&files).expect("files");
    let source_sha = sha(&world.hub_db);
    let report = civitac::hub::pg::migrate::migrate(&world.hub_db, &url, &files).expect("migrate");
    Some(PgWorld {
        world,
        url,
        files,
        source_sha,
        report,
    })
}

#[test]
fn a_migrated_hub_holds_every_row_and_replicas_continue_without_a_first_fill() {
    let Some(mut w) = migrated(&[Role::Moderator, Role::Moderator]) else {
        return;
    };
    // The source is untouched; every table came, with its rows.
    assert_eq!(
        sha(&w.world.hub_db),
        w.source_sha,
        "the SQLite hub is left as it was"
    );
    let pg = PgConn::connect(&w.url).expect("connect");
    let sqlite = open(&w.world.hub_db);
    assert_eq!(
        digest_of(pg.sql()),
        digest_of(sqlite.conn()),
        "same synced data"
    );
    for table in [
        "audit_log",
        "changes",
        "applied_ops",
        "devices",
        "staff",
        "counters",
    ] {
        let c = w
            .report
            .tables
            .iter()
            .find(|c| c.table == table)
            .unwrap_or_else(|| panic!("{table} copied"));
        assert_eq!(
            c.rows as i64,
            one(pg.sql(), &format!("SELECT count(*) FROM {table}")),
            "{table}"
        );
    }
    assert_eq!(
        one(pg.sql(), "SELECT max(seq) FROM changes"),
        count(&sqlite, "SELECT max(seq) FROM changes"),
        "the feed position"
    );
    drop(sqlite);

    // A replica decides, then syncs with the PostgreSQL hub: its decision
    // is applied, and it pulls from where it stood (no snapshot).
    let hub = Arc::new(PgHub::open(&w.url, w.files.clone(), 3, 4).expect("pg hub"));
    let post = first_id(&w.world.replicas[0].0, "forum_posts", "status = 'visible'");
    {
        let (store, _) = &mut w.world.replicas[0];
        let actor = store.owner().expect("owner").expect("owner");
        let tx = store.conn_mut().transaction().expect("tx");
        civitac::ops::apply(&tx, &actor, &hide(&post, PostStatus::Visible)).expect("hide");
        tx.commit().expect("commit");
    }
    for (i, (store, old)) in w.world.replicas.iter_mut().enumerate() {
        let token = old.token().to_owned();
        let mut client = LocalHub::new(hub.clone(), &token);
        let before = civitac::replica::pull::cursor(store.conn()).expect("cursor");
        assert!(
            matches!(before, Cursor::Feed(_)),
            "replica {i} was past its first fill"
        );
        let report = session::sync(store.conn_mut(), &mut client, Sizes::default(), &mut |_| {})
            .expect("sync with the PostgreSQL hub");
        assert!(
            report.pulled < 50,
            "replica {i} pulled {} rows: a new first fill?",
            report.pulled
        );
        assert_eq!(
            count(store, "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"),
            0
        );
        assert_eq!(
            count(
                store,
                &format!(
                    "SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = 'hidden'"
                )
            ),
            1,
            "replica {i} sees the hide"
        );
    }
    assert_eq!(
        one(
            pg.sql(),
            &format!("SELECT count(*) FROM forum_posts WHERE id = '{post}' AND status = 'hidden'")
        ),
        1
    );
}

#[test]
fn two_hub_processes_answer_each_push_once_and_no_reader_skips_a_change() {
    let Some(w) = migrated(&[Role::Moderator, Role::Moderator, Role::Moderator]) else {
        return;
    };
    let hubs = [
        Arc::new(PgHub::open(&w.url, w.files.clone(), 3, 4).expect("hub a")),
        Arc::new(PgHub::open(&w.url, w.files.clone(), 3, 4).expect("hub b")),
    ];
    let posts = ids(
        &w.world.replicas[0].0,
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 60",
    );
    assert!(posts.len() >= 30, "enough posts");
    let actors: Vec<_> = w
        .world
        .replicas
        .iter()
        .map(|(s, _)| s.owner().expect("owner").expect("owner"))
        .collect();
    let start: i64 = {
        let c = PgConn::connect(&w.url).expect("connect");
        one(c.sql(), "SELECT coalesce(max(seq), 0) FROM changes")
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A reader paging the feed while the writers write.
    let reader = {
        let url = w.url.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let c = PgConn::connect(&url).expect("reader");
            let mut seen = Vec::new();
            let mut cursor = start;
            loop {
                let done = stop.load(std::sync::atomic::Ordering::SeqCst);
                let page: Vec<i64> = c
                    .sql()
                    .query_map(
                        "SELECT seq FROM changes WHERE seq > ?1 ORDER BY seq LIMIT 50",
                        [cursor],
                        |r| r.get(0),
                    )
                    .expect("page")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                if let Some(last) = page.last() {
                    cursor = *last;
                }
                let empty = page.is_empty();
                seen.extend(page);
                if done && empty {
                    return seen;
                }
            }
        })
    };
    // Each device pushes its ops through both hubs alternately, each batch
    // twice (a lost answer: the retry goes to the other hub).
    let writers: Vec<_> = actors
        .iter()
        .enumerate()
        .map(|(d, actor)| {
            let hubs = hubs.clone();
            let actor = actor.clone();
            let mine: Vec<String> = posts
                .iter()
                .skip(d)
                .step_by(actors.len())
                .cloned()
                .collect();
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                for (i, post) in mine.iter().enumerate() {
                    let request = PushRequest {
                        v: PROTOCOL_VERSION,
                        ops: vec![pushed(
                            i as i64 + 1,
                            &actor.login,
                            hide(post, PostStatus::Visible),
                        )],
                    };
                    let first = hubs[i % 2].push(&actor, &request).expect("push");
                    let again = hubs[(i + 1) % 2].push(&actor, &request).expect("retry");
                    answers.push((request.ops[0].op_id.clone(), first, again));
                }
                answers
            })
        })
        .collect();
    let mut op_ids = Vec::new();
    for w in writers {
        for (op_id, first, again) in w.join().expect("writer") {
            assert_eq!(first.results[0].outcome, Outcome::Applied, "{op_id}");
            assert_eq!(
                again.results[0].outcome,
                Outcome::Duplicate,
                "{op_id} retried"
            );
            op_ids.push(op_id);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.join().expect("reader");
    let c = PgConn::connect(&w.url).expect("connect");
    for op_id in &op_ids {
        assert_eq!(
            one(
                c.sql(),
                &format!("SELECT count(*) FROM audit_log WHERE id = '{op_id}'")
            ),
            1,
            "{op_id} applied once"
        );
    }
    let all: Vec<i64> = c
        .sql()
        .query_map(
            "SELECT seq FROM changes WHERE seq > ?1 ORDER BY seq",
            [start],
            |r| r.get(0),
        )
        .expect("all")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(all.len() >= op_ids.len(), "every op changed a record");
    assert_eq!(
        seen, all,
        "the reader saw every change, in order, none skipped"
    );
}

/// The hazard the write lock exists for, shown on PostgreSQL itself: two
/// transactions that draw feed numbers and commit in the other order let a
/// reader paging by `seq > cursor` pass a number that appears later.
#[test]
fn without_the_write_lock_a_reader_would_skip_a_change() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let url = cluster.database();
    let setup = PgConn::connect(&url).expect("connect");
    setup
        .batch("CREATE TABLE changes (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, entity TEXT, entity_id TEXT)")
        .expect("table");
    let (early, late, reader) = (
        PgConn::connect(&url).expect("a"),
        PgConn::connect(&url).expect("b"),
        PgConn::connect(&url).expect("c"),
    );
    early
        .batch("BEGIN; INSERT INTO changes (entity, entity_id) VALUES ('x', '1')")
        .expect("early draws 1");
    late.batch("BEGIN; INSERT INTO changes (entity, entity_id) VALUES ('x', '2'); COMMIT")
        .expect("late commits 2");
    let first = one(reader.sql(), "SELECT coalesce(max(seq), 0) FROM changes");
    early.batch("COMMIT").expect("early commits 1");
    let missed = one(
        reader.sql(),
        &format!("SELECT count(*) FROM changes WHERE seq <= {first}"),
    ) - one(reader.sql(), "SELECT 1");
    assert_eq!(
        first, 2,
        "the reader's cursor moved past 1 before 1 was visible"
    );
    assert_eq!(
        missed, 1,
        "…and 1 is now behind its cursor: skipped by `seq > cursor`"
    );
}

#[test]
fn a_token_revoked_through_one_hub_is_refused_by_the_other_at_once() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let a = PgHub::open(&w.url, w.files.clone(), 3, 2).expect("hub a");
    let b = PgHub::open(&w.url, w.files.clone(), 3, 2).expect("hub b");
    let c = PgConn::connect(&w.url).expect("connect");
    let (_, token) = c
        .write(|tx| tokens::issue(tx, "pg.revoked", None, Role::Moderator, "laptop"))
        .expect("issue");
    assert!(a.authenticate(&token).is_ok());
    assert!(b.authenticate(&token).is_ok());
    c.write(|tx| tokens::revoke(tx, "laptop")).expect("revoke");
    assert!(a.authenticate(&token).is_err(), "hub a refuses it");
    assert!(b.authenticate(&token).is_err(), "hub b refuses it at once");
}

#[test]
fn a_database_of_a_newer_schema_is_refused_in_one_line() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().expect("dir");
    let hub =
        PgHub::open(&url, dir.path().join("files"), 3, 1).expect("a new database gets the schema");
    drop(hub);
    cluster.psql(&url, "UPDATE schema_version SET version = version + 1");
    let e = PgHub::open(&url, dir.path().join("files"), 3, 1)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("newer than this civitac reads"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    // A database that is someone else's is never touched.
    let other = cluster.database();
    cluster.psql(&other, "CREATE TABLE payroll (id INT)");
    let e = PgHub::open(&other, dir.path().join("files"), 3, 1)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("no civitac schema"), "{e}");
}

#[test]
fn a_database_of_the_first_postgresql_schema_is_brought_to_this_one_with_its_rows() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().expect("dir");
    drop(PgHub::open(&url, dir.path().join("files"), 3, 1).expect("a new database"));
    // As version 7 left it: no reach counted, two members, one opted out.
    cluster.psql(
        &url,
        "DROP TABLE sms_group_reach;
         DROP FUNCTION sms_group_members_reach CASCADE;
         DROP FUNCTION sms_contacts_reach CASCADE;
         UPDATE schema_version SET version = 7;
         INSERT INTO sms_contacts (id, phone_e164) VALUES ('k1', '+22670000001'), ('k2', '+22670000002');
         UPDATE sms_contacts SET opted_out_at = '2026-11-01T00:00:00.000Z' WHERE id = 'k2';
         INSERT INTO sms_groups (id, name) VALUES ('g', 'Kaya');
         INSERT INTO sms_group_members (group_id, contact_id) VALUES ('g', 'k1'), ('g', 'k2');
         INSERT INTO sms_contacts (id, phone_e164) VALUES ('k3', '+22670000003');",
    );
    // An older hub still serving adds a member while this one migrates: the
    // migration waits for it, and counts it.
    let (began, commit) = (
        std::sync::mpsc::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    let older = {
        let url = url.clone();
        let (began, commit) = (began.0, commit.1);
        std::thread::spawn(move || {
            let c = PgConn::connect(&url).expect("older hub");
            c.batch(
                "BEGIN; INSERT INTO sms_group_members (group_id, contact_id) VALUES ('g', 'k3')",
            )
            .expect("insert");
            began.send(()).expect("began");
            commit.recv().expect("go");
            c.batch("COMMIT").expect("commit");
        })
    };
    began.1.recv().expect("the older hub's write is open");
    let migrating = {
        let (url, files) = (url.clone(), dir.path().join("files"));
        std::thread::spawn(move || PgHub::open(&url, files, 3, 1).map(drop))
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    commit.0.send(()).expect("commit");
    older.join().expect("older hub");
    migrating.join().expect("migration").expect("migrated");
    assert_eq!(
        cluster.psql(
            &url,
            "SELECT (SELECT max(version) FROM schema_version) || ' ' || (SELECT n FROM sms_group_reach WHERE group_id = 'g')"
        ),
        format!("{} 2", civitac::store::SCHEMA_VERSION)
    );
    // Its triggers are there: the opted-out member back in counts.
    cluster.psql(
        &url,
        "UPDATE sms_contacts SET opted_out_at = NULL WHERE id = 'k2'",
    );
    assert_eq!(
        cluster.psql(&url, "SELECT n FROM sms_group_reach WHERE group_id = 'g'"),
        "3"
    );
    // A counter changed by hand is right again when a hub starts serving.
    // So is one with nothing left to count (mended by its difference).
    cluster.psql(
        &url,
        "UPDATE sms_group_reach SET n = 99 WHERE group_id = 'g';
         INSERT INTO org_stage_counts (region, status, n) VALUES ('Nulle part', 'contacted', 4)",
    );
    let hub = PgHub::open(&url, dir.path().join("files"), 3, 1).expect("open");
    hub.recount().expect("recount");
    assert_eq!(
        cluster.psql(
            &url,
            "SELECT (SELECT n FROM sms_group_reach WHERE group_id = 'g') || ' '
                 || (SELECT sum(n) FROM org_stage_counts WHERE region = 'Nulle part')"
        ),
        "3 0"
    );
    drop(hub);
    // Two hub processes starting together mend a drifted counter once: the
    // second, having seen the drift before the first committed, waits for
    // the write lock and finds it mended.
    cluster.psql(
        &url,
        "UPDATE sms_group_reach SET n = n + 100 WHERE group_id = 'g'",
    );
    let sections = civitac::hub::pg::counts_sections();
    let second = PgHub::open(&url, dir.path().join("files"), 3, 1).expect("second hub");
    let first = PgConn::connect(&url).expect("first hub");
    first
        .write(|tx| {
            let mended = civitac::hub::recount::mend(tx, &sections)?.expect("mended");
            assert_eq!(mended.len(), 1);
            let second = std::thread::spawn(move || second.recount().expect("recount"));
            std::thread::sleep(std::time::Duration::from_millis(500));
            Ok::<_, civitac::store::sql::DbError>(second)
        })
        .expect("first mends")
        .join()
        .expect("second mends");
    assert_eq!(
        cluster.psql(&url, "SELECT n FROM sms_group_reach WHERE group_id = 'g'"),
        "3"
    );
    // A version no PostgreSQL hub ever had is refused in one line.
    cluster.psql(&url, "UPDATE schema_version SET version = 6");
    let e = PgHub::open(&url, dir.path().join("files"), 3, 1)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("no migration exists"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

/// `GET /v1/whoami` with a token; the HTTP status.
fn whoami_status(base: &str, token: &str) -> u16 {
    use std::io::{BufRead, Write};
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET /v1/whoami HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut line = String::new();
    std::io::BufReader::new(s)
        .read_line(&mut line)
        .expect("status line");
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status")
}

#[test]
fn a_token_guesser_spreading_attempts_over_two_hubs_meets_one_count() {
    use civitac::hub::server::{Limits, RunningHub};
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().expect("dir");
    let start = || {
        let backend = PgHub::open(&url, dir.path().join("files"), 3, 2).expect("hub");
        RunningHub::start(
            Arc::new(backend),
            "127.0.0.1:0".parse().expect("addr"),
            None,
            Limits::default(),
        )
        .expect("serves")
    };
    let (a, b) = (start(), start());
    let (a, b) = (format!("http://{}", a.addr), format!("http://{}", b.addr));
    let max = Limits::default().auth_failures;
    for i in 0..max {
        let hub = if i % 2 == 0 { &a } else { &b };
        assert_eq!(whoami_status(hub, "cvt_guess000001"), 401, "attempt {i}");
    }
    // The next guess is slowed down whichever hub it reaches.
    assert_eq!(whoami_status(&a, "cvt_guess000001"), 429);
    assert_eq!(whoami_status(&b, "cvt_guess000001"), 429);
    // Another credential from the same address is not locked out by it.
    assert_eq!(whoami_status(&b, "cvt_other000002"), 401);
}

#[test]
fn a_backup_restored_gets_a_new_epoch_keeps_what_it_replaced_and_every_later_revocation() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let dump = w.world.dir.path().join("hub.dump");
    let before = civitac::hub::pg::backup::backup(&w.url, &dump).expect("backup while it serves");
    assert!(
        civitac::hub::pg::backup::backup(&w.url, &dump).is_err(),
        "a backup never overwrites"
    );
    let c = PgConn::connect(&w.url).expect("connect");
    let (_, token) = c
        .write(|tx| tokens::issue(tx, "pg.later", None, Role::Moderator, "later-laptop"))
        .expect("issue");
    c.write(|tx| tokens::revoke(tx, "device-0"))
        .expect("revoke after the backup");
    {
        // A hub process connected: refused.
        let _serving = PgHub::open(&w.url, w.files.clone(), 3, 1).expect("hub");
        let e = civitac::hub::pg::backup::restore(&w.url, &dump)
            .expect_err("refused while a hub is connected");
        assert!(e.contains("stop every hub process"), "{e}");
    }
    drop(c);
    let done = civitac::hub::pg::backup::restore(&w.url, &dump).expect("restore");
    assert_ne!(done.epoch, before.epoch, "a new epoch: replicas resend");
    let hub = PgHub::open(&w.url, w.files.clone(), 3, 1).expect("the restored hub opens");
    assert!(
        hub.authenticate(&token).is_err(),
        "a token issued after the backup is gone"
    );
    let c = PgConn::connect(&w.url).expect("connect");
    assert!(
        one(
            c.sql(),
            "SELECT count(*) FROM devices WHERE name = 'device-0' AND revoked_at IS NOT NULL"
        ) == 1,
        "a revocation made after the backup holds"
    );
    let kept = done.kept.expect("kept");
    assert_eq!(
        one(
            c.sql(),
            &format!("SELECT count(*) FROM {kept}.devices WHERE name = 'later-laptop'")
        ),
        1,
        "the replaced data is kept"
    );
}

/// A backup restores into an empty database (a new server after a loss),
/// never over another program's tables, and a database that cannot take
/// the schema is named as such in one line.
#[test]
fn a_backup_restores_into_an_empty_database_and_never_over_another_programs_tables() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let dump = w.world.dir.path().join("hub.dump");
    let before = civitac::hub::pg::backup::backup(&w.url, &dump).expect("backup");

    let fresh = cluster.database();
    let done = civitac::hub::pg::backup::restore(&fresh, &dump).expect("into an empty database");
    assert_eq!(done.ops, before.ops);
    assert_eq!(done.kept, None, "nothing was replaced");
    PgHub::open(&fresh, w.files.clone(), 3, 1).expect("the restored hub opens");

    let other = cluster.database();
    cluster.psql(
        &other,
        "CREATE TABLE invoices (id integer); INSERT INTO invoices VALUES (7)",
    );
    let e = civitac::hub::pg::backup::restore(&other, &dump).expect_err("refused");
    assert!(e.contains("no civitac hub"), "{e}");
    assert_eq!(cluster.psql(&other, "SELECT id FROM invoices").trim(), "7");

    let name = format!("latin_restore_{}", std::process::id());
    cluster.psql(
        &fresh,
        &format!(
            "CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        ),
    );
    let e = civitac::hub::pg::backup::restore(&cluster.url(&name), &dump).expect_err("refused");
    assert!(e.contains("encoding LATIN1"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");

    // A hub never served (just migrated) has no epoch yet: its backup makes
    // the one it names, and the dump holds it.
    let new = cluster.database();
    drop(PgHub::open(&new, w.files.clone(), 3, 1).expect("a new hub"));
    cluster.psql(&new, "DELETE FROM sync_state WHERE key = 'epoch'");
    let first = civitac::hub::pg::backup::backup(&new, &w.world.dir.path().join("new.dump"))
        .expect("backup");
    assert_eq!(first.epoch.len(), 16, "{:?}", first.epoch);
    assert_eq!(
        cluster.psql(&new, "SELECT value FROM sync_state WHERE key = 'epoch'"),
        first.epoch
    );
}

#[test]
fn tls_to_the_database_as_libpq_words_it() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let url = cluster.database();
    let ssl = |query: &str| -> Result<i64, String> {
        let c = PgConn::connect(&format!("{url}?{query}")).map_err(|e| e.to_string())?;
        Ok(one(
            c.sql(),
            "SELECT CAST(ssl AS INTEGER) FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
    };
    let ca = cluster.ca_pem();
    let ca = ca.to_str().expect("utf-8");
    assert_eq!(ssl(&format!("sslmode=verify-full&sslrootcert={ca}")), Ok(1));
    assert_eq!(
        ssl("sslmode=require"),
        Ok(1),
        "encrypted, unverified, as libpq"
    );
    assert_eq!(ssl("sslmode=prefer"), Ok(1));
    assert_eq!(ssl("sslmode=disable"), Ok(0));
    let e = ssl("sslmode=verify-full").expect_err("an authority it does not know");
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    let e = ssl("sslmode=sometimes").expect_err("a mode that means nothing");
    assert!(e.contains("sslmode=sometimes"), "{e}");
    let e = ssl("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").expect_err("no file");
    assert!(e.contains("/nonexistent/ca.pem"), "{e}");
}

#[test]
fn a_password_kept_out_of_the_command_line_and_out_of_every_message() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let url = cluster.database();
    let bare = url.replace(&format!(":{}@", common::pg::PASSWORD), "@");
    assert_ne!(bare, url);
    let list = |db: &str, password: Option<&str>| {
        let mut cmd = common::net::civitac();
        cmd.args(["--lang", "en", "--db", db, "hub", "token", "list"]);
        cmd.env_remove("PGPASSWORD");
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        cmd.output().expect("runs")
    };
    let with_env = list(&bare, Some(common::pg::PASSWORD));
    assert!(
        with_env.status.success(),
        "{}",
        String::from_utf8_lossy(&with_env.stderr)
    );
    let without = list(&bare, None);
    assert_eq!(without.status.code(), Some(1));
    let wrong = list(&url.replace(common::pg::PASSWORD, "not-it"), None);
    assert_eq!(wrong.status.code(), Some(1));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        !said.contains("not-it"),
        "the password is never shown: {said}"
    );
    assert!(said.contains("***"), "{said}");
}

/// A gateway that takes its time and remembers every number it was given.
struct Slow(std::sync::Mutex<Vec<String>>);

impl civitac::hub::sms::Gateway for Slow {
    fn send(
        &self,
        sms: &civitac::hub::sms::Outgoing,
    ) -> Result<Option<String>, civitac::hub::sms::GatewayError> {
        std::thread::sleep(std::time::Duration::from_millis(3));
        self.0.lock().expect("lock").push(sms.to.clone());
        Ok(None)
    }
}

#[test]
fn two_senders_on_one_database_never_take_the_same_delivery() {
    use civitac::domain::sms::{SmsKind, SmsStatus};
    use civitac::ops::NewSms;
    let Some(w) = migrated(&[Role::Moderator, Role::Admin]) else {
        return;
    };
    let (moderator, admin) = (
        w.world.replicas[0]
            .0
            .owner()
            .expect("owner")
            .expect("owner"),
        w.world.replicas[1]
            .0
            .owner()
            .expect("owner")
            .expect("owner"),
    );
    let c = PgConn::connect(&w.url).expect("connect");
    c.write(|tx| {
        tx.execute(
            "UPDATE sms_messages SET status = 'cancelled' WHERE status IN ('approved', 'queued', 'sending')",
            (),
        )
    })
    .expect("a quiet hub");
    let group: String = c
        .sql()
        .query_row(
            "SELECT group_id FROM sms_group_members GROUP BY group_id
             ORDER BY count(*) DESC, group_id LIMIT 1",
            (),
            |r| r.get(0),
        )
        .expect("a group");
    let id = uuid::Uuid::now_v7().to_string();
    c.write(|tx| {
        civitac::ops::apply(
            tx,
            &moderator,
            &Op::QueueSms {
                message: NewSms {
                    id: id.clone(),
                    group_id: group.clone(),
                    kind: SmsKind::Alert,
                    body: "ALERTE : coupure d'eau demain.".into(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )?;
        civitac::ops::apply(
            tx,
            &admin,
            &Op::ApproveSms {
                message_id: id.clone(),
                seen_status: SmsStatus::Queued,
                seen_recipients: None,
            },
        )
    })
    .expect("queued and approved");
    let gateway = Slow(std::sync::Mutex::new(Vec::new()));
    let settings = civitac::hub::sms::Settings {
        per_second: 10_000,
        ..Default::default()
    };
    let sent: Vec<usize> = std::thread::scope(|s| {
        let senders: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = PgConn::connect(&w.url).expect("sender");
                    civitac::hub::sms::drain(&mut conn, &gateway, &settings).expect("drain")
                })
            })
            .collect();
        senders
            .into_iter()
            .map(|t| t.join().expect("sender"))
            .collect()
    });
    let mut to = gateway.0.into_inner().expect("numbers");
    let total = to.len();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), total, "a number was sent the message twice");
    let recipients = one(
        c.sql(),
        &format!("SELECT recipients FROM sms_messages WHERE id = '{id}'"),
    );
    assert!(recipients >= 5, "{recipients} recipients");
    assert_eq!(total as i64, recipients, "everyone once");
    assert!(
        sent.iter().all(|n| *n > 0),
        "both senders took deliveries: {sent:?}"
    );
}

#[test]
fn what_postgresql_refuses_and_sqlite_takes_is_one_bad_line_or_op_never_a_stop() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let hub = PgHub::open(&w.url, w.files.clone(), 3, 2).expect("hub");
    // A NUL in a body (SQLite keeps it; PostgreSQL's text refuses it), then
    // a good post.
    let lines = format!(
        "{}\n{}\n",
        r#"{"type":"post","id":"nul-1","thread":{"id":"t-nul","title":"Forage"},"author":{"id":"c-nul","name":"Awa"},"body":"avant\u0000après","created_at":"2026-11-20T10:00:00Z"}"#,
        r#"{"type":"post","id":"good-1","thread":{"id":"t-good","title":"Forage"},"author":{"id":"c-good","name":"Issa"},"body":"Le forage est en panne","created_at":"2026-11-20T10:00:00Z"}"#,
    );
    let report = hub
        .ingest(&mut lines.as_bytes())
        .expect("the ingest goes on past a refused line");
    assert_eq!(report.posts, 1, "{report:?}");
    assert_eq!(
        report.bad.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1],
        "{report:?}"
    );
    // An op id with a NUL: refused, the ops behind it applied.
    let actor = w.world.replicas[0]
        .0
        .owner()
        .expect("owner")
        .expect("owner");
    let post = first_id(&w.world.replicas[0].0, "forum_posts", "status = 'visible'");
    let mut bad = pushed(1, &actor.login, hide(&post, PostStatus::Visible));
    bad.op_id = "0190\u{0}0000-0000-7000-8000-000000000000".into();
    let good = pushed(2, &actor.login, hide(&post, PostStatus::Visible));
    let answer = hub
        .push(
            &actor,
            &PushRequest {
                v: PROTOCOL_VERSION,
                ops: vec![bad, good],
            },
        )
        .expect("answered, not 503");
    assert_eq!(answer.results[0].outcome, Outcome::Rejected);
    assert_eq!(answer.results[1].outcome, Outcome::Applied);
}

/// A webhook receiver answering 200 to every POST; the bodies it read.
fn receiving() -> (String, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::{BufRead, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
                loop {
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end().to_ascii_lowercase();
                        if line.is_empty() {
                            break;
                        }
                        if let Some(n) = line.strip_prefix("content-length:") {
                            length = n.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let _ = tx.send(body);
                    let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            });
        }
    });
    (url, rx)
}

#[test]
fn two_hub_processes_deliver_each_decision_to_a_webhook_once() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let (url, bodies) = receiving();
    let c = PgConn::connect(&w.url).expect("connect");
    civitac::hub::webhooks::add(
        c.sql(),
        &url,
        b"0123456789abcdef0123456789abcdef",
        None,
        false,
    )
    .expect("webhook");
    let actor = w.world.replicas[0]
        .0
        .owner()
        .expect("owner")
        .expect("owner");
    let posts = ids(
        &w.world.replicas[0].0,
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 20",
    );
    c.write(|tx| -> Result<(), civitac::ops::OpError> {
        for p in &posts {
            civitac::ops::apply(tx, &actor, &hide(p, PostStatus::Visible))?;
        }
        Ok(())
    })
    .expect("20 posts hidden");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let settings = civitac::hub::webhooks::Settings {
        poll: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    let mut got: Vec<String> = Vec::new();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                civitac::hub::webhooks::run_postgres(&w.url, &settings, &|| {
                    stop.load(std::sync::atomic::Ordering::SeqCst)
                })
            });
        }
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while got.len() < posts.len() && std::time::Instant::now() < until {
            if let Ok(body) = bodies.recv_timeout(std::time::Duration::from_millis(200)) {
                let batch: serde_json::Value = serde_json::from_slice(&body).expect("json");
                for d in batch["decisions"].as_array().expect("decisions") {
                    got.push(d["id"].as_str().expect("id").to_owned());
                }
            }
        }
        // A little longer: a second deliverer would send them again now.
        std::thread::sleep(std::time::Duration::from_millis(500));
        while let Ok(body) = bodies.try_recv() {
            let batch: serde_json::Value = serde_json::from_slice(&body).expect("json");
            for d in batch["decisions"].as_array().expect("decisions") {
                got.push(d["id"].as_str().expect("id").to_owned());
            }
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let total = got.len();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), total, "a decision was delivered twice");
    assert_eq!(total, posts.len(), "every decision delivered");
}

#[test]
fn a_migration_that_fails_leaves_the_database_empty_and_another_hubs_secret_is_refused() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let world = common::world::world_of(&[Role::Moderator], "pg.mig", 0.05, 23);
    let files = world.dir.path().join("files");
    std::fs::create_dir_all(&files).expect("files");
    // A NUL in a post: SQLite keeps it, PostgreSQL's text refuses it.
    let post: String = {
        let h = open(&world.hub_db);
        let post = first_id(&h, "forum_posts", "1 = 1");
        h.conn()
            .execute(
                "UPDATE forum_posts SET body = 'avant' || char(0) || 'après' WHERE id = ?1",
                [&post],
            )
            .expect("a NUL");
        post
    };
    let url = cluster.database();
    let e = civitac::hub::pg::migrate::migrate(&world.hub_db, &url, &files)
        .expect_err("refused by PostgreSQL")
        .to_string();
    assert!(e.starts_with("forum_posts: "), "{e}");
    let c = PgConn::connect(&url).expect("connect");
    assert_eq!(
        one(
            c.sql(),
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ),
        0,
        "nothing of the failed migration stays"
    );
    open(&world.hub_db)
        .conn()
        .execute(
            "UPDATE forum_posts SET body = 'avant après' WHERE id = ?1",
            [&post],
        )
        .expect("mended");
    civitac::hub::pg::migrate::migrate(&world.hub_db, &url, &files)
        .expect("the same database, again");
    // Another hub's migration into the same files folder: its secret is not ours.
    let other = common::world::world_of(&[Role::Moderator], "pg.other", 0.05, 29);
    std::fs::write(
        civitac::hub::backend::sms_key_path(&other.hub_db),
        "another-hubs-key",
    )
    .expect("their key");
    std::fs::write(civitac::hub::backend::sms_key_path(&files), "ours").expect("a key there");
    let e = civitac::hub::pg::migrate::migrate(&other.hub_db, &cluster.database(), &files)
        .expect_err("refused")
        .to_string();
    assert!(e.contains("another hub's secret"), "{e}");
}

#[test]
fn a_libpq_keyword_string_is_no_file_name() {
    let dir = tempfile::tempdir().expect("dir");
    let out = common::net::civitac()
        .current_dir(dir.path())
        .args([
            "--lang",
            "en",
            "--db",
            "host=127.0.0.1 dbname=hub password=KVSECRET",
        ])
        .args(["hub", "token", "list"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "no file made"
    );
}

/// A push sends its writes without waiting for their answers. When one of
/// them is refused, the batch is rolled back whole and run again statement
/// by statement: the refusal lands on its own op, never on the op whose read
/// happened to carry the news, and the ops around it stand.
#[test]
fn a_write_refused_inside_a_pipelined_push_is_found_on_its_own_op() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let hub = PgHub::open(&w.url, w.files.clone(), 3, 2).expect("hub");
    let replica = &w.world.replicas[0].0;
    let actor = replica.owner().expect("owner").expect("owner");
    let posts: Vec<String> = replica
        .conn()
        .prepare("SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 3")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("ids");
    assert_eq!(posts.len(), 3);
    // The database refuses the feed row of the middle post only.
    let admin = PgConn::connect(&w.url).expect("connect");
    admin
        .batch(&format!(
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.entity_id = '{}' THEN
                 RAISE EXCEPTION 'refused for this test' USING ERRCODE = 'check_violation';
               END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_one BEFORE INSERT ON changes
               FOR EACH ROW EXECUTE FUNCTION refuse_one();",
            posts[1]
        ))
        .expect("trigger");
    let ops: Vec<PushedOp> = posts
        .iter()
        .zip(1..)
        .map(|(p, seq)| pushed(seq, &actor.login, hide(p, PostStatus::Visible)))
        .collect();
    let answer = hub
        .push(
            &actor,
            &PushRequest {
                v: PROTOCOL_VERSION,
                ops: ops.clone(),
            },
        )
        .expect("answered, not 503");
    let outcomes: Vec<Outcome> = answer.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![Outcome::Applied, Outcome::Rejected, Outcome::Applied],
        "{answer:?}"
    );
    assert!(
        answer.results[1]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("refused for this test")),
        "{answer:?}"
    );
    let c = admin.sql();
    let status = |p: &str| -> String {
        c.query_row("SELECT status FROM forum_posts WHERE id = ?1", [p], |r| {
            r.get(0)
        })
        .expect("status")
    };
    assert_eq!(status(&posts[0]), "hidden");
    assert_eq!(
        status(&posts[1]),
        "visible",
        "nothing of the refused op stands"
    );
    assert_eq!(status(&posts[2]), "hidden");
    let journal = |id: &str| -> i64 {
        c.query_row("SELECT count(*) FROM audit_log WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("journal")
    };
    assert_eq!(
        ops.iter().map(|o| journal(&o.op_id)).collect::<Vec<_>>(),
        vec![1, 0, 1]
    );
    let outcome: String = c
        .query_row(
            "SELECT outcome FROM applied_ops WHERE op_id = ?1",
            [&ops[1].op_id],
            |r| r.get(0),
        )
        .expect("remembered");
    assert_eq!(outcome, "rejected");
    // Sent again, each is answered from what was kept.
    let again = hub
        .push(
            &actor,
            &PushRequest {
                v: PROTOCOL_VERSION,
                ops,
            },
        )
        .expect("answered");
    assert!(
        again
            .results
            .iter()
            .all(|r| r.outcome == Outcome::Duplicate),
        "{again:?}"
    );
}

/// `hub restore` sees a serving hub even when its pool is empty (its
/// sessions were cut by a server restart): the hub's keeper takes its share
/// of the serve lock again. A hub started while a restore runs is refused
/// in one line, before it touches the schema.
#[test]
fn a_serving_hub_is_seen_by_restore_even_idle_and_none_starts_during_one() {
    use civitac::hub::pg::{SERVE_LOCK, Serving};
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let dump = w.world.dir.path().join("hub.dump");
    civitac::hub::pg::backup::backup(&w.url, &dump).expect("backup");
    let serving = Serving::hold(&w.url).expect("serve lock");
    {
        let admin = PgConn::connect(&w.url).expect("connect");
        admin
            .batch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .expect("cut every other session");
    }
    // At once, as after a server restart: the restore watches for the hub's
    // keeper, which comes back within its check.
    let e = civitac::hub::pg::backup::restore(&w.url, &dump)
        .expect_err("refused while a hub serves, idle or not");
    assert!(e.contains("stop every hub process first"), "{e}");
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    assert!(serving.is_held(), "its share taken again");
    let e = civitac::hub::pg::backup::restore(&w.url, &dump).expect_err("still refused");
    assert!(e.contains("a hub process is serving this database"), "{e}");
    drop(serving);
    // A restore running: the lock is held alone.
    let restoring = PgConn::connect(&w.url).expect("connect");
    restoring
        .batch(&format!("SELECT pg_advisory_lock({SERVE_LOCK})"))
        .expect("lock");
    let e = Serving::hold(&w.url)
        .err()
        .expect("refused during a restore")
        .to_string();
    assert!(e.contains("a restore is running"), "{e}");
    let out = common::net::civitac()
        .args([
            "--lang",
            "en",
            "hub",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(&w.url)
        .arg("--files")
        .arg(&w.files)
        .output()
        .expect("hub serve");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("a restore is running"), "{said}");
    drop(restoring);
    Serving::hold(&w.url).expect("after the restore");
}

/// A database of another encoding is named as such in one line, by the
/// hub and by a migration, before any schema text is sent to it.
#[test]
fn a_latin1_database_is_refused_in_one_line_naming_its_encoding() {
    let Some(cluster) = common::pg::cluster() else {
        return;
    };
    let any = cluster.database();
    let name = format!("latin_{}", std::process::id());
    cluster.psql(
        &any,
        &format!(
            "CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        ),
    );
    let url = cluster.url(&name);
    let dir = tempfile::tempdir().expect("dir");
    let e = PgHub::open(&url, dir.path().join("files"), 3, 1)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("encoding LATIN1") && e.contains("needs a UTF8 database"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    let world = common::world::world_of(&[Role::Moderator], "pg.latin", 0.05, 29);
    let e = civitac::hub::pg::migrate::migrate(&world.hub_db, &url, &dir.path().join("files"))
        .expect_err("refused")
        .to_string();
    assert!(e.contains("encoding LATIN1"), "{e}");
}

/// Pooled sessions the server cut (a restart) are never lent: one idle a
/// while is asked first, so the next requests are answered, not 503.
#[test]
fn a_pooled_session_the_server_cut_is_never_lent() {
    let Some(w) = migrated(&[Role::Moderator]) else {
        return;
    };
    let hub = PgHub::open(&w.url, w.files.clone(), 3, 3).expect("hub");
    hub.pull(&Cursor::Start, 10).expect("pull");
    let admin = PgConn::connect(&w.url).expect("connect");
    admin
        .batch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .expect("cut every other session");
    std::thread::sleep(std::time::Duration::from_millis(2_200));
    for _ in 0..3 {
        hub.pull(&Cursor::Start, 10)
            .expect("answered by a live session");
    }
}
