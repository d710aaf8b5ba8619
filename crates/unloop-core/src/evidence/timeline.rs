//! The merged timeline of the moments that matter: container starts and
//! terminations, probe failures, kills, back-offs, lease changes, node condition
//! changes, and the first and last log line of each container run.
//!
//! Items with absolute times are ordered by time. Items known only relative to
//! an output whose moment is unknown are ordered by age among themselves and
//! placed after the absolute ones (the report says they are relative).

use jiff::Timestamp;
use serde::Serialize;

use super::model::*;
use super::source::Source;
use super::time::TimeRef;

/// What happened at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentKind {
    ContainerStarted,
    ContainerTerminated,
    ProbeFailed,
    Killed,
    BackOff,
    OomKilled,
    Scheduled,
    Evicted,
    LeaseAcquired,
    LeaseRenewed,
    NodeCondition,
    NodeEvent,
    LogFirst,
    LogLast,
    /// Any other warning event.
    Warning,
}

/// One moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moment {
    pub at: TimeRef,
    /// `at` as an absolute instant, when it can be resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Timestamp>,
    pub kind: MomentKind,
    /// What it is about: `Pod ns/name [container]`, `Node n`, `Lease ns/name`.
    pub subject: String,
    pub detail: String,
    pub source: Source,
}

