//! Node correlation: is the node at fault rather than (or as well as) the
//! workload?
//!
//! Reads where the workload's pods run and how each fares, what the nodes
//! report (conditions, node-problem-detector conditions, taints), what
//! happened to them (NodeNotReady flaps, TaskHung, KernelOops, OOM, runtime
//! restarts, reboots), and whether unrelated pods on the same node restart
//! too. Failures that stay on one node while replicas elsewhere run fine point
//! at the node on their own; a bad node under replicas that all fail only
//! makes another cause worse.

use std::collections::{BTreeMap, BTreeSet};

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts;
use crate::diagnose::finding::{Citation, Relation, Signals};
use crate::diagnose::subject::{owner_of, pod_symptoms};
use crate::evidence::{Event, Evidence, Node, ObjectRef, Pod, Source};

/// See the module docs.
pub struct NodeCorrelation;

const NAME: &str = "node-correlation";
// Ranking counts one argument per name, so the rule's independent arguments
// speak under names of their own: what the node reports (NAME), where the
// failures are (PLACEMENT), and how the node's other pods fare (NEIGHBOURS).
const PLACEMENT: &str = "node-placement";
const NEIGHBOURS: &str = "node-neighbours";

/// What a bad condition says: type, the status that is bad, weight, and the
/// mechanism in plain words.
struct BadCondition {
    kind: &'static str,
    bad: &'static [&'static str],
    weight: f64,
    mechanism: &'static str,
}

/// Kubelet conditions and node-problem-detector conditions (k8s-formats §7).
const CONDITIONS: &[BadCondition] = &[
    BadCondition {
        kind: "Ready",
        bad: &["False", "Unknown"],
        weight: 0.6,
        mechanism: "the node drops out of the cluster (NotReady)",
    },
    BadCondition {
        kind: "MemoryPressure",
        bad: &["True"],
        weight: 0.4,
        mechanism: "the node is short of memory",
    },
    BadCondition {
        kind: "DiskPressure",
        bad: &["True"],
        weight: 0.35,
        mechanism: "the node is short of disk",
    },
    BadCondition {
        kind: "PIDPressure",
        bad: &["True"],
        weight: 0.4,
        mechanism: "the node is short of process ids",
    },
    BadCondition {
        kind: "NetworkUnavailable",
        bad: &["True"],
        weight: 0.5,
        mechanism: "the node's network is not set up",
    },
    BadCondition {
        kind: "KernelDeadlock",
        bad: &["True"],
        weight: 0.6,
        mechanism: "the kernel deadlocks and tasks hang",
    },
    BadCondition {
        kind: "ReadonlyFilesystem",
        bad: &["True"],
        weight: 0.55,
        mechanism: "the node's filesystem went read-only",
    },
    BadCondition {
        kind: "FrequentKubeletRestart",
        bad: &["True"],
        weight: 0.45,
        mechanism: "the kubelet keeps restarting",
    },
    BadCondition {
        kind: "FrequentDockerRestart",
        bad: &["True"],
        weight: 0.45,
        mechanism: "the container runtime keeps restarting",
    },
    BadCondition {
        kind: "FrequentContainerdRestart",
        bad: &["True"],
        weight: 0.45,
        mechanism: "the container runtime keeps restarting",
    },
    BadCondition {
        kind: "FrequentUnregisterNetDevice",
        bad: &["True"],
        weight: 0.3,
        mechanism: "the kernel's network devices misbehave",
    },
    BadCondition {
        kind: "KubeletUnhealthy",
        bad: &["True"],
        weight: 0.45,
        mechanism: "the kubelet is unhealthy",
    },
    BadCondition {
        kind: "ContainerRuntimeUnhealthy",
        bad: &["True"],
        weight: 0.5,
        mechanism: "the container runtime is unhealthy",
    },
    BadCondition {
        kind: "XfsShutdown",
        bad: &["True"],
        weight: 0.5,
        mechanism: "the XFS filesystem shut down",
    },
    BadCondition {
        kind: "CperHardwareErrorFatal",
        bad: &["True"],
        weight: 0.5,
        mechanism: "the hardware reports fatal errors",
    },
    BadCondition {
        kind: "CorruptDockerOverlay2",
        bad: &["True"],
        weight: 0.4,
        mechanism: "the runtime's overlay storage is corrupt",
    },
    BadCondition {
        kind: "NTPProblem",
        bad: &["True"],
        weight: 0.15,
        mechanism: "the node's clock is off",
    },
];

