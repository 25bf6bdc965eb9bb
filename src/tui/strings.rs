//! The console's messages, French first, English second: every fixed text
//! a view shows lives here, so a translation is read and changed in one place.
//! Texts with values in them are functions taking those values.

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
