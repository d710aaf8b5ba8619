//! Probe failure modes: what the kubelet's `Unhealthy` messages say about the
//! process. `connection refused` means nothing listens yet (start-up slower than
//! the budget); `context deadline exceeded` / `Client.Timeout exceeded` means it
//! listens but answers too slowly (CPU starvation, a blocked process, the node);
//! an HTTP status means the app reports itself unhealthy; exec output is the
//! probe command's own complaint.

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts::{self, ProbeFailure, ProbeFailureMode};
use crate::diagnose::finding::{Citation, Signals};
use crate::evidence::ProbeKind;

/// See the module docs.
pub struct ProbeFailureModes;

const NAME: &str = "probe-failure-mode";

impl Rule for ProbeFailureModes {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let failures = facts::probe_failures(cx);
        let kills = facts::probe_kills(cx);
        let kill_count: u32 = kills.iter().map(|(_, e)| e.count.max(1)).sum();
        let liveness = cx.probe(ProbeKind::Liveness);
        let has_startup = cx.probe(ProbeKind::Startup).is_some();
        let timeout_s = liveness.map_or(1, |(_, p)| p.timeout_seconds);

        let count = |kind: ProbeKind,
                     mode: fn(&ProbeFailureMode) -> bool|
         -> (u32, Vec<&ProbeFailure<'_>>) {
            let fs: Vec<&ProbeFailure<'_>> = failures
                .iter()
                .filter(|f| f.kind == kind && mode(&f.mode))
                .collect();
            (fs.iter().map(|f| f.event.count.max(1)).sum(), fs)
        };
        let (live_timeouts, live_timeout_events) =
            count(ProbeKind::Liveness, |m| *m == ProbeFailureMode::Timeout);
        let (live_refused, live_refused_events) = count(ProbeKind::Liveness, |m| {
            *m == ProbeFailureMode::ConnectionRefused
        });
        let (start_refused, _) = count(ProbeKind::Startup, |m| {
            matches!(
                m,
                ProbeFailureMode::ConnectionRefused | ProbeFailureMode::Timeout
            )
        });
        let (live_status, live_status_events) = count(ProbeKind::Liveness, |m| {
            matches!(m, ProbeFailureMode::HttpStatus(_))
        });

