//! The SMS composer: kind, group, body with a live count (encoding,
//! characters, segments, recipients after opt-outs, total segments), the
//! characters that force UCS-2 shown, a swap of only the safe ones, a send
//! time in the staff's time zone, and quiet hours that only an alert may
//! break, after a confirmation.

use rusqlite::Connection;

use crate::domain::sms::SmsKind;
use crate::i18n::Lang;
use crate::sms::quiet::QuietHours;
use crate::sms::segments::{self, Count};
use crate::tui::strings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Body,
    Schedule,
}

#[derive(Debug, Clone)]
pub struct Composer {
    pub kind: SmsKind,
    /// (id, name, recipients after opt-outs), by name.
    pub groups: Vec<(String, String, i64)>,
    pub group: usize,
    pub body: String,
    /// Empty: now. Else `YYYY-MM-DD HH:MM` or `HH:MM` (today), local time.
    pub schedule: String,
    pub focus: Field,
    /// An alert in quiet hours was confirmed once; Enter again sends it.
    pub quiet_confirmed: bool,
    pub problem: Option<String>,
    /// A resend: to the numbers this message failed to reach (its group is
    /// the only one offered, its count theirs).
    pub retry_of: Option<String>,
}

/// Characters with a GSM-7 stand-in that says the same thing. Letters are
/// never replaced (ç stays ç: "c" would be a different word).
pub fn safe_swap(c: char) -> Option<&'static str> {
    Some(match c {
        '’' | '‘' | 'ʼ' | '′' | '`' | '´' => "'",
        '“' | '”' | '«' | '»' | '„' | '″' => "\"",
        'œ' => "oe",
        'Œ' => "OE",
        '…' => "...",
        '–' | '—' | '‑' | '‐' | '•' => "-",
        '\u{a0}' | '\u{202f}' | '\u{2009}' => " ",
        _ => return None,
    })
}

