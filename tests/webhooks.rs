//! Webhooks: the hub POSTs the decision feed to a receiver on 127.0.0.1 that
//! fails (500, a timeout, connection refused) then recovers; every decision
//! arrives, in order, signed; a replayed request is refused by the
//! receiver's check; a hub killed mid-delivery delivers the rest after its
//! restart.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use civitac::domain::forum::{PostAction, PostStatus};
use civitac::hub::webhooks::{self, Attempt, Delivery, VerifyError};
use civitac::ops::{self, Op};
use common::net::*;
use common::*;

const SECRET: &[u8] = b"a shared secret of the platform";

/// One request as the receiver read it, and what it answered.
struct Request {
    signature: String,
    body: Vec<u8>,
    answer: Answer,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Status(u16),
    /// Say nothing for longer than the hub waits, then close.
    Hang,
}

/// What the receiver answers next (200 once the script is done).
type Script = Arc<Mutex<VecDeque<Answer>>>;

/// Reads one HTTP request from a connection.
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut signature = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().ok()?,
                "civitac-signature" => signature = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((signature, body))
}

/// A receiver: answers each request as the script says, and tells the
/// test what it read before it answers.
fn receiver(listener: TcpListener, script: Script) -> mpsc::Receiver<Request> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let tx = tx.clone();
            let script = script.clone();
            std::thread::spawn(move || {
                while let Some((signature, body)) = read_request(&mut stream) {
                    let answer = script
                        .lock()
                        .expect("script")
                        .pop_front()
                        .unwrap_or(Answer::Status(200));
                    let _ = tx.send(Request {
                        signature,
                        body,
                        answer,
                    });
                    match answer {
                        Answer::Status(code) => {
                            let _ =
                                write!(stream, "HTTP/1.1 {code} X\r\nContent-Length: 2\r\n\r\nok");
                        }
                        Answer::Hang => {
                            std::thread::sleep(Duration::from_secs(3));
                            return;
                        }
                    }
                }
            });
        }
    });
    rx
}

/// The receiver's check, as a platform would write it.
fn check(r: &Request, now: i64) -> Result<Delivery, VerifyError> {
    webhooks::verify(SECRET, &r.signature, &r.body, now, webhooks::REPLAY_WINDOW)?;
    Ok(serde_json::from_slice(&r.body).expect("a delivery"))
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// `n` posts from the platform, each hidden then restored by the system:
/// 2n decisions, two per subject, in an order a receiver can check.
fn decisions(db: &std::path::Path, n: usize) -> Vec<String> {
    let lines: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"post","id":"p{i}","thread":{{"id":"t","title":"Eau"}},"author":{{"id":"a{i}","name":"A"}},"body":"message {i}","created_at":"2026-11-12T10:00:00Z"}}"#
            )
        })
        .collect();
    let mut hub = open(db);
    civitac::hub::ingest::ingest(hub.conn_mut(), lines.join("\n").as_bytes(), 3).expect("ingest");
    let posts = ids(&hub, "SELECT id FROM forum_posts ORDER BY platform_id");
    let actor = civitac::hub::ingest::system_actor();
    let tx = hub.transaction().expect("tx");
    for (action, seen) in [
        (PostAction::Hide, PostStatus::Visible),
        (PostAction::Restore, PostStatus::Hidden),
    ] {
        for p in &posts {
            let op = Op::ModeratePost {
                post_id: p.clone(),
                seen_status: seen,
                action,
                reason: Some("test".into()),
            };
            ops::apply(&tx, &actor, &op).expect("op");
        }
    }
    tx.commit().expect("commit");
    civitac::hub::decisions::since(hub.conn(), 0, 5_000)
        .expect("feed")
        .decisions
        .into_iter()
        .map(|d| d.id)
        .collect()
}

