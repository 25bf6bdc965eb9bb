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
        Ok(config)
    }

    pub fn lang(&self) -> Option<Lang> {
        match self.lang.as_deref() {
            Some("en") => Some(Lang::En),
            Some("fr") => Some(Lang::Fr),
            _ => None,
        }
    }
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
    }
}
