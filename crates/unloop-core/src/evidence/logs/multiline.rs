//! Multi-line records: which following lines belong to the record being built.
//!
//! A record opens in a `Mode` chosen from its first line; each later line
//! that is not itself a log header is offered to the open record, which takes
//! it only if the mode expects such a line. What each mode takes:
//!
//! - Go crash (`panic:`, `fatal error:`, `SIGSEGV:`, a klog `F` line): blank
//!   lines, `[signal ...]`, `goroutine N [...]:`, frames, indented file lines,
//!   `created by`, register dumps. The first frame outside the runtime gives
//!   `caller` (if the record has none) and the field `frame`; the signal name
//!   the field `signal`.
//! - Python traceback: indented lines, then one exception line, which becomes
//!   the message (the record's first line is always the uninformative
//!   `Traceback (most recent call last):`); its class goes in the field
//!   `exception`, the innermost `File "x", line N` in `caller`. Chained
//!   tracebacks (`During handling of the above exception ...`) stay in the
//!   same record and the last exception line wins.
//! - Java: `at` frames, `Caused by:`, `Suppressed:`, `... N more`. The message
//!   stays the first line; the field `exception` holds its class and
//!   `caused_by` the last (root) cause; the first frame's `File.java:N` is
//!   `caller` when the record has none.
//! - klog: `Trace[id]:` lines of a utils/trace dump, tab-indented lines,
//!   goroutine dumps (apimachinery's `Observed a panic`); a structured value
//!   written as `key=<` … ` >` goes into that field, not into continuation.
//! - zap console: its stacktrace (function lines and tab-indented file lines).
//! - plain text: JavaScript-style `    at f (file.js:1:2)` frames only, so that
//!   ordinary lines (a cobra `Usage:` block, Go flag usage) stay records.
//! - JSON, logfmt, Go std log: nothing.

use crate::evidence::model::LogRecord;

use super::plain::{is_goroutine_header, is_signal_header};
use super::quote::{KeyStyle, PairsEnd, scan_pairs};
use super::record::{
    MAX_CONTINUATION_LINE, MAX_CONTINUATION_LINES, MAX_FIELD, bound_fields, bounded_str,
};

/// What a record expects on its following lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Takes nothing.
    Single,
    Plain,
    Klog,
    GoCrash {
        /// Inside the first goroutine's frames, still looking for a frame outside the runtime.
        in_first_goroutine: bool,
        goroutines: u32,
        /// A frame line seen, waiting for its file line.
        frame: Option<String>,
        located: bool,
    },
    Python {
        /// The exception line was read.
        done: bool,
    },
    Java,
    ZapStack,
}

impl Mode {
    pub(crate) fn go_crash() -> Self {
        Mode::GoCrash {
            in_first_goroutine: false,
            goroutines: 0,
            frame: None,
            located: false,
        }
    }
}

/// A record still open to continuation lines.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) rec: LogRecord,
    mode: Mode,
    /// The last field is a klog multi-line value still being read.
    open_value: bool,
    /// Continuation lines beyond the cap, counted.
    extra_lines: u64,
}

fn indented(s: &str) -> bool {
    s.starts_with([' ', '\t'])
}

/// `pkg.(*T).f(0xc000, {0x1, 0x2})` or `main.main()`: no space before the
/// argument list, which ends the line.
fn is_go_frame(t: &str) -> bool {
    if indented(t) || !t.ends_with(')') {
        return false;
    }
    match t.find('(') {
        Some(0) | None => false,
        Some(open) => !t[..open].contains(char::is_whitespace),
    }
}

/// A function name as zap prints stack frames: `main.main`,
/// `sigs.k8s.io/x/pkg.(*T).Start.func1`.
fn is_go_symbol(t: &str) -> bool {
    let Some(first) = t.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && t.contains('.')
        && !t.contains(char::is_whitespace)
        && t.ends_with(|c: char| c.is_ascii_alphanumeric() || c == ')' || c == '_')
        && !t.contains("://")
}

