//! `enrollments`, `uploads`, `forum`, `sms`, `audit`: their `list` commands and
//! their batch actions.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::batch::{self, ActionArgs};
use super::output::{self, Format};
use super::{CmdResult, Ctx, Failure};
use crate::domain::enrollment::EnrollmentAction;
use crate::domain::forum::PostAction;
use crate::domain::uploads::ReviewDecision;
use crate::ops::Charter;
use crate::ops::decisions::Decision;
use crate::store::query::{self, Cursor, FilterKey, Filters, ListKind};
use crate::store::rows::{AuditEntry, Citizen, Listed, Organization, Post, SmsMessage, Upload};

#[derive(Debug, Clone, Args)]
pub struct ListCommon {
    /// table (fits the terminal), csv or json (for scripts).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// At most N rows, 1 to 1,000,000,000 (tables default to 50; csv and json to all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub limit: Option<u64>,
    /// Start after this cursor (printed at the end of the previous page).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// CSV cells exactly as stored, for machine use: by default a cell a
    /// spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a
    /// leading apostrophe.
    #[arg(long)]
    pub raw: bool,
    /// A filter as the console's filter line takes it, in French or English
    /// words: statut=contactée, région=Kuilsé, depuis=hier (repeatable).
    #[arg(long = "where", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
}

