//! Evidence that points at a node, and near misses that must not.

use super::*;
use crate::diagnose::finding::Polarity;
use crate::diagnose::knowledge::components::recognise_pod;
use crate::diagnose::rank::rank;
use crate::diagnose::subject::find_subjects;
use crate::evidence::*;

const BAD: &str = "ip-10-0-1-23.ec2.internal";
const GOOD: &str = "ip-10-0-2-45.ec2.internal";
const IMAGE: &str = "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@sha256:ab";

fn pod(ns: &str, name: &str, owner_rs: &str, node: &str, restarts: u32, crashing: bool) -> Pod {
    Pod {
        meta: Meta {
            namespace: Some(ns.into()),
            name: name.into(),
            owners: vec![OwnerRef {
                kind: "ReplicaSet".into(),
                name: owner_rs.into(),
                uid: None,
                controller: true,
            }],
            ..Default::default()
        },
        node: Some(node.into()),
        containers: vec![Container {
            name: "controller".into(),
            image: Some(IMAGE.into()),
            restart_count: Some(restarts),
            state: Some(if crashing {
                ContainerState::Waiting {
                    reason: Some("CrashLoopBackOff".into()),
                    message: None,
                }
            } else {
                ContainerState::Running { started: None }
            }),
            ..Default::default()
        }],
        sources: vec![Source::new("pods.json").with_field(format!("Pod {ns}/{name}"))],
        ..Default::default()
    }
}

fn istio(suffix: &str, node: &str, restarts: u32, crashing: bool) -> Pod {
    pod(
        "knative-serving",
        &format!("net-istio-controller-7f9c8d6b5-{suffix}"),
        "net-istio-controller-7f9c8d6b5",
        node,
        restarts,
        crashing,
    )
}

/// A pod of another workload (`app` in `ns`).
fn other(ns: &str, app: &str, i: u32, node: &str, restarts: u32) -> Pod {
    let mut p = pod(
        ns,
        &format!("{app}-5d9c7f6b8-q{i:04}"),
        &format!("{app}-5d9c7f6b8"),
        node,
        restarts,
        false,
    );
    p.containers[0].image = Some(format!("example.com/{app}:1"));
    p
}

fn cond(kind: &str, status: &str, reason: Option<&str>, message: Option<&str>) -> Condition {
    Condition {
        kind: kind.into(),
        status: status.into(),
        reason: reason.map(str::to_owned),
        message: message.map(str::to_owned),
        last_transition: None,
        last_heartbeat: None,
    }
}

fn node(name: &str, conditions: Vec<Condition>) -> Node {
    Node {
        meta: Meta {
            name: name.into(),
            ..Default::default()
        },
        conditions,
        sources: vec![Source::new("nodes.json")],
        ..Default::default()
    }
}

fn healthy_conditions() -> Vec<Condition> {
    vec![
        cond(
            "Ready",
            "True",
            Some("KubeletReady"),
            Some("kubelet is posting ready status"),
        ),
        cond(
            "MemoryPressure",
            "False",
            Some("KubeletHasSufficientMemory"),
            None,
        ),
        cond(
            "DiskPressure",
            "False",
            Some("KubeletHasNoDiskPressure"),
            None,
        ),
        cond("KernelDeadlock", "False", Some("KernelHasNoDeadlock"), None),
        cond(
            "FrequentContainerdRestart",
            "False",
            Some("NoFrequentContainerdRestart"),
            None,
        ),
    ]
}

fn node_event(node: &str, reason: &str, reporter: &str, message: &str, count: u32) -> Event {
    Event {
        object: ObjectRef::new("Node", None, node),
        field_path: None,
        kind: "Warning".into(),
        reason: reason.into(),
        message: message.into(),
        reporter: Some(reporter.into()),
        host: Some(node.into()),
        count,
        first_seen: None,
        last_seen: None,
        source: Source::new("events.json"),
    }
}

