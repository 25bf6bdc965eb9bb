//! The public platform's ids: how a record the platform knows by its own id
//! gets the internal id it keeps everywhere here.

use sha2::{Digest, Sha256};

/// The longest platform id taken, in characters.
pub const PLATFORM_ID_MAX: usize = 128;

/// The internal id of a record the public platform knows by `platform_id`
/// (its own id: an integer, a slug, a UUID): the same platform id always
/// gives the same internal id, so a post ingested twice is one post. A UUID is
/// kept (canonical lowercase); anything else becomes a UUID derived from the
/// entity and the id, so a post and a thread both called "42" stay apart.
/// Refused: empty, over 128 characters, or holding any control, bidi or
/// zero-width character.
pub fn internal_id(entity: &str, platform_id: &str) -> Result<String, String> {
    let n = platform_id.chars().count();
    if platform_id.trim().is_empty() {
        return Err("empty".into());
    }
    if n > PLATFORM_ID_MAX {
        return Err(format!("{n} characters (at most {PLATFORM_ID_MAX})"));
    }
    if !crate::text::is_plain(platform_id) {
        return Err(format!(
            "\"{}\" holds control or invisible characters",
            crate::text::inline(platform_id)
        ));
    }
    // " 42" and "42" would be two posts nobody can tell apart on screen.
    if platform_id.trim() != platform_id {
        return Err(format!(
            "\"{}\" starts or ends with a space",
            crate::text::inline(platform_id)
        ));
    }
    // The same text typed two ways (é as one character or e + accent) is one id.
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = platform_id.nfc().collect();
    let platform_id = nfc.as_str();
    if let Ok(u) = uuid::Uuid::parse_str(platform_id) {
        return Ok(u.hyphenated().to_string());
    }
    let digest = Sha256::digest(format!("civitac-platform\n{entity}\n{platform_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Ok(uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}
