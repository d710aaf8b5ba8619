//! `pods/eviction`: deletes a pod unless a PodDisruptionBudget forbids it.
//!
//! There is no disruption controller here, so a budget's numbers are computed
//! at each eviction from the pods it selects (expected: the selected pods not
//! being deleted; healthy: those Ready) and written to its status, as the
//! controller would have. A refusal is 429 with the real server's message.

use serde_json::{Value, json};

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::meta::{self, at, str_at};
use crate::request::Params;
use crate::resources::{ResourceInfo, StorageKey};
use crate::selectors::object_selector_matches;
use crate::store::Preconditions;
use crate::write::{self, DeleteOptions, Propagation};

fn ready(pod: &Value) -> bool {
    at(pod, &["status", "conditions"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// An int-or-percent of `total`, rounded up as the disruption controller does.
fn scaled(v: &Value, total: i64) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let p: i64 = s.strip_suffix('%')?.parse().ok()?;
            Some((p * total + 99) / 100)
        }
        _ => None,
    }
}

/// The budget's numbers: (expected, currently healthy, desired healthy).
fn budget(r: &Replay, pdb: &Value, ns: &str) -> (i64, i64, i64) {
    let selector = at(pdb, &["spec", "selector"])
        .cloned()
        .unwrap_or(Value::Null);
    let pods = StorageKey::new("", "pods");
    let (expected, healthy) = r.store.read(|v| {
        let mut expected = 0;
        let mut healthy = 0;
        v.scan(&pods, Some(ns), None, None, |_, p| {
            let deleting = at(p, &["metadata", "deletionTimestamp"]).is_some_and(|d| !d.is_null());
            // A PDB with no selector selects nothing (policy/v1).
            if !selector.is_null() && object_selector_matches(&selector, p) && !deleting {
                expected += 1;
                if ready(p) {
                    healthy += 1;
                }
            }
            true
        });
        (expected, healthy)
    });
    let desired = match (
        at(pdb, &["spec", "minAvailable"]),
        at(pdb, &["spec", "maxUnavailable"]),
    ) {
        (Some(min), _) if !min.is_null() => scaled(min, expected).unwrap_or(0),
        (_, Some(max)) if !max.is_null() => (expected - scaled(max, expected).unwrap_or(0)).max(0),
        _ => 0,
    };
    (expected, healthy, desired)
}

/// POST of an Eviction for pod `ns/name`.
pub fn evict(
    r: &Replay,
    pods: &ResourceInfo,
    ns: &str,
    name: &str,
    body: &[u8],
    params: &Params,
) -> ApiResult<Value> {
    let pod = r
        .store
        .get(&pods.storage(), ns, name)
        .ok_or_else(|| ApiError::not_found("pods", name))?;
    // The body (JSON from most clients, protobuf from kubectl) only adds
    // delete options; the URL names the pod.
    let eviction: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let delete_body = eviction
        .get("deleteOptions")
        .map(|d| serde_json::to_vec(d).unwrap_or_default())
        .unwrap_or_default();
    let mut opts = DeleteOptions::read(params, &delete_body)?;
    opts.propagation = Propagation::Background;
    let pdb_res = r
        .resources
        .get("policy", "v1", "poddisruptionbudgets")
        .ok_or_else(ApiError::no_route)?;
    let phase = str_at(&pod, &["status", "phase"]).unwrap_or("");
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let budgets: Vec<Value> = r.store.read(|v| {
        let mut out = Vec::new();
        v.scan(&pdb_res.storage(), Some(ns), None, None, |_, pdb| {
            let sel = at(pdb, &["spec", "selector"]);
            if sel.is_some_and(|s| !s.is_null() && object_selector_matches(s, &pod)) {
                out.push((**pdb).clone());
            }
            true
        });
        out
    });
    if !terminal && budgets.len() > 1 {
        return Err(ApiError::new(
            500,
            "InternalError",
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
        ));
    }
    if let (false, Some(pdb)) = (terminal, budgets.first()) {
        let (expected, healthy, desired) = budget(r, pdb, ns);
        let allowed = (healthy - desired).max(0);
        let always = str_at(pdb, &["spec", "unhealthyPodEvictionPolicy"]) == Some("AlwaysAllow");
        let ok = if ready(&pod) {
            allowed > 0
        } else {
            always || healthy >= desired
        };
        record_status(
            r,
            &pdb_res,
            pdb,
            expected,
            healthy,
            desired,
            if ok && ready(&pod) {
                allowed - 1
            } else {
                allowed
            },
            opts.dry_run,
        );
        if !ok {
            let mut e = ApiError::new(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
            );
            e.details = Some(json!({"causes": [{
                "reason": "DisruptionBudget",
                "message": format!("The disruption budget {} needs {desired} healthy pods and has {healthy} currently", meta::name(pdb)),
            }]}));
            return Err(e);
        }
    }
    write::delete(r, pods, ns, name, &opts)?;
    Ok(
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    )
}

#[allow(clippy::too_many_arguments)]
fn record_status(
    r: &Replay,
    res: &ResourceInfo,
    pdb: &Value,
    expected: i64,
    healthy: i64,
    desired: i64,
    allowed: i64,
    dry_run: bool,
) {
    if dry_run {
        return;
    }
    let mut new = pdb.clone();
    let generation = at(pdb, &["metadata", "generation"])
        .cloned()
        .unwrap_or(json!(1));
    let status = new
        .as_object_mut()
        .map(|o| o.entry("status").or_insert_with(|| json!({})));
    if let Some(Value::Object(s)) = status {
        s.insert("expectedPods".into(), json!(expected));
        s.insert("currentHealthy".into(), json!(healthy));
        s.insert("desiredHealthy".into(), json!(desired));
        s.insert("disruptionsAllowed".into(), json!(allowed.max(0)));
        s.insert("observedGeneration".into(), generation);
    }
    let _ = r
        .store
        .update(&res.storage(), new, &Preconditions::default());
}
