//! Decisions a person takes on many records at once (the batch CLI and the
//! console's marked rows): what each reads to know what its author saw, the op
//! it becomes, and how a batch of them is applied in one transaction.

use crate::domain::sms::SmsStatus;
use rusqlite::{Connection, OptionalExtension};

use super::{Charter, Op};
use crate::domain::enrollment::{EnrollmentAction, Stage};
use crate::domain::forum::{CitizenAction, CitizenStatus, PostAction, PostStatus};
use crate::domain::uploads::{ReviewDecision, UploadStatus};
use crate::i18n::Lang;
use crate::store::Actor;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Enrollment(EnrollmentAction, Option<Charter>),
    Review(ReviewDecision),
    Moderate(PostAction),
    DismissFlags,
    ApproveSms,
    CancelSms,
    /// A contact asked (by phone, in person) to receive no more SMS.
    OptOut,
    /// A contact who said STOP agreed to receive SMS again (the reason is
    /// their consent: who, how).
    OptIn,
    /// Mute (for `hours`), ban or reinstate citizens; with `hide_posts`,
    /// every visible post of theirs is hidden in the same decision, with its
    /// reason ("penalise the author everywhere").
    Citizen {
        action: CitizenAction,
        hours: Option<u32>,
        hide_posts: bool,
    },
    /// Lock (`true`) or unlock forum threads.
    Lock(bool),
    /// "Je m'en occupe" on records of a kind (`true`), or handing them back.
    Claim(&'static str, bool),
    /// A staff note (the reason's text) on records of a kind.
    Note(&'static str),
    /// SMS groups archived (`true`: kept for history, never sent to), or
    /// back in use.
    ArchiveGroup(bool),
    /// Colleagues switched back on (`true`), or off: every device of theirs
    /// revoked at the hub (an admin's, with a reason).
    StaffActive(bool),
}

/// The kinds of record a claim or a note goes on, with their tables.
fn worked_table(entity: &str) -> &'static str {
    match entity {
        "citizen" => "citizens",
        "organization" => "organizations",
        "upload" => "uploads",
        _ => "forum_posts",
    }
}

/// The longest mute a person may set: a year (a ban is for longer).
pub const MAX_MUTE_HOURS: u32 = 366 * 24;

/// A mute's length as people write it: `24h`, `7d`, `7j`, `30 jours`,
/// `2 semaines`, `1w` (1 hour to 366 days); the refusal in `lang`.
pub fn parse_mute(typed: &str, lang: Lang) -> Result<u32, String> {
    let t = crate::text::fold(typed.trim());
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let unit = t[digits.len()..].trim();
    let shown = crate::text::truncate(&crate::text::inline(typed), 40);
    let shape = || match lang {
        Lang::Fr => format!("« {shown} » : un nombre puis h ou j (24h, 7j, 30j)"),
        Lang::En => format!("\"{shown}\": a number then h or d (24h, 7d, 30d)"),
    };
    let n: u32 = digits.parse().map_err(|_| shape())?;
    let per = match unit {
        "h" | "heure" | "heures" | "hour" | "hours" => 1,
        "d" | "j" | "jour" | "jours" | "day" | "days" => 24,
        "w" | "sem" | "semaine" | "semaines" | "week" | "weeks" => 24 * 7,
        _ => return Err(shape()),
    };
    match n.checked_mul(per) {
        Some(h) if (1..=MAX_MUTE_HOURS).contains(&h) => Ok(h),
        _ => Err(match lang {
            Lang::Fr => format!("« {shown} » : de 1 heure à 366 jours"),
            Lang::En => format!("\"{shown}\": from 1 hour to 366 days"),
        }),
    }
}

/// A mute's length in words: "24 h", "7 jours", "30 days".
pub fn mute_words(hours: u32, lang: Lang) -> String {
    if hours.is_multiple_of(24) {
        let d = hours / 24;
        crate::i18n::counted(
            lang,
            i64::from(d),
            lang.pick("jour", "day"),
            lang.pick("jours", "days"),
        )
    } else {
        format!("{hours} h")
    }
}

