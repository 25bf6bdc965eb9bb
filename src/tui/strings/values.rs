//! The console's messages that carry values (counts, names, times), French
//! first: each a function of the values it shows.

use std::fmt::Display;

use crate::i18n::Lang;
use crate::ops::decisions::Decision;

pub fn too_small(
    lang: Lang,
    min_width: impl Display,
    min_height: impl Display,
    width: impl Display,
    height: impl Display,
) -> String {
    match lang {
        Lang::Fr => format!(
            "Terminal trop petit : {min_width}×{min_height} minimum (actuel {width}×{height})"
        ),
        Lang::En => {
            format!("Terminal too small: {min_width}×{min_height} minimum (now {width}×{height})")
        }
    }
}

/// The help panel's heading; `title` is the screen's (French, English) title.
pub fn keys_on_screen(lang: Lang, title: (&str, &str)) -> String {
    match lang {
        Lang::Fr => format!("Raccourcis de l'écran {} (depuis le keymap actif)", title.0),
        Lang::En => format!("Keys on the {} screen (from the live keymap)", title.1),
    }
}

/// `verb` is already capitalised and in `lang`.
/// An undo that takes a batch back: what it is about.
pub fn undo_batch_label(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!("{n} fiches, décidées ensemble"),
        Lang::En => format!("{n} records, decided together"),
    }
}

pub fn undo_last(lang: Lang, action: impl Display, label: &str) -> String {
    match lang {
        Lang::Fr => format!("Annuler votre dernière décision « {action} » sur « {label} » ?"),
        Lang::En => format!("Undo your last decision \"{action}\" on \"{label}\"?"),
    }
}

pub fn hidden_marked(lang: Lang, n: usize) -> String {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    match lang {
        Lang::Fr => format!(
            "dont {} que le filtre actuel masque",
            crate::i18n::counted(lang, n, "ligne marquée", "lignes marquées")
        ),
        Lang::En => format!(
            "including {} the current filter hides",
            crate::i18n::counted(lang, n, "marked row", "marked rows")
        ),
    }
}

/// A key's name as the person reads it: "entrée", "échap", "espace" in
/// French (keymaps and English keep "enter", "esc", "space").
pub fn key_words(key: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return key.to_owned();
    }
    match key {
        "enter" => "entrée".into(),
        "esc" => "échap".into(),
        "space" => "espace".into(),
        "pageup" => "pg.préc".into(),
        "pagedown" => "pg.suiv".into(),
        "home" => "début".into(),
        "end" => "fin".into(),
        "backspace" => "retour arr.".into(),
        other => other.to_owned(),
    }
}

pub fn confirm_cancel(lang: Lang, confirm: &str, cancel: &str) -> String {
    match lang {
        Lang::Fr => format!("{confirm} valider   {cancel} annuler"),
        Lang::En => format!("{confirm} confirm   {cancel} cancel"),
    }
}

