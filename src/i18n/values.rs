//! The one catalogue of words for stored values: what a person reads for
//! each status, kind, category, flag reason, role and outcome, in French and
//! English. Tables, details, the dashboard and the command line's table
//! format show these; CSV and JSON keep the codes, which scripts rely on.
//! Every enum's match is exhaustive, so a new value without its words does
//! not compile, and a test walks every value of every enum.

use super::Lang;
use crate::domain::enrollment::{EnrollmentAction, OrgKind, Stage};
use crate::domain::forum::{CitizenAction, CitizenStatus, FlagReason, PostAction, PostStatus};
use crate::domain::sms::{SmsKind, SmsStatus};
use crate::domain::staff::Role;
use crate::domain::uploads::{DocumentCategory, ReviewDecision, UploadKind, UploadStatus};
use crate::protocol::Outcome;

/// A stored value with words for people: (French, English).
pub trait Worded: Copy {
    fn words(self) -> (&'static str, &'static str);

    /// Its word in `lang`.
    fn word(self, lang: Lang) -> &'static str {
        let (fr, en) = self.words();
        lang.pick(fr, en)
    }
}

macro_rules! worded {
    ($t:ty { $($v:ident => ($fr:literal, $en:literal)),+ $(,)? }) => {
        impl Worded for $t {
            fn words(self) -> (&'static str, &'static str) {
                match self {
                    $(<$t>::$v => ($fr, $en)),+
                }
            }
        }
    };
}

worded!(PostStatus {
    Visible => ("visible", "visible"),
    Hidden => ("masqué", "hidden"),
    Removed => ("supprimé", "removed"),
});

worded!(FlagReason {
    Spam => ("spam", "spam"),
    Abuse => ("propos injurieux", "abuse"),
    OffTopic => ("hors sujet", "off topic"),
    PersonalData => ("données personnelles", "personal data"),
    Misinformation => ("désinformation", "misinformation"),
    Other => ("autre", "other"),
});

impl FlagReason {
    /// A flag reason where a column is narrow (the forum list).
    pub fn short_word(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            FlagReason::Spam => ("spam", "spam"),
            FlagReason::Abuse => ("injures", "abuse"),
            FlagReason::OffTopic => ("hors sujet", "off topic"),
            FlagReason::PersonalData => ("vie privée", "privacy"),
            FlagReason::Misinformation => ("désinfo", "misinfo"),
            FlagReason::Other => ("autre", "other"),
        };
        lang.pick(fr, en)
    }
}

worded!(PostAction {
    Hide => ("masquer", "hide"),
    Remove => ("supprimer", "remove"),
    Restore => ("rétablir", "restore"),
});

worded!(CitizenStatus {
    Active => ("actif", "active"),
    Muted => ("réduit au silence", "muted"),
    Banned => ("banni", "banned"),
});

worded!(CitizenAction {
    Mute => ("réduire au silence", "mute"),
    Ban => ("bannir", "ban"),
    Reinstate => ("rétablir", "reinstate"),
});

worded!(Stage {
    Applied => ("candidature", "applied"),
    CharterReceived => ("charte reçue", "charter received"),
    Contacted => ("contactée", "contacted"),
    Enrolled => ("enrôlée", "enrolled"),
    Rejected => ("rejetée", "rejected"),
    Suspended => ("suspendue", "suspended"),
});

worded!(OrgKind {
    Commune => ("commune", "commune"),
    Region => ("région", "region"),
    Osc => ("OSC", "CSO"),
});

worded!(EnrollmentAction {
    RecordCharter => ("enregistrer la charte", "record the charter"),
    RecordContact => ("noter le contact", "record the contact"),
    Enrol => ("enrôler", "enrol"),
    Reject => ("rejeter", "reject"),
    Suspend => ("suspendre", "suspend"),
    Reinstate => ("rétablir", "reinstate"),
});

worded!(UploadStatus {
    Pending => ("en attente", "pending"),
    Approved => ("approuvée", "approved"),
    Rejected => ("rejetée", "rejected"),
    ChangesRequested => ("à corriger", "to correct"),
});

worded!(UploadKind {
    Document => ("document", "document"),
    Statistic => ("statistiques", "statistics"),
    Article => ("article", "article"),
    Video => ("vidéo", "video"),
    Audio => ("audio", "audio"),
    Photo => ("photo", "photo"),
});

