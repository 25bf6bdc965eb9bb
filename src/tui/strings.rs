//! The console's messages, French first, English second: every fixed text
//! a view shows lives here, so a translation is read and changed in one place.
//! Texts with values in them are functions taking those values.

use std::fmt::Display;

use crate::i18n::Lang;

/// A text in French (`.0`) and English (`.1`).
pub struct Text(pub &'static str, pub &'static str);

impl Text {
    /// The text in this language.
    pub fn get(&self, lang: Lang) -> &'static str {
        lang.pick(self.0, self.1)
    }
}

// ---- Shared ----

pub const NEVER: Text = Text("jamais", "never");
pub const LAST_SYNC: Text = Text("Dernière synchro", "Last sync");
pub const REGION: Text = Text("Région", "Region");
pub const STATUS: Text = Text("Statut", "Status");
pub const KIND: Text = Text("Type", "Kind");
pub const PHONE: Text = Text("Téléphone", "Phone");
pub const REASON: Text = Text("Motif", "Reason");
pub const RECORD: Text = Text("Objet", "Record");

// ---- Frame, prompts and status line (view.rs) ----

pub const SEARCH_PROMPT: Text = Text("Rechercher : ", "Search: ");
pub const FILTER_KEY_VALUE: Text = Text("Filtre (clé=valeur …) : ", "Filter (key=value …): ");
pub const FILTER: Text = Text("filtre : ", "filter: ");
pub const SEARCHING: Text = Text("recherche en cours : ", "searching: ");
pub const SEARCH_LABEL: Text = Text("recherche : ", "search: ");
pub const REPLICA_WITHOUT_OWNER: Text = Text("réplica sans propriétaire", "replica without owner");
pub const PENDING_OPS_SHORT: Text = Text("op. en attente", "pending ops");
pub const SYNC_WORD: Text = Text("synchro", "sync");
pub const HELP: Text = Text(" Aide ", " Help ");
pub const COMMANDS: Text = Text(" Commandes ", " Commands ");
pub const REASON_REQUIRED: Text = Text("Motif (obligatoire) : ", "Reason (required): ");
pub const REASON_OPTIONAL: Text = Text("Motif (facultatif) : ", "Reason (optional): ");
pub const CONFIRM: Text = Text(" Confirmer ", " Confirm ");
pub const KIND_PROMPT: Text = Text("Type : ", "Kind: ");
pub const GROUP_PROMPT: Text = Text("Groupe : ", "Group: ");
pub const MESSAGE: Text = Text("Message : ", "Message: ");
pub const SEND: Text = Text("Envoi : ", "Send: ");
pub const SEND_NOW_HINT: Text = Text(
    "maintenant (Tab : programmer, AAAA-MM-JJ HH:MM heure locale)",
    "now (Tab: schedule, YYYY-MM-DD HH:MM local time)",
);
pub const ENTER_QUEUE_ESC_CANCEL: Text = Text(
    "Entrée : mettre en file   Échap : annuler",
    "Enter: queue   Esc: cancel",
);
pub const NEW_SMS: Text = Text(" Nouveau SMS ", " New SMS ");

// ---- Lists (list.rs) ----

pub const NO_ROWS: Text = Text("aucune ligne", "no rows");
pub const DETAIL: Text = Text(" Détail ", " Detail ");

// ---- SMS composer (composer.rs) ----

pub const SEND_TIME_FORMAT_HINT: Text = Text(
    "heure d'envoi : AAAA-MM-JJ HH:MM ou HH:MM (heure locale)",
    "send time: YYYY-MM-DD HH:MM or HH:MM (local time)",
);
pub const THE_SEND_TIME_HAS_PASSED: Text =
    Text("l'heure d'envoi est passée", "the send time has passed");

// ---- Common to screens (screens/mod.rs) ----

pub const YES: Text = Text("oui", "yes");
pub const NO: Text = Text("non", "no");
pub const ON_THE_PLATFORM: Text = Text("Sur la plateforme", "On the platform");
pub const HISTORY: Text = Text("Historique", "History");
pub const NO_DECISION_YET: Text = Text("(aucune décision)", "(no decision yet)");

