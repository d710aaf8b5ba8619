//! `unloop node`, `unloop scale-staged` and `unloop gc apply` as operators run
//! them, against `unloop replay --simulate` serving the bundled incident.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{BAD_NODE, Served, get, scratch, serve, text, unloop};
use serde_json::Value;

/// The simulated incident served from a scratch folder, and `unloop` run
/// against it with an audit log there.
struct Incident {
    dir: PathBuf,
    served: Served,
    kubeconfig: String,
    audit: String,
}

impl Incident {
    fn serve(name: &str) -> Incident {
        let dir = scratch(name);
        let served = serve(&dir);
        Incident {
            kubeconfig: served.kubeconfig.to_str().unwrap().to_owned(),
            audit: dir.join("audit.jsonl").to_str().unwrap().to_owned(),
            dir,
            served,
        }
    }

    /// `unloop ARGS --kubeconfig K`: a dry run.
    fn dry(&self, args: &[&str]) -> Output {
        unloop(&[args, &["--kubeconfig", &self.kubeconfig]].concat())
    }

    /// `unloop ARGS --kubeconfig K --apply --yes --audit-log A`.
    fn apply(&self, args: &[&str]) -> Output {
        let flags = ["--apply", "--yes", "--audit-log", &self.audit];
        self.dry(&[args, &flags].concat())
    }
}

impl Drop for Incident {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

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
    let inc = Incident::serve("node-cli");
    let served = &inc.served;
    let before = pods_on(&served.addr, BAD_NODE);
    assert!(
        before.iter().any(|p| owner_kind(p) == "ReplicaSet"),
        "the incident has evictable pods on the bad node"
    );

    let dry = inc.dry(&["node", "drain", BAD_NODE]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("eviction?dryRun=All"), "{}", text(&dry));
    assert_eq!(pods_on(&served.addr, BAD_NODE).len(), before.len());

    let drain = inc.apply(&[
        "node",
        "drain",
        BAD_NODE,
        "--timeout",
        "60s",
        "--poll",
        "200ms",
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

    let uncordon = inc.apply(&["node", "uncordon", BAD_NODE]);
    assert!(uncordon.status.success(), "{}", text(&uncordon));
    let node = get(&served.addr, &format!("/api/v1/nodes/{BAD_NODE}"));
    assert!(node["spec"]["unschedulable"].is_null(), "{node}");
    // Drained again after the uncordon: the finished drain is done again,
    // not skipped as done in an earlier run (the node moved back since).
    let again = inc.apply(&["node", "drain", BAD_NODE, "--poll", "200ms"]);
    assert!(again.status.success(), "{}", text(&again));
    let node = get(&served.addr, &format!("/api/v1/nodes/{BAD_NODE}"));
    assert_eq!(node["spec"]["unschedulable"], true, "{}", text(&again));
    let log = std::fs::read_to_string(&inc.audit).unwrap();
    assert!(log.contains("\"result\":\"evicted\""), "{log}");
    assert!(log.contains(&format!("uncordoned {BAD_NODE}")), "{log}");
}

#[test]
fn scale_staged_holds_each_stage_and_rolls_back_a_stage_that_does_not_hold() {
    let inc = Incident::serve("scale-cli");
    let served = &inc.served;
    let scale = |name: &str| {
        get(
            &served.addr,
            &format!("/apis/apps/v1/namespaces/knative-serving/deployments/{name}/scale"),
        )["spec"]["replicas"]
            .as_u64()
            .unwrap()
    };

    // A healthy, leader-elected controller: 2 then 1, each held.
    let ok = inc.apply(&[
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
    ]);
    let out = text(&ok);
    assert!(ok.status.success(), "{out}");
    assert_eq!(scale("controller"), 1, "{out}");
    assert!(out.contains("stable for 1s: 2/2 ready"), "{out}");
    assert!(out.contains("held by controller-"), "{out}");

    // net-istio-controller's pods crash-loop wherever they are: scaled to 1,
    // it never holds, so the stage fails and --rollback restores 3.
    let bad = inc.apply(&[
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
}

#[test]
fn gc_apply_patches_config_gc_and_knatives_gc_collects() {
    let inc = Incident::serve("gc-cli");
    let served = &inc.served;
    let count = || {
        get(&served.addr, "/apis/serving.knative.dev/v1/revisions")["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = count();
    let plan = inc.dry(&[
        "gc",
        "plan",
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

    let apply = inc.apply(&[
        "gc",
        "apply",
        "--set",
        "min-non-active-revisions=2",
        "--set",
        "max-non-active-revisions=5",
        "--poll",
        "200ms",
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
    let again = inc.apply(&[
        "gc",
        "apply",
        "--set",
        "min-non-active-revisions=2",
        "--set",
        "max-non-active-revisions=5",
    ]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("unchanged"), "{}", text(&again));
}