/// Node taints that mean trouble, with weight; used when the matching
/// condition is not in the evidence.
const TAINTS: &[(&str, &str, f64)] = &[
    ("node.kubernetes.io/not-ready", "Ready", 0.4),
    ("node.kubernetes.io/unreachable", "Ready", 0.5),
    ("node.kubernetes.io/memory-pressure", "MemoryPressure", 0.3),
    ("node.kubernetes.io/disk-pressure", "DiskPressure", 0.3),
    ("node.kubernetes.io/pid-pressure", "PIDPressure", 0.3),
    (
        "node.kubernetes.io/network-unavailable",
        "NetworkUnavailable",
        0.35,
    ),
];

/// Node event reasons that mean trouble: reason, weight, mechanism.
const EVENTS: &[(&str, f64, &str)] = &[
    (
        "NodeNotReady",
        0.35,
        "the node drops out of the cluster (NotReady)",
    ),
    (
        "TaskHung",
        0.4,
        "kernel tasks hang, so processes on the node stall",
    ),
    ("KernelOops", 0.45, "the kernel oopses"),
    ("DockerHung", 0.45, "the container runtime hangs"),
    (
        "ContainerdUnhealthy",
        0.45,
        "the container runtime is unhealthy",
    ),
    ("KubeletUnhealthy", 0.4, "the kubelet is unhealthy"),
    ("Rebooted", 0.35, "the node reboots"),
    ("SystemOOM", 0.3, "the node runs out of memory"),
    ("OOMKilling", 0.25, "the kernel kills processes for memory"),
    (
        "FilesystemIsReadOnly",
        0.5,
        "the node's filesystem went read-only",
    ),
    ("Ext4Error", 0.4, "the filesystem reports errors"),
    ("IOError", 0.4, "the disk reports I/O errors"),
    (
        "ConntrackFull",
        0.35,
        "the connection-tracking table is full, so connections (probes included) drop",
    ),
    (
        "UnregisterNetDevice",
        0.3,
        "the kernel's network devices misbehave",
    ),
    (
        "EvictionThresholdMet",
        0.3,
        "the kubelet evicts pods for lack of resources",
    ),
    (
        "NodeHasInsufficientMemory",
        0.3,
        "the node is short of memory",
    ),
    ("NodeHasDiskPressure", 0.3, "the node is short of disk"),
    (
        "NodeHasInsufficientPID",
        0.3,
        "the node is short of process ids",
    ),
    (
        "ContainerGCFailed",
        0.25,
        "the container runtime does not answer the kubelet",
    ),
    (
        "FreeDiskSpaceFailed",
        0.2,
        "the node cannot free disk space",
    ),
    ("ImageGCFailed", 0.2, "the node cannot free image space"),
];

/// Restarts of a pod: the most of any container, else the table row's count.
fn restarts(p: &Pod) -> u32 {
    restarts_known(p).unwrap_or(0)
}

/// Restarts when the evidence says; `None` for pods known only by name (the
/// pod table of `describe node`), which must not count as healthy.
fn restarts_known(p: &Pod) -> Option<u32> {
    p.containers
        .iter()
        .filter_map(|c| c.restart_count)
        .max()
        .or(p.row.as_ref().map(|r| r.restarts))
}

/// Whether a pod restarts or is troubled; `None` when the evidence does not say.
fn is_restarting(ev: &Evidence, p: &Pod) -> Option<bool> {
    if !pod_symptoms(ev, p).is_empty() {
        return Some(true);
    }
    restarts_known(p).map(|n| n > 0)
}

fn pod_source(p: &Pod) -> Source {
    p.sources
        .first()
        .cloned()
        .unwrap_or_else(|| Source::new("pods"))
}

/// One problem a node shows.
struct Problem {
    /// Short label for titles: `FrequentContainerdRestart`, `4 TaskHung events`.
    label: String,
    /// From events (what happened) rather than conditions or taints (the state now).
    from_event: bool,
    weight: f64,
    mechanism: &'static str,
    citation: Citation,
}

