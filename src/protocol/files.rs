//! How an upload's content is named on both sides: its SHA-256 in lowercase
//! hex. The hub stores files under it; a replica caches them under it and
//! trusts a download only once its bytes hash to it.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file that could not be read or written, named.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FileIoError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Names `path` in an I/O error.
pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileIoError + '_ {
    move |source| FileIoError {
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
pub fn hash_file(path: &Path) -> Result<String, FileIoError> {
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

/// The SHA-256 of bytes, in lowercase hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    crate::hex(&Sha256::digest(bytes))
}
