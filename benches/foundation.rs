//! Foundation benchmarks (numbers, not pass/fail): building the scale-50 demo,
//! a batch approval of 10,000 enrolments, and list pages (first and deep).
//! Each page is timed beside its floor — the bare query SQLite answers for
//! the same page (the keyset query on the indexed table; the FTS match for a
//! search) — and the ratio is the figure to track: a time moves with the
//! machine's load, a ratio measured side by side much less.
//!
//!   cargo bench --bench foundation            # scale 50 (about 1 minute, ~2.5 GB of disk)
//!   CIVITAC_BENCH_SCALE=5 cargo bench         # quicker, smaller

use std::process::Command;
use std::time::{Duration, Instant};

use civitac::demo::{self, DemoOptions};
use civitac::store::Store;
use civitac::store::query::{self, FilterKey, Filters, ListKind};
use civitac::store::rows::{Organization, Post};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The median of 21 runs of a bare query, every row stepped through.
fn time_sql(store: &Store, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Duration {
    let mut stmt = store.conn().prepare(sql).expect("floor query");
    let runs: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let mut rows = stmt.query(params).expect("floor rows");
            let mut n = 0;
            while let Some(r) = rows.next().expect("row") {
                let _: rusqlite::types::Value = r.get(0).expect("cell");
                n += 1;
            }
            assert!(n > 0, "floor query found nothing: {sql}");
            t.elapsed()
        })
        .collect();
    median(runs)
}

/// "0.41 ms (floor 0.12 ms, ×3.4)".
fn beside(d: Duration, floor: Duration) -> String {
    format!(
        "{} (floor {}, ×{:.1})",
        ms(d),
        ms(floor),
        d.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    )
}

fn time_page<T: civitac::store::rows::Listed>(
    store: &Store,
    list: ListKind,
    filters: &Filters,
    after: Option<&query::Cursor>,
) -> Duration {
    let runs: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let page = query::page::<T>(store.conn(), list, filters, after, 50).expect("page");
            assert!(!page.rows.is_empty() && page.rows.len() <= 50);
            t.elapsed()
        })
        .collect();
    median(runs)
}

