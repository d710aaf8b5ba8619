//! Collects what readers find into one [`Evidence`], merging what several inputs
//! say about the same object.
//!
//! The same pod often arrives twice (a `describe` paste and a `pods.json` from a
//! dump; a `get pods` line and a YAML): the builder merges by namespace + name and
//! fills what one source lacks from the other. The same holds for events shown
//! both in `describe` and in `events.json`.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use super::model::*;
use super::source::Source;
use super::time::{Anchor, AnchorId, TimeRef};
use crate::redact::{is_secret_key, redact_in_place};

/// Accumulates evidence from readers; [`EvidenceBuilder::finish`] yields the model.
#[derive(Debug, Default)]
pub struct EvidenceBuilder {
    ev: Evidence,
    pod_index: HashMap<(Option<String>, String), usize>,
    /// Pods by name alone, for merging a pod whose namespace one input omits.
    pods_by_name: HashMap<String, Vec<usize>>,
    /// Log records kept across all streams (see [`LOG_BUDGET`]).
    kept_log_records: usize,
    /// Whether the streams held so far have been compacted.
    logs_compacted: bool,
    event_index: HashMap<EventKey, usize>,
    stats: BTreeMap<String, u64>,
    log_records: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct EventKey {
    kind: String,
    namespace: Option<String>,
    name: String,
    reason: String,
    message: String,
}

impl EventKey {
    fn of(e: &Event) -> Self {
        EventKey {
            kind: e.object.kind.to_ascii_lowercase(),
            namespace: e.object.namespace.clone(),
            name: e.object.name.clone(),
            reason: e.reason.clone(),
            message: normalize_event_message(&e.message),
        }
    }
}

/// Strips the `(combined from similar events): ` prefix and whitespace so that
/// the same event read from describe and from JSON compares equal.
fn normalize_event_message(m: &str) -> String {
    let m = m.trim();
    m.strip_prefix("(combined from similar events): ")
        .unwrap_or(m)
        .to_owned()
}

impl EvidenceBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new output with relative ages; returns its anchor.
    pub fn new_anchor(&mut self) -> AnchorId {
        self.ev.anchors.push(Anchor {
            at: None,
            inferred: false,
            not_before: None,
        });
        AnchorId(self.ev.anchors.len() as u32 - 1)
    }

    /// Records that the output behind `id` was taken at `at` (stated, or inferred
    /// when `inferred`).
    pub fn set_anchor(&mut self, id: AnchorId, at: Timestamp, inferred: bool) {
        if let Some(a) = self.ev.anchors.get_mut(id.0 as usize)
            && (a.at.is_none() || (a.inferred && !inferred))
        {
            a.at = Some(at);
            a.inferred = inferred;
        }
    }

    /// Records an absolute time seen in the output behind `id`: that output was
    /// taken no earlier.
    pub fn anchor_not_before(&mut self, id: AnchorId, t: Timestamp) {
        if let Some(a) = self.ev.anchors.get_mut(id.0 as usize) {
            a.not_before = Some(a.not_before.map_or(t, |n| n.max(t)));
        }
    }

    /// Records a problem with an input.
    pub fn diagnostic(
        &mut self,
        level: DiagnosticLevel,
        source: Source,
        message: impl Into<String>,
    ) {
        self.ev.diagnostics.push(Diagnostic {
            level,
            source,
            message: message.into(),
        });
    }

    /// Takes the per-input statistics gathered since the last call.
    pub fn take_stats(&mut self) -> (BTreeMap<String, u64>, u64) {
        (
            std::mem::take(&mut self.stats),
            std::mem::take(&mut self.log_records),
        )
    }

    fn stat(&mut self, kind: &str) {
        *self.stats.entry(kind.to_owned()).or_default() += 1;
    }

    /// Counts one object of `kind` (kind, plus `.group` when not core) in `namespace`.
    pub fn count(&mut self, kind: &str, namespace: Option<&str>) {
        self.count_n(kind, namespace, 1);
    }

