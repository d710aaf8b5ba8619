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

/// Whether a record is worth keeping from the middle of a long log: a warning
/// or worse, or a message, logger or field value naming something the rules
/// look for.
pub(crate) fn is_notable(r: &LogRecord) -> bool {
    matches!(
        r.severity,
        Severity::Warning | Severity::Error | Severity::Fatal
    ) || text_is_notable(&r.message)
        || r.logger.as_deref().is_some_and(text_is_notable)
        || r.fields.iter().any(|(_, v)| text_is_notable(v))
}

/// Head, notable middle and tail of a stream of records.
#[derive(Debug)]
pub(crate) struct Retainer {
    head: Vec<LogRecord>,
    middle: Vec<LogRecord>,
    tail: VecDeque<LogRecord>,
    middle_continuation: usize,
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

    fn pass_middle(&mut self, mut r: LogRecord) {
        if self.middle.len() < self.notable_cap && is_notable(&r) {
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
        let mut ret = Retainer::new(3, 2, 2);
        for i in 1..=20u32 {
            let notable = i == 7 || i == 9 || i == 11;
            ret.push(rec(
                i,
                if notable { "lease lost" } else { "ok" },
                Severity::Info,
            ));
        }
        let (kept, dropped) = ret.finish();
        let lines: Vec<u32> = kept.iter().map(|r| r.line).collect();
        // Notable 11 is over the cap of 2.
        assert_eq!(lines, [1, 2, 3, 7, 9, 19, 20]);
        assert_eq!(dropped, 13);
    }
}
