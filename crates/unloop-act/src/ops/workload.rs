//! Changing a workload: replicas (through the scale subresource), patches
//! of its template (probes, resources), and waiting until it is stable.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;
use unloop_kube::pace::CallError;
use unloop_kube::request::Query;

use crate::api::{Api, Attempt, PatchKind, object_path, retry_on_conflict};
use crate::diff::object_diff;
use crate::error::ActError;
use crate::ops::{Waits, human};
use crate::outcome::{Outcome, StepReport};

/// The API resource of a workload kind: (group, version, plural).
pub fn resource_of(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match kind {
        "Deployment" => ("apps", "v1", "deployments"),
        "StatefulSet" => ("apps", "v1", "statefulsets"),
        "ReplicaSet" => ("apps", "v1", "replicasets"),
        "DaemonSet" => ("apps", "v1", "daemonsets"),
        _ => return None,
    })
}

fn path_of(kind: &str, namespace: &str, name: &str) -> Result<String, ActError> {
    let (g, v, p) = resource_of(kind)
        .ok_or_else(|| ActError::Invalid(format!("unloop does not change {kind} workloads")))?;
    Ok(object_path(g, v, p, Some(namespace), name))
}

/// Sets the replicas of `kind` `namespace/name` through its scale subresource.
pub async fn scale(
    api: &Api,
    kind: &str,
    namespace: &str,
    name: &str,
    replicas: u32,
) -> Result<StepReport, ActError> {
    if kind == "DaemonSet" {
        return Err(ActError::Invalid(
            "a DaemonSet has no replicas to scale".into(),
        ));
    }
    let path = format!("{}/scale", path_of(kind, namespace, name)?);
    let label = format!("{kind}/{namespace}/{name}");
    // An autoscaler owns the replica count: a scale by hand is undone within
    // seconds and the stable window would watch the wrong thing.
    let hpas = api
        .list(
            &unloop_kube::request::collection(
                "autoscaling",
                "v2",
                "horizontalpodautoscalers",
                Some(namespace),
            ),
            Query::default(),
        )
        .await?;
    if let Some(h) = hpas.iter().find(|h| {
        h["spec"]["scaleTargetRef"]["kind"] == kind && h["spec"]["scaleTargetRef"]["name"] == name
    }) {
        return Err(ActError::Precondition(format!(
            "HorizontalPodAutoscaler {namespace}/{} manages the replicas of {label} (min {}, max {}): set its minReplicas/maxReplicas instead, or it undoes the change",
            h["metadata"]["name"].as_str().unwrap_or(""),
            h["spec"]["minReplicas"].as_u64().unwrap_or(1),
            h["spec"]["maxReplicas"]
        )));
    }
    let mut report = StepReport::new(Outcome::Manual);
    report.objects.push(label.clone());
    let (path, label_ref) = (&path, &label);
    let (before, after) = retry_on_conflict(label_ref, || async move {
        let s = api.need(path, label_ref).await?;
        if s["spec"]["replicas"].as_u64() == Some(u64::from(replicas)) {
            return Ok(Attempt::Done((s, None)));
        }
        let body = json!({
            "metadata": {"resourceVersion": s["metadata"]["resourceVersion"]},
            "spec": {"replicas": replicas},
        });
        match api.patch(path, PatchKind::Merge, &body).await {
            Ok(after) => Ok(Attempt::Done((s, Some(after)))),
            Err(CallError::Rejected { code: 409, .. }) => Ok(Attempt::Conflict),
            Err(e) => Err(ActError::call(format!("PATCH {path}"), e)),
        }
    })
    .await?;
    let was = before["spec"]["replicas"].as_u64().unwrap_or(0);
    report.before = Some(json!({"replicas": was}));
    report.after = Some(json!({"replicas": replicas}));
    if after.is_none() {
        return Ok(report.with(Outcome::Unchanged(format!(
            "{label} already has {replicas} replica(s)"
        ))));
    }
    report.line(format!(
        "PATCH {path}{} (merge) {{\"spec\":{{\"replicas\":{replicas}}}}}",
        if api.applies() { "" } else { "?dryRun=All" }
    ));
    report.line(format!("replicas: {was} -> {replicas}"));
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!(
            "{label} would go from {was} to {replicas} replica(s)"
        ))));
    }
    let now = api.need(path, &label).await?;
    if now["spec"]["replicas"].as_u64() != Some(u64::from(replicas)) {
        return Ok(report.with(Outcome::Failed(format!(
            "{label} does not have {replicas} replicas after the patch"
        ))));
    }
    Ok(report.with(Outcome::Applied(format!(
        "scaled {label} from {was} to {replicas}"
    ))))
}

