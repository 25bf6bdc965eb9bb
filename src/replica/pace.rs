//! Request sizes that follow the link: a sync starts with small pushes and
//! pages, doubles them while answers come back fast, halves them when an
//! answer is slow or the link is cut. On a 2G link a cut then costs one small
//! request, and on a good link the sizes reach their maximum in a few
//! requests.

use std::time::Duration;

/// An answer faster than this, for a full request, lets the next be twice
/// the size: on 2G a page of 100 rows takes 1.5 s, and each request costs a
/// round trip (600 ms) on top of its bytes, so pages must grow well past
/// that to keep the link busy.
const FAST: Duration = Duration::from_secs(4);
/// An answer slower than this halves the next request: a cut costs at most
/// about this much of the link's work.
const SLOW: Duration = Duration::from_secs(12);

/// One kind of request's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    size: usize,
    min: usize,
    max: usize,
}

impl Pace {
    /// Starts at `start`, within `min..=max` (`max` wins over the others).
    pub fn new(start: usize, min: usize, max: usize) -> Pace {
        let max = max.max(1);
        let min = min.clamp(1, max);
        Pace {
            size: start.clamp(min, max),
            min,
            max,
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// A request of `sent` items was answered in `took`.
    pub fn answered(&mut self, sent: usize, took: Duration) {
        if took > SLOW {
            self.size = (self.size / 2).max(self.min);
        } else if took < FAST && sent >= self.size {
            self.size = self.size.saturating_mul(2).min(self.max);
        }
    }

    /// The link was cut (or timed out) during a request.
    pub fn cut(&mut self) {
        self.size = (self.size / 2).max(self.min);
    }
}

/// The two paces of a sync, kept across its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paces {
    /// Unset until the sync's first request (its sizes are then known).
    pub push: Option<Pace>,
    pub pull: Option<Pace>,
}

/// Where a push starts: a few decisions.
pub const PUSH_START: usize = 25;
pub const PUSH_MIN: usize = 5;
/// Where a pull starts: a page a 2G link carries in about two seconds.
pub const PULL_START: usize = 100;
pub const PULL_MIN: usize = 25;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_on_fast_full_answers_and_shrinks_on_slow_ones_and_cuts() {
        let mut p = Pace::new(100, 25, 2_000);
        p.answered(100, Duration::from_millis(50));
        assert_eq!(p.size(), 200);
        // A page not full says nothing of what the link could carry.
        p.answered(10, Duration::from_millis(50));
        assert_eq!(p.size(), 200);
        for _ in 0..10 {
            p.answered(p.size(), Duration::from_millis(50));
        }
        assert_eq!(p.size(), 2_000, "never past the maximum");
        p.answered(2_000, Duration::from_secs(13));
        assert_eq!(p.size(), 1_000);
        p.answered(1_000, Duration::from_secs(6));
        assert_eq!(p.size(), 1_000, "between fast and slow: kept");
        for _ in 0..10 {
            p.cut();
        }
        assert_eq!(p.size(), 25, "never under the minimum");
        assert_eq!(Pace::new(100, 25, 10).size(), 10, "a small maximum wins");
    }
}