impl Decision {
    /// The table whose records this decision is taken on.
    pub fn table(&self) -> &'static str {
        match self {
            Self::Enrollment(..) => "organizations",
            Self::Review(_) => "uploads",
            Self::Moderate(_) | Self::DismissFlags => "forum_posts",
            Self::ApproveSms | Self::CancelSms => "sms_messages",
            Self::OptOut | Self::OptIn => "sms_contacts",
            Self::Citizen { .. } => "citizens",
            Self::Lock(_) => "forum_threads",
            Self::Claim(entity, _) | Self::Note(entity) => worked_table(entity),
            Self::ArchiveGroup(_) => "sms_groups",
            Self::StaffActive(_) => "staff",
        }
    }

    /// `SELECT state, label FROM … WHERE id = ?1`: what the author sees.
    fn lookup(&self) -> &'static str {
        match self {
            Self::Enrollment(..) => "SELECT status, name FROM organizations WHERE id = ?1",
            Self::Review(_) => "SELECT status, title FROM uploads WHERE id = ?1",
            Self::Moderate(_) => {
                "SELECT status, substr(body, 1, 60) FROM forum_posts WHERE id = ?1"
            }
            Self::DismissFlags => {
                "SELECT status || ' ' || flag_count, substr(body, 1, 60) FROM forum_posts WHERE id = ?1"
            }
            // The approver sees how many it reaches now: the approval is for that.
            Self::ApproveSms => concat!(
                "SELECT m.status || ' ' || ",
                crate::store::audience::message_reach!(),
                ", substr(m.body, 1, 60) FROM sms_messages m WHERE m.id = ?1"
            ),
            Self::CancelSms => "SELECT status, substr(body, 1, 60) FROM sms_messages WHERE id = ?1",
            Self::OptOut | Self::OptIn => {
                "SELECT phone_e164, COALESCE(name, phone_e164) FROM sms_contacts WHERE id = ?1"
            }
            Self::Citizen { .. } => "SELECT status, display_name FROM citizens WHERE id = ?1",
            Self::StaffActive(_) => {
                "SELECT CASE active WHEN 1 THEN 'active' ELSE 'inactive' END, display_name
                 FROM staff WHERE id = ?1"
            }
            Self::ArchiveGroup(_) => {
                "SELECT CASE WHEN archived_at IS NULL THEN 'in_use' ELSE 'archived' END, name
                 FROM sms_groups WHERE id = ?1"
            }
            Self::Lock(_) => {
                "SELECT CASE locked WHEN 1 THEN 'locked' ELSE 'unlocked' END, title
                 FROM forum_threads WHERE id = ?1"
            }
            // Who holds it now ('' for nobody): a claim is taken as seen.
            Self::Claim(entity, _) | Self::Note(entity) => match *entity {
                "citizen" => {
                    "SELECT coalesce((SELECT login FROM claims WHERE id = r.id), ''), r.display_name
                     FROM citizens r WHERE r.id = ?1"
                }
                "organization" => {
                    "SELECT coalesce((SELECT login FROM claims WHERE id = r.id), ''), r.name
                     FROM organizations r WHERE r.id = ?1"
                }
                "upload" => {
                    "SELECT coalesce((SELECT login FROM claims WHERE id = r.id), ''), r.title
                     FROM uploads r WHERE r.id = ?1"
                }
                _ => {
                    "SELECT coalesce((SELECT login FROM claims WHERE id = r.id), ''), substr(r.body, 1, 60)
                     FROM forum_posts r WHERE r.id = ?1"
                }
            },
        }
    }

    pub fn needs_reason(&self) -> bool {
        match self {
            Self::Enrollment(a, _) => a.needs_reason(),
            Self::Review(d) => d.needs_reason(),
            Self::Moderate(a) => a.needs_reason(),
            Self::DismissFlags | Self::ApproveSms | Self::OptOut => false,
            Self::CancelSms | Self::OptIn => true,
            // Hiding posts always says why.
            Self::Citizen {
                action, hide_posts, ..
            } => action.needs_reason() || *hide_posts,
            Self::Lock(locked) => *locked,
            Self::Claim(..) | Self::ArchiveGroup(_) | Self::StaffActive(true) => false,
            // Someone who left: said why, in the audit log.
            Self::StaffActive(false) => true,
            // A note is its text.
            Self::Note(_) => true,
        }
    }

    /// The op for one record, from its id and the state its author sees.
    pub fn make(&self, id: &str, seen: &str, reason: Option<String>) -> Result<Op, String> {
        let parse_err = |e: crate::domain::UnknownValue| e.to_string();
        Ok(match self {
            Self::Enrollment(action, charter) => Op::SetEnrollmentStatus {
                org_id: id.to_owned(),
                seen_status: seen.parse::<Stage>().map_err(parse_err)?,
                action: *action,
                reason,
                charter: charter.clone(),
            },
            Self::Review(decision) => Op::ReviewUpload {
                upload_id: id.to_owned(),
                seen_status: seen.parse::<UploadStatus>().map_err(parse_err)?,
                decision: *decision,
                reason,
            },
            Self::Moderate(action) => Op::ModeratePost {
                post_id: id.to_owned(),
                seen_status: seen.parse::<PostStatus>().map_err(parse_err)?,
                action: *action,
                reason,
            },
            Self::DismissFlags => {
                // "STATUS FLAGS", as `lookup` reads it.
                let (status, flags) = seen
                    .split_once(' ')
                    .ok_or_else(|| format!("post state \"{seen}\""))?;
                Op::DismissFlags {
                    post_id: id.to_owned(),
                    seen_status: Some(status.parse::<PostStatus>().map_err(parse_err)?),
                    seen_flag_count: flags
                        .parse()
                        .map_err(|_| format!("flag count \"{flags}\""))?,
                    reason,
                }
            }
            Self::ApproveSms => {
                // "STATUS RECIPIENTS", as `lookup` reads it.
                let (status, recipients) = seen
                    .split_once(' ')
                    .ok_or_else(|| format!("message state \"{seen}\""))?;
                Op::ApproveSms {
                    message_id: id.to_owned(),
                    seen_status: status.parse::<SmsStatus>().map_err(parse_err)?,
                    seen_recipients: Some(
                        recipients
                            .parse()
                            .map_err(|_| format!("recipients \"{recipients}\""))?,
                    ),
                }
            }
            Self::CancelSms => Op::CancelSms {
                message_id: id.to_owned(),
                seen_status: seen.parse::<SmsStatus>().map_err(parse_err)?,
                reason,
            },
            Self::OptOut => Op::OptOutContact {
                phone_e164: seen.to_owned(),
                reason,
            },
            Self::OptIn => Op::OptInContact {
                phone_e164: seen.to_owned(),
                reason,
            },
            Self::Citizen { action, hours, .. } => Op::SetCitizenStatus {
                citizen_id: id.to_owned(),
                seen_status: seen.parse::<CitizenStatus>().map_err(parse_err)?,
                action: *action,
                // The end is fixed here, so every replica agrees on it.
                until: match (action, hours) {
                    (CitizenAction::Mute, Some(h)) => Some(crate::time::format(
                        jiff::Timestamp::now() + jiff::SignedDuration::from_hours(i64::from(*h)),
                    )),
                    (CitizenAction::Mute, None) => return Err("a mute needs a length".into()),
                    _ => None,
                },
                reason,
            },
            Self::Lock(locked) => Op::LockThread {
                thread_id: id.to_owned(),
                seen_locked: seen == "locked",
                locked: *locked,
                reason,
            },
            Self::Claim(entity, take) => Op::Claim {
                entity: (*entity).to_owned(),
                record_id: id.to_owned(),
                seen_by: Some(seen.to_owned()).filter(|s| !s.is_empty()),
                claim: *take,
            },
            Self::Note(entity) => Op::AddNote {
                note: super::NewNote {
                    id: uuid::Uuid::now_v7().to_string(),
                    entity: (*entity).to_owned(),
                    entity_id: id.to_owned(),
                    body: reason.ok_or("a note needs its text")?,
                },
            },
            Self::ArchiveGroup(archived) => Op::ArchiveGroup {
                group_id: id.to_owned(),
                archived: *archived,
            },
            Self::StaffActive(active) => Op::SetStaffActive {
                staff_id: id.to_owned(),
                seen_active: seen == "active",
                active: *active,
                reason,
            },
        })
    }

    /// The verb, for prompts: (French, English).
    pub fn verb(&self) -> (&'static str, &'static str) {
        use EnrollmentAction as E;
        match self {
            Self::Enrollment(E::Enrol, _) => ("enrôler", "enrol"),
            Self::Enrollment(E::Reject, _) => ("rejeter", "reject"),
            Self::Enrollment(E::Suspend, _) => ("suspendre", "suspend"),
            Self::Enrollment(E::Reinstate, _) => ("rétablir", "reinstate"),
            Self::Enrollment(E::RecordContact, _) => ("marquer contactées", "mark contacted"),
            Self::Enrollment(E::RecordCharter, _) => {
                ("enregistrer la charte de", "record the charter of")
            }
            Self::Review(ReviewDecision::Approve) => ("approuver", "approve"),
            Self::Review(ReviewDecision::Reject) => ("rejeter", "reject"),
            Self::Review(ReviewDecision::RequestChanges) => {
                ("demander des corrections pour", "request changes to")
            }
            Self::Moderate(PostAction::Hide) => ("masquer", "hide"),
            Self::Moderate(PostAction::Remove) => ("supprimer", "remove"),
            Self::Moderate(PostAction::Restore) => ("rétablir", "restore"),
            Self::DismissFlags => ("classer les signalements de", "dismiss the flags of"),
            Self::ApproveSms => ("approuver l'envoi de", "approve sending"),
            Self::CancelSms => ("annuler l'envoi de", "cancel sending"),
            Self::OptOut => ("désinscrire", "opt out"),
            Self::OptIn => ("réinscrire", "opt back in"),
            Self::Citizen {
                action: CitizenAction::Mute,
                ..
            } => ("réduire au silence", "mute"),
            Self::Citizen {
                action: CitizenAction::Ban,
                ..
            } => ("bannir", "ban"),
            Self::Citizen {
                action: CitizenAction::Reinstate,
                ..
            } => ("rétablir", "reinstate"),
            Self::Lock(true) => ("verrouiller", "lock"),
            Self::Lock(false) => ("déverrouiller", "unlock"),
            Self::Claim(_, true) => ("prendre en charge", "take in hand"),
            Self::Claim(_, false) => ("rendre", "hand back"),
            Self::Note(_) => ("annoter", "add a note to"),
            Self::ArchiveGroup(true) => ("archiver", "archive"),
            Self::ArchiveGroup(false) => ("remettre en service", "put back in use"),
            Self::StaffActive(false) => ("désactiver", "switch off"),
            Self::StaffActive(true) => ("réactiver", "switch back on"),
        }
    }

    /// The decision feed's kind this decision takes, when it affects a
    /// person who is told (the notice templates are by this kind).
    pub fn notice_kind(&self) -> Option<&'static str> {
        use EnrollmentAction as E;
        Some(match self {
            Self::Enrollment(E::Enrol, _) => "organization.enrolled",
            Self::Enrollment(E::Reject, _) => "organization.rejected",
            Self::Enrollment(E::Suspend, _) => "organization.suspended",
            Self::Enrollment(E::Reinstate, _) => "organization.reinstated",
            Self::Review(ReviewDecision::Approve) => "upload.approved",
            Self::Review(ReviewDecision::Reject) => "upload.rejected",
            Self::Review(ReviewDecision::RequestChanges) => "upload.changes_requested",
            Self::Moderate(PostAction::Hide) => "post.hidden",
            Self::Moderate(PostAction::Remove) => "post.removed",
            Self::Moderate(PostAction::Restore) => "post.restored",
            Self::Citizen { action, .. } => match action {
                CitizenAction::Mute => "citizen.muted",
                CitizenAction::Ban => "citizen.banned",
                CitizenAction::Reinstate => "citizen.reinstated",
            },
            _ => return None,
        })
    }

    /// Its name in the audit log (`post.hide`…): the key of its usual
    /// reasons in the config.
    pub fn action_key(&self) -> String {
        match self {
            Self::Enrollment(a, _) => format!("enrollment.{a}"),
            Self::Review(d) => format!("upload.{d}"),
            Self::Moderate(a) => format!("post.{a}"),
            Self::DismissFlags => "post.dismiss_flags".into(),
            Self::ApproveSms => "sms.approve".into(),
            Self::CancelSms => "sms.cancel".into(),
            Self::OptOut => "sms.opt_out".into(),
            Self::OptIn => "sms.opt_in".into(),
            Self::Citizen { action, .. } => format!("citizen.{action}"),
            Self::Lock(true) => "thread.lock".into(),
            Self::Lock(false) => "thread.unlock".into(),
            Self::Claim(_, true) => "claim.take".into(),
            Self::Claim(_, false) => "claim.release".into(),
            Self::Note(_) => "note.add".into(),
            Self::ArchiveGroup(true) => "sms.group_archive".into(),
            Self::ArchiveGroup(false) => "sms.group_unarchive".into(),
            Self::StaffActive(false) => "staff.deactivate".into(),
            Self::StaffActive(true) => "staff.reactivate".into(),
        }
    }

    /// The kind of record it is taken on (for the notice's facts).
    pub fn entity(&self) -> &'static str {
        match self {
            Self::Enrollment(..) => "organization",
            Self::Review(_) => "upload",
            Self::Moderate(_) | Self::DismissFlags => "forum_post",
            Self::ApproveSms | Self::CancelSms => "sms_message",
            Self::OptOut | Self::OptIn => "sms_contact",
            Self::Citizen { .. } => "citizen",
            Self::Lock(_) => "forum_thread",
            Self::Claim(entity, _) | Self::Note(entity) => entity,
            Self::ArchiveGroup(_) => "sms_group",
            Self::StaffActive(_) => "staff",
        }
    }

    /// Whether it is taken on a post's author or thread rather than the
    /// post: the console's forum rows are posts, and the decision goes to
    /// their authors (or threads), each once.
    pub fn from_posts(&self) -> Option<&'static str> {
        match self {
            Self::Citizen { .. } | Self::Note("citizen") | Self::Claim("citizen", _) => {
                Some("author_id")
            }
            Self::Lock(_) => Some("thread_id"),
            _ => None,
        }
    }

    /// The records it is taken on, counted: "1 message", "20 messages".
    pub fn noun(&self, n: usize, lang: Lang) -> String {
        let (one, many) = match (self.entity(), lang) {
            ("organization", Lang::Fr) => ("organisation", "organisations"),
            ("organization", Lang::En) => ("organisation", "organisations"),
            ("upload", Lang::Fr) => ("publication", "publications"),
            ("upload", Lang::En) => ("upload", "uploads"),
            ("forum_post", Lang::Fr) => ("message", "messages"),
            ("forum_post", Lang::En) => ("post", "posts"),
            ("sms_contact", _) => ("contact", "contacts"),
            ("citizen", Lang::Fr) => ("auteur", "auteurs"),
            ("citizen", Lang::En) => ("author", "authors"),
            ("forum_thread", Lang::Fr) => ("fil", "fils"),
            ("forum_thread", Lang::En) => ("thread", "threads"),
            ("sms_group", Lang::Fr) => ("groupe", "groupes"),
            ("sms_group", Lang::En) => ("group", "groups"),
            ("staff", Lang::Fr) => ("collègue", "collègues"),
            ("staff", Lang::En) => ("colleague", "colleagues"),
            _ => ("SMS", "SMS"),
        };
        format!("{n} {}", if n > 1 { many } else { one })
    }

    /// What became of them, agreeing with their number (and, in French,
    /// their gender): "masqué" / "masqués", "enrôlée" / "enrôlées".
    pub fn participle(&self, n: usize, lang: Lang) -> &'static str {
        use EnrollmentAction as E;
        let [fr_one, fr_many, en] = match self {
            Self::Enrollment(E::Enrol, _) => ["enrôlée", "enrôlées", "enrolled"],
            Self::Enrollment(E::Reject, _) => ["rejetée", "rejetées", "rejected"],
            Self::Enrollment(E::Suspend, _) => ["suspendue", "suspendues", "suspended"],
            Self::Enrollment(E::Reinstate, _) => ["rétablie", "rétablies", "reinstated"],
            Self::Enrollment(E::RecordContact, _) => [
                "marquée contactée",
                "marquées contactées",
                "marked contacted",
            ],
            Self::Enrollment(E::RecordCharter, _) => [
                "avec charte enregistrée",
                "avec charte enregistrée",
                "with charter recorded",
            ],
            Self::Review(ReviewDecision::Approve) => ["approuvée", "approuvées", "approved"],
            Self::Review(ReviewDecision::Reject) => ["rejetée", "rejetées", "rejected"],
            Self::Review(ReviewDecision::RequestChanges) => [
                "renvoyée pour corrections",
                "renvoyées pour corrections",
                "sent back for changes",
            ],
            Self::Moderate(PostAction::Hide) => ["masqué", "masqués", "hidden"],
            Self::Moderate(PostAction::Remove) => ["supprimé", "supprimés", "removed"],
            Self::Moderate(PostAction::Restore) => ["rétabli", "rétablis", "restored"],
            Self::DismissFlags => [
                "débarrassé de ses signalements",
                "débarrassés de leurs signalements",
                "cleared of their flags",
            ],
            Self::ApproveSms => [
                "approuvé pour l'envoi",
                "approuvés pour l'envoi",
                "approved for sending",
            ],
            Self::CancelSms => ["annulé", "annulés", "cancelled"],
            Self::OptOut => ["désinscrit", "désinscrits", "opted out"],
            Self::OptIn => ["réinscrit", "réinscrits", "opted back in"],
            Self::Citizen { action, .. } => match action {
                CitizenAction::Mute => ["réduit au silence", "réduits au silence", "muted"],
                CitizenAction::Ban => ["banni", "bannis", "banned"],
                CitizenAction::Reinstate => ["rétabli", "rétablis", "reinstated"],
            },
            Self::Lock(true) => ["verrouillé", "verrouillés", "locked"],
            Self::Lock(false) => ["déverrouillé", "déverrouillés", "unlocked"],
            // Agreeing with the kind's gender: un message, une organisation.
            Self::Claim(entity, take) => match (feminine(entity), take) {
                (false, true) => ["pris en charge", "pris en charge", "taken in hand"],
                (true, true) => ["prise en charge", "prises en charge", "taken in hand"],
                (false, false) => ["rendu", "rendus", "handed back"],
                (true, false) => ["rendue", "rendues", "handed back"],
            },
            Self::Note(entity) => match feminine(entity) {
                false => ["annoté", "annotés", "annotated"],
                true => ["annotée", "annotées", "annotated"],
            },
            Self::ArchiveGroup(true) => ["archivé", "archivés", "archived"],
            Self::ArchiveGroup(false) => {
                ["remis en service", "remis en service", "put back in use"]
            }
            Self::StaffActive(false) => ["désactivé·e", "désactivé·es", "switched off"],
            Self::StaffActive(true) => ["réactivé·e", "réactivé·es", "switched back on"],
        };
        match lang {
            Lang::Fr if n > 1 => fr_many,
            Lang::Fr => fr_one,
            Lang::En => en,
        }
    }

    /// The outcome, counted: "1 message masqué", "20 messages masqués",
    /// "3 organisations enrolled".
    pub fn counted(&self, n: usize, lang: Lang) -> String {
        format!("{} {}", self.noun(n, lang), self.participle(n, lang))
    }
}