worded!(DocumentCategory {
    LocalDevelopmentPlan => ("plan communal de développement", "local development plan"),
    Budget => ("budget", "budget"),
    ProcurementPlan => ("plan de passation des marchés", "procurement plan"),
    CouncilMinutes => ("procès-verbal du conseil", "council minutes"),
    Other => ("autre", "other"),
});

worded!(ReviewDecision {
    Approve => ("approuver", "approve"),
    Reject => ("rejeter", "reject"),
    RequestChanges => ("demander des corrections", "request changes"),
});

worded!(SmsKind {
    Alert => ("alerte", "alert"),
    Notice => ("avis", "notice"),
});

worded!(SmsStatus {
    Draft => ("brouillon", "draft"),
    Queued => ("en file", "queued"),
    Approved => ("approuvé", "approved"),
    Sending => ("en cours d'envoi", "sending"),
    Sent => ("envoyé", "sent"),
    Failed => ("échec", "failed"),
    Cancelled => ("annulé", "cancelled"),
});

worded!(Role {
    Admin => ("administrateur", "administrator"),
    Moderator => ("modérateur", "moderator"),
    FieldAgent => ("agent de terrain", "field agent"),
});

worded!(Outcome {
    Applied => ("appliquée", "applied"),
    Duplicate => ("doublon", "duplicate"),
    Conflict => ("conflit", "conflict"),
    Rejected => ("refusée", "refused"),
});

/// A decision as the audit log names it (`post.hide`, `enrollment.enrol`…),
/// in words: what it did, to what ("message masqué", "post hidden").
pub fn action_words(action: &str, lang: Lang) -> String {
    let (fr, en) = match action {
        "enrollment.apply" => ("candidature enregistrée", "application recorded"),
        "enrollment.record_charter" => ("charte enregistrée", "charter recorded"),
        "enrollment.record_contact" => ("contact noté", "contact recorded"),
        "enrollment.enrol" => ("organisation enrôlée", "organisation enrolled"),
        "enrollment.reject" => ("candidature rejetée", "application rejected"),
        "enrollment.suspend" => ("organisation suspendue", "organisation suspended"),
        "enrollment.reinstate" => ("organisation rétablie", "organisation reinstated"),
        "upload.approve" => ("publication approuvée", "upload approved"),
        "upload.reject" => ("publication rejetée", "upload rejected"),
        "upload.request_changes" => ("corrections demandées", "changes requested"),
        "post.hide" => ("message masqué", "post hidden"),
        "post.remove" => ("message supprimé", "post removed"),
        "post.restore" => ("message rétabli", "post restored"),
        "post.dismiss_flags" => ("signalements classés", "flags dismissed"),
        "citizen.mute" => ("citoyen réduit au silence", "citizen muted"),
        "citizen.ban" => ("citoyen banni", "citizen banned"),
        "citizen.reinstate" => ("citoyen rétabli", "citizen reinstated"),
        "thread.lock" => ("fil verrouillé", "thread locked"),
        "thread.unlock" => ("fil rouvert", "thread unlocked"),
        "sms.queue" => ("SMS mis en file", "SMS queued"),
        "sms.contact" => ("contact SMS ajouté", "SMS contact added"),
        "sms.opt_out" => ("contact désinscrit", "contact opted out"),
        "sms.opt_in" => ("contact réinscrit", "contact opted back in"),
        "sms.group" => ("groupe SMS créé", "SMS group created"),
        "sms.group_rename" => ("groupe SMS renommé", "SMS group renamed"),
        "sms.group_archive" => ("groupe SMS archivé", "SMS group archived"),
        "sms.group_unarchive" => ("groupe SMS réutilisé", "SMS group back in use"),
        "sms.group_remove" => ("contact retiré d'un groupe", "contact taken out of a group"),
        "sms.contact_edit" => ("contact corrigé", "contact corrected"),
        "sms.approve" => ("SMS approuvé", "SMS approved"),
        "sms.cancel" => ("SMS annulé", "SMS cancelled"),
        "undo" => ("décision annulée", "decision undone"),
        "note.add" => ("note ajoutée", "note added"),
        "enrollment.edit" => ("fiche corrigée", "details corrected"),
        "enrollment.leader" => ("responsable rencontré", "leader met"),
        "staff.add" => ("membre ajouté à l'équipe", "staff member added"),
        "staff.set_role" => ("rôle changé", "role changed"),
        "staff.deactivate" => ("membre désactivé", "staff member switched off"),
        "staff.reactivate" => ("membre réactivé", "staff member switched back on"),
        "claim.take" => ("pris en charge", "taken in hand"),
        "claim.release" => ("rendu", "handed back"),
        other => return crate::text::inline(other),
    };
    lang.pick(fr, en).to_owned()
}

