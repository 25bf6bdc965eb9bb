//! SMS benchmarks (numbers, not pass/fail): segments counted per second on
//! French text, and one alert dispatched to 10,000 recipients through the
//! Kannel client to a fake gateway on loopback (time, and the request count,
//! which must be exactly 10,000).
//!
//!   cargo bench --bench sms

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use civitac::demo::{self, DemoOptions};
use civitac::domain::sms::{SmsKind, SmsStatus};
use civitac::hub::sms::{self, Kannel, Settings};
use civitac::ops::{NewSms, Op};
use civitac::sms::segments;
use civitac::store::{Actor, Store};

fn main() {
    // 1. Segment counting.
    let texts = [
        "Civitac : réunion d'information sur le budget primitif 2026 ce samedi à 9h à la mairie.",
        "ALERTE Civitac: fortes pluies attendues cette nuit, évitez les bas-fonds.",
        "Civitac : la campagne de vaccination commence lundi, ça concerne tous les enfants.",
        "Le conseil municipal de Ouahigouya se réunit le 12/12 : ordre du jour sur civitac.bf",
    ];
    let n = 400_000;
    let t = Instant::now();
    let mut segs = 0u64;
    for i in 0..n {
        segs += u64::from(segments::count(texts[i % texts.len()]).segments);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "segments: {:.0} messages counted per second ({n} messages, {segs} segments, {secs:.2} s)",
        n as f64 / secs
    );

    // 2. Dispatch to 10,000 recipients.
    let dir = tempfile::tempdir().expect("dir");
    demo::build(
        dir.path(),
        &DemoOptions {
            scale: 0.05,
            seed: 1,
            as_of: "2026-11-01T00:00:00Z".parse().expect("date"),
        },
    )
    .expect("demo");
    let hub = dir.path().join("hub.db");
    let mut store = Store::open(&hub).expect("hub");
    let group = uuid::Uuid::now_v7().to_string();
    {
        let tx = store.transaction().expect("tx");
        tx.execute(
            "UPDATE sms_messages SET status = 'cancelled' WHERE status IN ('approved','queued')",
            [],
        )
        .expect("quiet");
        tx.execute(
            "INSERT INTO sms_groups (id, name) VALUES (?1, 'Banc d''essai 10 000')",
            [&group],
        )
        .expect("group");
        for i in 0..10_000 {
            let phone = format!("+2265{:07}", 1_000_000 + i);
            let id = civitac::sms::phone::contact_id(&phone);
            tx.execute(
                "INSERT INTO sms_contacts (id, phone_e164) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                [&id, &phone],
            )
            .expect("contact");
            tx.execute(
                "INSERT INTO sms_group_members (group_id, contact_id) VALUES (?1, ?2)",
                [&group, &id],
            )
            .expect("member");
        }
        tx.commit().expect("commit");
    }
    let staff = |role: &str| -> Actor {
        store
            .conn()
            .query_row(
                "SELECT id, login, display_name, role FROM staff WHERE role = ?1 ORDER BY login LIMIT 1",
                [role],
                |r| {
                    Ok(Actor {
                        staff_id: r.get(0)?,
                        login: r.get(1)?,
                        display_name: r.get(2)?,
                        role: r.get(3)?,
                        device: "bench".into(),
                    })
                },
            )
            .expect("staff")
    };
    let (author, admin) = (staff("moderator"), staff("admin"));
    let id = uuid::Uuid::now_v7().to_string();
    {
        let tx = store.transaction().expect("tx");
        civitac::ops::apply(
            &tx,
            &author,
            &Op::QueueSms {
                message: NewSms {
                    id: id.clone(),
                    group_id: group.clone(),
                    kind: SmsKind::Alert,
                    body: "ALERTE Civitac : coupure d'eau demain de 8h a 12h.".into(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )
        .expect("queue");
        civitac::ops::apply(
            &tx,
            &admin,
            &Op::ApproveSms {
                message_id: id.clone(),
                seen_status: SmsStatus::Queued,
                seen_recipients: None,
            },
        )
        .expect("approve");
        tx.commit().expect("commit");
    }

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/cgi-bin/sendsms",
        listener.local_addr().expect("addr")
    );
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut stream = stream;
                loop {
                    let mut first = String::new();
                    if reader.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    if stream
                        .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 26\r\n\r\n0: Accepted for delivery\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let gateway = Kannel::new(&url, "bench", "bench", "Civitac", None);
    let mut conn = store.into_conn();
    let t = Instant::now();
    let sent = sms::drain(&mut conn, &gateway, &Settings::default()).expect("drain");
    let secs = t.elapsed().as_secs_f64();
    let (status, sent_count): (String, i64) = conn
        .query_row(
            "SELECT status, sent_count FROM sms_messages WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("message");
    println!(
        "dispatch: {sent} recipients in {secs:.2} s ({:.0}/s, no rate limit); gateway received {} requests; message {status}, {sent_count} sent",
        sent as f64 / secs,
        requests.load(Ordering::SeqCst)
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        10_000,
        "exactly one request per recipient"
    );
}
