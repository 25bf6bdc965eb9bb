//! Foundation benchmarks (numbers, not pass/fail): building the scale-50 demo,
//! a batch approval of 10,000 enrolments, and list pages (first and deep).
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
            assert_eq!(page.rows.len(), 50);
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
        println!(
            "forum list status=visible, 50 rows: first page {}, page {deep_pages} ({} rows deep) {}",
            ms(first),
            deep_pages * 50,
            ms(deep)
        );
        let mut search = Filters::default();
        search.push(FilterKey::Search, "forage panne");
        println!(
            "forum list --search \"forage panne\", first page: {}",
            ms(time_page::<Post>(&store, ListKind::Forum, &search, None))
        );
        let mut region = Filters::default();
        region.push(FilterKey::Status, "contacted");
        region.push(FilterKey::Kind, "osc");
        println!(
            "enrollments list status=contacted kind=osc, first page: {}",
            ms(time_page::<Organization>(
                &store,
                ListKind::Enrollments,
                &region,
                None
            ))
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
