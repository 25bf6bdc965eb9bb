//! Demo data: deterministic for a seed, realistic, and covering every state.

mod common;

use civitac::demo;
use civitac::store::{Side, Store};
use common::*;

/// Every table's rows, in a stable order, as text.
fn dump(path: &std::path::Path) -> Vec<String> {
    let store = open(path);
    let tables: Vec<String> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .expect("tables");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("names")
    };
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = store
            .conn()
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1, 2"))
            .expect("select");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| {
                        format!(
                            "{:?}",
                            r.get_ref(i).map(|v| format!("{v:?}")).unwrap_or_default()
                        )
                    })
                    .collect();
                Ok(format!("{t}|{}", cells.join("|")))
            })
            .expect("rows");
        for row in rows {
            out.push(row.expect("row"));
        }
    }
    out
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let c = tempfile::tempdir().expect("dir");
    demo::build(a.path(), &options(0.1, 42)).expect("a");
    demo::build(b.path(), &options(0.1, 42)).expect("b");
    demo::build(c.path(), &options(0.1, 43)).expect("c");
    let (da, db) = (
        dump(&a.path().join("replica.db")),
        dump(&b.path().join("replica.db")),
    );
    assert!(da.len() > 1000);
    assert!(da == db, "same seed, same rows");
    assert_ne!(
        da,
        dump(&c.path().join("replica.db")),
        "another seed, other rows"
    );
    // Hub and replica hold the same domain content until sync exists.
    let hub: Vec<String> = dump(&a.path().join("hub.db"))
        .into_iter()
        .filter(|r| !r.starts_with("sync_state|"))
        .collect();
    let replica: Vec<String> = da
        .into_iter()
        .filter(|r| !r.starts_with("sync_state|"))
        .collect();
    assert!(hub == replica, "hub and replica differ");
}

#[test]
fn demo_is_realistic_and_covers_every_state() {
    let (dir, replica) = small_demo();
    let store = open(&replica);
    let q = |sql: &str| count(&store, sql);
    for stage in [
        "applied",
        "charter_received",
        "contacted",
        "enrolled",
        "rejected",
        "suspended",
    ] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM organizations WHERE status = '{stage}'"
            )) > 0,
            "{stage}"
        );
    }
    for kind in ["commune", "region", "osc"] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM organizations WHERE kind = '{kind}'"
            )) > 0,
            "{kind}"
        );
    }
    for kind in [
        "document",
        "statistic",
        "article",
        "video",
        "audio",
        "photo",
    ] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM uploads WHERE kind = '{kind}'"
            )) > 0,
            "{kind}"
        );
    }
    for cat in [
        "local_development_plan",
        "budget",
        "procurement_plan",
        "council_minutes",
        "other",
    ] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM uploads WHERE category = '{cat}'"
            )) > 0,
            "{cat}"
        );
    }
    for status in ["pending", "approved", "rejected", "changes_requested"] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM uploads WHERE status = '{status}'"
            )) > 0,
            "upload {status}"
        );
    }
    for status in ["visible", "hidden", "removed"] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM forum_posts WHERE status = '{status}'"
            )) > 0,
            "post {status}"
        );
    }
    for reason in ["spam", "abuse", "personal_data", "misinformation"] {
        assert!(
            q(&format!(
                "SELECT count(*) FROM forum_flags WHERE reason = '{reason}'"
            )) > 0,
            "flag {reason}"
        );
    }
    for role in ["admin", "moderator", "field_agent"] {
        assert!(
            q(&format!("SELECT count(*) FROM staff WHERE role = '{role}'")) > 0,
            "{role}"
        );
    }
    assert!(
        q("SELECT count(*) FROM forum_posts WHERE body LIKE '%' || char(27) || '%'") > 0,
        "hostile posts"
    );
    assert!(
        q("SELECT count(*) FROM sms_contacts WHERE opted_out_at IS NOT NULL") > 0,
        "opt-outs"
    );
    assert!(q("SELECT count(*) FROM sms_messages WHERE encoding = 'UCS-2'") > 0);
    assert!(q("SELECT count(*) FROM sms_messages WHERE encoding = 'GSM-7'") > 0);
    // Burkina mobile numbers, +226 then eight digits.
    assert_eq!(
        q(
            "SELECT count(*) FROM sms_contacts WHERE phone_e164 NOT GLOB '+226[5-7][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"
        ),
        0
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM organizations WHERE phone NOT GLOB '+226[5-7][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"
        ),
        0
    );
    // Statistics carry the census population of their commune (2019).
    let communes = demo::communes().expect("communes");
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT o.commune, s.value FROM upload_stats s JOIN uploads u ON u.id = s.upload_id
             JOIN organizations o ON o.id = u.org_id WHERE s.indicator = 'population' AND s.year = 2019 AND o.kind = 'commune'",
        )
        .expect("q");
    let rows: Vec<(String, f64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("stats");
    assert!(!rows.is_empty());
    for (commune, value) in rows {
        let census = communes
            .iter()
            .find(|c| c.name == commune)
            .expect("a real commune")
            .population;
        assert_eq!(value, f64::from(census), "{commune}");
    }
    // Decisions are in the audit log, one per op; nothing waits to be pushed.
    assert!(q("SELECT count(*) FROM audit_log") > 100);
    assert_eq!(q("SELECT count(*) FROM outbox"), 0);
    assert_eq!(store.side().expect("side"), Side::Replica);
    assert_eq!(
        store.owner().expect("owner").expect("owned").login,
        "awa.kabore"
    );
    let hub = Store::open(&dir.path().join("hub.db")).expect("hub");
    assert_eq!(hub.side().expect("side"), Side::Hub);
    assert!(hub.owner().expect("owner").is_none());
    // What the build set aside while loading (indexes, search and counting
    // triggers) is all back as a new file has it, and every counter, every
    // group's reach and the search indexes agree with the rows.
    let schema = |s: &Store| -> Vec<(String, String, Option<String>)> {
        let mut stmt = s
            .conn()
            .prepare(
                "SELECT type, name, sql FROM sqlite_master
                 WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name",
            )
            .expect("schema");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("schema")
            .collect::<Result<_, _>>()
            .expect("schema")
    };
    let fresh = Store::create(&dir.path().join("fresh.db"), Side::Replica).expect("fresh");
    assert_eq!(schema(&store), schema(&fresh));
    assert_eq!(mismatches(store.conn()), Vec::<String>::new());
    assert_search_index_whole(&store);
}

#[test]
fn demo_never_overwrites_a_real_database() {
    let dir = tempfile::tempdir().expect("dir");
    let real = dir.path().join("replica.db");
    Store::create(&real, Side::Replica).expect("create");
    let before = file_bytes(&real);
    let err = demo::build(dir.path(), &options(0.05, 1)).expect_err("refused");
    assert!(err.to_string().contains("not a civitac demo"), "{err}");
    assert_eq!(file_bytes(&real), before);
    // Its own output it may replace.
    let d = tempfile::tempdir().expect("dir");
    demo::build(d.path(), &options(0.05, 1)).expect("first");
    demo::build(d.path(), &options(0.05, 2)).expect("second run replaces the demo");
}
