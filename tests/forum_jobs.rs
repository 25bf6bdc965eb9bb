//! The moderator's jobs on a post's author and thread: mute, ban, reinstate,
//! "penalise everywhere" (a sanction that hides their posts in the same
//! decision), lock and unlock, and the copies of a spam found by their text.
//! Each through `ops::decisions::apply_batch`, as the console and the CLI
//! take them.

mod common;

use civitac::domain::forum::CitizenAction;
use civitac::domain::staff::Role;
use civitac::i18n::Lang;
use civitac::ops::decisions::{Decision, Mode, apply_batch};
use civitac::store::Store;
use common::*;

fn mute(hours: u32, hide_posts: bool) -> Decision {
    Decision::Citizen {
        action: CitizenAction::Mute,
        hours: Some(hours),
        hide_posts,
    }
}

/// A citizen with at least `n` visible posts and no sanction.
fn active_author(store: &Store, n: i64) -> String {
    ids(
        store,
        &format!(
            "SELECT c.id FROM citizens c WHERE c.status = 'active'
               AND (SELECT count(*) FROM forum_posts p WHERE p.author_id = c.id AND p.status = 'visible') >= {n}
             ORDER BY c.id LIMIT 1"
        ),
    )
    .pop()
    .expect("an active author with posts")
}

#[test]
fn penalising_an_author_mutes_them_hides_every_visible_post_and_undoes_as_one() {
    let (_dir, db) = small_demo();
    let mut store = open(&db);
    let author = active_author(&store, 2);
    let visible = count(
        &store,
        &format!(
            "SELECT count(*) FROM forum_posts WHERE author_id = '{author}' AND status = 'visible'"
        ),
    );
    let before_outbox = count(&store, "SELECT count(*) FROM outbox");
    let actor = store.owner().expect("owner").expect("owner");
    let tx = store.transaction().expect("tx");
    let outcome = apply_batch(
        &tx,
        &actor,
        &mute(7 * 24, true),
        std::slice::from_ref(&author),
        Some("Spam répété"),
        Mode::default(),
        Lang::Fr,
    );
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    tx.commit().expect("commit");
    assert_eq!(outcome.hidden_posts as i64, visible);
    assert_eq!(
        outcome.counted(&mute(1, true), Lang::Fr),
        format!("1 auteur réduit au silence, {visible} messages masqués")
    );
    // Muted for a week from now, every post hidden with the same reason.
    let until: String = store
        .conn()
        .query_row(
            "SELECT muted_until FROM citizens WHERE id = ?1 AND status = 'muted'",
            [&author],
            |r| r.get(0),
        )
        .expect("muted");
    let until: jiff::Timestamp = until.parse().expect("time");
    let left = until.duration_since(jiff::Timestamp::now()).as_hours();
    assert!((167..=168).contains(&left), "{left} h");
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT count(*) FROM forum_posts WHERE author_id = '{author}' AND status = 'hidden' AND reason = 'Spam répété'"
            )
        ),
        visible
    );
    // One op per record, all in one batch: undone together.
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox") - before_outbox,
        visible + 1
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(DISTINCT batch) FROM outbox WHERE batch IS NOT NULL AND pushed_at IS NULL"
        ),
        1
    );
    let newest: String = store
        .conn()
        .query_row(
            "SELECT op_id FROM outbox ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("op");
    let batch = civitac::store::views::undo_batch(store.conn(), &newest, &actor.login);
    assert_eq!(batch.len() as i64, visible + 1);
}

