//! Bundles: a sync carried on a USB stick instead of a link (DESIGN §5).
//! A replica writes its unsynced ops and its cursor into one file; the hub
//! applies them as a push and writes an answer (the outcomes, then every
//! change since that cursor as pull pages); the replica applies the answer
//! as it would a pull. The payloads are the wire's own types, so a bundle
//! means exactly what the same sync over HTTP would.
//!
//! The file: a text line naming the format and its version, one line of
//! JSON (the header: what the bundle is, for which device, how long its body
//! is), the body (JSON lines, zstd-compressed), then an HMAC-SHA256 of
//! everything before it. An answer's body is its outcomes, then one line per
//! pull page, so that neither side ever holds more than one page unpacked (a
//! whole first fill can travel this way). The key is the device's bundle
//! key, which the hub derives from a secret outside its database
//! (`hub::tokens::bundle_key`) and the device receives at login, so only the
//! hub and that device can make a bundle the other accepts. A file cut
//! short, altered, made for another device or by a revoked one is refused
//! before anything in it is unpacked.

use std::io::Read;

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::protocol::{Cursor, PullResponse, PushRequest, PushResponse};

/// The first line of every bundle.
pub const MAGIC: &str = "civitac-bundle";
/// The bundle format's version (the payloads carry the protocol's own).
/// 2: the body is JSON lines (1, one JSON value, never left a test bench).
pub const BUNDLE_VERSION: u32 = 2;
/// A header longer than this is not a bundle's.
const MAX_HEADER: usize = 4096;
/// The largest body a bundle may unpack to (a scale-50 first fill is about
/// half of it).
const MAX_UNPACKED: u64 = 4 << 30;
/// The longest line of a body: a page of thousands of rows is a few MB.
const MAX_LINE: u64 = 256 << 20;
const MAC_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// From a replica to the hub: ops to apply.
    Ops,
    /// From the hub back to that replica: outcomes and changes.
    Answer,
}

/// What a bundle says of itself, readable before its signature is checked
/// (the hub needs the device to find the key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub kind: Kind,
    /// The device whose key signs it: the one that wrote an `Ops` bundle,
    /// the one an `Answer` is for.
    pub device: String,
    /// This bundle's own id (an answer names the bundle it answers).
    pub id: String,
    pub created_at: String,
    /// Bytes of the compressed body that follow the header.
    pub body_len: u64,
    /// Which key signed it (a short hash of the key): when the signature
    /// does not hold, says whether the file changed or the key did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// A short, one-way name for a key.
pub fn key_id(key: &str) -> String {
    let digest = Sha256::digest(format!("civitac bundle key id\0{key}").as_bytes());
    crate::hex(&digest[..8])
}

/// A replica's work for the hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpsBody {
    /// Where the replica stands in the hub's history: the answer brings
    /// every change after it.
    pub cursor: String,
    /// The hub epoch the cursor belongs to (none before a first pull).
    pub epoch: Option<String>,
    pub push: PushRequest,
}

/// The first line of the hub's answer to one ops bundle; a line per pull
/// page follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerHead {
    /// The ops bundle answered.
    pub answers: String,
    /// The cursor the pages start from (the request's, or the start of a
    /// fresh snapshot when the hub was restored since the replica's cursor).
    pub since: String,
    /// The hub epoch the ops bundle said the replica knew: a fresh
    /// snapshot is taken only by a replica still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_epoch: Option<String>,
    pub push: PushResponse,
}

/// A page of an answer (`PullResponse`), one line each.
pub type AnswerPage = PullResponse;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BundleError {
    #[error("not a civitac bundle")]
    NotABundle,
    #[error("bundle format {0} is not supported (this civitac reads format {BUNDLE_VERSION})")]
    Version(u32),
    #[error("the bundle is cut short: {have} of {want} bytes")]
    Truncated { have: u64, want: u64 },
    #[error("the bundle was altered or damaged (its signature does not match)")]
    Tampered,
    #[error(
        "the bundle was signed with another key than this device has here (the hub's bundle-key file changed, the device logged in again since, or the bundle was forged): log the device in again where there is a link, then export a new bundle"
    )]
    OtherKey,
    #[error("the bundle's content is unreadable: {0}")]
    Body(String),
}

fn mac(key: &str) -> hmac::Hmac<Sha256> {
    // HMAC takes a key of any length.
    <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"))
}

/// A bundle being written: lines of JSON into the compressed body, then
/// `finish` adds the header and the signature.
pub struct Sealer {
    kind: Kind,
    device: String,
    id: String,
    body: zstd::Encoder<'static, Vec<u8>>,
}

