//! One JSON object per line: zap production, zapdriver (Knative), logrus JSON,
//! slog JSON, pino/bunyan.
//!
//! Keys are read in the order written (serde_json's map would sort them).
//! Named keys: `level|severity|lvl`, `ts|timestamp|time|@timestamp`,
//! `msg|message`, `logger|logger_name`, `caller`; `stacktrace|stack_trace`
//! becomes continuation lines. Every other key, `error` included, becomes a
//! field: strings unquoted, everything else as compact JSON.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::evidence::model::{LogFormat, Severity};

use super::clock::{from_epoch_decimal, from_epoch_number, parse_time_str};
use super::record::{
    MAX_CONTINUATION_LINE, MAX_CONTINUATION_LINES, MAX_FIELD, Parsed, bounded, bounded_str,
    push_field,
};

/// A JSON object with its keys in written order.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some((k, val)) = map.next_entry::<String, Value>()? {
                    v.push((k, val));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V)
    }
}

fn is_level_key(k: &str) -> bool {
    matches!(k, "level" | "severity" | "lvl" | "loglevel" | "log.level")
}

fn is_time_key(k: &str) -> bool {
    matches!(k, "ts" | "timestamp" | "time" | "@timestamp")
}

fn is_message_key(k: &str) -> bool {
    matches!(k, "msg" | "message")
}

/// Whether a JSON object looks like a log entry rather than some other JSON
/// that happens to sit on one line (a `kubectl get -o json` of one object).
fn has_log_keys(obj: &[(String, Value)]) -> bool {
    obj.iter()
        .any(|(k, _)| is_level_key(k) || is_message_key(k) || is_time_key(k))
}

/// A value as a field shows it.
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => bounded_str(s, MAX_FIELD),
        other => bounded(other.to_string(), MAX_FIELD),
    }
}

fn severity_of(v: &Value) -> Severity {
    match v {
        Value::String(s) => Severity::parse(s),
        // pino and bunyan levels.
        Value::Number(n) => match n.as_f64().unwrap_or(-1.0) as i64 {
            10 => Severity::Trace,
            20 => Severity::Debug,
            30 => Severity::Info,
            40 => Severity::Warning,
            50 => Severity::Error,
            60 => Severity::Fatal,
            _ => Severity::Unknown,
        },
        _ => Severity::Unknown,
    }
}

fn time_of(v: &Value) -> Option<jiff::Timestamp> {
    match v {
        Value::String(s) => parse_time_str(s),
        Value::Number(n) => {
            from_epoch_decimal(&n.to_string()).or_else(|| from_epoch_number(n.as_f64()?))
        }
        // protobuf-style `{"seconds": N, "nanos": M}`.
        Value::Object(o) => {
            let secs = o.get("seconds")?.as_i64()?;
            let nanos = o.get("nanos").and_then(Value::as_i64).unwrap_or(0);
            jiff::Timestamp::new(secs, i32::try_from(nanos).ok()?).ok()
        }
        _ => None,
    }
}

/// The pairs of a one-line JSON object (zap console's trailing context), or
/// `None` when `s` is not one.
pub(crate) fn object_fields(s: &str) -> Option<Vec<(String, String)>> {
    let t = s.trim();
    if !t.starts_with('{') || !t.ends_with('}') {
        return None;
    }
    let Ordered(obj) = serde_json::from_str(t).ok()?;
    let mut fields = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let rendered = render(&v);
        push_field(&mut fields, k, rendered);
    }
    Some(fields)
}

/// Parses a JSON log line. `strict` asks for at least one log key (level,
/// message or time), as content detection needs; the reader takes any object.
pub(crate) fn parse(line: &str, strict: bool) -> Option<Parsed> {
    let t = line.trim();
    if !t.starts_with('{') || !t.ends_with('}') {
        return None;
    }
    let Ordered(obj) = serde_json::from_str(t).ok()?;
    from_pairs(obj, strict)
}