#[test]
fn a_refused_sanction_hides_nothing_and_a_moderator_may_not_ban() {
    let (_dir, db) = small_demo();
    let mut store = open(&db);
    let author = active_author(&store, 1);
    let banned = first_id(&store, "citizens", "status = 'banned'");
    let moderator = actor_with(&store, Role::Moderator);
    let hidden_before = count(
        &store,
        "SELECT count(*) FROM forum_posts WHERE status = 'hidden'",
    );
    let tx = store.transaction().expect("tx");
    // A ban is an admin's; a mute is a moderator's too.
    let ban = Decision::Citizen {
        action: CitizenAction::Ban,
        hours: None,
        hide_posts: true,
    };
    let o = apply_batch(
        &tx,
        &moderator,
        &ban,
        std::slice::from_ref(&author),
        Some("x"),
        Mode::default(),
        Lang::En,
    );
    assert_eq!(o.failed.len(), 1);
    assert!(o.failed[0].1.contains("may not"), "{}", o.failed[0].1);
    assert_eq!(o.hidden_posts, 0);
    // A banned citizen cannot be muted (that would lighten the ban).
    let o = apply_batch(
        &tx,
        &moderator,
        &mute(24, true),
        std::slice::from_ref(&banned),
        Some("x"),
        Mode::default(),
        Lang::En,
    );
    assert_eq!(o.failed.len(), 1, "{:?}", o.applied);
    drop(tx);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM forum_posts WHERE status = 'hidden'"
        ),
        hidden_before
    );
    // A field agent may not mute.
    let agent = actor_with(&store, Role::FieldAgent);
    let tx = store.transaction().expect("tx");
    let o = apply_batch(
        &tx,
        &agent,
        &mute(24, false),
        std::slice::from_ref(&author),
        Some("x"),
        Mode::default(),
        Lang::En,
    );
    assert_eq!(o.failed.len(), 1);
}

#[test]
fn lock_and_unlock_take_the_thread_as_its_moderator_saw_it() {
    let (_dir, db) = small_demo();
    let mut store = open(&db);
    let thread = first_id(&store, "forum_threads", "locked = 0");
    let actor = store.owner().expect("owner").expect("owner");
    let tx = store.transaction().expect("tx");
    let lock = |tx: &rusqlite::Connection, locked: bool, reason: Option<&str>| {
        apply_batch(
            tx,
            &actor,
            &Decision::Lock(locked),
            std::slice::from_ref(&thread),
            reason,
            Mode::default(),
            Lang::En,
        )
    };
    // Locking says why; unlocking an open thread is refused.
    assert_eq!(lock(&tx, true, None).failed.len(), 1);
    assert_eq!(lock(&tx, false, None).failed.len(), 1);
    assert!(lock(&tx, true, Some("Spam wave")).failed.is_empty());
    assert_eq!(lock(&tx, true, Some("again")).failed.len(), 1);
    assert!(lock(&tx, false, None).failed.is_empty());
    tx.commit().expect("commit");
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity_id = '{thread}' AND action IN ('thread.lock', 'thread.unlock')"
            )
        ),
        2
    );
}

#[test]
fn copies_of_a_spam_are_found_whatever_their_number_case_or_spacing() {
    let (_dir, db) = small_demo();
    let store = open(&db);
    let thread = first_id(&store, "forum_threads", "1");
    let authors = ids(&store, "SELECT id FROM citizens ORDER BY id LIMIT 4");
    let texts = [
        "GAGNEZ 500 000 FCFA !! Appelez le 70 12 34 56",
        "gagnez 500000 fcfa !!   appelez le +226.76.98.76.54",
        "Gagnez 500 000 FCFA !! Appelez le 65 00 11 22",
        // Another text: not a copy.
        "Gagnez du temps : la mairie ouvre le samedi",
    ];
    let posts: Vec<String> = (0..texts.len())
        .map(|i| format!("0f000000-0000-7000-8000-00000000000{i}"))
        .collect();
    for (i, (id, body)) in posts.iter().zip(texts).enumerate() {
        store
            .conn()
            .execute(
                "INSERT INTO forum_posts (id, thread_id, author_id, body, created_at, flag_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    id,
                    thread,
                    authors[i],
                    body,
                    format!("2026-11-2{i}T10:00:00.000Z"),
                    i64::from(i != 1)
                ],
            )
            .expect("post");
    }
    let copies = civitac::store::views::same_text(store.conn(), &posts[2]).expect("copies");
    assert_eq!(
        copies,
        [posts[2].clone(), posts[0].clone(), posts[1].clone()]
    );
    // The authors of the copies, each once, in the posts' order.
    let of = civitac::store::views::of_posts(store.conn(), "author_id", &copies).expect("authors");
    assert_eq!(
        of,
        [authors[2].clone(), authors[0].clone(), authors[1].clone()]
    );
    assert!(matches!(
        civitac::store::views::same_text(store.conn(), "no-such-post"),
        Err(civitac::store::views::SameTextError::NoPost)
    ));
}

