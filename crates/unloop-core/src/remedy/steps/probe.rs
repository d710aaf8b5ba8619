//! Steps for the probe causes (`probe-timeout-under-load`,
//! `startup-exceeds-probe-budget`): recover with one replica, then scale back;
//! and probe/resource settings that stop a recurrence.

use crate::diagnose::finding::{Finding, Signals};
use crate::diagnose::{CauseId, Context};
use crate::evidence::quantity::format_cpu;
use crate::evidence::{Container, Probe, ProbeHandler, ProbeKind};
use crate::remedy::plan::{Action, Phase, PlanStep};

/// How long a recovered workload must stay ready before scaling back.
pub const STABLE_SECONDS: u64 = 300;

/// The workload a step acts on: kind, namespace, name.
struct Target {
    kind: String,
    namespace: String,
    name: String,
    resource: &'static str,
}

fn target(cx: &Context<'_>) -> Option<Target> {
    let w = cx.subject.workload.as_ref()?;
    let resource = match w.kind.as_str() {
        "Deployment" => "deployment",
        "StatefulSet" => "statefulset",
        _ => return None,
    };
    Some(Target {
        kind: w.kind.clone(),
        namespace: w
            .namespace
            .clone()
            .or_else(|| cx.pods().find_map(|p| p.meta.namespace.clone()))?,
        name: w.name.clone(),
        resource,
    })
}

/// Steps for one probe finding.
pub fn steps(cx: &Context<'_>, f: &Finding, signals: &Signals) -> Vec<PlanStep> {
    let mut out = Vec::new();
    let Some(t) = target(cx) else {
        return out;
    };
    let replicas = cx
        .workload()
        .and_then(|w| w.replicas)
        .unwrap_or(cx.subject.pods.len() as u32);
    if replicas > 1 {
        out.extend(staged_recovery(cx, &t, replicas));
    }
    if let Some((container, probe)) = cx.probe(ProbeKind::Liveness) {
        let spec = cx.container_spec(container);
        if let Some(s) = prevention(f.cause, &t, container, probe, spec, signals) {
            out.push(s);
        }
    }
    out
}

