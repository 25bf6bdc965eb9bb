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
use super::tokens::Principal;
use crate::protocol::Cursor;
use crate::protocol::{PROTOCOL_VERSION, PushRequest};

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
    /// Open connections at once, all addresses together (kept below the
    /// process's file limit, so the hub can always accept and answer).
    pub max_connections: usize,
    /// Open connections from one address (an office behind one NAT shares it).
    pub max_per_address: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            auth_failures: 10,
            auth_window: Duration::from_secs(60),
            max_pull: 5_000,
            max_connections: connection_budget(),
            max_per_address: 64,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Connections the process can hold: its file limit (raised to the hard
/// limit first) less what the databases, logs and files need.
fn connection_budget() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read and write the struct we own.
        let files = unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                if limit.rlim_cur < limit.rlim_max {
                    let raised = libc::rlimit {
                        rlim_cur: limit.rlim_max.min(65_536),
                        rlim_max: limit.rlim_max,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                        limit = raised;
                    }
                }
                limit.rlim_cur as usize
            } else {
                1024
            }
        };
        files.saturating_sub(128).clamp(64, 16_384)
    }
    #[cfg(not(unix))]
    {
        4_096
    }
}

/// Open connections, in total and per address. A connection holds a
/// `Slot`; dropping it (the connection ends) frees the place.
#[derive(Default)]
struct Connections {
    by_address: Mutex<HashMap<IpAddr, usize>>,
    total: std::sync::atomic::AtomicUsize,
}

struct Slot {
    conns: Arc<Connections>,
    ip: Option<IpAddr>,
}

impl Connections {
    /// A place for a new connection from `ip`, or `None` if it is over a cap.
    /// A trusted proxy carries many clients: no per-address cap for it.
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Option<Slot> {
        use std::sync::atomic::Ordering;
        let trusted = limits.trusted_proxies.contains(&ip);
        let ip = address_key(ip);
        if self.total.load(Ordering::Relaxed) >= limits.max_connections {
            return None;
        }
        if !trusted {
            let mut map = self
                .by_address
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let n = map.entry(ip).or_insert(0);
            if *n >= limits.max_per_address {
                return None;
            }
            *n += 1;
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(Slot {
            conns: self.clone(),
            ip: (!trusted).then_some(ip),
        })
    }

    fn total(&self) -> usize {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.conns
            .total
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(ip) = self.ip {
            let mut map = self
                .conns
                .by_address
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(n) = map.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&ip);
                }
            }
        }
    }
}

/// What counts as one address for caps and lockouts: an IPv4 address, or an
/// IPv6 /64 (one subscriber's network: they can pick any address in it).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// The client's address: the TCP peer, or for a trusted proxy the address
/// that proxy appended last to `X-Forwarded-For` (its port dropped). Entries
/// before it are the client's own words and never believed; an entry that is
/// no address leaves the proxy's own.
fn client_address(
    peer: SocketAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[IpAddr],
) -> SocketAddr {
    if !trusted.contains(&peer.ip()) {
        return peer;
    }
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .next_back();
    let parsed = last.and_then(|a| {
        a.parse::<IpAddr>()
            .ok()
            .or_else(|| a.parse::<SocketAddr>().ok().map(|s| s.ip()))
    });
    match parsed {
        Some(ip) => SocketAddr::new(ip, 0),
        None => peer,
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
        let a = e.answer();
        ApiError {
            status: StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: a.code,
            message: a.message,
            retry_after: a.retry_after,
        }
    }
}

/// Counts failed authentications over a window, per address *and* token
/// (its first characters), and per address overall with more room. Only
/// failures are ever refused: a valid token is always served, so ten typos
/// by one person behind an office NAT never lock their colleagues out.
struct AuthLimiter {
    failures: Mutex<HashMap<(IpAddr, String), (Instant, u32)>>,
    per_address: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    max: u32,
    window: Duration,
}

/// Failures from one address, all tokens together, before it is slowed down.
const ADDRESS_FACTOR: u32 = 10;

/// What identifies "the same credential" between failures.
fn credential_key(token: &str) -> String {
    token.chars().take(12).collect()
}