/// The replicas `kind` `namespace/name` asks for now.
pub async fn replicas(api: &Api, kind: &str, namespace: &str, name: &str) -> Result<u32, ActError> {
    let path = format!("{}/scale", path_of(kind, namespace, name)?);
    let s = api
        .need(&path, &format!("{kind}/{namespace}/{name}"))
        .await?;
    Ok(s["spec"]["replicas"].as_u64().unwrap_or(0) as u32)
}

/// Strategic-merge-patches `kind` `namespace/name` with the YAML `patch`
/// (probe and resource settings). A patch that changes nothing (the server's
/// dry run returns the object as it is) is not sent.
pub async fn patch(
    api: &Api,
    kind: &str,
    namespace: &str,
    name: &str,
    patch: &str,
    waits: &Waits,
) -> Result<StepReport, ActError> {
    let path = path_of(kind, namespace, name)?;
    let label = format!("{kind}/{namespace}/{name}");
    let body: Value = serde_saphyr::from_str(patch)
        .map_err(|e| ActError::Invalid(format!("the patch for {label} is not YAML: {e}")))?;
    let mut report = StepReport::new(Outcome::Manual);
    report.objects.push(label.clone());
    let current = api.need(&path, &label).await?;
    let preview = api
        .patch_preview(&path, PatchKind::Strategic, &body)
        .await
        .map_err(|e| ActError::call(format!("PATCH {path}?dryRun=All"), e))?;
    let diff = object_diff(&label, &current, &preview);
    if diff.is_empty() {
        return Ok(report.with(Outcome::Unchanged(format!(
            "{label} already has these settings"
        ))));
    }
    report.line(format!(
        "PATCH {path}{} (strategic merge):",
        if api.applies() { "" } else { "?dryRun=All" }
    ));
    report.lines.extend(patch.lines().map(|l| format!("  {l}")));
    report.lines.extend(diff);
    report.before = Some(current["spec"]["template"].clone());
    report.after = Some(preview["spec"]["template"].clone());
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!(
            "the server accepts the patch of {label}"
        ))));
    }
    // Sent with the resourceVersion it was checked against: a change in
    // between is a 409 and a fresh read, not an overwrite.
    let (path_ref, label_ref, body_ref) = (&path, &label, &body);
    retry_on_conflict(label_ref, || async move {
        let now = api.need(path_ref, label_ref).await?;
        let mut sent = body_ref.clone();
        if let Value::Object(o) = &mut sent {
            o.insert(
                "metadata".into(),
                json!({"resourceVersion": now["metadata"]["resourceVersion"]}),
            );
        }
        match api.patch(path_ref, PatchKind::Strategic, &sent).await {
            Ok(_) => Ok(Attempt::Done(())),
            Err(CallError::Rejected { code: 409, .. }) => Ok(Attempt::Conflict),
            Err(e) => Err(ActError::call(format!("PATCH {path_ref}"), e)),
        }
    })
    .await?;
    // Verify: the same patch now changes nothing.
    let again = api
        .patch_preview(&path, PatchKind::Strategic, &body)
        .await
        .map_err(|e| ActError::call(format!("PATCH {path}?dryRun=All"), e))?;
    let now = api.need(&path, &label).await?;
    if !object_diff(&label, &now, &again).is_empty() {
        return Ok(report.with(Outcome::Failed(format!(
            "{label} does not hold the patch after it was applied"
        ))));
    }
    if let Err(why) = wait_rollout(api, &path, &label, waits).await? {
        return Ok(report.with(Outcome::Failed(why)));
    }
    report.line(format!("{label} rolled out"));
    Ok(report.with(Outcome::Applied(format!("patched {label}"))))
}

