//! Container logs in every common shape, one record per line (or per multi-line
//! block), streamed in one pass with bounded memory.
//!
//! Formats ([`LogFormat`]): klog text and structured (and the older klogr
//! `"msg"=` form, with or without a header), JSON per line (zap, zapdriver /
//! Knative, logrus, slog, pino), zap's console encoder (controller-runtime
//! development mode), Go's standard `log`, logfmt (logrus text, go-kit, slog),
//! and plain text, where leads such as `ERROR:` or `panic:` still give a
//! severity. Each line first loses ANSI colour codes and kubectl's prefixes
//! (`--prefix`, `--timestamps`); a `--timestamps` time is the record's time
//! (it always has a year), the line's own time only counts without one.
//!
//! Field conventions: values are unquoted strings; JSON's `error` and klog's
//! `err` stay fields under their own names; a JSON `stacktrace` becomes
//! continuation lines; a JSON line cut short keeps the pairs before the cut
//! and marks the cut value with `…`, and one broken across lines by a wrapped
//! paste is joined back.
//!
//! Multi-line blocks (Go panics, Python tracebacks, Java stack traces, klog
//! traces and multi-line values, zap stack traces) become one record; what
//! each block takes, and the fields it adds (`exception`, `caused_by`,
//! `signal`, `frame`), is described in `multiline.rs`. A Python traceback's
//! message is its final exception line (`KeyError: 'X'`), not the
//! uninformative `Traceback (most recent call last):`.
//!
//! Long logs keep their first [`HEAD_RECORDS`] and last [`TAIL_RECORDS`]
//! records and up to [`NOTABLE_RECORDS`] notable ones between (a warning or
//! worse, or text naming what the rules look for); the rest are counted in
//! [`LogStream::dropped`]. Messages, fields and continuations are bounded too.
//!
//! klog headers carry no year: it comes from the last time seen earlier in
//! the stream, else [`LogHint::default_year`], else the current UTC year, with
//! `year_inferred` set; a date far from that reference moves to the
//! neighbouring year, which carries a log across New Year. klog and Go std
//! log times are local times on the node; they are taken as UTC.

mod ansi;
mod classify;
mod clock;
mod console;
mod gostd;
mod json;
mod klog;
mod logfmt;
mod multiline;
mod plain;
mod prefix;
mod quote;
mod record;
mod retain;

#[cfg(test)]
mod tests;

use jiff::Timestamp;

use super::model::*;
use super::source::Source;
use multiline::{Mode, Pending};
use plain::Opens;
use record::Parsed;
use retain::Retainer;
pub use retain::{HEAD_RECORDS, NOTABLE_RECORDS, TAIL_RECORDS};
pub(crate) use retain::{Notability, notability};

/// What the source says about a log before reading it.
#[derive(Debug, Clone, Default)]
pub struct LogHint {
    /// The pod the log belongs to, when the source names it.
    pub pod: Option<ObjectRef>,
    /// The container, when the source names it.
    pub container: Option<String>,
    /// Which run of the container; [`ContainerRun::Unknown`] when `None`.
    pub run: Option<ContainerRun>,
    /// The year klog times fall in when the stream itself shows none before
    /// them (for instance the year of a `cluster-info dump`'s other times).
    pub default_year: Option<i16>,
}

/// Streaming log parser: feed lines with [`LogParser::push_line`], then
/// [`LogParser::finish`].
pub struct LogParser {
    source: Source,
    hint: LogHint,
    next_line: u32,
    years: clock::YearInference,
    pending: Option<Pending>,
    retained: Retainer,
    /// Records per [`LogFormat`], indexed by [`format_index`].
    format_counts: [u64; 7],
    total: u64,
    first_time: Option<Timestamp>,
    last_time: Option<Timestamp>,
    /// A JSON line that did not parse, held in case the next lines complete it.
    fragment: Option<Fragment>,
}

/// Most lines a JSON line cut by wrapping may span.
const MAX_FRAGMENT_LINES: usize = 64;
/// Most bytes of such a line.
const MAX_FRAGMENT_BYTES: usize = 256 * 1024;

/// A JSON log line broken across lines (a paste wrapped at a fixed width) or
/// cut short. The following lines are tried as its rest, joined without a
/// separator since wrapping loses no character; if they never complete it,
/// the first line is salvaged on its own and the others are read again as
/// what they are.
struct Fragment {
    first: String,
    joined: String,
    prefix_time: Option<Timestamp>,
    line: u32,
    /// Lines tried as the rest: text, `--timestamps` time, line number.
    rest: Vec<(String, Option<Timestamp>, u32)>,
}

