//! `kubectl describe pod`: one or several pods, whole or pasted in part.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::events::{self, Row};
use super::layout::{Entry, Layout};
use super::probe::parse_probe;
use super::{abs_time, amounts, annotations, labels, nothing_found, placeholder_name};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::error::InputError;
use crate::evidence::model::{
    Condition, Container, ContainerPort, ContainerState, DiagnosticLevel, Event, ObjectRef,
    OwnerRef, Pod,
};
use crate::evidence::text::TextInput;
use crate::evidence::time::{AnchorId, TimeRef};

/// Keys of a container block; met at the top of a document, they are the
/// remains of a container whose header the paste lost.
pub(super) const CONTAINER_KEYS: &[&str] = &[
    "Container ID",
    "Image",
    "Image ID",
    "Port",
    "Ports",
    "Host Port",
    "Host Ports",
    "Command",
    "Args",
    "State",
    "Last State",
    "Ready",
    "Restart Count",
    "Limits",
    "Requests",
    "Liveness",
    "Readiness",
    "Startup",
    "Environment",
    "Environment Variables from",
    "Mounts",
    "Devices",
];

/// Name of a container whose block header was not pasted and could not be
/// inferred (container names are DNS labels, so this cannot clash).
pub(crate) const UNNAMED_CONTAINER: &str = "<unnamed>";

pub(super) fn read(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    let layout = Layout::parse(t);
    if layout.entries.is_empty() {
        return Ok(());
    }
    let anchor = b.new_anchor();
    let mut pods: Vec<(Pod, Vec<Event>)> = Vec::new();
    let mut headless = 0;
    for doc in layout.documents() {
        if let Some(p) = read_doc(t, b, &layout, &doc, anchor, &mut headless) {
            pods.push(p);
        }
    }
    if pods.is_empty() {
        return Err(nothing_found(t, "pod"));
    }
    if let Some(&first) = layout.elisions.first() {
        b.diagnostic(
            DiagnosticLevel::Note,
            t.source_at(first),
            format!(
                "partial describe output: {} elided part(s) (`...`); read what is there",
                layout.elisions.len()
            ),
        );
    }
    infer_anchor(b, anchor, &pods);
    for (pod, events) in pods {
        b.add_pod(pod);
        for e in events {
            b.add_event(e);
        }
    }
    Ok(())
}

/// What one document (one pod) says, gathered before the pod's identity is known.
#[derive(Default)]
struct Draft<'a> {
    pod: Pod,
    containers: Vec<Container>,
    /// Container fields met outside any container block, and the keys seen.
    orphan: Option<(Container, BTreeSet<&'a str>)>,
    rows: Vec<Row<'a>>,
    /// The pod name from `Pod 'x': error '…', but found events.` (old kubectl).
    found_name: Option<String>,
    /// Indentation of the pod-level keys, once one is seen.
    top_indent: Option<usize>,
    saw_pod_key: bool,
}

fn read_doc<'a>(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'a>,
    doc: &[usize],
    anchor: AnchorId,
    headless: &mut usize,
) -> Option<(Pod, Vec<Event>)> {
    let mut d = Draft::default();
    d.pod.sources.push(t.source_at(layout.get(doc[0]).idx));
    for id in layout.walk(doc) {
        let e = layout.get(id);
        let Some(key) = e.key else {
            if let Some(name) = found_events_name(e.text) {
                d.found_name = Some(name.to_owned());
            }
            continue;
        };
        if pod_key(t, b, layout, id, anchor, &mut d) {
            d.saw_pod_key = true;
            d.top_indent.get_or_insert(e.indent);
            continue;
        }
        if CONTAINER_KEYS.contains(&key) {
            let (c, seen) = d.orphan.get_or_insert_with(|| {
                (
                    Container {
                        source: Some(t.source_at(e.idx)),
                        ..Default::default()
                    },
                    BTreeSet::new(),
                )
            });
            if !seen.insert(key) {
                // The same field again: the paste holds a second container.
                let mut done = std::mem::take(c);
                done.name = UNNAMED_CONTAINER.to_owned();
                seen.clear();
                seen.insert(key);
                c.source = Some(t.source_at(e.idx));
                d.containers.push(done);
            }
            let c = &mut d.orphan.as_mut().expect("just set").0;
            container_field(t, b, layout, id, c, anchor);
            continue;
        }
        // A container block whose `Containers:` line was not pasted.
        if e.value.is_empty() && has_container_fields(layout, id) {
            d.containers
                .push(container(t, b, layout, id, false, anchor));
        }
    }
    if let Some((mut c, _)) = d.orphan.take() {
        c.name = UNNAMED_CONTAINER.to_owned();
        d.containers.insert(0, c);
    }
    if !d.saw_pod_key && d.containers.is_empty() && d.rows.is_empty() && d.found_name.is_none() {
        return None;
    }
    Some(finish(t, b, layout, doc, anchor, d, headless))
}

