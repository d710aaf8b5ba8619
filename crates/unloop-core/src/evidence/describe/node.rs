//! `kubectl describe node`: conditions (kubelet's and node-problem-detector's),
//! taints, capacity, the kubelet's lease, and the pods the node runs.

use super::events;
use super::layout::Layout;
use super::{abs_time, amounts, annotations, labels, placeholder_name, read_objects};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::error::InputError;
use crate::evidence::model::{
    Condition, DiagnosticLevel, Lease, Meta, Node, ObjectRef, Pod, ResourceAmounts, Resources,
    Taint,
};
use crate::evidence::quantity::{parse_cpu_millis, parse_memory_bytes};
use crate::evidence::tables::{Age, Columns, ago, excerpt, gap_cells, none_if_placeholder, tokens};
use crate::evidence::text::TextInput;
use crate::evidence::time::AnchorId;

pub(super) fn read(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    read_objects(t, b, "node", read_doc)
}

/// A pod row of `Non-terminated Pods`: namespace, name, age.
struct PodRow {
    idx: usize,
    namespace: String,
    name: String,
    age: Option<std::time::Duration>,
}

fn read_doc(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    doc: &[usize],
    anchor: AnchorId,
    headless: &mut usize,
) -> bool {
    let first = layout.get(doc[0]).idx;
    let mut node = Node {
        sources: vec![t.source_at(first)],
        ..Default::default()
    };
    let mut lease: Option<Lease> = None;
    let mut pods = Vec::new();
    let mut rows = Vec::new();
    let mut known = 0;
    for id in layout.walk(doc) {
        let e = layout.get(id);
        let Some(key) = e.key else {
            continue;
        };
        known += 1;
        match key {
            "Name" => node.meta.name = e.value.to_owned(),
            "Labels" => node.meta.labels = labels(layout, id),
            "Annotations" => node.meta.annotations = annotations(layout, id),
            "CreationTimestamp" => node.meta.created = abs_time(b, anchor, e.value),
            "Taints" => {
                let lines = std::iter::once(e.value).chain(
                    layout
                        .descendants(id)
                        .into_iter()
                        .map(|d| layout.get(d).text),
                );
                node.taints = lines.filter_map(parse_taint).collect();
            }
            "Unschedulable" => node.unschedulable = e.value.eq_ignore_ascii_case("true"),
            "Lease" => {
                let get = |k: &str| layout.child(id, k).and_then(|c| c.val());
                let holder = get("HolderIdentity").map(str::to_owned);
                let acquire = get("AcquireTime").and_then(|v| abs_time(b, anchor, v));
                let renew = get("RenewTime").and_then(|v| abs_time(b, anchor, v));
                lease = Some(Lease {
                    meta: Meta {
                        namespace: Some("kube-node-lease".to_owned()),
                        ..Default::default()
                    },
                    holder,
                    duration_seconds: None,
                    acquire_time: acquire.and_then(|t| t.absolute()),
                    renew_time: renew.and_then(|t| t.absolute()),
                    transitions: None,
                    source: t.source_at(e.idx),
                });
            }
            "Conditions" => node.conditions = conditions(t, b, layout, id, anchor),
            "Capacity" => node.capacity = amounts(layout, id),
            "Allocatable" => node.allocatable = amounts(layout, id),
            "System Info" => {
                node.kubelet_version = layout
                    .child(id, "Kubelet Version")
                    .and_then(|c| c.val())
                    .map(str::to_owned)
            }
            "Non-terminated Pods" => pods = pod_rows(t, b, layout, id),
            "Allocated resources" => node.allocated = allocated(layout, id),
            "Events" => rows = events::rows(t, b, layout, id),
            _ => known -= 1,
        }
    }
    if known == 0 {
        return false;
    }
    if node.meta.name.is_empty() {
        node.meta.name = placeholder_name(t, *headless);
        *headless += 1;
        b.diagnostic(
            DiagnosticLevel::Note,
            t.source_at(first),
            format!(
                "describe node output without its Name: line; node named `{}` after the input",
                node.meta.name
            ),
        );
    }
    let name = node.meta.name.clone();
    // A healthy kubelet renews its lease every 10 s: the output was taken then.
    let ready = node.condition("Ready").is_some_and(Condition::is_true);
    if let Some(mut l) = lease {
        if let Some(renew) = l.renew_time.filter(|_| ready) {
            b.set_anchor(anchor, renew, true);
        }
        l.meta.name = name.clone();
        l.holder = l.holder.filter(|h| !h.is_empty());
        b.add_lease(l);
    }
    let object = ObjectRef::new("Node", None, name.as_str());
    for r in &rows {
        b.add_event(events::to_event(t, r, &object, anchor));
    }
    for r in pods {
        let source = t.source_at(r.idx);
        b.add_pod(Pod {
            meta: Meta {
                namespace: Some(r.namespace),
                name: r.name,
                created: r.age.map(|d| ago(d, anchor)),
                ..Default::default()
            },
            node: Some(name.clone()),
            sources: vec![source],
            ..Default::default()
        });
    }
    b.add_node(node);
    true
}

