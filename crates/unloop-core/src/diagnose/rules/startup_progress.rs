//! Start-up progress read from logs: how far each run got (registering,
//! informers, caches synced, workers started, probe server listening), how
//! long that took against the liveness budget, whether the informer queue was
//! blocked (`DeltaFIFO`/`RealFIFO Pop Process` traces with their depths and
//! durations), and whether the log simply stops without an error, which is
//! what a kill from outside looks like.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts::secs;
use crate::diagnose::finding::{Citation, Signals};
use crate::diagnose::knowledge::milestones::{Milestone, milestone_of};
use crate::evidence::{LogRecord, LogStream, ProbeKind, Severity};

/// See the module docs.
pub struct StartupProgress;

const NAME: &str = "startup-progress";

static DEPTH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"Depth:(\d+)").expect("static regex"));
static TOTAL_MS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(total time: (\d+(?:\.\d+)?)ms\)").expect("static regex"));

/// A queue or list trace: `"DeltaFIFO Pop Process"`, `"RealFIFO Pop Process"`, `"Reflector ListAndWatch"`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueTrace {
    pub kind: &'static str,
    pub depth: Option<u64>,
    pub total: Option<Duration>,
}

/// Parses a utils/trace record.
pub fn queue_trace(r: &LogRecord) -> Option<QueueTrace> {
    let m = &r.message;
    let kind = if m.contains("DeltaFIFO Pop Process") {
        "DeltaFIFO Pop Process"
    } else if m.contains("RealFIFO PopBatch Process") {
        "RealFIFO PopBatch Process"
    } else if m.contains("RealFIFO Pop Process") {
        "RealFIFO Pop Process"
    } else if m.contains("Reflector ListAndWatch") {
        "Reflector ListAndWatch"
    } else {
        return None;
    };
    Some(QueueTrace {
        kind,
        depth: DEPTH.captures(m).and_then(|c| c[1].parse().ok()),
        total: TOTAL_MS
            .captures(m)
            .and_then(|c| c[1].parse::<f64>().ok())
            .map(|ms| Duration::from_micros((ms * 1000.0) as u64)),
    })
}

/// How far one run got.
struct Progress<'a> {
    first: Option<&'a LogRecord>,
    reached: Vec<(Milestone, &'a LogRecord)>,
    last: Option<&'a LogRecord>,
}

fn progress(log: &LogStream) -> Progress<'_> {
    let mut reached = Vec::new();
    for r in &log.records {
        if let Some(m) = milestone_of(&r.message)
            && !reached.iter().any(|(x, _)| *x == m)
        {
            reached.push((m, r));
        }
    }
    Progress {
        first: log.records.iter().find(|r| r.time.is_some()),
        reached,
        last: log.records.iter().rev().find(|r| r.time.is_some()),
    }
}

fn elapsed(a: &LogRecord, b: &LogRecord) -> Option<Duration> {
    let d = b.time?.duration_since(a.time?);
    Duration::try_from(d).ok()
}

impl Rule for StartupProgress {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let budget = cx
            .probe(ProbeKind::Liveness)
            .map(|(_, p)| p.failure_budget());
        let has_startup_probe = cx.probe(ProbeKind::Startup).is_some();
        let probe_killed = out.get_fact("probe.kills").is_some();

