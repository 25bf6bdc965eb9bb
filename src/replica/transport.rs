//! The replica's HTTP client for the hub: blocking (ureq), TLS verified
//! against the system's web roots or a given CA, bodies compressed with zstd
//! both ways, every byte on the wire counted, the hub's clock read from its
//! `Date` header. Errors say whether retrying later can help.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::protocol::remote::Remote;
pub use crate::protocol::remote::TransportError;
use crate::protocol::{Cursor, PullResponse, PushRequest, PushResponse, WhoAmI};

/// Largest answer a replica accepts (a pull page is a few hundred KiB).
const MAX_ANSWER: u64 = 256 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

pub struct HubClient {
    agent: ureq::Agent,
    base: String,
    token: String,
    /// Body bytes sent and received, as they went over the wire (compressed).
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Body bytes before compression, for comparison.
    pub plain_up: u64,
    pub plain_down: u64,
    /// Hub clock minus device clock, in seconds, from the last answer.
    pub skew: Option<i64>,
    /// Compress request bodies (on by default; off to measure the difference).
    pub compress: bool,
}

impl HubClient {
    /// `base` is the hub's URL (`https://hub.example:8443`); `ca` a PEM file
    /// of the authority that signed the hub's certificate, if it is not a
    /// public one.
    pub fn new(base: &str, token: &str, ca: Option<&Path>) -> Result<HubClient, TransportError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(TransportError::Setup(format!(
                "{base}: the hub's address starts with https:// (or http:// on a trusted network)"
            )));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = ca {
            let pem = std::fs::read(ca)
                .map_err(|e| TransportError::Setup(format!("{}: {e}", ca.display())))?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_, _>>()
                .map_err(|e| TransportError::Setup(format!("{}: {e}", ca.display())))?;
            if certs.is_empty() {
                return Err(TransportError::Setup(format!(
                    "{}: no PEM certificate in it",
                    ca.display()
                )));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("civitac/", env!("CARGO_PKG_VERSION")))
            .accept_encoding("zstd, gzip")
            .tls_config(tls.build())
            .build()
            .into();
        Ok(HubClient {
            agent,
            base,
            token: token.to_owned(),
            bytes_up: 0,
            bytes_down: 0,
            plain_up: 0,
            plain_down: 0,
            skew: None,
            compress: true,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, url: &str, e: ureq::Error) -> TransportError {
        TransportError::Unreachable {
            url: url.to_owned(),
            why: e.to_string(),
        }
    }

    /// Sends a request and returns the decompressed body of a 2xx answer.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, TransportError> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let response = match (method, body) {
            ("POST", Some(body)) => {
                self.plain_up += body.len() as u64;
                let request = self
                    .agent
                    .post(&url)
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json");
                let sent = if self.compress {
                    let packed = zstd::encode_all(body, 3).map_err(|e| {
                        TransportError::Setup(format!("compressing a request: {e}"))
                    })?;
                    self.bytes_up += packed.len() as u64;
                    request.header("Content-Encoding", "zstd").send(&packed[..])
                } else {
                    self.bytes_up += body.len() as u64;
                    request.send(body)
                };
                sent.map_err(|e| self.unreachable(&url, e))?
            }
            _ => self
                .agent
                .get(&url)
                .header("Authorization", &auth)
                .call()
                .map_err(|e| self.unreachable(&url, e))?,
        };
        self.read_clock(response.headers());
        let status = response.status().as_u16();
        let encoding = response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let raw = response
            .into_body()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| self.unreachable(&url, e))?;
        self.bytes_down += raw.len() as u64;
        let plain = decode(&encoding, raw).map_err(|why| TransportError::Protocol {
            url: url.clone(),
            why,
        })?;
        self.plain_down += plain.len() as u64;
        if (200..300).contains(&status) {
            return Ok(plain);
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&plain) {
            Ok(b) => (b.error.code, b.error.message),
            Err(_) => (
                String::new(),
                String::from_utf8_lossy(&plain).chars().take(200).collect(),
            ),
        };
        Err(TransportError::Http {
            url,
            status,
            code,
            message: crate::text::inline(&message),
            retry_after,
        })
    }

    fn call_json<T: DeserializeOwned>(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<T, TransportError> {
        let bytes = self.call(method, path, body)?;
        serde_json::from_slice(&bytes).map_err(|e| TransportError::Protocol {
            url: format!("{}{path}", self.base),
            why: e.to_string(),
        })
    }

    fn read_clock(&mut self, headers: &ureq::http::HeaderMap) {
        let Some(date) = headers.get("date").and_then(|v| v.to_str().ok()) else {
            return;
        };
        if let Ok(hub) = jiff::fmt::rfc2822::parse(date) {
            let here = jiff::Timestamp::now();
            self.skew = Some(hub.timestamp().as_second() - here.as_second());
        }
    }

    pub fn whoami(&mut self) -> Result<WhoAmI, TransportError> {
        self.call_json("GET", "/v1/whoami", None)
    }

    pub fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        let body = serde_json::to_vec(request).map_err(|e| TransportError::Setup(e.to_string()))?;
        self.call_json("POST", "/v1/push", Some(&body))
    }

    pub fn pull(&mut self, since: &Cursor, limit: usize) -> Result<PullResponse, TransportError> {
        let since = since.to_string();
        let path = format!("/v1/pull?since={}&limit={limit}", percent(&since));
        self.call_json("GET", &path, None)
    }

    /// Sends JSON lines from the platform (with a platform token).
    pub fn ingest(&mut self, lines: &[u8]) -> Result<serde_json::Value, TransportError> {
        self.call_json("POST", "/v1/ingest", Some(lines))
    }

    /// Reads `len` bytes or fewer of a stored file from `offset` into `out`;
    /// returns the file's total size.
    pub fn file_range(
        &mut self,
        sha256: &str,
        offset: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, TransportError> {
        let url = format!("{}/v1/files/{sha256}", self.base);
        let response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Range", &format!("bytes={offset}-"))
            .call()
            .map_err(|e| self.unreachable(&url, e))?;
        let status = response.status().as_u16();
        let total = match status {
            206 => response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit('/').next())
                .and_then(|v| v.parse().ok()),
            200 if offset == 0 => response
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
            _ => None,
        };
        let Some(total) = total else {
            let body = response
                .into_body()
                .with_config()
                .limit(64 * 1024)
                .read_to_vec()
                .unwrap_or_default();
            let message = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| b.error.message)
                .unwrap_or_else(|_| format!("unexpected answer to a range from {offset}"));
            return Err(TransportError::Http {
                url,
                status,
                code: String::new(),
                message: crate::text::inline(&message),
                retry_after: None,
            });
        };
        let mut reader = response.into_body().into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| TransportError::Unreachable {
                    url: url.clone(),
                    why: e.to_string(),
                })?;
            if n == 0 {
                break;
            }
            self.bytes_down += n as u64;
            out.write_all(&buf[..n])
                .map_err(|e| TransportError::Setup(format!("writing the file cache: {e}")))?;
        }
        Ok(total)
    }
}

fn decode(encoding: &str, raw: Vec<u8>) -> Result<Vec<u8>, String> {
    match encoding {
        "" | "identity" => Ok(raw),
        "zstd" => zstd::decode_all(&raw[..]).map_err(|e| format!("zstd: {e}")),
        "gzip" => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|e| format!("gzip: {e}"))?;
            Ok(out)
        }
        other => Err(format!("unknown content encoding {other}")),
    }
}

/// Percent-encodes a query value (cursors hold ':', '[', '"' and ',').
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Remote for HubClient {
    fn whoami(&mut self) -> Result<WhoAmI, TransportError> {
        HubClient::whoami(self)
    }

    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        HubClient::push(self, request)
    }

    fn pull(&mut self, since: &Cursor, limit: usize) -> Result<PullResponse, TransportError> {
        HubClient::pull(self, since, limit)
    }

    fn file_range(
        &mut self,
        sha256: &str,
        offset: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, TransportError> {
        HubClient::file_range(self, sha256, offset, out)
    }

    fn base(&self) -> &str {
        &self.base
    }

    fn traffic(&self) -> (u64, u64) {
        (self.bytes_up, self.bytes_down)
    }

    fn skew(&self) -> Option<i64> {
        self.skew
    }
}