#[test]
fn every_decision_arrives_in_order_through_failures() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    civitac::store::Store::create(&db, civitac::store::Side::Hub).expect("hub");
    let expected = decisions(&db, 60);
    assert_eq!(expected.len(), 120);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let hub = open(&db);
    let w = webhooks::add(
        hub.conn(),
        &format!("http://{addr}/civitac"),
        SECRET,
        None,
        true,
    )
    .expect("add");
    let script: Script = Arc::new(Mutex::new(VecDeque::from([
        Answer::Status(500),
        Answer::Hang,
    ])));
    let requests = receiver(listener, script.clone());
    let settings = webhooks::Settings {
        timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let agent = webhooks::agent();
    // Time passes: the backoff's wait is over.
    let later = || {
        hub.conn()
            .execute("UPDATE webhooks SET next_at = NULL", [])
            .expect("later");
    };
    let attempt = || -> (Vec<Attempt>, Option<Request>) {
        let tries = webhooks::deliver_due(hub.conn(), &agent, &settings).expect("deliver");
        (
            tries.into_iter().map(|(_, a)| a).collect(),
            requests.recv_timeout(Duration::from_millis(200)).ok(),
        )
    };

    // 1. The receiver fails: 500.
    let (tries, first) = attempt();
    assert!(
        matches!(tries.as_slice(), [Attempt::Failed(e)] if e.contains("500")),
        "{tries:?}"
    );
    let first = first.expect("a request");
    assert_eq!(first.answer, Answer::Status(500));
    let shown = webhooks::list(hub.conn()).expect("list");
    assert_eq!(shown[0].attempts, 1);
    assert!(
        shown[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("HTTP 500"))
    );
    assert_eq!(
        webhooks::backlog(hub.conn(), &shown[0], 10_000).expect("backlog"),
        120
    );
    // Not yet due again: nothing is sent before the backoff's wait.
    assert_eq!(
        webhooks::deliver_due(hub.conn(), &agent, &settings).expect("deliver"),
        []
    );
    later();
    // 2. The receiver says nothing: the hub's time limit.
    let (tries, _) = attempt();
    assert!(
        matches!(tries.as_slice(), [Attempt::Failed(_)]),
        "{tries:?}"
    );
    later();
    // 3. Nobody listens at a closed port: connection refused.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_addr = closed.local_addr().expect("addr");
    drop(closed);
    hub.conn()
        .execute(
            "UPDATE webhooks SET url = ?1",
            [format!("http://{closed_addr}/civitac")],
        )
        .expect("point away");
    let (tries, _) = attempt();
    assert!(
        matches!(tries.as_slice(), [Attempt::Failed(_)]),
        "{tries:?}"
    );
    assert_eq!(webhooks::list(hub.conn()).expect("list")[0].attempts, 3);
    hub.conn()
        .execute(
            "UPDATE webhooks SET url = ?1",
            [format!("http://{addr}/civitac")],
        )
        .expect("back");
    later();
    // 4. It recovers: everything arrives, in order, each once, signed.
    let mut got: Vec<String> = Vec::new();
    let mut replay = None;
    for _ in 0..10 {
        let (tries, r) = attempt();
        let Some(r) = r else { break };
        assert!(
            matches!(tries.as_slice(), [Attempt::Delivered(_)]),
            "{tries:?}"
        );
        assert_eq!(r.answer, Answer::Status(200));
        let delivery = check(&r, now()).expect("signed, fresh");
        assert_eq!(delivery.webhook, w.id);
        got.extend(delivery.decisions.into_iter().map(|d| d.id));
        replay.get_or_insert(r);
    }
    assert_eq!(got, expected, "every decision, in the feed's order, once");
    let shown = &webhooks::list(hub.conn()).expect("list")[0];
    assert_eq!((shown.delivered, shown.attempts), (120, 0));
    assert_eq!(shown.last_error, None);
    assert_eq!(
        webhooks::backlog(hub.conn(), shown, 10_000).expect("backlog"),
        0
    );
    // The failed first request was the same batch as the first delivered one.
    let replay = replay.expect("a delivery");
    assert_eq!(first.body, replay.body);
    // A request replayed later is refused by the receiver's check; an altered
    // one too.
    assert!(matches!(
        check(&replay, now() + 3_600),
        Err(VerifyError::Stale { .. })
    ));
    // Ids as an operator types them: the start of one, never a pattern.
    assert_eq!(
        webhooks::find(hub.conn(), &w.id[..8]).expect("prefix").id,
        w.id
    );
    for typed in ["%", "_", &"a".repeat(100_000), ""] {
        assert!(
            matches!(
                webhooks::find(hub.conn(), typed),
                Err(webhooks::WebhookError::Unknown(_))
            ),
            "{:?}",
            &typed[..typed.len().min(10)]
        );
    }
    let mut altered = replay.body.clone();
    altered[10] ^= 1;
    assert_eq!(
        webhooks::verify(SECRET, &replay.signature, &altered, now(), 300),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn a_hub_killed_mid_delivery_delivers_the_rest_after_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    civitac::store::Store::create(&db, civitac::store::Side::Hub).expect("hub");
    let expected = decisions(&db, 40);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = receiver(
        listener,
        Arc::new(Mutex::new(VecDeque::from([Answer::Hang]))),
    );
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).expect("secret");
    civitac()
        .args(["--lang", "en", "--db"])
        .arg(&db)
        .args([
            "hub",
            "webhook",
            "add",
            &format!("http://{addr}/hook"),
            "--from-start",
            "--secret-from",
        ])
        .arg(&secret)
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .expect("add")
        .status
        .success()
        .then_some(())
        .expect("webhook added");
    let mut hub = HubProcess::start(&db, &["--webhook-timeout", "30"]);
    // The first batch arrives; the hub dies before it hears the answer.
    let first = requests
        .recv_timeout(Duration::from_secs(20))
        .expect("a first request");
    assert_eq!(first.answer, Answer::Hang);
    hub.kill9();
    let mut got: Vec<String> = Vec::new();
    hub.restart();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < expected.len() && Instant::now() < deadline {
        let Ok(r) = requests.recv_timeout(Duration::from_secs(5)) else {
            continue;
        };
        let delivery = check(&r, now()).expect("signed, fresh");
        got.extend(delivery.decisions.into_iter().map(|d| d.id));
    }
    // The batch cut by the kill came again (at least once), and nothing was
    // lost: the receiver has every decision, in order.
    let first: Delivery = serde_json::from_slice(&first.body).expect("delivery");
    assert_eq!(
        first.decisions.first().map(|d| &d.id),
        got.first(),
        "the cut batch is sent again first"
    );
    assert_eq!(got, expected);
    // The hub keeps the position once it has read the last answer.
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&open(&db), "SELECT delivered FROM webhooks") < 80 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(hub);
    let out = civitac()
        .args(["--lang", "en", "--db"])
        .arg(&db)
        .args(["hub", "webhook", "list"])
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .expect("list");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("delivered 80") && text.contains("backlog 0"),
        "{text}"
    );
}