    /// Records `n` healthy pods on `node` that are not kept in full (see
    /// [`Evidence::healthy_pods_elsewhere`]).
    pub fn tally_healthy_pods(&mut self, node: &str, n: u32) {
        *self
            .ev
            .healthy_pods_elsewhere
            .entry(node.to_owned())
            .or_default() += n;
    }

    /// Counts `n` objects. Counting is separate from the per-input summary,
    /// which the `add_*` methods (and [`EvidenceBuilder::seen`]) keep.
    pub fn count_n(&mut self, kind: &str, namespace: Option<&str>, n: u64) {
        let key = CountKey {
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
        };
        *self.ev.counts.entry(key).or_default() += n;
    }

    /// Notes in the per-input summary an object that is counted but not kept (a Secret).
    pub fn seen(&mut self, kind: &str) {
        self.stat(kind);
    }

    /// Adds (or merges) a pod.
    pub fn add_pod(&mut self, mut pod: Pod) {
        for c in &mut pod.containers {
            scrub_container(c);
        }
        self.stat("Pod");
        let key = (pod.meta.namespace.clone(), pod.meta.name.clone());
        let existing = self.pod_index.get(&key).copied().or_else(|| {
            // A namespace-less pod (a `get pods` line without -A) merges into the
            // one pod of that name, if there is exactly one.
            let same_name: Vec<usize> = self
                .pods_by_name
                .get(&pod.meta.name)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| {
                    pod.meta.namespace.is_none() || self.ev.pods[i].meta.namespace.is_none()
                })
                .collect();
            match same_name.as_slice() {
                [only] => Some(*only),
                _ => None,
            }
        });
        match existing {
            Some(i) => {
                let old_key = (
                    self.ev.pods[i].meta.namespace.clone(),
                    self.ev.pods[i].meta.name.clone(),
                );
                merge_pod(&mut self.ev.pods[i], pod);
                let new_key = (
                    self.ev.pods[i].meta.namespace.clone(),
                    self.ev.pods[i].meta.name.clone(),
                );
                if old_key != new_key {
                    self.pod_index.remove(&old_key);
                    self.pod_index.insert(new_key, i);
                }
            }
            None => {
                let i = self.ev.pods.len();
                self.pod_index.insert(key, i);
                self.pods_by_name
                    .entry(pod.meta.name.clone())
                    .or_default()
                    .push(i);
                pod.containers.shrink_to_fit();
                pod.conditions.shrink_to_fit();
                self.ev.pods.push(pod);
            }
        }
    }

    /// Adds (or merges) a node.
    pub fn add_node(&mut self, node: Node) {
        self.stat("Node");
        if let Some(n) = self
            .ev
            .nodes
            .iter_mut()
            .find(|n| n.meta.name == node.meta.name)
        {
            merge_meta(&mut n.meta, node.meta);
            if n.conditions.is_empty() {
                n.conditions = node.conditions;
            }
            if n.taints.is_empty() {
                n.taints = node.taints;
            }
            n.unschedulable |= node.unschedulable;
            fill_amounts(&mut n.capacity, node.capacity);
            fill_amounts(&mut n.allocatable, node.allocatable);
            fill(&mut n.allocated, node.allocated);
            fill(&mut n.kubelet_version, node.kubelet_version);
            fill(&mut n.usage, node.usage);
            n.sources.extend(node.sources);
        } else {
            self.ev.nodes.push(node);
        }
    }

    /// Adds (or merges) a workload.
    pub fn add_workload(&mut self, mut w: Workload) {
        for c in &mut w.template {
            scrub_container(c);
        }
        self.stat(w.kind.as_str());
        if let Some(old) = self.ev.workloads.iter_mut().find(|o| {
            o.kind == w.kind && o.meta.name == w.meta.name && o.meta.namespace == w.meta.namespace
        }) {
            merge_meta(&mut old.meta, w.meta);
            fill(&mut old.replicas, w.replicas);
            fill(&mut old.ready_replicas, w.ready_replicas);
            fill(&mut old.available_replicas, w.available_replicas);
            fill(&mut old.updated_replicas, w.updated_replicas);
            if old.selector.is_empty() {
                old.selector = w.selector;
            }
            if old.template.is_empty() {
                old.template = w.template;
            }
            if old.conditions.is_empty() {
                old.conditions = w.conditions;
            }
            old.sources.extend(w.sources);
        } else {
            // A ReplicaSet owned by a Deployment repeats the Deployment's pod
            // template, which is what rules read; keeping both doubles the cost.
            if w.kind == WorkloadKind::ReplicaSet
                && w.meta.controller().is_some_and(|o| o.kind == "Deployment")
            {
                w.template.clear();
            }
            // Containers are large: vectors grown by push keep spare room.
            w.template.shrink_to_fit();
            w.conditions.shrink_to_fit();
            self.ev.workloads.push(w);
        }
    }

    /// Adds an event, merging it with the same event read from another input
    /// (same object, reason and message). Merging an event with relative ages
    /// and its twin with absolute times pins the relative output's anchor.
    pub fn add_event(&mut self, mut e: Event) {
        redact_in_place(&mut e.message);
        self.stat("Event");
        e.count = e.count.max(1);
        let key = EventKey::of(&e);
        if let Some(&i) = self.event_index.get(&key) {
            let old = self.ev.events[i].clone();
            // Pin an anchor when one side is relative and the other absolute.
            for (rel, abs) in [(old.last_seen, e.last_seen), (e.last_seen, old.last_seen)] {
                if let (Some(TimeRef::Ago { ago, anchor }), Some(TimeRef::At(t))) = (rel, abs)
                    && let Ok(span) = jiff::SignedDuration::try_from(ago)
                    && let Ok(at) = t.checked_add(span)
                {
                    self.set_anchor(anchor, at, true);
                }
            }
            let merged = &mut self.ev.events[i];
            if e.count >= merged.count {
                merged.count = e.count;
            }
            prefer_absolute(&mut merged.first_seen, e.first_seen);
            prefer_absolute(&mut merged.last_seen, e.last_seen);
            fill(&mut merged.object.uid, e.object.uid);
            fill(&mut merged.field_path, e.field_path);
            fill(&mut merged.reporter, e.reporter);
            fill(&mut merged.host, e.host);
        } else {
            self.event_index.insert(key, self.ev.events.len());
            self.ev.events.push(e);
        }
    }

    /// Adds a Lease.
    pub fn add_lease(&mut self, l: Lease) {
        self.stat("Lease");
        if !self
            .ev
            .leases
            .iter()
            .any(|o| o.meta.name == l.meta.name && o.meta.namespace == l.meta.namespace)
        {
            self.ev.leases.push(l);
        }
    }

    /// Adds a ConfigMap; values under secret-looking keys are masked.
    pub fn add_config_map(&mut self, mut cm: ConfigMap) {
        self.stat("ConfigMap");
        for (k, v) in cm.data.iter_mut() {
            if is_secret_key(k) {
                *v = crate::redact::MASK.to_owned();
            } else {
                redact_in_place(v);
            }
        }
        if let Some(old) = self
            .ev
            .config_maps
            .iter_mut()
            .find(|o| o.meta.name == cm.meta.name && o.meta.namespace == cm.meta.namespace)
        {
            *old = cm;
        } else {
            self.ev.config_maps.push(cm);
        }
    }

    /// Adds a Knative Revision.
    pub fn add_revision(&mut self, r: Revision) {
        self.stat("Revision.serving.knative.dev");
        self.ev.revisions.push(r);
    }

    /// Adds any other object.
    pub fn add_object(&mut self, o: GenericObject) {
        self.stat(&super::objects::count_key(&o.api_version, &o.kind));
        self.ev.objects.push(o);
    }

    /// Adds the log of one container run.
    pub fn add_log(&mut self, mut l: LogStream) {
        for r in &mut l.records {
            redact_in_place(&mut r.message);
            for (k, v) in &mut r.fields {
                if is_secret_key(k) {
                    *v = crate::redact::MASK.to_owned();
                } else {
                    redact_in_place(v);
                }
            }
            for c in &mut r.continuation {
                redact_in_place(c);
            }
        }
        self.log_records += l.total_records;
        self.kept_log_records += l.records.len();
        if self.kept_log_records > LOG_BUDGET {
            self.compact_logs(Some(&mut l));
        }
        self.ev.logs.push(l);
    }

    /// Keeps memory bounded on huge inputs (a dump with thousands of pods):
    /// once the streams together hold more than [`LOG_BUDGET`] records, each
    /// keeps only its first and last lines and its most telling ones, within a
    /// share of the budget.
    fn compact_logs(&mut self, incoming: Option<&mut LogStream>) {
        let streams = self.ev.logs.len() + 1;
        let cap = (LOG_BUDGET / 2 / streams).clamp(MIN_RECORDS_PER_STREAM, LOG_BUDGET / 4);
        let pods = &self.ev.pods;
        let pod_index = &self.pod_index;
        // Logs of pods known to be healthy matter least: keep only their edges.
        let healthy = |l: &LogStream| {
            l.pod
                .as_ref()
                .and_then(|p| pod_index.get(&(p.namespace.clone(), p.name.clone())))
                .is_some_and(|&i| pod_looks_healthy(&pods[i]))
        };
        let compact = |l: &mut LogStream| {
            let before = l.records.len();
            let cap = if healthy(l) {
                HEALTHY_RECORDS_PER_STREAM
            } else {
                cap
            };
            if before > cap {
                compact_stream(l, cap);
            }
            before - l.records.len()
        };
        // The streams already held are compacted once, when the budget is first
        // exceeded; after that only each new stream is, so reading stays linear.
        let mut freed = 0;
        if !self.logs_compacted {
            self.logs_compacted = true;
            for l in self.ev.logs.iter_mut() {
                freed += compact(l);
            }
        }
        if let Some(l) = incoming {
            freed += compact(l);
        }
        self.kept_log_records -= freed;
    }

    /// Records what was understood of one input.
    pub fn add_input(&mut self, summary: InputSummary) {
        self.ev.inputs.push(summary);
    }

    /// A view of what has been read so far.
    pub fn evidence(&self) -> &Evidence {
        &self.ev
    }

    /// Infers what can be inferred and returns the model.
    pub fn finish(mut self) -> Evidence {
        // An output without a stated moment was taken at or soon after the latest
        // absolute time it shows; that lower bound is the best estimate.
        for a in &mut self.ev.anchors {
            if a.at.is_none()
                && let Some(nb) = a.not_before
            {
                a.at = Some(nb);
                a.inferred = true;
            }
        }
        self.ev.taken_at = latest_time(&self.ev);
        self.ev.event_index = EventIndex::build(&self.ev.events);
        self.ev.workload_index = WorkloadIndex::build(&self.ev.workloads);
        // Up to half of a large table is growth room nothing will use.
        self.ev.revisions.shrink_to_fit();
        self.ev
    }
}

