//! Decisions a person takes on many records at once (the batch CLI and the
//! console's marked rows): what each reads to know what its author saw, the op
//! it becomes, and how a batch of them is applied in one transaction.

use crate::domain::sms::SmsStatus;
use rusqlite::{Connection, OptionalExtension};

use super::{Charter, Op};
use crate::domain::enrollment::{EnrollmentAction, Stage};
use crate::domain::forum::{PostAction, PostStatus};
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
}

impl Decision {
    /// The table whose records this decision is taken on.
    pub fn table(&self) -> &'static str {
        match self {
            Self::Enrollment(..) => "organizations",
            Self::Review(_) => "uploads",
            Self::Moderate(_) | Self::DismissFlags => "forum_posts",
            Self::ApproveSms | Self::CancelSms => "sms_messages",
            Self::OptOut => "sms_contacts",
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
            Self::ApproveSms => {
                "SELECT m.status || ' ' || (SELECT count(*) FROM sms_group_members gm
                   JOIN sms_contacts c ON c.id = gm.contact_id
                   WHERE gm.group_id = m.group_id AND c.opted_out_at IS NULL),
                   substr(m.body, 1, 60) FROM sms_messages m WHERE m.id = ?1"
            }
            Self::CancelSms => "SELECT status, substr(body, 1, 60) FROM sms_messages WHERE id = ?1",
            Self::OptOut => {
                "SELECT phone_e164, COALESCE(name, phone_e164) FROM sms_contacts WHERE id = ?1"
            }
        }
    }

    pub fn needs_reason(&self) -> bool {
        match self {
            Self::Enrollment(a, _) => a.needs_reason(),
            Self::Review(d) => d.needs_reason(),
            Self::Moderate(a) => a.needs_reason(),
            Self::DismissFlags | Self::ApproveSms | Self::OptOut => false,
            Self::CancelSms => true,
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
        }
    }

    /// The kind of record it is taken on (for the notice's facts).
    pub fn entity(&self) -> &'static str {
        match self {
            Self::Enrollment(..) => "organization",
            Self::Review(_) => "upload",
            Self::Moderate(_) | Self::DismissFlags => "forum_post",
            Self::ApproveSms | Self::CancelSms => "sms_message",
            Self::OptOut => "sms_contact",
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

/// What a batch did: records decided (id, state seen, label), records refused
/// (id, why), and a storage failure (a full disk, a read-only file) that
/// stopped it: then the caller must roll everything back, whatever it was
/// told about refusals, since the transaction itself may be gone.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub applied: Vec<(String, String, String)>,
    pub failed: Vec<(String, String)>,
    pub storage: Option<String>,
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
        id: (ids.len() > 1).then(|| uuid::Uuid::now_v7().to_string()),
        lang,
    };
    for id in ids {
        match apply_one(tx, actor, decision, id, reason, &batch) {
            Ok((seen, label)) => out.applied.push((id.clone(), seen, label)),
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
) -> Result<(String, String), Stop> {
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
    let meta = super::OpMeta {
        quiet: mode.quiet,
        batch: batch.id.clone(),
        ..super::OpMeta::now()
    };
    let apply = |tx: &Connection, actor: &Actor, op: &Op| super::apply_with(tx, actor, op, &meta);
    if !mode.isolate {
        return apply(tx, actor, &op)
            .map(|_| (seen, label))
            .map_err(|e| op_stop(e, lang));
    }
    let run = |sql: &str| {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map_err(|e| Stop::Storage(e.to_string()))
    };
    run("SAVEPOINT one")?;
    match apply(tx, actor, &op) {
        Ok(_) => {
            run("RELEASE one")?;
            Ok((seen, label))
        }
        Err(e) => {
            let stop = op_stop(e, lang);
            if let Stop::Refused(_) = stop {
                run("ROLLBACK TO one")?;
                run("RELEASE one")?;
            }
            Err(stop)
        }
    }
}
