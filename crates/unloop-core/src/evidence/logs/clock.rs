//! Times as loggers print them, and the year klog leaves out.
//!
//! The ISO 8601 parser here is hand-written because it runs on nearly every line
//! (the `kubectl logs --timestamps` prefix, zap, logrus, logfmt) and must accept
//! what a strict RFC 3339 parser rejects: a space for `T`, a comma before the
//! fraction, `+0000` without a colon, no zone at all (taken as UTC).

use jiff::Timestamp;

const SECS_PER_DAY: i64 = 86_400;
/// Half a year: a klog date further than this from the reference belongs to the
/// neighbouring year.
const HALF_YEAR_SECS: i64 = 183 * SECS_PER_DAY;

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of a count of days since 1970-01-01.
fn year_from_days(z: i64) -> i64 {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(m <= 2)
}

/// The UTC year of an instant.
pub(crate) fn year_of(t: Timestamp) -> i64 {
    year_from_days(t.as_second().div_euclid(SECS_PER_DAY))
}

/// A civil UTC time to an instant; `None` for impossible dates.
pub(crate) fn civil_to_timestamp(
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    nanos: u32,
) -> Option<Timestamp> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
        return None;
    }
    // A leap second (`:60`) is folded onto the last ordinary second.
    let s = s.min(59);
    let secs = days_from_civil(y, mo, d) * SECS_PER_DAY
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s);
    Timestamp::new(secs, nanos.min(999_999_999) as i32).ok()
}

/// Reads an optional fraction (`.123456789` or `,123`) at `at`; returns nanos
/// and the index after it. Digits beyond nanoseconds are skipped.
fn fraction(b: &[u8], at: usize) -> (u32, usize) {
    if !matches!(b.get(at), Some(b'.' | b',')) || !b.get(at + 1).is_some_and(u8::is_ascii_digit) {
        return (0, at);
    }
    fraction_digits(b, at + 1)
}

/// Reads the digits of a fraction of a second that start at `at`; returns
/// nanos and the index after the last digit (`at` itself when there is none).
/// Digits beyond nanoseconds are skipped.
pub(crate) fn fraction_digits(b: &[u8], mut at: usize) -> (u32, usize) {
    let mut nanos = 0u32;
    let mut n = 0;
    while let Some(&c) = b.get(at) {
        if !c.is_ascii_digit() {
            break;
        }
        if n < 9 {
            nanos = nanos * 10 + u32::from(c - b'0');
            n += 1;
        }
        at += 1;
    }
    for _ in n..9 {
        nanos *= 10;
    }
    (nanos, at)
}

/// Whether a parsed ISO time named its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    Explicit,
    /// No zone: taken as UTC.
    Missing,
}

/// Parses an ISO 8601 date-time at the start of `s`:
/// `YYYY-MM-DD[T ]HH:MM[:SS][(.|,)frac][Z|±HH[:]MM|±HH]`. Returns the instant,
/// whether the zone was given, and the bytes consumed.
pub(crate) fn parse_iso_prefix(s: &str) -> Option<(Timestamp, Zone, usize)> {
    let b = s.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' {
        return None;
    }
    let y = digits(b, 0, 4)?;
    let mo = digits(b, 5, 2)?;
    let d = digits(b, 8, 2)?;
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let h = digits(b, 11, 2)?;
    let mi = digits(b, 14, 2)?;
    let mut at = 16;
    let mut sec = 0;
    if b.get(at) == Some(&b':') {
        sec = digits(b, at + 1, 2)?;
        at += 3;
    }
    let (nanos, after) = fraction(b, at);
    at = after;
    let mut offset_secs: i64 = 0;
    let mut zone = Zone::Missing;
    match b.get(at) {
        Some(b'Z' | b'z') => {
            zone = Zone::Explicit;
            at += 1;
        }
        Some(&sign @ (b'+' | b'-')) => {
            if let Some(oh) = digits(b, at + 1, 2) {
                let (om, len) = if b.get(at + 3) == Some(&b':') {
                    (digits(b, at + 4, 2), 6)
                } else if let Some(m) = digits(b, at + 3, 2) {
                    (Some(m), 5)
                } else {
                    (Some(0), 3)
                };
                if let Some(om) = om
                    && oh <= 23
                    && om <= 59
                {
                    offset_secs = i64::from(oh) * 3600 + i64::from(om) * 60;
                    if sign == b'-' {
                        offset_secs = -offset_secs;
                    }
                    zone = Zone::Explicit;
                    at += len;
                }
            }
        }
        _ => {}
    }
    let t = civil_to_timestamp(i64::from(y), mo, d, h, mi, sec, nanos)?;
    let t = Timestamp::new(t.as_second() - offset_secs, t.subsec_nanosecond()).ok()?;
    Some((t, zone, at))
}