        for log in cx.logs() {
            let p = progress(log);
            let Some(first) = p.first else { continue };
            let synced = p.reached.iter().find(|(m, _)| m.synced());
            let failed = p.reached.iter().find(|(m, _)| *m == Milestone::SyncFailed);
            match (synced, budget) {
                (Some((m, r)), Some(budget)) => {
                    if let Some(took) = elapsed(first, r) {
                        out.fact("startup.sync_s", took.as_secs());
                        let cite = Citation::new(
                            format!(
                                "{} {} after the first log line: {}",
                                m.describe(),
                                secs(took),
                                r.message
                            ),
                            log.record_source(r),
                        );
                        if took > budget && !has_startup_probe {
                            out.support(NAME, CauseId::StartupExceedsProbeBudget, 0.5, cite).titled(format!(
                                "Start-up ({}) takes longer than the {} liveness budget and there is no startup probe",
                                secs(took),
                                secs(budget)
                            ));
                            out.chain(
                                CauseId::StartupExceedsProbeBudget,
                                1,
                                format!("informer caches take ~{} to sync", secs(took)),
                            );
                        } else if took * 2 < budget {
                            out.against(NAME, CauseId::StartupExceedsProbeBudget, 0.4, cite);
                        }
                    }
                }
                (None, Some(budget)) => {
                    // The run ended before the caches synced.
                    if let (Some(last), Some((m, r))) = (p.last, failed.or(p.reached.last())) {
                        let ran = elapsed(first, last).unwrap_or_default();
                        if ran + Duration::from_secs(10) >= budget && !has_startup_probe {
                            out.support(
                                NAME,
                                CauseId::StartupExceedsProbeBudget,
                                if failed.is_some() && probe_killed { 0.5 } else { 0.35 },
                                Citation::new(
                                    format!(
                                        "the run never got past \"{}\" in {} (liveness budget {}): {}",
                                        m.describe(),
                                        secs(ran),
                                        secs(budget),
                                        r.message
                                    ),
                                    log.record_source(r),
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
            if let (Some(f), true) = (failed, probe_killed) {
                out.chain(
                    CauseId::StartupExceedsProbeBudget,
                    3,
                    format!(
                        "SIGTERM from the kill aborts the cache sync: \"{}\"",
                        f.1.message.lines().next().unwrap_or("")
                    ),
                );
            }
            self.ends_quietly(log, &p, out);
        }
        self.queue_traces(cx, out);
    }
}

impl StartupProgress {
    /// Informer-queue traces across the subject's logs: one argument, cited
    /// once per log, with the deepest queue and slowest handler overall.
    fn queue_traces(&self, cx: &Context<'_>, out: &mut Signals) {
        let mut total = 0usize;
        let mut max_depth = 0u64;
        let mut max_item = Duration::ZERO;
        let mut kind = "";
        for log in cx.logs() {
            let pops: Vec<(&LogRecord, QueueTrace)> = log
                .records
                .iter()
                .filter_map(|r| queue_trace(r).map(|t| (r, t)))
                .filter(|(_, t)| t.kind.contains("Pop"))
                .collect();
            let Some((deepest, _)) = pops.iter().max_by_key(|(_, t)| t.depth.unwrap_or(0)) else {
                continue;
            };
            let depth = pops.iter().filter_map(|(_, t)| t.depth).max().unwrap_or(0);
            let item = pops
                .iter()
                .filter_map(|(_, t)| t.total)
                .max()
                .unwrap_or_default();
            kind = pops[0].1.kind;
            total += pops.len();
            max_depth = max_depth.max(depth);
            max_item = max_item.max(item);
            let cite = Citation::new(
                format!(
                    "{} `{kind}` traces: slow event handlers blocked the informer queue (depth up to {depth}, up to {} ms per item)",
                    pops.len(),
                    item.as_millis()
                ),
                log.record_source(deepest),
            );
            out.support(NAME, CauseId::ProbeTimeoutUnderLoad, 0.3, cite.clone())
                .grouped("queue-trace");
            out.support(NAME, CauseId::CpuStarved, 0.1, cite)
                .grouped("queue-trace");
        }
        if total == 0 {
            return;
        }
        out.fact("queue.max_depth", max_depth);
        out.fact("queue.traces", total);
        out.chain(
            CauseId::ProbeTimeoutUnderLoad,
            1,
            format!(
                "slow event handlers block the informer queue ({total} `{kind}` traces, depth up to {max_depth}, up to {} ms per item)",
                max_item.as_millis()
            ),
        );
    }

    /// A log of a killed run looks healthy until it stops: no error at the end.
    fn ends_quietly(&self, log: &LogStream, p: &Progress<'_>, out: &mut Signals) {
        let Some(last) = log.records.last() else {
            return;
        };
        let tail = &log.records[log.records.len().saturating_sub(5)..];
        let tail_has_error = tail.iter().any(|r| {
            r.severity >= Severity::Error && r.severity != Severity::Unknown
                || r.message.starts_with("panic:")
        });
        let worked = p.reached.iter().any(|(m, _)| {
            matches!(
                m,
                Milestone::WorkersStarted
                    | Milestone::ControllersStarting
                    | Milestone::ProbeListening
            )
        });
        if tail_has_error || !worked || out.get_fact("probe.kills").is_none() {
            return;
        }
        let c = Citation::new(
            format!(
                "the {} log shows a working controller and ends without an error: \"{}\"",
                match log.run {
                    crate::evidence::ContainerRun::Previous => "previous run's",
                    _ => "container's",
                },
                last.message.lines().next().unwrap_or("")
            ),
            log.record_source(last),
        );
        out.support(NAME, CauseId::ProbeTimeoutUnderLoad, 0.2, c.clone());
        for cause in [CauseId::ApplicationPanic, CauseId::BadConfig] {
            out.against(NAME, cause, 0.3, c.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::tests_support::*;
    use crate::evidence::*;

    fn rec(msg: &str) -> LogRecord {
        LogRecord {
            time: None,
            year_inferred: false,
            severity: Severity::Info,
            logger: None,
            message: msg.into(),
            fields: vec![],
            caller: Some("trace.go:236".into()),
            format: LogFormat::KlogText,
            line: 1,
            continuation: vec![],
        }
    }

    fn timed(secs: i64, msg: &str, line: u32) -> LogRecord {
        let base: jiff::Timestamp = "2024-04-12T09:00:00Z".parse().unwrap();
        LogRecord {
            time: Some(base + jiff::SignedDuration::from_secs(secs)),
            line,
            caller: None,
            format: LogFormat::Json,
            ..rec(msg)
        }
    }

    /// The crash-looping pod (liveness budget 6 × 5 s = 30 s) with a previous-run log.
    fn with_log(records: Vec<LogRecord>, killed: bool) -> Evidence {
        let mut b = EvidenceBuilder::new();
        b.add_pod(crashing_pod());
        if killed {
            b.add_event(kubelet_event(
                "ctl-5d9c7f6b8-x2kqp",
                "Killing",
                "Container controller failed liveness probe, will be restarted",
                4,
            ));
        }
        b.add_log(previous_log(LogFormat::Json, records));
        b.finish()
    }

    #[test]
    fn a_sync_slower_than_the_budget_is_a_startup_problem() {
        let ev = with_log(
            vec![
                timed(0, "Registering 8 informers", 1),
                timed(1, "Starting informers...", 2),
                timed(48, "Starting controllers...", 3),
            ],
            false,
        );
        let f = finding(&ev, CauseId::StartupExceedsProbeBudget).expect("start-up finding");
        assert!(
            f.evidence
                .iter()
                .any(|c| c.text.contains("48 s") && c.source.line == Some(3)),
            "{f:#?}"
        );
        assert!(
            f.title.contains("48 s") && f.title.contains("30 s"),
            "{}",
            f.title
        );
    }

    #[test]
    fn a_fast_sync_speaks_against_a_startup_problem() {
        let ev = with_log(
            vec![
                timed(0, "Starting informers...", 1),
                timed(3, "Starting controllers...", 2),
                timed(4, "Started workers", 3),
            ],
            true,
        );
        // Nothing supports a start-up problem, so no such finding; and the
        // log stopping quietly after work began points at an outside kill.
        assert!(finding(&ev, CauseId::StartupExceedsProbeBudget).is_none());
        let load = finding(&ev, CauseId::ProbeTimeoutUnderLoad).expect("a quiet end after a kill");
        assert!(
            load.evidence
                .iter()
                .any(|c| c.text.contains("ends without an error")),
            "{load:#?}"
        );
    }

    #[test]
    fn a_sync_aborted_by_the_kill_is_a_startup_problem() {
        let ev = with_log(
            vec![
                timed(0, "Starting informers...", 1),
                timed(29, "Failed to start informers", 2),
            ],
            true,
        );
        let f = finding(&ev, CauseId::StartupExceedsProbeBudget).expect("start-up finding");
        assert!(
            f.evidence.iter().any(|c| c.text.contains("never got past")),
            "{f:#?}"
        );
        assert!(f.chain.iter().any(|c| c.contains("aborts the cache sync")));
    }

    #[test]
    fn parses_queue_traces() {
        let t = queue_trace(&rec("Trace[1203554871]: \"DeltaFIFO Pop Process\" ID:shop/checkout-7f3kq-ingress,Depth:81,Reason:slow event handlers blocking the queue (12-Apr-2024 09:14:07.270) (total time: 110ms):")).unwrap();
        assert_eq!(t.kind, "DeltaFIFO Pop Process");
        assert_eq!(t.depth, Some(81));
        assert_eq!(t.total, Some(Duration::from_millis(110)));
        let t = queue_trace(&rec("Trace[1]: \"Reflector ListAndWatch\" name:k8s.io/client-go/informers/factory.go:160 (12-Apr-2024 09:14:07.270) (total time: 30012ms):")).unwrap();
        assert_eq!(t.kind, "Reflector ListAndWatch");
        assert_eq!(t.depth, None);
        assert_eq!(t.total, Some(Duration::from_millis(30012)));
        assert!(queue_trace(&rec("Reconcile succeeded")).is_none());
    }
}
