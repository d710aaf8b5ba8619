//! `unloop fix` end to end, as an operator runs it: against `unloop replay
//! --simulate` serving the bundled incident, a dry run changes nothing,
//! `--apply --yes` brings net-istio-controller back to 3 ready replicas off
//! the bad node with fewer Revisions and an audit log of every step, and a
//! second run changes nothing.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BAD_NODE, Served, get, incident, serve, text};
use serde_json::Value;

fn fix(s: &Served, extra: &[&str], audit: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unloop"))
        .arg("fix")
        .args(extra)
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .args([
            "--stable-for",
            "2s",
            "--poll",
            "200ms",
            "--settle-timeout",
            "120s",
        ])
        .arg("--audit-log")
        .arg(audit)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const DEPLOYMENT: &str =
    "/apis/apps/v1/namespaces/knative-serving/deployments/net-istio-controller";
const CONFIG_GC: &str = "/api/v1/namespaces/knative-serving/configmaps/config-gc";
const REVISIONS: &str = "/apis/serving.knative.dev/v1/revisions";

/// What a second run must leave exactly as it was: spec changes only (the
/// simulation keeps updating statuses).
fn specs(addr: &str) -> (Value, Value, Value, usize) {
    let d = get(addr, DEPLOYMENT);
    let node = get(addr, &format!("/api/v1/nodes/{BAD_NODE}"));
    let cm = get(addr, CONFIG_GC);
    let revisions = get(addr, REVISIONS)["items"].as_array().unwrap().len();
    (
        d["metadata"]["generation"].clone(),
        node["spec"].clone(),
        cm["metadata"]["resourceVersion"].clone(),
        revisions,
    )
}

#[test]
fn fix_applies_the_incident_plan_and_a_second_run_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("unloop-fix-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let audit = dir.join("audit.jsonl");
    let served = serve(&dir);
    let addr = served.addr.clone();
    let before = specs(&addr);

    // The default is a dry run: diffs and dryRun=All, and nothing changes.
    let dry = fix(&served, &[incident().to_str().unwrap()], &audit);
    let out = text(&dry);
    assert!(dry.status.success(), "{out}");
    assert!(out.contains("dryRun=All"), "{out}");
    assert!(out.contains("+  unschedulable: true"), "{out}");
    assert!(out.contains("+  max-non-active-revisions: \"5\""), "{out}");
    assert_eq!(specs(&addr), before, "a dry run changed the cluster");
    assert!(!audit.exists(), "a dry run wrote an audit log");

    // Without --yes and without a terminal, --apply refuses to run unasked.
    let unasked = fix(&served, &[incident().to_str().unwrap(), "--apply"], &audit);
    assert_eq!(unasked.status.code(), Some(2), "{}", text(&unasked));
    assert!(text(&unasked).contains("--yes"), "{}", text(&unasked));

    // As on call: diagnose the live cluster and apply its plan.
    let applied = fix(&served, &["-A", "--apply", "--yes"], &audit);
    let out = text(&applied);
    assert!(applied.status.success(), "{out}");

    // 3 ready replicas, none on the bad node; the bad node cordoned.
    let d = get(&addr, DEPLOYMENT);
    assert_eq!(d["spec"]["replicas"], 3, "{out}");
    assert_eq!(d["status"]["readyReplicas"], 3, "{out}");
    let pods = get(
        &addr,
        "/api/v1/namespaces/knative-serving/pods?labelSelector=app%3Dnet-istio-controller",
    );
    let pods: Vec<&Value> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .collect();
    assert_eq!(pods.len(), 3, "{pods:?}");
    for p in &pods {
        assert_ne!(p["spec"]["nodeName"], BAD_NODE, "{p}");
    }
    assert_eq!(
        get(&addr, &format!("/api/v1/nodes/{BAD_NODE}"))["spec"]["unschedulable"],
        true
    );
    // Knative's GC (simulated) collected with the patched config-gc.
    let after = specs(&addr);
    assert!(after.3 < before.3, "Revisions {} -> {}", before.3, after.3);
    assert_eq!(
        get(&addr, CONFIG_GC)["data"]["max-non-active-revisions"],
        "5"
    );

    // The audit log has the plan, each step with its result, and completion.
    let records: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let plan = records
        .iter()
        .find(|r| r["kind"] == "plan")
        .expect("plan record");
    let steps = plan["steps"].as_array().unwrap();
    for s in steps {
        let n = &s["number"];
        let rec = records
            .iter()
            .find(|r| r["kind"] == "step" && &r["step"] == n)
            .unwrap_or_else(|| panic!("no audit record for step {n}"));
        let want = if s["action"]["type"] == "manual" {
            "manual"
        } else {
            "applied"
        };
        assert_eq!(rec["result"], want, "step {n}: {rec}");
        assert!(rec["time"].is_string());
    }
    let scale = records
        .iter()
        .find(|r| {
            r["kind"] == "step"
                && r["title"]
                    .as_str()
                    .unwrap()
                    .starts_with("Scale net-istio-controller to 1")
        })
        .unwrap();
    assert_eq!(scale["before"]["replicas"], 3);
    assert_eq!(scale["after"]["replicas"], 1);
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "object" && r["result"] == "evicted")
    );
    assert!(records.iter().any(|r| r["kind"] == "complete"));

    // Again, from the files of the incident (the same plan): every step is
    // done; nothing is written.
    let settled = specs(&addr);
    let again = fix(
        &served,
        &[incident().to_str().unwrap(), "--apply", "--yes"],
        &audit,
    );
    let out = text(&again);
    assert!(again.status.success(), "{out}");
    assert!(out.contains("0 applied"), "{out}");
    assert!(out.contains("done in an earlier run"), "{out}");
    assert_eq!(specs(&addr), settled, "{out}");

    // And from a fresh live diagnosis: what is left (the DaemonSet on the
    // cordoned node) needs no change unloop can make.
    let live = fix(&served, &["-A", "--apply", "--yes"], &audit);
    let out = text(&live);
    assert!(live.status.success(), "{out}");
    assert!(out.contains("0 applied"), "{out}");
    assert_eq!(specs(&addr), settled, "{out}");
    std::fs::remove_dir_all(&dir).ok();
}
