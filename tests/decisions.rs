//! The decision feed for the public platform (`GET /v1/decisions`, `civitac
//! hub decisions`): every kind of decision the platform enforces, once, in
//! the order the hub took them, with the platform's ids and the role (never
//! the name); a cursor resumes exactly; only a platform token reads it.

mod common;

use civitac::domain::enrollment::EnrollmentAction;
use civitac::domain::forum::{CitizenAction, CitizenStatus, PostAction};
use civitac::domain::staff::Role;
use civitac::domain::uploads::ReviewDecision;
use civitac::hub::decisions;
use civitac::i18n::Lang;
use civitac::ops::decisions::{Decision, apply_batch};
use civitac::ops::{self, Op};
use civitac::store::{Actor, Store};
use common::net::*;
use common::*;

fn admin(hub: &Store) -> Actor {
    hub.conn()
        .query_row(
            "SELECT id, login, display_name FROM staff WHERE role = 'admin' ORDER BY login LIMIT 1",
            [],
            |r| {
                Ok(Actor {
                    staff_id: r.get(0)?,
                    login: r.get(1)?,
                    display_name: r.get(2)?,
                    role: Role::Admin,
                    device: "hub-test".into(),
                })
            },
        )
        .expect("an admin")
}

fn decide(hub: &mut Store, actor: &Actor, d: Decision, id: &str, reason: Option<&str>) {
    let tx = hub.transaction().expect("tx");
    let o = apply_batch(
        &tx,
        actor,
        &d,
        &[id.to_owned()],
        reason,
        Default::default(),
        Lang::En,
    );
    assert!(
        o.failed.is_empty() && o.storage.is_none(),
        "{d:?} {id}: {:?}",
        o.failed
    );
    tx.commit().expect("commit");
}

fn op(hub: &mut Store, actor: &Actor, op: Op) {
    let tx = hub.transaction().expect("tx");
    ops::apply(&tx, actor, &op).unwrap_or_else(|e| panic!("{op:?}: {e}"));
    tx.commit().expect("commit");
}

fn last_seq(hub: &Store) -> i64 {
    hub.conn()
        .query_row("SELECT COALESCE(max(rowid), 0) FROM audit_log", [], |r| {
            r.get(0)
        })
        .expect("max")
}