/// Log records kept across all streams before streams are compacted.
pub const LOG_BUDGET: usize = 100_000;
/// No stream is compacted below this many records...
const MIN_RECORDS_PER_STREAM: usize = 16;
/// ...except the logs of pods known to be healthy.
const HEALTHY_RECORDS_PER_STREAM: usize = 6;

/// A pod that shows no sign of trouble: no restarts, no container waiting or
/// terminated with an error, every container ready.
fn pod_looks_healthy(p: &Pod) -> bool {
    !p.containers.is_empty()
        && p.containers.iter().all(|c| {
            c.restart_count.unwrap_or(0) == 0
                && c.ready != Some(false)
                && !matches!(
                    c.state,
                    Some(ContainerState::Waiting { .. }) | Some(ContainerState::Terminated { .. })
                )
        })
}

/// Keeps at most `cap` records of a stream: a quarter from its start, a quarter
/// from its end, and the rest from its most telling records (warnings and
/// worse first, then lines naming what rules look for), in input order.
fn compact_stream(l: &mut LogStream, cap: usize) {
    use super::logs::{Notability, notability};
    let n = l.records.len();
    let edge = cap / 4;
    let mut keep = vec![false; n];
    for k in keep.iter_mut().take(edge) {
        *k = true;
    }
    for k in keep.iter_mut().skip(n.saturating_sub(edge)) {
        *k = true;
    }
    let mut budget = cap.saturating_sub(2 * edge);
    for level in [Notability::Severe, Notability::Phrase] {
        for (i, r) in l.records.iter().enumerate() {
            if budget == 0 {
                break;
            }
            if !keep[i] && notability(r) == level {
                keep[i] = true;
                budget -= 1;
            }
        }
    }
    let mut i = 0;
    l.records.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    l.records.shrink_to_fit();
    l.dropped += (n - l.records.len()) as u64;
}

