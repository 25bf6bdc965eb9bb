//! The hub's HTTP server (DESIGN §5): `/v1/push`, `/v1/pull`,
//! `/v1/files/{sha256}`, `/v1/ingest`, `/v1/whoami`, `/healthz`.
//!
//! axum routes on hyper, one task per connection; bodies are decompressed
//! (gzip, zstd) and compressed by negotiation; every body has a size limit,
//! every request a deadline; errors are JSON `{"error":{"code","message"}}`;
//! each request is one log line; failed authentication is rate-limited per
//! address; SIGTERM stops accepting and lets requests in flight finish.
//! Storage is a [`HubBackend`], called off the async threads.

use std::collections::HashMap;
use std::future::Future;
use std::io::SeekFrom;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Extension, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutLayer;

use super::backend::{BackendError, HubBackend};
use super::protocol::{PROTOCOL_VERSION, PushRequest};
use super::pull::Cursor;
use super::tokens::Principal;

/// Limits a hub enforces; the defaults suit a national deployment on one machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body once decompressed (a push batch, an ingest file).
    pub max_body: usize,
    /// Longest a request may take, body included.
    pub request_timeout: Duration,
    /// Failed authentications allowed per address per `auth_window`.
    pub auth_failures: u32,
    pub auth_window: Duration,
    /// Most rows in one pull page.
    pub max_pull: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            auth_failures: 10,
            auth_window: Duration::from_secs(60),
            max_pull: 5_000,
        }
    }
}

#[derive(Clone)]
struct AppState {
    backend: Arc<dyn HubBackend>,
    limiter: Arc<AuthLimiter>,
    limits: Limits,
}

/// The address a request came from, set per connection.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

/// Who a request was made by, for the log line.
#[derive(Debug, Clone)]
struct Who(String);

/// An error as the hub answers it: a status, a stable code, a message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> ApiError {
        match e {
            BackendError::Refused => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
            }
            BackendError::BadRequest(m) => ApiError::bad_request(m),
            BackendError::Partial { .. } | BackendError::Unavailable(_) => {
                tracing::error!(error = %e, "storage failure");
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the hub cannot reach its storage; try again shortly",
                );
                err.retry_after = Some(5);
                err
            }
        }
    }
}

/// Counts failed authentications per address over a sliding window.
struct AuthLimiter {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    max: u32,
    window: Duration,
}

impl AuthLimiter {
    fn new(max: u32, window: Duration) -> AuthLimiter {
        AuthLimiter {
            failures: Mutex::new(HashMap::new()),
            max,
            window,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (Instant, u32)>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long this address must wait, if it is locked out.
    fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        let map = self.lock();
        let (since, count) = map.get(&ip)?;
        let elapsed = since.elapsed();
        (*count >= self.max && elapsed < self.window).then(|| self.window - elapsed)
    }

    fn failed(&self, ip: IpAddr) {
        let mut map = self.lock();
        let now = Instant::now();
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (since, _)| now.duration_since(*since) < window);
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "a storage call panicked");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            ))
        }
    }
}

/// Refuses an address that failed to authenticate too often lately.
fn locked_out(state: &AppState, peer: IpAddr) -> Result<(), ApiError> {
    match state.limiter.blocked(peer) {
        None => Ok(()),
        Some(wait) => {
            let mut err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many failed authentications from this address; wait and try again",
            );
            err.retry_after = Some(wait.as_secs().max(1));
            Err(err)
        }
    }
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: IpAddr,
) -> Result<Principal, ApiError> {
    locked_out(state, peer)?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        state.limiter.failed(peer);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "an Authorization: Bearer token is required",
        ));
    };
    let backend = state.backend.clone();
    let result = blocking(move || backend.authenticate(&token)).await;
    if let Err(e) = &result
        && e.status == StatusCode::UNAUTHORIZED
    {
        state.limiter.failed(peer);
    }
    result
}

async fn device(
    state: &AppState,
    headers: &HeaderMap,
    peer: IpAddr,
) -> Result<(crate::store::Actor, String), ApiError> {
    match authenticate(state, headers, peer).await? {
        Principal::Device { actor, device_name } => Ok((actor, device_name)),
        Principal::Platform { .. } => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a platform token may only ingest",
        )),
    }
}

fn body_error(e: axum::extract::rejection::BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is over the hub's limit; send smaller batches",
        )
    } else {
        ApiError::bad_request(format!("unreadable body: {}", e.body_text()))
    }
}

fn with_who<T: IntoResponse>(who: &str, body: T) -> Response {
    let mut response = body.into_response();
    response.extensions_mut().insert(Who(who.to_owned()));
    response
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok", "v": PROTOCOL_VERSION, "time": crate::time::now()}))
        .into_response()
}

async fn whoami(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (actor, device_name) = device(&state, &headers, peer.ip()).await?;
    Ok(with_who(
        &actor.login,
        axum::Json(json!({
            "v": PROTOCOL_VERSION,
            "staff_id": actor.staff_id,
            "login": actor.login,
            "display_name": actor.display_name,
            "role": actor.role.as_str(),
            "device_id": actor.device,
            "device_name": device_name,
        })),
    ))
}