/// `rax    0x0`, `rflags 0x10246`: a register dump line after a signal.
fn is_register_line(t: &str) -> bool {
    let Some((name, value)) = t.split_once(char::is_whitespace) else {
        return false;
    };
    (2..=7).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .trim_start()
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn is_go_crash_line(t: &str) -> bool {
    indented(t)
        || is_goroutine_header(t)
        || is_go_frame(t)
        || is_register_line(t)
        || is_signal_header(t)
        || [
            "[signal ",
            "panic: ",
            "fatal error: ",
            "created by ",
            "runtime: ",
            "runtime stack:",
            "...additional frames elided...",
            "exit status ",
            "PC=",
            "signal arrived during",
        ]
        .iter()
        .any(|p| t.starts_with(p))
}

/// Frames that say where the crash was handled, not where it happened.
fn is_runtime_frame(func: &str) -> bool {
    func == "panic"
        || [
            "runtime.",
            "runtime/debug.",
            "panic(",
            "k8s.io/klog",
            "k8s.io/apimachinery/pkg/util/runtime.",
        ]
        .iter()
        .any(|p| func.starts_with(p))
}

fn is_java_line(t: &str) -> bool {
    let s = t.trim_start();
    (indented(t) && s.starts_with("at ") && s.len() > 3)
        || s.starts_with("Caused by: ")
        || s.starts_with("Suppressed: ")
        || (s.starts_with("... ")
            && (s.ends_with(" more") || s.ends_with(" common frames omitted")))
}

/// The class of an exception line: `java.lang.X: msg` → `java.lang.X`.
fn exception_class(s: &str) -> Option<&str> {
    let class = s.split_once(':').map_or(s, |(c, _)| c).trim();
    (!class.is_empty()
        && !class.contains(char::is_whitespace)
        && class
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$')))
    .then_some(class)
}

fn set_field(rec: &mut LogRecord, key: &str, value: &str) {
    let value = bounded_str(value, MAX_FIELD);
    match rec.fields.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => rec.fields.push((key.to_owned(), value)),
    }
}

impl Pending {
    pub(crate) fn new(rec: LogRecord, mode: Mode, open_value: bool) -> Self {
        let mut p = Pending {
            rec,
            mode,
            open_value,
            extra_lines: 0,
        };
        p.on_open();
        p
    }

    /// Enrichment that depends only on the first line.
    fn on_open(&mut self) {
        if self.mode == Mode::Java {
            let first = self.rec.message.clone();
            let exc = match first.strip_prefix("Exception in thread \"") {
                Some(rest) => rest.split_once("\" ").map(|(_, e)| e),
                None => Some(first.as_str()),
            };
            if let Some(class) = exc.and_then(exception_class) {
                set_field(&mut self.rec, "exception", class);
            }
        }
    }

    fn push_continuation(&mut self, line: &str) {
        if self.rec.continuation.len() < MAX_CONTINUATION_LINES {
            self.rec
                .continuation
                .push(bounded_str(line, MAX_CONTINUATION_LINE));
        } else {
            self.extra_lines += 1;
        }
    }

    /// Takes a line of an open klog multi-line value (`\t…` lines, then ` >`
    /// and possibly more pairs). Returns false when no value is open or the
    /// line does not continue it (the value then ends).
    pub(crate) fn take_value_line(&mut self, line: &str) -> bool {
        if !self.open_value {
            return false;
        }
        if let Some(v) = line.strip_prefix('\t') {
            if let Some((_, value)) = self.rec.fields.last_mut()
                && value.len() < MAX_FIELD
            {
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(v);
                if value.len() > MAX_FIELD {
                    *value = bounded_str(value, MAX_FIELD);
                }
            }
            return true;
        }
        self.open_value = false;
        let rest = if line == ">" {
            ""
        } else if let Some(r) = line.strip_prefix(" >") {
            r
        } else {
            return false;
        };
        let mut more = Vec::new();
        match scan_pairs(rest, KeyStyle::Bare, &mut more) {
            Ok(end) => {
                self.open_value = end == PairsEnd::Open;
                bound_fields(&mut more);
                self.rec.fields.extend(more);
            }
            // Text after ` >` that is not pairs: keep it rather than lose it.
            Err(()) => self.push_continuation(line),
        }
        true
    }

    /// Whether a blank line belongs to this record.
    pub(crate) fn take_blank(&mut self) -> bool {
        let takes = matches!(self.mode, Mode::GoCrash { .. } | Mode::Python { .. });
        if takes {
            self.push_continuation("");
        }
        takes
    }

    /// Offers a non-blank line that is no log header; returns whether it was taken.
    pub(crate) fn take_line(&mut self, line: &str) -> bool {
        match &self.mode {
            Mode::Single => false,
            Mode::Plain => {
                let t = line.trim_start();
                if indented(line) && t.starts_with("at ") && t.len() > 3 {
                    self.push_continuation(line);
                    true
                } else {
                    false
                }
            }
            Mode::Klog => {
                if is_goroutine_header(line) {
                    self.mode = Mode::go_crash();
                    return self.take_go_crash(line);
                }
                if line.starts_with("Trace[")
                    || line.starts_with('\t')
                    || is_go_frame(line)
                    || line.starts_with("created by ")
                {
                    self.push_continuation(line);
                    true
                } else {
                    false
                }
            }
            Mode::GoCrash { .. } => self.take_go_crash(line),
            Mode::Python { .. } => self.take_python(line),
            Mode::Java => {
                if !is_java_line(line) {
                    return false;
                }
                let t = line.trim_start();
                if let Some(cause) = t.strip_prefix("Caused by: ") {
                    set_field(&mut self.rec, "caused_by", cause);
                } else if self.rec.caller.is_none()
                    && let Some(loc) = t
                        .strip_prefix("at ")
                        .and_then(|f| f.rsplit_once('('))
                        .and_then(|(_, l)| l.strip_suffix(')'))
                        .filter(|l| l.contains(':'))
                {
                    self.rec.caller = Some(bounded_str(loc, MAX_FIELD));
                }
                self.push_continuation(line);
                true
            }
            Mode::ZapStack => {
                if line.starts_with('\t') || is_go_symbol(line) || is_go_frame(line) {
                    self.push_continuation(line);
                    true
                } else {
                    false
                }
            }
        }
    }

    fn take_go_crash(&mut self, line: &str) -> bool {
        if !is_go_crash_line(line) {
            return false;
        }
        let Mode::GoCrash {
            in_first_goroutine,
            goroutines,
            frame,
            located,
        } = &mut self.mode
        else {
            return false;
        };
        if is_goroutine_header(line) {
            *goroutines += 1;
            *in_first_goroutine = *goroutines == 1;
        } else if let Some(sig) = line.strip_prefix("[signal ") {
            let name: String = sig
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if !name.is_empty() && !self.rec.fields.iter().any(|(k, _)| k == "signal") {
                self.rec.fields.push(("signal".to_owned(), name));
            }
        } else if *in_first_goroutine && !*located {
            if let Some(file) = line.strip_prefix('\t') {
                if let Some(func) = frame.take() {
                    let loc = file.split(" +0x").next().unwrap_or(file).trim();
                    if self.rec.caller.is_none() {
                        self.rec.caller = Some(bounded_str(loc, MAX_FIELD));
                    }
                    self.rec
                        .fields
                        .push(("frame".to_owned(), bounded_str(&func, MAX_FIELD)));
                    *located = true;
                }
            } else if is_go_frame(line) {
                let func = line.rfind('(').map_or(line, |i| &line[..i]);
                *frame = (!is_runtime_frame(func)).then(|| func.to_owned());
            }
        }
        self.push_continuation(line);
        true
    }

    fn take_python(&mut self, line: &str) -> bool {
        let Mode::Python { done } = &mut self.mode else {
            return false;
        };
        if *done {
            if line.starts_with("During handling of the above exception")
                || line.starts_with("The above exception was the direct cause")
            {
                self.push_continuation(line);
                return true;
            }
            if line.starts_with("Traceback (most recent call last):") {
                *done = false;
                self.push_continuation(line);
                return true;
            }
            return false;
        }
        if indented(line) {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix("File \"")
                && let Some((file, after)) = rest.split_once("\", line ")
            {
                let n: String = after.chars().take_while(char::is_ascii_digit).collect();
                if !n.is_empty() {
                    self.rec.caller = Some(bounded_str(&format!("{file}:{n}"), MAX_FIELD));
                }
            }
        } else {
            *done = true;
            self.rec.message = bounded_str(line.trim_end(), super::record::MAX_MESSAGE);
            if let Some(class) = exception_class(line) {
                set_field(&mut self.rec, "exception", class);
            }
        }
        self.push_continuation(line);
        true
    }

    /// The finished record.
    pub(crate) fn finish(mut self) -> LogRecord {
        if self.extra_lines == 0 {
            while self
                .rec
                .continuation
                .last()
                .is_some_and(|l| l.trim().is_empty())
            {
                self.rec.continuation.pop();
            }
        } else {
            self.rec
                .continuation
                .push(format!("… ({} more lines not kept)", self.extra_lines));
        }
        self.rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_frame_shapes() {
        assert!(is_go_frame("main.main()"));
        assert!(is_go_frame(
            "sigs.k8s.io/external-dns/provider/awssd.(*AWSSDProvider).Records(0xc0005d2340, {0x4599c58, 0xc000512a80})"
        ));
        assert!(is_go_frame("panic({0x1e63b00?, 0x3c6f5f0?})"));
        assert!(!is_go_frame("Usage of /manager (see docs)"));
        assert!(!is_go_frame("(x)"));
        assert!(!is_go_frame("\tmain.main()"));
        assert!(is_go_symbol(
            "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).Start.func2.1"
        ));
        assert!(is_go_symbol("main.main"));
        assert!(!is_go_symbol("done."));
        assert!(!is_go_symbol("Starting manager"));
        assert!(is_register_line("rax    0x0"));
        assert!(is_register_line("rflags 0x10246"));
        assert!(!is_register_line("rax is zero"));
    }

    #[test]
    fn exception_classes() {
        assert_eq!(exception_class("ValueError: bad"), Some("ValueError"));
        assert_eq!(
            exception_class("KeyboardInterrupt"),
            Some("KeyboardInterrupt")
        );
        assert_eq!(
            exception_class("java.lang.IllegalStateException: x"),
            Some("java.lang.IllegalStateException")
        );
        assert_eq!(exception_class("some words: x"), None);
    }
}