/// Applies a pod-level key; false when `id` is not one.
fn pod_key<'a>(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'a>,
    id: usize,
    anchor: AnchorId,
    d: &mut Draft<'a>,
) -> bool {
    let e = layout.get(id);
    let p = &mut d.pod;
    // Reason/Message also appear inside a container's State: at pod level only
    // when level with the pod's other keys.
    let pod_level = d.top_indent.is_none_or(|i| i == e.indent);
    match e.key.unwrap_or("") {
        "Name" => p.meta.name = e.value.to_owned(),
        "Namespace" => p.meta.namespace = e.val().map(str::to_owned),
        "Service Account" => p.service_account = e.val().map(str::to_owned),
        "Node" => {
            p.node = e
                .val()
                .map(|v| v.split_once('/').map_or(v, |(n, _)| n).to_owned())
        }
        "Start Time" => p.start_time = abs_time(b, anchor, e.value),
        "Labels" => p.meta.labels = labels(layout, id),
        "Annotations" => p.meta.annotations = annotations(layout, id),
        "Status" => {
            // `Terminating (lasts 5s)` replaces the phase while a pod is deleted.
            match e.value.split_whitespace().next() {
                Some("Terminating") => {
                    p.reason.get_or_insert_with(|| "Terminating".to_owned());
                }
                Some(phase) => p.phase = Some(phase.to_owned()),
                None => {}
            }
        }
        "Termination Grace Period" => {
            p.termination_grace_period_seconds = e.value.trim_end_matches('s').parse().ok()
        }
        "Reason" if pod_level && d.saw_pod_key => p.reason = e.val().map(str::to_owned),
        "Message" if pod_level && d.saw_pod_key => {
            p.message = Some(e.full_value()).filter(|m| !m.is_empty())
        }
        "IP" => p.ip = e.val().map(str::to_owned),
        "Controlled By" => {
            if let Some((kind, name)) = e.value.split_once('/') {
                p.meta.owners = vec![OwnerRef {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                    uid: None,
                    controller: true,
                }];
            }
        }
        "Init Containers" | "Containers" => {
            let init = e.is("Init Containers");
            for &c in &e.children {
                if layout.get(c).key.is_some() {
                    d.containers.push(container(t, b, layout, c, init, anchor));
                }
            }
        }
        "Conditions" => p.conditions = pod_conditions(layout, id),
        "Events" => d.rows = events::rows(t, b, layout, id),
        // Known, and not needed by the model.
        "Priority"
        | "Priority Class Name"
        | "Runtime Class Name"
        | "IPs"
        | "NominatedNodeName"
        | "SeccompProfile"
        | "LocalhostProfile"
        | "Resources"
        | "Ephemeral Containers"
        | "Readiness Gates"
        | "Volumes"
        | "QoS Class"
        | "Node-Selectors"
        | "Tolerations"
        | "Topology Spread Constraints" => {}
        _ => return false,
    }
    true
}

fn has_container_fields(layout: &Layout<'_>, id: usize) -> bool {
    layout.get(id).children.iter().any(|&c| {
        layout
            .get(c)
            .key
            .is_some_and(|k| CONTAINER_KEYS.contains(&k))
    })
}

/// A container block: `  name:` with its fields one level deeper.
pub(crate) fn container(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    id: usize,
    init: bool,
    anchor: AnchorId,
) -> Container {
    let e = layout.get(id);
    let mut c = Container {
        name: e.key.unwrap_or_default().to_owned(),
        init,
        source: Some(t.source_at(e.idx)),
        ..Default::default()
    };
    for &f in &e.children {
        container_field(t, b, layout, f, &mut c, anchor);
    }
    c
}

