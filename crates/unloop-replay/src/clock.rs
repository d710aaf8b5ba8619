//! The server's clock: the snapshot's own time, moving forward in real time.
//!
//! A snapshot is served as if the cluster were still at the moment it was
//! captured, so ages (`AGE`, `2m10s ago`) read as they did for the person who
//! captured it, and objects created through the API are stamped after
//! everything in it.

use std::time::{Duration, Instant};

use jiff::Timestamp;

/// Snapshot time plus the time elapsed since the server started.
#[derive(Debug, Clone)]
pub struct Clock {
    base: Timestamp,
    started: Instant,
}

impl Clock {
    /// A clock that reads `base` now.
    pub fn starting_at(base: Timestamp) -> Self {
        Clock {
            base,
            started: Instant::now(),
        }
    }

    /// The wall clock.
    pub fn real() -> Self {
        Clock::starting_at(Timestamp::now())
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        let elapsed = self
            .started
            .elapsed()
            .min(Duration::from_secs(100 * 365 * 86_400));
        self.base
            .checked_add(jiff::SignedDuration::try_from(elapsed).unwrap_or_default())
            .unwrap_or(self.base)
    }

    /// `now` as Kubernetes writes timestamps (whole seconds, `Z`).
    pub fn now_rfc3339(&self) -> String {
        format_time(self.now())
    }

    /// `now` with microseconds, as `MicroTime` fields (`eventTime`, lease times) are written.
    pub fn now_micro(&self) -> String {
        let t = self.now();
        let secs = format_time(t);
        format!(
            "{}.{:06}Z",
            secs.trim_end_matches('Z'),
            t.subsec_microsecond()
        )
    }
}

/// `2024-04-12T10:05:00Z`.
pub fn format_time(t: Timestamp) -> String {
    let whole = Timestamp::from_second(t.as_second()).unwrap_or(t);
    whole.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_snapshot_and_moves_on() {
        let base: Timestamp = "2024-04-12T10:05:00Z".parse().unwrap();
        let c = Clock::starting_at(base);
        let now = c.now();
        assert!(now >= base && now.as_second() - base.as_second() < 5);
        assert_eq!(c.now_rfc3339().len(), "2024-04-12T10:05:00Z".len());
        assert!(c.now_micro().starts_with("2024-04-12T10:05:0"));
        assert!(c.now_micro().ends_with('Z'));
    }
}
