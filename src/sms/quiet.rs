//! Quiet hours: when SMS alerts (not urgent ones) wait for morning.

/// Quiet hours, as minutes after midnight (start, end); may wrap midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: u16,
    pub end: u16,
}

impl QuietHours {
    /// `"21:00-07:00"`.
    pub fn parse(s: &str) -> Option<QuietHours> {
        let (a, b) = s.split_once('-')?;
        let minutes = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        Some(QuietHours {
            start: minutes(a)?,
            end: minutes(b)?,
        })
    }

    pub fn contains(&self, minute_of_day: u16) -> bool {
        if self.start <= self.end {
            (self.start..self.end).contains(&minute_of_day)
        } else {
            minute_of_day >= self.start || minute_of_day < self.end
        }
    }

    pub fn label(&self) -> String {
        format!(
            "{:02}:{:02}–{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = QuietHours::parse("21:00-07:00").expect("parse");
        assert!(q.contains(22 * 60) && q.contains(3 * 60) && !q.contains(12 * 60));
        assert!(!q.contains(7 * 60) && q.contains(21 * 60));
        let day = QuietHours::parse("12:00-14:00").expect("parse");
        assert!(day.contains(13 * 60) && !day.contains(14 * 60));
        assert_eq!(QuietHours::parse("25:00-07:00"), None);
    }
}
