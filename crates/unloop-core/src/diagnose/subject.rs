//! Finding the workloads in trouble: crash-looping or repeatedly restarting
//! containers, pods killed by probes or OOM, pods that never become ready; and
//! grouping pods that share a problem under the Deployment, StatefulSet or
//! DaemonSet that owns them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::finding::Citation;
use crate::evidence::*;

/// Restarts from which a container counts as repeatedly restarting.
pub const RESTART_THRESHOLD: u32 = 3;

/// Waiting reasons that mean the container cannot run.
const BAD_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "RunContainerError",
    "CreateContainerError",
    "CreateContainerConfigError",
    "PreStartHookError",
    "PostStartHookError",
];

/// `kubectl get pods` STATUS values that mean trouble.
const BAD_STATUS: &[&str] = &[
    "CrashLoopBackOff",
    "Error",
    "OOMKilled",
    "RunContainerError",
    "CreateContainerError",
    "CreateContainerConfigError",
    "StartError",
    "ContainerStatusUnknown",
];

/// A troubled workload (or a lone pod, or a log with no pod) to explain.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    /// `Deployment knative-serving/net-istio-controller`, `Pod ns/p`, or `log <file>`.
    pub name: String,
    /// The owning workload, when known or inferred from pod names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<ObjectRef>,
    /// True when the workload was inferred from pod names, not read from owner references.
    pub workload_inferred: bool,
    /// Indices into [`Evidence::pods`].
    #[serde(skip)]
    pub pods: Vec<usize>,
    /// Indices into [`Evidence::logs`].
    #[serde(skip)]
    pub logs: Vec<usize>,
    /// Why this subject is considered troubled.
    pub symptoms: Vec<Citation>,
}

impl Subject {
    /// Namespace of the subject.
    pub fn namespace(&self) -> Option<&str> {
        self.workload.as_ref().and_then(|w| w.namespace.as_deref())
    }
}

// Generated name suffixes come from apimachinery's `rand.String` alphabet,
// which has no vowels and no 0, 1 or 3: `exporter` in `node-exporter-4t7xm` is
// part of a DaemonSet's name, not a ReplicaSet hash.
static DEPLOYMENT_POD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$")
        .expect("static regex")
});
static REPLICASET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$").expect("static regex")
});