/// The reasons the confirm dialog offers when the config names none.
pub fn usual_reasons(decision: &Decision, lang: Lang) -> Vec<String> {
    use crate::domain::enrollment::EnrollmentAction as E;
    use crate::domain::forum::PostAction as P;
    use crate::domain::uploads::ReviewDecision as R;
    let list: &[(&str, &str)] = match decision {
        Decision::Moderate(P::Hide | P::Remove) => &[
            ("Spam", "Spam"),
            ("Propos injurieux", "Abusive language"),
            ("Données personnelles", "Personal data"),
            ("Hors sujet", "Off topic"),
            ("Désinformation", "Misinformation"),
        ],
        Decision::Citizen {
            action:
                crate::domain::forum::CitizenAction::Mute | crate::domain::forum::CitizenAction::Ban,
            ..
        } => &[
            ("Spam répété", "Repeated spam"),
            ("Propos injurieux", "Abusive language"),
            ("Menaces", "Threats"),
            ("Usurpation d'identité", "Impersonation"),
        ],
        Decision::OptIn => &[
            (
                "A rappelé pour se réinscrire",
                "Called back to opt in again",
            ),
            ("A répondu OUI par SMS", "Answered YES by SMS"),
            ("Accord donné en personne", "Agreed in person"),
        ],
        Decision::Lock(true) => &[
            ("Discussion hors de contrôle", "Discussion out of hand"),
            ("Sujet clos", "Topic closed"),
            ("Vague de spam", "Spam wave"),
        ],
        Decision::Review(R::Reject) => &[
            ("Document illisible", "Unreadable document"),
            ("Mauvais document", "Wrong document"),
            ("Données incomplètes", "Incomplete data"),
            ("Hors du périmètre de la charte", "Outside the charter"),
        ],
        Decision::Review(R::RequestChanges) => &[
            ("Document illisible", "Unreadable document"),
            ("Mauvaise catégorie", "Wrong category"),
            ("Données incomplètes", "Incomplete data"),
            ("Année ou période manquante", "Missing year or period"),
        ],
        Decision::Enrollment(E::Reject, _) => &[
            ("Charte non signée", "Charter not signed"),
            (
                "Doublon d'une organisation inscrite",
                "Duplicate of an enrolled organisation",
            ),
            ("Hors du périmètre de la charte", "Outside the charter"),
        ],
        Decision::Enrollment(E::Suspend, _) => &[
            ("Charte non respectée", "Charter breached"),
            ("Inactivité prolongée", "Long inactivity"),
            (
                "À la demande de l'organisation",
                "At the organisation's request",
            ),
        ],
        Decision::CancelSms => &[
            ("Erreur dans le texte", "Mistake in the text"),
            ("Mauvais groupe", "Wrong group"),
            ("N'est plus d'actualité", "No longer relevant"),
        ],
        _ => &[],
    };
    list.iter()
        .map(|(fr, en)| lang.pick(fr, en).to_owned())
        .collect()
}

/// The line under the notice: whether it goes out, and the key to change it.
pub fn notice_toggle(lang: Lang, key: &str, notify: bool) -> String {
    match (lang, notify) {
        (Lang::Fr, true) => format!("{key} ne pas prévenir l'auteur"),
        (Lang::En, true) => format!("{key} do not notify the author"),
        (Lang::Fr, false) => format!("L'auteur ne sera pas prévenu ({key} pour le prévenir)"),
        (Lang::En, false) => format!("The author will not be told ({key} to notify)"),
    }
}

pub fn sms_count(
    lang: Lang,
    encoding: &str,
    chars: usize,
    segments: u32,
    recipients: i64,
    total: i64,
) -> String {
    let chars = i64::try_from(chars).unwrap_or(i64::MAX);
    match lang {
        Lang::Fr => format!(
            "{encoding} · {} · {} · {} (désinscrits exclus) → {}",
            crate::i18n::counted(lang, chars, "caractère", "caractères"),
            crate::i18n::counted(lang, segments, "segment", "segments"),
            crate::i18n::counted(lang, recipients, "destinataire", "destinataires"),
            crate::i18n::counted(lang, total, "segment", "segments"),
        ),
        Lang::En => format!(
            "{encoding} · {} · {} · {} (opted-out excluded) → {}",
            crate::i18n::counted(lang, chars, "character", "characters"),
            crate::i18n::counted(lang, segments, "segment", "segments"),
            crate::i18n::counted(lang, recipients, "recipient", "recipients"),
            crate::i18n::counted(lang, total, "segment", "segments"),
        ),
    }
}

pub fn ucs2_because(lang: Lang, forcing: &str) -> String {
    match lang {
        Lang::Fr => format!(
            "En UCS-2 à cause de : {forcing}  (ctrl-o remplace ’ « » œ … sans toucher aux lettres)"
        ),
        Lang::En => {
            format!("UCS-2 because of: {forcing}  (ctrl-o replaces ’ « » œ … and never a letter)")
        }
    }
}

pub fn quiet_hours_note(lang: Lang, hours: impl Display) -> String {
    match lang {
        Lang::Fr => format!("Heures calmes : {hours} (seules les alertes, après confirmation)"),
        Lang::En => format!("Quiet hours: {hours} (alerts only, after confirming)"),
    }
}

/// After a list's title, when rows are marked.
pub fn marked(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!(" — {n} {}", if n > 1 { "marqués" } else { "marqué" }),
        Lang::En => format!(" — {n} marked"),
    }
}