/// The latest absolute time anywhere in the evidence: the best estimate of when
/// it was taken.
fn latest_time(ev: &Evidence) -> Option<Timestamp> {
    let mut best: Option<Timestamp> = None;
    let mut see = |t: Option<Timestamp>| {
        if let Some(t) = t {
            best = Some(best.map_or(t, |b| b.max(t)));
        }
    };
    for a in &ev.anchors {
        see(a.at);
    }
    for e in &ev.events {
        see(e.last_seen.and_then(|t| t.absolute()));
        see(e.first_seen.and_then(|t| t.absolute()));
    }
    for l in &ev.logs {
        see(l.last_time);
    }
    for l in &ev.leases {
        see(l.renew_time);
    }
    for p in &ev.pods {
        for c in &p.containers {
            for s in [&c.state, &c.last_state].into_iter().flatten() {
                match s {
                    ContainerState::Running { started } => see(started.and_then(|t| t.absolute())),
                    ContainerState::Terminated { finished, .. } => {
                        see(finished.and_then(|t| t.absolute()))
                    }
                    ContainerState::Waiting { .. } => {}
                }
            }
        }
    }
    for n in &ev.nodes {
        for c in &n.conditions {
            see(c.last_heartbeat.and_then(|t| t.absolute()));
        }
    }
    best
}