/// Whether French names records of this kind in the feminine (une
/// organisation, une publication).
fn feminine(entity: &str) -> bool {
    matches!(entity, "organization" | "upload")
}

/// What a batch did: records decided (id, state seen, label), records refused
/// (id, why), and a storage failure (a full disk, a read-only file) that
/// stopped it: then the caller must roll everything back, whatever it was
/// told about refusals, since the transaction itself may be gone.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub applied: Vec<(String, String, String)>,
    pub failed: Vec<(String, String)>,
    pub storage: Option<String>,
    /// Posts hidden with their authors' sanction (`hide_posts`).
    pub hidden_posts: usize,
}

impl BatchOutcome {
    /// What it did, counted: "3 auteurs réduits au silence, 12 messages masqués".
    pub fn counted(&self, decision: &Decision, lang: Lang) -> String {
        let mut text = decision.counted(self.applied.len(), lang);
        if self.hidden_posts > 0 {
            let hide = Decision::Moderate(PostAction::Hide);
            text.push_str(", ");
            text.push_str(&hide.counted(self.hidden_posts, lang));
        }
        text
    }
}

/// Why one record of a batch was not decided.
enum Stop {
    /// This record cannot take the decision: the batch may go on.
    Refused(String),
    /// The database failed: nothing after this can be trusted.
    Storage(String),
}

