//! Sync end to end: a real `civitac hub serve` on 127.0.0.1 (port 0) and
//! replicas driven through `civitac login` and `civitac sync`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::net::*;
use common::*;

fn hub_store(db: &std::path::Path) -> civitac::store::Store {
    open(db)
}

fn post_status(store: &civitac::store::Store, id: &str) -> String {
    store
        .conn()
        .query_row("SELECT status FROM forum_posts WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("post")
}

#[test]
fn two_moderators_deciding_differently_make_one_conflict_and_the_same_decision_merges() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    let b = Replica::new(dir.path(), "b");
    a.login(&hub.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    b.login(
        &hub.url,
        &issue(&db, "test.boukary", "moderator", "laptop-b"),
    );
    // The first pull filled the replica from nothing.
    assert_eq!(synced_digest(&b.store()), synced_digest(&hub_store(&db)));

    let (contested, agreed) = {
        let s = hub_store(&db);
        let mut stmt = s
            .conn()
            .prepare("SELECT id FROM forum_posts WHERE status = 'visible' AND flag_count > 0 ORDER BY id LIMIT 2")
            .expect("q");
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("ids");
        (ids[0].clone(), ids[1].clone())
    };
    a.run(&["forum", "hide", &contested, "--reason", "Insultes", "-y"]);
    b.run(&["forum", "remove", &contested, "--reason", "Spam", "-y"]);
    a.run(&["forum", "hide", &agreed, "--reason", "Hors sujet", "-y"]);
    b.run(&[
        "forum",
        "hide",
        &agreed,
        "--reason",
        "Hors sujet aussi",
        "-y",
    ]);

    let first = a.sync();
    assert_eq!(
        (first["pushed"].as_u64(), first["applied"].as_u64()),
        (Some(2), Some(2))
    );
    let second = b.sync();
    assert_eq!(second["pushed"], 2);
    assert_eq!(second["conflict"], 1, "{second}");
    assert_eq!(second["duplicate"], 1, "the same decision merges: {second}");
    assert_eq!(second["applied"], 0);

    // The rules table: the first decision stands; both are recorded.
    let h = hub_store(&db);
    assert_eq!(post_status(&h, &contested), "hidden");
    assert_eq!(
        count(
            &h,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity_id = '{contested}' AND action = 'post.hide'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &h,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity_id = '{contested}' AND action = 'post.remove.conflict'"
            )
        ),
        1
    );
    // B sees the hub's state and keeps the conflict for its Synchro screen.
    let bs = b.store();
    assert_eq!(post_status(&bs, &contested), "hidden");
    assert_eq!(
        count(
            &bs,
            &format!(
                "SELECT count(*) FROM conflicts WHERE entity_id = '{contested}' AND resolved_at IS NULL"
            )
        ),
        1
    );
    assert_eq!(
        count(&bs, "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"),
        0
    );
    // After A pulls again, everyone agrees with the hub.
    a.sync();
    let want = synced_digest(&h);
    assert_eq!(synced_digest(&a.store()), want);
    assert_eq!(synced_digest(&bs), want);
}

/// Forwards connections to the hub; while `drop_answers` > 0, it forwards a
/// request but throws the hub's answer away and cuts the connection.
struct CuttingProxy {
    url: String,
    drop_answers: Arc<AtomicUsize>,
}

impl CuttingProxy {
    fn start(target: &str) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let target = target.trim_start_matches("http://").to_owned();
        let drop_answers = Arc::new(AtomicUsize::new(0));
        let drops = drop_answers.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let target = target.clone();
                let drops = drops.clone();
                std::thread::spawn(move || relay(client, &target, &drops));
            }
        });
        CuttingProxy { url, drop_answers }
    }
}

fn relay(client: TcpStream, target: &str, drops: &AtomicUsize) {
    let Ok(upstream) = TcpStream::connect(target) else {
        return;
    };
    let (mut c_read, mut u_write) = (
        client.try_clone().expect("clone"),
        upstream.try_clone().expect("clone"),
    );
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut u_write);
    });
    let mut u_read = upstream;
    let mut c_write = client;
    let mut buf = [0u8; 16384];
    loop {
        let n = match u_read.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let cut = drops
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1))
            .is_ok();
        if cut {
            // The hub has answered (so it committed); the replica never hears it.
            let _ = c_write.shutdown(std::net::Shutdown::Both);
            let _ = u_read.shutdown(std::net::Shutdown::Both);
            return;
        }
        if c_write.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = c_write.shutdown(std::net::Shutdown::Both);
}