/// Parses a whole string as a time: ISO 8601 as above, else whatever jiff
/// accepts (RFC 3339 with a bracketed zone name, ...).
pub(crate) fn parse_time_str(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    match parse_iso_prefix(s) {
        Some((t, _, n)) if n == s.len() => Some(t),
        _ => s.parse::<Timestamp>().ok(),
    }
}

/// An epoch number of unknown unit (zap's `ts`, pino's `time`), by magnitude:
/// seconds, milliseconds, microseconds or nanoseconds.
pub(crate) fn from_epoch_number(v: f64) -> Option<Timestamp> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let secs = if v < 1e11 {
        v
    } else if v < 1e14 {
        v / 1e3
    } else if v < 1e17 {
        v / 1e6
    } else {
        v / 1e9
    };
    crate::evidence::time::from_epoch_seconds(secs)
}

/// An epoch number written in decimal (`1711564229.137126`,
/// `1.6241135391720476e+09`), read exactly rather than through `f64`, which
/// would blur the microseconds; unit by magnitude as [`from_epoch_number`].
pub(crate) fn from_epoch_decimal(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty()
        || int.len() + frac.len() > 30
        || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    // value = digits × 10^scale, in the unit the magnitude implies.
    let scale = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
    let approx = digits as f64 * 10f64.powi(scale);
    let unit_pow = if approx < 1e11 {
        0
    } else if approx < 1e14 {
        3
    } else if approx < 1e17 {
        6
    } else {
        9
    };
    let shift = scale + 9 - unit_pow;
    let nanos = if shift >= 0 {
        digits.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?
    } else {
        let div = 10i128.checked_pow(u32::try_from(-shift).ok()?);
        div.map_or(0, |d| digits / d)
    };
    Timestamp::from_nanosecond(nanos).ok()
}

/// A klog header's time: month, day and time of day, no year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KlogTime {
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

impl KlogTime {
    fn in_year(&self, y: i64) -> Option<Timestamp> {
        civil_to_timestamp(
            y,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.nanos,
        )
    }
}

/// Supplies the year klog headers leave out.
///
/// The reference is the last time seen in the stream (any format, including
/// years inferred before): a klog date goes into whichever of the reference's
/// year and its neighbours puts it nearest the reference, which also carries a
/// log across New Year. Without a reference: the hinted year, else the current
/// UTC year (stepping back a year when that would put the line in the future).
#[derive(Debug, Clone)]
pub(crate) struct YearInference {
    reference: Option<(Timestamp, i64)>,
    default_year: Option<i16>,
}

impl YearInference {
    pub(crate) fn new(default_year: Option<i16>) -> Self {
        YearInference {
            reference: None,
            default_year,
        }
    }

    /// Records an instant the stream stated (or that was inferred earlier).
    pub(crate) fn observe(&mut self, t: Timestamp) {
        if self.reference.is_some_and(|(r, _)| r == t) {
            return;
        }
        self.reference = Some((t, year_of(t)));
    }

