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

/// A calendar day (`2025-06-25`) in words: "25 juin 2025"; anything else
/// as it is (made safe).
pub fn day_words(day: &str, lang: crate::i18n::Lang) -> String {
    match day.trim().parse::<jiff::civil::Date>() {
        Ok(d) => format!("{} {}", day_month(d.day(), d.month(), lang), d.year()),
        Err(_) => crate::text::inline(day),
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
    let name = match tz.iana_name().unwrap_or("UTC") {
        "Etc/UTC" | "UTC" | "Etc/Universal" | "Etc/Zulu" => "UTC",
        other => other,
    };
    let at = lang.pick("à", "at");
    format!(
        "{day} {} {at} {:02}:{:02} ({name})",
        z.year(),
        z.hour(),
        z.minute()
    )
}

const MONTHS_SHORT_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const MONTHS_SHORT_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_short(month: i8, lang: crate::i18n::Lang) -> &'static str {
    let i = usize::try_from(month - 1).unwrap_or(0).min(11);
    match lang {
        crate::i18n::Lang::Fr => MONTHS_SHORT_FR[i],
        crate::i18n::Lang::En => MONTHS_SHORT_EN[i],
    }
}

/// A stored time as a list shows it, relative to `now`, local: "il y a
/// 3 min", "14:05" today, "hier 14:05", "12 nov. 14:05" this year,
/// "12 nov. 2025" before. Anything that is not a time is shown as it is
/// (made safe).
pub fn relative(stored: &str, now: Timestamp, lang: crate::i18n::Lang) -> String {
    relative_in(stored, now, lang, zone())
}

fn relative_in(
    stored: &str,
    now: Timestamp,
    lang: crate::i18n::Lang,
    tz: jiff::tz::TimeZone,
) -> String {
    use crate::i18n::Lang;
    let Ok(ts) = stored.parse::<Timestamp>() else {
        return crate::text::inline(stored);
    };
    let secs = now.duration_since(ts).as_secs();
    if (0..60).contains(&secs) {
        return lang.pick("à l'instant", "just now").to_owned();
    }
    if (60..3600).contains(&secs) {
        let n = secs / 60;
        return match lang {
            Lang::Fr => format!("il y a {n} min"),
            Lang::En => format!("{n} min ago"),
        };
    }
    let z = ts.to_zoned_datetime(tz.clone());
    let today = now.to_zoned_datetime(tz).date();
    let hm = format!("{:02}:{:02}", z.hour(), z.minute());
    if z.date() == today {
        return hm;
    }
    if today.yesterday().ok() == Some(z.date()) {
        return format!("{} {hm}", lang.pick("hier", "yesterday"));
    }
    let (day, month) = (z.day(), month_short(z.month(), lang));
    let day_month = match lang {
        Lang::Fr if day == 1 => format!("1er {month}"),
        Lang::Fr => format!("{day} {month}"),
        Lang::En => format!("{day} {month}"),
    };
    if z.year() == today.year() && secs >= 0 {
        format!("{day_month} {hm}")
    } else {
        format!("{day_month} {}", z.year())
    }
}

/// How long, where a column is narrow: "3 min", "5 h", "3 j", "6 sem.",
/// "5 mois", "2 ans" ("3 d", "6 wk", "5 mo", "2 yr").
pub fn age_short(secs: i64, lang: crate::i18n::Lang) -> String {
    let secs = secs.max(0);
    let days = secs / 86_400;
    let (n, unit) = if secs < 3600 {
        (secs / 60, ("min", "min"))
    } else if secs < 86_400 {
        (secs / 3600, ("h", "h"))
    } else if days < 14 {
        (days, ("j", "d"))
    } else if days < 61 {
        (days / 7, ("sem.", "wk"))
    } else if days < 365 {
        (days / 30, ("mois", "mo"))
    } else if days < 730 {
        (1, ("an", "yr"))
    } else {
        (days / 365, ("ans", "yr"))
    };
    format!("{n} {}", lang.pick(unit.0, unit.1))
}

/// Seconds from a stored time to `now` (0 for what is not a time).
pub fn seconds_since(stored: &str, now: Timestamp) -> i64 {
    stored
        .parse::<Timestamp>()
        .map(|t| now.duration_since(t).as_secs())
        .unwrap_or(0)
}