// ---- Dashboard ----

pub const QUEUE: Text = Text("File", "Queue");
pub const WAITING: Text = Text("En attente", "Waiting");
pub const OLDEST: Text = Text("Plus ancien", "Oldest");
pub const QUEUES: Text = Text(" Files d'attente ", " Queues ");
pub const PENDING_OPS: Text = Text("Opérations en attente", "Pending ops");
pub const CONFLICTS: Text = Text("Conflits", "Conflicts");
pub const SYNC_TITLE: Text = Text(" Synchro ", " Sync ");
pub const APPL: Text = Text("dem.", "appl.");
pub const CHARTER: Text = Text("charte", "charter");
pub const CONT: Text = Text("cont.", "cont.");
pub const ENROL: Text = Text("enrôl.", "enrol.");
pub const REJ: Text = Text("rej.", "rej.");
pub const SUSP: Text = Text("susp.", "susp.");
pub const ENROLMENTS_BY_REGION: Text = Text(" Enrôlements par région ", " Enrolments by region ");
pub const FLAGS_PER_DAY: Text = Text(" Signalements par jour ", " Flags per day ");

// ---- Enrolments ----

pub const ACRONYM: Text = Text("Sigle", "Acronym");
pub const CONTACT: Text = Text("Contact", "Contact");
pub const NAME: Text = Text("Nom", "Name");
pub const ROLE: Text = Text("Fonction", "Role");
pub const CHARTER_SIGNED_ON: Text = Text("Charte signée le", "Charter signed on");
pub const REFERENCE: Text = Text("Référence", "Reference");
pub const APPLIED: Text = Text("Demande", "Applied");
pub const UPDATED: Text = Text("Modifiée", "Updated");

// ---- Uploads ----

pub const ORGANISATION: Text = Text("Organisation", "Organisation");
pub const CATEGORY: Text = Text("Catégorie", "Category");
pub const FILE: Text = Text("Fichier", "File");
pub const SIZE: Text = Text("Taille", "Size");
pub const SUBMITTED: Text = Text("Soumis le", "Submitted");
pub const REVIEWED_BY: Text = Text("Revu par", "Reviewed by");
pub const STATISTICS: Text = Text("Statistiques", "Statistics");
pub const IMPLAUSIBLE: Text = Text("invraisemblable", "implausible");

// ---- Forum ----

pub const AUTHOR: Text = Text("Auteur", "Author");
pub const POSTED: Text = Text("Publié le", "Posted");
pub const FLAGS: Text = Text("Signalements", "Flags");
pub const NONE: Text = Text("aucun", "none");
pub const MODERATED_BY: Text = Text("Modéré par", "Moderated by");

// ---- SMS ----

pub const GROUP: Text = Text("Groupe", "Group");
pub const ENCODING: Text = Text("Encodage", "Encoding");
pub const WRITTEN_BY: Text = Text("Rédigé par", "Written by");
pub const APPROVED_BY: Text = Text("Approuvé par", "Approved by");
pub const SCHEDULED: Text = Text("Prévu", "Scheduled");
pub const SENT_DELIVERED_FAILED: Text =
    Text("Envoyés / remis / échecs", "Sent / delivered / failed");
pub const MEMBERS: Text = Text("Membres", "Members");
pub const OPTED_OUT: Text = Text(
    "Désinscrits (jamais destinataires)",
    "Opted out (never sent to)",
);
pub const ACTUAL_RECIPIENTS: Text = Text("Destinataires réels", "Actual recipients");
pub const MESSAGES: Text = Text("Messages", "Messages");
pub const GROUPS: Text = Text("Groupes", "Groups");

// ---- Sync ----

pub const CONFLICT_EXPLAINED: Text = Text(
    "Le hub a gardé la première décision : la vôtre n'a pas été appliquée. o : rouvrir la fiche et redécider · t : accepter la version du hub",
    "The hub kept the first decision: yours was not applied. o: open the record and decide again · t: accept the hub's version",
);
pub const DECISION_AT_THE_HUB: Text = Text("Décision au hub", "Decision at the hub");
pub const BY: Text = Text("par", "by");
pub const AT: Text = Text("le", "at");
pub const DECIDED_ON_THIS_DEVICE: Text = Text("Décidé sur cet appareil", "Decided on this device");
pub const REFUSAL_RECEIVED_FROM_THE_HUB: Text =
    Text("Refus reçu du hub", "Refusal received from the hub");
