//! The scheduler: filters nodes a pod may run on and spreads a workload's
//! pods over them (fewest of the same owner first, then fewest pods, then name).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::nodes::NodeInfo;
use super::{active, controller_uid, node_name, pods, put};
use crate::app::Replay;
use crate::meta;

/// Whether one toleration tolerates one taint (the core/v1 rules).
fn tolerates(t: &Value, taint: &Value) -> bool {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let effect = s(t, "effect");
    if !effect.is_empty() && effect != s(taint, "effect") {
        return false;
    }
    let key = s(t, "key");
    match s(t, "operator").as_str() {
        // An empty key with Exists tolerates everything.
        "Exists" => key.is_empty() || key == s(taint, "key"),
        _ => key == s(taint, "key") && s(t, "value") == s(taint, "value"),
    }
}

/// Whether `pod` may be placed on `node`.
pub fn feasible(node: &NodeInfo, pod: &Value) -> bool {
    if node.unschedulable || !node.ready || node.pressure {
        return false;
    }
    let tolerations = meta::at(pod, &["spec", "tolerations"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !node
        .taints
        .iter()
        .all(|taint| tolerations.iter().any(|t| tolerates(t, taint)))
    {
        return false;
    }
    meta::at(pod, &["spec", "nodeSelector"])
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| node.labels.get(k) == Some(v))
}

/// How many active pods each node runs, in all and per controlling owner.
#[derive(Debug, Default)]
pub struct Placement {
    total: HashMap<String, usize>,
    by_owner: HashMap<(String, String), usize>,
}

impl Placement {
    /// Counts the active pods of the store.
    pub fn read(r: &Replay) -> Self {
        let mut p = Placement::default();
        r.store.read(|v| {
            for (_, pod) in v.table(&pods()) {
                if let (true, Some(node)) = (active(pod), node_name(pod)) {
                    p.add(node, controller_uid(pod).unwrap_or(""));
                }
            }
        });
        p
    }

    /// Counts one more pod of `owner` on `node`.
    pub fn add(&mut self, node: &str, owner: &str) {
        *self.total.entry(node.to_owned()).or_default() += 1;
        *self
            .by_owner
            .entry((node.to_owned(), owner.to_owned()))
            .or_default() += 1;
    }

    /// Pods of `owner` on `node`.
    pub fn of_owner(&self, node: &str, owner: &str) -> usize {
        self.by_owner
            .get(&(node.to_owned(), owner.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    fn total(&self, node: &str) -> usize {
        self.total.get(node).copied().unwrap_or(0)
    }
}

/// The node for `pod`, if any fits.
pub fn pick<'a>(nodes: &'a [NodeInfo], pod: &Value, placed: &Placement) -> Option<&'a NodeInfo> {
    let owner = controller_uid(pod).unwrap_or("");
    nodes.iter().filter(|n| feasible(n, pod)).min_by_key(|n| {
        (
            placed.of_owner(&n.name, owner),
            placed.total(&n.name),
            &n.name,
        )
    })
}

/// Sets a condition in `status.conditions`, keeping its transition time when
/// its status does not change.
pub fn set_condition(obj: &mut Value, mut cond: Value, now: &str) {
    if !obj.get("status").is_some_and(Value::is_object) {
        obj["status"] = json!({});
    }
    let list = obj["status"]
        .as_object_mut()
        .expect("an object")
        .entry("conditions")
        .or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list.as_array_mut().expect("an array");
    let ty = cond["type"].clone();
    match list.iter_mut().find(|c| c["type"] == ty) {
        Some(old) => {
            let same = old["status"] == cond["status"];
            cond["lastTransitionTime"] = if same {
                old.get("lastTransitionTime").cloned().unwrap_or(json!(now))
            } else {
                json!(now)
            };
            if old.get("lastProbeTime").is_some() {
                cond["lastProbeTime"] = old["lastProbeTime"].clone();
            }
            *old = cond;
        }
        None => {
            cond["lastTransitionTime"] = json!(now);
            list.push(cond);
        }
    }
}

/// `pod` bound to `node` (what the binding subresource does).
pub fn bind(mut pod: Value, node: &str, now: &str) -> Value {
    pod["spec"]["nodeName"] = json!(node);
    set_condition(
        &mut pod,
        json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null}),
        now,
    );
    pod
}