/// Salvages a JSON log line that was cut short (a truncated paste, a line
/// limit): the pairs before the cut, the last string value up to the cut
/// (marked with `…`). Needs at least one log key.
pub(crate) fn parse_truncated(line: &str) -> Option<Parsed> {
    let obj = lenient_pairs(line.trim_start())?;
    from_pairs(obj, true)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// One JSON value at the start of `s` and its length.
fn value_prefix(s: &str) -> Option<(Value, usize)> {
    let mut it = serde_json::Deserializer::from_str(s).into_iter::<Value>();
    let v = it.next()?.ok()?;
    Some((v, it.byte_offset()))
}

/// Decodes a JSON string body that has no closing quote, as far as it goes.
fn partial_string(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push('\u{FFFD}'),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The pairs of a JSON object that may be cut anywhere; `None` when not even
/// one pair was read.
fn lenient_pairs(s: &str) -> Option<Vec<(String, Value)>> {
    let b = s.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            break;
        }
        let Some((Value::String(key), n)) = value_prefix(&s[i..]) else {
            break;
        };
        i = skip_ws(b, i + n);
        if b.get(i) != Some(&b':') {
            break;
        }
        i = skip_ws(b, i + 1);
        if i >= b.len() {
            break;
        }
        match value_prefix(&s[i..]) {
            Some((v, n)) => {
                out.push((key, v));
                i = skip_ws(b, i + n);
                if b.get(i) != Some(&b',') {
                    break;
                }
                i += 1;
            }
            None => {
                if b[i] == b'"' {
                    let mut v = partial_string(&s[i + 1..]);
                    v.push('…');
                    out.push((key, Value::String(v)));
                }
                break;
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn from_pairs(obj: Vec<(String, Value)>, strict: bool) -> Option<Parsed> {
    if strict && !has_log_keys(&obj) {
        return None;
    }
    let mut severity = None;
    let mut time = None;
    let mut message = None;
    let mut logger = None;
    let mut caller = None;
    let mut stack = None;
    let mut fields = Vec::new();
    for (k, v) in obj {
        if severity.is_none() && is_level_key(&k) {
            let s = severity_of(&v);
            if s != Severity::Unknown {
                severity = Some(s);
                continue;
            }
        } else if time.is_none() && is_time_key(&k) {
            if let Some(t) = time_of(&v) {
                time = Some(t);
                continue;
            }
        } else if message.is_none() && is_message_key(&k) {
            if let Value::String(s) = v {
                message = Some(s);
                continue;
            }
        } else if logger.is_none() && matches!(k.as_str(), "logger" | "logger_name") {
            if let Value::String(s) = v {
                logger = Some(bounded(s, MAX_FIELD));
                continue;
            }
        } else if caller.is_none() && k == "caller" {
            if let Value::String(s) = v {
                caller = Some(bounded(s, MAX_FIELD));
                continue;
            }
        } else if stack.is_none()
            && matches!(k.as_str(), "stacktrace" | "stack_trace")
            && let Value::String(s) = v
        {
            stack = Some(s);
            continue;
        }
        let rendered = render(&v);
        push_field(&mut fields, k, rendered);
    }
    let mut p = Parsed::new(
        LogFormat::Json,
        severity.unwrap_or(Severity::Unknown),
        message.unwrap_or_default(),
    );
    p.rec.time = time;
    p.rec.logger = logger;
    p.rec.caller = caller;
    p.rec.fields = fields;
    if let Some(s) = stack {
        let room = MAX_CONTINUATION_LINES.saturating_sub(p.rec.continuation.len());
        p.rec.continuation.extend(
            s.lines()
                .take(room)
                .map(|l| bounded_str(l, MAX_CONTINUATION_LINE)),
        );
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn zap_production_with_float_ts_and_error() {
        let p = parse(
            r#"{"level":"error","ts":1624113539.1720476,"logger":"setup","msg":"unable to start manager","error":"listen tcp :8080: bind: address already in use"}"#,
            true,
        )
        .unwrap();
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(p.rec.time.unwrap().as_second(), 1_624_113_539);
        assert_eq!(p.rec.logger.as_deref(), Some("setup"));
        assert_eq!(p.rec.message, "unable to start manager");
        assert_eq!(
            p.rec.field("error"),
            Some("listen tcp :8080: bind: address already in use")
        );
    }

    #[test]
    fn zapdriver_knative_keys_and_order() {
        let p = parse(
            r#"{"severity":"WARNING","timestamp":"2024-03-27T18:30:29.137126Z","logger":"net-istio-controller","caller":"leaderelection/context.go:47","message":"Running with Standard leader election","commit":"a1b2c3d-dirty","knative.dev/pod":"net-istio-controller-6d9f","n":3,"obj":{"b":1,"a":[true,null]}}"#,
            true,
        )
        .unwrap();
        assert_eq!(p.rec.severity, Severity::Warning);
        assert_eq!(p.rec.time, Some(ts("2024-03-27T18:30:29.137126Z")));
        assert_eq!(
            p.rec.caller.as_deref(),
            Some("leaderelection/context.go:47")
        );
        let keys: Vec<_> = p.rec.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["commit", "knative.dev/pod", "n", "obj"]);
        assert_eq!(p.rec.field("n"), Some("3"));
        assert_eq!(p.rec.field("obj"), Some(r#"{"a":[true,null],"b":1}"#));
    }

    #[test]
    fn stacktrace_becomes_continuation_and_iso_ts_parses() {
        let p = parse(
            r#"{"level":"error","ts":"2023-11-21T13:13:06Z","msg":"x","stacktrace":"a.b\n\t/go/a.go:1\nc.d\n\t/go/c.go:2"}"#,
            true,
        )
        .unwrap();
        assert_eq!(
            p.rec.continuation,
            ["a.b", "\t/go/a.go:1", "c.d", "\t/go/c.go:2"]
        );
        assert_eq!(p.rec.time, Some(ts("2023-11-21T13:13:06Z")));
    }

    #[test]
    fn salvages_truncated_lines() {
        let p = parse_truncated(
            r#"{"level":"error","ts":"2023-11-21T13:13:15Z","msg":"Could not wait for Cache to sync","controller":"opampbridge","error":"failed to wait for opampbridge caches to sync: timed out waiting for cache to be synced fo"#,
        )
        .unwrap();
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(p.rec.message, "Could not wait for Cache to sync");
        assert_eq!(p.rec.field("controller"), Some("opampbridge"));
        assert_eq!(
            p.rec.field("error"),
            Some(
                "failed to wait for opampbridge caches to sync: timed out waiting for cache to be synced fo…"
            )
        );
        let p = parse_truncated(r#"{"level":"info","msg":"a\"b\u00e9\n","n":12"#).unwrap();
        assert_eq!(p.rec.message, "a\"bé");
        assert_eq!(p.rec.field("n"), Some("12"));
        // Cut inside an escape.
        let p = parse_truncated(r#"{"msg":"x","partial":"ab\"#).unwrap();
        assert_eq!(p.rec.field("partial"), Some("ab…"));
        assert!(parse_truncated(r#"{"kind":"Pod","metadata":{"name":"#).is_none());
        assert!(parse_truncated("{Name:foo}").is_none());
        assert!(parse_truncated(r#"{"level"#).is_none());
    }

    #[test]
    fn unusual_values_and_non_logs() {
        // An unparsable level or time stays as a field.
        let p = parse(
            r#"{"level":"verbose","time":"yesterday","message":"m"}"#,
            true,
        )
        .unwrap();
        assert_eq!(p.rec.severity, Severity::Unknown);
        assert_eq!(p.rec.field("level"), Some("verbose"));
        assert_eq!(p.rec.field("time"), Some("yesterday"));
        let p = parse(r#"{"level":50,"time":1711564229137,"msg":"pino"}"#, true).unwrap();
        assert_eq!(p.rec.severity, Severity::Error);
        assert_eq!(p.rec.time.unwrap().as_second(), 1_711_564_229);
        assert!(parse(r#"{"kind":"Pod","apiVersion":"v1"}"#, true).is_none());
        assert!(parse(r#"{"kind":"Pod","apiVersion":"v1"}"#, false).is_some());
        assert!(parse(r#"{"level":"info","msg":"trunc"#, false).is_none());
        assert!(parse("[1,2]", false).is_none());
    }
}