/// `key=value:Effect`, `key:Effect` (`Taint.ToString`).
fn parse_taint(s: &str) -> Option<Taint> {
    let s = none_if_placeholder(s)?;
    let (kv, effect) = match s.rsplit_once(':') {
        Some((kv, eff)) if eff.is_empty() || eff.chars().all(|c| c.is_ascii_alphabetic()) => {
            (kv, eff)
        }
        _ => (s, ""),
    };
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_owned())),
        None => (kv, None),
    };
    (!key.is_empty()).then(|| Taint {
        key: key.to_owned(),
        value,
        effect: effect.to_owned(),
    })
}

/// The conditions table: Type, Status, LastHeartbeatTime, LastTransitionTime,
/// Reason, Message. Times hold single spaces, so cells are cut at the header's
/// offsets, or at runs of two spaces when a row does not line up.
fn conditions(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    id: usize,
    anchor: AnchorId,
) -> Vec<Condition> {
    let mut out = Vec::new();
    let mut cols: Option<Columns> = None;
    for d in layout.descendants(id) {
        let e = layout.get(d);
        let mut words = e.text.split_whitespace();
        if words.next() == Some("Type") && words.next() == Some("Status") {
            cols = Some(Columns::parse(e.raw, &[]));
            continue;
        }
        if e.text.starts_with("--") {
            continue;
        }
        let ok = |c: &Vec<&str>| {
            c.len() >= 2 && !c[0].is_empty() && ["True", "False", "Unknown"].contains(&c[1])
        };
        let cells = cols
            .as_ref()
            .and_then(|c| c.cut(e.raw))
            .filter(|c| c.len() == 6)
            .filter(ok)
            .or_else(|| {
                let g = gap_cells(e.raw);
                let mut c: Vec<&str> = g.iter().take(5).map(|&(a, z)| &e.raw[a..z]).collect();
                if let Some(&(a, _)) = g.get(5) {
                    c.push(e.raw[a..].trim());
                }
                Some(c).filter(ok)
            });
        let Some(c) = cells else {
            b.diagnostic(
                DiagnosticLevel::Warning,
                t.source_at(e.idx),
                format!(
                    "describe node: condition row not understood, skipped: {}",
                    excerpt(e.raw)
                ),
            );
            continue;
        };
        let cell = |i: usize| c.get(i).copied().filter(|s| !s.is_empty());
        out.push(Condition {
            kind: c[0].to_owned(),
            status: c[1].to_owned(),
            last_heartbeat: cell(2).and_then(|s| abs_time(b, anchor, s)),
            last_transition: cell(3).and_then(|s| abs_time(b, anchor, s)),
            reason: cell(4).map(str::to_owned),
            message: cell(5).map(str::to_owned),
        });
    }
    out
}

/// `Non-terminated Pods:` rows: namespace, name, four resource cells, age.
fn pod_rows(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    id: usize,
) -> Vec<PodRow> {
    const PHRASES: &[&str] = &[
        "CPU Requests",
        "CPU Limits",
        "Memory Requests",
        "Memory Limits",
    ];
    let mut out = Vec::new();
    let mut cols: Option<Columns> = None;
    for d in layout.descendants(id) {
        let e = layout.get(d);
        if e.text.starts_with("Namespace") && e.text.contains("Name") {
            cols = Some(Columns::parse(e.raw, PHRASES));
            continue;
        }
        if e.text.starts_with("--") {
            continue;
        }
        let age_ok = |s: &str| Age::parse(s).is_some();
        let cells: Option<(String, String, String)> = cols
            .as_ref()
            .and_then(|c| c.cut(e.raw))
            .filter(|c| c.len() == 7 && !c[1].is_empty() && age_ok(c[6]))
            .map(|c| (c[0].to_owned(), c[1].to_owned(), c[6].to_owned()))
            .or_else(|| {
                let tk = tokens(e.raw);
                let last = tk.last()?;
                let age = &e.raw[last.0..last.1];
                (tk.len() >= 3 && age_ok(age)).then(|| {
                    let w = |i: usize| e.raw[tk[i].0..tk[i].1].to_owned();
                    (w(0), w(1), age.to_owned())
                })
            });
        match cells {
            Some((namespace, name, age)) => out.push(PodRow {
                idx: e.idx,
                namespace,
                name,
                age: match Age::parse(&age) {
                    Some(Age::Plain(d)) => Some(d),
                    _ => None,
                },
            }),
            None => b.diagnostic(
                DiagnosticLevel::Warning,
                t.source_at(e.idx),
                format!(
                    "describe node: pod row not understood, skipped: {}",
                    excerpt(e.raw)
                ),
            ),
        }
    }
    out
}