#[test]
fn a_push_whose_answer_is_lost_is_answered_duplicate_and_applied_once() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let proxy = CuttingProxy::start(&hub.url);
    let r = Replica::new(dir.path(), "r");
    r.login(&proxy.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    let queued = r.hide_flagged();

    proxy.drop_answers.store(1, Ordering::SeqCst);
    let failed = r
        .cmd()
        .args(["sync", "--retries", "0"])
        .output()
        .expect("runs");
    assert!(!failed.status.success(), "the cut is reported");
    let h = hub_store(&db);
    // The first batch (a sync starts small: `replica::pace`) was committed
    // at the hub; its answer never came, and the sync stopped there.
    let applied = count(&h, "SELECT count(*) FROM applied_ops");
    assert!(applied > 0 && applied < queued, "{applied} of {queued}");
    // The replica does not know: its outbox still holds everything.
    assert_eq!(
        count(
            &r.store(),
            "SELECT count(*) FROM outbox WHERE pushed_at IS NULL"
        ),
        queued
    );

    let retry = r.sync();
    assert_eq!(retry["duplicate"].as_i64(), Some(applied), "{retry}");
    assert_eq!(retry["applied"].as_i64(), Some(queued - applied), "{retry}");
    assert_eq!(count(&h, "SELECT count(*) FROM applied_ops"), queued);
    assert_eq!(
        count(
            &h,
            "SELECT count(*) FROM audit_log WHERE action = 'post.hide' AND actor = 'test.awa'"
        ),
        queued,
        "each decision applied exactly once"
    );
    assert_eq!(synced_digest(&r.store()), synced_digest(&h));
}

