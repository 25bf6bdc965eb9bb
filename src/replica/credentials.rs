//! A replica's credentials: the hub it syncs with, the device token, and who
//! that token speaks for. They belong to the replica, not to the OS user, so
//! two staff sharing one laptop account each sync their own replica with
//! their own token: kept in a file beside the replica (`replica.db.hub.toml`),
//! readable by its owner only, written whole and renamed into place.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The hub's base URL.
    pub url: String,
    /// The device token.
    pub token: String,
    /// A PEM file of the authority that signed the hub's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    /// The staff member the token speaks for (the hub's `whoami` at login).
    pub staff_id: String,
    pub login: String,
    pub device_id: String,
    /// The key this device signs bundles with (from the hub at login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{}: missing: this replica is not logged in to a hub (`civitac login --hub URL --db {}`)", .path.display(), .db.display())]
    Missing { path: PathBuf, db: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {why}", path.display())]
    Bad {
        path: PathBuf,
        line: usize,
        why: String,
    },
}

/// Where a replica's credentials live: beside it.
pub fn path_for(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".hub.toml");
    PathBuf::from(p)
}

impl Credentials {
    /// The replica's credentials; a missing file says how to log in.
    pub fn load(db: &Path) -> Result<Credentials, CredentialsError> {
        let path = path_for(db);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CredentialsError::Missing {
                    path,
                    db: db.to_owned(),
                });
            }
            Err(source) => return Err(CredentialsError::Io { path, source }),
        };
        toml::from_str(&text).map_err(|e| CredentialsError::Bad {
            line: e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            }),
            why: e.message().trim().to_owned(),
            path,
        })
    }

    /// The credentials if the file exists, `None` if it does not.
    pub fn find(db: &Path) -> Result<Option<Credentials>, CredentialsError> {
        match Self::load(db) {
            Ok(c) => Ok(Some(c)),
            Err(CredentialsError::Missing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes them beside the replica, owner-only, atomically.
    pub fn save(&self, db: &Path) -> Result<(), CredentialsError> {
        let path = path_for(db);
        let io = |source| CredentialsError::Io {
            path: path.clone(),
            source,
        };
        let text = toml::to_string(self).map_err(|e| CredentialsError::Bad {
            path: path.clone(),
            line: 1,
            why: e.to_string(),
        })?;
        // A name of this process's own: two saving at once never write
        // into one temporary file.
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(
            ".{}.{:?}.new",
            std::process::id(),
            std::thread::current().id()
        ));
        let tmp = PathBuf::from(tmp);
        crate::store::write_private(&tmp, text.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// Forgets them (logout); no file is not an error.
    pub fn remove(db: &Path) -> Result<bool, CredentialsError> {
        let path = path_for(db);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(CredentialsError::Io { path, source }),
        }
    }
}

/// Fetches the device's bundle key when this replica's credentials have
/// none (attached before bundles existed): after a sync, while the link is
/// there, so the day there is no link the key is. Returns whether it came.
pub fn fill_bundle_key(
    db: &Path,
    hub: &mut dyn crate::protocol::remote::Remote,
) -> Result<bool, CredentialsError> {
    let mut creds = Credentials::load(db)?;
    if creds.bundle_key.is_some() {
        return Ok(false);
    }
    let Ok(me) = hub.whoami() else {
        return Ok(false);
    };
    if me.device_id != creds.device_id || me.bundle_key.is_none() {
        return Ok(false);
    }
    // A login may have come meanwhile: only the same token's file is kept.
    let now = Credentials::load(db)?;
    if now.token != creds.token || now.bundle_key.is_some() {
        return Ok(false);
    }
    creds.bundle_key = me.bundle_key;
    creds.save(db)?;
    Ok(true)
}

impl From<Credentials> for crate::config::HubConfig {
    fn from(c: Credentials) -> crate::config::HubConfig {
        crate::config::HubConfig {
            url: c.url,
            token: c.token,
            ca: c.ca,
            bundle_key: c.bundle_key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_owner_only_and_name_bad_lines() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("a.db");
        assert!(matches!(
            Credentials::load(&db),
            Err(CredentialsError::Missing { .. })
        ));
        let c = Credentials {
            url: "http://127.0.0.1:1".into(),
            token: "civ_x".into(),
            ca: None,
            staff_id: "s".into(),
            login: "awa".into(),
            device_id: "d".into(),
            bundle_key: Some("k".into()),
        };
        c.save(&db).expect("save");
        assert_eq!(Credentials::load(&db).expect("load"), c);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path_for(&db))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(path_for(&db), "url = \"x\"\ntoken = 3\n").expect("write");
        let err = Credentials::load(&db).expect_err("bad").to_string();
        assert!(err.contains("a.db.hub.toml:2:"), "{err}");
        assert!(Credentials::remove(&db).expect("rm"));
        assert!(!Credentials::remove(&db).expect("rm again"));
    }
}