/// `Allocated resources:` → the cpu and memory rows' requests and limits
/// (`cpu  950m (47%)  2 (100%)`).
fn allocated(layout: &Layout<'_>, id: usize) -> Option<Resources> {
    let mut r = Resources::default();
    let mut found = false;
    for d in layout.descendants(id) {
        let e = layout.get(d);
        let words: Vec<&str> = e
            .text
            .split_whitespace()
            .filter(|w| !w.starts_with('('))
            .collect();
        let (Some(&res), Some(&req), Some(&lim)) = (words.first(), words.get(1), words.get(2))
        else {
            continue;
        };
        let set = |a: &mut ResourceAmounts, v: &str| match res {
            "cpu" => a.cpu_millis = parse_cpu_millis(v),
            "memory" => a.memory_bytes = parse_memory_bytes(v),
            _ => {}
        };
        if res == "cpu" || res == "memory" {
            set(&mut r.requests, req);
            set(&mut r.limits, lim);
            found = true;
        }
    }
    found.then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::model::Evidence;
    use crate::evidence::source::Source;
    use crate::evidence::time::{TimeRef, parse_rfc1123z};

    /// Real `kubectl describe node` output (kubectl 1.32) of a node with
    /// node-problem-detector conditions, memory pressure and two taints.
    const NODE: &str = include_str!("testdata/node-npd-1.32.txt");

    fn read_text(text: &str) -> Evidence {
        let mut b = EvidenceBuilder::new();
        read(&TextInput::new(text, Source::new("node.txt")), &mut b).unwrap();
        b.finish()
    }

    #[test]
    fn node_with_npd_conditions_and_taints() {
        let ev = read_text(NODE);
        assert_eq!(ev.nodes.len(), 1);
        let n = &ev.nodes[0];
        assert_eq!(n.meta.name, "node-1");
        assert_eq!(n.meta.labels["topology.kubernetes.io/zone"], "eu-west-1a");
        assert_eq!(n.meta.annotations["node.alpha.kubernetes.io/ttl"], "0");
        assert_eq!(
            n.meta.created,
            Some(TimeRef::At(
                parse_rfc1123z("Mon, 19 Oct 2026 01:57:08 +0000").unwrap()
            ))
        );
        assert_eq!(
            n.taints,
            [
                Taint {
                    key: "dedicated".into(),
                    value: Some("infra".into()),
                    effect: "NoExecute".into()
                },
                Taint {
                    key: "node.kubernetes.io/memory-pressure".into(),
                    value: None,
                    effect: "NoSchedule".into()
                }
            ]
        );
        assert!(!n.unschedulable);
        assert_eq!(n.conditions.len(), 6);
        let fcr = n.condition("FrequentContainerdRestart").unwrap();
        assert!(fcr.is_true());
        assert_eq!(fcr.reason.as_deref(), Some("FrequentContainerdRestart"));
        assert_eq!(
            fcr.message.as_deref(),
            Some("Found 5 matching logs, which meets the threshold of 5")
        );
        assert_eq!(
            fcr.last_transition,
            Some(TimeRef::At(
                parse_rfc1123z("Sat, 28 Nov 2026 01:42:08 +0000").unwrap()
            ))
        );
        let kd = n.condition("KernelDeadlock").unwrap();
        assert_eq!(kd.status, "False");
        assert_eq!(kd.reason.as_deref(), Some("KernelHasNoDeadlock"));
        assert!(n.condition("MemoryPressure").unwrap().is_true());
        assert_eq!(n.capacity.cpu_millis, Some(2000));
        assert_eq!(n.capacity.memory_bytes, Some(8_148_500 * 1024));
        assert_eq!(n.allocatable.cpu_millis, Some(1930));
        let alloc = n.allocated.unwrap();
        assert_eq!(alloc.requests.cpu_millis, Some(630));
        assert_eq!(alloc.limits.cpu_millis, Some(1300));
        assert_eq!(alloc.requests.memory_bytes, Some(2088 << 20));
        assert_eq!(alloc.limits.memory_bytes, Some(4496 << 20));
        assert_eq!(n.kubelet_version.as_deref(), Some("v1.28.5"));

        // Every pod on the node becomes a (minimal) pod placed on it.
        assert_eq!(ev.pods.len(), 3);
        let istiod = ev
            .pod(Some("istio-system"), "istiod-6d8b7c9f5d-4kq2w")
            .unwrap();
        assert_eq!(istiod.node.as_deref(), Some("node-1"));
        assert!(
            matches!(istiod.meta.created, Some(TimeRef::Ago { ago, .. }) if ago.as_secs() == 2 * 86_400)
        );

        let lease = &ev.leases[0];
        assert_eq!(lease.meta.name, "node-1");
        assert_eq!(lease.holder.as_deref(), Some("node-1"));
        assert_eq!(lease.acquire_time, None);
        let renew = parse_rfc1123z("Sat, 28 Nov 2026 01:57:04 +0000").unwrap();
        assert_eq!(lease.renew_time, Some(renew));
        assert_eq!(ev.anchors[0].at, Some(renew));
        assert!(ev.anchors[0].inferred);

        assert_eq!(ev.events.len(), 2);
        let e = &ev.events[0];
        assert_eq!(e.object, ObjectRef::new("Node", None, "node-1"));
        assert_eq!(e.reason, "FrequentContainerdRestart");
        assert_eq!(e.reporter.as_deref(), Some("systemd-monitor"));
        assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    }

    #[test]
    fn not_ready_node_with_collapsed_rows_and_no_lease() {
        let text = "Name:               node-2
Roles:              <none>
Taints:             node.kubernetes.io/unreachable:NoExecute
                    node.kubernetes.io/unreachable:NoSchedule
Unschedulable:      true
Conditions:
  Type             Status    LastHeartbeatTime                 LastTransitionTime                Reason              Message
  ----             ------    -----------------                 ------------------                ------              -------
  Ready            Unknown   Fri, 12 Apr 2024 09:13:02 +0000   Fri, 12 Apr 2024 09:14:10 +0000   NodeStatusUnknown   Kubelet stopped posting node status.
  KernelDeadlock  True  Fri, 12 Apr 2024 09:12:00 +0000  Fri, 12 Apr 2024 09:00:00 +0000  DockerHung  task docker:1234 blocked for more than 120 seconds.
  garbage
Events:             <none>
";
        let ev = read_text(text);
        let n = &ev.nodes[0];
        assert!(n.unschedulable);
        assert_eq!(n.taints.len(), 2);
        assert_eq!(n.taints[1].effect, "NoSchedule");
        assert_eq!(n.conditions.len(), 2);
        assert_eq!(n.condition("Ready").unwrap().status, "Unknown");
        let kd = n.condition("KernelDeadlock").unwrap();
        assert_eq!(kd.reason.as_deref(), Some("DockerHung"));
        assert_eq!(
            kd.message.as_deref(),
            Some("task docker:1234 blocked for more than 120 seconds.")
        );
        assert_eq!(ev.diagnostics.len(), 1);
        assert_eq!(ev.diagnostics[0].source.line, Some(11));
        assert!(ev.leases.is_empty());
        // No lease: the anchor is only bounded by the latest time shown.
        assert_eq!(
            ev.anchors[0].not_before,
            parse_rfc1123z("Fri, 12 Apr 2024 09:14:10 +0000")
        );
    }

    #[test]
    fn taints() {
        assert_eq!(parse_taint("<none>"), None);
        let t = parse_taint("dedicated=infra:NoExecute").unwrap();
        assert_eq!(
            (t.key.as_str(), t.value.as_deref(), t.effect.as_str()),
            ("dedicated", Some("infra"), "NoExecute")
        );
        let t = parse_taint("node-role.kubernetes.io/control-plane:NoSchedule").unwrap();
        assert_eq!(t.value, None);
        assert_eq!(t.key, "node-role.kubernetes.io/control-plane");
    }

    #[test]
    fn not_a_node_is_an_error() {
        let mut b = EvidenceBuilder::new();
        let t = TextInput::new("lorem ipsum\n", Source::new("x"));
        assert!(read(&t, &mut b).is_err());
    }
}
