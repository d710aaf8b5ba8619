//! Leader election: client-go's lost-lease lines (old printf and new structured
//! forms), controller-runtime's `leader election lost`, Knative's
//! `has started leading` / `has stopped leading`, and Lease objects.
//!
//! A lost lease is nearly always a symptom: of probe kills (Knative prints
//! "has stopped leading" on every shutdown, even one caused by SIGTERM), of an
//! API server that does not answer in time, of a starved process. The rule says
//! so through relations, and the ranking puts the explaining cause first.

use std::time::Duration;

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts::secs;
use crate::diagnose::finding::{Citation, Relation, Signals};
use crate::diagnose::knowledge::components::Framework;
use crate::evidence::Lease;

/// See the module docs.
pub struct LeaderElection;

const NAME: &str = "leader-election";

/// Causes that commonly explain a lost lease; the ranking keeps the best present one.
const EXPLAINERS: &[CauseId] = &[
    CauseId::ProbeTimeoutUnderLoad,
    CauseId::StartupExceedsProbeBudget,
    CauseId::ApiserverUnreachable,
    CauseId::ApiserverThrottled,
    CauseId::CpuStarved,
    CauseId::NodeUnhealthy,
    CauseId::OomKilled,
];

fn lost_lease_line(m: &str) -> bool {
    m.contains("failed to renew lease")
        || m.contains("Failed to renew lease")
        || m.contains("leaderelection lost")
        || m.contains("leader election lost")
}

impl Rule for LeaderElection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let killed = out.get_fact("probe.kills").is_some();
        let mut symptom = false;

        // One citation per log stream is enough: each run prints the line once
        // per leader-election bucket.
        let mut cited_streams: Vec<*const crate::evidence::LogStream> = Vec::new();
        for (log, r) in cx.records() {
            let m = &r.message;
            let stream = log as *const crate::evidence::LogStream;
            let telling = m.contains("has stopped leading") || lost_lease_line(m);
            if telling && cited_streams.contains(&stream) {
                continue;
            }
            if telling {
                cited_streams.push(stream);
            }
            if m.contains("has stopped leading") {
                symptom = true;
                let weight = if killed { 0.3 } else { 0.15 };
                let knative = cx
                    .component
                    .is_some_and(|c| c.framework == Framework::KnativeSharedmain);
                out.support(
                    NAME,
                    CauseId::LeaderElectionLost,
                    weight,
                    Citation::new(format!("log: {}", first_line(m)), log.record_source(r)),
                )
                .grouped("stopped-leading")
                .titled("\"has stopped leading\": a consequence of the shutdown, not a cause");
                if killed || knative {
                    let text = "\"has stopped leading\" follows the SIGTERM of the kill: Knative prints it on every shutdown, so here it is a consequence, not a lost lease";
                    for cause in [
                        CauseId::ProbeTimeoutUnderLoad,
                        CauseId::StartupExceedsProbeBudget,
                        CauseId::LeaderElectionLost,
                    ] {
                        out.chain(cause, 4, text);
                    }
                }
            } else if lost_lease_line(m) {
                symptom = true;
                out.support(
                    NAME,
                    CauseId::LeaderElectionLost,
                    0.35,
                    Citation::new(format!("log: {}", first_line(m)), log.record_source(r)),
                )
                .titled("The process lost its leader lease and exited");
                out.chain(
                    CauseId::LeaderElectionLost,
                    3,
                    "the lease is not renewed within the renew deadline, so the process gives up leadership and exits",
                );
            }
        }

        let leases = self.relevant_leases(cx);
        for l in &leases {
            // Judged against when the Lease list was taken, not the newest
            // moment anywhere in the evidence.
            let now = cx.ev.lease_observed_at(l).or(cx.now);
            let name = format!(
                "{}/{}",
                l.meta.namespace.as_deref().unwrap_or(""),
                l.meta.name
            );
            if let (Some(now), Some(renew), Some(dur)) = (now, l.renew_time, l.duration_seconds) {
                let since = Duration::try_from(now.duration_since(renew)).unwrap_or_default();
                if since > Duration::from_secs(u64::from(dur))
                    && l.holder.as_deref().is_some_and(|h| !h.is_empty())
                {
                    symptom = true;
                    out.support(
                        NAME,
                        CauseId::LeaderElectionLost,
                        0.2,
                        Citation::new(
                            format!(
                                "Lease {name} last renewed {} before the Leases were read, beyond its {dur} s duration (holder {})",
                                secs(since),
                                l.holder.as_deref().unwrap_or("?")
                            ),
                            l.source.clone(),
                        ),
                    );
                }
            }
            if let Some(holder) = l.holder.as_deref().filter(|h| !h.is_empty()) {
                let pod = holder.split('_').next().unwrap_or(holder);
                let ns = l.meta.namespace.as_deref();
                let have_pods_of_ns = cx.ev.pods.iter().any(|p| p.meta.namespace.as_deref() == ns);
                if have_pods_of_ns && cx.ev.pod(ns, pod).is_none() && pod.contains('-') {
                    symptom = true;
                    out.support(
                        NAME,
                        CauseId::LeaderElectionLost,
                        0.2,
                        Citation::new(
                            format!(
                                "Lease {name} is held by {holder}, a pod that no longer exists: successors wait up to {} s",
                                l.duration_seconds.unwrap_or(0)
                            ),
                            l.source.clone(),
                        ),
                    );
                }
            }
            if let Some(t) = l.transitions.filter(|t| *t >= 10) {
                out.support(
                    NAME,
                    CauseId::LeaderElectionLost,
                    0.15,
                    Citation::new(
                        format!("Lease {name} changed hands {t} times"),
                        l.source.clone(),
                    ),
                );
            }
        }
        if symptom {
            for &c in EXPLAINERS {
                out.relate(CauseId::LeaderElectionLost, Relation::ExplainedBy(c));
            }
        }
        if leases.is_empty() && cx.component.is_some_and(|c| c.leader_elected) {
            out.missing(
                Some(CauseId::LeaderElectionLost),
                "the leader-election Leases (holder, renewTime, transitions): cluster-info dump does not include them",
                format!("kubectl get lease{} -o yaml", cx.ns_flag()),
            );
        }
    }
}