/// What a node shows.
#[derive(Default)]
struct NodeView {
    problems: Vec<Problem>,
    /// The node object was read (so "no problems" means something).
    seen: bool,
}

impl NodeView {
    fn score(&self) -> f64 {
        1.0 - self
            .problems
            .iter()
            .map(|p| 1.0 - p.weight)
            .product::<f64>()
    }
}

fn node_events<'a>(ev: &'a Evidence, node: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    ev.events
        .iter()
        .filter(move |e| e.object.kind.eq_ignore_ascii_case("Node") && e.object.name == node)
}

fn view(ev: &Evidence, name: &str) -> NodeView {
    let mut v = NodeView::default();
    let node: Option<&Node> = ev.node(name);
    let mut flagged: BTreeSet<&str> = BTreeSet::new();
    if let Some(n) = node {
        v.seen = true;
        let src = n
            .sources
            .first()
            .cloned()
            .unwrap_or_else(|| Source::new("nodes"));
        for bc in CONDITIONS {
            let Some(c) = n.condition(bc.kind) else {
                continue;
            };
            if !bc.bad.iter().any(|b| c.status.eq_ignore_ascii_case(b)) {
                continue;
            }
            flagged.insert(bc.kind);
            let label = if bc.kind == "Ready" {
                format!("Ready={}", c.status)
            } else {
                bc.kind.to_owned()
            };
            let why = [c.reason.as_deref(), c.message.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            v.problems.push(Problem {
                citation: Citation::new(
                    format!(
                        "node {name} condition {}={}{}",
                        c.kind,
                        c.status,
                        if why.is_empty() {
                            String::new()
                        } else {
                            format!(" ({why})")
                        }
                    ),
                    src.with_field(format!("Node {name} .status.conditions[{}]", c.kind)),
                ),
                label,
                from_event: false,
                weight: bc.weight,
                mechanism: bc.mechanism,
            });
        }
        for (key, cond, w) in TAINTS {
            if flagged.contains(cond) {
                continue;
            }
            if let Some(t) = n.taints.iter().find(|t| t.key == *key) {
                flagged.insert(cond);
                let mechanism = CONDITIONS
                    .iter()
                    .find(|c| c.kind == *cond)
                    .map_or("", |c| c.mechanism);
                v.problems.push(Problem {
                    label: format!("taint {key}"),
                    from_event: false,
                    weight: *w,
                    mechanism,
                    citation: Citation::new(
                        format!("node {name} is tainted {}:{}", t.key, t.effect),
                        src.with_field(format!("Node {name} .spec.taints")),
                    ),
                });
            }
        }
    }
    // Events, grouped by reason.
    let mut by_reason: BTreeMap<&str, (u32, &Event)> = BTreeMap::new();
    for e in node_events(ev, name) {
        if !EVENTS.iter().any(|(r, ..)| *r == e.reason) {
            continue;
        }
        let entry = by_reason.entry(e.reason.as_str()).or_insert((0, e));
        entry.0 += e.count.max(1);
    }
    for (reason, (count, e)) in by_reason {
        let (_, w, mechanism) = EVENTS
            .iter()
            .find(|(r, ..)| *r == reason)
            .expect("filtered above");
        // NotReady once is a blip; repeatedly, a flapping node.
        let w = if reason == "NodeNotReady" && count >= 2 {
            0.45
        } else {
            *w
        };
        v.problems.push(Problem {
            label: format!(
                "{count} {reason} event{}",
                if count == 1 { "" } else { "s" }
            ),
            from_event: true,
            weight: if count >= 3 {
                (w + 0.1_f64).min(0.6)
            } else {
                w
            },
            mechanism,
            citation: Citation::new(
                format!(
                    "node {name}: event {reason} (x{count}){}: {}",
                    e.reporter
                        .as_deref()
                        .map(|r| format!(" from {r}"))
                        .unwrap_or_default(),
                    e.message.lines().next().unwrap_or("")
                ),
                e.source.clone(),
            ),
        });
    }
    // The node's state first, then what happened to it; strongest first within each.
    v.problems.sort_by(|a, b| {
        a.from_event
            .cmp(&b.from_event)
            .then(b.weight.total_cmp(&a.weight))
    });
    v
}

/// How the workload's pods fare on one node.
#[derive(Default, Clone)]
struct Placement {
    pods: u32,
    troubled: u32,
    restarts: u32,
}

/// The workload's pods: the troubled ones of the subject and their healthy
/// siblings (same owner), which the subject itself does not list.
fn siblings<'a>(cx: &Context<'a>) -> Vec<(&'a Pod, bool)> {
    let ev = cx.ev;
    let mut out: Vec<(&Pod, bool)> = cx.pods().map(|p| (p, true)).collect();
    if let Some(w) = &cx.subject.workload {
        for p in &ev.pods {
            if out.iter().any(|(q, _)| std::ptr::eq(*q, p)) {
                continue;
            }
            if owner_of(ev, p).is_some_and(|(o, _)| same_workload(&o, w)) {
                out.push((p, !pod_symptoms(ev, p).is_empty()));
            }
        }
    }
    out
}

