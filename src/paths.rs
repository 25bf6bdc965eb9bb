//! Where civitac keeps things by default, from the platform's conventions
//! (XDG on Linux, Known Folders on Windows, ~/Library on macOS).

use std::path::PathBuf;

use directories::ProjectDirs;

#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Option<Paths> {
        let dirs = ProjectDirs::from("bf", "Civitac", "civitac")?;
        Some(Paths {
            config_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_local_dir().to_owned(),
            cache_dir: dirs.cache_dir().to_owned(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn keymap_file(&self) -> PathBuf {
        self.config_dir.join("keymap.toml")
    }

    pub fn replica(&self) -> PathBuf {
        self.data_dir.join("replica.db")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    pub fn file_cache(&self) -> PathBuf {
        self.cache_dir.join("files")
    }

    pub fn demo_dir(&self) -> PathBuf {
        self.data_dir.join("demo")
    }
}
