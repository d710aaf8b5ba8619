//! Which records a long log keeps: the first and last records, and every
//! notable record in between (up to a cap), in input order.

use std::collections::VecDeque;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

use crate::evidence::model::{LogRecord, Severity};

/// Records kept from the start of a log.
pub const HEAD_RECORDS: usize = 1000;
/// Records kept from the end of a log.
pub const TAIL_RECORDS: usize = 1000;
/// Notable records kept from between head and tail.
pub const NOTABLE_RECORDS: usize = 20_000;
/// Continuation lines kept per notable middle record once the middle holds
/// this many continuation lines in all (a log of thousands of stack dumps).
const MIDDLE_CONTINUATION_BUDGET: usize = 100_000;
const MIDDLE_CONTINUATION_OVER_BUDGET: usize = 20;

/// Phrases that make a record worth keeping whatever its severity: what the
/// diagnosis rules look for (traces, leader election, informers, throttling,
/// crashes, timeouts, TLS, DNS, memory, shutdown).
const PHRASES: &[&str] = &[
    "oom",
    "trace[",
    "deltafifo",
    "realfifo",
    "reflector",
    "leader",
    "lease",
    "leading",
    "informer",
    "cache",
    "sync",
    "throttl",
    "waited",
    "panic",
    "fatal",
    "signal",
    "sigterm",
    "sigkill",
    "shutting down",
    "shutdown",
    "timeout",
    "timed out",
    "deadline",
    "refused",
    "forbidden",
    "unauthorized",
    "x509",
    "certificate",
    "tls handshake",
    "no such host",
    "out of memory",
    "killed",
    "stopped",
    "exit",
    "terminat",
    "error",
    "fail",
    "unable to",
    "cannot",
    "could not",
    "permission denied",
    "crash",
    "back-off",
    "backoff",
    "probe",
    "healthz",
    "readyz",
    "livez",
    "connection reset",
    "broken pipe",
    "too many",
    "evict",
    "goroutine",
    "traceback",
    "exception",
    "restart",
    "webhook",
];

/// Continuation lines searched for phrases (the head of a block says what it is).
const CONTINUATION_SCANNED: usize = 8;

/// Index of `oom` in [`PHRASES`]: it must start a word (`OOMKilled`, not `room`).
const OOM: usize = 0;

static NOTABLE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    debug_assert_eq!(PHRASES[OOM], "oom");
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(PHRASES)
        .expect("static phrase set")
});

fn text_is_notable(s: &str) -> bool {
    let b = s.as_bytes();
    NOTABLE.find_overlapping_iter(s).any(|m| {
        m.pattern().as_usize() != OOM || m.start() == 0 || !b[m.start() - 1].is_ascii_alphabetic()
    })
}

/// How much a record from the middle of a long log is worth keeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Notability {
    Ordinary,
    /// Names something the rules look for (in its message, logger, field
    /// values or first continuation lines).
    Phrase,
    /// A warning or worse.
    Severe,
}

pub(crate) fn notability(r: &LogRecord) -> Notability {
    if matches!(
        r.severity,
        Severity::Warning | Severity::Error | Severity::Fatal
    ) {
        return Notability::Severe;
    }
    let phrase = text_is_notable(&r.message)
        || r.logger.as_deref().is_some_and(text_is_notable)
        || r.fields.iter().any(|(_, v)| text_is_notable(v))
        || r.continuation
            .iter()
            .take(CONTINUATION_SCANNED)
            .any(|l| text_is_notable(l));
    if phrase {
        Notability::Phrase
    } else {
        Notability::Ordinary
    }
}

/// Whether a record is worth keeping from the middle of a long log.
#[cfg(test)]
pub(crate) fn is_notable(r: &LogRecord) -> bool {
    notability(r) > Notability::Ordinary
}

/// Head, notable middle and tail of a stream of records.
#[derive(Debug)]
pub(crate) struct Retainer {
    head: Vec<LogRecord>,
    middle: Vec<LogRecord>,
    tail: VecDeque<LogRecord>,
    middle_continuation: usize,
    /// Records in `middle` kept for a phrase alone.
    middle_phrase: usize,
    dropped: u64,
    head_cap: usize,
    tail_cap: usize,
    notable_cap: usize,
}

