//! Timestamps as stored: UTC RFC 3339 text with milliseconds and a fixed width,
//! so that text order is time order (lists sort on these columns).

use jiff::Timestamp;

pub fn format(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn now() -> String {
    format(Timestamp::now())
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
