//! klog: the `Lmmdd hh:mm:ss.uuuuuu PID file:line] ` header, then either printf
//! text or a structured body (`"Message" key="value" ...`), plus the older
//! klogr body (`logger "msg"="..." "error"="..."`) with or without a header.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::evidence::model::{LogFormat, Severity};

use super::clock::{KlogTime, fraction_digits};
use super::quote::{KeyStyle, PairsEnd, scan_pairs, unquote_prefix};
use super::record::{MAX_MESSAGE, Parsed, bound_fields, bounded_str};

static KLOGR_MSG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""msg"="#));

fn two(b: &[u8], at: usize) -> Option<u32> {
    let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
    (x.is_ascii_digit() && y.is_ascii_digit())
        .then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
}

/// The header's severity, time and the index just after the time, when `line`
/// starts like a klog header.
fn header_time(line: &str) -> Option<(Severity, KlogTime, usize)> {
    let b = line.as_bytes();
    let severity = match *b.first()? {
        b'I' => Severity::Info,
        b'W' => Severity::Warning,
        b'E' => Severity::Error,
        b'F' => Severity::Fatal,
        _ => return None,
    };
    if b.get(5) != Some(&b' ') || b.get(8) != Some(&b':') || b.get(11) != Some(&b':') {
        return None;
    }
    let (month, day) = (two(b, 1)?, two(b, 3)?);
    let (hour, minute, second) = (two(b, 6)?, two(b, 9)?, two(b, 12)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut at = 14;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let (n, end) = fraction_digits(b, at + 1);
        if end == at + 1 {
            return None;
        }
        (nanos, at) = (n, end);
    }
    // The time must end the token: `I0327 18:30:29.624270x` is not klog.
    if b.get(at).is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    let t = KlogTime {
        month,
        day,
        hour,
        minute,
        second,
        nanos,
    };
    Some((severity, t, at))
}

/// Splits `   1 trace.go:236] msg` into caller and message.
fn caller_and_body(rest: &str) -> (Option<&str>, &str) {
    let t = rest.trim_start_matches(' ');
    let after_pid = t.trim_start_matches(|c: char| c.is_ascii_digit());
    let after_pid = if after_pid.len() < t.len() {
        match after_pid.strip_prefix(' ') {
            Some(a) => a,
            None => return (None, t),
        }
    } else {
        after_pid
    };
    let Some(close) = after_pid.find(']') else {
        return (None, t);
    };
    let caller = &after_pid[..close];
    let Some((file, line)) = caller.rsplit_once(':') else {
        return (None, t);
    };
    if file.is_empty()
        || line.is_empty()
        || !line.bytes().all(|c| c.is_ascii_digit())
        || caller.bytes().any(|c| c.is_ascii_whitespace())
    {
        return (None, t);
    }
    let body = &after_pid[close + 1..];
    (Some(caller), body.strip_prefix(' ').unwrap_or(body))
}

/// Parses a line with a klog header.
pub(crate) fn parse(line: &str) -> Option<Parsed> {
    let (severity, time, at) = header_time(line)?;
    let (caller, body) = caller_and_body(&line[at..]);
    let mut p = parse_body(body, severity).unwrap_or_else(|| {
        Parsed::new(
            LogFormat::KlogText,
            severity,
            bounded_str(body.trim_end(), MAX_MESSAGE),
        )
    });
    p.klog_time = Some(time);
    p.rec.caller = caller.map(str::to_owned);
    Some(p)
}

/// A structured body (klog `InfoS` or klogr), or `None` for printf text.
fn parse_body(body: &str, severity: Severity) -> Option<Parsed> {
    if KLOGR_MSG.find(body.as_bytes()).is_some()
        && let Some(p) = parse_klogr(body, Some(severity))
    {
        return Some(p);
    }
    if !body.starts_with('"') {
        return None;
    }
    let (message, n) = unquote_prefix(body)?;
    let rest = &body[n..];
    if !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let mut fields = Vec::new();
    let end = scan_pairs(rest, KeyStyle::Bare, &mut fields).ok()?;
    let mut p = Parsed::new(LogFormat::KlogStructured, severity, message);
    // Contextual logging names the logger in a pair; a record has one logger.
    if let Some(i) = fields.iter().position(|(k, _)| k == "logger")
        && !(end == PairsEnd::Open && i + 1 == fields.len())
    {
        p.rec.logger = Some(fields.remove(i).1);
    }
    bound_fields(&mut fields);
    p.open_value = end == PairsEnd::Open;
    p.rec.fields = fields;
    Some(p)
}

/// The klogr body `[logger ]"msg"="..." "key"=value ...`. `severity` is the
/// header's; without a header, an `"error"` pair (which only klogr's `Error`
/// writes) means Error, else the severity is unknown.
fn parse_klogr(body: &str, severity: Option<Severity>) -> Option<Parsed> {
    let quote = body.find('"')?;
    let logger = body[..quote].trim();
    if logger.contains(|c: char| c.is_whitespace() || c == '=') {
        return None;
    }
    let mut fields = Vec::new();
    if scan_pairs(&body[quote..], KeyStyle::Quoted, &mut fields) != Ok(PairsEnd::Done) {
        return None;
    }
    let i = fields.iter().position(|(k, _)| k == "msg")?;
    let message = fields.remove(i).1;
    let severity = severity.unwrap_or(if fields.iter().any(|(k, _)| k == "error") {
        Severity::Error
    } else {
        Severity::Unknown
    });
    let mut p = Parsed::new(LogFormat::KlogStructured, severity, message);
    if !logger.is_empty() {
        p.rec.logger = Some(logger.to_owned());
    }
    bound_fields(&mut fields);
    p.rec.fields = fields;
    Some(p)
}