fn staged_recovery(cx: &Context<'_>, t: &Target, replicas: u32) -> Vec<PlanStep> {
    let res = format!("{}/{}", t.resource, t.name);
    let ns = &t.namespace;
    let leader = cx.component.is_some_and(|c| c.leader_elected);
    let operator_note = if cx.component.is_some_and(|c| c.name.starts_with("Knative")) {
        " If the Knative Operator manages this Deployment, set the replicas in the KnativeServing resource (spec.workloads or spec.high-availability.replicas) instead, or it will undo the change."
    } else {
        ""
    };
    let why_one = format!(
        "Every replica lists and caches everything it watches when it starts{}, so {replicas} restarting replicas multiply the load on the API server and on their nodes. One replica can finish starting; once it is stable it holds the lease and does all the work.{operator_note}",
        if leader {
            " (even the ones that will not lead)"
        } else {
            ""
        }
    );
    let selector = cx
        .workload()
        .map(|w| {
            w.selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|s| !s.is_empty())
        .map(|s| format!(" -l {s}"))
        .unwrap_or_default();
    vec![
        PlanStep::new(
            Phase::Recover,
            CauseId::ProbeTimeoutUnderLoad,
            format!("Scale {} to 1 replica while it recovers", t.name),
            why_one,
            Action::Scale {
                kind: t.kind.clone(),
                namespace: ns.clone(),
                name: t.name.clone(),
                replicas: 1,
            },
        )
        .command(format!("kubectl scale {res} -n {ns} --replicas=1"))
        .verify(format!("kubectl get {res} -n {ns} shows 1 replica")),
        PlanStep::new(
            Phase::Recover,
            CauseId::ProbeTimeoutUnderLoad,
            format!("Restart {} so the remaining replica starts fresh", t.name),
            "A container in CrashLoopBackOff waits up to 5 minutes between restarts, and the replica left may be one that has been failing since before the load was relieved. A fresh pod starts now, on a healthy node.",
            Action::RolloutRestart {
                kind: t.kind.clone(),
                namespace: ns.clone(),
                name: t.name.clone(),
            },
        )
        .command(format!("kubectl rollout restart {res} -n {ns}"))
        .verify(format!("kubectl rollout status {res} -n {ns} reports the rollout complete")),
        PlanStep::new(
            Phase::Recover,
            CauseId::ProbeTimeoutUnderLoad,
            format!(
                "Wait until {} stays ready for {} minutes with no restarts",
                t.name,
                STABLE_SECONDS / 60
            ),
            "Scaling back too early brings the load back before the first replica has settled.",
            Action::WaitStable {
                kind: t.kind.clone(),
                namespace: ns.clone(),
                name: t.name.clone(),
                seconds: STABLE_SECONDS,
            },
        )
        .command(format!(
            "kubectl rollout status {res} -n {ns} --timeout=10m"
        ))
        .command(format!("kubectl get pods -n {ns}{selector} -w"))
        .verify(format!(
            "READY 1/1 and RESTARTS unchanged for {} minutes{}",
            STABLE_SECONDS / 60,
            if leader {
                "; the leader Lease is held and its renewTime keeps moving"
            } else {
                ""
            }
        )),
        PlanStep::new(
            Phase::Recover,
            CauseId::ProbeTimeoutUnderLoad,
            format!("Scale {} back to {replicas} replicas", t.name),
            "Restores high availability once the first replica is stable.",
            Action::Scale {
                kind: t.kind.clone(),
                namespace: ns.clone(),
                name: t.name.clone(),
                replicas,
            },
        )
        .command(format!("kubectl scale {res} -n {ns} --replicas={replicas}"))
        .verify(format!(
            "kubectl get {res} -n {ns} shows {replicas}/{replicas} READY and no new restarts"
        )),
    ]
}

/// Steps for `cpu-starved`: give the starved containers room to run.
pub fn cpu_steps(cx: &Context<'_>, f: &Finding) -> Vec<PlanStep> {
    let Some(t) = target(cx) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (pod, c) in cx.containers() {
        let spec = cx.container_spec(&c.name).unwrap_or(c);
        let Some(limit) = spec.resources.limits.cpu_millis else {
            continue;
        };
        if seen.contains(&c.name) {
            continue;
        }
        seen.push(c.name.clone());
        let new_limit = (limit * 4).max(1000).div_ceil(100) * 100;
        let new_request = spec
            .resources
            .requests
            .cpu_millis
            .unwrap_or(0)
            .max(new_limit / 5)
            .div_ceil(10)
            * 10;
        let defaulted = pod
            .meta
            .annotations
            .get("kubernetes.io/limit-ranger")
            .is_some_and(|a| a.contains("cpu"));
        let patch = format!(
            "spec:\n  template:\n    spec:\n      containers:\n      - name: {}\n        resources:\n          limits:\n            cpu: {}\n          requests:\n            cpu: {}\n",
            c.name,
            format_cpu(new_limit),
            format_cpu(new_request)
        );
        let mut step = PlanStep::new(
            Phase::Relieve,
            f.cause,
            format!(
                "Raise {}'s CPU limit from {} to {}",
                c.name,
                format_cpu(limit),
                format_cpu(new_limit)
            ),
            format!(
                "The container is throttled at {} CPU, so it cannot answer probes or keep up with its work.{}",
                format_cpu(limit),
                if defaulted {
                    " The limit came from a LimitRange default: an explicit limit in the manifest overrides it (or exempt the namespace)."
                } else {
                    ""
                }
            ),
            Action::patch_workload(&t.kind, &t.namespace, &t.name, patch.clone()),
        )
        .command(format!(
            "kubectl set resources {}/{} -n {} -c {} --limits=cpu={} --requests=cpu={}",
            t.resource,
            t.name,
            t.namespace,
            c.name,
            format_cpu(new_limit),
            format_cpu(new_request)
        ))
        .patch(patch)
        .verify(format!(
            "kubectl top pod -n {} --containers shows {} below its new limit, and liveness failures stop",
            t.namespace, c.name
        ));
        if defaulted {
            step = step.command(format!("kubectl get limitrange -n {} -o yaml", t.namespace));
        }
        out.push(step);
    }
    out
}

fn handler_yaml(h: &ProbeHandler, indent: &str) -> String {
    match h {
        ProbeHandler::HttpGet {
            scheme, port, path, ..
        } => {
            let scheme = if scheme.eq_ignore_ascii_case("https") {
                format!("\n{indent}  scheme: HTTPS")
            } else {
                String::new()
            };
            format!("{indent}httpGet:\n{indent}  path: {path}\n{indent}  port: {port}{scheme}")
        }
        ProbeHandler::TcpSocket { port, .. } => {
            format!("{indent}tcpSocket:\n{indent}  port: {port}")
        }
        ProbeHandler::Grpc { port, .. } => format!("{indent}grpc:\n{indent}  port: {port}"),
        ProbeHandler::Exec { command } => {
            let items: Vec<String> = command
                .iter()
                .map(|c| format!("{indent}  - {c:?}"))
                .collect();
            format!("{indent}exec:\n{indent}  command:\n{}", items.join("\n"))
        }
    }
}

fn prevention(
    cause: CauseId,
    t: &Target,
    container: &str,
    probe: &Probe,
    spec: Option<&Container>,
    signals: &Signals,
) -> Option<PlanStep> {
    let ind = "        ";
    let mut body = String::new();
    let why;
    let title;
    match cause {
        CauseId::StartupExceedsProbeBudget => {
            let measured: u64 = signals
                .get_fact("startup.sync_s")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
                .max(probe.failure_budget().as_secs());
            // Cover twice the measured start-up, at least five minutes.
            let cover = (measured * 2).max(300);
            let period = u64::from(probe.period_seconds.max(1));
            let threshold = cover.div_ceil(period);
            title = format!(
                "Add a startupProbe to {container} covering {} min of start-up",
                cover / 60
            );
            why = format!(
                "Start-up takes longer than the liveness budget ({} s) and nothing protects it. A startupProbe holds the liveness probe off until the process answers once, so a slow informer sync is no longer killed.",
                probe.failure_budget().as_secs()
            );
            body.push_str(&format!(
                "{ind}startupProbe:\n{}\n{ind}  periodSeconds: {period}\n{ind}  failureThreshold: {threshold}\n",
                handler_yaml(&probe.handler, &format!("{ind}  "))
            ));
        }
        CauseId::ProbeTimeoutUnderLoad => {
            let timeout = probe.timeout_seconds.max(5);
            let failures = probe.failure_threshold.max(6) * 2;
            title = format!(
                "Give {container}'s liveness probe room: timeout {timeout} s, {failures} failures"
            );
            let cpu = spec.and_then(|c| c.resources.limits.cpu_millis);
            why = format!(
                "The probe gives up after {} s while the process is busy; a longer timeout and more tolerated failures keep a busy-but-alive process from being killed{}.",
                probe.timeout_seconds,
                if cpu.is_some() {
                    ", and a higher CPU limit lets it finish its work faster"
                } else {
                    ""
                }
            );
            body.push_str(&format!(
                "{ind}livenessProbe:\n{}\n{ind}  periodSeconds: {}\n{ind}  timeoutSeconds: {timeout}\n{ind}  failureThreshold: {failures}\n",
                handler_yaml(&probe.handler, &format!("{ind}  ")),
                probe.period_seconds
            ));
            if let Some(limit) = cpu {
                let raised = (limit * 3).max(1000).div_ceil(100) * 100;
                body.push_str(&format!(
                    "{ind}resources:\n{ind}  limits:\n{ind}    cpu: {}\n",
                    format_cpu(raised)
                ));
            }
        }
        _ => return None,
    }
    let patch = format!(
        "spec:\n  template:\n    spec:\n      containers:\n      - name: {container}\n{body}"
    );
    Some(
        PlanStep::new(
            Phase::Prevent,
            cause,
            title,
            format!("{why} GitOps users: make the same change in the manifest instead."),
            Action::patch_workload(&t.kind, &t.namespace, &t.name, patch.clone()),
        )
        .command(format!(
            "kubectl patch {} {} -n {} --type strategic --patch-file unloop-probe-patch.yaml",
            t.resource, t.name, t.namespace
        ))
        .patch(patch)
        .verify(format!(
            "kubectl get {} {} -n {} -o yaml shows the new settings, and the pods stop restarting",
            t.resource, t.name, t.namespace
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Source;

    fn probe() -> Probe {
        let mut p = Probe::with_defaults(
            ProbeHandler::HttpGet {
                scheme: "HTTP".into(),
                host: None,
                port: "probes".into(),
                path: "/health".into(),
            },
            Source::new("x"),
        );
        p.period_seconds = 5;
        p.failure_threshold = 6;
        p
    }

    fn target() -> Target {
        Target {
            kind: "Deployment".into(),
            namespace: "knative-serving".into(),
            name: "net-istio-controller".into(),
            resource: "deployment",
        }
    }

    #[test]
    fn startup_probe_covers_measured_startup() {
        let mut s = Signals::default();
        s.fact("startup.sync_s", 240);
        let step = prevention(
            CauseId::StartupExceedsProbeBudget,
            &target(),
            "controller",
            &probe(),
            None,
            &s,
        )
        .unwrap();
        let patch = step.patch.unwrap();
        // 2 × 240 s = 480 s at 5 s per probe.
        assert!(patch.contains("failureThreshold: 96"), "{patch}");
        assert!(patch.contains("startupProbe:"));
        assert!(patch.contains("path: /health"));
        assert!(patch.contains("- name: controller"));
    }

    #[test]
    fn timeout_patch_raises_timeout_failures_and_cpu() {
        let c = Container {
            name: "controller".into(),
            resources: crate::evidence::Resources {
                limits: crate::evidence::ResourceAmounts {
                    cpu_millis: Some(300),
                    memory_bytes: None,
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let step = prevention(
            CauseId::ProbeTimeoutUnderLoad,
            &target(),
            "controller",
            &probe(),
            Some(&c),
            &Signals::default(),
        )
        .unwrap();
        let patch = step.patch.unwrap();
        assert!(patch.contains("timeoutSeconds: 5"), "{patch}");
        assert!(patch.contains("failureThreshold: 12"));
        assert!(patch.contains("cpu: 1"), "{patch}");
        assert_eq!(step.phase, Phase::Prevent);
    }
}
