//! Searches walk their index in the list's order (schema.sql, "version 7"):
//! every page of every search must hold exactly the rows, in exactly the
//! order, that the plain way gives — every match of the full-text index,
//! filtered, sorted by the list's own columns. Forward and backward, with
//! other filters, on all three searchable lists, and after new rows arrive
//! out of order.

mod common;

use civitac::store::query::{self, Cursor, FilterKey, Filters, ListKind};
use civitac::store::rows::{Listed, Organization, Post, QueuedPost, Upload};
use civitac::store::{Side, Store};
use common::*;
use rusqlite::Connection;

/// Every id of a search by walking its pages of `size` (forward).
fn walked<T: Listed>(c: &Connection, list: ListKind, f: &Filters, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = query::page::<T>(c, list, f, after.as_ref(), size).expect("page");
        out.extend(page.rows.iter().map(|r| r.sort_key().1.to_owned()));
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

/// The same walked backward from the end, put back in list order.
fn walked_back<T: Listed>(c: &Connection, list: ListKind, f: &Filters, size: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut before: Option<Cursor> = None;
    loop {
        let page = query::page_before::<T>(c, list, f, before.as_ref(), size).expect("page");
        let mut ids: Vec<String> = page
            .rows
            .iter()
            .map(|r| r.sort_key().1.to_owned())
            .collect();
        ids.extend(out);
        out = ids;
        match page.next {
            Some(next) => before = Some(next),
            None => return out,
        }
    }
}

/// The plain way: every match, filtered, sorted by the list's columns.
fn plain(c: &Connection, sql: &str, fts_query: &str) -> Vec<String> {
    let mut stmt = c.prepare(sql).expect("plain");
    stmt.query_map([fts_query], |r| r.get(0))
        .expect("plain")
        .collect::<Result<_, _>>()
        .expect("ids")
}

fn search(text: &str) -> Filters {
    let mut f = Filters::default();
    f.push(FilterKey::Search, text);
    f
}

/// Every page of list `T`'s search, forward and backward, and its count,
/// against the plain match set of `table` sorted by `order`.
fn check_list<T: Listed>(
    c: &Connection,
    list: ListKind,
    (table, order): (&str, &str),
    text: &str,
    size: usize,
) -> Vec<String> {
    let q = query::fts_query(text).expect("a query");
    let f = search(text);
    let want = plain(
        c,
        &format!(
            "SELECT id FROM {table} WHERE search_key IN
               (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?1)
             ORDER BY {order}"
        ),
        &q,
    );
    assert_eq!(walked::<T>(c, list, &f, size), want, "{table} « {text} »");
    assert_eq!(
        walked_back::<T>(c, list, &f, size),
        want,
        "{table} back « {text} »"
    );
    let (n, capped) = query::count::<T>(c, list, &f, 10_000).expect("count");
    assert_eq!(
        (n as usize, capped),
        (want.len(), false),
        "{table} count « {text} »"
    );
    want
}

fn check_all(c: &Connection) {
    // Rows the queue's and the held posts' searches found, over every text.
    let mut narrowed = [0usize; 2];
    for text in [
        "forage",
        "budget",
        "eau",
        "forag",
        "forage panne",
        "mairie",
        "Réo",
        "zzzz",
    ] {
        let want = check_list::<Post>(
            c,
            ListKind::Forum,
            ("forum_posts", "created_at DESC, id DESC"),
            text,
            7,
        );
        check_list::<Organization>(
            c,
            ListKind::Enrollments,
            ("organizations", "created_at, id"),
            text,
            4,
        );
        check_list::<Upload>(
            c,
            ListKind::Uploads,
            ("uploads", "submitted_at, id"),
            text,
            4,
        );

        // The moderation queue's search reads newest first too.
        let f = search(text);
        assert_eq!(
            walked::<QueuedPost>(c, ListKind::Forum, &f, 5),
            want,
            "queue « {text} »"
        );
        let mut hidden = f.clone();
        hidden.push(FilterKey::Status, "hidden");
        let want_hidden = plain(
            c,
            "SELECT id FROM forum_posts WHERE status = 'hidden' AND search_key IN
               (SELECT rowid FROM forum_posts_fts WHERE forum_posts_fts MATCH ?1)
             ORDER BY created_at DESC, id DESC",
            &query::fts_query(text).expect("a query"),
        );
        assert_eq!(
            walked::<Post>(c, ListKind::Forum, &hidden, 3),
            want_hidden,
            "hidden « {text} »"
        );
        // The queue and the held posts look their matches up in their own
        // small index of search keys (schema.sql, "version 9").
        let held = "status = 'hidden' AND moderated_by = 'system'";
        for (i, (key, rows)) in [
            (FilterKey::Flagged, "flag_count > 0"),
            (FilterKey::Held, held),
        ]
        .into_iter()
        .enumerate()
        {
            let mut narrow = f.clone();
            narrow.push(key, "oui");
            let want_narrow = plain(
                c,
                &format!(
                    "SELECT id FROM forum_posts WHERE {rows} AND search_key IN
                       (SELECT rowid FROM forum_posts_fts WHERE forum_posts_fts MATCH ?1)
                     ORDER BY created_at DESC, id DESC"
                ),
                &query::fts_query(text).expect("a query"),
            );
            assert_eq!(
                walked::<QueuedPost>(c, ListKind::Forum, &narrow, 2),
                want_narrow,
                "{key:?} « {text} »"
            );
            assert_eq!(
                walked_back::<Post>(c, ListKind::Forum, &narrow, 3),
                want_narrow,
                "{key:?} back « {text} »"
            );
            let (n, capped) =
                query::count::<QueuedPost>(c, ListKind::Forum, &narrow, 10_000).expect("count");
            assert_eq!(
                (n as usize, capped),
                (want_narrow.len(), false),
                "{key:?} count « {text} »"
            );
            narrowed[i] += want_narrow.len();
        }
        if want.len() > 2 {
            let (n, capped) = query::count::<Post>(c, ListKind::Forum, &f, 2).expect("count");
            assert_eq!((n, capped), (2, true), "capped count « {text} »");
        }
    }
    assert!(
        narrowed.iter().all(|&n| n > 0),
        "the queue and the held posts have matches to page through: {narrowed:?}"
    );
}

#[test]
fn every_page_of_a_search_is_the_plain_sorted_match_set() {
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let c = store.conn();
    assert!(
        count(
            &store,
            "SELECT count(*) FROM forum_posts_fts WHERE forum_posts_fts MATCH 'forage'"
        ) > 20,
        "the demo has posts to page through"
    );
    check_all(c);
}

/// Rows arriving out of time order (a pull, an old post ingested late),
/// rows of the same second, and an upload whose organisation is renamed.
#[test]
fn late_rows_same_second_rows_and_renames_keep_search_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::create(&dir.path().join("r.db"), Side::Replica).expect("store");
    let c = store.conn();
    c.execute_batch(
        "INSERT INTO forum_threads (id, title, category, created_at) VALUES ('t', 'Forage', 'eau', '2026-01-01T00:00:00.000Z');
         INSERT INTO citizens (id, display_name) VALUES ('c', 'Awa');
         INSERT INTO organizations (id, kind, name, region, status, created_at, updated_at)
           VALUES ('o1', 'osc', 'Forage Solidaire', 'Nando', 'applied', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
                  ('o2', 'osc', 'Eau Pour Tous', 'Nando', 'applied', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');",
    )
    .expect("setup");
    // Inserted newest first, several in one second, ids out of order.
    let times = [
        ("p5", "2026-03-01T10:00:00.000Z"),
        ("p9", "2026-02-01T10:00:00.000Z"),
        ("p1", "2026-02-01T10:00:00.000Z"),
        ("p3", "2026-02-01T10:00:00.000Z"),
        ("p0", "2026-04-01T10:00:00.000Z"),
        ("p7", "2025-12-31T23:59:59.999Z"),
    ];
    for (id, at) in times {
        c.execute(
            "INSERT INTO forum_posts (id, thread_id, author_id, body, created_at) VALUES (?1, 't', 'c', 'Le forage est en panne', ?2)",
            [id, at],
        )
        .expect("post");
    }
    for (id, org, at) in [
        ("u2", "o1", "2026-02-02T00:00:00.000Z"),
        ("u1", "o2", "2026-02-01T00:00:00.000Z"),
    ] {
        c.execute(
            "INSERT INTO uploads (id, org_id, kind, title, filename, mime, size_bytes, sha256, submitted_at)
             VALUES (?1, ?2, 'document', 'Budget 2026', 'budget.pdf', 'application/pdf', 1, '00', ?3)",
            [id, org, at],
        )
        .expect("upload");
    }
    let f = search("forage");
    let got = walked::<Post>(c, ListKind::Forum, &f, 2);
    // Posts of the same millisecond, whatever order they arrived in, read
    // in the list's order (time, then id): the insert renumbers them.
    assert_eq!(got, ["p0", "p5", "p9", "p3", "p1", "p7"]);
    assert_eq!(walked_back::<Post>(c, ListKind::Forum, &f, 2), got);
    // An upload is found by its organisation's name, and follows a rename.
    assert_eq!(
        walked::<Upload>(c, ListKind::Uploads, &search("solidaire"), 5),
        ["u2"]
    );
    c.execute(
        "UPDATE organizations SET name = 'Eau Solidaire' WHERE id = 'o2'",
        [],
    )
    .expect("rename");
    assert_eq!(
        walked::<Upload>(c, ListKind::Uploads, &search("solidaire"), 5),
        ["u1", "u2"]
    );
    // Deleted rows leave the index.
    c.execute("DELETE FROM forum_posts WHERE id = 'p5'", [])
        .expect("delete");
    assert_eq!(
        walked::<Post>(c, ListKind::Forum, &f, 4),
        ["p0", "p9", "p3", "p1", "p7"]
    );
    // A cursor whose row is gone, or one the plain list printed, carries on
    // exactly where the list would.
    let at = |id: &str, ts: &str| Cursor {
        ts: ts.to_owned(),
        id: id.to_owned(),
    };
    let after = |cursor: Cursor| -> Vec<String> {
        query::page::<Post>(c, ListKind::Forum, &f, Some(&cursor), 10)
            .expect("page")
            .rows
            .iter()
            .map(|r| r.id.clone())
            .collect()
    };
    assert_eq!(
        after(at("p4", "2026-02-01T10:00:00.000Z")),
        ["p3", "p1", "p7"]
    );
    assert_eq!(after(at("p2", "2026-02-01T10:00:00.000Z")), ["p1", "p7"]);
    assert_eq!(
        after(at("p9", "2026-02-01T10:00:00.000Z")),
        ["p3", "p1", "p7"]
    );
    // A date far in the future (the platform's clock, a typo) is a post
    // like another, first in the list.
    c.execute(
        "INSERT INTO forum_posts (id, thread_id, author_id, body, created_at) VALUES ('p8', 't', 'c', 'forage', '6500-01-01T00:00:00.000Z')",
        [],
    )
    .expect("a post from the far future");
    assert_eq!(walked::<Post>(c, ListKind::Forum, &f, 4)[0], "p8");
    // Renumbering kept every index row in step with its table.
    assert_search_index_whole(&store);
    // The key is local: never read into a synced row.
    let mut columns = civitac::store::synced::Columns::default();
    let cols = columns.of(c, "forum_posts").expect("columns");
    assert!(!cols.iter().any(|c| c == "search_key"), "{cols:?}");
}