/// How long something has waited, in words: "12 min", "5 h", "3 jours",
/// "6 semaines", "5 mois", "1 an 5 mois".
pub fn age(secs: i64, lang: crate::i18n::Lang) -> String {
    use crate::i18n::Lang;
    let secs = secs.max(0);
    let plural = |n: i64, fr: (&str, &str), en: (&str, &str)| {
        let (one, many) = match lang {
            Lang::Fr => fr,
            Lang::En => en,
        };
        format!("{n} {}", if n > 1 { many } else { one })
    };
    let days = secs / 86_400;
    if secs < 3600 {
        format!("{} min", secs / 60)
    } else if secs < 86_400 {
        format!("{} h", secs / 3600)
    } else if days < 14 {
        plural(days, ("jour", "jours"), ("day", "days"))
    } else if days < 61 {
        plural(days / 7, ("semaine", "semaines"), ("week", "weeks"))
    } else if days < 365 {
        plural(days / 30, ("mois", "mois"), ("month", "months"))
    } else {
        let years = plural(days / 365, ("an", "ans"), ("year", "years"));
        let months = (days % 365) / 30;
        if months == 0 {
            years
        } else {
            let months = plural(months, ("mois", "mois"), ("month", "months"));
            format!("{years} {months}")
        }
    }
}

/// Parses what a person types for a date filter: a day as people write it
/// (see [`parse_typed_day`]), taken as local midnight, or a full RFC 3339
/// instant.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let day = parse_typed_day(s, Timestamp::now())?;
    day.to_zoned_datetime(zone())
        .map(|z| z.timestamp())
        .map_err(|e| format!("\"{}\": {e}", crate::text::inline(s)))
}

/// Parses a calendar day (`YYYY-MM-DD`) exactly, as stored charters are
/// dated (what a person types goes through [`parse_typed_day`] first).
pub fn parse_day(s: &str) -> Result<jiff::civil::Date, String> {
    s.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| format!("\"{}\" is not a date (YYYY-MM-DD)", crate::text::inline(s)))
}

