//! Plain text: whatever matched no log format. The message is the whole line;
//! a recognisable lead still tells the severity (`ERROR:`, `Error:`, `[WARN]`,
//! `panic:` ...), a leading ISO time the time, and some leads open a multi-line
//! block (a Go panic, a Python traceback, a Java stack trace).

use std::sync::LazyLock;

use regex::Regex;

use crate::evidence::model::{LogFormat, Severity};

use super::clock::parse_iso_prefix;
use super::record::{MAX_MESSAGE, Parsed, bounded_str};

/// The multi-line block a plain line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opens {
    Nothing,
    /// `panic: `, `fatal error: `, `SIGSEGV: ...`, or a bare `goroutine N [...]:`.
    GoCrash,
    /// `Traceback (most recent call last):`
    PythonTraceback,
    /// `Exception in thread "main" ...` or `java.lang.IllegalStateException: ...`.
    JavaException,
}

static JAVA_EXCEPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)(?::\s|$)")
        .expect("static regex")
});

/// A level word: `ERROR`, `warn`, `Info`, ... (not single letters: those are
/// klog's, and too easily part of a sentence).
fn level_word(w: &str) -> Option<Severity> {
    if w.len() < 3 || w.len() > 9 {
        return None;
    }
    match Severity::parse(w) {
        Severity::Unknown => None,
        s => Some(s),
    }
}

/// The severity a plain lead states, and a Python `logging` logger name
/// (`ERROR:root:msg`). `Unknown` when the line states none.
pub(crate) fn level_prefix(line: &str) -> (Severity, Option<&str>) {
    let s = line.trim_start();
    if s.starts_with("panic: ") || s.starts_with("fatal error: ") {
        return (Severity::Fatal, None);
    }
    // kubectl's own complaint, pasted with the log.
    if s.starts_with("Error from server") {
        return (Severity::Error, None);
    }
    let (bracketed, body) = match s.strip_prefix('[') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let end = body
        .bytes()
        .position(|c| !c.is_ascii_alphabetic())
        .unwrap_or(body.len());
    let (word, after) = body.split_at(end);
    let Some(sev) = level_word(word) else {
        return (Severity::Unknown, None);
    };
    let uppercase = word.bytes().all(|c| c.is_ascii_uppercase());
    match after.as_bytes().first() {
        Some(b']') if bracketed => (sev, None),
        Some(b':') if !bracketed => {
            let rest = &after[1..];
            // Python logging's default format: LEVEL:logger:message.
            let logger = rest.split_once(':').map(|(l, _)| l).filter(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
            });
            (sev, logger)
        }
        Some(b' ' | b'\t') if uppercase && !bracketed => (sev, None),
        None if uppercase && !bracketed => (sev, None),
        _ => (Severity::Unknown, None),
    }
}

/// A level word among the first few tokens after a leading time
/// (`2024-03-27 18:30:28,123 - root - ERROR - msg`, Spring's `  INFO 1 --- [main]`).
fn level_after_time(rest: &str) -> Severity {
    for tok in rest.split_whitespace().take(4) {
        let w =
            tok.trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | ':' | '-' | '<' | '>'));
        if w.bytes().all(|c| c.is_ascii_uppercase())
            && let Some(s) = level_word(w)
        {
            return s;
        }
    }
    Severity::Unknown
}

/// What kind of block `s` opens, and the severity that implies.
pub(crate) fn opens(s: &str) -> (Opens, Option<Severity>) {
    let t = s.trim_start();
    if t.starts_with("panic: ")
        || t.starts_with("fatal error: ")
        || is_signal_header(t)
        || is_goroutine_header(t)
    {
        return (Opens::GoCrash, Some(Severity::Fatal));
    }
    if t.starts_with("Traceback (most recent call last):") {
        return (Opens::PythonTraceback, Some(Severity::Error));
    }
    if t.starts_with("Exception in thread \"") {
        return (Opens::JavaException, Some(Severity::Fatal));
    }
    if (t.contains("Exception") || t.contains("Error") || t.contains("Throwable"))
        && JAVA_EXCEPTION.is_match(t)
    {
        return (Opens::JavaException, Some(Severity::Error));
    }
    (Opens::Nothing, None)
}

/// `goroutine 1 [running]:` (also Go 1.23's `goroutine 1 gp=0x... m=0 mp=0x... [running]:`).
pub(crate) fn is_goroutine_header(t: &str) -> bool {
    t.strip_prefix("goroutine ").is_some_and(|r| {
        r.starts_with(|c: char| c.is_ascii_digit())
            && r.contains('[')
            && r.trim_end().ends_with(':')
    })
}

