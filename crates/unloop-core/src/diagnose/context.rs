//! What a rule sees: the evidence, narrowed to one troubled subject.

use jiff::Timestamp;

use super::knowledge::components::Component;
use super::subject::Subject;
use crate::evidence::*;

/// The evidence about one subject, with convenient views for rules.
pub struct Context<'a> {
    pub ev: &'a Evidence,
    pub subject: &'a Subject,
    /// The known component this subject is (Knative's net-istio-controller, ...), if recognised.
    pub component: Option<&'static Component>,
    /// The reference time: when the evidence was taken, or now for a live cluster.
    pub now: Option<Timestamp>,
}

impl<'a> Context<'a> {
    /// The subject's pods.
    pub fn pods(&self) -> impl Iterator<Item = &'a Pod> + '_ {
        self.subject.pods.iter().map(|&i| &self.ev.pods[i])
    }

    /// Every container of the subject's pods, with its pod.
    pub fn containers(&self) -> impl Iterator<Item = (&'a Pod, &'a Container)> + '_ {
        self.pods()
            .flat_map(|p| p.containers.iter().map(move |c| (p, c)))
    }

    /// The subject's logs.
    pub fn logs(&self) -> impl Iterator<Item = &'a LogStream> + '_ {
        self.subject.logs.iter().map(|&i| &self.ev.logs[i])
    }

    /// Every kept log record of the subject, with its stream.
    pub fn records(&self) -> impl Iterator<Item = (&'a LogStream, &'a LogRecord)> + '_ {
        self.logs()
            .flat_map(|l| l.records.iter().map(move |r| (l, r)))
    }

    /// The owning workload object, when it is in the evidence.
    pub fn workload(&self) -> Option<&'a Workload> {
        let w = self.subject.workload.as_ref()?;
        self.ev.workload(
            WorkloadKind::from_kind(&w.kind)?,
            w.namespace.as_deref(),
            &w.name,
        )
    }

    /// Events about the subject's pods and its workload.
    pub fn events(&self) -> Vec<&'a Event> {
        let mut out: Vec<&'a Event> = Vec::new();
        for p in self.pods() {
            let r = p.object_ref();
            for e in self.ev.events_for(&r) {
                if !out.iter().any(|o| std::ptr::eq(*o, e)) {
                    out.push(e);
                }
            }
        }
        if let Some(w) = &self.subject.workload {
            for e in self.ev.events_for(w) {
                if !out.iter().any(|o| std::ptr::eq(*o, e)) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// The spec of a container: from a pod when it carries the spec, else from
    /// the workload's pod template.
    pub fn container_spec(&self, name: &str) -> Option<&'a Container> {
        let with_spec =
            |c: &&Container| c.liveness.is_some() || c.readiness.is_some() || c.image.is_some();
        self.containers()
            .map(|(_, c)| c)
            .filter(|c| c.name == name)
            .find(with_spec)
            .or_else(|| self.workload()?.template.iter().find(|c| c.name == name))
    }

    /// The first container (by pod order) with a probe of this kind, and the probe.
    pub fn probe(&self, kind: ProbeKind) -> Option<(&'a str, &'a Probe)> {
        let from_pods = self
            .containers()
            .find_map(|(_, c)| c.probe(kind).map(|p| (c.name.as_str(), p)));
        from_pods.or_else(|| {
            self.workload()?
                .template
                .iter()
                .find_map(|c| c.probe(kind).map(|p| (c.name.as_str(), p)))
        })
    }

    /// Names of the containers that are in trouble (restarting or waiting in a bad state),
    /// or every container when the evidence does not say which.
    pub fn troubled_containers(&self) -> Vec<&'a str> {
        let mut names: Vec<&str> = self
            .containers()
            .filter(|(_, c)| {
                c.restart_count.unwrap_or(0) > 0
                    || matches!(&c.state, Some(ContainerState::Waiting { reason: Some(r), .. }) if r != "ContainerCreating" && r != "PodInitializing")
                    || matches!(&c.last_state, Some(ContainerState::Terminated { .. }))
            })
            .map(|(_, c)| c.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Resolves a time to an absolute instant when possible.
    pub fn resolve(&self, t: &TimeRef) -> Option<Timestamp> {
        self.ev.resolve(t)
    }

    /// A `-n <ns>` argument for commands, or empty.
    pub fn ns_flag(&self) -> String {
        self.subject
            .namespace()
            .or_else(|| self.pods().find_map(|p| p.meta.namespace.as_deref()))
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default()
    }

    /// A pod name to put in commands: a troubled pod of the subject, or a placeholder.
    pub fn example_pod(&self) -> String {
        self.pods()
            .next()
            .map(|p| p.meta.name.clone())
            .or_else(|| {
                self.logs()
                    .find_map(|l| l.pod.as_ref().map(|p| p.name.clone()))
            })
            .unwrap_or_else(|| "<pod>".to_owned())
    }
}