impl Sealer {
    pub fn new(kind: Kind, device: &str, id: &str) -> Result<Sealer, BundleError> {
        Ok(Sealer {
            kind,
            device: device.to_owned(),
            id: id.to_owned(),
            body: zstd::Encoder::new(Vec::new(), 9)
                .map_err(|e| BundleError::Body(e.to_string()))?,
        })
    }

    /// One line of the body.
    pub fn line<T: Serialize>(&mut self, value: &T) -> Result<(), BundleError> {
        use std::io::Write;
        serde_json::to_writer(&mut self.body, value)
            .map_err(|e| BundleError::Body(e.to_string()))?;
        self.body
            .write_all(b"\n")
            .map_err(|e| BundleError::Body(e.to_string()))
    }

    /// The whole file, signed with `key`.
    pub fn finish(self, key: &str) -> Result<Vec<u8>, BundleError> {
        let packed = self
            .body
            .finish()
            .map_err(|e| BundleError::Body(e.to_string()))?;
        let header = Header {
            kind: self.kind,
            device: self.device,
            id: self.id,
            created_at: crate::time::now(),
            body_len: packed.len() as u64,
            key_id: Some(key_id(key)),
        };
        let mut out = format!("{MAGIC} {BUNDLE_VERSION}\n").into_bytes();
        serde_json::to_writer(&mut out, &header).map_err(|e| BundleError::Body(e.to_string()))?;
        out.push(b'\n');
        out.extend_from_slice(&packed);
        let mut m = mac(key);
        m.update(&out);
        out.extend_from_slice(&m.finalize().into_bytes());
        Ok(out)
    }
}

/// A bundle of one line.
pub fn seal<T: Serialize>(
    kind: Kind,
    device: &str,
    id: &str,
    key: &str,
    body: &T,
) -> Result<Vec<u8>, BundleError> {
    let mut s = Sealer::new(kind, device, id)?;
    s.line(body)?;
    s.finish(key)
}

/// A bundle read but not yet trusted: its header, and where its body is.
#[derive(Debug)]
pub struct Unopened<'a> {
    pub header: Header,
    signed: &'a [u8],
    body: &'a [u8],
    signature: &'a [u8],
}

/// Reads a bundle's header; nothing else in it is looked at.
pub fn read_header(bytes: &[u8]) -> Result<Unopened<'_>, BundleError> {
    let line = |from: usize| -> Result<usize, BundleError> {
        bytes[from..]
            .iter()
            .take(MAX_HEADER)
            .position(|&b| b == b'\n')
            .map(|i| from + i)
            .ok_or(BundleError::NotABundle)
    };
    let first_end = line(0)?;
    let first = std::str::from_utf8(&bytes[..first_end]).map_err(|_| BundleError::NotABundle)?;
    let version = first
        .strip_prefix(MAGIC)
        .and_then(|v| v.strip_prefix(' '))
        .ok_or(BundleError::NotABundle)?;
    let version: u32 = version.parse().map_err(|_| BundleError::NotABundle)?;
    if version != BUNDLE_VERSION {
        return Err(BundleError::Version(version));
    }
    let header_end = line(first_end + 1)?;
    let header: Header = serde_json::from_slice(&bytes[first_end + 1..header_end])
        .map_err(|_| BundleError::NotABundle)?;
    let body_start = header_end + 1;
    let have = bytes.len() as u64;
    // A header may claim any length: never trusted into an overflow.
    let want = (body_start as u64)
        .checked_add(header.body_len)
        .and_then(|n| n.checked_add(MAC_LEN as u64))
        .ok_or(BundleError::NotABundle)?;
    if have < want {
        return Err(BundleError::Truncated { have, want });
    }
    if have > want {
        // Bytes after the signature: not what was signed.
        return Err(BundleError::Tampered);
    }
    let body_end = body_start + header.body_len as usize;
    Ok(Unopened {
        header,
        signed: &bytes[..body_end],
        body: &bytes[body_start..body_end],
        signature: &bytes[body_end..],
    })
}

impl<'a> Unopened<'a> {
    /// Checks the signature with the device's key; then the body's lines
    /// can be read, one at a time.
    pub fn open_lines(self, key: &str) -> Result<Lines<'a>, BundleError> {
        let mut m = mac(key);
        m.update(self.signed);
        if m.verify_slice(self.signature).is_err() {
            return Err(match &self.header.key_id {
                Some(id) if *id != key_id(key) => BundleError::OtherKey,
                _ => BundleError::Tampered,
            });
        }
        let unpacked = zstd::Decoder::new(self.body)
            .map_err(|e| BundleError::Body(e.to_string()))?
            .take(MAX_UNPACKED);
        Ok(Lines {
            reader: std::io::BufReader::new(unpacked),
            line: String::new(),
        })
    }

    /// A bundle of one line: checked, then read.
    pub fn open<T: for<'de> Deserialize<'de>>(self, key: &str) -> Result<T, BundleError> {
        self.open_lines(key)?
            .read()?
            .ok_or_else(|| BundleError::Body("empty".into()))
    }
}