fn fill<T>(slot: &mut Option<T>, v: Option<T>) {
    if slot.is_none() {
        *slot = v;
    }
}

fn prefer_absolute(slot: &mut Option<TimeRef>, v: Option<TimeRef>) {
    match (&slot, v) {
        (None, v) => *slot = v,
        (Some(TimeRef::Ago { .. }), Some(t @ TimeRef::At(_))) => *slot = Some(t),
        _ => {}
    }
}

fn fill_amounts(a: &mut ResourceAmounts, b: ResourceAmounts) {
    fill(&mut a.cpu_millis, b.cpu_millis);
    fill(&mut a.memory_bytes, b.memory_bytes);
}

fn merge_meta(a: &mut Meta, b: Meta) {
    fill(&mut a.namespace, b.namespace);
    fill(&mut a.uid, b.uid);
    for (k, v) in b.labels {
        a.labels.entry(k).or_insert(v);
    }
    for (k, v) in b.annotations {
        a.annotations.entry(k).or_insert(v);
    }
    if a.owners.is_empty() {
        a.owners = b.owners;
    }
    prefer_absolute(&mut a.created, b.created);
    fill(&mut a.deleted, b.deleted);
}

fn merge_state(a: &mut Option<ContainerState>, b: Option<ContainerState>) {
    match (a.as_mut(), b) {
        (None, b) => *a = b,
        (
            Some(ContainerState::Terminated {
                reason,
                message,
                exit_code,
                signal,
                started,
                finished,
            }),
            Some(ContainerState::Terminated {
                reason: r2,
                message: m2,
                exit_code: e2,
                signal: s2,
                started: st2,
                finished: f2,
            }),
        ) => {
            fill(reason, r2);
            fill(message, m2);
            fill(exit_code, e2);
            fill(signal, s2);
            prefer_absolute(started, st2);
            prefer_absolute(finished, f2);
        }
        (
            Some(ContainerState::Running { started }),
            Some(ContainerState::Running { started: s2 }),
        ) => prefer_absolute(started, s2),
        (
            Some(ContainerState::Waiting { reason, message }),
            Some(ContainerState::Waiting {
                reason: r2,
                message: m2,
            }),
        ) => {
            fill(reason, r2);
            fill(message, m2);
        }
        _ => {}
    }
}