/// Why a pod is in trouble, if it is.
pub fn pod_symptoms(ev: &Evidence, pod: &Pod) -> Vec<Citation> {
    let mut out = Vec::new();
    for c in &pod.containers {
        let csrc = pod.container_source(c);
        if let Some(ContainerState::Waiting {
            reason: Some(r), ..
        }) = &c.state
            && BAD_WAITING.contains(&r.as_str())
        {
            out.push(Citation::new(
                format!("container {} is waiting: {r}", c.name),
                csrc.clone(),
            ));
        }
        if let Some(n) = c.restart_count.filter(|n| *n >= RESTART_THRESHOLD) {
            out.push(Citation::new(
                format!("container {} restarted {n} times", c.name),
                csrc.clone(),
            ));
        }
        if let Some(ContainerState::Terminated {
            reason: Some(r), ..
        }) = &c.last_state
            && r == "OOMKilled"
        {
            out.push(Citation::new(
                format!("container {} was OOMKilled", c.name),
                csrc.clone(),
            ));
        }
    }
    if let Some(row) = &pod.row {
        let status = row.status.trim_start_matches("Init:");
        if BAD_STATUS.contains(&status) {
            out.push(Citation::new(
                format!("pod status {}", row.status),
                row.source.clone(),
            ));
        }
        if row.restarts >= RESTART_THRESHOLD {
            out.push(Citation::new(
                format!("pod restarted {} times", row.restarts),
                row.source.clone(),
            ));
        }
    }
    let stuck_creating = pod.containers.iter().any(|c| {
        matches!(&c.state, Some(ContainerState::Waiting { reason: Some(r), .. }) if r == "ContainerCreating")
    }) || pod.row.as_ref().is_some_and(|r| r.status == "ContainerCreating");
    for e in ev.events_for(&pod.object_ref()) {
        let m = &e.message;
        let telling = (e.reason == "BackOff" && m.contains("restarting failed container"))
            || (e.reason == "Killing" && m.contains("probe, will be restarted"))
            || (e.reason == "Unhealthy" && (m.starts_with("Liveness") || m.starts_with("Startup")))
            // A pod that cannot start at all: volumes or sandbox keep failing.
            || (e.is_warning()
                && (stuck_creating || e.count >= RESTART_THRESHOLD)
                && matches!(
                    e.reason.as_str(),
                    "FailedMount" | "FailedAttachVolume" | "FailedCreatePodSandBox" | "Failed"
                ));
        if telling {
            out.push(Citation::new(
                format!("event {} (x{}): {}", e.reason, e.count, first_line(m)),
                e.source.clone(),
            ));
        }
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The workload that owns a pod: from owner references (through its
/// ReplicaSet), else inferred from the `pod-template-hash` label or the name.
pub fn owner_of(ev: &Evidence, pod: &Pod) -> Option<(ObjectRef, bool)> {
    let ns = pod.meta.namespace.as_deref();
    if let Some(o) = pod.meta.controller() {
        if o.kind == "ReplicaSet" {
            let rs = ev.workload(WorkloadKind::ReplicaSet, ns, &o.name);
            if let Some(d) = rs.and_then(|rs| rs.meta.controller()) {
                return Some((ObjectRef::new(d.kind.clone(), ns, d.name.clone()), false));
            }
            // The ReplicaSet object is not in the evidence: its name is `<deployment>-<hash>`.
            let hash = pod.meta.labels.get("pod-template-hash");
            let deploy = match hash {
                Some(h) => o.name.strip_suffix(&format!("-{h}")).map(str::to_owned),
                None => REPLICASET_NAME.captures(&o.name).map(|c| c[1].to_owned()),
            };
            return Some(match deploy {
                Some(d) => (ObjectRef::new("Deployment", ns, d), true),
                None => (ObjectRef::new("ReplicaSet", ns, o.name.clone()), false),
            });
        }
        return Some((ObjectRef::new(o.kind.clone(), ns, o.name.clone()), false));
    }
    if let Some(h) = pod.meta.labels.get("pod-template-hash")
        && let Some(idx) = pod.meta.name.find(&format!("-{h}-"))
    {
        return Some((
            ObjectRef::new("Deployment", ns, &pod.meta.name[..idx]),
            true,
        ));
    }
    DEPLOYMENT_POD
        .captures(&pod.meta.name)
        .map(|c| (ObjectRef::new("Deployment", ns, c[1].to_owned()), true))
}

/// Finds the troubled subjects in the evidence.
pub fn find_subjects(ev: &Evidence) -> Vec<Subject> {
    let mut groups: BTreeMap<String, Subject> = BTreeMap::new();
    for (i, pod) in ev.pods.iter().enumerate() {
        let symptoms = pod_symptoms(ev, pod);
        if symptoms.is_empty() {
            continue;
        }
        let owner = owner_of(ev, pod);
        let (name, workload, inferred) = match &owner {
            Some((w, inferred)) => (w.to_string(), Some(w.clone()), *inferred),
            None => (pod.object_ref().to_string(), None, false),
        };
        let s = groups.entry(name.clone()).or_insert_with(|| Subject {
            name,
            workload,
            workload_inferred: inferred,
            pods: Vec::new(),
            logs: Vec::new(),
            symptoms: Vec::new(),
        });
        s.pods.push(i);
        s.symptoms.extend(symptoms);
    }
    let mut subjects: Vec<Subject> = groups.into_values().collect();

    // Logs go to the subject of their pod; logs that name no pod go to the only
    // subject, or, if there is none, become a subject of their own when they
    // show a failure (a user who pastes only logs pastes the failing ones).
    let mut orphans = Vec::new();
    for (li, log) in ev.logs.iter().enumerate() {
        let owner = log.pod.as_ref().and_then(|lp| {
            subjects.iter().position(|s| {
                s.pods.iter().any(|&pi| {
                    let p = &ev.pods[pi];
                    p.meta.name == lp.name
                        && (lp.namespace.is_none() || p.meta.namespace == lp.namespace)
                })
            })
        });
        match owner {
            Some(si) => subjects[si].logs.push(li),
            None => {
                // Logs of a pod that is in the evidence but healthy are not orphans.
                let known_pod = log
                    .pod
                    .as_ref()
                    .is_some_and(|lp| ev.pod(lp.namespace.as_deref(), &lp.name).is_some());
                if !known_pod {
                    orphans.push(li);
                }
            }
        }
    }
    if subjects.len() == 1 {
        subjects[0].logs.extend(orphans);
    } else if subjects.is_empty() {
        let failing: Vec<usize> = orphans
            .into_iter()
            .filter(|&li| log_shows_failure(&ev.logs[li]))
            .collect();
        if !failing.is_empty() {
            let first = &ev.logs[failing[0]];
            let name = match &first.pod {
                Some(p) => p.to_string(),
                None => format!("log {}", first.source.origin),
            };
            let symptoms = failing
                .iter()
                .filter_map(|&li| {
                    let l = &ev.logs[li];
                    l.records.iter().find(|r| r.severity.is_error()).map(|r| {
                        Citation::new(
                            format!("log shows {:?}: {}", r.severity, first_line(&r.message)),
                            l.record_source(r),
                        )
                    })
                })
                .collect();
            subjects.push(Subject {
                name,
                workload: None,
                workload_inferred: false,
                pods: Vec::new(),
                logs: failing,
                symptoms,
            });
        }
    }
    subjects
}

/// Whether a log shows a failure worth explaining (an error, a fatal line, a panic).
pub fn log_shows_failure(l: &LogStream) -> bool {
    l.records.iter().any(|r| {
        r.severity.is_error()
            || r.message.starts_with("panic:")
            || r.message.starts_with("fatal error:")
            || r.message.starts_with("Error:")
            || r.message.starts_with("ERROR")
            || r.message.contains("flag provided but not defined")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str) -> Pod {
        Pod {
            meta: Meta {
                namespace: Some("ns".into()),
                name: name.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn owners_are_inferred_only_from_real_hash_suffixes() {
        let ev = Evidence::default();
        let (w, inferred) = owner_of(&ev, &pod("net-istio-controller-5f7c9d8b46-k8x2p")).unwrap();
        assert_eq!(
            (w.kind.as_str(), w.name.as_str(), inferred),
            ("Deployment", "net-istio-controller", true)
        );
        // `exporter` has vowels: no ReplicaSet hash, so no Deployment guess.
        assert!(owner_of(&ev, &pod("node-exporter-4t7xm")).is_none());
    }

    #[test]
    fn a_pod_stuck_on_a_missing_secret_is_troubled() {
        let mut b = EvidenceBuilder::new();
        let mut p = pod("capi-controller-7d9f8b6c5d-x2kqp");
        p.containers.push(Container {
            name: "manager".into(),
            state: Some(ContainerState::Waiting {
                reason: Some("ContainerCreating".into()),
                message: None,
            }),
            ..Default::default()
        });
        b.add_pod(p);
        let event = |reason: &str, message: &str, count| Event {
            object: ObjectRef::new("Pod", Some("ns"), "capi-controller-7d9f8b6c5d-x2kqp"),
            field_path: None,
            kind: "Warning".into(),
            reason: reason.into(),
            message: message.into(),
            reporter: Some("kubelet".into()),
            host: None,
            count,
            first_seen: None,
            last_seen: None,
            source: Source::new("events.txt").at_line(2),
        };
        b.add_event(event(
            "FailedMount",
            "MountVolume.SetUp failed for volume \"cert\" : secret \"capi-webhook-service-cert\" not found",
            12,
        ));
        let ev = b.finish();
        let subjects = find_subjects(&ev);
        assert_eq!(subjects.len(), 1);
        assert!(subjects[0].symptoms[0].text.contains("FailedMount"));
        // The same event once, on a pod that is not stuck, is no crash loop.
        let mut b = EvidenceBuilder::new();
        b.add_pod(pod("capi-controller-7d9f8b6c5d-x2kqp"));
        b.add_event(event("FailedMount", "MountVolume.SetUp failed", 1));
        assert!(find_subjects(&b.finish()).is_empty());
    }
}