pub fn replaced_all(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!(
            "{} : GSM-7",
            crate::i18n::counted(lang, n as i64, "caractère remplacé", "caractères remplacés")
        ),
        Lang::En => format!(
            "{} replaced: GSM-7",
            crate::i18n::counted(lang, n as i64, "character", "characters")
        ),
    }
}

pub fn replaced_some(lang: Lang, n: usize, left: &str) -> String {
    match lang {
        Lang::Fr => format!(
            "{n} {} ; restent en UCS-2 (lettres gardées) : {left}",
            if n > 1 { "remplacés" } else { "remplacé" }
        ),
        Lang::En => format!("{n} replaced; still UCS-2 (letters kept): {left}"),
    }
}

pub fn quiet_notice_waits(lang: Lang, hours: impl Display) -> String {
    match lang {
        Lang::Fr => format!("heures calmes ({hours}) : un avis attend ; programmez-le après (Tab)"),
        Lang::En => format!("quiet hours ({hours}): a notice waits; schedule it after (Tab)"),
    }
}

pub fn quiet_alert_confirm(lang: Lang, hours: impl Display) -> String {
    match lang {
        Lang::Fr => {
            format!("alerte pendant les heures calmes ({hours}) : Entrée encore pour confirmer")
        }
        Lang::En => format!("alert during quiet hours ({hours}): Enter again to confirm"),
    }
}

pub fn possible_duplicate(lang: Lang, name: &str, status: impl Display) -> String {
    match lang {
        Lang::Fr => format!("doublon possible : « {name} » ({status}), même commune"),
        Lang::En => format!("possible duplicate: \"{name}\" ({status}), same commune"),
    }
}

pub fn author_record(
    lang: Lang,
    name: impl Display,
    status: impl Display,
    posts: impl Display,
    hidden: impl Display,
) -> String {
    match lang {
        Lang::Fr => {
            format!("{name} ({status}, {posts} messages dont {hidden} masqués ou supprimés)")
        }
        Lang::En => format!("{name} ({status}, {posts} posts, {hidden} hidden or removed)"),
    }
}

/// The author in a few words, for the line under a post.
pub fn author_brief(
    lang: Lang,
    name: impl Display,
    status: impl Display,
    posts: i64,
    hidden: i64,
) -> String {
    match lang {
        Lang::Fr => {
            let posts = plural(posts, "message", "messages");
            format!(
                "{name} ({status}, {posts}, {hidden} masqué{})",
                if hidden > 1 { "s" } else { "" }
            )
        }
        Lang::En => format!(
            "{name} ({status}, {}, {hidden} hidden)",
            plural(posts, "post", "posts")
        ),
    }
}

/// "1 message", "20 messages": a count with its noun agreeing.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n.abs() > 1 { many } else { one })
}

/// Where the rest of a message too long for its line is.
pub fn read_all(lang: Lang, key: &str) -> String {
    match lang {
        Lang::Fr => format!(" ({key} : tout lire)"),
        Lang::En => format!(" ({key}: read all)"),
    }
}

/// One SMS an approval sends, in a line.
pub fn sms_approval_fact(
    lang: Lang,
    body: &str,
    group: &str,
    recipients: i64,
    segments: i64,
    author: &str,
) -> String {
    let total = recipients * segments;
    match lang {
        Lang::Fr => format!(
            "« {body} » → {group} : {} × {} = {} — rédigé par {author}",
            crate::i18n::counted(lang, recipients, "destinataire", "destinataires"),
            crate::i18n::counted(lang, segments, "segment", "segments"),
            crate::i18n::counted(lang, total, "SMS", "SMS"),
        ),
        Lang::En => format!(
            "“{body}” → {group}: {} × {} = {total} SMS — written by {author}",
            crate::i18n::counted(lang, recipients, "recipient", "recipients"),
            crate::i18n::counted(lang, segments, "segment", "segments"),
        ),
    }
}

pub fn and_more(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!("… et {n} autre{}", if n > 1 { "s" } else { "" }),
        Lang::En => format!("… and {n} more"),
    }
}