fn one(
    store: &mut Store,
    actor: &civitac::store::Actor,
    decision: &Decision,
    id: &str,
    text: Option<&str>,
) -> Result<(), String> {
    let tx = store.transaction().expect("tx");
    let o = apply_batch(
        &tx,
        actor,
        decision,
        &[id.to_owned()],
        text,
        Mode::default(),
        Lang::En,
    );
    if let Some((_, why)) = o.failed.first() {
        return Err(why.clone());
    }
    tx.commit().expect("commit");
    Ok(())
}

#[test]
fn notes_go_on_the_records_staff_work_on_as_their_roles_allow() {
    let (_dir, db) = small_demo();
    let mut store = open(&db);
    let post = first_id(&store, "forum_posts", "1");
    let org = first_id(&store, "organizations", "1");
    let citizen = first_id(&store, "citizens", "1");
    let admin = store.owner().expect("owner").expect("owner");
    let moderator = actor_with(&store, Role::Moderator);
    let agent = actor_with(&store, Role::FieldAgent);
    let note = |e| Decision::Note(e);
    // The role matrix: posts and citizens are a moderator's, organisations
    // a field agent's, everything an admin's.
    assert!(
        one(
            &mut store,
            &moderator,
            &note("forum_post"),
            &post,
            Some("Seen in Kaya too")
        )
        .is_ok()
    );
    assert!(
        one(
            &mut store,
            &moderator,
            &note("citizen"),
            &citizen,
            Some("New account")
        )
        .is_ok()
    );
    assert!(one(&mut store, &agent, &note("forum_post"), &post, Some("x")).is_err());
    assert!(
        one(
            &mut store,
            &agent,
            &note("organization"),
            &org,
            Some("Mayor met on 28/11")
        )
        .is_ok()
    );
    assert!(
        one(
            &mut store,
            &moderator,
            &note("organization"),
            &org,
            Some("x")
        )
        .is_err()
    );
    assert!(
        one(
            &mut store,
            &admin,
            &note("organization"),
            &org,
            Some("Charter promised")
        )
        .is_ok()
    );
    // Hostile or empty text, unknown records: refused, nothing written.
    let e = one(
        &mut store,
        &admin,
        &note("forum_post"),
        &post,
        Some("a\u{1b}]0;x\u{7}b"),
    )
    .unwrap_err();
    assert!(e.contains("U+001B"), "{e}");
    assert!(one(&mut store, &admin, &note("forum_post"), &post, Some("   ")).is_err());
    assert!(
        one(
            &mut store,
            &admin,
            &note("forum_post"),
            &post,
            Some(&"x".repeat(2001))
        )
        .is_err()
    );
    assert!(
        one(
            &mut store,
            &admin,
            &note("forum_post"),
            &org,
            Some("wrong kind")
        )
        .is_err()
    );
    let w = civitac::store::views::worked(store.conn(), &org);
    let texts: Vec<&str> = w.notes.iter().map(|n| n.2.as_str()).collect();
    assert_eq!(texts, ["Mayor met on 28/11", "Charter promised"]);
    assert_eq!(count(&store, "SELECT count(*) FROM notes"), 4);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE action = 'note.add'"
        ),
        4
    );
    // The organisation's history lists the notes written on it.
    let mut f = civitac::store::query::Filters::default();
    f.push_where(&format!("entity-id={org}")).expect("filter");
    let history = civitac::store::query::ids::<civitac::store::rows::AuditEntry>(
        store.conn(),
        civitac::store::query::ListKind::Audit,
        &f,
    )
    .expect("ids");
    let notes_on_it = count(
        &store,
        &format!(
            "SELECT count(*) FROM audit_log WHERE action = 'note.add'
             AND json_extract(detail, '$.after.record') = '{org}'"
        ),
    );
    assert_eq!(notes_on_it, 2);
    assert!(history.len() as i64 >= notes_on_it, "{history:?}");
    let listed_notes = history
        .iter()
        .filter(|id| {
            count(
                &store,
                &format!("SELECT count(*) FROM audit_log WHERE id = '{id}' AND entity = 'note'"),
            ) == 1
        })
        .count();
    assert_eq!(listed_notes as i64, notes_on_it);
}