macro_rules! filter_args {
    ($name:ident { $($(#[$m:meta])* $field:ident => $key:ident),* $(,)? }) => {
        #[derive(Debug, Clone, Default, Args)]
        pub struct $name {
            $($(#[$m])* #[arg(long)] pub $field: Option<String>,)*
        }

        impl $name {
            pub fn filters(&self) -> Filters {
                let mut f = Filters::default();
                $(if let Some(v) = &self.$field { f.push(FilterKey::$key, v.clone()); })*
                f
            }
        }
    };
}

filter_args!(EnrollmentFilters {
    /// Stage(s), comma-separated: applied, charter_received, contacted, enrolled, rejected, suspended.
    status => Status,
    /// commune, region or osc.
    kind => Kind,
    /// Region (2025 names, e.g. Kadiogo, Guiriko; accents and case aside).
    region => Region,
    /// Province (e.g. Houet; accents and case aside).
    province => Province,
    /// Commune (e.g. Gorom-Gorom; accents and case aside).
    commune => Commune,
    /// Words in the name, acronym or commune (accents optional).
    search => Search,
    /// Applied on or after (28/11/2026, 28 nov. 2026, hier, YYYY-MM-DD or RFC 3339).
    since => Since,
    /// Applied before.
    until => Until,
    /// The public platform's own id(s), comma-separated (as on the website).
    platform => Platform,
});

filter_args!(UploadFilters {
    /// pending, approved, rejected, changes_requested (comma-separated).
    status => Status,
    /// document, statistic, article, video, audio, photo.
    kind => Kind,
    /// local_development_plan, budget, procurement_plan, council_minutes, other.
    category => Category,
    /// Organisation id.
    org => Org,
    /// The organisation's region (accents and case aside).
    region => Region,
    /// The organisation's commune (accents and case aside).
    commune => Commune,
    /// `--plausible no`: only uploads whose statistics jump implausibly
    /// from the year before (more than 50 %, or 15 % a year).
    #[arg(value_name = "yes|no")]
    plausible => Plausible,
    /// Words in the title, file name or organisation.
    search => Search,
    /// Submitted on or after.
    since => Since,
    /// Before (the same ways of writing a day).
    until => Until,
    /// The public platform's own id(s), comma-separated.
    platform => Platform,
});

filter_args!(ForumFilters {
    /// visible, hidden, removed (comma-separated).
    status => Status,
    /// Thread id.
    thread => Thread,
    /// Author (citizen) id.
    author => Author,
    /// Only posts with open flags (`--flagged`, or `--flagged no` for unflagged ones).
    #[arg(num_args = 0..=1, default_missing_value = "yes", value_name = "yes|no")]
    flagged => Flagged,
    /// What a watched word did at ingest: hold (held for review), flag,
    /// reject, or yes/no.
    watched => Watched,
    /// Hidden by the system (auto-hide, a watched word) and waiting for a
    /// moderator (`--held`, or `--held no`).
    #[arg(num_args = 0..=1, default_missing_value = "yes", value_name = "yes|no")]
    held => Held,
    /// Words in the post (accents optional).
    search => Search,
    /// On or after (28/11/2026, 28 nov. 2026, hier, YYYY-MM-DD or RFC 3339).
    since => Since,
    /// Before (the same ways of writing a day).
    until => Until,
    /// The public platform's own id(s), comma-separated (as on the website).
    platform => Platform,
});

filter_args!(CitizenFilters {
    /// active, muted, banned (comma-separated).
    status => Status,
    /// Any part of the name (accents and case aside).
    search => Search,
    /// The public platform's own id(s), comma-separated.
    platform => Platform,
});

filter_args!(SmsFilters {
    /// draft, queued, approved, sending, sent, failed, cancelled.
    status => Status,
    /// alert or notice.
    kind => Kind,
    /// Group name or id.
    group => Group,
    /// On or after (28/11/2026, 28 nov. 2026, hier, YYYY-MM-DD or RFC 3339).
    since => Since,
    /// Before (the same ways of writing a day).
    until => Until,
});

filter_args!(AuditFilters {
    /// A staff member: login or part of the name, accents aside (awa, kabore).
    actor => Actor,
    /// A decision in words or as coded: masqué, enrôlée, post.hide.
    action => Action,
    /// A kind of record in words or as coded: message, organisation, forum_post.
    entity => Entity,
    /// The record's id.
    entity_id => EntityId,
    /// On or after (28/11/2026, 28 nov. 2026, hier, YYYY-MM-DD or RFC 3339).
    since => Since,
    /// Before (the same ways of writing a day).
    until => Until,
});

#[derive(Debug, Subcommand)]
pub enum EnrollmentsCmd {
    /// List organisations.
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
        #[command(flatten)]
        filters: EnrollmentFilters,
    },
    /// Enrol contacted organisations.
    Approve(ActionArgs),
    /// Reject applications (a reason is required).
    Reject(ActionArgs),
    /// Suspend enrolled organisations (a reason is required).
    Suspend(ActionArgs),
    /// Lift a suspension.
    Reinstate(ActionArgs),
    /// Record that the organisation's leaders were contacted.
    Contacted(ActionArgs),
    /// Register a new organisation that wants to join (as field staff met
    /// it): kind, name, commune from the list (region and province follow).
    Apply {
        /// commune, region or osc (in words too: association, mairie).
        #[arg(long)]
        kind: String,
        /// The organisation's name, as it writes it.
        #[arg(long)]
        name: String,
        /// Its acronym.
        #[arg(long)]
        acronym: Option<String>,
        /// The commune, as in Burkina Faso's list (accents and case aside).
        #[arg(long)]
        commune: String,
        /// The person to talk to.
        #[arg(long)]
        contact_name: Option<String>,
        /// Their role (maire, présidente, secrétaire général…).
        #[arg(long)]
        contact_role: Option<String>,
        /// The contact's phone, local (70 12 34 56) or international.
        #[arg(long)]
        contact_phone: Option<String>,
        /// An e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Save even when an organisation of the same name is already
        /// registered in that commune.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Check everything, save nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Record a leader met in an organisation (an organisation whose charter
    /// was received moves to "contacted" with it).
    Contact {
        /// The organisation's id.
        id: String,
        /// The leader's name.
        #[arg(long)]
        name: String,
        /// Their role (maire, présidente, secrétaire général…).
        #[arg(long)]
        role: Option<String>,
        /// Their phone, local (70 12 34 56) or international.
        #[arg(long)]
        phone: Option<String>,
        /// Check everything, save nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Correct an organisation's details (an empty value clears one); the
    /// audit log keeps the old values.
    Edit {
        /// The organisation's id.
        id: String,
        /// The organisation's name, as it writes it.
        #[arg(long)]
        name: Option<String>,
        /// Its acronym.
        #[arg(long)]
        acronym: Option<String>,
        /// The person to talk to.
        #[arg(long)]
        contact_name: Option<String>,
        /// Their role (maire, présidente, secrétaire général…).
        #[arg(long)]
        contact_role: Option<String>,
        /// Their phone, local (70 12 34 56) or international.
        #[arg(long)]
        phone: Option<String>,
        /// An e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Check everything, save nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Record a received charter: its signing date and reference.
    Charter {
        #[command(flatten)]
        action: ActionArgs,
        /// Day the charter was signed: 2026-11-28, 28/11/2026, 28 nov. 2026, hier.
        #[arg(long, value_name = "DATE")]
        signed_on: String,
        /// The charter's reference number.
        #[arg(long = "ref", value_name = "REF")]
        reference: String,
    },
    /// "Je m'en occupe": take records in hand, so colleagues see it after their next sync.
    Claim(ActionArgs),
    /// Hand records back (an admin may hand back a colleague's).
    Release(ActionArgs),
    /// Add a staff note to records (kept and synced between staff, never
    /// sent to the platform).
    Note {
        #[command(flatten)]
        action: ActionArgs,
        /// The note, one line of plain text (2,000 characters at most).
        #[arg(long, value_name = "TEXT", conflicts_with = "reason")]
        text: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UploadsCmd {
    /// List uploads (oldest first, so the queue reads in order).
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
        #[command(flatten)]
        filters: UploadFilters,
    },
    /// Approve pending uploads.
    Approve(ActionArgs),
    /// Reject pending uploads (a reason is required).
    Reject(ActionArgs),
    /// Send pending uploads back for changes (a reason is required).
    RequestChanges(ActionArgs),
    /// Fetch uploads' files from the hub into the local cache (verified by
    /// SHA-256, resumed after a cut) and print where each is.
    Fetch {
        /// Upload ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// What an upload's file holds, read from the cache (fetched first if
    /// needed): a PDF's first pages' text, a CSV's first rows, an image's
    /// size, an audio or video file's length.
    Preview {
        /// The upload's id.
        id: String,
    },
    /// "Je m'en occupe": take records in hand, so colleagues see it after their next sync.
    Claim(ActionArgs),
    /// Hand records back (an admin may hand back a colleague's).
    Release(ActionArgs),
    /// Add a staff note to records (kept and synced between staff, never
    /// sent to the platform).
    Note {
        #[command(flatten)]
        action: ActionArgs,
        /// The note, one line of plain text (2,000 characters at most).
        #[arg(long, value_name = "TEXT", conflicts_with = "reason")]
        text: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ForumCmd {
    /// List posts (newest first).
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
        #[command(flatten)]
        filters: ForumFilters,
    },
    /// Hide posts pending review (a reason is required).
    Hide(ActionArgs),
    /// Remove posts (a reason is required).
    Remove(ActionArgs),
    /// Make hidden or removed posts visible again.
    Restore(ActionArgs),
    /// Dismiss posts' open flags, leaving the posts as they are.
    Dismiss(ActionArgs),
    /// Lock threads: no new post (thread ids; `--where` locks the threads
    /// of the matching posts).
    Lock(ActionArgs),
    /// Unlock threads.
    Unlock(ActionArgs),
    /// The posts in the moderation queue with the same text as this one
    /// (case, accents, spacing and phone numbers aside), ids first: for
    /// `--from -` of a batch action.
    SameText {
        /// The post whose copies are looked for.
        post_id: String,
        #[command(flatten)]
        common: Box<ListCommon>,
    },
    /// "Je m'en occupe": take records in hand, so colleagues see it after their next sync.
    Claim(ActionArgs),
    /// Hand records back (an admin may hand back a colleague's).
    Release(ActionArgs),
    /// Add a staff note to records (kept and synced between staff, never
    /// sent to the platform).
    Note {
        #[command(flatten)]
        action: ActionArgs,
        /// The note, one line of plain text (2,000 characters at most).
        #[arg(long, value_name = "TEXT", conflicts_with = "reason")]
        text: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CitizensCmd {
    /// List citizens (posts' authors), by name.
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
        #[command(flatten)]
        filters: CitizenFilters,
    },
    /// Mute citizens for a time: they cannot post until then (a reason is required).
    Mute {
        #[command(flatten)]
        action: ActionArgs,
        /// How long: 24h, 7d, 30d, or N h / N d (up to 366 days).
        #[arg(long = "for", value_name = "DURATION")]
        duration: String,
        /// Hide every visible post of theirs too, with the same reason.
        #[arg(long)]
        hide_posts: bool,
    },
    /// Ban citizens: they can no longer post (a reason is required).
    Ban {
        #[command(flatten)]
        action: ActionArgs,
        /// Hide every visible post of theirs too, with the same reason.
        #[arg(long)]
        hide_posts: bool,
    },
    /// Let muted or banned citizens post again.
    Reinstate(ActionArgs),
    /// "Je m'en occupe": take records in hand, so colleagues see it after their next sync.
    Claim(ActionArgs),
    /// Hand records back (an admin may hand back a colleague's).
    Release(ActionArgs),
    /// Add a staff note to records (kept and synced between staff, never
    /// sent to the platform).
    Note {
        #[command(flatten)]
        action: ActionArgs,
        /// The note, one line of plain text (2,000 characters at most).
        #[arg(long, value_name = "TEXT", conflicts_with = "reason")]
        text: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SmsCmd {
    /// List SMS messages (newest first).
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
        #[command(flatten)]
        filters: SmsFilters,
    },
    /// Count SMS segments: reads JSON lines, one JSON string a line (`-` or
    /// nothing: standard input), writes one
    /// {"encoding":"GSM-7"|"UCS-2","segments":N,"units":N} line for each.
    Count {
        /// The JSON-lines file.
        file: Option<std::path::PathBuf>,
    },
    /// SMS contacts.
    #[command(subcommand)]
    Contacts(super::contacts::ContactsCmd),
    /// Broadcast groups.
    #[command(subcommand)]
    Groups(GroupsCmd),
    /// Queue an SMS to a group, with the composer's rules: its count of
    /// SMS, quiet hours, and an admin's approval for every alert and for a
    /// notice to more people than the hub's threshold.
    Send {
        /// The group (name or id).
        #[arg(long)]
        group: String,
        /// alert or notice.
        #[arg(long)]
        kind: String,
        /// The message.
        #[arg(long)]
        text: String,
        #[command(flatten)]
        sending: super::sms::Sending,
    },
    /// Send a message again to the numbers it failed to reach, and only to
    /// them: a new message, with the same approvals as any other.
    Resend {
        /// The message that failed for some.
        id: String,
        /// Another text (the same one by default).
        #[arg(long)]
        text: Option<String>,
        #[command(flatten)]
        sending: super::sms::Sending,
    },
    /// Approve queued SMS (an admin, never the author).
    Approve(ActionArgs),
    /// Cancel SMS not sent yet (a reason is required).
    Cancel(ActionArgs),
    /// One SMS: what it says, to whom, and how its delivery went (sent,
    /// delivered, failed with the numbers and why, pending).
    Show {
        /// The message's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupsCmd {
    /// List groups, by name.
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
    },
    /// Create a group: of members added by hand, or dynamic with
    /// --region, --commune or --kind (its members are the contacts that
    /// match when a message goes; the count today is shown).
    Create {
        /// Its name (unique).
        name: String,
        /// What it is for.
        #[arg(long)]
        description: Option<String>,
        /// Dynamic: the contacts of this region.
        #[arg(long)]
        region: Option<String>,
        /// Dynamic: the contacts of this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Dynamic: the numbers of this kind of organisation's contacts and
        /// leaders met (commune, région, osc).
        #[arg(long)]
        kind: Option<String>,
    },
    /// Rename a group.
    Rename {
        /// The group (name or id).
        group: String,
        /// Its new name.
        name: String,
    },
    /// Archive a group: kept for history, never sent to (`--undo` puts it back in use).
    Archive {
        /// The group (name or id).
        group: String,
        /// Put an archived group back in use.
        #[arg(long)]
        undo: bool,
    },
    /// Add numbers to a group (new ones become contacts).
    Add {
        /// The group (name or id).
        group: String,
        /// Phone numbers, local (70 12 34 56) or international.
        #[arg(required = true)]
        phones: Vec<String>,
    },
    /// Take numbers out of a group (the contacts stay).
    Remove {
        /// The group (name or id).
        group: String,
        /// Phone numbers, local (70 12 34 56) or international.
        #[arg(required = true)]
        phones: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// List the audit log (newest first).
    List {
        #[command(flatten)]
        common: Box<ListCommon>,
        #[command(flatten)]
        filters: AuditFilters,
    },
}

pub(super) fn list<T: Listed>(
    ctx: &Ctx,
    kind: ListKind,
    common: &ListCommon,
    filters: &Filters,
) -> CmdResult {
    let mut filters = filters.clone();
    for f in &common.filters {
        filters
            .push_where(f)
            .map_err(|e| Failure::usage(format!("--where {f}: {}", e.message(ctx.lang))))?;
    }
    let filters = &filters;
    let after: Option<Cursor> = match &common.after {
        Some(c) => Some(
            c.parse()
                .map_err(|e: query::FilterError| Failure::usage(e.to_string()))?,
        ),
        None => None,
    };
    let store = ctx.open()?;
    if crate::replica::pull::fill_unfinished(store.conn()) {
        eprintln!(
            "{}",
            ctx.lang.pick(
                "attention : la première synchronisation n'est pas terminée ; listes, recherches et comptes sont incomplets jusqu'à la prochaine (civitac sync)",
                "warning: the first sync is unfinished; lists, searches and counts are incomplete until the next one (civitac sync)",
            )
        );
    }
    output::print_list::<T>(
        store.conn(),
        ctx.lang,
        kind,
        filters,
        output::Shape {
            format: common.format,
            limit: common.limit.map(|n| n as usize),
            raw: common.raw,
        },
        after.as_ref(),
    )
    .map_err(|f| {
        if f.code == 2 {
            f
        } else {
            f.in_file(store.path())
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn enrollments(ctx: &Ctx, cmd: EnrollmentsCmd) -> CmdResult {
    use EnrollmentAction as A;
    let (args, decision) = match cmd {
        EnrollmentsCmd::List { common, filters } => {
            return list::<Organization>(ctx, ListKind::Enrollments, &common, &filters.filters());
        }
        EnrollmentsCmd::Approve(a) => (a, Decision::Enrollment(A::Enrol, None)),
        EnrollmentsCmd::Reject(a) => (a, Decision::Enrollment(A::Reject, None)),
        EnrollmentsCmd::Suspend(a) => (a, Decision::Enrollment(A::Suspend, None)),
        EnrollmentsCmd::Reinstate(a) => (a, Decision::Enrollment(A::Reinstate, None)),
        EnrollmentsCmd::Contacted(a) => (a, Decision::Enrollment(A::RecordContact, None)),
        EnrollmentsCmd::Apply {
            kind,
            name,
            acronym,
            commune,
            contact_name,
            contact_role,
            contact_phone,
            email,
            yes,
            dry_run,
        } => {
            let form = crate::ops::forms::Application {
                kind,
                name,
                acronym: acronym.unwrap_or_default(),
                commune,
                contact_name: contact_name.unwrap_or_default(),
                contact_role: contact_role.unwrap_or_default(),
                phone: contact_phone.unwrap_or_default(),
                email: email.unwrap_or_default(),
            };
            return enrollment_apply(ctx, &form, yes, dry_run);
        }
        EnrollmentsCmd::Contact {
            id,
            name,
            role,
            phone,
            dry_run,
        } => {
            return enrollment_contact(ctx, &id, &name, role.as_deref(), phone.as_deref(), dry_run);
        }
        EnrollmentsCmd::Edit {
            id,
            name,
            acronym,
            contact_name,
            contact_role,
            phone,
            email,
            dry_run,
        } => {
            let fields: Vec<(&'static str, String)> = [
                ("name", name),
                ("acronym", acronym),
                ("contact_name", contact_name),
                ("contact_role", contact_role),
                ("phone", phone),
                ("email", email),
            ]
            .into_iter()
            .filter_map(|(f, v)| v.map(|v| (f, v)))
            .collect();
            return enrollment_edit(ctx, &id, &fields, dry_run);
        }
        EnrollmentsCmd::Claim(a) => (a, Decision::Claim("organization", true)),
        EnrollmentsCmd::Release(a) => (a, Decision::Claim("organization", false)),
        EnrollmentsCmd::Note { action, text } => note(action, text, "organization"),
        EnrollmentsCmd::Charter {
            action,
            signed_on,
            reference,
        } => {
            // Typed as people write dates (28/11/2026, hier…), stored ISO.
            let signed_on = crate::time::parse_typed_day(&signed_on, jiff::Timestamp::now())
                .map_err(|e| Failure::usage(format!("--signed-on: {e}")))?
                .to_string();
            (
                action,
                Decision::Enrollment(
                    A::RecordCharter,
                    Some(Charter {
                        signed_on,
                        reference,
                    }),
                ),
            )
        }
    };
    let select = |c: &rusqlite::Connection, f: &Filters| {
        query::ids::<Organization>(c, ListKind::Enrollments, f)
    };
    batch::run(ctx, &args, &decision, &select)
}

pub fn uploads(ctx: &Ctx, cmd: UploadsCmd) -> CmdResult {
    let (args, decision) = match cmd {
        UploadsCmd::List { common, filters } => {
            return list::<Upload>(ctx, ListKind::Uploads, &common, &filters.filters());
        }
        UploadsCmd::Fetch { ids } => return super::sync::fetch_files(ctx, &ids),
        UploadsCmd::Preview { id } => return super::sync::preview(ctx, &id),
        UploadsCmd::Approve(a) => (a, Decision::Review(ReviewDecision::Approve)),
        UploadsCmd::Reject(a) => (a, Decision::Review(ReviewDecision::Reject)),
        UploadsCmd::RequestChanges(a) => (a, Decision::Review(ReviewDecision::RequestChanges)),
        UploadsCmd::Claim(a) => (a, Decision::Claim("upload", true)),
        UploadsCmd::Release(a) => (a, Decision::Claim("upload", false)),
        UploadsCmd::Note { action, text } => note(action, text, "upload"),
    };
    let select =
        |c: &rusqlite::Connection, f: &Filters| query::ids::<Upload>(c, ListKind::Uploads, f);
    batch::run(ctx, &args, &decision, &select)
}

pub fn forum(ctx: &Ctx, cmd: ForumCmd) -> CmdResult {
    let (args, decision) = match cmd {
        ForumCmd::List { common, filters } => {
            return list::<Post>(ctx, ListKind::Forum, &common, &filters.filters());
        }
        ForumCmd::Dismiss(a) => (a, Decision::DismissFlags),
        ForumCmd::Hide(a) => (a, Decision::Moderate(PostAction::Hide)),
        ForumCmd::Remove(a) => (a, Decision::Moderate(PostAction::Remove)),
        ForumCmd::Restore(a) => (a, Decision::Moderate(PostAction::Restore)),
        ForumCmd::Claim(a) => (a, Decision::Claim("forum_post", true)),
        ForumCmd::Release(a) => (a, Decision::Claim("forum_post", false)),
        ForumCmd::Note { action, text } => note(action, text, "forum_post"),
        ForumCmd::Lock(a) => return threads(ctx, &a, true),
        ForumCmd::Unlock(a) => return threads(ctx, &a, false),
        ForumCmd::SameText { post_id, common } => {
            let post_id = query::normalise_id(&post_id);
            let ids = {
                let store = ctx.open()?;
                crate::store::views::same_text(store.conn(), &post_id).map_err(|e| match e {
                    crate::store::views::SameTextError::NoPost => Failure::new(match ctx.lang {
                        crate::i18n::Lang::Fr => format!("message {post_id} : introuvable"),
                        crate::i18n::Lang::En => format!("post {post_id}: not found"),
                    }),
                    crate::store::views::SameTextError::NoText => Failure::new(match ctx.lang {
                        crate::i18n::Lang::Fr => {
                            format!("message {post_id} : pas de texte à comparer")
                        }
                        crate::i18n::Lang::En => format!("post {post_id}: no text to compare"),
                    }),
                    crate::store::views::SameTextError::Sqlite(e) => {
                        Failure::new(e.to_string()).in_file(store.path())
                    }
                })?
            };
            let mut filters = Filters::default();
            filters.push(FilterKey::Id, ids.join(","));
            return list::<Post>(ctx, ListKind::Forum, &common, &filters);
        }
    };
    let select = |c: &rusqlite::Connection, f: &Filters| query::ids::<Post>(c, ListKind::Forum, f);
    batch::run(ctx, &args, &decision, &select)
}

fn field_failure(e: crate::ops::forms::FieldError) -> Failure {
    Failure::usage(format!("--{}: {}", e.field.replace('_', "-"), e.why))
}

fn enrollment_apply(
    ctx: &Ctx,
    form: &crate::ops::forms::Application,
    yes: bool,
    dry_run: bool,
) -> CmdResult {
    use crate::i18n::Lang;
    let lang = ctx.lang;
    let org = crate::ops::forms::application(form, lang).map_err(field_failure)?;
    let commune = org.commune.clone().unwrap_or_default();
    let same = {
        let store = ctx.open()?;
        crate::ops::forms::same_name(store.conn(), &org.name, &commune)
            .map_err(|e| Failure::new(e.to_string()).in_file(store.path()))?
    };
    if let Some((id, name, status)) = same.first() {
        let status = crate::i18n::values::column_word("enrollments", "status", status, lang)
            .unwrap_or_default();
        let said = match lang {
            Lang::Fr => format!(
                "« {} » est déjà inscrite à {commune} ({status}) : {id}",
                crate::text::inline(name)
            ),
            Lang::En => format!(
                "\"{}\" is already registered in {commune} ({status}): {id}",
                crate::text::inline(name)
            ),
        };
        if !yes && !dry_run {
            return Err(Failure::new(format!(
                "{said}{}",
                lang.pick(
                    " ; --yes pour l'enregistrer quand même ; rien n'a été modifié",
                    "; --yes to register it all the same; nothing was changed"
                )
            )));
        }
        eprintln!("{said}");
    }
    let id = org.id.clone();
    let name = crate::text::inline(&org.name);
    super::batch::apply_ops(ctx, &[crate::ops::Op::ApplyEnrollment { org }], dry_run)?;
    println!(
        "{}",
        match (lang, dry_run) {
            (Lang::Fr, false) => format!("{id}  candidature de « {name} » enregistrée ({commune})"),
            (Lang::En, false) => format!("{id}  application of \"{name}\" recorded ({commune})"),
            (Lang::Fr, true) => format!(
                "simulation : « {name} » serait enregistrée ({commune}) ; rien n'a été modifié"
            ),
            (Lang::En, true) =>
                format!("dry run: \"{name}\" would be recorded ({commune}); nothing was changed"),
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn enrollment_contact(
    ctx: &Ctx,
    id: &str,
    name: &str,
    role: Option<&str>,
    phone: Option<&str>,
    dry_run: bool,
) -> CmdResult {
    use crate::i18n::Lang;
    let lang = ctx.lang;
    let id = query::normalise_id(id);
    let leader =
        crate::ops::forms::leader(&id, name, role.unwrap_or(""), phone.unwrap_or(""), lang)
            .map_err(field_failure)?;
    // Met at the stage after the charter: the organisation is contacted now.
    let stage: Option<crate::domain::enrollment::Stage> = {
        let store = ctx.open()?;
        store
            .conn()
            .query_row(
                "SELECT status FROM organizations WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .ok()
    };
    let mut ops = vec![crate::ops::Op::AddLeader { leader }];
    if stage == Some(crate::domain::enrollment::Stage::CharterReceived) {
        ops.push(crate::ops::Op::SetEnrollmentStatus {
            org_id: id.clone(),
            seen_status: crate::domain::enrollment::Stage::CharterReceived,
            action: crate::domain::enrollment::EnrollmentAction::RecordContact,
            reason: None,
            charter: None,
        });
    }
    super::batch::apply_ops(ctx, &ops, dry_run)?;
    let moved = ops.len() > 1;
    println!(
        "{}",
        match (lang, dry_run) {
            (Lang::Fr, false) => format!(
                "responsable noté{}",
                if moved {
                    " ; organisation marquée contactée"
                } else {
                    ""
                }
            ),
            (Lang::En, false) => format!(
                "leader recorded{}",
                if moved {
                    "; organisation marked contacted"
                } else {
                    ""
                }
            ),
            (Lang::Fr, true) => "simulation : rien n'a été modifié".to_owned(),
            (Lang::En, true) => "dry run: nothing was changed".to_owned(),
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn enrollment_edit(
    ctx: &Ctx,
    id: &str,
    fields: &[(&'static str, String)],
    dry_run: bool,
) -> CmdResult {
    use crate::i18n::Lang;
    let lang = ctx.lang;
    if fields.is_empty() {
        return Err(Failure::usage(lang.pick(
            "indiquez ce qu'il faut corriger : --name, --acronym, --contact-name, --contact-role, --phone, --email",
            "say what to correct: --name, --acronym, --contact-name, --contact-role, --phone, --email",
        )));
    }
    let id = query::normalise_id(id);
    let op = {
        let store = ctx.open()?;
        crate::ops::forms::edit(store.conn(), &id, fields, lang).map_err(|e| Failure::new(e.why))?
    };
    let crate::ops::Op::EditOrganization { changes, .. } = &op else {
        return Err(Failure::new("edit"));
    };
    for c in changes {
        println!(
            "{} : {} → {}",
            crate::i18n::values::field_words(&c.field, lang),
            crate::text::inline(c.seen.as_deref().unwrap_or("—")),
            crate::text::inline(c.new.as_deref().unwrap_or("—"))
        );
    }
    super::batch::apply_ops(ctx, std::slice::from_ref(&op), dry_run)?;
    println!(
        "{}",
        match (lang, dry_run) {
            (Lang::Fr, false) => "fiche corrigée (les anciennes valeurs restent au journal)",
            (Lang::En, false) => "details corrected (the old values stay in the audit log)",
            (Lang::Fr, true) => "simulation : rien n'a été modifié",
            (Lang::En, true) => "dry run: nothing was changed",
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// A note is a decision whose reason is the note's text.
fn note(mut action: ActionArgs, text: String, entity: &'static str) -> (ActionArgs, Decision) {
    action.reason = Some(text);
    (action, Decision::Note(entity))
}

/// Locks or unlocks threads: by id, or the threads of the posts a filter matches.
fn threads(ctx: &Ctx, args: &ActionArgs, locked: bool) -> CmdResult {
    let select = |c: &rusqlite::Connection, f: &Filters| {
        let posts = query::ids::<Post>(c, ListKind::Forum, f)?;
        Ok(crate::store::views::of_posts(c, "thread_id", &posts)?)
    };
    batch::run(ctx, args, &Decision::Lock(locked), &select)
}

pub fn citizens(ctx: &Ctx, cmd: CitizensCmd) -> CmdResult {
    use crate::domain::forum::CitizenAction as A;
    let (args, decision) = match cmd {
        CitizensCmd::List { common, filters } => {
            return list::<Citizen>(ctx, ListKind::Citizens, &common, &filters.filters());
        }
        CitizensCmd::Mute {
            action,
            duration,
            hide_posts,
        } => {
            let hours = crate::ops::decisions::parse_mute(&duration, ctx.lang)
                .map_err(|e| Failure::usage(format!("--for {e}")))?;
            (
                action,
                Decision::Citizen {
                    action: A::Mute,
                    hours: Some(hours),
                    hide_posts,
                },
            )
        }
        CitizensCmd::Ban { action, hide_posts } => (
            action,
            Decision::Citizen {
                action: A::Ban,
                hours: None,
                hide_posts,
            },
        ),
        CitizensCmd::Claim(a) => (a, Decision::Claim("citizen", true)),
        CitizensCmd::Release(a) => (a, Decision::Claim("citizen", false)),
        CitizensCmd::Note { action, text } => note(action, text, "citizen"),
        CitizensCmd::Reinstate(a) => (
            a,
            Decision::Citizen {
                action: A::Reinstate,
                hours: None,
                hide_posts: false,
            },
        ),
    };
    let select =
        |c: &rusqlite::Connection, f: &Filters| query::ids::<Citizen>(c, ListKind::Citizens, f);
    batch::run(ctx, &args, &decision, &select)
}

pub fn sms(ctx: &Ctx, cmd: SmsCmd) -> CmdResult {
    match cmd {
        SmsCmd::List { common, filters } => {
            list::<SmsMessage>(ctx, ListKind::Sms, &common, &filters.filters())
        }
        SmsCmd::Count { file } => sms_count(ctx, file.as_deref()),
        SmsCmd::Contacts(cmd) => super::contacts::run(ctx, cmd),
        SmsCmd::Groups(cmd) => super::sms::groups(ctx, cmd),
        SmsCmd::Send {
            group,
            kind,
            text,
            sending,
        } => super::sms::send(
            ctx,
            &super::sms::Outgoing {
                group: &group,
                kind: &kind,
                text: &text,
                sending: &sending,
                retry_of: None,
            },
        ),
        SmsCmd::Resend { id, text, sending } => {
            super::sms::resend(ctx, &id, text.as_deref(), &sending)
        }
        SmsCmd::Approve(a) => {
            let select = |c: &rusqlite::Connection, f: &Filters| {
                query::ids::<SmsMessage>(c, ListKind::Sms, f)
            };
            batch::run(ctx, &a, &Decision::ApproveSms, &select)
        }
        SmsCmd::Cancel(a) => {
            let select = |c: &rusqlite::Connection, f: &Filters| {
                query::ids::<SmsMessage>(c, ListKind::Sms, f)
            };
            batch::run(ctx, &a, &Decision::CancelSms, &select)
        }
        SmsCmd::Show { id } => super::sms::show(ctx, &id),
    }
}

fn sms_count(ctx: &Ctx, file: Option<&std::path::Path>) -> CmdResult {
    use std::io::{BufRead, Write};
    let (name, input): (String, Box<dyn BufRead>) = match file {
        Some(f) if f.as_os_str() != "-" => {
            let opened = std::fs::File::open(f)
                .map_err(|e| Failure::new(format!("{}: {e}", f.display())))?;
            (
                f.display().to_string(),
                Box::new(std::io::BufReader::new(opened)),
            )
        }
        _ => ("-".to_owned(), Box::new(std::io::stdin().lock())),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut bad = 0;
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|e| Failure::new(format!("{name}:{}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<String>(&line) {
            Ok(text) => {
                let c = crate::sms::segments::count(&text);
                writeln!(
                    out,
                    "{{\"encoding\":\"{}\",\"segments\":{},\"units\":{}}}",
                    c.encoding.as_str(),
                    c.segments,
                    c.units
                )
                .map_err(|e| Failure::new(e.to_string()))?;
            }
            Err(e) => {
                bad += 1;
                eprintln!(
                    "{name}:{}: {} ({e})",
                    i + 1,
                    ctx.lang.pick("pas une chaîne JSON", "not a JSON string")
                );
            }
        }
    }
    out.flush().map_err(|e| Failure::new(e.to_string()))?;
    if bad > 0 {
        return Err(Failure::new(match ctx.lang {
            crate::i18n::Lang::Fr => format!("{bad} ligne(s) illisible(s)"),
            crate::i18n::Lang::En => format!("{bad} unreadable line(s)"),
        }));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn audit(ctx: &Ctx, cmd: AuditCmd) -> CmdResult {
    match cmd {
        AuditCmd::List { common, filters } => {
            list::<AuditEntry>(ctx, ListKind::Audit, &common, &filters.filters())
        }
    }
}
