//! Device tokens: each belongs to one staff member and one device. The hub
//! keeps only the token's SHA-256; the token itself is shown once, when
//! issued. A revoked token is refused from the moment it is revoked.

use rand::RngCore;
use rusqlite::params;

use crate::domain::staff::Role;
use crate::store::Actor;
use crate::store::sql::{Optional, Sql};

/// Tokens start with this, so a leaked one is recognisable in logs and scans.
pub const PREFIX: &str = "cvt_";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error(
        "staff {login} is {existing}, not {asked}: change a role deliberately (hub staff set-role), not by issuing a token"
    )]
    RoleMismatch {
        login: String,
        existing: Role,
        asked: Role,
    },
    #[error("device name \"{0}\" is already used by a live token of this staff member")]
    DeviceTaken(String),
    #[error("no device \"{0}\"")]
    NoDevice(String),
    #[error("unknown or revoked token")]
    Refused,
    #[error("{field} \"{}\": 1 to 64 printable characters, no control or invisible ones", crate::text::truncate(&crate::text::inline(.value), 40))]
    BadName { field: &'static str, value: String },
    #[error("{0:?} is the hub's own name for its decisions; choose another login")]
    Reserved(String),
    #[error(
        "staff {0} was switched off (hub staff deactivate): no new device; `hub staff reactivate` first"
    )]
    Inactive(String),
    #[error("database: {0}")]
    Sqlite(String),
}

impl From<crate::store::sql::DbError> for TokenError {
    fn from(e: crate::store::sql::DbError) -> Self {
        TokenError::Sqlite(e.to_string())
    }
}

impl From<rusqlite::Error> for TokenError {
    fn from(e: rusqlite::Error) -> Self {
        TokenError::Sqlite(e.to_string())
    }
}

pub fn hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::hex(&Sha256::digest(token.as_bytes()))
}

/// A device as `token list` shows it (never the token).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Device {
    pub id: String,
    pub login: String,
    pub role: Role,
    pub name: String,
    pub revoked_at: Option<String>,
}

/// Issues a token for `login` on `device`, creating the staff member if new.
/// Returns (device id, token); the token is not stored and cannot be shown again.
pub fn issue(
    conn: &dyn Sql,
    login: &str,
    display_name: Option<&str>,
    role: Role,
    device: &str,
) -> Result<(String, String), TokenError> {
    check_name("--staff", login)?;
    // A person called "system" would sign the hub's own decisions.
    if crate::ops::RESERVED_LOGINS
        .iter()
        .any(|r| login.eq_ignore_ascii_case(r))
    {
        return Err(TokenError::Reserved(login.to_owned()));
    }
    check_name("--device", device)?;
    if let Some(name) = display_name {
        check_name("--name", name)?;
    }
    let existing: Option<(String, Role, bool)> = conn
        .query_row(
            "SELECT id, role, active FROM staff WHERE login = ?1",
            [login],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let staff_id = match existing {
        // Someone switched off gets no new device.
        Some((_, _, false)) => return Err(TokenError::Inactive(login.to_owned())),
        Some((_, existing, _)) if existing != role => {
            return Err(TokenError::RoleMismatch {
                login: login.to_owned(),
                existing,
                asked: role,
            });
        }
        Some((id, _, _)) => id,
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            conn.execute(
                "INSERT INTO staff (id, login, display_name, role) VALUES (?1, ?2, ?3, ?4)",
                params![id, login, display_name.unwrap_or(login), role],
            )?;
            // Replicas learn of new colleagues (names in the audit log) by the feed.
            crate::ops::record_change(conn, "staff", &id)?;
            id
        }
    };
    let taken: bool = conn
        .prepare_cached(
            "SELECT 1 FROM devices WHERE staff_id = ?1 AND name = ?2 AND revoked_at IS NULL",
        )?
        .exists(params![staff_id, device])?;
    if taken {
        return Err(TokenError::DeviceTaken(device.to_owned()));
    }
    let token = new_secret();
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO devices (id, staff_id, name, token_sha256, revoked_at) VALUES (?1, ?2, ?3, ?4, NULL)",
        params![id, staff_id, device, hash(&token)],
    )?;
    Ok((id, token))
}