pub const MINE: Text = Text("Ma décision", "Mine");
pub const AT_THE_HUB_NOW: Text = Text("Au hub maintenant", "At the hub now");
pub const CREATED: Text = Text("Créée", "Created");
pub const PUSHED: Text = Text("Envoyée", "Pushed");
pub const HUB_S_ANSWER: Text = Text("Réponse du hub", "Hub's answer");
pub const PENDING_OPS_WORD: Text = Text("opérations en attente", "pending ops");
pub const CONFLICTS_WORD: Text = Text("conflits", "conflicts");
pub const NO_HUB_HINT: Text = Text(
    "Aucun hub : `civitac login --hub URL --token JETON` rattache ce réplica.",
    "No hub: `civitac login --hub URL --token TOKEN` attaches this replica.",
);
pub const PUSHING: Text = Text("envoi", "pushing");
pub const FIRST_COPY: Text = Text("copie initiale", "first copy");
pub const ROWS: Text = Text("lignes", "rows");
pub const PULLING: Text = Text("réception", "pulling");
pub const CONNECTING: Text = Text("connexion…", "connecting…");
pub const SYNC_KEYS_HINT: Text = Text(
    "s : synchroniser maintenant · v : conflits · t : accepter la version du hub · o : redécider",
    "s: sync now · v: conflicts · t: accept the hub's version · o: decide again",
);

// ---- Audit log ----

pub const TIME: Text = Text("Date", "Time");
pub const ACTOR: Text = Text("Acteur", "Actor");
pub const DEVICE: Text = Text("Appareil", "Device");

// ---- Composing an SMS (view.rs, composer.rs) ----

pub const ALERT: Text = Text("alerte", "alert");
pub const NOTICE: Text = Text("avis", "notice");
pub const NOTHING_TO_REPLACE: Text = Text(
    "rien à remplacer : le message est en GSM-7",
    "nothing to replace: the message is GSM-7",
);

// ---- Dashboard: ages ----

pub const MINUTES_UNIT: Text = Text("min", "min");
pub const HOURS_UNIT: Text = Text("h", "h");
pub const DAYS_UNIT: Text = Text("j", "d");

// ---- Texts with values ----

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
pub fn decide_rows(lang: Lang, verb: &str, n: impl Display) -> String {
    match lang {
        Lang::Fr => format!("{verb} {n} ligne(s) ?"),
        Lang::En => format!("{verb} {n} row(s)?"),
    }
}

pub fn undo_last(lang: Lang, action: impl Display, label: &str) -> String {
    match lang {
        Lang::Fr => format!("Annuler votre dernière décision « {action} » sur « {label} » ?"),
        Lang::En => format!("Undo your last decision \"{action}\" on \"{label}\"?"),
    }
}

pub fn hidden_marked(lang: Lang, n: impl Display) -> String {
    match lang {
        Lang::Fr => format!("dont {n} marquée(s) que le filtre actuel masque"),
        Lang::En => format!("including {n} marked row(s) the current filter hides"),
    }
}

pub fn confirm_cancel(lang: Lang, confirm: &str, cancel: &str) -> String {
    match lang {
        Lang::Fr => format!("{confirm} valider   {cancel} annuler"),
        Lang::En => format!("{confirm} confirm   {cancel} cancel"),
    }
}

pub fn sms_count(
    lang: Lang,
    encoding: &str,
    chars: impl Display,
    segments: impl Display,
    recipients: impl Display,
    total: impl Display,
) -> String {
    match lang {
        Lang::Fr => format!(
            "{encoding} · {chars} caractères · {segments} segment(s) · {recipients} destinataires (désinscrits exclus) → {total} segments"
        ),
        Lang::En => format!(
            "{encoding} · {chars} characters · {segments} segment(s) · {recipients} recipients (opted-out excluded) → {total} segments"
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
        Lang::Fr => format!(" — {n} marqué(s)"),
        Lang::En => format!(" — {n} marked"),
    }
}

pub fn replaced_all(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!("{n} caractère(s) remplacé(s) : GSM-7"),
        Lang::En => format!("{n} character(s) replaced: GSM-7"),
    }
}