/// The body with the safe swaps made.
pub fn swap_safe(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for c in body.chars() {
        match safe_swap(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out
}

/// The distinct characters that force UCS-2, in order of appearance.
pub fn ucs2_forcing(body: &str) -> Vec<char> {
    use unicode_normalization::UnicodeNormalization;
    let mut out = Vec::new();
    for c in body.nfc() {
        if segments::gsm_septets(c).is_none() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

impl Composer {
    pub fn open(conn: &Connection, preferred_group: Option<&str>) -> Result<Composer, String> {
        let mut stmt = conn
            .prepare(concat!(
                "SELECT g.id, g.name, ",
                crate::store::audience::group_reach!(),
                " FROM sms_groups g WHERE g.archived_at IS NULL ORDER BY g.name"
            ))
            .map_err(|e| e.to_string())?;
        let groups: Vec<(String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| e.to_string())?;
        let group = preferred_group
            .and_then(|g| groups.iter().position(|(id, _, _)| id == g))
            .unwrap_or(0);
        Ok(Composer {
            kind: SmsKind::Notice,
            groups,
            group,
            body: String::new(),
            schedule: String::new(),
            focus: Field::Body,
            quiet_confirmed: false,
            problem: None,
            retry_of: None,
        })
    }

    /// The composer for a resend of `message_id` to the numbers it failed
    /// to reach: its text and kind to start from, its group only.
    pub fn resend(conn: &Connection, message_id: &str, lang: Lang) -> Result<Composer, String> {
        use crate::domain::sms::SmsStatus;
        use rusqlite::OptionalExtension;
        let found: Option<(String, String, SmsKind, String, SmsStatus)> = conn
            .query_row(
                "SELECT m.group_id, g.name, m.kind, m.body, m.status FROM sms_messages m
                 JOIN sms_groups g ON g.id = m.group_id WHERE m.id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        let Some((group_id, group, kind, body, status)) = found else {
            return Err(strings::NO_ROW_SELECTED.get(lang).into());
        };
        if !matches!(status, SmsStatus::Sent | SmsStatus::Failed) {
            return Err(strings::RESEND_WHEN_DONE.get(lang).into());
        }
        let failed = crate::store::audience::Audience::Failed {
            message_id: message_id.to_owned(),
        }
        .count(conn)
        .map_err(|e| e.to_string())?;
        if failed == 0 {
            return Err(strings::NOTHING_TO_RESEND.get(lang).into());
        }
        if let Some((again, _)) = crate::store::views::resent_as(conn, message_id) {
            return Err(crate::ops::OpError::AlreadyResent {
                id: message_id.to_owned(),
                resend: again,
            }
            .message(lang));
        }
        Ok(Composer {
            kind,
            groups: vec![(group_id, group, failed)],
            group: 0,
            body,
            schedule: String::new(),
            focus: Field::Body,
            quiet_confirmed: false,
            problem: None,
            retry_of: Some(message_id.to_owned()),
        })
    }

    pub fn count(&self) -> Count {
        segments::count(&self.body)
    }

    pub fn recipients(&self) -> i64 {
        self.groups.get(self.group).map_or(0, |g| g.2)
    }

    pub fn next_group(&mut self) {
        if !self.groups.is_empty() {
            self.group = (self.group + 1) % self.groups.len();
        }
        self.quiet_confirmed = false;
    }

    /// Alert ↔ notice; a resend keeps its message's kind.
    pub fn toggle_kind(&mut self) {
        if self.retry_of.is_some() {
            return;
        }
        self.kind = match self.kind {
            SmsKind::Alert => SmsKind::Notice,
            SmsKind::Notice => SmsKind::Alert,
        };
        self.quiet_confirmed = false;
    }

    /// Makes the safe swaps; says what was swapped and what still forces UCS-2.
    pub fn swap(&mut self, lang: Lang) -> String {
        let swapped: Vec<char> = self
            .body
            .chars()
            .filter(|c| safe_swap(*c).is_some())
            .collect();
        self.body = swap_safe(&self.body);
        let left: String = ucs2_forcing(&self.body).into_iter().collect();
        match (swapped.is_empty(), left.is_empty()) {
            (true, true) => strings::NOTHING_TO_REPLACE.get(lang).into(),
            (_, true) => strings::replaced_all(lang, swapped.len()),
            (_, false) => strings::replaced_some(lang, swapped.len(), &left),
        }
    }

    /// The send time in UTC (None: now), from what was typed in local time.
    pub fn scheduled(
        &self,
        now: jiff::Timestamp,
        lang: Lang,
    ) -> Result<Option<jiff::Timestamp>, String> {
        send_time(&self.schedule, now, lang)
    }

    /// Checks quiet hours for a send at `at` (local time of day).
    pub fn quiet_problem(
        &mut self,
        quiet: Option<QuietHours>,
        at: jiff::Timestamp,
        lang: Lang,
    ) -> Option<String> {
        let quiet = quiet?;
        let local = at.to_zoned_datetime(jiff::tz::TimeZone::system());
        let minute = (local.hour() as u16) * 60 + local.minute() as u16;
        if !quiet.contains(minute) {
            return None;
        }
        match self.kind {
            SmsKind::Notice => Some(strings::quiet_notice_waits(lang, quiet.label())),
            SmsKind::Alert if self.quiet_confirmed => None,
            SmsKind::Alert => {
                self.quiet_confirmed = true;
                Some(strings::quiet_alert_confirm(lang, quiet.label()))
            }
        }
    }
}

/// A send time as typed (`HH:MM` today, or `YYYY-MM-DD HH:MM`, local):
/// none when empty; refused when unreadable or past.
pub fn send_time(
    text: &str,
    now: jiff::Timestamp,
    lang: Lang,
) -> Result<Option<jiff::Timestamp>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let tz = jiff::tz::TimeZone::system();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let parsed = if text.len() <= 5 {
        jiff::civil::Time::strptime("%H:%M", text)
            .ok()
            .map(|t| today.to_datetime(t))
    } else {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", text).ok()
    };
    let at = parsed
        .and_then(|dt| dt.to_zoned_datetime(tz).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| strings::SEND_TIME_FORMAT_HINT.get(lang).to_owned())?;
    if at <= now {
        return Err(strings::THE_SEND_TIME_HAS_PASSED.get(lang).into());
    }
    Ok(Some(at))
}

/// Whether a send at `at` falls in the quiet hours (local time of day).
pub fn in_quiet_hours(quiet: Option<QuietHours>, at: jiff::Timestamp) -> bool {
    let Some(quiet) = quiet else {
        return false;
    };
    let local = at.to_zoned_datetime(jiff::tz::TimeZone::system());
    quiet.contains((local.hour() as u16) * 60 + local.minute() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_swaps_never_touch_letters() {
        let body = "L’école « Wend-Panga » : réunion… ça commence – œuvre";
        let swapped = swap_safe(body);
        assert_eq!(
            swapped,
            "L'école \" Wend-Panga \" : réunion... ça commence - oeuvre"
        );
        assert_eq!(ucs2_forcing(&swapped), vec!['ç']);
        assert!(!swapped.contains('?'));
        assert_eq!(
            ucs2_forcing("Ça va"),
            Vec::<char>::new(),
            "capital Ç is GSM-7"
        );
    }
}