fn bad_node() -> Node {
    let mut c = healthy_conditions();
    c[4] = cond(
        "FrequentContainerdRestart",
        "True",
        Some("FrequentContainerdRestart"),
        Some("Found 5 matching logs, which meets the threshold of 5"),
    );
    node(BAD, c)
}

fn task_hung(b: &mut EvidenceBuilder) {
    b.add_event(node_event(
        BAD,
        "TaskHung",
        "kernel-monitor",
        "INFO: task controller:2231 blocked for more than 120 seconds.",
        4,
    ));
}

fn probe_timeout(b: &mut EvidenceBuilder, pod: &str, host: &str) {
    b.add_event(Event {
        object: ObjectRef::new("Pod", Some("knative-serving"), pod),
        field_path: Some("spec.containers{controller}".into()),
        kind: "Warning".into(),
        reason: "Unhealthy".into(),
        message: "Liveness probe failed: Get \"http://10.0.1.7:8080/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into(),
        reporter: Some("kubelet".into()),
        host: Some(host.into()),
        count: 12,
        first_seen: None,
        last_seen: None,
        source: Source::new("events.json"),
    });
}

/// Runs the rule on the net-istio-controller subject.
fn run(ev: &Evidence) -> Signals {
    run_subject(ev, "net-istio-controller")
}

/// Runs the rule on the first subject whose name contains `name`.
fn run_subject(ev: &Evidence, name: &str) -> Signals {
    let subjects = find_subjects(ev);
    let s = subjects
        .iter()
        .find(|s| s.name.contains(name))
        .expect("the subject is troubled");
    let name = s.workload.as_ref().map(|w| w.name.as_str());
    let cx = Context {
        ev,
        subject: s,
        component: s
            .pods
            .iter()
            .find_map(|&i| recognise_pod(&ev.pods[i], name)),
        now: None,
    };
    let mut out = Signals::default();
    NodeCorrelation.evaluate(&cx, &mut out);
    out
}

fn node_finding(out: &Signals) -> Option<crate::diagnose::finding::Finding> {
    rank(out)
        .into_iter()
        .find(|f| f.cause == CauseId::NodeUnhealthy)
}

fn against(out: &Signals) -> Vec<&str> {
    out.signals
        .iter()
        .filter(|s| s.polarity == Polarity::Against)
        .map(|s| s.citation.text.as_str())
        .collect()
}

#[test]
fn failures_on_one_bad_node_with_a_fine_replica_elsewhere_make_the_node_primary() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", BAD, 5, true));
    b.add_pod(istio("ccccc", GOOD, 0, false));
    b.add_pod(other("shop", "checkout", 1, BAD, 2));
    b.add_pod(other("shop", "cart", 1, BAD, 4));
    b.add_pod(other("monitoring", "exporter", 1, BAD, 1));
    for i in 0..4 {
        b.add_pod(other("shop", "web", i, GOOD, 0));
    }
    b.add_node(bad_node());
    b.add_node(node(GOOD, healthy_conditions()));
    task_hung(&mut b);
    probe_timeout(&mut b, "net-istio-controller-7f9c8d6b5-aaaaa", BAD);
    let ev = b.finish();
    let out = run(&ev);

    let f = node_finding(&out).unwrap();
    assert_eq!(
        f.title,
        format!(
            "2 of 3 net-istio-controller pods run on {BAD}, which reports FrequentContainerdRestart and 4 TaskHung events; 3 unrelated pods there restart too; the replica on another node runs fine"
        )
    );
    assert!(f.score >= 0.85, "score {}", f.score);
    assert!(f.against.is_empty(), "{:?}", f.against);
    assert!(f.evidence.iter().any(|c| c.text.contains(
        "condition FrequentContainerdRestart=True (FrequentContainerdRestart: Found 5 matching logs"
    )));
    assert!(
        f.evidence
            .iter()
            .any(|c| c.text.contains("event TaskHung (x4) from kernel-monitor"))
    );
    assert!(f.evidence.iter().any(|c| c.text.contains(&format!(
        "the replicas on {GOOD} (1 pod, 0 restarts) run fine"
    ))));
    assert!(
        f.evidence
            .iter()
            .any(|c| c.text.starts_with("3 of 3 other pods on")
                && c.text.contains("from 3 workloads"))
    );
    // Only pods on that node fail: the node is a cause of its own.
    assert!(out.relations.is_empty());
    assert_eq!(out.get_fact("node.bad"), Some(BAD));
    assert_eq!(out.get_fact("node.spread"), Some("concentrated"));
    assert_eq!(
        f.chain[0],
        format!("node {BAD}: FrequentContainerdRestart and 4 TaskHung events")
    );
    assert!(
        f.chain
            .iter()
            .any(|c| c == &format!("probes of pods on {BAD} fail (12 failures)"))
    );
    assert!(f.missing.is_empty(), "{:?}", f.missing);
}