#[test]
fn a_receiver_that_hangs_never_holds_up_another() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hub.db");
    civitac::store::Store::create(&db, civitac::store::Side::Hub).expect("hub");
    decisions(&db, 3);
    let hub = open(&db);
    let hanging = TcpListener::bind("127.0.0.1:0").expect("bind");
    let healthy = TcpListener::bind("127.0.0.1:0").expect("bind");
    // The hanging one first: one after the other, the healthy one would wait
    // for its whole time limit.
    for (listener, _) in [(&hanging, 0), (&healthy, 1)] {
        webhooks::add(
            hub.conn(),
            &format!("http://{}/h", listener.local_addr().expect("addr")),
            SECRET,
            None,
            true,
        )
        .expect("add");
    }
    let _stuck = receiver(
        hanging,
        Arc::new(Mutex::new(VecDeque::from([Answer::Hang]))),
    );
    let heard = receiver(healthy, Script::default());
    let settings = webhooks::Settings {
        timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            webhooks::deliver_due(&open(&db).into_conn(), &webhooks::agent(), &settings)
                .expect("deliver")
        });
        heard
            .recv_timeout(Duration::from_secs(10))
            .expect("the healthy receiver is served");
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "served only after the hanging one's time limit: {:?}",
            start.elapsed()
        );
    });
    drop(hub);
}
