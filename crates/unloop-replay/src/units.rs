//! Durations (`250ms`, `5s`, `2m`) and byte rates (`4KiB/s`) as the CLI and
//! the fault spec write them.

use std::time::Duration;

/// A value that does not read as a duration or a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: {hint}")]
pub struct UnitError {
    pub what: &'static str,
    pub value: String,
    pub hint: &'static str,
}

/// `1.5s`, `200ms`, `2m`, `1h`, `150us`.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let err = || UnitError {
        what: "duration",
        value: s.to_owned(),
        hint: "expected a number and a unit: us, ms, s, m or h (e.g. 250ms)",
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(err)?;
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let secs = match unit {
        "us" | "µs" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(err()),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| err())
}

/// Bytes per second: `4096/s`, `4KiB/s`, `1MiB/s`, `10kB/s` (the `/s` is optional).
pub fn parse_rate(s: &str) -> Result<u64, UnitError> {
    let err = || UnitError {
        what: "rate",
        value: s.to_owned(),
        hint: "expected bytes per second, e.g. 4KiB/s, 512B/s, 1MiB/s",
    };
    let t = s.trim();
    let t = t.strip_suffix("/s").unwrap_or(t);
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let mult = match unit {
        "" | "B" => 1.0,
        "k" | "kB" | "KB" => 1e3,
        "KiB" | "Ki" => 1024.0,
        "M" | "MB" => 1e6,
        "MiB" | "Mi" => 1024.0 * 1024.0,
        _ => return Err(err()),
    };
    let v = n * mult;
    if !(v >= 1.0 && v.is_finite()) {
        return Err(err());
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_rates() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(parse_rate("4KiB/s"), Ok(4096));
        assert_eq!(parse_rate("512"), Ok(512));
        assert_eq!(parse_rate("1MiB/s"), Ok(1 << 20));
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("fast").is_err());
    }
}
