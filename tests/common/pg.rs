//! A throwaway PostgreSQL cluster for the tests: made with `initdb` in a
//! temporary directory, run by an unprivileged user (PostgreSQL refuses
//! root: as root the tests run it as `nobody`), listening on 127.0.0.1 on
//! a free port, stopped when the test binary exits. One cluster per test
//! binary; each test gets its own database.
//!
//! Without PostgreSQL's programs a test skips, saying why, unless
//! `CIVITAC_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes that a failure.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    as_nobody: bool,
    /// Whether the server counts each statement's own time
    /// (`pg_stat_statements`; benches only, when installed).
    pub timed: bool,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// The `civitac` role's password (over TCP; the socket trusts).
pub const PASSWORD: &str = "civitac-test";
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// Where PostgreSQL's server programs are: beside `pg_ctl` on PATH, or the
/// newest Debian-style `/usr/lib/postgresql/N/bin`.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    if let Some(v) = versions.pop() {
        return Some(v);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl Cluster {
    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.dir)
            .env("LC_ALL", "C")
            .output()
            .map_err(|e| format!("{}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{program} {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn start() -> Result<Cluster, String> {
        Self::start_with(false)
    }

    /// A cluster of its own (not the test binary's), stopped by `stop`;
    /// `durable`: with fsync, as a server runs (benches), else without.
    pub fn start_with(durable: bool) -> Result<Cluster, String> {
        Self::sweep();
        let bin = bin_dir().ok_or(
            "PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)",
        )?;
        let as_nobody = is_root();
        let dir = std::env::temp_dir().join(format!(
            "civitac-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if as_nobody {
            let chown = Command::new("chown")
                .arg("nobody:")
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !chown.success() {
                return Err(format!("chown nobody {}", dir.display()));
            }
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            l.local_addr().map_err(|e| e.to_string())?.port()
        };
        // Benches: the server's own time per statement, when the module
        // shipped with the server is there (Debian's postgresql has it).
        let timed = durable
            && bin
                .parent()
                .is_some_and(|d| d.join("lib/pg_stat_statements.so").exists());
        let mut cluster = Cluster {
            dir,
            bin,
            port,
            as_nobody,
            timed,
        };
        let data = cluster.dir.join("data");
        let data = data.to_string_lossy().into_owned();
        // Passwords over TCP, as a server asks; the socket (createdb) trusts.
        let pwfile = cluster.dir.join("pw");
        std::fs::write(&pwfile, PASSWORD).map_err(|e| e.to_string())?;
        if as_nobody {
            let _ = Command::new("chown").arg("nobody:").arg(&pwfile).status();
        }
        let pwfile = format!("--pwfile={}", pwfile.to_string_lossy());
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                &pwfile,
                "-U",
                "civitac",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        // TLS offered, with a certificate from an authority of the test's
        // own (`ca_pem`): the server's key readable by its user alone.
        let (ca, cert, key) = certificates();
        std::fs::write(cluster.ca_pem(), ca).map_err(|e| e.to_string())?;
        let data_dir = cluster.dir.join("data");
        std::fs::write(data_dir.join("server.crt"), cert).map_err(|e| e.to_string())?;
        std::fs::write(data_dir.join("server.key"), key).map_err(|e| e.to_string())?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                data_dir.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .map_err(|e| e.to_string())?;
        }
        if as_nobody {
            for f in ["server.crt", "server.key"] {
                let ok = Command::new("chown")
                    .arg("nobody:")
                    .arg(data_dir.join(f))
                    .status()
                    .map_err(|e| e.to_string())?;
                if !ok.success() {
                    return Err(format!("chown nobody {f}"));
                }
            }
        }
        let socket = cluster.dir.to_string_lossy().into_owned();
        let opts = format!(
            "-k {socket} -c listen_addresses=127.0.0.1 -p {port} -c max_connections=200 -c ssl=on{}",
            if durable { "" } else { " -c fsync=off" }
        ) + if timed {
            " -c shared_preload_libraries=pg_stat_statements"
        } else {
            ""
        };
        let log = cluster.dir.join("log").to_string_lossy().into_owned();
        if let Err(e) = cluster.run(
            "pg_ctl",
            &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
        ) {
            // A port taken in between: once more on another.
            let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            cluster.port = l.local_addr().map_err(|e| e.to_string())?.port();
            drop(l);
            let opts = opts.replace(&format!("-p {port}"), &format!("-p {}", cluster.port));
            cluster
                .run(
                    "pg_ctl",
                    &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
                )
                .map_err(|again| format!("{e}\n{again}"))?;
        }
        Ok(cluster)
    }

    /// Clusters left by test processes that died without their exit
    /// handler (killed, aborted): stopped and removed, so none outlives a
    /// second run.
    fn sweep() {
        let Some(bin) = bin_dir() else {
            return;
        };
        for entry in std::fs::read_dir(std::env::temp_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("civitac-pg-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            let stale = Cluster {
                dir: entry.path(),
                bin: bin.clone(),
                port: 0,
                as_nobody: is_root(),
                timed: false,
            };
            stale.stop();
        }
    }

    pub fn stop(&self) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// A new, empty database made as civitac asks (UTF8, C locale); its URL.
    pub fn database(&self) -> String {
        let name = format!("t{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
        let port = self.port.to_string();
        let socket = self.dir.to_string_lossy().into_owned();
        self.run(
            "createdb",
            &[
                "-h",
                &socket,
                "-p",
                &port,
                "-U",
                "civitac",
                "-T",
                "template0",
                "-E",
                "UTF8",
                "--locale=C",
                &name,
            ],
        )
        .expect("createdb");
        self.url(&name)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://civitac:{PASSWORD}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The authority that signed the server's certificate (for `sslrootcert`).
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

/// (authority, server certificate for 127.0.0.1 and localhost, its key), PEM.
fn certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Civitac test database CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("signed");
    (ca.pem(), cert.pem(), key.serialize_pem())
}

extern "C" fn stop_at_exit() {
    if let Some(Ok(c)) = CLUSTER.get() {
        c.stop();
    }
}

/// The test binary's cluster, started on first use; `None` (with the reason
/// printed) when this machine cannot run one and CI did not ask for it.
pub fn cluster() -> Option<&'static Cluster> {
    let c = CLUSTER.get_or_init(|| {
        let c = Cluster::start();
        if c.is_ok() {
            // SAFETY: registers a plain function, run once at exit.
            unsafe {
                libc::atexit(stop_at_exit);
            }
        }
        c
    });
    match c {
        Ok(c) => Some(c),
        Err(why) => {
            if std::env::var("CIVITAC_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("PostgreSQL is required here (CIVITAC_REQUIRE_POSTGRES=1): {why}");
            }
            eprintln!("skipped: no PostgreSQL on this machine: {why}");
            None
        }
    }
}
