//! What kubectl puts before a container's own line: `--prefix`'s
//! `[pod/name/container] ` and `--timestamps`' RFC 3339 time and a space.

use jiff::Timestamp;

use super::clock::{Zone, parse_iso_prefix};

/// Strips kubectl's prefixes from `line`; returns the `--timestamps` time (the
/// kubelet's receive time) and the container's own line.
pub(crate) fn split(line: &str) -> (Option<Timestamp>, &str) {
    let mut inner = line;
    if let Some(rest) = inner.strip_prefix("[pod/")
        && let Some(close) = rest.find("] ")
        && !rest[..close].contains(' ')
    {
        inner = &rest[close + 2..];
    }
    let b = inner.as_bytes();
    if b.len() < 20 || !b[0].is_ascii_digit() || b[4] != b'-' || b[10] != b'T' {
        return (None, inner);
    }
    match parse_iso_prefix(inner) {
        Some((t, Zone::Explicit, n)) => match b.get(n) {
            None => (Some(t), ""),
            Some(b' ') => (Some(t), &inner[n + 1..]),
            _ => (None, inner),
        },
        _ => (None, inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_timestamps_and_pod_prefix() {
        let (t, inner) = split("2024-03-27T18:30:28.123456789Z I0327 18:30:28.1 1 x.go:1] m");
        assert_eq!(t, Some("2024-03-27T18:30:28.123456789Z".parse().unwrap()));
        assert_eq!(inner, "I0327 18:30:28.1 1 x.go:1] m");
        let (t, inner) = split("[pod/web-1/app] 2024-03-27T18:30:28Z \tat x");
        assert!(t.is_some());
        assert_eq!(inner, "\tat x");
        let (t, inner) = split("2024-03-27T18:30:28+02:00");
        assert!(t.is_some());
        assert_eq!(inner, "");
    }

    #[test]
    fn leaves_other_leading_times() {
        // zap console: tab, not space.
        let l = "2021-08-24T13:44:01.158Z\tINFO\tsetup\tstarting manager";
        assert_eq!(split(l), (None, l));
        // No zone: the application's own time, not kubectl's.
        let l = "2024-03-27 18:30:28,123 ERROR x";
        assert_eq!(split(l), (None, l));
        let l = "2024-03-27T18:30:28 ERROR x";
        assert_eq!(split(l), (None, l));
        assert_eq!(split("[pod/a b] x"), (None, "[pod/a b] x"));
    }
}