fn merge_container(a: &mut Container, b: Container) {
    fill(&mut a.image, b.image);
    if a.command.is_empty() {
        a.command = b.command;
    }
    if a.args.is_empty() {
        a.args = b.args;
    }
    if a.ports.is_empty() {
        a.ports = b.ports;
    }
    fill_amounts(&mut a.resources.requests, b.resources.requests);
    fill_amounts(&mut a.resources.limits, b.resources.limits);
    fill(&mut a.liveness, b.liveness);
    fill(&mut a.readiness, b.readiness);
    fill(&mut a.startup, b.startup);
    fill(&mut a.ready, b.ready);
    fill(&mut a.started, b.started);
    match (a.restart_count, b.restart_count) {
        (Some(x), Some(y)) if y > x => a.restart_count = Some(y),
        (None, y) => a.restart_count = y,
        _ => {}
    }
    fill(&mut a.usage, b.usage);
    merge_state(&mut a.state, b.state);
    merge_state(&mut a.last_state, b.last_state);
    fill(&mut a.source, b.source);
}

fn merge_pod(a: &mut Pod, b: Pod) {
    merge_meta(&mut a.meta, b.meta);
    fill(&mut a.node, b.node);
    fill(&mut a.phase, b.phase);
    fill(&mut a.reason, b.reason);
    fill(&mut a.message, b.message);
    fill(&mut a.ip, b.ip);
    prefer_absolute(&mut a.start_time, b.start_time);
    fill(&mut a.restart_policy, b.restart_policy);
    fill(&mut a.service_account, b.service_account);
    fill(
        &mut a.termination_grace_period_seconds,
        b.termination_grace_period_seconds,
    );
    if a.conditions.is_empty() {
        a.conditions = b.conditions;
    }
    fill(&mut a.row, b.row);
    fill(&mut a.usage, b.usage);
    for c in b.containers {
        match a
            .containers
            .iter_mut()
            .find(|x| x.name == c.name && x.init == c.init)
        {
            Some(x) => merge_container(x, c),
            None => a.containers.push(c),
        }
    }
    a.sources.extend(b.sources);
}