        let cite = |f: &ProbeFailure<'_>| {
            Citation::new(
                format!(
                    "{} (x{}): {}",
                    f.event.reason,
                    f.event.count.max(1),
                    f.event.message
                ),
                f.event.source.clone(),
            )
        };

        // Listening but too slow.
        if live_timeouts > 0 {
            let weight = if kill_count > 0 { 0.75 } else { 0.5 };
            for f in &live_timeout_events {
                out.support(NAME, CauseId::ProbeTimeoutUnderLoad, weight, cite(f)).grouped("liveness-timeout").titled(format!(
                    "Liveness probe times out: the process listens but does not answer within {timeout_s} s, so the kubelet kills it"
                ));
            }
            // The process was listening, so it had started.
            if live_refused == 0 {
                out.against(
                    NAME,
                    CauseId::StartupExceedsProbeBudget,
                    0.35,
                    Citation::new(
                        "the liveness probe reached a listening port (timeouts, not `connection refused`): start-up had finished",
                        live_timeout_events[0].event.source.clone(),
                    ),
                );
            }
            out.chain(
                CauseId::ProbeTimeoutUnderLoad,
                2,
                format!(
                    "/health is not answered within the {timeout_s} s timeout ({live_timeouts} failed liveness probes: `context deadline exceeded`)"
                ),
            );
            // A slow answer has three usual reasons; CPU starvation is one.
            out.support(
                NAME,
                CauseId::CpuStarved,
                0.15,
                cite(live_timeout_events[0]),
            );
        }

        // Nothing listening yet.
        if live_refused > 0 || start_refused > 0 {
            let weight = match (kill_count > 0, has_startup) {
                (true, false) => 0.6,
                (true, true) => 0.35,
                (false, _) => 0.35,
            };
            for f in &live_refused_events {
                out.support(NAME, CauseId::StartupExceedsProbeBudget, weight, cite(f)).grouped("liveness-refused").titled(
                    "Start-up takes longer than the liveness budget: nothing listens on the probe port yet when the kubelet kills it",
                );
            }
            if cx.component.is_some_and(|c| c.probe_after_sync) {
                out.chain(
                    CauseId::StartupExceedsProbeBudget,
                    1,
                    format!(
                        "{} opens its probe port only after every informer cache has synced",
                        cx.component.map_or("the controller", |c| c.name)
                    ),
                );
            }
            out.chain(
                CauseId::StartupExceedsProbeBudget,
                2,
                format!("liveness probe gets `connection refused` ({live_refused} failures)"),
            );
            if live_timeouts == 0
                && let Some(f) = live_refused_events.first()
            {
                out.against(
                        NAME,
                        CauseId::ProbeTimeoutUnderLoad,
                        0.3,
                        Citation::new(
                            "probe failures are `connection refused`, not timeouts: the port was not open yet",
                            f.event.source.clone(),
                        ),
                    );
            }
        }

        // The app says it is unhealthy: the reason is in its logs.
        if live_status > 0 {
            for f in &live_status_events {
                out.support(NAME, CauseId::MissingDependency, 0.2, cite(f)).grouped("liveness-status").titled(
                    "The health endpoint reports the app unhealthy (often a dependency it checks is down)",
                );
            }
            out.missing(
                None,
                "logs around the failing health checks say why the app reports itself unhealthy",
                format!(
                    "kubectl logs --previous{} {}",
                    cx.ns_flag(),
                    cx.example_pod()
                ),
            );
        }

        if kill_count > 0 {
            let (kind, _) = kills[0];
            let what = match kind {
                ProbeKind::Startup => "startup",
                _ => "liveness",
            };
            let text = format!(
                "kubelet killed the container {kill_count} times for failing its {what} probe"
            );
            for cause in [
                CauseId::ProbeTimeoutUnderLoad,
                CauseId::StartupExceedsProbeBudget,
            ] {
                out.chain(cause, 3, text.clone());
            }
            out.fact("probe.kills", kill_count);
        }
        let backoffs = facts::backoffs(cx);
        if !backoffs.is_empty() {
            let n = facts::total_count(&backoffs);
            for cause in [
                CauseId::ProbeTimeoutUnderLoad,
                CauseId::StartupExceedsProbeBudget,
            ] {
                out.chain(
                    cause,
                    4,
                    format!("back-off: CrashLoopBackOff ({n} back-off events)"),
                );
            }
        }
        if failures.is_empty() && !cx.subject.pods.is_empty() && cx.events().is_empty() {
            out.missing(
                None,
                "no events: probe failures, kills and back-offs are only visible there (events expire after 1 h by default)",
                format!(
                    "kubectl get events{} --field-selector involvedObject.name={} -o wide",
                    cx.ns_flag(),
                    cx.example_pod()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{CauseId, DiagnoseOptions, diagnose};

    #[test]
    fn timeouts_with_kills_point_at_load_not_startup() {
        let ev = pod_with_events(&[
            (
                "Unhealthy",
                "Liveness probe failed: Get \"http://10.0.0.7:8080/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                18,
            ),
            (
                "Killing",
                "Container controller failed liveness probe, will be restarted",
                3,
            ),
            (
                "BackOff",
                "Back-off restarting failed container controller in pod p_ns(uid)",
                40,
            ),
        ]);
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(
            w.findings[0].cause,
            CauseId::ProbeTimeoutUnderLoad,
            "{:#?}",
            w.findings
        );
        let startup = w
            .findings
            .iter()
            .find(|f| f.cause == CauseId::StartupExceedsProbeBudget);
        assert!(startup.is_none(), "{startup:?}");
        assert!(
            w.findings[0]
                .chain
                .iter()
                .any(|c| c.contains("killed the container 3 times"))
        );
    }

    #[test]
    fn refused_connections_point_at_startup() {
        let ev = pod_with_events(&[
            (
                "Unhealthy",
                "Liveness probe failed: Get \"http://10.0.0.7:8080/health\": dial tcp 10.0.0.7:8080: connect: connection refused",
                12,
            ),
            (
                "Killing",
                "Container controller failed liveness probe, will be restarted",
                2,
            ),
        ]);
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(
            w.findings[0].cause,
            CauseId::StartupExceedsProbeBudget,
            "{:#?}",
            w.findings
        );
        let load = w
            .findings
            .iter()
            .find(|f| f.cause == CauseId::ProbeTimeoutUnderLoad);
        assert!(load.is_none_or(|f| !f.against.is_empty()));
    }

    #[test]
    fn readiness_only_failures_do_not_claim_a_kill() {
        let ev = pod_with_events(&[(
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            30,
        )]);
        let d = diagnose(&ev, &DiagnoseOptions::default());
        for f in &d
            .workloads
            .first()
            .map(|w| w.findings.clone())
            .unwrap_or_default()
        {
            assert_ne!(f.cause, CauseId::ProbeTimeoutUnderLoad);
            assert_ne!(f.cause, CauseId::StartupExceedsProbeBudget);
        }
    }
}
