//! The user's `config.toml` (see `civitac paths`): defaults a person sets once.
//! Command-line options win over it. Unknown keys are an error naming the
//! file and line, like everything else the user writes.

use std::path::Path;

use serde::Deserialize;

use crate::i18n::Lang;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// "fr" or "en".
    pub lang: Option<String>,
    /// A built-in keymap name (default, vim, azerty) or a file path.
    pub keymap: Option<String>,
    /// The replica to open when `--db` is not given.
    pub db: Option<std::path::PathBuf>,
    /// `false` leaves the mouse to the terminal (so text can be selected and copied).
    pub mouse: Option<bool>,
    /// The console for a thin link: no colour, panes without side borders.
    pub low_bandwidth: Option<bool>,
    /// Where older versions kept one hub token for the whole OS account;
    /// read so such a file still loads, never used: credentials belong to
    /// each replica (`replica.db.hub.toml`), and the next login removes it.
    pub hub: Option<HubConfig>,
    /// SMS quiet hours, local time, e.g. "21:00-07:00": notices wait, alerts ask first.
    pub quiet_hours: Option<String>,
    /// Where the public platform shows a record: a URL with `{kind}` (post,
    /// thread, citizen, organization, upload) and `{id}` (the platform's own
    /// id), e.g. "https://civitac.bf/{kind}s/{id}".
    pub platform_url: Option<String>,
    /// Days an op the hub answered stays in this replica's outbox when no hub
    /// backup is known to hold it (default 30): a hub restored from an older
    /// backup gets it again.
    pub keep_pushed_days: Option<u32>,
    /// Percent of a table a `--where` batch may select without
    /// `--all-matching` (default 20).
    pub batch_share_limit: Option<u32>,
    /// The reasons the confirm dialog offers, by decision (`post.hide`,
    /// `post.remove`, `upload.reject`, `upload.request_changes`,
    /// `enrollment.reject`, `enrollment.suspend`, `sms.cancel`): each team
    /// keeps its own; the chosen one is stored as text, like a typed one.
    pub reasons: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// The time zone times are shown in (`Africa/Ouagadougou`,
    /// `Africa/Niamey`…; the system's by default). Stored times stay UTC.
    pub timezone: Option<String>,
}

/// A hub to talk to: its address, the device token, and its authority.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    pub url: String,
    /// The device token: this file is kept readable by its owner only.
    pub token: String,
    /// A PEM file of the authority that signed the hub's certificate.
    pub ca: Option<std::path::PathBuf>,
    /// The key bundles are signed with (from the hub at login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_key: Option<String>,
}

impl Config {
    /// Reads the file if it exists; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let config: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            format!("{}:{line}: {}", path.display(), e.message().trim())
        })?;
        if let Some(l) = &config.lang
            && !matches!(l.as_str(), "fr" | "en")
        {
            return Err(format!("{}: lang = \"{l}\" (fr or en)", path.display()));
        }
        if let Some(q) = &config.quiet_hours
            && crate::sms::quiet::QuietHours::parse(q).is_none()
        {
            return Err(format!(
                "{}: quiet_hours = \"{q}\" (HH:MM-HH:MM, e.g. \"21:00-07:00\")",
                path.display()
            ));
        }
        if let Some(u) = &config.platform_url
            && !valid_platform_url(u)
        {
            return Err(format!(
                "{}: platform_url = \"{}\" (an http(s) URL with {{id}}, e.g. \"https://civitac.bf/{{kind}}s/{{id}}\")",
                path.display(),
                crate::text::inline(u)
            ));
        }
        Ok(config)
    }

    /// Records the replica a plain `civitac` opens (if given) and drops the
    /// `[hub]` table older versions kept here (credentials now belong to each
    /// replica), keeping everything else in the file as it was. The file is
    /// replaced atomically, readable by its owner only.
    pub fn remember_replica(path: &Path, db: Option<&Path>) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(fail(&e)),
        };
        let mut table: toml::Table = text.parse().map_err(|e| fail(&e))?;
        let legacy = table.remove("hub").is_some();
        if db.is_none() && !legacy {
            return Ok(());
        }
        if let Some(db) = db {
            table.insert("db".into(), toml::Value::String(db.display().to_string()));
        }
        let out = toml::to_string(&table).map_err(|e| fail(&e))?;
        if let Some(dir) = path.parent() {
            crate::store::create_private_dir(dir).map_err(|e| fail(&e))?;
        }
        let tmp = path.with_extension("toml.new");
        crate::store::write_private(&tmp, out.as_bytes()).map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail(&e))
    }

    pub fn lang(&self) -> Option<Lang> {
        match self.lang.as_deref() {
            Some("en") => Some(Lang::En),
            Some("fr") => Some(Lang::Fr),
            _ => None,
        }
    }
}

fn valid_platform_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.contains("{id}")
        && crate::text::is_plain(u)
        && !u.contains(' ')
}

static PLATFORM_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the process's platform URL template (from `config.toml`, once at start).
pub fn set_platform_url(template: &str) {
    let _ = PLATFORM_URL.set(template.to_owned());
}

/// The public page of a record the platform knows by `id`, if a
/// `platform_url` is configured. The id is percent-encoded, so whatever the
/// platform calls its records, the link stays one URL.
pub fn platform_link(kind: &str, id: &str) -> Option<String> {
    PLATFORM_URL.get().map(|t| fill_platform_url(t, kind, id))
}

/// What every platform link starts with (the template up to its first
/// placeholder), for finding the links on a screen.
pub fn platform_url_prefix() -> Option<String> {
    let t = PLATFORM_URL.get()?;
    let prefix = &t[..t.find('{').unwrap_or(t.len())];
    (prefix.len() > "https://".len()).then(|| prefix.to_owned())
}

pub fn fill_platform_url(template: &str, kind: &str, id: &str) -> String {
    let mut encoded = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    template.replace("{kind}", kind).replace("{id}", &encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_and_names_bad_lines() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        assert_eq!(
            Config::load(&path).expect("missing is fine"),
            Config::default()
        );
        std::fs::write(&path, "lang = \"en\"\nkeymap = \"vim\"\n").expect("write");
        let c = Config::load(&path).expect("ok");
        assert_eq!(c.lang(), Some(Lang::En));
        assert_eq!(c.keymap.as_deref(), Some("vim"));
        std::fs::write(&path, "lang = \"en\"\ncolour = \"blue\"\n").expect("write");
        let err = Config::load(&path).expect_err("unknown key");
        assert!(err.contains("config.toml:2:"), "{err}");
        std::fs::write(&path, "lang = \"wo\"\n").expect("write");
        assert!(Config::load(&path).is_err());
        std::fs::write(&path, "platform_url = \"javascript:{id}\"\n").expect("write");
        assert!(Config::load(&path).is_err());
        std::fs::write(
            &path,
            "platform_url = \"https://civitac.bf/{kind}s/{id}\"\n",
        )
        .expect("write");
        assert!(Config::load(&path).is_ok());
    }

    #[test]
    fn platform_links_encode_the_id() {
        assert_eq!(
            fill_platform_url("https://civitac.bf/{kind}s/{id}", "post", "doc/2026 1"),
            "https://civitac.bf/posts/doc%2F2026%201"
        );
    }
}
