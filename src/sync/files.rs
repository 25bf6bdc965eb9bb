//! Upload contents: the hub keeps them by SHA-256; a replica fetches one on
//! demand into its cache, under its hash. A download goes to `<hash>.part`
//! and resumes from where it stopped (HTTP Range); only once the bytes match
//! the hash is it renamed into place, so what the cache holds is always
//! whole and verified.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::transport::{HubClient, TransportError};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
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
            FileError::Io { .. } | FileError::BadHash(_) => false,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_owned(),
        source,
    }
}

pub fn valid_hash(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The SHA-256 of a file, in lowercase hex.
pub fn hash_file(path: &Path) -> Result<String, FileError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::hex(&hasher.finalize()))
}

/// Where a verified file is (or will be) in a cache.
pub fn cached(cache: &Path, sha256: &str) -> PathBuf {
    cache.join(sha256)
}

/// Fetches one file into `cache` unless it is there; returns its path.
/// A cut leaves the `.part` file for the next call to resume.
pub fn fetch(
    client: &mut HubClient,
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
    client: &mut HubClient,
    cache: &Path,
    sha256: &str,
    retries: u32,
) -> Result<PathBuf, FileError> {
    let mut attempt = 0;
    loop {
        match fetch(client, cache, sha256, &mut |_, _| {}) {
            Err(e) if e.is_temporary() && attempt < retries => {
                std::thread::sleep(super::session::backoff(attempt, None));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Adds a file to a hub's store under its hash (written whole, then renamed).
pub fn store(files: &Path, source: &Path) -> Result<(String, u64), FileError> {
    let sha256 = hash_file(source)?;
    crate::store::create_private_dir(files).map_err(io(files))?;
    let dest = files.join(&sha256);
    let len = std::fs::metadata(source).map_err(io(source))?.len();
    if !dest.is_file() {
        let tmp = files.join(format!("{sha256}.adding"));
        std::fs::copy(source, &tmp).map_err(io(&tmp))?;
        // Uploads not yet reviewed are the hub's to serve, nobody else's.
        crate::store::restrict(&tmp).map_err(io(&tmp))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
    }
    Ok((sha256, len))
}

/// Writes bytes into a hub's store under their hash.
pub fn store_bytes(files: &Path, bytes: &[u8]) -> Result<String, FileError> {
    let sha256 = crate::hex(&Sha256::digest(bytes));
    crate::store::create_private_dir(files).map_err(io(files))?;
    let dest = files.join(&sha256);
    if !dest.is_file() {
        let tmp = files.join(format!("{sha256}.adding"));
        crate::store::write_private(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
    }
    Ok(sha256)
}
