//! How long to wait before trying again: the replica's sync, its file
//! downloads and the hub's SMS sender all back off the same way.

use std::time::Duration;

/// Waits before the `attempt`-th retry (1, 2, 4 … 60 s, with jitter so
/// replicas cut by the same outage do not all come back at once).
pub fn backoff(attempt: u32, retry_after: Option<u64>) -> Duration {
    let base = 1u64 << attempt.min(6);
    let jitter = rand::random::<u64>() % (base * 250 + 1);
    let wait = Duration::from_millis(base.min(60) * 1000 + jitter);
    match retry_after {
        Some(s) => wait.max(Duration::from_secs(s.min(600))),
        None => wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0, None) >= Duration::from_secs(1));
        assert!(backoff(3, None) >= Duration::from_secs(8));
        assert!(backoff(30, None) <= Duration::from_secs(61 + 16));
        assert!(backoff(0, Some(30)) >= Duration::from_secs(30));
    }
}