impl Retainer {
    pub(crate) fn new(head_cap: usize, tail_cap: usize, notable_cap: usize) -> Self {
        Retainer {
            head: Vec::new(),
            middle: Vec::new(),
            tail: VecDeque::new(),
            middle_continuation: 0,
            middle_phrase: 0,
            dropped: 0,
            head_cap,
            tail_cap,
            notable_cap,
        }
    }

    pub(crate) fn push(&mut self, r: LogRecord) {
        if self.head.len() < self.head_cap {
            self.head.push(r);
            return;
        }
        if self.tail_cap == 0 {
            self.pass_middle(r);
            return;
        }
        if self.tail.len() == self.tail_cap
            && let Some(old) = self.tail.pop_front()
        {
            self.pass_middle(old);
        }
        self.tail.push_back(r);
    }

    /// Keeps a record leaving the tail window if it is notable and there is
    /// room. Records notable for a phrase alone get at most half the room, so
    /// that chatty lines (a lease renewed every two seconds) cannot crowd out
    /// the warnings and errors that come later.
    fn pass_middle(&mut self, mut r: LogRecord) {
        let room = match notability(&r) {
            _ if self.middle.len() >= self.notable_cap => false,
            Notability::Severe => true,
            Notability::Phrase if self.middle_phrase < self.notable_cap / 2 => {
                self.middle_phrase += 1;
                true
            }
            _ => false,
        };
        if room {
            if self.middle_continuation > MIDDLE_CONTINUATION_BUDGET
                && r.continuation.len() > MIDDLE_CONTINUATION_OVER_BUDGET
            {
                let cut = r.continuation.len() - MIDDLE_CONTINUATION_OVER_BUDGET;
                r.continuation.truncate(MIDDLE_CONTINUATION_OVER_BUDGET);
                r.continuation
                    .push(format!("… ({cut} more lines not kept)"));
            }
            self.middle_continuation += r.continuation.len();
            self.middle.push(r);
        } else {
            self.dropped += 1;
        }
    }

    /// The kept records in input order, and how many were dropped.
    pub(crate) fn finish(self) -> (Vec<LogRecord>, u64) {
        let mut out = self.head;
        out.reserve(self.middle.len() + self.tail.len());
        out.extend(self.middle);
        out.extend(self.tail);
        (out, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::model::LogFormat;

    fn rec(line: u32, msg: &str, severity: Severity) -> LogRecord {
        LogRecord {
            time: None,
            year_inferred: false,
            severity,
            logger: None,
            message: msg.to_owned(),
            fields: Vec::new(),
            caller: None,
            format: LogFormat::Plain,
            line,
            continuation: Vec::new(),
        }
    }

    #[test]
    fn phrases_and_severity_make_records_notable() {
        assert!(is_notable(&rec(1, "x", Severity::Warning)));
        assert!(is_notable(&rec(1, "x", Severity::Fatal)));
        assert!(!is_notable(&rec(1, "reconciled", Severity::Info)));
        assert!(!is_notable(&rec(1, "reconciled", Severity::Unknown)));
        assert!(is_notable(&rec(
            1,
            "Waited for 1.2s due to client-side THROTTLING",
            Severity::Info
        )));
        assert!(is_notable(&rec(1, "container OOMKilled", Severity::Info)));
        assert!(is_notable(&rec(1, "oom", Severity::Info)));
        assert!(!is_notable(&rec(1, "meeting room booked", Severity::Info)));
        let mut r = rec(1, "Waited before sending request", Severity::Info);
        r.message = "request sent".into();
        r.fields
            .push(("reason".into(), "client-side throttling".into()));
        assert!(is_notable(&r));
    }

    #[test]
    fn keeps_head_tail_and_notable_middle_in_order() {
        let mut ret = Retainer::new(3, 2, 4);
        for i in 1..=30u32 {
            let r = match i {
                // Phrase-only records get half the room: 5 and 6, not 7.
                5..=7 => rec(i, "successfully renewed lease", Severity::Info),
                12 | 14 | 16 => rec(i, "x", Severity::Error),
                _ => rec(i, "ok", Severity::Info),
            };
            ret.push(r);
        }
        let (kept, dropped) = ret.finish();
        let lines: Vec<u32> = kept.iter().map(|r| r.line).collect();
        // 16 finds the room full.
        assert_eq!(lines, [1, 2, 3, 5, 6, 12, 14, 29, 30]);
        assert_eq!(dropped, 21);
    }
}
