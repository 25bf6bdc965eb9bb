//! A PostgreSQL connection behind the `Sql` seam, and a small pool of them.
//!
//! Statements are prepared once per connection (keyed by their SQLite
//! text, rewritten to `$N` placeholders) and values are converted to the
//! type PostgreSQL inferred for each parameter, so the rules' SQL runs
//! unchanged. Write transactions take one advisory lock for their whole
//! life: every hub process on the database writes one transaction at a
//! time, in commit order, which is what keeps the change feed gap-free for
//! readers (see ARCHITECTURE.md, "A hub on PostgreSQL").

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use rusqlite::types::Value;
use tokio_postgres::types::{IsNull, Kind, ToSql as PgToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, Statement};

use crate::store::sql::{DbError, Dialect, Row, Sql, dollar_placeholders};

/// The advisory lock every writing transaction holds until it ends (an
/// arbitrary constant: "civitac" in ASCII).
pub const WRITE_LOCK: i64 = 0x0063_6976_6974_6163;

/// Statements this process has sent to PostgreSQL (each one a round trip):
/// a bench divides it by the ops it pushed.
static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn statements_sent() -> u64 {
    SENT.load(std::sync::atomic::Ordering::Relaxed)
}

fn sent() {
    SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Times this process waited for PostgreSQL's answers: statements sent
/// together (a pipelined batch's writes and the read behind them) are one.
static WAITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn round_trips() -> u64 {
    WAITS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prepared statements kept per connection before they are all let go.
const MAX_STATEMENTS: usize = 1_000;

/// A statement sent and not yet answered (a write in a pipelined batch).
type Unanswered = Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send>>;

/// One connection, with its prepared statements.
///
/// It drives its socket on a small runtime of its own, as a blocking
/// client: each call waits for its answer, except the writes a pipelined
/// batch sends without waiting (`exec_blind` inside `write_pipelined`).
pub struct PgConn {
    /// Dropped by `Drop` below, off any async runtime.
    inner: std::mem::ManuallyDrop<Inner>,
    statements: RefCell<HashMap<String, Statement>>,
    in_tx: Cell<bool>,
    /// Inside `write_pipelined`: writes whose count nobody reads are sent
    /// without waiting for their answer.
    pipelined: Cell<bool>,
    /// What the first unanswered write that failed said: every statement
    /// after it is refused until the batch is rolled back and run again.
    failed: RefCell<Option<String>>,
}

struct Inner {
    rt: tokio::runtime::Runtime,
    client: Arc<Client>,
    unanswered: RefCell<Vec<Unanswered>>,
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let (bare, password) = without_password(url);
    match password {
        None => bare,
        // Said to be there, never shown.
        Some(_) => match (bare.find("://"), bare.find('@')) {
            (Some(s), Some(at)) if at > s => format!("{}:***{}", &bare[..at], &bare[at..]),
            _ => format!("{bare} (password ***)"),
        },
    }
}

/// The URL without its password (in the user part, or `password=`), and
/// the password: a child program (pg_dump) gets it in its environment,
/// never on its command line.
pub fn without_password(url: &str) -> (String, Option<String>) {
    let mut password = None;
    let mut url = url.to_owned();
    if let Some(s) = url.find("://") {
        let authority_end = url[s + 3..]
            .find(['/', '?'])
            .map_or(url.len(), |i| s + 3 + i);
        if let Some(at) = url[s + 3..authority_end].rfind('@').map(|i| s + 3 + i)
            && let Some(colon) = url[s + 3..at].find(':').map(|i| s + 3 + i)
        {
            password = Some(url[colon + 1..at].to_owned());
            url.replace_range(colon..at, "");
        }
    }
    if let Some((base, query)) = url.clone().split_once('?') {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| match kv.strip_prefix("password=") {
                Some(p) => {
                    password = Some(p.to_owned());
                    false
                }
                None => true,
            })
            .collect();
        url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
    }
    (url, password)
}

/// What a URL asks of TLS, in libpq's words: `sslmode` = `disable`,
/// `prefer` (the default: TLS when the server offers it), `require` (TLS,
/// certificate unchecked, as libpq does), `verify-ca` / `verify-full` (TLS,
/// the certificate checked against `sslrootcert=FILE`, else the public
/// authorities, and its name against the host).
#[derive(Debug, Clone, PartialEq)]
struct Tls {
    mode: String,
    root: Option<PathBuf>,
}

/// The URL without the TLS words the client library does not read as libpq
/// does, and those words.
fn tls_of(url: &str) -> (String, Tls) {
    let mut tls = Tls {
        mode: "prefer".into(),
        root: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), tls);
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            if let Some(path) = kv.strip_prefix("sslrootcert=") {
                tls.root = Some(PathBuf::from(path));
                false
            } else if let Some(mode) = kv.strip_prefix("sslmode=") {
                tls.mode = mode.to_owned();
                false
            } else {
                true
            }
        })
        .collect();
    if kept.is_empty() {
        (base.to_owned(), tls)
    } else {
        (format!("{base}?{}", kept.join("&")), tls)
    }
}