/// A klogr body without a klog header: a line cut from a paste, or klogr
/// writing to a plain writer. The first token may be truncated (`etup` for
/// `setup`); it is kept as the logger as written.
pub(crate) fn parse_headerless(line: &str) -> Option<Parsed> {
    KLOGR_MSG.find(line.as_bytes())?;
    parse_klogr(line, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_header_fields() {
        let p = parse(
            "I0327 18:30:29.624270       1 trace.go:236] Trace[1]: \"x\" (total time: 110ms):",
        )
        .unwrap();
        assert_eq!(p.rec.format, LogFormat::KlogText);
        assert_eq!(p.rec.severity, Severity::Info);
        assert_eq!(p.rec.caller.as_deref(), Some("trace.go:236"));
        assert_eq!(p.rec.message, "Trace[1]: \"x\" (total time: 110ms):");
        let t = p.klog_time.unwrap();
        assert_eq!((t.month, t.day, t.hour, t.nanos), (3, 27, 18, 624_270_000));
    }

    #[test]
    fn structured_body_with_logger_pair() {
        let p = parse(
            r#"E0101 00:00:01.000000       1 leaderelection.go:436] "Failed to update lock" err="Put \"https://x\": EOF" lock="kube-system/x" logger="UnhandledError""#,
        )
        .unwrap();
        assert_eq!(p.rec.format, LogFormat::KlogStructured);
        assert_eq!(p.rec.message, "Failed to update lock");
        assert_eq!(p.rec.field("err"), Some("Put \"https://x\": EOF"));
        assert_eq!(p.rec.field("lock"), Some("kube-system/x"));
        assert_eq!(p.rec.logger.as_deref(), Some("UnhandledError"));
        assert_eq!(p.rec.field("logger"), None);
    }

    #[test]
    fn quoted_printf_text_stays_text() {
        let p = parse(r#"I0101 00:00:01.000000 1 x.go:1] "quoted" then words"#).unwrap();
        assert_eq!(p.rec.format, LogFormat::KlogText);
        assert_eq!(p.rec.message, r#""quoted" then words"#);
        let p = parse(r#"I0101 00:00:01.000000 1 x.go:1] "unterminated"#).unwrap();
        assert_eq!(p.rec.format, LogFormat::KlogText);
    }

    #[test]
    fn header_only_and_odd_headers() {
        let p = parse("I0327 18:30:29.624270       1 trace.go:236]").unwrap();
        assert_eq!(p.rec.message, "");
        assert_eq!(p.rec.caller.as_deref(), Some("trace.go:236"));
        let p = parse("F0412 09:14:07.381522").unwrap();
        assert_eq!(p.rec.severity, Severity::Fatal);
        assert!(p.rec.caller.is_none());
        assert!(parse("I1327 18:30:29.624270 1 x.go:1] bad month").is_none());
        assert!(parse("Info 18:30:29.624270 1 x.go:1] no").is_none());
        assert!(parse("I0327 18:30:29.624270x").is_none());
        assert!(parse("I0327").is_none());
    }

    #[test]
    fn klogr_with_and_without_header() {
        let p = parse(
            r#"E0830 19:37:53.844720       1 start.go:139] cert-manager/ca-injector "msg"="manager goroutine exited" "error"="error running manager: leader election lost""#,
        )
        .unwrap();
        assert_eq!(p.rec.format, LogFormat::KlogStructured);
        assert_eq!(p.rec.logger.as_deref(), Some("cert-manager/ca-injector"));
        assert_eq!(p.rec.message, "manager goroutine exited");
        assert_eq!(
            p.rec.field("error"),
            Some("error running manager: leader election lost")
        );
        let p = parse_headerless(r#"etup "msg"="unable to start server" "error"="reading \"kubernetes-ca\" certificate""#)
            .unwrap();
        assert_eq!(p.rec.logger.as_deref(), Some("etup"));
        assert_eq!(p.rec.message, "unable to start server");
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(
            p.rec.field("error"),
            Some("reading \"kubernetes-ca\" certificate")
        );
        let p = parse_headerless(r#""level"=0 "msg"="starting metrics server""#).unwrap();
        assert_eq!(p.rec.severity, Severity::Unknown);
        assert_eq!(p.rec.logger, None);
        assert!(parse_headerless(r#"two words "msg"="x""#).is_none());
    }

    #[test]
    fn multi_line_value_opens() {
        let p = parse(r#"I0101 00:00:01.000000 1 x.go:1] "Diff" obj=<"#).unwrap();
        assert!(p.open_value);
        assert_eq!(p.rec.fields, vec![("obj".to_owned(), String::new())]);
    }
}