/// Applies one container field (`Image:`, `State:`, `Liveness:` …).
fn container_field(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    id: usize,
    c: &mut Container,
    anchor: AnchorId,
) {
    let e = layout.get(id);
    let lines = |layout: &Layout<'_>| -> Vec<String> {
        layout
            .descendants(id)
            .into_iter()
            .map(|d| layout.get(d).text.to_owned())
            .collect()
    };
    match e.key.unwrap_or("") {
        "Image" => c.image = e.val().map(str::to_owned),
        "Port" | "Ports" => c.ports = ports(e.value),
        "Command" => c.command = lines(layout),
        "Args" => c.args = lines(layout),
        "State" => c.state = state(b, layout, id, anchor),
        "Last State" => c.last_state = state(b, layout, id, anchor),
        "Ready" => c.ready = parse_bool(e.value),
        "Restart Count" => c.restart_count = e.value.parse().ok(),
        "Limits" => c.resources.limits = amounts(layout, id),
        "Requests" => c.resources.requests = amounts(layout, id),
        k @ ("Liveness" | "Readiness" | "Startup") => {
            let probe = parse_probe(e.value, t.source_at(e.idx));
            if probe.is_none() {
                b.diagnostic(
                    DiagnosticLevel::Warning,
                    t.source_at(e.idx),
                    format!("describe pod: {k} probe not understood: {}", e.value),
                );
            }
            match k {
                "Liveness" => c.liveness = probe,
                "Readiness" => c.readiness = probe,
                _ => c.startup = probe,
            }
        }
        _ => {}
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `9090/TCP (metrics), 8008/TCP (profiling)`, `8080/TCP`, `<none>`.
fn ports(s: &str) -> Vec<ContainerPort> {
    s.split(", ")
        .filter_map(|p| {
            let p = p.trim();
            let (num_proto, name) = match p.split_once(' ') {
                Some((a, n)) => (a, n.trim().strip_prefix('(')?.strip_suffix(')')),
                None => (p, None),
            };
            let (num, proto) = num_proto.split_once('/')?;
            Some(ContainerPort {
                port: num.parse().ok()?,
                name: name.map(str::to_owned),
                protocol: proto.to_owned(),
            })
        })
        .collect()
}

/// `State:` / `Last State:` with their `Reason:`, `Message:`, `Exit Code:` ….
fn state(
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    id: usize,
    anchor: AnchorId,
) -> Option<ContainerState> {
    let e = layout.get(id);
    let child = |k: &str| layout.child(id, k);
    let text = |k: &str| child(k).and_then(|c| c.val()).map(str::to_owned);
    let mut time = |k: &str| child(k).and_then(|c| abs_time(b, anchor, c.value));
    match e.value.split_whitespace().next()? {
        "Running" => Some(ContainerState::Running {
            started: time("Started"),
        }),
        "Waiting" => Some(ContainerState::Waiting {
            reason: text("Reason"),
            message: None,
        }),
        "Terminated" => {
            let started = time("Started");
            let finished = time("Finished");
            Some(ContainerState::Terminated {
                reason: text("Reason"),
                message: child("Message")
                    .map(Entry::full_value)
                    .filter(|m| !m.is_empty()),
                exit_code: text("Exit Code").and_then(|v| v.parse().ok()),
                signal: text("Signal").and_then(|v| v.parse().ok()),
                started,
                finished,
            })
        }
        _ => None,
    }
}

/// `Conditions:` under a pod: a `Type  Status` header, then `Ready   False `.
fn pod_conditions(layout: &Layout<'_>, id: usize) -> Vec<Condition> {
    let mut out = Vec::new();
    for c in layout.descendants(id) {
        let mut w = layout.get(c).text.split_whitespace();
        let (Some(kind), Some(status)) = (w.next(), w.next()) else {
            continue;
        };
        if (kind == "Type" && status == "Status") || kind.starts_with("--") {
            continue;
        }
        out.push(Condition {
            kind: kind.to_owned(),
            status: status.to_owned(),
            reason: None,
            message: None,
            last_transition: None,
            last_heartbeat: None,
        });
    }
    out
}

/// `Pod 'x': error '…', but found events.`: older kubectl printed this, then
/// the Events table, when the pod itself could not be fetched.
pub(crate) fn found_events_name(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("Pod '")?;
    let (name, tail) = rest.split_once("': error")?;
    tail.ends_with("but found events.").then_some(name)
}

/// Settles the pod's identity (a paste may lack `Name:`), names a container
/// that lost its header, and ties the events to the pod.
fn finish(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    doc: &[usize],
    anchor: AnchorId,
    mut d: Draft<'_>,
    headless: &mut usize,
) -> (Pod, Vec<Event>) {
    let at = t.source_at(layout.get(doc[0]).idx);
    let hints = EventHints::from_rows(&d.rows);
    if d.pod.meta.name.is_empty() {
        let (name, how) = if let Some(n) = d.found_name.take() {
            (n, "from the `but found events` line".to_owned())
        } else if let Some((ns, n)) = hints.pod.clone() {
            d.pod.meta.namespace = d.pod.meta.namespace.or(ns);
            (n, "from its events".to_owned())
        } else {
            let n = placeholder_name(t, *headless);
            *headless += 1;
            (n, "a placeholder from the input's name".to_owned())
        };
        b.diagnostic(
            DiagnosticLevel::Note,
            at.clone(),
            format!("describe pod output without its Name: line; pod named `{name}`, {how}"),
        );
        d.pod.meta.name = name;
    }
    if d.pod.node.is_none() {
        d.pod.node = hints.node.clone();
    }
    let same_pod = |(ns, name, _): &&(Option<String>, String, String)| {
        *name == d.pod.meta.name && (d.pod.meta.namespace.is_none() || *ns == d.pod.meta.namespace)
    };
    if let Some((_, _, uid)) = hints.uid.as_ref().filter(same_pod) {
        d.pod.meta.uid = Some(uid.clone());
    }
    for c in &mut d.containers {
        if c.name == UNNAMED_CONTAINER {
            if let [only] = hints.containers.as_slice() {
                c.name = only.clone();
                b.diagnostic(
                    DiagnosticLevel::Note,
                    c.source.clone().unwrap_or(at.clone()),
                    format!("container fields without their container's name; `{only}`, the one container its events name"),
                );
            } else {
                b.diagnostic(
                    DiagnosticLevel::Note,
                    c.source.clone().unwrap_or(at.clone()),
                    format!("container fields without their container's name; kept as `{UNNAMED_CONTAINER}`"),
                );
            }
        }
    }
    let mut pod = d.pod;
    pod.containers = d.containers;
    let object = ObjectRef {
        uid: pod.meta.uid.clone(),
        ..pod.object_ref()
    };
    let events = d
        .rows
        .iter()
        .map(|r| events::to_event(t, r, &object, anchor))
        .collect();
    (pod, events)
}

/// What the pod's own events say about it.
#[derive(Default)]
struct EventHints {
    /// (namespace, name) from `Successfully assigned ns/name to node` or a
    /// BackOff message's `in pod name_ns(uid)`.
    pod: Option<(Option<String>, String)>,
    uid: Option<(Option<String>, String, String)>,
    node: Option<String>,
    /// Distinct container names the events mention.
    containers: Vec<String>,
}

impl EventHints {
    fn from_rows(rows: &[Row<'_>]) -> EventHints {
        let mut h = EventHints::default();
        for r in rows {
            let (fp, msg) = crate::evidence::tables::split_field_path(r.message);
            let mut named = |n: &str| {
                if !n.is_empty() && !h.containers.iter().any(|c| c == n) {
                    h.containers.push(n.to_owned());
                }
            };
            let fp_name = fp.and_then(|fp| fp.split_once('{')?.1.split_once('}'));
            if let Some((n, _)) = fp_name {
                named(n);
            }
            if let Some(n) = mentioned_container(msg) {
                named(n);
            }
            let assigned = msg
                .strip_prefix("Successfully assigned ")
                .and_then(|rest| rest.split_once(" to "));
            if let Some((obj, node)) = assigned {
                if let Some((ns, name)) = obj.split_once('/') {
                    h.pod.get_or_insert((Some(ns.to_owned()), name.to_owned()));
                }
                h.node.get_or_insert(node.trim().to_owned());
            }
            // `… in pod name_namespace(uid)`: pod names and namespaces hold no `_`.
            let in_pod = msg.split_once(" in pod ").and_then(|(_, tail)| {
                let (full, uid) = tail.trim().strip_suffix(')')?.split_once('(')?;
                let (name, ns) = full.rsplit_once('_')?;
                Some((name, ns, uid))
            });
            if let Some((name, ns, uid)) = in_pod {
                let ns = Some(ns.to_owned());
                h.pod.get_or_insert((ns.clone(), name.to_owned()));
                if is_uid(uid) {
                    h.uid = Some((ns, name.to_owned(), uid.to_owned()));
                }
            }
        }
        h
    }
}

fn is_uid(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The container a kubelet message names: `Started container X`, `Created
/// container: X`, `Container X failed liveness probe`, `Back-off restarting
/// failed container X in pod …`, `Stopping container X`.
fn mentioned_container(msg: &str) -> Option<&str> {
    fn first_word(s: &str) -> Option<&str> {
        let w = s
            .split_whitespace()
            .next()?
            .trim_matches(|c: char| "\"',".contains(c));
        let dns_label = !w.is_empty()
            && w.len() <= 63
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !matches!(w, "with" | "started" | "created" | "image");
        dns_label.then_some(w)
    }
    let m = msg.trim();
    for verb in ["Started", "Created", "Stopping", "Killing"] {
        if let Some(rest) = m
            .strip_prefix(verb)
            .and_then(|r| r.strip_prefix(" container"))
        {
            return first_word(rest.trim_start_matches(':'));
        }
    }
    if let Some(rest) = m.strip_prefix("Container ") {
        let name = first_word(rest)?;
        let tail = rest[rest.find(name)? + name.len()..].trim_start();
        let kubelet = ["failed", "definition changed", "is unhealthy", "exceeded"];
        return kubelet.iter().any(|k| tail.starts_with(k)).then_some(name);
    }
    if let Some((_, rest)) = m.split_once("failed container ") {
        return first_word(rest).filter(|_| rest.contains(" in pod "));
    }
    None
}

/// True when an event is about container `c` of `pod`.
fn event_is_for(e: &Event, c: &Container, pod: &Pod) -> bool {
    if let Some(name) = e.container() {
        return name == c.name;
    }
    if e.field_path.is_some() {
        return false;
    }
    match mentioned_container(&e.message) {
        Some(n) => n == c.name,
        None => pod.containers.iter().filter(|x| !x.init).count() == 1 && !c.init,
    }
}

/// The resolution of a kubectl age: ages are truncated, so the true age lies in
/// `[age, age + unit)`.
fn age_unit(d: Duration) -> Duration {
    let s = d.as_secs();
    Duration::from_secs(match s {
        s if s < 600 => 1,
        s if s < 8 * 3600 => 60,
        s if s < 8 * 86_400 => 3600,
        _ => 86_400,
    })
}

/// Infers when the output was taken from moments it shows both ways: a
/// container's start time (absolute) and the age of its `Started` (or
/// `Created`) event; failing that, the last termination's end and the age of
/// the last `Killing`, which precedes it by at most the grace period.
fn infer_anchor(b: &mut EvidenceBuilder, anchor: AnchorId, pods: &[(Pod, Vec<Event>)]) {
    let not_before = b.evidence().anchor(anchor).and_then(|a| a.not_before);
    // (priority, age, candidate): lower priority and younger ages are better.
    let mut best: Option<(u8, Duration, Timestamp)> = None;
    let mut consider = |prio: u8, t: Timestamp, age: Duration| {
        let Ok(span) = SignedDuration::try_from(age) else {
            return;
        };
        let Ok(at) = t.checked_add(span) else { return };
        if let Some(nb) = not_before {
            // The true moment is at most one age unit later than `at`; one
            // that ends before an absolute time shown in the output is wrong.
            let slack = SignedDuration::try_from(age_unit(age)).unwrap_or_default();
            if at.checked_add(slack).is_ok_and(|end| end < nb) {
                return;
            }
        }
        let at = not_before.map_or(at, |nb| at.max(nb));
        if best.is_none_or(|(p, a, _)| (prio, age) < (p, a)) {
            best = Some((prio, age, at));
        }
    };
    let last_ago = |e: &Event| match e.last_seen {
        Some(TimeRef::Ago { ago, anchor: a }) if a == anchor => Some(ago),
        _ => None,
    };
    for (pod, events) in pods {
        for c in &pod.containers {
            let running = matches!(c.state, Some(ContainerState::Running { .. }));
            let started = match (&c.state, &c.last_state) {
                (
                    Some(ContainerState::Running {
                        started: Some(TimeRef::At(t)),
                    }),
                    _,
                ) => Some(*t),
                (
                    _,
                    Some(ContainerState::Terminated {
                        started: Some(TimeRef::At(t)),
                        ..
                    }),
                ) if !running => Some(*t),
                _ => None,
            };
            let last = |reason: &str| {
                events
                    .iter()
                    .filter(|e| e.reason == reason && event_is_for(e, c, pod))
                    .find_map(last_ago)
            };
            if let Some(t) = started {
                for (prio, reason) in [(0, "Started"), (1, "Created")] {
                    if let Some(age) = last(reason) {
                        consider(prio, t, age);
                    }
                }
            }
            let finished = match &c.last_state {
                Some(ContainerState::Terminated {
                    finished: Some(TimeRef::At(f)),
                    ..
                }) => Some(*f),
                _ => None,
            };
            if let (Some(f), Some(age)) = (finished, last("Killing")) {
                consider(2, f, age);
            }
        }
    }
    if let Some((_, _, at)) = best {
        b.set_anchor(anchor, at, true);
    }
}

#[cfg(test)]
mod tests;