/// Refused before the dialog: one's own SMS need another's approval.
pub fn own_sms(lang: Lang, own: usize, of: usize) -> String {
    match (lang, own == of) {
        (Lang::Fr, true) if own == 1 => {
            "vous avez rédigé ce SMS : un autre membre de l'équipe doit l'approuver".into()
        }
        (Lang::Fr, true) => {
            "vous avez rédigé ces SMS : un autre membre de l'équipe doit les approuver".into()
        }
        (Lang::Fr, false) => format!(
            "{own} des {of} SMS marqués sont de vous : un autre membre de l'équipe doit les approuver (retirez-les de la sélection)"
        ),
        (Lang::En, true) => "you wrote this: another staff member must approve it".into(),
        (Lang::En, false) => format!(
            "{own} of the {of} marked SMS are yours: another staff member must approve them (unmark them)"
        ),
    }
}

pub fn opted_out_on(lang: Lang, at: &str) -> String {
    match lang {
        Lang::Fr => format!("désinscrit le {at} : ne reçoit aucun SMS, quel que soit le groupe"),
        Lang::En => format!("opted out on {at}: gets no SMS, whatever the group"),
    }
}

pub fn retry_in(lang: Lang, secs: impl Display) -> String {
    match lang {
        Lang::Fr => format!("Nouvel essai automatique dans {secs} s (s : maintenant)."),
        Lang::En => format!("Retrying by itself in {secs} s (s: now)."),
    }
}

pub fn mime_mismatch(lang: Lang, mime: &str) -> String {
    match lang {
        Lang::Fr => format!("le type {mime} ne correspond pas à l'extension du fichier"),
        Lang::En => format!("type {mime} does not match the file extension"),
    }
}

/// The first keymap error, and how many more there are.
pub fn keymap_errors(lang: Lang, first: impl Display, more: usize) -> String {
    match lang {
        Lang::Fr if more > 0 => {
            format!(
                "raccourcis : {first} (et {more} {} : civitac keymap check)",
                if more > 1 { "autres" } else { "autre" }
            )
        }
        Lang::En if more > 0 => format!("keymap: {first} (and {more} more: civitac keymap check)"),
        _ => format!("{}: {first}", lang.pick("raccourcis", "keymap")),
    }
}

pub fn marked_by_filter(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!("{n} lignes du filtre marquées"),
        Lang::En => format!("{n} rows of the filter marked"),
    }
}

/// Every chosen author or thread is already where the decision would take
/// it: nothing to ask.
pub fn already_so(lang: Lang, decision: &Decision) -> String {
    let (fr, en) = decision.verb();
    match lang {
        Lang::Fr => format!("rien à {fr} : déjà fait, ou impossible dans leur état actuel"),
        Lang::En => format!("nothing to {en}: already done, or not possible as they are now"),
    }
}

/// Those left out of a decision because they are already past it.
pub fn left_out(lang: Lang, n: usize, decision: &Decision) -> String {
    let noun = decision.noun(n, lang);
    match lang {
        Lang::Fr => format!(
            "{noun} laissé{} de côté : déjà dans cet état ou au-delà",
            if n > 1 { "s" } else { "" }
        ),
        Lang::En => format!("{noun} left out: already so, or past it"),
    }
}

/// Before a second organisation of the same name in a commune is saved.
pub fn same_name_registered(lang: Lang, name: &str, commune: &str, status: &str) -> String {
    match lang {
        Lang::Fr => format!(
            "« {name} » est déjà inscrite à {commune} ({status}) : {}",
            super::SAVE_ANYWAY.get(lang)
        ),
        Lang::En => format!(
            "\"{name}\" is already registered in {commune} ({status}): {}",
            super::SAVE_ANYWAY.get(lang)
        ),
    }
}

pub fn application_recorded(lang: Lang, name: &str) -> String {
    match lang {
        Lang::Fr => format!("candidature de « {name} » enregistrée"),
        Lang::En => format!("application of \"{name}\" recorded"),
    }
}

