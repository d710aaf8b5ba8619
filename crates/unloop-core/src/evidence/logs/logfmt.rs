//! logfmt: `time="..." level=info msg="..." k=v` (logrus's text formatter
//! without a terminal, go-kit, slog's TextHandler), and logrus's terminal form
//! `INFO[0000] msg    k=v`.

use crate::evidence::model::{LogFormat, Severity};

use super::clock::parse_time_str;
use super::quote::{KeyStyle, PairsEnd, scan_pairs};
use super::record::{MAX_FIELD, Parsed, bound_fields, bounded};

fn is_level_key(k: &str) -> bool {
    matches!(k, "level" | "lvl" | "severity" | "loglevel")
}

/// Parses a logfmt line: pairs only, at least two, one of them a level or a message.
pub(crate) fn parse(line: &str) -> Option<Parsed> {
    let first = line.as_bytes().first()?;
    if !(first.is_ascii_alphabetic() || *first == b'_' || *first == b'@') {
        return None;
    }
    // Cheap rejection before scanning: the first token must be `key=`.
    let tok_end = line
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(line.len());
    if !line[..tok_end].contains('=') {
        return logrus_terminal(line);
    }
    let mut pairs = Vec::new();
    if scan_pairs(line, KeyStyle::Bare, &mut pairs) != Ok(PairsEnd::Done) || pairs.len() < 2 {
        return None;
    }
    if !pairs
        .iter()
        .any(|(k, _)| is_level_key(k) || k == "msg" || k == "message")
    {
        return None;
    }
    let mut severity = None;
    let mut time = None;
    let mut message = None;
    let mut logger = None;
    let mut caller = None;
    let mut fields = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if severity.is_none() && is_level_key(&k) {
            let s = Severity::parse(&v);
            if s != Severity::Unknown {
                severity = Some(s);
                continue;
            }
        }
        if time.is_none()
            && matches!(k.as_str(), "time" | "ts" | "t" | "timestamp")
            && let Some(t) = parse_time_str(&v)
        {
            time = Some(t);
            continue;
        }
        match k.as_str() {
            "msg" | "message" if message.is_none() => message = Some(v),
            "logger" if logger.is_none() => logger = Some(bounded(v, MAX_FIELD)),
            "caller" | "source" if caller.is_none() => caller = Some(bounded(v, MAX_FIELD)),
            _ => fields.push((k, v)),
        }
    }
    bound_fields(&mut fields);
    let mut p = Parsed::new(
        LogFormat::Logfmt,
        severity.unwrap_or(Severity::Unknown),
        message.unwrap_or_default(),
    );
    p.rec.time = time;
    p.rec.logger = logger;
    p.rec.caller = caller;
    p.rec.fields = fields;
    Some(p)
}

/// logrus with a terminal: `INFO[0000] message   key=value`, or with
/// `FullTimestamp`: `ERRO[2024-03-27T18:30:28Z] message`.
fn logrus_terminal(line: &str) -> Option<Parsed> {
    let b = line.as_bytes();
    if b.len() < 6 || b[4] != b'[' {
        return None;
    }
    let severity = match &b[..4] {
        b"TRAC" => Severity::Trace,
        b"DEBU" => Severity::Debug,
        b"INFO" => Severity::Info,
        b"WARN" => Severity::Warning,
        b"ERRO" => Severity::Error,
        b"FATA" | b"PANI" => Severity::Fatal,
        _ => return None,
    };
    let close = line[5..].find(']')? + 5;
    let stamp = &line[5..close];
    let rest = line[close + 1..].trim();
    // logrus pads the message, then writes the pairs: split at the first run
    // of two spaces after which everything reads as pairs.
    let mut message = rest;
    let mut fields = Vec::new();
    let mut search = 0;
    while let Some(i) = rest[search..].find("  ").map(|i| i + search) {
        let tail = rest[i..].trim_start();
        let mut f = Vec::new();
        if !tail.is_empty() && scan_pairs(tail, KeyStyle::Bare, &mut f) == Ok(PairsEnd::Done) {
            message = rest[..i].trim_end();
            fields = f;
            break;
        }
        search = i + 2;
    }
    bound_fields(&mut fields);
    let mut p = Parsed::new(LogFormat::Logfmt, severity, message.to_owned());
    p.rec.time = parse_time_str(stamp);
    p.rec.fields = fields;
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logrus_text_and_slog() {
        let p = parse(r#"time="2024-03-27T18:30:28Z" level=error msg="failed to sync \"x\"" component=sync err="i/o timeout""#).unwrap();
        assert_eq!(p.rec.format, LogFormat::Logfmt);
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(p.rec.time, Some("2024-03-27T18:30:28Z".parse().unwrap()));
        assert_eq!(p.rec.message, "failed to sync \"x\"");
        assert_eq!(p.rec.field("component"), Some("sync"));
        assert_eq!(p.rec.field("err"), Some("i/o timeout"));
        let p =
            parse("time=2024-03-27T18:30:28.123Z level=WARN source=/app/main.go:12 msg=hello n=1")
                .unwrap();
        assert_eq!(p.rec.severity, Severity::Warning);
        assert_eq!(p.rec.caller.as_deref(), Some("/app/main.go:12"));
        assert_eq!(p.rec.message, "hello");
        let p = parse("level=info ts=2024-03-27T18:30:28.123Z caller=main.go:12 msg=\"Starting\"")
            .unwrap();
        assert_eq!(p.rec.caller.as_deref(), Some("main.go:12"));
        assert!(p.rec.time.is_some());
    }

    #[test]
    fn not_logfmt() {
        assert!(parse("a=1 b=2").is_none());
        assert!(parse("level=info").is_none());
        assert!(parse("the level=info is wrong").is_none());
        assert!(parse("x = 1").is_none());
        assert!(parse(r#"level=info msg="unterminated"#).is_none());
    }

    #[test]
    fn logrus_terminal_form() {
        let p = parse("ERRO[0003] Failed to connect                             error=\"dial tcp: i/o timeout\" retry=3").unwrap();
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(p.rec.message, "Failed to connect");
        assert_eq!(p.rec.field("error"), Some("dial tcp: i/o timeout"));
        assert_eq!(p.rec.time, None);
        let p = parse("INFO[2024-03-27T18:30:28Z] Starting up").unwrap();
        assert_eq!(p.rec.message, "Starting up");
        assert!(p.rec.time.is_some());
        assert!(parse("INFOrmation").is_none());
    }
}