/// Takes every decision kind the platform must enforce at `hub_db`; returns
/// the feed position before them and the kinds expected, in order.
fn take_every_kind(hub_db: &std::path::Path) -> (i64, Vec<&'static str>) {
    // A post from the platform, with its own id, that a moderator will hide.
    civitac::hub::ingest::ingest(
        open(hub_db).conn_mut(),
        br#"{"type":"post","id":"98231","thread":{"id":"t-77","title":"Forage"},"author":{"id":"c-5","name":"Issa"},"body":"Le forage est en panne","created_at":"2026-11-01T08:00:00Z"}
"#
        .as_slice(),
        3,
    )
    .expect("ingest");
    let mut hub = open(hub_db);
    let start = last_seq(&hub);
    let a = admin(&hub);
    let platform_post = civitac::domain::platform::internal_id("forum_post", "98231").expect("id");
    let posts = ids(
        &hub,
        "SELECT id FROM forum_posts WHERE status = 'visible' AND platform_id IS NULL
         ORDER BY flag_count > 0, id LIMIT 1",
    )
    .into_iter()
    .chain(ids(
        &hub,
        "SELECT id FROM forum_posts WHERE status = 'visible' AND flag_count > 0 ORDER BY id LIMIT 1",
    ))
    .collect::<Vec<_>>();
    let orgs = ids(
        &hub,
        "SELECT id FROM organizations WHERE status = 'contacted' ORDER BY id LIMIT 2",
    );
    let uploads = ids(
        &hub,
        "SELECT id FROM uploads WHERE status = 'pending' ORDER BY id LIMIT 3",
    );
    let sms = ids(
        &hub,
        "SELECT id FROM sms_messages WHERE status = 'queued' ORDER BY id LIMIT 2",
    );
    let citizen = first_id(&hub, "citizens", "status = 'active'");
    let thread = first_id(&hub, "forum_threads", "locked = 0");
    assert!(posts.len() == 2 && orgs.len() == 2 && uploads.len() == 3 && sms.len() == 2);

    let mut want = Vec::new();
    let mut expect = |k| want.push(k);
    decide(
        &mut hub,
        &a,
        Decision::Moderate(PostAction::Hide),
        &platform_post,
        Some("Propos injurieux"),
    );
    expect("post.hidden");
    decide(
        &mut hub,
        &a,
        Decision::Moderate(PostAction::Remove),
        &posts[0],
        Some("Spam"),
    );
    expect("post.removed");
    decide(
        &mut hub,
        &a,
        Decision::Moderate(PostAction::Restore),
        &platform_post,
        None,
    );
    expect("post.restored");
    // Flags dismissed change nothing the platform shows: passed over.
    decide(&mut hub, &a, Decision::DismissFlags, &posts[1], None);
    let until = "2026-12-31T00:00:00Z".to_owned();
    for (seen, action) in [
        (CitizenStatus::Active, CitizenAction::Mute),
        (CitizenStatus::Muted, CitizenAction::Ban),
        (CitizenStatus::Banned, CitizenAction::Reinstate),
    ] {
        op(
            &mut hub,
            &a,
            Op::SetCitizenStatus {
                citizen_id: citizen.clone(),
                seen_status: seen,
                action,
                until: (action == CitizenAction::Mute).then(|| until.clone()),
                reason: Some("Insultes répétées".into()),
            },
        );
    }
    expect("citizen.muted");
    expect("citizen.banned");
    expect("citizen.reinstated");
    for (seen, locked) in [(false, true), (true, false)] {
        op(
            &mut hub,
            &a,
            Op::LockThread {
                thread_id: thread.clone(),
                seen_locked: seen,
                locked,
                reason: Some("Débat clos".into()),
            },
        );
    }
    expect("thread.locked");
    expect("thread.unlocked");
    for action in [
        EnrollmentAction::Enrol,
        EnrollmentAction::Suspend,
        EnrollmentAction::Reinstate,
    ] {
        decide(
            &mut hub,
            &a,
            Decision::Enrollment(action, None),
            &orgs[0],
            Some("Charte"),
        );
    }
    expect("organization.enrolled");
    expect("organization.suspended");
    expect("organization.reinstated");
    decide(
        &mut hub,
        &a,
        Decision::Enrollment(EnrollmentAction::Reject, None),
        &orgs[1],
        Some("Hors charte"),
    );
    expect("organization.rejected");
    decide(
        &mut hub,
        &a,
        Decision::Review(ReviewDecision::Approve),
        &uploads[0],
        None,
    );
    expect("upload.approved");
    decide(
        &mut hub,
        &a,
        Decision::Review(ReviewDecision::Reject),
        &uploads[1],
        Some("Illisible"),
    );
    expect("upload.rejected");
    decide(
        &mut hub,
        &a,
        Decision::Review(ReviewDecision::RequestChanges),
        &uploads[2],
        Some("Année manquante"),
    );
    expect("upload.changes_requested");
    decide(&mut hub, &a, Decision::ApproveSms, &sms[0], None);
    expect("sms.approved");
    decide(&mut hub, &a, Decision::CancelSms, &sms[1], Some("Doublon"));
    expect("sms.cancelled");
    (start, want)
}