/// The same workload, where a side that does not know its namespace (a
/// `kubectl get pods` line without `-A`) matches any.
fn same_workload(a: &ObjectRef, b: &ObjectRef) -> bool {
    a.same_object(b)
        || (a.kind.eq_ignore_ascii_case(&b.kind)
            && a.name == b.name
            && (a.namespace.is_none() || b.namespace.is_none()))
}

/// Healthy pods known only as counts ([`Evidence::healthy_pods_elsewhere`])
/// on the nodes `which` accepts.
fn healthy_tallied(ev: &Evidence, which: impl Fn(&str) -> bool) -> usize {
    ev.healthy_pods_elsewhere
        .iter()
        .filter(|(n, _)| which(n))
        .map(|(_, &c)| c as usize)
        .sum()
}

/// Unrelated pods on a node: (restarting, all), with the restarting ones.
fn unrelated_on<'a>(ev: &'a Evidence, node: &str, mine: &[(&Pod, bool)]) -> (Vec<&'a Pod>, usize) {
    let known: Vec<(&Pod, bool)> = ev
        .pods
        .iter()
        .filter(|p| {
            p.node.as_deref() == Some(node) && !mine.iter().any(|(q, _)| std::ptr::eq(*q, *p))
        })
        .filter_map(|p| is_restarting(ev, p).map(|r| (p, r)))
        .collect();
    let total = known.len();
    (
        known
            .into_iter()
            .filter(|(_, r)| *r)
            .map(|(p, _)| p)
            .collect(),
        total,
    )
}

fn owner_name(ev: &Evidence, p: &Pod) -> String {
    owner_of(ev, p).map_or_else(|| p.object_ref().to_string(), |(o, _)| o.to_string())
}