#[test]
fn a_bad_node_under_replicas_that_all_fail_only_contributes() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", GOOD, 6, true));
    b.add_node(bad_node());
    b.add_node(node(GOOD, healthy_conditions()));
    task_hung(&mut b);
    let ev = b.finish();
    let out = run(&ev);
    let f = node_finding(&out).unwrap();
    assert!(
        f.title
            .starts_with(&format!("1 of 2 net-istio-controller pods run on {BAD}")),
        "{}",
        f.title
    );
    assert_eq!(
        out.relations,
        [(
            CauseId::NodeUnhealthy,
            Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad)
        )]
    );
    assert_eq!(out.get_fact("node.spread"), Some("spread"));
    // Scaled down: the strongest node signal is below its full weight.
    let max_w = out
        .signals
        .iter()
        .filter(|s| s.polarity == Polarity::For)
        .map(|s| s.weight)
        .fold(0.0, f64::max);
    assert!(max_w < 0.45, "{max_w}");
}

#[test]
fn failures_spread_evenly_over_healthy_nodes_speak_against_the_node() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", GOOD, 6, true));
    b.add_node(node(BAD, healthy_conditions()));
    b.add_node(node(GOOD, healthy_conditions()));
    let ev = b.finish();
    let out = run(&ev);
    assert!(!out.signals.iter().any(|s| s.polarity == Polarity::For));
    let a = against(&out);
    assert!(
        a.iter()
            .any(|t| t.contains("pods fail on every node they run on")),
        "{a:?}"
    );
    assert!(
        a.iter()
            .any(|t| t.contains("reports Ready with no pressure")),
        "{a:?}"
    );
    assert!(out.get_fact("node.bad").is_none());
}

#[test]
fn a_single_pod_on_a_healthy_node_is_not_the_node() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", GOOD, 9, true));
    for i in 0..3 {
        b.add_pod(other("shop", "web", i, GOOD, 0));
    }
    b.add_node(node(GOOD, healthy_conditions()));
    let ev = b.finish();
    let out = run(&ev);
    assert!(node_finding(&out).is_none());
    let a = against(&out);
    assert_eq!(a.len(), 2, "{a:?}");
    assert!(
        a.iter()
            .any(|t| t.contains("the 3 other pods on") && t.contains("run without restarts"))
    );
    assert!(out.missing.is_empty(), "{:?}", out.missing);
}

#[test]
fn concentration_without_the_node_object_asks_for_it() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", BAD, 5, true));
    b.add_pod(istio("ccccc", GOOD, 0, false));
    let ev = b.finish();
    let out = run(&ev);
    let f = node_finding(&out).unwrap();
    assert_eq!(
        f.title,
        format!(
            "2 of 3 net-istio-controller pods run on {BAD}; the replica on another node runs fine"
        )
    );
    assert!((0.35..0.5).contains(&f.score), "{}", f.score);
    let cmds: Vec<&str> = f.missing.iter().map(|m| m.command.as_str()).collect();
    assert_eq!(
        cmds,
        [
            format!("kubectl describe node {BAD}"),
            format!("kubectl get pods -A -o wide --field-selector spec.nodeName={BAD}")
        ]
    );
}