fn scrub_container(c: &mut Container) {
    for a in c.args.iter_mut().chain(c.command.iter_mut()) {
        redact_in_place(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pod(ns: Option<&str>, name: &str) -> Pod {
        Pod {
            meta: Meta {
                namespace: ns.map(str::to_owned),
                name: name.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn pods_merge_by_namespace_and_name() {
        let mut b = EvidenceBuilder::new();
        let mut a = pod(None, "p");
        a.containers.push(Container {
            name: "c".into(),
            restart_count: Some(7),
            ..Default::default()
        });
        b.add_pod(a);
        let mut full = pod(Some("ns"), "p");
        full.node = Some("n1".into());
        full.containers.push(Container {
            name: "c".into(),
            restart_count: Some(5),
            image: Some("img".into()),
            ..Default::default()
        });
        b.add_pod(full);
        let ev = b.finish();
        assert_eq!(ev.pods.len(), 1);
        let p = &ev.pods[0];
        assert_eq!(p.meta.namespace.as_deref(), Some("ns"));
        assert_eq!(p.node.as_deref(), Some("n1"));
        assert_eq!(p.containers[0].restart_count, Some(7));
        assert_eq!(p.containers[0].image.as_deref(), Some("img"));
    }

    #[test]
    fn same_name_in_two_namespaces_stays_two_pods() {
        let mut b = EvidenceBuilder::new();
        b.add_pod(pod(Some("a"), "p"));
        b.add_pod(pod(Some("b"), "p"));
        b.add_pod(pod(None, "p"));
        assert_eq!(b.finish().pods.len(), 3);
    }

    #[test]
    fn twin_events_pin_the_relative_anchor() {
        let mut b = EvidenceBuilder::new();
        let anchor = b.new_anchor();
        let base = Event {
            object: ObjectRef::new("Pod", Some("ns"), "p"),
            field_path: None,
            kind: "Warning".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container".into(),
            reporter: None,
            host: None,
            count: 3,
            first_seen: None,
            last_seen: Some(TimeRef::Ago {
                ago: Duration::from_secs(60),
                anchor,
            }),
            source: Source::new("describe.txt"),
        };
        b.add_event(base.clone());
        let t: Timestamp = "2024-03-27T18:30:00Z".parse().unwrap();
        b.add_event(Event {
            count: 40,
            last_seen: Some(TimeRef::At(t)),
            source: Source::new("events.json"),
            ..base
        });
        let ev = b.finish();
        assert_eq!(ev.events.len(), 1);
        assert_eq!(ev.events[0].count, 40);
        assert_eq!(
            ev.anchors[0].at,
            Some("2024-03-27T18:31:00Z".parse().unwrap())
        );
    }

    #[test]
    fn compaction_keeps_edges_and_telling_records() {
        let rec = |i: u32, sev: Severity, msg: &str| LogRecord {
            time: None,
            year_inferred: false,
            severity: sev,
            logger: None,
            message: msg.to_owned(),
            fields: vec![],
            caller: None,
            format: LogFormat::Plain,
            line: i,
            continuation: vec![],
        };
        let mut records: Vec<LogRecord> = (1..=1000)
            .map(|i| rec(i, Severity::Info, "ordinary"))
            .collect();
        records[500] = rec(501, Severity::Error, "failed to list *v1.Secret");
        let mut l = LogStream {
            pod: None,
            container: None,
            run: ContainerRun::Current,
            format: LogFormat::Plain,
            total_records: 1000,
            records,
            dropped: 0,
            first_time: None,
            last_time: None,
            source: Source::new("x.log"),
        };
        compact_stream(&mut l, 40);
        assert_eq!(l.records.len(), 21);
        assert_eq!(l.records[0].line, 1);
        assert_eq!(l.records.last().unwrap().line, 1000);
        assert!(l.records.iter().any(|r| r.line == 501));
        assert_eq!(l.dropped, 979);
        assert!(l.records.windows(2).all(|w| w[0].line < w[1].line));
    }

    #[test]
    fn config_map_secrets_are_masked() {
        let mut b = EvidenceBuilder::new();
        let mut data = BTreeMap::new();
        data.insert("db-password".to_owned(), "hunter2".to_owned());
        data.insert("max-non-active-revisions".to_owned(), "100".to_owned());
        b.add_config_map(ConfigMap {
            meta: Meta {
                name: "c".into(),
                ..Default::default()
            },
            data,
            source: Source::new("x"),
        });
        let ev = b.finish();
        assert_eq!(ev.config_maps[0].data["db-password"], crate::redact::MASK);
        assert_eq!(ev.config_maps[0].data["max-non-active-revisions"], "100");
    }
}