impl Rule for NodeCorrelation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let ev = cx.ev;
        let pods = siblings(cx);
        if pods.is_empty() {
            return;
        }
        let who = cx
            .subject
            .workload
            .as_ref()
            .map(|w| w.name.clone())
            .unwrap_or_else(|| cx.example_pod());
        let mut placement: BTreeMap<&str, Placement> = BTreeMap::new();
        let mut unplaced = 0;
        for (p, troubled) in &pods {
            let Some(n) = p.node.as_deref() else {
                unplaced += u32::from(*troubled);
                continue;
            };
            let e = placement.entry(n).or_default();
            e.pods += 1;
            e.troubled += u32::from(*troubled);
            e.restarts += restarts(p);
        }
        if placement.values().all(|p| p.troubled == 0) {
            if unplaced > 0 {
                out.missing(
                    Some(CauseId::NodeUnhealthy),
                    "which nodes the failing pods run on",
                    format!("kubectl get pods{} -o wide", cx.ns_flag()),
                );
            }
            return;
        }
        let total_pods = pods.len() as u32;
        let troubled_total: u32 = placement.values().map(|p| p.troubled).sum::<u32>() + unplaced;
        let troubled_nodes: Vec<&str> = placement
            .iter()
            .filter(|(_, p)| p.troubled > 0)
            .map(|(n, _)| *n)
            .collect();

        // The worst node among those hosting this subject's own failing pods:
        // siblings on another bad node do not explain this subject's restarts.
        let views: BTreeMap<&str, NodeView> =
            troubled_nodes.iter().map(|n| (*n, view(ev, n))).collect();
        let own: BTreeSet<&str> = cx.pods().filter_map(|p| p.node.as_deref()).collect();
        let (bad, bad_view) = views
            .iter()
            .filter(|(n, _)| own.is_empty() || own.contains(*n))
            .max_by(|a, b| {
                a.1.score()
                    .total_cmp(&b.1.score())
                    .then(placement[a.0].troubled.cmp(&placement[b.0].troubled))
                    .then(b.0.cmp(a.0))
            })
            .map(|(n, v)| (*n, v))
            .expect("the subject's own pods are troubled, so their nodes are among the troubled");
        let here = placement[bad].clone();

        // Where the failures are: on one node with fine replicas elsewhere, or everywhere.
        let elsewhere: Vec<(&str, &Placement)> = placement
            .iter()
            .filter(|(n, _)| **n != bad)
            .map(|(n, p)| (*n, p))
            .collect();
        let others_fine = !elsewhere.is_empty()
            && elsewhere.iter().all(|(_, p)| p.troubled == 0)
            && unplaced == 0;
        let max_restarts_elsewhere = elsewhere.iter().map(|(_, p)| p.restarts).max().unwrap_or(0);
        let others_less = !elsewhere.is_empty()
            && !others_fine
            && here.restarts >= 3
            && here.restarts >= 3 * max_restarts_elsewhere.max(1)
            && unplaced == 0;
        let spread = troubled_nodes.len() >= 2 && !others_less;
        let all_fail = troubled_total == total_pods;

        let (restarting, unrelated_total) = unrelated_on(ev, bad, &pods);
        let unrelated_total = unrelated_total + healthy_tallied(ev, |n| n == bad);
        let restarting_owners: BTreeSet<String> =
            restarting.iter().map(|p| owner_name(ev, p)).collect();
        // Restarts elsewhere in the cluster at the same rate make this node unremarkable.
        let (elsewhere_restarting, elsewhere_total) = ev
            .pods
            .iter()
            .filter(|p| {
                p.node.as_deref().is_some_and(|n| n != bad)
                    && !pods.iter().any(|(q, _)| std::ptr::eq(*q, *p))
            })
            .filter_map(|p| is_restarting(ev, p))
            .fold((0usize, 0usize), |(r, t), x| (r + usize::from(x), t + 1));
        let elsewhere_total = elsewhere_total + healthy_tallied(ev, |n| n != bad);
        let rate_here = restarting.len() as f64 / unrelated_total.max(1) as f64;
        let rate_elsewhere = elsewhere_restarting as f64 / elsewhere_total.max(1) as f64;
        let unremarkable = elsewhere_total >= 3 && rate_elsewhere * 2.0 >= rate_here;

        let problems = &bad_view.problems;
        let has_node_evidence = !problems.is_empty();
        let co_failing = !restarting_owners.is_empty() && !unremarkable;

        // Scale node evidence down when every replica fails on several nodes:
        // this node makes things worse but cannot explain the others.
        let scale = if spread { 0.6 } else { 1.0 };
        let mut labels: Vec<String> = problems.iter().take(3).map(|p| p.label.clone()).collect();
        if problems.len() > 3 {
            labels.push(format!("{} more problems", problems.len() - 3));
        }
        let title = {
            let placed = if total_pods == 1 {
                format!("{who}'s pod runs on {bad}")
            } else {
                format!("{} of {} {who} pods run on {bad}", here.pods, total_pods)
            };
            let reports = if labels.is_empty() {
                String::new()
            } else {
                format!(", which reports {}", join_and(&labels))
            };
            let fine = match (others_fine, total_pods - here.pods) {
                (false, _) => String::new(),
                (true, 1) => "; the replica on another node runs fine".to_owned(),
                (true, n) => format!("; the {n} replicas on other nodes run fine"),
            };
            let unrelated = if co_failing {
                format!(
                    "; {} unrelated pod{} there restart{} too",
                    restarting.len(),
                    if restarting.len() == 1 { "" } else { "s" },
                    if restarting.len() == 1 { "s" } else { "" }
                )
            } else {
                String::new()
            };
            format!("{placed}{reports}{unrelated}{fine}")
        };

        let mut emitted = false;
        for p in problems {
            out.support(
                NAME,
                CauseId::NodeUnhealthy,
                p.weight * scale,
                p.citation.clone(),
            )
            .titled(title.clone());
            emitted = true;
        }
        if others_fine || others_less {
            let fine_nodes: Vec<String> = elsewhere
                .iter()
                .map(|(n, p)| {
                    format!(
                        "{n} ({} pod{}, {} restarts)",
                        p.pods,
                        if p.pods == 1 { "" } else { "s" },
                        p.restarts
                    )
                })
                .collect();
            let text = if others_fine {
                format!(
                    "the failing {who} pods all run on {bad} ({} restarts); the replicas on {} run fine",
                    here.restarts,
                    fine_nodes.join(", ")
                )
            } else {
                format!(
                    "{who} pods on {bad} restarted {} times, those elsewhere at most {max_restarts_elsewhere}: {}",
                    here.restarts,
                    fine_nodes.join(", ")
                )
            };
            let w = match (others_fine, has_node_evidence) {
                (true, true) => 0.55,
                (true, false) => 0.4,
                (false, _) => 0.3,
            };
            let src = pods
                .iter()
                .find(|(p, t)| *t && p.node.as_deref() == Some(bad))
                .map_or_else(|| Source::new("pods"), |(p, _)| pod_source(p));
            out.support(
                PLACEMENT,
                CauseId::NodeUnhealthy,
                w,
                Citation::new(text, src),
            )
            .titled(title.clone());
            emitted = true;
        }
        if co_failing {
            let names: Vec<String> = restarting
                .iter()
                .take(5)
                .map(|p| format!("{} ({} restarts)", p.object_ref(), restarts(p)))
                .collect();
            let w = match restarting_owners.len() {
                1 => 0.25,
                2 | 3 => 0.4,
                _ => 0.5,
            } * scale;
            out.support(
                NEIGHBOURS,
                CauseId::NodeUnhealthy,
                w,
                Citation::new(
                    format!(
                        "{} of {unrelated_total} other pods on {bad}, from {} workload{}, restart too: {}",
                        restarting.len(),
                        restarting_owners.len(),
                        if restarting_owners.len() == 1 { "" } else { "s" },
                        names.join(", ")
                    ),
                    pod_source(restarting[0]),
                ),
            )
            .titled(title.clone());
            emitted = true;
        }

        // Against: a healthy node, or failures spread evenly over nodes.
        if bad_view.seen && !has_node_evidence {
            let src = ev
                .node(bad)
                .and_then(|n| n.sources.first().cloned())
                .unwrap_or_else(|| Source::new("nodes"));
            out.against(
                NAME,
                CauseId::NodeUnhealthy,
                0.3,
                Citation::new(
                    format!("node {bad} reports Ready with no pressure or node-problem conditions, and no problem events"),
                    src,
                ),
            );
        }
        if spread && !has_node_evidence_anywhere(&views) {
            let per_node: Vec<String> = troubled_nodes
                .iter()
                .map(|n| {
                    format!(
                        "{n}: {} of {} failing",
                        placement[n].troubled, placement[n].pods
                    )
                })
                .collect();
            let src = pods
                .first()
                .map_or_else(|| Source::new("pods"), |(p, _)| pod_source(p));
            out.against(
                PLACEMENT,
                CauseId::NodeUnhealthy,
                0.45,
                Citation::new(
                    format!(
                        "{who} pods fail on every node they run on ({})",
                        per_node.join(", ")
                    ),
                    src,
                ),
            );
        }
        if !restarting.is_empty() && unremarkable {
            out.against(
                NEIGHBOURS,
                CauseId::NodeUnhealthy,
                0.15,
                Citation::new(
                    format!(
                        "pods restart elsewhere as often ({elsewhere_restarting} of {elsewhere_total} on other nodes) as on {bad} ({} of {unrelated_total})",
                        restarting.len()
                    ),
                    pod_source(restarting[0]),
                ),
            );
        } else if restarting.is_empty() && unrelated_total >= 3 {
            let src = ev
                .pods
                .iter()
                .find(|p| {
                    p.node.as_deref() == Some(bad)
                        && restarts_known(p).is_some()
                        && !pods.iter().any(|(q, _)| std::ptr::eq(*q, *p))
                })
                .map_or_else(|| Source::new("pods"), pod_source);
            out.against(
                NEIGHBOURS,
                CauseId::NodeUnhealthy,
                0.2,
                Citation::new(
                    format!("the {unrelated_total} other pods on {bad} run without restarts"),
                    src,
                ),
            );
        }

        if emitted {
            out.fact("node.bad", bad);
            out.fact("node.troubled_pods", here.troubled);
            out.fact("node.unrelated_restarting", restarting.len());
            out.fact("node.problems", problems.len());
            out.fact(
                "node.spread",
                if others_fine || others_less {
                    "concentrated"
                } else if spread {
                    "spread"
                } else {
                    "single-node"
                },
            );
            let probe_fails: u32 = facts::probe_failures(cx)
                .iter()
                .filter(|f| f.event.host.as_deref().is_none_or(|h| h == bad))
                .map(|f| f.event.count.max(1))
                .sum();
            self.chain(
                out,
                &who,
                bad,
                &here,
                problems,
                &restarting,
                co_failing,
                total_pods,
                probe_fails,
            );
            // Every replica fails: the node makes it worse but cannot be the
            // only cause. Failures that stay on this node make it the primary.
            if (all_fail || spread) && !others_less {
                out.relate(
                    CauseId::NodeUnhealthy,
                    Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad),
                );
            }
        }
        self.missing(
            out,
            bad,
            bad_view,
            unrelated_total,
            emitted || troubled_nodes.len() == 1,
        );
    }
}

