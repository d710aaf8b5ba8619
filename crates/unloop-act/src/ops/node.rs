//! Taking a node out (cordon, drain) and back (uncordon), as `kubectl
//! cordon`/`drain` do: evictions through the eviction API so
//! PodDisruptionBudgets are honoured, DaemonSet and mirror pods left alone.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;
use unloop_kube::pace::CallError;
use unloop_kube::request::Query;

use crate::api::{Api, Attempt, Evicted, PatchKind, object_path, retry_on_conflict};
use crate::diff::object_diff;
use crate::error::ActError;
use crate::ops::{ObjectLog, Waits, human};
use crate::outcome::{Outcome, StepReport};

fn unschedulable(node: &Value) -> bool {
    node["spec"]["unschedulable"].as_bool() == Some(true)
}

/// Whether new pods can land on `node`: not cordoned, Ready, and no
/// NoSchedule/NoExecute taint.
fn schedulable(node: &Value) -> bool {
    let ready = node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let tainted = node["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| matches!(t["effect"].as_str(), Some("NoSchedule" | "NoExecute")));
    !unschedulable(node) && ready && !tainted
}

/// Marks `node` unschedulable (`on`) or schedulable again.
pub async fn cordon(api: &Api, node: &str, on: bool) -> Result<StepReport, ActError> {
    let path = object_path("", "v1", "nodes", None, node);
    let label = format!("Node/{node}");
    let mut report = StepReport::new(Outcome::Manual);
    report.objects.push(label.clone());
    if on {
        // Never take the last place pods can go: the workload would have
        // nowhere to run.
        let others = api
            .list("/api/v1/nodes", Query::default())
            .await?
            .into_iter()
            .filter(|n| n["metadata"]["name"] != node && schedulable(n))
            .count();
        let current = api.need(&path, &label).await?;
        if others == 0 && !unschedulable(&current) {
            return Err(ActError::Precondition(format!(
                "{node} is the last schedulable node: cordoning it leaves pods nowhere to run"
            )));
        }
    }
    let (path, label) = (&path, &label);
    let (before, after) = retry_on_conflict(label, || async move {
        let n = api.need(path, label).await?;
        if unschedulable(&n) == on {
            return Ok(Attempt::Done((n, None)));
        }
        let value = if on { json!(true) } else { Value::Null };
        let body = json!({
            "metadata": {"resourceVersion": n["metadata"]["resourceVersion"]},
            "spec": {"unschedulable": value},
        });
        match api.patch(path, PatchKind::Merge, &body).await {
            Ok(after) => Ok(Attempt::Done((n, Some(after)))),
            Err(CallError::Rejected { code: 409, .. }) => Ok(Attempt::Conflict),
            Err(e) => Err(ActError::call(format!("PATCH {path}"), e)),
        }
    })
    .await?;
    let verb = if on { "cordoned" } else { "uncordoned" };
    report.before = Some(json!({"unschedulable": unschedulable(&before)}));
    let Some(after) = after else {
        report.after = report.before.clone();
        return Ok(report.with(Outcome::Unchanged(format!("{node} is already {verb}"))));
    };
    report.line(format!(
        "PATCH {path}{} (merge) {{\"spec\":{{\"unschedulable\":{}}}}}",
        if api.applies() { "" } else { "?dryRun=All" },
        if on { "true" } else { "null" }
    ));
    report.lines.extend(object_diff(label, &before, &after));
    report.after = Some(json!({"unschedulable": unschedulable(&after)}));
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!("{node} would be {verb}"))));
    }
    let now = api.need(path, label).await?;
    if unschedulable(&now) != on {
        return Ok(report.with(Outcome::Failed(format!(
            "{node} is not {verb} after the patch"
        ))));
    }
    Ok(report.with(Outcome::Applied(format!("{verb} {node}"))))
}

/// What a drain may do beyond the safe default.
#[derive(Debug, Clone)]
pub struct DrainOptions {
    /// Longest the drain waits for evictions to be allowed and pods to go
    /// (how often it looks, and whom it tells, are the run's [`Waits`]).
    pub timeout: Duration,
    /// Evict pods no controller will recreate (`kubectl drain --force`).
    pub force: bool,
    /// Evict pods with emptyDir volumes, losing their data
    /// (`--delete-emptydir-data`).
    pub delete_emptydir_data: bool,
}

/// Why a pod on the node is left where it is.
fn skip_reason(pod: &Value, o: &DrainOptions) -> Option<String> {
    if pod["metadata"]["annotations"]["kubernetes.io/config.mirror"].is_string() {
        return Some("mirror pod (static, managed by the kubelet)".into());
    }
    let controller = pod["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["controller"] == true);
    if controller.is_some_and(|c| c["kind"] == "DaemonSet") {
        return Some("DaemonSet-managed (the DaemonSet would put it straight back)".into());
    }
    let finished = matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    );
    if controller.is_none() && !finished && !o.force {
        return Some(
            "not managed by a controller: evicting it loses it for good (--force to evict anyway)"
                .into(),
        );
    }
    let empty_dir = pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| v.get("emptyDir").is_some());
    if empty_dir && !finished && !o.delete_emptydir_data {
        return Some(
            "has emptyDir data that eviction deletes (--delete-emptydir-data to evict anyway)"
                .into(),
        );
    }
    None
}

