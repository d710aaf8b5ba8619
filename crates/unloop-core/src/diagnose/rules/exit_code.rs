//! Exit codes and termination reasons: what the way a container ended says.
//!
//! - `OOMKilled` (reason, or the STATUS of `kubectl get pods`): the memory
//!   limit, strongly; the limit and request are cited as context.
//! - 137/143/2 after liveness or startup kills: the kubelet stopped it (SIGKILL
//!   after the grace period, SIGTERM, or a Go PID 1 falling through to
//!   `exit(2)`), which speaks for the probe causes and against OOM.
//! - 137 with no kill and no OOM reason: a SIGKILL from elsewhere, often memory.
//! - 1 or 255 right after a fatal log line: the process exited on its own,
//!   because of what that line says (the literal rule ran first and recorded it).
//! - 126/127/128, `StartError`, `ContainerCannotRun`: the entrypoint cannot run.
//! - 0 (`Completed`) under `restartPolicy: Always`: the process ends by itself;
//!   with no kill events the probes did not do it.

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts;
use crate::diagnose::finding::{Citation, Signals};
use crate::evidence::quantity::format_bytes;
use crate::evidence::*;

/// See the module docs.
pub struct ExitCode;

const NAME: &str = "exit-code";

const PROBE_CAUSES: [CauseId; 2] = [
    CauseId::ProbeTimeoutUnderLoad,
    CauseId::StartupExceedsProbeBudget,
];

/// How one container last ended.
struct Ended<'a> {
    pod: &'a Pod,
    container: &'a Container,
    code: Option<i32>,
    reason: Option<&'a str>,
    source: Source,
}

impl Ended<'_> {
    fn describe(&self) -> String {
        let mut s = format!(
            "container {} of pod {} last ended",
            self.container.name, self.pod.meta.name
        );
        let mut sep = ":";
        if let Some(r) = self.reason {
            s.push_str(&format!("{sep} reason {r}"));
            sep = ",";
        }
        if let Some(c) = self.code {
            s.push_str(&format!("{sep} exit code {c}"));
        }
        s
    }
}

