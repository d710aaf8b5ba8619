//! Which format a line is in: cheap byte checks pick the one or two parsers
//! worth trying, so most lines meet one parser only.

use super::record::Parsed;
use super::{console, gostd, json, klog, logfmt};

/// Parses `s` (a line with kubectl's prefixes already stripped) in the first
/// log format it matches; `None` when it is plain text. `strict` asks JSON
/// objects to have a log key (see [`json::parse`]).
pub(crate) fn structured(s: &str, strict: bool) -> Option<Parsed> {
    let b = s.as_bytes();
    let first = *b.first()?;
    match first {
        b'{' => return json::parse(s, strict),
        b'I' | b'W' | b'E' | b'F' => {
            if let Some(p) = klog::parse(s) {
                return Some(p);
            }
        }
        b'0'..=b'9' => {
            if b.get(4) == Some(&b'/')
                && let Some(p) = gostd::parse(s)
            {
                return Some(p);
            }
            if memchr::memchr(b'\t', b).is_some()
                && let Some(p) = console::parse(s)
            {
                return Some(p);
            }
        }
        _ => {}
    }
    let has_eq = memchr::memchr(b'=', b).is_some();
    if (has_eq || b.get(4) == Some(&b'['))
        && let Some(p) = logfmt::parse(s)
    {
        return Some(p);
    }
    if has_eq {
        return klog::parse_headerless(s);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::model::LogFormat;

    fn format(s: &str) -> Option<LogFormat> {
        structured(s, true).map(|p| p.rec.format)
    }

    #[test]
    fn picks_each_format() {
        assert_eq!(
            format("I0327 18:30:29.624270       1 trace.go:236] x"),
            Some(LogFormat::KlogText)
        );
        assert_eq!(
            format(r#"W0327 18:30:29.624270       1 x.go:1] "m" k="v""#),
            Some(LogFormat::KlogStructured)
        );
        assert_eq!(
            format(r#"{"level":"info","msg":"m"}"#),
            Some(LogFormat::Json)
        );
        assert_eq!(
            format("2021-08-24T13:44:01.158Z\tINFO\tsetup\tstarting manager"),
            Some(LogFormat::Console)
        );
        assert_eq!(
            format("2024/03/27 18:30:28 Registering 3 clients"),
            Some(LogFormat::GoStd)
        );
        assert_eq!(format("level=info msg=hi"), Some(LogFormat::Logfmt));
        assert_eq!(format("INFO[0000] hi"), Some(LogFormat::Logfmt));
        assert_eq!(
            format(r#"etup "msg"="x" "error"="y""#),
            Some(LogFormat::KlogStructured)
        );
        assert_eq!(format("Error: something"), None);
        assert_eq!(format("Information=yes but prose"), None);
        assert_eq!(format("2024 was a year"), None);
        assert_eq!(format(""), None);
    }
}