#[test]
fn every_decision_kind_is_in_the_feed_once_in_order_and_a_cursor_resumes() {
    let dir = tempfile::tempdir().expect("dir");
    let hub_db = demo_hub(dir.path());
    let (start, want) = take_every_kind(&hub_db);
    let hub = open(&hub_db);

    let page = decisions::since(hub.conn(), start, 100).expect("feed");
    let kinds: Vec<&str> = page.decisions.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, want);
    assert!(!page.more);
    let mut ids: Vec<&str> = page.decisions.iter().map(|d| d.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), want.len(), "each decision once");
    assert!(
        page.decisions.windows(2).all(|w| w[0].seq < w[1].seq),
        "in order"
    );
    // The platform's own id, the reason to show, the role and never a name.
    let hidden = &page.decisions[0];
    assert_eq!(hidden.platform_id.as_deref(), Some("98231"));
    assert_eq!(hidden.reason.as_deref(), Some("Propos injurieux"));
    assert!(page.decisions.iter().all(|d| d.by == "admin"));
    let muted = page
        .decisions
        .iter()
        .find(|d| d.kind == "citizen.muted")
        .expect("muted");
    assert_eq!(muted.until.as_deref(), Some("2026-12-31T00:00:00.000Z"));
    let json = serde_json::to_string(&page).expect("json");
    let name: String = hub
        .conn()
        .query_row(
            "SELECT display_name FROM staff WHERE role = 'admin' ORDER BY login LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("name");
    assert!(
        !json.contains(&name),
        "the staff member's name never leaves the hub"
    );

    // Pages of 3 from the same start give the same decisions, each once.
    let mut again = Vec::new();
    let mut cursor = start;
    loop {
        let p = decisions::since(hub.conn(), cursor, 3).expect("page");
        assert!(p.decisions.len() <= 3);
        again.extend(p.decisions.iter().map(|d| d.id.clone()));
        cursor = p.next;
        if !p.more {
            break;
        }
    }
    let all: Vec<String> = page.decisions.iter().map(|d| d.id.clone()).collect();
    assert_eq!(again, all);
    // At the end: nothing new, and the cursor stays put.
    let end = decisions::since(hub.conn(), cursor, 3).expect("end");
    assert!(end.decisions.is_empty() && !end.more && end.next == cursor);
    // A position past the end (another hub's, or from before a restore) is
    // refused rather than silently skipping what comes next; the epoch tells
    // the platform when positions were reset.
    assert!(decisions::since(hub.conn(), cursor + 1, 3).is_err());
}