/// `require`'s (and `prefer`'s) check of the server's certificate: none,
/// as libpq; the handshake's signatures are still verified.
#[derive(Debug)]
struct Unchecked(std::sync::Arc<tokio_rustls::rustls::crypto::CryptoProvider>);

impl tokio_rustls::rustls::client::danger::ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &tokio_rustls::rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[tokio_rustls::rustls::pki_types::CertificateDer<'_>],
        _server_name: &tokio_rustls::rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: tokio_rustls::rustls::pki_types::UnixTime,
    ) -> Result<tokio_rustls::rustls::client::danger::ServerCertVerified, tokio_rustls::rustls::Error>
    {
        Ok(tokio_rustls::rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &tokio_rustls::rustls::pki_types::CertificateDer<'_>,
        dss: &tokio_rustls::rustls::DigitallySignedStruct,
    ) -> Result<
        tokio_rustls::rustls::client::danger::HandshakeSignatureValid,
        tokio_rustls::rustls::Error,
    > {
        tokio_rustls::rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &tokio_rustls::rustls::pki_types::CertificateDer<'_>,
        dss: &tokio_rustls::rustls::DigitallySignedStruct,
    ) -> Result<
        tokio_rustls::rustls::client::danger::HandshakeSignatureValid,
        tokio_rustls::rustls::Error,
    > {
        tokio_rustls::rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<tokio_rustls::rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_error(why: String) -> DbError {
    DbError::Other(why)
}

/// TLS to the database as `tls` asks.
fn tls(tls: &Tls) -> Result<tokio_postgres_rustls::MakeRustlsConnect, DbError> {
    use tokio_rustls::rustls;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(e.to_string()))?;
    if !tls.mode.starts_with("verify-") {
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(Unchecked(provider)))
            .with_no_client_auth();
        return Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config));
    }
    let root = tls.root.as_deref();
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| tls_error(format!("sslrootcert {}: {e}", path.display())))?;
            let mut found = 0;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert =
                    cert.map_err(|e| tls_error(format!("sslrootcert {}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| tls_error(format!("sslrootcert {}: {e}", path.display())))?;
                found += 1;
            }
            if found == 0 {
                return Err(tls_error(format!(
                    "sslrootcert {}: no certificate in it",
                    path.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = builder.with_root_certificates(roots).with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PgConn {
    /// Connects as the URL says, TLS in libpq's words (see `Tls`), the
    /// password from the URL or else `PGPASSWORD`.
    pub fn connect(url: &str) -> Result<PgConn, DbError> {
        use tokio_postgres::config::SslMode;
        let (url, wanted) = tls_of(url);
        let mut config: tokio_postgres::Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("civitac-hub");
        // A password kept out of the command line (which `ps` shows).
        if config.get_password().is_none()
            && let Some(p) = std::env::var_os("PGPASSWORD")
        {
            config.password(p.as_encoded_bytes());
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Other(format!("a runtime for the database client: {e}")))?;
        let client = match wanted.mode.as_str() {
            "disable" => rt.block_on(async {
                let (client, connection) = config.ssl_mode(SslMode::Disable).connect(NoTls).await?;
                tokio::spawn(connection);
                Ok::<_, tokio_postgres::Error>(client)
            })?,
            "prefer" | "require" | "verify-ca" | "verify-full" => {
                let mode = if wanted.mode == "prefer" {
                    SslMode::Prefer
                } else {
                    SslMode::Require
                };
                let tls = tls(&wanted)?;
                rt.block_on(async {
                    let (client, connection) = config.ssl_mode(mode).connect(tls).await?;
                    tokio::spawn(connection);
                    Ok::<_, tokio_postgres::Error>(client)
                })?
            }
            other => {
                return Err(tls_error(format!(
                    "sslmode={}: disable, prefer, require, verify-ca or verify-full",
                    crate::text::inline(other)
                )));
            }
        };
        Ok(PgConn {
            inner: std::mem::ManuallyDrop::new(Inner {
                rt,
                client: Arc::new(client),
                unanswered: RefCell::new(Vec::new()),
            }),
            statements: RefCell::new(HashMap::new()),
            in_tx: Cell::new(false),
            pipelined: Cell::new(false),
            failed: RefCell::new(None),
        })
    }

    /// This connection as the seam the rules speak to.
    pub fn sql(&self) -> &dyn Sql {
        self
    }

    pub fn is_closed(&self) -> bool {
        self.inner.client.is_closed()
    }

    /// Whether the session still answers (one round trip).
    pub fn answers(&self) -> bool {
        !self.is_closed()
            && self
                .sql()
                .query_row("SELECT 1", (), |r| r.get::<i64>(0))
                .is_ok()
    }

    /// Runs `f` in a transaction that writes: it holds the hub-wide write
    /// lock from its start to its end. Committed if `f` succeeds, rolled
    /// back otherwise.
    pub fn write<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(true, f)
    }

    /// `write`, with the writes whose count `f` never reads (`exec_blind`)
    /// sent without waiting for their answers: they travel with the next
    /// statement that is read, one round trip for all. If one of them
    /// failed, nothing of the batch stands and `f` runs again as in
    /// `write`, each statement answered before the next, so the failure is
    /// found where it happened (a constraint refusing one op of a push).
    pub fn write_pipelined<T, E: From<DbError>>(
        &self,
        f: impl Fn(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        self.pipelined.set(true);
        let first = self.transaction(true, &f);
        self.pipelined.set(false);
        if self.failed.borrow_mut().take().is_none() {
            return first;
        }
        drop(first);
        self.transaction(true, f)
    }

    /// `write`, with `prelude` (SQL text, such as a schema) run first in the
    /// same transaction: if `f` fails, the prelude is undone too.
    pub fn write_after<T, E: From<DbError>>(
        &self,
        prelude: &str,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write(|tx| {
            self.simple(prelude)?;
            f(tx)
        })
    }

    /// Runs `f` in a transaction that takes no hub-wide lock: for work that
    /// appends nothing to the feed (an SMS claim), whose rows it locks itself.
    pub fn unlocked<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        self.simple("BEGIN ISOLATION LEVEL READ COMMITTED")?;
        self.in_tx.set(true);
        self.finish(f)
    }

    /// Runs `f` in a read-only transaction (one snapshot throughout).
    pub fn read<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(false, f)
    }

    fn transaction<T, E: From<DbError>>(
        &self,
        writes: bool,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        if writes {
            self.simple("BEGIN ISOLATION LEVEL READ COMMITTED")?;
            self.in_tx.set(true);
            if let Err(e) = self.exec("SELECT pg_advisory_xact_lock(?1)", &[&WRITE_LOCK]) {
                self.rollback();
                return Err(e.into());
            }
        } else {
            self.simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            self.in_tx.set(true);
        }
        self.finish(f)
    }

    fn finish<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        match f(self) {
            // Every unanswered write is answered before the commit is sent
            // (PostgreSQL answers COMMIT of a failed transaction with a
            // rollback, not an error).
            Ok(v) => match self.simple("COMMIT") {
                Ok(()) => {
                    self.in_tx.set(false);
                    Ok(v)
                }
                Err(e) => {
                    self.rollback();
                    Err(e.into())
                }
            },
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    fn rollback(&self) {
        sent();
        let client = self.inner.client.clone();
        let _ = self.wait(async move { client.batch_execute("ROLLBACK").await }, true);
        self.in_tx.set(false);
    }

    fn simple(&self, sql: &str) -> Result<(), DbError> {
        sent();
        let client = self.inner.client.clone();
        self.wait(async move { client.batch_execute(sql).await }, false)
    }

    /// Sends `request` behind the writes still unanswered, then waits for
    /// all their answers and its own. Refused once an unanswered write
    /// failed, unless `anyway` (a rollback).
    fn wait<T>(
        &self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
        anyway: bool,
    ) -> Result<T, DbError> {
        if !anyway && let Some(why) = self.failed.borrow().as_ref() {
            return Err(earlier(why));
        }
        let unanswered = std::mem::take(&mut *self.inner.unanswered.borrow_mut());
        WAITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (failure, answer) = self.inner.rt.block_on(async {
            let mut request = std::pin::pin!(request);
            // Its first poll sends it (after the unanswered ones).
            let first = std::future::poll_fn(|cx| Poll::Ready(request.as_mut().poll(cx))).await;
            let mut failure = None;
            for write in unanswered {
                if let Err(e) = write.await {
                    failure.get_or_insert(e);
                }
            }
            let answer = match first {
                Poll::Ready(answer) => answer,
                Poll::Pending => request.await,
            };
            (failure, answer)
        });
        if let Some(e) = failure {
            let why = DbError::from(e).to_string();
            let refused = earlier(&why);
            *self.failed.borrow_mut() = Some(why);
            if !anyway {
                return Err(refused);
            }
        }
        Ok(answer?)
    }

    /// Runs SQL text as it is (a schema file), outside any transaction of ours.
    pub fn batch(&self, sql: &str) -> Result<(), DbError> {
        self.simple(sql)
    }

    fn statement(&self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let text = dollar_placeholders(sql);
        sent();
        let client = self.inner.client.clone();
        let s = self.wait(async move { client.prepare(&text).await }, false)?;
        let mut cached = self.statements.borrow_mut();
        // Bounded: the rules have a few hundred texts; anything past that
        // is texts built from data, each a statement held by the server.
        // Dropped statements are closed there.
        if cached.len() >= MAX_STATEMENTS {
            cached.clear();
        }
        cached.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

/// What a statement is told after an unanswered write of its batch failed.
fn earlier(why: &str) -> DbError {
    DbError::Other(format!("an earlier write of this batch failed: {why}"))
}

/// A client's runtime cannot be dropped inside another runtime (the server
/// drops its backend on an async thread when it stops): there, it is
/// dropped on a thread of its own.
impl Drop for PgConn {
    fn drop(&mut self) {
        // SAFETY: taken once, here, and never used again.
        let inner = unsafe { std::mem::ManuallyDrop::take(&mut self.inner) };
        if tokio::runtime::Handle::try_current().is_ok() {
            let closing = std::thread::spawn(move || drop(inner));
            let _ = closing.join();
        } else {
            drop(inner);
        }
    }
}

impl Sql for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn in_transaction(&self) -> bool {
        self.in_tx.get()
    }

    fn exec(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<usize, DbError> {
        let stmt = self.statement(sql)?;
        let args = owned_args(args)?;
        let client = self.inner.client.clone();
        sent();
        let n = self.wait(
            async move { client.execute_raw(&stmt, args.iter().map(Arg)).await },
            false,
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn exec_blind(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<(), DbError> {
        if !(self.pipelined.get() && self.in_tx.get()) {
            return self.exec(sql, args).map(drop);
        }
        if let Some(why) = self.failed.borrow().as_ref() {
            return Err(earlier(why));
        }
        let stmt = self.statement(sql)?;
        let args = owned_args(args)?;
        let client = self.inner.client.clone();
        sent();
        let mut write: Unanswered =
            Box::pin(async move { client.execute_raw(&stmt, args.iter().map(Arg)).await });
        // Its first poll sends it; its answer is read with the next
        // statement's.
        match write
            .as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()))
        {
            Poll::Pending => self.inner.unanswered.borrow_mut().push(write),
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(e)) => {
                let why = DbError::from(e).to_string();
                *self.failed.borrow_mut() = Some(why.clone());
                return Err(earlier(&why));
            }
        }
        Ok(())
    }

    fn rows(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let args = owned_args(args)?;
        let client = self.inner.client.clone();
        sent();
        let rows = self.wait(
            async move {
                use futures_util::TryStreamExt;
                client
                    .query_raw(&stmt, args.iter().map(Arg))
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            },
            false,
        )?;
        rows.iter().map(row_of).collect()
    }
}

fn owned_args(args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Value>, DbError> {
    args.iter().map(|a| crate::store::sql::owned(*a)).collect()
}

fn unsupported(ty: &Type) -> DbError {
    DbError::Other(format!(
        "a PostgreSQL column of type {ty} (cast it in the query)"
    ))
}

/// A PostgreSQL row as the values SQLite would have given.
fn row_of(r: &tokio_postgres::Row) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(r.len());
    for (i, c) in r.columns().iter().enumerate() {
        let ty = c.type_();
        let v = match *ty {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Integer),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)?
                .map(|n| Value::Integer(n.into())),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)?
                .map(|n| Value::Integer(n.into())),
            Type::OID => r
                .try_get::<_, Option<u32>>(i)?
                .map(|n| Value::Integer(n.into())),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)?
                .map(|b| Value::Integer(b.into())),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map(Value::Real),
            Type::FLOAT4 => r
                .try_get::<_, Option<f32>>(i)?
                .map(|f| Value::Real(f.into())),
            Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                r.try_get::<_, Option<String>>(i)?.map(Value::Text)
            }
            _ => return Err(unsupported(ty)),
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row::new(values))
}

/// A SQLite value as the parameter type PostgreSQL inferred.
#[derive(Debug)]
struct Arg<'a>(&'a Value);

fn bad(ty: &Type, v: &Value) -> Box<dyn std::error::Error + Sync + Send> {
    format!("{v:?} does not fit a parameter of type {ty}").into()
}

impl PgToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let ty = match ty.kind() {
            Kind::Domain(inner) => inner,
            _ => ty,
        };
        match (self.0, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Integer(n), &Type::INT8) => n.to_sql(ty, out),
            (Value::Integer(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
            (Value::Integer(n), &Type::INT2) => i16::try_from(*n)?.to_sql(ty, out),
            (Value::Integer(n), &Type::BOOL) => (*n != 0).to_sql(ty, out),
            (Value::Integer(n), &Type::FLOAT8) => (*n as f64).to_sql(ty, out),
            (Value::Integer(n), t) if is_text(t) => n.to_string().to_sql(&Type::TEXT, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Real(f), t) if is_text(t) => f.to_string().to_sql(&Type::TEXT, out),
            (Value::Text(s), t) if is_text(t) => s.as_str().to_sql(&Type::TEXT, out),
            (Value::Text(s), &Type::INT8) => s.trim().parse::<i64>()?.to_sql(ty, out),
            (Value::Text(s), &Type::INT4) => s.trim().parse::<i32>()?.to_sql(ty, out),
            (Value::Text(s), &Type::FLOAT8) => s.trim().parse::<f64>()?.to_sql(ty, out),
            (Value::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            (v, t) => Err(bad(t, v)),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn is_text(t: &Type) -> bool {
    matches!(
        *t,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

/// A connection idle longer than this is asked whether it still answers
/// before it is lent.
const CHECK_AFTER: Duration = Duration::from_secs(2);

/// The longest a request waits for a connection of the pool.
const POOL_WAIT: Duration = Duration::from_secs(20);

/// A fixed number of connections, lent one at a time.
pub struct PgPool {
    url: String,
    size: usize,
    /// Idle connections (each with the time it was given back), and how
    /// many exist.
    idle: Mutex<(Vec<(PgConn, std::time::Instant)>, usize)>,
    freed: Condvar,
}

/// A connection lent by the pool; given back when dropped (unless broken).
pub struct Lent<'p> {
    pool: &'p PgPool,
    conn: Option<PgConn>,
}

impl std::ops::Deref for Lent<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        self.conn.as_ref().expect("lent until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            // Given back mid-way (a panic caught above): never lent again.
            if conn.is_closed()
                || conn.in_tx.get()
                || conn.pipelined.get()
                || conn.failed.borrow().is_some()
            {
                idle.1 -= 1;
            } else {
                idle.0.push((conn, std::time::Instant::now()));
            }
            self.pool.freed.notify_one();
        }
    }
}

impl PgPool {
    /// A pool of at most `size` connections; one is opened now, so a wrong
    /// URL or password is said at start, not at the first request.
    pub fn open(url: &str, size: usize) -> Result<PgPool, DbError> {
        let first = PgConn::connect(url)?;
        Ok(PgPool {
            url: url.to_owned(),
            size: size.max(1),
            idle: Mutex::new((vec![(first, std::time::Instant::now())], 1)),
            freed: Condvar::new(),
        })
    }

    /// A connection: an idle one, a new one while under the size, or the
    /// next one given back.
    pub fn get(&self) -> Result<Lent<'_>, DbError> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some((conn, since)) = idle.0.pop() {
                drop(idle);
                // One idle a while may have lost its session (the server
                // restarted): asked first, so a request never gets a dead one.
                if since.elapsed() < CHECK_AFTER || conn.answers() {
                    return Ok(Lent {
                        pool: self,
                        conn: Some(conn),
                    });
                }
                drop(conn);
                idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.1 -= 1;
                continue;
            }
            if idle.1 < self.size {
                idle.1 += 1;
                drop(idle);
                return match PgConn::connect(&self.url) {
                    Ok(conn) => Ok(Lent {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.idle.lock().unwrap_or_else(|p| p.into_inner()).1 -= 1;
                        Err(e)
                    }
                };
            }
            // Never an endless wait: a request that finds every connection
            // busy for this long is answered "try again" (503).
            let (next, timeout) = self
                .freed
                .wait_timeout(idle, POOL_WAIT)
                .unwrap_or_else(|p| p.into_inner());
            idle = next;
            if timeout.timed_out() && idle.0.is_empty() && idle.1 >= self.size {
                return Err(DbError::Other(format!(
                    "all {} connections to the database busy for {} s",
                    self.size,
                    POOL_WAIT.as_secs()
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_found_wherever_the_url_puts_it_and_never_shown() {
        assert_eq!(
            without_password("postgres://u:p@h:5/db?sslmode=require"),
            (
                "postgres://u@h:5/db?sslmode=require".into(),
                Some("p".into())
            )
        );
        assert_eq!(
            without_password("postgres://h/db?password=x&sslmode=require"),
            ("postgres://h/db?sslmode=require".into(), Some("x".into()))
        );
        assert_eq!(
            without_password("postgres://u@h/db?application_name=a@b"),
            ("postgres://u@h/db?application_name=a@b".into(), None)
        );
        assert_eq!(redact("postgres://u:p@h/db"), "postgres://u:***@h/db");
        assert!(!redact("postgres://h/db?password=secret").contains("secret"));
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