fn op_stop(e: super::OpError, lang: Lang) -> Stop {
    if e.is_storage() {
        Stop::Storage(e.message(lang))
    } else {
        Stop::Refused(e.message(lang))
    }
}

/// Applies one decision to every id inside the caller's transaction. With
/// `isolate`, each op sits in a savepoint so a refused one leaves nothing
/// behind and the rest go on; without it the caller rolls everything back on
/// any failure, and savepoints would only cost time.
/// How a batch is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    /// Each record in a savepoint of its own: a refused one is skipped and
    /// the rest applied (`--continue-on-error`).
    pub isolate: bool,
    /// The person each decision affects is not told (no notice in the
    /// platform's feed).
    pub quiet: bool,
}

pub fn apply_batch(
    tx: &Connection,
    actor: &Actor,
    decision: &Decision,
    ids: &[String],
    reason: Option<&str>,
    mode: Mode,
    lang: Lang,
) -> BatchOutcome {
    let mut out = BatchOutcome::default();
    // Several records decided at once are one batch: undone together.
    let batch = Batch {
        mode,
        // A sanction that hides posts is several ops, undone together too.
        id: (ids.len() > 1
            || matches!(
                decision,
                Decision::Citizen {
                    hide_posts: true,
                    ..
                }
            ))
        .then(|| uuid::Uuid::now_v7().to_string()),
        lang,
    };
    for id in ids {
        match apply_one(tx, actor, decision, id, reason, &batch) {
            Ok((seen, label, hidden)) => {
                out.applied.push((id.clone(), seen, label));
                out.hidden_posts += hidden;
            }
            Err(Stop::Refused(why)) => out.failed.push((id.clone(), why)),
            Err(Stop::Storage(why)) => {
                out.storage = Some(why);
                break;
            }
        }
    }
    out
}