impl AuthLimiter {
    fn new(max: u32, window: Duration) -> AuthLimiter {
        AuthLimiter {
            failures: Mutex::new(HashMap::new()),
            per_address: Mutex::new(HashMap::new()),
            max,
            window,
        }
    }

    fn count<K: std::hash::Hash + Eq>(
        map: &Mutex<HashMap<K, (Instant, u32)>>,
        key: &K,
        max: u32,
        window: Duration,
    ) -> Option<Duration> {
        let map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (since, count) = map.get(key)?;
        let elapsed = since.elapsed();
        (*count >= max && elapsed < window).then(|| window - elapsed)
    }

    fn bump<K: std::hash::Hash + Eq>(
        map: &Mutex<HashMap<K, (Instant, u32)>>,
        key: K,
        window: Duration,
    ) {
        let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, (since, _)| now.duration_since(*since) < window);
        }
        let entry = map.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// How long a failing credential from this address must wait, if it must.
    fn blocked(&self, ip: IpAddr, credential: &str) -> Option<Duration> {
        let ip = address_key(ip);
        Self::count(
            &self.failures,
            &(ip, credential.to_owned()),
            self.max,
            self.window,
        )
        .or_else(|| {
            Self::count(
                &self.per_address,
                &ip,
                self.max.saturating_mul(ADDRESS_FACTOR),
                self.window,
            )
        })
    }

    fn failed(&self, ip: IpAddr, credential: &str) {
        let ip = address_key(ip);
        Self::bump(&self.failures, (ip, credential.to_owned()), self.window);
        Self::bump(&self.per_address, ip, self.window);
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

/// A failed authentication: counted, and answered 429 once this credential
/// (or this address overall) failed too often lately, else `refusal`.
/// Counted in this process, or where every hub process on a shared
/// database counts (a PostgreSQL hub), so a guesser spreading attempts over
/// the hubs behind a balancer meets one count.
async fn failure(state: &AppState, peer: IpAddr, credential: &str, refusal: ApiError) -> ApiError {
    let blocked = if state.backend.shares_lockout() {
        let ip = address_key(peer);
        let (max, window) = (state.limiter.max, state.limiter.window);
        let keys = vec![
            (format!("{ip} {credential}"), max),
            (ip.to_string(), max.saturating_mul(ADDRESS_FACTOR)),
        ];
        let backend = state.backend.clone();
        // A count that could not be kept: the refusal stands, unslowed.
        let wait: Option<Duration> = blocking(move || backend.auth_failed(&keys, window))
            .await
            .unwrap_or_default();
        wait
    } else {
        let blocked = state.limiter.blocked(peer, credential);
        state.limiter.failed(peer, credential);
        blocked
    };
    match blocked {
        None => refusal,
        Some(wait) => {
            let mut err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many failed authentications; wait and try again",
            );
            err.retry_after = Some(wait.as_secs().max(1));
            err
        }
    }
}

/// The bearer token a request presents, if any.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: IpAddr,
) -> Result<Principal, ApiError> {
    let token = bearer(headers);
    let Some(token) = token else {
        return Err(failure(
            state,
            peer,
            "",
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an Authorization: Bearer token is required",
            ),
        )
        .await);
    };
    let credential = credential_key(&token);
    let backend = state.backend.clone();
    match blocking(move || backend.authenticate(&token)).await {
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            Err(failure(state, peer, &credential, e).await)
        }
        other => other,
    }
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
            "a platform token may only ingest and read the decision feed",
        )),
    }
}

