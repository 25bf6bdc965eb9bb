//! Conflicts on the Synchro screen, and opening the record behind a row.

use super::App;
use crate::i18n::Lang;
use crate::store::entity::Entity;
use crate::store::views;
use crate::tui::screens::{Screen, View};

impl App {
    pub(super) fn selected_conflicts(&mut self) -> Result<Vec<String>, String> {
        let lang = self.lang;
        if self.screen != Screen::Sync || self.page_ref().view() != View::Conflicts {
            return Err(lang
                .pick(
                    "sur l'écran Synchro, vue des conflits (touche v)",
                    "on the Sync screen's conflicts view (key v)",
                )
                .into());
        }
        let ids = self.with_list(|l, _| l.targets()).unwrap_or_default();
        if ids.is_empty() {
            return Err(lang
                .pick("aucun conflit sélectionné", "no conflict selected")
                .into());
        }
        Ok(ids)
    }

    pub(super) fn accept_theirs(&mut self) -> Result<(), String> {
        let ids = self.selected_conflicts()?;
        let n = crate::replica::outbox::accept_theirs(self.store.conn(), &ids)
            .map_err(|e| e.to_string())?;
        if let Some(l) = self.list() {
            l.clear_marks();
        }
        self.info(match self.lang {
            Lang::Fr => format!("{n} conflit(s) clos : la version du hub est gardée"),
            Lang::En => format!("{n} conflict(s) closed: the hub's version stays"),
        });
        self.refresh_all();
        Ok(())
    }

    /// Opens the conflict's record on its screen, filtered to it, so the
    /// person decides again with a normal op (which closes the conflict).
    pub(super) fn open_conflict_record(&mut self) -> Result<(), String> {
        let lang = self.lang;
        if self.screen == Screen::Sms && self.page_ref().view() == View::SmsGroups {
            // A group's members: the contacts view, filtered to it.
            let Some(group) = self
                .with_list(|l, _| l.targets())
                .and_then(|t| t.into_iter().next())
            else {
                return Err(lang
                    .pick("aucun groupe sélectionné", "no group selected")
                    .into());
            };
            self.page().set_view(View::SmsContacts);
            self.refresh_all();
            let result = self
                .with_list(|l, conn| l.set_filter(conn, &format!("group={group}")))
                .unwrap_or(Ok(()));
            result?;
            self.info(lang.pick(
                "membres du groupe (f pour changer le filtre, O pour désinscrire)",
                "the group's members (f to change the filter, O to opt out)",
            ));
            return Ok(());
        }
        let ids = self.selected_conflicts()?;
        let (entity, id) =
            views::conflict_record(self.store.conn(), &ids[0]).map_err(|e| e.to_string())?;
        let screen = match Entity::parse(&entity).and_then(Screen::of) {
            Some(screen) => screen,
            None => {
                return Err(match lang {
                    Lang::Fr => format!(
                        "pas d'écran pour redécider sur {entity} {id} : acceptez la version du hub (t)"
                    ),
                    Lang::En => format!(
                        "no screen to decide again on {entity} {id}: accept the hub's version (t)"
                    ),
                });
            }
        };
        self.go(screen);
        let result = self
            .with_list(|l, conn| l.set_filter(conn, &format!("id={id}")))
            .unwrap_or(Ok(()));
        result?;
        self.info(lang.pick(
            "fiche du conflit : décidez à nouveau (la décision close le conflit) ; f pour changer le filtre",
            "the conflict's record: decide again (that closes the conflict); f to change the filter",
        ));
        Ok(())
    }
}
