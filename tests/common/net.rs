//! A real hub process on 127.0.0.1 and replicas driven through the command
//! line, each with its own home (so its own config.toml and token).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn civitac() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("civitac"))
}

/// A `civitac hub serve` child process; killed when dropped.
pub struct HubProcess {
    child: Option<Child>,
    pub url: String,
    pub db: PathBuf,
    listen: String,
    extra: Vec<String>,
}

impl HubProcess {
    pub fn start(db: &Path, extra: &[&str]) -> HubProcess {
        Self::start_on(db, "127.0.0.1:0", extra)
    }

    pub fn start_on(db: &Path, listen: &str, extra: &[&str]) -> HubProcess {
        let mut hub = HubProcess {
            child: None,
            url: String::new(),
            db: db.to_owned(),
            listen: listen.to_owned(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        hub.spawn();
        hub
    }

    fn spawn(&mut self) {
        let mut child = civitac()
            .args(["--lang", "en", "--db"])
            .arg(&self.db)
            .args(["hub", "serve", "--listen", &self.listen])
            .args(&self.extra)
            .env("XDG_DATA_HOME", data_home(&self.db))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("hub starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("hub prints its address");
        let url = line.trim().to_owned();
        assert!(url.starts_with("http"), "hub did not start: {url:?}");
        // Restarts reuse the same address, so replicas keep their hub URL.
        self.listen = url.rsplit("//").next().expect("addr").to_owned();
        self.url = url;
        self.child = Some(child);
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("kill");
        c.wait().expect("wait")
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn hub_cmd(db: &Path) -> Command {
    let mut cmd = civitac();
    cmd.args(["--lang", "en", "--db"])
        .arg(db)
        .env("XDG_DATA_HOME", data_home(db));
    cmd
}

/// Where a hub command keeps its own data: beside a SQLite file; for a
/// PostgreSQL URL (`--db postgres://…`), the temporary directory.
fn data_home(db: &Path) -> PathBuf {
    if db.to_string_lossy().starts_with("postgres") {
        std::env::temp_dir()
    } else {
        db.parent().expect("dir").to_owned()
    }
}

fn stdout_line(mut cmd: Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

pub fn issue(db: &Path, staff: &str, role: &str, device: &str) -> String {
    let mut cmd = hub_cmd(db);
    cmd.args([
        "hub", "token", "issue", "--staff", staff, "--role", role, "--device", device,
    ]);
    stdout_line(cmd)
}

pub fn platform_token(db: &Path, name: &str) -> String {
    let mut cmd = hub_cmd(db);
    cmd.args(["hub", "token", "issue", "--platform", "--device", name]);
    stdout_line(cmd)
}

pub fn revoke(db: &Path, device: &str) {
    let mut cmd = hub_cmd(db);
    cmd.args(["hub", "token", "revoke", device]);
    stdout_line(cmd);
}

/// A replica in its own home directory.
pub struct Replica {
    pub home: PathBuf,
    pub db: PathBuf,
}

impl Replica {
    pub fn new(root: &Path, name: &str) -> Replica {
        let home = root.join(format!("home-{name}"));
        std::fs::create_dir_all(&home).expect("home");
        Replica {
            db: home.join("replica.db"),
            home,
        }
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = civitac();
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env_remove("CIVITAC_TOKEN")
            .args(["--lang", "en", "--db"])
            .arg(&self.db);
        cmd
    }

    pub fn assert_cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.cmd())
    }

    pub fn config(&self) -> PathBuf {
        self.home.join("config/civitac/config.toml")
    }

    pub fn login(&self, url: &str, token: &str) {
        self.assert_cmd()
            .args(["login", "--hub", url])
            .env("CIVITAC_TOKEN", token)
            .assert()
            .success();
    }

    /// Runs `civitac sync --json` to success and returns its summary.
    pub fn sync(&self) -> serde_json::Value {
        let out = self
            .cmd()
            .args(["sync", "--json", "--retries", "0"])
            .output()
            .expect("sync runs");
        assert!(
            out.status.success(),
            "sync failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json summary")
    }

    /// Runs a command (after --db) to success.
    pub fn run(&self, args: &[&str]) -> String {
        let mut cmd = self.cmd();
        cmd.args(args);
        stdout_line(cmd)
    }

    /// Hides every flagged post from the command line: ops waiting in the
    /// outbox, more than ten of them; returns how many.
    pub fn hide_flagged(&self) -> i64 {
        self.run(&[
            "forum",
            "hide",
            "--where",
            "flagged=yes",
            "--reason",
            "Propos injurieux",
            "-y",
            "--all-matching",
        ]);
        let queued = super::count(
            &self.store(),
            "SELECT count(*) FROM outbox WHERE pushed_at IS NULL",
        );
        assert!(queued > 10, "{queued}");
        queued
    }

    pub fn store(&self) -> civitac::store::Store {
        civitac::store::Store::open(&self.db).expect("replica opens")
    }
}

/// A hub database copied from a small demo, in `root`.
pub fn demo_hub(root: &Path) -> PathBuf {
    let demo = root.join("demo");
    civitac::demo::build(&demo, &super::options(0.2, 7)).expect("demo builds");
    let db = root.join("hub").join("hub.db");
    std::fs::create_dir_all(db.parent().expect("dir")).expect("dir");
    std::fs::copy(demo.join("hub.db"), &db).expect("copy");
    db
}

/// A round-robin TCP load balancer on 127.0.0.1, as operators put in front
/// of several hub processes: each connection goes to the next backend that
/// accepts it (a dead one is passed over). Replicas know only its address.
pub struct Balancer {
    pub url: String,
    /// Connections each backend took.
    pub taken: std::sync::Arc<Vec<std::sync::atomic::AtomicUsize>>,
}

impl Balancer {
    pub fn start(backends: &[&str]) -> Balancer {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let backends: Vec<String> = backends
            .iter()
            .map(|u| u.trim_start_matches("http://").to_owned())
            .collect();
        let taken = Arc::new(
            backends
                .iter()
                .map(|_| AtomicUsize::new(0))
                .collect::<Vec<_>>(),
        );
        let counts = taken.clone();
        std::thread::spawn(move || {
            let mut next = 0usize;
            for client in listener.incoming().flatten() {
                let mut upstream = None;
                for _ in 0..backends.len() {
                    let i = next % backends.len();
                    next += 1;
                    if let Ok(s) = std::net::TcpStream::connect(&backends[i]) {
                        counts[i].fetch_add(1, Ordering::Relaxed);
                        upstream = Some(s);
                        break;
                    }
                }
                let Some(upstream) = upstream else {
                    continue;
                };
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                };
                if let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) {
                    pipe(client, u2);
                    pipe(upstream, c2);
                }
            }
        });
        Balancer { url, taken }
    }
}

/// Cancels the demo hub's own pending SMS (so a test counts only what it
/// sends) and picks a group of 12 to 40 members to send to.
pub fn quiet_sms_group(db: &Path) -> String {
    let h = super::open(db);
    h.conn()
        .execute(
            "UPDATE sms_messages SET status = 'cancelled' WHERE status IN ('approved','queued')",
            [],
        )
        .expect("quiet demo");
    h.conn()
        .query_row(
            "SELECT group_id FROM sms_group_members GROUP BY group_id
             HAVING count(*) BETWEEN 12 AND 40 ORDER BY group_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a group")
}
