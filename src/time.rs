//! Timestamps as stored: UTC RFC 3339 text with milliseconds and a fixed width,
//! so that text order is time order (lists sort on these columns).

use jiff::Timestamp;

pub fn format(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn now() -> String {
    format(Timestamp::now())
}

/// The staff member's time zone for what people read (config `timezone`,
/// e.g. `Africa/Ouagadougou`, UTC+0, or `Africa/Niamey`, UTC+1; the system's
/// otherwise). Stored times stay UTC. The zone data ships inside the program
/// where the system has none (Windows).
static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();

/// Sets the zone once, at start; an unknown name is an error naming it.
pub fn set_zone(name: &str) -> Result<(), String> {
    let tz = jiff::tz::TimeZone::get(name.trim()).map_err(|_| {
        format!(
            "timezone \"{}\": unknown (e.g. Africa/Ouagadougou)",
            crate::text::inline(name)
        )
    })?;
    let _ = ZONE.set(tz);
    Ok(())
}

fn zone() -> jiff::tz::TimeZone {
    ZONE.get()
        .cloned()
        .unwrap_or_else(|| jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC))
}

/// A stored time as a list shows it: `31/10/2026 23:58`, local. Anything
/// that is not a time is shown as it is (made safe).
pub fn short(stored: &str) -> String {
    short_in(stored, zone())
}

fn short_in(stored: &str, tz: jiff::tz::TimeZone) -> String {
    match stored.parse::<Timestamp>() {
        Ok(ts) => ts
            .to_zoned_datetime(tz)
            .strftime("%d/%m/%Y %H:%M")
            .to_string(),
        Err(_) => crate::text::inline(stored),
    }
}

/// A stored time where room is short (the status bar): the hour alone when
/// it is today, local; the day otherwise.
pub fn brief(stored: &str, now: Timestamp) -> String {
    brief_in(stored, now, zone())
}

fn brief_in(stored: &str, now: Timestamp, tz: jiff::tz::TimeZone) -> String {
    let Ok(ts) = stored.parse::<Timestamp>() else {
        return crate::text::inline(stored);
    };
    let z = ts.to_zoned_datetime(tz.clone());
    if z.date() == now.to_zoned_datetime(tz).date() {
        z.strftime("%H:%M").to_string()
    } else {
        z.strftime("%d/%m/%Y").to_string()
    }
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A month's name (1 = January) in `lang`, as dates are written out.
pub fn month_name(month: i8, lang: crate::i18n::Lang) -> &'static str {
    let i = usize::try_from(month - 1).unwrap_or(0).min(11);
    match lang {
        crate::i18n::Lang::Fr => MONTHS_FR[i],
        crate::i18n::Lang::En => MONTHS_EN[i],
    }
}

/// "1er novembre" / "1 November": a day of a month, as each language
/// writes it.
pub fn day_month(day: i8, month: i8, lang: crate::i18n::Lang) -> String {
    let month = month_name(month, lang);
    match lang {
        crate::i18n::Lang::Fr if day == 1 => format!("1er {month}"),
        _ => format!("{day} {month}"),
    }
}

/// A stored time in full, as a detail shows it: `31 octobre 2026 à 23:58
/// (Africa/Ouagadougou)`, local.
pub fn long(stored: &str, lang: crate::i18n::Lang) -> String {
    long_in(stored, lang, zone())
}

fn long_in(stored: &str, lang: crate::i18n::Lang, tz: jiff::tz::TimeZone) -> String {
    let Ok(ts) = stored.parse::<Timestamp>() else {
        return crate::text::inline(stored);
    };
    let z = ts.to_zoned_datetime(tz.clone());
    let day = day_month(z.day(), z.month(), lang);
    let name = tz.iana_name().unwrap_or("UTC");
    let at = lang.pick("à", "at");
    format!(
        "{day} {} {at} {:02}:{:02} ({name})",
        z.year(),
        z.hour(),
        z.minute()
    )
}

/// Parses what a person types for a date filter or a charter date: a day
/// (`2026-11-03`, taken as midnight UTC) or a full RFC 3339 instant.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    s.parse::<jiff::civil::Date>()
        .map_err(|_| format!("\"{s}\" is not a date (YYYY-MM-DD) or an RFC 3339 time"))
        .and_then(|d| {
            d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .map_err(|e| format!("\"{s}\": {e}"))
        })
}

/// Parses a calendar day (`YYYY-MM-DD`), as charters are dated.
pub fn parse_day(s: &str) -> Result<jiff::civil::Date, String> {
    s.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| format!("\"{s}\" is not a date (YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_staff_members_zone() {
        // Niger is UTC+1, with the zone data inside the program.
        let niamey = jiff::tz::TimeZone::get("Africa/Niamey").expect("bundled zone data");
        let at = "2026-10-31T23:58:00.000Z";
        assert_eq!(short_in(at, niamey.clone()), "01/11/2026 00:58");
        assert_eq!(
            long_in(at, crate::i18n::Lang::Fr, niamey),
            "1er novembre 2026 à 00:58 (Africa/Niamey)"
        );
        let ouaga = jiff::tz::TimeZone::get("Africa/Ouagadougou").expect("zone");
        assert_eq!(
            long_in(at, crate::i18n::Lang::En, ouaga),
            "31 October 2026 at 23:58 (Africa/Ouagadougou)"
        );
        assert_eq!(
            short_in("not a time\u{1b}", jiff::tz::TimeZone::UTC),
            "not a time␛"
        );
        assert!(set_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn fixed_width_sorts_as_time() {
        let a = format("2026-11-25T09:00:00Z".parse().unwrap());
        let b = format("2026-11-25T09:00:00.5Z".parse().unwrap());
        assert_eq!(a, "2026-11-25T09:00:00.000Z");
        assert_eq!(b, "2026-11-25T09:00:00.500Z");
        assert!(a < b);
    }

    #[test]
    fn days_and_instants() {
        assert_eq!(
            format(parse_instant("2026-11-03").unwrap()),
            "2026-11-03T00:00:00.000Z"
        );
        assert!(parse_instant("03/11/2026").is_err());
    }
}