#[test]
fn a_revoked_token_is_refused_at_once_and_logout_forgets_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let r = Replica::new(dir.path(), "r");
    let token = issue(&db, "test.awa", "moderator", "laptop-a");
    r.login(&hub.url, &token);
    let creds = civitac::replica::credentials::path_for(&r.db);
    let saved = std::fs::read_to_string(&creds).expect("credentials");
    assert!(saved.contains(&token) && saved.contains(&hub.url));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the token is readable by its owner only"
        );
    }
    r.sync();
    revoke(&db, "laptop-a");
    let out = r
        .cmd()
        .args(["sync", "--retries", "0"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401") && err.contains("revoked"), "{err}");

    r.assert_cmd().arg("logout").assert().success();
    assert!(!creds.exists(), "logout forgets the replica's token");
    let out = r.cmd().args(["sync"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("civitac login"));
}

#[test]
fn a_refused_op_never_blocks_the_ops_behind_it() {
    use civitac::ops::{Envelope, OP_FORMAT, Op};
    use civitac::protocol::{PROTOCOL_VERSION, PushRequest, PushedOp};
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let token = issue(&db, "test.fatou", "field_agent", "tablet-f");
    let (post, org) = {
        let h = hub_store(&db);
        (
            first_id(&h, "forum_posts", "status = 'visible' AND flag_count > 0"),
            first_id(&h, "organizations", "status = 'charter_received'"),
        )
    };
    // A modified client: a field agent pushes a moderation op, then a legitimate one.
    let hide = Op::ModeratePost {
        post_id: post.clone(),
        seen_status: civitac::domain::forum::PostStatus::Visible,
        action: civitac::domain::forum::PostAction::Hide,
        reason: Some("je peux ?".into()),
    };
    let advance = Op::SetEnrollmentStatus {
        org_id: org.clone(),
        seen_status: civitac::domain::enrollment::Stage::CharterReceived,
        action: civitac::domain::enrollment::EnrollmentAction::RecordContact,
        reason: None,
        charter: None,
    };
    let pushed = |seq, op| PushedOp {
        op_id: uuid::Uuid::now_v7().to_string(),
        seq,
        created_at: "2026-11-02T10:00:00.000Z".into(),
        author: "test.fatou".into(),
        op: Envelope {
            v: OP_FORMAT,
            quiet: false,
            op,
        },
    };
    let request = PushRequest {
        v: PROTOCOL_VERSION,
        ops: vec![pushed(1, hide), pushed(2, advance)],
    };
    let mut client =
        civitac::replica::transport::HubClient::new(&hub.url, &token, None).expect("client");
    let answer = client.push(&request).expect("push");
    let outcomes: Vec<&str> = answer.results.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["rejected", "applied"], "{answer:?}");
    assert!(
        answer.results[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("field_agent")),
        "{answer:?}"
    );
    let h = hub_store(&db);
    assert_eq!(post_status(&h, &post), "visible", "the hub enforces roles");
    let stage: String = h
        .conn()
        .query_row(
            "SELECT status FROM organizations WHERE id = ?1",
            [&org],
            |r| r.get(0),
        )
        .expect("org");
    assert_eq!(stage, "contacted");
}

/// Sends raw bytes as an HTTP request and returns (status, body).
fn raw(url: &str, request: &[u8]) -> (u16, String) {
    raw_then(url, request, false)
}

/// `hang_up`: close our side after sending (a client that gave up mid-body).
fn raw_then(url: &str, request: &[u8], hang_up: bool) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    s.write_all(request).expect("send");
    if hang_up {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn post_raw(url: &str, path: &str, token: &str, extra_headers: &str, body: &[u8]) -> (u16, String) {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(url, &req)
}

#[test]
fn malformed_truncated_and_oversize_bodies_get_clear_json_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &["--max-body-mib", "1"]);
    let token = issue(&db, "test.awa", "moderator", "laptop-a");

    // Errors made by layers or before routing have the JSON shape too.
    let long = format!(
        "GET /v1/pull?since={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(100_000)
    );
    let (status, body) = raw(&hub.url, long.as_bytes());
    assert_eq!(status, 414);
    assert!(body.contains("\"uri_too_long\""), "{body}");
    let (status, body) = post_raw(
        &hub.url,
        "/v1/push",
        &token,
        "Content-Encoding: br\r\n",
        b"abc",
    );
    assert_eq!(status, 415);
    assert!(body.contains("\"error\""), "{body}");

    let (status, body) = post_raw(
        &hub.url,
        "/v1/push",
        &token,
        "",
        b"{\"v\":1,\"ops\":[{\"op_id\":",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"code\":\"bad_request\""), "{body}");

    // Content-Length promises more than arrives, then the client hangs up.
    let req = format!(
        "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 5000\r\n\r\n{{\"v\":1,"
    )
    .into_bytes();
    let (status, _) = raw_then(&hub.url, &req, true);
    assert!(status == 400 || status == 0, "{status}");

    let big = vec![b' '; 2 * 1024 * 1024];
    let (status, body) = post_raw(&hub.url, "/v1/push", &token, "", &big);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too_large"), "{body}");

    // A small zstd body that inflates past the limit is refused the same way.
    let bomb = zstd::encode_all(&vec![b' '; 8 * 1024 * 1024][..], 19).expect("zstd");
    assert!(bomb.len() < 10_000);
    let (status, body) = post_raw(
        &hub.url,
        "/v1/push",
        &token,
        "Content-Encoding: zstd\r\n",
        &bomb,
    );
    assert_eq!(status, 413, "{body}");

    let (status, body) = post_raw(&hub.url, "/v1/push", "cvt_nope", "", b"{}");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("unauthorized"));
    let (status, body) = raw(
        &hub.url,
        b"GET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("not_found"));
    // After all that the hub still serves.
    let (status, body) = raw(
        &hub.url,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn failed_authentication_is_rate_limited_per_credential_never_refusing_a_valid_token() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let valid = issue(&db, "test.awa", "moderator", "laptop-a");
    let hub = HubProcess::start(&db, &["--trusted-proxy", "127.0.0.1"]);
    let whoami = |token: &str, client: &str| {
        raw(
            &hub.url,
            format!("GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nX-Forwarded-For: {client}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .0
    };
    // One person behind the office NAT keeps typing a wrong token.
    let statuses: Vec<u16> = (0..12)
        .map(|_| whoami("cvt_typo_typo_typo", "203.0.113.5"))
        .collect();
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(&statuses[10..], &[429, 429], "{statuses:?}");
    // Their colleagues, same address, valid tokens: served.
    assert_eq!(whoami(&valid, "203.0.113.5"), 200);
    // Another client behind the same proxy is not that person.
    assert_eq!(whoami("cvt_typo_typo_typo", "198.51.100.7"), 401);
    // Guessing with ever new tokens trips the address's own budget.
    let guesses: Vec<u16> = (0..105)
        .map(|i| whoami(&format!("cvt_guess_{i:05}"), "192.0.2.9"))
        .collect();
    assert!(guesses.ends_with(&[429, 429]), "{:?}", &guesses[95..]);
    assert_eq!(
        whoami(&valid, "192.0.2.9"),
        200,
        "a valid token is always served"
    );
}

/// Idle connections from one address never take the hub's descriptors: over
/// the per-address cap, a connection is closed at once.
#[test]
fn connections_are_capped_per_address() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &["--max-per-address", "4"]);
    let addr = hub.url.trim_start_matches("http://").to_owned();
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut extra = TcpStream::connect(&addr).expect("connect");
    extra
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answer = Vec::new();
    let _ = extra.read_to_end(&mut answer);
    assert!(answer.is_empty(), "over the cap: closed without an answer");
    drop(idle);
    // Their places free as the hub sees them close.
    let mut status = 0;
    let probe = || -> Option<u16> {
        let mut s = TcpStream::connect(&addr).ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).ok()?;
        answer.split_whitespace().nth(1)?.parse().ok()
    };
    for _ in 0..50 {
        status = probe().unwrap_or(0);
        if status == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(status, 200);
}

#[test]
fn the_platform_ingests_over_http_and_replicas_pull_what_it_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let platform = platform_token(&db, "civitac.bf");
    let device = issue(&db, "test.awa", "moderator", "laptop-a");
    let r = Replica::new(dir.path(), "r");
    r.login(&hub.url, &device);

    let post = "019a0000-0000-7000-8000-00000000b001";
    let lines = format!(
        "{{\"type\":\"post\",\"id\":\"{post}\",\"thread\":{{\"id\":\"019a0000-0000-7000-8000-00000000b002\",\"title\":\"Forage de Bassinko\"}},\"author\":{{\"id\":\"019a0000-0000-7000-8000-00000000b003\",\"name\":\"Salif\"}},\"body\":\"La pompe est en panne \\u001b[2J depuis mardi\",\"created_at\":\"2026-11-20T08:00:00Z\"}}\nnot json\n{{\"type\":\"flag\",\"post_id\":\"{post}\",\"reporter\":\"c9\",\"reason\":\"spam\",\"created_at\":\"2026-11-20T09:00:00Z\"}}\n"
    );
    let (status, body) = post_raw(&hub.url, "/v1/ingest", &platform, "", lines.as_bytes());
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (report["posts"].as_u64(), report["flags"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["bad"][0]["line"], 2, "{report}");

    // A device token may not ingest, a platform token may not pull.
    let (status, _) = post_raw(&hub.url, "/v1/ingest", &device, "", lines.as_bytes());
    assert_eq!(status, 403);
    let (status, _) = raw(
        &hub.url,
        format!("GET /v1/pull HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {platform}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 403);

    let summary = r.sync();
    assert!(summary["pulled"].as_u64().unwrap_or(0) >= 4, "{summary}");
    let s = r.store();
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM forum_posts WHERE id = '{post}' AND flag_count = 1")
        ),
        1
    );
}

#[test]
fn the_hub_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let mut hub = HubProcess::start(&db, &[]);
    let status = hub.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn over_https_the_client_verifies_the_hubs_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    // A private authority, as a ministry's hub would have, and the hub's certificate.
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Civitac test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let hub_key = rcgen::KeyPair::generate().expect("key");
    let hub_cert =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("params")
            .signed_by(&hub_key, &ca)
            .expect("signed");
    let (ca_pem, cert_pem, key_pem) = (
        dir.path().join("ca.pem"),
        dir.path().join("hub.pem"),
        dir.path().join("hub.key"),
    );
    std::fs::write(&ca_pem, ca.pem()).expect("write");
    std::fs::write(&cert_pem, hub_cert.pem()).expect("write");
    std::fs::write(&key_pem, hub_key.serialize_pem()).expect("write");

    let hub = HubProcess::start(
        &db,
        &[
            "--tls-cert",
            cert_pem.to_str().expect("utf-8"),
            "--tls-key",
            key_pem.to_str().expect("utf-8"),
        ],
    );
    assert!(hub.url.starts_with("https://"), "{}", hub.url);
    let token = issue(&db, "test.awa", "moderator", "laptop-a");

    // Without the authority the certificate is refused and nothing is stored.
    let r = Replica::new(dir.path(), "r");
    let out = r
        .cmd()
        .args(["login", "--hub", &hub.url, "--token", &token])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(!r.config().exists());

    let out = r
        .cmd()
        .args(["login", "--hub", &hub.url, "--token", &token, "--ca"])
        .arg(&ca_pem)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = r.sync();
    assert_eq!(summary["pushed"], 0);
    assert_eq!(synced_digest(&r.store()), synced_digest(&hub_store(&db)));
}