/// A kind of record (`forum_post`…), in words.
pub fn entity_words(entity: &str, lang: Lang) -> String {
    let (fr, en) = match entity {
        "staff" => ("membre de l'équipe", "staff member"),
        "organization" => ("organisation", "organisation"),
        "upload" => ("publication", "upload"),
        "upload_stat" => ("statistique", "statistic"),
        "forum_thread" => ("fil", "thread"),
        "citizen" => ("citoyen", "citizen"),
        "forum_post" => ("message", "post"),
        "forum_flag" => ("signalement", "flag"),
        "sms_contact" => ("contact SMS", "SMS contact"),
        "sms_group" => ("groupe SMS", "SMS group"),
        "sms_group_member" => ("membre d'un groupe", "group member"),
        "sms_failure" => ("échec d'envoi", "failed delivery"),
        "sms_message" => ("SMS", "SMS"),
        "notice_template" => ("modèle de message", "notice template"),
        "note" => ("note", "note"),
        "claim" => ("prise en charge", "claim"),
        "org_leader" => ("responsable", "leader"),
        other => return crate::text::inline(other),
    };
    lang.pick(fr, en).to_owned()
}

/// An op as stored in the outbox (its JSON), in words.
pub fn op_words(json: &str, lang: Lang) -> String {
    match serde_json::from_str::<crate::ops::Envelope>(json) {
        Ok(e) => action_words(&e.op.action_name(), lang),
        Err(_) => lang.pick("opération illisible", "unreadable op").to_owned(),
    }
}

/// The word for a stored code, when it is one: `code` parsed as `W`;
/// otherwise the code itself, made safe (an unknown value from a newer hub
/// is shown, never hidden).
pub fn word_of<W: Worded + std::str::FromStr>(code: &str, lang: Lang) -> String {
    match code.parse::<W>() {
        Ok(w) => w.word(lang).to_owned(),
        Err(_) => crate::text::inline(code),
    }
}

/// The word for a list column's stored code (the command line's table
/// format): `None` when the column holds no coded value.
pub fn column_word(list: &str, column: &str, code: &str, lang: Lang) -> Option<String> {
    Some(match (list, column) {
        ("enrollments", "status") => word_of::<Stage>(code, lang),
        ("enrollments", "kind") => word_of::<OrgKind>(code, lang),
        ("uploads", "status") => word_of::<UploadStatus>(code, lang),
        ("uploads", "kind") => word_of::<UploadKind>(code, lang),
        ("uploads", "category") => word_of::<DocumentCategory>(code, lang),
        ("forum", "status") => word_of::<PostStatus>(code, lang),
        ("citizens", "status") => word_of::<crate::domain::forum::CitizenStatus>(code, lang),
        ("threads", "status") => match code {
            "locked" => lang.pick("verrouillé", "locked").to_owned(),
            "unlocked" => lang.pick("ouvert", "open").to_owned(),
            other => crate::text::inline(other),
        },
        ("sms", "status") => word_of::<SmsStatus>(code, lang),
        ("sms", "kind") => word_of::<SmsKind>(code, lang),
        ("audit", "action") => action_words(code, lang),
        ("conflicts", "status") => match code {
            "open" => lang.pick("ouvert", "open").to_owned(),
            "resolved" => lang.pick("réglé", "resolved").to_owned(),
            other => crate::text::inline(other),
        },
        ("outbox", "op") => op_words(code, lang),
        ("outbox", "outcome") => match code {
            "applied" => Outcome::Applied.word(lang).to_owned(),
            "duplicate" => Outcome::Duplicate.word(lang).to_owned(),
            "conflict" => Outcome::Conflict.word(lang).to_owned(),
            "rejected" => Outcome::Rejected.word(lang).to_owned(),
            "" => lang.pick("à envoyer", "to send").to_owned(),
            other => crate::text::inline(other),
        },
        _ => return None,
    })
}

