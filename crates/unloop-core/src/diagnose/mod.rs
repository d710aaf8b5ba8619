//! Diagnosis: find the troubled workloads, run the rules on each, rank the
//! causes and plan the remediation.

pub mod cause;
pub mod context;
pub mod facts;
pub mod finding;
pub mod knowledge;
pub mod rank;
pub mod rules;
pub mod subject;

use jiff::Timestamp;
use serde::Serialize;

pub use cause::CauseId;
pub use context::Context;
pub use finding::{Citation, Finding, Missing, Relation, Signals};
pub use subject::Subject;

use crate::evidence::{ContainerState, Evidence};
use crate::remedy::plan::{PlanStep, plan};

/// Version of the JSON schema of [`Diagnosis`] (see `docs/diagnosis-schema.md`).
pub const SCHEMA_VERSION: u32 = 1;

/// How to diagnose.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// The reference time; default: when the evidence was taken.
    pub now: Option<Timestamp>,
}

/// The diagnosis of everything in the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub schema_version: u32,
    /// When the evidence was taken (or the reference time used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<Timestamp>,
    pub workloads: Vec<WorkloadDiagnosis>,
}

impl Diagnosis {
    /// True when a troubled workload was found.
    pub fn has_problems(&self) -> bool {
        !self.workloads.is_empty()
    }
}

/// A pod of a troubled workload, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct PodBrief {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The diagnosis of one troubled workload.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadDiagnosis {
    /// `Deployment knative-serving/net-istio-controller`, `Pod ns/p` or `log <file>`.
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The known component, when recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    pub pods: Vec<PodBrief>,
    /// Why the workload is considered troubled.
    pub symptoms: Vec<Citation>,
    /// The top cause, or `unknown` when the evidence is too thin to say.
    pub verdict: CauseId,
    pub findings: Vec<Finding>,
    /// Missing evidence that would sharpen the diagnosis as a whole.
    pub missing: Vec<Missing>,
    pub plan: Vec<PlanStep>,
}