#[test]
fn the_live_demo_serves_its_hub_and_feeds_it_like_the_platform() {
    let dir = tempfile::tempdir().expect("dir");
    let summary = civitac::demo::build(dir.path(), &options(0.1, 3)).expect("demo");
    let before = count(&hub_store(&summary.hub), "SELECT count(*) FROM forum_posts");
    let (said, heard) = std::sync::mpsc::channel();
    let mut live = civitac::demo::live::LiveDemo::start(
        &summary,
        3,
        std::time::Duration::from_millis(100),
        civitac::i18n::Lang::En,
        said,
    )
    .expect("live demo");
    let start = std::time::Instant::now();
    while count(&hub_store(&summary.hub), "SELECT count(*) FROM forum_posts") < before + 4 {
        assert!(
            start.elapsed().as_secs() < 30,
            "the platform never fed the hub"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The replica is attached to the live hub and pulls what arrived.
    let mut replica = open(&summary.replica);
    assert_eq!(
        replica.state("hub_url").expect("state").as_deref(),
        Some(live.config.url.as_str())
    );
    let mut client =
        civitac::replica::transport::HubClient::new(&live.config.url, &live.config.token, None)
            .expect("client");
    let s = civitac::replica::session::sync(
        replica.conn_mut(),
        &mut client,
        civitac::replica::session::Sizes::default(),
        &mut |_| {},
    )
    .expect("sync");
    assert!(s.pulled >= 4, "{s:?}");
    // The loop closes: a post hidden in the console, synced, is applied by
    // the simulated platform, which says so on the status line.
    let owner = replica.owner().expect("owner").expect("an owner");
    let post = first_id(&replica, "forum_posts", "status = 'visible'");
    let tx = replica.transaction().expect("tx");
    let o = civitac::ops::decisions::apply_batch(
        &tx,
        &owner,
        &civitac::ops::decisions::Decision::Moderate(civitac::domain::forum::PostAction::Hide),
        &[post],
        Some("Spam"),
        Default::default(),
        civitac::i18n::Lang::En,
    );
    assert!(o.failed.is_empty() && o.storage.is_none(), "{o:?}");
    tx.commit().expect("commit");
    civitac::replica::session::sync(
        replica.conn_mut(),
        &mut client,
        civitac::replica::session::Sizes::default(),
        &mut |_| {},
    )
    .expect("sync");
    // (The platform's own flags may auto-hide posts too: each is a decision
    // it applies, in the same words.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains(" hidden") && l.contains("author"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        lines.push(
            heard
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the platform never said it hid a post: {lines:?}")),
        );
    }
    assert!(
        lines.iter().all(|l| l.starts_with("platform applied: ")),
        "{lines:?}"
    );
    live.stop();
    assert!(
        count(&replica, "SELECT count(*) FROM forum_posts") >= before + 4,
        "new posts reached the replica"
    );
}

