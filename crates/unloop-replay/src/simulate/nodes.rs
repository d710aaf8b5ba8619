//! Nodes as the scheduler and the kubelet see them: schedulable or not, bad or not.

use serde_json::Value;

use super::{condition_true, nodes_key};
use crate::app::Replay;
use crate::meta;

/// Conditions that taint a node NoSchedule when True (the node lifecycle
/// controller's `node.kubernetes.io/*-pressure` and `network-unavailable`).
const TAINTING: &[&str] = &[
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
];

/// One node.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub name: String,
    pub labels: serde_json::Map<String, Value>,
    /// NoSchedule and NoExecute taints.
    pub taints: Vec<Value>,
    /// Cordoned.
    pub unschedulable: bool,
    /// Ready is True.
    pub ready: bool,
    /// A condition the node lifecycle controller turns into a taint is True.
    pub pressure: bool,
    /// Pods on it crash-loop.
    pub bad: bool,
    /// `status.addresses` InternalIP.
    pub internal_ip: Option<String>,
    /// The first `spec.podCIDR` address block, for pod IPs.
    pub pod_cidr: Option<String>,
}

impl NodeInfo {
    /// Reads a Node object; `forced_bad` is whether `--bad-node` names it.
    pub fn from_object(node: &Value, forced_bad: bool) -> Self {
        let conditions: Vec<&Value> = meta::at(node, &["status", "conditions"])
            .and_then(Value::as_array)
            .map(|c| c.iter().collect())
            .unwrap_or_default();
        let ready = condition_true(node, "Ready");
        // Every condition but Ready reads True for a problem
        // (node-problem-detector's and the kubelet's own alike).
        let problem = conditions.iter().any(|c| {
            c.get("type").and_then(Value::as_str) != Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        });
        let pressure = TAINTING.iter().any(|t| condition_true(node, t));
        let taints = meta::at(node, &["spec", "taints"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| {
                matches!(
                    t.get("effect").and_then(Value::as_str),
                    Some("NoSchedule" | "NoExecute")
                )
            })
            .cloned()
            .collect();
        let internal_ip = meta::at(node, &["status", "addresses"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|a| a.get("type").and_then(Value::as_str) == Some("InternalIP"))
            .and_then(|a| a.get("address"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        NodeInfo {
            name: meta::name(node).to_owned(),
            labels: meta::labels(node).cloned().unwrap_or_default(),
            taints,
            unschedulable: meta::at(node, &["spec", "unschedulable"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ready,
            pressure,
            bad: forced_bad || !ready || problem,
            internal_ip,
            pod_cidr: meta::str_at(node, &["spec", "podCIDR"]).map(str::to_owned),
        }
    }
}

/// Every node, in name order.
pub fn read(r: &Replay, forced_bad: &[String]) -> Vec<NodeInfo> {
    r.store.read(|v| {
        v.table(&nodes_key())
            .map(|(_, n)| {
                let forced = forced_bad.iter().any(|b| b == meta::name(n));
                NodeInfo::from_object(n, forced)
            })
            .collect()
    })
}

/// The named node.
pub fn find<'a>(nodes: &'a [NodeInfo], name: &str) -> Option<&'a NodeInfo> {
    nodes.iter().find(|n| n.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(conditions: Value, spec: Value) -> NodeInfo {
        NodeInfo::from_object(
            &json!({"metadata": {"name": "n"}, "spec": spec, "status": {"conditions": conditions}}),
            false,
        )
    }

    #[test]
    fn problems_make_a_node_bad_and_pressure_unschedulable() {
        let ok = node(
            json!([{"type": "Ready", "status": "True"}, {"type": "KernelDeadlock", "status": "False"}]),
            json!({}),
        );
        assert!(ok.ready && !ok.bad && !ok.pressure && !ok.unschedulable);
        let npd = node(
            json!([{"type": "Ready", "status": "True"}, {"type": "FrequentContainerdRestart", "status": "True"}]),
            json!({"unschedulable": true}),
        );
        assert!(npd.bad && npd.ready && !npd.pressure && npd.unschedulable);
        let not_ready = node(json!([{"type": "Ready", "status": "Unknown"}]), json!({}));
        assert!(not_ready.bad && !not_ready.ready);
        let pressure = node(
            json!([{"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "True"}]),
            json!({"taints": [{"key": "k", "effect": "PreferNoSchedule"}, {"key": "x", "effect": "NoSchedule"}]}),
        );
        assert!(pressure.bad && pressure.pressure);
        assert_eq!(pressure.taints.len(), 1);
    }
}
