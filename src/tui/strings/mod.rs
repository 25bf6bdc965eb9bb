//! The console's messages, French first, English second: every fixed text
//! a view shows lives here, so a translation is read and changed in one place.
//! Texts with values in them are functions taking those values.

use crate::i18n::Lang;

mod actions;
mod values;
pub use actions::action;
pub use values::*;

/// A text in French (`.0`) and English (`.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
/// In the status bar after "synchro": a first fill was cut.
pub const FILL_UNFINISHED: Text = Text("inachevée", "unfinished");
/// Said once when the console finds a first fill cut.
pub const FILL_UNFINISHED_NEWS: Text = Text(
    "Première synchronisation inachevée : listes, recherches et comptes sont incomplets jusqu'à la prochaine synchro.",
    "First sync unfinished: lists, searches and counts are incomplete until the next sync.",
);
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
pub const AS_RECORDED: Text = Text("Tel qu'enregistré", "As recorded");
pub const STUCK_TITLE: (&str, &str) = (
    "En cours, les plus longtemps à la même étape",
    "In progress, longest at their stage",
);
pub const NO_COMMAND: Text = Text("aucune commande", "no command");
pub const NO_MESSAGES: Text = Text("aucun message", "no messages");
pub const MESSAGES_TITLE: Text = Text(" Derniers messages ", " Last messages ");
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
pub const WAITING: Text = Text("Attente", "Waiting");
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
pub const IMPLAUSIBLE_FIGURES: Text = Text("Chiffres invraisemblables", "Implausible figures");

// ---- Forum ----

pub const AUTHOR: Text = Text("Auteur", "Author");
pub const POSTED: Text = Text("Publié le", "Posted");
pub const THREAD: Text = Text("Fil", "Thread");
pub const FLAGS: Text = Text("Signalements", "Flags");
pub const NONE: Text = Text("aucun", "none");
pub const MODERATED_BY: Text = Text("Modéré par", "Moderated by");
pub const NOTICE_TO_AUTHOR: Text = Text("Message à l'auteur : ", "Message to the author: ");
pub const WORD_HELD: Text = Text("retenu pour examen", "held for review");
pub const WORD_FLAGGED: Text = Text("signalé", "flagged");
pub const WORD_REJECTED: Text = Text("rejeté", "rejected");

// ---- SMS ----

pub const GROUP: Text = Text("Groupe", "Group");
pub const ENCODING: Text = Text("Encodage", "Encoding");
pub const WRITTEN_BY: Text = Text("Rédigé par", "Written by");
pub const APPROVED_BY: Text = Text("Approuvé par", "Approved by");
pub const SCHEDULED: Text = Text("Prévu", "Scheduled");
pub const DELIVERY: Text = Text("Distribution", "Delivery");
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
    "s : synchroniser · e/i : paquet USB · v : conflits · t : garder la version du hub · o : redécider",
    "s: sync now · e/i: USB bundle · v: conflicts · t: accept the hub's version · o: decide again",
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

// ---- Dashboard: queues ----