#[test]
fn upload_files_are_fetched_on_demand_verified_and_resumed_after_a_cut() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let files = dir.path().join("demo").join("files");
    let hub = HubProcess::start(&db, &["--files", files.to_str().expect("utf-8")]);
    let token = issue(&db, "test.awa", "moderator", "laptop-a");
    let r = Replica::new(dir.path(), "r");
    r.login(&hub.url, &token);

    // A statistics upload of the demo: its CSV is on the hub under its hash.
    let (stat, sha): (String, String) = r
        .store()
        .conn()
        .query_row(
            "SELECT id, sha256 FROM uploads WHERE kind = 'statistic' ORDER BY id LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("a statistic");
    let out = r.run(&["uploads", "fetch", &stat]);
    let path = std::path::PathBuf::from(out.split('\t').nth(1).expect("path"));
    assert!(path.starts_with(&r.home), "{out}");
    assert_eq!(
        civitac::replica::files::hash_file(&path).expect("hash"),
        sha
    );
    let csv = std::fs::read_to_string(&path).expect("csv");
    assert!(
        csv.starts_with("organisation;region;commune;indicateur"),
        "{csv}"
    );

    // A large video, cut after its first megabyte: the next fetch asks for the rest only.
    let video = dir.path().join("video.mp4");
    let bytes: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&video, &bytes).expect("write");
    let added = {
        let out = civitac()
            .args(["--db"])
            .arg(&db)
            .args(["hub", "files", "add", "--store"])
            .arg(&files)
            .arg(&video)
            .output()
            .expect("files add");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let video_sha = added.split('\t').next().expect("hash").to_owned();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).expect("cache");
    std::fs::write(cache.join(format!("{video_sha}.part")), &bytes[..1_000_000]).expect("part");
    let mut client =
        civitac::replica::transport::HubClient::new(&hub.url, &token, None).expect("client");
    let got = civitac::replica::files::fetch(&mut client, &cache, &video_sha, &mut |_, _| {})
        .expect("fetch");
    assert_eq!(
        client.bytes_down, 2_000_000,
        "only the missing part crossed the wire"
    );
    assert_eq!(std::fs::read(&got).expect("read"), bytes);
    assert!(!cache.join(format!("{video_sha}.part")).exists());

    // A part that went bad on disk is caught by the hash, discarded, fetched again.
    let other = dir.path().join("other.bin");
    std::fs::write(&other, &bytes[..500_000]).expect("write");
    let (other_sha, _) = civitac::hub::files::store(&files, &other).expect("store");
    let mut bad = bytes[..200_000].to_vec();
    bad[10] ^= 0xff;
    std::fs::write(cache.join(format!("{other_sha}.part")), &bad).expect("part");
    let err = civitac::replica::files::fetch(&mut client, &cache, &other_sha, &mut |_, _| {})
        .expect_err("corrupt part");
    assert!(err.to_string().contains("does not match"), "{err}");
    let got = civitac::replica::files::fetch(&mut client, &cache, &other_sha, &mut |_, _| {})
        .expect("refetch");
    assert_eq!(
        civitac::replica::files::hash_file(&got).expect("hash"),
        other_sha
    );

    // An unknown hash is a clear 404, not a crash.
    let missing = "0".repeat(64);
    let err = civitac::replica::files::fetch(&mut client, &cache, &missing, &mut |_, _| {})
        .expect_err("missing");
    assert!(err.to_string().contains("404"), "{err}");
}

