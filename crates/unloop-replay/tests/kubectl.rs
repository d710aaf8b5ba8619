//! Conformance with the real kubectl, against a replay of the bundled incident.

mod common;

use std::time::Duration;

use common::serve_incident;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use unloop_core::evidence::{ReadOptions, read_paths};

const NS: &str = "knative-serving";
const CRASHING: &str = "net-istio-controller-5f7c9d8b46-k8x2p";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_incident_with_kubectl() {
    let s = serve_incident("kubectl-read").await;

    let pods = s.kubectl_ok(&["get", "pods", "-A"]).await;
    let header: Vec<&str> = pods.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    let row = pods
        .lines()
        .find(|l| l.contains(CRASHING))
        .expect("the crashing pod is listed");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..4],
        [NS, CRASHING, "0/1", "CrashLoopBackOff"],
        "{row}"
    );
    assert_eq!(cells[4], "23", "{row}");
    assert!(cells[5].starts_with('(') && cells[6] == "ago)", "{row}");

    let wide = s.kubectl_ok(&["get", "pods", "-n", NS, "-o", "wide"]).await;
    assert!(
        wide.lines().next().unwrap().contains("NOMINATED NODE"),
        "{wide}"
    );
    assert!(wide.contains("gke-prod-pool-1-3f9c2a1b-x7kq"), "{wide}");

    let revs = s
        .kubectl_ok(&["get", "revisions.serving.knative.dev", "-A"])
        .await;
    let header: Vec<&str> = revs
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "CONFIG NAME",
            "GENERATION",
            "READY",
            "REASON",
            "ACTUAL REPLICAS",
            "DESIRED REPLICAS"
        ]
    );
    assert_eq!(revs.lines().count(), 3123 + 1);
    let short = s
        .kubectl_ok(&["get", "rev", "-n", "analytics", "-o", "name"])
        .await;
    assert!(
        short
            .lines()
            .all(|l| l.starts_with("revision.serving.knative.dev/")),
        "{short}"
    );

    let describe = s.kubectl_ok(&["describe", "pod", "-n", NS, CRASHING]).await;
    assert!(
        describe.contains(&format!("Name:             {CRASHING}")),
        "{describe}"
    );
    assert!(describe.contains("CrashLoopBackOff"), "{describe}");
    assert!(
        describe.contains("Back-off restarting failed container"),
        "describe shows the pod's events:\n{describe}"
    );

    let selector = format!("involvedObject.name={CRASHING}");
    let events = s
        .kubectl_ok(&["get", "events", "-n", NS, "--field-selector", &selector])
        .await;
    let rows: Vec<&str> = events.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.contains(&format!("pod/{CRASHING}"))),
        "{events}"
    );
    assert!(events.contains("BackOff"), "{events}");

    let logs = s
        .kubectl_ok(&["logs", "-n", NS, CRASHING, "--previous"])
        .await;
    let file = std::fs::read_to_string(
        common::incident().join(format!("previous-logs/{CRASHING}-previous.log")),
    )
    .unwrap();
    assert_eq!(logs.lines().last(), file.lines().last());
    assert_eq!(logs.lines().count(), file.lines().count());
    let tail = s
        .kubectl_ok(&["logs", "-n", NS, CRASHING, "--previous", "--tail=2"])
        .await;
    assert_eq!(tail.lines().count(), 2);
    let no_prev = s
        .kubectl(&["logs", "-n", NS, "activator-kqk8nnwqwh-pmtz6", "--previous"])
        .await;
    assert!(!no_prev.ok);
    assert!(
        no_prev.stderr.contains("previous terminated container \"activator\" in pod \"activator-kqk8nnwqwh-pmtz6\" not found"),
        "{}",
        no_prev.stderr
    );

    let nodes = s.kubectl_ok(&["get", "nodes"]).await;
    let header: Vec<&str> = nodes.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert_eq!(nodes.lines().count(), 7);

    let missing = s.kubectl(&["get", "pod", "-n", NS, "nope"]).await;
    assert!(
        missing.stderr.contains("pods \"nope\" not found"),
        "{}",
        missing.stderr
    );
    let unknown = s.kubectl(&["get", "widgets"]).await;
    assert!(!unknown.ok);
    assert!(
        unknown
            .stderr
            .contains("the server doesn't have a resource type \"widgets\""),
        "{}",
        unknown.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_scale_delete_and_drain_with_kubectl() {
    let s = serve_incident("kubectl-write").await;
    let node = "gke-prod-pool-1-3f9c2a1b-q8zt";

    s.kubectl_ok(&["cordon", node]).await;
    let nodes = s.kubectl_ok(&["get", "node", node]).await;
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    let spec = s
        .kubectl_ok(&["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"])
        .await;
    assert_eq!(spec, "true");

    s.kubectl_ok(&["scale", "-n", NS, "deployment/activator", "--replicas=5"])
        .await;
    let replicas = s
        .kubectl_ok(&[
            "get",
            "deploy",
            "-n",
            NS,
            "activator",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas, "5");

    s.kubectl_ok(&["delete", "pod", "-n", NS, "activator-kqk8nnwqwh-pmtz6"])
        .await;
    let gone = s
        .kubectl(&["get", "pod", "-n", NS, "activator-kqk8nnwqwh-pmtz6"])
        .await;
    assert!(
        !gone.ok && gone.stderr.contains("not found"),
        "{}",
        gone.stderr
    );

    // The activator pod left on the node is the only one its budget allows to lose none of.
    let pdb = s.dir.join("pdb.yaml");
    std::fs::write(
        &pdb,
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: activator-pdb\n  namespace: knative-serving\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: activator\n",
    )
    .unwrap();
    s.kubectl_ok(&["create", "--validate=false", "-f", pdb.to_str().unwrap()])
        .await;
    let mut drain = s
        .kubectl_cmd(&[
            "drain",
            node,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--timeout=90s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = drain.stderr.take().unwrap();
    let mut seen = String::new();
    let refused = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stderr.read(&mut buf).await.unwrap();
            assert!(n > 0, "drain ended before the budget refused: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if seen.contains("Cannot evict pod as it would violate the pod's disruption budget.") {
                break;
            }
        }
    })
    .await;
    assert!(refused.is_ok(), "the budget never refused: {seen}");
    let still = s
        .kubectl_ok(&[
            "get",
            "pod",
            "-n",
            NS,
            "activator-kqk8nnwqwh-xvkjw",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(still.trim(), "pod/activator-kqk8nnwqwh-xvkjw");
    s.kubectl_ok(&["delete", "pdb", "-n", NS, "activator-pdb"])
        .await;
    let out = tokio::time::timeout(Duration::from_secs(60), drain.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "drain failed: {stdout}");
    assert!(stdout.contains(&format!("node/{node} drained")), "{stdout}");
    assert!(
        stdout.contains("pod/activator-kqk8nnwqwh-xvkjw evicted"),
        "{stdout}"
    );
    let left = s
        .kubectl_ok(&[
            "get",
            "pods",
            "-A",
            "--field-selector",
            &format!("spec.nodeName={node}"),
            "-o",
            "name",
        ])
        .await;
    let left: Vec<&str> = left.lines().collect();
    // DaemonSet pods and kube-proxy's mirror pod are never evicted.
    assert_eq!(
        left.len(),
        4,
        "only DaemonSet and mirror pods stay: {left:?}"
    );
    assert!(
        left.iter().any(|p| p.starts_with("pod/kube-proxy-")),
        "{left:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_sees_a_change() {
    let s = serve_incident("kubectl-watch").await;
    let mut watch = s
        .kubectl_cmd(&["get", "deploy", "-n", NS, "-w"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = watch.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    // The initial list first.
    while !seen.contains("net-istio-webhook") {
        let n = tokio::time::timeout(Duration::from_secs(30), stdout.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    s.kubectl_ok(&["scale", "-n", NS, "deployment/autoscaler", "--replicas=4"])
        .await;
    let changed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0, "{seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if seen
                .lines()
                .any(|l| l.starts_with("autoscaler") && l.contains("1/4"))
            {
                break;
            }
        }
    })
    .await;
    assert!(
        changed.is_ok(),
        "the watch did not show the change:\n{seen}"
    );
    assert_eq!(
        seen.lines().filter(|l| l.starts_with("NAME")).count(),
        1,
        "{seen}"
    );
    watch.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_info_dump_reads_back_to_the_same_evidence() {
    let s = serve_incident("kubectl-dump").await;
    let out = s.dir.join("dump");
    s.kubectl_ok(&[
        "cluster-info",
        "dump",
        "--namespaces",
        "knative-serving,kube-system,default",
        "--output-directory",
        out.to_str().unwrap(),
    ])
    .await;
    let original = read_paths(
        &[common::incident().join("cluster-info")],
        &ReadOptions::default(),
    );
    let replayed = read_paths(std::slice::from_ref(&out), &ReadOptions::default());
    assert_eq!(replayed.pods.len(), original.pods.len());
    assert_eq!(replayed.nodes.len(), original.nodes.len());
    assert_eq!(replayed.events.len(), original.events.len());
    let key = |ev: &unloop_core::evidence::Evidence| {
        let mut pods: Vec<String> = ev
            .pods
            .iter()
            .map(|p| {
                let restarts: Vec<String> = p
                    .containers
                    .iter()
                    .map(|c| format!("{:?}", c.restart_count))
                    .collect();
                format!(
                    "{:?} {:?} {:?} {}",
                    p.meta.namespace,
                    p.meta.name,
                    p.node,
                    restarts.join(",")
                )
            })
            .collect();
        pods.sort();
        let mut nodes: Vec<String> = ev
            .nodes
            .iter()
            .map(|n| format!("{:?}", n.meta.name))
            .collect();
        nodes.sort();
        let mut events: Vec<String> = ev
            .events
            .iter()
            .map(|e| format!("{:?} {:?} {:?}", e.reason, e.count, e.message))
            .collect();
        events.sort();
        (pods, nodes, events)
    };
    assert_eq!(key(&replayed), key(&original));
    // The dump fetched every container's log through pods/log.
    let logs = std::fs::read_to_string(out.join(NS).join(CRASHING).join("logs.txt")).unwrap();
    let orig = std::fs::read_to_string(
        common::incident()
            .join("cluster-info")
            .join(NS)
            .join(CRASHING)
            .join("logs.txt"),
    )
    .unwrap();
    assert_eq!(logs.lines().count(), orig.lines().count());
    let pods: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(NS).join("pods.json")).unwrap())
            .unwrap();
    assert_eq!(pods["kind"], "PodList");
}