pub const QUEUE_ENROLMENTS: Text = Text("Enrôlements en cours", "Enrolments pending");
pub const QUEUE_UPLOADS: Text = Text("Publications à revoir", "Uploads to review");
pub const QUEUE_FLAGGED_POSTS: Text = Text("Messages signalés", "Flagged posts");
pub const QUEUE_HELD_POSTS: Text = Text("Messages retenus", "Held posts");
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
pub const DASHBOARD_SHORT: (&str, &str) = ("Accueil", "Home");
pub const ENROLMENTS_TITLE: (&str, &str) = ("Enrôlements", "Enrolments");
pub const ENROLMENTS_SHORT: (&str, &str) = ("Enrôl.", "Enrol.");
pub const UPLOADS_TITLE: (&str, &str) = ("Publications", "Uploads");
pub const UPLOADS_SHORT: (&str, &str) = ("Publ.", "Upl.");
pub const FORUM_TITLE: (&str, &str) = ("Forum", "Forum");
pub const MODERATION_QUEUE_TITLE: (&str, &str) = ("File de modération", "Moderation queue");
pub const HELD_POSTS_TITLE: (&str, &str) = (QUEUE_HELD_POSTS.0, QUEUE_HELD_POSTS.1);
/// The forum's list under any other filter.
pub const FORUM_POSTS_TITLE: (&str, &str) = ("Messages du forum", "Forum posts");
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
pub const AUDITED_RECORD_SHOWN: Text = Text(
    "la fiche de cette décision — la décision contraire (rétablir…) la révoque",
    "the record of this decision — the opposite one (restore…) reverts it",
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
pub const UNDO_SMS_INSTEAD: Text = Text(
    "votre dernière décision a mis un SMS en file : annulez son envoi (écran SMS, x) plutôt",
    "your last decision queued an SMS: cancel its sending instead (SMS screen, x)",
);
pub const UNDO_CREATION_INSTEAD: Text = Text(
    "votre dernière décision a créé cette fiche : rejetez-la ou désinscrivez-la plutôt",
    "your last decision created this record: reject it or opt it out instead",
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

// ---- Column headings ----

pub const COL_STATUS: Text = Text("statut", "status");
pub const COL_REGION: Text = Text("région", "region");
pub const COL_COMMUNE: Text = Text("commune", "commune");
pub const COL_NAME: Text = Text("nom", "name");
pub const COL_FLAGS: Text = Text("signalements", "flags");
pub const COL_AUTHOR: Text = Text("auteur", "author");
pub const COL_POST: Text = Text("message", "post");
pub const COL_TIME: Text = Text("date", "time");
pub const COL_WARNING: Text = Text("⚠", "⚠");
pub const COL_SINCE: Text = Text("depuis", "since");
pub const COL_SUBMITTED: Text = Text("reçue", "age");
pub const COL_ACTOR: Text = Text("acteur", "actor");
pub const COL_ACTION: Text = Text("action", "action");
pub const COL_REASON: Text = Text("motif", "reason");
pub const COL_KIND: Text = Text("type", "kind");
pub const COL_RECIP: Text = Text("destin.", "recip.");
pub const COL_GROUP: Text = Text("groupe", "group");
pub const COL_TEXT: Text = Text("texte", "text");
pub const COL_MEMBERS: Text = Text("membres", "members");
pub const COL_DESCRIPTION: Text = Text("description", "description");
pub const COL_PHONE: Text = Text("téléphone", "phone");
pub const COL_OPTED_OUT: Text = Text("désinscrit", "opted out");
pub const COL_DETECTED: Text = Text("détecté", "detected");
pub const COL_RECORD: Text = Text("objet", "record");
pub const COL_STATE: Text = Text("état", "state");
pub const COL_DECISION: Text = Text("décision", "decision");
pub const COL_SEQ: Text = Text("n°", "seq");
pub const COL_OP: Text = Text("opération", "op");
pub const COL_ORGANISATION: Text = Text("organisation", "organisation");
pub const COL_TITLE: Text = Text("titre", "title");
pub const MUTE_LENGTHS: [Text; 3] = [Text("24h", "24h"), Text("7j", "7d"), Text("30j", "30d")];
pub const BAN_LENGTH: Text = Text("bannir", "ban");
pub const LENGTH: Text = Text("Durée : ", "Length: ");
pub const LENGTH_KEYS: Text = Text(
    "←/→ durées usuelles · ↑/↓ saisir une durée (3j, 12h)",
    "←/→ usual lengths · ↑/↓ type a length (3d, 12h)",
);
pub const CLAIMED_BY: Text = Text("Pris en charge par", "Taken in hand by");
pub const NOTE: Text = Text("Note", "Note");
pub const OF_THE_AUTHOR: Text = Text("(auteur)", "(author)");
pub const NOTE_LABEL: Text = Text("Note : ", "Note: ");
pub const NOTE_IS_EMPTY: Text = Text("la note est vide", "the note is empty");
pub const F_KIND: Text = Text("Type", "Kind");
pub const F_NAME: Text = Text("Nom", "Name");
pub const F_ACRONYM: Text = Text("Sigle", "Acronym");
pub const F_COMMUNE: Text = Text("Commune", "Commune");
pub const F_CONTACT: Text = Text("Contact", "Contact");
pub const F_ROLE: Text = Text("Fonction", "Role");
pub const F_PHONE: Text = Text("Téléphone", "Phone");
pub const F_EMAIL: Text = Text("Courriel", "E-mail");
pub const F_SIGNED_ON: Text = Text(
    "Signée le (28/11/2026, hier)",
    "Signed on (28/11/2026, yesterday)",
);
pub const F_REFERENCE: Text = Text("Référence", "Reference");
pub const FORM_APPLY: Text = Text("Nouvelle candidature", "New application");
pub const FORM_CHARTER: Text = Text("Charte reçue", "Charter received");
pub const FORM_LEADER: Text = Text("Responsable rencontré", "Leader met");
pub const FORM_EDIT: Text = Text("Corriger la fiche", "Correct the details");
pub const F_DESCRIPTION: Text = Text("Description", "Description");
pub const F_RULE_REGION: Text = Text("Dynamique : région", "Dynamic: region");
pub const F_RULE_COMMUNE: Text = Text("Dynamique : commune", "Dynamic: commune");
pub const F_RULE_KIND: Text = Text("Dynamique : organisations", "Dynamic: organisations");
pub const F_GROUP: Text = Text("Groupe", "Group");
pub const F_LOGIN: Text = Text("Identifiant", "Login");
pub const F_STAFF_ROLE: Text = Text("Rôle", "Role");
pub const FORM_ADD_STAFF: Text = Text("Nouveau collègue", "New colleague");
pub const FORM_SET_ROLE: Text = Text("Changer le rôle", "Change the role");
pub const FORM_EXPORT_BUNDLE: Text = Text(
    "Exporter un paquet pour le hub (clé USB)",
    "Export a bundle for the hub (USB stick)",
);
pub const FORM_IMPORT_BUNDLE: Text = Text("Importer la réponse du hub", "Import the hub's answer");
pub const F_FILE: Text = Text("Fichier", "File");
pub const NO_BUNDLE_KEY: Text = Text(
    "ce réplica n'a pas encore de clé de paquet : reconnectez-le une fois là où il y a une liaison (civitac login)",
    "this replica has no bundle key yet: log it in once where there is a link (civitac login)",
);
pub const BUNDLE_WORKING: Text = Text("paquet en cours…", "bundle under way…");
pub const NO_FILE_NAMED: Text = Text("indiquez un fichier", "name a file");
pub const BUNDLE_BUSY: Text = Text(
    "une synchronisation est en cours : réessayez quand elle aura fini",
    "a sync is running: try again when it is done",
);
pub const ADMINS_ONLY: Text = Text(
    "réservé aux administrateurs : l'équipe est en lecture seule pour les autres",
    "admins only: the team is read-only for others",
);
pub const ON_TEAM_VIEW: Text = Text(
    "sur la vue Équipe de Synchro (6 puis v v)",
    "on Sync's team view (6 then v v)",
);

/// A colleague added: their devices get tokens at the hub.
pub fn staff_added(lang: Lang, login: &str) -> String {
    match lang {
        Lang::Fr => format!(
            "{login} ajouté·e ; ses appareils : civitac hub token issue --staff {login} au hub"
        ),
        Lang::En => {
            format!(
                "{login} added; their devices: civitac hub token issue --staff {login} at the hub"
            )
        }
    }
}

pub const NEW_GROUP_HINT: Text = Text(
    "Région, commune ou organisations : un groupe dynamique, dont les membres suivent les contacts. Vides : un groupe de membres ajoutés à la main.",
    "Region, commune or organisations: a dynamic group, whose members follow the contacts. Left empty: a group of members added by hand.",
);
pub const FORM_NEW_GROUP: Text = Text("Nouveau groupe", "New group");
pub const FORM_RENAME_GROUP: Text = Text("Renommer le groupe", "Rename the group");
pub const FORM_EDIT_CONTACT: Text = Text("Corriger le contact", "Correct the contact");
pub const FORM_ADD_MEMBERS: Text = Text("Ajouter au groupe", "Add to a group");
pub const FORM_REMOVE_MEMBERS: Text = Text("Retirer du groupe", "Take out of a group");
pub const A_NAME_IS_NEEDED: Text = Text("il faut un nom", "a name is needed");
pub const NOTHING_CHANGED: Text = Text("rien n'a changé", "nothing changed");

/// A dynamic group's reach today (said before it is made, Enter again makes it).
pub fn dynamic_reach(lang: Lang, rule: &str, n: i64) -> String {
    match lang {
        Lang::Fr => format!(
            "groupe dynamique ({rule}) : {} aujourd'hui — entrée pour le créer",
            crate::i18n::counted(lang, n, "destinataire", "destinataires")
        ),
        Lang::En => format!(
            "dynamic group ({rule}): {} today — enter to make it",
            crate::i18n::counted(lang, n, "recipient", "recipients")
        ),
    }
}

/// "3 contacts ajoutés à « Alertes Kaya »".
pub fn members_moved(lang: Lang, n: usize, add: bool, group: &str) -> String {
    let who = crate::i18n::counted(lang, n as i64, "contact", "contacts");
    match (lang, add) {
        (Lang::Fr, true) => format!("{who} → « {group} »"),
        (Lang::Fr, false) => format!("{who} retiré(s) de « {group} »"),
        (Lang::En, true) => format!("{who} → \"{group}\""),
        (Lang::En, false) => format!("{who} taken out of \"{group}\""),
    }
}

pub const UNKNOWN_GROUP: Text = Text("groupe inconnu", "no such group");
pub const ON_GROUPS_VIEW: Text = Text("sur la vue des groupes (v)", "on the groups view (v)");
pub const ON_CONTACTS_VIEW: Text = Text("sur la vue des contacts (v)", "on the contacts view (v)");
pub const FORM_KEYS: Text = Text(
    "tab/↓ champ suivant · ↑ précédent · entrée enregistrer · échap annuler",
    "tab/↓ next field · ↑ previous · enter save · esc cancel",
);
pub const SAVE_ANYWAY: Text = Text(
    "entrée pour l'enregistrer quand même",
    "enter to save it all the same",
);
pub const LEADER_MET: Text = Text("Responsable rencontré", "Leader met");
pub const PREVIEW: Text = Text("Aperçu", "Preview");
pub const READING_FILE: Text = Text("lecture du fichier…", "reading the file…");
pub const FETCH_TO_PREVIEW: Text = Text(
    "fichier pas encore là (F pour le récupérer)",
    "file not here yet (F to fetch it)",
);
pub const NO_TEXT_TO_COMPARE: Text = Text(
    "ce message n'a pas de texte à comparer",
    "this post has no text to compare",
);
pub const STAFF_TITLE: (&str, &str) = ("Équipe", "Team");
pub const COL_ROLE: Text = Text("rôle", "role");
pub const COL_LAST_SYNC: Text = Text("dern. synchro", "last sync");
pub const SWITCHED_OFF: Text = Text("désactivé", "switched off");
pub const ACTIVE: Text = Text("actif", "active");
pub const LOGIN: Text = Text("Identifiant", "Login");
pub const STATE: Text = Text("État", "State");
pub const LAST_CHANGE: Text = Text("Dernier changement", "Last change");
pub const STAFF_ROLE: Text = Text("Rôle", "Role");
pub const ARCHIVED: Text = Text("archivé", "archived");
pub const DYNAMIC: Text = Text("dynamique", "dynamic");
pub const DYNAMIC_RULE: Text = Text("Règle", "Rule");
pub const RESEND_OF: Text = Text("Renvoi de", "Resend of");
pub const RESENT_AS: Text = Text("Renvoyé", "Resent");
pub const FAILED_NUMBERS: Text = Text("Numéros en échec", "Failed numbers");
pub const NOTHING_TO_RESEND: Text = Text(
    "aucun numéro en échec à renvoyer (ou ils se sont désinscrits)",
    "no failed number to send to again (or they opted out)",
);
/// The composer's line for a resend.
pub fn resend_to(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Fr => format!("Renvoi aux numéros en échec, à eux seuls : {n}"),
        Lang::En => format!("Resend to the failed numbers, to them only: {n}"),
    }
}

pub const RESEND_WHEN_DONE: Text = Text(
    "on renvoie aux échecs une fois l'envoi terminé",
    "a resend goes once the sending is over",
);
