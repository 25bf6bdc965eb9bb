//! SMS through the real gateway: Kannel's bearerbox and smsbox on
//! 127.0.0.1, with the fake SMSC of kannel-extras (`fakesmsc`) standing for
//! the operator. An inbound STOP comes through Kannel's sms-service to the
//! hub and opts the number out; an approved alert goes out through Kannel's
//! sendsms, reaches every other member once, and Kannel's delivery reports
//! come back and are counted.
//!
//! Where Kannel is not installed the test says so and skips; `.ci/run`
//! installs it and sets `CIVITAC_REQUIRE_KANNEL`, so CI never skips.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use civitac::domain::sms::SmsKind;
use civitac::ops::{NewSms, Op};
use common::net::*;
use common::*;

const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";

/// The Kannel programs, or why the test cannot run here.
fn kannel() -> Result<(PathBuf, PathBuf), String> {
    let find = |name: &str| {
        ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.exists())
            .ok_or_else(|| format!("{name} not found (apt-get install kannel kannel-extras)"))
    };
    let (bearerbox, smsbox) = (find("bearerbox")?, find("smsbox")?);
    if !Path::new(FAKESMSC).exists() {
        return Err(format!(
            "{FAKESMSC} not found (apt-get install kannel-extras)"
        ));
    }
    Ok((bearerbox, smsbox))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Kannel's processes; stopped when dropped.
struct Gateway {
    children: Vec<Child>,
    fakesmsc_out: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Gateway {
    /// What the fake SMSC received (one `Got message N: <from to text body>`
    /// line per SMS).
    fn received(&self) -> String {
        // Its log (stderr) says what it got; read both streams.
        let mut text = String::new();
        for path in [
            self.fakesmsc_out.clone(),
            self.fakesmsc_out.with_extension("err"),
        ] {
            if let Ok(mut f) = std::fs::File::open(path) {
                let _ = f.read_to_string(&mut text);
            }
        }
        text
    }
}

fn spawn(program: &Path, args: &[&str], out: &Path) -> Child {
    Command::new(program)
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(out).expect("log")))
        .stderr(Stdio::from(
            std::fs::File::create(out.with_extension("err")).expect("log"),
        ))
        .spawn()
        .expect("starts")
}

fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed().as_secs() < secs, "{what}: not in {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_alert_goes_out_through_kannel_and_a_stop_comes_back_through_it() {
    let (bearerbox, smsbox) = match kannel() {
        Ok(found) => found,
        Err(why) if std::env::var_os("CIVITAC_REQUIRE_KANNEL").is_none() => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("CIVITAC_REQUIRE_KANNEL is set, but {why}"),
    };
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    // A small group, everyone in; the demo's own pending messages set aside.
    let (group, phones): (String, Vec<String>) = {
        let s = open(&db);
        let group: String = s
            .conn()
            .query_row(
                "SELECT group_id FROM sms_group_members GROUP BY group_id
                 HAVING count(*) >= 4 ORDER BY count(*), group_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("a group");
        s.conn()
            .execute_batch(&format!(
                "UPDATE sms_contacts SET opted_out_at = NULL
                   WHERE id IN (SELECT contact_id FROM sms_group_members WHERE group_id = '{group}');
                 UPDATE sms_messages SET status = 'cancelled' WHERE status IN ('approved','queued');"
            ))
            .expect("setup");
        let phones = ids(
            &s,
            &format!(
                "SELECT c.phone_e164 FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
                 WHERE m.group_id = '{group}' ORDER BY c.phone_e164"
            ),
        );
        (group, phones)
    };
    let (admin_port, box_port, smsc_port, send_port) =
        (free_port(), free_port(), free_port(), free_port());
    let hub = HubProcess::start(
        &db,
        &[
            "--sms-gateway",
            "kannel",
            "--kannel-url",
            &format!("http://127.0.0.1:{send_port}/cgi-bin/sendsms"),
            "--kannel-user",
            "civitac",
            "--kannel-password",
            "s3cret",
        ],
    );
    let key = std::fs::read_to_string(civitac::hub::backend::sms_key_path(&db))
        .expect("key file")
        .trim()
        .to_owned();
    let logs = dir.path();
    let conf = logs.join("kannel.conf");
    std::fs::write(
        &conf,
        format!(
            r#"group = core
admin-port = {admin_port}
admin-password = admin
smsbox-port = {box_port}
box-allow-ip = 127.0.0.1
log-level = 1
log-file = "{bb_log}"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = operator
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box_port}
sendsms-port = {send_port}
log-level = 1
log-file = "{sb_log}"

group = sendsms-user
username = civitac
password = s3cret

group = sms-service
keyword = default
catch-all = yes
max-messages = 0
get-url = "{hub}/v1/sms/inbound?key={key}&from=%p&text=%a"
"#,
            bb_log = logs.join("bearerbox.log").display(),
            sb_log = logs.join("smsbox.log").display(),
            hub = hub.url,
        ),
    )
    .expect("conf");
    let conf = conf.to_str().expect("path").to_owned();
    let fakesmsc_out = logs.join("fakesmsc.out");
    let mut gateway = Gateway {
        children: Vec::new(),
        fakesmsc_out: fakesmsc_out.clone(),
    };
    gateway
        .children
        .push(spawn(&bearerbox, &[&conf], &logs.join("bearerbox.out")));
    wait_for("bearerbox listening", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", smsc_port)).is_ok()
    });
    // The first member answers STOP, through the operator and Kannel.
    let stopper = phones[0].clone();
    gateway.children.push(spawn(
        Path::new(FAKESMSC),
        &[
            "-H",
            "127.0.0.1",
            "-r",
            &smsc_port.to_string(),
            "-i",
            "0",
            "-m",
            "1",
            &format!("{stopper} 1234 text STOP"),
        ],
        &fakesmsc_out,
    ));
    gateway
        .children
        .push(spawn(&smsbox, &[&conf], &logs.join("smsbox.out")));
    wait_for("the STOP reaching the hub", 30, || {
        count(
            &open(&db),
            &format!(
                "SELECT count(*) FROM sms_contacts WHERE phone_e164 = '{stopper}' AND opted_out_at IS NOT NULL"
            ),
        ) == 1
    });
    // An alert, queued by a moderator and approved by an admin at the hub.
    let id = uuid::Uuid::now_v7().to_string();
    {
        let mut s = open(&db);
        let staff = |role: &str| -> civitac::store::Actor {
            s.conn()
                .query_row(
                    "SELECT id, login, display_name, role FROM staff WHERE role = ?1 ORDER BY login LIMIT 1",
                    [role],
                    |r| {
                        Ok(civitac::store::Actor {
                            staff_id: r.get(0)?,
                            login: r.get(1)?,
                            display_name: r.get(2)?,
                            role: r.get(3)?,
                            device: "kannel-test".into(),
                        })
                    },
                )
                .expect("staff")
        };
        let (author, admin) = (staff("moderator"), staff("admin"));
        let tx = s.transaction().expect("tx");
        civitac::ops::apply(
            &tx,
            &author,
            &Op::QueueSms {
                message: NewSms {
                    id: id.clone(),
                    group_id: group.clone(),
                    kind: SmsKind::Alert,
                    body: "ALERTE Civitac : coupure d'eau demain de 8h à 12h.".into(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )
        .expect("queued");
        civitac::ops::apply(
            &tx,
            &admin,
            &Op::ApproveSms {
                message_id: id.clone(),
                seen_status: civitac::domain::sms::SmsStatus::Queued,
                seen_recipients: None,
            },
        )
        .expect("approved");
        tx.commit().expect("commit");
    }
    let others = &phones[1..];
    wait_for("every delivery report", 60, || {
        let (recipients, delivered): (i64, i64) = open(&db)
            .conn()
            .query_row(
                "SELECT recipients, delivered_count FROM sms_messages WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("message");
        recipients == others.len() as i64 && delivered == recipients
    });
    // The operator got each other member's SMS once, the stopper's never.
    let received = gateway.received();
    for phone in others {
        let times = received
            .lines()
            .filter(|l| l.contains("Got message") && l.contains(&format!(" {phone} text ")))
            .count();
        assert_eq!(times, 1, "{phone}:\n{received}");
    }
    assert!(
        !received.contains(&format!(" {stopper} text ")),
        "{received}"
    );
    assert!(received.contains("coupure d'eau"), "{received}");
    let s = open(&db);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_messages WHERE id = '{id}' AND status = 'sent' AND failed_count = 0"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM audit_log WHERE action = 'sms.opt_out' AND actor = 'system'"
        ),
        1
    );
    drop(hub);
}