/// Replaces every pod of `kind` `namespace/name` with a fresh one, as
/// `kubectl rollout restart` does: a new `kubectl.kubernetes.io/restartedAt`
/// annotation on the pod template. Then waits for the rollout.
pub async fn restart(
    api: &Api,
    kind: &str,
    namespace: &str,
    name: &str,
    waits: &Waits,
) -> Result<StepReport, ActError> {
    let path = path_of(kind, namespace, name)?;
    let label = format!("{kind}/{namespace}/{name}");
    let mut report = StepReport::new(Outcome::Manual);
    report.objects.push(label.clone());
    let at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let (path_ref, label_ref) = (&path, &label);
    let (current, after) = retry_on_conflict(label_ref, || async move {
        let current = api.need(path_ref, label_ref).await?;
        let body = json!({
            "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
            "spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": at.to_string(),
            }}}},
        });
        match api.patch(path_ref, PatchKind::Strategic, &body).await {
            Ok(after) => Ok(Attempt::Done((current, after))),
            Err(CallError::Rejected { code: 409, .. }) => Ok(Attempt::Conflict),
            Err(e) => Err(ActError::call(format!("PATCH {path_ref}"), e)),
        }
    })
    .await?;
    report.line(format!(
        "PATCH {path}{} (strategic merge) spec.template.metadata.annotations[kubectl.kubernetes.io/restartedAt]={at}",
        if api.applies() { "" } else { "?dryRun=All" }
    ));
    let key = "kubectl.kubernetes.io/restartedAt";
    report.before =
        Some(json!({"restartedAt": current["spec"]["template"]["metadata"]["annotations"][key]}));
    report.after =
        Some(json!({"restartedAt": after["spec"]["template"]["metadata"]["annotations"][key]}));
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!(
            "{label} would roll out fresh pods"
        ))));
    }
    if let Err(why) = wait_rollout(api, &path, &label, waits).await? {
        return Ok(report.with(Outcome::Failed(why)));
    }
    Ok(report.with(Outcome::Applied(format!(
        "restarted {label}: every pod is new"
    ))))
}

/// A workload's pod counts as its kind reports them: a DaemonSet has no
/// `spec.replicas` and counts scheduled pods under names of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    want: u64,
    updated: u64,
    ready: u64,
    /// Every pod, old ones included.
    total: u64,
}

fn counts(w: &Value) -> Counts {
    let st = &w["status"];
    let n = |k: &str| st[k].as_u64().unwrap_or(0);
    if w["kind"] == "DaemonSet" {
        Counts {
            want: n("desiredNumberScheduled"),
            updated: n("updatedNumberScheduled"),
            ready: n("numberReady"),
            total: n("currentNumberScheduled"),
        }
    } else {
        Counts {
            want: w["spec"]["replicas"].as_u64().unwrap_or(1),
            updated: n("updatedReplicas"),
            ready: n("readyReplicas"),
            total: n("replicas"),
        }
    }
}

/// Waits until a rollout is complete: the controller has seen the change,
/// every replica is updated and ready, and no old ones are left.
async fn wait_rollout(
    api: &Api,
    path: &str,
    label: &str,
    waits: &Waits,
) -> Result<Result<(), String>, ActError> {
    let start = Instant::now();
    loop {
        let d = api.need(path, label).await?;
        let c = counts(&d);
        let want = c.want;
        let observed =
            d["status"]["observedGeneration"].as_i64() >= d["metadata"]["generation"].as_i64();
        if observed && c.updated == want && c.total == want && c.ready == want {
            return Ok(Ok(()));
        }
        waits.heartbeat.beat(&format!(
            "{label}: rolling out, {} of {want} updated, {} ready",
            c.updated, c.ready
        ));
        if start.elapsed() >= waits.settle_timeout {
            return Ok(Err(format!(
                "{label} did not finish rolling out in {}: {} of {want} updated, {} ready",
                human(waits.settle_timeout),
                c.updated,
                c.ready
            )));
        }
        tokio::time::sleep(waits.poll).await;
    }
}