/// A record's column as people call it (`status` → "statut"), for the
/// Journal's before → after.
pub fn field_words(column: &str, lang: Lang) -> String {
    let (fr, en) = match column {
        "status" => ("statut", "status"),
        "charter_signed_on" => ("charte signée le", "charter signed on"),
        "charter_ref" => ("référence de la charte", "charter reference"),
        "reason" => ("motif", "reason"),
        "name" => ("nom", "name"),
        "acronym" => ("sigle", "acronym"),
        "contact_name" => ("contact", "contact"),
        "contact_role" => ("fonction du contact", "contact's role"),
        "phone" => ("téléphone", "phone"),
        "email" => ("courriel", "e-mail"),
        "moderated_by" | "reviewed_by" => ("par", "by"),
        "moderated_at" | "reviewed_at" | "updated_at" => ("le", "on"),
        "flag_count" => ("signalements ouverts", "open flags"),
        "locked" => ("verrouillé", "locked"),
        "muted_until" => ("silence jusqu'au", "muted until"),
        "opted_out_at" => ("désinscrit le", "opted out on"),
        "approved_by" => ("approuvé par", "approved by"),
        "phone_e164" => ("téléphone", "phone"),
        other => return crate::text::inline(other),
    };
    lang.pick(fr, en).to_owned()
}

/// A statistics indicator the platform publishes (`boreholes`), as people
/// say it and with its unit: (name, unit) in `lang`. An indicator this
/// catalogue does not know is shown as sent, without a unit.
pub fn indicator_words(code: &str, lang: Lang) -> (String, &'static str) {
    let (fr, en, unit_fr, unit_en) = match code {
        "population" => ("Population", "Population", "habitants", "inhabitants"),
        "elected_officials" => ("Conseillers municipaux", "Councillors", "élus", "elected"),
        "boreholes" => ("Forages", "Boreholes", "forages", "boreholes"),
        "primary_schools" => ("Écoles primaires", "Primary schools", "écoles", "schools"),
        "health_centres" => ("Centres de santé", "Health centres", "centres", "centres"),
        "households" => ("Ménages", "Households", "ménages", "households"),
        "budget" => ("Budget", "Budget", "FCFA", "FCFA"),
        _ => return (crate::text::inline(code), ""),
    };
    (lang.pick(fr, en).to_owned(), lang.pick(unit_fr, unit_en))
}

/// A size in bytes as each language writes it: "850 o", "45 Ko", "3,1 Mo"
/// ("850 B", "45 KB", "3.1 MB").
pub fn size(bytes: u64, lang: Lang) -> String {
    let b = bytes as f64;
    let (value, fr, en) = if bytes < 1024 {
        return format!("{bytes} {}", lang.pick("o", "B"));
    } else if b < 1024.0 * 1024.0 {
        (format!("{:.0}", b / 1024.0), "Ko", "KB")
    } else {
        let mb = format!("{:.1}", b / (1024.0 * 1024.0));
        (
            match lang {
                Lang::Fr => mb.replace('.', ","),
                Lang::En => mb,
            },
            "Mo",
            "MB",
        )
    };
    format!("{value} {}", lang.pick(fr, en))
}

/// The time a step has left, roughly: "reste ~40 s", "reste ~3 min"
/// ("~40 s left", "~3 min left").
pub fn time_left(left: std::time::Duration, lang: Lang) -> String {
    let secs = left.as_secs();
    let rough = if secs < 60 {
        format!("{} s", (secs.max(1)).div_ceil(5) * 5)
    } else if secs < 3600 {
        format!("{} min", secs.div_ceil(60))
    } else {
        format!("{} h {:02}", secs / 3600, (secs % 3600) / 60)
    };
    match lang {
        Lang::Fr => format!("reste ~{rough}"),
        Lang::En => format!("~{rough} left"),
    }
}

/// " · 45 Ko · reste ~2 min": what a sync has moved, and the time it has
/// left when known (progress bars, the console's gauge).
pub fn moved(bytes: u64, left: Option<std::time::Duration>, lang: Lang) -> String {
    let mut s = format!(" · {}", size(bytes, lang));
    if let Some(left) = left.filter(|l| !l.is_zero()) {
        s.push_str(" · ");
        s.push_str(&time_left(left, lang));
    }
    s
}