pub fn list(conn: &dyn Sql) -> Result<Vec<Device>, TokenError> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, s.login, s.role, d.name, d.revoked_at FROM devices d JOIN staff s ON s.id = d.staff_id
         ORDER BY s.login, d.name, d.id",
    )?;
    let rows = stmt
        .query_map((), |r| {
            Ok(Device {
                id: r.get(0)?,
                login: r.get(1)?,
                role: r.get(2)?,
                name: r.get(3)?,
                revoked_at: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Revokes a device by id (or by name when the name is unambiguous).
pub fn revoke(conn: &dyn Sql, device: &str) -> Result<Device, TokenError> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM devices WHERE (id = ?1 OR name = ?1) AND revoked_at IS NULL
             AND (SELECT count(*) FROM devices WHERE (id = ?1 OR name = ?1) AND revoked_at IS NULL) = 1",
            [device],
            |r| r.get(0),
        )
        .optional()?;
    let id = id.ok_or_else(|| TokenError::NoDevice(device.to_owned()))?;
    conn.execute(
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1",
        params![id, crate::time::now()],
    )?;
    list(conn)?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| TokenError::NoDevice(device.to_owned()))
}

fn new_secret() -> String {
    format!("{PREFIX}{}", random_hex(32))
}

/// `n` random bytes from the OS-seeded generator, in hex (secrets, keys).
pub fn random_hex(n: usize) -> String {
    let mut secret = vec![0u8; n];
    rand::rng().fill_bytes(&mut secret);
    crate::hex(&secret)
}

/// A device named by id (a bundle names its device instead of presenting a
/// token): who it speaks for, the key its bundles are signed with (its
/// token's hash), and whether it may still speak at all.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedDevice {
    pub actor: Actor,
    pub device_name: String,
    pub key: String,
    pub revoked_at: Option<String>,
    pub staff_active: bool,
}

/// A device's bundle key: an HMAC, under the hub's bundle secret (a file
/// beside the database, never in it), of the device and its token's hash.
/// The hub recomputes it; the device receives it at login.
pub fn bundle_key(secret: &str, device_id: &str, token_sha256: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    m.update(b"civitac bundle key\0");
    m.update(device_id.as_bytes());
    m.update(b"\0");
    m.update(token_sha256.as_bytes());
    crate::hex(&m.finalize().into_bytes())
}

/// The staff member and device a query's first five columns name (staff
/// id, login, display name, role, device id).
fn actor_of(r: &crate::store::sql::Row) -> rusqlite::Result<Actor> {
    Ok(Actor {
        staff_id: r.get(0)?,
        login: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        device: r.get(4)?,
    })
}

pub fn device_by_id(conn: &dyn Sql, id: &str) -> Result<Option<KeyedDevice>, TokenError> {
    Ok(conn
        .prepare_cached(
            "SELECT s.id, s.login, s.display_name, s.role, d.id, d.name, d.token_sha256,
                    d.revoked_at, s.active
             FROM devices d JOIN staff s ON s.id = d.staff_id WHERE d.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(KeyedDevice {
                actor: actor_of(r)?,
                device_name: r.get(5)?,
                key: r.get(6)?,
                revoked_at: r.get(7)?,
                staff_active: r.get(8)?,
            })
        })
        .optional()?)
}

/// Who presented a token: a staff member's device, or the public platform.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Device { actor: Actor, device_name: String },
    Platform { name: String },
}

/// Who a presented token speaks for, or `Refused` (unknown, revoked).
pub fn authenticate(conn: &dyn Sql, token: &str) -> Result<Principal, TokenError> {
    let digest = hash(token);
    let device = conn
        .prepare_cached(
            "SELECT s.id, s.login, s.display_name, s.role, d.id, d.name FROM devices d JOIN staff s ON s.id = d.staff_id
             WHERE d.token_sha256 = ?1 AND d.revoked_at IS NULL AND s.active = 1",
        )?
        .query_row([&digest], |r| {
            Ok(Principal::Device {
                actor: actor_of(r)?,
                device_name: r.get(5)?,
            })
        })
        .optional()?;
    if let Some(d) = device {
        return Ok(d);
    }
    conn.prepare_cached(
        "SELECT name FROM platform_tokens WHERE token_sha256 = ?1 AND revoked_at IS NULL",
    )?
    .query_row([&digest], |r| Ok(Principal::Platform { name: r.get(0)? }))
    .optional()?
    .ok_or(TokenError::Refused)
}

/// Issues a token for the public platform, which may only ingest.
/// Names staff type and others read (logins, device names): plain text only,
/// so nothing printed or logged later can drive a terminal.
fn check_name(field: &'static str, value: &str) -> Result<(), TokenError> {
    let n = value.chars().count();
    if n == 0 || n > 64 || value.trim() != value || !crate::text::is_plain(value) {
        return Err(TokenError::BadName {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

pub fn issue_platform(conn: &dyn Sql, name: &str) -> Result<(String, String), TokenError> {
    check_name("--device", name)?;
    let taken: bool = conn
        .prepare_cached("SELECT 1 FROM platform_tokens WHERE name = ?1 AND revoked_at IS NULL")?
        .exists([name])?;
    if taken {
        return Err(TokenError::DeviceTaken(name.to_owned()));
    }
    let token = new_secret();
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO platform_tokens (id, name, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, name, hash(&token), crate::time::now()],
    )?;
    Ok((id, token))
}

/// Revokes a platform token by id or name.
pub fn revoke_platform(conn: &dyn Sql, name: &str) -> Result<bool, TokenError> {
    Ok(conn.execute(
        "UPDATE platform_tokens SET revoked_at = ?2 WHERE (id = ?1 OR name = ?1) AND revoked_at IS NULL",
        params![name, crate::time::now()],
    )? > 0)
}