/// `SIGSEGV: segmentation violation`, `SIGABRT: abort`, `SIGQUIT: quit`.
pub(crate) fn is_signal_header(t: &str) -> bool {
    t.strip_prefix("SIG").is_some_and(|r| {
        let name_len = r.bytes().take_while(u8::is_ascii_uppercase).count();
        (3..=6).contains(&name_len) && r[name_len..].starts_with(": ")
    })
}

/// Parses a plain line.
pub(crate) fn parse(line: &str) -> (Parsed, Opens) {
    let msg = line.trim_end();
    let (opens, implied) = opens(msg);
    let mut time = None;
    let (mut severity, logger) = level_prefix(msg);
    let lead = msg.trim_start().trim_start_matches('[');
    if let Some((t, _, n)) = parse_iso_prefix(lead) {
        time = Some(t);
        if severity == Severity::Unknown {
            severity = level_after_time(&lead[n..]);
        }
    }
    if let Some(s) = implied {
        severity = s;
    }
    let mut p = Parsed::new(LogFormat::Plain, severity, bounded_str(msg, MAX_MESSAGE));
    p.rec.time = time;
    p.rec.logger = logger.map(str::to_owned);
    (p, opens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sev(line: &str) -> Severity {
        parse(line).0.rec.severity
    }

    #[test]
    fn leads_give_severity() {
        assert_eq!(
            sev("ERROR: The environment variable CATTLE_CA_CHECKSUM is set"),
            Severity::Error
        );
        assert_eq!(
            sev("INFO: https://rancher.example/ping is accessible"),
            Severity::Info
        );
        assert_eq!(
            sev("Error: error creating self-signed certificates"),
            Severity::Error
        );
        assert_eq!(sev("error: unknown flag: --zap-level"), Severity::Error);
        assert_eq!(sev("[WARN] disk almost full"), Severity::Warning);
        assert_eq!(sev("WARNING something"), Severity::Warning);
        assert_eq!(
            sev("panic: runtime error: invalid memory address"),
            Severity::Fatal
        );
        assert_eq!(sev("fatal error: concurrent map writes"), Severity::Fatal);
        assert_eq!(sev("Error creating things"), Severity::Unknown);
        assert_eq!(
            sev("Error from server (BadRequest): container \"x\" in pod \"y\" is waiting to start"),
            Severity::Error
        );
        assert_eq!(sev("Information is power"), Severity::Unknown);
        assert_eq!(sev("Usage:"), Severity::Unknown);
        assert_eq!(sev("I am a sentence"), Severity::Unknown);
        assert_eq!(
            sev("flag provided but not defined: -zap-level"),
            Severity::Unknown
        );
    }

    #[test]
    fn python_logging_logger_and_leading_times() {
        let (p, _) = parse("WARNING:urllib3.connectionpool:Retrying (Retry(total=2))");
        assert_eq!(p.rec.severity, Severity::Warning);
        assert_eq!(p.rec.logger.as_deref(), Some("urllib3.connectionpool"));
        assert_eq!(
            p.rec.message,
            "WARNING:urllib3.connectionpool:Retrying (Retry(total=2))"
        );
        let (p, _) = parse("2024-03-27 18:30:28,123 - root - ERROR - boom");
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(
            p.rec.time,
            Some("2024-03-27T18:30:28.123Z".parse().unwrap())
        );
        let (p, _) = parse("[2024-03-27 18:30:28] production.INFO: hi");
        assert!(p.rec.time.is_some());
    }

    #[test]
    fn block_openers() {
        assert_eq!(parse("panic: x").1, Opens::GoCrash);
        assert_eq!(
            parse("fatal error: runtime: out of memory").1,
            Opens::GoCrash
        );
        assert_eq!(parse("SIGSEGV: segmentation violation").1, Opens::GoCrash);
        assert_eq!(parse("goroutine 1 [running]:").1, Opens::GoCrash);
        assert_eq!(
            parse("Traceback (most recent call last):").1,
            Opens::PythonTraceback
        );
        let (p, o) = parse("Exception in thread \"main\" java.lang.IllegalStateException: boom");
        assert_eq!((o, p.rec.severity), (Opens::JavaException, Severity::Fatal));
        let (p, o) = parse("java.lang.IllegalStateException: Failed to load ApplicationContext");
        assert_eq!((o, p.rec.severity), (Opens::JavaException, Severity::Error));
        assert_eq!(parse("ValueError: bad").1, Opens::Nothing);
        assert_eq!(parse("the Error was bad").1, Opens::Nothing);
    }
}
