//! A running hub: the serve lock, the storage backend, the HTTP server and
//! the SMS sender, started and stopped together. `hub serve` runs one until a
//! signal; the demo runs one on a thread beside the console. One wiring for
//! both, so the demo's hub is the operator's hub.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::backend::{HubBackend, SqliteHub};
use super::backup::{BackupError, ServeLock};
use super::server::{Limits, RunningHub};
use super::sms::{self, Gateway, Kannel, LogGateway};
use super::webhooks;
use crate::store::{Store, StoreError};

/// Where approved SMS go.
#[derive(Debug, Clone)]
pub enum SmsGateway {
    /// No sender runs: messages wait, approved, for a hub that sends.
    None,
    /// Written to the hub's log, never sent (demo, trials).
    Log,
    /// A Kannel smsbox; delivery reports come back to `<public url>/v1/sms/dlr`.
    Kannel {
        url: String,
        user: String,
        password: String,
        from: String,
    },
}

/// How to run a hub.
/// Where the hub's data is: one SQLite file, or a PostgreSQL database that
/// other hub processes may share.
#[derive(Debug, Clone)]
pub enum HubStore {
    File(PathBuf),
    Postgres { url: String, pool: usize },
}

pub struct Options {
    pub db: HubStore,
    pub files: PathBuf,
    pub auto_hide: i64,
    pub listen: SocketAddr,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub limits: Limits,
    pub gateway: SmsGateway,
    pub sms: sms::Settings,
    /// The hub's address as the SMS gateway reaches it (default: the one bound).
    pub public_url: Option<String>,
    pub webhooks: webhooks::Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Lock(#[from] BackupError),
    #[error(transparent)]
    Open(#[from] StoreError),
    #[error(transparent)]
    Postgres(#[from] super::pg::OpenError),
    #[error("{addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A thread of the hub's own (the SMS sender, the webhook deliverer):
/// stopped, and waited for, on drop.
pub struct Background {
    halt: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    fn spawn(
        name: &str,
        work: impl FnOnce(&dyn Fn() -> bool) + Send + 'static,
    ) -> Option<Background> {
        let halt = Arc::new(AtomicBool::new(false));
        let flag = halt.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(&|| flag.load(Ordering::Relaxed)))
            .ok()?;
        Some(Background {
            halt,
            thread: Some(thread),
        })
    }

    pub fn stop(&mut self) {
        self.halt.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts sending approved SMS through `gateway`; `base` is the hub's URL
/// for delivery reports. `None` when no gateway is chosen or it cannot
/// start (said in the log: the hub still serves).
pub fn start_sender(
    db: &HubStore,
    key: &str,
    gateway: &SmsGateway,
    settings: sms::Settings,
    base: &str,
) -> Option<Background> {
    let gateway: Arc<dyn Gateway> = match gateway {
        SmsGateway::None => return None,
        SmsGateway::Log => Arc::new(LogGateway),
        SmsGateway::Kannel {
            url,
            user,
            password,
            from,
        } => Arc::new(Kannel::new(
            url,
            user,
            password,
            from,
            Some(format!(
                "{}/v1/sms/dlr?key={key}",
                base.trim_end_matches('/')
            )),
        )),
    };
    match db {
        HubStore::File(path) => {
            let mut conn = match Store::open(path) {
                Ok(s) => s.into_conn(),
                Err(e) => {
                    tracing::error!(error = %e, "SMS sender cannot open the hub");
                    return None;
                }
            };
            Background::spawn("sms", move |stop| {
                if let Err(e) = sms::run(&mut conn, gateway, &settings, &stop) {
                    tracing::error!(error = %e, "SMS sender stopped");
                }
            })
        }
        HubStore::Postgres { url, .. } => {
            let url = url.clone();
            Background::spawn("sms", move |stop| {
                // Reconnects after a lost connection (a database restart),
                // never faster than every few seconds.
                while !stop() {
                    match super::pg::conn::PgConn::connect(&url) {
                        Ok(mut conn) => {
                            match sms::run(&mut conn, gateway.clone(), &settings, &stop) {
                                Ok(()) => return,
                                Err(e) => {
                                    tracing::error!(error = %e, "SMS sender: database failed; again shortly")
                                }
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "SMS sender cannot reach the database")
                        }
                    }
                    for _ in 0..25 {
                        if stop() {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(200));
                    }
                }
            })
        }
    }
}

pub fn start_webhooks(db: &HubStore, settings: webhooks::Settings) -> Option<Background> {
    let db = db.clone();
    Background::spawn("webhooks", move |stop| match &db {
        HubStore::File(path) => {
            if let Err(e) = webhooks::run(path, &settings, stop) {
                tracing::error!(error = %e, "webhook deliverer stopped");
            }
        }
        HubStore::Postgres { url, .. } => webhooks::run_postgres(url, &settings, stop),
    })
}

fn scheme(opts: &Options) -> &'static str {
    if opts.tls.is_some() { "https" } else { "http" }
}

/// The backend, and for a file the lock held while serving (`hub restore`
/// refuses to swap the database under us). PostgreSQL hubs share their
/// database: each holds a share of its serve lock (`pg::Serving`).
fn backend(opts: &Options) -> Result<(Option<ServeLock>, Arc<dyn HubBackend>), RuntimeError> {
    match &opts.db {
        HubStore::File(path) => {
            let lock = ServeLock::acquire(path)?;
            let backend = SqliteHub::open(path, opts.files.clone(), opts.auto_hide)?;
            files_dir(opts)?;
            Ok((Some(lock), recounted(Arc::new(backend))))
        }
        HubStore::Postgres { url, pool } => {
            // Taken first: a hub started during a restore stops here.
            let serving = super::pg::Serving::hold(url)?;
            let backend = super::pg::PgHub::open(url, opts.files.clone(), opts.auto_hide, *pool)?
                .serving(serving);
            files_dir(opts)?;
            Ok((None, recounted(Arc::new(backend))))
        }
    }
}

/// A hub about to serve, its counters right whatever changed the database
/// since; one that cannot recount (a full disk, a long lock) serves anyway.
fn recounted(backend: Arc<dyn HubBackend>) -> Arc<dyn HubBackend> {
    if let Err(e) = backend.recount() {
        tracing::warn!(error = %e, "counters not recounted at start");
    }
    backend
}

/// The uploads' directory, made once the database is known good: a hub
/// refused (a wrong path, a replica, a database of another program) leaves
/// no empty `files/` behind it.
fn files_dir(opts: &Options) -> Result<(), StoreError> {
    std::fs::create_dir_all(&opts.files).map_err(|source| StoreError::Io {
        path: opts.files.clone(),
        source,
    })
}

/// `hub serve`: serves until SIGTERM or ctrl-c; `announce` is told the
/// address once bound (the sender starts then, knowing where reports go).
pub fn serve_until_signalled(
    opts: Options,
    announce: impl FnOnce(SocketAddr),
) -> Result<(), RuntimeError> {
    let (_lock, backend) = backend(&opts)?;
    let scheme = scheme(&opts);
    let mut sender = None;
    let key = backend.sms_key().to_owned();
    let Options {
        db,
        listen,
        tls,
        limits,
        gateway,
        sms,
        public_url,
        webhooks,
        ..
    } = opts;
    let deliverer = start_webhooks(&db, webhooks);
    super::server::serve_until_signalled(backend, listen, tls, limits, |addr| {
        let base = public_url.unwrap_or_else(|| format!("{scheme}://{addr}"));
        sender = start_sender(&db, &key, &gateway, sms, &base);
        announce(addr);
    })
    .map_err(|source| RuntimeError::Listen {
        addr: listen,
        source,
    })?;
    drop(sender);
    drop(deliverer);
    Ok(())
}

/// A hub serving on its own threads until stopped or dropped.
pub struct Running {
    pub hub: RunningHub,
    scheme: &'static str,
    sender: Option<Background>,
    deliverer: Option<Background>,
    _lock: Option<ServeLock>,
}

impl Running {
    pub fn start(opts: Options) -> Result<Running, RuntimeError> {
        let (lock, backend) = backend(&opts)?;
        let key = backend.sms_key().to_owned();
        let hub = RunningHub::start(backend, opts.listen, opts.tls.clone(), opts.limits.clone())
            .map_err(|source| RuntimeError::Listen {
                addr: opts.listen,
                source,
            })?;
        let base = opts
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{}://{}", scheme(&opts), hub.addr));
        let sender = start_sender(&opts.db, &key, &opts.gateway, opts.sms.clone(), &base);
        let deliverer = start_webhooks(&opts.db, opts.webhooks.clone());
        Ok(Running {
            hub,
            scheme: scheme(&opts),
            sender,
            deliverer,
            _lock: lock,
        })
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.hub.addr)
    }

    pub fn stop(&mut self) {
        for mut b in [self.sender.take(), self.deliverer.take()]
            .into_iter()
            .flatten()
        {
            b.stop();
        }
        self.hub.stop();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}
