//! SMS dispatch against a fake Kannel on 127.0.0.1: exactly one request per
//! recipient, opted-out people never, delivery reports counted, STOP / ARRÊT
//! opting out, 503s retried, and a hub killed mid-send neither doubling nor
//! missing anyone. Each test runs on a SQLite hub and on PostgreSQL (see
//! `common::hubs`).

mod common;

use std::time::{Duration, Instant};

use civitac::domain::sms::SmsKind;
use civitac::ops::{NewSms, Op};
use civitac::store::Actor;
use civitac::store::sql::Sql;
use common::hubs::{Kind, TestHub};
use common::kannel::*;
use common::net::*;

fn actor(c: &dyn Sql, role: &str) -> Actor {
    c.query_row(
        "SELECT id, login, display_name, role FROM staff WHERE role = ?1 ORDER BY login LIMIT 1",
        [role],
        |r| {
            Ok(Actor {
                staff_id: r.get(0)?,
                login: r.get(1)?,
                display_name: r.get(2)?,
                role: r.get(3)?,
                device: "hub-test".into(),
            })
        },
    )
    .expect("staff")
}

/// A hub copied from a small demo, in `root`, on `kind`; `None` when there
/// is no PostgreSQL.
fn demo(kind: Kind, root: &std::path::Path) -> Option<TestHub> {
    if !kind.available() {
        return None;
    }
    TestHub::on(kind, &demo_hub(root))
}