/// A count as each language writes it: `45 210` (narrow spaces) in French,
/// `45,210` in English; rounded to a whole number.
pub fn count(value: f64, lang: Lang) -> String {
    let n = value.round();
    let negative = n < 0.0;
    let digits = format!("{:.0}", n.abs());
    let sep = lang.pick("\u{202f}", ",");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    if negative { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of an enum has a word in each language: not empty, not
    /// its code with underscores, and no two values share one.
    fn check<W: Worded + std::fmt::Debug>(all: &[W]) {
        for lang in [Lang::Fr, Lang::En] {
            let mut seen = std::collections::HashSet::new();
            for w in all {
                let word = w.word(lang);
                assert!(!word.trim().is_empty(), "{w:?} has no {lang:?} word");
                assert!(
                    !word.contains('_'),
                    "{w:?} shows a code in {lang:?}: {word}"
                );
                assert!(seen.insert(word), "{w:?}: {word} twice in {lang:?}");
            }
        }
    }

    #[test]
    fn every_value_has_its_words_in_both_languages() {
        check(PostStatus::ALL);
        check(FlagReason::ALL);
        check(PostAction::ALL);
        check(CitizenStatus::ALL);
        check(CitizenAction::ALL);
        check(Stage::ALL);
        check(OrgKind::ALL);
        check(EnrollmentAction::ALL);
        check(UploadStatus::ALL);
        check(UploadKind::ALL);
        check(DocumentCategory::ALL);
        check(ReviewDecision::ALL);
        check(SmsKind::ALL);
        check(SmsStatus::ALL);
        check(Role::ALL);
        check(&[
            Outcome::Applied,
            Outcome::Duplicate,
            Outcome::Conflict,
            Outcome::Rejected,
        ]);
    }

    #[test]
    fn every_decision_the_audit_log_names_has_words() {
        let mut names: Vec<String> = [
            "enrollment.apply",
            "post.dismiss_flags",
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
        ]
        .map(str::to_owned)
        .to_vec();
        names.extend(
            EnrollmentAction::ALL
                .iter()
                .map(|a| format!("enrollment.{a}")),
        );
        names.extend(ReviewDecision::ALL.iter().map(|a| format!("upload.{a}")));
        names.extend(PostAction::ALL.iter().map(|a| format!("post.{a}")));
        names.extend(CitizenAction::ALL.iter().map(|a| format!("citizen.{a}")));
        for name in names {
            for lang in [Lang::Fr, Lang::En] {
                let words = action_words(&name, lang);
                assert!(
                    words != name && !words.contains('.') && !words.contains('_'),
                    "{name}: {words}"
                );
            }
        }
    }

    #[test]
    fn every_kind_of_record_has_words() {
        for e in crate::store::entity::Entity::SYNCED {
            for lang in [Lang::Fr, Lang::En] {
                assert!(!entity_words(e.name(), lang).contains('_'), "{e}");
            }
        }
    }

    #[test]
    fn codes_in_a_table_become_words_and_unknown_ones_stay_visible() {
        assert_eq!(
            column_word("uploads", "status", "changes_requested", Lang::Fr).as_deref(),
            Some("à corriger")
        );
        assert_eq!(
            column_word("forum", "status", "from_the_future", Lang::En).as_deref(),
            Some("from_the_future")
        );
        assert_eq!(column_word("forum", "body", "x", Lang::Fr), None);
    }

    #[test]
    fn counts_and_indicators_read_as_each_language_writes_them() {
        assert_eq!(count(45_210.4, Lang::Fr), "45\u{202f}210");
        assert_eq!(count(1_234_567.0, Lang::En), "1,234,567");
        assert_eq!(count(-980.0, Lang::En), "-980");
        assert_eq!(
            indicator_words("boreholes", Lang::Fr),
            ("Forages".to_owned(), "forages")
        );
        assert_eq!(indicator_words("odd\u{1b}[2J", Lang::Fr).0, "odd␛[2J");
    }

    #[test]
    fn sizes_and_times_left_read_as_each_language_writes_them() {
        use std::time::Duration;
        assert_eq!(size(850, Lang::Fr), "850 o");
        assert_eq!(size(46_000, Lang::Fr), "45 Ko");
        assert_eq!(size(3_250_000, Lang::Fr), "3,1 Mo");
        assert_eq!(size(3_250_000, Lang::En), "3.1 MB");
        assert_eq!(time_left(Duration::from_secs(37), Lang::Fr), "reste ~40 s");
        assert_eq!(time_left(Duration::from_secs(130), Lang::En), "~3 min left");
        assert_eq!(
            time_left(Duration::from_secs(4000), Lang::Fr),
            "reste ~1 h 06"
        );
        assert_eq!(
            moved(46_000, Some(Duration::from_secs(130)), Lang::Fr),
            " · 45 Ko · reste ~3 min"
        );
        assert_eq!(moved(850, None, Lang::En), " · 850 B");
    }
}