impl Rule for ExitCode {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let kills = facts::probe_kills(cx);
        let kill_count: u32 = kills.iter().map(|(_, e)| e.count.max(1)).sum();
        let events_known = !cx.events().is_empty();
        let kill_cite = kills.first().map(|(_, e)| {
            Citation::new(
                format!("event Killing (x{}): {}", e.count.max(1), e.message),
                e.source.clone(),
            )
        });
        let ended = ended(cx);
        let mut oom = false;
        for e in &ended {
            let cite = Citation::new(e.describe(), e.source.clone());
            match (e.reason, e.code) {
                (Some("OOMKilled"), _) => {
                    oom = true;
                    let limit = memory_limit(cx, &e.container.name);
                    let title = match limit {
                        Some(l) => format!(
                            "OOMKilled: container {} exceeds its memory limit of {}",
                            e.container.name,
                            format_bytes(l)
                        ),
                        None => format!(
                            "OOMKilled: container {} is killed for memory",
                            e.container.name
                        ),
                    };
                    out.support(NAME, CauseId::OomKilled, 0.9, cite.clone())
                        .titled(title);
                    oom_chain(cx, &e.container.name, out);
                    if kill_count == 0 && events_known {
                        for c in PROBE_CAUSES {
                            out.against(NAME, c, 0.35, cite.clone());
                        }
                    }
                }
                (_, Some(code @ (137 | 143 | 2))) if kill_count > 0 => {
                    let why = match code {
                        137 => "SIGKILL after the grace period",
                        143 => "SIGTERM",
                        _ => "SIGTERM to a Go PID 1 without a handler, which exits 2",
                    };
                    let text = format!(
                        "{}, after the kubelet killed it for failing its probe {kill_count} times: {why}",
                        e.describe()
                    );
                    for c in PROBE_CAUSES {
                        out.support(NAME, c, 0.25, Citation::new(text.clone(), e.source.clone()));
                    }
                    let mut against = vec![cite.clone()];
                    against.extend(kill_cite.clone());
                    for a in against {
                        out.against(NAME, CauseId::OomKilled, 0.6, a);
                    }
                }
                (_, Some(137)) => {
                    out.support(NAME, CauseId::OomKilled, 0.4, cite.clone())
                        .titled(format!(
                            "Exit code 137 (SIGKILL) without a probe kill: container {} is probably killed for memory",
                            e.container.name
                        ));
                    out.missing(
                        Some(CauseId::OomKilled),
                        "whether the kill was the OOM killer: the termination reason, and the node's SystemOOM/OOMKilling events",
                        format!(
                            "kubectl get pod{} {} -o jsonpath='{{.status.containerStatuses[?(@.name==\"{}\")].lastState.terminated}}'",
                            cx.ns_flag(),
                            e.pod.meta.name,
                            e.container.name
                        ),
                    );
                    oom = true;
                }
                (_, Some(139)) => {
                    out.support(NAME, CauseId::ApplicationPanic, 0.6, cite.clone())
                        .titled(
                            "Exit code 139: the process dies of a segmentation fault (SIGSEGV)",
                        );
                }
                (_, Some(134)) => {
                    out.support(NAME, CauseId::ApplicationPanic, 0.45, cite.clone())
                        .titled("Exit code 134: the process aborts (SIGABRT)");
                }
                (Some("StartError" | "ContainerCannotRun"), _) | (_, Some(126..=128)) => {
                    let weight = match (e.reason, e.code) {
                        (_, Some(127)) => 0.6,
                        (Some("StartError" | "ContainerCannotRun"), _) => 0.55,
                        _ => 0.45,
                    };
                    let what = match e.code {
                        Some(127) => "127: command not found",
                        Some(126) => "126: command found but not executable",
                        _ => "128: the runtime could not start the process",
                    };
                    // A literal message already says what failed; this only adds the exit.
                    let literal_other = out
                        .get_fact("literal.final.cause")
                        .is_some_and(|c| c != CauseId::ExecFormatError.as_str());
                    let weight = if literal_other { 0.2 } else { weight };
                    out.support(NAME, CauseId::ExecFormatError, weight, cite.clone())
                        .titled(format!(
                            "The container cannot start its entrypoint (exit code {what})"
                        ));
                }
                (_, Some(0)) if always_restarts(cx, e.pod) => {
                    completed(cx, e, kill_count, events_known, out);
                }
                (_, Some(code)) if code != 0 => {
                    literal_exit(e, code, kill_count, events_known, out);
                    if !matches!(code, 137 | 143) {
                        out.against(NAME, CauseId::OomKilled, 0.35, cite.clone());
                    }
                }
                _ => {}
            }
        }
        for p in cx.pods() {
            let Some(row) = &p.row else { continue };
            let status = row.status.trim_start_matches("Init:");
            let cite = Citation::new(
                format!(
                    "kubectl get pods: {} STATUS {} RESTARTS {}",
                    p.meta.name, row.status, row.restarts
                ),
                row.source.clone(),
            );
            match status {
                "OOMKilled" => {
                    oom = true;
                    out.support(NAME, CauseId::OomKilled, 0.8, cite).titled(
                        "OOMKilled: the container is killed for exceeding its memory limit",
                    );
                    if ended.is_empty() {
                        let name =
                            p.containers.first().map(|c| c.name.clone()).or_else(|| {
                                cx.troubled_containers().first().map(|s| (*s).to_owned())
                            });
                        if let Some(n) = name {
                            oom_chain(cx, &n, out);
                        }
                    }
                }
                "StartError" | "ContainerCannotRun" | "RunContainerError" => {
                    out.support(NAME, CauseId::ExecFormatError, 0.4, cite);
                }
                "Completed" if row.restarts > 0 && kill_count == 0 && events_known => {
                    for c in PROBE_CAUSES {
                        out.against(NAME, c, 0.3, cite.clone());
                    }
                }
                _ => {}
            }
        }
        if oom || out.supports(CauseId::OomKilled) {
            memory_context(cx, out);
        }
    }
}

/// Each container's last end: `lastState.terminated`, else a terminated `state`.
fn ended<'a>(cx: &Context<'a>) -> Vec<Ended<'a>> {
    cx.containers()
        .filter_map(|(pod, c)| {
            let t = [c.last_state.as_ref(), c.state.as_ref()]
                .into_iter()
                .flatten()
                .find(|s| matches!(s, ContainerState::Terminated { .. }))?;
            let ContainerState::Terminated {
                reason, exit_code, ..
            } = t
            else {
                return None;
            };
            let source = pod.container_source(c);
            Some(Ended {
                pod,
                container: c,
                code: *exit_code,
                reason: reason.as_deref(),
                source,
            })
        })
        .collect()
}

fn always_restarts(cx: &Context<'_>, pod: &Pod) -> bool {
    match pod.restart_policy.as_deref() {
        Some(p) => p == "Always",
        // Deployments, StatefulSets, DaemonSets and ReplicaSets allow nothing else.
        None => cx
            .subject
            .workload
            .as_ref()
            .is_some_and(|w| w.kind != "Job" && w.kind != "Pod"),
    }
}

