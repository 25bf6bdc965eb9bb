//! Decisions as sentences people read: "Awa Kaboré a masqué le message de
//! Pauline K. « Vente de terrains… » — motif : Spam commercial" in the
//! Journal, "Masquer le message de Pauline K. « … »" for an op still to
//! send. Every piece of platform text is made terminal-safe here.

use super::Lang;
use super::values::{action_words, entity_words};
use crate::text::{inline, truncate};

/// The record a decision is about, as far as the replica knows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Record<'a> {
    /// `organization`, `forum_post`…
    pub entity: &'a str,
    /// Its name, title or the start of its text.
    pub label: Option<&'a str>,
    /// Whose it is (a post's author).
    pub owner: Option<&'a str>,
}

/// Every decision the audit log names.
pub const ACTIONS: &[&str] = &[
    "enrollment.apply",
    "enrollment.record_charter",
    "enrollment.record_contact",
    "enrollment.enrol",
    "enrollment.reject",
    "enrollment.suspend",
    "enrollment.reinstate",
    "upload.approve",
    "upload.reject",
    "upload.request_changes",
    "post.hide",
    "post.remove",
    "post.restore",
    "post.dismiss_flags",
    "citizen.mute",
    "citizen.ban",
    "citizen.reinstate",
    "thread.lock",
    "thread.unlock",
    "sms.queue",
    "sms.contact",
    "sms.opt_out",
    "sms.opt_in",
    "sms.group",
    "sms.group_rename",
    "sms.group_archive",
    "sms.group_unarchive",
    "sms.group_remove",
    "sms.contact_edit",
    "sms.approve",
    "sms.cancel",
    "undo",
    "note.add",
    "claim.take",
    "claim.release",
    "enrollment.edit",
    "enrollment.leader",
    "staff.add",
    "staff.set_role",
    "staff.deactivate",
    "staff.reactivate",
];

/// Longest quoted text in a sentence, in columns.
const QUOTED: usize = 40;

fn quoted(text: &str, lang: Lang) -> String {
    let t = truncate(&inline(text.trim()), QUOTED);
    match lang {
        Lang::Fr => format!("« {t} »"),
        Lang::En => format!("“{t}”"),
    }
}

/// The record in words: "le message de Pauline K. « … »", "Commune de Boussé".
pub fn object(r: &Record<'_>, lang: Lang) -> String {
    let label = r.label.map(|l| quoted(l, lang));
    let name = r.label.map(|l| truncate(&inline(l.trim()), QUOTED));
    let owner = r.owner.map(inline);
    match (r.entity, lang) {
        ("organization" | "citizen", _) if name.is_some() => name.unwrap_or_default(),
        ("forum_post", Lang::Fr) => match (owner, label) {
            (Some(o), Some(l)) => format!("le message {} {l}", de(&o)),
            (None, Some(l)) => format!("le message {l}"),
            _ => "un message".into(),
        },
        ("forum_post", Lang::En) => match (owner, label) {
            (Some(o), Some(l)) => format!("{o}'s post {l}"),
            (None, Some(l)) => format!("the post {l}"),
            _ => "a post".into(),
        },
        ("upload", Lang::Fr) => prefixed("la publication", "une publication", label),
        ("upload", Lang::En) => prefixed("the upload", "an upload", label),
        ("forum_thread", Lang::Fr) => prefixed("le fil", "un fil", label),
        ("forum_thread", Lang::En) => prefixed("the thread", "a thread", label),
        ("sms_message", Lang::Fr) => prefixed("le SMS", "un SMS", label),
        ("sms_message", Lang::En) => prefixed("the SMS", "an SMS", label),
        ("sms_contact", Lang::Fr) => prefixed("le contact", "un contact", name),
        ("sms_contact", Lang::En) => prefixed("contact", "a contact", name),
        // A note or a claim reads as the record it is on.
        ("staff", _) if name.is_some() => name.unwrap_or_default(),
        ("note" | "claim" | "org_leader", _) => {
            label.unwrap_or_else(|| lang.pick("une fiche", "a record").into())
        }
        (entity, _) => {
            let kind = entity_words(entity, lang);
            match label {
                Some(l) => format!("{kind} {l}"),
                None => kind,
            }
        }
    }
}