#[test]
fn only_a_platform_token_reads_the_feed_over_http_and_the_cli_prints_json_lines() {
    let dir = tempfile::tempdir().expect("dir");
    let hub_db = demo_hub(dir.path());
    let (start, want) = take_every_kind(&hub_db);
    let device = issue(&hub_db, "awa.kabore", "admin", "laptop");
    let platform = platform_token(&hub_db, "site");
    let hub = HubProcess::start(&hub_db, &[]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str, token: &str| {
        let mut r = agent
            .get(&format!("{}{path}", hub.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("call");
        let body = r.body_mut().read_to_string().expect("body");
        (r.status().as_u16(), body)
    };
    let (status, body) = get(&format!("/v1/decisions?since={start}&limit=100"), &platform);
    assert_eq!(status, 200, "{body}");
    let page: decisions::Page = serde_json::from_str(&body).expect("page");
    let kinds: Vec<&str> = page.decisions.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, want);
    assert!(page.epoch.is_some(), "the serving hub says its epoch");
    // A device token does not read the platform's feed, and a platform token
    // does not pull the replicas' one.
    let (status, body) = get("/v1/decisions?since=0", &device);
    assert_eq!(status, 403, "{body}");
    let (status, body) = get("/v1/pull?since=start", &platform);
    assert_eq!(status, 403, "{body}");
    let (status, _) = get("/v1/decisions?since=-4", &platform);
    assert_eq!(status, 400);
    // Reading on from a position acknowledges what came before it; the
    // operator sees it beside the webhooks.
    let (status, _) = get(&format!("/v1/decisions?since={}", page.next), &platform);
    assert_eq!(status, 200);
    let out = civitac()
        .args(["--lang", "en", "--db"])
        .arg(&hub_db)
        .args(["hub", "webhook", "list"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "feed read by platform site  acknowledged up to {} (",
            page.next
        )) && text.contains("backlog 0"),
        "{text}"
    );

    // The same feed from the command line, as JSON lines.
    let out = civitac()
        .args(["--lang", "en", "--db"])
        .arg(&hub_db)
        .args(["hub", "decisions", "--since", &start.to_string()])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<decisions::Decision> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a decision per line"))
        .collect();
    assert_eq!(lines, page.decisions);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("next: --since {}", page.next)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The author is told why, in words the team wrote; a moderator who chooses
/// not to notify is heard across sync; a name only when the hub says so.
#[test]
fn notices_come_from_the_teams_templates_and_a_moderator_may_not_notify() {
    let dir = tempfile::tempdir().expect("dir");
    let hub_db = demo_hub(dir.path());
    civitac()
        .args(["--lang", "en", "--db"])
        .arg(&hub_db)
        .args([
            "hub",
            "templates",
            "edit",
            "post.hidden",
            "fr",
            "--text",
            "Votre message du {date} a été masqué par l'équipe : {reason}.",
        ])
        .output()
        .expect("edit")
        .status
        .success()
        .then_some(())
        .expect("template edited");
    let hub = HubProcess::start(&hub_db, &[]);
    let replica = Replica::new(dir.path(), "awa");
    replica.login(&hub.url, &issue(&hub_db, "awa.kabore", "admin", "laptop"));
    replica.sync();
    // The edited template reached the replica with the sync.
    assert_eq!(
        replica
            .store()
            .conn()
            .query_row(
                "SELECT body FROM notice_templates WHERE kind = 'post.hidden' AND lang = 'fr'",
                [],
                |r| r.get::<_, String>(0)
            )
            .expect("template"),
        "Votre message du {date} a été masqué par l'équipe : {reason}."
    );
    let posts = ids(
        &replica.store(),
        "SELECT id FROM forum_posts WHERE status = 'visible' ORDER BY id LIMIT 2",
    );
    let start = last_seq(&open(&hub_db));
    replica.run(&[
        "forum",
        "hide",
        &posts[0],
        "--reason",
        "Propos injurieux",
        "-y",
    ]);
    replica.run(&[
        "forum",
        "hide",
        &posts[1],
        "--reason",
        "Doublon",
        "--no-notify",
        "-y",
    ]);
    replica.sync();
    let (created, author_name): (String, String) = open(&hub_db)
        .conn()
        .query_row(
            "SELECT p.created_at, s.display_name FROM forum_posts p, staff s
             WHERE p.id = ?1 AND s.login = 'awa.kabore'",
            [&posts[0]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("post");
    let feed = |hub: &Store| decisions::since(hub.conn(), start, 100).expect("feed");
    let page = feed(&open(&hub_db));
    let [told, quiet] = &page.decisions[..] else {
        panic!("{:?}", page.decisions)
    };
    let notice = told.notice.as_ref().expect("a notice");
    assert!(
        notice.fr.starts_with("Votre message du ")
            && notice
                .fr
                .ends_with(" a été masqué par l'équipe : Propos injurieux."),
        "{notice:?} ({created})"
    );
    // The English one is the default template, untouched.
    assert!(
        notice.en.starts_with("Your post of ")
            && notice.en.ends_with(" was hidden: Propos injurieux."),
        "{notice:?}"
    );
    assert!(told.notify && told.by_name.is_none());
    assert_eq!((quiet.notify, &quiet.notice), (false, &None));
    assert_eq!(
        quiet.reason.as_deref(),
        Some("Doublon"),
        "the reason still goes"
    );
    // Names only when the hub is set to give them.
    civitac()
        .args(["--lang", "en", "--db"])
        .arg(&hub_db)
        .args(["hub", "settings", "--feed-staff-names", "true"])
        .output()
        .expect("settings");
    let page = feed(&open(&hub_db));
    assert_eq!(page.decisions[0].by_name.as_deref(), Some(&*author_name));
}