/// Exit 0 under `restartPolicy: Always`: the process ends by itself, and the
/// kubelet starts it again forever.
fn completed(
    cx: &Context<'_>,
    e: &Ended<'_>,
    kill_count: u32,
    events_known: bool,
    out: &mut Signals,
) {
    let cite = Citation::new(
        format!(
            "{}: the process ends by itself, and restartPolicy Always starts it again",
            e.describe()
        ),
        e.source.clone(),
    );
    if kill_count > 0 {
        // A graceful shutdown after a liveness kill also exits 0.
        return;
    }
    if events_known {
        for c in PROBE_CAUSES {
            out.against(NAME, c, 0.4, cite.clone());
        }
    }
    out.support(NAME, CauseId::BadConfig, 0.2, cite).titled(
        "The process exits with code 0 on its own (a one-shot command or wrong arguments under restartPolicy Always)",
    );
    out.missing(
        None,
        "what the process printed before ending on its own",
        format!(
            "kubectl logs --previous{} {} -c {}",
            cx.ns_flag(),
            e.pod.meta.name,
            e.container.name
        ),
    );
}

/// A non-zero exit the process chose (1, 255, ...): it follows what its last
/// fatal line says.
fn literal_exit(e: &Ended<'_>, code: i32, kill_count: u32, events_known: bool, out: &mut Signals) {
    let final_cause = out
        .get_fact("literal.final.cause")
        .and_then(|c| c.parse::<CauseId>().ok());
    let container_matches = out
        .get_fact("literal.final.container")
        .is_none_or(|c| c == e.container.name);
    let how = match code {
        255 => " (as klog.Fatal does)",
        1 => " (as log.Fatal, zap's Fatal and os.Exit(1) do)",
        2 => " (as a Go panic or a flag parse error does)",
        _ => "",
    };
    if let (Some(cause), true) = (final_cause, container_matches) {
        let at = out
            .get_fact("literal.final.source")
            .unwrap_or("the log")
            .to_owned();
        let quote = out.get_fact("literal.final.text").unwrap_or("").to_owned();
        out.support(
            NAME,
            cause,
            0.35,
            Citation::new(
                format!(
                    "{}{how} right after the fatal message \"{quote}\" at {at}",
                    e.describe()
                ),
                e.source.clone(),
            ),
        );
        if kill_count == 0 && events_known {
            // The process chose to exit; nothing killed it.
            for c in PROBE_CAUSES {
                out.against(
                    NAME,
                    c,
                    0.3,
                    Citation::new(
                        format!("{}: the process exits on its own after \"{quote}\", with no probe kill", e.describe()),
                        e.source.clone(),
                    ),
                );
            }
        }
    } else if code == 2 && kill_count == 0 {
        out.support(
            NAME,
            CauseId::ApplicationPanic,
            0.2,
            Citation::new(format!("{}{how}", e.describe()), e.source.clone()),
        );
    }
}

fn memory_limit(cx: &Context<'_>, container: &str) -> Option<u64> {
    cx.containers()
        .filter(|(_, c)| c.name == container)
        .find_map(|(_, c)| c.resources.limits.memory_bytes)
        .or_else(|| cx.container_spec(container)?.resources.limits.memory_bytes)
}

fn oom_chain(cx: &Context<'_>, container: &str, out: &mut Signals) {
    let limit = memory_limit(cx, container)
        .map(|l| format!("its memory limit of {}", format_bytes(l)))
        .unwrap_or_else(|| "its memory limit (or the node's memory)".to_owned());
    out.chain(
        CauseId::OomKilled,
        0,
        format!("container {container} needs more memory than {limit}"),
    );
    out.chain(
        CauseId::OomKilled,
        3,
        "the kernel's OOM killer kills it (SIGKILL, exit code 137, reason OOMKilled)",
    );
    out.chain(
        CauseId::OomKilled,
        4,
        "the kubelet restarts it and backs off: CrashLoopBackOff",
    );
}