#[test]
fn a_claim_is_taken_handed_back_and_only_an_admin_hands_back_a_colleagues() {
    let (_dir, db) = small_demo();
    let mut store = open(&db);
    let post = first_id(&store, "forum_posts", "flag_count > 0");
    let admin = store.owner().expect("owner").expect("owner");
    let mut colleague = actor_with(&store, Role::Moderator);
    colleague.login = "issa.sawadogo".into();
    let take = Decision::Claim("forum_post", true);
    let release = Decision::Claim("forum_post", false);
    one(&mut store, &colleague, &take, &post, None).expect("taken");
    // Seen as the colleague's: taking it over is allowed, but not twice.
    assert_eq!(
        civitac::store::views::worked(store.conn(), &post)
            .claim
            .map(|c| c.0),
        Some("issa.sawadogo".to_owned())
    );
    let mut other = actor_with(&store, Role::Moderator);
    other.login = "mariam.traore".into();
    assert!(
        one(&mut store, &other, &release, &post, None)
            .unwrap_err()
            .contains("may not")
    );
    one(&mut store, &admin, &release, &post, None).expect("an admin hands it back");
    assert!(
        one(&mut store, &admin, &release, &post, None).is_err(),
        "nobody's"
    );
    one(&mut store, &admin, &take, &post, None).expect("taken");
    assert!(
        one(&mut store, &admin, &take, &post, None)
            .unwrap_err()
            .contains("already yours")
    );
    // The queue without colleagues' claims: mine and nobody's stay.
    let mut f = civitac::store::query::Filters::default();
    f.push_where("pris=libre").expect("filter");
    f.push_where(&format!("id={post}")).expect("filter");
    let shown = civitac::store::query::ids::<civitac::store::rows::QueuedPost>(
        store.conn(),
        civitac::store::query::ListKind::Forum,
        &f,
    )
    .expect("ids");
    assert_eq!(shown, std::slice::from_ref(&post));
    let mut f = civitac::store::query::Filters::default();
    f.push_where("claimed=others").expect("filter");
    f.push_where(&format!("id={post}")).expect("filter");
    assert!(
        civitac::store::query::ids::<civitac::store::rows::QueuedPost>(
            store.conn(),
            civitac::store::query::ListKind::Forum,
            &f,
        )
        .expect("ids")
        .is_empty()
    );
}

#[test]
fn a_missing_or_hostile_reason_is_said_once_and_an_empty_post_has_no_copies() {
    let (_dir, db) = small_demo();
    let run = |args: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("civitac").expect("binary");
        cmd.arg("--db")
            .arg(&db)
            .args(["--lang", "en"])
            .args(args)
            .env("XDG_DATA_HOME", db.parent().expect("dir"))
            .env("HOME", db.parent().expect("dir"));
        cmd.output().expect("runs")
    };
    // Hundreds of threads, no reason: one line, before anything is read.
    let out = run(&["forum", "lock", "--where", "status=hidden", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a reason is required"), "{err}");
    let post = first_id(&open(&db), "forum_posts", "1");
    // A note is its --text: a --reason beside it is refused, never dropped.
    for list in ["forum", "citizens", "enrollments", "uploads"] {
        let out = run(&[list, "note", &post, "--text", "vu", "--reason", "autre"]);
        assert_eq!(out.status.code(), Some(2), "{list}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{list}"
        );
    }
    let out = run(&["forum", "hide", &post, "--reason", "spam\u{202e}x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("U+202E"));
    // An empty post matches nothing, rather than every other empty one.
    let store = open(&db);
    store
        .conn()
        .execute("UPDATE forum_posts SET body = '   ' WHERE id = ?1", [&post])
        .expect("empty");
    assert!(matches!(
        civitac::store::views::same_text(store.conn(), &post),
        Err(civitac::store::views::SameTextError::NoText)
    ));
}