/// After "same text": copies marked, and copies the filter leaves out.
pub fn same_text_marked(lang: Lang, marked: usize, outside: usize) -> String {
    let mut text = match lang {
        Lang::Fr => format!(
            "{} au même texte {}",
            plural(marked as i64, "message", "messages"),
            if marked > 1 { "marqués" } else { "marqué" }
        ),
        Lang::En => format!(
            "{} with the same text marked",
            plural(marked as i64, "post", "posts")
        ),
    };
    if outside > 0 {
        text.push_str(&match lang {
            Lang::Fr => format!(
                " ({outside} autre{} hors de ce filtre : déjà masqué{} ou non signalé{})",
                if outside > 1 { "s" } else { "" },
                if outside > 1 { "s" } else { "" },
                if outside > 1 { "s" } else { "" }
            ),
            Lang::En => format!(" ({outside} more outside this filter: hidden or unflagged)"),
        });
    }
    text
}

/// The authors a sanction goes to, and the posts it hides with them.
pub fn authors_fact(lang: Lang, names: &[String], more: usize, posts: i64) -> Vec<String> {
    let mut list = names.join(", ");
    if more > 0 {
        list.push_str(&match lang {
            Lang::Fr => format!(" et {more} autre{}", if more > 1 { "s" } else { "" }),
            Lang::En => format!(" and {more} more"),
        });
    }
    let mut out = vec![list];
    if posts >= 0 {
        out.push(match lang {
            Lang::Fr => {
                format!("Leurs messages visibles ({posts}) seront masqués, avec le même motif.")
            }
            Lang::En => {
                format!("Their visible posts ({posts}) will be hidden, with the same reason.")
            }
        });
    }
    out
}

pub fn no_screen_for(lang: Lang, entity: &str, id: &str) -> String {
    match lang {
        Lang::Fr => {
            format!("pas d'écran pour redécider sur {entity} {id} : acceptez la version du hub (t)")
        }
        Lang::En => {
            format!("no screen to decide again on {entity} {id}: accept the hub's version (t)")
        }
    }
}

pub fn nothing_changed(lang: Lang, why: &str) -> String {
    match lang {
        Lang::Fr => format!("rien n'a été modifié : {why}"),
        Lang::En => format!("nothing was changed: {why}"),
    }
}

pub fn nothing_changed_refused(lang: Lang, refused: usize, why: &str) -> String {
    match lang {
        Lang::Fr => format!("rien n'a été modifié : {refused} refus, dont {why}"),
        Lang::En => format!("nothing was changed: {refused} refused, e.g. {why}"),
    }
}

pub fn sms_queued(lang: Lang, group: &str, segments: u32, recipients: i64) -> String {
    let total = i64::from(segments) * recipients;
    match lang {
        Lang::Fr => format!(
            "SMS en file pour {group} : {} × {} = {total}",
            crate::i18n::counted(lang, segments, "segment", "segments"),
            crate::i18n::counted(lang, recipients, "destinataire", "destinataires"),
        ),
        Lang::En => format!(
            "SMS queued for {group}: {} × {} = {total}",
            crate::i18n::counted(lang, segments, "segment", "segments"),
            crate::i18n::counted(lang, recipients, "recipient", "recipients"),
        ),
    }
}

pub fn conflicts_closed(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!(
            "{} : la version du hub est gardée",
            crate::i18n::counted(lang, n as i64, "conflit clos", "conflits clos")
        ),
        Lang::En => format!(
            "{} closed: the hub's version stays",
            crate::i18n::counted(lang, n as i64, "conflict", "conflicts")
        ),
    }
}

