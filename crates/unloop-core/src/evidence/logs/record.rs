//! A record as one line parser produces it, and the size bounds every record
//! keeps so that retention stays bounded however long the lines are.

use crate::evidence::model::{LogFormat, LogRecord, Severity};

use super::clock::KlogTime;

/// Longest message kept, in bytes.
pub(crate) const MAX_MESSAGE: usize = 8 * 1024;
/// Longest field value kept, in bytes.
pub(crate) const MAX_FIELD: usize = 2 * 1024;
/// Most fields kept per record.
pub(crate) const MAX_FIELDS: usize = 64;
/// Longest continuation line kept, in bytes.
pub(crate) const MAX_CONTINUATION_LINE: usize = 1024;
/// Most continuation lines kept per record; the rest are counted in a last line.
pub(crate) const MAX_CONTINUATION_LINES: usize = 500;

/// What a line parser read from one line.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    /// The record; `line` and `year_inferred` are set by the caller.
    pub rec: LogRecord,
    /// A klog header's time, which still needs a year.
    pub klog_time: Option<KlogTime>,
    /// The last field is a klog multi-line value that continues on the next lines.
    pub open_value: bool,
}

impl Parsed {
    /// A record of `message`. A message of several lines (a quoted message
    /// with `\n`, klog routed through zap) keeps its first line as the
    /// message and the others as continuation, the shape klog text gives the
    /// same output.
    pub(crate) fn new(format: LogFormat, severity: Severity, message: String) -> Self {
        let (message, continuation) = match message.split_once('\n') {
            None => (bounded(message, MAX_MESSAGE), Vec::new()),
            Some((first, rest)) => (
                bounded_str(first.trim_end_matches('\r'), MAX_MESSAGE),
                rest.split('\n')
                    .take(MAX_CONTINUATION_LINES)
                    .map(|l| bounded_str(l.trim_end_matches('\r'), MAX_CONTINUATION_LINE))
                    .collect(),
            ),
        };
        Parsed {
            rec: LogRecord {
                time: None,
                year_inferred: false,
                severity,
                logger: None,
                message,
                fields: Vec::new(),
                caller: None,
                format,
                line: 0,
                continuation,
            },
            klog_time: None,
            open_value: false,
        }
    }
}

/// Truncates `s` to at most `max` bytes on a char boundary, marking the cut.
pub(crate) fn bounded(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// `s` as an owned string of at most `max` bytes.
pub(crate) fn bounded_str(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + 3);
    out.push_str(&s[..cut]);
    out.push('…');
    out
}

/// Adds a field within the per-record bounds.
pub(crate) fn push_field(fields: &mut Vec<(String, String)>, key: String, value: String) {
    if fields.len() < MAX_FIELDS {
        fields.push((bounded(key, MAX_FIELD), bounded(value, MAX_FIELD)));
    }
}

/// Bounds every field of a freshly scanned list.
pub(crate) fn bound_fields(fields: &mut Vec<(String, String)>) {
    fields.truncate(MAX_FIELDS);
    for (k, v) in fields.iter_mut() {
        if k.len() > MAX_FIELD {
            *k = bounded(std::mem::take(k), MAX_FIELD);
        }
        if v.len() > MAX_FIELD {
            *v = bounded(std::mem::take(v), MAX_FIELD);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_messages_split_into_continuation() {
        let p = Parsed::new(
            LogFormat::Json,
            Severity::Info,
            "Trace[1]: \"DeltaFIFO Pop Process\" (total time: 110ms):\r\nTrace[1]: [110ms] [110ms] END".into(),
        );
        assert_eq!(
            p.rec.message,
            "Trace[1]: \"DeltaFIFO Pop Process\" (total time: 110ms):"
        );
        assert_eq!(p.rec.continuation, ["Trace[1]: [110ms] [110ms] END"]);
    }

    #[test]
    fn bounds_cut_on_char_boundaries() {
        let s = "é".repeat(10);
        assert_eq!(bounded(s.clone(), 5), "éé…");
        assert_eq!(bounded_str(&s, 5), "éé…");
        assert_eq!(bounded_str("short", 5), "short");
        let mut f = vec![("k".to_owned(), "v".repeat(MAX_FIELD + 10))];
        bound_fields(&mut f);
        assert!(f[0].1.len() <= MAX_FIELD + 3);
    }
}