async fn push(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let (actor, _) = device(&state, &headers, peer.ip()).await?;
    let body = body.map_err(body_error)?;
    let request: PushRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a push request: {e}")))?;
    let backend = state.backend.clone();
    let login = actor.login.clone();
    let answer = tokio::task::spawn_blocking(move || backend.push(&actor, &request)).await;
    match answer {
        Ok(Ok(response)) => Ok(with_who(&login, axum::Json(response))),
        // Some ops were applied before storage failed: they are answered, the
        // replica sends the rest again later.
        Ok(Err(BackendError::Partial { partial, why })) if !partial.results.is_empty() => {
            tracing::error!(error = %why, answered = partial.results.len(), "push cut short");
            Ok(with_who(&login, axum::Json(partial)))
        }
        Ok(Err(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "push panicked");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
struct PullParams {
    since: Option<String>,
    limit: Option<usize>,
}

async fn pull(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    params: Result<Query<PullParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (actor, _) = device(&state, &headers, peer.ip()).await?;
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let since: Cursor = params
        .since
        .as_deref()
        .unwrap_or("start")
        .parse()
        .map_err(|e: super::pull::BadCursor| ApiError::bad_request(e.to_string()))?;
    let limit = params
        .limit
        .unwrap_or(1_000)
        .clamp(1, state.limits.max_pull);
    let backend = state.backend.clone();
    let page = blocking(move || backend.pull(&since, limit)).await?;
    Ok(with_who(&actor.login, axum::Json(page)))
}

async fn ingest(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let name = match authenticate(&state, &headers, peer.ip()).await? {
        Principal::Platform { name } => name,
        Principal::Device { .. } => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "ingest takes a platform token, not a device token",
            ));
        }
    };
    let body = body.map_err(body_error)?;
    let backend = state.backend.clone();
    let report = blocking(move || backend.ingest(&mut &body[..])).await?;
    let bad: Vec<_> = report
        .bad
        .iter()
        .map(|(line, why)| json!({"line": line, "error": why}))
        .collect();
    Ok(with_who(
        &name,
        axum::Json(json!({
            "posts": report.posts,
            "flags": report.flags,
            "applications": report.applications,
            "uploads": report.uploads,
            "duplicates": report.duplicates,
            "auto_hidden": report.auto_hidden,
            "bad": bad,
        })),
    ))
}

/// A `Range: bytes=…` header, for one range: (start, inclusive end).
fn parse_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // several ranges: answer the whole file, as RFC 9110 allows
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let suffix: u64 = b.parse().ok()?;
        if suffix == 0 {
            return Some(Err(()));
        }
        (len.saturating_sub(suffix), len.checked_sub(1)?)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            b.parse::<u64>().ok()?.min(len.saturating_sub(1))
        };
        (start, end)
    };
    if range.0 >= len || range.0 > range.1 {
        return Some(Err(()));
    }
    Some(Ok(range))
}

async fn file(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    UrlPath(sha256): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (actor, _) = device(&state, &headers, peer.ip()).await?;
    let backend = state.backend.clone();
    let wanted = sha256.clone();
    let stored = blocking(move || backend.file(&wanted))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no file {sha256} on this hub"),
            )
        })?;
    let len = stored.len;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, len));
    let (start, end, status) = match range {
        None => (0, len.saturating_sub(1), StatusCode::OK),
        Some(Ok((s, e))) => (s, e, StatusCode::PARTIAL_CONTENT),
        Some(Err(())) => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "bad_range",
                format!("the file has {len} bytes"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(response);
        }
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    let mut f = tokio::fs::File::open(&stored.path).await.map_err(|e| {
        tracing::error!(path = %stored.path.display(), error = %e, "file unreadable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "file unreadable",
        )
    })?;
    f.seek(SeekFrom::Start(start)).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )
    })?;
    let stream = tokio_util::io::ReaderStream::new(f.take(count));
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    response.extensions_mut().insert(Who(actor.login));
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct DlrParams {
    key: String,
    message: String,
    contact: String,
    #[serde(rename = "type")]
    bits: u32,
}

fn check_sms_key(state: &AppState, key: &str, peer: IpAddr) -> Result<(), ApiError> {
    locked_out(state, peer)?;
    let want = state.backend.sms_key().as_bytes();
    let same = want.len() == key.len()
        && want
            .iter()
            .zip(key.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        state.limiter.failed(peer);
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "bad callback key",
        ))
    }
}

/// Kannel's delivery reports (`dlr-url`).
async fn sms_dlr(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    params: Result<Query<DlrParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    check_sms_key(&state, &p.key, peer.ip())?;
    let backend = state.backend.clone();
    let changed = blocking(move || backend.sms_report(&p.message, &p.contact, p.bits)).await?;
    Ok(with_who("gateway", axum::Json(json!({"changed": changed}))))
}

#[derive(Debug, Deserialize)]
struct InboundParams {
    key: String,
    from: String,
    text: String,
}

