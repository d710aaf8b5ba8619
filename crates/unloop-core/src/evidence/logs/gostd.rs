//! Go's standard `log` package: `2024/03/27 18:30:28 msg`, optionally with
//! microseconds and a `file.go:12: ` caller (`log.Lshortfile`). The time is
//! local and zone-less; taken as UTC like klog's.

use crate::evidence::model::LogFormat;

use super::clock::civil_to_timestamp;
use super::plain::level_prefix;
use super::record::{MAX_MESSAGE, Parsed, bounded_str};

fn num(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    s.iter().try_fold(0u32, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
    })
}

/// Parses a Go std log line.
pub(crate) fn parse(line: &str) -> Option<Parsed> {
    let b = line.as_bytes();
    if b.len() < 19
        || b[4] != b'/'
        || b[7] != b'/'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(b, 0, 4)?, num(b, 5, 2)?, num(b, 8, 2)?);
    let (h, mi, s) = (num(b, 11, 2)?, num(b, 14, 2)?, num(b, 17, 2)?);
    let mut at = 19;
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        let start = at + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let digits = &line[start..end.min(start + 9)];
        if digits.is_empty() {
            return None;
        }
        nanos = digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32);
        at = end;
    }
    match b.get(at) {
        None => {}
        Some(b' ') => at += 1,
        Some(_) => return None,
    }
    let time = civil_to_timestamp(i64::from(y), mo, d, h, mi, s, nanos)?;
    let mut msg = &line[at..];
    let mut caller = None;
    // `log.Lshortfile` / `log.Llongfile`: `path/file.go:12: msg`.
    if let Some((c, rest)) = msg.split_once(": ")
        && c.ends_with(|ch: char| ch.is_ascii_digit())
        && c.rsplit_once(':')
            .is_some_and(|(f, n)| f.ends_with(".go") && n.bytes().all(|x| x.is_ascii_digit()))
        && !c.contains(' ')
    {
        caller = Some(c.to_owned());
        msg = rest;
    }
    let msg = msg.trim_end();
    let (severity, logger) = level_prefix(msg);
    let mut p = Parsed::new(LogFormat::GoStd, severity, bounded_str(msg, MAX_MESSAGE));
    p.rec.time = Some(time);
    p.rec.caller = caller;
    p.rec.logger = logger.map(str::to_owned);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::model::Severity;

    #[test]
    fn std_log_lines() {
        let p = parse("2024/03/27 18:30:28 Registering 3 clients").unwrap();
        assert_eq!(p.rec.format, LogFormat::GoStd);
        assert_eq!(p.rec.message, "Registering 3 clients");
        assert_eq!(p.rec.time, Some("2024-03-27T18:30:28Z".parse().unwrap()));
        assert_eq!(p.rec.severity, Severity::Unknown);
        let p = parse("2024/03/27 18:30:28.123456 main.go:42: error: bad flag").unwrap();
        assert_eq!(
            p.rec.time,
            Some("2024-03-27T18:30:28.123456Z".parse().unwrap())
        );
        assert_eq!(p.rec.caller.as_deref(), Some("main.go:42"));
        assert_eq!(p.rec.message, "error: bad flag");
        assert_eq!(p.rec.severity, Severity::Error);
        assert!(parse("2024/13/27 18:30:28 bad month").is_none());
        assert!(parse("2024/03/27 18:30:28x").is_none());
        assert!(parse("2024/03/27").is_none());
        assert_eq!(parse("2024/03/27 18:30:28").unwrap().rec.message, "");
    }
}