/// The memory limit and request, and live usage against the limit, as context.
fn memory_context(cx: &Context<'_>, out: &mut Signals) {
    let mut seen: Vec<&str> = Vec::new();
    for (pod, c) in cx.containers() {
        if seen.contains(&c.name.as_str()) {
            continue;
        }
        let spec = cx.container_spec(&c.name).unwrap_or(c);
        let limits = if c.resources.limits.memory_bytes.is_some() {
            c.resources
        } else {
            spec.resources
        };
        let Some(limit) = limits.limits.memory_bytes else {
            continue;
        };
        seen.push(&c.name);
        let src = spec
            .source
            .clone()
            .unwrap_or_else(|| pod.container_source(c));
        let request = limits
            .requests
            .memory_bytes
            .map(|r| format!(", request {}", format_bytes(r)))
            .unwrap_or_default();
        out.fact(format!("memory.limit.{}", c.name), limit);
        out.support(
            NAME,
            CauseId::OomKilled,
            0.1,
            Citation::new(
                format!(
                    "container {}: memory limit {}{request}",
                    c.name,
                    format_bytes(limit)
                ),
                src.clone(),
            ),
        );
        if let Some(used) = c
            .usage
            .and_then(|u| u.memory_bytes)
            .filter(|u| u.saturating_mul(10) >= limit.saturating_mul(9))
        {
            out.support(
                NAME,
                CauseId::OomKilled,
                0.35,
                Citation::new(
                    format!(
                        "container {} uses {} of its {} memory limit (kubectl top)",
                        c.name,
                        format_bytes(used),
                        format_bytes(limit)
                    ),
                    src,
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{CauseId, DiagnoseOptions, Finding, diagnose};
    use crate::evidence::*;

    fn terminated(reason: &str, code: i32) -> ContainerState {
        ContainerState::Terminated {
            reason: Some(reason.into()),
            message: None,
            exit_code: Some(code),
            signal: None,
            started: None,
            finished: None,
        }
    }

    fn evidence(
        reason: &str,
        code: i32,
        limit: Option<u64>,
        events: &[(&str, &str, u32)],
        log: &[(Severity, &str)],
    ) -> Evidence {
        let mut b = EvidenceBuilder::new();
        let mut pod = crashing_pod();
        pod.containers[0].last_state = Some(terminated(reason, code));
        pod.containers[0].resources.limits.memory_bytes = limit;
        pod.containers[0].resources.requests.memory_bytes = limit.map(|l| l / 5);
        b.add_pod(pod);
        for (r, m, n) in events {
            b.add_event(kubelet_event("ctl-5d9c7f6b8-x2kqp", r, m, *n));
        }
        if !log.is_empty() {
            b.add_log(previous_log_lines(LogFormat::KlogText, log));
        }
        b.finish()
    }

    fn findings(ev: &Evidence) -> Vec<Finding> {
        diagnose(ev, &DiagnoseOptions::default()).workloads[0]
            .findings
            .clone()
    }

    fn get(fs: &[Finding], c: CauseId) -> Option<&Finding> {
        fs.iter().find(|f| f.cause == c)
    }

    const KILL: (&str, &str, u32) = (
        "Killing",
        "Container controller failed liveness probe, will be restarted",
        4,
    );
    const UNHEALTHY: (&str, &str, u32) = (
        "Unhealthy",
        r#"Liveness probe failed: Get "http://10.244.1.7:8080/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#,
        20,
    );

    #[test]
    fn oomkilled_ranks_first_and_cites_the_limit() {
        let ev = evidence("OOMKilled", 137, Some(100 << 20), &[], &[]);
        let fs = findings(&ev);
        assert_eq!(fs[0].cause, CauseId::OomKilled);
        assert!(fs[0].score >= 0.85, "{}", fs[0].score);
        assert!(fs[0].title.contains("100Mi"), "{}", fs[0].title);
        assert!(
            fs[0]
                .evidence
                .iter()
                .any(|c| c.text.contains("memory limit 100Mi, request 20Mi")),
            "{:?}",
            fs[0].evidence
        );
        assert!(fs[0].chain.iter().any(|c| c.contains("exit code 137")));
    }

    #[test]
    fn exit_137_after_liveness_kills_is_not_oom() {
        let ev = evidence("Error", 137, Some(400 << 20), &[KILL, UNHEALTHY], &[]);
        let fs = findings(&ev);
        assert_ne!(fs[0].cause, CauseId::OomKilled, "{fs:#?}");
        if let Some(o) = get(&fs, CauseId::OomKilled) {
            assert!(!o.against.is_empty());
            assert!(o.score < 0.2);
        }
        let p = get(&fs, CauseId::ProbeTimeoutUnderLoad).expect("probe cause supported");
        assert!(p.rules.contains(&"exit-code"), "{:?}", p.rules);
    }

    #[test]
    fn exit_137_without_kills_leans_to_oom() {
        let ev = evidence(
            "Error",
            137,
            None,
            &[("BackOff", "Back-off restarting failed container", 9)],
            &[],
        );
        let fs = findings(&ev);
        let o = get(&fs, CauseId::OomKilled).expect("oom suggested");
        assert!(o.score >= 0.35 && o.score < 0.6, "{}", o.score);
        assert!(
            o.missing
                .iter()
                .any(|m| m.command.contains("lastState.terminated"))
        );
    }

    #[test]
    fn exit_1_after_a_fatal_line_supports_the_literal_cause() {
        let ev = evidence(
            "Error",
            1,
            None,
            &[("BackOff", "Back-off restarting failed container", 9)],
            &[(
                Severity::Error,
                r#"problem running manager: secrets is forbidden: User "system:serviceaccount:ns:ctl" cannot list resource "secrets" in API group "" at the cluster scope"#,
            )],
        );
        let fs = findings(&ev);
        assert_eq!(fs[0].cause, CauseId::RbacForbidden);
        assert!(fs[0].rules.contains(&"exit-code"), "{:?}", fs[0].rules);
        assert!(
            fs[0]
                .evidence
                .iter()
                .any(|c| c.text.contains("exit code 1")),
            "{:?}",
            fs[0].evidence
        );
        // Exit 1 is not an OOM kill.
        assert!(get(&fs, CauseId::OomKilled).is_none());
    }

    #[test]
    fn exit_1_without_a_fatal_line_supports_nothing() {
        let ev = evidence("Error", 1, None, &[], &[(Severity::Info, "starting")]);
        let fs = findings(&ev);
        assert!(
            fs.iter()
                .all(|f| !f.rules.contains(&"exit-code") || f.evidence.is_empty())
        );
    }

    #[test]
    fn start_errors_are_exec_problems() {
        for (reason, code) in [
            ("StartError", 128),
            ("Error", 127),
            ("ContainerCannotRun", 126),
        ] {
            let ev = evidence(reason, code, None, &[], &[]);
            let fs = findings(&ev);
            assert_eq!(fs[0].cause, CauseId::ExecFormatError, "{reason} {code}");
        }
        // Exit 1 is the program's own choice, not a start failure.
        let ev = evidence("Error", 1, None, &[], &[]);
        assert!(get(&findings(&ev), CauseId::ExecFormatError).is_none());
    }

    #[test]
    fn completed_under_restart_always_weakens_probe_kills() {
        let ev = evidence(
            "Completed",
            0,
            None,
            &[
                UNHEALTHY,
                ("BackOff", "Back-off restarting failed container", 9),
            ],
            &[],
        );
        let fs = findings(&ev);
        if let Some(p) = get(&fs, CauseId::ProbeTimeoutUnderLoad) {
            assert!(
                p.against.iter().any(|c| c.text.contains("ends by itself")),
                "{:?}",
                p.against
            );
        }
        let with_kill = evidence("Completed", 0, None, &[UNHEALTHY, KILL], &[]);
        let fs2 = findings(&with_kill);
        if let Some(p) = get(&fs2, CauseId::ProbeTimeoutUnderLoad) {
            assert!(p.against.iter().all(|c| !c.text.contains("ends by itself")));
        }
        let b = get(&fs, CauseId::BadConfig).expect("exit 0 reported");
        assert!(b.title.contains("code 0"));
    }

    #[test]
    fn pods_table_oomkilled_supports_oom() {
        let mut b = EvidenceBuilder::new();
        b.add_pod(Pod {
            meta: Meta {
                namespace: Some("asm-system".into()),
                name: "canonical-service-controller-manager-cd6c66569b-tdqnx".into(),
                ..Default::default()
            },
            row: Some(PodRow {
                ready: Some((1, 2)),
                status: "OOMKilled".into(),
                restarts: 1,
                last_restart: None,
                source: Source::new("other.txt").at_line(3),
            }),
            sources: vec![Source::new("other.txt").at_line(3)],
            ..Default::default()
        });
        let ev = b.finish();
        let fs = findings(&ev);
        assert_eq!(fs[0].cause, CauseId::OomKilled);
        assert!(fs[0].evidence[0].source.to_string().contains("other.txt:3"));
    }

    #[test]
    fn memory_usage_near_the_limit_adds_support() {
        let mut ev = evidence("Error", 137, Some(256 << 20), &[], &[]);
        let base = get(&findings(&ev), CauseId::OomKilled).unwrap().score;
        ev.pods[0].containers[0].usage = Some(ResourceAmounts {
            cpu_millis: None,
            memory_bytes: Some(250 << 20),
        });
        let more = get(&findings(&ev), CauseId::OomKilled).unwrap().score;
        assert!(more > base, "{more} vs {base}");
    }
}
