//! The hub's file store: upload contents kept under their SHA-256, each
//! written whole under a temporary name and then renamed, so a file in the
//! store is always complete.

use std::path::Path;

use crate::protocol::files::{FileIoError, hash_bytes, hash_file, io};

/// Adds a file to a hub's store under its hash (written whole, then renamed).
pub fn store(files: &Path, source: &Path) -> Result<(String, u64), FileIoError> {
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
pub fn store_bytes(files: &Path, bytes: &[u8]) -> Result<String, FileIoError> {
    let sha256 = hash_bytes(bytes);
    crate::store::create_private_dir(files).map_err(io(files))?;
    let dest = files.join(&sha256);
    if !dest.is_file() {
        let tmp = files.join(format!("{sha256}.adding"));
        crate::store::write_private(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
    }
    Ok(sha256)
}
