//! The console's screens: their names, keymap sections, and how each kind of
//! row is shown (columns and detail pane). Every platform string goes through
//! `text` here before it reaches a widget.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::{Connection, OptionalExtension};

use super::keymap::{Action, Section};
use super::list::{ScreenRow, body, field, heading, warning};
use super::theme::Theme;
use crate::i18n::Lang;
use crate::store::query::ListKind;
use crate::store::rows::{
    AuditEntry, Conflict, Organization, OutboxEntry, Post, QueuedPost, SmsContact, SmsGroup,
    SmsMessage, Upload,
};
use crate::text::inline;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Dashboard,
    Enrollments,
    Uploads,
    Forum,
    Sms,
    Sync,
    Journal,
}

impl Screen {
    pub const ALL: [Screen; 7] = [
        Screen::Dashboard,
        Screen::Enrollments,
        Screen::Uploads,
        Screen::Forum,
        Screen::Sms,
        Screen::Sync,
        Screen::Journal,
    ];

    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            Screen::Dashboard => ("Tableau de bord", "Dashboard"),
            Screen::Enrollments => ("Enrôlements", "Enrolments"),
            Screen::Uploads => ("Publications", "Uploads"),
            Screen::Forum => ("Forum", "Forum"),
            Screen::Sms => ("SMS", "SMS"),
            Screen::Sync => ("Synchro", "Sync"),
            Screen::Journal => ("Journal", "Audit log"),
        }
    }

    /// A short title for tabs on narrow terminals.
    pub fn short_title(self) -> (&'static str, &'static str) {
        match self {
            Screen::Dashboard => ("Bord", "Home"),
            Screen::Enrollments => ("Enrôl.", "Enrol."),
            Screen::Uploads => ("Publ.", "Upl."),
            Screen::Forum => ("Forum", "Forum"),
            Screen::Sms => ("SMS", "SMS"),
            Screen::Sync => ("Synchro", "Sync"),
            Screen::Journal => ("Journal", "Log"),
        }
    }

    pub fn section(self) -> Section {
        match self {
            Screen::Dashboard => Section::Dashboard,
            Screen::Enrollments => Section::Enrollments,
            Screen::Uploads => Section::Uploads,
            Screen::Forum => Section::Forum,
            Screen::Sms => Section::Sms,
            Screen::Sync => Section::Sync,
            Screen::Journal => Section::Journal,
        }
    }

    /// The keymap sections that apply, most specific first.
    pub fn sections(self) -> Vec<Section> {
        if self == Screen::Dashboard {
            vec![Section::Dashboard, Section::Global]
        } else {
            vec![self.section(), Section::List, Section::Global]
        }
    }

    /// The audit entity of this screen's rows, for undo.
    pub fn entity(self) -> Option<&'static str> {
        match self {
            Screen::Enrollments => Some("organization"),
            Screen::Uploads => Some("upload"),
            Screen::Forum => Some("forum_post"),
            _ => None,
        }
    }

    pub fn switch_action(self) -> Action {
        match self {
            Screen::Dashboard => Action::ScreenDashboard,
            Screen::Enrollments => Action::ScreenEnrollments,
            Screen::Uploads => Action::ScreenUploads,
            Screen::Forum => Action::ScreenForum,
            Screen::Sms => Action::ScreenSms,
            Screen::Sync => Action::ScreenSync,
            Screen::Journal => Action::ScreenJournal,
        }
    }

    /// The actions this screen's hint bar offers.
    pub fn hints(self) -> &'static [Action] {
        use Action::*;
        match self {
            Screen::Dashboard => &[Help, Palette, Quit],
            Screen::Enrollments => &[
                Approve, Reject, Contacted, Suspend, Reinstate, Mark, Search, Filter, Help,
            ],
            Screen::Uploads => &[
                Approve,
                Reject,
                RequestChanges,
                Mark,
                Search,
                FetchFile,
                Filter,
                Help,
            ],
            Screen::Forum => &[
                Hide, Remove, Restore, Dismiss, Mark, MarkAll, Search, Filter, Help,
            ],
            Screen::Sms => &[Compose, Approve, CancelSms, OptOut, NextView, Filter, Help],
            Screen::Sync => &[SyncNow, NextView, AcceptTheirs, OpenRecord, Detail, Help],
            Screen::Journal => &[Filter, Detail, Help, Quit],
        }
    }
}

