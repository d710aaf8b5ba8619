//! `unloop node`, `unloop scale-staged` and `unloop gc apply` as operators run
//! them, against `unloop replay --simulate` serving the bundled incident.

mod common;

use common::{BAD_NODE, get, scratch, serve, text, unloop};
use serde_json::Value;

fn pods_on(addr: &str, node: &str) -> Vec<Value> {
    get(
        addr,
        &format!("/api/v1/pods?fieldSelector=spec.nodeName%3D{node}"),
    )["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .cloned()
        .collect()
}

fn owner_kind(p: &Value) -> &str {
    p["metadata"]["ownerReferences"][0]["kind"]
        .as_str()
        .unwrap_or("")
}

#[test]
fn node_drain_evicts_all_but_daemonset_and_mirror_pods_and_uncordon_undoes_the_cordon() {
    let dir = scratch("node-cli");
    let served = serve(&dir);
    let (kc, audit) = (
        served.kubeconfig.to_str().unwrap().to_owned(),
        dir.join("audit.jsonl"),
    );
    let audit = audit.to_str().unwrap();
    let before = pods_on(&served.addr, BAD_NODE);
    assert!(
        before.iter().any(|p| owner_kind(p) == "ReplicaSet"),
        "the incident has evictable pods on the bad node"
    );

    let dry = unloop(&["node", "drain", BAD_NODE, "--kubeconfig", &kc]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("eviction?dryRun=All"), "{}", text(&dry));
    assert_eq!(pods_on(&served.addr, BAD_NODE).len(), before.len());

    let drain = unloop(&[
        "node",
        "drain",
        BAD_NODE,
        "--kubeconfig",
        &kc,
        "--apply",
        "--yes",
        "--timeout",
        "60s",
        "--poll",
        "200ms",
        "--audit-log",
        audit,
    ]);
    let out = text(&drain);
    assert!(drain.status.success(), "{out}");
    let node = get(&served.addr, &format!("/api/v1/nodes/{BAD_NODE}"));
    assert_eq!(node["spec"]["unschedulable"], true);
    let left = pods_on(&served.addr, BAD_NODE);
    for p in &left {
        let mirror = p["metadata"]["annotations"]["kubernetes.io/config.mirror"].is_string();
        assert!(
            owner_kind(p) == "DaemonSet" || mirror,
            "evictable pod left on the drained node: {}\n{out}",
            p["metadata"]["name"]
        );
    }
    assert!(out.contains("DaemonSet-managed"), "{out}");
    assert!(out.contains("mirror pod"), "{out}");

    let uncordon = unloop(&[
        "node",
        "uncordon",
        BAD_NODE,
        "--kubeconfig",
        &kc,
        "--apply",
        "--yes",
        "--audit-log",
        audit,
    ]);
    assert!(uncordon.status.success(), "{}", text(&uncordon));
    let node = get(&served.addr, &format!("/api/v1/nodes/{BAD_NODE}"));
    assert!(node["spec"]["unschedulable"].is_null(), "{node}");
    let log = std::fs::read_to_string(audit).unwrap();
    assert!(log.contains("\"result\":\"evicted\""), "{log}");
    assert!(log.contains(&format!("uncordoned {BAD_NODE}")), "{log}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn scale_staged_holds_each_stage_and_rolls_back_a_stage_that_does_not_hold() {
    let dir = scratch("scale-cli");
    let served = serve(&dir);
    let kc = served.kubeconfig.to_str().unwrap().to_owned();
    let audit = dir.join("audit.jsonl");
    let audit = audit.to_str().unwrap();
    let scale = |name: &str| {
        get(
            &served.addr,
            &format!("/apis/apps/v1/namespaces/knative-serving/deployments/{name}/scale"),
        )["spec"]["replicas"]
            .as_u64()
            .unwrap()
    };

    // A healthy, leader-elected controller: 2 then 1, each held.
    let ok = unloop(&[
        "scale-staged",
        "deployment/controller",
        "-n",
        "knative-serving",
        "--steps",
        "2,1",
        "--stable-for",
        "1s",
        "--poll",
        "200ms",
        "--kubeconfig",
        &kc,
        "--apply",
        "--yes",
        "--audit-log",
        audit,
    ]);
    let out = text(&ok);
    assert!(ok.status.success(), "{out}");
    assert_eq!(scale("controller"), 1, "{out}");
    assert!(out.contains("stable for 1s: 2/2 ready"), "{out}");
    assert!(out.contains("held by controller-"), "{out}");

    // net-istio-controller's pods crash-loop wherever they are: scaled to 1,
    // it never holds, so the stage fails and --rollback restores 3.
    let bad = unloop(&[
        "scale-staged",
        "deploy/net-istio-controller",
        "-n",
        "knative-serving",
        "--steps",
        "1,3",
        "--stable-for",
        "1s",
        "--settle-timeout",
        "3s",
        "--poll",
        "200ms",
        "--rollback",
        "--kubeconfig",
        &kc,
        "--apply",
        "--yes",
        "--audit-log",
        audit,
    ]);
    let out = text(&bad);
    assert_eq!(bad.status.code(), Some(1), "{out}");
    assert!(out.contains("did not stay stable"), "{out}");
    assert!(
        !out.contains("Scale net-istio-controller to 3"),
        "went on after a failed stage: {out}"
    );
    assert!(
        out.contains("scaling net-istio-controller back to 3"),
        "{out}"
    );
    assert_eq!(scale("net-istio-controller"), 3, "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn gc_apply_patches_config_gc_and_knatives_gc_collects() {
    let dir = scratch("gc-cli");
    let served = serve(&dir);
    let kc = served.kubeconfig.to_str().unwrap().to_owned();
    let audit = dir.join("audit.jsonl");
    let audit = audit.to_str().unwrap();
    let count = || {
        get(&served.addr, "/apis/serving.knative.dev/v1/revisions")["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = count();
    let plan = unloop(&[
        "gc",
        "plan",
        "--kubeconfig",
        &kc,
        "--set",
        "min-non-active-revisions=2",
        "--set",
        "max-non-active-revisions=5",
        "-o",
        "json",
    ]);
    assert!(plan.status.success(), "{}", text(&plan));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let deletes = plan["totals"]["delete"].as_u64().unwrap() as usize;
    assert!(deletes > 0);

    let apply = unloop(&[
        "gc",
        "apply",
        "--kubeconfig",
        &kc,
        "--set",
        "min-non-active-revisions=2",
        "--set",
        "max-non-active-revisions=5",
        "--apply",
        "--yes",
        "--poll",
        "200ms",
        "--audit-log",
        audit,
    ]);
    let out = text(&apply);
    assert!(apply.status.success(), "{out}");
    let cm = get(
        &served.addr,
        "/api/v1/namespaces/knative-serving/configmaps/config-gc",
    );
    assert_eq!(cm["data"]["max-non-active-revisions"], "5");
    // The live plan (at the cluster's clock) is what the simulated Knative GC did.
    assert_eq!(count(), before - deletes, "{out}");
    assert!(out.contains("Knative's GC collected"), "{out}");

    // Again: config-gc already says so, nothing to do.
    let again = unloop(&[
        "gc",
        "apply",
        "--kubeconfig",
        &kc,
        "--set",
        "min-non-active-revisions=2",
        "--set",
        "max-non-active-revisions=5",
        "--apply",
        "--yes",
        "--audit-log",
        audit,
    ]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("unchanged"), "{}", text(&again));
    std::fs::remove_dir_all(&dir).ok();
}