/// The lines of a signed body, unpacked as they are read.
pub struct Lines<'a> {
    reader: std::io::BufReader<std::io::Take<zstd::Decoder<'static, std::io::BufReader<&'a [u8]>>>>,
    line: String,
}

impl Lines<'_> {
    /// The next line, or `None` at the end.
    pub fn read<T: for<'de> Deserialize<'de>>(&mut self) -> Result<Option<T>, BundleError> {
        use std::io::{BufRead, Read};
        self.line.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE)
            .read_line(&mut self.line)
            .map_err(|e| BundleError::Body(e.to_string()))?;
        if n == 0 {
            // The end, or the most a bundle may unpack to: never taken for
            // a short bundle.
            if self.reader.get_ref().limit() == 0 {
                return Err(BundleError::Body(format!(
                    "it unpacks to more than {} GiB",
                    MAX_UNPACKED >> 30
                )));
            }
            return Ok(None);
        }
        if n as u64 == MAX_LINE && !self.line.ends_with('\n') {
            return Err(BundleError::Body(format!(
                "a line longer than {} MiB",
                MAX_LINE >> 20
            )));
        }
        serde_json::from_str(&self.line)
            .map(Some)
            .map_err(|e| BundleError::Body(e.to_string()))
    }
}

/// The cursor a list of pages ends at (`since` when there are none).
pub fn last_cursor(since: &str, pages: &[PullResponse]) -> String {
    pages
        .last()
        .map_or_else(|| since.to_owned(), |p| p.next.to_string())
}

/// Parses a cursor carried in a bundle.
pub fn cursor(text: &str) -> Result<Cursor, BundleError> {
    text.parse()
        .map_err(|e: crate::protocol::BadCursor| BundleError::Body(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> Vec<u8> {
        let body = serde_json::json!({"hello": "monde"});
        seal(Kind::Ops, "dev-1", "b-1", "key", &body).expect("seal")
    }

    #[test]
    fn a_bundle_opens_with_its_key_only() {
        let bytes = sealed();
        let u = read_header(&bytes).expect("header");
        assert_eq!(u.header.device, "dev-1");
        assert_eq!(u.header.kind, Kind::Ops);
        let v: serde_json::Value = u.open("key").expect("open");
        assert_eq!(v["hello"], "monde");
        let u = read_header(&bytes).expect("header");
        assert_eq!(
            u.open::<serde_json::Value>("other").unwrap_err(),
            BundleError::OtherKey
        );
    }

    #[test]
    fn every_byte_changed_or_cut_is_refused() {
        let bytes = sealed();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            let opened = read_header(&bad).and_then(|u| u.open::<serde_json::Value>("key"));
            assert!(opened.is_err(), "byte {i} changed and still opened");
        }
        for n in 0..bytes.len() {
            let opened = read_header(&bytes[..n]).and_then(|u| u.open::<serde_json::Value>("key"));
            assert!(opened.is_err(), "cut at {n} and still opened");
        }
        let cut = read_header(&bytes[..bytes.len() - 5]).unwrap_err();
        assert!(matches!(cut, BundleError::Truncated { .. }), "{cut:?}");
        let mut longer = bytes.clone();
        longer.push(b'x');
        assert_eq!(read_header(&longer).unwrap_err(), BundleError::Tampered);
    }

    #[test]
    fn another_format_or_file_says_so() {
        assert_eq!(
            read_header(b"civitac-bundle 9\n{}\n").unwrap_err(),
            BundleError::Version(9)
        );
        assert_eq!(
            read_header(b"PK\x03\x04 a zip file").unwrap_err(),
            BundleError::NotABundle
        );
        assert_eq!(read_header(b"").unwrap_err(), BundleError::NotABundle);
        let huge = format!(
            "civitac-bundle {BUNDLE_VERSION}\n{{\"kind\":\"ops\",\"device\":\"d\",\"id\":\"i\",\"created_at\":\"t\",\"body_len\":{}}}\nxx",
            u64::MAX
        );
        assert_eq!(
            read_header(huge.as_bytes()).unwrap_err(),
            BundleError::NotABundle
        );
        let long = format!("civitac-bundle {BUNDLE_VERSION}\n{}", "x".repeat(10_000));
        assert_eq!(
            read_header(long.as_bytes()).unwrap_err(),
            BundleError::NotABundle
        );
    }
}