fn yes_no(lang: Lang, b: bool) -> &'static str {
    if b {
        lang.pick("oui", "yes")
    } else {
        lang.pick("non", "no")
    }
}

/// The platform's own id of a record, and its public page when
/// `platform_url` is configured, so a moderator finds the same thing on the
/// website.
fn on_platform(
    theme: &Theme,
    lang: Lang,
    kind: &str,
    id: &Option<String>,
) -> Option<Line<'static>> {
    let id = id.as_deref()?;
    let value = match crate::config::platform_link(kind, id) {
        Some(url) => format!("{id} — {url}"),
        None => id.to_owned(),
    };
    Some(field(
        theme,
        lang.pick("Sur la plateforme", "On the platform"),
        value,
    ))
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "—".to_owned())
}

/// The last audit entries about one record, oldest first.
fn history(
    conn: &Connection,
    theme: &Theme,
    lang: Lang,
    entity: &str,
    id: &str,
) -> Vec<Line<'static>> {
    let mut out = vec![
        Line::default(),
        heading(theme, lang.pick("Historique", "History")),
    ];
    let rows: Vec<(String, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT at, actor, action, reason FROM audit_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY at, id LIMIT 50",
        )
        .and_then(|mut s| {
            s.query_map([entity, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        out.push(Line::styled(
            lang.pick("(aucune décision)", "(no decision yet)"),
            theme.dim,
        ));
    }
    for (at, actor, action, reason) in rows {
        let reason = reason
            .map(|r| format!(" — {}", inline(&r)))
            .unwrap_or_default();
        out.push(Line::from(format!(
            "{} {} {action}{reason}",
            &at[..16.min(at.len())],
            inline(&actor)
        )));
    }
    out
}

impl ScreenRow for Organization {
    const LIST: ListKind = ListKind::Enrollments;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("statut", "status", Constraint::Length(16)),
            ("région", "region", Constraint::Length(11)),
            ("commune", "commune", Constraint::Length(14)),
            ("nom", "name", Constraint::Min(12)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.status.to_string(),
            inline(&self.region),
            inline(self.commune.as_deref().unwrap_or("")),
            inline(&self.name),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![heading(theme, &inline(&self.name))];
        let duplicates: Vec<(String, String)> = conn
            .prepare_cached(
                "SELECT name, status FROM organizations
                 WHERE name_key = (SELECT name_key FROM organizations WHERE id = ?1)
                   AND commune IS (SELECT commune FROM organizations WHERE id = ?1) AND id <> ?1 LIMIT 5",
            )
            .and_then(|mut s| s.query_map([&self.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .unwrap_or_default();
        for (name, status) in duplicates {
            out.push(warning(
                theme,
                match lang {
                    Lang::Fr => format!(
                        "doublon possible : « {} » ({status}), même commune",
                        inline(&name)
                    ),
                    Lang::En => format!(
                        "possible duplicate: \"{}\" ({status}), same commune",
                        inline(&name)
                    ),
                },
            ));
        }
        out.extend([
            field(
                theme,
                lang.pick("Statut", "Status"),
                self.status.to_string(),
            ),
            field(theme, lang.pick("Type", "Kind"), self.kind.to_string()),
            field(theme, lang.pick("Sigle", "Acronym"), opt(&self.acronym)),
            field(theme, lang.pick("Région", "Region"), self.region.clone()),
            field(theme, "Province", opt(&self.province)),
            field(theme, "Commune", opt(&self.commune)),
            Line::default(),
            heading(theme, lang.pick("Contact", "Contact")),
            field(theme, lang.pick("Nom", "Name"), opt(&self.contact_name)),
            field(
                theme,
                lang.pick("Fonction", "Role"),
                opt(&self.contact_role),
            ),
            field(theme, lang.pick("Téléphone", "Phone"), opt(&self.phone)),
            field(theme, "E-mail", opt(&self.email)),
            Line::default(),
            field(
                theme,
                lang.pick("Charte signée le", "Charter signed on"),
                opt(&self.charter_signed_on),
            ),
            field(
                theme,
                lang.pick("Référence", "Reference"),
                opt(&self.charter_ref),
            ),
            field(
                theme,
                lang.pick("Demande", "Applied"),
                self.created_at.clone(),
            ),
            field(
                theme,
                lang.pick("Modifiée", "Updated"),
                self.updated_at.clone(),
            ),
            field(theme, "id", self.id.clone()),
        ]);
        out.extend(on_platform(theme, lang, "organization", &self.platform_id));
        out.extend(history(conn, theme, lang, "organization", &self.id));
        out
    }
}

/// The MIME types a file extension should have.
fn expected_mimes(filename: &str) -> Option<&'static [&'static str]> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => &["application/pdf"],
        "jpg" | "jpeg" => &["image/jpeg"],
        "png" => &["image/png"],
        "mp4" => &["video/mp4"],
        "mp3" => &["audio/mpeg"],
        "csv" => &["text/csv", "application/csv"],
        "html" | "htm" => &["text/html"],
        "xlsx" => &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        _ => return None,
    })
}

fn human_size(bytes: i64) -> String {
    let b = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes} o")
    } else if bytes < 1_000_000 {
        format!("{:.1} ko", b / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1} Mo", b / 1e6)
    } else {
        format!("{:.2} Go", b / 1e9)
    }
}