#[test]
fn taints_and_not_ready_flaps_count_when_conditions_are_absent() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 4, true));
    let mut n = node(BAD, Vec::new());
    n.taints.push(Taint {
        key: "node.kubernetes.io/unreachable".into(),
        value: None,
        effect: "NoExecute".into(),
    });
    b.add_node(n);
    b.add_event(node_event(
        BAD,
        "NodeNotReady",
        "node-controller",
        &format!("Node {BAD} status is now: NodeNotReady"),
        3,
    ));
    b.add_event(node_event(
        BAD,
        "NodeReady",
        "kubelet",
        &format!("Node {BAD} status is now: NodeReady"),
        3,
    ));
    let ev = b.finish();
    let out = run(&ev);
    let f = node_finding(&out).unwrap();
    assert!(f.evidence.iter().any(
        |c| c.text == format!("node {BAD} is tainted node.kubernetes.io/unreachable:NoExecute")
    ));
    assert!(
        f.evidence
            .iter()
            .any(|c| c.text.contains("event NodeNotReady (x3)"))
    );
    // NodeReady is no problem.
    assert!(!f.evidence.iter().any(|c| c.text.contains("NodeReady (")));
    assert!(
        f.title.starts_with(&format!(
            "net-istio-controller's pod runs on {BAD}, which reports"
        )),
        "{}",
        f.title
    );
    assert!(
        f.chain[1].contains("drops out of the cluster"),
        "{:?}",
        f.chain
    );
}

/// A crash-looping pod and a restarting one on a healthy-looking node, and
/// four pods restarting as often elsewhere.
fn restarts_on_and_off_the_node() -> EvidenceBuilder {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(other("shop", "cart", 1, BAD, 2));
    b.add_pod(other("shop", "cart", 2, BAD, 0));
    for i in 0..4 {
        b.add_pod(other("shop", "web", i, GOOD, 3));
    }
    b.add_node(node(BAD, healthy_conditions()));
    b
}

#[test]
fn restarts_as_common_elsewhere_do_not_implicate_the_node() {
    let ev = restarts_on_and_off_the_node().finish();
    let out = run(&ev);
    assert!(node_finding(&out).is_none());
    assert!(
        against(&out)
            .iter()
            .any(|t| t.starts_with("pods restart elsewhere as often"))
    );
}

#[test]
fn healthy_pods_known_only_as_counts_make_restarts_elsewhere_rare() {
    // As above, but a live read counted 40 healthy pods on other nodes
    // without keeping them: 4 restarting of 44 elsewhere is not as often as
    // 1 of 2 on the node.
    let mut b = restarts_on_and_off_the_node();
    b.tally_healthy_pods(GOOD, 40);
    // Counts on the node itself are its healthy unrelated pods.
    b.tally_healthy_pods(BAD, 0);
    let ev = b.finish();
    let out = run(&ev);
    assert!(
        !against(&out)
            .iter()
            .any(|t| t.starts_with("pods restart elsewhere as often")),
        "{:?}",
        against(&out)
    );
}

#[test]
fn pods_without_node_names_ask_where_they_run() {
    let mut b = EvidenceBuilder::new();
    let mut p = istio("aaaaa", BAD, 7, true);
    p.node = None;
    b.add_pod(p);
    let ev = b.finish();
    let out = run(&ev);
    assert!(out.signals.is_empty());
    assert_eq!(
        out.missing[0].1.command,
        "kubectl get pods -n knative-serving -o wide"
    );
}

