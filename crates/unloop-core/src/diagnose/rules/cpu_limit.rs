//! CPU starvation: a CPU limit too small for the work (or usage pinned at the
//! limit, or throttling reported), seen together with the symptoms slowness
//! causes (probe timeouts, slow informer queues). A limit set by a LimitRange
//! default rather than chosen for the workload is a common way to get there.

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::finding::{Citation, Relation, Signals};
use crate::evidence::quantity::format_cpu;

/// See the module docs.
pub struct CpuLimit;

const NAME: &str = "cpu-limit";

/// A CPU limit at or below this (millicores) is tiny for a controller or server.
const TINY_LIMIT_MILLIS: u64 = 100;
/// A defaulted limit at or below this (millicores) is worth pointing out.
const SMALL_LIMIT_MILLIS: u64 = 500;
/// Usage at or above this share of the limit means the container runs at its cap.
const AT_LIMIT: f64 = 0.9;

impl Rule for CpuLimit {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        // CPU starvation only explains slowness: without a slow symptom, a low
        // limit is just a setting.
        let slow =
            out.supports(CauseId::ProbeTimeoutUnderLoad) || out.get_fact("queue.traces").is_some();
        if !slow {
            return;
        }
        let mut any = false;
        for (pod, c) in cx.containers() {
            let spec = cx.container_spec(&c.name).unwrap_or(c);
            let Some(limit) = spec
                .resources
                .limits
                .cpu_millis
                .or(c.resources.limits.cpu_millis)
            else {
                continue;
            };
            let src = pod.container_source(c);
            if limit <= TINY_LIMIT_MILLIS {
                any = true;
                // The timeouts are what a starved process looks like from outside.
                out.relate(
                    CauseId::ProbeTimeoutUnderLoad,
                    Relation::ExplainedBy(CauseId::CpuStarved),
                );
                out.support(
                    NAME,
                    CauseId::CpuStarved,
                    0.55,
                    Citation::new(
                        format!(
                            "container {} of {} may use at most {} CPU, too little for a controller or API server under load",
                            c.name,
                            pod.meta.name,
                            format_cpu(limit)
                        ),
                        src.clone(),
                    ),
                )
                .grouped("tiny-limit")
                .titled(format!(
                    "The CPU limit ({}) starves {}: it cannot answer its probes or keep up",
                    format_cpu(limit),
                    c.name
                ));
            }
            if let Some(used) = c
                .usage
                .and_then(|u| u.cpu_millis)
                .or(pod.usage.and_then(|u| u.cpu_millis))
                && used as f64 >= AT_LIMIT * limit as f64
            {
                any = true;
                out.support(
                    NAME,
                    CauseId::CpuStarved,
                    0.45,
                    Citation::new(
                        format!(
                            "{} uses {} of its {} CPU limit: it runs at its cap",
                            pod.meta.name,
                            format_cpu(used),
                            format_cpu(limit)
                        ),
                        src.clone(),
                    ),
                )
                .grouped("at-limit");
            }
            let defaulted = pod
                .meta
                .annotations
                .get("kubernetes.io/limit-ranger")
                .filter(|a| a.contains("cpu"));
            // A defaulted limit matters only when it is small.
            if let Some(note) = defaulted.filter(|_| limit <= SMALL_LIMIT_MILLIS) {
                any = true;
                out.support(
                    NAME,
                    CauseId::CpuStarved,
                    0.25,
                    Citation::new(
                        format!("the CPU limit was set by a LimitRange default, not chosen for this workload ({note})"),
                        src.clone(),
                    ),
                )
                .grouped("limit-ranger");
            }
        }
        for (log, r) in cx.records() {
            let m = r.message.to_ascii_lowercase();
            if m.contains("thrott") && m.contains("cpu") {
                any = true;
                out.support(
                    NAME,
                    CauseId::CpuStarved,
                    0.3,
                    Citation::new(
                        format!("reported: {}", r.message.lines().next().unwrap_or("")),
                        log.record_source(r),
                    ),
                )
                .grouped("throttling-report");
            }
        }
        if any {
            out.chain(
                CauseId::CpuStarved,
                1,
                "the CPU limit throttles the process, so every request and probe waits for CPU time",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{CauseId, DiagnoseOptions, diagnose};
    use crate::evidence::*;

    fn evidence(limit: Option<&str>, timeouts: bool) -> Evidence {
        let mut b = EvidenceBuilder::new();
        let mut pod = crashing_pod();
        pod.containers[0].resources.limits.cpu_millis = limit.and_then(quantity::parse_cpu_millis);
        pod.meta.annotations.insert(
            "kubernetes.io/limit-ranger".into(),
            "LimitRanger plugin set: cpu, memory limit for container controller".into(),
        );
        b.add_pod(pod);
        if timeouts {
            b.add_event(kubelet_event(
                "ctl-5d9c7f6b8-x2kqp",
                "Unhealthy",
                "Liveness probe failed: Get \"https://10.0.0.7:4443/livez\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                9,
            ));
            b.add_event(kubelet_event(
                "ctl-5d9c7f6b8-x2kqp",
                "Killing",
                "Container controller failed liveness probe, will be restarted",
                3,
            ));
        }
        b.finish()
    }

    #[test]
    fn a_tiny_defaulted_limit_with_probe_timeouts_is_starvation() {
        let d = diagnose(&evidence(Some("50m"), true), &DiagnoseOptions::default());
        let f = &d.workloads[0].findings;
        assert_eq!(f[0].cause, CauseId::CpuStarved, "{f:#?}");
        assert!(f[0].title.contains("50m"));
    }

    #[test]
    fn a_roomy_limit_or_no_slowness_says_nothing() {
        for ev in [evidence(Some("2"), true), evidence(Some("50m"), false)] {
            let d = diagnose(&ev, &DiagnoseOptions::default());
            let starved = d
                .workloads
                .iter()
                .flat_map(|w| &w.findings)
                .find(|f| f.cause == CauseId::CpuStarved);
            assert!(
                starved.is_none_or(|f| f.rules.iter().all(|r| *r != "cpu-limit")),
                "{starved:?}"
            );
        }
    }
}