impl ScreenRow for Upload {
    const LIST: ListKind = ListKind::Uploads;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("statut", "status", Constraint::Length(17)),
            ("type", "kind", Constraint::Length(9)),
            ("organisation", "organisation", Constraint::Length(22)),
            ("titre", "title", Constraint::Min(12)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.status.to_string(),
            self.kind.to_string(),
            inline(&self.org_name),
            inline(&self.title),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![heading(theme, &inline(&self.title))];
        if let Some(expected) = expected_mimes(&self.filename)
            && !expected.contains(&self.mime.as_str())
        {
            out.push(warning(
                theme,
                match lang {
                    Lang::Fr => format!(
                        "le type {} ne correspond pas à l'extension du fichier",
                        inline(&self.mime)
                    ),
                    Lang::En => format!(
                        "type {} does not match the file extension",
                        inline(&self.mime)
                    ),
                },
            ));
        }
        out.extend([
            field(
                theme,
                lang.pick("Organisation", "Organisation"),
                self.org_name.clone(),
            ),
            field(theme, lang.pick("Type", "Kind"), self.kind.to_string()),
            field(
                theme,
                lang.pick("Catégorie", "Category"),
                opt(&self.category),
            ),
            field(theme, lang.pick("Fichier", "File"), self.filename.clone()),
            field(theme, "MIME", self.mime.clone()),
            field(
                theme,
                lang.pick("Taille", "Size"),
                human_size(self.size_bytes),
            ),
            field(theme, "sha256", self.sha256.clone()),
            field(
                theme,
                lang.pick("Soumis le", "Submitted"),
                self.submitted_at.clone(),
            ),
            field(
                theme,
                lang.pick("Statut", "Status"),
                self.status.to_string(),
            ),
            field(
                theme,
                lang.pick("Revu par", "Reviewed by"),
                opt(&self.reviewed_by),
            ),
            field(theme, lang.pick("Motif", "Reason"), opt(&self.reason)),
        ]);
        if let Some(d) = &self.description {
            out.push(Line::default());
            out.extend(body(d));
        }
        let stats: Vec<(String, i64, f64)> = conn
            .prepare_cached("SELECT indicator, year, value FROM upload_stats WHERE upload_id = ?1 ORDER BY indicator, year DESC")
            .and_then(|mut s| s.query_map([&self.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
            .unwrap_or_default();
        if !stats.is_empty() {
            out.push(Line::default());
            out.push(heading(theme, lang.pick("Statistiques", "Statistics")));
        }
        for (i, (indicator, year, value)) in stats.iter().enumerate() {
            // The previous value: this upload's older year for the same indicator.
            let previous = stats[i + 1..]
                .iter()
                .find(|(ind, y, _)| ind == indicator && y < year);
            let line = match previous {
                Some((_, py, pv)) if *pv != 0.0 => {
                    let change = (value - pv) / pv * 100.0;
                    let text = format!(
                        "{} {year} : {value:.0} ({py} : {pv:.0}, {change:+.1} %)",
                        inline(indicator)
                    );
                    let yearly = change.abs() / ((year - py).max(1) as f64);
                    if change.abs() > 50.0 || yearly > 15.0 {
                        warning(
                            theme,
                            format!("{text} — {}", lang.pick("invraisemblable", "implausible")),
                        )
                    } else {
                        Line::from(text)
                    }
                }
                _ => Line::from(format!("{} {year} : {value:.0}", inline(indicator))),
            };
            out.push(line);
        }
        out.extend(on_platform(theme, lang, "upload", &self.platform_id));
        out.extend(history(conn, theme, lang, "upload", &self.id));
        out
    }
}

impl ScreenRow for Post {
    const LIST: ListKind = ListKind::Forum;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("statut", "status", Constraint::Length(7)),
            ("sig.", "flags", Constraint::Length(5)),
            ("auteur", "author", Constraint::Length(16)),
            ("message", "post", Constraint::Min(12)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.status.to_string(),
            if self.flag_count > 0 {
                self.flag_count.to_string()
            } else {
                String::new()
            },
            inline(&self.author_name),
            inline(&self.body),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![heading(theme, &inline(&self.thread_title))];
        let (author_status, author_posts, author_hidden): (String, i64, i64) = conn
            .prepare_cached(
                "SELECT c.status, (SELECT count(*) FROM forum_posts WHERE author_id = c.id),
                        (SELECT count(*) FROM forum_posts WHERE author_id = c.id AND status <> 'visible')
                 FROM citizens c WHERE c.id = ?1",
            )
            .and_then(|mut s| s.query_row([&self.author_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
            .ok()
            .flatten()
            .unwrap_or_default();
        out.push(field(
            theme,
            lang.pick("Auteur", "Author"),
            match lang {
                Lang::Fr => format!(
                    "{} ({author_status}, {author_posts} messages dont {author_hidden} masqués ou supprimés)",
                    self.author_name
                ),
                Lang::En => format!(
                    "{} ({author_status}, {author_posts} posts, {author_hidden} hidden or removed)",
                    self.author_name
                ),
            },
        ));
        out.push(field(
            theme,
            lang.pick("Publié le", "Posted"),
            self.created_at.clone(),
        ));
        out.push(field(
            theme,
            lang.pick("Statut", "Status"),
            self.status.to_string(),
        ));
        let flags: Vec<(String, i64)> = conn
            .prepare_cached(
                "SELECT reason, count(*) FROM forum_flags WHERE post_id = ?1 AND resolved = 0 GROUP BY reason ORDER BY 2 DESC",
            )
            .and_then(|mut s| s.query_map([&self.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .unwrap_or_default();
        if flags.is_empty() {
            out.push(field(
                theme,
                lang.pick("Signalements", "Flags"),
                lang.pick("aucun", "none"),
            ));
        } else {
            let list: Vec<String> = flags.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
            out.push(warning(
                theme,
                format!(
                    "{} : {}",
                    lang.pick("Signalements", "Flags"),
                    list.join(", ")
                ),
            ));
        }
        if let Some(by) = &self.moderated_by {
            out.push(field(
                theme,
                lang.pick("Modéré par", "Moderated by"),
                format!("{by} — {}", opt(&self.reason)),
            ));
        }
        out.push(Line::default());
        out.extend(body(&self.body));
        out.push(Line::default());
        out.push(field(theme, "id", self.id.clone()));
        out.extend(on_platform(theme, lang, "post", &self.platform_id));
        out
    }
}

impl ScreenRow for QueuedPost {
    const LIST: ListKind = ListKind::Forum;

    fn id(&self) -> &str {
        &self.post.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        Post::columns()
    }

    fn cells(&self) -> Vec<String> {
        self.post.cells()
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        self.post.detail(conn, lang, theme)
    }
}

impl ScreenRow for SmsMessage {
    const LIST: ListKind = ListKind::Sms;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("statut", "status", Constraint::Length(9)),
            ("type", "kind", Constraint::Length(6)),
            ("destin.", "recip.", Constraint::Length(7)),
            ("groupe", "group", Constraint::Length(18)),
            ("texte", "text", Constraint::Min(12)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.status.to_string(),
            self.kind.to_string(),
            self.recipients.to_string(),
            inline(&self.group_name),
            inline(&self.body),
        ]
    }

    fn detail(&self, _conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![
            field(theme, lang.pick("Groupe", "Group"), self.group_name.clone()),
            field(theme, lang.pick("Type", "Kind"), self.kind.to_string()),
            field(
                theme,
                lang.pick("Statut", "Status"),
                self.status.to_string(),
            ),
            field(
                theme,
                lang.pick("Encodage", "Encoding"),
                format!(
                    "{}, {} segment(s), {} destinataires",
                    self.encoding, self.segments, self.recipients
                ),
            ),
            field(
                theme,
                lang.pick("Rédigé par", "Written by"),
                self.created_by.clone(),
            ),
            field(
                theme,
                lang.pick("Approuvé par", "Approved by"),
                opt(&self.approved_by),
            ),
            field(
                theme,
                lang.pick("Prévu", "Scheduled"),
                opt(&self.scheduled_at),
            ),
            field(
                theme,
                lang.pick("Envoyés / remis / échecs", "Sent / delivered / failed"),
                format!(
                    "{} / {} / {}",
                    self.sent_count, self.delivered_count, self.failed_count
                ),
            ),
            Line::default(),
        ];
        out.extend(body(&self.body));
        out
    }
}

impl ScreenRow for SmsGroup {
    const LIST: ListKind = ListKind::SmsGroups;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("groupe", "group", Constraint::Length(28)),
            ("membres", "members", Constraint::Length(8)),
            ("description", "description", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            inline(&self.name),
            self.members.to_string(),
            inline(self.description.as_deref().unwrap_or("")),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let (opted_out, messages): (i64, i64) = conn
            .prepare_cached(
                "SELECT (SELECT count(*) FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
                         WHERE m.group_id = ?1 AND c.opted_out_at IS NOT NULL),
                        (SELECT count(*) FROM sms_messages WHERE group_id = ?1)",
            )
            .and_then(|mut s| s.query_row([&self.id], |r| Ok((r.get(0)?, r.get(1)?))))
            .unwrap_or_default();
        vec![
            heading(theme, &inline(&self.name)),
            field(theme, "Description", opt(&self.description)),
            field(
                theme,
                lang.pick("Membres", "Members"),
                self.members.to_string(),
            ),
            field(
                theme,
                lang.pick(
                    "Désinscrits (jamais destinataires)",
                    "Opted out (never sent to)",
                ),
                opted_out.to_string(),
            ),
            field(
                theme,
                lang.pick("Destinataires réels", "Actual recipients"),
                (self.members - opted_out).to_string(),
            ),
            field(
                theme,
                lang.pick("Messages", "Messages"),
                messages.to_string(),
            ),
            field(theme, "id", self.id.clone()),
        ]
    }
}

impl ScreenRow for SmsContact {
    const LIST: ListKind = ListKind::SmsContacts;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("téléphone", "phone", Constraint::Length(15)),
            ("nom", "name", Constraint::Length(24)),
            ("région", "region", Constraint::Length(11)),
            ("désinscrit", "opted out", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            inline(&self.phone_e164),
            inline(self.name.as_deref().unwrap_or("")),
            inline(self.region.as_deref().unwrap_or("")),
            self.opted_out_at
                .as_deref()
                .map(|d| d.chars().take(10).collect())
                .unwrap_or_default(),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let groups: Vec<String> = conn
            .prepare_cached(
                "SELECT g.name FROM sms_group_members m JOIN sms_groups g ON g.id = m.group_id
                 WHERE m.contact_id = ?1 ORDER BY g.name",
            )
            .and_then(|mut s| s.query_map([&self.id], |r| r.get(0))?.collect())
            .unwrap_or_default();
        let mut out = vec![
            heading(
                theme,
                &inline(self.name.as_deref().unwrap_or(&self.phone_e164)),
            ),
            field(
                theme,
                lang.pick("Téléphone", "Phone"),
                format!(
                    "{} ({})",
                    inline(&self.phone_e164),
                    crate::sms::phone::line(&self.phone_e164).label(lang)
                ),
            ),
            field(theme, lang.pick("Région", "Region"), opt(&self.region)),
            field(theme, "Commune", opt(&self.commune)),
            field(theme, lang.pick("Groupes", "Groups"), groups.join(", ")),
        ];
        if let Some(at) = &self.opted_out_at {
            out.push(warning(
                theme,
                match lang {
                    Lang::Fr => format!(
                        "désinscrit le {} : ne reçoit aucun SMS, quel que soit le groupe",
                        inline(at)
                    ),
                    Lang::En => format!(
                        "opted out on {}: gets no SMS, whatever the group",
                        inline(at)
                    ),
                },
            ));
        }
        out
    }
}

impl ScreenRow for AuditEntry {
    const LIST: ListKind = ListKind::Audit;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("date", "time", Constraint::Length(16)),
            ("acteur", "actor", Constraint::Length(16)),
            ("action", "action", Constraint::Length(22)),
            ("motif", "reason", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.at.chars().take(16).collect(),
            inline(&self.actor),
            inline(&self.action),
            inline(self.reason.as_deref().unwrap_or("")),
        ]
    }

    fn detail(&self, _conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![
            field(theme, lang.pick("Date", "Time"), self.at.clone()),
            field(theme, lang.pick("Acteur", "Actor"), self.actor.clone()),
            field(theme, lang.pick("Appareil", "Device"), self.device.clone()),
            field(theme, "Action", self.action.clone()),
            field(
                theme,
                lang.pick("Objet", "Record"),
                format!("{} {}", self.entity, self.entity_id),
            ),
            field(theme, lang.pick("Motif", "Reason"), opt(&self.reason)),
            Line::default(),
        ];
        out.extend(body(&pretty(&self.detail)));
        out
    }
}

/// JSON laid out for reading (or the text as it is, if it is not JSON).
fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_owned())
}

impl ScreenRow for Conflict {
    const LIST: ListKind = ListKind::Conflicts;

    fn id(&self) -> &str {
        &self.op_id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("détecté", "detected", Constraint::Length(16)),
            ("objet", "record", Constraint::Length(13)),
            ("état", "state", Constraint::Length(9)),
            ("décision", "decision", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        let decision = serde_json::from_str::<serde_json::Value>(&self.mine)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        vec![
            self.detected_at.chars().take(16).collect(),
            inline(&self.entity),
            if self.resolved_at.is_some() {
                "resolved".into()
            } else {
                "open".into()
            },
            inline(&decision),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let theirs = serde_json::from_str::<serde_json::Value>(&self.theirs).unwrap_or_default();
        let pick = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| theirs.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        };
        let who = pick(&["moderated_by", "reviewed_by", "approved_by"]).map(|id| {
            conn.query_row(
                "SELECT display_name FROM staff WHERE id = ?1 OR login = ?1",
                [&id],
                |r| r.get::<_, String>(0),
            )
            .unwrap_or(id)
        });
        let when = pick(&["moderated_at", "reviewed_at"]);
        let mut out = vec![
            warning(
                theme,
                lang.pick(
                    "Le hub a gardé la première décision : la vôtre n'a pas été appliquée. o : rouvrir la fiche et redécider · t : accepter la version du hub",
                    "The hub kept the first decision: yours was not applied. o: open the record and decide again · t: accept the hub's version",
                ),
            ),
            field(
                theme,
                lang.pick("Décision au hub", "Decision at the hub"),
                format!(
                    "{} {} {} {}",
                    lang.pick("par", "by"),
                    inline(who.as_deref().unwrap_or("?")),
                    lang.pick("le", "at"),
                    when.as_deref().unwrap_or("?")
                ),
            ),
            field(
                theme,
                lang.pick("Objet", "Record"),
                format!("{} {}", self.entity, self.entity_id),
            ),
            field(
                theme,
                lang.pick("Décidé sur cet appareil", "Decided on this device"),
                opt(&self.decided_at),
            ),
            field(
                theme,
                lang.pick("Refus reçu du hub", "Refusal received from the hub"),
                self.detected_at.clone(),
            ),
            Line::default(),
            heading(theme, lang.pick("Ma décision", "Mine")),
        ];
        out.extend(body(&pretty(&self.mine)));
        out.push(Line::default());
        out.push(heading(
            theme,
            lang.pick("Au hub maintenant", "At the hub now"),
        ));
        out.extend(body(&pretty(&self.theirs)));
        out
    }
}

impl ScreenRow for OutboxEntry {
    const LIST: ListKind = ListKind::Outbox;

    fn id(&self) -> &str {
        &self.op_id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("n°", "seq", Constraint::Length(6)),
            ("date", "time", Constraint::Length(16)),
            ("état", "state", Constraint::Length(10)),
            ("opération", "op", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        let kind = serde_json::from_str::<serde_json::Value>(&self.op)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        vec![
            self.seq.to_string(),
            self.created_at.chars().take(16).collect(),
            self.outcome.clone().unwrap_or_else(|| {
                if self.pushed_at.is_some() {
                    "pushed"
                } else {
                    "pending"
                }
                .into()
            }),
            inline(&kind),
        ]
    }

    fn detail(&self, _conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![
            field(theme, "op_id", self.op_id.clone()),
            field(
                theme,
                lang.pick("Créée", "Created"),
                self.created_at.clone(),
            ),
            field(
                theme,
                lang.pick("Envoyée", "Pushed"),
                yes_no(lang, self.pushed_at.is_some()),
            ),
        ];
        if let Some(outcome) = &self.outcome {
            out.push(field(
                theme,
                lang.pick("Réponse du hub", "Hub's answer"),
                outcome.clone(),
            ));
        }
        if let Some(reason) = &self.reason {
            // The hub's words may quote platform content.
            let line = field(theme, lang.pick("Motif", "Reason"), inline(reason));
            out.push(if self.outcome.as_deref() == Some("rejected") {
                line.style(theme.error)
            } else {
                line
            });
        }
        out.push(Line::default());
        out.extend(body(&pretty(&self.op)));
        out
    }
}