/// The public platform's name, for what only its token may do (`what`).
async fn platform(
    state: &AppState,
    headers: &HeaderMap,
    peer: IpAddr,
    what: &str,
) -> Result<String, ApiError> {
    match authenticate(state, headers, peer).await? {
        Principal::Platform { name } => Ok(name),
        Principal::Device { .. } => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{what} takes a platform token, not a device token"),
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
    // The device's key for bundles (a sync on a USB stick), given only to
    // the token's holder: the hub derives it from a secret outside its
    // database, so a copy of the database cannot sign bundles.
    let bundle_key = bearer(&headers).map(|t| {
        state
            .backend
            .bundle_key(&actor.device, &super::tokens::hash(&t))
    });
    Ok(with_who(
        &actor.login,
        axum::Json(json!({
            "bundle_key": bundle_key,
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
    let answer = tokio::task::spawn_blocking(move || {
        note_seen(backend.as_ref(), &actor);
        backend.push(&actor, &request)
    })
    .await;
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

/// A device's sync, noted for the staff view; a failure to note it never
/// holds up the sync.
fn note_seen(backend: &dyn HubBackend, actor: &crate::store::Actor) {
    if let Err(e) = backend.seen(actor) {
        tracing::warn!(error = %e, device = %actor.device, "last sync not noted");
    }
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
        .map_err(|e: crate::protocol::BadCursor| ApiError::bad_request(e.to_string()))?;
    let limit = params
        .limit
        .unwrap_or(1_000)
        .clamp(1, state.limits.max_pull);
    let backend = state.backend.clone();
    let login = actor.login.clone();
    let page = blocking(move || {
        note_seen(backend.as_ref(), &actor);
        backend.pull(&since, limit)
    })
    .await?;
    Ok(with_who(&login, axum::Json(page)))
}

async fn ingest(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let name = platform(&state, &headers, peer.ip(), "ingest").await?;
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

#[derive(Debug, Deserialize)]
struct DecisionParams {
    since: Option<i64>,
    limit: Option<usize>,
}

/// The decision feed, for the public platform only: a device token is
/// refused, as a platform token is refused everywhere but here and ingest.
async fn decisions(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    params: Result<Query<DecisionParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let name = platform(&state, &headers, peer.ip(), "the decision feed").await?;
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let since = params.since.unwrap_or(0);
    if since < 0 {
        return Err(ApiError::bad_request("since: a feed position, 0 or more"));
    }
    let limit = params
        .limit
        .unwrap_or(1_000)
        .clamp(1, state.limits.max_pull);
    let backend = state.backend.clone();
    let reader = name.clone();
    let page = blocking(move || backend.decisions(&reader, since, limit)).await?;
    Ok(with_who(&name, axum::Json(page)))
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

async fn check_sms_key(state: &AppState, key: &str, peer: IpAddr) -> Result<(), ApiError> {
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
        Err(failure(
            state,
            peer,
            "sms-callback",
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "bad callback key"),
        )
        .await)
    }
}

/// Kannel's delivery reports (`dlr-url`).
async fn sms_dlr(
    State(state): State<AppState>,
    Extension(Peer(peer)): Extension<Peer>,
    params: Result<Query<DlrParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    check_sms_key(&state, &p.key, peer.ip()).await?;
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
    check_sms_key(&state, &p.key, peer.ip()).await?;
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

/// Every error the hub answers has the JSON shape, including those made by
/// layers (415 for an unknown Content-Encoding, 408, 413): an empty error
/// body gets `{"error":{"code","message"}}`.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let empty = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() == b"0")
        || !response.headers().contains_key(header::CONTENT_TYPE);
    if !(status.is_client_error() || status.is_server_error()) || !empty {
        return response;
    }
    let code = match status.as_u16() {
        408 => "timeout",
        413 => "too_large",
        414 => "uri_too_long",
        415 => "unsupported_encoding",
        429 => "rate_limited",
        s if s >= 500 => "unavailable",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_owned();
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = json!({"error": {"code": code, "message": message}});
    let mut fresh = (status, axum::Json(body)).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// The first request line of a connection, read before hyper sees it: one
/// longer than `MAX_REQUEST_LINE` is answered with the JSON error shape
/// (hyper's own 414 has an empty body) and the connection closed.
const MAX_REQUEST_LINE: usize = 8 * 1024;

async fn first_line_ok<S>(stream: &mut S) -> std::io::Result<Option<Vec<u8>>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    let mut seen = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        if seen.windows(2).any(|w| w == b"\r\n") || seen.contains(&b'\n') {
            return Ok(Some(seen));
        }
        if seen.len() > MAX_REQUEST_LINE {
            let body = br#"{"error":{"code":"uri_too_long","message":"URI Too Long"}}"#;
            let head = format!(
                "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body).await?;
            stream.flush().await?;
            return Ok(None);
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(Some(seen));
        }
        seen.extend_from_slice(&buf[..n]);
    }
}

/// A stream that gives back bytes already read before reading on.
struct Rewind<S> {
    prefix: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = (self.prefix.len() - self.at).min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Reads the first request line (within `limit`), answers an oversize one,
/// and hands back a stream that replays what was read.
async fn checked<S>(mut stream: S, limit: Duration) -> Option<Rewind<S>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(limit, first_line_ok(&mut stream)).await {
        Ok(Ok(Some(prefix))) => Some(Rewind {
            prefix,
            at: 0,
            inner: stream,
        }),
        _ => None,
    }
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
        .route("/v1/decisions", get(decisions))
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
        .layer(middleware::from_fn(json_errors))
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
    let trusted = limits.trusted_proxies.clone();
    let conns = Arc::new(Connections::default());
    let app = router(backend, limits.clone());
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
        // Over a cap: closed at once, so one address (or a flood) can never
        // take every descriptor and starve the others.
        let Some(slot) = conns.admit(peer.ip(), &limits) else {
            tracing::info!(%peer, total = conns.total(), "connection refused: over the connection cap");
            drop(tcp);
            continue;
        };
        // Under pressure, a connection that sends nothing is let go early.
        let idle_limit = if conns.total() * 4 > limits.max_connections * 3 {
            Duration::from_secs(3)
        } else {
            Duration::from_secs(30)
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        let trusted = trusted.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    let client = client_address(peer, request.headers(), &trusted);
                    request.extensions_mut().insert(Peer(client));
                    app.clone().oneshot(request.map(Body::new))
                },
            );
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(idle_limit);
            let result = match tls {
                None => {
                    let Some(tcp) = checked(tcp, idle_limit).await else {
                        return;
                    };
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
                    let Some(stream) = checked(stream, idle_limit).await else {
                        return;
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
    fn failures_are_counted_per_credential_and_address() {
        let limiter = AuthLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..3 {
            limiter.failed(a, "civ_typo");
        }
        assert!(limiter.blocked(a, "civ_typo").is_some());
        assert!(
            limiter.blocked(a, "civ_other").is_none(),
            "a colleague's token"
        );
        assert!(limiter.blocked(b, "civ_typo").is_none(), "per address");
        // Guessing with ever new tokens trips the address's own budget.
        for i in 0..30 {
            limiter.failed(b, &format!("civ_{i}"));
        }
        assert!(limiter.blocked(b, "civ_new").is_some());
    }

    #[test]
    fn connections_are_capped_per_address_and_in_total() {
        let limits = Limits {
            max_connections: 3,
            max_per_address: 2,
            trusted_proxies: vec![[10, 0, 0, 1].into()],
            ..Limits::default()
        };
        let conns = Arc::new(Connections::default());
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let one = conns.admit(a, &limits).expect("first");
        let _two = conns.admit(a, &limits).expect("second");
        assert!(conns.admit(a, &limits).is_none(), "per address");
        let _three = conns.admit(b, &limits).expect("another address");
        assert!(conns.admit(b, &limits).is_none(), "in total");
        drop(one);
        assert!(conns.admit(b, &limits).is_some(), "a place freed");
        // One IPv6 subscriber is one /64, whatever address they pick.
        let limits = Limits {
            max_connections: 100,
            max_per_address: 2,
            ..Limits::default()
        };
        let conns = Arc::new(Connections::default());
        let _x = conns
            .admit("2001:db8:1:2::1".parse().expect("ip"), &limits)
            .expect("one");
        let _y = conns
            .admit("2001:db8:1:2::ffff".parse().expect("ip"), &limits)
            .expect("two");
        assert!(
            conns
                .admit("2001:db8:1:2:aaaa::9".parse().expect("ip"), &limits)
                .is_none()
        );
        assert!(
            conns
                .admit("2001:db8:1:3::1".parse().expect("ip"), &limits)
                .is_some()
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxy: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        let other: SocketAddr = "192.0.2.7:5000".parse().expect("addr");
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.4"),
        );
        let trusted: Vec<IpAddr> = vec![proxy.ip()];
        assert_eq!(
            client_address(proxy, &headers, &trusted).ip(),
            "198.51.100.4".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client_address(other, &headers, &trusted),
            other,
            "untrusted: ignored"
        );
    }
}