pub fn replaced_some(lang: Lang, n: usize, left: &str) -> String {
    match lang {
        Lang::Fr => format!("{n} remplacé(s) ; restent en UCS-2 (lettres gardées) : {left}"),
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

/// "il y a 3 j" / "3 d ago"; `unit` is already in `lang`.
pub fn ago(lang: Lang, n: impl Display, unit: &str) -> String {
    match lang {
        Lang::Fr => format!("il y a {n} {unit}"),
        Lang::En => format!("{n} {unit} ago"),
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

// ---- Dashboard: queues ----

pub const QUEUE_ENROLMENTS: Text = Text("Enrôlements en cours", "Enrolments in progress");
pub const QUEUE_UPLOADS: Text = Text("Publications à revoir", "Uploads to review");
pub const QUEUE_FLAGGED_POSTS: Text = Text("Messages signalés", "Flagged posts");
pub const QUEUE_SMS_TO_APPROVE: Text = Text("SMS à approuver", "SMS to approve");

// ---- Enrolments: the pipeline line ----

pub const PIPELINE_APPLIED: Text = Text("demandes", "applied");
pub const PIPELINE_CHARTERS: Text = Text("chartes", "charters");
pub const PIPELINE_CONTACTED: Text = Text("contactées", "contacted");
pub const PIPELINE_ENROLLED: Text = Text("enrôlées", "enrolled");
pub const PIPELINE_REJECTED: Text = Text("rejetées", "rejected");
pub const PIPELINE_SUSPENDED: Text = Text("susp.", "susp.");

// ---- Screen and list titles (French, English), as `Meta` and `ListView::new` take them ----

pub const DASHBOARD_TITLE: (&str, &str) = ("Tableau de bord", "Dashboard");
pub const DASHBOARD_SHORT: (&str, &str) = ("Bord", "Home");
pub const ENROLMENTS_TITLE: (&str, &str) = ("Enrôlements", "Enrolments");
pub const ENROLMENTS_SHORT: (&str, &str) = ("Enrôl.", "Enrol.");
pub const UPLOADS_TITLE: (&str, &str) = ("Publications", "Uploads");
pub const UPLOADS_SHORT: (&str, &str) = ("Publ.", "Upl.");
pub const FORUM_TITLE: (&str, &str) = ("Forum", "Forum");
pub const MODERATION_QUEUE_TITLE: (&str, &str) = ("File de modération", "Moderation queue");
pub const SMS_TITLE: (&str, &str) = ("SMS", "SMS");
pub const SMS_MESSAGES_TITLE: (&str, &str) = ("Messages SMS", "SMS messages");
pub const SMS_GROUPS_TITLE: (&str, &str) = ("Groupes SMS", "SMS groups");
pub const SMS_CONTACTS_TITLE: (&str, &str) = ("Contacts SMS", "SMS contacts");
pub const SYNC_SCREEN_TITLE: (&str, &str) = ("Synchro", "Sync");
pub const LOCAL_OPS_TITLE: (&str, &str) = ("Opérations locales", "Local ops");
pub const CONFLICTS_TITLE: (&str, &str) = ("Conflits", "Conflicts");
pub const JOURNAL_TITLE: (&str, &str) = ("Journal", "Audit log");
pub const JOURNAL_SHORT: (&str, &str) = ("Journal", "Log");

// ---- Keys, decisions and their outcomes (model and runner) ----

pub const NO_SEARCH_HERE: Text = Text(
    "pas de recherche plein texte sur cet écran",
    "no full-text search on this screen",
);
pub const ON_UPLOADS_SCREEN: Text = Text("sur l'écran Publications", "on the Uploads screen");
pub const ON_SMS_SCREEN: Text = Text("sur l'écran SMS", "on the SMS screen");
pub const NO_ROW_SELECTED: Text = Text("aucune ligne sélectionnée", "no row selected");
pub const ON_CONFLICTS_VIEW: Text = Text(
    "sur l'écran Synchro, vue des conflits (touche v)",
    "on the Sync screen's conflicts view (key v)",
);
pub const NO_CONFLICT_SELECTED: Text = Text("aucun conflit sélectionné", "no conflict selected");
pub const NO_GROUP_SELECTED: Text = Text("aucun groupe sélectionné", "no group selected");
pub const GROUP_MEMBERS_SHOWN: Text = Text(
    "membres du groupe (f pour changer le filtre, O pour désinscrire)",
    "the group's members (f to change the filter, O to opt out)",
);
pub const CONFLICT_RECORD_SHOWN: Text = Text(
    "fiche du conflit : décidez à nouveau (la décision close le conflit) ; f pour changer le filtre",
    "the conflict's record: decide again (that closes the conflict); f to change the filter",
);
pub const NOT_ON_THIS_SCREEN: Text = Text(
    "cette action ne s'applique pas à cet écran",
    "this action does not apply on this screen",
);
pub const NO_OWNER_NO_DECISIONS: Text = Text(
    "ce réplica n'appartient à personne : aucune décision possible",
    "this replica has no owner: no decisions",
);
pub const NO_OWNER: Text = Text(
    "ce réplica n'appartient à personne",
    "this replica has no owner",
);
pub const A_REASON_IS_REQUIRED: Text = Text("un motif est obligatoire", "a reason is required");
pub const MESSAGE_EMPTY: Text = Text("le message est vide", "the message is empty");
pub const NO_SMS_GROUP: Text = Text("aucun groupe SMS", "no SMS group");
pub const FILTER_WORD: Text = Text("filtre", "filter");
pub const NOTHING_TO_UNDO: Text = Text(
    "rien à annuler : aucune décision non synchronisée",
    "nothing to undo: no unsynced decision",
);
pub const UNDONE: Text = Text("annulé :", "undone:");
pub const NO_HUB_LOGIN: Text = Text(
    "aucun hub : rattachez ce réplica avec `civitac login --hub URL --token JETON`",
    "no hub: attach this replica with `civitac login --hub URL --token TOKEN`",
);
pub const NO_HUB_FILES: Text = Text(
    "aucun hub : les fichiers viennent du hub (`civitac login`)",
    "no hub: files come from the hub (`civitac login`)",
);
pub const ALREADY_SYNCING: Text = Text("synchronisation déjà en cours", "already syncing");
pub const SYNCING: Text = Text("synchronisation…", "syncing…");

/// The first keymap error, and how many more there are.
pub fn keymap_errors(lang: Lang, first: impl Display, more: usize) -> String {
    match lang {
        Lang::Fr if more > 0 => {
            format!("raccourcis : {first} (et {more} autre(s) : civitac keymap check)")
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
            "SMS en file pour {group} : {segments} segment(s) × {recipients} destinataires = {total}"
        ),
        Lang::En => format!(
            "SMS queued for {group}: {segments} segment(s) × {recipients} recipients = {total}"
        ),
    }
}

pub fn conflicts_closed(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Fr => format!("{n} conflit(s) clos : la version du hub est gardée"),
        Lang::En => format!("{n} conflict(s) closed: the hub's version stays"),
    }
}

/// What a sync did, in one line.
pub fn synced(lang: Lang, s: &crate::replica::session::Summary) -> String {
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
    format!(
        "{} {filename} : {path}",
        lang.pick("déjà là", "already here")
    )
}

pub fn fetching(lang: Lang, filename: &str) -> String {
    format!("{} {filename}", lang.pick("téléchargement de", "fetching"))
}

pub fn file_verified(lang: Lang, id: &str, path: impl Display) -> String {
    format!(
        "{} {id} : {path}",
        lang.pick(
            "fichier vérifié (SHA-256) pour",
            "file verified (SHA-256) for"
        )
    )
}

pub fn file_not_fetched(lang: Lang, id: &str, why: &str) -> String {
    format!(
        "{} {id} : {why}",
        lang.pick("fichier non récupéré pour", "file not fetched for")
    )
}