/// A label selector's query form (`app=x,tier in (a,b),!legacy`).
pub fn selector_query(selector: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(m) = selector["matchLabels"].as_object() {
        for (k, v) in m {
            parts.push(format!("{k}={}", v.as_str()?));
        }
    }
    for e in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = e["key"].as_str()?;
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e["operator"].as_str()? {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// A look at a workload: its pods and the Leases they hold.
#[derive(Debug, Clone, PartialEq)]
struct Look {
    desired: u64,
    /// Ready pods of the current template / all active pods.
    ready: u64,
    active: u64,
    /// Names of the active pods.
    pods: std::collections::BTreeSet<String>,
    /// Pod UID → restarts (all containers).
    restarts: BTreeMap<String, u64>,
    /// Lease name → (holder pod, renewTime).
    leases: BTreeMap<String, (String, String)>,
    /// Whether the controller has caught up (observed generation, no old pods).
    settled: bool,
}

impl Look {
    /// Every pod ready, nothing left over, and every Lease of the workload
    /// held by one of its pods.
    fn steady(&self) -> bool {
        self.settled
            && self.ready == self.desired
            && self.active == self.desired
            && self.leases.values().all(|(pod, _)| self.pods.contains(pod))
    }

    fn describe(&self) -> String {
        let restarts: u64 = self.restarts.values().sum();
        format!(
            "{}/{} ready, {} pod(s), {restarts} restart(s)",
            self.ready, self.desired, self.active
        )
    }
}

fn pod_ready(p: &Value) -> bool {
    p["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

async fn look(api: &Api, kind: &str, namespace: &str, name: &str) -> Result<Look, ActError> {
    let path = path_of(kind, namespace, name)?;
    let label = format!("{kind}/{namespace}/{name}");
    let w = api.need(&path, &label).await?;
    let desired = counts(&w).want;
    let selector = selector_query(&w["spec"]["selector"])
        .ok_or_else(|| ActError::Invalid(format!("{label} has no usable selector")))?;
    let pods = api
        .list(
            &unloop_kube::request::collection("", "v1", "pods", Some(namespace)),
            Query::default().add("labelSelector", selector),
        )
        .await?;
    let active: Vec<&Value> = pods
        .iter()
        .filter(|p| {
            p["metadata"]["deletionTimestamp"].is_null()
                && !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
        })
        .collect();
    let restarts = active
        .iter()
        .map(|p| {
            let n: u64 = p["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["restartCount"].as_u64())
                .sum();
            (p["metadata"]["uid"].as_str().unwrap_or("").to_owned(), n)
        })
        .collect();
    let names: Vec<&str> = active
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    // Leases held by this workload's pods: client-go and Knative name the
    // holder `<pod>_<uuid>` (or just `<pod>`).
    let prefix = format!("{name}-");
    let leases = api
        .list(
            &unloop_kube::request::collection(
                "coordination.k8s.io",
                "v1",
                "leases",
                Some(namespace),
            ),
            Query::default(),
        )
        .await?
        .into_iter()
        .filter_map(|l| {
            let holder = l["spec"]["holderIdentity"].as_str()?;
            let pod = holder.split('_').next().unwrap_or(holder);
            pod.starts_with(&prefix).then(|| {
                (
                    l["metadata"]["name"].as_str().unwrap_or("").to_owned(),
                    (
                        pod.to_owned(),
                        l["spec"]["renewTime"].as_str().unwrap_or("").to_owned(),
                    ),
                )
            })
        })
        .collect();
    let st = &w["status"];
    let settled = st["observedGeneration"].as_i64() >= w["metadata"]["generation"].as_i64()
        && (kind != "Deployment" || st["updatedReplicas"].as_u64().unwrap_or(0) == desired);
    Ok(Look {
        desired,
        ready: active.iter().filter(|p| pod_ready(p)).count() as u64,
        active: active.len() as u64,
        pods: names.iter().map(|n| (*n).to_owned()).collect(),
        restarts,
        leases,
        settled,
    })
}

/// Waits until every pod of the workload is ready and stays ready, with no
/// restarts and no pod replaced, for `window`; for a leader-elected
/// controller, its Leases must be held by its pods and renewed during the
/// window. Gives up after `window` + `waits.settle_timeout`.
pub async fn wait_stable(
    api: &Api,
    kind: &str,
    namespace: &str,
    name: &str,
    window: Duration,
    waits: &Waits,
) -> Result<StepReport, ActError> {
    let label = format!("{kind}/{namespace}/{name}");
    let mut report = StepReport::new(Outcome::Manual);
    report.objects.push(label.clone());
    let first = look(api, kind, namespace, name).await?;
    report.before = Some(json!({"state": first.describe()}));
    if !api.applies() {
        report.line(format!("now: {}", first.describe()));
        return Ok(report.with(Outcome::WouldApply(format!(
            "would wait until {label} is ready with no restarts for {}",
            human(window)
        ))));
    }
    let start = Instant::now();
    let give_up = window + waits.settle_timeout;
    let mut since: Option<(Instant, Look)> = None;
    let mut resets = 0u32;
    let mut said: Option<(Instant, String)> = None;
    loop {
        let now = look(api, kind, namespace, name).await?;
        let steady = now.steady();
        since = match since.take() {
            Some((t, base)) if steady && base.restarts == now.restarts => Some((t, base)),
            Some(_) if steady => {
                resets += 1;
                Some((Instant::now(), now.clone()))
            }
            Some(_) => {
                resets += 1;
                None
            }
            None if steady => Some((Instant::now(), now.clone())),
            None => None,
        };
        // A line when the state changes (or the window starts or ends),
        // else every 30 s: alive, not noisy.
        let state = format!(
            "{}{}",
            now.describe(),
            if since.is_some() {
                ""
            } else {
                "; not stable yet"
            }
        );
        if said
            .as_ref()
            .is_none_or(|(t, s)| *s != state || t.elapsed() >= Duration::from_secs(30))
        {
            let held = since.as_ref().map_or_else(String::new, |(t, _)| {
                format!(", stable for {}", human(t.elapsed()))
            });
            waits
                .heartbeat
                .beat(&format!("{label}: {state}{held} (want {})", human(window)));
            said = Some((Instant::now(), state));
        }
        if let Some((t, base)) = &since
            && t.elapsed() >= window
        {
            let renewed: Vec<String> = now
                .leases
                .iter()
                .filter(|(l, (_, renew))| base.leases.get(*l).is_none_or(|(_, b)| b != renew))
                .map(|(l, (pod, _))| format!("Lease {l} held by {pod} and renewed"))
                .collect();
            let stale: Vec<&String> = now
                .leases
                .iter()
                .filter(|(l, (_, renew))| base.leases.get(*l).is_some_and(|(_, b)| b == renew))
                .map(|(l, _)| l)
                .collect();
            if stale.is_empty() {
                report.lines.extend(renewed);
                report.after = Some(json!({"state": now.describe()}));
                return Ok(report.with(Outcome::Applied(format!(
                    "{label} stable for {}: {}",
                    human(window),
                    now.describe()
                ))));
            }
            // Held but not renewed: the leader is stuck; start the window again.
            report.line(format!(
                "Lease(s) not renewed during the window: {}",
                stale
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            resets += 1;
            since = None;
        }
        if start.elapsed() >= give_up {
            report.after = Some(json!({"state": now.describe()}));
            return Ok(report.with(Outcome::Failed(format!(
                "{label} did not stay stable for {} within {} (the window started over {resets} time(s)); now {}",
                human(window),
                human(give_up),
                now.describe()
            ))));
        }
        tokio::time::sleep(waits.poll).await;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn daemon_sets_count_scheduled_pods() {
        let ds = json!({
            "kind": "DaemonSet",
            "spec": {"selector": {"matchLabels": {"app": "agent"}}},
            "status": {"desiredNumberScheduled": 4, "currentNumberScheduled": 4,
                       "updatedNumberScheduled": 3, "numberReady": 2}
        });
        let want = Counts {
            want: 4,
            updated: 3,
            ready: 2,
            total: 4,
        };
        assert_eq!(counts(&ds), want);
        let deploy = json!({
            "kind": "Deployment",
            "spec": {"replicas": 3},
            "status": {"replicas": 4, "updatedReplicas": 2, "readyReplicas": 3}
        });
        let want = Counts {
            want: 3,
            updated: 2,
            ready: 3,
            total: 4,
        };
        assert_eq!(counts(&deploy), want);
        // No spec.replicas: the API server's default of 1.
        assert_eq!(counts(&json!({"kind": "StatefulSet", "spec": {}})).want, 1);
    }
}