fn format_index(f: LogFormat) -> usize {
    match f {
        LogFormat::KlogText => 0,
        LogFormat::KlogStructured => 1,
        LogFormat::Json => 2,
        LogFormat::Console => 3,
        LogFormat::GoStd => 4,
        LogFormat::Logfmt => 5,
        LogFormat::Plain => 6,
    }
}

const FORMATS: [LogFormat; 7] = [
    LogFormat::KlogText,
    LogFormat::KlogStructured,
    LogFormat::Json,
    LogFormat::Console,
    LogFormat::GoStd,
    LogFormat::Logfmt,
    LogFormat::Plain,
];

impl LogParser {
    /// A parser for one container run's log read from `source`; records cite
    /// `source.at_line(record.line)`.
    pub fn new(source: Source, hint: LogHint) -> Self {
        let years = clock::YearInference::new(hint.default_year);
        LogParser {
            source,
            hint,
            next_line: 1,
            years,
            pending: None,
            retained: Retainer::new(HEAD_RECORDS, TAIL_RECORDS, NOTABLE_RECORDS),
            format_counts: [0; 7],
            total: 0,
            first_time: None,
            last_time: None,
            fragment: None,
        }
    }

    /// Numbers the next line pushed `n` (for a log that starts inside a larger
    /// input, such as a block of a `cluster-info dump`). Lines count from 1 by default.
    pub fn with_first_line(mut self, n: u32) -> Self {
        self.next_line = n.max(1);
        self
    }

    /// Feeds the next line (without its terminator; a trailing `\r` is ignored).
    pub fn push_line(&mut self, line: &str) {
        let line_no = self.next_line;
        self.next_line = self.next_line.saturating_add(1);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let cleaned = ansi::strip(line);
        let (prefix_time, inner) = prefix::split(&cleaned);
        self.route(inner, prefix_time, line_no);
    }

    /// Reads one line, past any pending JSON fragment.
    fn route(&mut self, inner: &str, prefix_time: Option<Timestamp>, line_no: u32) {
        if self.fragment.is_some() {
            self.continue_fragment(inner, prefix_time, line_no);
        } else {
            self.process(inner, prefix_time, line_no);
        }
    }

    fn continue_fragment(&mut self, inner: &str, prefix_time: Option<Timestamp>, line_no: u32) {
        let Some(frag) = self.fragment.as_mut() else {
            return;
        };
        let breaks = inner.trim().is_empty() || classify::structured(inner, false).is_some();
        if !breaks {
            frag.joined.push_str(inner);
            frag.rest.push((inner.to_owned(), prefix_time, line_no));
            if let Some(parsed) = json::parse(&frag.joined, false) {
                let (t, line) = (frag.prefix_time, frag.line);
                self.fragment = None;
                self.open(parsed, Mode::Single, t, line);
                return;
            }
            if frag.rest.len() < MAX_FRAGMENT_LINES && frag.joined.len() < MAX_FRAGMENT_BYTES {
                return;
            }
        }
        self.give_up_fragment();
        if breaks {
            self.route(inner, prefix_time, line_no);
        }
    }

    /// Salvages the fragment's first line alone and rereads the lines after it.
    fn give_up_fragment(&mut self) {
        let Some(frag) = self.fragment.take() else {
            return;
        };
        match json::parse_truncated(&frag.first) {
            Some(parsed) => self.open(parsed, Mode::Single, frag.prefix_time, frag.line),
            None => {
                let (parsed, _) = plain::parse(&frag.first);
                self.open(parsed, Mode::Plain, frag.prefix_time, frag.line);
            }
        }
        for (text, t, n) in frag.rest {
            self.route(&text, t, n);
        }
    }