/// `pod` marked as not fitting anywhere.
fn unschedulable(mut pod: Value, nodes: &[NodeInfo], now: &str) -> Value {
    let message = format!(
        "0/{} nodes are available: {} node(s) were unschedulable or not ready or had untolerated taints.",
        nodes.len(),
        nodes.len()
    );
    set_condition(
        &mut pod,
        json!({"type": "PodScheduled", "status": "False", "lastProbeTime": null,
               "reason": "Unschedulable", "message": message}),
        now,
    );
    pod
}

/// Places every pod waiting for a node, or says why it cannot.
pub fn schedule_pending(r: &Replay, nodes: &[NodeInfo]) {
    let pending: Vec<_> = r.store.read(|v| {
        v.table(&pods())
            .filter(|(_, p)| active(p) && node_name(p).is_none())
            .filter(|(_, p)| {
                meta::str_at(p, &["spec", "schedulerName"])
                    .is_none_or(|s| s.is_empty() || s == "default-scheduler")
            })
            .map(|(_, p)| p.clone())
            .collect()
    });
    if pending.is_empty() {
        return;
    }
    let mut placed = Placement::read(r);
    let now = r.clock.now_rfc3339();
    for pod in pending {
        let new = match pick(nodes, &pod, &placed) {
            Some(n) => {
                placed.add(&n.name, controller_uid(&pod).unwrap_or(""));
                let bound = bind((*pod).clone(), &n.name, &now);
                super::events::record(
                    r,
                    &bound,
                    None,
                    "Scheduled",
                    &format!(
                        "Successfully assigned {}/{} to {}",
                        meta::namespace(&pod),
                        meta::name(&pod),
                        n.name
                    ),
                    "Normal",
                    ("default-scheduler", None),
                );
                bound
            }
            None => unschedulable((*pod).clone(), nodes, &now),
        };
        put(r, &pods(), &pod, new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, spec: Value) -> NodeInfo {
        NodeInfo::from_object(
            &json!({"metadata": {"name": name, "labels": {"pool": "a"}}, "spec": spec,
                    "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
            false,
        )
    }

    #[test]
    fn cordons_taints_and_selectors_filter() {
        let pod = json!({"spec": {"tolerations": [{"key": "ok", "operator": "Exists"}]}});
        assert!(feasible(&node("a", json!({})), &pod));
        assert!(!feasible(&node("a", json!({"unschedulable": true})), &pod));
        let tainted = |k: &str| node("a", json!({"taints": [{"key": k, "effect": "NoSchedule"}]}));
        assert!(feasible(&tainted("ok"), &pod));
        assert!(!feasible(&tainted("no"), &pod));
        let any = json!({"spec": {"tolerations": [{"operator": "Exists"}]}});
        assert!(feasible(&tainted("no"), &any));
        let sel = |v: &str| json!({"spec": {"nodeSelector": {"pool": v}}});
        assert!(feasible(&node("a", json!({})), &sel("a")));
        assert!(!feasible(&node("a", json!({})), &sel("b")));
    }

    #[test]
    fn spreads_an_owners_pods() {
        let nodes = vec![
            node("a", json!({})),
            node("b", json!({})),
            node("c", json!({})),
        ];
        let pod = json!({"metadata": {"ownerReferences": [{"uid": "rs", "controller": true}]}});
        let mut placed = Placement::default();
        placed.add("a", "rs");
        placed.add("b", "other");
        // c has none of the owner's pods and no others: it wins.
        assert_eq!(pick(&nodes, &pod, &placed).unwrap().name, "c");
        placed.add("c", "rs");
        // b has none of the owner's pods though one other pod.
        assert_eq!(pick(&nodes, &pod, &placed).unwrap().name, "b");
    }
}