/// "de Pauline", "d'Abdoulaye", "d'abdoulaye_226": French elides `de`
/// before a vowel (a name in "Ou" or "Y" keeps it: "de Ouédraogo").
pub fn de(name: &str) -> String {
    let lower = name.to_lowercase();
    let vowel = lower
        .chars()
        .next()
        .is_some_and(|c| "aeiouâàéèêëîïôûh".contains(c));
    if vowel && !lower.starts_with("ou") && !lower.starts_with('y') && !lower.starts_with('h') {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

fn prefixed(with: &str, without: &str, label: Option<String>) -> String {
    match label {
        Some(l) => format!("{with} {l}"),
        None => without.to_owned(),
    }
}

/// (French past, French infinitive, English past, English infinitive),
/// `{o}` standing for the record.
fn verbs(action: &str) -> Option<[&'static str; 4]> {
    Some(match action {
        "enrollment.apply" => [
            "a enregistré la candidature de {o}",
            "enregistrer la candidature de {o}",
            "recorded the application of {o}",
            "record the application of {o}",
        ],
        "enrollment.record_charter" => [
            "a enregistré la charte de {o}",
            "enregistrer la charte de {o}",
            "recorded the charter of {o}",
            "record the charter of {o}",
        ],
        "enrollment.record_contact" => [
            "a noté un contact avec {o}",
            "noter un contact avec {o}",
            "recorded a contact with {o}",
            "record a contact with {o}",
        ],
        "enrollment.enrol" => ["a enrôlé {o}", "enrôler {o}", "enrolled {o}", "enrol {o}"],
        "enrollment.reject" => [
            "a rejeté la candidature de {o}",
            "rejeter la candidature de {o}",
            "rejected the application of {o}",
            "reject the application of {o}",
        ],
        "enrollment.suspend" => [
            "a suspendu {o}",
            "suspendre {o}",
            "suspended {o}",
            "suspend {o}",
        ],
        "enrollment.reinstate" | "citizen.reinstate" => [
            "a rétabli {o}",
            "rétablir {o}",
            "reinstated {o}",
            "reinstate {o}",
        ],
        "upload.approve" | "sms.approve" => [
            "a approuvé {o}",
            "approuver {o}",
            "approved {o}",
            "approve {o}",
        ],
        "upload.reject" => ["a rejeté {o}", "rejeter {o}", "rejected {o}", "reject {o}"],
        "upload.request_changes" => [
            "a demandé des corrections sur {o}",
            "demander des corrections sur {o}",
            "asked for changes to {o}",
            "ask for changes to {o}",
        ],
        "post.hide" => ["a masqué {o}", "masquer {o}", "hid {o}", "hide {o}"],
        "post.remove" => [
            "a supprimé {o}",
            "supprimer {o}",
            "removed {o}",
            "remove {o}",
        ],
        "post.restore" => [
            "a rétabli {o}",
            "rétablir {o}",
            "restored {o}",
            "restore {o}",
        ],
        "post.dismiss_flags" => [
            "a classé les signalements sur {o}",
            "classer les signalements sur {o}",
            "dismissed the flags on {o}",
            "dismiss the flags on {o}",
        ],
        "citizen.mute" => [
            "a réduit au silence {o}",
            "réduire au silence {o}",
            "muted {o}",
            "mute {o}",
        ],
        "citizen.ban" => ["a banni {o}", "bannir {o}", "banned {o}", "ban {o}"],
        "sms.opt_in" => [
            "a réinscrit {o}",
            "réinscrire {o}",
            "opted {o} back in",
            "opt {o} back in",
        ],
        "sms.group_rename" => [
            "a renommé le groupe {o}",
            "renommer le groupe {o}",
            "renamed the group {o}",
            "rename the group {o}",
        ],
        "sms.group_archive" => [
            "a archivé le groupe {o}",
            "archiver le groupe {o}",
            "archived the group {o}",
            "archive the group {o}",
        ],
        "sms.group_unarchive" => [
            "a remis en service le groupe {o}",
            "remettre en service le groupe {o}",
            "put the group {o} back in use",
            "put the group {o} back in use",
        ],
        "sms.group_remove" => [
            "a retiré un contact d'un groupe",
            "retirer un contact d'un groupe",
            "took a contact out of a group",
            "take a contact out of a group",
        ],
        "sms.contact_edit" => [
            "a corrigé {o}",
            "corriger {o}",
            "corrected {o}",
            "correct {o}",
        ],
        "sms.group" => [
            "a créé le groupe {o}",
            "créer le groupe {o}",
            "created the group {o}",
            "create the group {o}",
        ],
        "staff.add" => [
            "a ajouté {o} à l'équipe",
            "ajouter {o} à l'équipe",
            "added {o} to the team",
            "add {o} to the team",
        ],
        "staff.set_role" => [
            "a changé le rôle de {o}",
            "changer le rôle de {o}",
            "changed the role of {o}",
            "change the role of {o}",
        ],
        "staff.deactivate" => [
            "a désactivé {o}",
            "désactiver {o}",
            "switched off {o}",
            "switch off {o}",
        ],
        "staff.reactivate" => [
            "a réactivé {o}",
            "réactiver {o}",
            "switched {o} back on",
            "switch {o} back on",
        ],
        "enrollment.edit" => [
            "a corrigé la fiche de {o}",
            "corriger la fiche de {o}",
            "corrected the details of {o}",
            "correct the details of {o}",
        ],
        "enrollment.leader" => [
            "a noté un responsable rencontré chez {o}",
            "noter un responsable rencontré chez {o}",
            "recorded a leader met at {o}",
            "record a leader met at {o}",
        ],
        "note.add" => [
            "a annoté {o}",
            "annoter {o}",
            "added a note to {o}",
            "add a note to {o}",
        ],
        "claim.take" => [
            "a pris en charge {o}",
            "prendre en charge {o}",
            "took {o} in hand",
            "take {o} in hand",
        ],
        "claim.release" => [
            "a rendu {o}",
            "rendre {o}",
            "handed back {o}",
            "hand back {o}",
        ],
        "thread.lock" => [
            "a verrouillé {o}",
            "verrouiller {o}",
            "locked {o}",
            "lock {o}",
        ],
        "thread.unlock" => ["a rouvert {o}", "rouvrir {o}", "unlocked {o}", "unlock {o}"],
        "sms.queue" => [
            "a mis en file {o}",
            "mettre en file {o}",
            "queued {o}",
            "queue {o}",
        ],
        "sms.contact" => ["a ajouté {o}", "ajouter {o}", "added {o}", "add {o}"],
        "sms.opt_out" => [
            "a désinscrit {o}",
            "désinscrire {o}",
            "opted out {o}",
            "opt out {o}",
        ],
        "sms.cancel" => ["a annulé {o}", "annuler {o}", "cancelled {o}", "cancel {o}"],
        // Never audited (a resend is a new message), but refused by name.
        "sms.resend" => [
            "a renvoyé {o} aux numéros en échec",
            "renvoyer {o} aux numéros en échec",
            "resent {o} to the failed numbers",
            "resend {o} to the failed numbers",
        ],
        "undo" => [
            "a annulé sa décision sur {o}",
            "annuler la décision sur {o}",
            "undid a decision on {o}",
            "undo the decision on {o}",
        ],
        _ => return None,
    })
}

/// What a decision does, as a verb phrase without its record: "enrôler",
/// "rejeter la candidature", "masquer".
pub fn verb(action: &str, lang: Lang) -> String {
    match verbs(action) {
        Some(v) => {
            let phrase = lang.pick(v[1], v[3]).replace("{o}", "");
            let mut phrase = phrase.trim_end().to_owned();
            for tail in [" de", " sur", " avec", " of", " on", " with", " to"] {
                if let Some(p) = phrase.strip_suffix(tail) {
                    phrase = p.to_owned();
                }
            }
            phrase
        }
        None => action_words(action, lang),
    }
}

/// Who took a decision, as people know them: the staff member's name, or
/// the system for what the hub decided by itself.
pub fn actor(login: &str, name: Option<&str>, lang: Lang) -> String {
    match (login, name) {
        ("system", _) => lang.pick("Le système", "The system").to_owned(),
        ("platform", _) => lang.pick("La plateforme", "The platform").to_owned(),
        (_, Some(n)) if !n.trim().is_empty() => inline(n),
        (login, _) => inline(login),
    }
}

/// A decision taken: "Awa Kaboré a masqué le message de Pauline K. « … »
/// — motif : Spam commercial".
pub fn did(
    who: &str,
    action: &str,
    record: &Record<'_>,
    reason: Option<&str>,
    lang: Lang,
) -> String {
    let o = object(record, lang);
    let what = match verbs(action) {
        Some(v) => lang.pick(v[0], v[2]).replace("{o}", &o),
        None => format!("{}{}{o}", action_words(action, lang), lang.colon()),
    };
    with_reason(format!("{who} {what}"), reason, lang)
}

/// A sentence followed by its reason, when there is one: "… — motif : Spam".
pub fn with_reason(mut sentence: String, reason: Option<&str>, lang: Lang) -> String {
    if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        sentence.push_str(&format!(
            " — {}",
            lang.labelled(lang.pick("motif", "reason"), inline(r))
        ));
    }
    sentence
}

/// A decision still to send, as what it will do: "Masquer le message de
/// Pauline K. « … »".
pub fn will(action: &str, record: &Record<'_>, lang: Lang) -> String {
    let o = object(record, lang);
    let what = match verbs(action) {
        Some(v) => lang.pick(v[1], v[3]).replace("{o}", &o),
        None => format!("{}{}{o}", action_words(action, lang), lang.colon()),
    };
    crate::text::capitalise(&what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hide_reads_as_a_sentence_in_both_languages() {
        let post = Record {
            entity: "forum_post",
            label: Some("Vente de terrains lotis à Tougouri, prix imbattables, appelez vite"),
            owner: Some("Pauline K."),
        };
        let who = actor("awa.kabore", Some("Awa Kaboré"), Lang::Fr);
        assert_eq!(
            did(&who, "post.hide", &post, Some("Spam commercial"), Lang::Fr),
            "Awa Kaboré a masqué le message de Pauline K. « Vente de terrains lotis à Tougouri, pri… » \
             — motif : Spam commercial"
        );
        assert_eq!(
            did("Awa Kaboré", "post.hide", &post, None, Lang::En),
            "Awa Kaboré hid Pauline K.'s post “Vente de terrains lotis à Tougouri, pri…”"
        );
        assert_eq!(
            will("post.hide", &post, Lang::Fr),
            "Masquer le message de Pauline K. « Vente de terrains lotis à Tougouri, pri… »"
        );
        assert_eq!(actor("system", None, Lang::Fr), "Le système");
        let post = Record {
            entity: "forum_post",
            label: Some("Bonjour"),
            owner: Some("abdoulaye_226"),
        };
        assert_eq!(
            object(&post, Lang::Fr),
            "le message d'abdoulaye_226 « Bonjour »"
        );
        assert_eq!(de("Ouédraogo"), "de Ouédraogo");
        assert_eq!(
            verb("enrollment.reject", Lang::Fr),
            "rejeter la candidature"
        );
    }

    #[test]
    fn every_decision_has_its_verbs_and_content_stays_inert() {
        for action in ACTIONS {
            assert!(verbs(action).is_some(), "{action} has no sentence");
        }
        let hostile = Record {
            entity: "organization",
            label: Some("Commune\u{1b}]0;pwned\u{7}"),
            owner: None,
        };
        let s = did(
            "x",
            "enrollment.enrol",
            &hostile,
            Some("\u{202e}evil"),
            Lang::Fr,
        );
        assert!(
            !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{s:?}"
        );
    }
}