/// Builds the timeline of everything in the evidence.
pub fn timeline(ev: &Evidence) -> Vec<Moment> {
    let mut out = Vec::new();
    let mut push =
        |at: Option<TimeRef>, kind: MomentKind, subject: String, detail: String, source: Source| {
            if let Some(at) = at {
                out.push(Moment {
                    resolved: ev.resolve(&at),
                    at,
                    kind,
                    subject,
                    detail,
                    source,
                });
            }
        };

    for pod in &ev.pods {
        let pod_name = pod.object_ref().to_string();
        for c in &pod.containers {
            let subject = format!("{pod_name} [{}]", c.name);
            let csrc = pod.container_source(c);
            for (state, label) in [(&c.last_state, "previous run"), (&c.state, "current run")] {
                match state {
                    Some(ContainerState::Running { started }) => push(
                        *started,
                        MomentKind::ContainerStarted,
                        subject.clone(),
                        format!("{label} started"),
                        csrc.clone(),
                    ),
                    Some(ContainerState::Terminated {
                        reason,
                        exit_code,
                        started,
                        finished,
                        ..
                    }) => {
                        push(
                            *started,
                            MomentKind::ContainerStarted,
                            subject.clone(),
                            format!("{label} started"),
                            csrc.clone(),
                        );
                        let oom = reason.as_deref() == Some("OOMKilled");
                        push(
                            *finished,
                            if oom {
                                MomentKind::OomKilled
                            } else {
                                MomentKind::ContainerTerminated
                            },
                            subject.clone(),
                            format!(
                                "{label} terminated: {} (exit code {})",
                                reason.as_deref().unwrap_or("?"),
                                exit_code.map_or("?".to_owned(), |c| c.to_string())
                            ),
                            csrc.clone(),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    for e in &ev.events {
        let kind = match (e.reason.as_str(), e.message.as_str()) {
            ("Unhealthy", _) => MomentKind::ProbeFailed,
            ("Killing", m) if m.contains("failed") && m.contains("probe") => MomentKind::Killed,
            ("BackOff", m) if m.contains("restarting") => MomentKind::BackOff,
            ("OOMKilling" | "SystemOOM", _) => MomentKind::OomKilled,
            ("Scheduled", _) => MomentKind::Scheduled,
            ("Evicted" | "TaintManagerEviction", _) => MomentKind::Evicted,
            ("Started", _) => MomentKind::ContainerStarted,
            _ if e.object.kind == "Node" && e.is_warning() => MomentKind::NodeEvent,
            (
                "NodeNotReady"
                | "NodeReady"
                | "Rebooted"
                | "NodeHasDiskPressure"
                | "NodeHasInsufficientMemory",
                _,
            ) => MomentKind::NodeEvent,
            _ if e.is_warning() => MomentKind::Warning,
            _ => continue,
        };
        let subject = match e.container() {
            Some(c) => format!("{} [{c}]", e.object),
            None => e.object.to_string(),
        };
        let times = if e.count > 1 {
            format!(
                " (x{} since {})",
                e.count,
                e.first_seen.map_or("?".to_owned(), |t| t.to_string())
            )
        } else {
            String::new()
        };
        push(
            e.last_seen.or(e.first_seen),
            kind,
            subject,
            format!("{}: {}{times}", e.reason, e.message),
            e.source.clone(),
        );
    }

    for l in &ev.leases {
        let subject = format!(
            "Lease {}/{}",
            l.meta.namespace.as_deref().unwrap_or(""),
            l.meta.name
        );
        let holder = l.holder.as_deref().unwrap_or("<none>");
        push(
            l.acquire_time.map(TimeRef::At),
            MomentKind::LeaseAcquired,
            subject.clone(),
            format!(
                "acquired by {holder}; {} transitions",
                l.transitions.unwrap_or(0)
            ),
            l.source.clone(),
        );
        // A lease renewed on time is routine; one left to expire is a moment.
        let stale = ev.lease_expired(l).unwrap_or(true);
        push(
            l.renew_time.filter(|_| stale).map(TimeRef::At),
            MomentKind::LeaseRenewed,
            subject,
            format!(
                "last renewed by {holder} (duration {})",
                l.duration_seconds
                    .map_or("unknown".to_owned(), |d| format!("{d}s"))
            ),
            l.source.clone(),
        );
    }

    for n in &ev.nodes {
        let src = n.source();
        for c in &n.conditions {
            // Only conditions that say something is wrong, or that recently changed.
            let healthy = match c.kind.as_str() {
                "Ready" => c.is_true(),
                _ => !c.is_true(),
            };
            if healthy {
                continue;
            }
            push(
                c.last_transition,
                MomentKind::NodeCondition,
                format!("Node {}", n.meta.name),
                format!(
                    "{}={} {}{}",
                    c.kind,
                    c.status,
                    c.reason.as_deref().unwrap_or(""),
                    c.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
                src.clone(),
            );
        }
    }

    for l in &ev.logs {
        let subject = match (&l.pod, &l.container) {
            (Some(p), Some(c)) => format!("{p} [{c}]"),
            (Some(p), None) => p.to_string(),
            _ => l.source.origin.to_string(),
        };
        let run = match l.run {
            ContainerRun::Previous => "previous run",
            ContainerRun::Current => "current run",
            ContainerRun::Unknown => "log",
        };
        let first = l.records.iter().find(|r| r.time.is_some());
        let last = l.records.iter().rev().find(|r| r.time.is_some());
        if let Some(r) = first {
            push(
                r.time.map(TimeRef::At),
                MomentKind::LogFirst,
                subject.clone(),
                format!("{run}: first log line: {}", truncate(&r.message, 100)),
                l.record_source(r),
            );
        }
        if let Some(r) = last
            && Some(r.line) != first.map(|f| f.line)
        {
            push(
                r.time.map(TimeRef::At),
                MomentKind::LogLast,
                subject,
                format!("{run}: last log line: {}", truncate(&r.message, 100)),
                l.record_source(r),
            );
        }
    }

    out.sort_by(|a, b| match (a.resolved, b.resolved) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.kind.cmp(&b.kind)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => match (a.at, b.at) {
            (TimeRef::Ago { ago: x, anchor: ax }, TimeRef::Ago { ago: y, anchor: ay }) => {
                ax.cmp(&ay).then(y.cmp(&x))
            }
            _ => std::cmp::Ordering::Equal,
        },
    });
    out
}

fn truncate(s: &str, n: usize) -> String {
    let first_line = s.lines().next().unwrap_or("");
    if first_line.chars().count() <= n {
        first_line.to_owned()
    } else {
        let mut t: String = first_line.chars().take(n).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::EvidenceBuilder;
    use std::time::Duration;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn orders_absolute_then_relative_and_resolves_pinned_anchors() {
        let mut b = EvidenceBuilder::new();
        let pinned = b.new_anchor();
        let loose = b.new_anchor();
        b.set_anchor(pinned, ts("2024-04-12T10:00:00Z"), false);
        let ev_at = |reason: &str, at: TimeRef| Event {
            object: ObjectRef::new("Pod", Some("ns"), "p"),
            field_path: Some("spec.containers{c}".into()),
            kind: "Warning".into(),
            reason: reason.into(),
            message: format!("{reason} restarting failed container"),
            reporter: None,
            host: None,
            count: 1,
            first_seen: None,
            last_seen: Some(at),
            source: Source::new("x"),
        };
        b.add_event(ev_at(
            "BackOff",
            TimeRef::Ago {
                ago: Duration::from_secs(60),
                anchor: pinned,
            },
        ));
        b.add_event(ev_at("Unhealthy", TimeRef::At(ts("2024-04-12T09:58:00Z"))));
        b.add_event(ev_at(
            "Failed",
            TimeRef::Ago {
                ago: Duration::from_secs(10),
                anchor: loose,
            },
        ));
        b.add_event(ev_at(
            "Other",
            TimeRef::Ago {
                ago: Duration::from_secs(30),
                anchor: loose,
            },
        ));
        let mut ev = b.finish();
        // The loose anchor has no time: its items stay relative.
        ev.anchors[loose.0 as usize].at = None;
        let t = timeline(&ev);
        let kinds: Vec<_> = t
            .iter()
            .map(|m| m.detail.split(':').next().unwrap().to_owned())
            .collect();
        assert_eq!(kinds, ["Unhealthy", "BackOff", "Other", "Failed"]);
        assert_eq!(t[1].resolved, Some(ts("2024-04-12T09:59:00Z")));
        assert_eq!(t[0].kind, MomentKind::ProbeFailed);
        assert_eq!(t[1].kind, MomentKind::BackOff);
        assert!(t[0].subject.ends_with("[c]"));
    }

    #[test]
    fn container_runs_and_healthy_nodes() {
        let mut b = EvidenceBuilder::new();
        b.add_pod(Pod {
            meta: Meta {
                namespace: Some("ns".into()),
                name: "p".into(),
                ..Default::default()
            },
            containers: vec![Container {
                name: "c".into(),
                last_state: Some(ContainerState::Terminated {
                    reason: Some("OOMKilled".into()),
                    message: None,
                    exit_code: Some(137),
                    signal: None,
                    started: Some(TimeRef::At(ts("2024-04-12T09:00:00Z"))),
                    finished: Some(TimeRef::At(ts("2024-04-12T09:00:31Z"))),
                }),
                ..Default::default()
            }],
            ..Default::default()
        });
        b.add_node(Node {
            meta: Meta {
                name: "n".into(),
                ..Default::default()
            },
            conditions: vec![Condition {
                kind: "Ready".into(),
                status: "True".into(),
                reason: None,
                message: None,
                last_transition: Some(TimeRef::At(ts("2024-04-12T08:00:00Z"))),
                last_heartbeat: None,
            }],
            ..Default::default()
        });
        let t = timeline(&b.finish());
        assert_eq!(t.len(), 2, "{t:#?}");
        assert_eq!(t[1].kind, MomentKind::OomKilled);
        assert!(t[1].detail.contains("exit code 137"));
    }
}
