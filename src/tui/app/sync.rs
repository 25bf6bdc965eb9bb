//! Sync and file fetching: started on their threads; what they report comes
//! back on the console's channel and is said on the status line.

use std::path::PathBuf;
use std::time::Instant;

use super::App;
use crate::store::views;
use crate::tui::strings;
use crate::tui::syncer::News;

impl App {
    pub(super) fn start_sync(&mut self) -> Result<(), String> {
        let lang = self.model.lang;
        let Some(syncer) = self.syncer.as_mut().filter(|s| s.configured()) else {
            return Err(strings::NO_HUB_LOGIN.get(lang).into());
        };
        if syncer.is_running() {
            self.model.info(strings::ALREADY_SYNCING.get(lang));
        } else if syncer.start() {
            self.model.info(strings::SYNCING.get(lang));
        }
        Ok(())
    }

    /// News from the sync thread: progress, or the outcome said on the
    /// status line (and the screen reloaded: the sync wrote through its own
    /// connection).
    pub(super) fn sync_news(&mut self, news: News, now: Instant) {
        let Some(syncer) = self.syncer.as_mut() else {
            return;
        };
        let lang = self.model.lang;
        if let News::Bundle(result) = news {
            syncer.bundle_over();
            // Said, and kept for `M` (the status line shows its start).
            let (text, error) = match result {
                Ok(done) => (strings::bundle_done(lang, &done), false),
                Err(e) => (e, true),
            };
            self.model.say(crate::text::inline(&text), error);
            self.seen_data_version = views::data_version(self.store.conn());
            self.refresh_all();
            return;
        }
        let Some(outcome) = syncer.news(news, now) else {
            return;
        };
        let (text, error) = match outcome {
            Ok(s) => (
                strings::synced(lang, &s),
                s.rejected > 0 || s.conflict > 0 || s.skew_warning().is_some(),
            ),
            Err(f) => {
                let wait = self.syncer.as_ref().and_then(|s| s.retry_in(now));
                (strings::sync_failed(lang, &f.message, wait), true)
            }
        };
        self.model.say(crate::text::inline(&text), error);
        self.seen_data_version = views::data_version(self.store.conn());
        self.refresh_all();
    }

    pub(super) fn fetch(&mut self, upload_id: String) -> Result<(), String> {
        let lang = self.model.lang;
        let Some(fetcher) = self.fetcher.as_mut() else {
            return Err(strings::NO_HUB_FILES.get(lang).into());
        };
        let (sha, filename) =
            views::upload_file(self.store.conn(), &upload_id).map_err(|e| e.to_string())?;
        let cached = crate::replica::files::cached(&fetcher.cache, &sha);
        if cached.is_file() {
            self.model.info(strings::already_here(
                lang,
                &crate::text::inline(&filename),
                cached.display(),
            ));
            return Ok(());
        }
        fetcher.request(upload_id, sha);
        self.model
            .info(strings::fetching(lang, &crate::text::inline(&filename)));
        Ok(())
    }

    pub(super) fn fetched(&mut self, upload_id: &str, result: Result<PathBuf, String>) {
        if let Some(f) = self.fetcher.as_mut() {
            f.fetched();
        }
        let lang = self.model.lang;
        match result {
            Ok(path) => self
                .model
                .info(strings::file_verified(lang, upload_id, path.display())),
            Err(e) => self
                .model
                .error(strings::file_not_fetched(lang, upload_id, &e)),
        }
    }
}