/// SMS people send to the platform's number (Kannel `sms-service` get-url).
async fn sms_inbound(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    params: Result<Query<InboundParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    check_sms_key(&state, &p.key, peer.ip())?;
    let backend = state.backend.clone();
    let opted_out = blocking(move || backend.sms_inbound(&p.from, &p.text)).await?;
    Ok(with_who(
        "gateway",
        axum::Json(json!({"opted_out": opted_out})),
    ))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// One line per request: who, what, how it ended, how long it took.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let peer = request
        .extensions()
        .get::<Peer>()
        .map(|p| p.0.to_string())
        .unwrap_or_default();
    let response = next.run(request).await;
    let who = response
        .extensions()
        .get::<Who>()
        .map(|w| w.0.clone())
        .unwrap_or_else(|| "-".into());
    tracing::info!(
        target: "civitac::hub",
        %peer,
        %method,
        path,
        status = response.status().as_u16(),
        who,
        ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
        "request"
    );
    response
}

/// The routes and layers, without a listener (tests drive it directly too).
fn router(backend: Arc<dyn HubBackend>, limits: Limits) -> Router {
    let state = AppState {
        backend,
        limiter: Arc::new(AuthLimiter::new(limits.auth_failures, limits.auth_window)),
        limits: limits.clone(),
    };
    // Upload files are sent as they are: compressing them would break ranges.
    let compress =
        DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream"));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/whoami", get(whoami))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/ingest", post(ingest))
        .route("/v1/files/{sha256}", get(file))
        .route("/v1/sms/dlr", get(sms_dlr))
        .route("/v1/sms/inbound", get(sms_inbound).post(sms_inbound))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new().compress_when(compress))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Reads a PEM certificate chain and key into a TLS acceptor.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pemfile::Item;
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let cert_pem = read(cert)?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut &cert_pem[..])
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let key_pem = read(key)?;
    let mut private = None;
    for item in rustls_pemfile::read_all(&mut &key_pem[..]) {
        match item.map_err(|e| format!("{}: {e}", key.display()))? {
            Item::Pkcs1Key(k) => private = Some(k.into()),
            Item::Pkcs8Key(k) => private = Some(k.into()),
            Item::Sec1Key(k) => private = Some(k.into()),
            _ => {}
        }
    }
    let private = private.ok_or_else(|| format!("{}: no PEM private key in it", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| format!("{} / {}: {e}", cert.display(), key.display()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves until `shutdown` resolves, then lets requests in flight finish
/// (at most `grace`).
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    backend: Arc<dyn HubBackend>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let app = router(backend, limits);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(Peer(peer));
                    app.clone().oneshot(request.map(Body::new))
                },
            );
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            let result = match tls {
                None => {
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
                    watcher.watch(conn).await
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(15), acceptor.accept(tcp)).await;
                    let stream = match handshake {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::info!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::info!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the grace period were cut");
    }
}

/// A hub running on its own thread: for `civitac demo` and for tests.
pub struct RunningHub {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningHub {
    /// Binds `listen` (port 0: any free port) and serves on a new thread.
    pub fn start(
        backend: Arc<dyn HubBackend>,
        listen: SocketAddr,
        tls: Option<tokio_rustls::TlsAcceptor>,
        limits: Limits,
    ) -> std::io::Result<RunningHub> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind(listen))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hub".into())
            .spawn(move || {
                runtime.block_on(serve(
                    listener,
                    tls,
                    backend,
                    limits,
                    async {
                        let _ = stopped.await;
                    },
                    Duration::from_secs(5),
                ));
            })?;
        Ok(RunningHub {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `civitac hub serve`: binds, says where, serves until SIGTERM or ctrl-c.
pub fn serve_until_signalled(
    backend: Arc<dyn HubBackend>,
    listen: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    announce: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let stop = stop_signal()?;
        let listener = TcpListener::bind(listen).await?;
        announce(listener.local_addr()?);
        serve(
            listener,
            tls,
            backend,
            limits,
            stop,
            Duration::from_secs(20),
        )
        .await;
        tracing::info!(target: "civitac::hub", "stopped");
        Ok(())
    })
}

/// SIGTERM or ctrl-c. The handlers are installed when this is called (not
/// when the future is first polled), so a signal sent the moment the address
/// is printed is not lost.
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let interrupt = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt => {}
        }
        #[cfg(not(unix))]
        let _ = interrupt.await;
        tracing::info!(target: "civitac::hub", "stop requested; finishing requests in flight");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=500-", 1000), Some(Ok((500, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=900-5000", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=1000-", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=5-4", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=x-", 1000), None);
    }

    #[test]
    fn failed_authentications_lock_an_address_out_for_the_window() {
        let limiter = AuthLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..2 {
            limiter.failed(a);
        }
        assert!(limiter.blocked(a).is_none());
        limiter.failed(a);
        assert!(limiter.blocked(a).is_some());
        assert!(limiter.blocked(b).is_none(), "per address");
    }
}
