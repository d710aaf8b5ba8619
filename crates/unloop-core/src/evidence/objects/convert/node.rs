//! core/v1 Node.

use serde_json::Value;

use super::*;
use crate::evidence::model::{Node, ResourceAmounts, Taint};

pub(super) fn ingest(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let mut meta = meta(v);
    // Nodes are cluster-scoped; a namespace here is noise from a hand-made input.
    meta.namespace = None;
    let label = object_label("Node", &meta);
    let amounts = |which: &str| ResourceAmounts {
        cpu_millis: cpu_at(v, &["status", which, "cpu"]),
        memory_bytes: memory_at(v, &["status", which, "memory"]),
    };
    let node = Node {
        conditions: conditions(array_at(v, &["status", "conditions"])),
        taints: array_at(v, &["spec", "taints"])
            .iter()
            .filter_map(|t| {
                Some(Taint {
                    key: string_at(t, &["key"])?,
                    value: string_at(t, &["value"]),
                    effect: string_at(t, &["effect"]).unwrap_or_default(),
                })
            })
            .collect(),
        unschedulable: bool_at(v, &["spec", "unschedulable"]).unwrap_or(false),
        capacity: amounts("capacity"),
        allocatable: amounts("allocatable"),
        allocated: None,
        kubelet_version: string_at(v, &["status", "nodeInfo", "kubeletVersion"]),
        usage: None,
        sources: vec![base.with_field(label)],
        meta,
    };
    b.add_node(node);
}