fn pod_label(p: &Value) -> String {
    format!(
        "Pod/{}/{}",
        p["metadata"]["namespace"].as_str().unwrap_or(""),
        p["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// Every pod on `node`, by the field selector kubectl drain uses.
async fn all_on(api: &Api, node: &str) -> Result<Vec<Value>, ActError> {
    api.list(
        "/api/v1/pods",
        Query::default().add("fieldSelector", format!("spec.nodeName={node}")),
    )
    .await
}

/// Active pods on `node` to evict, and those to leave with why.
async fn pods_on(
    api: &Api,
    node: &str,
    o: &DrainOptions,
) -> Result<(Vec<Value>, Vec<(Value, String)>), ActError> {
    let (mut evict, mut keep) = (Vec::new(), Vec::new());
    for p in all_on(api, node).await? {
        match skip_reason(&p, o) {
            Some(why) => keep.push((p, why)),
            None => evict.push(p),
        }
    }
    Ok((evict, keep))
}

/// Cordons `node`, then evicts its pods (not DaemonSet or mirror pods),
/// retrying evictions a PodDisruptionBudget refuses until `o.timeout`, and
/// waits until each evicted pod is gone.
pub async fn drain(
    api: &Api,
    node: &str,
    o: &DrainOptions,
    waits: &Waits,
    log: &mut dyn ObjectLog,
) -> Result<StepReport, ActError> {
    let mut report = cordon(api, node, true).await?;
    if let Outcome::Failed(_) = report.outcome {
        return Ok(report);
    }
    let cordoned_now = matches!(report.outcome, Outcome::Applied(_) | Outcome::WouldApply(_));
    let (evict, keep) = pods_on(api, node, o).await?;
    for (p, why) in &keep {
        report.line(format!("leave {}: {why}", pod_label(p)));
    }
    if evict.is_empty() {
        let msg = format!("no pods to evict on {node}");
        return Ok(report.with(if cordoned_now {
            if api.applies() {
                Outcome::Applied(format!("cordoned {node}; {msg}"))
            } else {
                Outcome::WouldApply(format!("{node} would be cordoned; {msg}"))
            }
        } else {
            Outcome::Unchanged(msg)
        }));
    }
    let start = Instant::now();
    let mut pending: Vec<Value> = evict;
    let mut evicted: Vec<Value> = Vec::new();
    let mut blocked_said = std::collections::HashSet::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for p in pending {
            let (ns, name, uid) = (
                p["metadata"]["namespace"].as_str().unwrap_or(""),
                p["metadata"]["name"].as_str().unwrap_or(""),
                p["metadata"]["uid"].as_str().unwrap_or(""),
            );
            let label = pod_label(&p);
            match api.evict(ns, name, uid).await? {
                Evicted::Accepted => {
                    report.line(format!(
                        "POST /api/v1/namespaces/{ns}/pods/{name}/eviction{}: evicted",
                        if api.applies() { "" } else { "?dryRun=All" }
                    ));
                    if api.applies() {
                        log.record(&label, Some(uid), "evicted")?;
                    }
                    report.objects.push(label);
                    evicted.push(p);
                }
                Evicted::Gone => {
                    report.line(format!("{label}: already gone"));
                    if api.applies() {
                        log.record(&label, Some(uid), "already-gone")?;
                    }
                }
                Evicted::Blocked(why) => {
                    if blocked_said.insert(label.clone()) {
                        report.line(format!("{label}: eviction refused, retrying: {why}"));
                    }
                    // A dry run cannot wait for a budget to free up.
                    if api.applies() {
                        still.push(p);
                    } else {
                        report.line(format!("{label}: would wait for its PodDisruptionBudget"));
                    }
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        waits.heartbeat.beat(&format!(
            "{node}: {} pod(s) waiting for their PodDisruptionBudgets, {} left of {}",
            pending.len(),
            human(o.timeout.saturating_sub(start.elapsed())),
            human(o.timeout)
        ));
        if start.elapsed() >= o.timeout {
            let names: Vec<String> = pending.iter().map(pod_label).collect();
            for n in &names {
                log.record(n, None, "blocked")?;
            }
            return Ok(report.with(Outcome::Failed(format!(
                "not evicted after {}: {} (their PodDisruptionBudgets never allowed it)",
                human(o.timeout),
                names.join(", ")
            ))));
        }
        tokio::time::sleep(waits.poll).await;
    }
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!(
            "would evict {} pod(s) from {node}, leave {}",
            evicted.len(),
            keep.len()
        ))));
    }
    // Wait until the evicted pods are gone (terminating pods still run):
    // one list of the node's pods a look, not a GET per pod.
    loop {
        let on_node: std::collections::HashSet<String> = all_on(api, node)
            .await?
            .iter()
            .filter_map(|p| p["metadata"]["uid"].as_str().map(str::to_owned))
            .collect();
        let left: Vec<String> = evicted
            .iter()
            .filter(|p| {
                p["metadata"]["uid"]
                    .as_str()
                    .is_some_and(|uid| on_node.contains(uid))
            })
            .map(pod_label)
            .collect();
        if left.is_empty() {
            break;
        }
        waits.heartbeat.beat(&format!(
            "{node}: waiting for {} evicted pod(s) to terminate",
            left.len()
        ));
        if start.elapsed() >= o.timeout {
            return Ok(report.with(Outcome::Failed(format!(
                "evicted but still terminating after {}: {}",
                human(o.timeout),
                left.join(", ")
            ))));
        }
        tokio::time::sleep(waits.poll).await;
    }
    // Verify: nothing evictable is left on the node.
    let (left, _) = pods_on(api, node, o).await?;
    let left: Vec<String> = left
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(pod_label)
        .collect();
    if !left.is_empty() {
        return Ok(report.with(Outcome::Failed(format!(
            "pods still on {node} after the drain: {}",
            left.join(", ")
        ))));
    }
    Ok(report.with(Outcome::Applied(format!(
        "drained {node}: evicted {} pod(s), left {}",
        evicted.len(),
        keep.len()
    ))))
}