impl LeaderElection {
    /// Leases of the subject: named with its component's prefix, or held by one of its pods.
    fn relevant_leases<'a>(&self, cx: &Context<'a>) -> Vec<&'a Lease> {
        let pods: Vec<&str> = cx.pods().map(|p| p.meta.name.as_str()).collect();
        let prefix = cx.component.and_then(|c| c.lease_prefix);
        let ns = cx.subject.namespace();
        cx.ev
            .leases
            .iter()
            .filter(|l| ns.is_none() || l.meta.namespace.as_deref() == ns)
            .filter(|l| {
                prefix.is_some_and(|p| l.meta.name.starts_with(p))
                    || l.holder
                        .as_deref()
                        .is_some_and(|h| pods.iter().any(|p| h.starts_with(p)))
            })
            .collect()
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{CauseId, DiagnoseOptions, Relation, diagnose};
    use crate::evidence::*;

    fn log(lines: &[&str]) -> LogStream {
        let lines: Vec<(Severity, &str)> = lines.iter().map(|m| (Severity::Info, *m)).collect();
        previous_log_lines(LogFormat::Json, &lines)
    }

    #[test]
    fn stopped_leading_after_probe_kills_is_a_symptom() {
        let mut b = EvidenceBuilder::new();
        b.add_pod(crashing_pod());
        for (r, m, n) in [
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
        ] {
            b.add_event(kubelet_event("ctl-5d9c7f6b8-x2kqp", r, m, n));
        }
        b.add_log(log(&[
            "Started workers",
            "\"ctl-5d9c7f6b8-x2kqp_1b0c\" has stopped leading \"net-istio-controller.knative.dev.net-istio.pkg.reconciler.ingress.reconciler.00-of-01\"",
        ]));
        let d = diagnose(&b.finish(), &DiagnoseOptions::default());
        let f = &d.workloads[0].findings;
        assert_eq!(f[0].cause, CauseId::ProbeTimeoutUnderLoad);
        let lost = f
            .iter()
            .find(|f| f.cause == CauseId::LeaderElectionLost)
            .unwrap();
        assert_eq!(
            lost.relation,
            Some(Relation::ExplainedBy(CauseId::ProbeTimeoutUnderLoad))
        );
        assert!(lost.score < f[0].score);
        assert!(f[0].chain.iter().any(|c| c.contains("consequence")));
    }

    #[test]
    fn a_lease_held_by_a_vanished_pod_is_cited() {
        let mut b = EvidenceBuilder::new();
        b.add_pod(crashing_pod());
        b.add_lease(Lease {
            meta: Meta {
                namespace: Some("ns".into()),
                name: "ctl.reconciler.00-of-01".into(),
                ..Default::default()
            },
            holder: Some("ctl-5d9c7f6b8-gone1_7f3a".into()),
            duration_seconds: Some(60),
            acquire_time: Some("2024-04-12T09:00:00Z".parse().unwrap()),
            renew_time: Some("2024-04-12T09:10:00Z".parse().unwrap()),
            transitions: Some(41),
            source: Source::new("leases.yaml").at_line(3),
        });
        // The lease only relates to the subject through its holder prefix here.
        let mut ev = b.finish();
        ev.leases[0].holder = Some("ctl-5d9c7f6b8-x2kqp-old_7f3a".into());
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let f = &d.workloads[0].findings;
        let lost = f
            .iter()
            .find(|f| f.cause == CauseId::LeaderElectionLost)
            .expect("lease finding");
        assert!(
            lost.evidence
                .iter()
                .any(|c| c.text.contains("no longer exists")),
            "{lost:#?}"
        );
        assert!(lost.evidence.iter().any(|c| c.text.contains("41 times")));
    }

    #[test]
    fn an_ordinary_log_is_no_lease_problem() {
        let mut b = EvidenceBuilder::new();
        b.add_pod(crashing_pod());
        b.add_log(log(&[
            "successfully acquired lease ns/ctl",
            "Started workers",
        ]));
        let d = diagnose(&b.finish(), &DiagnoseOptions::default());
        assert!(
            d.workloads[0]
                .findings
                .iter()
                .all(|f| f.cause != CauseId::LeaderElectionLost)
        );
    }
}