#[test]
fn whole_diagnosis_plans_cordon_drain_and_replace_for_the_bad_node() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", BAD, 5, true));
    b.add_pod(istio("ccccc", GOOD, 0, false));
    b.add_pod(other("shop", "checkout", 1, BAD, 2));
    b.add_pod(other("monitoring", "exporter", 1, BAD, 1));
    b.add_node(bad_node());
    b.add_node(node(GOOD, healthy_conditions()));
    task_hung(&mut b);
    let ev = b.finish();
    let d = crate::diagnose::diagnose(&ev, &crate::diagnose::DiagnoseOptions::default());
    let w = d
        .workloads
        .iter()
        .find(|w| w.subject.contains("net-istio-controller"))
        .unwrap();
    assert_eq!(w.verdict, CauseId::NodeUnhealthy);
    let isolate: Vec<&str> = w
        .plan
        .iter()
        .filter(|s| s.cause == CauseId::NodeUnhealthy)
        .flat_map(|s| s.commands.first().map(String::as_str))
        .collect();
    assert_eq!(isolate[0], format!("kubectl cordon {BAD}"));
    assert_eq!(
        isolate[1],
        format!("kubectl drain {BAD} --ignore-daemonsets --delete-emptydir-data --timeout=10m")
    );
    assert_eq!(isolate.len(), 3);
}

#[test]
fn pods_known_only_by_name_do_not_count_as_healthy_neighbours() {
    // `describe node` lists the pods on a node without their restarts.
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", GOOD, 9, true));
    for i in 0..5 {
        let mut p = other("shop", "web", i, GOOD, 0);
        p.containers.clear();
        b.add_pod(p);
    }
    b.add_node(node(GOOD, healthy_conditions()));
    let ev = b.finish();
    let out = run(&ev);
    assert!(
        !against(&out)
            .iter()
            .any(|t| t.contains("run without restarts")),
        "{:?}",
        against(&out)
    );
    // So the rule still asks for the pods with their restarts.
    assert!(out.missing.iter().any(|(_, m)| m.command
        == format!("kubectl get pods -A -o wide --field-selector spec.nodeName={GOOD}")));
}

#[test]
fn a_replica_read_without_its_namespace_still_counts_as_a_sibling() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", BAD, 5, true));
    // A `kubectl get pods` line without -A: no namespace, crash-looping on the good node.
    let mut p = istio("ccccc", GOOD, 6, true);
    p.meta.namespace = None;
    b.add_pod(p);
    b.add_node(bad_node());
    task_hung(&mut b);
    let ev = b.finish();
    let out = run(&ev);
    let f = node_finding(&out).unwrap();
    assert!(
        f.title
            .starts_with(&format!("2 of 3 net-istio-controller pods run on {BAD}")),
        "{}",
        f.title
    );
    assert_eq!(out.get_fact("node.spread"), Some("spread"));
    assert_eq!(
        out.relations,
        [(
            CauseId::NodeUnhealthy,
            Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad)
        )]
    );
}

#[test]
fn a_bad_node_under_sibling_pods_does_not_explain_a_pod_on_a_healthy_node() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(istio("aaaaa", BAD, 7, true));
    b.add_pod(istio("bbbbb", BAD, 5, true));
    let mut p = istio("ccccc", GOOD, 6, true);
    p.meta.namespace = None;
    b.add_pod(p);
    b.add_node(bad_node());
    b.add_node(node(GOOD, healthy_conditions()));
    task_hung(&mut b);
    let ev = b.finish();
    // The subject read without a namespace holds only the pod on the healthy node.
    let out = run_subject(&ev, "Deployment net-istio-controller");
    assert!(
        !out.signals.iter().any(|s| s.polarity == Polarity::For),
        "{:?}",
        out.signals
    );
    assert!(
        against(&out)
            .iter()
            .any(|t| t.contains(&format!("node {GOOD} reports Ready")))
    );
    assert!(out.get_fact("node.bad").is_none());
}