    /// The instant of a klog time; `None` when the date exists in no candidate
    /// year (29 February).
    pub(crate) fn resolve(&mut self, k: KlogTime) -> Option<Timestamp> {
        let t = match self.reference {
            Some((r, ry)) => {
                let rs = r.as_second();
                let near = |y: i64| k.in_year(y).map(|t| (t, (t.as_second() - rs).abs()));
                match near(ry) {
                    Some((t, _)) if t.as_second() - rs > HALF_YEAR_SECS => {
                        near(ry - 1).map_or(Some(t), |(p, _)| Some(p))
                    }
                    Some((t, _)) if rs - t.as_second() > HALF_YEAR_SECS => {
                        near(ry + 1).map_or(Some(t), |(n, _)| Some(n))
                    }
                    Some((t, _)) => Some(t),
                    None => [ry + 1, ry - 1]
                        .into_iter()
                        .filter_map(near)
                        .min_by_key(|&(_, d)| d)
                        .map(|(t, _)| t),
                }
            }
            None => match self.default_year {
                Some(y) => k.in_year(i64::from(y)),
                None => {
                    let now = Timestamp::now();
                    let y = year_of(now);
                    match k.in_year(y) {
                        Some(t) if t.as_second() > now.as_second() + SECS_PER_DAY => {
                            k.in_year(y - 1).or(Some(t))
                        }
                        Some(t) => Some(t),
                        None => k.in_year(y - 1),
                    }
                }
            },
        }?;
        self.observe(t);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn iso_variants_parse() {
        let want = ts("2024-03-27T18:30:28.123Z");
        for s in [
            "2024-03-27T18:30:28.123Z",
            "2024-03-27T18:30:28.123000000Z",
            "2024-03-27T18:30:28,123Z",
            "2024-03-27 18:30:28.123",
            "2024-03-27T19:30:28.123+01:00",
            "2024-03-27T19:30:28.123+0100",
            "2024-03-27T17:30:28.123-01",
        ] {
            assert_eq!(parse_time_str(s), Some(want), "{s}");
        }
        let (_, zone, n) = parse_iso_prefix("2024-03-27T18:30:28Z rest").unwrap();
        assert_eq!((zone, n), (Zone::Explicit, 20));
        let (_, zone, _) = parse_iso_prefix("2024-03-27 18:30:28,5 INFO").unwrap();
        assert_eq!(zone, Zone::Missing);
        assert!(parse_time_str("2024-02-30T00:00:00Z").is_none());
        assert!(parse_time_str("2024-03-27X18:30:28Z").is_none());
        assert!(parse_time_str("not a time").is_none());
        assert_eq!(
            parse_time_str("2024-03-27T18:30:28.123456789+01:00[Europe/Paris]"),
            Some(ts("2024-03-27T17:30:28.123456789Z"))
        );
    }

    #[test]
    fn civil_arithmetic_matches_jiff() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2024-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
            "2100-03-01T00:00:00Z",
        ] {
            let t = ts(s);
            assert_eq!(parse_time_str(s), Some(t), "{s}");
            assert_eq!(
                year_of(t),
                i64::from(t.to_zoned(jiff::tz::TimeZone::UTC).year())
            );
        }
    }

    #[test]
    fn epoch_numbers_by_magnitude() {
        let want = 1_711_564_229;
        for v in [
            1_711_564_229.137,
            1_711_564_229_137.0,
            1.711_564_229_137e15,
            1.711_564_229e18,
        ] {
            assert_eq!(from_epoch_number(v).unwrap().as_second(), want, "{v}");
        }
        assert!(from_epoch_number(f64::NAN).is_none());
        assert_eq!(
            from_epoch_decimal("1711564229.137126"),
            Some(ts("2024-03-27T18:30:29.137126Z"))
        );
        assert_eq!(
            from_epoch_decimal("1.6241135391720476e+09"),
            Some(ts("2021-06-19T14:38:59.172047600Z"))
        );
        assert_eq!(
            from_epoch_decimal("1711564229137"),
            Some(ts("2024-03-27T18:30:29.137Z"))
        );
        for bad in [
            "",
            ".",
            "-1",
            "1e",
            "abc",
            "1e400",
            "99999999999999999999999999999999",
        ] {
            assert!(from_epoch_decimal(bad).is_none(), "{bad}");
        }
        assert!(from_epoch_number(-1.0).is_none());
    }

    fn k(month: u32, day: u32) -> KlogTime {
        KlogTime {
            month,
            day,
            hour: 12,
            minute: 0,
            second: 0,
            nanos: 0,
        }
    }

    #[test]
    fn klog_year_from_reference_default_and_rollover() {
        let mut y = YearInference::new(Some(2021));
        assert_eq!(y.resolve(k(12, 31)), Some(ts("2021-12-31T12:00:00Z")));
        // Dec -> Jan carries into the next year.
        assert_eq!(y.resolve(k(1, 1)), Some(ts("2022-01-01T12:00:00Z")));
        // An absolute time seen in the stream wins over the hint.
        y.observe(ts("2019-06-01T00:00:00Z"));
        assert_eq!(y.resolve(k(6, 2)), Some(ts("2019-06-02T12:00:00Z")));
        // Reference on 1 January, klog line from the evening before.
        y.observe(ts("2020-01-01T00:00:10Z"));
        assert_eq!(y.resolve(k(12, 31)), Some(ts("2019-12-31T12:00:00Z")));
    }

    #[test]
    fn klog_year_defaults_to_now_and_never_the_future() {
        let now = Timestamp::now();
        let mut y = YearInference::new(None);
        let t = y.resolve(k(1, 1)).unwrap();
        assert!(t.as_second() <= now.as_second() + SECS_PER_DAY);
        assert!(now.as_second() - t.as_second() < 366 * SECS_PER_DAY);
        // 29 February resolves to a leap year near the reference, or nothing.
        let mut y = YearInference::new(Some(2023));
        assert_eq!(y.resolve(k(2, 29)), None);
        y.observe(ts("2024-02-28T00:00:00Z"));
        assert_eq!(y.resolve(k(2, 29)), Some(ts("2024-02-29T12:00:00Z")));
    }
}