fn has_node_evidence_anywhere(views: &BTreeMap<&str, NodeView>) -> bool {
    views.values().any(|v| !v.problems.is_empty())
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl NodeCorrelation {
    #[allow(clippy::too_many_arguments)]
    fn chain(
        &self,
        out: &mut Signals,
        who: &str,
        bad: &str,
        here: &Placement,
        problems: &[Problem],
        restarting: &[&Pod],
        co_failing: bool,
        total_pods: u32,
        probe_fails: u32,
    ) {
        let c = CauseId::NodeUnhealthy;
        if !problems.is_empty() {
            let labels: Vec<String> = problems.iter().take(3).map(|p| p.label.clone()).collect();
            out.chain(c, 0, format!("node {bad}: {}", join_and(&labels)));
            // One mechanism per subject ("the container runtime ..."), so that
            // related problems do not repeat each other.
            let subject = |m: &str| m.split(' ').take(3).collect::<Vec<_>>().join(" ");
            let mut mechs: Vec<&str> = Vec::new();
            for p in problems {
                if !p.mechanism.is_empty()
                    && !mechs.iter().any(|m| subject(m) == subject(p.mechanism))
                {
                    mechs.push(p.mechanism);
                }
            }
            if !mechs.is_empty() {
                out.chain(
                    c,
                    1,
                    mechs.into_iter().take(2).collect::<Vec<_>>().join("; "),
                );
            }
        } else {
            out.chain(
                c,
                0,
                format!("something on node {bad} (no node conditions or events in the evidence)"),
            );
        }
        out.chain(
            c,
            2,
            if probe_fails > 0 {
                format!("probes of pods on {bad} fail ({probe_fails} failures)")
            } else {
                format!("processes and probes of pods on {bad} stall or fail")
            },
        );
        out.chain(
            c,
            4,
            format!(
                "{} of {total_pods} {who} pods restart on {bad} ({} restarts){}",
                here.troubled,
                here.restarts,
                if co_failing {
                    format!(
                        ", and {} unrelated pod{} there too",
                        restarting.len(),
                        if restarting.len() == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            ),
        );
    }

    fn missing(
        &self,
        out: &mut Signals,
        bad: &str,
        v: &NodeView,
        unrelated_total: usize,
        relevant: bool,
    ) {
        if !relevant {
            return;
        }
        let cause = Some(CauseId::NodeUnhealthy);
        if !v.seen {
            out.missing(
                cause,
                format!("node {bad}'s conditions, taints, events and pods"),
                format!("kubectl describe node {bad}"),
            );
        }
        if unrelated_total == 0 {
            out.missing(
                cause,
                format!("the other pods on {bad}: whether unrelated workloads restart there too"),
                format!("kubectl get pods -A -o wide --field-selector spec.nodeName={bad}"),
            );
        }
    }
}

#[cfg(test)]
mod tests;