/// Queues an alert at the hub and has another person approve it.
fn alert(hub: &TestHub, group: &str, body: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    hub.with(|tx| {
        let author = actor(tx, "moderator");
        let admin = actor(tx, "admin");
        civitac::ops::apply(
            tx,
            &author,
            &Op::QueueSms {
                message: NewSms {
                    id: id.clone(),
                    group_id: group.to_owned(),
                    kind: SmsKind::Alert,
                    body: body.to_owned(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )
        .expect("queue");
        civitac::ops::apply(
            tx,
            &admin,
            &Op::ApproveSms {
                message_id: id.clone(),
                seen_status: civitac::domain::sms::SmsStatus::Queued,
                seen_recipients: None,
            },
        )
        .expect("approve");
    });
    id
}

fn wait_done(hub: &TestHub, id: &str, secs: u64) -> (String, i64, i64, i64) {
    let start = Instant::now();
    loop {
        let row: (String, i64, i64, i64, i64) = hub.with(|c| {
            c.query_row(
                "SELECT status, recipients, sent_count, delivered_count, failed_count FROM sms_messages WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .expect("message")
        });
        if row.0 == "sent" && row.3 + row.4 >= row.1 {
            return (row.0, row.1, row.3, row.4);
        }
        assert!(
            start.elapsed().as_secs() < secs,
            "message not done in {secs} s: {row:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A group with a good number of members, one of them opted out.
fn group_with_members(hub: &TestHub) -> (String, Vec<String>, String) {
    hub.with(|c| {
        let group: String = c
            .query_row(
                "SELECT group_id FROM sms_group_members GROUP BY group_id
                 HAVING count(*) BETWEEN 12 AND 40 ORDER BY group_id LIMIT 1",
                (),
                |r| r.get(0),
            )
            .expect("a group");
        let phones: Vec<String> = c
            .prepare(
                "SELECT c.phone_e164 FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
                 WHERE m.group_id = ?1 ORDER BY c.phone_e164",
            )
            .expect("q")
            .query_map([&group], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("phones");
        c.execute(
            "UPDATE sms_contacts SET opted_out_at = '2026-11-01T00:00:00.000Z' WHERE phone_e164 = ?1",
            [&phones[0]],
        )
        .expect("opt out");
        c.execute(
            "UPDATE sms_contacts SET opted_out_at = NULL WHERE phone_e164 <> ?1 AND id IN
               (SELECT contact_id FROM sms_group_members WHERE group_id = ?2)",
            [&phones[0], &group],
        )
        .expect("others in");
        // The demo's own approved messages would be sent too: not in these tests.
        c.execute(
            "UPDATE sms_messages SET status = 'cancelled' WHERE status IN ('approved','queued')",
            (),
        )
        .expect("quiet demo");
        let opted_out = phones[0].clone();
        (group, phones[1..].to_vec(), opted_out)
    })
}

fn alerts_reach_each_member_once_never_the_opted_out_and_stop_opts_out(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(db) = demo(kind, dir.path()) else {
        return;
    };
    let (group, members, opted_out) = group_with_members(&db);
    let kannel = FakeKannel::start(3);
    let hub = db.serve(&[
        "--sms-gateway",
        "kannel",
        "--kannel-url",
        &kannel.url,
        "--kannel-password",
        "s3cret",
    ]);

    let first = alert(
        &db,
        &group,
        "ALERTE Civitac : coupure d'eau demain de 8h à 12h.",
    );
    let (_, recipients, delivered, failed) = wait_done(&db, &first, 60);
    assert_eq!(recipients as usize, members.len());
    assert_eq!((delivered as usize, failed), (members.len(), 0));
    let mut got = kannel.recipients();
    got.sort();
    assert_eq!(got, members, "each member exactly once, after three 503s");
    assert!(!got.contains(&opted_out));
    let sample = kannel.sent.lock().expect("lock")[0].clone();
    assert_eq!(sample.get("coding").map(String::as_str), Some("0"), "GSM-7");
    assert_eq!(sample.get("password").map(String::as_str), Some("s3cret"));
    assert_eq!(sample.get("dlr-mask").map(String::as_str), Some("31"));

    // Someone answers ARRÊT: opted out at once, through an op by the system.
    // The key lives in a 0600 file beside the database (PostgreSQL: beside
    // the files folder every hub process shares), not in it.
    let key = std::fs::read_to_string(db.sms_key_path())
        .expect("key file")
        .trim()
        .to_owned();
    assert_eq!(
        db.with(|c| civitac::store::sql::state(c, "sms_callback_key").expect("state")),
        None
    );
    let stopper = members[0].clone();
    let url = format!(
        "{}/v1/sms/inbound?key={key}&from=%2B{}&text=Arr%C3%AAt",
        hub.url,
        &stopper[1..]
    );
    assert_eq!(http_get(&url), Some(200));
    assert_eq!(
        http_get(&format!(
            "{}/v1/sms/inbound?key=wrong&from=1&text=STOP",
            hub.url
        )),
        Some(401)
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM sms_contacts WHERE phone_e164 = '{stopper}' AND opted_out_at IS NOT NULL"
        )),
        1
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM audit_log WHERE action = 'sms.opt_out' AND actor = 'system'"
        ),
        1
    );
    // STOP from a number that is no contact yet: remembered, and the number
    // starts opted out when someone imports it later.
    let url = format!(
        "{}/v1/sms/inbound?key={key}&from=%2B22670990500&text=STOP",
        hub.url
    );
    assert_eq!(http_get(&url), Some(200));
    add_members(&db, &group, 1, 500);
    // However the gateway writes the number, it is one number; junk is refused.
    let spaced = format!(
        "{}/v1/sms/inbound?key={key}&from=%2B226%2070%2099%2005%2001&text=STOP",
        hub.url
    );
    assert_eq!(http_get(&spaced), Some(200));
    add_members(&db, &group, 1, 501);
    let junk = format!(
        "{}/v1/sms/inbound?key={key}&from=%1B%5D0%3BPWN&text=STOP",
        hub.url
    );
    assert_eq!(http_get(&junk), Some(400));
    assert_eq!(
        db.count(
            "SELECT count(*) FROM sms_contacts WHERE phone_e164 IN ('+22670990500', '+22670990501') AND opted_out_at IS NOT NULL"
        ),
        2
    );
    let before = kannel.recipients().len();
    let second = alert(
        &db,
        &group,
        "ALERTE Civitac : l'eau revient à 14h, ça se confirme.",
    );
    wait_done(&db, &second, 60);
    let second_batch: Vec<String> = kannel.recipients()[before..].to_vec();
    assert_eq!(second_batch.len(), members.len() - 1);
    assert!(!second_batch.contains(&stopper) && !second_batch.contains(&opted_out));
    let last = kannel
        .sent
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("sent");
    assert_eq!(
        last.get("coding").map(String::as_str),
        Some("2"),
        "ç: UCS-2"
    );
}

fn a_hub_killed_mid_send_neither_doubles_nor_misses_anyone(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(db) = demo(kind, dir.path()) else {
        return;
    };
    let (group, members, _) = group_with_members(&db);
    let kannel = FakeKannel::start(0);
    let args = [
        "--sms-gateway",
        "kannel",
        "--kannel-url",
        &kannel.url,
        "--sms-rate",
        "4",
    ];
    let mut hub = db.serve(&args);
    let id = alert(&db, &group, "ALERTE Civitac : vaccination demain au CSPS.");
    let mut kills = 0;
    let start = Instant::now();
    while kannel.recipients().len() < members.len() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(Duration::from_millis(900));
        if kills < 3 && !kannel.recipients().is_empty() {
            hub.restart();
            kills += 1;
        }
    }
    assert!(kills >= 2, "the hub was killed {kills} times mid-send");
    let (_, recipients, delivered, failed) = wait_done(&db, &id, 60);
    let mut got = kannel.recipients();
    got.sort();
    assert_eq!(got, members, "nobody twice, nobody missed");
    assert_eq!(
        (recipients as usize, delivered as usize, failed),
        (members.len(), members.len(), 0)
    );
}

fn add_members(hub: &TestHub, group: &str, n: usize, from: u32) {
    hub.with(|tx| {
        let who = actor(tx, "moderator");
        for i in 0..n as u32 {
            civitac::ops::apply(
                tx,
                &who,
                &Op::AddContact {
                    contact: civitac::ops::NewContact {
                        phone_e164: format!("+2267099{:04}", from + i),
                        name: Some(format!("Nouveau {i}")),
                        region: None,
                        commune: None,
                    },
                    group_id: Some(group.to_owned()),
                },
            )
            .expect("add");
        }
    });
}

fn message(hub: &TestHub, id: &str) -> (String, Option<String>, i64) {
    hub.with(|c| {
        c.query_row(
            "SELECT status, approved_by, recipients FROM sms_messages WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("message")
    })
}

/// A notice approved as it was queued (small audience) and an alert an admin
/// approved: both go back for approval if the group grows before the send.
fn an_approval_holds_only_for_the_audience_it_was_given_for(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(db) = demo(kind, dir.path()) else {
        return;
    };
    let (group, members, _) = group_with_members(&db);
    db.with(|c| {
        c.execute(
            "INSERT INTO sync_state (key, value) VALUES ('sms_approval_threshold', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(members.len() + 5).to_string()],
        )
        .expect("threshold")
    });
    // A small notice: approved as it is queued.
    let notice = uuid::Uuid::now_v7().to_string();
    db.with(|tx| {
        let who = actor(tx, "moderator");
        civitac::ops::apply(
            tx,
            &who,
            &Op::QueueSms {
                message: NewSms {
                    id: notice.clone(),
                    group_id: group.clone(),
                    kind: SmsKind::Notice,
                    body: "Réunion du conseil samedi.".into(),
                    scheduled_at: Some("2099-01-01T00:00:00Z".into()),
                    retry_of: None,
                },
            },
        )
        .expect("queue");
    });
    assert_eq!(message(&db, &notice).0, "approved");
    let alert_id = alert(&db, &group, "ALERTE : crue du Nakambé.");
    assert_eq!(message(&db, &alert_id).2, members.len() as i64);
    // The group grows past the threshold before the send.
    add_members(&db, &group, 10, 0);
    db.with(|c| {
        c.execute(
            "UPDATE sms_messages SET scheduled_at = NULL WHERE id = ?1",
            [&notice],
        )
        .expect("due now")
    });
    let started = db.start_due(&civitac::time::now());
    assert_eq!(started, 0, "nothing sent to an audience nobody approved");
    for id in [&notice, &alert_id] {
        let (status, approved_by, recipients) = message(&db, id);
        assert_eq!(
            (status.as_str(), approved_by, recipients),
            ("queued", None, members.len() as i64 + 10)
        );
    }
    assert_eq!(db.count("SELECT count(*) FROM sms_deliveries"), 0);
    // Approved again for the new audience, it goes.
    db.with(|tx| {
        let admin = actor(tx, "admin");
        civitac::ops::apply(
            tx,
            &admin,
            &Op::ApproveSms {
                message_id: alert_id.clone(),
                seen_status: civitac::domain::sms::SmsStatus::Queued,
                seen_recipients: None,
            },
        )
        .expect("approve");
    });
    let started = db.start_due(&civitac::time::now());
    assert_eq!(started, 1);
}

/// An approval given on a replica that saw a smaller group than the hub has
/// covers only what its author saw; a body of a novel's length is refused.
fn an_approval_covers_what_its_author_saw_and_a_message_has_a_length(kind: Kind) {
    let dir = tempfile::tempdir().expect("dir");
    let Some(db) = demo(kind, dir.path()) else {
        return;
    };
    let (group, members, _) = group_with_members(&db);
    let id = uuid::Uuid::now_v7().to_string();
    let (author, admin) = db.with(|c| (actor(c, "moderator"), actor(c, "admin")));
    db.with(|tx| {
        civitac::ops::apply(
            tx,
            &author,
            &Op::QueueSms {
                message: NewSms {
                    id: id.clone(),
                    group_id: group.clone(),
                    kind: SmsKind::Alert,
                    body: "ALERTE : coupure d'électricité ce soir.".into(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )
        .expect("queue");
    });
    // 200 contacts reach the hub before the approval, which saw the old group.
    add_members(&db, &group, 200, 1000);
    db.with(|tx| {
        civitac::ops::apply(
            tx,
            &admin,
            &Op::ApproveSms {
                message_id: id.clone(),
                seen_status: civitac::domain::sms::SmsStatus::Queued,
                seen_recipients: Some(members.len() as i64),
            },
        )
        .expect("approve");
    });
    assert_eq!(message(&db, &id).2, members.len() as i64);
    db.start_due(&civitac::time::now());
    assert_eq!(
        message(&db, &id).0,
        "queued",
        "not sent to 200 unapproved people"
    );
    // 160,000 characters are not an SMS.
    let err = db.with(|tx| {
        civitac::ops::apply(
            tx,
            &author,
            &Op::QueueSms {
                message: NewSms {
                    id: uuid::Uuid::now_v7().to_string(),
                    group_id: group,
                    kind: SmsKind::Notice,
                    body: "x".repeat(160_000),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )
        .expect_err("too long")
    });
    assert!(err.to_string().contains("segments"), "{err}");
}

on_both!(
    alerts_reach_each_member_once_never_the_opted_out_and_stop_opts_out,
    a_hub_killed_mid_send_neither_doubles_nor_misses_anyone,
    an_approval_holds_only_for_the_audience_it_was_given_for,
    an_approval_covers_what_its_author_saw_and_a_message_has_a_length,
);