fn main() {
    let scale: f64 = std::env::var("CIVITAC_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions {
        scale,
        seed: 2026,
        as_of: "2026-11-01T00:00:00Z".parse().expect("date"),
    };

    let t = Instant::now();
    let summary = demo::build(dir.path(), &opts).expect("demo");
    let build = t.elapsed();
    let size = std::fs::metadata(&summary.replica)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "demo --scale {scale}: {:.1} s ({} organisations, {} uploads, {} posts, {} contacts, {} ops; replica {} MB)",
        build.as_secs_f64(),
        summary.organizations,
        summary.uploads,
        summary.posts,
        summary.contacts,
        summary.ops,
        size / 1_000_000
    );

    // List pages: the first, and one 100,000 rows deep (keyset, so it should cost the same).
    {
        let store = Store::open(&summary.replica).expect("open");
        let mut visible = Filters::default();
        visible.push(FilterKey::Status, "visible");
        let first = time_page::<Post>(&store, ListKind::Forum, &visible, None);
        let mut cursor = None;
        let deep_pages = (summary.posts / 2 / 50).min(2000);
        for _ in 0..deep_pages {
            let page =
                query::page::<Post>(store.conn(), ListKind::Forum, &visible, cursor.as_ref(), 50)
                    .expect("page");
            cursor = page.next;
        }
        let deep = time_page::<Post>(&store, ListKind::Forum, &visible, cursor.as_ref());
        let page_floor =
            "SELECT p.id, p.body, p.created_at FROM forum_posts p WHERE p.status = 'visible'
             ORDER BY p.created_at DESC, p.id DESC LIMIT 50";
        let first_floor = time_sql(&store, page_floor, &[]);
        let deep_floor = match &cursor {
            Some(c) => time_sql(
                &store,
                "SELECT p.id, p.body, p.created_at FROM forum_posts p WHERE p.status = 'visible'
                   AND (p.created_at, p.id) < (?1, ?2)
                 ORDER BY p.created_at DESC, p.id DESC LIMIT 50",
                &[&c.ts, &c.id],
            ),
            None => first_floor,
        };
        println!(
            "forum list status=visible, 50 rows: first page {}, page {deep_pages} ({} rows deep) {}",
            beside(first, first_floor),
            deep_pages * 50,
            beside(deep, deep_floor)
        );
        // Searches beside the bare FTS5 query for the same page: the same
        // words (as the list writes them: the last one a prefix), the index's
        // own order, stopping after the page. A rare word's page costs its
        // rows, which that floor never reads: the same query reading the
        // page's rows (as the list's floor above does) is printed too.
        for words in ["forage panne", "budget", "eau", "mairie", "forag*", "dori"] {
            let mut search = Filters::default();
            search.push(FilterKey::Search, words);
            let q = query::fts_query(words).expect("words");
            let floor = time_sql(
                &store,
                "SELECT rowid FROM forum_posts_fts WHERE forum_posts_fts MATCH ?1
                 ORDER BY rowid DESC LIMIT 50",
                &[&q],
            );
            let rows_floor = time_sql(
                &store,
                "SELECT p.id, p.body, p.created_at FROM forum_posts_fts
                   CROSS JOIN forum_posts p ON p.search_key = forum_posts_fts.rowid
                 WHERE forum_posts_fts MATCH ?1 ORDER BY forum_posts_fts.rowid DESC LIMIT 50",
                &[&q],
            );
            let page = time_page::<Post>(&store, ListKind::Forum, &search, None);
            let counted = {
                let t = Instant::now();
                let n = query::count::<Post>(store.conn(), ListKind::Forum, &search, 1_000)
                    .expect("count");
                (t.elapsed(), n)
            };
            println!(
                "forum list --search \"{words}\", first page: {}; beside the same reading its rows: {}; counting to {}{}: {}",
                beside(page, floor),
                beside(page, rows_floor),
                counted.1.0,
                if counted.1.1 { "+" } else { "" },
                ms(counted.0)
            );
        }
        let orgs = (
            "organizations_fts",
            "o.id, o.name, o.created_at FROM organizations o",
        );
        let uploads = (
            "uploads_fts",
            "u.id, u.title, u.submitted_at FROM uploads u",
        );
        for (list, (fts, rows), words) in [
            (ListKind::Enrollments, orgs, "commune"),
            (ListKind::Enrollments, orgs, "association"),
            (ListKind::Uploads, uploads, "budget"),
            (ListKind::Uploads, uploads, "photos"),
            (ListKind::Uploads, uploads, "plan"),
        ] {
            let mut search = Filters::default();
            search.push(FilterKey::Search, words);
            let q = query::fts_query(words).expect("words");
            let floor = time_sql(
                &store,
                &format!("SELECT rowid FROM {fts} WHERE {fts} MATCH ?1 ORDER BY rowid LIMIT 50"),
                &[&q],
            );
            let (columns, table) = rows.split_once(" FROM ").expect("FROM");
            let alias = table.rsplit(' ').next().expect("alias");
            let rows_floor = time_sql(
                &store,
                &format!(
                    "SELECT {columns} FROM {fts} CROSS JOIN {table} ON {alias}.search_key = {fts}.rowid
                     WHERE {fts} MATCH ?1 ORDER BY {fts}.rowid LIMIT 50"
                ),
                &[&q],
            );
            let took = match list {
                ListKind::Enrollments => time_page::<Organization>(&store, list, &search, None),
                _ => time_page::<civitac::store::rows::Upload>(&store, list, &search, None),
            };
            println!(
                "{} list --search \"{words}\", first page: {}; beside the same reading its rows: {}",
                list.as_str(),
                beside(took, floor),
                beside(took, rows_floor)
            );
        }
        let mut region = Filters::default();
        region.push(FilterKey::Status, "contacted");
        region.push(FilterKey::Kind, "osc");
        let floor = time_sql(
            &store,
            "SELECT o.id, o.name FROM organizations o WHERE o.status = 'contacted' AND o.kind = 'osc'
             ORDER BY o.created_at, o.id LIMIT 50",
            &[],
        );
        println!(
            "enrollments list status=contacted kind=osc, first page: {}",
            beside(
                time_page::<Organization>(&store, ListKind::Enrollments, &region, None),
                floor
            )
        );
    }

    // Batch approval through the real command: ids from a file, one transaction.
    let n = 10_000usize;
    let ids: Vec<String> = {
        let store = Store::open(&summary.replica).expect("open");
        let mut stmt = store
            .conn()
            .prepare("SELECT id FROM organizations WHERE status = 'contacted' ORDER BY id LIMIT ?1")
            .expect("q");
        stmt.query_map([n as i64], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    let file = dir.path().join("approve.txt");
    std::fs::write(&file, ids.join("\n")).expect("write ids");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_civitac"))
        .arg("--db")
        .arg(&summary.replica)
        .args([
            "--lang",
            "en",
            "enrollments",
            "approve",
            "--yes",
            "--all-matching",
            "--from",
        ])
        .arg(&file)
        .output()
        .expect("run civitac");
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "enrollments approve --from FILE ({} ids, one transaction, whole process): {:.3} s — {}",
        ids.len(),
        elapsed.as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
}