/// Forwards to the hub, rewriting the `Date` of every answer to an hour ago.
fn clock_skewing_proxy(target: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let target = target.trim_start_matches("http://").to_owned();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let target = target.clone();
            std::thread::spawn(move || {
                let Ok(upstream) = TcpStream::connect(&target) else {
                    return;
                };
                let (mut c_read, mut u_write) = (
                    client.try_clone().expect("clone"),
                    upstream.try_clone().expect("clone"),
                );
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut u_write);
                });
                let (mut u_read, mut c_write) = (upstream, client);
                let old = jiff::fmt::rfc2822::DateTimePrinter::new()
                    .timestamp_to_rfc9110_string(
                        &(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)),
                    )
                    .expect("date");
                let mut buf = [0u8; 65536];
                loop {
                    let n = match u_read.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let mut chunk = buf[..n].to_vec();
                    if let Some(at) = chunk
                        .windows(6)
                        .position(|w| w.eq_ignore_ascii_case(b"date: "))
                    {
                        let end = at
                            + chunk[at..]
                                .windows(2)
                                .position(|w| w == b"\r\n")
                                .expect("line end");
                        chunk.splice(at + 6..end, old.bytes());
                    }
                    if c_write.write_all(&chunk).is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_device_clock_far_from_the_hubs_is_warned_about() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let proxy = clock_skewing_proxy(&hub.url);
    let r = Replica::new(dir.path(), "r");
    r.login(&proxy, &issue(&db, "test.awa", "moderator", "laptop-a"));
    let out = r.cmd().args(["sync", "--json"]).output().expect("sync");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("60 min off"), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let skew = summary["clock_skew"].as_i64().expect("skew");
    assert!((-3700..=-3500).contains(&skew), "{skew}");
    // A method an endpoint does not take is a JSON error too.
    let (status, body) = raw(
        &hub.url,
        b"DELETE /v1/push HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405, "{body}");
    assert!(body.contains("method_not_allowed"));
}

/// A decision the hub refuses does not stay on the replica that made it:
/// the hub's record comes back with the answer's sync, so the console shows
/// what the platform shows (here, a moderator demoted while offline).
#[test]
fn a_decision_the_hub_refuses_gives_way_to_the_hubs_record() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    a.login(&hub.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    let post: String = hub_store(&db)
        .conn()
        .query_row(
            "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("post");
    let demoted = hub_cmd(&db)
        .args(["hub", "staff", "set-role", "test.awa", "field_agent"])
        .output()
        .expect("set-role");
    assert!(demoted.status.success(), "{demoted:?}");
    // Her laptop still knows her as a moderator: the console takes it.
    a.run(&["forum", "hide", &post, "--reason", "Insultes", "-y"]);
    assert_eq!(post_status(&a.store(), &post), "hidden");
    let summary = a.sync();
    assert_eq!(summary["rejected"], 1, "{summary}");
    assert_eq!(post_status(&hub_store(&db), &post), "visible");
    assert_eq!(
        post_status(&a.store(), &post),
        "visible",
        "the hub's record, not the refused decision"
    );
    assert_eq!(synced_digest(&a.store()), synced_digest(&hub_store(&db)));
}

/// A small demo's hub serving, and two admins' replicas logged in to it
/// (test.ada on laptop-a, test.bio on laptop-b).
fn two_admins() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    HubProcess,
    Replica,
    Replica,
) {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    a.login(&hub.url, &issue(&db, "test.ada", "admin", "laptop-a"));
    let b = Replica::new(dir.path(), "b");
    b.login(&hub.url, &issue(&db, "test.bio", "admin", "laptop-b"));
    (dir, db, hub, a, b)
}

/// Records made offline by an op the hub refuses do not stay on the
/// replica that made them: the hub says them gone in its feed, and the
/// replica lets them go with the rows it made on them (here an admin
/// demoted while offline enrols an organisation, meets its leader and notes
/// it; and a group she creates under a name a colleague took meanwhile, the
/// new number she adds to it and the notice she queues for it). Nothing a
/// hub says gone is deleted unless this replica made it by a refused op.
#[test]
fn records_made_by_ops_the_hub_refuses_leave_the_replica_that_made_them() {
    let (_dir, db, _hub, a, b) = two_admins();
    let counts = |s: &civitac::store::Store| -> [i64; 6] {
        [
            "SELECT count(*) FROM organizations",
            "SELECT count(*) FROM org_leaders",
            "SELECT count(*) FROM notes",
            "SELECT count(*) FROM sms_groups",
            "SELECT count(*) FROM sms_contacts",
            "SELECT count(*) FROM sms_messages",
        ]
        .map(|q| s.conn().query_row(q, [], |r| r.get(0)).expect(q))
    };
    let before = counts(&a.store());

    // Offline on laptop a.
    a.run(&[
        "enrollments",
        "apply",
        "--kind",
        "osc",
        "--name",
        "Association des femmes de Seytenga",
        "--commune",
        "Dori",
    ]);
    let org: String = a
        .store()
        .conn()
        .query_row(
            "SELECT id FROM organizations WHERE name = 'Association des femmes de Seytenga'",
            [],
            |r| r.get(0),
        )
        .expect("the new organisation");
    a.run(&["enrollments", "contact", &org, "--name", "Awa Diallo"]);
    a.run(&[
        "enrollments",
        "note",
        &org,
        "--text",
        "Rencontrée au marché",
        "-y",
    ]);
    a.run(&["sms", "groups", "create", "Veille Seytenga"]);
    a.run(&["sms", "groups", "add", "Veille Seytenga", "70 99 88 77"]);
    a.run(&[
        "sms",
        "send",
        "--group",
        "Veille Seytenga",
        "--kind",
        "notice",
        "--text",
        "Réunion demain à 9 h",
        "-y",
    ]);
    assert_eq!(
        counts(&a.store()),
        [
            before[0] + 1,
            before[1] + 1,
            before[2] + 1,
            before[3] + 1,
            before[4] + 1,
            before[5] + 1
        ]
    );

    // Meanwhile a colleague takes the group's name, and ada is demoted.
    b.run(&["sms", "groups", "create", "Veille Seytenga"]);
    b.sync();
    let demoted = hub_cmd(&db)
        .args(["hub", "staff", "set-role", "test.ada", "moderator"])
        .output()
        .expect("set-role");
    assert!(demoted.status.success(), "{demoted:?}");

    let summary = a.sync();
    assert_eq!(summary["rejected"], 6, "{summary}");
    assert_eq!(summary["applied"], 0, "{summary}");
    let after = a.store();
    // Her records went; the group of the same name is her colleague's.
    assert_eq!(
        counts(&after),
        [
            before[0],
            before[1],
            before[2],
            before[3] + 1,
            before[4],
            before[5]
        ]
    );
    let group_by: String = after
        .conn()
        .query_row(
            "SELECT g.id FROM sms_groups g WHERE g.name = 'Veille Seytenga'",
            [],
            |r| r.get(0),
        )
        .expect("group");
    let hubs: String = hub_store(&db)
        .conn()
        .query_row(
            "SELECT id FROM sms_groups WHERE name = 'Veille Seytenga'",
            [],
            |r| r.get(0),
        )
        .expect("hub's group");
    assert_eq!(group_by, hubs);
    assert_eq!(synced_digest(&after), synced_digest(&hub_store(&db)));
    // Her refused ops stay in the outbox, answered, for the Synchro screen.
    let refused: i64 = after
        .conn()
        .query_row(
            "SELECT count(*) FROM outbox WHERE outcome = 'rejected'",
            [],
            |r| r.get(0),
        )
        .expect("outbox");
    assert_eq!(refused, 6);
    // The counters the dashboard reads agree with a full count (the
    // schema's own recount, rolled back).
    assert_eq!(mismatches(after.conn()), Vec::<String>::new());

    // A hub's feed saying gone a record this replica did not make by a
    // refused op changes nothing: organisations are never deleted that way.
    let held: String = after
        .conn()
        .query_row(
            "SELECT id FROM organizations ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("an organisation");
    let page = gone_page(&after, "organization", &[&held]);
    let mut s = a.store();
    civitac::replica::pull::apply_page(s.conn_mut(), &page).expect("page");
    let still: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM organizations WHERE id = ?1",
            [&held],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(still, 1);
}

/// A group renamed offline to a name a colleague's group took meanwhile:
/// the hub refuses the rename, and the replica's pull, which meets the
/// colleague's group before the hub's record of its own, still goes
/// through (before, it failed on the unique name at every sync); the group
/// ends with the hub's name. The name it steps aside under is free, even
/// when a colleague took "name (its id)" too.
#[test]
fn a_rename_refused_for_a_taken_name_never_stops_the_pull() {
    let (_dir, db, _hub, a, b) = two_admins();
    let (group, name): (String, String) = hub_store(&db)
        .conn()
        .query_row(
            "SELECT id, name FROM sms_groups WHERE archived_at IS NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a group");
    let name_of = |s: &civitac::store::Store| -> String {
        s.conn()
            .query_row("SELECT name FROM sms_groups WHERE id = ?1", [&group], |r| {
                r.get(0)
            })
            .expect("group")
    };
    b.run(&[
        "sms",
        "groups",
        "create",
        &format!("Veille Gorom-Gorom ({group})"),
    ]);
    b.sync();
    a.sync();
    // Refused at the hub, its record sent again after the colleague's.
    a.run(&["sms", "groups", "rename", &group, "Veille Gorom-Gorom"]);
    b.run(&["sms", "groups", "create", "Veille Gorom-Gorom"]);
    b.sync();
    let summary = a.sync();
    assert_eq!(summary["rejected"], 1, "{summary}");
    assert_eq!(name_of(&a.store()), name);
    assert_eq!(synced_digest(&a.store()), synced_digest(&hub_store(&db)));
}

/// A refused creation whose record the hub does hold (here an outbox edited
/// to name an organisation that exists; also an op the hub applied from a
/// bundle whose answer was lost, then refused from a new device): the
/// replica keeps that record and every row on it, and matches the hub.
#[test]
fn a_refused_op_naming_a_record_the_hub_holds_takes_nothing_away() {
    let (_dir, db, _hub, a, _b) = two_admins();
    let (org, posts): (String, i64) = hub_store(&db)
        .conn()
        .query_row(
            "SELECT t.org_id, count(*) FROM forum_threads t JOIN forum_posts p ON p.thread_id = t.id
             WHERE t.org_id IS NOT NULL GROUP BY t.org_id ORDER BY 2 DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an organisation with posts");
    assert!(posts > 0);
    a.run(&[
        "enrollments",
        "apply",
        "--kind",
        "osc",
        "--name",
        "Association des jeunes de Falagountou",
        "--commune",
        "Dori",
    ]);
    let made: String = a
        .store()
        .conn()
        .query_row(
            "SELECT id FROM organizations WHERE name = 'Association des jeunes de Falagountou'",
            [],
            |r| r.get(0),
        )
        .expect("the new organisation");
    {
        let s = a.store();
        let changed = s
            .conn()
            .execute(
                "UPDATE outbox SET op = replace(op, ?1, ?2) WHERE op LIKE '%ApplyEnrollment%'",
                [&made, &org],
            )
            .expect("edit the outbox");
        assert_eq!(changed, 1);
    }
    let summary = a.sync();
    assert_eq!(summary["rejected"], 1, "{summary}");
    let replica_posts: i64 = a
        .store()
        .conn()
        .query_row(
            "SELECT count(*) FROM forum_threads t JOIN forum_posts p ON p.thread_id = t.id
             WHERE t.org_id = ?1",
            [&org],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(replica_posts, posts);
    // Its own organisation, which no op of the outbox names any more, is
    // the only difference.
    a.store()
        .conn()
        .execute("DELETE FROM organizations WHERE id = ?1", [&made])
        .expect("delete");
    assert_eq!(synced_digest(&a.store()), synced_digest(&hub_store(&db)));
}