/// How a batch runs: its mode, its id (several records), the language of
/// refusals.
struct Batch {
    mode: Mode,
    id: Option<String>,
    lang: Lang,
}

fn apply_one(
    tx: &Connection,
    actor: &Actor,
    decision: &Decision,
    id: &str,
    reason: Option<&str>,
    batch: &Batch,
) -> Result<(String, String, usize), Stop> {
    let (mode, lang) = (batch.mode, batch.lang);
    let found: Option<(String, String)> = tx
        .prepare_cached(decision.lookup())
        .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(|e| Stop::Storage(e.to_string()))?;
    let (seen, label) =
        found.ok_or_else(|| Stop::Refused(lang.pick("introuvable", "not found").to_owned()))?;
    let op = decision
        .make(id, &seen, reason.map(str::to_owned))
        .map_err(Stop::Refused)?;
    let meta = || super::OpMeta {
        quiet: mode.quiet,
        batch: batch.id.clone(),
        ..super::OpMeta::now()
    };
    // The op, then (a sanction that hides posts) one hide per visible post
    // of the author, each an op of its own with the same reason.
    let apply = |tx: &Connection, actor: &Actor, op: &Op| -> Result<usize, super::OpError> {
        super::apply_with(tx, actor, op, &meta())?;
        if !matches!(
            decision,
            Decision::Citizen {
                hide_posts: true,
                ..
            }
        ) {
            return Ok(0);
        }
        let posts: Vec<String> = tx
            .prepare_cached(
                "SELECT id FROM forum_posts WHERE author_id = ?1 AND status = 'visible' ORDER BY created_at, id",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for post_id in &posts {
            let hide = Op::ModeratePost {
                post_id: post_id.clone(),
                seen_status: PostStatus::Visible,
                action: PostAction::Hide,
                reason: reason.map(str::to_owned),
            };
            super::apply_with(tx, actor, &hide, &meta())?;
        }
        Ok(posts.len())
    };
    if !mode.isolate {
        return apply(tx, actor, &op)
            .map(|n| (seen, label, n))
            .map_err(|e| op_stop(e, lang));
    }
    let storage = |e: rusqlite::Error| Stop::Storage(e.to_string());
    let sp = crate::store::Savepoint::begin(tx, "one").map_err(storage)?;
    match apply(&sp, actor, &op) {
        Ok(n) => {
            sp.release().map_err(storage)?;
            Ok((seen, label, n))
        }
        Err(e) => {
            let stop = op_stop(e, lang);
            // A storage failure's savepoint is undone as it drops; the
            // caller rolls the whole batch back anyway.
            if let Stop::Refused(_) = stop {
                sp.rollback().map_err(storage)?;
            }
            Err(stop)
        }
    }
}