    /// Reads one line that no fragment claims.
    fn process(&mut self, inner: &str, prefix_time: Option<Timestamp>, line_no: u32) {
        if let Some(p) = &mut self.pending
            && p.take_value_line(inner)
        {
            return;
        }
        if inner.trim().is_empty() {
            // Blank lines are no records; one that does not belong to the open
            // block ends it.
            if let Some(p) = &mut self.pending
                && !p.take_blank()
            {
                self.flush();
            }
            return;
        }
        if let Some(parsed) = classify::structured(inner, false) {
            self.flush();
            let mode = match parsed.rec.format {
                LogFormat::KlogText | LogFormat::KlogStructured if parsed.klog_time.is_some() => {
                    if parsed.rec.severity == Severity::Fatal {
                        Mode::go_crash()
                    } else {
                        Mode::Klog
                    }
                }
                LogFormat::Console => Mode::ZapStack,
                _ => Mode::Single,
            };
            self.open(parsed, mode, prefix_time, line_no);
            return;
        }
        if inner.starts_with("{\"") {
            if inner.len() < MAX_FRAGMENT_BYTES {
                self.flush();
                self.fragment = Some(Fragment {
                    first: inner.to_owned(),
                    joined: inner.to_owned(),
                    prefix_time,
                    line: line_no,
                    rest: Vec::new(),
                });
                return;
            }
            if let Some(parsed) = json::parse_truncated(inner) {
                self.flush();
                self.open(parsed, Mode::Single, prefix_time, line_no);
                return;
            }
        }
        if let Some(p) = &mut self.pending
            && p.take_line(inner)
        {
            return;
        }
        self.flush();
        let (parsed, opens) = plain::parse(inner);
        let mode = match opens {
            Opens::Nothing => Mode::Plain,
            Opens::GoCrash => Mode::go_crash(),
            Opens::PythonTraceback => Mode::Python { done: false },
            Opens::JavaException => Mode::Java,
        };
        self.open(parsed, mode, prefix_time, line_no);
    }

    /// Starts a record (closing the one before): settles its time and line,
    /// and holds it open for continuation lines.
    fn open(&mut self, parsed: Parsed, mode: Mode, prefix_time: Option<Timestamp>, line: u32) {
        self.flush();
        let Parsed {
            mut rec,
            klog_time,
            open_value,
        } = parsed;
        rec.line = line;
        if let Some(t) = prefix_time {
            rec.time = Some(t);
            self.years.observe(t);
        } else if let Some(k) = klog_time {
            rec.time = self.years.resolve(k);
            rec.year_inferred = rec.time.is_some();
        } else if let Some(t) = rec.time {
            self.years.observe(t);
        }
        self.pending = Some(Pending::new(rec, mode, open_value));
    }

    /// Closes the open record, if any, and hands it to retention.
    fn flush(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let rec = p.finish();
        self.total += 1;
        self.format_counts[format_index(rec.format)] += 1;
        if let Some(t) = rec.time {
            self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
            self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        }
        self.retained.push(rec);
    }

    /// The parsed stream: kept records in input order; `total_records`,
    /// `first_time` and `last_time` over every record read; `format` the most
    /// common format other than plain text (plain when there is none).
    pub fn finish(mut self) -> LogStream {
        while self.fragment.is_some() {
            self.give_up_fragment();
        }
        self.flush();
        let (records, dropped) = self.retained.finish();
        let format = FORMATS[..6]
            .iter()
            .copied()
            .filter(|&f| self.format_counts[format_index(f)] > 0)
            .max_by_key(|&f| (self.format_counts[format_index(f)], std::cmp::Reverse(f)))
            .unwrap_or(LogFormat::Plain);
        LogStream {
            pod: self.hint.pod,
            container: self.hint.container,
            run: self.hint.run.unwrap_or(ContainerRun::Unknown),
            format,
            records,
            total_records: self.total,
            dropped,
            first_time: self.first_time,
            last_time: self.last_time,
            source: self.source,
        }
    }
}

/// Parses a whole log held in memory (lines split on `\n`, `\r\n` accepted).
pub fn parse_log_text(text: &str, source: Source, hint: LogHint) -> LogStream {
    let mut p = LogParser::new(source, hint);
    let text = text.strip_suffix('\n').unwrap_or(text);
    if !text.is_empty() {
        for line in text.split('\n') {
            p.push_line(line);
        }
    }
    p.finish()
}

/// The format of one line, if it is recognisably a log line (used by content
/// detection). Never [`LogFormat::Plain`]: plain text is what is left when no
/// format matches. ANSI codes and kubectl's prefixes are ignored; a JSON
/// object counts only with a log key (level, message or time), so one-line
/// API objects are not taken for logs.
pub fn line_format(line: &str) -> Option<LogFormat> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let cleaned = ansi::strip(line);
    let (_, inner) = prefix::split(&cleaned);
    classify::structured(inner, true)
        .or_else(|| json::parse_truncated(inner))
        .map(|p| p.rec.format)
}