/// A day as people write it: `2026-11-28`, `28/11/2026`, `28/11` (this
/// year), `28 nov. 2026`, `28 novembre 2026`, `1er décembre`, `Nov 28 2026`,
/// `hier`, `aujourd'hui`, `avant-hier`, `today`, `yesterday` — days
/// relative to `now` in the staff member's zone.
pub fn parse_typed_day(s: &str, now: Timestamp) -> Result<jiff::civil::Date, String> {
    let today = now.to_zoned_datetime(zone()).date();
    let t = crate::text::fold(s.trim());
    let bad = || {
        format!(
            "« {} » n'est pas une date (28/11/2026, 28 nov. 2026, hier, 2026-11-28) / \
             not a date",
            crate::text::inline(s.trim())
        )
    };
    match t.as_str() {
        "aujourd'hui" | "aujourd’hui" | "aujourdhui" | "today" => return Ok(today),
        "hier" | "yesterday" => return today.yesterday().map_err(|_| bad()),
        "avant-hier" | "avant hier" => {
            return today
                .yesterday()
                .and_then(|d| d.yesterday())
                .map_err(|_| bad());
        }
        _ => {}
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return Ok(d);
    }
    let year_of = |y: Option<&str>| -> Result<i16, String> {
        match y {
            None => Ok(today.year()),
            Some(y) => y.parse::<i16>().map_err(|_| bad()),
        }
    };
    let make = |y: i16, m: i8, d: i8| jiff::civil::Date::new(y, m, d).map_err(|_| bad());
    // 28/11/2026, 28/11, 28-11-2026, 28.11.2026
    let numeric: Vec<&str> = t.split(['/', '.', '-']).collect();
    if (2..=3).contains(&numeric.len()) && numeric.iter().all(|p| p.parse::<u16>().is_ok()) {
        let d = numeric[0].parse::<i8>().map_err(|_| bad())?;
        let m = numeric[1].parse::<i8>().map_err(|_| bad())?;
        return make(year_of(numeric.get(2).copied())?, m, d);
    }
    // 28 nov. 2026, 1er décembre, Nov 28 2026, 28 November
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let month_of = |w: &str| -> Option<i8> {
        let w = w.trim_end_matches('.');
        if w.len() < 3 {
            return None;
        }
        let folded = |m: &str| crate::text::fold(m).trim_end_matches('.').to_owned();
        (0..12).find_map(|i| {
            let names = [
                MONTHS_FR[i],
                MONTHS_EN[i],
                MONTHS_SHORT_FR[i],
                MONTHS_SHORT_EN[i],
            ];
            names
                .iter()
                .any(|n| folded(n).starts_with(w) || folded(n) == w)
                .then_some(i as i8 + 1)
        })
    };
    let day_of = |w: &str| w.trim_end_matches("er").parse::<i8>().ok();
    match words.as_slice() {
        [d, m] | [d, m, _] if day_of(d).is_some() && month_of(m).is_some() => {
            let (Some(d), Some(m)) = (day_of(d), month_of(m)) else {
                return Err(bad());
            };
            make(year_of(words.get(2).copied())?, m, d)
        }
        [m, d] | [m, d, _] if day_of(d).is_some() && month_of(m).is_some() => {
            let (Some(d), Some(m)) = (day_of(d), month_of(m)) else {
                return Err(bad());
            };
            make(year_of(words.get(2).copied())?, m, d)
        }
        _ => Err(bad()),
    }
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
    fn recent_times_are_relative_and_older_ones_short_local_dates() {
        use crate::i18n::Lang::{En, Fr};
        let utc = jiff::tz::TimeZone::UTC;
        let now: Timestamp = "2026-12-01T15:00:00Z".parse().unwrap();
        let r = |at: &str, lang| relative_in(at, now, lang, utc.clone());
        assert_eq!(r("2026-12-01T14:59:30Z", Fr), "à l'instant");
        assert_eq!(r("2026-12-01T14:57:00Z", Fr), "il y a 3 min");
        assert_eq!(r("2026-12-01T14:57:00Z", En), "3 min ago");
        assert_eq!(r("2026-12-01T09:05:00Z", Fr), "09:05");
        assert_eq!(r("2026-11-30T14:05:00Z", Fr), "hier 14:05");
        assert_eq!(r("2026-11-30T14:05:00Z", En), "yesterday 14:05");
        assert_eq!(r("2026-11-12T08:00:00Z", Fr), "12 nov. 08:00");
        assert_eq!(r("2025-11-01T08:00:00Z", Fr), "1er nov. 2025");
        assert_eq!(r("2025-11-12T08:00:00Z", En), "12 Nov 2025");
        // Niamey is an hour ahead: 23:30 UTC yesterday is 00:30 today there.
        let niamey = jiff::tz::TimeZone::get("Africa/Niamey").expect("zone");
        assert_eq!(
            relative_in("2026-11-30T23:30:00Z", now, Fr, niamey),
            "00:30"
        );
    }

    #[test]
    fn ages_in_words_with_plurals() {
        use crate::i18n::Lang::{En, Fr};
        assert_eq!(age(180, Fr), "3 min");
        assert_eq!(age(86_400, Fr), "1 jour");
        assert_eq!(age(3 * 86_400, Fr), "3 jours");
        assert_eq!(age(42 * 86_400, Fr), "6 semaines");
        assert_eq!(age(150 * 86_400, En), "5 months");
        assert_eq!(age(538 * 86_400, Fr), "1 an 5 mois");
        assert_eq!(age(366 * 86_400, En), "1 year");
        assert_eq!(age_short(42 * 86_400, Fr), "6 sem.");
        assert_eq!(age_short(800 * 86_400, Fr), "2 ans");
        assert_eq!(age_short(3 * 86_400, En), "3 d");
    }

    #[test]
    fn days_as_people_type_them() {
        let now: Timestamp = "2026-12-01T15:00:00Z".parse().unwrap();
        let d = |s: &str| parse_typed_day(s, now).map(|d| d.to_string());
        for typed in [
            "28/11/2026",
            "28/11",
            "28-11-2026",
            "28 nov. 2026",
            "28 novembre 2026",
            "28 Novembre",
            "Nov 28 2026",
            "2026-11-28",
        ] {
            assert_eq!(d(typed).as_deref(), Ok("2026-11-28"), "{typed}");
        }
        assert_eq!(d("1er décembre").as_deref(), Ok("2026-12-01"));
        assert_eq!(d("1er decembre").as_deref(), Ok("2026-12-01"));
        assert_eq!(d("hier").as_deref(), Ok("2026-11-30"));
        assert_eq!(d("avant-hier").as_deref(), Ok("2026-11-29"));
        assert_eq!(d("Aujourd'hui").as_deref(), Ok("2026-12-01"));
        for wrong in [
            "31/02/2026",
            "28 brumaire",
            "demain",
            "",
            "11/28/2026",
            "ma",
        ] {
            assert!(d(wrong).is_err(), "{wrong}");
        }
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
        assert!(parse_instant("03/13/2026").is_err());
    }
}
