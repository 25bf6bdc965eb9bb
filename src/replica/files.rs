//! Upload contents on a replica: fetched on demand into its cache, under
//! their hash. A download goes to `<hash>.part`
//! and resumes from where it stopped (HTTP Range); only once the bytes match
//! the hash is it renamed into place, so what the cache holds is always
//! whole and verified.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::protocol::files::{FileIoError, io};
pub use crate::protocol::files::{hash_file, valid_hash};
use crate::protocol::remote::{Remote, TransportError};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Io(#[from] FileIoError),
    #[error("the file received does not match its SHA-256 ({expected}); it was discarded")]
    Mismatch { expected: String },
    #[error("\"{0}\" is not a SHA-256")]
    BadHash(String),
}

impl FileError {
    pub fn is_temporary(&self) -> bool {
        match self {
            FileError::Transport(t) => t.is_temporary(),
            FileError::Mismatch { .. } => true,
            FileError::Io(_) | FileError::BadHash(_) => false,
        }
    }
}

/// Where a verified file is (or will be) in a cache.
pub fn cached(cache: &Path, sha256: &str) -> PathBuf {
    cache.join(sha256)
}

/// Fetches one file into `cache` unless it is there; returns its path.
/// A cut leaves the `.part` file for the next call to resume.
pub fn fetch(
    client: &mut dyn Remote,
    cache: &Path,
    sha256: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PathBuf, FileError> {
    if !valid_hash(sha256) {
        return Err(FileError::BadHash(sha256.chars().take(80).collect()));
    }
    let done = cached(cache, sha256);
    if done.is_file() {
        return Ok(done);
    }
    crate::store::create_private_dir(cache).map_err(io(cache))?;
    let part = cache.join(format!("{sha256}.part"));
    let offset = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&part)
        .map_err(io(&part))?;
    let total = match client.file_range(sha256, offset, &mut out) {
        Ok(total) => total,
        // The part is longer than the file (it changed, or was corrupt): start over.
        Err(TransportError::Http { status: 416, .. }) if offset > 0 => {
            drop(out);
            std::fs::remove_file(&part).map_err(io(&part))?;
            return fetch(client, cache, sha256, progress);
        }
        Err(e) => return Err(e.into()),
    };
    out.flush().map_err(io(&part))?;
    out.sync_all().map_err(io(&part))?;
    drop(out);
    let have = std::fs::metadata(&part).map_err(io(&part))?.len();
    progress(have, total);
    if have < total {
        return Err(FileError::Transport(TransportError::Unreachable {
            url: client.base().to_owned(),
            why: format!("the download stopped at {have} of {total} bytes; it will resume"),
        }));
    }
    if hash_file(&part)? != sha256 {
        std::fs::remove_file(&part).map_err(io(&part))?;
        return Err(FileError::Mismatch {
            expected: sha256.to_owned(),
        });
    }
    std::fs::rename(&part, &done).map_err(io(&done))?;
    Ok(done)
}

/// `fetch`, tried again after temporary failures (each resumes where the
/// last stopped), up to `retries` more times with growing waits.
pub fn fetch_retrying(
    client: &mut dyn Remote,
    cache: &Path,
    sha256: &str,
    retries: u32,
) -> Result<PathBuf, FileError> {
    let mut attempt = 0;
    loop {
        match fetch(client, cache, sha256, &mut |_, _| {}) {
            Err(e) if e.is_temporary() && attempt < retries => {
                std::thread::sleep(crate::retry::backoff(attempt, None));
                attempt += 1;
            }
            other => return other,
        }
    }
}