/// What a sync did, in one line.
/// A bundle written, or an answer applied.
pub fn bundle_done(lang: Lang, done: &crate::tui::syncer::BundleDone) -> String {
    use crate::i18n::counted;
    use crate::tui::syncer::BundleDone;
    match done {
        BundleDone::Exported { path, done } => match lang {
            Lang::Fr => format!(
                "paquet écrit : {} ({}) — à importer au hub",
                path.display(),
                counted(lang, done.ops as i64, "opération", "opérations")
            ),
            Lang::En => format!(
                "bundle written: {} ({}) — to import at the hub",
                path.display(),
                counted(lang, done.ops as i64, "op", "ops")
            ),
        },
        BundleDone::Imported { done, .. } if done.already => lang
            .pick(
                "réponse déjà importée : rien n'a changé",
                "answer already imported: nothing changed",
            )
            .to_owned(),
        BundleDone::Imported { done, .. } => {
            let summary = crate::replica::session::Summary {
                pushed: done.applied + done.duplicate + done.conflict + done.rejected,
                applied: done.applied,
                duplicate: done.duplicate,
                conflict: done.conflict,
                rejected: done.rejected,
                pulled: done.pulled,
                ..Default::default()
            };
            let synced = synced(lang, &summary);
            let rest = synced
                .strip_prefix(lang.pick("synchro : ", "synced: "))
                .unwrap_or(&synced);
            let mut text = format!(
                "{}{rest}",
                lang.pick("paquet importé : ", "bundle imported: ")
            );
            if done.rejected > 0 {
                text.push_str(&match lang {
                    Lang::Fr => format!(
                        ", {}",
                        counted(lang, done.rejected as i64, "refusée", "refusées")
                    ),
                    Lang::En => format!(", {} rejected", done.rejected),
                });
            }
            if done.pending > 0 {
                text.push_str(&match lang {
                    Lang::Fr => format!(
                        " ; {} pour le prochain paquet",
                        counted(
                            lang,
                            done.pending as i64,
                            "opération en attente",
                            "opérations en attente"
                        )
                    ),
                    Lang::En => format!(
                        "; {} waiting for the next bundle",
                        counted(lang, done.pending as i64, "op", "ops")
                    ),
                });
            }
            text
        }
    }
}

pub fn synced(lang: Lang, s: &crate::replica::session::Summary) -> String {
    let mut text = match lang {
        Lang::Fr => format!(
            "synchro : {}, {}",
            crate::i18n::counted(
                lang,
                s.pushed as i64,
                "opération envoyée",
                "opérations envoyées"
            ),
            crate::i18n::counted(lang, s.pulled as i64, "reçue", "reçues")
        ),
        Lang::En => format!("synced: {} sent, {} received", s.pushed, s.pulled),
    };
    if s.conflict > 0 {
        text.push_str(&match lang {
            Lang::Fr => format!(
                ", {} (v)",
                crate::i18n::counted(lang, s.conflict as i64, "conflit", "conflits")
            ),
            Lang::En => format!(
                ", {} (v)",
                crate::i18n::counted(lang, s.conflict as i64, "conflict", "conflicts")
            ),
        });
    }
    if let Some(skew) = s.skew_warning() {
        text.push_str(&match lang {
            Lang::Fr => format!(" — horloge décalée de {} min : réglez-la", skew.abs() / 60),
            Lang::En => format!(" — clock {} min off: set it right", skew.abs() / 60),
        });
    }
    if let Some(r) = s.rejections.first() {
        text.push_str(&format!(
            " — {} {}: {}",
            lang.pick("refusée :", "rejected:"),
            r.action,
            r.reason
        ));
    }
    text
}

pub fn sync_failed(lang: Lang, why: &str, retry: Option<std::time::Duration>) -> String {
    let mut text = format!("{} {why}", lang.pick("synchro échouée :", "sync failed:"));
    if let Some(wait) = retry {
        let secs = wait.as_secs().max(1);
        text.push_str(&match lang {
            Lang::Fr => format!(" ; nouvel essai dans {secs} s"),
            Lang::En => format!("; retrying in {secs} s"),
        });
    }
    text
}

pub fn already_here(lang: Lang, filename: &str, path: impl Display) -> String {
    lang.labelled(
        &format!("{} {filename}", lang.pick("déjà là", "already here")),
        path,
    )
}

pub fn fetching(lang: Lang, filename: &str) -> String {
    format!("{} {filename}", lang.pick("téléchargement de", "fetching"))
}

pub fn file_verified(lang: Lang, id: &str, path: impl Display) -> String {
    let what = lang.pick(
        "fichier vérifié (SHA-256) pour",
        "file verified (SHA-256) for",
    );
    lang.labelled(&format!("{what} {id}"), path)
}

pub fn file_not_fetched(lang: Lang, id: &str, why: &str) -> String {
    let what = lang.pick("fichier non récupéré pour", "file not fetched for");
    lang.labelled(&format!("{what} {id}"), why)
}