/// Diagnoses every troubled workload in the evidence.
pub fn diagnose(ev: &Evidence, opts: &DiagnoseOptions) -> Diagnosis {
    let now = opts.now.or(ev.taken_at);
    let subjects = subject::find_subjects(ev);
    let mut workloads: Vec<WorkloadDiagnosis> = subjects
        .iter()
        .map(|s| diagnose_subject(ev, s, now))
        .collect();
    // The worst first: most restarts across the workload's pods, then name.
    workloads.sort_by(|a, b| {
        let restarts =
            |w: &WorkloadDiagnosis| w.pods.iter().filter_map(|p| p.restarts).sum::<u32>();
        restarts(b)
            .cmp(&restarts(a))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    Diagnosis {
        schema_version: SCHEMA_VERSION,
        taken_at: now,
        workloads,
    }
}

fn diagnose_subject(ev: &Evidence, subject: &Subject, now: Option<Timestamp>) -> WorkloadDiagnosis {
    let workload_name = subject.workload.as_ref().map(|w| w.name.as_str());
    let component = subject
        .pods
        .iter()
        .find_map(|&i| knowledge::components::recognise_pod(&ev.pods[i], workload_name))
        .or_else(|| knowledge::components::recognise(workload_name, subject.namespace(), []));
    let cx = Context {
        ev,
        subject,
        component,
        now,
    };
    let mut signals = Signals::default();
    for rule in rules::RULES {
        rule.evaluate(&cx, &mut signals);
    }
    let findings = rank::rank(&signals);
    let verdict = match findings.first() {
        Some(f) if f.score >= rank::VERDICT_THRESHOLD => f.cause,
        _ => CauseId::Unknown,
    };
    let mut missing: Vec<Missing> = Vec::new();
    for (cause, m) in &signals.missing {
        let attached = cause.is_some_and(|c| findings.iter().any(|f| f.cause == c));
        if !attached && !missing.contains(m) {
            missing.push(m.clone());
        }
    }
    let plan = plan(&cx, &findings, &signals);
    WorkloadDiagnosis {
        subject: subject.name.clone(),
        kind: subject.workload.as_ref().map(|w| w.kind.clone()),
        namespace: subject
            .namespace()
            .map(str::to_owned)
            .or_else(|| cx.pods().find_map(|p| p.meta.namespace.clone())),
        name: subject.workload.as_ref().map(|w| w.name.clone()),
        component: component.map(|c| c.name.to_owned()),
        pods: cx
            .pods()
            .map(|p| PodBrief {
                name: p.meta.name.clone(),
                node: p.node.clone(),
                restarts: p
                    .containers
                    .iter()
                    .filter_map(|c| c.restart_count)
                    .max()
                    .or(p.row.as_ref().map(|r| r.restarts)),
                status: p
                    .containers
                    .iter()
                    .find_map(|c| match &c.state {
                        Some(ContainerState::Waiting { reason, .. }) => reason.clone(),
                        _ => None,
                    })
                    .or_else(|| p.row.as_ref().map(|r| r.status.clone()))
                    .or_else(|| p.phase.clone()),
            })
            .collect(),
        symptoms: subject.symptoms.clone(),
        verdict,
        findings,
        missing,
        plan,
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    //! Small evidence builders shared by rule tests.

    use crate::evidence::*;

    /// A crash-looping pod `ns/ctl-5d9c7f6b8-x2kqp` (container `controller`, liveness
    /// `GET /health` period 5 s failure 6, 5 restarts) and kubelet events about it:
    /// `(reason, message, count)`.
    pub fn pod_with_events(events: &[(&str, &str, u32)]) -> Evidence {
        let mut b = EvidenceBuilder::new();
        b.add_pod(crashing_pod());
        for (reason, message, count) in events {
            b.add_event(kubelet_event(
                "ctl-5d9c7f6b8-x2kqp",
                reason,
                message,
                *count,
            ));
        }
        b.finish()
    }

    /// The pod of [`pod_with_events`].
    pub fn crashing_pod() -> Pod {
        let src = Source::new("pod.yaml");
        let mut liveness = Probe::with_defaults(
            ProbeHandler::HttpGet {
                scheme: "HTTP".into(),
                host: None,
                port: "probes".into(),
                path: "/health".into(),
            },
            src.clone(),
        );
        liveness.period_seconds = 5;
        liveness.failure_threshold = 6;
        Pod {
            meta: Meta {
                namespace: Some("ns".into()),
                name: "ctl-5d9c7f6b8-x2kqp".into(),
                ..Default::default()
            },
            node: Some("node-a".into()),
            containers: vec![Container {
                name: "controller".into(),
                restart_count: Some(5),
                liveness: Some(liveness),
                state: Some(ContainerState::Waiting {
                    reason: Some("CrashLoopBackOff".into()),
                    message: None,
                }),
                source: Some(src.clone()),
                ..Default::default()
            }],
            sources: vec![src],
            ..Default::default()
        }
    }

    /// A kubelet event about a pod in `ns`.
    pub fn kubelet_event(pod: &str, reason: &str, message: &str, count: u32) -> Event {
        Event {
            object: ObjectRef::new("Pod", Some("ns"), pod),
            field_path: Some("spec.containers{controller}".into()),
            kind: if matches!(reason, "Killing" | "Pulled" | "Created" | "Started") {
                "Normal".into()
            } else {
                "Warning".into()
            },
            reason: reason.into(),
            message: message.into(),
            reporter: Some("kubelet".into()),
            host: Some("node-a".into()),
            count,
            first_seen: None,
            last_seen: None,
            source: Source::new("events.json").at_line(1),
        }
    }

    /// The previous run's log of the [`crashing_pod`]'s container, read from
    /// `logs.txt`.
    pub fn previous_log(format: LogFormat, records: Vec<LogRecord>) -> LogStream {
        LogStream {
            pod: Some(ObjectRef::new("Pod", Some("ns"), "ctl-5d9c7f6b8-x2kqp")),
            container: Some("controller".into()),
            run: ContainerRun::Previous,
            format,
            total_records: records.len() as u64,
            first_time: records.first().and_then(|r| r.time),
            last_time: records.last().and_then(|r| r.time),
            records,
            dropped: 0,
            source: Source::new("logs.txt"),
        }
    }

    /// The finding for `cause` in the first workload of the default diagnosis.
    pub fn finding(ev: &Evidence, cause: super::CauseId) -> Option<super::Finding> {
        super::diagnose(ev, &super::DiagnoseOptions::default()).workloads[0]
            .findings
            .iter()
            .find(|f| f.cause == cause)
            .cloned()
    }

    /// A [`previous_log`] of untimed `(severity, message)` lines.
    pub fn previous_log_lines(format: LogFormat, lines: &[(Severity, &str)]) -> LogStream {
        let records = lines
            .iter()
            .zip(1..)
            .map(|(&(severity, message), line)| LogRecord {
                time: None,
                year_inferred: false,
                severity,
                logger: None,
                message: message.into(),
                fields: Vec::new(),
                caller: None,
                format,
                line,
                continuation: Vec::new(),
            })
            .collect();
        previous_log(format, records)
    }
}
