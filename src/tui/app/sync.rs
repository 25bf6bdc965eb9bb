//! Sync and file fetching: started on their threads, their news taken
//! back into the model.

use super::{App, Message};
use crate::i18n::Lang;
use crate::store::views;
use crate::tui::screens::Screen;

impl App {
    pub(super) fn start_sync(&mut self) -> Result<(), String> {
        let lang = self.lang;
        let Some(syncer) = self.syncer.as_mut().filter(|s| s.configured()) else {
            return Err(lang
                .pick(
                    "aucun hub : rattachez ce réplica avec `civitac login --hub URL --token JETON`",
                    "no hub: attach this replica with `civitac login --hub URL --token TOKEN`",
                )
                .into());
        };
        if syncer.is_running() {
            self.info(lang.pick("synchronisation déjà en cours", "already syncing"));
        } else if syncer.start() {
            self.info(lang.pick("synchronisation…", "syncing…"));
        }
        Ok(())
    }

    /// Takes the sync thread's news; returns true when the screen changed.
    pub fn poll_sync(&mut self, now: std::time::Instant) -> bool {
        let Some(syncer) = self.syncer.as_mut() else {
            return false;
        };
        let (changed, outcome) = syncer.poll(now);
        let Some(outcome) = outcome else {
            return changed;
        };
        let lang = self.lang;
        match outcome {
            Ok(s) => {
                let mut text = match lang {
                    Lang::Fr => format!("synchro : {} envoyées, {} reçues", s.pushed, s.pulled),
                    Lang::En => format!("synced: {} sent, {} received", s.pushed, s.pulled),
                };
                if s.conflict > 0 {
                    text.push_str(&match lang {
                        Lang::Fr => format!(", {} conflit(s) (v)", s.conflict),
                        Lang::En => format!(", {} conflict(s) (v)", s.conflict),
                    });
                }
                if let Some(skew) = s.skew_warning() {
                    text.push_str(&match lang {
                        Lang::Fr => {
                            format!(" — horloge décalée de {} min : réglez-la", skew.abs() / 60)
                        }
                        Lang::En => format!(" — clock {} min off: set it right", skew.abs() / 60),
                    });
                }
                let error = s.rejected > 0 || s.conflict > 0 || s.skew_warning().is_some();
                if let Some(r) = s.rejections.first() {
                    text.push_str(&format!(
                        " — {} {}: {}",
                        lang.pick("refusée :", "rejected:"),
                        r.action,
                        r.reason
                    ));
                }
                self.message = Some(Message {
                    text: crate::text::inline(&text),
                    error,
                });
            }
            Err(f) => {
                let mut text = format!(
                    "{} {}",
                    lang.pick("synchro échouée :", "sync failed:"),
                    f.message
                );
                if let Some(wait) = self.syncer.as_ref().and_then(|s| s.retry_in(now)) {
                    text.push_str(&match lang {
                        Lang::Fr => format!(" ; nouvel essai dans {} s", wait.as_secs().max(1)),
                        Lang::En => format!("; retrying in {} s", wait.as_secs().max(1)),
                    });
                }
                self.error(crate::text::inline(&text));
            }
        }
        // The sync wrote through its own connection.
        self.seen_data_version = self.data_version();
        self.refresh_all();
        true
    }

    pub(super) fn fetch_file(&mut self) -> Result<(), String> {
        let lang = self.lang;
        if self.screen != Screen::Uploads {
            return Err(lang
                .pick("sur l'écran Publications", "on the Uploads screen")
                .into());
        }
        let Some(id) = self
            .with_list(|l, _| l.targets())
            .and_then(|t| t.into_iter().next())
        else {
            return Err(lang
                .pick("aucune ligne sélectionnée", "no row selected")
                .into());
        };
        let Some(fetcher) = self.fetcher.as_mut() else {
            return Err(lang
                .pick(
                    "aucun hub : les fichiers viennent du hub (`civitac login`)",
                    "no hub: files come from the hub (`civitac login`)",
                )
                .into());
        };
        let (sha, filename) =
            views::upload_file(self.store.conn(), &id).map_err(|e| e.to_string())?;
        let cached = crate::replica::files::cached(&fetcher.cache, &sha);
        if cached.is_file() {
            self.info(format!(
                "{} {} : {}",
                lang.pick("déjà là", "already here"),
                crate::text::inline(&filename),
                cached.display()
            ));
            return Ok(());
        }
        fetcher.request(id, sha);
        self.info(format!(
            "{} {}",
            lang.pick("téléchargement de", "fetching"),
            crate::text::inline(&filename)
        ));
        Ok(())
    }

    /// Reports files fetched since the last look; true when the screen changed.
    pub fn poll_files(&mut self) -> bool {
        let Some((id, result)) = self
            .fetcher
            .as_mut()
            .and_then(crate::tui::syncer::Fetcher::poll)
        else {
            return false;
        };
        let lang = self.lang;
        match result {
            Ok(path) => self.info(format!(
                "{} {id} : {}",
                lang.pick(
                    "fichier vérifié (SHA-256) pour",
                    "file verified (SHA-256) for"
                ),
                path.display()
            )),
            Err(e) => self.error(format!(
                "{} {id} : {e}",
                lang.pick("fichier non récupéré pour", "file not fetched for")
            )),
        }
        true
    }
}
