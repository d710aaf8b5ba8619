//! zap's console encoder, as controller-runtime's development mode uses it:
//! `time\tLEVEL\t[logger\t][caller\t]message[\t{json context}]`.

use crate::evidence::model::{LogFormat, Severity};

use super::clock::{from_epoch_decimal, from_epoch_number, parse_iso_prefix};
use super::json::object_fields;
use super::record::{MAX_FIELD, Parsed, bounded_str};

/// The time column: ISO 8601 (zap's `ISO8601TimeEncoder` writes `+0000`
/// without a colon) or an epoch float (`1.6241135391720476e+09`, older
/// controller-runtime).
fn column_time(col: &str) -> Option<jiff::Timestamp> {
    let b = col.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) && b.get(4) == Some(&b'-') {
        let (t, _, n) = parse_iso_prefix(col)?;
        return (n == col.len()).then_some(t);
    }
    if !col.contains(['.', 'e']) {
        return None;
    }
    let v: f64 = col.parse().ok()?;
    if v < 1e8 {
        return None;
    }
    from_epoch_decimal(col).or_else(|| from_epoch_number(v))
}

/// `pkg/x.go:12`: a path, a colon, a line number, no spaces.
pub(crate) fn looks_like_caller(s: &str) -> bool {
    let Some((file, line)) = s.rsplit_once(':') else {
        return false;
    };
    !file.is_empty()
        && file.contains('.')
        && !line.is_empty()
        && line.bytes().all(|c| c.is_ascii_digit())
        && !s.bytes().any(|c| c.is_ascii_whitespace())
}

/// Parses a console line.
pub(crate) fn parse(line: &str) -> Option<Parsed> {
    let (time_col, rest) = line.split_once('\t')?;
    let time = column_time(time_col.trim())?;
    let (level_col, rest) = rest.split_once('\t').unwrap_or((rest, ""));
    let severity = Severity::parse(level_col);
    if severity == Severity::Unknown {
        return None;
    }
    let mut cols: Vec<&str> = rest.split('\t').collect();
    let mut fields = Vec::new();
    if cols.len() >= 2
        && let Some(f) = cols.last().and_then(|c| object_fields(c))
    {
        fields = f;
        cols.pop();
    }
    let message = cols.pop().unwrap_or_default();
    let mut logger = None;
    let mut caller = None;
    let mut extra: Vec<&str> = Vec::new();
    for c in cols {
        if caller.is_none() && looks_like_caller(c) {
            caller = Some(c);
        } else if logger.is_none() && caller.is_none() && !c.contains(' ') {
            logger = Some(c);
        } else {
            extra.push(c);
        }
    }
    let message = if extra.is_empty() {
        message.to_owned()
    } else {
        extra.push(message);
        extra.join("\t")
    };
    let mut p = Parsed::new(LogFormat::Console, severity, message);
    p.rec.time = Some(time);
    p.rec.logger = logger.map(|l| bounded_str(l, MAX_FIELD));
    p.rec.caller = caller.map(|c| bounded_str(c, MAX_FIELD));
    p.rec.fields = fields;
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_runtime_console_lines() {
        let p = parse("2021-08-24T13:44:01.158Z\tINFO\tcontroller-runtime.metrics\tmetrics server is starting to listen\t{\"addr\": \"127.0.0.1:8080\"}").unwrap();
        assert_eq!(p.rec.format, LogFormat::Console);
        assert_eq!(p.rec.severity, Severity::Info);
        assert_eq!(p.rec.logger.as_deref(), Some("controller-runtime.metrics"));
        assert_eq!(p.rec.message, "metrics server is starting to listen");
        assert_eq!(p.rec.field("addr"), Some("127.0.0.1:8080"));
        assert_eq!(
            p.rec.time,
            Some("2021-08-24T13:44:01.158Z".parse().unwrap())
        );
        let p = parse("2021-08-24T13:44:01.159Z\tINFO\tsetup\tstarting manager").unwrap();
        assert_eq!(p.rec.message, "starting manager");
        assert!(p.rec.fields.is_empty());
    }

    #[test]
    fn caller_column_and_epoch_time() {
        let p = parse("2024-01-01T00:00:00.000+0000\tERROR\tsetup\tmain.go:98\tproblem running manager\t{\"error\": \"leader election lost\"}").unwrap();
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(p.rec.logger.as_deref(), Some("setup"));
        assert_eq!(p.rec.caller.as_deref(), Some("main.go:98"));
        assert_eq!(p.rec.field("error"), Some("leader election lost"));
        let p = parse("1.6241135391720476e+09\tINFO\tcontroller-runtime.metrics\tmetrics server is starting to listen").unwrap();
        assert_eq!(p.rec.time.unwrap().as_second(), 1_624_113_539);
        let p = parse("2024-01-01T00:00:00Z\tDPANIC\tpkg/x.go:12\tbad").unwrap();
        assert_eq!(p.rec.severity, Severity::Fatal);
        assert_eq!(p.rec.logger, None);
        assert_eq!(p.rec.caller.as_deref(), Some("pkg/x.go:12"));
    }

    #[test]
    fn rejects_other_tab_separated_text() {
        assert!(parse("2024-01-01T00:00:00Z\tnot-a-level\tx").is_none());
        assert!(parse("name\tINFO\tx").is_none());
        assert!(parse("12\tINFO\tx").is_none());
        assert!(parse("no tabs at all").is_none());
    }
}
