//! Typed time: absolute instants, and ages relative to the moment an output was taken.
//!
//! kubectl prints ages (`3m1s`, `2m (x40 over 10m)`) relative to when it ran. Those
//! stay relative ([`TimeRef::Ago`]) to an [`AnchorId`] until the moment the output
//! was taken is known or inferred; then they can be ordered against absolute times.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Serialize, Serializer};

/// Identifies the moment one piece of output was taken (see [`Anchor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AnchorId(pub u32);

/// The moment an output with relative ages was taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anchor {
    /// When the output was taken, if known or inferred.
    pub at: Option<Timestamp>,
    /// True when `at` was inferred from other timestamps rather than stated.
    pub inferred: bool,
    /// Latest absolute time seen in the same output: the output was taken no earlier.
    pub not_before: Option<Timestamp>,
}

/// A point in time as the evidence states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeRef {
    /// An absolute instant.
    At(Timestamp),
    /// `ago` before the moment the output identified by `anchor` was taken.
    Ago { ago: Duration, anchor: AnchorId },
}

impl TimeRef {
    /// The absolute instant, if this is one.
    pub fn absolute(&self) -> Option<Timestamp> {
        match self {
            TimeRef::At(t) => Some(*t),
            TimeRef::Ago { .. } => None,
        }
    }
}

impl fmt::Display for TimeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeRef::At(t) => write!(f, "{t}"),
            TimeRef::Ago { ago, .. } => write!(f, "{} ago", human_duration(*ago)),
        }
    }
}

impl Serialize for TimeRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses kubectl's `HumanDuration` / `ShortHumanDuration` output: `45s`, `3m1s`,
/// `12m`, `5h30m`, `2d3h`, `400d`, `2y10d`. Also accepts `<invalid>`-free
/// combinations such as `1h2m3s`. Returns `None` for anything else.
pub fn parse_human_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    let mut saw_unit = false;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let d = u64::from(c - b'0');
            num = Some(num.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
            i += 1;
            continue;
        }
        let n = num.take()?;
        let (unit, len) = match c {
            b'm' if bytes.get(i + 1) == Some(&b's') => (0, 2), // ms: sub-second, ignored
            b's' => (1, 1),
            b'm' => (60, 1),
            b'h' => (3600, 1),
            b'd' => (86_400, 1),
            b'y' => (365 * 86_400, 1),
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        saw_unit = true;
        i += len;
    }
    if num.is_some() || !saw_unit {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// Formats a duration the way kubectl's `HumanDuration` does.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (m, h, day) = (60, 3600, 86_400);
    if secs < 2 * m {
        format!("{secs}s")
    } else if secs < 10 * m {
        let s = secs % m;
        if s == 0 {
            format!("{}m", secs / m)
        } else {
            format!("{}m{}s", secs / m, s)
        }
    } else if secs < 3 * h {
        format!("{}m", secs / m)
    } else if secs < 8 * h {
        let mm = (secs % h) / m;
        if mm == 0 {
            format!("{}h", secs / h)
        } else {
            format!("{}h{}m", secs / h, mm)
        }
    } else if secs < 48 * h {
        format!("{}h", secs / h)
    } else if secs < 8 * day {
        let hh = (secs % day) / h;
        if hh == 0 {
            format!("{}d", secs / day)
        } else {
            format!("{}d{}h", secs / day, hh)
        }
    } else if secs < 2 * 365 * day {
        format!("{}d", secs / day)
    } else {
        let y = secs / (365 * day);
        let dd = (secs % (365 * day)) / day;
        if dd == 0 || y >= 8 {
            format!("{y}y")
        } else {
            format!("{y}y{dd}d")
        }
    }
}

/// Parses an RFC 3339 timestamp as Kubernetes prints it (`2024-03-27T18:30:28Z`,
/// with or without fractional seconds or a numeric offset).
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    s.trim().parse::<Timestamp>().ok()
}

/// Parses the RFC 1123 form with numeric zone that `kubectl describe` prints:
/// `Wed, 27 Mar 2024 18:30:28 +0000`.
pub fn parse_rfc1123z(s: &str) -> Option<Timestamp> {
    jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S %z", s.trim())
        .ok()?
        .to_timestamp()
        .ok()
}

/// Parses a Unix epoch in seconds with an optional fraction (zap's `ts`).
pub fn from_epoch_seconds(secs: f64) -> Option<Timestamp> {
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9).round() as i32;
    Timestamp::new(whole, nanos.clamp(0, 999_999_999)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_parse() {
        assert_eq!(parse_human_duration("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse_human_duration("3m1s"), Some(Duration::from_secs(181)));
        assert_eq!(parse_human_duration("12m"), Some(Duration::from_secs(720)));
        assert_eq!(
            parse_human_duration("5h30m"),
            Some(Duration::from_secs(19_800))
        );
        assert_eq!(
            parse_human_duration("2d3h"),
            Some(Duration::from_secs(183_600))
        );
        assert_eq!(
            parse_human_duration("2y10d"),
            Some(Duration::from_secs(2 * 365 * 86_400 + 864_000))
        );
        assert_eq!(parse_human_duration("<unknown>"), None);
        assert_eq!(parse_human_duration("12"), None);
        assert_eq!(parse_human_duration("m"), None);
        assert_eq!(parse_human_duration(""), None);
    }

    #[test]
    fn human_duration_round_trips_kubectl_forms() {
        for s in [
            "45s", "3m1s", "5m", "12m", "5h30m", "20h", "2d3h", "30d", "2y10d",
        ] {
            let d = parse_human_duration(s).unwrap();
            assert_eq!(human_duration(d), s);
        }
    }

    #[test]
    fn describe_and_api_times_parse() {
        let a = parse_rfc1123z("Wed, 27 Mar 2024 18:30:28 +0000").unwrap();
        let b = parse_rfc3339("2024-03-27T18:30:28Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_rfc1123z("27 Mar 2024").is_none());
        let e = from_epoch_seconds(1_711_564_229.5).unwrap();
        assert_eq!(e.as_second(), 1_711_564_229);
    }
}
